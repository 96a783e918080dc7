"""Figures of the decoders: the code streams they read, folding by period, Griffin-Lim, the harmonic-plus-noise stage.

Notebook 06 (``06_hifigan_vocoder``), notebook 06b (``06b_hifigan_training``), notebook 06c
(``06c_frame_rate_decoder``) and notebook 06d (``06d_harmonic_noise_and_choice``) compute what they teach and call
one of these to draw it. Every function returns the figure.

Example
-------
>>> import numpy as np
>>> fig = plot_mel_pair(np.zeros((80, 10)), np.ones((80, 10)), "original (slt)", "decoded as awb")
>>> [ax.get_title() for ax in fig.axes]
['original (slt)', 'decoded as awb']
>>> plt.close("all")
"""
from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np

from resynth_lib.core.rates import F0_HOP, HOP, SAMPLE_RATE

UNIT_S = HOP / SAMPLE_RATE      # 20 ms per unit
F0_FRAME_S = F0_HOP / SAMPLE_RATE  # 5 ms per F0 frame
F0_CODE_S = 16 * F0_FRAME_S     # 80 ms per F0 code


def plot_code_streams(units, f0_codes, tracked_f0, decoded_f0):
    """What a decoder reads, on one time axis: unit ids (50 Hz), F0 codes (12.5 Hz), and the F0 they decode to.

    Used in notebook 06 (``06_hifigan_vocoder``): ``tracked_f0`` is the input's F0 and ``decoded_f0`` the
    continuous F0 decoded from the codes, both in Hz per 5 ms frame (0 where unvoiced).

    Example
    -------
    >>> fig = plot_code_streams(np.arange(10), np.arange(3), np.full(40, 120.0), np.full(40, 118.0))
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['unit', 'F0 code', 'Hz']
    >>> plt.close("all")
    """
    tracked_f0 = np.asarray(tracked_f0, dtype=float)
    fig, axes = plt.subplots(3, 1, figsize=(11, 6), sharex=True)
    axes[0].step(np.arange(len(units)) * UNIT_S, units, where="post", lw=0.8)
    axes[0].set_ylabel("unit")
    axes[1].step(np.arange(len(f0_codes)) * F0_CODE_S, f0_codes, where="post", color="C1")
    axes[1].set_ylabel("F0 code")
    axes[2].plot(np.arange(len(tracked_f0)) * F0_FRAME_S, np.where(tracked_f0 > 0, tracked_f0, np.nan),
                 label="tracked F0 of the input", lw=2, alpha=0.5)
    axes[2].plot(np.arange(len(decoded_f0)) * F0_FRAME_S, decoded_f0, label="decoded from the F0 codes (continuous)",
                 lw=1)
    axes[2].set_ylabel("Hz")
    axes[2].set_xlabel("time (s)")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_period_folds(folds: Mapping[int, np.ndarray], period: int):
    """A waveform folded by several periods, side by side: (phase, row) images, the F0 period's marked.

    Used in notebook 06 (``06_hifigan_vocoder``, the multi-period discriminator): ``folds`` maps a period p to the
    folded segment as a (p, rows) array; ``period`` is the F0 period in samples.

    Example
    -------
    >>> fig = plot_period_folds({5: np.zeros((5, 8)), 7: np.zeros((7, 6))}, period=5)
    >>> [ax.get_title() for ax in fig.axes]
    ['folded by 5 (the F0 period)', 'folded by 7']
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(1, len(folds), figsize=(4 * len(folds), 3), squeeze=False)
    for ax, (p, folded) in zip(axes[0], folds.items()):
        ax.imshow(folded, aspect="auto", cmap="coolwarm")
        ax.set_title(f"folded by {p}" + (" (the F0 period)" if p == period else ""), fontsize=9)
        ax.set_xlabel("row (every p-th sample)")
        ax.set_ylabel("phase")
    fig.tight_layout()
    return fig


def plot_mel_pair(mel_a, mel_b, title_a: str, title_b: str):
    """Two log-mel spectrograms side by side on a shared frequency axis (input and decoded output).

    Used in notebook 06b (``06b_hifigan_training``, the studio).

    Example
    -------
    >>> fig = plot_mel_pair(np.zeros((80, 5)), np.zeros((80, 5)), "a", "b")
    >>> len(fig.axes)
    2
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 2.8), sharey=True)
    for ax, mel, title in ((axes[0], mel_a, title_a), (axes[1], mel_b, title_b)):
        ax.imshow(mel, origin="lower", aspect="auto")
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_gl_convergence(curves: Mapping[str, np.ndarray], reference: float | None = None,
                        reference_label: str = "librosa.griffinlim, same settings"):
    """Spectral convergence after every Griffin-Lim round (log scale), one line per run, and a reference level.

    Used in notebook 06c (``06c_frame_rate_decoder``): ``curves`` maps a label to the spectral convergence per
    round; ``reference`` is a reference implementation's final value (dotted line).

    Example
    -------
    >>> fig = plot_gl_convergence({"plain": [0.5, 0.3], "fast": [0.4, 0.1]}, reference=0.1)
    >>> fig.axes[0].get_ylabel(), fig.axes[0].get_yscale()
    ('spectral convergence', 'log')
    >>> plt.close("all")
    """
    fig, ax = plt.subplots(figsize=(7, 3))
    for label, sc in curves.items():
        ax.semilogy(range(1, len(sc) + 1), sc, label=label)
    if reference is not None:
        ax.axhline(reference, color="k", ls=":", label=reference_label)
    ax.set_xlabel("round")
    ax.set_ylabel("spectral convergence")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_harmonic_noise_frame(loss_steps, losses, harmonic_envelope, noise_envelope, harmonic_hz, amplitudes,
                              frame: int, nyquist: float = SAMPLE_RATE / 2):
    """Left: the stage's training loss; right: one frame's harmonic and noise envelopes and its harmonic amplitudes.

    Used in notebook 06d (``06d_harmonic_noise_and_choice``): the envelopes are sampled evenly from 0 Hz to
    ``nyquist``; ``harmonic_hz`` (k F0 for k = 1, 2, ...) and ``amplitudes`` give the harmonics (those with amplitude
    0, above the Nyquist frequency, are not drawn).

    Example
    -------
    >>> fig = plot_harmonic_noise_frame([0, 10], [1.0, 0.5], np.ones(64), np.ones(16), np.array([100.0, 200.0]),
    ...                                 np.array([0.5, 0.0]), frame=3)
    >>> fig.axes[1].get_title(), len(fig.axes[1].lines)
    ('frame 3 (5 ms frames)', 3)
    >>> plt.close("all")
    """
    harmonic_envelope, noise_envelope = np.asarray(harmonic_envelope), np.asarray(noise_envelope)
    harmonic_hz, amplitudes = np.asarray(harmonic_hz), np.asarray(amplitudes)
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.2))
    axes[0].plot(loss_steps, losses)
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("multi-resolution STFT loss")
    axes[0].set_title("shipped stage")
    axes[1].semilogy(np.linspace(0, nyquist, len(harmonic_envelope)), harmonic_envelope, label="harmonic envelope")
    axes[1].semilogy(np.linspace(0, nyquist, len(noise_envelope)), noise_envelope, label="noise envelope")
    keep = amplitudes > 0
    axes[1].semilogy(harmonic_hz[keep], amplitudes[keep], ".", ms=4, label="harmonic amplitudes at k F0")
    axes[1].set_xlabel("Hz")
    axes[1].legend(fontsize=8)
    axes[1].set_title(f"frame {frame} (5 ms frames)")
    fig.tight_layout()
    return fig


def plot_per_ladder(rows: Mapping[str, float], title: str = ""):
    """One horizontal bar per system, its phone error rate, best at the top: oracle rows read as a ladder.

    Used in notebook 06d (``06d_harmonic_noise_and_choice``, where the default decoder loses
    phones): ``rows`` maps a row's name to its PER (a fraction). The step from one bar to
    the next is what one stage loses.

    Example
    -------
    >>> fig = plot_per_ladder({"ground truth": 0.10, "ground-truth log-mel -> stage": 0.15, "units -> decoder": 0.26})
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()][0]
    'ground truth'
    >>> plt.close("all")
    """
    names, pers = list(rows), [100 * float(v) for v in rows.values()]
    fig, ax = plt.subplots(figsize=(10, 0.5 + 0.45 * len(names)))
    ax.barh(np.arange(len(names)), pers, color="tab:blue")
    for y, p in enumerate(pers):
        ax.text(p + 0.3, y, f"{p:.1f} %", va="center", fontsize=8)
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("phone error rate (%)")
    ax.set_title(title)
    fig.tight_layout()
    return fig

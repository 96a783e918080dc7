"""Figures of pitch: YIN step by step, F0 contours, the F0 VQ-VAE's training, codes and edits.

Notebook 04 (``04_pitch_tracking``) and notebook 04b (``04b_f0_vqvae``) compute what they teach and call one of
these to draw it; notebook 07 draws F0 contours with :func:`plot_f0_contours`. Every function returns the figure.
F0 contours are in Hz, one value per 5 ms frame, 0 where unvoiced (not drawn).

Example
-------
>>> import numpy as np
>>> fig = plot_f0_contours({"flat": np.r_[0.0, 120.0, 120.0, 0.0]})
>>> fig.axes[0].get_xlabel()
'time (s)'
>>> plt.close("all")
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from resynth_lib.core.rates import F0_HOP, SAMPLE_RATE

FRAME_S = F0_HOP / SAMPLE_RATE   # 5 ms


def _voiced(f0):
    f0 = np.asarray(f0, dtype=float)
    return np.where(f0 > 0, f0, np.nan)


def plot_f0_contours(contours: Mapping[str, np.ndarray], ax=None, styles: Mapping[str, dict] | None = None,
                     median_in_label: bool = False, ylabel: str = "Hz", xlabel: str | None = "time (s)",
                     title: str | None = None,
                     legend_fontsize: float = 8, figsize=(11, 2.8)):
    """F0 contours against time, one line per labelled contour, unvoiced frames left blank.

    ``styles`` maps a label to extra line keywords (``{"color": "k"}``); ``median_in_label`` adds each contour's
    median voiced F0 to its legend entry. Draws on ``ax`` when given, else on a new figure; returns the figure.
    Used in notebook 04b (``04b_f0_vqvae``, editing F0) and notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> fig = plot_f0_contours({"in": np.full(10, 100.0), "out": np.full(10, 200.0)}, median_in_label=True)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['in: median 100 Hz', 'out: median 200 Hz']
    >>> plt.close("all")
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    styles = styles or {}
    for name, f0 in contours.items():
        f0 = np.asarray(f0, dtype=float)
        label = f"{name}: median {np.median(f0[f0 > 0]):.0f} Hz" if median_in_label else name
        ax.plot(np.arange(len(f0)) * FRAME_S, _voiced(f0), **({"lw": 1} | styles.get(name, {})), label=label)
    ax.set_ylabel(ylabel)
    if xlabel:
        ax.set_xlabel(xlabel)
    ax.legend(fontsize=legend_fontsize)
    if title is not None:
        ax.set_title(title, fontsize=8)
    return ax.figure


def plot_yin_steps(frame, difference, cmnd, period: float, threshold: float = 0.15, title: str = "40 ms of speech",
                   sample_rate: int = SAMPLE_RATE):
    """YIN on one frame: the waveform, the difference function d(tau), and the CMND with threshold and period.

    Used in notebook 04 (``04_pitch_tracking``): ``frame`` (n,), ``difference`` and ``cmnd`` (lags,) are what the
    notebook's own functions return for it; ``period`` is the refined period in samples.

    Example
    -------
    >>> fig = plot_yin_steps(np.zeros(640), np.ones(320), np.ones(320), period=100.0)
    >>> [t.get_text() for t in fig.axes[2].get_legend().get_texts()]
    ['threshold 0.15', 'period 100.00 samples = 160.0 Hz']
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(1, 3, figsize=(14, 3))
    axes[0].plot(np.arange(len(frame)) / (sample_rate / 1000), frame)
    axes[0].set_title(title)
    axes[0].set_xlabel("ms")
    axes[1].plot(difference)
    axes[1].set_title("difference function d(tau)")
    axes[1].set_xlabel("lag (samples)")
    axes[2].plot(cmnd)
    axes[2].axhline(threshold, color="r", ls="--", lw=0.8, label=f"threshold {threshold}")
    axes[2].axvline(period, color="g", lw=1, label=f"period {period:.2f} samples = {sample_rate / period:.1f} Hz")
    axes[2].set_title("CMND d'(tau)")
    axes[2].set_xlabel("lag (samples)")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_f0_vqvae_training(history: Mapping, mode: str = "full", smooth: int = 50, n_codes: int = 20):
    """Left: reconstruction error on voiced frames (log scale); right: batch perplexity and codes used.

    Used in notebook 04b (``04b_f0_vqvae``): ``history`` is what
    :func:`resynth_lib.pitch.f0_vqvae_train.train_f0_vqvae` returns; curves are moving averages over ``smooth``
    steps; a dashed line marks the codebook size ``n_codes``.

    Example
    -------
    >>> h = {"recon": np.linspace(1, 0.1, 20), "perplexity": np.linspace(2, 9, 20), "codes_used": np.arange(20)}
    >>> fig = plot_f0_vqvae_training(h, mode="fast", smooth=3)
    >>> fig.axes[0].get_title()
    'reconstruction error on voiced frames (fast-mode run)'
    >>> plt.close("all")
    """
    def moving_average(v):
        return np.convolve(v, np.ones(smooth) / smooth, mode="valid")

    fig, axes = plt.subplots(1, 2, figsize=(13, 3))
    axes[0].plot(moving_average(history["recon"]))
    axes[0].set_yscale("log")
    axes[0].set_title(f"reconstruction error on voiced frames ({mode}-mode run)")
    axes[0].set_xlabel("step")
    axes[1].plot(moving_average(history["perplexity"]), label="perplexity (batch)")
    axes[1].plot(moving_average(history["codes_used"]), label="codes used (batch)")
    axes[1].axhline(n_codes, color="0.7", ls="--")
    axes[1].set_xlabel("step")
    axes[1].legend()
    axes[1].set_title("codebook usage over training")
    fig.tight_layout()
    return fig


def plot_quantised_contours(examples: Sequence[tuple], frames_per_code: int = 16):
    """Tracked and VQ-decoded F0 of a few utterances (2 x 2 panels), each code's index written along the bottom.

    Used in notebook 04b (``04b_f0_vqvae``): ``examples`` are (title, tracked F0, codes, decoded F0) tuples;
    one code covers ``frames_per_code`` 5 ms frames.

    Example
    -------
    >>> f0 = np.r_[np.zeros(8), np.full(24, 120.0)]
    >>> fig = plot_quantised_contours([("utt", f0, [3, 7], f0)])
    >>> len(fig.axes[0].texts), fig.axes[0].get_title()
    (2, 'utt')
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(2, 2, figsize=(13, 5.5))
    for ax, (title, f0_true, codes, f0_vq) in zip(axes.ravel(), examples):
        t = np.arange(len(f0_true)) * FRAME_S
        ax.plot(t, _voiced(f0_true), "k", lw=2, alpha=0.4, label="tracked F0")
        ax.plot(t, _voiced(f0_vq), "r", lw=1, label=f"decoded from {len(codes)} codes")
        for i, code_index in enumerate(codes):
            ax.text((i + 0.5) * frames_per_code * FRAME_S, ax.get_ylim()[0], str(code_index), fontsize=6,
                    ha="center", va="bottom", color="0.4")
        ax.set_title(f"{title}", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_code_usage(counts, code_shapes_hz, ylabel: str = "Hz (slt's scale)"):
    """Left: how often each F0 code is used; right: the pitch shape each code decodes to.

    Used in notebook 04b (``04b_f0_vqvae``): ``counts`` (n_codes,) from held-out speech, ``code_shapes_hz``
    (n_codes, frames) each code repeated and decoded to Hz on one speaker's scale.

    Example
    -------
    >>> fig = plot_code_usage(np.arange(20), np.full((20, 64), 150.0))
    >>> fig.axes[0].get_title(), len(fig.axes[1].lines)
    ('code usage (held out)', 20)
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(1, 2, figsize=(13, 3))
    axes[0].bar(range(len(counts)), counts, color="#457b9d")
    axes[0].set_xlabel("code")
    axes[0].set_title("code usage (held out)")
    for shape in code_shapes_hz:
        axes[1].plot(shape, lw=1)
    axes[1].set_xlabel("5 ms frame")
    axes[1].set_ylabel(ylabel)
    axes[1].set_title("each code repeated 4 times, decoded: a vocabulary of pitch shapes")
    fig.tight_layout()
    return fig

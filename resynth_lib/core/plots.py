"""Figures shared by the notebooks: the pipeline diagram, spectrograms with phone labels.

First used in notebook 00 (``00_audio_and_data``); every notebook opens with
:func:`pipeline_diagram` highlighting the part it builds.

Example
-------
>>> import numpy as np
>>> from resynth_lib.data.corpus import PhoneSegment
>>> fig = pipeline_diagram(highlight="pitch")
>>> spec = np.zeros((80, 100))
>>> ax = plot_spectrogram(spec, hop_length=256, phones=[PhoneSegment("pau", 0, 0.8), PhoneSegment("a", 0.8, 1.6)])
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse, FancyBboxPatch

from resynth_lib.core.rates import SAMPLE_RATE

# (key, label, notebook, x, y) of each box in the pipeline diagram.
_BOXES = [
    ("data", "speech\nwaveform", "00", 0.09, 0.5),
    ("ssl", "self-supervised\nencoder (CPC/HuBERT)", "02", 0.29, 0.85),
    ("kmeans", "k-means: K=100|500\nunits at 50 Hz", "03", 0.53, 0.85),
    ("pitch", "F0 (YIN / YAAPT)\n+ VQ-VAE, 12.5 Hz", "04", 0.42, 0.5),
    ("speaker", "speaker encoder\n128-d embedding", "05", 0.42, 0.15),
    ("vocoder", "decoder: HiFi-GAN |\nacoustic model + wave", "06-06d", 0.74, 0.5),
    ("pipeline", "resynthesised\nspeech", "07", 0.94, 0.5),
]
_ARROWS = [("data", "ssl"), ("ssl", "kmeans"), ("data", "pitch"), ("data", "speaker"),
           ("kmeans", "vocoder"), ("pitch", "vocoder"), ("speaker", "vocoder"), ("vocoder", "pipeline")]
STAGES = tuple(key for key, *_ in _BOXES)
_HALF_WIDTH = 0.082


def pipeline_diagram(highlight: str | Sequence[str] | None = None, ax=None):
    """Draw the paper's pipeline (content units + F0 codes + speaker -> vocoder).

    ``highlight`` names the stage(s) a notebook builds: one of :data:`STAGES`.
    Returns the figure. Every notebook, from notebook 00 to notebook 07, opens with it.

    Example
    -------
    >>> fig = pipeline_diagram(highlight=["pitch", "speaker"])
    >>> fig.axes[0].get_title()
    '... - this notebook: pitch, speaker'
    >>> pipeline_diagram(highlight="f0")
    Traceback (most recent call last):
    ValueError: unknown stage(s) ['f0']; choose from ('data', 'ssl', 'kmeans', 'pitch', 'speaker', 'vocoder', 'pipeline')
    >>> plt.close("all")
    """
    wanted = {highlight} if isinstance(highlight, str) else set(highlight or ())
    unknown = wanted - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stage(s) {sorted(unknown)}; choose from {STAGES}")
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 3.6))
    ax.set_xlim(-0.03, 1.05)
    ax.set_ylim(-0.02, 1.02)
    ax.axis("off")
    where = {key: (x, y) for key, _, _, x, y in _BOXES}
    for a, b in _ARROWS:
        (x0, y0), (x1, y1) = where[a], where[b]
        ax.annotate("", xy=(x1 - _HALF_WIDTH, y1), xytext=(x0 + _HALF_WIDTH, y0),
                    arrowprops=dict(arrowstyle="->", color="0.35", lw=1.3))
    for key, label, notebook, x, y in _BOXES:
        on = key in wanted
        ax.add_patch(FancyBboxPatch((x - _HALF_WIDTH, y - 0.11), 2 * _HALF_WIDTH, 0.22, boxstyle="round,pad=0.01",
                                    facecolor="#ffd166" if on else "#e9eef5",
                                    edgecolor="#d62828" if on else "0.45", lw=2.2 if on else 1.0))
        ax.text(x, y + 0.02, label, ha="center", va="center", fontsize=8, weight="bold" if on else None)
        ax.text(x, y - 0.085, f"notebook {notebook}", ha="center", va="center", fontsize=7, color="0.3")
    ax.set_title("Speech resynthesis from discrete disentangled representations (Polyak et al., 2021)"
                 + (f" - this notebook: {', '.join(sorted(wanted))}" if wanted else ""), fontsize=10)
    return ax.figure


def plot_spectrogram(spec: np.ndarray, sample_rate: int = SAMPLE_RATE, hop_length: int = 256,
                     phones=None, ax=None, title: str | None = None, ylabel: str = "mel band",
                     colorbar: bool = False):
    """Show a (bands, frames) spectrogram against time in seconds, with phone boundaries.

    ``phones`` is a list of :class:`resynth_lib.data.corpus.PhoneSegment`; their labels are
    written along the top and their boundaries drawn as thin white lines. Returns the axes.
    Used in notebooks 00, 02 and 06c.

    Example
    -------
    >>> from resynth_lib.data.corpus import PhoneSegment
    >>> ax = plot_spectrogram(np.zeros((80, 125)), phones=[PhoneSegment("a", 0.0, 1.0),
    ...                                                   PhoneSegment("pau", 1.0, 2.0)])
    >>> [float(x) for x in ax.get_xlim()]     # 125 frames of 256 samples at 16 kHz last 2 s
    [0.0, 2.0]
    >>> [t.get_text() for t in ax.texts]
    ['a', 'pau']
    >>> plt.close("all")
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 3.2))
    seconds = spec.shape[1] * hop_length / sample_rate
    image = ax.imshow(spec, origin="lower", aspect="auto", extent=(0, seconds, 0, spec.shape[0]),
                      interpolation="nearest")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, pad=0.01)
    if phones:
        for seg in phones:
            ax.axvline(seg.start, color="white", lw=0.6, alpha=0.7)
            ax.text((seg.start + seg.end) / 2, spec.shape[0] * 1.02, seg.phone, ha="center", va="bottom",
                    fontsize=7, clip_on=False)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, pad=14 if phones else 6)
    return ax


def plot_waveform(wav: np.ndarray, sample_rate: int = SAMPLE_RATE, ax=None, title: str | None = None,
                  phones=None):
    """Plot a waveform against time in seconds (optionally with phone boundaries) (notebook 00).

    Returns the axes.

    Example
    -------
    >>> ax = plot_waveform(np.sin(np.arange(8000) / 10), title="a slow sine")
    >>> float(ax.get_xlim()[1])       # the last sample is at 7999 / 16000 s
    0.4999375
    >>> plt.close("all")
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 2.4))
    t = np.arange(len(wav)) / sample_rate
    ax.plot(t, wav, lw=0.5, color="#1d3557")
    ax.set_xlim(0, t[-1] if len(t) else 1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    if phones:
        top = float(np.max(np.abs(wav))) if len(wav) else 1.0
        top = top if top > 0 else 1.0
        ax.set_ylim(-1.1 * top, 1.35 * top)          # a band inside the axes for the labels, clear of the title
        for seg in phones:
            ax.axvline(seg.start, color="0.6", lw=0.5)
            ax.text((seg.start + seg.end) / 2, 1.2 * top, seg.phone, ha="center", va="center", fontsize=7)
    if title:
        ax.set_title(title)
    return ax


def covariance_ellipse(ax, mean, cov, color="k", n_std: float = 2.0, **kwargs):
    """Draw the ``n_std``-standard-deviation ellipse of a 2-D Gaussian (notebook 01's GMM figures).

    Example
    -------
    >>> fig, ax = plt.subplots()
    >>> patch = covariance_ellipse(ax, [0, 0], [[2.0, 1.0], [1.0, 1.0]])
    >>> bool(patch.width > patch.height)
    True
    """
    values, vectors = np.linalg.eigh(np.asarray(cov, dtype=float))
    angle = np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1]))
    patch = Ellipse(mean, 2 * n_std * np.sqrt(values[-1]), 2 * n_std * np.sqrt(values[0]), angle=angle,
                    fill=False, color=color, lw=kwargs.pop("lw", 2), **kwargs)
    ax.add_patch(patch)
    return patch


__all__ = ["STAGES", "pipeline_diagram", "plot_spectrogram", "plot_waveform", "covariance_ellipse"]

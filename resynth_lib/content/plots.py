"""Figures of the content stream: probe confusions, units against the spectrogram, ABX errors.

Notebook 02b (``02b_self_supervised_speech``), notebook 03 (``03_discrete_units_kmeans``) and notebook 03b
(``03b_unit_quality``) compute what they teach and call one of these to draw it. Every function returns the figure.

Example
-------
>>> import numpy as np
>>> fig = plot_abx_bars({"units": {"within speaker": 0.1, "across speaker": 0.2}})
>>> fig.axes[0].get_ylabel()
'ABX error'
>>> plt.close("all")
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from resynth_lib.core.rates import UNIT_RATE


def plot_confusion(confusion, labels: Sequence[str], title: str = ""):
    """A confusion matrix (rows: true label, columns: predicted; each row a fraction of its true label's frames).

    Used in notebook 02b (``02b_self_supervised_speech``, the probe explorer).

    Example
    -------
    >>> fig = plot_confusion(np.eye(2), ["a", "b"], title="accuracy 1.00")
    >>> fig.axes[0].get_xlabel(), fig.axes[1].get_ylabel()
    ('predicted', "fraction of the true label's frames")
    >>> plt.close("all")
    """
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    image = ax.imshow(confusion, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(image, ax=ax, label="fraction of the true label's frames")
    ax.set_title(title)
    return fig


def plot_unit_sequence(log_mel, phones, units: Mapping[str, np.ndarray], title: str = "",
                       frame_rate: float = UNIT_RATE):
    """A log-mel spectrogram with its phone boundaries and labels, and below it each source's unit sequence.

    Used in notebook 03 (``03_discrete_units_kmeans``, speech to units): ``log_mel`` is (bands, frames) at
    ``frame_rate``; ``phones`` are the alignment's segments (``.phone``, ``.start``, ``.end`` in seconds);
    ``units`` maps a name (the source) to its unit ids per frame.

    Example
    -------
    >>> from resynth_lib.data.corpus import PhoneSegment
    >>> fig = plot_unit_sequence(np.zeros((80, 50)), [PhoneSegment("pau", 0.0, 1.0)],
    ...                          {"mfcc": np.zeros(50, int), "ssl": np.ones(50, int)}, title="one second")
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['mel band', 'mfcc unit', 'ssl unit']
    >>> plt.close("all")
    """
    n_bands, n = log_mel.shape
    fig, ax = plt.subplots(1 + len(units), 1, figsize=(13, 6), sharex=True,
                           gridspec_kw={"height_ratios": [2.2] + [1] * len(units)})
    ax[0].imshow(log_mel, origin="lower", aspect="auto", cmap="magma", extent=[0, n / frame_rate, 0, n_bands])
    for seg in phones:
        ax[0].axvline(seg.start, color="w", lw=0.5)
        ax[0].text((seg.start + seg.end) / 2, n_bands - 6, seg.phone, color="w", ha="center", fontsize=8)
    ax[0].set_ylabel("mel band")
    ax[0].set_title(title)
    for row, (name, u) in zip(ax[1:], units.items()):
        row.step(np.arange(n) / frame_rate, u[:n], where="post", lw=0.8)
        row.set_ylabel(f"{name} unit")
    ax[-1].set_xlabel("time (s)")
    fig.tight_layout()
    return fig


def plot_abx_bars(scores: Mapping[str, Mapping[str, float]]):
    """ABX error within and across speakers, two bars per representation (lower is better; 0.5 is chance).

    Used in notebook 03b (``03b_unit_quality``): ``scores`` maps a representation's name to what
    :func:`resynth_lib.content.abx.abx_error` returns for it.

    Example
    -------
    >>> fig = plot_abx_bars({"a": {"within speaker": 0.1, "across speaker": 0.2},
    ...                      "b": {"within speaker": 0.3, "across speaker": 0.4}})
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['a', 'b']
    >>> plt.close("all")
    """
    fig, ax = plt.subplots(figsize=(9, 3))
    xs = np.arange(len(scores))
    for offset, cond in ((-0.2, "within speaker"), (0.2, "across speaker")):
        ax.bar(xs + offset, [s[cond] for s in scores.values()], 0.4, label=cond)
    ax.set_xticks(xs, list(scores), rotation=12, fontsize=8)
    ax.set_ylabel("ABX error")
    ax.legend()
    ax.set_title("lower is better; 0.5 is chance")
    fig.tight_layout()
    return fig

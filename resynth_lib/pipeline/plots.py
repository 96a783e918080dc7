"""Figures of the whole pipeline: pitch edits checked by measurement, a conversion seen as spectrograms and F0.

Notebook 07 (``07_resynthesis_conversion_codec``) computes what it teaches and calls one of these to draw it.
Every function returns the figure. F0 contours are in Hz per 5 ms frame, 0 where unvoiced.

Example
-------
>>> import numpy as np
>>> fig = plot_pitch_edits([-6, 0, 6], [-5.8, 0.0, 6.1], {"+0 st": np.full(20, 120.0)})
>>> fig.axes[0].get_xlabel()
'requested shift (semitones)'
>>> plt.close("all")
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from resynth_lib.pitch.plots import plot_f0_contours


def plot_pitch_edits(requested: Sequence[float], measured: Sequence[float], contours: Mapping[str, np.ndarray],
                     styles: Mapping[str, dict] | None = None):
    """Left: measured against requested pitch shift (semitones); right: the F0 contours of some of the edits.

    Used in notebook 07 (``07_resynthesis_conversion_codec``, pitch control): ``measured`` are the median shifts
    over frames voiced in both; ``contours`` map a label ("+6 st", "flat") to the output's tracked F0.

    Example
    -------
    >>> fig = plot_pitch_edits([0, 3], [0.0, 2.9], {"+3 st": np.full(5, 150.0), "flat": np.full(5, 140.0)},
    ...                        styles={"flat": {"color": "k"}})
    >>> [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    ['+3 st', 'flat']
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.2))
    axes[0].plot(requested, requested, "k--", lw=1, label="requested")
    axes[0].plot(requested, measured, "o-", label="measured (median over frames voiced in both)")
    axes[0].set_xlabel("requested shift (semitones)")
    axes[0].set_ylabel("measured shift")
    axes[0].legend(fontsize=8)
    plot_f0_contours(contours, ax=axes[1], styles=styles)
    fig.tight_layout()
    return fig


def plot_conversion(mel_in, mel_out, f0_in, f0_out, title_in: str, title_out: str):
    """Input and output log-mel spectrograms, and both F0 contours: what a conversion or a pitch edit did.

    Used in notebook 07 (``07_resynthesis_conversion_codec``, the studio).

    Example
    -------
    >>> fig = plot_conversion(np.zeros((80, 5)), np.zeros((80, 5)), np.full(20, 100.0), np.full(20, 200.0),
    ...                       "input (awb)", "as slt, +0 semitones")
    >>> [ax.get_title() for ax in fig.axes][:2]
    ['input (awb)', 'as slt, +0 semitones']
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(1, 3, figsize=(13, 2.8), gridspec_kw={"width_ratios": [2, 2, 1.4]})
    for ax, mel, title in ((axes[0], mel_in, title_in), (axes[1], mel_out, title_out)):
        ax.imshow(mel, origin="lower", aspect="auto")
        ax.set_title(title, fontsize=9)
    plot_f0_contours({"input": f0_in, "output": f0_out}, ax=axes[2], xlabel=None)
    fig.tight_layout()
    return fig

"""Bit counting for the codes: what one second of speech costs to send as units, F0 codes and a speaker.

The codec sends three streams: a unit per 20 ms, an F0 code per 80 ms and the speaker once
per utterance. Sent at a fixed rate, each stream costs ``rate x log2 K`` bits per second.
An entropy coder can do better when some codes are more common than others, provided its
probabilities come from *other* data than the speech it codes:

* :func:`system_bitrate` -- the fixed-rate figure, ``rate x log2 K`` summed over the streams;
* :func:`cross_entropy_bits` -- mean bits per code under a smoothed histogram of other codes;
* :func:`run_length_split` -- units as runs of equal values, for sending each run once;
* :func:`coded_bitrate` -- the entropy-coded bits per second of each stream, with and
  without run-length coding of the units.

:mod:`resynth_lib.evaluation.evaluate` puts these figures in Table 1. Taught in notebook 07
(``07_resynthesis_conversion_codec``).
"""
from __future__ import annotations

import math

import numpy as np

from resynth_lib.content.unit_metrics import run_length_split  # noqa: F401  (part of this module's API)
from resynth_lib.core.rates import F0_CODE_RATE, UNIT_RATE


def system_bitrate(n_units: int = 100, n_f0_codes: int = 20, n_speakers: int = 4, seconds: float = 3.0) -> float:
    """Units + F0 codes + the speaker sent once per ``seconds`` of speech, in bits per second (notebook 07).

    This is the fixed-rate bitrate: every code costs ``log2`` of its codebook size.

    Example
    -------
    >>> round(system_bitrate(n_units=100, n_f0_codes=20, n_speakers=4, seconds=3.0), 1)  # 332.2 + 54.0 + 2 / 3
    386.9
    >>> system_bitrate(n_units=2, n_f0_codes=2, n_speakers=1)     # 1 bit per unit, 1 per F0 code, speaker free
    62.5
    """
    return UNIT_RATE * math.log2(n_units) + F0_CODE_RATE * math.log2(n_f0_codes) + math.log2(n_speakers) / seconds


def cross_entropy_bits(codes, model_codes, k: int, smoothing: float = 0.5) -> float:
    """Mean bits per symbol of ``codes`` under the add-``smoothing`` histogram of ``model_codes`` (``k`` symbols).

    This is what an ideal entropy coder built on ``model_codes`` spends on ``codes``:
    ``mean(-log2 p(c))`` with ``p(c) = (count(c) + smoothing) / (N + k * smoothing)``.
    Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> cross_entropy_bits([0, 1], [0, 0, 1, 1], k=2, smoothing=0)     # a fair coin: 1 bit
    1.0
    >>> round(cross_entropy_bits([2], [0, 0, 1, 1], k=4, smoothing=0.5), 3)  # unseen: p = 0.5 / 6
    3.585
    """
    counts = np.bincount(np.asarray(model_codes, np.int64).ravel(), minlength=k)[:k] + smoothing
    bits = -np.log2(counts / counts.sum())
    return float(np.mean(bits[np.asarray(codes, np.int64).ravel()]))


def coded_bitrate(codes, model_codes, smoothing: float = 0.5, max_run: int = 16) -> dict:
    """Bits per second an entropy coder would spend on ``codes``, its probabilities fitted on ``model_codes``.

    Both arguments are lists of :class:`resynth_lib.pipeline.resynthesiser.Codes`. Each stream costs
    ``rate x mean(-log2 p(code))`` with ``p`` the (add-``smoothing``) code histogram of
    ``model_codes``, so a code never seen there still costs finite bits. Fitting ``p`` on the
    evaluated codes themselves would be the empirical entropy, a slightly optimistic figure.
    ``units_run_length`` / ``total_run_length``: the units sent as runs (:func:`run_length_split`),
    each run's unit and length entropy-coded the same way. Taught in notebook 07
    (``07_resynthesis_conversion_codec``); ``resynth evaluate`` fits ``p`` on another split
    (the valid split when it scores the test split).

    Example
    -------
    >>> from resynth_lib.pipeline.resynthesiser import Codes
    >>> c = [Codes(units=np.array([0, 1, 0, 1]), f0_codes=np.array([2]), speaker="slt", n_units=2, n_f0_codes=4)]
    >>> b = coded_bitrate(c, c, smoothing=0)
    >>> b["units"], b["f0"]                # 1 bit per unit at 50 Hz; one F0 code seen, 0 bits
    (50.0, 0.0)
    """
    result = {}
    for stream, rate, k in (("units", UNIT_RATE, codes[0].n_units), ("f0", F0_CODE_RATE, codes[0].n_f0_codes)):
        field = "units" if stream == "units" else "f0_codes"
        result[stream] = rate * cross_entropy_bits(np.concatenate([getattr(c, field) for c in codes]),
                                                   np.concatenate([getattr(c, field) for c in model_codes]),
                                                   k, smoothing)
    runs, model_runs = [run_length_split(c.units, max_run) for c in codes], [run_length_split(c.units, max_run)
                                                                                for c in model_codes]
    runs_per_second = sum(len(v) for v, _ in runs) / sum(c.seconds for c in codes)
    result["units_run_length"] = runs_per_second * (
        cross_entropy_bits(np.concatenate([v for v, _ in runs]), np.concatenate([v for v, _ in model_runs]),
                           codes[0].n_units, smoothing)
        + cross_entropy_bits(np.concatenate([n - 1 for _, n in runs]), np.concatenate([n - 1 for _, n in model_runs]),
                             max_run, smoothing))
    seconds = float(np.mean([c.seconds for c in codes]))
    result["speaker"] = math.log2(len(codes[0].speakers)) / seconds
    result["total"] = result["units"] + result["f0"] + result["speaker"]
    result["total_run_length"] = result["units_run_length"] + result["f0"] + result["speaker"]
    return result

"""How wrong is an F0 track? Voicing, gross pitch and frame errors against a reference.

Every F0 track of the course is a value per 5 ms frame, in Hz, with 0 (or NaN) for
unvoiced frames. Given a reference track -- the exact contour of a synthetic test signal
(:mod:`resynth_lib.pitch.test_signals`), or the F0 of the original speech -- and an
estimate on the same frame grid, the three standard errors are:

* :func:`vde`, the voicing decision error -- frames called voiced in one track and
  unvoiced in the other;
* :func:`gpe`, the gross pitch error -- among frames voiced in both, those more than 20%
  off (octave errors, mostly);
* :func:`ffe`, the F0 frame error -- frames with either kind of error, over all frames:
  the single number the paper reports.

Tracks may differ in length by up to two frames (the shorter length is used). Taught in
notebook 04 (``04_pitch_tracking``), where the trackers are compared; notebooks 06,
06c and 07 score resynthesised speech with these.

Example
-------
>>> ref = [0, 100, 100, 100, 0]
>>> est = [0, 100, 210, 0, 0]             # one octave error, one missed voiced frame
>>> vde(ref, est), round(gpe(ref, est), 3), ffe(ref, est)
(0.2, 0.5, 0.4)
"""
from __future__ import annotations

import numpy as np


# ------------------------------------------------------------------------ metrics
def _pair(ref_f0, est_f0) -> tuple[np.ndarray, np.ndarray]:
    """Both tracks as float arrays of equal length with NaN turned into 0 (unvoiced)."""
    ref = np.nan_to_num(np.asarray(ref_f0, dtype=np.float64).reshape(-1), nan=0.0)
    est = np.nan_to_num(np.asarray(est_f0, dtype=np.float64).reshape(-1), nan=0.0)
    if abs(len(ref) - len(est)) > 2:
        raise ValueError(f"F0 tracks differ in length by more than 2 frames ({len(ref)} vs {len(est)}): "
                         "are they on the same frame grid (hop length, centring)?")
    if min(len(ref), len(est)) == 0:
        raise ValueError("empty F0 track")
    if np.any(ref < 0) or np.any(est < 0) or np.any(np.isinf(ref)) or np.any(np.isinf(est)):
        raise ValueError("F0 must be finite and >= 0 Hz (0 or NaN = unvoiced)")
    n = min(len(ref), len(est))
    return ref[:n], est[:n]


def vde(ref_f0, est_f0) -> float:
    """Voicing decision error: fraction of frames whose voiced/unvoiced decision differs.

    Taught in notebook 04; used again to score resynthesised speech in notebooks 06 and 07.

    Example
    -------
    >>> vde([0, 100, 100, 0], [0, 100, 0, 120])
    0.5
    """
    ref, est = _pair(ref_f0, est_f0)
    return float(np.mean((ref > 0) != (est > 0)))


def gpe(ref_f0, est_f0, threshold: float = 0.2) -> float:
    """Gross pitch error: among frames voiced in both, the fraction with ``|est/ref - 1| > threshold``.

    NaN when no frame is voiced in both tracks. Students write it in notebook 04; notebooks
    06 and 07 report it for resynthesised speech.

    Example
    -------
    >>> gpe([100, 100, 100, 0], [100, 205, 110, 100])
    0.3333333333333333
    """
    ref, est = _pair(ref_f0, est_f0)
    both = (ref > 0) & (est > 0)
    if not both.any():
        return float("nan")
    return float(np.mean(np.abs(est[both] / ref[both] - 1.0) > threshold))


def ffe(ref_f0, est_f0, threshold: float = 0.2) -> float:
    """F0 frame error: frames with a voicing error or a gross pitch error, over all frames.

    The paper's F0 score: taught in notebook 04, reported in notebooks 06, 06c and 07.

    Example
    -------
    >>> ffe([100, 100, 100, 0], [100, 205, 0, 0])
    0.5
    """
    ref, est = _pair(ref_f0, est_f0)
    both = (ref > 0) & (est > 0)
    gross = both & (np.abs(est / np.where(both, ref, 1.0) - 1.0) > threshold)
    return float(np.mean(((ref > 0) != (est > 0)) | gross))

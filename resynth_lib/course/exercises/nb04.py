"""Exercises of notebook 04 (``04_pitch_tracking``): fixed inputs, reference, hint.

Importing this module registers four exercises with :mod:`resynth_lib.course.checks`; the
notebook's self-check cells then call ``check("04.cmnd", cmnd)`` and so on. The references
are the library's own functions, and every input is a numpy array:

* the YIN pitch tracker: ``04.difference_function`` and ``04.cmnd``
  (:func:`resynth_lib.pitch.yin.difference_function`, :func:`resynth_lib.pitch.yin.cmnd`);
* the F0 error metrics: ``04.vde`` and ``04.gpe`` (:func:`resynth_lib.pitch.f0_metrics.vde`,
  :func:`resynth_lib.pitch.f0_metrics.gpe`).

The F0 VQ-VAE's exercises are in :mod:`resynth_lib.course.exercises.nb04b` (notebook 04b).

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.pitch import yin as pitch
>>> run_check("04.cmnd", pitch.cmnd).status
'pass'
>>> run_check("04.cmnd", lambda d: d / d.mean(axis=1, keepdims=True)).status   # not cumulative
'fail'
"""
from __future__ import annotations

import numpy as np

from resynth_lib.course.checks import Exercise, register
from resynth_lib.pitch import f0_metrics
from resynth_lib.pitch import yin as pitch


def _periodic_frames(seed: int, n_frames: int = 4, length: int = 400) -> np.ndarray:
    """Frames of harmonic signals at random F0 (100-300 Hz) plus a little noise (fixed seed)."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / 16000
    f0 = rng.uniform(100, 300, size=(n_frames, 1))
    frames = np.sin(2 * np.pi * f0 * t) + 0.5 * np.sin(4 * np.pi * f0 * t + rng.uniform(0, 6, size=(n_frames, 1)))
    return frames + 0.05 * rng.standard_normal(frames.shape)


# ------------------------------------------------------------- difference function
def _difference_cases():
    rng = np.random.default_rng(40)
    return [((np.array([[1.0, 0.0, 1.0, 0.0, 1.0, 0.0]]), 2), {}),
            ((np.array([[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]]), 3), {}),
            ((_periodic_frames(41), 160), {}),
            ((rng.standard_normal((3, 256)), 200), {})]


register(Exercise(
    "04.difference_function",
    reference=pitch.difference_function,
    cases=_difference_cases,
    hint="Steps: W is the frame length (frames.shape[1]) minus max_lag; for each tau in 0..max_lag, subtract the "
         "slice [:, tau:tau + W] from the slice [:, :W], square and sum over axis 1; collect the max_lag + 1 columns "
         "(fill a preallocated np.zeros((n_frames, max_lag + 1)), or np.stack with axis=1). Check: lag 0 gives 0, and "
         "for [1, 0, 1, 0, 1, 0] with max_lag 2 lag 2 gives 0 as well.",
    rtol=1e-6, atol=1e-6,
))


# ------------------------------------------------------------- CMND
def _cmnd_cases():
    return [((np.array([[0.0, 2.0, 0.0, 2.0]]),), {}),
            ((pitch.difference_function(_periodic_frames(42), 160),), {}),
            ((np.zeros((2, 10)),), {}),                                  # silent frames: all ones
            ((np.abs(np.random.default_rng(43).standard_normal((3, 50))),), {})]


register(Exercise(
    "04.cmnd",
    reference=pitch.cmnd,
    cases=_cmnd_cases,
    hint="Steps: np.cumsum of d[:, 1:] along axis 1 gives the running sums for tau = 1..max_lag; the lags themselves "
         "(1..max_lag) come from np.arange; start from np.ones_like(d); where the running sum is > 0, the value at "
         "tau is d times tau over the running sum (a boolean mask keeps you from dividing by 0). The checker has "
         "all-zero (silent) frames, which must come out as all ones.",
    rtol=1e-6, atol=1e-8,
))


# ------------------------------------------------------------- metrics
def _metric_cases():
    rng = np.random.default_rng(44)
    ref = np.where(rng.random(200) < 0.6, rng.uniform(80, 300, 200), 0.0)
    est = np.where(rng.random(200) < 0.8, ref * rng.choice([1.0, 1.05, 2.0, 0.5], 200, p=[.6, .2, .1, .1]), 0.0)
    est[rng.random(200) < 0.1] = 150.0
    return [((np.array([0, 100, 100, 0.0]), np.array([0, 100, 0, 120.0])), {}),
            ((np.array([100, 100, 100, 0.0]), np.array([100, 205, 110, 100.0])), {}),
            ((ref, est), {}),
            ((np.array([np.nan, 200, 200, 200.0]), np.array([0, 250, 239, 161.0])), {})]


register(Exercise(
    "04.vde",
    reference=f0_metrics.vde,
    cases=_metric_cases,
    hint="Steps: np.nan_to_num turns NaN (unvoiced) into 0 and a frame is voiced when its F0 > 0; crop both tracks to "
         "the shorter length; the voicing decision error is the fraction of frames whose two voiced flags differ "
         "(compare the boolean arrays with !=, then np.mean), returned as a float.",
    rtol=1e-9, atol=1e-12,
))

register(Exercise(
    "04.gpe",
    reference=f0_metrics.gpe,
    cases=_metric_cases,
    hint="Steps: np.nan_to_num turns NaN (unvoiced) into 0; crop both tracks to the shorter length; voiced means > 0, "
         "so the frames that count are where ref > 0 and est > 0 together (&); a gross error has a relative error "
         "abs(est / ref - 1) strictly greater than threshold; return float of the mean over the frames that count. "
         "The checker has a NaN in the reference and estimates 19.5 % and 25 % away from it.",
    rtol=1e-9, atol=1e-12,
))


__all__: list[str] = []

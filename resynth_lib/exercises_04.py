"""Exercises of notebook 04 (``04_pitch_and_f0_vqvae``): fixed inputs, reference, hint.

Importing this module registers ``04.difference_function``, ``04.cmnd``, ``04.vde`` and
``04.gpe`` with :mod:`resynth_lib.checks`; the notebook's self-check cells then call
``check("04.cmnd", cmnd)`` and so on. The references are the library's own
:func:`resynth_lib.pitch.difference_function`, :func:`resynth_lib.pitch.cmnd`,
:func:`resynth_lib.pitch.vde` and :func:`resynth_lib.pitch.gpe`.

Example
-------
>>> from resynth_lib.checks import run_check
>>> from resynth_lib import pitch
>>> run_check("04.cmnd", pitch.cmnd).status
'pass'
>>> run_check("04.cmnd", lambda d: d / d.mean(axis=1, keepdims=True)).status   # not cumulative
'fail'
"""
from __future__ import annotations

import numpy as np

from . import pitch
from .checks import Exercise, register


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
    hint="frames is (n_frames, N); with W = N - max_lag, d[:, tau] = sum over j < W of "
         "(frames[:, j] - frames[:, j + tau])**2 for tau = 0..max_lag; a loop over tau with "
         "vectorised sums over frames is fine (the library uses the FFT)",
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
    hint="out[:, 0] = 1; for tau >= 1 out[:, tau] = d[:, tau] * tau / np.cumsum(d[:, 1:], axis=1)[:, tau - 1]; "
         "where that running sum is 0 (silence) put 1",
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
    reference=pitch.vde,
    cases=_metric_cases,
    hint="voiced means f0 > 0 (treat NaN as unvoiced: np.nan_to_num); "
         "VDE = np.mean((ref > 0) != (est > 0))",
    rtol=1e-9, atol=1e-12,
))

register(Exercise(
    "04.gpe",
    reference=pitch.gpe,
    cases=_metric_cases,
    hint="keep only frames voiced in BOTH tracks (ref > 0 and est > 0, NaN = unvoiced); GPE is the "
         "fraction of those with abs(est / ref - 1) > 0.2 (strictly greater)",
    rtol=1e-9, atol=1e-12,
))


__all__: list[str] = []

"""Exercises of notebook 07 (``07_resynthesis_conversion_codec``): fixed inputs, reference, hint.

Importing this module registers the codec's two exercises with :mod:`resynth_lib.course.checks`:

* ``07.cross_entropy_bits`` -- bits per symbol an entropy coder fitted on other data
  spends (reference :func:`resynth_lib.evaluation.bitrate.cross_entropy_bits`);
* ``07.run_length_split`` -- a unit sequence as runs ``(values, lengths)``, long runs split
  (reference :func:`resynth_lib.content.unit_metrics.run_length_split`).

The judges' exercises are in :mod:`resynth_lib.course.exercises.nb07b` (notebook 07b).

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.content.unit_metrics import deduplicate, run_length_split
>>> from resynth_lib.evaluation.bitrate import cross_entropy_bits
>>> run_check("07.cross_entropy_bits", cross_entropy_bits).status
'pass'
>>> run_check("07.run_length_split", run_length_split).status
'pass'
>>> run_check("07.run_length_split", lambda units, max_run=16: deduplicate(units)).status   # long runs not split
'fail'
"""
from __future__ import annotations

import numpy as np

from resynth_lib.content.unit_metrics import run_length_split
from resynth_lib.course.checks import Exercise, register
from resynth_lib.evaluation.bitrate import cross_entropy_bits


def _bits_cases():
    rng = np.random.default_rng(9)
    skewed = rng.choice(20, 500, p=np.r_[0.5, np.full(19, 0.5 / 19)])
    return [(([0, 1], [0, 0, 1, 1], 2), {"smoothing": 0.0}), (([2], [0, 0, 1, 1], 4), {}),
            ((skewed[:100], skewed[100:], 20), {}), ((skewed[:100], skewed[100:], 20), {"smoothing": 2.0}),
            ((rng.integers(0, 100, 300), rng.integers(0, 100, 1000), 100), {})]


register(Exercise(
    "07.cross_entropy_bits",
    reference=cross_entropy_bits,
    cases=_bits_cases,
    hint="Steps: np.bincount of the flattened model_codes with minlength=k counts every symbol, zeros included; add "
         "smoothing; divide by the total; index the probabilities with the flattened codes and average -np.log2 of "
         "them; return float(...). The checker includes smoothing 0 and a code (2) that model_codes never uses.",
    rtol=1e-6, atol=1e-9,
))


def _run_cases():
    rng = np.random.default_rng(10)
    units = np.repeat(rng.integers(0, 500, 40), rng.integers(1, 45, 40))          # runs of 1 to 44 frames
    return [(([4, 4, 4, 4, 4, 9],), {"max_run": 2}), (([7],), {}), (([3] * 40,), {}), (([3] * 32,), {}),
            (([1, 2, 1, 2, 2],), {}), ((units,), {}), ((units,), {"max_run": 5})]


register(Exercise(
    "07.run_length_split",
    reference=run_length_split,
    cases=_run_cases,
    hint="Steps: a run ends at i when i is the last index + 1 or units[i] != units[start]; its length n = i - start "
         "is sent as pieces of min(n, max_run) frames, subtracting max_run each time until nothing is left, so 40 "
         "frames with max_run 16 give 16, 16, 8 (in that order) and 32 frames give 16, 16 (no empty piece). Each "
         "piece repeats the run's unit in values. The checker uses a single unit, runs of exactly 2 x max_run, "
         "max_run 2 and 5, and runs up to 44 frames long.",
))


__all__: list[str] = []

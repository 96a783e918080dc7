"""Exercises of notebook 03b (``03b_unit_quality``): fixed inputs, reference, hint.

Importing this module registers the two exercises that measure units against the phone
alignments with :mod:`resynth_lib.course.checks`:

* ``03b.phone_purity`` -- the frame accuracy of labelling every unit with its most common
  phone (reference :func:`resynth_lib.content.unit_metrics.phone_purity`);
* ``03b.pnmi`` -- phone-normalised mutual information, ``I(phone; unit) / H(phone)``
  (reference :func:`resynth_lib.content.unit_metrics.pnmi`).

Both take two equal-length label arrays ``(phones, units)`` and return a float.

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.content import unit_metrics as metrics
>>> run_check("03b.phone_purity", metrics.phone_purity).status
'pass'
>>> run_check("03b.phone_purity", metrics.cluster_purity).status      # the roles of phones and units swapped
'fail'
>>> run_check("03b.pnmi", metrics.pnmi).status
'pass'
"""
from __future__ import annotations

import numpy as np

from resynth_lib.content import unit_metrics as metrics
from resynth_lib.course.checks import Exercise, register


# ------------------------------------------------------------- phone purity
def _purity_cases():
    rng = np.random.default_rng(52)
    phones = rng.integers(8, size=1500)
    noisy = np.where(rng.random(1500) < 0.6, 3 * phones + rng.integers(3, size=1500), rng.integers(24, size=1500))
    big = np.where(rng.random(1500) < 0.8, phones // 2, rng.integers(4, size=1500))   # 4 units, 2 phones each
    return [
        ((np.array(["a", "a", "b", "b", "b"]), np.array([0, 1, 1, 1, 2])), {}),   # the docstring's example: 0.8
        ((np.array([0, 0, 1, 1]), np.array([5, 5, 9, 9])), {}),                  # one-to-one: 1
        ((np.array([3, 3, 3, 7]), np.array([1, 1, 1, 1])), {}),                  # one unit: the commonest phone's share
        ((phones, noisy), {}),
        ((phones, big + 100), {}),                                              # few large units; labels from 100
    ]


register(Exercise(
    "03b.phone_purity",
    reference=metrics.phone_purity,
    cases=_purity_cases,
    hint="Steps: np.unique(..., return_inverse=True) turns each label array into indices 0..P-1 and 0..U-1; "
         "np.add.at on a (P, U) table of zeros with the pair of index arrays counts the pairs; the maximum of each "
         "column (axis 0) is what that unit's label gets right; divide the sum of the column maxima by the number "
         "of frames (the table's total), not by the number of units. The checker uses string phones, a single unit "
         "and unit labels that start at 100.",
    rtol=1e-9, atol=1e-12,
))


# ------------------------------------------------------------- PNMI
def _pnmi_cases():
    rng = np.random.default_rng(51)
    phones = rng.integers(8, size=2000)
    noisy = np.where(rng.random(2000) < 0.7, 3 * phones + rng.integers(3, size=2000), rng.integers(24, size=2000))
    return [
        ((np.array([0, 0, 1, 1]), np.array([5, 5, 9, 9])), {}),                    # one-to-one: 1
        ((np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])), {}),                    # independent: 0
        ((np.array([0, 0, 0, 1]), np.array([0, 1, 1, 1])), {}),                    # worked on paper in the notebook
        ((phones, noisy), {}),                                                    # 3 units per phone, 30% noise
        ((phones, rng.integers(50, size=2000)), {}),                              # random units: near 0
    ]


register(Exercise(
    "03b.pnmi",
    reference=metrics.pnmi,
    cases=_pnmi_cases,
    hint="Steps: np.unique(..., return_inverse=True) turns the labels into indices 0..P-1 and 0..U-1; np.add.at on a "
         "(P, U) table of zeros with the pair of index arrays counts the pairs "
         "(table[i, j] += 1 with arrays counts a repeated pair only once); divide by the total; the marginals are "
         "sums over axis 1 (phones) and axis 0 (units); with nz the mask of non-zero cells, I is the sum over nz of "
         "joint * log(joint / np.outer(p_phone, p_unit)) and H minus the sum of p_phone log p_phone. The checker "
         "includes one-to-one labels (PNMI 1) and independent ones (PNMI 0).",
    rtol=1e-6, atol=1e-9,
))


__all__: list[str] = []

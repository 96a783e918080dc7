"""Exercises of notebook 04b (``04b_f0_vqvae``): fixed inputs, reference, hint.

Importing this module registers the F0 VQ-VAE codebook's two exercises with
:mod:`resynth_lib.course.checks`: ``04b.nearest_codes`` (the VQ step) and ``04b.ema_update``
(one EMA codebook update); the references are :func:`resynth_lib.pitch.codebook.nearest_codes`
and :func:`resynth_lib.pitch.codebook.ema_update`.

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.pitch import codebook as codebook_mod
>>> run_check("04b.nearest_codes", codebook_mod.nearest_codes).status
'pass'
>>> run_check("04b.nearest_codes", lambda z, codebook: np.zeros(len(z), int)).status   # always code 0
'fail'
>>> run_check("04b.ema_update", codebook_mod.ema_update).status
'pass'
"""
from __future__ import annotations

import numpy as np

from resynth_lib.course.checks import Exercise, register
from resynth_lib.pitch import codebook as codebook_mod


def _clustered(n: int, d: int, K: int, seed: int):
    """``n`` vectors near ``K`` codes in ``d`` dimensions, and the (perturbed) codebook."""
    rng = np.random.default_rng(seed)
    codebook = 2.0 * rng.standard_normal((K, d))
    z = codebook[rng.integers(K, size=n)] + 0.5 * rng.standard_normal((n, d))
    return z, codebook + 0.1 * rng.standard_normal((K, d))


# ------------------------------------------------------------- the VQ step
def _nearest_cases():
    return [
        ((np.array([[0.1, 0.0], [0.9, 1.2], [-3.0, 0.5]]), np.array([[0.0, 0.0], [1.0, 1.0], [-2.0, 0.0]])), {}),
        (_clustered(50, 4, 20, 41), {}),
        (_clustered(200, 64, 20, 42), {}),
        ((np.array([[10.0, 10.0]]), np.array([[0.0, 0.0], [9.0, 9.0], [20.0, 20.0]])), {}),
    ]


register(Exercise(
    "04b.nearest_codes",
    reference=codebook_mod.nearest_codes,
    cases=_nearest_cases,
    hint="Steps: either broadcast z[:, None, :] against codebook[None, :, :], square and sum over the last axis, or "
         "expand the square: |e|^2 as a (1, K) row minus 2 z @ codebook.T (|z|^2 is the same for every code); then "
         "np.argmin along axis 1, which returns the first minimum, so ties go to the lower index. Work in float64: "
         "the checker compares the indices exactly.",
    rtol=0.0, atol=0.0,
))


# ------------------------------------------------------------- one EMA update
def _ema_cases():
    cases = [((np.zeros((2, 1)), np.ones(2), np.zeros((2, 1)), np.array([[4.0], [6.0]]), np.array([1, 1])),
              {"decay": 0.5})]
    for n, d, K, seed in [(64, 3, 5, 51), (300, 8, 20, 52)]:
        rng = np.random.default_rng(seed)
        z, codebook = _clustered(n, d, K, seed)
        size = rng.uniform(0.5, 5.0, K)
        total = codebook * size[:, None]
        codes = codebook_mod.nearest_codes(z, codebook)
        cases.append(((codebook, size, total, z, codes), {"decay": 0.99}))
    z, codebook = _clustered(20, 2, 4, 53)                      # codes 2 and 3 get no vectors
    cases.append(((codebook, np.ones(4), codebook.copy(), z, np.arange(20) % 2), {"decay": 0.9}))
    return cases


register(Exercise(
    "04b.ema_update",
    reference=codebook_mod.ema_update,
    cases=_ema_cases,
    hint="Steps: np.eye(K)[codes] is the (N, K) one-hot matrix; its column sums are the batch counts and its "
         "transpose times z the (K, D) batch sums; the new value is decay * old + (1 - decay) * batch, for the counts "
         "and for the sums; with n the total of the new counts, the smoothed count is (count + eps) / (n + K * eps) * "
         "n; the new codebook divides the sums by the smoothed counts as a column ([:, None]). The checker has codes "
         "that no vector chose: their counts and sums only decay.",
    rtol=1e-6, atol=1e-9,
))



__all__: list[str] = []

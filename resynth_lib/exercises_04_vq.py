"""Exercises of notebook 04 (``04_pitch_and_f0_vqvae``), VQ-VAE part: fixed inputs, reference, hint.

Importing this module registers ``04.nearest_codes`` (the VQ step) and ``04.ema_update``
(one EMA codebook update) with :mod:`resynth_lib.checks`; the notebook's self-check cells
call ``check("04.nearest_codes", nearest_codes)`` and so on. The references are
:func:`resynth_lib.vqvae.nearest_codes` and :func:`resynth_lib.vqvae.ema_update`; inputs
are numpy arrays.

Example
-------
>>> from resynth_lib.checks import run_check
>>> from resynth_lib import vqvae
>>> run_check("04.nearest_codes", vqvae.nearest_codes).status
'pass'
>>> run_check("04.nearest_codes", lambda z, codebook: np.zeros(len(z), int)).status   # always code 0
'fail'
>>> run_check("04.ema_update", vqvae.ema_update).status
'pass'
"""
from __future__ import annotations

import numpy as np

from . import vqvae
from .checks import Exercise, register


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
    "04.nearest_codes",
    reference=vqvae.nearest_codes,
    cases=_nearest_cases,
    hint="z is (N, D), codebook (K, D): build the (N, K) matrix of squared distances "
         "((z[:, None, :] - codebook[None, :, :]) ** 2).sum(-1) and return its argmin along axis 1",
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
        codes = vqvae.nearest_codes(z, codebook)
        cases.append(((codebook, size, total, z, codes), {"decay": 0.99}))
    z, codebook = _clustered(20, 2, 4, 53)                      # codes 2 and 3 get no vectors
    cases.append(((codebook, np.ones(4), codebook.copy(), z, np.arange(20) % 2), {"decay": 0.9}))
    return cases


register(Exercise(
    "04.ema_update",
    reference=vqvae.ema_update,
    cases=_ema_cases,
    hint="onehot = np.eye(K)[codes]; n_k = onehot.sum(0); s_k = onehot.T @ z; "
         "cluster_size = decay * cluster_size + (1 - decay) * n_k; embed_sum = decay * embed_sum + (1 - decay) * s_k; "
         "n = cluster_size.sum(); N_k = (cluster_size + eps) / (n + K * eps) * n; "
         "return (embed_sum / N_k[:, None], cluster_size, embed_sum)",
    rtol=1e-6, atol=1e-9,
))


__all__: list[str] = []

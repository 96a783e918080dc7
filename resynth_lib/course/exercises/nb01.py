"""Exercises of notebook 01 (``01_latent_factors_and_gmms``): fixed inputs, reference, hint.

Importing this module registers ``01.log_sum_exp``, ``01.e_step``, ``01.m_step`` and
``01.als_update`` with :mod:`resynth_lib.course.checks`; the notebook's self-check cells then call
``check("01.e_step", e_step)`` and so on. The references are the library's own
:func:`resynth_lib.concepts.gmm_em.logsumexp`, :func:`resynth_lib.concepts.gmm_em.e_step`,
:func:`resynth_lib.concepts.gmm_em.m_step` (full covariances, ``reg_covar=1e-6``) and
:func:`resynth_lib.concepts.factors.als_update_users`.

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.concepts import gmm_em
>>> run_check("01.log_sum_exp", gmm_em.logsumexp).status
'pass'
>>> run_check("01.log_sum_exp", lambda a, axis: np.max(a, axis=axis)).status   # only the largest term
'fail'
"""
from __future__ import annotations

import numpy as np

from resynth_lib.concepts import factors, gmm_em
from resynth_lib.course.checks import Exercise, register


def _blobs(n: int, d: int, K: int, seed: int) -> np.ndarray:
    """``n`` points in ``d`` dimensions around ``K`` well separated centres (fixed seed)."""
    rng = np.random.default_rng(seed)
    centres = 4.0 * rng.standard_normal((K, d))
    return centres[rng.integers(K, size=n)] + rng.standard_normal((n, d))


def _full_params(d: int, K: int, seed: int):
    """Weights, means and (random, positive definite) full covariances for the E-step cases."""
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(K))
    means = 3.0 * rng.standard_normal((K, d))
    A = rng.standard_normal((K, d, d))
    covariances = A @ A.transpose(0, 2, 1) / d + 0.3 * np.eye(d)
    return weights, means, covariances


def _soft_resp(n: int, K: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.ones(K), size=n)


# ------------------------------------------------------------- log-sum-exp
def _log_sum_exp_cases():
    rng = np.random.default_rng(10)
    return [
        ((np.array([[0.0, 0.0], [1.0, 2.0]]),), {"axis": 1}),
        ((np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -1002.0]]),), {"axis": 1}),  # overflow/underflow
        ((rng.normal(0, 50, size=(4, 6)),), {"axis": 0}),
        ((np.array([[-np.inf, 0.0, 1.0], [3.0, -np.inf, -np.inf]]),), {"axis": 1}),           # log 0 entries
    ]


register(Exercise(
    "01.log_sum_exp",
    reference=gmm_em.logsumexp,
    cases=_log_sum_exp_cases,
    hint="Steps: np.max with keepdims=True gives the shift m (it broadcasts against a); where m is not finite "
         "(np.isfinite), use 0 instead (np.where); np.exp of a minus m, summed over the axis, then np.log; add m back "
         "with the kept axis removed (np.squeeze). A with np.errstate block can silence the log(0) warning. The "
         "checker uses entries of +/-1000 (the naive formula overflows or gives log 0) and rows with -inf entries, "
         "which must not give NaN.",
    rtol=1e-7, atol=1e-9,
))


# ------------------------------------------------------------- E-step
def _e_step_full(X, weights, means, covariances):
    return gmm_em.e_step(X, weights, means, covariances, covariance_type="full")


def _e_step_cases():
    cases = [((np.array([[-1.0], [0.0], [1.0]]), np.array([0.5, 0.5]), np.array([[-1.0], [1.0]]),
               np.ones((2, 1, 1))), {})]
    for n, d, K, seed in [(50, 2, 3, 11), (40, 5, 4, 12)]:
        X = _blobs(n, d, K, seed)
        cases.append(((X, *_full_params(d, K, seed + 100)), {}))
    # some points far from every mean: their densities underflow to 0 outside the log domain
    mixed = np.concatenate([_blobs(8, 2, 2, 13), 40.0 * np.array([[1.0, 1.0], [-1.0, 2.0], [2.0, -1.5]])])
    cases.append(((mixed, *_full_params(2, 2, 14)), {}))
    return cases


register(Exercise(
    "01.e_step",
    reference=_e_step_full,
    cases=_e_step_cases,
    hint="Steps, for each component k: factor the covariance with np.linalg.cholesky (lower triangular L); solve L "
         "y = (X - means[k]).T with np.linalg.solve, y is (d, n), and the Mahalanobis distance of each point is its "
         "column's sum of squares; the log-determinant is twice the sum of np.log of the diagonal of L; log N = -0.5 "
         "(d log 2 pi + log det + Mahalanobis), plus the log of weights[k]. Then log p(x) is log_sum_exp over axis 1, "
         "the responsibilities np.exp of the log joint minus log p(x) as a column, and the second output "
         "float(mean of log p(x)). The checker has points 40 units from every mean: their densities underflow to 0 "
         "outside logs.",
    rtol=1e-6, atol=1e-8,
))


# ------------------------------------------------------------- M-step
def _m_step_full(X, resp):
    return gmm_em.m_step(X, resp, covariance_type="full", reg_covar=1e-6)


def _m_step_cases():
    X0 = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [12.0, 8.0]])
    hard = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    return [((X0, hard), {}),
            ((_blobs(60, 2, 3, 21), _soft_resp(60, 3, 22)), {}),
            ((_blobs(80, 4, 2, 23), _soft_resp(80, 2, 24)), {})]


register(Exercise(
    "01.m_step",
    reference=_m_step_full,
    cases=_m_step_cases,
    hint="Steps: sum resp over the points (axis 0) for N_k, shape (K,); the weights are N_k / n; all means at once "
         "with one matrix product, resp.T @ X (K, d), divided by N_k as a column (N_k[:, None]); for each k, centre X "
         "on means[k], weight the centred rows by resp[:, k] (as a column, resp[:, k, None]), multiply the transpose "
         "of the weighted rows by the unweighted ones, divide by N_k[k] and add 1e-6 * np.eye(d). The first input has "
         "hard 0/1 responsibilities: there the answer is each cluster's mean and biased covariance (divided by N_k).",
    rtol=1e-6, atol=1e-8,
))


# ------------------------------------------------------------- ALS update
def _als_cases():
    rng = np.random.default_rng(31)
    R = rng.integers(1, 6, size=(8, 6)).astype(float)
    R[rng.random(R.shape) < 0.25] = np.nan
    V_small = np.array([[1.9, 0.2], [1.8, 0.4], [0.4, 2.0], [0.7, 1.9], [1.5, 1.4]])
    return [((factors.RATINGS, V_small, 0.1), {}),
            ((R, rng.standard_normal((8, 3)), 0.5), {}),
            ((R, rng.standard_normal((8, 2)), 0.0), {})]


register(Exercise(
    "01.als_update",
    reference=factors.als_update_users,
    cases=_als_cases,
    hint="R is (items, users) with NaN where a rating is missing, V is (items, rank); return U (users, rank). For "
         "each user u: the rated items are ~np.isnan of column u; with A the rows of V for those items and y their "
         "ratings, the ridge solution x solves (A^T A + lam I) x = A^T y: np.linalg.solve with np.eye(rank) for I. "
         "The checker includes lam = 0 and a different NaN pattern for every user, so the mask must be rebuilt per "
         "user.",
    rtol=1e-6, atol=1e-8,
))


__all__: list[str] = []

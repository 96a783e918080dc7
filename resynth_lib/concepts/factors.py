"""Latent factors (潛在因素) of a ratings matrix, found by alternating least squares (ALS).

Taught in notebook 01 (``01_latent_factors_and_gmms``), the seed slides' example: a few
viewers rate a few films; nobody wrote down *why* they like what they like, yet the
ratings are explained by two hidden tastes -- how much of a romance and how much of an
action film each film is, and how much each viewer cares for each. Matrix factorisation
finds them from the ratings alone:

    R[i, u]  ~  V[i] . U[u]        R (films x viewers), V (films x rank), U (viewers x rank)

Missing ratings are ``NaN``; they are left out of the fit and predicted afterwards by
``V @ U.T``. ALS alternates two ridge regressions, each solved exactly, so the regularised
objective never goes up:

* fix the film factors ``V``, and for each viewer ``u`` solve
  ``U[u] = (V_o^T V_o + lam I)^-1 V_o^T r_o`` over the films ``o`` that viewer rated
  (:func:`als_update_users`; a notebook exercise);
* fix ``U`` and do the same for every film (:func:`als_update_items`).

Example
-------
>>> V, U, history = als_factorise(RATINGS, rank=2, lam=0.1, n_iter=50, seed=0)
>>> (V @ U.T).shape
(5, 4)
>>> bool(history["rmse"][-1] < 0.3)
True
"""
from __future__ import annotations

import numpy as np

#: The films (rows of :data:`RATINGS`) and the genre each one stands for.
FILMS = ("Pride & Prejudice", "Notting Hill", "Die Hard", "Mad Max: Fury Road", "Mr. & Mrs. Smith")
GENRES = ("romance", "romance", "action", "action", "romance + action")
#: The viewers (columns of :data:`RATINGS`).
VIEWERS = ("Ana", "Ben", "Chen", "Dana")

#: Ratings 1-5 of 5 films (rows) by 4 viewers (columns); Ana never rated Mad Max (NaN).
#: Ana likes romance, Ben action, Chen both, Dana mostly action: two taste factors.
RATINGS = np.array([
    # Ana  Ben  Chen  Dana
    [5.0, 1.0, 4.0, 2.0],     # Pride & Prejudice
    [5.0, 2.0, 4.0, 2.0],     # Notting Hill
    [1.0, 5.0, 4.0, 4.0],     # Die Hard
    [np.nan, 5.0, 4.0, 4.0],  # Mad Max: Fury Road
    [4.0, 4.0, 5.0, 4.0],     # Mr. & Mrs. Smith
])


def _check_ratings(R) -> np.ndarray:
    R = np.asarray(R, dtype=np.float64)
    if R.ndim != 2:
        raise ValueError(f"ratings must be a 2-D matrix (items x users), got shape {R.shape}")
    if np.any(np.isinf(R)):
        raise ValueError("ratings contain inf; mark missing ratings with NaN")
    if not np.any(np.isfinite(R)):
        raise ValueError("ratings have no observed entry (all NaN)")
    return R


def als_update_users(R, V, lam: float) -> np.ndarray:
    """One ALS half-step: the best user factors ``U`` ``(n_users, rank)`` for fixed item factors ``V``.

    ``R`` is ``(n_items, n_users)`` with ``NaN`` for missing ratings, ``V`` is
    ``(n_items, rank)``. For each user (column) ``u`` with observed items ``o``::

        U[u] = (V[o].T @ V[o] + lam * I)^-1  V[o].T @ R[o, u]

    the ridge-regression solution minimising ``|R[o, u] - V[o] U[u]|^2 + lam |U[u]|^2``.
    A user with no ratings gets zeros. Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> R = np.array([[2.0, 4.0], [1.0, np.nan]])
    >>> als_update_users(R, np.array([[2.0], [1.0]]), lam=0.0)
    array([[1.],
           [2.]])
    """
    R = _check_ratings(R)
    V = np.asarray(V, dtype=np.float64)
    if V.ndim != 2 or V.shape[0] != R.shape[0]:
        raise ValueError(f"V must be (n_items, rank) = ({R.shape[0]}, rank) for R of shape {R.shape}, got {V.shape}")
    rank = V.shape[1]
    U = np.zeros((R.shape[1], rank))
    for u in range(R.shape[1]):
        observed = ~np.isnan(R[:, u])
        if not observed.any():
            continue
        Vo = V[observed]
        U[u] = np.linalg.solve(Vo.T @ Vo + lam * np.eye(rank), Vo.T @ R[observed, u])
    return U


def als_update_items(R, U, lam: float) -> np.ndarray:
    """The other ALS half-step: item factors ``V`` ``(n_items, rank)`` for fixed user factors ``U``.

    The same ridge regression with the roles swapped: ``als_update_users(R.T, U, lam)``.
    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> als_update_items(np.array([[2.0, 4.0]]), np.array([[1.0], [2.0]]), lam=0.0)
    array([[2.]])
    """
    return als_update_users(np.asarray(R, dtype=np.float64).T, U, lam)


def observed_rmse(R, V, U) -> float:
    """Root-mean-square error of ``V @ U.T`` over the observed (non-NaN) entries of ``R``.

    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> observed_rmse(np.array([[1.0, np.nan]]), np.ones((1, 1)), np.ones((2, 1)))
    0.0
    """
    R = _check_ratings(R)
    observed = ~np.isnan(R)
    return float(np.sqrt(np.mean((R - V @ U.T)[observed] ** 2)))


def als_objective(R, V, U, lam: float) -> float:
    """The quantity ALS minimises: squared error on observed entries + ``lam (|U|^2 + |V|^2)``.

    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> als_objective(np.array([[3.0]]), np.ones((1, 1)), np.ones((1, 1)), lam=0.5)
    5.0
    """
    R = _check_ratings(R)
    observed = ~np.isnan(R)
    err = np.sum((R - V @ U.T)[observed] ** 2)
    return float(err + lam * (np.sum(U ** 2) + np.sum(V ** 2)))


def als_factorise(R, rank: int = 2, lam: float = 0.1, n_iter: int = 50, seed: int = 0):
    """Factorise ``R ~ V @ U.T`` by alternating least squares, ignoring ``NaN`` entries.

    Starts from small random factors (``seed``) and does ``n_iter`` rounds of
    :func:`als_update_users` then :func:`als_update_items`. Returns ``(V, U, history)``:
    item factors ``(n_items, rank)``, user factors ``(n_users, rank)`` and a dict with the
    ``"objective"`` (:func:`als_objective`) and the observed ``"rmse"`` after every round.
    Predicted ratings, the missing ones included, are ``V @ U.T``. The factors are only
    defined up to an invertible mix of their columns: read them as tastes only after
    looking at which films load on which column.
    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> V, U, history = als_factorise(RATINGS, rank=2, lam=0.1, n_iter=30, seed=0)
    >>> bool(np.all(np.diff(history["objective"]) <= 1e-9))
    True
    """
    R = _check_ratings(R)
    if rank < 1:
        raise ValueError(f"rank must be at least 1, got {rank}")
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    rng = np.random.default_rng(seed)
    V = 0.5 * rng.standard_normal((R.shape[0], rank)) + np.sqrt(np.nanmean(R) / rank)
    U = np.zeros((R.shape[1], rank))
    history = {"objective": [], "rmse": []}
    for _ in range(n_iter):
        U = als_update_users(R, V, lam)
        V = als_update_items(R, U, lam)
        history["objective"].append(als_objective(R, V, U, lam))
        history["rmse"].append(observed_rmse(R, V, U))
    return V, U, history


__all__ = ["FILMS", "GENRES", "VIEWERS", "RATINGS", "als_update_users", "als_update_items",
           "observed_rmse", "als_objective", "als_factorise"]

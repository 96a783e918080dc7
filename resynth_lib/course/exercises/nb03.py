"""Exercises of notebook 03 (``03_discrete_units_kmeans``): fixed inputs, reference, hint.

Importing this module registers ``03.assign_clusters`` (the k-means assignment step) and
``03.update_centroids`` (the update step, with the empty-cluster rule) with
:mod:`resynth_lib.course.checks`; the notebook's self-check cells call
``check("03.assign_clusters", assign_clusters)`` and so on. The references are
:func:`resynth_lib.content.kmeans.assign_clusters` and
:func:`resynth_lib.content.kmeans.update_centroids`, so the student's functions have the same
signatures and return the same things: ``assign_clusters(X, centroids) -> (labels, squared
distance to the chosen centroid)`` (the tuple, so it drops into the notebook's Lloyd loop) and
``update_centroids(X, labels, centroids) -> (new_centroids, number_of_empty_clusters)``;
inputs are numpy arrays.

The exercises that measure the units are in :mod:`resynth_lib.course.exercises.nb03b` (notebook 03b).

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.content import kmeans
>>> run_check("03.assign_clusters", kmeans.assign_clusters).status
'pass'
>>> run_check("03.assign_clusters", lambda X, C: (np.zeros(len(X), int), np.zeros(len(X)))).status  # always 0
'fail'
>>> run_check("03.update_centroids", kmeans.update_centroids).status
'pass'
"""
from __future__ import annotations

import numpy as np

from resynth_lib.content import kmeans
from resynth_lib.course.checks import Exercise, register


def _blobs(n: int, d: int, K: int, seed: int):
    """``n`` points around ``K`` centres in ``d`` dimensions, and perturbed centres as centroids."""
    rng = np.random.default_rng(seed)
    centres = 3.0 * rng.standard_normal((K, d))
    X = centres[rng.integers(K, size=n)] + rng.standard_normal((n, d))
    return X, centres + 0.3 * rng.standard_normal((K, d))


# ------------------------------------------------------------- the assignment step
def _assign_cases():
    return [
        ((np.array([[0.1], [0.9], [5.0]]), np.array([[0.0], [1.0]])), {}),
        (_blobs(40, 2, 3, 31), {}),
        (_blobs(300, 39, 20, 32), {}),
        ((np.array([[10.0, 10.0]]), np.array([[0.0, 0.0], [9.0, 9.0], [20.0, 20.0]])), {}),
    ]


register(Exercise(
    "03.assign_clusters",
    reference=kmeans.assign_clusters,
    cases=_assign_cases,
    hint="Steps: the squared norms of the points as a column (N, 1), those of the centroids as a row (1, K), and the "
         "cross term X @ centroids.T (N, K) combine into |x|^2 - 2 x.mu + |mu|^2; clip with np.maximum(..., 0); "
         "labels from .argmin(1); pick each row's distance at its label with fancy indexing "
         "(np.arange(N) for the rows) or np.take_along_axis. Return a tuple (labels, distances), both of length N.",
    rtol=1e-6, atol=1e-8,
))


# ------------------------------------------------------------- the update step
def _update_cases():
    cases = [((np.array([[0.0], [2.0], [10.0]]), np.array([0, 0, 0]), np.array([[1.0], [50.0]])), {})]
    for n, d, K, seed in [(60, 2, 4, 41), (400, 13, 25, 42)]:
        X, C = _blobs(n, d, K, seed)
        cases.append(((X, kmeans.assign_clusters(X, C)[0], C), {}))
    X, C = _blobs(50, 3, 5, 43)                                 # clusters 3 and 4 get no points
    cases.append(((X, np.arange(50) % 3, C), {}))
    return cases


register(Exercise(
    "03.update_centroids",
    reference=kmeans.update_centroids,
    cases=_update_cases,
    hint="Steps: np.bincount with minlength K counts the points per cluster; np.add.at on a (K, D) array of zeros "
         "adds every point's row into its cluster's row; divide where the count is > 0 and keep the old centroid "
         "elsewhere. Empty clusters: np.flatnonzero of count == 0; each point's squared distance to new[labels], "
         "summed over the coordinates; order the points by np.argsort of minus that distance with kind='stable' "
         "(ties keep index order); the first len(empty) of them become the empty centroids, in index order. The "
         "checker has a case where clusters 3 and 4 get no points.",
    rtol=1e-6, atol=1e-9,
))


__all__: list[str] = []

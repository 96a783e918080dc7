"""k-means from scratch: k-means++ seeding, Lloyd's algorithm and mini-batch k-means.

The paper turns the frames of a self-supervised speech model into discrete *units* by
k-means with K = 100: every frame is replaced by the index of its nearest centroid.
This module is that quantiser, vectorised in numpy:

* :func:`kmeans_plus_plus` -- seeding: each new centroid is drawn with probability
  proportional to the squared distance to the nearest centroid chosen so far;
* :func:`assign_clusters` -- the assignment step (nearest centroid of every point);
* :func:`cluster_sums` -- per-cluster sums of points (``np.bincount``, fast);
* :func:`update_centroids` -- the update step (mean of each cluster; an *empty* cluster
  is re-seeded at the point farthest from its centroid, so no centroid is wasted);
* :class:`KMeans` -- Lloyd's algorithm (alternate the two steps until the inertia stops
  falling) with ``n_init`` restarts; :class:`MiniBatchKMeans` -- the same objective
  from small random batches with per-centroid learning rates, for large feature sets.

The inertia (sum of squared distances of points to their centroid) never increases
under Lloyd's algorithm: both steps can only lower it. ``inertia_history_`` records it.
Taught in notebook 03 (``03_discrete_units_kmeans``); used by notebook 02b to make the
HuBERT-style targets.
"""
from __future__ import annotations

import numpy as np

CHUNK = 8192  # rows per block when computing distances, to bound memory


def _check_points(X, name: str = "X") -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (points x features), got shape {X.shape}")
    if len(X) == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return X if X.dtype in (np.float32, np.float64) else X.astype(np.float64)


def squared_distances(X, centroids) -> np.ndarray:
    """``(N, K)`` squared Euclidean distances, via ``|x|^2 - 2 x.c + |c|^2`` (clipped at 0).

    One matrix product instead of a loop over centroids; rounding can make the formula
    slightly negative, hence the clip. Both k-means steps of notebook 03 rest on it.

    Example
    -------
    >>> squared_distances(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 0.0]])).ravel().tolist()
    [0.0, 25.0]
    """
    X = np.asarray(X)
    return _squared_distances(X, centroids, (X * X).sum(1))


def _squared_distances(X, centroids, x_squared) -> np.ndarray:
    """:func:`squared_distances` with the ``|x|^2`` of the rows given (k-means++ reuses them)."""
    C = np.asarray(centroids)
    d = X @ C.T                      # in place from here on: one (N, K) array, no temporaries
    d *= -2.0
    d += x_squared[:, None]
    d += (C * C).sum(1)[None, :]
    return np.maximum(d, 0.0, out=d)


def assign_clusters(X, centroids):
    """The assignment step: ``(labels, squared distance to the chosen centroid)``.

    Taught in notebook 03 (``03_discrete_units_kmeans``).

    >>> labels, d2 = assign_clusters(np.array([[0.1], [0.9], [5.0]]), np.array([[0.0], [1.0]]))
    >>> labels.tolist(), np.round(d2, 2).tolist()
    ([0, 1, 1], [0.01, 0.01, 16.0])
    """
    X = np.asarray(X)
    labels = np.empty(len(X), dtype=np.int64)
    best = np.empty(len(X), dtype=np.float64)
    for start in range(0, len(X), CHUNK):
        d = squared_distances(X[start:start + CHUNK], centroids)
        nearest = d.argmin(1)
        labels[start:start + CHUNK] = nearest
        best[start:start + CHUNK] = np.take_along_axis(d, nearest[:, None], 1)[:, 0]
    return labels, best


def cluster_sums(X, labels, K: int) -> np.ndarray:
    """``(K, D)`` float64 sums of the rows of ``X`` in each cluster.

    One ``np.bincount`` per feature: it adds the rows in the same order as
    ``np.add.at(sums, labels, X)`` (so the same floating-point result) about 10x faster.
    The update step of notebook 03 divides these by the cluster sizes.

    Example
    -------
    >>> cluster_sums(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([1, 0, 1]), 3).tolist()
    [[3.0, 4.0], [6.0, 8.0], [0.0, 0.0]]
    """
    X = np.asarray(X)
    sums = np.empty((K, X.shape[1]), dtype=np.float64)
    for j in range(X.shape[1]):
        sums[:, j] = np.bincount(labels, weights=X[:, j], minlength=K)
    return sums


def update_centroids(X, labels, centroids):
    """The update step: each centroid moves to the mean of its points.

    A centroid that lost all its points is moved onto the point that is currently
    farthest from its own centroid (then the second farthest, ...), which splits the
    worst-fitted cluster instead of leaving a dead centroid. Returns
    ``(new_centroids, number_of_empty_clusters)``. Taught in notebook 03.

    >>> X = np.array([[0.0], [2.0], [10.0]])
    >>> new, empty = update_centroids(X, np.array([0, 0, 0]), np.array([[1.0], [50.0]]))
    >>> new.ravel().tolist(), empty
    ([4.0, 10.0], 1)
    """
    X = np.asarray(X)
    old = np.asarray(centroids)
    labels = np.asarray(labels)
    K = len(old)
    if labels.shape != (len(X),):
        raise ValueError(f"labels has shape {labels.shape}; expected one label per row of X ({len(X)},)")
    if len(labels) and (labels.min() < 0 or labels.max() >= K):
        raise ValueError(f"labels must lie in 0..{K - 1} (one per centroid), got {labels.min()}..{labels.max()}")
    counts = np.bincount(labels, minlength=K)
    sums = cluster_sums(X, labels, K)
    new = old.astype(np.float64).copy()
    filled = counts > 0
    new[filled] = sums[filled] / counts[filled, None]
    empty = np.flatnonzero(~filled)
    if len(empty):
        d2 = ((X - new[labels]) ** 2).sum(1)
        farthest = np.argsort(-d2, kind="stable")[:len(empty)]
        new[empty] = X[farthest]
    return new.astype(old.dtype), len(empty)


def kmeans_plus_plus(X, K: int, rng=None, local_trials: int = 1) -> np.ndarray:
    """k-means++ seeding (Arthur & Vassilvitskii, 2007): ``K`` rows of ``X`` as initial centroids.

    The first centroid is a uniformly random point; each next one is drawn with
    probability proportional to ``D(x)^2``, the squared distance from ``x`` to the
    nearest centroid already chosen. With ``local_trials = L > 1`` (*greedy* k-means++,
    scikit-learn's default with ``L = 2 + ln K``), each step draws ``L`` candidates that way
    and keeps the one that lowers the total ``sum D(x)^2`` most. Taught in notebook 03.

    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.1, 10.0]])
    >>> C = kmeans_plus_plus(X, 2, rng=0)
    >>> sorted(np.round(C[:, 0]).tolist())   # one seed in each far-apart group
    [0.0, 10.0]
    """
    X = _check_points(X)
    if not 1 <= K <= len(X):
        raise ValueError(f"K={K} must be between 1 and the number of points ({len(X)})")
    rng = np.random.default_rng(rng)
    centroids = np.empty((K, X.shape[1]), dtype=X.dtype)
    idx = rng.integers(len(X))
    centroids[0] = X[idx]
    x_squared = (X * X).sum(1)
    closest = _squared_distances(X, centroids[:1], x_squared).ravel()
    chosen = np.zeros(len(X), dtype=bool)
    chosen[idx] = True
    for k in range(1, K):
        total = closest.sum()
        if total <= 0:  # every point sits on a centroid (fewer distinct points than K): any new one will do
            idx = int(rng.choice(np.flatnonzero(~chosen)))
        elif local_trials <= 1:
            idx = min(int(np.searchsorted(np.cumsum(closest), rng.random() * total)), len(X) - 1)
        else:  # greedy: the candidate that leaves the smallest total squared distance
            draws = np.searchsorted(np.cumsum(closest), rng.random(local_trials) * total)
            candidates = np.minimum(draws, len(X) - 1)
            d = _squared_distances(X, X[candidates], x_squared)
            idx = int(candidates[np.argmin(np.minimum(closest[:, None], d).sum(0))])
        if chosen[idx]:  # rounding (float32 sums, clipping at the end) landed on a chosen point:
            idx = int(np.argmax(np.where(chosen, -np.inf, closest)))  # take the farthest unchosen one
        chosen[idx] = True
        centroids[k] = X[idx]
        np.minimum(closest, _squared_distances(X, centroids[k:k + 1], x_squared).ravel(), out=closest)
    return centroids


class KMeans:
    """k-means by Lloyd's algorithm with k-means++ seeding and ``n_init`` restarts.

    After :meth:`fit`: ``cluster_centers_`` (K, D), ``labels_``, ``inertia_`` (sum of
    squared distances, the objective), ``n_iter_`` and ``inertia_history_`` of the kept
    run (non-increasing). ``predict`` assigns new points. ``init`` is ``"k-means++"``
    (greedy with ``local_trials`` candidates per step, default ``2 + ln K``; 1 = plain),
    ``"random"`` (K distinct random points) or an array of initial centroids.
    Taught in notebook 03 (``03_discrete_units_kmeans``).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(m, 0.1, size=(50, 2)) for m in (0.0, 5.0, 10.0)])
    >>> km = KMeans(3, seed=0).fit(X)
    >>> sorted(np.round(km.cluster_centers_[:, 0]).astype(int).tolist())
    [0, 5, 10]
    >>> bool(np.all(np.diff(km.inertia_history_) <= 1e-9))
    True
    """

    def __init__(self, n_clusters: int = 100, init="k-means++", n_init: int = 1, max_iter: int = 100,
                 tol: float = 1e-4, seed: int | None = 0, local_trials: int | None = None):
        self.n_clusters, self.init, self.n_init = n_clusters, init, n_init
        self.max_iter, self.tol, self.seed = max_iter, tol, seed
        self.local_trials = local_trials

    @property
    def seeding_trials(self) -> int:
        """k-means++ candidates per step: ``local_trials``, or ``2 + ln K`` (greedy, as scikit-learn) when None."""
        return self.local_trials if self.local_trials is not None else 2 + int(np.log(self.n_clusters))

    def _initial(self, X, rng):
        if isinstance(self.init, str):
            if self.init == "k-means++":
                return kmeans_plus_plus(X, self.n_clusters, rng, self.seeding_trials)
            if self.init == "random":
                return X[rng.choice(len(X), self.n_clusters, replace=False)].copy()
            raise ValueError(f"init must be 'k-means++', 'random' or an array, got {self.init!r}")
        C = np.asarray(self.init, dtype=X.dtype)
        if C.shape != (self.n_clusters, X.shape[1]):
            raise ValueError(f"initial centroids have shape {C.shape}, expected {(self.n_clusters, X.shape[1])}")
        return C.copy()

    def fit(self, X) -> "KMeans":
        X = _check_points(X)
        if not 1 <= self.n_clusters <= len(X):
            raise ValueError(f"n_clusters={self.n_clusters} must be between 1 and the number of points ({len(X)})")
        if self.n_init < 1:
            raise ValueError(f"n_init must be at least 1, got {self.n_init}")
        rng = np.random.default_rng(self.seed)
        best = None
        for _ in range(self.n_init):
            C = self._initial(X, rng)
            labels, d2 = assign_clusters(X, C)
            history = [float(d2.sum())]
            n_iter = 0
            for n_iter in range(1, self.max_iter + 1):
                C, _ = update_centroids(X, labels, C)
                labels, d2 = assign_clusters(X, C)
                history.append(float(d2.sum()))
                # stop when the relative improvement is below tol
                if history[-2] - history[-1] <= self.tol * max(history[-2], 1e-12):
                    break
            if best is None or history[-1] < best[3][-1]:
                best = (C, labels, n_iter, history)
        self.cluster_centers_, self.labels_, self.n_iter_, self.inertia_history_ = best
        self.inertia_ = self.inertia_history_[-1]
        return self

    def predict(self, X) -> np.ndarray:
        """Index of the nearest centroid of every row of ``X``."""
        if not hasattr(self, "cluster_centers_"):
            raise RuntimeError("call fit() before predict()")
        X = _check_points(X)
        if X.shape[1] != self.cluster_centers_.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features; the centroids have {self.cluster_centers_.shape[1]}")
        return assign_clusters(X, self.cluster_centers_)[0]

    def inertia(self, X) -> float:
        """Sum of squared distances of the rows of ``X`` to their nearest centroid."""
        return float(assign_clusters(_check_points(X), self.cluster_centers_)[1].sum())


class MiniBatchKMeans(KMeans):
    """Mini-batch k-means (Sculley, 2010): centroid updates from random batches.

    Each step assigns a batch of ``batch_size`` points and moves every centroid toward
    the mean of its batch points with step size ``batch count / total count so far``
    (a running mean), so early batches move centroids a lot and later ones fine-tune.
    Seeding uses k-means++ on a random subset of ``init_size`` points. ``inertia_`` is
    computed on all of ``X`` at the end; ``inertia_history_`` holds the batch inertia
    (noisy). Use it when ``X`` has hundreds of thousands of rows. Taught in notebook 03.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(m, 0.1, size=(500, 2)) for m in (0.0, 5.0, 10.0)])
    >>> km = MiniBatchKMeans(3, batch_size=64, max_iter=50, seed=0).fit(X)
    >>> sorted(np.round(km.cluster_centers_[:, 0]).astype(int).tolist())
    [0, 5, 10]
    """

    def __init__(self, n_clusters: int = 100, batch_size: int = 1024, max_iter: int = 300,
                 init_size: int | None = None, seed: int | None = 0, reassign_after: int = 50,
                 local_trials: int | None = None):
        super().__init__(n_clusters, "k-means++", 1, max_iter, 0.0, seed, local_trials)
        self.batch_size, self.init_size, self.reassign_after = batch_size, init_size, reassign_after

    def fit(self, X) -> "MiniBatchKMeans":
        X = _check_points(X)
        if not 1 <= self.n_clusters <= len(X):
            raise ValueError(f"n_clusters={self.n_clusters} must be between 1 and the number of points ({len(X)})")
        rng = np.random.default_rng(self.seed)
        init_size = min(len(X), self.init_size or max(3 * self.batch_size, 3 * self.n_clusters))
        C = kmeans_plus_plus(X[rng.choice(len(X), init_size, replace=False)], self.n_clusters, rng,
                             self.seeding_trials).astype(np.float64)
        counts = np.zeros(self.n_clusters)
        idle = np.zeros(self.n_clusters, dtype=np.int64)
        history = []
        for _ in range(self.max_iter):
            batch = X[rng.integers(len(X), size=self.batch_size)]
            labels, d2 = assign_clusters(batch, C)
            history.append(float(d2.sum()))
            batch_counts = np.bincount(labels, minlength=self.n_clusters)
            sums = cluster_sums(batch, labels, self.n_clusters)
            hit = batch_counts > 0
            counts[hit] += batch_counts[hit]
            rate = batch_counts[hit] / counts[hit]
            C[hit] += rate[:, None] * (sums[hit] / batch_counts[hit, None] - C[hit])
            idle = np.where(hit, 0, idle + 1)
            dead = np.flatnonzero(idle >= self.reassign_after)
            if len(dead):  # a centroid no batch has reached for a while restarts on a random point
                C[dead] = batch[rng.integers(len(batch), size=len(dead))]
                counts[dead] = 0
                idle[dead] = 0
        self.cluster_centers_ = C.astype(X.dtype)
        self.labels_, d2 = assign_clusters(X, self.cluster_centers_)
        self.inertia_ = float(d2.sum())
        self.inertia_history_ = history
        self.n_iter_ = self.max_iter
        return self

"""The pieces of expectation-maximisation for Gaussian mixtures, one function each, in numpy.

Taught in notebook 01 (``01_latent_factors_and_gmms``), where students write the E-step,
the M-step and a stable log-sum-exp themselves and check them against these functions.
:class:`resynth_lib.concepts.gmm.GaussianMixture` puts them together into a model with
``fit`` and ``predict``.

A GMM explains every point ``x`` by a hidden *latent* label ``z`` (潛在變數): first pick a
component ``k`` with probability ``weights[k]``, then draw ``x ~ N(means[k], covariances[k])``.
EM alternates two steps that can never lower the log-likelihood:

* **E-step** (:func:`e_step`) -- responsibilities ``resp[i, k] = p(z_i = k | x_i)`` from
  Bayes' rule, computed in the log domain (:func:`log_gaussian`, :func:`logsumexp`) so that
  no density underflows;
* **M-step** (:func:`m_step`) -- weights, means and covariances re-estimated from the points
  weighted by their responsibilities (plus ``reg_covar`` on the covariance diagonal, as
  scikit-learn does).

Covariances come in two shapes: ``"full"`` stores ``(K, d, d)`` matrices; ``"diag"`` stores
``(K, d)`` variances (axis-aligned ellipses). Also here: the starting points
(:func:`kmeans_plus_plus_init`, :func:`random_init`, :func:`hard_responsibilities`), the
number of free parameters for BIC and AIC (:func:`count_parameters`), and two ways to compare
a fit with the truth (:func:`align_labels`, :func:`cluster_purity`).

Example
-------
Two EM steps by hand on four points in one dimension:

>>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
>>> resp = hard_responsibilities(X, np.array([[-1.0], [1.0]]))     # start: nearest centre
>>> weights, means, covariances = m_step(X, resp)
>>> means.ravel()
array([-1.5,  1.5])
>>> resp, ll = e_step(X, weights, means, covariances)
>>> round(ll, 3), resp.argmax(axis=1).tolist()
(-1.419, [0, 0, 1, 1])
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular
from scipy.optimize import linear_sum_assignment

COVARIANCE_TYPES = ("full", "diag")
#: How far (relative) the log-likelihood may fall in one EM step before fit() refuses to go on.
MONOTONE_TOLERANCE = 1e-9


# ------------------------------------------------------------------ input checks
def _check_data(X, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """``X`` as a float64 ``(n, d)`` array, or a ValueError saying what is wrong with it."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (n_samples, n_features), got shape {X.shape}; "
                         "reshape a 1-D array with X.reshape(-1, 1)")
    if X.shape[0] == 0:
        raise ValueError(f"{name}: is empty (0 samples)")
    if not np.all(np.isfinite(X)):
        bad = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(f"{name}: contains NaN or inf (first at row {bad[0]}, column {bad[1]}); "
                         "drop or fill those rows first")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name}: has {X.shape[1]} features per sample, the model has {n_features}")
    return X


def _check_covariance_type(covariance_type: str) -> str:
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, got {covariance_type!r}")
    return covariance_type


# ------------------------------------------------------------------ densities
def logsumexp(a, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(a), axis))`` without overflow or underflow.

    Subtract the largest value first: ``log sum exp(a) = m + log sum exp(a - m)``. A slice
    that is all ``-inf`` gives ``-inf``. Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> logsumexp(np.array([[1000.0, 1000.0], [0.0, -np.inf]]), axis=1).round(4)
    array([1000.6931,    0.    ])
    """
    a = np.asarray(a, dtype=np.float64)
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)           # all -inf slices: shift by 0, result -inf
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis)


def log_gaussian(X, means, covariances, covariance_type: str = "full") -> np.ndarray:
    """Log density of every point under every Gaussian component, shape ``(n, K)``.

    ``log N(x; mu, S) = -1/2 (d log 2 pi + log det S + (x - mu)^T S^-1 (x - mu))``.
    For ``"full"`` covariances ``(K, d, d)`` the Cholesky factor ``S = L L^T`` gives both
    ``log det S = 2 sum log diag L`` and the Mahalanobis distance ``|L^-1 (x - mu)|^2``
    without forming an inverse. For ``"diag"`` the variances are ``(K, d)``.
    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> log_gaussian(np.zeros((1, 2)), np.zeros((1, 2)), np.eye(2)[None]).round(4)  # -log(2 pi)
    array([[-1.8379]])
    """
    _check_covariance_type(covariance_type)
    X = np.asarray(X, dtype=np.float64)
    means = np.asarray(means, dtype=np.float64)
    covariances = np.asarray(covariances, dtype=np.float64)
    n, d = X.shape
    K = means.shape[0]
    expected = (K, d, d) if covariance_type == "full" else (K, d)
    if means.shape != (K, d) or covariances.shape != expected:
        raise ValueError(f"means {means.shape} and covariances {covariances.shape} do not fit data with "
                         f"{d} features: expected ({K}, {d}) and {expected} for covariance_type={covariance_type!r}")
    out = np.empty((n, K))
    if covariance_type == "diag":
        if np.any(covariances <= 0):
            raise ValueError("diag covariances must be positive variances; increase reg_covar")
        for k in range(K):
            out[:, k] = -0.5 * (d * np.log(2 * np.pi) + np.sum(np.log(covariances[k]))
                                + np.sum((X - means[k]) ** 2 / covariances[k], axis=1))
        return out
    for k in range(K):
        try:
            L = np.linalg.cholesky(covariances[k])
        except np.linalg.LinAlgError:
            raise ValueError(f"covariance of component {k} is not positive definite (a collapsed "
                             "component?); increase reg_covar or use fewer components") from None
        z = solve_triangular(L, (X - means[k]).T, lower=True)         # (d, n)
        out[:, k] = -0.5 * (d * np.log(2 * np.pi) + 2 * np.sum(np.log(np.diag(L))) + np.sum(z ** 2, axis=0))
    return out


def e_step(X, weights, means, covariances, covariance_type: str = "full"):
    """E-step: responsibilities ``(n, K)`` and the mean log-likelihood per sample.

    ``log p(x_i, z_i=k) = log weights[k] + log N(x_i; means[k], covariances[k])``;
    ``log p(x_i)`` is the log-sum-exp of that over ``k``, and
    ``resp[i, k] = exp(log p(x_i, z_i=k) - log p(x_i))``. Every row of ``resp`` sums to 1.
    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> X = np.array([[-1.0], [0.0], [1.0]])
    >>> resp, ll = e_step(X, np.array([0.5, 0.5]), np.array([[-1.0], [1.0]]), np.ones((2, 1, 1)))
    >>> resp.round(3)
    array([[0.881, 0.119],
           [0.5  , 0.5  ],
           [0.119, 0.881]])
    """
    weights = np.asarray(weights, dtype=np.float64)
    with np.errstate(divide="ignore"):                 # a weight of exactly 0 is allowed: log 0 = -inf
        log_joint = log_gaussian(X, means, covariances, covariance_type) + np.log(weights)
    log_px = logsumexp(log_joint, axis=1)
    resp = np.exp(log_joint - log_px[:, None])
    return resp, float(np.mean(log_px))


def m_step(X, resp, covariance_type: str = "full", reg_covar: float = 1e-6):
    """M-step: weights ``(K,)``, means ``(K, d)`` and covariances from responsibilities.

    With ``N_k = sum_i resp[i, k]``: ``weights = N_k / n``, ``means[k] = sum_i resp[i,k] x_i / N_k``,
    ``covariances[k] = sum_i resp[i,k] (x_i - mu_k)(x_i - mu_k)^T / N_k + reg_covar I``
    (only the diagonal, as ``(K, d)`` variances, for ``"diag"``). Like scikit-learn,
    ``N_k`` gets ``10 * eps`` added so that an empty component does not divide by zero.
    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0]])
    >>> w, mu, cov = m_step(X, np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), "diag", reg_covar=0.0)
    >>> w.round(3)
    array([0.667, 0.333])
    >>> mu.round(6)
    array([[ 1.,  0.],
           [10., 10.]])
    >>> cov.round(6)
    array([[1., 0.],
           [0., 0.]])
    """
    _check_covariance_type(covariance_type)
    X = np.asarray(X, dtype=np.float64)
    resp = np.asarray(resp, dtype=np.float64)
    if resp.ndim != 2 or resp.shape[0] != X.shape[0]:
        raise ValueError(f"resp must be (n_samples, n_components) = ({X.shape[0]}, K), got {resp.shape}")
    n, d = X.shape
    nk = resp.sum(axis=0) + 10 * np.finfo(np.float64).eps
    means = resp.T @ X / nk[:, None]
    if covariance_type == "diag":
        covariances = np.stack([resp[:, k] @ (X - means[k]) ** 2 / nk[k] for k in range(len(nk))]) + reg_covar
    else:
        covariances = np.empty((len(nk), d, d))
        for k in range(len(nk)):
            diff = X - means[k]
            covariances[k] = (resp[:, k, None] * diff).T @ diff / nk[k]
            covariances[k].flat[:: d + 1] += reg_covar
    return nk / n, means, covariances


def log_likelihood(X, weights, means, covariances, covariance_type: str = "full") -> float:
    """Mean log-likelihood per sample, ``mean_i log p(x_i)`` (what ``sklearn``'s ``score`` returns).

    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> round(log_likelihood(np.zeros((4, 1)), np.ones(1), np.zeros((1, 1)), np.ones((1, 1, 1))), 4)
    -0.9189
    """
    return e_step(X, weights, means, covariances, covariance_type)[1]


def count_parameters(n_components: int, n_features: int, covariance_type: str = "full") -> int:
    """Free parameters of a GMM: ``K - 1`` weights, ``K d`` means and the covariances.

    ``K d (d + 1) / 2`` for full covariances, ``K d`` for diagonal ones (as scikit-learn counts).
    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> count_parameters(3, 2, "full"), count_parameters(3, 2, "diag")
    (17, 14)
    """
    _check_covariance_type(covariance_type)
    K, d = n_components, n_features
    cov = K * d * (d + 1) // 2 if covariance_type == "full" else K * d
    return (K - 1) + K * d + cov


# ------------------------------------------------------------------ initialisation
def kmeans_plus_plus_init(X, K: int, rng=None) -> np.ndarray:
    """Pick ``K`` initial centres from the rows of ``X`` with k-means++ seeding, shape ``(K, d)``.

    The first centre is a uniformly random point; each next one is drawn with probability
    proportional to its squared distance to the nearest centre chosen so far, so the
    centres spread out over the data. Taught in notebook 01 (``01_latent_factors_and_gmms``);
    notebook 03 builds the full k-means on top of it.

    Example
    -------
    >>> X = np.array([[0.0], [0.1], [10.0], [10.1]])
    >>> np.sort(kmeans_plus_plus_init(X, 2, np.random.default_rng(0))[:, 0] > 5)
    array([False,  True])
    """
    X = _check_data(X)
    rng = np.random.default_rng(rng)
    n = X.shape[0]
    if not 1 <= K <= n:
        raise ValueError(f"cannot pick {K} centres from {n} points: need 1 <= K <= n_samples")
    centres = [X[rng.integers(n)]]
    d2 = np.sum((X - centres[0]) ** 2, axis=1)
    for _ in range(1, K):
        total = d2.sum()
        # all points already sit on a centre: any point will do
        i = rng.choice(n, p=d2 / total) if total > 0 else rng.integers(n)
        centres.append(X[i])
        d2 = np.minimum(d2, np.sum((X - X[i]) ** 2, axis=1))
    return np.array(centres)


def random_init(X, K: int, rng=None) -> np.ndarray:
    """``K`` distinct rows of ``X`` chosen uniformly at random as initial centres, shape ``(K, d)``.

    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> random_init(np.arange(10.0).reshape(5, 2), 2, np.random.default_rng(0)).shape
    (2, 2)
    """
    X = _check_data(X)
    if not 1 <= K <= X.shape[0]:
        raise ValueError(f"cannot pick {K} centres from {X.shape[0]} points: need 1 <= K <= n_samples")
    return X[np.random.default_rng(rng).choice(X.shape[0], size=K, replace=False)]


def hard_responsibilities(X, centres) -> np.ndarray:
    """One-hot responsibilities ``(n, K)``: each point belongs wholly to its nearest centre.

    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> hard_responsibilities(np.array([[0.0], [9.0]]), np.array([[10.0], [1.0]]))
    array([[0., 1.],
           [1., 0.]])
    """
    X, centres = np.asarray(X, dtype=np.float64), np.asarray(centres, dtype=np.float64)
    d2 = np.sum((X[:, None, :] - centres[None, :, :]) ** 2, axis=2)
    resp = np.zeros_like(d2)
    resp[np.arange(len(X)), np.argmin(d2, axis=1)] = 1.0
    return resp


# ------------------------------------------------------------------ comparisons
def align_labels(true_means, est_means) -> np.ndarray:
    """Match estimated components to true ones (Hungarian algorithm on squared distances).

    Returns ``perm`` with ``est_means[perm][i]`` the estimate matched to ``true_means[i]``;
    apply the same ``perm`` to weights and covariances. EM finds the components in an
    arbitrary order (label switching), so compare only after aligning.
    Taught in notebook 01 (``01_latent_factors_and_gmms``).

    Example
    -------
    >>> align_labels(np.array([[0.0], [5.0], [9.0]]), np.array([[9.2], [0.1], [4.8]]))
    array([1, 2, 0])
    """
    true_means, est_means = np.atleast_2d(true_means), np.atleast_2d(est_means)
    cost = np.sum((true_means[:, None, :] - est_means[None, :, :]) ** 2, axis=2)
    rows, cols = linear_sum_assignment(cost)
    return cols[np.argsort(rows)]


def cluster_purity(labels_true, labels_pred) -> float:
    """Fraction of points whose cluster's majority true label is their own label.

    For every predicted cluster, count its most common true label; add the counts and
    divide by the number of points. 1.0 means every cluster is pure (many small clusters
    make that easy, so read it beside the number of clusters).
    Taught in notebook 01 (``01_latent_factors_and_gmms``); used again for units in 03.

    Example
    -------
    >>> cluster_purity([0, 0, 1, 1, 1], [5, 5, 5, 7, 7])
    0.8
    """
    labels_true, labels_pred = np.asarray(labels_true), np.asarray(labels_pred)
    if labels_true.shape != labels_pred.shape or labels_true.ndim != 1:
        raise ValueError(f"labels_true {labels_true.shape} and labels_pred {labels_pred.shape} must be "
                         "1-D arrays of the same length")
    if labels_true.size == 0:
        raise ValueError("cluster_purity: no labels given")
    _, t = np.unique(labels_true, return_inverse=True)
    _, p = np.unique(labels_pred, return_inverse=True)
    table = np.zeros((p.max() + 1, t.max() + 1), dtype=np.int64)
    np.add.at(table, (p, t), 1)
    return float(table.max(axis=1).sum() / labels_true.size)


def _regularisation_slack(weights, covariances, reg_covar: float, covariance_type: str) -> float:
    """How far one EM step may lower the mean log-likelihood because of ``reg_covar``.

    Without regularisation the M-step maximises EM's lower bound ``Q`` and the likelihood
    cannot fall. Adding ``r = reg_covar`` to covariances whose maximum-likelihood eigenvalues
    (variances, for ``"diag"``) are ``s`` costs ``1/2 sum_k w_k sum_i [log(1 + r/s) - r/(s + r)]``
    of ``Q`` (about ``r^2 / (4 s^2)`` per eigenvalue), so the likelihood can fall by at most that.
    """
    if reg_covar == 0:
        return 0.0
    if covariance_type == "full":
        s = np.linalg.eigvalsh(covariances) - reg_covar
    else:
        s = covariances - reg_covar
    if np.any(s <= 0):                 # a degenerate component: no guarantee left
        return np.inf
    per_component = np.sum(np.log1p(reg_covar / s) - reg_covar / (s + reg_covar), axis=1)
    return float(0.5 * np.sum(weights * per_component))

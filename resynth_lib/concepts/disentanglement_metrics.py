"""Scores of disentanglement: how much each latent of a model knows about each known factor.

Given the latents of a model (one row per example) and the true generative factors of the
same examples, these functions measure which latent carries which factor. The main score
is the mutual information gap (MIG, Chen et al., 2018, :func:`mutual_information_gap`):
for every factor, how much more the best latent knows about it than the runner-up,
relative to what there is to know. It is built from :func:`discretise`,
:func:`mutual_information`, :func:`entropy` and :func:`mutual_information_matrix`;
:func:`latent_factor_correlation` gives a simpler rank-correlation view of the same question.

Notebook 01 scores the beta-VAE of :mod:`resynth_lib.concepts.beta_vae` on the synthetic
vowels of :mod:`resynth_lib.concepts.vowels` with these. Taught in notebook 01b
(``01b_vae_and_infogan``).

Example
-------
A code whose first latent copies the factor and whose second is noise:

>>> rng = np.random.default_rng(0)
>>> f = rng.integers(0, 4, size=(1000, 1)).astype(float)
>>> latents = np.c_[f + 0.01 * rng.normal(size=(1000, 1)), rng.normal(size=(1000, 1))]
>>> mutual_information_matrix(latents, f, n_bins=4).round(2)
array([[1.],
       [0.]])
>>> round(mutual_information_gap(latents, f, n_bins=4), 2)
1.0
"""
from __future__ import annotations

import numpy as np


# ------------------------------------------------------------------ scores
def discretise(values, n_bins: int = 20, method: str = "uniform") -> np.ndarray:
    """Integer codes ``0..n_bins-1`` for a 1-D array: equal-width (``"uniform"``) or equal-count
    (``"quantile"``) bins. A constant array gets code 0 everywhere.

    Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> discretise(np.array([0.0, 0.1, 0.5, 1.0]), n_bins=2).tolist()
    [0, 0, 1, 1]
    """
    values = np.asarray(values, dtype=np.float64)
    if values.max() == values.min():
        return np.zeros(values.shape, dtype=np.int64)
    if method == "uniform":
        edges = np.linspace(values.min(), values.max(), n_bins + 1)
    elif method == "quantile":
        edges = np.quantile(values, np.linspace(0, 1, n_bins + 1))
    else:
        raise ValueError(f"method must be 'uniform' or 'quantile', got {method!r}")
    return np.searchsorted(edges[1:-1], values, side="right")


def _factor_codes(values, n_bins: int) -> np.ndarray:
    """A factor with at most ``n_bins`` distinct values is categorical; a continuous one gets quantile bins."""
    unique, codes = np.unique(values, return_inverse=True)
    return codes if len(unique) <= n_bins else discretise(values, n_bins, "quantile")


def mutual_information(a, b) -> float:
    """Mutual information (nats) between two integer code arrays, from their joint histogram.

    ``I(a; b) = sum_ij p(i, j) log(p(i, j) / (p(i) p(j)))``. Taught in notebook 01b
    (``01b_vae_and_infogan``).

    Example
    -------
    >>> round(mutual_information([0, 0, 1, 1], [1, 1, 0, 0]), 4)   # log 2
    0.6931
    """
    _, a = np.unique(np.asarray(a), return_inverse=True)
    _, b = np.unique(np.asarray(b), return_inverse=True)
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)
    joint /= joint.sum()
    outer = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    return float(np.sum(joint[nz] * np.log(joint[nz] / outer[nz])))


def entropy(codes) -> float:
    """Entropy (nats) of an integer code array. Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> round(entropy([0, 1, 2, 3]), 4)   # log 4
    1.3863
    """
    _, counts = np.unique(np.asarray(codes), return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log(p)))


def _check_codes(latents, factors):
    latents, factors = np.asarray(latents, dtype=np.float64), np.asarray(factors, dtype=np.float64)
    if latents.ndim != 2 or factors.ndim != 2 or len(latents) != len(factors):
        raise ValueError(f"latents {latents.shape} and factors {factors.shape} must be 2-D with the same "
                         "number of rows (one per example)")
    if not (np.all(np.isfinite(latents)) and np.all(np.isfinite(factors))):
        raise ValueError("latents and factors must not contain NaN or inf")
    return latents, factors


def mutual_information_matrix(latents, factors, n_bins: int = 20) -> np.ndarray:
    """``(n_latents, n_factors)`` mutual information, each column divided by the factor's entropy.

    Latents are cut into ``n_bins`` equal-width bins (as Chen et al. do); a factor with at
    most ``n_bins`` distinct values counts as categorical, a continuous one is cut into
    ``n_bins`` equal-count bins. Entry ``[j, k]`` is 1 when latent ``j`` pins factor ``k``
    down completely and 0 when it says nothing about it.
    Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> f = np.repeat(np.arange(4.0), 25)[:, None]
    >>> mutual_information_matrix(np.c_[f, np.zeros(100)], f).round(3)
    array([[1.],
           [0.]])
    """
    latents, factors = _check_codes(latents, factors)
    out = np.zeros((latents.shape[1], factors.shape[1]))
    for k in range(factors.shape[1]):
        v = _factor_codes(factors[:, k], n_bins)
        h = entropy(v)
        for j in range(latents.shape[1]):
            out[j, k] = mutual_information(discretise(latents[:, j], n_bins), v) / h if h > 0 else 0.0
    return out


def mutual_information_gap(latents, factors, n_bins: int = 20, per_factor: bool = False):
    """The mutual information gap (MIG, Chen et al. 2018) of a code ``latents`` for ``factors``.

    For every factor take the column of :func:`mutual_information_matrix` (mutual
    information divided by the factor's entropy), subtract the second-largest entry from
    the largest, and average over factors. 1 means each factor is captured by exactly one
    latent that no other latent shares; 0 means no latent stands out (all mixed, or a
    factor copied into two latents, or no information at all). ``per_factor=True`` returns
    the gap of every factor instead of the mean. Taught in notebook 01b
    (``01b_vae_and_infogan``).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.integers(0, 5, size=(2000, 2)).astype(float)
    >>> round(mutual_information_gap(np.c_[f, rng.normal(size=2000)], f), 2)   # one latent per factor
    0.99
    >>> round(mutual_information_gap(rng.normal(size=(2000, 3)), f), 2)        # knows nothing
    0.0
    """
    latents, factors = _check_codes(latents, factors)
    if latents.shape[1] < 2:
        raise ValueError("MIG compares the best latent with the runner-up: need at least 2 latents")
    gaps = gaps_from_mi(mutual_information_matrix(latents, factors, n_bins))
    return gaps if per_factor else float(np.mean(gaps))


def gaps_from_mi(mi) -> np.ndarray:
    """Per-factor gap of a ``(n_latents, n_factors)`` normalised MI matrix: best latent minus runner-up.

    The last step of :func:`mutual_information_gap`, exercise 2 of notebook 01b
    (``01b_vae_and_infogan``).

    Example
    -------
    >>> gaps_from_mi(np.array([[0.9, 0.2], [0.1, 0.3], [0.0, 0.25]])).round(2)
    array([0.8 , 0.05])
    """
    mi = np.asarray(mi, dtype=float)
    if mi.ndim != 2 or mi.shape[0] < 2:
        raise ValueError(f"need a (n_latents >= 2, n_factors) matrix, got shape {mi.shape}")
    informed = np.sort(mi, axis=0)
    return informed[-1] - informed[-2]


def _average_ranks(x) -> np.ndarray:
    """Ranks 1..n with ties sharing the average of their ranks (what Spearman needs)."""
    unique, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return (ends - (counts - 1) / 2.0)[inverse]


def latent_factor_correlation(latents, factors, method: str = "spearman") -> np.ndarray:
    """``(n_latents, n_factors)`` absolute correlation between every latent and every factor.

    ``"spearman"`` (default) correlates ranks, so any monotone relation counts (F0 in Hz or
    in log Hz gives the same number); ``"pearson"`` correlates the values. For a categorical
    factor such as the vowel index a correlation means little: read
    :func:`mutual_information_matrix` for it. Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> z = np.array([[1.0, 0.3], [2.0, 0.1], [3.0, 0.2]])
    >>> latent_factor_correlation(z, np.array([[10.0], [20.0], [40.0]])).round(2)
    array([[1. ],
           [0.5]])
    """
    latents, factors = _check_codes(latents, factors)
    if method == "spearman":
        latents = np.apply_along_axis(_average_ranks, 0, latents)
        factors = np.apply_along_axis(_average_ranks, 0, factors)
    elif method != "pearson":
        raise ValueError(f"method must be 'spearman' or 'pearson', got {method!r}")
    zl = latents - latents.mean(axis=0)
    zf = factors - factors.mean(axis=0)
    norm = np.outer(np.sqrt((zl ** 2).sum(axis=0)), np.sqrt((zf ** 2).sum(axis=0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.abs(zl.T @ zf) / norm
    return np.nan_to_num(corr)                       # a constant latent correlates with nothing

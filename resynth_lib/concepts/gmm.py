"""Gaussian mixture models (GMM, 高斯混合模型) fitted by expectation-maximisation, in numpy.

Taught in notebook 01 (``01_latent_factors_and_gmms``). This module holds the model,
:class:`GaussianMixture`: it picks a starting point, runs EM until the log-likelihood
stops improving, checks on every step that it never went down, and then predicts, scores,
samples and computes BIC and AIC. The pieces it is built from -- :func:`log_gaussian`,
:func:`logsumexp`, the E-step and the M-step, the k-means++ start -- live in
:mod:`resynth_lib.concepts.gmm_em`, where students write their own versions and check them.

Covariances come in two shapes: ``"full"`` stores ``(K, d, d)`` matrices; ``"diag"`` stores
``(K, d)`` variances (axis-aligned ellipses). The numbers follow the definitions of
:class:`sklearn.mixture.GaussianMixture` so the two can be compared: given the same
starting point they reach the same parameters (``tests/concepts/test_gmm.py`` checks it).

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = np.concatenate([rng.normal(-3, 1, (100, 2)), rng.normal(3, 1, (100, 2))])
>>> gmm = GaussianMixture(2, seed=0).fit(X)
>>> np.sort(gmm.means_[:, 0]).round(0)
array([-3.,  3.])
>>> bool(np.all(np.diff(gmm.history_) > -1e-9))   # EM never goes downhill
True
"""
from __future__ import annotations

import numpy as np

from resynth_lib.concepts.gmm_em import (
    MONOTONE_TOLERANCE,
    _check_covariance_type,
    _check_data,
    _regularisation_slack,
    count_parameters,
    e_step,
    hard_responsibilities,
    kmeans_plus_plus_init,
    log_gaussian,
    logsumexp,
    m_step,
    random_init,
)


# ------------------------------------------------------------------ the model
class GaussianMixture:
    """A Gaussian mixture fitted with EM; the same interface and numbers as scikit-learn's.

    Taught in notebook 01 (``01_latent_factors_and_gmms``). After :meth:`fit`:
    ``weights_`` ``(K,)``, ``means_`` ``(K, d)``, ``covariances_`` (``(K, d, d)`` or ``(K, d)``),
    ``history_`` -- the mean log-likelihood of the starting parameters and after each
    M-step (``history_[-1] == score(X)``), ``n_iter_`` M-steps, ``converged_``; and with
    ``keep_history=True`` also ``params_history_``, a list of ``(weights, means,
    covariances)`` aligned with ``history_`` (for animating the ellipses).

    EM stops when the log-likelihood changes by less than ``tol`` in one step (scikit-learn's
    rule). Exact EM can never lower the likelihood; ``reg_covar`` may lower it by a tiny,
    computable amount (``r^2 / 4 s^2`` per covariance eigenvalue ``s``). If a step falls by
    more than that plus a rounding error, fit() raises: it means a bug in the E- or M-step.

    Example
    -------
    >>> rng = np.random.default_rng(1)
    >>> X = np.concatenate([rng.normal(0, 1, (150, 2)), rng.normal(6, 1, (50, 2))])
    >>> gmm = GaussianMixture(2, covariance_type="diag", seed=0).fit(X, keep_history=True)
    >>> np.sort(gmm.weights_).round(2)
    array([0.25, 0.75])
    >>> len(gmm.params_history_) == len(gmm.history_) == gmm.n_iter_ + 1
    True
    >>> labels = gmm.predict(np.array([[0.0, 0.0], [6.0, 6.0]]))
    >>> bool(labels[0] != labels[1])
    True
    """

    def __init__(self, n_components: int, covariance_type: str = "full", max_iter: int = 100,
                 tol: float = 1e-3, reg_covar: float = 1e-6, init: str = "kmeans++", seed: int = 0):
        if int(n_components) < 1:
            raise ValueError(f"n_components must be at least 1, got {n_components}")
        if init not in ("kmeans++", "random"):
            raise ValueError(f"init must be 'kmeans++' or 'random', got {init!r}")
        self.n_components = int(n_components)
        self.covariance_type = _check_covariance_type(covariance_type)
        self.max_iter, self.tol, self.reg_covar = int(max_iter), float(tol), float(reg_covar)
        self.init, self.seed = init, seed

    # -------------------------------------------------------------- fitting
    def initial_responsibilities(self, X) -> np.ndarray:
        """Hard responsibilities from ``init`` centres (k-means++ or random rows), seeded by ``seed``."""
        X = _check_data(X)
        rng = np.random.default_rng(self.seed)
        pick = kmeans_plus_plus_init if self.init == "kmeans++" else random_init
        return hard_responsibilities(X, pick(X, self.n_components, rng))

    def fit(self, X, init_means=None, init_resp=None, keep_history: bool = False) -> "GaussianMixture":
        """Run EM on ``X`` ``(n, d)`` and return ``self``.

        The start is the M-step of some responsibilities: ``init_resp`` if given, else the
        hard assignment of every point to the nearest of ``init_means`` if given, else to
        the nearest of the centres picked by ``init``.
        """
        X = _check_data(X)
        n, d = X.shape
        K = self.n_components
        if K > n:
            raise ValueError(f"n_components={K} is more than the {n} samples in X")
        if init_resp is not None and init_means is not None:
            raise ValueError("give init_means or init_resp, not both")
        if init_resp is not None:
            resp = np.asarray(init_resp, dtype=np.float64)
            if resp.shape != (n, K):
                raise ValueError(f"init_resp must have shape ({n}, {K}), got {resp.shape}")
        elif init_means is not None:
            init_means = np.asarray(init_means, dtype=np.float64)
            if init_means.shape != (K, d):
                raise ValueError(f"init_means must have shape ({K}, {d}), got {init_means.shape}")
            resp = hard_responsibilities(X, init_means)
        else:
            resp = self.initial_responsibilities(X)
        params = m_step(X, resp, self.covariance_type, self.reg_covar)

        self.history_, self.params_history_ = [], [] if keep_history else None
        self.converged_, self.n_iter_ = False, 0
        slack = 0.0
        for _ in range(self.max_iter):
            resp, ll = self._record(X, params, keep_history, slack)
            params = m_step(X, resp, self.covariance_type, self.reg_covar)
            slack = _regularisation_slack(params[0], params[2], self.reg_covar, self.covariance_type)
            self.n_iter_ += 1
            if len(self.history_) > 1 and abs(self.history_[-1] - self.history_[-2]) < self.tol:
                self.converged_ = True
                break
        self._record(X, params, keep_history, slack)         # the final parameters' log-likelihood
        self.weights_, self.means_, self.covariances_ = params
        return self

    def _record(self, X, params, keep_history, slack):
        resp, ll = e_step(X, *params, self.covariance_type)
        if self.history_:
            previous = self.history_[-1]
            if ll < previous - slack - MONOTONE_TOLERANCE * max(1.0, abs(previous)):
                raise AssertionError(f"EM log-likelihood went down at step {len(self.history_)}: "
                                     f"{previous:.10f} -> {ll:.10f} (reg_covar allows at most {slack:.2g}). "
                                     "EM can never do that; check the E-step and the M-step")
        self.history_.append(ll)
        if keep_history:
            self.params_history_.append(tuple(p.copy() for p in params))
        return resp, ll

    # -------------------------------------------------------------- using a fitted model
    def _fitted(self, X):
        if not hasattr(self, "means_"):
            raise RuntimeError("this GaussianMixture is not fitted yet: call fit(X) first")
        return _check_data(X, n_features=self.means_.shape[1])

    @property
    def params(self):
        """``(weights_, means_, covariances_)`` of the fitted model."""
        return self.weights_, self.means_, self.covariances_

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities ``(n, K)``: the posterior probability of each component."""
        return e_step(self._fitted(X), *self.params, self.covariance_type)[0]

    def predict(self, X) -> np.ndarray:
        """The most probable component of every point, shape ``(n,)``."""
        return np.argmax(self.predict_proba(X), axis=1)

    def score_samples(self, X) -> np.ndarray:
        """``log p(x_i)`` of every point, shape ``(n,)``."""
        X = self._fitted(X)
        with np.errstate(divide="ignore"):
            log_joint = log_gaussian(X, self.means_, self.covariances_, self.covariance_type) + np.log(self.weights_)
        return logsumexp(log_joint, axis=1)

    def score(self, X) -> float:
        """Mean log-likelihood per sample (as ``sklearn``'s ``score``)."""
        return float(np.mean(self.score_samples(X)))

    def n_parameters(self) -> int:
        """Number of free parameters (see :func:`count_parameters`)."""
        if not hasattr(self, "means_"):
            raise RuntimeError("this GaussianMixture is not fitted yet: call fit(X) first")
        return count_parameters(self.n_components, self.means_.shape[1], self.covariance_type)

    def bic(self, X) -> float:
        """Bayesian information criterion ``-2 n score(X) + n_parameters log n``: lower is better."""
        X = self._fitted(X)
        return float(-2 * self.score(X) * X.shape[0] + self.n_parameters() * np.log(X.shape[0]))

    def aic(self, X) -> float:
        """Akaike information criterion ``-2 n score(X) + 2 n_parameters``: lower is better."""
        X = self._fitted(X)
        return float(-2 * self.score(X) * X.shape[0] + 2 * self.n_parameters())

    def sample(self, n: int, rng=None):
        """Draw ``n`` points from the fitted mixture: returns ``(X (n, d), labels (n,))``."""
        if not hasattr(self, "means_"):
            raise RuntimeError("this GaussianMixture is not fitted yet: call fit(X) first")
        rng = np.random.default_rng(rng)
        labels = rng.choice(self.n_components, size=n, p=self.weights_ / self.weights_.sum())
        d = self.means_.shape[1]
        X = np.empty((n, d))
        for k in range(self.n_components):
            idx = np.flatnonzero(labels == k)
            cov = self.covariances_[k] if self.covariance_type == "full" else np.diag(self.covariances_[k])
            X[idx] = self.means_[k] + rng.standard_normal((len(idx), d)) @ np.linalg.cholesky(cov).T
        return X, labels

    def __repr__(self) -> str:
        return (f"GaussianMixture(n_components={self.n_components}, covariance_type={self.covariance_type!r}, "
                f"init={self.init!r}, seed={self.seed})")

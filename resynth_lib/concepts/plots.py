"""Figures of the ideas before speech: latent factors, Gaussian mixtures, the β-VAE and InfoGAN, pretext tasks.

Notebook 01 (``01_latent_factors_and_gmms``), notebook 01b (``01b_vae_and_infogan``) and notebook 02
(``02_self_supervised_pretext_tasks``) compute what they teach in the notebook and call one of these to draw it.
Every function returns the figure, so that a test (or a curious student) can look at its axes.

Example
-------
>>> import numpy as np
>>> fig = plot_em_curve_1d(np.array([0.0, 1.0]), [1.0], [[0.0]], [[[1.0]]], [-2.0, -1.5])
>>> len(fig.axes)
2
>>> plt.close("all")
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from resynth_lib.concepts.vowels import VOWELS, features_to_db
from resynth_lib.core.plots import covariance_ellipse

GENRE_COLOURS = {"romance": "#e63946", "action": "#457b9d"}   # any other genre: "#6a4c93"


def _gaussian_densities(grid, weights, means, variances):
    """Weighted 1-D Gaussian densities of every component on ``grid`` (a list of arrays)."""
    return [w * np.exp(-0.5 * (grid - m) ** 2 / v) / np.sqrt(2 * np.pi * v)
            for w, m, v in zip(weights, means, variances)]


def plot_factor_plane(films_xy, viewers_xy, films: Sequence[str], genres: Sequence[str], viewers: Sequence[str],
                      singular_values):
    """Left: films (dots, coloured by genre) and viewers (arrows) in a 2-D latent factor plane; right: singular values.

    Used in notebook 01 (``01_latent_factors_and_gmms``, the ratings matrix): ``films_xy`` and ``viewers_xy`` are
    the (rotated) factor vectors, ``singular_values`` those of the completed ratings matrix.

    Example
    -------
    >>> fig = plot_factor_plane(np.eye(2), np.ones((1, 2)), ["a", "b"], ["romance", "action"], ["ann"], [3.0, 1.0])
    >>> fig.axes[1].get_xlabel()
    'singular value index'
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    ax = axes[0]
    for (x, y), name, genre in zip(films_xy, films, genres):
        ax.scatter(x, y, color=GENRE_COLOURS.get(genre, "#6a4c93"))
        ax.annotate(name, (x, y), fontsize=8, xytext=(4, 4), textcoords="offset points")
    for (x, y), name in zip(viewers_xy, viewers):
        ax.arrow(0, 0, x, y, color="0.4", width=0.01, length_includes_head=True)
        ax.annotate(name, (x, y), fontsize=9, weight="bold", xytext=(3, -10), textcoords="offset points")
    ax.axhline(0, color="0.8", lw=0.5)
    ax.axvline(0, color="0.8", lw=0.5)
    ax.set_xlabel("factor 1 (rotated towards romance)")
    ax.set_ylabel("factor 2")
    ax.set_title("films (dots) and viewers (arrows) in the latent factor plane")
    axes[1].bar(range(1, len(singular_values) + 1), singular_values, color="#457b9d")
    axes[1].set_xlabel("singular value index")
    axes[1].set_title("SVD of the completed matrix: two factors carry almost everything")
    fig.tight_layout()
    return fig


def plot_em_curve_1d(x, weights, means, covariances, log_likelihoods, grid=None):
    """Left: a 1-D sample's histogram with a fitted mixture's components and their sum; right: EM's log-likelihood.

    Used in notebook 01 (``01_latent_factors_and_gmms``, EM from scratch): ``weights`` (K,), ``means`` (K, 1) and
    ``covariances`` (K, 1, 1) are the fitted parameters, ``log_likelihoods`` the mean log-likelihood per iteration.

    Example
    -------
    >>> fig = plot_em_curve_1d(np.array([-1.0, 0.0, 1.0]), [0.5, 0.5], [[-1.0], [1.0]], [[[1.0]], [[1.0]]], [-3, -2])
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][-1]
    'mixture density'
    >>> plt.close("all")
    """
    x = np.asarray(x).reshape(-1)
    means, covariances = np.asarray(means), np.asarray(covariances)
    grid = np.linspace(-6, 8, 600) if grid is None else np.asarray(grid).reshape(-1)
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.4))
    axes[0].hist(x, bins=50, density=True, color="0.85", label="data")
    components = _gaussian_densities(grid, weights, means[:, 0], covariances[:, 0, 0])
    for k, comp in enumerate(components):
        axes[0].plot(grid, comp, lw=1.5, label=f"component {k}: pi={weights[k]:.2f}")
    axes[0].plot(grid, np.sum(components, axis=0), "k--", lw=1.2, label="mixture density")
    axes[0].legend(fontsize=7)
    axes[0].set_title("a 1-D mixture and its separated components")
    axes[1].plot(log_likelihoods, marker=".")
    axes[1].set_xlabel("EM iteration")
    axes[1].set_ylabel("mean log-likelihood")
    axes[1].set_title("EM never goes downhill")
    fig.tight_layout()
    return fig


def plot_em_step(X, resp, means, covariances, title: str = ""):
    """2-D points coloured by their responsibilities (a mix of the components' colours) and each component's ellipse.

    Used in notebook 01 (``01_latent_factors_and_gmms``, the EM explorer): ``resp`` (n, K) from an E-step,
    ``means`` (K, 2) and ``covariances`` (K, 2, 2) the parameters at that step; ellipses at 2 standard deviations.

    Example
    -------
    >>> fig = plot_em_step(np.zeros((3, 2)), np.full((3, 2), 0.5), np.zeros((2, 2)), np.stack([np.eye(2)] * 2),
    ...                    title="K=2, EM step 0/0")
    >>> len(fig.axes[0].patches), fig.axes[0].get_title()
    (2, 'K=2, EM step 0/0')
    >>> plt.close("all")
    """
    colors = plt.cm.tab10(np.arange(len(means)))
    fig, ax = plt.subplots(figsize=(6.5, 4.6))
    ax.scatter(X[:, 0], X[:, 1], c=resp @ colors[:, :3], s=8)
    for mean, cov, color in zip(means, covariances, colors):
        covariance_ellipse(ax, mean, cov, color)
    ax.set_title(title)
    ax.set_aspect("equal")
    return fig


def plot_pooled_f0_mixture(log_f0, speaker_of_frame, speakers: Sequence[str], weights, means, variances,
                           f0_range=(60.0, 400.0), n_bins: int = 80,
                           title: str = "pooled F0 of four speakers, and the 4 GMM components fitted to it"):
    """Histograms of every speaker's F0 (as fractions of all frames) and the components of a GMM on log F0.

    Used in notebook 01 (``01_latent_factors_and_gmms``, discovering speakers without labels): ``log_f0`` holds
    the pooled voiced frames, ``speaker_of_frame`` who spoke each; ``weights`` (K,), ``means`` (K, 1) and
    ``variances`` (K, 1, 1) are the GMM's parameters on log F0, drawn on the histogram's scale.

    Example
    -------
    >>> fig = plot_pooled_f0_mixture(np.log([100.0, 110, 200, 210]), np.array(["a", "a", "b", "b"]), ["a", "b"],
    ...                              [0.5, 0.5], [[np.log(105)], [np.log(205)]], [[[0.01]], [[0.01]]])
    >>> fig.axes[0].get_xscale()
    'log'
    >>> plt.close("all")
    """
    log_f0 = np.asarray(log_f0).reshape(-1)
    means, variances = np.asarray(means), np.asarray(variances)
    lo, hi = np.log(f0_range[0]), np.log(f0_range[1])
    grid = np.linspace(lo, hi, 400)
    fig, ax = plt.subplots(figsize=(11, 3.2))
    for s in speakers:
        sel = speaker_of_frame == s
        ax.hist(np.exp(log_f0[sel]), bins=np.exp(np.linspace(lo, hi, n_bins)), histtype="step",
                density=False, weights=np.full(sel.sum(), 1.0 / len(log_f0)), lw=1.2, label=f"{s} (true)")
    bin_width = (hi - lo) / (n_bins - 1)
    densities = _gaussian_densities(grid, weights, means[:, 0], variances[:, 0, 0])
    for k in np.argsort(means[:, 0]):
        ax.plot(np.exp(grid), densities[k] * bin_width, "--", lw=1.5,
                label=f"GMM component at {np.exp(means[k, 0]):.0f} Hz")
    ax.set_xscale("log")
    ax.set_xlabel("F0 (Hz, log scale)")
    ax.set_ylabel("fraction of frames")
    ax.legend(fontsize=7, ncol=2)
    ax.set_title(title)
    return fig


def plot_utterance_mixture(Z, speaker_of_utt, speakers: Sequence[str], means, covariances, bic: Mapping[int, float]):
    """Left: utterances in a 2-D feature plane coloured by true speaker, with GMM ellipses; right: BIC against K.

    Used in notebook 01 (``01_latent_factors_and_gmms``): ``Z`` (n, 2) are standardised (median log F0, spread of
    log F0) per utterance, ``means``/``covariances`` the fitted components, ``bic`` maps K to its BIC.

    Example
    -------
    >>> fig = plot_utterance_mixture(np.zeros((2, 2)), np.array(["a", "b"]), ["a", "b"], np.zeros((1, 2)),
    ...                              np.eye(2)[None], {1: 10.0, 2: 12.0})
    >>> fig.axes[1].get_title()
    'BIC on the fitting utterances'
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for s, color in zip(speakers, plt.cm.tab10(np.arange(len(speakers)))):
        sel = speaker_of_utt == s
        axes[0].scatter(Z[sel, 0], Z[sel, 1], s=12, color=color, label=s)
    for mean, cov in zip(means, covariances):
        covariance_ellipse(axes[0], mean, cov, "k")
    axes[0].set_xlabel("median log F0 (standardised)")
    axes[0].set_ylabel("spread of log F0 (standardised)")
    axes[0].legend()
    axes[0].set_title("held-out utterances (colour = true speaker), GMM ellipses")
    axes[1].plot(list(bic), list(bic.values()), marker="o")
    axes[1].set_xlabel("K")
    axes[1].set_title("BIC on the fitting utterances")
    fig.tight_layout()
    return fig


def plot_vowel_factors(X, factors):
    """Three panels of synthetic vowel spectra, each varying one known factor: vowel, F0, loudness.

    Used in notebook 01b (``01b_vae_and_infogan``): ``X`` are the vowel features of
    :func:`resynth_lib.concepts.vowels.make_vowel_dataset`, ``factors`` its (f0_hz, vowel, loudness_db) rows;
    the examples shown are picked from them.

    Example
    -------
    >>> from resynth_lib.concepts.vowels import make_vowel_dataset
    >>> fig = plot_vowel_factors(*make_vowel_dataset(400, seed=0))
    >>> [ax.get_title() for ax in fig.axes][0]
    'five vowels: formant peaks move'
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.2), sharey=True)
    for v, name in enumerate(VOWELS):
        i = np.flatnonzero((factors[:, 1] == v) & (np.abs(factors[:, 2] + 6) < 3))[0]   # one at mid loudness
        axes[0].plot(features_to_db(X[i]), label=f"/{name}/")
    axes[0].set_title("five vowels: formant peaks move")
    axes[0].legend(fontsize=7)
    for f0 in (100, 200, 290):
        i = np.argmin(np.abs(factors[:, 0] - f0) + 100 * (factors[:, 1] != 2) + 5 * np.abs(factors[:, 2] + 6))
        axes[1].plot(features_to_db(X[i]), label=f"F0 {factors[i, 0]:.0f} Hz")
    axes[1].set_title("/a/ at three F0s: harmonic spacing changes")
    axes[1].legend(fontsize=7)
    for loud in (-18, -10, -2):
        i = np.argmin(np.abs(factors[:, 2] - loud) + 100 * (factors[:, 1] != 2))
        axes[2].plot(features_to_db(X[i]), label=f"{factors[i, 2]:.0f} dB")
    axes[2].set_title("/a/ at three loudnesses: the curve shifts")
    axes[2].legend(fontsize=7)
    for ax in axes:
        ax.set_xlabel("mel band (0-4 kHz)")
    axes[0].set_ylabel("dB")
    fig.tight_layout()
    return fig


def _smooth(values, width: int = 25):
    return np.convolve(values, np.ones(width) / width, mode="valid")


def plot_beta_vae_curves(histories: Mapping, mode: str = "full"):
    """Reconstruction error and KL of β-VAE runs (one line per β, moving average over 25 steps, log scale).

    Used in notebook 01b (``01b_vae_and_infogan``): ``histories`` maps β to the history that
    :func:`resynth_lib.concepts.beta_vae.train_beta_vae` returns; ``mode`` goes in the title.

    Example
    -------
    >>> h = {"reconstruction": np.linspace(2, 1, 50), "kl": np.linspace(0.1, 1, 50)}
    >>> fig = plot_beta_vae_curves({1: h, 4: h}, mode="fast")
    >>> fig.axes[0].get_title()
    'reconstruction error (fast mode run)'
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 3))
    for beta, h in histories.items():
        axes[0].plot(_smooth(h["reconstruction"]), label=f"beta={beta}")
        axes[1].plot(_smooth(h["kl"]), label=f"beta={beta}")
    axes[0].set_title(f"reconstruction error ({mode} mode run)")
    axes[1].set_title("KL to the prior")
    for ax in axes:
        ax.set_xlabel("step")
        ax.set_yscale("log")
        ax.legend()
    fig.tight_layout()
    return fig


def plot_latent_factor_matrices(matrices: Mapping[str, np.ndarray], factor_names: Sequence[str]):
    """Heat maps (latents x factors, 0 to 1, values written in) side by side, one per titled matrix.

    Used in notebook 01b (``01b_vae_and_infogan``) for the normalised mutual information and the |Spearman|
    correlation between every latent and every known factor of each β-VAE.

    Example
    -------
    >>> fig = plot_latent_factor_matrices({"MI": np.eye(3), "rho": np.full((3, 3), 0.5)}, ["a", "b", "c"])
    >>> [ax.get_title() for ax in fig.axes]
    ['MI', 'rho']
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(1, len(matrices), figsize=(2.5 * len(matrices), 3.4), squeeze=False)
    for ax, (title, matrix) in zip(axes[0], matrices.items()):
        ax.imshow(matrix, vmin=0, vmax=1, cmap="viridis")
        ax.set_xticks(range(len(factor_names)), factor_names, rotation=20, fontsize=8)
        ax.set_yticks(range(matrix.shape[0]), [f"z{j}" for j in range(matrix.shape[0])])
        ax.set_title(title, fontsize=9)
        for (j, k), value in np.ndenumerate(matrix):
            ax.text(k, j, f"{value:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if value < 0.5 else "black")
    fig.tight_layout()
    return fig


def plot_info_gan_curves(history: Mapping, mode: str = "full"):
    """Left: the discriminator's and generator's losses against chance (2 log 2); right: Q's error reading the code.

    Used in notebook 01b (``01b_vae_and_infogan``): ``history`` is what
    :func:`resynth_lib.concepts.info_gan.train_info_gan` returns.

    Example
    -------
    >>> h = {"d_loss": [1.4, 1.3], "g_loss": [0.7, 0.8], "info_loss": [1.0, 0.5]}
    >>> fig = plot_info_gan_curves(h, mode="fast")
    >>> fig.axes[1].get_yscale()
    'log'
    >>> plt.close("all")
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 3))
    for key in ("d_loss", "g_loss"):
        axes[0].plot(history[key], label=key)
    axes[0].axhline(2 * np.log(2), color="0.6", ls=":", label="D at chance: 2 log 2")
    axes[0].set_title(f"the adversarial game ({mode} mode run)")
    axes[0].legend()
    axes[1].plot(history["info_loss"])
    axes[1].set_yscale("log")
    axes[1].set_title("Q's squared error reading the code back")
    for ax in axes:
        ax.set_xlabel("logged step")
    fig.tight_layout()
    return fig


def plot_learning_kinds(X, y, labelled=(0, 40, 80), every: int = 8):
    """The same 2-D points seen four ways: supervised, semi-supervised, unsupervised, self-supervised.

    Used in notebook 02 (``02_self_supervised_pretext_tasks``, §1): ``X`` (n, 2) points with classes ``y`` (0, 1
    or 2); ``labelled`` are the points the semi-supervised panel labels; the self-supervised panel hides y of every
    ``every``-th point and predicts it from x (the pseudo-label is in the data).

    Example
    -------
    >>> fig = plot_learning_kinds(np.random.default_rng(0).normal(size=(120, 2)), np.repeat([0, 1, 2], 40))
    >>> fig.axes[1].get_title()
    'semi-supervised: 3 labels, 117 unlabelled'
    >>> plt.close("all")
    """
    colours = np.array(["tab:blue", "tab:orange", "tab:green"])
    few = np.asarray(labelled)
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6), sharex=True, sharey=True)
    axes[0].scatter(*X.T, c=colours[y], s=14)
    axes[0].set_title("supervised: every point labelled")
    axes[1].scatter(*X.T, c="0.8", s=14)
    axes[1].scatter(*X[few].T, c=colours[y[few]], s=80, edgecolor="k")
    axes[1].set_title(f"semi-supervised: {len(few)} labels, {len(X) - len(few)} unlabelled")
    axes[2].scatter(*X.T, c="0.4", s=14)
    axes[2].set_title("unsupervised: find the groups")
    axes[3].scatter(X[:, 0], X[:, 1], c="0.8", s=14)
    axes[3].scatter(X[::every, 0], X[::every, 1], marker="x", c="k", s=30)
    for x0, x1 in X[::every]:
        axes[3].annotate("", (x0, x1), (x0, -1.6), arrowprops=dict(arrowstyle="->", color="tab:red", lw=0.7))
    axes[3].set_title("self-supervised: predict y from x\n(the pseudo-label is in the data)")
    fig.tight_layout()
    return fig


def plot_word_pairs(points, words: Sequence[str], royal=frozenset()):
    """Word vectors projected to 2-D, as (male, female) pairs joined by a grey line; royal words as triangles.

    Used in notebook 02 (``02_self_supervised_pretext_tasks``, word2vec): ``points`` (n, 2) are the projections of
    ``words``, which alternate male, female.

    Example
    -------
    >>> fig = plot_word_pairs(np.array([[0.0, 0.0], [1.0, 0.0]]), ["king", "queen"], royal={"king", "queen"})
    >>> len(fig.axes[0].texts)
    2
    >>> plt.close("all")
    """
    fig, ax = plt.subplots(figsize=(7, 5))
    for i, ((x, y), w) in enumerate(zip(points, words)):
        female = i % 2 == 1
        ax.scatter(x, y, c="tab:red" if female else "tab:blue", marker="^" if w in royal else "o", s=40)
        ax.annotate(w, (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
    for i in range(0, len(words), 2):
        ax.plot(*points[i:i + 2].T, color="0.8", lw=0.8, zorder=0)
    ax.set_title("skip-gram noun vectors, first two principal components\nred = female, blue = male, triangles = royal")
    return fig

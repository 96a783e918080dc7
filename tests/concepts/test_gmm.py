"""resynth_lib.concepts.gmm: EM is monotone, agrees with scikit-learn from the same start, BIC, purity, errors."""
import numpy as np
import pytest
from scipy.signal import lfilter
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from resynth_lib.concepts import gmm, gmm_em
from resynth_lib.concepts.gmm import GaussianMixture
from resynth_lib.core.audio import mfcc
from resynth_lib.core.rates import SAMPLE_RATE
from resynth_lib.course.checks import run_check

TRUE_WEIGHTS = np.array([0.5, 0.3, 0.2])
TRUE_MEANS = np.array([[0.0, 0.0], [5.0, 1.0], [1.0, 6.0]])
TRUE_COVS = np.array([[[1.0, 0.5], [0.5, 1.0]], [[1.5, 0.0], [0.0, 0.5]], [[0.6, -0.3], [-0.3, 1.2]]])


def mixture_2d(n=600, seed=0):
    """A 2-D mixture of three Gaussians with known parameters, and the true labels."""
    rng = np.random.default_rng(seed)
    z = rng.choice(3, size=n, p=TRUE_WEIGHTS)
    chol = np.linalg.cholesky(TRUE_COVS)
    X = TRUE_MEANS[z] + np.einsum("nij,nj->ni", chol[z], rng.standard_normal((n, 2)))
    return X, z


def harmonic_vowel(f0, formants, rng, seconds=0.25):
    """A harmonic source (1/h amplitudes, random phases) through two-pole formant resonators."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    f0 = f0 * (1 + 0.03 * rng.standard_normal())
    n_harm = int(4000 / f0)
    phases = rng.uniform(0, 2 * np.pi, size=n_harm)
    h = np.arange(1, n_harm + 1)
    x = (np.sin(2 * np.pi * f0 * h[:, None] * t[None, :] + phases[:, None]) / h[:, None]).sum(axis=0)
    for f in formants:
        f = f * (1 + 0.04 * rng.standard_normal())
        r = np.exp(-np.pi * 90.0 / SAMPLE_RATE)
        x = lfilter([1.0], [1.0, -2 * r * np.cos(2 * np.pi * f / SAMPLE_RATE), r * r], x)
    x = 0.5 * x / np.max(np.abs(x)) + 0.003 * rng.standard_normal(len(x))
    return x.astype(np.float32)


@pytest.fixture(scope="module")
def mfcc_frames():
    """13-d MFCC frames of synthetic vowels from four (F0, formants) 'speakers', with their labels."""
    rng = np.random.default_rng(1)
    sources = [(110, (700, 1200)), (220, (300, 2300)), (160, (500, 900)), (130, (400, 2000))]
    X, y = [], []
    for label, (f0, formants) in enumerate(sources):
        for _ in range(4):
            frames = mfcc(harmonic_vowel(f0, formants, rng)).T
            X.append(frames)
            y += [label] * len(frames)
    return np.concatenate(X).astype(np.float64), np.array(y)


def sklearn_from_same_start(X, ours, covariance_type):
    """A scikit-learn GMM started from exactly the parameters our fit starts from."""
    resp0 = ours.initial_responsibilities(X)
    w0, mu0, cov0 = gmm_em.m_step(X, resp0, covariance_type, ours.reg_covar)
    precisions = np.linalg.inv(cov0) if covariance_type == "full" else 1.0 / cov0
    return SkGaussianMixture(ours.n_components, covariance_type=covariance_type, tol=ours.tol,
                             max_iter=ours.max_iter, reg_covar=ours.reg_covar, weights_init=w0,
                             means_init=mu0, precisions_init=precisions).fit(X)


# ------------------------------------------------------------------ densities and steps
def test_log_gaussian_matches_scipy():
    from scipy.stats import multivariate_normal
    X, _ = mixture_2d(50)
    full = gmm_em.log_gaussian(X, TRUE_MEANS, TRUE_COVS, "full")
    for k in range(3):
        assert np.allclose(full[:, k], multivariate_normal(TRUE_MEANS[k], TRUE_COVS[k]).logpdf(X))
    variances = np.array([[1.0, 2.0], [0.5, 0.5], [3.0, 1.0]])
    diag = gmm_em.log_gaussian(X, TRUE_MEANS, variances, "diag")
    full_of_diag = gmm_em.log_gaussian(X, TRUE_MEANS, np.stack([np.diag(v) for v in variances]), "full")
    assert np.allclose(diag, full_of_diag)


def test_logsumexp_is_stable():
    a = np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [-np.inf, -np.inf]])
    out = gmm_em.logsumexp(a, axis=1)
    assert np.allclose(out[:2], [1000 + np.log(2), -1000 + np.log(2)])
    assert out[2] == -np.inf


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_e_step_responsibilities_sum_to_one(covariance_type):
    X, _ = mixture_2d(200)
    X = np.concatenate([X, [[200.0, -300.0]]])           # one far outlier: every density underflows
    covs = TRUE_COVS if covariance_type == "full" else np.array([np.diag(c) for c in TRUE_COVS])
    resp, ll = gmm_em.e_step(X, TRUE_WEIGHTS, TRUE_MEANS, covs, covariance_type)
    assert resp.shape == (201, 3) and np.all(resp >= 0)
    assert np.allclose(resp.sum(axis=1), 1.0)
    assert np.isfinite(ll)


def test_m_step_of_true_labels_recovers_parameters():
    X, z = mixture_2d(20000, seed=3)
    weights, means, covs = gmm_em.m_step(X, np.eye(3)[z], "full")
    assert np.allclose(weights, TRUE_WEIGHTS, atol=0.01)
    assert np.allclose(means, TRUE_MEANS, atol=0.05)
    assert np.allclose(covs, TRUE_COVS, atol=0.06)


# ------------------------------------------------------------------ EM
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
@pytest.mark.parametrize("init", ["kmeans++", "random"])
def test_log_likelihood_never_decreases(covariance_type, init):
    X, _ = mixture_2d()
    model = GaussianMixture(3, covariance_type=covariance_type, init=init, seed=2, tol=1e-8).fit(X)
    assert len(model.history_) == model.n_iter_ + 1 >= 3
    assert np.all(np.diff(model.history_) >= -1e-10)
    assert model.history_[-1] == pytest.approx(model.score(X), abs=1e-12)


def test_decreasing_log_likelihood_is_refused(monkeypatch):
    X, _ = mixture_2d(200)
    real_m_step = gmm_em.m_step

    def broken_m_step(X, resp, covariance_type, reg_covar=1e-6):
        w, mu, cov = real_m_step(X, resp, covariance_type, reg_covar)
        return w, mu + 0.5, cov                            # a "bug" that moves every mean
    monkeypatch.setattr(gmm, "m_step", broken_m_step)
    with pytest.raises(AssertionError, match="went down"):
        GaussianMixture(3, seed=0, tol=1e-10, max_iter=50).fit(X)


@pytest.mark.parametrize("reg_covar, seed", [(1e-3, 3), (0.1, 0), (1.0, 0)])
def test_regularised_em_is_not_mistaken_for_a_bug(reg_covar, seed):
    # adding reg_covar makes the M-step inexact: the likelihood may dip a little, within a known bound
    X, _ = mixture_2d(300, seed=seed)
    model = GaussianMixture(4, reg_covar=reg_covar, seed=seed, tol=0, max_iter=200).fit(X)
    assert np.all(np.isfinite(model.history_))
    if reg_covar == 1.0:
        assert np.min(np.diff(model.history_)) < 0          # the dip is real, and allowed


def test_keep_history_records_parameters_per_iteration():
    X, _ = mixture_2d(300)
    model = GaussianMixture(3, seed=0).fit(X, keep_history=True)
    assert len(model.params_history_) == len(model.history_)
    w, mu, cov = model.params_history_[-1]
    assert np.allclose(mu, model.means_) and cov.shape == (3, 2, 2)
    assert GaussianMixture(3, seed=0).fit(X).params_history_ is None


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_matches_sklearn_on_2d_mixture(covariance_type):
    X, _ = mixture_2d()
    ours = GaussianMixture(3, covariance_type=covariance_type, seed=0, tol=1e-6, max_iter=500).fit(X)
    ref = sklearn_from_same_start(X, ours, covariance_type)
    assert ours.n_iter_ == ref.n_iter_
    assert abs(ours.score(X) - ref.score(X)) <= 1e-3 * abs(ref.score(X))
    perm = gmm_em.align_labels(ref.means_, ours.means_)
    assert np.allclose(ours.weights_[perm], ref.weights_, atol=1e-6)
    assert np.allclose(ours.means_[perm], ref.means_, atol=1e-6)
    assert np.allclose(ours.covariances_[perm], ref.covariances_, atol=1e-6)
    assert ours.bic(X) == pytest.approx(ref.bic(X), rel=1e-9)
    assert ours.n_parameters() == ref._n_parameters()
    # and EM found the truth
    assert np.allclose(ours.means_[gmm_em.align_labels(TRUE_MEANS, ours.means_)], TRUE_MEANS, atol=0.3)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
@pytest.mark.parametrize("init", ["kmeans++", "random"])
def test_matches_sklearn_on_13d_mfcc(mfcc_frames, covariance_type, init):
    X, y = mfcc_frames
    assert X.shape[1] == 13
    ours = GaussianMixture(4, covariance_type=covariance_type, init=init, seed=3, tol=1e-6, max_iter=500).fit(X)
    ref = sklearn_from_same_start(X, ours, covariance_type)
    assert abs(ours.score(X) - ref.score(X)) <= 1e-3 * abs(ref.score(X))
    perm = gmm_em.align_labels(ref.means_, ours.means_)
    assert np.allclose(ours.weights_[perm], ref.weights_, atol=1e-5)
    assert np.allclose(ours.means_[perm], ref.means_, rtol=1e-5, atol=1e-4)
    assert np.allclose(ours.covariances_[perm], ref.covariances_, rtol=1e-5, atol=1e-4)
    assert np.array_equal(ref.predict(X), perm.argsort()[ours.predict(X)])


def test_bic_picks_the_true_number_of_components():
    X, _ = mixture_2d(900, seed=5)
    bics = {K: GaussianMixture(K, seed=0).fit(X).bic(X) for K in range(1, 7)}
    assert min(bics, key=bics.get) == 3


def test_count_parameters_and_sampling():
    assert gmm_em.count_parameters(3, 2, "full") == 2 + 6 + 9
    assert gmm_em.count_parameters(4, 13, "diag") == 3 + 52 + 52
    X, _ = mixture_2d(600)
    model = GaussianMixture(3, seed=0).fit(X)
    Xs, labels = model.sample(20000, rng=0)
    assert Xs.shape == (20000, 2) and set(np.unique(labels)) <= {0, 1, 2}
    assert np.allclose(np.bincount(labels, minlength=3) / 20000, model.weights_, atol=0.015)
    k = int(np.argmax(model.weights_))
    assert np.allclose(Xs[labels == k].mean(axis=0), model.means_[k], atol=0.06)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_clusters_recover_the_true_components(covariance_type):
    X, z = mixture_2d(900, seed=4)
    model = GaussianMixture(3, covariance_type=covariance_type, seed=0).fit(X)
    assert gmm_em.cluster_purity(z, model.predict(X)) > 0.95
    assert gmm_em.cluster_purity(z, np.zeros_like(z)) == pytest.approx(np.mean(z == 0))


# ------------------------------------------------------------------ helpers
def test_align_labels_undoes_a_permutation():
    perm = np.array([2, 0, 3, 1])
    true = np.arange(8.0).reshape(4, 2) * 3
    shuffled = true[np.argsort(perm)] + 0.1      # est[j] = true[argsort(perm)[j]]
    found = gmm_em.align_labels(true, shuffled)
    assert np.allclose(shuffled[found], true + 0.1)


@pytest.mark.parametrize("true, pred, expected", [
    ([0, 0, 1, 1], [1, 1, 0, 0], 1.0),            # relabelled but pure
    ([0, 0, 1, 1], [0, 0, 0, 0], 0.5),            # one cluster for everything: the majority share
    ([0, 1, 2, 0, 1, 2], [0, 1, 2, 3, 4, 5], 1.0),  # singletons are always pure
    (["a", "a", "b", "b", "b", "c"], [1, 1, 1, 2, 2, 2], 4 / 6),
])
def test_cluster_purity_hand_computed(true, pred, expected):
    assert gmm_em.cluster_purity(true, pred) == pytest.approx(expected)


def test_bad_input_gets_clear_errors():
    X, _ = mixture_2d(10)
    with pytest.raises(ValueError, match="more than the 10 samples"):
        GaussianMixture(11).fit(X)
    with pytest.raises(ValueError, match="2-D"):
        GaussianMixture(2).fit(X[:, 0])
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GaussianMixture(2).fit(bad)
    model = GaussianMixture(2).fit(X)
    with pytest.raises(ValueError, match="3 features per sample, the model has 2"):
        model.predict(np.zeros((4, 3)))
    with pytest.raises(RuntimeError, match="not fitted"):
        GaussianMixture(2).predict(X)
    with pytest.raises(ValueError, match="covariance_type"):
        GaussianMixture(2, covariance_type="spherical")
    with pytest.raises(ValueError, match="init_means must have shape"):
        GaussianMixture(2).fit(X, init_means=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="not positive definite"):
        gmm_em.log_gaussian(X, np.zeros((1, 2)), np.zeros((1, 2, 2)), "full")
    with pytest.raises(ValueError, match="same length"):
        gmm_em.cluster_purity([0, 1], [0, 1, 2])


def test_fit_from_given_means_or_responsibilities():
    X, z = mixture_2d(400)
    from_means = GaussianMixture(3, tol=1e-8).fit(X, init_means=TRUE_MEANS)
    from_resp = GaussianMixture(3, tol=1e-8).fit(X, init_resp=np.eye(3)[z])
    assert np.allclose(from_means.means_, TRUE_MEANS, atol=0.3)      # starting at the truth keeps the order
    assert from_means.score(X) == pytest.approx(from_resp.score(X), rel=1e-6)


# ------------------------------------------------------------------ exercises of notebook 01
def test_exercise_references_pass_and_naive_versions_fail():
    import resynth_lib.course.exercises.nb01  # noqa: F401  (registers the exercises)
    assert run_check("01.e_step", lambda X, w, m, c: gmm_em.e_step(X, w, m, c, "full")).status == "pass"
    assert run_check("01.m_step", lambda X, r: gmm_em.m_step(X, r, "full")).status == "pass"
    assert run_check("01.log_sum_exp", gmm_em.logsumexp).status == "pass"

    def naive_logsumexp(a, axis):
        with np.errstate(over="ignore", divide="ignore"):
            return np.log(np.sum(np.exp(a), axis=axis))
    assert run_check("01.log_sum_exp", naive_logsumexp).status == "fail"

    def stub(*args, **kwargs):
        raise NotImplementedError("write this")
    for name in ("01.e_step", "01.m_step", "01.log_sum_exp", "01.als_update"):
        assert run_check(name, stub).status == "not attempted"


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_matches_sklearn_on_corpus_speech_features(covariance_type):
    """Real corpus speech: 13-d MFCC frames of two test utterances of each of the four speakers."""
    from resynth_lib.data.corpus import load_corpus
    corpus = load_corpus()
    X = np.concatenate([mfcc(u.waveform()).T for s in corpus.speakers
                        for u in corpus.utterances(split="test", speaker=s)[:2]]).astype(np.float64)
    assert X.shape[1] == 13 and len(X) > 2000
    ours = GaussianMixture(8, covariance_type=covariance_type, seed=0, tol=1e-6, max_iter=500).fit(X)
    ref = sklearn_from_same_start(X, ours, covariance_type)
    assert abs(ours.score(X) - ref.score(X)) <= 1e-3 * abs(ref.score(X))
    perm = gmm_em.align_labels(ref.means_, ours.means_)
    assert np.allclose(ours.means_[perm], ref.means_, rtol=1e-4, atol=1e-3)
    assert np.allclose(ours.weights_[perm], ref.weights_, atol=1e-4)

"""resynth_lib.content.kmeans: Lloyd is monotone, no dead centroids, k-means++, agreement with scikit-learn."""
import numpy as np
import pytest
from sklearn.cluster import KMeans as SkKMeans

from resynth_lib.content import kmeans
from resynth_lib.content.kmeans import KMeans, MiniBatchKMeans
from resynth_lib.course.checks import run_check

CENTRES = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0], [6.0, 6.0], [3.0, 12.0]])


def blobs(n_per=200, seed=0, spread=1.0):
    rng = np.random.default_rng(seed)
    return np.concatenate([c + spread * rng.standard_normal((n_per, 2)) for c in CENTRES])


@pytest.fixture(scope="module")
def speech_mfcc():
    """MFCC + deltas (CMVN per utterance) of 32 training utterances, 8 per speaker: about 6,500 frames."""
    from resynth_lib.data import frames
    from resynth_lib.data.corpus import load_corpus
    corpus = load_corpus()
    utts = [u for s in corpus.speakers for u in corpus.utterances(split="train", speaker=s)[:8]]
    X = np.concatenate([frames.mfcc_frames(u.waveform(cache=True), deltas=True, normalise=True) for u in utts])
    assert X.shape[1] == 39 and len(X) > 3000
    return X


# ------------------------------------------------------------------ Lloyd's algorithm
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_inertia_never_increases(seed):
    X = blobs(seed=seed, spread=2.0)                  # overlapping blobs: many iterations
    for init in ("k-means++", "random"):
        km = KMeans(8, init=init, seed=seed, tol=0.0, max_iter=200).fit(X)
        history = np.array(km.inertia_history_)
        assert len(history) > 2
        assert np.all(np.diff(history) <= 1e-9 * history[0]), f"inertia rose: {history}"
        assert km.inertia_ == pytest.approx(km.inertia(X)) == pytest.approx(history[-1])


def test_finds_well_separated_blobs():
    X = blobs(spread=0.3)
    km = KMeans(5, seed=0, n_init=3).fit(X)
    found = km.cluster_centers_[np.argsort(km.cluster_centers_ @ [1.0, 100.0])]
    assert np.allclose(found, CENTRES[np.argsort(CENTRES @ [1.0, 100.0])], atol=0.1)
    assert km.predict(X).tolist() == km.labels_.tolist()


def test_a_centroid_far_from_all_data_is_not_left_empty():
    X = blobs(seed=5)
    init = np.concatenate([CENTRES[:4], [[1000.0, 1000.0]]])     # the fifth centroid attracts nothing
    labels, _ = kmeans.assign_clusters(X, init)
    assert 4 not in labels
    new, n_empty = kmeans.update_centroids(X, labels, init)
    assert n_empty == 1
    farthest = np.argmax(((X - new[labels]) ** 2).sum(1))
    assert np.array_equal(new[4], X[farthest])                    # re-seeded on the worst-fitted point
    km = KMeans(5, init=init, tol=0.0).fit(X)
    assert np.bincount(km.labels_, minlength=5).min() > 0
    assert np.abs(km.cluster_centers_).max() < 100


def test_update_centroids_is_the_mean_of_each_cluster():
    X = np.random.default_rng(6).standard_normal((50, 3))
    labels = np.arange(50) % 4
    new, n_empty = kmeans.update_centroids(X, labels, np.zeros((4, 3)))
    assert n_empty == 0
    assert np.allclose(new, [X[labels == k].mean(0) for k in range(4)])


def test_cluster_sums_equal_add_at_bit_for_bit():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((5000, 13)).astype(np.float32)
    labels = rng.integers(30, size=5000)
    slow = np.zeros((30, 13))
    np.add.at(slow, labels, X)
    assert np.array_equal(kmeans.cluster_sums(X, labels, 30), slow)


# ------------------------------------------------------------------ k-means++
def test_kmeans_plus_plus_picks_distinct_points():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((60, 3))
    for seed in range(10):
        C = kmeans.kmeans_plus_plus(X, 60, rng=seed)                  # K = N: every point exactly once
        assert len(np.unique(C, axis=0)) == 60
        assert np.array_equal(np.unique(C, axis=0), np.unique(X, axis=0))
    # float32 far from the origin: |x|^2 - 2 x.c + |c|^2 rounds, chosen points keep a small weight
    far = (1000 + 0.1 * rng.standard_normal((300, 13))).astype(np.float32)
    for seed in range(5):
        assert len(np.unique(kmeans.kmeans_plus_plus(far, 50, rng=seed), axis=0)) == 50


def test_kmeans_plus_plus_spreads_the_seeds():
    X = blobs(spread=0.2)
    for seed in range(5):
        C = kmeans.kmeans_plus_plus(X, 5, rng=seed)
        nearest = np.argmin(((C[:, None] - CENTRES[None]) ** 2).sum(-1), axis=1)
        assert sorted(nearest) == [0, 1, 2, 3, 4]                     # one seed in each blob


# ------------------------------------------------------------------ against scikit-learn
def sklearn_from(X, init, **kw):
    return SkKMeans(len(init), init=init, n_init=1, tol=0.0, max_iter=300, algorithm="lloyd", **kw).fit(X)


def test_matches_sklearn_from_the_same_initial_centroids():
    X = blobs(spread=2.0, seed=9)
    init = kmeans.kmeans_plus_plus(X, 8, rng=0)
    ours = KMeans(8, init=init, tol=0.0, max_iter=300).fit(X)
    ref = sklearn_from(X, init)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-6)
    assert np.allclose(ours.cluster_centers_, ref.cluster_centers_, atol=1e-6)


def test_matches_sklearn_on_speech_features(speech_mfcc):
    X = speech_mfcc
    init = kmeans.kmeans_plus_plus(X, 50, rng=0)
    ours = KMeans(50, init=init, tol=0.0, max_iter=300).fit(X)
    ref = sklearn_from(X, init)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-3)     # same start: same local minimum
    # each with its own k-means++ seeding (3 restarts): different local minima, within 1%
    ours = KMeans(50, n_init=3, seed=0).fit(X)
    ref = SkKMeans(50, n_init=3, random_state=0).fit(X)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=0.01)


def test_minibatch_is_close_to_full_kmeans():
    X = blobs(n_per=2000, spread=1.5, seed=10)
    full = KMeans(5, seed=0, n_init=3).fit(X)
    mini = MiniBatchKMeans(5, batch_size=256, max_iter=100, seed=0).fit(X)
    assert mini.inertia_ == pytest.approx(mini.inertia(X))
    assert full.inertia_ <= mini.inertia_ <= 1.05 * full.inertia_


# ------------------------------------------------------------------ predict and errors
def test_predict_and_errors():
    X = blobs(spread=0.3)
    with pytest.raises(RuntimeError, match="fit"):
        KMeans(3).predict(X)
    km = KMeans(5, seed=0).fit(X)
    assert km.predict(CENTRES + 0.01).tolist() == km.predict(CENTRES).tolist()
    assert len(set(km.predict(CENTRES).tolist())) == 5
    with pytest.raises(ValueError, match="3 features"):
        km.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        KMeans(2).fit(np.array([[0.0], [np.nan], [1.0]]))
    with pytest.raises(ValueError, match="2-D"):
        KMeans(2).fit(np.zeros(10))
    with pytest.raises(ValueError, match="empty"):
        KMeans(2).fit(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="n_clusters=20"):
        KMeans(20).fit(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="n_clusters=20"):
        MiniBatchKMeans(20).fit(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="init must be"):
        KMeans(2, init="kmeans").fit(X)
    with pytest.raises(ValueError, match="initial centroids have shape"):
        KMeans(2, init=np.zeros((3, 2))).fit(X)
    with pytest.raises(ValueError, match="one label per row"):
        kmeans.update_centroids(X, np.zeros(3, int), CENTRES)
    with pytest.raises(ValueError, match="labels must lie in"):
        kmeans.update_centroids(X[:2], np.array([0, 7]), CENTRES)
    with pytest.raises(ValueError, match="between 1 and"):
        kmeans.kmeans_plus_plus(X[:3], 4)


# ------------------------------------------------------------------ exercises of notebook 03
def test_exercise_references_pass_and_wrong_versions_fail():
    import resynth_lib.course.exercises.nb03  # noqa: F401  (registers the exercises)
    assert run_check("03.assign_clusters", kmeans.assign_clusters).status == "pass"
    assert run_check("03.update_centroids", kmeans.update_centroids).status == "pass"

    def labels_only(X, centroids):
        return kmeans.assign_clusters(X, centroids)[0]
    assert run_check("03.assign_clusters", labels_only).status == "fail"

    def leaves_empty_clusters(X, labels, centroids):
        new = np.array(centroids, dtype=float)
        for k in np.unique(labels):
            new[k] = X[labels == k].mean(0)
        return new, len(centroids) - len(np.unique(labels))
    assert run_check("03.update_centroids", leaves_empty_clusters).status == "fail"

    def stub(*args, **kwargs):
        raise NotImplementedError("write this")
    for name in ("03.assign_clusters", "03.update_centroids"):
        assert run_check(name, stub).status == "not attempted"

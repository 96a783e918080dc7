"""Tests of the unit quantiser (notebook 03)."""
import numpy as np
import pytest

from resynth_lib.content import unit_metrics as metrics
from resynth_lib.content import units
from resynth_lib.data.corpus import load_corpus


def test_fit_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    feats = [rng.normal(size=(300, 39)).astype(np.float32), rng.normal(size=(200, 39)).astype(np.float32)]
    q = units.fit_quantiser(feats, "mfcc", n_units=7, seed=0)
    assert q.centroids.shape == (7, 39) and q.record["frames"] == 500
    path = q.save(tmp_path / "q.npz")
    with pytest.raises(FileExistsError):
        q.save(path)
    loaded = units.load_quantiser(path)
    assert loaded.source == "mfcc" and loaded.n_units == 7
    np.testing.assert_array_equal(loaded.quantise(feats[0]), q.quantise(feats[0]))
    # every frame goes to its nearest centroid
    d = ((feats[0][:, None, :] - q.centroids[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(q.quantise(feats[0]), d.argmin(1))


def test_unknown_source_and_missing_file_are_explained(tmp_path):
    with pytest.raises(ValueError, match="source must be one of"):
        units.UnitQuantiser("wav2vec", np.zeros((2, 3)))
    with pytest.raises(FileNotFoundError, match="resynth train kmeans"):
        units.load_quantiser(tmp_path / "none.npz")


def test_shipped_ssl_units_carry_more_phone_information_than_mfcc_units():
    """Notebook 03's claim at K=100, on a subset of held-out test utterances."""
    try:
        quantisers = {s: units.load_quantiser(source=s) for s in units.SOURCES}
    except FileNotFoundError:
        pytest.skip("no shipped quantisers")
    corpus = load_corpus()
    test = corpus.utterances(split="test")[::2]
    phone_ids = {p: i for i, p in enumerate(corpus.phone_inventory)}
    scores = {}
    for s, q in quantisers.items():
        seqs = [q.units(u.waveform(cache=True)) for u in test]
        phones = np.concatenate([[phone_ids[p] for p in u.frame_labels(50, num_frames=len(x))]
                                 for u, x in zip(test, seqs)])
        scores[s] = metrics.pnmi(phones, np.concatenate(seqs))
    assert scores["ssl"] > scores["mfcc"] + 0.02

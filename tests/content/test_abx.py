"""ABX discriminability (notebook 03b): perfect, random and voice-keeping representations score as they should."""
import numpy as np
import pytest

from resynth_lib.content import abx
from resynth_lib.data.corpus import load_corpus


@pytest.fixture(scope="module")
def test_split():
    utts = load_corpus().utterances(split="test")
    return utts, abx.phone_items(utts)


def _phone_one_hot(utts, extra=None):
    inventory = sorted({p for u in utts for p in u.frame_labels()})
    feats = {}
    for k, u in enumerate(utts):
        labels = u.frame_labels()
        f = np.eye(len(inventory))[[inventory.index(p) for p in labels]]
        feats[u.utt_id] = f if extra is None else np.hstack([f, extra(u, len(labels))])
    return feats


def test_a_representation_that_is_the_phone_makes_no_errors(test_split):
    utts, items = test_split
    scores = abx.abx_error(items, _phone_one_hot(utts), n_triplets=300)
    assert scores == {"within speaker": 0.0, "across speaker": 0.0}


def test_noise_is_near_chance(test_split):
    utts, items = test_split
    rng = np.random.default_rng(0)
    scores = abx.abx_error(items, {u.utt_id: rng.normal(size=(400, 16)) for u in utts}, n_triplets=600)
    # not exactly 0.5: with noise, DTW finds a cheaper path between tokens of unequal length, and A and X (the same
    # phone) tend to have similar lengths, so noise is slightly worse than chance
    assert 0.4 < scores["within speaker"] < 0.75 and 0.4 < scores["across speaker"] < 0.75


def test_units_made_per_voice_fail_only_across_speakers(test_split):
    utts, items = test_split
    inventory = sorted({p for u in utts for p in u.frame_labels()})
    speakers = sorted({u.speaker for u in utts})
    codes = np.random.default_rng(0).normal(size=(len(speakers), len(inventory), 8))   # each voice its own code
    feats = {u.utt_id: codes[speakers.index(u.speaker)][[inventory.index(p) for p in u.frame_labels()]]
             for u in utts}
    scores = abx.abx_error(items, feats, n_triplets=600)
    assert scores["within speaker"] == 0.0 and scores["across speaker"] > 0.3


def test_dtw_is_symmetric_and_ignores_repeated_frames():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(7, 3))
    assert abx.dtw_distance(a, b) == pytest.approx(abx.dtw_distance(b, a))
    assert abx.dtw_distance(a, np.repeat(a, 2, axis=0)) == pytest.approx(0.0, abs=1e-9)
    assert abx.dtw_distance(a, b) > 0


def test_items_are_minimal_pair_material(test_split):
    _, items = test_split
    assert all(it.phone != "pau" and it.end - it.start >= 2 for it in items)
    assert len({it.context for it in items}) > 100

"""Few-label downstream tasks (notebook 05)."""
import numpy as np
import pytest

from resynth_lib.data.corpus import load_corpus
from resynth_lib.data.frames import log_mel_frames
from resynth_lib.speaker import few_labels


def test_the_phone_itself_is_learnt_from_one_utterance_and_noise_is_not():
    utts = load_corpus().utterances(split="valid")
    inventory = load_corpus().phone_inventory

    def oracle(u):
        labels = u.frame_labels(num_frames=len(log_mel_frames(u.waveform())))
        return np.eye(len(inventory))[[inventory.index(p) for p in labels]]
    rng = np.random.default_rng(0)
    res = few_labels.phone_few_label_curve({"oracle": oracle, "noise": lambda u: rng.normal(size=(len(oracle(u)), 8))},
                                           utts[:30], utts[-10:], counts=(10,), repeats=1, progress=False)
    assert res["mean"]["oracle"][0] > 0.8                     # phones never drawn are the only errors
    assert res["mean"]["noise"][0] < res["chance"] + 0.1


def test_voice_identification_scores_perfect_and_useless_embeddings():
    rng = np.random.default_rng(0)
    voices = {f"v{k}": [rng.normal(size=800) + 0 * j for j in range(3)] for k in range(5)}
    perfect = {id(w): k for k, v in enumerate(voices.values()) for w in v}
    res = few_labels.voice_identification({"perfect": lambda w: np.eye(5)[perfect[id(w)]],
                                           "constant": lambda w: np.ones(3)}, voices)
    assert res["perfect"] == 1.0 and res["chance"] == pytest.approx(0.2)
    assert res["constant"] <= 0.5
    with pytest.raises(ValueError, match="two clips"):
        few_labels.voice_identification({"x": np.mean}, {"a": [np.zeros(10)]})

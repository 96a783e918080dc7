"""Tests of the evaluation's phone recogniser (notebook 07b): CTC training learns, PER counts edits."""
import numpy as np

from resynth_lib.data.corpus import load_corpus
from resynth_lib.evaluation import phone_recogniser as PR


def test_edit_distance_and_phone_error_rate():
    assert PR.edit_distance(["a", "b", "c"], ["a", "c"]) == 1
    assert PR.edit_distance([], ["x", "y"]) == 2

    class Echo:                       # "recognises" a waveform as the phones stored in it
        def transcribe(self, wav):
            return list(wav)
    refs = [["a", "b", "c", "d"], ["e", "f"]]
    assert PR.phone_error_rate(Echo(), refs, refs) == 0
    assert PR.phone_error_rate(Echo(), [["a", "b"], ["e", "x"]], refs) == 3 / 6


def test_ctc_training_lowers_the_loss_and_transcribes_inventory_phones():
    corpus = load_corpus()
    utts = corpus.utterances(split="train", speaker="slt")[:6]
    phones = [p for p in corpus.phone_inventory if p != "pau"]
    model, hist = PR.train_phone_recogniser(utts, phones, epochs=6, batch_size=3, hidden=32, progress=False)
    assert hist["loss"][-1] < 0.8 * hist["loss"][0]
    assert set(model.transcribe(utts[0].waveform())) <= set(phones)
    assert PR.phone_sequence(utts[0]) and "pau" not in PR.phone_sequence(utts[0])
    feats = PR.recogniser_features(utts[0].waveform())
    np.testing.assert_allclose(feats.mean(0), 0, atol=1e-4)

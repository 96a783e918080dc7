"""Tests of the vocoder's evaluation (notebook 06b): the scores can tell a perfect decoder from a bad one."""
import numpy as np
import pytest

from resynth_lib.data.corpus import load_corpus
from resynth_lib.decoder import hifigan
from resynth_lib.decoder import hifigan_train as VT
from resynth_lib.evaluation import vocoder_scores as VE
from resynth_lib.speaker import classifier


@pytest.fixture(scope="module")
def setup():
    corpus = load_corpus()
    clf = classifier.SpeakerClassifier().fit(corpus.utterances(split="train")[::8])
    test = corpus.utterances(split="test")[::22]                       # 4 utterances, every speaker
    items = VT.prepare_vocoder_data(test, corpus.speakers, progress=False)
    return corpus, clf, test, items


def test_a_perfect_decoder_scores_perfectly(setup):
    corpus, clf, test, items = setup
    res = VE.resynthesis_scores(None, test, corpus.speakers, clf, items=items, progress=False,
                                decode=lambda item: item["wav"])
    s = res["summary"]
    assert s["vde"] == 0 and s["ffe"] == 0 and s["log_mel_l1"] == 0
    assert s["speaker_accuracy"] == s["speaker_accuracy_ground_truth"] == 1.0
    assert {r["speaker"] for r in res["per_utterance"]} == set(corpus.speakers)


def test_noise_and_a_wrong_voice_score_badly(setup):
    corpus, clf, test, items = setup
    rng = np.random.default_rng(0)
    noise = VE.resynthesis_scores(None, test, corpus.speakers, clf, items=items, progress=False,
                                  decode=lambda item: 0.05 * rng.standard_normal(len(item["wav"])))
    assert noise["summary"]["ffe"] > 0.3 and noise["summary"]["log_mel_l1"] > 1.0
    # every utterance decoded as the first one: right for one speaker at most
    wrong = VE.resynthesis_scores(None, test, corpus.speakers, clf, items=items, progress=False,
                                  decode=lambda item: items[0]["wav"])
    assert wrong["summary"]["speaker_accuracy"] <= 0.25


def test_untrained_vocoder_runs_end_to_end_and_rtf_is_positive(setup):
    corpus, clf, test, items = setup
    voc = hifigan.Vocoder(n_units=100, n_speakers=4, channels=16, source=True).eval()
    res = VE.resynthesis_scores(voc, test[:1], corpus.speakers, clf, items=items[:1], progress=False)
    assert 0 <= res["summary"]["ffe"] <= 1
    rtf = VE.real_time_factor(voc, seconds=0.5, repeats=2)
    assert rtf["x_real_time"] > 0 and len(rtf["runs_s"]) == 2

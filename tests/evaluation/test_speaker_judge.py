"""Tests of the evaluation's speaker judge and the degradations both judges train on (notebook 07b)."""
import numpy as np
import torch

from resynth_lib.data.corpus import load_corpus
from resynth_lib.evaluation import phone_recogniser as PR
from resynth_lib.evaluation import speaker_judge as SJ


def test_augment_keeps_length_and_level_and_hits_the_requested_snr():
    rng = np.random.default_rng(0)
    w = np.sin(np.arange(32000) * 0.05).astype(np.float32) * 0.3
    y = PR.augment(w, rng, gain_db=0.0, snr_db=(10.0, 10.0), p_noise=1.0, p_tilt=0.0)
    noise = y - w
    assert y.shape == w.shape and y.dtype == np.float32
    assert abs(10 * np.log10(np.mean(w ** 2) / np.mean(noise ** 2)) - 10.0) < 0.01
    tilted = PR.augment(w, rng, gain_db=0.0, p_noise=0.0, p_tilt=1.0)
    assert abs(np.mean(tilted ** 2) / np.mean(w ** 2) - 1) < 0.01          # tilt keeps the power
    masked = PR.spec_augment(torch.ones(100, 80), np.random.default_rng(1), n_masks=2, max_bands=10, max_frames=8)
    assert masked.shape == (100, 80) and 0 < (masked == 0).sum() < 100 * 80 / 2


def test_judge_learns_the_speakers_from_a_few_steps():
    corpus = load_corpus()
    train = corpus.utterances(split="train")[::8]
    model, hist = SJ.train_speaker_judge(train, corpus.speakers, steps=100, batch_size=8, progress=False)
    assert hist["loss"][-1] < hist["loss"][0] and hist["step"] == [50, 100]
    test = [corpus.utterances(split="test", speaker=s)[0] for s in corpus.speakers]
    assert all(model.predict(u.waveform()) in corpus.speakers for u in test)
    assert model.embed(test[0].waveform()).shape == (128,)
    feats = SJ.judge_features(test[0].waveform())
    assert abs(feats.mean()) < 1e-4 and feats.std(0).max() > 0.1        # loudness removed, band shape kept


def test_shipped_judge_is_right_on_clean_and_noisy_test_audio():
    judge = SJ.load_speaker_judge()
    test = [u for s in load_corpus().speakers for u in load_corpus().utterances(split="test", speaker=s)[:3]]
    assert SJ.judge_accuracy(judge, test) == 1.0
    rng = np.random.default_rng(3)
    noisy = SJ.judge_accuracy(judge, test, lambda w: PR.add_white_noise(w, 20.0, rng))
    assert noisy >= 0.9

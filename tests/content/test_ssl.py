"""Tests of the self-supervised speech models, frame features and linear probes (notebook 02)."""
import numpy as np
import pytest
import torch

from resynth_lib.content import probe, ssl_train
from resynth_lib.content import ssl_models as ssl
from resynth_lib.data import frames
from resynth_lib.data.corpus import load_corpus


def test_frame_grid_is_50_hz():
    wav = np.random.default_rng(0).normal(size=16000 * 2 + 100).astype(np.float32)
    assert frames.num_frames(wav) == 100
    assert frames.ssl_input(wav).shape == (200, 80)
    assert frames.mfcc_frames(wav).shape == (100, 13)
    assert frames.mfcc_frames(wav, deltas=True).shape == (100, 39)
    assert frames.log_mel_frames(wav).shape == (100, 80)


def test_ssl_input_is_normalised_per_utterance():
    wav = np.random.default_rng(1).normal(size=16000).astype(np.float32)
    x = frames.ssl_input(wav)
    np.testing.assert_allclose(x.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(x.std(0), 1, atol=1e-2)
    np.testing.assert_allclose(frames.ssl_input(3 * wav), x, atol=1e-3)  # a louder copy looks the same


def test_ssl_input_rejects_too_short_audio():
    with pytest.raises(ValueError, match="shorter than one"):
        frames.ssl_input(np.ones(100))


def test_mask_from_starts_by_hand():
    starts = np.array([[True, False, False, False, True, False, False]])
    assert ssl.mask_from_starts(starts, 3).astype(int).tolist() == [[1, 1, 1, 0, 1, 1, 1]]
    assert not ssl.mask_from_starts(np.zeros((2, 5), bool), 3).any()


def test_span_mask_fraction_matches_theory():
    m = ssl.span_mask(200, 150, mask_prob=0.08, span=10, rng=0)
    expected = 1 - 0.92 ** 10   # away from the row start
    assert abs(m[:, 10:].mean() - expected) < 0.02
    assert m.any(axis=1).all()


def test_info_nce_by_hand():
    pred = torch.tensor([[[2.0, 0.0]]])
    cand = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]])
    scores = np.array([2.0, 0.0, -2.0])
    expected = -(scores[1] - np.log(np.exp(scores).sum()))
    assert float(ssl.info_nce(pred, cand, torch.tensor([1]))) == pytest.approx(expected, rel=1e-6)
    # perfectly separated predictions drive the loss to zero
    eye = 50 * torch.eye(4)[None]
    assert float(ssl.info_nce(eye, eye, torch.arange(4))) < 1e-6


@pytest.mark.parametrize("kind", ["hubert", "cpc"])
def test_training_lowers_the_pretext_loss_and_resumes_exactly(kind, tmp_path):
    rng = np.random.default_rng(0)
    # a learnable stream: runs of 25 frames of one class, each class with its own input pattern,
    # so a hidden frame's class can be read from its neighbours and the future is predictable
    y = np.repeat(rng.integers(0, 4, size=80), 25)
    x = (3 * rng.normal(size=(4, 80))[np.repeat(y, 2)] + rng.normal(size=(4000, 80))).astype(np.float32)
    args = {"dim": 32, "layers": 1, "heads": 2, "n_targets": 4} if kind == "hubert" else {"dim": 32, "steps": 3}
    common = dict(batch_size=4, frames=40, lr=3e-3, warmup=5, model_args=args, progress=False, log_every=5)
    model, hist = ssl_train.train_ssl(kind, [x], [y], steps=60, **common)
    assert np.mean(hist["loss"][-3:]) < hist["loss"][0] - 0.2
    ckpt = tmp_path / "resume.pt"
    ssl_train.train_ssl(kind, [x], [y], steps=60, stop_at=30, checkpoint_path=ckpt, checkpoint_every=1000, **common)
    resumed, hist2 = ssl_train.train_ssl(kind, [x], [y], steps=60, checkpoint_path=ckpt, resume=True, **common)
    for a, b in zip(model.state_dict().values(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b)
    assert hist2["loss"] == pytest.approx(hist["loss"])


def test_hubert_without_targets_is_refused():
    with pytest.raises(ValueError, match="needs targets"):
        ssl_train.train_ssl("hubert", [np.zeros((400, 80), np.float32)], None, steps=1, progress=False)


def test_save_and_load_round_trip(tmp_path):
    model = ssl.HuBERTModel(dim=16, layers=2, heads=2, n_targets=5).eval()
    path = ssl.save_ssl_model(model, tmp_path / "m.pt", {"steps": 0})
    with pytest.raises(FileExistsError):
        ssl.save_ssl_model(model, path, {})
    loaded = ssl.load_ssl_model(path)
    x = np.random.default_rng(0).normal(size=(60, 80)).astype(np.float32)
    for a, b in zip(ssl.layer_features(model, x), ssl.layer_features(loaded, x)):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert (tmp_path / "m.json").exists()


def test_linear_probe_recovers_a_linear_rule():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    y = np.argmax(X[:, :3] @ rng.normal(size=(3, 3)), axis=1)
    assert probe.probe_accuracy(X[:400], y[:400], X[400:], y[400:]) > 0.9
    noise = rng.normal(size=(600, 5))
    assert probe.probe_accuracy(noise[:400], y[:400], noise[400:], y[400:]) < 0.6


def test_shipped_content_layer_beats_mfcc_on_phones_and_carries_less_speaker():
    """The claim notebook 02 makes, for the layer chosen on the validation split, on held-out test utterances."""
    if not (ssl.CHECKPOINT_DIR / "content_layer.json").exists():
        pytest.skip("no shipped content-layer choice")
    model, layer, choice = ssl.load_content_model()
    assert choice["layer_name"] == model.layer_names[layer]
    corpus = load_corpus()
    train, test = corpus.utterances(split="train")[::4], corpus.utterances(split="test")
    reps = {"mfcc": lambda u: frames.mfcc_frames(u.waveform(cache=True)),
            "chosen": lambda u: ssl.content_features(model, layer, u.waveform(cache=True))}
    table = probe.probe_representations(reps, train, test, max_train=20000)
    assert table["chosen"]["phone"] > table["mfcc"]["phone"] + 0.05
    assert table["chosen"]["speaker"] < table["mfcc"]["speaker"]

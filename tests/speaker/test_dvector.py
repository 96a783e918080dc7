"""Tests of the speaker lookup table, the d-vector encoder, GE2E and the EER (notebook 05)."""
import math

import numpy as np
import pytest
import torch

from resynth_lib.data.corpus import load_corpus
from resynth_lib.speaker import dvector as speaker
from resynth_lib.speaker import dvector_train, verification

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def train_features(corpus):
    return dvector_train._features_by_speaker(corpus.utterances(split="train"), ())


@pytest.fixture(scope="module")
def held_out(corpus):
    utts = corpus.utterances(split="valid") + corpus.utterances(split="test")
    return utts[::2]                                   # 88 utterances, 22 per speaker


# ------------------------------------------------------------- the lookup table
def test_speaker_table_has_a_row_per_known_speaker_only():
    table = speaker.SpeakerTable(["awb", "rms", "slt"], dim=8)
    ids = table.ids(["slt", "awb"])
    assert ids.tolist() == [2, 0]
    assert torch.equal(table(ids), table.table.weight[[2, 0]])
    with pytest.raises(KeyError, match="no row for speaker"):
        table.ids(["kal16"])


# ------------------------------------------------------------- GE2E by hand
def _ge2e_by_loop(e, w, b):
    N, M, _ = e.shape
    cos = lambda u, v: float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))  # noqa: E731
    total = 0.0
    for j in range(N):
        for i in range(M):
            scores = []
            for k in range(N):
                others = [e[k, m] for m in range(M) if not (k == j and m == i)]
                scores.append(w * cos(e[j, i], np.mean(others, axis=0)) + b)
            total += -scores[j] + math.log(sum(math.exp(s) for s in scores))
    return total / (N * M)


@pytest.mark.parametrize("shape,w,b", [((2, 2, 3), 10.0, -5.0), ((3, 4, 5), 2.0, 0.5), ((4, 3, 8), 7.5, -1.0)])
def test_ge2e_loss_matches_a_loop(shape, w, b):
    e = torch.randn(*shape, generator=torch.Generator().manual_seed(sum(shape)))
    assert float(verification.ge2e_loss(e, w, b)) == pytest.approx(_ge2e_by_loop(e.numpy().astype(np.float64), w, b),
                                                              rel=1e-5)


def test_ge2e_loss_rewards_separated_speakers_and_needs_two_utterances():
    centres = torch.eye(3)[:, None, :] * 5
    tight = centres + 0.01 * torch.randn(3, 4, 3, generator=torch.Generator().manual_seed(0))
    mixed = torch.randn(3, 4, 3, generator=torch.Generator().manual_seed(1))
    assert verification.ge2e_loss(tight, 10.0, -5.0) < 0.01 < verification.ge2e_loss(mixed, 10.0, -5.0)
    with pytest.raises(ValueError, match="at least 2"):
        verification.ge2e_loss(torch.randn(3, 1, 4), 10.0, -5.0)


def test_cosine_similarity_matrix_numpy_and_torch_agree():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 4)), rng.normal(size=(3, 4))
    got = verification.cosine_similarity_matrix(a, b)
    np.testing.assert_allclose(got, verification.cosine_similarity_matrix(torch.tensor(a), torch.tensor(b)).numpy())
    assert got[1, 2] == pytest.approx(a[1] @ b[2] / np.linalg.norm(a[1]) / np.linalg.norm(b[2]))


# ------------------------------------------------------------- EER by hand
def test_equal_error_rate_by_hand():
    assert verification.equal_error_rate([0.9, 0.8, 0.7, 0.3, 0.2], [1, 1, 1, 0, 0]) == 0.0
    assert verification.equal_error_rate([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]) == 1.0      # scores upside down
    # targets 0.9, 0.7, 0.5; non-targets 0.8, 0.3, 0.2, 0.1: at any threshold in (0.3, 0.5] one of four
    # non-targets is accepted (FAR 1/4) and no target rejected; the ROC crosses FAR = FRR at 1/4
    assert verification.equal_error_rate([0.9, 0.7, 0.5, 0.8, 0.3, 0.2, 0.1], [1, 1, 1, 0, 0, 0, 0]) == pytest.approx(0.25)
    # all scores tied: the only ROC points are (0, 1) and (1, 0); they cross at 1/2
    assert verification.equal_error_rate([0.5] * 6, [1, 0, 1, 0, 1, 0]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="both target"):
        verification.equal_error_rate([0.1, 0.2], [1, 1])


def test_equal_error_rate_of_identical_and_shifted_distributions():
    rng = np.random.default_rng(0)
    same = np.r_[rng.normal(size=4000), rng.normal(size=4000)]
    labels = np.r_[np.ones(4000, int), np.zeros(4000, int)]
    assert verification.equal_error_rate(same, labels) == pytest.approx(0.5, abs=0.02)
    # two unit Gaussians d apart: the EER is Phi(-d / 2)
    shifted = np.r_[rng.normal(2.0, 1.0, 4000), rng.normal(0.0, 1.0, 4000)]
    assert verification.equal_error_rate(shifted, labels) == pytest.approx(0.1587, abs=0.015)


def test_verification_trials_are_all_pairs():
    scores, labels, pairs = verification.verification_trials(np.eye(4)[[0, 0, 1, 2, 2]], list("aabcc"))
    assert len(scores) == 10 and labels.sum() == 2
    assert scores[labels == 1].tolist() == [1.0, 1.0] and scores[labels == 0].max() == 0.0
    assert pairs[0].tolist() == [0, 1]


# ------------------------------------------------------------- the encoder and its training
def test_encoder_masks_padding_and_rejects_bad_audio():
    enc = speaker.DVectorEncoder(hidden=16, dim=8).eval()
    x = torch.randn(1, 40, 80)
    padded = torch.cat([x, torch.randn(1, 25, 80)], dim=1)
    with torch.no_grad():
        torch.testing.assert_close(enc(x), enc(padded, torch.tensor([40])), atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="at least 320"):
        enc.embed(np.zeros(100))
    with pytest.raises(ValueError, match="NaN"):
        enc.embed(np.full(16000, np.nan))


@pytest.mark.parametrize("loss", ["ge2e", "softmax"])
def test_training_lowers_the_loss_and_resumes_exactly(loss, tmp_path):
    rng = np.random.default_rng(0)
    data = {s: [rng.normal(0, 1, (70, 80)) + rng.normal(0, 1, 80) * (k + 1) for _ in range(6)]
            for k, s in enumerate("abc")}
    args = dict(steps=16, seed=3, loss=loss, utterances_per_speaker=3, crop=(30, 40), progress=False,
                model_args={"hidden": 16, "dim": 8}, log_every=4, checkpoint_every=4)
    straight, hist = dvector_train.train_dvector(data, checkpoint_path=tmp_path / "a.pt", **args)
    assert hist["loss"][-1] < hist["loss"][0]
    dvector_train.train_dvector(data, checkpoint_path=tmp_path / "b.pt", stop_at=8, **args)
    resumed, hist_b = dvector_train.train_dvector(data, checkpoint_path=tmp_path / "b.pt", resume=True, **args)
    assert hist_b["loss"] == hist["loss"]
    for key, value in straight.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key


def test_short_training_separates_held_out_speakers(train_features, held_out):
    model, hist = dvector_train.train_dvector(train_features, steps=40, progress=False, model_args={"hidden": 64})
    assert hist["loss"][-1] < hist["loss"][0]
    assert model.speakers == ["awb", "kal16", "rms", "slt"]
    assert verification.speaker_eer(model, held_out) < 0.1          # chance is 0.5; measured 0.0


def test_leave_one_speaker_out_encoder_still_tells_the_unseen_voice_apart(train_features, held_out, tmp_path):
    model, _ = dvector_train.train_dvector(train_features, steps=60, progress=False, exclude_speakers=["slt"],
                                     model_args={"hidden": 64})
    assert "slt" not in model.speakers
    emb = speaker.embed_utterances(model, held_out)
    assert verification.speaker_eer(model, held_out, involving="slt", embeddings=emb) < 0.35   # chance 0.5
    assert verification.speaker_eer(model, held_out, involving="awb", embeddings=emb) < 0.1    # a seen voice
    # the lookup table has no row for it at all
    with pytest.raises(KeyError):
        speaker.SpeakerTable(model.speakers).ids(["slt"])
    path = speaker.save_dvector(model, tmp_path / "loo.pt", {"exclude": ["slt"]})
    with pytest.raises(FileExistsError):
        speaker.save_dvector(model, path, {})
    loaded = speaker.load_dvector(path)
    wav = held_out[0].waveform()
    np.testing.assert_array_equal(loaded.embed(wav), model.embed(wav))
    assert loaded.speakers == model.speakers


def test_command_writes_checkpoint_and_record_and_refuses_to_overwrite(tmp_path, monkeypatch):
    import json
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "d.pt"
    assert dvector_train.main(["--steps", "3", "--hidden", "16", "--threads", "1", "--out", str(out)]) == 0
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["steps"] == 3 and set(record["eer_valid_test"]) == {"all", "awb", "kal16", "rms", "slt"}
    assert "optimiser" not in torch.load(out, weights_only=True)
    assert (tmp_path / "runs" / "d_resume.pt").exists()
    with pytest.raises(SystemExit):
        dvector_train.main(["--out", str(out)])


def test_shipped_checkpoint_if_present():
    if not speaker.CHECKPOINT_PATH.exists():
        pytest.skip("no shipped d-vector checkpoint yet (resynth train dvector)")
    model = speaker.load_dvector()
    assert model.config["dim"] == speaker.EMBED_DIM
    assert model.embed(np.random.default_rng(0).normal(size=16000) * 0.1).shape == (speaker.EMBED_DIM,)

"""The frame-rate acoustic model (notebook 06c): targets, shapes, chunked prediction, training, shipped model."""
import json

import numpy as np
import torch

from resynth_lib.content.units import load_quantiser
from resynth_lib.core.config import DATA_DIR
from resynth_lib.data.corpus import load_corpus
from resynth_lib.decoder import acoustic as A
from resynth_lib.decoder.acoustic_train import acoustic_data, train_acoustic, validation_scores


def test_targets_align_one_to_one_with_units():
    wav = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    assert A.mel_target(wav).shape == (50, 80)
    v = A.voicing_target(np.r_[np.zeros(100), np.full(101, 120.0)], 50)
    assert v.shape == (50, 4) and not v[:25].any() and v[25:].all()


def test_prediction_in_chunks_equals_one_pass_when_short_and_stays_close_when_long():
    torch.manual_seed(0)
    model = A.AcousticModel(channels=32, hidden=16).eval()
    rng = np.random.default_rng(0)
    T = 60
    units, codes, f0 = rng.integers(0, 100, T), rng.integers(0, 20, T // 4), np.full(4 * T, 130.0)
    whole, v_whole = A.predict(model, units, codes, 2, f0)
    with torch.no_grad():
        ref = model(torch.as_tensor(units)[None], torch.as_tensor(codes)[None], torch.tensor([2]),
                    torch.as_tensor(f0, dtype=torch.float32)[None])[0][0].numpy()
    assert np.allclose(whole, ref, atol=1e-5)
    chunked, v_chunked = A.predict(model, units, codes, 2, f0, chunk=20, context=12)
    assert chunked.shape == whole.shape and v_chunked.shape == v_whole.shape == (4 * T,)
    assert np.abs(chunked - whole).mean() < 0.05 * np.abs(whole).mean()


def test_training_fits_a_small_set():
    data = acoustic_data(load_corpus().utterances(split="valid")[:2], load_corpus().speakers, progress=False)
    model, hist = train_acoustic(data, steps=60, batch_size=4, frames=32, model_kw={"channels": 32, "hidden": 16},
                                 progress=False, log_every=10, lr=3e-3)
    assert hist["mel"][-1] < 0.6 * hist["mel"][0]


def test_shipped_model_predicts_held_out_mel_and_voicing():
    record = json.loads((DATA_DIR / "checkpoints" / "acoustic.json").read_text())
    model = A.load_acoustic_model()
    corpus = load_corpus()
    quantiser = load_quantiser(source="ssl", n_units=model.config["n_units"])      # the units it was trained on
    data = acoustic_data([corpus.utterances(split="test", speaker=s)[0] for s in corpus.speakers], corpus.speakers,
                         quantiser, progress=False)
    scores = validation_scores(model, data)
    assert scores["mel_l1"] < 0.6 and scores["voicing_accuracy"] > 0.85
    assert record["valid_mel_l1"] < 0.6 and record["wall_seconds"] <= 30 * 60
    assert record["loss_curve"]["mel"][-1] < record["loss_curve"]["mel"][0]

"""InfoGAN (notebook 01b): the code can be read back, fooling D leaves D alone, the shipped model is what its record says."""
import json

import numpy as np
import pytest
import torch

from resynth_lib.concepts import info_gan as IG
from resynth_lib.concepts.vowels import make_vowel_dataset
from resynth_lib.core.config import CHECKPOINT_DIR


def test_q_learns_to_read_the_code_back_from_generated_examples():
    X, _ = make_vowel_dataset(500, seed=0)
    model, history = IG.train_info_gan(X, steps=400, seed=0, progress=False)
    noise, code = model.sample_inputs(256, torch.Generator().manual_seed(1))
    with torch.no_grad():
        read = model.discriminate(model.generate(noise, code))[1]
    # codes are uniform in [-1, 1] (variance 1/3 each): Q must do far better than guessing 0
    assert float(((read - code) ** 2).mean()) < 0.1
    assert np.mean(history["info_loss"][-10:]) < 0.2 * np.mean(history["info_loss"][:3])


def test_training_is_reproducible_and_standardises_with_the_training_data():
    X, _ = make_vowel_dataset(300, seed=0)
    a, _ = IG.train_info_gan(X, steps=30, seed=3, progress=False)
    b, _ = IG.train_info_gan(X, steps=30, seed=3, progress=False)
    assert np.allclose(IG.encode(a, X), IG.encode(b, X))
    assert torch.allclose(a.mean, torch.as_tensor(X.mean(0), dtype=torch.float32), atol=1e-4)


def test_code_traversal_moves_only_the_chosen_code():
    model = IG.InfoGAN(code_dim=3, noise_dim=2).eval()
    rows = IG.code_traversal(model, 1, [-1.0, 1.0])
    assert rows.shape == (2, 64) and not np.allclose(rows[0], rows[1])
    with pytest.raises(ValueError, match="dim"):
        IG.code_traversal(model, 3, [0.0])


def test_the_shipped_model_scores_what_its_record_says():
    record = json.loads((CHECKPOINT_DIR / "info_gan.json").read_text())
    model = IG.load_info_gan(CHECKPOINT_DIR / "info_gan.pt")
    heldout = IG.evaluate_heldout(model)
    assert heldout["mig"] == pytest.approx(record["heldout"]["mig"], abs=1e-6)
    assert heldout["seed"] != record["train_set"]["seed"]

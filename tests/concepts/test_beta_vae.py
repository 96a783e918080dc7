"""resynth_lib.concepts.beta_vae: the vowel data, the beta-VAE, MIG on hand-built codes, shipped checkpoints."""
import json

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from resynth_lib.concepts import beta_vae as D
from resynth_lib.concepts import disentanglement_metrics
from resynth_lib.concepts import vowels as vowels_mod
from resynth_lib.core.checkpoints import read_checkpoint
from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.core.rates import SAMPLE_RATE

CHECKPOINTS = [CHECKPOINT_DIR / "beta_vae_beta1.pt", CHECKPOINT_DIR / "beta_vae_beta4.pt"]


@pytest.fixture(scope="module")
def vowels():
    return vowels_mod.make_vowel_dataset(1500, seed=7)


# ------------------------------------------------------------------ the dataset
def test_dataset_shapes_ranges_and_determinism(vowels):
    X, factors = vowels
    assert X.shape == (1500, vowels_mod.N_BANDS) and X.dtype == np.float32 and np.all(np.isfinite(X))
    assert factors.shape == (1500, 3) and len(vowels_mod.FACTOR_NAMES) == 3
    f0, vowel, loudness = factors.T
    assert vowels_mod.F0_RANGE[0] <= f0.min() and f0.max() <= vowels_mod.F0_RANGE[1]
    assert set(np.unique(vowel)) == set(range(len(vowels_mod.VOWELS)))
    assert vowels_mod.LOUDNESS_RANGE[0] <= loudness.min() and loudness.max() <= vowels_mod.LOUDNESS_RANGE[1]
    # F0 is log-uniform: its log has about the same number of examples in each half of the range
    mid = np.exp(np.mean(np.log(vowels_mod.F0_RANGE)))
    assert 0.45 < np.mean(f0 < mid) < 0.55
    X2, factors2 = vowels_mod.make_vowel_dataset(1500, seed=7)
    assert np.array_equal(X, X2) and np.array_equal(factors, factors2)
    X3, _ = vowels_mod.make_vowel_dataset(1500, seed=8)
    assert not np.allclose(X, X3)


def test_loudness_is_the_mean_band_level(vowels):
    X, factors = vowels
    level = vowels_mod.features_to_db(X).mean(axis=1)
    assert np.allclose(level, vowels_mod.REFERENCE_LEVEL_DB + factors[:, 2], atol=1e-3)


def test_vowel_and_f0_are_recoverable_from_the_features():
    from sklearn.linear_model import LogisticRegression, Ridge
    X, factors = vowels_mod.make_vowel_dataset(2500, seed=3)
    train, test = slice(0, 2000), slice(2000, None)
    shape = X - X.mean(axis=1, keepdims=True)                     # loudness removed
    clf = LogisticRegression(max_iter=2000).fit(shape[train], factors[train, 1])
    assert clf.score(shape[test], factors[test, 1]) > 0.9
    reg = Ridge(alpha=1.0).fit(shape[train], np.log(factors[train, 0]))
    assert reg.score(shape[test], np.log(factors[test, 0])) > 0.7


def test_synthesized_vowel_has_the_asked_pitch():
    wav = vowels_mod.synthesize_vowel(150.0, "a", seconds=0.3)
    assert wav.dtype == np.float32 and len(wav) == int(0.3 * SAMPLE_RATE)
    x = wav[1000:3000] - wav[1000:3000].mean()
    ac = np.correlate(x, x, mode="full")[len(x) - 1:]
    lo, hi = SAMPLE_RATE // 400, SAMPLE_RATE // 60
    period = lo + np.argmax(ac[lo:hi])
    assert abs(SAMPLE_RATE / period - 150.0) < 3.0
    with pytest.raises(ValueError):
        vowels_mod.synthesize_vowel(150.0, "y")


# ------------------------------------------------------------------ the model
def test_vae_shapes_and_loss_terms():
    model = D.BetaVAE(input_dim=64, latent_dim=5, hidden_dim=32)
    x = torch.randn(7, 64)
    recon, mu, logvar = model(x)
    assert recon.shape == (7, 64) and mu.shape == logvar.shape == (7, 5)
    total, reconstruction, kl = model.loss(x, beta=3.0)
    assert torch.isclose(total, reconstruction + 3.0 * kl)
    assert kl >= 0
    model.eval()                                                   # eval mode decodes the mean: deterministic
    assert torch.equal(model(x)[0], model(x)[0])


def test_vae_loss_decreases_and_training_is_deterministic(vowels):
    X, _ = vowels
    model, history = D.train_beta_vae(X, beta=4.0, steps=60, seed=0, progress=False)
    assert len(history["loss"]) == 60
    assert np.mean(history["loss"][-10:]) < 0.7 * np.mean(history["loss"][:10])
    again, history2 = D.train_beta_vae(X, beta=4.0, steps=60, seed=0, progress=False)
    assert history["loss"] == history2["loss"]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
    other, _ = D.train_beta_vae(X, beta=4.0, steps=60, seed=1, progress=False)
    assert not torch.equal(model.encoder[0].weight, other.encoder[0].weight)
    assert not model.training


def test_training_leaves_the_global_random_state_alone(vowels):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    D.train_beta_vae(vowels[0], beta=1.0, steps=3, seed=0, progress=False)
    assert torch.equal(torch.rand(3), expected)


def test_latent_traversal_changes_only_what_it_should():
    torch.manual_seed(0)
    model = D.BetaVAE(latent_dim=4, hidden_dim=16)
    x = np.random.default_rng(0).standard_normal(64).astype(np.float32)
    mu = D.encode(model, x[None])[0]
    out = D.latent_traversal(model, x, dim=1, values=[mu[1], mu[1] + 2.0])
    assert out.shape == (2, 64)
    with torch.no_grad():
        assert np.allclose(out[0], model.decode(torch.as_tensor(mu[None])).numpy()[0], atol=1e-6)
    assert not np.allclose(out[0], out[1])
    with pytest.raises(ValueError, match="dim"):
        D.latent_traversal(model, x, dim=4, values=[0.0])


def test_training_rejects_bad_features():
    with pytest.raises(ValueError, match="finite 2-D"):
        D.train_beta_vae(np.full((10, 64), np.nan), beta=1.0, steps=1, progress=False)


# ------------------------------------------------------------------ scores on hand-built codes
def test_mutual_information_and_entropy_hand_computed():
    assert disentanglement_metrics.mutual_information([0, 0, 1, 1], [0, 0, 1, 1]) == pytest.approx(np.log(2))
    assert disentanglement_metrics.mutual_information([0, 1, 0, 1], [0, 0, 1, 1]) == pytest.approx(0.0)
    # a = b mod 2 with b uniform on 0..3: I = H(a) = log 2
    assert disentanglement_metrics.mutual_information([0, 1, 0, 1], [0, 1, 2, 3]) == pytest.approx(np.log(2))
    assert disentanglement_metrics.entropy([5, 5, 5]) == 0.0
    assert disentanglement_metrics.entropy([0, 0, 1, 2]) == pytest.approx(-(0.5 * np.log(0.5) + 2 * 0.25 * np.log(0.25)))


def test_discretise():
    assert disentanglement_metrics.discretise(np.arange(10.0), n_bins=5).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert disentanglement_metrics.discretise(np.ones(4), n_bins=3).tolist() == [0, 0, 0, 0]
    skewed = np.exp(np.linspace(0, 5, 100))
    assert np.bincount(disentanglement_metrics.discretise(skewed, 4, "quantile")).tolist() == [25, 25, 25, 25]


def _factors(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    return np.c_[rng.integers(0, 5, n), rng.integers(0, 8, n), rng.uniform(-1, 1, n)].astype(float), rng


def test_mig_of_a_perfectly_disentangled_code_is_near_one():
    factors, rng = _factors()
    # one latent per factor (scaled, shifted, a little noise), plus two latents that know nothing
    latents = np.c_[2 * factors[:, 0] + 1, -3 * factors[:, 1], factors[:, 2] + 1e-3 * rng.standard_normal(4000),
                    rng.standard_normal((4000, 2))]
    gaps = disentanglement_metrics.mutual_information_gap(latents, factors, per_factor=True)
    assert gaps.shape == (3,) and gaps[0] > 0.97 and gaps[1] > 0.97 and gaps[2] > 0.85
    assert disentanglement_metrics.mutual_information_gap(latents, factors) == pytest.approx(gaps.mean())
    assert disentanglement_metrics.mutual_information_gap(latents, factors) > 0.9


def test_mig_of_a_mixed_code_is_low():
    factors, rng = _factors()
    standardised = (factors - factors.mean(0)) / factors.std(0)
    mixing = np.array([[1.0, 1.0, 1.0], [1.0, -1.0, 0.5], [0.5, 1.0, -1.0]])  # every latent sees every factor
    latents = standardised @ mixing.T
    assert disentanglement_metrics.mutual_information_gap(latents, factors) < 0.15
    # the information is all there, only not in separate latents
    assert disentanglement_metrics.mutual_information_matrix(latents, factors).max() > 0.1
    assert np.linalg.matrix_rank(latents) == 3                      # an invertible mix: nothing is lost


def test_mig_of_a_shuffled_code_is_zero():
    factors, rng = _factors()
    latents = np.c_[factors[:, 0], factors[:, 1], factors[:, 2]][rng.permutation(4000)]
    assert disentanglement_metrics.mutual_information_gap(latents, factors) < 0.03


def test_mig_punishes_a_factor_copied_into_two_latents():
    factors, rng = _factors()
    latents = np.c_[factors[:, 0], factors[:, 0] * 2.0, factors[:, 1], factors[:, 2]]
    gaps = disentanglement_metrics.mutual_information_gap(latents, factors, per_factor=True)
    assert gaps[0] < 0.01 and gaps[1] > 0.97


def test_mig_bad_input():
    with pytest.raises(ValueError, match="at least 2 latents"):
        disentanglement_metrics.mutual_information_gap(np.zeros((10, 1)), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="same"):
        disentanglement_metrics.mutual_information_gap(np.zeros((10, 3)), np.zeros((9, 2)))
    with pytest.raises(ValueError, match="NaN"):
        disentanglement_metrics.mutual_information_gap(np.full((10, 3), np.nan), np.zeros((10, 2)))


def test_latent_factor_correlation_matches_scipy():
    factors, rng = _factors(500)
    latents = np.c_[factors[:, 2] ** 3, rng.standard_normal(500), factors[:, 0] + factors[:, 1]]
    ours = disentanglement_metrics.latent_factor_correlation(latents, factors)
    for j in range(3):
        for k in range(3):
            assert ours[j, k] == pytest.approx(abs(spearmanr(latents[:, j], factors[:, k])[0]), abs=1e-10)
    assert ours[0, 2] == pytest.approx(1.0)                         # a monotone map is a perfect rank correlation
    pearson = disentanglement_metrics.latent_factor_correlation(latents, factors, method="pearson")
    assert pearson[0, 2] < 1.0 and np.allclose(pearson, np.abs(np.corrcoef(latents.T, factors.T)[:3, 3:]))
    assert np.all(disentanglement_metrics.latent_factor_correlation(np.c_[np.ones(500), latents[:, 0]], factors)[0] == 0)


# ------------------------------------------------------------------ shipped checkpoints
@pytest.mark.parametrize("path", CHECKPOINTS, ids=lambda p: p.name)
def test_checkpoint_is_small_and_has_a_record(path):
    assert path.exists(), f"{path} missing: train it with resynth train beta-vae"
    assert path.stat().st_size < 1_000_000
    state = read_checkpoint(path)["state_dict"]
    assert all(v.dtype == torch.float32 for v in state.values())
    record = json.loads(path.with_suffix(".json").read_text())
    for key in ("command", "seed", "steps", "beta", "wall_time_s", "machine", "final_loss", "heldout"):
        assert key in record
    assert record["heldout"]["seed"] != record["train_set"]["seed"]          # held out, not the training set
    assert "platform" in record["machine"] and record["machine"]["cpu_cores"] >= 1


@pytest.mark.parametrize("path", CHECKPOINTS, ids=lambda p: p.name)
def test_checkpoint_reproduces_its_heldout_mig(path):
    model = D.load_beta_vae(path)
    record = json.loads(path.with_suffix(".json").read_text())
    assert model.latent_dim == record["latent_dim"]
    result = D.evaluate_heldout(model, n=record["heldout"]["n"], seed=record["heldout"]["seed"])
    assert result["mig"] == pytest.approx(record["heldout"]["mig"], abs=0.01)
    assert result["reconstruction_mse"] == pytest.approx(record["heldout"]["reconstruction_mse"], rel=0.01)


def test_missing_checkpoint_says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="resynth train beta-vae"):
        D.load_beta_vae(tmp_path / "nope.pt")


def test_train_and_save_refuses_to_overwrite(tmp_path):
    out = tmp_path / "model.pt"
    out.write_bytes(b"")
    with pytest.raises(FileExistsError, match="force"):
        D.train_and_save(out, beta=1.0, steps=1, progress=False)

"""resynth_lib.concepts.pretext_images: rotation pseudo-labels, pre-training, and the few-label comparison.

The numbers asserted below were measured over 6 seeds (pre-training seed = draw seed = 0..5,
300 or 1000 pre-training steps, 5 and 10 draws): held-out rotation accuracy 0.94-0.96; with
1 label per class the pre-trained probe beat training from scratch in every seed (by
0.005-0.055), with 5 it tied (differences -0.013..+0.007), and both probes on conv features
beat the pixel probe by more than 0.03. The tests run seeds 0 and 1 in fast mode (300 steps).
"""
import numpy as np
import pytest
import torch

from resynth_lib.concepts import pretext_images as PI

SEEDS = (0, 1)


@pytest.fixture(scope="module")
def split():
    return PI.load_digit_splits(seed=0)


@pytest.fixture(scope="module")
def pretrained(split):
    return {seed: PI.pretrain_rotation(split[0], steps=300, seed=seed, progress=False) for seed in SEEDS}


@pytest.fixture(scope="module")
def curves(split, pretrained):
    return {seed: PI.few_label_curve(pretrained[seed][0], split, per_class=(1, 5), repeats=5, seed=seed,
                                     progress=False) for seed in SEEDS}


# ------------------------------------------------------------------ data and pseudo-labels
def test_split_is_stratified_scaled_and_fixed(split):
    tx, ty, vx, vy = split
    assert tx.shape == (1257, 1, 8, 8) and vx.shape == (540, 1, 8, 8) and tx.dtype == np.float32
    assert tx.min() == 0.0 and tx.max() == 1.0 and vx.max() <= 1.0
    assert np.abs(np.bincount(ty) / len(ty) - np.bincount(vy) / len(vy)).max() < 0.01   # stratified
    again = PI.load_digit_splits(seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(split, again))
    assert not np.array_equal(PI.load_digit_splits(seed=1)[1], ty)


def test_rotate_batch_matches_np_rot90(split):
    images = split[0][:7]
    rotated, labels = PI.rotate_batch(images)
    assert rotated.shape == (28, 1, 8, 8) and labels.tolist() == [0] * 7 + [1] * 7 + [2] * 7 + [3] * 7
    for k in range(4):
        for i in range(7):
            assert np.array_equal(rotated[k * 7 + i, 0].numpy(), np.rot90(images[i, 0], k))
    asymmetric = np.arange(64, dtype=np.float32).reshape(1, 1, 8, 8)
    r, _ = PI.rotate_batch(asymmetric)
    assert len({r[k].numpy().tobytes() for k in range(4)}) == 4          # four different images
    with pytest.raises(ValueError):
        PI.rotate_batch(np.zeros((8, 8)))


def test_sample_labelled_gives_exactly_per_class(split):
    ty = split[1]
    for per_class in (1, 5, 10):
        idx = PI.sample_labelled(ty, per_class, seed=3)
        assert len(np.unique(idx)) == len(idx) == 10 * per_class
        assert np.bincount(ty[idx], minlength=10).tolist() == [per_class] * 10
    assert np.array_equal(PI.sample_labelled(ty, 5, seed=3), PI.sample_labelled(ty, 5, seed=3))
    assert not np.array_equal(PI.sample_labelled(ty, 5, seed=3), PI.sample_labelled(ty, 5, seed=4))
    with pytest.raises(ValueError):
        PI.sample_labelled(np.array([0, 0, 1]), per_class=2)


def test_encoder_layers_and_shapes():
    enc = PI.DigitEncoder(width=16)
    x = torch.zeros(3, 1, 8, 8)
    assert enc(x, "conv2").shape == (3, enc.feature_dim("conv2")) == (3, 256)
    assert enc(x).shape == (3, enc.feature_dim("conv3")) == (3, 128)
    assert PI.RotationNet(enc)(x).shape == (3, 4)
    assert PI.encode(None, np.ones((2, 1, 8, 8))).shape == (2, 64)
    with pytest.raises(ValueError):
        enc(x, "conv9")


# ------------------------------------------------------------------ pre-training
def test_pretraining_is_deterministic(split):
    a = PI.pretrain_rotation(split[0][:200], steps=15, seed=4, progress=False)
    b = PI.pretrain_rotation(split[0][:200], steps=15, seed=4, progress=False)
    assert a[1]["loss"] == b[1]["loss"]
    assert all(torch.equal(p, q) for p, q in zip(a[0].state_dict().values(), b[0].state_dict().values()))
    c = PI.pretrain_rotation(split[0][:200], steps=15, seed=5, progress=False)
    assert a[1]["loss"] != c[1]["loss"]


def test_pretraining_learns_rotations_on_held_out_images(split, pretrained):
    for seed, (model, history) in pretrained.items():
        assert len(history["loss"]) == len(history["accuracy"]) == 300
        assert np.mean(history["loss"][-20:]) < 0.5 * history["loss"][0]
        assert PI.rotation_accuracy(model, split[2]) > 0.85, seed          # measured 0.94-0.95
    untrained = PI.RotationNet(PI.DigitEncoder()).eval()
    assert PI.rotation_accuracy(untrained, split[2]) < 0.5


# ------------------------------------------------------------------ the few-label comparison
def test_curve_shapes_and_shared_draws(curves):
    res = curves[0]
    assert res["per_class"] == [1, 5] and set(res["runs"]) == set(PI.METHODS)
    for method in PI.METHODS:
        assert res["runs"][method].shape == (2, 5)
        assert np.all((res["runs"][method] > 0.1) & (res["runs"][method] <= 1.0))
    assert "pixel probe" in PI.format_few_label_table(res)


def test_pretrained_probe_beats_scratch_with_one_label_per_class(curves):
    for seed, res in curves.items():
        rot, scratch = res["mean"]["rotation probe"], res["mean"]["from scratch"]
        assert rot[0] > scratch[0], (seed, rot[0], scratch[0])          # measured +0.044, +0.046


def test_with_five_labels_pretrained_probe_and_scratch_tie(curves):
    # An honest non-result: at 5 labels per class end-to-end training has caught up.
    for seed, res in curves.items():
        rot, scratch = res["mean"]["rotation probe"], res["mean"]["from scratch"]
        assert abs(rot[1] - scratch[1]) < 0.03, (seed, rot[1], scratch[1])


def test_conv_feature_probes_beat_pixels(curves):
    for seed, res in curves.items():
        m = res["mean"]
        assert np.all(m["rotation probe"] > m["pixel probe"] + 0.03), seed
        assert np.all(m["from scratch"] > m["pixel probe"]), seed


def test_plot_few_label_curve(curves):
    import matplotlib.pyplot as plt
    ax = PI.plot_few_label_curve(curves[0])
    assert len(ax.get_lines()) >= len(PI.METHODS) and ax.get_ylabel() == "test accuracy"
    plt.close(ax.figure)

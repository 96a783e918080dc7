"""Jigsaw and inpainting pretext tasks (notebook 02)."""
import numpy as np
import torch

from resynth_lib.concepts import pretext_images as PI
from resynth_lib.concepts import pretext_jigsaw_inpainting as PJI


def test_every_order_is_a_rearrangement_that_its_inverse_undoes():
    x = torch.rand(len(PJI.ORDERS), 1, 8, 8)
    shuffled = PJI.shuffle_quarters(x, torch.arange(len(PJI.ORDERS)))
    assert torch.equal(shuffled[0], x[0])                                  # order 0 is the identity
    inverse = torch.argsort(PJI.ORDERS, dim=1)
    assert torch.equal(PJI.shuffle_quarters(shuffled, inverse), x)
    assert torch.allclose(shuffled.sum((1, 2, 3)), x.sum((1, 2, 3)))        # pixels moved, none lost
    assert len({tuple(o) for o in PJI.ORDERS.tolist()}) == 24


def test_blank_quarter_hides_exactly_one_quarter():
    holed, mask = PJI.blank_quarter(torch.ones(4, 1, 8, 8), torch.arange(4))
    assert mask.sum((1, 2, 3)).tolist() == [16.0] * 4
    assert torch.equal(holed, 1 - mask)
    assert mask[3, 0, 4:, 4:].all() and not mask[3, 0, :4].any()          # quarter 3 is the bottom right


def test_both_pretext_tasks_learn_and_give_a_probeable_encoder():
    train_x, train_y, test_x, test_y = PI.load_digit_splits()
    jig, h = PJI.pretrain_jigsaw(train_x, steps=300, seed=0, progress=False)
    assert np.mean(h["accuracy"][-30:]) > 3 / len(PJI.ORDERS)              # far above chance (1/24)
    inp, h2 = PJI.pretrain_inpainting(train_x, steps=300, seed=0, progress=False)
    assert np.mean(h2["loss"][-30:]) < 0.7 * np.mean(h2["loss"][:10])
    painted = PJI.inpaint(inp, test_x[:50], np.zeros(50, int))
    blank = PJI.blank_quarter(test_x[:50], np.zeros(50, int))[0].numpy()
    assert np.abs(painted - test_x[:50]).mean() < np.abs(blank - test_x[:50]).mean()   # better than leaving the hole
    res = PI.few_label_curve(jig, (train_x, train_y, test_x, test_y), per_class=(5,), repeats=1, scratch_steps=5,
                             progress=False, more_encoders={"inpainting probe": inp})
    assert set(res["mean"]) == {"rotation probe", "inpainting probe", "random-encoder probe", "pixel probe",
                                "from scratch"}
    assert all(0.1 < float(v[0]) <= 1.0 for v in res["mean"].values())


def test_binarised_input_loses_the_grey_levels_and_colourisation_restores_some():
    train_x, _, test_x, _ = PI.load_digit_splits()
    binary = PJI.binarise(test_x).numpy()
    assert set(np.unique(binary)) == {0.0, 1.0}
    grey = (test_x > 0) & (test_x < 1)
    assert grey.mean() > 0.1                                               # the digits do have grey levels
    assert np.array_equal(PJI.binarise(binary).numpy(), binary)            # nothing left to lose
    model, h = PJI.pretrain_colourisation(train_x, steps=300, seed=0, progress=False)
    shaded = PJI.colourise(model, test_x[:200])
    assert ((shaded - test_x[:200]) ** 2).mean() < 0.7 * ((binary[:200] - test_x[:200]) ** 2).mean()

"""The one training loop: exact resume, random states, schedules, callbacks, logging."""
import numpy as np
import pytest
import torch

from resynth_lib.core.training import TrainingLoop, cosine_lr, seeded


def _run(tmp_path, stop_at=None, resume=False, steps=12):
    """A tiny regression trained with numpy-sampled batches, dropout (torch RNG) and a torch.Generator."""
    with seeded(0):
        model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Dropout(0.2), torch.nn.Linear(8, 1))
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        rng = np.random.default_rng(0)
        gen = torch.Generator().manual_seed(1)
        loop = TrainingLoop("toy", steps, {"model": model, "opt": opt}, rng, generators={"g": gen},
                            checkpoint_path=tmp_path / "resume.pt", checkpoint_every=5, resume=resume,
                            log_every=2, progress=False, stop_at=stop_at)

        def step_fn(step):
            x = torch.from_numpy(rng.standard_normal((4, 3)).astype(np.float32))
            x = x + 0.01 * torch.randn(4, 3, generator=gen)
            loss = ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return {"loss": loss.item()}

        history = loop.run(step_fn, cosine_lr(1e-2, steps, floor=0.1), [opt])
    return model, history


def test_an_interrupted_run_resumed_matches_an_uninterrupted_one(tmp_path):
    straight, h1 = _run(tmp_path / "a")
    _run(tmp_path / "b", stop_at=7)                      # "interrupted" after step 7 (resume file at 7)
    resumed, h2 = _run(tmp_path / "b", resume=True)
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)
    assert h1["step"] == h2["step"] == [2, 4, 6, 8, 10, 12]
    assert np.allclose(h1["loss"], h2["loss"])


def test_resume_without_a_file_starts_from_scratch(tmp_path):
    _, h = _run(tmp_path, resume=True, steps=4)
    assert h["step"] == [2, 4] and h["seconds"] > 0


def test_seeded_restores_the_callers_random_stream():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    with seeded(0):
        torch.rand(10)
    assert torch.equal(torch.rand(3), expected)


def test_cosine_schedule_with_warm_up():
    at = cosine_lr(2.0, 110, floor=0.0, warmup=10)
    assert at(0) == pytest.approx(0.2) and at(9) == pytest.approx(2.0)
    assert at(10) == pytest.approx(2.0) and at(60) == pytest.approx(1.0) and at(110) == pytest.approx(0.0)


def test_logging_averages_and_callbacks_fire_on_schedule_and_at_the_end():
    values = iter(range(100))
    seen = []
    loop = TrainingLoop("x", 5, {}, None, log_every=2, progress=False)
    history = loop.run(lambda step: {"v": float(next(values))}, callbacks=[(3, seen.append)])
    assert history["step"] == [2, 4, 5] and history["v"] == [0.5, 2.5, 4.0]
    assert seen == [3, 5]


def test_epoch_unit_counts_epochs():
    history = TrainingLoop("x", 3, {}, None, unit="epoch", log_every=1, progress=False).run(lambda e: {"loss": e})
    assert history["epoch"] == [1, 2, 3] and "step" not in history

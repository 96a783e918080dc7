"""The one training loop every trainer in the course runs: progress bar, logging, resume files.

A trainer builds its model, optimiser and data sampler, then hands :class:`TrainingLoop`
one function, ``step_fn(step) -> {"loss": ..., ...}``, that does a single optimisation step
and returns the numbers to log. The loop owns everything around it:

* the **learning-rate schedule** (any ``lr_at(step)``; :func:`cosine_lr` is the course's);
* a **progress bar** (``tqdm``) showing the latest logged numbers;
* **logging**: the mean of each number over ``log_every`` steps goes into ``history``
  (with ``history["step"]``), and ``history["seconds"]`` counts training time;
* periodic **callbacks** (validation every N steps, say);
* a **resume file** every ``checkpoint_every`` steps and at the end: the state of every
  model and optimiser, the numpy and torch random states and the history, so that
  ``resume=True`` continues *exactly* where the file left off (the same batches, the same
  numbers as an uninterrupted run); ``stop_at`` ends early, as an interruption would.

:func:`seeded` gives a trainer its own torch random stream (forked, so training never
disturbs the caller's). Resume files live in ``runs/``; the weights that ship are written
separately by :func:`resynth_lib.core.checkpoints.save_checkpoint`. Every trainer from
notebook 02 on uses this loop; notebook 02 (``02_self_supervised_pretext_tasks``) shows it.

Example
-------
>>> import numpy as np, torch
>>> with seeded(0):
...     model = torch.nn.Linear(2, 1)
...     opt = torch.optim.SGD(model.parameters(), lr=0.1)
...     rng = np.random.default_rng(0)
...     def step_fn(step):
...         x = torch.from_numpy(rng.standard_normal((8, 2)).astype(np.float32))
...         loss = ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()
...         opt.zero_grad(); loss.backward(); opt.step()
...         return {"loss": loss.item()}
...     loop = TrainingLoop("toy", steps=20, state={"model": model, "opt": opt}, rng=rng,
...                         log_every=10, progress=False)
...     history = loop.run(step_fn)
>>> history["step"], history["loss"][1] < history["loss"][0]
([10, 20], True)
"""
from __future__ import annotations

import argparse
import contextlib
import math
import time
from pathlib import Path
from typing import Callable


@contextlib.contextmanager
def seeded(seed: int):
    """Run a block with the global torch RNG seeded to ``seed`` and restored afterwards (notebook 02).

    Example
    -------
    >>> import torch
    >>> with seeded(1):
    ...     a = torch.rand(1)
    >>> with seeded(1):
    ...     b = torch.rand(1)
    >>> bool(a == b)
    True
    """
    import torch
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def cosine_lr(lr: float, steps: int, floor: float = 0.0, warmup: int = 0) -> Callable[[int], float]:
    """``step -> learning rate``: linear warm-up over ``warmup`` steps, then cosine decay from ``lr``
    to ``floor * lr`` at ``steps`` (notebook 02).

    Example
    -------
    >>> at = cosine_lr(1.0, 100, floor=0.05)
    >>> at(0), round(at(50), 3), round(at(100), 3)
    (1.0, 0.525, 0.05)
    >>> cosine_lr(1.0, 100, warmup=10)(4)
    0.5
    """
    def lr_at(step: int) -> float:
        if step < warmup:
            return lr * (step + 1) / warmup
        t = (step - warmup) / max(steps - warmup, 1)
        return lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t)))
    return lr_at


class TrainingLoop:
    """Steps, logs, checkpoints and resumes one training run (see the module docstring; notebook 02).

    ``state`` names every object with ``state_dict`` / ``load_state_dict`` (models, optimisers)
    that a resume file must hold; ``rng`` is the numpy generator the trainer samples batches
    with; ``generators`` are extra ``torch.Generator`` streams. ``history`` may come
    pre-filled with keys of the trainer's own; the loop adds ``step``, one list per logged
    number and ``seconds``. ``extra_state`` is a pair ``(get, set)`` for anything else a
    resume file must carry (a codebook's usage counters, say). With ``unit="epoch"`` each
    ``step_fn`` call is one pass over the data and ``history["epoch"]`` counts them. Under ``torchrun`` pass ``rank``
    and ``world``: every rank keeps its own batch sampler, rank 0 alone shows progress and
    writes the resume file (with every rank's sampler state).

    Example
    -------
    >>> import numpy as np, torch
    >>> w = torch.nn.Parameter(torch.zeros(1))
    >>> opt = torch.optim.SGD([w], lr=0.5)
    >>> def step_fn(step):
    ...     loss = (w - 1).pow(2).sum()
    ...     opt.zero_grad(); loss.backward(); opt.step()
    ...     return {"loss": loss.item()}
    >>> loop = TrainingLoop("fit w", 4, {"opt": opt}, np.random.default_rng(0), log_every=2, progress=False)
    >>> [round(x, 3) for x in loop.run(step_fn)["loss"]]
    [0.5, 0.0]
    """

    def __init__(self, desc: str, steps: int, state: dict, rng=None, *, history: dict | None = None,
                 checkpoint_path=None, checkpoint_every: int = 250, resume: bool = False, log_every: int = 25,
                 progress: bool = True, stop_at: int | None = None, device: str = "cpu",
                 generators: dict | None = None, extra_state: tuple[Callable, Callable] | None = None,
                 show: Callable[[dict], dict] | None = None, rank: int = 0, world: int = 1,
                 unit: str = "step"):
        self.desc, self.steps, self.state, self.rng = desc, steps, state, rng
        self.history = history if history is not None else {}
        self.unit = unit                             # "epoch" when one step_fn call is a pass over the data
        self.history.setdefault(unit, [])
        self.history.setdefault("seconds", 0.0)
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path is not None else None
        self.checkpoint_every, self.log_every, self.progress = checkpoint_every, log_every, progress
        self.end = steps if stop_at is None else min(stop_at, steps)
        self.device, self.generators, self.extra_state, self.show = device, generators or {}, extra_state, show
        self.rank, self.world = rank, world          # under torchrun: each rank samples its own batches
        self.running: list[dict] = []                # numbers of the steps since the last log line
        self.start = self._resume() if resume else 0

    # ------------------------------------------------------------------ resume files
    def _resume(self) -> int:
        import torch
        if self.checkpoint_path is None or not self.checkpoint_path.exists():
            return 0
        saved = torch.load(self.checkpoint_path, map_location=self.device, weights_only=False)
        for name, obj in self.state.items():
            obj.load_state_dict(saved["state"][name])
        for name, gen in self.generators.items():
            gen.set_state(saved["generators"][name])
        if self.rng is not None:
            rngs = saved["numpy_rng"]
            self.rng.bit_generator.state = rngs[self.rank] if self.world > 1 else rngs[0]
        torch.set_rng_state(saved["torch_rng"])
        if self.extra_state is not None:
            self.extra_state[1](saved["extra"])
        self.history.clear()
        self.history.update(saved["history"])
        self.running = saved.get("running", [])
        return saved["step"]

    def save(self, step: int) -> None:
        """Write the resume file for ``step`` completed steps (also called by :meth:`run`)."""
        import torch
        rngs = [None if self.rng is None else self.rng.bit_generator.state]
        if self.world > 1:                                 # every rank's batch sampler, written by rank 0
            rngs = [None] * self.world
            torch.distributed.all_gather_object(rngs, self.rng.bit_generator.state)
        if self.rank != 0:
            return
        self.checkpoint_path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"step": step, "history": self.history, "running": self.running,
                    "state": {name: obj.state_dict() for name, obj in self.state.items()},
                    "generators": {name: gen.get_state() for name, gen in self.generators.items()},
                    "numpy_rng": rngs,
                    "torch_rng": torch.get_rng_state(),
                    "extra": None if self.extra_state is None else self.extra_state[0]()}, self.checkpoint_path)

    # ------------------------------------------------------------------ the loop
    def run(self, step_fn: Callable[[int], dict], lr_at: Callable[[int], float] | None = None,
            optimisers=(), callbacks: list[tuple[int, Callable[[int], None]]] = ()) -> dict:
        """Run steps ``start .. end``; returns ``history``.

        ``lr_at(step)`` is applied to every param group of ``optimisers`` before each step;
        each ``(every, fn)`` of ``callbacks`` runs ``fn(done)`` after step ``done`` when
        ``done % every == 0`` or at the last step.

        Example
        -------
        >>> import numpy as np, torch
        >>> w = torch.nn.Parameter(torch.zeros(1)); opt = torch.optim.SGD([w], lr=0.1)
        >>> def step_fn(step):
        ...     loss = (w - 1).pow(2).sum(); opt.zero_grad(); loss.backward(); opt.step()
        ...     return {"loss": loss.item()}
        >>> seen = []
        >>> h = TrainingLoop("w", 4, {"opt": opt}, progress=False, log_every=4).run(
        ...     step_fn, lr_at=lambda s: 0.1 * (s + 1), optimisers=[opt], callbacks=[(2, seen.append)])
        >>> seen, opt.param_groups[0]["lr"]
        ([2, 4], 0.4)
        """
        import numpy as np
        steps_iter = range(self.start, self.end)
        show_progress = self.progress and self.rank == 0
        if show_progress:
            from tqdm.auto import tqdm
            steps_iter = tqdm(steps_iter, desc=self.desc, unit=self.unit, initial=self.start, total=self.end)
        t0 = time.perf_counter()
        interrupted_with_file = self.end < self.steps and self.checkpoint_path is not None
        for step in steps_iter:
            if lr_at is not None:
                for opt in optimisers:
                    for group in opt.param_groups:
                        group["lr"] = lr_at(step)
            values = step_fn(step)
            self.running.append(values)
            done = step + 1
            # log every log_every steps and at the end; a run stopped early (stop_at) with a resume file
            # keeps its partial numbers in the file instead, so the resumed history equals an unbroken one
            if done % self.log_every == 0 or (done == self.end and not interrupted_with_file):
                self.history[self.unit].append(done)
                for key in self.running[0]:
                    self.history.setdefault(key, []).append(float(np.mean([r[key] for r in self.running])))
                self.running = []
                if show_progress:
                    shown = self.show(self.history) if self.show else \
                        {k: f"{self.history[k][-1]:.3f}" for k in values}
                    steps_iter.set_postfix(refresh=False, **shown)   # the bar redraws at its own pace
            for every, fn in callbacks:
                if done % every == 0 or done == self.end:
                    fn(done)
            if self.checkpoint_path is not None and (done % self.checkpoint_every == 0 or done == self.end):
                self.history["seconds"] += time.perf_counter() - t0
                t0 = time.perf_counter()
                self.save(done)
        if self.checkpoint_path is None or self.start == self.end:
            self.history["seconds"] += time.perf_counter() - t0
        return self.history


class TrainingCommand(argparse.ArgumentParser):
    """The parser every ``resynth train ...`` command starts from (notebook 02 shows one).

    It describes the command with the first paragraph of ``doc``, adds the options every
    trainer shares (``--seed``, ``--threads``, ``--force``), applies ``--threads`` when the
    arguments are parsed, and :meth:`output` refuses to replace an existing checkpoint
    without ``--force``.

    Example
    -------
    >>> parser = TrainingCommand("resynth train toy", "Train a toy.\\n\\nLonger text.")
    >>> _ = parser.add_argument("--out", default="toy.pt")
    >>> args = parser.parse_args(["--seed", "3"])
    >>> args.seed, args.force, parser.description
    (3, False, 'Train a toy.')
    >>> parser.output(args, "/no/such/dir/toy.pt")
    PosixPath('/no/such/dir/toy.pt')
    """

    def __init__(self, prog: str, doc: str | None):
        super().__init__(prog=prog, description=(doc or "").strip().split("\n\n")[0] or None)
        self.add_argument("--seed", type=int, default=0, help="random seed of the run")
        self.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
        self.add_argument("--force", action="store_true", help="replace an existing output")

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args(args, namespace)
        if parsed.threads:
            import torch
            torch.set_num_threads(parsed.threads)
        return parsed

    def output(self, args, path=None) -> Path:
        """``path`` (default ``args.out``) as a Path; a usage error if it exists and ``--force`` is not given."""
        out = Path(path if path is not None else args.out)
        if out.exists() and not args.force:
            self.error(f"{out} exists; pass --force to replace it")
        return out

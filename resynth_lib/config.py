"""One configuration object for the whole course: fast or full mode, seed, device, paths.

Taught in notebook 00 (``00_audio_and_data``) and used at the top of every notebook.
``RESYNTH_FAST=1`` (set by the test suite and CI) selects fast mode: long training runs
for a handful of steps to show the loop works, then the shipped checkpoint is loaded.

Example
-------
>>> cfg = CourseConfig(fast=True)
>>> cfg.pick(full=20_000, fast=5)
5
>>> CourseConfig(fast=False).pick(full=20_000, fast=5)
20000
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
_TRUE = {"1", "true", "yes", "on"}


def fast_mode_from_env() -> bool:
    """True when the environment variable ``RESYNTH_FAST`` is 1/true/yes/on."""
    return os.environ.get("RESYNTH_FAST", "0").strip().lower() in _TRUE


@dataclass
class CourseConfig:
    """Fast vs full mode and the settings every notebook shares.

    Example
    -------
    >>> cfg = CourseConfig.from_env()
    >>> cfg.seed
    0
    """

    fast: bool = field(default_factory=fast_mode_from_env)
    seed: int = 0
    device: str = "cpu"
    data_dir: Path = DATA_DIR

    @classmethod
    def from_env(cls) -> "CourseConfig":
        """Read ``RESYNTH_FAST``, ``RESYNTH_SEED`` and ``RESYNTH_DEVICE`` from the environment."""
        return cls(fast=fast_mode_from_env(), seed=int(os.environ.get("RESYNTH_SEED", "0")),
                   device=os.environ.get("RESYNTH_DEVICE", "cpu"))

    @property
    def mode(self) -> str:
        return "fast" if self.fast else "full"

    def pick(self, full, fast):
        """``fast`` in fast mode, ``full`` otherwise (steps, epochs, subset sizes, ...)."""
        return fast if self.fast else full

    def __str__(self) -> str:
        return f"{self.mode} mode (RESYNTH_FAST={int(self.fast)}), seed {self.seed}, device {self.device}"


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch so that a notebook gives the same figures every run."""
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass


def machine_info() -> dict:
    """Where a training run or benchmark ran: platform, processor, Python, torch, CPU cores.

    Every training record in ``data/checkpoints/*.json`` carries this.

    Example
    -------
    >>> sorted(machine_info())
    ['cpu_cores', 'platform', 'processor', 'python', 'torch']
    """
    import platform

    import torch
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "torch": torch.__version__, "cpu_cores": cores}


def save_weights(model, path, record: dict, force: bool = False) -> Path:
    """Inference weights (``model.config`` + ``state_dict``) at ``path`` and the JSON ``record`` beside it.

    Refuses to replace an existing file unless ``force``. Used for every small checkpoint
    that ships in ``data/checkpoints``.
    """
    import json

    import torch
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass force=True (--force) to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": model.config, "state_dict": model.state_dict()}, path)
    path.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    return path


def load_weights(cls, path, how_to_make: str):
    """``cls(**config)`` with the weights written by :func:`save_weights`, in eval mode.

    ``how_to_make`` ends the error message when the file is missing (the command that trains it).
    """
    import torch
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such checkpoint; {how_to_make}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = cls(**state["config"])
    model.load_state_dict(state["state_dict"])
    return model.eval()


__all__ = ["REPO_ROOT", "DATA_DIR", "CourseConfig", "fast_mode_from_env", "set_seed", "machine_info",
           "save_weights", "load_weights"]

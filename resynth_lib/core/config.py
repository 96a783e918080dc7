"""One configuration object for the whole course: fast or full mode, seed; and the repository's paths.

Taught in notebook 00 (``00_audio_and_data``) and used at the top of every notebook. Everything
runs on the CPU; the paths below (:data:`CHECKPOINT_DIR`, :data:`CORPUS_DIR`, :data:`RUNS_DIR`)
are the only place the library says where data lives.
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

REPO_ROOT = Path(__file__).resolve().parents[2]     #: the repository: data/, runs/, solutions/ live here
DATA_DIR = REPO_ROOT / "data"
CHECKPOINT_DIR = DATA_DIR / "checkpoints"          #: shipped weights and their training records
CORPUS_DIR = DATA_DIR / "corpus"                   #: the shipped four-speaker corpus
RUNS_DIR = REPO_ROOT / "runs"                      #: git-ignored: resume files and caches
_TRUE = {"1", "true", "yes", "on"}


def fast_mode_from_env() -> bool:
    """True when the environment variable ``RESYNTH_FAST`` is 1/true/yes/on.

    Any other value, or no value, means full mode. Every notebook reads it through
    :class:`CourseConfig` (notebook 00).

    Example
    -------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"RESYNTH_FAST": "Yes"}):
    ...     fast_mode_from_env()
    True
    >>> with mock.patch.dict(os.environ, {"RESYNTH_FAST": "0"}):
    ...     fast_mode_from_env()
    False
    """
    return os.environ.get("RESYNTH_FAST", "0").strip().lower() in _TRUE


@dataclass
class CourseConfig:
    """Fast vs full mode and the settings every notebook shares (notebook 00).

    ``start_notebook`` builds one from the environment at the top of every notebook;
    :meth:`pick` then chooses step counts and subset sizes for the mode.

    Example
    -------
    >>> cfg = CourseConfig(fast=True, seed=3)
    >>> print(cfg)
    fast mode (RESYNTH_FAST=1), seed 3
    >>> cfg.pick(full=200, fast=2)
    2
    """

    fast: bool = field(default_factory=fast_mode_from_env)
    seed: int = 0

    @classmethod
    def from_env(cls) -> "CourseConfig":
        """Read ``RESYNTH_FAST`` and ``RESYNTH_SEED`` from the environment."""
        return cls(fast=fast_mode_from_env(), seed=int(os.environ.get("RESYNTH_SEED", "0")))

    @property
    def mode(self) -> str:
        return "fast" if self.fast else "full"

    def pick(self, full, fast):
        """``fast`` in fast mode, ``full`` otherwise (steps, epochs, subset sizes, ...)."""
        return fast if self.fast else full

    def __str__(self) -> str:
        return f"{self.mode} mode (RESYNTH_FAST={int(self.fast)}), seed {self.seed}"


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch so that a notebook gives the same figures every run.

    Called by ``start_notebook`` at the top of every notebook (notebook 00 onwards).

    Example
    -------
    >>> import torch
    >>> set_seed(7); first = (np.random.rand(), torch.rand(1).item())
    >>> set_seed(7); second = (np.random.rand(), torch.rand(1).item())
    >>> first == second
    True
    """
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass


def machine_info() -> dict:
    """Where a training run or benchmark ran: platform, processor, Python, torch, CPU cores.

    Every training record in ``data/checkpoints/*.json`` carries this, and the measured
    times quoted from notebook 00 onwards name the machine they came from.

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


__all__ = ["REPO_ROOT", "DATA_DIR", "CHECKPOINT_DIR", "CORPUS_DIR", "RUNS_DIR", "CourseConfig",
           "fast_mode_from_env", "set_seed", "machine_info"]

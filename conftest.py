"""Test-suite settings (repository root, so they hold for `pytest solutions/...` too): fast mode,
strict exercise checks, a headless plot backend.

These are set at import time, before nbval starts the notebook kernels, which inherit them.
"""
import os

os.environ["RESYNTH_FAST"] = "1"
os.environ["RESYNTH_STRICT_CHECKS"] = "1"
os.environ["MPLBACKEND"] = "Agg"
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

# A student's workspace (`resynth course start`) is theirs: the test suite never collects it.
collect_ignore = ["workspace"]

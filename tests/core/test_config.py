import pytest

from resynth_lib.core.config import CourseConfig, fast_mode_from_env


@pytest.mark.parametrize("value, fast", [("1", True), ("true", True), ("0", False), ("", False), ("no", False)])
def test_fast_mode_reads_environment(monkeypatch, value, fast):
    monkeypatch.setenv("RESYNTH_FAST", value)
    assert fast_mode_from_env() is fast
    assert CourseConfig.from_env().pick(full=1000, fast=3) == (3 if fast else 1000)


def test_suite_runs_in_fast_mode():
    # tests/conftest.py sets RESYNTH_FAST=1 for the unit tests and the notebook kernels
    assert CourseConfig.from_env().fast

"""The checker can fail: every exercise has at least one typical wrong implementation, and each one FAILs."""
import pytest

from resynth_lib.course.checks import FAIL, REGISTRY, run_check
from resynth_lib.course.exercises.mutants import NOTEBOOK_MODULES, attach

attach()
EXERCISES = sorted(name for name in REGISTRY if name[:2].isdigit())


def test_every_notebook_is_covered_and_every_exercise_has_a_mutant():
    assert {name.split(".")[0] for name in EXERCISES} == {m[2:] for m in NOTEBOOK_MODULES}
    assert [name for name in EXERCISES if not REGISTRY[name].mutants] == []


@pytest.mark.parametrize("name", EXERCISES)
def test_each_mutant_fails_with_a_wrong_answer_not_a_crash(name):
    for mistake, wrong in REGISTRY[name].mutants:
        result = run_check(name, wrong)
        assert result.status == FAIL, (name, mistake, result.message)
        assert " raised " not in result.message, (name, mistake, result.message)     # caught by comparing outputs
        assert "Hint:" in result.message

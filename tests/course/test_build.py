"""The exercise pipeline: stub building, the checker, and notebooks/ in sync with solutions/."""
import json

import numpy as np
import pytest

from resynth_lib.course import build as course
from resynth_lib.course import checks
from resynth_lib.course.checks import FAIL, NOT_ATTEMPTED, PASS, Exercise, register, run_check

SOLUTION = '''import numpy as np

def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    ### HINT: multiply by "two"
    y = 2 * x
    return y
    ### END SOLUTION

print(double(3))'''


def test_stub_replaces_region_and_keeps_the_rest():
    stub = course.make_stub_source(SOLUTION)
    assert "y = 2 * x" not in stub and "BEGIN SOLUTION" not in stub
    assert '# Hint: multiply by "two"' in stub and "print(double(3))" in stub
    namespace = {}
    exec(stub.replace("print(double(3))", ""), namespace)
    with pytest.raises(NotImplementedError, match='not attempted yet. Hint: multiply by "two"'):
        namespace["double"](3)


@pytest.mark.parametrize("bad", ["    ### BEGIN SOLUTION\n    x = 1\n",
                                 "    x = 1\n    ### END SOLUTION\n",
                                 "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n"])
def test_unbalanced_markers_are_errors(bad):
    with pytest.raises(ValueError):
        course.make_stub_source(bad)


def _exercise():
    return register(Exercise("test.double", reference=lambda x: 2 * x,
                             cases=lambda: [((np.arange(4.0),), {}), ((np.ones((2, 3)),), {})],
                             hint="multiply by two"))


def test_checker_statuses():
    _exercise()
    assert run_check("test.double", lambda x: x + x).status == PASS
    wrong = run_check("test.double", lambda x: x + 1)
    assert wrong.status == FAIL and "largest difference" in wrong.message and "multiply by two" in wrong.message
    shape = run_check("test.double", lambda x: (2 * x).ravel())
    assert shape.status == FAIL and "shape" in shape.message

    def crashes(x):
        raise IndexError("oops")
    assert "IndexError" in run_check("test.double", crashes).message

    def stub(x):
        raise NotImplementedError("Exercise not attempted yet.")
    result = run_check("test.double", stub)
    assert result.status == NOT_ATTEMPTED
    assert result.fn(np.ones(2)).tolist() == [2.0, 2.0]  # downstream code gets the reference


def test_check_returns_reference_after_failure_and_student_after_pass(capsys, monkeypatch):
    monkeypatch.delenv("RESYNTH_STRICT_CHECKS", raising=False)
    _exercise()
    mine = lambda x: x * 2  # noqa: E731
    assert checks.check("test.double", mine) is mine
    fallback = checks.check("test.double", lambda x: x)
    assert fallback(np.ones(1))[0] == 2.0
    out = capsys.readouterr().out
    assert "PASS test.double" in out and "FAIL test.double" in out


def test_strict_mode_enforces_the_role(monkeypatch):
    _exercise()
    monkeypatch.setenv("RESYNTH_STRICT_CHECKS", "1")

    def stub(x):
        raise NotImplementedError
    monkeypatch.setattr(course, "CURRENT_ROLE", "solution")
    checks.check("test.double", lambda x: 2 * x)
    with pytest.raises(AssertionError, match="must pass"):
        checks.check("test.double", stub)
    monkeypatch.setattr(course, "CURRENT_ROLE", "student")
    checks.check("test.double", stub)
    with pytest.raises(AssertionError, match="not attempted"):
        checks.check("test.double", lambda x: 2 * x)


def test_compare_tuples_and_strings():
    assert checks.compare((1.0, np.zeros(2)), (1.0, np.zeros(2)), 1e-6, 1e-6) is None
    assert "item 1" in checks.compare((1.0, np.ones(2)), (1.0, np.zeros(2)), 1e-6, 1e-6)
    assert checks.compare(np.array(["a", "b"]), np.array(["a", "b"]), 0, 0) is None
    assert checks.compare("a", "b", 0, 0) is not None
    # NaN where numbers were expected: reported, not crashed on, and never "difference 0"
    assert "inf" in checks.compare(np.full(3, np.nan), np.ones(3), 1e-6, 1e-6)
    assert "1 of 3" in checks.compare(np.array([1.0, np.nan, 1.0]), np.ones(3), 1e-6, 1e-6)


def test_every_registered_exercise_accepts_its_reference():
    for name, exercise in checks.REGISTRY.items():
        if not name.startswith("test."):
            assert run_check(name, exercise.reference).status == PASS, name


def test_notebooks_are_in_sync_with_solutions_and_have_no_outputs():
    problems = course.check()
    assert problems == [], "\n".join(problems)


def test_every_solution_exercise_is_checked_and_stubbed():
    for path in sorted(course.SOLUTIONS_DIR.glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        student = "\n".join("".join(c["source"]) for c in json.loads(
            (course.NOTEBOOKS_DIR / path.name).read_text())["cells"] if c["cell_type"] == "code")
        n_regions = code.count(course.BEGIN)
        assert n_regions >= 2, f"{path.name}: a notebook needs exercises"
        assert student.count("raise NotImplementedError") >= n_regions
        assert course.BEGIN not in student
        assert code.count("check(") >= n_regions, f"{path.name}: every exercise needs a self-check"


def test_build_removes_outputs(tmp_path):
    import nbformat
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('start_notebook("x", role="solution")\n' + SOLUTION)
    cell.outputs = [nbformat.v4.new_output("stream", text="6\n")]
    cell.execution_count = 3
    nb.cells = [cell]
    (tmp_path / "sol").mkdir()
    nbformat.write(nb, str(tmp_path / "sol" / "99_demo.ipynb"))
    course.build(tmp_path / "sol", tmp_path / "nb")
    built = nbformat.read(str(tmp_path / "nb" / "99_demo.ipynb"), as_version=4)
    assert built.cells[0].outputs == [] and built.cells[0].execution_count is None
    assert 'role="student"' in built.cells[0].source and "y = 2 * x" not in built.cells[0].source
    # the committed solution still has outputs: check() reports it
    assert any("has outputs" in p for p in course.check(tmp_path / "sol", tmp_path / "nb"))


def test_the_committed_manifest_records_the_committed_notebooks():
    manifest = course.read_manifest()
    expected = course.expected_notebooks()
    assert manifest == {name: course.text_hash(text) for name, text in expected.items()}


def _one_notebook_course(tmp_path, source="x = 1"):
    import nbformat
    (tmp_path / "solutions").mkdir(exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]),
                   str(tmp_path / "solutions" / "00_demo.ipynb"))
    return tmp_path / "solutions", tmp_path / "notebooks"


def test_build_never_destroys_hand_edits_without_force(tmp_path):
    solutions, notebooks = _one_notebook_course(tmp_path)
    course.build(solutions, notebooks)
    # an instructor edits the solution: the untouched student file is rebuilt without --force
    _one_notebook_course(tmp_path, "x = 2")
    course.build(solutions, notebooks)
    assert "x = 2" in (notebooks / "00_demo.ipynb").read_text()
    # a student works in notebooks/ (JupyterLab autosave), then the solution changes again
    (notebooks / "00_demo.ipynb").write_text("my answers")
    (notebooks / "99_mine.ipynb").write_text("a notebook of my own")
    _one_notebook_course(tmp_path, "x = 3")
    with pytest.raises(course.BuildRefused) as refused:
        course.build(solutions, notebooks)
    assert {p.name for p in refused.value.paths} == {"00_demo.ipynb", "99_mine.ipynb"}
    assert (notebooks / "00_demo.ipynb").read_text() == "my answers"      # nothing written
    assert (notebooks / "99_mine.ipynb").exists()
    problems = course.check(solutions, notebooks)
    assert any("edited by hand" in p and "course start" in p for p in problems)
    assert not any("edited by hand" in p and "course build" in p for p in problems)
    course.build(solutions, notebooks, force=True)
    assert "x = 3" in (notebooks / "00_demo.ipynb").read_text() and not (notebooks / "99_mine.ipynb").exists()


def test_build_command_refuses_with_one_line(tmp_path, monkeypatch, capsys):
    solutions, notebooks = _one_notebook_course(tmp_path)
    course.build(solutions, notebooks)
    (notebooks / "00_demo.ipynb").write_text("my answers")
    monkeypatch.setattr(course, "SOLUTIONS_DIR", solutions)
    monkeypatch.setattr(course, "NOTEBOOKS_DIR", notebooks)
    assert course.main(["build"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "00_demo.ipynb" in err and "--force" in err
    assert (notebooks / "00_demo.ipynb").read_text() == "my answers"


def test_checker_fail_message_shows_the_students_output():
    register(Exercise("test.small", reference=lambda x: 2 * x, cases=lambda: [((np.arange(3.0),), {})],
                      hint="double it"))
    result = run_check("test.small", lambda x: x + 1)
    assert result.status == FAIL
    assert "an array of shape (3,)" in result.message
    assert "You returned [1., 2., 3.]; the reference returns [0., 2., 4.]" in result.message
    checks.REGISTRY.pop("test.small")

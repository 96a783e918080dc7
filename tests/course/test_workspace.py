"""The student workspace: copied in, updated after a pull, the student's answers never overwritten."""
import pytest

from resynth_lib.course import workspace as W
from resynth_lib.course.build import NOTEBOOKS_DIR


def _course(tmp_path, **notebooks):
    folder = tmp_path / "course"
    folder.mkdir(exist_ok=True)
    for name, text in notebooks.items():
        (folder / f"{name}.ipynb").write_text(text)
    return folder


def test_start_copies_then_updates_without_losing_answers(tmp_path):
    course = _course(tmp_path, a="a1", b="b1")
    mine = tmp_path / "mine"
    assert [(c.kind, c.name) for c in W.sync_workspace(mine, course)] == [("new", "a.ipynb"), ("new", "b.ipynb")]
    assert W.sync_workspace(mine, course) == []                       # nothing changed: nothing to say
    (mine / "a.ipynb").write_text("a1 + my answer")                   # the student solves an exercise in a
    _course(tmp_path, a="a2", b="b2", c="c1")                         # git pull changes a and b, adds c
    changes = {c.name: c for c in W.sync_workspace(mine, course)}
    assert changes["a.ipynb"].kind == "changed" and (mine / "a.ipynb").read_text() == "a1 + my answer"
    assert (mine / "updates" / "a.ipynb").read_text() == "a2"
    assert changes["b.ipynb"].kind == "updated" and (mine / "b.ipynb").read_text() == "b2"
    assert changes["c.ipynb"].kind == "new" and (mine / "c.ipynb").read_text() == "c1"
    assert W.sync_workspace(mine, course) == []                       # reported once, not at every start
    (course / "c.ipynb").unlink()
    assert [(c.kind, c.name) for c in W.sync_workspace(mine, course)] == [("removed", "c.ipynb")]
    assert (mine / "c.ipynb").exists()


def test_a_workspace_made_by_hand_is_never_overwritten(tmp_path):
    course = _course(tmp_path, a="a1")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "a.ipynb").write_text("copied by hand, then edited")
    assert [c.kind for c in W.sync_workspace(mine, course)] == ["changed"]
    assert (mine / "a.ipynb").read_text() == "copied by hand, then edited"


def test_the_course_folders_cannot_be_a_workspace(tmp_path):
    with pytest.raises(ValueError, match="course's own folders"):
        W.sync_workspace(NOTEBOOKS_DIR)
    assert W.main([str(NOTEBOOKS_DIR)]) == 1


def test_start_command_on_the_real_notebooks(tmp_path, capsys):
    assert W.main([str(tmp_path / "ws")]) == 0
    out = capsys.readouterr().out
    names = sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb"))
    assert sorted(p.name for p in (tmp_path / "ws").glob("*.ipynb")) == names
    assert "jupyter lab" in out and out.count("new ") == len(names)
    assert W.main([str(tmp_path / "ws")]) == 0
    assert "up to date" in capsys.readouterr().out


def test_the_default_workspace_is_ignored_by_git_and_pytest():
    root = NOTEBOOKS_DIR.parent
    assert "/workspace/" in (root / ".gitignore").read_text().split()
    assert 'collect_ignore = ["workspace"]' in (root / "conftest.py").read_text()
    assert W.DEFAULT_WORKSPACE == root / "workspace"

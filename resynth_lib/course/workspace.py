"""A student's own copy of the course notebooks, safe from builds, tests and ``git pull``.

``notebooks/`` belongs to the repository: the build writes it and the test suite checks
it. A student works in a workspace instead::

    resynth course start              # copy the student notebooks into workspace/ (git-ignored)
    jupyter lab workspace/            # work there; JupyterLab autosaves there
    git pull && resynth course start  # later: new notebooks copied in, changed ones reported

The workspace remembers (``.resynth-workspace.json``) the SHA-256 of every notebook as it
was copied. On each ``start`` a notebook that is new in the course is copied in; one the
course changed is replaced only if the student never changed their copy; otherwise their
copy is kept and the new version is saved beside it under ``updates/`` for them to compare.
Nothing the student wrote is ever overwritten. Taught in notebook 00 (``00_audio_and_data``).

Example
-------
>>> import shutil, tempfile
>>> from pathlib import Path
>>> course, mine = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp()) / "ws"
>>> _ = (course / "00_demo.ipynb").write_text("version 1")
>>> [str(change) for change in sync_workspace(mine, course)]
['new      00_demo.ipynb']
>>> _ = (mine / "00_demo.ipynb").write_text("version 1 + my answer")     # the student works
>>> _ = (course / "00_demo.ipynb").write_text("version 2")              # git pull changes the notebook
>>> [str(change) for change in sync_workspace(mine, course)]
['changed  00_demo.ipynb: your copy is kept; the new version is updates/00_demo.ipynb']
>>> (mine / "00_demo.ipynb").read_text()
'version 1 + my answer'
>>> shutil.rmtree(course); shutil.rmtree(mine.parent)
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from resynth_lib.core.config import REPO_ROOT

#: Where ``resynth course start`` puts the workspace by default (listed in .gitignore).
DEFAULT_WORKSPACE = REPO_ROOT / "workspace"
STATE_NAME = ".resynth-workspace.json"
UPDATES_DIR = "updates"


@dataclass
class Change:
    """What :func:`sync_workspace` did to one notebook: ``kind`` is new, updated, changed or removed.

    Example
    -------
    >>> str(Change("new", "00_demo.ipynb"))
    'new      00_demo.ipynb'
    """

    kind: str
    name: str
    note: str = ""

    def __str__(self) -> str:
        return f"{self.kind:<8} {self.name}" + (f": {self.note}" if self.note else "")


def _hash(path: Path) -> str:
    import hashlib
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sync_workspace(workspace: Path = DEFAULT_WORKSPACE, source: Path | None = None) -> list[Change]:
    """Create or update a workspace from the course's student notebooks; never overwrite the student's work.

    ``source`` defaults to the repository's ``notebooks/``. Returns one :class:`Change` per
    notebook that was copied, replaced or needs the student's attention (up-to-date
    notebooks are not listed). Raises ``ValueError`` if ``workspace`` is the course's own
    ``notebooks/`` or ``solutions/`` folder. Taught in notebook 00 (``00_audio_and_data``).

    Example
    -------
    >>> import shutil, tempfile
    >>> course, mine = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    >>> _ = (course / "00_demo.ipynb").write_text("version 1")
    >>> [c.kind for c in sync_workspace(mine, course)], [c.kind for c in sync_workspace(mine, course)]
    (['new'], [])
    >>> _ = (course / "00_demo.ipynb").write_text("version 2")        # untouched by the student: replaced
    >>> [str(c) for c in sync_workspace(mine, course)], (mine / "00_demo.ipynb").read_text()
    (['updated  00_demo.ipynb'], 'version 2')
    >>> shutil.rmtree(course); shutil.rmtree(mine)
    """
    from resynth_lib.course.build import NOTEBOOKS_DIR, SOLUTIONS_DIR

    source = Path(source) if source is not None else NOTEBOOKS_DIR
    workspace = Path(workspace)
    if workspace.resolve() in (NOTEBOOKS_DIR.resolve(), SOLUTIONS_DIR.resolve(), source.resolve()):
        raise ValueError(f"{workspace} is one of the course's own folders: choose another folder for your workspace")
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {source}: run `python -m resynth_lib.course build` first")
    workspace.mkdir(parents=True, exist_ok=True)
    state_path = workspace / STATE_NAME
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {}
    changes = []
    for path in notebooks:
        target, new_hash = workspace / path.name, _hash(path)
        copied_hash = state.get(path.name)
        if not target.exists():
            shutil.copyfile(path, target)
            changes.append(Change("new", path.name))
        elif new_hash == copied_hash or _hash(target) == new_hash:
            pass                                              # the course did not change it (or it already matches)
        elif copied_hash is not None and _hash(target) == copied_hash:
            shutil.copyfile(path, target)                     # the student never changed their copy
            changes.append(Change("updated", path.name))
        else:
            updates = workspace / UPDATES_DIR
            updates.mkdir(exist_ok=True)
            shutil.copyfile(path, updates / path.name)
            changes.append(Change("changed", path.name,
                                  f"your copy is kept; the new version is {UPDATES_DIR}/{path.name}"))
        state[path.name] = new_hash
    for name in sorted(set(state) - {p.name for p in notebooks}):
        changes.append(Change("removed", name, "no longer in the course; your copy is kept"))
        del state[name]
    state_path.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return changes


def main(argv: list[str] | None = None) -> int:
    """``resynth course start [DIR]``: create or update a workspace and say how to open it.

    Exit code 0, or 1 with one line on stderr if the folder cannot be used. Taught in
    notebook 00 (``00_audio_and_data``) and the README's quick start.

    Example
    -------
    >>> import shutil, tempfile
    >>> mine = Path(tempfile.mkdtemp()) / "my_course"
    >>> main([str(mine)])                                    # doctest: +ELLIPSIS
    new      00_audio_and_data.ipynb
    ...
    open it with:  jupyter lab .../my_course
    0
    >>> shutil.rmtree(mine.parent)
    """
    parser = argparse.ArgumentParser(prog="resynth course start",
                                     description="Copy the student notebooks into a workspace of your own, or "
                                                 "update it after `git pull` without touching your answers.")
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_WORKSPACE),
                        help=f"the workspace (default: {DEFAULT_WORKSPACE.relative_to(REPO_ROOT)}/ in the clone, "
                             "ignored by git, the build and the tests)")
    args = parser.parse_args(argv)
    try:
        changes = sync_workspace(Path(args.folder))
    except (ValueError, FileNotFoundError, OSError) as err:
        print(f"resynth course start: {err}", file=sys.stderr)
        return 1
    for change in changes:
        print(change)
    if not changes:
        print("your workspace is up to date")
    if any(c.kind == "changed" for c in changes):
        print(f"open the new version beside yours, and copy your answers across (the {UPDATES_DIR}/ copies are "
              "replaced at the next update)")
    print(f"open it with:  jupyter lab {Path(args.folder).resolve()}")
    return 0

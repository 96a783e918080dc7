"""The course machinery: notebook start-up, and building student notebooks from solutions.

``solutions/`` holds the complete notebooks, the single source of truth. The build
command writes ``notebooks/`` from them::

    python -m resynth_lib.course build     # write notebooks/ from solutions/
    python -m resynth_lib.course check     # exit 1 if notebooks/ is out of date or has outputs
    python -m resynth_lib.course strip     # remove outputs from solutions/ in place

(``resynth course build | check | strip`` run the same three.) In a solution, the code a
student writes sits inside a function between ``### BEGIN SOLUTION`` and ``### END SOLUTION``. The build replaces that region by a stub
raising ``NotImplementedError``; lines ``### HINT: ...`` inside the region survive as
comments and their text goes into the error message, and lines ``### SCAFFOLD: <code>``
become ``<code>`` after the ``raise`` (a skeleton with ``...`` where the student's work goes).
The stub hint says *what* to compute and why, in words; the checker's hint, printed after a
FAIL, is more concrete; neither holds a line of the solution. The first code cell of every
notebook calls ``start_notebook(name, role="solution")``, which the build turns into
``role="student"`` so the exercise checker knows which version it runs in.

Taught (as "how exercises work") in notebook 00 (``00_audio_and_data``).

Example
-------
>>> src = '''def double(x):
...     ### BEGIN SOLUTION
...     ### HINT: multiply by two
...     return 2 * x
...     ### END SOLUTION'''
>>> print(make_stub_source(src))
def double(x):
    # Hint: multiply by two
    # YOUR CODE HERE
    raise NotImplementedError("Exercise not attempted yet. Hint: multiply by two")
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

from resynth_lib.core.config import REPO_ROOT, CourseConfig, set_seed

BEGIN, END, HINT = "### BEGIN SOLUTION", "### END SOLUTION", "### HINT:"
SCAFFOLD = "### SCAFFOLD:"
SOLUTIONS_DIR = REPO_ROOT / "solutions"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
#: In notebooks/: the SHA-256 of every notebook as the build last wrote it. A file whose text
#: matches neither this nor the new build was edited by hand, and the build keeps it.
MANIFEST_NAME = ".build-manifest.json"
ROLE_SOLUTION = 'role="solution"'
ROLE_STUDENT = 'role="student"'

#: The role of the running notebook ("solution", "student" or None outside notebooks).
CURRENT_ROLE: str | None = None


def start_notebook(name: str, role: str | None = None, seed: int | None = None) -> CourseConfig:
    """First call of every notebook: read fast/full mode, seed everything, set plot defaults.

    ``role`` tells the exercise checker whether this is the solution or the student version;
    ``seed`` overrides ``RESYNTH_SEED``. Prints one line and returns the
    :class:`~resynth_lib.core.config.CourseConfig`. Taught in notebook 00 (``00_audio_and_data``)
    and called at the top of every notebook.

    Example
    -------
    >>> config = start_notebook("00_audio_and_data", seed=1)     # outside a notebook: no role
    00_audio_and_data : ...seed 1
    >>> config.seed, config.pick(full=1000, fast=10) in (10, 1000)
    (1, True)
    """
    global CURRENT_ROLE
    if role not in (None, "solution", "student"):
        raise ValueError(f"role must be 'solution' or 'student', got {role!r}")
    CURRENT_ROLE = role
    config = CourseConfig.from_env()
    if seed is not None:
        config.seed = seed
    set_seed(config.seed)
    try:
        import matplotlib.pyplot as plt
        plt.rcParams.update({"figure.figsize": (10, 3.5), "figure.dpi": 90, "axes.grid": False,
                             "image.cmap": "magma", "figure.max_open_warning": 0})
    except ImportError:  # pragma: no cover
        pass
    version = "solution" if role == "solution" else "student version" if role == "student" else ""
    print(f"{name} {('(' + version + ')') if version else ''}: {config}")
    return config


# ------------------------------------------------------------------- stub building
def make_stub_source(source: str) -> str:
    """Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region by a stub.

    The stub keeps the region's indentation and its ``### HINT:`` lines (as comments and in
    the ``NotImplementedError`` message); code outside the regions is kept as it is. Lines
    ``### SCAFFOLD: <code>`` in a region are the stub's skeleton: each becomes ``<code>`` at
    the region's indentation (any indentation after ``### SCAFFOLD: `` is kept, so a loop's
    body can be indented), placed *after* the ``raise``, so an untouched stub still reports
    "not attempted"; the ``# YOUR CODE HERE`` line then says to delete the ``raise``. In the
    solution they are comments, so the solution runs unchanged. An unclosed or nested
    region raises ``ValueError``. Taught in notebook 00 (``00_audio_and_data``), "how
    exercises work".

    Example
    -------
    >>> print(make_stub_source('''def add_one(x):
    ...     ### BEGIN SOLUTION
    ...     return x + 1
    ...     ### END SOLUTION
    ... print(add_one(1))'''))
    def add_one(x):
        # YOUR CODE HERE
        raise NotImplementedError("Exercise not attempted yet.")
    print(add_one(1))

    With a hint and a scaffold (the loop body keeps its extra indentation):

    >>> print(make_stub_source('''def squares(n):
    ...     ### BEGIN SOLUTION
    ...     ### HINT: one square per number below n
    ...     ### SCAFFOLD: out = []
    ...     ### SCAFFOLD: for i in range(n):
    ...     ### SCAFFOLD:     out.append(...)
    ...     ### SCAFFOLD: return out
    ...     return [i * i for i in range(n)]
    ...     ### END SOLUTION'''))
    def squares(n):
        # Hint: one square per number below n
        # YOUR CODE HERE (delete the raise below when you start)
        raise NotImplementedError("Exercise not attempted yet. Hint: one square per number below n")
        out = []
        for i in range(n):
            out.append(...)
        return out
    """
    out, region, indent, hints, scaffold = [], False, "", [], []
    for line in source.split("\n"):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if region:
                raise ValueError(f"nested {BEGIN!r} in:\n{source}")
            region, indent, hints, scaffold = True, line[: len(line) - len(line.lstrip())], [], []
        elif stripped.startswith(END):
            if not region:
                raise ValueError(f"{END!r} without {BEGIN!r} in:\n{source}")
            region = False
            hint = " ".join(hints)
            out.extend(f"{indent}# Hint: {h}" for h in hints)
            out.append(f"{indent}# YOUR CODE HERE" + (" (delete the raise below when you start)" if scaffold else ""))
            message = "Exercise not attempted yet." + (f" Hint: {hint}" if hint else "")
            out.append(f"{indent}raise NotImplementedError({json.dumps(message, ensure_ascii=False)})")
            out.extend(f"{indent}{code}" if code.strip() else "" for code in scaffold)
        elif region:
            if stripped.startswith(HINT):
                hints.append(stripped[len(HINT):].strip())
            elif stripped.startswith(SCAFFOLD):
                code = line.lstrip()[len(SCAFFOLD):].rstrip()
                scaffold.append(code.removeprefix(" "))
        else:
            out.append(line)
    if region:
        raise ValueError(f"{BEGIN!r} without {END!r} in:\n{source}")
    return "\n".join(out)


def _strip_cell(cell) -> None:
    if cell.get("cell_type") == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    for key in ("execution", "collapsed", "scrolled", "ExecuteTime"):
        cell.get("metadata", {}).pop(key, None)


def strip_notebook(nb):
    """A copy of ``nb`` without outputs, execution counts or execution metadata (notebook 00).

    Example
    -------
    >>> from nbformat.v4 import new_code_cell, new_notebook, new_output
    >>> cell = new_code_cell("1 + 1", execution_count=1,
    ...                      outputs=[new_output("execute_result", {"text/plain": "2"}, execution_count=1)])
    >>> nb = new_notebook(cells=[cell])
    >>> clean = strip_notebook(nb)
    >>> clean.cells[0].outputs, clean.cells[0].execution_count, len(nb.cells[0].outputs)   # nb is untouched
    ([], None, 1)
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        _strip_cell(cell)
    nb.metadata.pop("widgets", None)
    return nb


def student_notebook(nb):
    """The student version of a solution notebook: stubs, student role, no outputs (notebook 00).

    Example
    -------
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> nb = new_notebook(cells=[new_code_cell('''start_notebook("00_demo", role="solution")
    ... def double(x):
    ...     ### BEGIN SOLUTION
    ...     return 2 * x
    ...     ### END SOLUTION''')])
    >>> print(student_notebook(nb).cells[0].source)
    start_notebook("00_demo", role="student")
    def double(x):
        # YOUR CODE HERE
        raise NotImplementedError("Exercise not attempted yet.")
    """
    nb = strip_notebook(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = make_stub_source(cell.source).replace(ROLE_SOLUTION, ROLE_STUDENT)
    return nb


def notebook_text(nb) -> str:
    """Serialise a notebook exactly as the build writes it (stable, diff-friendly; notebook 00).

    :func:`check` compares files with this text, so the same notebook always gives the same
    bytes.

    Example
    -------
    >>> import nbformat
    >>> text = notebook_text(nbformat.v4.new_notebook())
    >>> text.endswith("}\\n"), nbformat.reads(text, as_version=4) == nbformat.v4.new_notebook()
    (True, True)
    """
    import nbformat
    return nbformat.writes(nb) + "\n"


def _read(path: Path):
    import nbformat
    return nbformat.read(str(path), as_version=4)


def expected_notebooks(solutions_dir: Path = SOLUTIONS_DIR) -> dict[str, str]:
    """File name -> the text the build writes into notebooks/ for every solution notebook.

    ``FileNotFoundError`` if ``solutions_dir`` holds no notebook. Taught in notebook 00
    (``00_audio_and_data``).

    Example
    -------
    >>> import nbformat, shutil, tempfile
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> solutions = Path(tempfile.mkdtemp())
    >>> nbformat.write(new_notebook(cells=[new_code_cell('''def double(x):
    ...     ### BEGIN SOLUTION
    ...     return 2 * x
    ...     ### END SOLUTION''')]), str(solutions / "00_demo.ipynb"))
    >>> expected = expected_notebooks(solutions)
    >>> list(expected), "YOUR CODE HERE" in expected["00_demo.ipynb"]
    (['00_demo.ipynb'], True)
    >>> shutil.rmtree(solutions)
    """
    sources = sorted(solutions_dir.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no notebooks in {solutions_dir}")
    return {path.name: notebook_text(student_notebook(_read(path))) for path in sources}


def text_hash(text: str) -> str:
    """SHA-256 (hex) of a notebook's text, as stored in the build manifest (notebook 00).

    Example
    -------
    >>> text_hash("x")[:12]
    '2d711642b726'
    """
    import hashlib
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_manifest(notebooks_dir: Path = NOTEBOOKS_DIR) -> dict[str, str]:
    """File name -> SHA-256 of the text the build last wrote there (empty if never built; notebook 00).

    Example
    -------
    >>> import tempfile
    >>> read_manifest(Path(tempfile.mkdtemp()))
    {}
    """
    path = notebooks_dir / MANIFEST_NAME
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


class BuildRefused(RuntimeError):
    """The build would overwrite or delete notebooks edited by hand (``paths``); rerun with ``force``.

    Example
    -------
    >>> err = BuildRefused([Path("notebooks/00_demo.ipynb")])
    >>> str(err).startswith("not overwriting 1 notebook edited by hand")
    True
    """

    def __init__(self, paths: list[Path]):
        self.paths = paths
        names = ", ".join(p.name for p in paths)
        super().__init__(f"not overwriting {len(paths)} notebook{'s' if len(paths) != 1 else ''} edited by hand "
                         f"since the last build: {names}. Copy your work somewhere safe first (`resynth course "
                         f"start` keeps a workspace of your own), then rebuild with --force to discard the edits")


def hand_edited(notebooks_dir: Path = NOTEBOOKS_DIR, expected: dict[str, str] | None = None) -> list[Path]:
    """Notebooks in notebooks/ whose text is neither what the build last wrote nor its next build.

    Those are the files a build would destroy: someone opened them in JupyterLab and
    worked in them. Taught in notebook 00 (``00_audio_and_data``).

    Example
    -------
    >>> import nbformat, shutil, tempfile
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> tmp = Path(tempfile.mkdtemp()); (tmp / "solutions").mkdir()
    >>> nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), str(tmp / "solutions" / "00_demo.ipynb"))
    >>> _ = build(tmp / "solutions", tmp / "notebooks")
    >>> hand_edited(tmp / "notebooks", expected_notebooks(tmp / "solutions"))
    []
    >>> _ = (tmp / "notebooks" / "00_demo.ipynb").write_text("my answers")
    >>> [p.name for p in hand_edited(tmp / "notebooks", expected_notebooks(tmp / "solutions"))]
    ['00_demo.ipynb']
    >>> shutil.rmtree(tmp)
    """
    manifest = read_manifest(notebooks_dir)
    expected = expected if expected is not None else expected_notebooks()
    edited = []
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        if text != expected.get(path.name) and text_hash(text) != manifest.get(path.name):
            edited.append(path)
    return edited


def build(solutions_dir: Path = SOLUTIONS_DIR, notebooks_dir: Path = NOTEBOOKS_DIR, force: bool = False) -> list[Path]:
    """Write notebooks/ from solutions/ (removing student notebooks with no solution).

    Returns the paths written. A notebook edited by hand since the last build (see
    :func:`hand_edited`) is never overwritten or deleted: the build raises
    :class:`BuildRefused` naming them, before writing anything, unless ``force``.
    ``python -m resynth_lib.course build [--force]`` calls it on the repository's folders.
    Taught in notebook 00 (``00_audio_and_data``).

    Example
    -------
    >>> import nbformat, shutil, tempfile
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> tmp = Path(tempfile.mkdtemp())
    >>> (tmp / "solutions").mkdir()
    >>> nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), str(tmp / "solutions" / "00_demo.ipynb"))
    >>> [p.name for p in build(tmp / "solutions", tmp / "notebooks")]
    ['00_demo.ipynb']
    >>> sorted(p.name for p in (tmp / "notebooks").iterdir())
    ['.build-manifest.json', '00_demo.ipynb']
    >>> _ = (tmp / "notebooks" / "00_demo.ipynb").write_text("my answers")
    >>> build(tmp / "solutions", tmp / "notebooks")                  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    resynth_lib.course.build.BuildRefused: not overwriting 1 notebook edited by hand since the last build: 00_demo.ipynb...
    >>> [p.name for p in build(tmp / "solutions", tmp / "notebooks", force=True)]
    ['00_demo.ipynb']
    >>> shutil.rmtree(tmp)
    """
    notebooks_dir.mkdir(parents=True, exist_ok=True)
    expected = expected_notebooks(solutions_dir)
    edited = hand_edited(notebooks_dir, expected)
    if edited and not force:
        raise BuildRefused(edited)
    written = []
    for name, text in expected.items():
        target = notebooks_dir / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        written.append(target)
    for stale in notebooks_dir.glob("*.ipynb"):
        if stale.name not in expected:
            stale.unlink()
    manifest = {name: text_hash(text) for name, text in expected.items()}
    (notebooks_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return written


def has_outputs(path: Path) -> bool:
    """True if a notebook file holds outputs or execution counts.

    Committed notebooks must hold none (:func:`check`). Taught in notebook 00 (``00_audio_and_data``).

    Example
    -------
    >>> import nbformat, shutil, tempfile
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> tmp = Path(tempfile.mkdtemp())
    >>> nbformat.write(new_notebook(cells=[new_code_cell("1 + 1", execution_count=1)]), str(tmp / "run.ipynb"))
    >>> nbformat.write(new_notebook(cells=[new_code_cell("1 + 1")]), str(tmp / "clean.ipynb"))
    >>> has_outputs(tmp / "run.ipynb"), has_outputs(tmp / "clean.ipynb")
    (True, False)
    >>> shutil.rmtree(tmp)
    """
    nb = _read(path)
    return any(c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
               for c in nb.cells)


def check(solutions_dir: Path = SOLUTIONS_DIR, notebooks_dir: Path = NOTEBOOKS_DIR) -> list[str]:
    """Problems with the committed notebooks (empty list when all is well).

    Checks that every student notebook is exactly its build, that no notebook holds outputs,
    and that every solution calls ``start_notebook(..., role="solution")`` and is named
    ``NN_topic.ipynb``. The test suite runs it; taught in notebook 00 (``00_audio_and_data``).

    Example
    -------
    >>> import nbformat, shutil, tempfile
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> tmp = Path(tempfile.mkdtemp())
    >>> (tmp / "solutions").mkdir()
    >>> solution = new_notebook(cells=[new_code_cell('start_notebook("00_demo", role="solution")')])
    >>> nbformat.write(solution, str(tmp / "solutions" / "00_demo.ipynb"))
    >>> check(tmp / "solutions", tmp / "notebooks")
    ['notebooks/00_demo.ipynb is missing: run `python -m resynth_lib.course build`']
    >>> (tmp / "notebooks").mkdir()
    >>> _ = build(tmp / "solutions", tmp / "notebooks")
    >>> check(tmp / "solutions", tmp / "notebooks")
    []
    >>> shutil.rmtree(tmp)
    """
    problems = []
    expected = expected_notebooks(solutions_dir)
    edited = {p.name for p in hand_edited(notebooks_dir, expected)} if notebooks_dir.exists() else set()
    for name, text in expected.items():
        target = notebooks_dir / name
        if not target.exists():
            problems.append(f"notebooks/{name} is missing: run `python -m resynth_lib.course build`")
        elif name in edited:
            problems.append(f"notebooks/{name} was edited by hand since the last build (JupyterLab saves into the "
                            "notebook it has open): keep your work with `resynth course start` (a workspace of "
                            "your own) and do your exercises there; the build will not overwrite this file")
        elif target.read_text(encoding="utf-8") != text:
            problems.append(f"notebooks/{name} differs from its build: run `python -m resynth_lib.course build`")
    for extra in sorted(set(p.name for p in notebooks_dir.glob("*.ipynb")) - set(expected) - edited):
        problems.append(f"notebooks/{extra} has no solution in solutions/")
    own_work = [p for p in sorted(notebooks_dir.glob("*.ipynb")) if p.name in edited]
    for path in own_work:
        if path.name not in expected:
            problems.append(f"notebooks/{path.name} has no solution in solutions/ and was never built: move it to "
                            "your workspace (`resynth course start` makes one)")
    for path in sorted(solutions_dir.glob("*.ipynb")) + sorted(notebooks_dir.glob("*.ipynb")):
        if path in own_work:
            continue                      # reported above; outputs in one's own work are fine
        if has_outputs(path):
            problems.append(f"{path.parent.name}/{path.name} has outputs or execution counts: "
                            "run `python -m resynth_lib.course strip`")
    for path in sorted(solutions_dir.glob("*.ipynb")):
        text = "\n".join(c.source for c in _read(path).cells if c.cell_type == "code")
        if ROLE_SOLUTION not in text:
            problems.append(f"solutions/{path.name} never calls start_notebook(..., {ROLE_SOLUTION})")
        if not re.match(r"\d\d[a-z]?_\w+\.ipynb$", path.name):
            problems.append(f"solutions/{path.name} is not named NN_topic.ipynb (or NNb_topic.ipynb for a "
                            "notebook split off NN)")
    return problems


def strip(solutions_dir: Path = SOLUTIONS_DIR) -> list[Path]:
    """Remove outputs and execution counts from solutions/ in place.

    Returns the notebooks it changed (a clean notebook is not rewritten). Taught in
    notebook 00 (``00_audio_and_data``).

    Example
    -------
    >>> import nbformat, shutil, tempfile
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> solutions = Path(tempfile.mkdtemp())
    >>> nbformat.write(new_notebook(cells=[new_code_cell("1 + 1", execution_count=1)]), str(solutions / "00_run.ipynb"))
    >>> [p.name for p in strip(solutions)], [p.name for p in strip(solutions)]    # the second time: nothing to do
    (['00_run.ipynb'], [])
    >>> shutil.rmtree(solutions)
    """
    changed = []
    for path in sorted(solutions_dir.glob("*.ipynb")):
        before = path.read_text(encoding="utf-8")
        after = notebook_text(strip_notebook(_read(path)))
        if after != before:
            path.write_text(after, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    """``python -m resynth_lib.course build | check | strip`` on the repository's solutions/ and notebooks/.

    ``build`` writes notebooks/ and strips solutions/ (exit code 0; 1 without touching anything
    if a notebooks/ file was edited by hand and ``--force`` is not given); ``strip`` only strips;
    ``check`` prints each problem of :func:`check` and returns 1 if there is any. Taught in
    notebook 00 (``00_audio_and_data``).

    Example
    -------
    >>> from resynth_lib.course import __main__ as entry     # what ``python -m resynth_lib.course`` runs
    >>> entry.main is main
    True
    >>> main(["nonsense"])                                    # argparse explains on stderr
    Traceback (most recent call last):
        ...
    SystemExit: 2
    """
    parser = argparse.ArgumentParser(prog="python -m resynth_lib.course",
                                     description="Build student notebooks from solutions/.")
    parser.add_argument("command", choices=["build", "check", "strip"])
    parser.add_argument("--force", action="store_true",
                        help="build: overwrite notebooks/ files edited by hand (their edits are lost)")
    args = parser.parse_args(argv)
    if args.command == "build":
        try:
            written = build(SOLUTIONS_DIR, NOTEBOOKS_DIR, force=args.force)
        except BuildRefused as refused:
            print(f"course build: {refused}", file=sys.stderr)
            return 1
        stripped = strip(SOLUTIONS_DIR)
        for path in written:
            print(f"wrote {path.relative_to(REPO_ROOT)}")
        for path in stripped:
            print(f"stripped outputs from {path.relative_to(REPO_ROOT)}")
        return 0
    if args.command == "strip":
        for path in strip(SOLUTIONS_DIR):
            print(f"stripped outputs from {path.relative_to(REPO_ROOT)}")
        return 0
    problems = check(SOLUTIONS_DIR, NOTEBOOKS_DIR)
    for problem in problems:
        print(problem)
    print("notebooks are in sync with solutions" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0



if __name__ == "__main__":
    sys.exit(main())

"""Run a course notebook headless with nbclient, the engine of ``jupyter nbconvert --execute``.

Instructors render the course to HTML or run it in their own CI with nbclient-based tools
(nbconvert, papermill, nbmake). :func:`run_headless` executes a notebook cell by cell the
same way, times every cell, and can execute the interactive cells again and again to show
that none of them stalls (see :mod:`resynth_lib.core.widgets` for why
``ipywidgets.interact`` did). ``benchmarks/nbclient_stress.py`` and the test suite use it.
Taught in notebook 00 (``00_audio_and_data``), "running the course headless".

Example
-------
>>> import nbformat, tempfile
>>> from pathlib import Path
>>> from nbformat.v4 import new_code_cell, new_notebook
>>> path = Path(tempfile.mkdtemp()) / "demo.ipynb"
>>> nbformat.write(new_notebook(cells=[new_code_cell("print(6 * 7)")]), str(path))
>>> run = run_headless(path)                               # doctest: +SKIP
>>> run.notebook.cells[0].outputs[0]["text"]               # doctest: +SKIP
'42\\n'
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

#: Code that marks a cell as interactive (re-executed by ``repeats``).
INTERACTIVE_MARKERS = ("interact(", "widgets.")


@dataclass
class HeadlessRun:
    """What :func:`run_headless` saw: the executed notebook, seconds per cell, errors, repeat times.

    ``repeat_seconds`` maps the index of each interactive cell to the seconds of each extra
    execution. Used in notebook 00 (``00_audio_and_data``) and ``benchmarks/nbclient_stress.py``.

    Example
    -------
    >>> run = HeadlessRun(notebook=None, cell_seconds=[0.1, 2.0, 0.3])
    >>> run.slowest(), run.total()
    ((1, 2.0), 2.4)
    """

    notebook: object
    cell_seconds: list[float]
    errors: list[str] = field(default_factory=list)
    repeat_seconds: dict[int, list[float]] = field(default_factory=dict)

    def slowest(self) -> tuple[int, float]:
        """(cell index, seconds) of the slowest cell of the full run."""
        index = max(range(len(self.cell_seconds)), key=self.cell_seconds.__getitem__)
        return index, self.cell_seconds[index]

    def total(self) -> float:
        """Seconds of the full run, all cells."""
        return round(sum(self.cell_seconds), 6)


def is_interactive(source: str) -> bool:
    """True for a code cell that builds widgets (re-executed by :func:`run_headless`'s ``repeats``; notebook 00).

    Example
    -------
    >>> is_interactive("interact(show, n=widgets.IntSlider(3))"), is_interactive("x = 1")
    (True, False)
    """
    return any(marker in source for marker in INTERACTIVE_MARKERS) and "import ipywidgets" not in source


def run_headless(path: str | Path, repeats: int = 0, timeout: int = 600, fast: bool = True) -> HeadlessRun:
    """Execute the notebook at ``path`` with nbclient, cell by cell, in its own folder.

    Every code cell runs once, in order, with ``RESYNTH_FAST=1`` unless ``fast`` is False;
    a cell that raises is recorded in ``errors`` and the run goes on. Then every interactive
    cell (:func:`is_interactive`) runs ``repeats`` more times. A cell slower than
    ``timeout`` seconds is an error. Taught in notebook 00 (``00_audio_and_data``).

    Example
    -------
    >>> run = run_headless("solutions/00_audio_and_data.ipynb", repeats=2)   # doctest: +SKIP
    >>> run.errors, len(run.repeat_seconds) > 0                              # doctest: +SKIP
    ([], True)
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    saved = os.environ.get("RESYNTH_FAST")
    if fast:
        os.environ["RESYNTH_FAST"] = "1"
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    run = HeadlessRun(notebook=nb, cell_seconds=[0.0] * len(nb.cells))
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                run.cell_seconds[index] = _execute(client, cell, index, run.errors)
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code" and is_interactive(cell.source) and repeats:
                    run.repeat_seconds[index] = [_execute(client, cell, index, run.errors) for _ in range(repeats)]
            client.set_widgets_metadata()         # widget state in the notebook, as nbconvert saves it
    finally:
        if fast:
            if saved is None:
                os.environ.pop("RESYNTH_FAST", None)
            else:
                os.environ["RESYNTH_FAST"] = saved
    return run


def _execute(client, cell, index: int, errors: list[str]) -> float:
    start = time.perf_counter()
    if cell.cell_type == "code":
        try:
            client.execute_cell(cell, index)
        except Exception as exc:  # a failing cell is recorded and the run goes on, as a student's would
            errors.append(f"cell {index}: {type(exc).__name__}: {str(exc).strip().splitlines()[-1][:300]}")
    return time.perf_counter() - start

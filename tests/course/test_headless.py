"""Headless execution with nbclient (what `jupyter nbconvert --execute` runs): no widget cell stalls.

`ipywidgets.interact` with audio made nbclient miss a kernel reply about one time in ten
(a 0.05 s cell waited for the full timeout). The course's `interact` captures nothing, so
there is nothing to miss: these tests execute widget cells again and again under nbclient.
"""
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from resynth_lib.course.build import SOLUTIONS_DIR
from resynth_lib.course.headless import is_interactive, run_headless

WIDGET_CELL = "interact(show, i=widgets.Dropdown(options=[0, 1, 2], value=1));"
SETUP = """import numpy as np, ipywidgets as widgets, matplotlib.pyplot as plt
from IPython.display import Audio, display
from resynth_lib.core.widgets import interact
x = np.random.default_rng(0).standard_normal(16000)
def show(i=0):
    print('pick', i)
    plt.plot(x[:200] * i); plt.show()
    display(Audio(x, rate=16000), Audio(x, rate=16000))"""


def test_course_interact_never_stalls_and_draws_headless(tmp_path):
    path = tmp_path / "widgets.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(SETUP), new_code_cell(WIDGET_CELL)]), str(path))
    run = run_headless(path, repeats=14, timeout=60)
    assert run.errors == []
    seconds = [run.cell_seconds[1], *run.repeat_seconds[1]]
    assert len(seconds) == 15 and max(seconds) < 10, seconds          # a stall waits for the 60 s timeout
    # the view was drawn without a front end: the Output widget holds the text, the PNG and both players
    states = [m["state"] for m in run.notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]
              ["state"].values() if m["model_name"] == "OutputModel"]
    outputs = states[-1]["outputs"]
    assert outputs[0]["text"] == "pick 1\n"
    assert "image/png" in outputs[1]["data"]
    assert sum("<audio" in json.dumps(o) for o in outputs) == 2


@pytest.mark.parametrize("name", ["00_audio_and_data", "05_speaker_identity", "07_resynthesis_conversion_codec"])
def test_notebook_runs_under_nbclient(name):
    run = run_headless(SOLUTIONS_DIR / f"{name}.ipynb", repeats=2, timeout=300)
    assert run.errors == [], run.errors
    assert run.repeat_seconds, "the notebook has interactive cells"
    for index, seconds in run.repeat_seconds.items():
        first = run.cell_seconds[index]
        assert max(seconds) < 3 * first + 5, (index, first, seconds)


def test_interactive_cells_are_recognised():
    assert is_interactive(WIDGET_CELL) and not is_interactive(SETUP.replace("widgets", "w").replace("interact", "i"))

"""Interactive views that always draw: in JupyterLab, and when a notebook runs headless.

Every notebook from 00 (``00_audio_and_data``) on has a few "move a slider, see and hear
the result" cells. They use :func:`interact` from here instead of ``ipywidgets.interact``.

Why not ``ipywidgets.interact``? It shows a function's output by *capturing* it with an
``Output`` widget: while the function runs, the kernel tags every message it sends as
belonging to that widget, and the front end routes it there. Two things go wrong with
that in practice:

* In JupyterLab the inline plot backend can send the real figure after the capture has
  ended (it first sent a blank PNG inside it), so the figure lands in the Log Console
  and the widget shows an empty image.
* Headless runners (nbclient, hence ``jupyter nbconvert --execute``, papermill, nbmake)
  imitate the ``Output`` widget by sending a state update back to the kernel on the
  *shell* socket for every captured output, while another task waits on that same socket
  for the cell's reply. Now and then the reply is missed and the cell waits for the full
  timeout (measured: 60 s for a cell that takes 0.05 s).

The views here capture nothing. :func:`render_outputs` runs the function with its
printing, ``display(...)`` calls and ``plt.show()`` redirected into a list of outputs in
the notebook format (figures become PNGs, then are closed), and the view assigns that list
to the ``Output`` widget's ``outputs`` directly. No message is routed by capture, so the
picture arrives inside the widget every time, and a headless runner has nothing to echo.

Example
-------
>>> import ipywidgets as widgets
>>> view = interactive_view(lambda n=2: print("n squared is", n * n), n=widgets.IntSlider(3, 0, 9))
>>> view.children[-1].outputs[0]["text"]
'n squared is 9\\n'
>>> view.children[0].value = 4                      # what moving the slider does
>>> view.children[-1].outputs[0]["text"]
'n squared is 16\\n'
"""
from __future__ import annotations

import base64
import contextlib
import io
from typing import Any, Callable


class _OutputList:
    """Outputs in the notebook format, collected in the order the function produced them."""

    def __init__(self):
        self.items: list[dict] = []

    def stream(self, name: str, text: str) -> None:
        if self.items and self.items[-1]["output_type"] == "stream" and self.items[-1]["name"] == name:
            self.items[-1]["text"] += text
        else:
            self.items.append({"output_type": "stream", "name": name, "text": text})

    def display(self, data: dict, metadata: dict | None = None) -> None:
        self.items.append({"output_type": "display_data", "data": dict(data), "metadata": dict(metadata or {})})


class _StreamWriter(io.TextIOBase):
    def __init__(self, outputs: _OutputList, name: str):
        self.outputs, self.name = outputs, name

    def write(self, text: str) -> int:
        if text:
            self.outputs.stream(self.name, text)
        return len(text)


def figure_output(fig) -> dict:
    """A matplotlib figure as a ``display_data`` output holding a PNG (white background).

    Used by :func:`render_outputs`; taught in notebook 00 (``00_audio_and_data``).

    Example
    -------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(2, 1)); _ = ax.plot([0, 1])
    >>> out = figure_output(fig); plt.close(fig)
    >>> out["output_type"], sorted(out["data"])
    ('display_data', ['image/png', 'text/plain'])
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="white", bbox_inches="tight")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    width, height = fig.get_size_inches() * fig.dpi
    return {"output_type": "display_data",
            "data": {"image/png": png, "text/plain": f"<figure {width:.0f} x {height:.0f} px>"},
            "metadata": {}}


@contextlib.contextmanager
def _redirected_display(outputs: _OutputList):
    """Send IPython's ``display(...)`` into ``outputs`` while the block runs (no-op outside IPython)."""
    try:
        from IPython import get_ipython
        from IPython.core.displaypub import DisplayPublisher
    except ImportError:  # pragma: no cover - IPython is a dependency
        yield
        return
    shell = get_ipython()
    if shell is None:
        yield
        return

    class _Collect(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            outputs.display(data, metadata)

        def clear_output(self, wait=False):
            outputs.items.clear()

    saved = shell.display_pub
    shell.display_pub = _Collect(shell=shell)
    try:
        yield
    finally:
        shell.display_pub = saved


def render_outputs(fn: Callable, *args: Any, **kwargs: Any) -> tuple[dict, ...]:
    """Call ``fn(*args, **kwargs)`` and return what it printed, displayed and plotted.

    The result is a tuple of outputs in the notebook format, in the order they were made:
    ``stream`` outputs for ``print`` (stdout and stderr), ``display_data`` outputs for
    ``display(...)``, and one PNG ``display_data`` per figure, made at ``plt.show()`` or,
    for figures still open when ``fn`` returns, at the end. Every figure ``fn`` opened is
    closed, so no plot backend shows it again later. Errors propagate. Taught in notebook
    00 (``00_audio_and_data``).

    Example
    -------
    >>> import matplotlib.pyplot as plt
    >>> def show(title="a line"):
    ...     print("drawing", title)
    ...     plt.plot([0, 1]); plt.title(title); plt.show()
    >>> [(o["output_type"], o.get("text", "")) for o in render_outputs(show, "hello")]
    [('stream', 'drawing hello\\n'), ('display_data', '')]
    >>> plt.get_fignums()                     # closed: nothing left to show twice
    []
    """
    import matplotlib.pyplot as plt

    outputs = _OutputList()
    before = set(plt.get_fignums())

    def flush_figures(*_args, **_kwargs):
        for number in plt.get_fignums():
            if number not in before:
                figure = plt.figure(number)
                outputs.items.append(figure_output(figure))
                plt.close(figure)

    saved_show = plt.show
    plt.show = flush_figures
    try:
        with contextlib.redirect_stdout(_StreamWriter(outputs, "stdout")), \
                contextlib.redirect_stderr(_StreamWriter(outputs, "stderr")), _redirected_display(outputs):
            fn(*args, **kwargs)
            flush_figures()
    finally:
        plt.show = saved_show
        for number in plt.get_fignums():        # a failed call leaves no half-drawn figure behind
            if number not in before:
                plt.close(number)
    return tuple(outputs.items)


def interactive_view(fn: Callable, **controls: Any):
    """A box of controls above an ``Output`` widget showing ``fn(**values)``; redrawn on every change.

    ``controls`` maps each of ``fn``'s arguments to an ipywidgets control (its ``value`` is
    passed) or to a fixed value. Sliders redraw when released, not while dragged. The first
    view is drawn before this returns, so errors in it raise here; an error in a later
    redraw is shown inside the view as one line. Used through :func:`interact`; taught in
    notebook 00 (``00_audio_and_data``).

    Example
    -------
    >>> import ipywidgets as widgets
    >>> view = interactive_view(lambda word, times: print(word * times), word="ab",
    ...                         times=widgets.IntSlider(2, 1, 5, description="times"))
    >>> view.children[-1].outputs[0]["text"]
    'abab\\n'
    """
    import ipywidgets as widgets

    live = {name: c for name, c in controls.items() if isinstance(c, widgets.ValueWidget)}
    fixed = {name: value for name, value in controls.items() if name not in live}
    out = widgets.Output()
    for name, control in live.items():
        if hasattr(control, "continuous_update"):
            control.continuous_update = False
        if hasattr(control, "description") and not control.description:
            control.description = name

    def redraw(change=None):
        values = {**fixed, **{name: c.value for name, c in live.items()}}
        try:
            out.outputs = render_outputs(fn, **values)
        except Exception as exc:
            if change is None:
                raise
            out.outputs = ({"output_type": "stream", "name": "stderr",
                            "text": f"{type(exc).__name__}: {exc}\n"},)

    for control in live.values():
        control.observe(redraw, "value")
    redraw()
    return widgets.VBox([*live.values(), out])


def interact(fn: Callable, **controls: Any):
    """Show :func:`interactive_view` of ``fn`` in the notebook and return it.

    A drop-in for ``ipywidgets.interact(fn, **controls)`` whose picture always lands inside
    the widget, and which never stalls a headless run (module docstring). Taught in
    notebook 00 (``00_audio_and_data``); used in every notebook's interactive cells.

    Example
    -------
    >>> import ipywidgets as widgets
    >>> view = interact(lambda x: print(x + 1), x=widgets.IntSlider(1))   # doctest: +ELLIPSIS
    VBox(children=(IntSlider(value=1, continuous_update=False, description='x'), Output(outputs=...
    """
    from IPython.display import display

    view = interactive_view(fn, **controls)
    display(view)
    return view


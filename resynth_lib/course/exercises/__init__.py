"""The course's exercises, one module per notebook: ``nb00`` ... ``nb07`` (and ``nb06b``).

Each module registers its notebook's exercises (fixed inputs, the library's reference and a
hint) with :func:`resynth_lib.course.checks.register`. Nothing is imported up front: the
checker maps an exercise name to its module by the name's notebook prefix (``"04.cmnd"`` ->
:mod:`resynth_lib.course.exercises.nb04`) and imports that module the first time one of its
exercises is checked, so a notebook pays only for its own exercises.

Example
-------
>>> module_for("04.cmnd")
'resynth_lib.course.exercises.nb04'
>>> module_for("06b.gl_round")
'resynth_lib.course.exercises.nb06b'
"""
from __future__ import annotations

#: notebook prefix of an exercise name -> the module that registers that notebook's exercises
NOTEBOOKS = ("00", "01", "02", "03", "04", "05", "06", "06b", "07")


def module_for(name: str) -> str:
    """The module that registers exercise ``name`` (``"NN.topic"``); ``KeyError`` if no notebook has it.

    Example
    -------
    >>> module_for("00.frame_signal")
    'resynth_lib.course.exercises.nb00'
    """
    prefix = name.split(".", 1)[0]
    if prefix not in NOTEBOOKS:
        raise KeyError(f"exercise {name!r}: names start with a notebook number, one of {', '.join(NOTEBOOKS)}")
    return f"{__name__}.nb{prefix}"

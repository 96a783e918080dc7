"""The exercise checker: runs a student's function on fixed inputs against the reference.

Every exercise cell in a notebook is followed by a self-check cell::

    frame_signal = check("00.frame_signal", frame_signal)

``check`` prints one of

* ``PASS``: the function agrees with the library's reference on every fixed input;
* ``FAIL``: with the first input that differs, the size of the difference and a hint;
* ``not attempted yet``: the function still raises ``NotImplementedError``;

and returns the function the rest of the notebook should use: the student's own when it
passes, the library's reference otherwise -- so a notebook always runs to the end.

In the test suite (``RESYNTH_STRICT_CHECKS=1``) a solution notebook must PASS every check
and a student notebook must report every exercise as not attempted; anything else raises.

The exercises themselves (inputs, reference, hint) are registered by one module per notebook
in :mod:`resynth_lib.course.exercises`, imported the first time one of them is checked.

Taught in notebook 00 (``00_audio_and_data``), "how exercises work"; used by every notebook.

Example
-------
>>> import numpy as np
>>> ex = Exercise("demo.double", reference=lambda x: 2 * x,
...               cases=lambda: [((np.arange(3.0),), {})], hint="multiply by two")
>>> register(ex) is ex
True
>>> fn = check("demo.double", lambda x: x + x)
PASS demo.double: matches the reference on 1 fixed input
>>> fn = check("demo.double", lambda x: x + 1)   # doctest: +ELLIPSIS
FAIL demo.double: input 1 ...
>>> _ = REGISTRY.pop("demo.double")             # leave the registry as we found it
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

PASS, FAIL, NOT_ATTEMPTED = "pass", "fail", "not attempted"
_STRICT = {"1", "true", "yes", "on"}


@dataclass
class Exercise:
    """One exercise: its reference implementation, fixed inputs and a hint.

    ``cases`` returns a list of ``(args, kwargs)``; outputs are compared with
    ``np.allclose(rtol, atol)`` after converting tensors and lists to arrays; a tuple of
    outputs is compared item by item, strings exactly. Taught in notebook 00
    (``00_audio_and_data``); each notebook's exercises are registered in
    :mod:`resynth_lib.course.exercises`.

    Example
    -------
    >>> ex = Exercise("demo.square", reference=lambda x: x * x,
    ...               cases=lambda: [((3.0,), {})], hint="x times x")
    >>> ex.name
    'demo.square'
    >>> args, kwargs = ex.cases()[0]
    >>> ex.reference(*args, **kwargs)
    9.0
    """

    name: str
    reference: Callable
    cases: Callable[[], list[tuple[tuple, dict]]]
    hint: str = ""
    rtol: float = 1e-4
    atol: float = 1e-5
    #: typical wrong implementations, ``(mistake, function)``, each of which must FAIL
    #: (:mod:`resynth_lib.course.exercises.mutants`)
    mutants: list = field(default_factory=list)


@dataclass
class CheckResult:
    """What :func:`check` found; ``fn`` is the function to use downstream.

    ``status`` is :data:`PASS`, :data:`FAIL` or :data:`NOT_ATTEMPTED`; ``message`` is the
    sentence :func:`check` prints (notebook 00).

    Example
    -------
    >>> result = CheckResult("demo.abs", PASS, "matches the reference on 1 fixed input", fn=abs)
    >>> result                                  # fn is left out of the printout
    CheckResult(name='demo.abs', status='pass', message='matches the reference on 1 fixed input')
    >>> result.fn(-2)
    2
    """

    name: str
    status: str
    message: str
    fn: Callable = field(repr=False, default=None)


REGISTRY: dict[str, Exercise] = {}
#: Every result in this Python process, in order (handy for a summary cell).
HISTORY: list[CheckResult] = []


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the registry (replacing one with the same name); returns it.

    The modules of :mod:`resynth_lib.course.exercises` call it at import (notebook 00).

    Example
    -------
    >>> ex = register(Exercise("demo.triple", reference=lambda x: 3 * x, cases=lambda: [((1.0,), {})]))
    >>> REGISTRY["demo.triple"] is ex
    True
    >>> _ = REGISTRY.pop("demo.triple")              # leave the registry as we found it
    """
    REGISTRY[exercise.name] = exercise
    return exercise


def _to_numpy(value: Any):
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return value


def compare(got: Any, expected: Any, rtol: float, atol: float) -> str | None:
    """``None`` if ``got`` matches ``expected``, else a sentence saying how it differs.

    Tensors are converted to arrays; numbers are compared with ``np.isclose(rtol, atol)``,
    strings exactly, tuples item by item. The sentence points at the largest difference,
    which is what a student needs to find the bug (notebook 00).

    Example
    -------
    >>> compare(np.array([1.0, 2.0]), np.array([1.0, 2.0]), rtol=1e-4, atol=1e-5) is None
    True
    >>> compare(np.array([1.0, 2.5]), np.array([1.0, 2.0]), rtol=1e-4, atol=1e-5)
    'values differ at 1 of 2 entries: largest difference 0.5 at index (1,) (got 2.5, expected 2)'
    >>> compare(np.zeros(3), np.zeros(4), rtol=1e-4, atol=1e-5)
    'shape (3,), expected (4,)'
    >>> compare((1.0, "a"), (1.0, "b"), rtol=1e-4, atol=1e-5)
    "item 1: expected 'b', got 'a'"
    """
    got, expected = _to_numpy(got), _to_numpy(expected)
    if isinstance(expected, tuple):  # several outputs: compare one by one
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"expected a sequence of {len(expected)} items, got {type(got).__name__}"
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = compare(g, e, rtol, atol)
            if problem:
                return f"item {i}: {problem}"
        return None
    if isinstance(expected, str) or (isinstance(expected, np.ndarray) and expected.dtype.kind in "OUS"):
        return None if np.array_equal(np.asarray(got), np.asarray(expected)) else \
            f"expected {expected!r}, got {got!r}"
    kind = np.complex128 if np.iscomplexobj(expected) or np.iscomplexobj(got) else np.float64
    try:
        got_arr = np.asarray(got, dtype=kind)
    except (TypeError, ValueError):
        return f"expected numbers, got {type(got).__name__}"
    exp_arr = np.asarray(expected, dtype=kind)
    if got_arr.shape != exp_arr.shape:
        return f"shape {got_arr.shape}, expected {exp_arr.shape}"
    wrong = ~np.isclose(got_arr, exp_arr, rtol=rtol, atol=atol, equal_nan=True)
    if np.any(wrong):
        diff = np.where(wrong, np.abs(got_arr - exp_arr), 0.0)
        diff[np.isnan(diff)] = np.inf                    # a NaN where a number was expected is the worst
        where = np.unravel_index(np.argmax(diff), diff.shape) if diff.ndim else ()
        return (f"values differ at {int(np.sum(wrong))} of {wrong.size} entries: largest difference "
                f"{diff[where]:.3g} at index {tuple(int(i) for i in where)} "
                f"(got {got_arr[where]:.6g}, expected {exp_arr[where]:.6g})")
    return None


def _describe(args: tuple, kwargs: dict) -> str:
    def short(v):
        v = _to_numpy(v)
        if isinstance(v, np.ndarray):
            return f"an array of shape {v.shape}"
        return repr(v)
    parts = [short(a) for a in args] + [f"{k}={short(v)}" for k, v in kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def _side_by_side(got, expected, max_entries: int = 16) -> str:
    """Both outputs in full when they are small enough to read (empty string otherwise)."""
    try:
        got_arr, exp_arr = np.asarray(_to_numpy(got)), np.asarray(_to_numpy(expected))
    except (TypeError, ValueError):
        return ""
    if got_arr.dtype.kind not in "biuf" or exp_arr.dtype.kind not in "biuf":
        return ""
    if got_arr.size > max_entries or exp_arr.size > max_entries:
        return ""
    def fmt(a):
        return np.array2string(a, precision=4, separator=", ").replace("\n", "")
    return f" You returned {fmt(got_arr)}; the reference returns {fmt(exp_arr)}."


def _load_exercises(name: str) -> None:
    """Import the module that registers exercise ``name`` (see :mod:`resynth_lib.course.exercises`)."""
    import importlib

    from resynth_lib.course.exercises import module_for
    try:
        module = module_for(name)
    except KeyError:
        return
    importlib.import_module(module)


def run_check(name: str, student_fn: Callable) -> CheckResult:
    """Run the exercise's fixed inputs through ``student_fn``; no printing, no raising.

    The student's errors become a ``FAIL`` result and ``NotImplementedError`` a
    ``not attempted`` one (only an unknown exercise name raises ``KeyError``). The
    exercises of a notebook are imported the first time one of them is checked. Taught in
    notebook 00 (``00_audio_and_data``).

    Example
    -------
    >>> ex = register(Exercise("demo.half", reference=lambda x: x / 2,
    ...                        cases=lambda: [((np.arange(4.0),), {})], hint="divide by two"))
    >>> result = run_check("demo.half", lambda x: x * 0.5)
    >>> result.status, result.message
    ('pass', 'matches the reference on 1 fixed input')
    >>> def not_yet(x):
    ...     raise NotImplementedError
    >>> result = run_check("demo.half", not_yet)
    >>> result.status, result.fn is ex.reference      # the notebook goes on with the reference
    ('not attempted', True)
    >>> _ = REGISTRY.pop("demo.half")
    """
    if name not in REGISTRY:
        _load_exercises(name)
    if name not in REGISTRY:
        raise KeyError(f"unknown exercise {name!r}; known: {sorted(REGISTRY)}")
    ex = REGISTRY[name]
    cases = ex.cases()
    for i, (args, kwargs) in enumerate(cases, start=1):
        try:
            got = student_fn(*args, **kwargs)
        except NotImplementedError:
            return CheckResult(name, NOT_ATTEMPTED, f"not attempted yet: fill in the function, then run "
                               f"this cell again (the notebook goes on with the library's reference)",
                               ex.reference)
        except Exception as exc:  # the student's code crashed: report it as a failure
            return CheckResult(name, FAIL, f"input {i} {_describe(args, kwargs)} raised "
                               f"{type(exc).__name__}: {exc}. Hint: {ex.hint}", ex.reference)
        expected = ex.reference(*args, **kwargs)
        problem = compare(got, expected, ex.rtol, ex.atol)
        if problem:
            return CheckResult(name, FAIL, f"input {i} {_describe(args, kwargs)}: {problem}.{_side_by_side(got, expected)}"
                               f" Hint: {ex.hint} (the notebook goes on with the library's reference, so what the "
                               f"cells below print is the reference's output, not yours)", ex.reference)
    plural = "s" if len(cases) != 1 else ""
    return CheckResult(name, PASS, f"matches the reference on {len(cases)} fixed input{plural}", student_fn)


def strict_mode() -> bool:
    """True under the test suite (``RESYNTH_STRICT_CHECKS=1``).

    In strict mode :func:`check` raises when a solution notebook fails an exercise or a
    student notebook passes one (notebook 00).

    Example
    -------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"RESYNTH_STRICT_CHECKS": "1"}):
    ...     strict_mode()
    True
    >>> with mock.patch.dict(os.environ, {"RESYNTH_STRICT_CHECKS": "no"}):
    ...     strict_mode()
    False
    """
    return os.environ.get("RESYNTH_STRICT_CHECKS", "0").strip().lower() in _STRICT


def check(name: str, student_fn: Callable) -> Callable:
    """Check a student's function, print the verdict, return the function to use downstream.

    The self-check cell after every exercise in every notebook calls it; taught in notebook
    00 (``00_audio_and_data``). Each result is also appended to :data:`HISTORY`.

    Example
    -------
    >>> ex = register(Exercise("demo.negate", reference=lambda x: -x, cases=lambda: [((2.0,), {})],
    ...                        hint="a minus sign"))
    >>> fn = check("demo.negate", lambda x: x)
    FAIL demo.negate: input 1 (2.0): values differ ... Hint: a minus sign (the notebook goes on with ...)
    >>> fn is ex.reference, HISTORY[-1].status
    (True, 'fail')
    >>> _ = REGISTRY.pop("demo.negate")
    """
    result = run_check(name, student_fn)
    HISTORY.append(result)
    label = {PASS: "PASS", FAIL: "FAIL", NOT_ATTEMPTED: "NOT ATTEMPTED"}[result.status]
    print(f"{label} {name}: {result.message}")
    if strict_mode():
        from resynth_lib.course import build as course
        if course.CURRENT_ROLE == "solution" and result.status != PASS:
            raise AssertionError(f"solution notebook: exercise {name} must pass, got {result.status}: "
                                 f"{result.message}")
        if course.CURRENT_ROLE == "student" and result.status != NOT_ATTEMPTED:
            raise AssertionError(f"student notebook: exercise {name} must be 'not attempted', "
                                 f"got {result.status}: {result.message}")
    return result.fn


__all__ = ["Exercise", "CheckResult", "REGISTRY", "HISTORY", "register", "compare", "run_check",
           "check", "strict_mode", "PASS", "FAIL", "NOT_ATTEMPTED"]

"""Exercises of notebook 07b (``07b_judges_and_evaluation``): fixed inputs, reference, hint.

Importing this module registers the judges' two exercises with :mod:`resynth_lib.course.checks`:

* ``07b.ctc_collapse`` -- greedy CTC decoding of a best path (reference
  :func:`resynth_lib.evaluation.phone_recogniser.ctc_collapse`);
* ``07b.edit_distance`` -- the Levenshtein distance behind the phone error rate
  (reference :func:`resynth_lib.evaluation.phone_recogniser.edit_distance`).

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.evaluation import phone_recogniser as P
>>> run_check("07b.ctc_collapse", P.ctc_collapse).status
'pass'
>>> run_check("07b.ctc_collapse", lambda path, blank=0: [c for c in path if c != blank]).status   # no merging
'fail'
>>> run_check("07b.edit_distance", P.edit_distance).status
'pass'
"""
from __future__ import annotations

import numpy as np

from resynth_lib.course.checks import Exercise, register
from resynth_lib.evaluation.phone_recogniser import ctc_collapse, edit_distance


def _collapse_cases():
    rng = np.random.default_rng(7)
    return [(([0, 3, 3, 0, 0, 5, 5, 5, 0, 5, 2, 2],), {}), (([0, 0, 0],), {}), (([4, 4, 4, 4],), {}),
            (([1, 0, 1, 1, 0, 0, 1],), {}), (([2, 3, 2, 3],), {"blank": 3}),
            ((rng.integers(0, 6, 200).tolist(),), {})]


register(Exercise(
    "07b.ctc_collapse",
    reference=ctc_collapse,
    cases=_collapse_cases,
    hint="Steps: keep the previous frame's class (None before the first); append c when it differs from the previous "
         "class and is not the blank; update the previous class on EVERY frame, blanks included. The checker uses a "
         "path of blanks only (an empty list), a blank other than 0 (blank=3) and numpy integers (convert with int).",
))


def _edit_cases():
    rng = np.random.default_rng(8)
    a, b = rng.integers(0, 5, 40).tolist(), rng.integers(0, 5, 33).tolist()
    return [(("kitten", "sitting"), {}), (("", "abc"), {}), (("abc", ""), {}), (("flaw", "lawn"), {}),
            ((["hh", "ax", "l", "ow"], ["hh", "eh", "l", "ow", "z"]), {}), ((a, b), {})]


register(Exercise(
    "07b.edit_distance",
    reference=edit_distance,
    cases=_edit_cases,
    hint="Steps: row 0 is 0, 1, ..., len(b); row i starts with i; the cell j of row i is the minimum of the cell "
         "above plus 1 (a deletion), the cell to its left plus 1 (an insertion) and the diagonal cell plus 1 if "
         "a[i-1] != b[j-1] else 0 (a substitution or a match); the answer is the last cell of the last row. The "
         "checker uses strings, lists of phone names and empty sequences "
         "(the distance is then the other one's length).",
))


__all__: list[str] = []

"""Exercises of notebook 02b (``02b_self_supervised_speech``): fixed inputs, reference, hint.

Importing this module registers the speech models' two exercises with
:mod:`resynth_lib.course.checks`:

* ``02b.info_nce`` -- the contrastive loss of the CPC-style speech model (reference
  :func:`resynth_lib.content.ssl_models.info_nce`);
* ``02b.mask_from_starts`` -- span starts turned into the HuBERT-style mask (reference
  :func:`resynth_lib.content.ssl_models.mask_from_starts`).

Example
-------
>>> from resynth_lib.content import ssl_models as ssl
>>> from resynth_lib.course.checks import run_check
>>> run_check("02b.info_nce", ssl.info_nce).status
'pass'
>>> run_check("02b.mask_from_starts", lambda starts, span: starts).status   # forgets to extend the spans
'fail'
"""
from __future__ import annotations

import numpy as np
import torch

from resynth_lib.content import ssl_models as ssl
from resynth_lib.course.checks import Exercise, register


def _info_nce_cases():
    cases = [((torch.tensor([[[1.0, 0.0], [0.0, 1.0]]]), torch.tensor([[[1.0, 0.0], [0.0, 1.0]]]),
               torch.tensor([0, 1])), {})]
    g = torch.Generator().manual_seed(2)
    for B, N, M, D in [(1, 5, 5, 3), (2, 4, 10, 8), (3, 6, 9, 16)]:
        pred, cand = torch.randn(B, N, D, generator=g), torch.randn(B, M, D, generator=g)
        positive = torch.randint(0, M, (N,), generator=g)
        cases.append(((pred, cand, positive), {}))
    cases.append(((pred, cand, positive), {"temperature": 0.1}))
    return cases


register(Exercise(
    "02b.info_nce",
    reference=ssl.info_nce,
    cases=_info_nce_cases,
    hint="Steps: torch.einsum with subscripts 'bnd,bmd->bnm' gives all dot products (B, N, M); divide by temperature; "
         "F.cross_entropy takes (rows, classes) logits and (rows,) integer targets, and averages by default: reshape "
         "the scores to (B * N, M), and the targets, one per n and the same for every b, with .expand(B, N) and then "
         ".reshape(-1). The checker also uses temperature 0.1.",
    rtol=1e-5, atol=1e-6,
))


def _mask_cases():
    rng = np.random.default_rng(3)
    return [((np.array([[False, True, False, False, False, True]]), 2), {}),
            ((np.zeros((2, 7), bool), 3), {}),
            ((rng.random((4, 30)) < 0.1, 5), {}),
            ((rng.random((3, 8)) < 0.3, 10), {})]


register(Exercise(
    "02b.mask_from_starts",
    reference=ssl.mask_from_starts,
    cases=_mask_cases,
    hint="Steps: np.zeros_like(starts, dtype=bool) as the mask; for each offset from 0 to min(span, frames) - 1, or "
         "(|=) into the mask from column offset onwards the starts up to column frames - offset "
         "(slice the last axis, [..., a:b]). The checker has a span of 10 on rows of 8 frames, where a slice stop "
         "frames - offset would go negative, and rows without any start.",
    rtol=0.0, atol=0.0,
))


__all__: list[str] = []

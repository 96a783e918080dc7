"""Exercises of notebook 02 (``02_self_supervised_pretext_tasks``), speech part.

Importing this module registers ``02.info_nce`` (the contrastive loss of the CPC-style
model) and ``02.mask_from_starts`` (turning span starts into the HuBERT-style mask) with
:mod:`resynth_lib.checks`. The references are :func:`resynth_lib.ssl.info_nce` and
:func:`resynth_lib.ssl.mask_from_starts`. The word2vec exercise lives in
:mod:`resynth_lib.exercises_02_w2v`.

Example
-------
>>> from resynth_lib.checks import run_check
>>> from resynth_lib import ssl
>>> run_check("02.info_nce", ssl.info_nce).status
'pass'
>>> run_check("02.mask_from_starts", lambda starts, span: starts).status   # forgets to extend the spans
'fail'
"""
from __future__ import annotations

import numpy as np
import torch

from . import ssl
from .checks import Exercise, register


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
    "02.info_nce",
    reference=ssl.info_nce,
    cases=_info_nce_cases,
    hint="scores = torch.einsum('bnd,bmd->bnm', predictions, candidates) / temperature; every prediction's "
         "row of M scores is a classification problem whose right answer is positive[n]: "
         "F.cross_entropy(scores.reshape(B * N, M), positive.expand(B, N).reshape(-1))",
    rtol=1e-5, atol=1e-6,
))


def _mask_cases():
    rng = np.random.default_rng(3)
    return [((np.array([[False, True, False, False, False, True]]), 2), {}),
            ((np.zeros((2, 7), bool), 3), {}),
            ((rng.random((4, 30)) < 0.1, 5), {}),
            ((rng.random((3, 8)) < 0.3, 10), {})]


register(Exercise(
    "02.mask_from_starts",
    reference=ssl.mask_from_starts,
    cases=_mask_cases,
    hint="start from an all-False mask of the same shape; for offset in range(span) set "
         "mask[:, offset:] |= starts[:, :frames - offset] (a start at t hides t, t+1, ..., t+span-1)",
    rtol=0.0, atol=0.0,
))

"""Exercises of notebook 02 (``02_self_supervised_pretext_tasks``): fixed inputs, reference, hint.

Importing this module registers three exercises with :mod:`resynth_lib.course.checks`; the
notebook's self-check cells then call ``check("02.info_nce", info_nce)`` and so on:

* ``02.negative_sampling_loss`` -- word2vec's negative-sampling loss (reference
  :func:`resynth_lib.concepts.word2vec.negative_sampling_loss`); the inputs are float64
  tensors (centre ``(B, D)``, context ``(B, D)``, negatives ``(B, K, D)``) and the output,
  a scalar tensor, is compared as a number;
* ``02.info_nce`` -- the contrastive loss of the CPC-style speech model (reference
  :func:`resynth_lib.content.ssl_models.info_nce`);
* ``02.mask_from_starts`` -- span starts turned into the HuBERT-style mask (reference
  :func:`resynth_lib.content.ssl_models.mask_from_starts`).

Example
-------
>>> from resynth_lib.concepts import word2vec
>>> from resynth_lib.content import ssl_models as ssl
>>> from resynth_lib.course.checks import run_check
>>> run_check("02.negative_sampling_loss", word2vec.negative_sampling_loss).status
'pass'
>>> def no_negatives(c, o, n):                      # forgets the noise words
...     return -torch.nn.functional.logsigmoid((c * o).sum(-1)).mean()
>>> run_check("02.negative_sampling_loss", no_negatives).status
'fail'
>>> run_check("02.info_nce", ssl.info_nce).status
'pass'
>>> run_check("02.mask_from_starts", lambda starts, span: starts).status   # forgets to extend the spans
'fail'
"""
from __future__ import annotations

import numpy as np
import torch

from resynth_lib.concepts import word2vec
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
    "02.info_nce",
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
    "02.mask_from_starts",
    reference=ssl.mask_from_starts,
    cases=_mask_cases,
    hint="Steps: np.zeros_like(starts, dtype=bool) as the mask; for each offset from 0 to min(span, frames) - 1, or "
         "(|=) into the mask from column offset onwards the starts up to column frames - offset "
         "(slice the last axis, [..., a:b]). The checker has a span of 10 on rows of 8 frames, where a slice stop "
         "frames - offset would go negative, and rows without any start.",
    rtol=0.0, atol=0.0,
))


# ------------------------------------------------------------ (formerly nb02_word2vec)
def _random_case(B: int, K: int, D: int, scale: float, seed: int):
    rng = np.random.default_rng(seed)
    return tuple(torch.tensor(scale * rng.standard_normal(shape)) for shape in [(B, D), (B, D), (B, K, D)])


def _loss_cases():
    t = lambda a: torch.tensor(a, dtype=torch.float64)             # noqa: E731
    return [
        ((t([[1.0, 0.0]]), t([[2.0, 0.0]]), t([[[0.0, 1.0]]])), {}),   # -log s(2) - log s(0) = 0.8201
        (_random_case(4, 3, 5, 1.0, 61), {}),
        (_random_case(32, 5, 16, 0.5, 62), {}),
        (_random_case(8, 10, 4, 30.0, 63), {}),                        # large scores: log(sigmoid) underflows
    ]


register(Exercise(
    "02.negative_sampling_loss",
    reference=word2vec.negative_sampling_loss,
    cases=_loss_cases,
    hint="Steps: the positive scores are an elementwise product summed over the last axis, (B,); the noise scores are "
         "a batched dot product, (B, K): torch.einsum over d keeping b and k, or torch.bmm with the centre vectors "
         "unsqueezed to (B, D, 1); apply F.logsigmoid to the positive scores and to MINUS the noise scores, sum the "
         "latter over K, add the two, negate and take .mean(). The checker uses scores near +/-1000: "
         "torch.log(torch.sigmoid(...)) gives -inf there.",
    rtol=1e-6, atol=1e-8,
))


__all__: list[str] = []

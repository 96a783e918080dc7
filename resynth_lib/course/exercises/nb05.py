"""Exercises of notebook 05 (``05_speaker_identity``): fixed inputs, reference, hint.

Importing this module registers ``05.ge2e_loss`` (the generalised end-to-end loss of
the d-vector encoder) and ``05.equal_error_rate`` (the verification metric) with
:mod:`resynth_lib.course.checks`; the notebook's self-check cells call
``check("05.ge2e_loss", ge2e_loss)`` and so on. The references are
:func:`resynth_lib.speaker.verification.ge2e_loss` (torch tensors in) and
:func:`resynth_lib.speaker.verification.equal_error_rate` (numpy arrays in).

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.speaker import dvector as speaker
>>> from resynth_lib.speaker import verification as verification_mod
>>> run_check("05.ge2e_loss", verification_mod.ge2e_loss).status
'pass'
>>> def keeps_itself(e, w, b):          # forgets to leave the utterance out of its own centroid
...     N, M, D = e.shape
...     S = w * verification_mod.cosine_similarity_matrix(e.reshape(N * M, D), e.mean(1)) + b
...     return torch.nn.functional.cross_entropy(S, torch.arange(N).repeat_interleave(M))
>>> run_check("05.ge2e_loss", keeps_itself).status
'fail'
>>> run_check("05.equal_error_rate", verification_mod.equal_error_rate).status
'pass'
>>> run_check("05.equal_error_rate", lambda scores, labels: 0.0).status
'fail'
"""
from __future__ import annotations

import numpy as np
import torch

from resynth_lib.course.checks import Exercise, register
from resynth_lib.speaker import verification as verification_mod


# ------------------------------------------------------------- the GE2E loss
def _ge2e_cases():
    cases = [((torch.tensor([[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]]), 10.0, -5.0), {})]
    g = torch.Generator().manual_seed(5)
    for (N, M, D), w, b in [((2, 3, 4), 10.0, -5.0), ((4, 5, 8), 2.5, 0.3), ((3, 2, 16), 1.0, 0.0)]:
        centres = torch.randn(N, 1, D, generator=g)
        cases.append(((centres + 0.7 * torch.randn(N, M, D, generator=g), w, b), {}))
    cases.append(((3.0 * torch.randn(4, 6, 5, generator=g), torch.tensor(7.0), torch.tensor(-2.0)), {}))
    return cases


register(Exercise(
    "05.ge2e_loss",
    reference=verification_mod.ge2e_loss,
    cases=_ge2e_cases,
    hint="Steps: F.normalize(..., dim=-1) makes dot products cosines (normalise the embeddings and every centroid); "
         "the leave-one-out centroid is the speaker's sum over utterances (keepdim=True) minus the utterance, over "
         "M - 1; torch.einsum('jid,kd->jik', ...) gives the cosines with all centroids; the own-speaker cosines are "
         "the elementwise products with the leave-one-out centroids summed over D, and they go where k == j: index "
         "with the same arange over speakers in the first and last positions; F.cross_entropy on (N * M, N) logits, "
         "the targets torch.arange(N) repeated M times each (repeat_interleave). The checker passes w and b as floats "
         "and as tensors.",
    rtol=1e-5, atol=1e-6,
))


# ------------------------------------------------------------- the equal error rate
def _eer_cases():
    rng = np.random.default_rng(6)
    overlap = np.r_[rng.normal(1.0, 1.0, 40), rng.normal(0.0, 1.0, 60)]
    return [
        ((np.array([0.9, 0.8, 0.3, 0.1]), np.array([1, 1, 0, 0])), {}),
        ((np.array([0.9, 0.4, 0.6, 0.1]), np.array([1, 1, 0, 0])), {}),
        ((np.array([0.9, 0.7, 0.5, 0.8, 0.3, 0.2, 0.1]), np.array([1, 1, 1, 0, 0, 0, 0])), {}),
        ((np.array([0.5, 0.5, 0.5, 0.2]), np.array([1, 0, 0, 1])), {}),      # ties
        ((overlap, np.r_[np.ones(40, int), np.zeros(60, int)]), {}),
    ]


register(Exercise(
    "05.equal_error_rate",
    reference=verification_mod.equal_error_rate,
    cases=_eer_cases,
    hint="Steps: sort with np.argsort of minus the scores (a stable kind, e.g. 'mergesort'); a distinct score ends "
         "where np.diff of the sorted scores is non-zero, plus at the last trial; np.cumsum of the non-targets and of "
         "the targets at those positions, over their totals, gives FAR and 1 - FRR; prepend the start point (0, 1) "
         "(np.r_); with gap = FRR - FAR, np.argmax of gap <= 0 finds the first crossing index i; interpolate linearly "
         "between points i - 1 and i to where the gap is 0. The checker has tied scores shared by targets and "
         "non-targets.",
    rtol=1e-6, atol=1e-9,
))


__all__: list[str] = []

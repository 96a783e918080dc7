"""Exercises of notebook 02 (``02_self_supervised_pretext_tasks``), word2vec part: fixed inputs, reference, hint.

Importing this module registers ``02.negative_sampling_loss`` with :mod:`resynth_lib.checks`;
the notebook's self-check cell calls ``check("02.negative_sampling_loss", negative_sampling_loss)``.
The reference is :func:`resynth_lib.word2vec.negative_sampling_loss`; inputs are float64
torch tensors (centre ``(B, D)``, context ``(B, D)``, negatives ``(B, K, D)``) and the
output, a scalar tensor, is compared as a number.

Example
-------
>>> from resynth_lib.checks import run_check
>>> from resynth_lib import word2vec
>>> run_check("02.negative_sampling_loss", word2vec.negative_sampling_loss).status
'pass'
>>> def no_negatives(c, o, n):                      # forgets the noise words
...     return -torch.nn.functional.logsigmoid((c * o).sum(-1)).mean()
>>> run_check("02.negative_sampling_loss", no_negatives).status
'fail'
"""
from __future__ import annotations

import numpy as np
import torch

from . import word2vec
from .checks import Exercise, register


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
    hint="pos = (centre_vecs * context_vecs).sum(-1) is (B,); neg = torch.einsum('bd,bkd->bk', centre_vecs, "
         "negative_vecs) is (B, K); return -(F.logsigmoid(pos) + F.logsigmoid(-neg).sum(-1)).mean() -- "
         "note the minus sign inside the second logsigmoid, and F.logsigmoid rather than "
         "torch.log(torch.sigmoid(...)), which gives -inf for large scores",
    rtol=1e-6, atol=1e-8,
))


__all__: list[str] = []

"""Exercises of notebook 02 (``02_self_supervised_pretext_tasks``): fixed inputs, reference, hint.

Importing this module registers two exercises with :mod:`resynth_lib.course.checks`; the
notebook's self-check cells then call ``check("02.rotate_batch", rotate_batch)`` and so on:

* ``02.negative_sampling_loss`` -- word2vec's negative-sampling loss (reference
  :func:`resynth_lib.concepts.word2vec.negative_sampling_loss`); the inputs are float64
  tensors (centre ``(B, D)``, context ``(B, D)``, negatives ``(B, K, D)``) and the output,
  a scalar tensor, is compared as a number;
* ``02.rotate_batch`` -- pseudo-labels from rotating images (reference
  :func:`resynth_lib.concepts.pretext_images.rotate_batch`).

The speech exercises are in :mod:`resynth_lib.course.exercises.nb02b` (notebook 02b).

Example
-------
>>> from resynth_lib.concepts import pretext_images, word2vec
>>> from resynth_lib.course.checks import run_check
>>> run_check("02.negative_sampling_loss", word2vec.negative_sampling_loss).status
'pass'
>>> def no_negatives(c, o, n):                      # forgets the noise words
...     return -torch.nn.functional.logsigmoid((c * o).sum(-1)).mean()
>>> run_check("02.negative_sampling_loss", no_negatives).status
'fail'
>>> run_check("02.rotate_batch", pretext_images.rotate_batch).status
'pass'
"""
from __future__ import annotations

import numpy as np
import torch

from resynth_lib.concepts import pretext_images, word2vec
from resynth_lib.course.checks import Exercise, register


# ------------------------------------------------------------ word2vec
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


# ------------------------------------------------------------ rotation pseudo-labels
def _rotate_cases():
    rng = np.random.default_rng(21)
    return [((torch.arange(4.0).reshape(1, 1, 2, 2),), {}),
            ((torch.as_tensor(rng.random((3, 1, 8, 8)), dtype=torch.float32),), {}),
            ((torch.as_tensor(rng.random((2, 1, 5, 5)), dtype=torch.float32),), {})]      # an odd size: a centre pixel


register(Exercise(
    "02.rotate_batch",
    reference=pretext_images.rotate_batch,
    cases=_rotate_cases,
    hint="Steps: torch.rot90 turns a tensor by a number of quarter turns, counter-clockwise, in the plane of the two "
         "axes you name (the last two here); make the four blocks for 0, 1, 2 and 3 turns and join them with torch.cat "
         "along the batch axis; the labels are 0, 1, 2, 3 with each value repeated n times in a row "
         "(repeat_interleave), not the pattern 0 1 2 3 0 1 2 3. The first case is a single 2 x 2 image: check the "
         "direction of your turn on it by hand.",
))

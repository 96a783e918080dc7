"""Exercises of notebook 06b (``06b_hifigan_training``): fixed inputs, reference, hint.

Importing this module registers two of HiFi-GAN's training losses with
:mod:`resynth_lib.course.checks`:

* ``06b.discriminator_loss`` -- the least-squares GAN loss of the discriminators (reference
  :func:`resynth_lib.decoder.hifigan_losses.discriminator_loss`);
* ``06b.feature_matching_loss`` -- the L1 distance between the discriminators' hidden
  layers on real and generated audio (reference
  :func:`resynth_lib.decoder.hifigan_losses.feature_matching_loss`).

Both take lists of tensors (one entry per sub-discriminator) and return a scalar tensor,
compared as a number.

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.decoder import hifigan_losses as L
>>> run_check("06b.discriminator_loss", L.discriminator_loss).status
'pass'
>>> run_check("06b.discriminator_loss", lambda r, f: L.discriminator_loss(f, r)).status   # real and fake swapped
'fail'
>>> run_check("06b.feature_matching_loss", L.feature_matching_loss).status
'pass'
"""
from __future__ import annotations

import torch

from resynth_lib.course.checks import Exercise, register
from resynth_lib.decoder import hifigan_losses


def _score_lists(shapes, seed):
    g = torch.Generator().manual_seed(seed)
    real = [0.8 + 0.3 * torch.randn(*s, generator=g) for s in shapes]
    fake = [0.2 + 0.3 * torch.randn(*s, generator=g) for s in shapes]
    return real, fake


def _d_cases():
    return [(([torch.ones(2, 3)], [torch.zeros(2, 3)]), {}),                        # a perfect discriminator: 0
            (([torch.full((1, 4), 0.5)], [torch.full((1, 4), 0.5)]), {}),             # undecided: 0.25 + 0.25
            (_score_lists([(2, 1, 30, 3), (2, 1, 20, 5), (2, 1, 11)], 61), {}),
            (_score_lists([(4, 1, 126), (4, 1, 64), (4, 1, 32)], 62), {})]


register(Exercise(
    "06b.discriminator_loss",
    reference=hifigan_losses.discriminator_loss,
    cases=_d_cases,
    hint="Steps: walk through the two lists side by side; for each pair, torch.mean of the squared difference between "
         "the real scores and 1, plus torch.mean of the squared generated scores; add the pairs up with a running "
         "total starting at 0.0. The checker has sub-discriminators whose scores have different shapes (average "
         "each on its own: one mean over everything concatenated weighs them wrongly) and a case where every score "
         "is 0.5 (the answer is 0.5).",
    rtol=1e-5, atol=1e-7,
))


def _layer_lists(layout, seed):
    g = torch.Generator().manual_seed(seed)
    real = [[torch.randn(*s, generator=g) for s in layers] for layers in layout]
    fake = [[torch.randn(*s, generator=g) for s in layers] for layers in layout]
    return real, fake


def _fm_cases():
    return [(([[torch.ones(1, 2, 3)]], [[torch.zeros(1, 2, 3)]]), {}),
            (([[torch.ones(1, 2)], [torch.zeros(3)]], [[torch.full((1, 2), 3.0)], [torch.full((3,), -1.0)]]), {}),
            (_layer_lists([[(2, 4, 30), (2, 8, 15), (2, 1, 15)], [(2, 4, 7, 3)]], 63), {}),
            (_layer_lists([[(1, 16, 40), (1, 16, 10)], [(1, 16, 20)], [(1, 4, 5, 5), (1, 8, 3, 5), (1, 1, 3, 5)]],
                          64), {})]


register(Exercise(
    "06b.feature_matching_loss",
    reference=hifigan_losses.feature_matching_loss,
    cases=_fm_cases,
    hint="Steps: an outer loop over the pairs of per-discriminator lists and an inner loop over their pairs of layer "
         "outputs; for each layer, torch.mean of torch.abs of (real.detach() minus fake); add all the layers of all "
         "the discriminators into one total. The checker has discriminators with different numbers of layers and "
         "layers of different sizes: average within a layer, sum across layers (a squared difference, or only the "
         "last layer of each discriminator, gives a different number).",
    rtol=1e-5, atol=1e-7,
))


__all__: list[str] = []

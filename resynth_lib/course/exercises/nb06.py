"""Exercises of notebook 06 (``06_hifigan_vocoder``): fixed inputs, reference, hint.

Importing this module registers ``06.fold_by_period`` (how a multi-period discriminator
sees a waveform) and ``06.harmonic_source`` (the excitation built from an F0 contour)
with :mod:`resynth_lib.course.checks`. The references are :func:`resynth_lib.decoder.hifigan_losses.fold_by_period`
and :func:`resynth_lib.decoder.hifigan.harmonic_source`.

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.decoder import hifigan as vocoder
>>> from resynth_lib.decoder import hifigan_losses
>>> run_check("06.fold_by_period", hifigan_losses.fold_by_period).status
'pass'
>>> run_check("06.fold_by_period", lambda x, p: x.view(x.shape[0], x.shape[1], p, -1)).status   # rows, not columns
'fail'
>>> run_check("06.harmonic_source", vocoder.harmonic_source).status
'pass'
"""
from __future__ import annotations

import torch

from resynth_lib.course.checks import Exercise, register
from resynth_lib.decoder import hifigan as vocoder
from resynth_lib.decoder import hifigan_losses


def _fold_cases():
    g = torch.Generator().manual_seed(6)
    return [((torch.arange(12.0)[None, None], 3), {}), ((torch.arange(7.0)[None, None], 3), {}),
            ((torch.randn(2, 1, 1001, generator=g), 5), {}), ((torch.randn(1, 2, 64, generator=g), 11), {}),
            ((torch.randn(3, 1, 30, generator=g), 2), {})]


register(Exercise(
    "06.fold_by_period",
    reference=hifigan_losses.fold_by_period,
    cases=_fold_cases,
    hint="Steps: the number of missing samples is period - T % period (only when T % period is not 0); F.pad with the "
         "pair (0, missing) and mode='reflect' pads only the end of the last axis; then .view (or .reshape) to "
         "(B, C, -1, period): consecutive samples along the last axis, so column j holds samples j, j + period, ... "
         "Reshaping to (B, C, period, -1) puts them in rows instead, which the checker catches; it also has T = 7 "
         "with period 3.",
))


def _harmonic_cases():
    return [((torch.full((1, 4), 200.0),), {}),
            ((torch.tensor([[0.0, 0.0, 110.0, 120.0, 130.0, 0.0]]),), {"hop": 80, "n_harmonics": 3}),
            ((torch.tensor([[100.0, 900.0, 2500.0], [60.0, 60.0, 0.0]]),), {"hop": 40, "n_harmonics": 8}),
            ((torch.linspace(80.0, 300.0, 25)[None],), {"hop": 80, "sample_rate": 16000, "n_harmonics": 5})]


register(Exercise(
    "06.harmonic_source",
    reference=vocoder.harmonic_source,
    cases=_harmonic_cases,
    hint="Steps: torch.cat the last column onto f0, (B, N + 1); add a channel axis ([:, None]) and F.interpolate to "
         "size N * hop + 1 with mode='linear', align_corners=True; drop the channel and keep the first N * hop "
         "samples; torch.cumsum along time of F0 over the sample rate, times 2 * torch.pi, minus its first column "
         "(phase[:, :1]); h from torch.arange(1, n_harmonics + 1) reshaped to (1, H, 1); torch.sin of h times the "
         "phase (with a harmonic axis), times the boolean mask (h * F0 < sample_rate / 2) & (F0 > 0). The checker has "
         "F0s whose upper harmonics pass 8 kHz and unvoiced (0) frames.",
    rtol=1e-3, atol=2e-3,
))


__all__: list[str] = []

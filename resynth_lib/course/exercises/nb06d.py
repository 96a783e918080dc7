"""Exercises of notebook 06d (``06d_harmonic_noise_and_choice``): fixed inputs, reference, hint.

Importing this module registers the harmonic-plus-noise stage's two exercises with
:mod:`resynth_lib.course.checks`:

* ``06d.harmonic_amplitudes`` -- a spectral envelope read at the harmonics of F0
  (reference :func:`resynth_lib.decoder.harmonic_noise.harmonic_amplitudes`);
* ``06d.stft_loss`` -- the multi-resolution STFT loss the stage is trained with
  (reference :func:`resynth_lib.decoder.harmonic_noise.stft_loss`).

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.decoder import harmonic_noise
>>> run_check("06d.harmonic_amplitudes", harmonic_noise.harmonic_amplitudes).status
'pass'
>>> run_check("06d.stft_loss", harmonic_noise.stft_loss).status
'pass'
>>> run_check("06d.stft_loss", lambda real, fake: (real - fake).abs().mean()).status   # a waveform L1
'fail'
"""
from __future__ import annotations

import numpy as np
import torch

from resynth_lib.course.checks import Exercise, register
from resynth_lib.decoder import harmonic_noise


def _amp_cases():
    g = torch.Generator().manual_seed(6)
    return [((torch.rand(1, 3, 256, generator=g), torch.tensor([[100.0, 200.0, 300.0]])), {}),
            ((torch.rand(2, 2, 64, generator=g), torch.tensor([[55.0, 1000.0], [3000.0, 7000.0]])), {}),
            ((torch.linspace(0, 1, 5)[None, None], torch.tensor([[2000.0]])), {})]


register(Exercise(
    "06d.harmonic_amplitudes",
    reference=harmonic_noise.harmonic_amplitudes,
    cases=_amp_cases,
    hint="Steps: f0_hz[..., None] times torch.arange(1, H.N_HARMONICS + 1) gives the frequencies (B, F, H); divide by "
         "8000, multiply by bins - 1 and .clamp(0, bins - 1); the lower neighbour is .floor().long(), clamped to at "
         "most bins - 2 so that lo + 1 exists at the top bin; torch.gather(envelope, 2, index) reads the envelope at "
         "a (B, F, H) index tensor; mix the two reads with weights 1 - frac and frac; multiply by the boolean mask of "
         "the frequencies below H.MAX_HARMONIC_HZ. The checker has an F0 of 7000 Hz (only the first harmonic is on) "
         "and a 5-bin envelope.",
    rtol=1e-5, atol=1e-6,
))


def _speechlike(n: int, seed: int) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    f0 = 120 + 30 * np.sin(2 * np.pi * 2 * t + seed)
    x = sum(np.sin(2 * np.pi * k * np.cumsum(f0) / 16000) / k for k in range(1, 12))
    return torch.as_tensor((0.1 * x + 0.01 * rng.standard_normal(n)).astype(np.float32))


def _stft_loss_cases():
    a, b, c = _speechlike(4000, 0), _speechlike(4000, 1), _speechlike(4000, 2)
    g = torch.Generator().manual_seed(7)
    return [((a[None], a[None]), {}),                                              # identical: 0
            ((a[None], 0.5 * a[None]), {}),                                        # half as loud
            ((torch.stack([a, b]), torch.stack([b, c])), {}),                       # a batch of two
            ((a[None], a[None] + 0.05 * torch.randn(1, 4000, generator=g)), {}),
            ((a[None], torch.zeros(1, 4000)), {})]                                 # silence: the floor matters


register(Exercise(
    "06d.stft_loss",
    reference=harmonic_noise.stft_loss,
    cases=_stft_loss_cases,
    hint="Steps: for each (n_fft, hop, win) of H.RESOLUTIONS, a Hann window of length win (torch.hann_window); "
         "torch.stft with n_fft, hop, win, that window and return_complex=True, then .abs() and .clamp_min(1e-7), for "
         "both waveforms; the spectral convergence is torch.linalg.norm of the difference of the magnitudes over "
         "torch.linalg.norm of the real ones (also floored at 1e-7); the log term is the mean absolute difference of "
         "their .log(); add the two for each resolution and divide the sum by len(H.RESOLUTIONS). The checker "
         "compares with silence (the 1e-7 floor decides the log term) and a half-as-loud copy.",
    rtol=1e-4, atol=1e-6,
))


__all__: list[str] = []

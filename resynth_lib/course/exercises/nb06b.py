"""Exercises of notebook 06b (``06b_frame_rate_decoder``): fixed inputs, reference, hint.

Importing this module registers with :mod:`resynth_lib.course.checks`:

* ``06b.spectral_convergence`` -- how far a waveform's STFT magnitude is from a target
  (reference :func:`resynth_lib.decoder.griffin_lim.spectral_convergence`);
* ``06b.gl_round`` -- one Griffin-Lim round (reference :func:`resynth_lib.decoder.griffin_lim.gl_round`);
* ``06b.harmonic_amplitudes`` -- a spectral envelope read at the harmonics of F0
  (reference :func:`resynth_lib.decoder.harmonic_noise.harmonic_amplitudes`).

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.decoder import griffin_lim
>>> from resynth_lib.decoder import harmonic_noise
>>> run_check("06b.gl_round", griffin_lim.gl_round).status
'pass'
>>> run_check("06b.gl_round", lambda mag, phase, hop, length: mag * phase).status   # no round trip
'fail'
>>> run_check("06b.harmonic_amplitudes", harmonic_noise.harmonic_amplitudes).status
'pass'
"""
from __future__ import annotations

import numpy as np
import torch

from resynth_lib.course.checks import Exercise, register
from resynth_lib.decoder import griffin_lim, harmonic_noise


def _speechlike(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    f0 = 120 + 30 * np.sin(2 * np.pi * 2 * t)
    x = sum(np.sin(2 * np.pi * k * np.cumsum(f0) / 16000) / k for k in range(1, 12))
    return (0.1 * x + 0.01 * rng.standard_normal(n)).astype(np.float32)


def _sc_cases():
    a, b = _speechlike(6400, 0), _speechlike(6400, 1)
    return [((griffin_lim.stft_mag(a, 320), a, 320), {}), ((griffin_lim.stft_mag(a, 320), b, 320), {}),
            ((griffin_lim.stft_mag(a, 160), 0.5 * a, 160), {})]


register(Exercise(
    "06b.spectral_convergence",
    reference=griffin_lim.spectral_convergence,
    cases=_sc_cases,
    hint="a Frobenius norm of a difference of magnitudes, divided by the norm of the target; "
         "crop both to the same number of frames first",
    rtol=1e-6, atol=1e-8,
))


def _round_cases():
    out = []
    for seed, hop in ((0, 320), (1, 160)):
        x = _speechlike(4800, seed)
        mag = griffin_lim.stft_mag(x, hop)
        rng = np.random.default_rng(seed + 10)
        phase = np.exp(2j * np.pi * rng.random(mag.shape))
        out.append(((mag, phase, hop, len(x)), {}))
    return out


register(Exercise(
    "06b.gl_round",
    reference=griffin_lim.gl_round,
    cases=_round_cases,
    hint="three steps: put the target magnitudes under the current phases; go to the time domain with the "
         "library's inverse STFT; come back with its forward STFT. The result is complex, with the same shape",
    rtol=1e-6, atol=1e-8,
))


def _amp_cases():
    g = torch.Generator().manual_seed(6)
    return [((torch.rand(1, 3, 256, generator=g), torch.tensor([[100.0, 200.0, 300.0]])), {}),
            ((torch.rand(2, 2, 64, generator=g), torch.tensor([[55.0, 1000.0], [3000.0, 7000.0]])), {}),
            ((torch.linspace(0, 1, 5)[None, None], torch.tensor([[2000.0]])), {})]


register(Exercise(
    "06b.harmonic_amplitudes",
    reference=harmonic_noise.harmonic_amplitudes,
    cases=_amp_cases,
    hint="bin b of the envelope sits at b / (bins - 1) x 8000 Hz; harmonic k sits at k x F0. Turn each harmonic's "
         "frequency into a fractional bin position and interpolate between its two neighbouring bins; "
         "harmonics at or above MAX_HARMONIC_HZ get 0",
    rtol=1e-5, atol=1e-6,
))


__all__: list[str] = []

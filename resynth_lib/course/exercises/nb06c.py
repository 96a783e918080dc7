"""Exercises of notebook 06c (``06c_frame_rate_decoder``): fixed inputs, reference, hint.

Importing this module registers with :mod:`resynth_lib.course.checks`:

* ``06c.spectral_convergence`` -- how far a waveform's STFT magnitude is from a target
  (reference :func:`resynth_lib.decoder.griffin_lim.spectral_convergence`);
* ``06c.gl_round`` -- one Griffin-Lim round (reference :func:`resynth_lib.decoder.griffin_lim.gl_round`).

The harmonic-plus-noise stage's exercises are in :mod:`resynth_lib.course.exercises.nb06d` (notebook 06d).

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.decoder import griffin_lim
>>> run_check("06c.gl_round", griffin_lim.gl_round).status
'pass'
>>> run_check("06c.gl_round", lambda mag, phase, hop, length: mag * phase).status   # no round trip
'fail'
>>> run_check("06c.spectral_convergence", griffin_lim.spectral_convergence).status
'pass'
"""
from __future__ import annotations

import numpy as np

from resynth_lib.course.checks import Exercise, register
from resynth_lib.decoder import griffin_lim


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
    "06c.spectral_convergence",
    reference=griffin_lim.spectral_convergence,
    cases=_sc_cases,
    hint="Steps: G.stft_mag(wav, hop) gives the waveform's magnitudes; n is the smaller of the two frame counts "
         "(.shape[1]); np.linalg.norm of a 2-D array is the Frobenius norm: divide the norm of the difference of the "
         "first n frames by the norm of the target's first n frames, and wrap the result in float(). The checker "
         "includes the same waveform at half the amplitude (SC 0.5).",
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
    "06c.gl_round",
    reference=griffin_lim.gl_round,
    cases=_round_cases,
    hint="Steps: torch.as_tensor of the magnitude (float64) times torch.as_tensor of the phase (complex128); the "
         "library's G.istft gives the waveform (pass it the length, or it comes out a few samples short); G.stft of "
         "that waveform, with the same hop, gives the new spectrogram; return its .numpy() "
         "(complex, the same (513, frames) shape).",
    rtol=1e-6, atol=1e-8,
))


__all__: list[str] = []

"""Exercises of notebook 00 (``00_audio_and_data``): fixed inputs, the library's reference, a hint.

The self-check cells of notebook 00 call :func:`resynth_lib.course.checks.check` with a name
registered here. Inputs are generated from fixed seeds so every run checks the same thing.

Example
-------
>>> from resynth_lib.course.checks import run_check
>>> from resynth_lib.core.audio import frame_signal
>>> run_check("00.frame_signal", frame_signal).status
'pass'
"""
from __future__ import annotations

import numpy as np

from resynth_lib.core import audio
from resynth_lib.course.checks import Exercise, register


def _noise(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


# ------------------------------------------------------------- notebook 00: audio
def _hz_to_mel_htk(f):
    return audio.hz_to_mel(f, htk=True)


register(Exercise(
    "00.hz_to_mel",
    reference=_hz_to_mel_htk,
    cases=lambda: [((np.array([0.0, 700.0, 1000.0, 4000.0, 8000.0]),), {}), ((440.0,), {})],
    hint="m = 2595 * log10(1 + f / 700); numpy's np.log10 works on whole arrays",
))

register(Exercise(
    "00.frame_signal",
    reference=audio.frame_signal,
    cases=lambda: [((np.arange(10.0), 4, 2), {}), ((_noise(1000, 1), 400, 160), {}),
                   ((_noise(16000, 2), 1024, 256), {}), ((np.arange(7.0), 7, 3), {})],
    hint="there are 1 + (len(x) - frame_length) // hop_length frames; row i starts at i * hop_length",
))


def _stft_magnitude_uncentred(x, n_fft, hop_length):
    return audio.stft_magnitude(x, n_fft=n_fft, hop_length=hop_length, center=False)


register(Exercise(
    "00.stft_magnitude",
    reference=_stft_magnitude_uncentred,
    cases=lambda: [((_noise(2048, 3), 512, 128), {}), ((_noise(4000, 4), 400, 160), {}),
                   ((np.sin(2 * np.pi * 1000 * np.arange(1024) / 16000), 256, 256), {})],
    hint="frame the signal, multiply every frame by the periodic Hann window "
         "0.5 - 0.5 cos(2 pi n / n_fft), take np.abs(np.fft.rfft(frames, axis=1)) and transpose to (bins, frames)",
    rtol=1e-4, atol=1e-4,
))


def _mel_filterbank_htk(sample_rate, n_fft, n_mels, fmin, fmax):
    return audio.mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax, htk=True, norm=None)


register(Exercise(
    "00.mel_filterbank",
    reference=_mel_filterbank_htk,
    cases=lambda: [((16000, 512, 10, 0.0, 8000.0), {}), ((16000, 1024, 80, 0.0, 8000.0), {}),
                   ((22050, 1024, 40, 60.0, 7600.0), {})],
    hint="place n_mels + 2 points evenly on the HTK mel scale from fmin to fmax, convert them back to Hz; "
         "filter m rises linearly from point m to m+1 (peak 1) and falls to 0 at point m+2; "
         "the bin frequencies are np.linspace(0, sample_rate / 2, 1 + n_fft // 2)",
    rtol=1e-4, atol=1e-5,
))

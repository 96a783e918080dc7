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
    hint="m(f) = A log10(1 + f / 700) with A chosen so that 1000 Hz is 1000 mel (HTK rounds it to 2595); use "
         "np.log10, not np.log (the natural logarithm), and np.asarray so that a number, a list and an array all "
         "work. Check: 0 Hz is 0 mel, 700 Hz is A log10(2), about 781 mel.",
))

register(Exercise(
    "00.frame_signal",
    reference=audio.frame_signal,
    cases=lambda: [((np.arange(10.0), 4, 2), {}), ((_noise(1000, 1), 400, 160), {}),
                   ((_noise(16000, 2), 1024, 256), {}), ((np.arange(7.0), 7, 3), {})],
    hint="Steps: (1) count the frames: the first one starts at sample 0, and every further hop must still leave room "
         "for a whole frame, so it is 1 plus the integer division (//) of the samples left after the first frame by "
         "hop_length; (2) fill an array of n_frames rows and frame_length columns, row i being the slice of x from "
         "i * hop_length, frame_length samples long. A loop is fine; np.arange for the starts as a column plus "
         "np.arange for the offsets as a row builds all indices at once by broadcasting. The checker includes a "
         "signal exactly one frame long (7 samples, frame_length 7, hop 3): one frame.",
))


def _stft_magnitude_uncentred(x, n_fft, hop_length):
    return audio.stft_magnitude(x, n_fft=n_fft, hop_length=hop_length, center=False)


register(Exercise(
    "00.stft_magnitude",
    reference=_stft_magnitude_uncentred,
    cases=lambda: [((_noise(2048, 3), 512, 128), {}), ((_noise(4000, 4), 400, 160), {}),
                   ((np.sin(2 * np.pi * 1000 * np.arange(1024) / 16000), 256, 256), {})],
    hint="Steps: build the window from np.arange(n_fft) and np.cos with the formula in the markdown "
         "(dividing by n_fft; np.hanning is the symmetric window and does not match); frame_signal with frame_length "
         "n_fft gives (n_frames, n_fft); multiply by the window (it broadcasts over the rows); np.fft.rfft along axis "
         "1 gives (n_frames, 1 + n_fft // 2) complex numbers; take np.abs and transpose (.T) to (bins, frames).",
    rtol=1e-4, atol=1e-4,
))


def _mel_filterbank_htk(sample_rate, n_fft, n_mels, fmin, fmax):
    return audio.mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax, htk=True, norm=None)


register(Exercise(
    "00.mel_filterbank",
    reference=_mel_filterbank_htk,
    cases=lambda: [((16000, 512, 10, 0.0, 8000.0), {}), ((16000, 1024, 80, 0.0, 8000.0), {}),
                   ((22050, 1024, 40, 60.0, 7600.0), {})],
    hint="Steps: bin frequencies with np.linspace from 0 to sample_rate / 2 (1 + n_fft // 2 points); edges with "
         "np.linspace from hz_to_mel(fmin) to hz_to_mel(fmax) (n_mels + 2 points), then back to Hz by solving m = "
         "2595 log10(1 + f / 700) for f; slice the edges three ways, [:-2], [1:-1] and [2:], each as a column "
         "(n_mels, 1) with [:, None]: left feet, peaks, right feet; the rising line divides the distance above the "
         "left foot by the left width, the falling line the distance below the right foot by the right width; combine "
         "with np.minimum and clip with np.maximum at 0. Edges spaced evenly in Hz instead of mel fail the check.",
    rtol=1e-4, atol=1e-5,
))

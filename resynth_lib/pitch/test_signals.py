"""Test signals with a known F0: the ground truth that pitch trackers are scored against.

Real speech has no true F0 written down, so to measure a tracker we make signals whose F0
we chose. :func:`gliding_contour` draws a random but speech-like F0 contour (smooth
glides, voiced stretches and unvoiced gaps, one value per 5 ms frame); two renderers turn
any contour into audio whose F0 at every frame is exactly the contour's value:
:func:`harmonic_test_signal` (plain harmonics, the easy case) and
:func:`speechlike_test_signal` (moving formants, loudness changes, fricative-like noise
bursts and background noise, the harder case). The trackers of
:mod:`resynth_lib.pitch.yin` are then scored on them with
:mod:`resynth_lib.pitch.f0_metrics`.

Taught in notebook 04 (``04_pitch_tracking``); ``benchmarks/pitch_trackers.py`` chose
the course tracker's settings on these signals.

Example
-------
>>> contour = gliding_contour(0.5, seed=0)                 # 101 frames of 5 ms
>>> wav = harmonic_test_signal(contour)
>>> len(contour), 1 + len(wav) // 80                       # one frame per contour value
(101, 101)
"""
from __future__ import annotations

import numpy as np

from resynth_lib.core.rates import F0_HOP, SAMPLE_RATE
from resynth_lib.pitch.yin import _runs


# ------------------------------------------------------- ground-truth test signals
def gliding_contour(seconds: float, sample_rate: int = SAMPLE_RATE, hop_length: int = F0_HOP,
                    fmin: float = 80.0, fmax: float = 320.0, seed: int = 0) -> np.ndarray:
    """A per-frame F0 contour (Hz, 0 = unvoiced) with smooth glides and unvoiced gaps.

    Log-F0 is a random centre plus three slow sinusoids (0.3-1.5 Hz) swinging up to half an
    octave either way (at most about 1.2 octaves per second, fast for speech), within ``[fmin, fmax]``; voiced stretches of 150-600 ms alternate with gaps of 40-250 ms, and
    the contour starts and ends unvoiced. ``1 + int(seconds * sample_rate) // hop_length`` frames.
    The random ground truth of notebook 04's tracker comparison.

    Example
    -------
    >>> c = gliding_contour(2.0, seed=1)
    >>> len(c), bool(c[0] == 0), bool(80 <= c[c > 0].min() and c.max() <= 320)
    (401, True, True)
    """
    if seconds <= 0 or not 0 < fmin < fmax:
        raise ValueError(f"need seconds > 0 and 0 < fmin < fmax, got {seconds}, {fmin}, {fmax}")
    rng = np.random.default_rng(seed)
    n = 1 + int(seconds * sample_rate) // hop_length
    t = np.arange(n) * hop_length / sample_rate
    lo, hi = np.log(fmin), np.log(fmax)
    depth = min(0.35, (hi - lo) / 2)                      # glides of up to half an octave each way
    centre = rng.uniform(lo + depth, hi - depth)
    wobble = sum(np.sin(2 * np.pi * rng.uniform(0.3, 1.5) * t + rng.uniform(0, 2 * np.pi)) for _ in range(3))
    f0 = np.clip(np.exp(centre + depth * wobble / 3.0), fmin, fmax)
    voiced = np.zeros(n, dtype=bool)
    frame_s = hop_length / sample_rate
    pos = int(rng.uniform(0.05, 0.15) / frame_s)
    while pos < n:
        length = int(rng.uniform(0.15, 0.6) / frame_s)
        voiced[pos: pos + length] = True
        pos += length + int(rng.uniform(0.04, 0.25) / frame_s)
    voiced[-int(0.05 / frame_s):] = False
    return np.where(voiced, f0, 0.0)


def _sample_frequency(f0_contour_hz, hop_length: int):
    """Per-sample instantaneous frequency and voicing (with 2.5 ms ramps) for a per-frame contour."""
    contour = np.nan_to_num(np.asarray(f0_contour_hz, dtype=np.float64).reshape(-1), nan=0.0)
    if contour.size == 0 or np.any(contour < 0):
        raise ValueError("f0_contour_hz must be a non-empty array of frequencies >= 0 (0 = unvoiced)")
    voiced = contour > 0
    n_samples = (len(contour) - 1) * hop_length + hop_length // 2     # 1 + n_samples // hop = frames
    centres = np.arange(len(contour)) * hop_length
    if voiced.any():   # unvoiced frames take the nearest voiced value, only to keep the phase smooth
        idx = np.flatnonzero(voiced)
        nearest = idx[np.clip(np.searchsorted(idx, np.arange(len(contour))), 0, len(idx) - 1)]
        filled = contour[nearest]
    else:
        filled = np.full(len(contour), 100.0)
    samples = np.arange(n_samples)
    freq = np.interp(samples, centres, filled)
    gate = voiced[np.minimum((samples + hop_length // 2) // hop_length, len(contour) - 1)].astype(float)
    ramp = np.hanning(max(3, hop_length // 2))
    gate = np.convolve(gate, ramp / ramp.sum(), mode="same")
    return contour, filled, freq, gate, samples


def harmonic_test_signal(f0_contour_hz, sample_rate: int = SAMPLE_RATE, hop_length: int = F0_HOP,
                         seed: int = 0, noise_db: float = -40.0) -> np.ndarray:
    """A harmonic signal whose F0 at sample ``t * hop_length`` is exactly ``f0_contour_hz[t]``.

    The phase is the running sum of the (linearly interpolated) instantaneous frequency, so
    glides are rendered without jumps; harmonics ``k = 1, 2, ...`` below Nyquist have
    amplitude ``1/k``. Frames with 0 Hz are silent apart from white noise at ``noise_db``
    (relative to the peak, present everywhere). Peak amplitude 0.5; ``len(contour)`` frames.
    The easy test signal of notebook 04.

    Example
    -------
    >>> wav = harmonic_test_signal(np.array([0.0] * 10 + [200.0] * 30 + [0.0] * 10))
    >>> wav.dtype, 1 + len(wav) // 80
    (dtype('float32'), 50)
    """
    contour, filled, freq, gate, samples = _sample_frequency(f0_contour_hz, hop_length)
    phase = 2 * np.pi * np.cumsum(freq) / sample_rate
    wav = np.zeros(len(samples))
    for k in range(1, int(sample_rate / 2 / filled.min()) + 1):
        wav += np.where(k * freq < 0.95 * sample_rate / 2, np.sin(k * phase) / k, 0.0)
    wav *= gate
    wav = 0.5 * wav / max(np.max(np.abs(wav)), 1e-9)
    noise = np.random.default_rng(seed).standard_normal(len(wav)) * 0.5 * 10 ** (noise_db / 20)
    return (wav + noise).astype(np.float32)


def speechlike_test_signal(f0_contour_hz, sample_rate: int = SAMPLE_RATE, hop_length: int = F0_HOP,
                           seed: int = 0, snr_db: float = 30.0) -> np.ndarray:
    """A source-filter signal with a known F0 contour: harder ground truth than :func:`harmonic_test_signal`.

    Source: harmonics with a -6 dB/octave tilt at exactly the contour's F0; filter: three
    formants (F1 300-800, F2 900-2200, F3 2300-3200 Hz) moving slowly at random, applied
    harmonic by harmonic as the magnitude of second-order resonators; a syllable-rate (3-6
    Hz) loudness envelope; in about half of the unvoiced gaps a high-passed noise burst (a
    fricative) as loud as the voiced parts; white background noise at ``snr_db``.
    The harder test signal of notebook 04: the trackers are compared on both.

    Example
    -------
    >>> c = gliding_contour(1.0, seed=2)
    >>> wav = speechlike_test_signal(c, seed=2)
    >>> 1 + len(wav) // 80 == len(c), bool(np.abs(wav).max() <= 1.0)
    (True, True)
    """
    from scipy.signal import butter, sosfilt
    rng = np.random.default_rng(seed)
    contour, filled, freq, gate, samples = _sample_frequency(f0_contour_hz, hop_length)
    n_frames = len(contour)
    t = np.arange(n_frames) * hop_length / sample_rate
    formants = []
    for lo, hi, bw in [(300, 800, 80), (900, 2200, 120), (2300, 3200, 200)]:
        wander = np.sin(2 * np.pi * rng.uniform(1.0, 4.0) * t + rng.uniform(0, 2 * np.pi))
        formants.append((lo + (hi - lo) * (0.5 + 0.5 * wander), bw))
    phase = 2 * np.pi * np.cumsum(freq) / sample_rate
    centres = np.arange(n_frames) * hop_length
    wav = np.zeros(len(samples))
    for k in range(1, int(sample_rate / 2 / filled.min()) + 1):
        fk = k * filled                                       # frame-rate harmonic frequency
        gain = np.ones(n_frames) / k
        for fc, bw in formants:
            gain *= fc ** 2 / np.sqrt((fc ** 2 - fk ** 2) ** 2 + (bw * fk) ** 2)
        gain = np.where(fk < 0.95 * sample_rate / 2, gain, 0.0)
        wav += np.interp(samples, centres, gain) * np.sin(k * phase)
    syllables = 0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(3.0, 6.0) * samples / sample_rate) ** 2
    wav *= gate * syllables
    voiced_rms = np.sqrt(np.mean(wav[gate > 0.5] ** 2)) if np.any(gate > 0.5) else 0.1
    hiss = sosfilt(butter(4, 2500, "highpass", fs=sample_rate, output="sos"), rng.standard_normal(len(wav)))
    hiss_gate = np.zeros(len(wav))
    for start, end in _runs(gate < 1e-3):
        if rng.random() < 0.5 and end - start > hop_length * 6:
            a, b = start + hop_length * 2, end - hop_length * 2
            hiss_gate[a:b] = np.hanning(b - a)
    wav += hiss_gate * hiss * voiced_rms / max(np.std(hiss), 1e-9)
    wav += rng.standard_normal(len(wav)) * voiced_rms * 10 ** (-snr_db / 20)
    return (0.5 * wav / max(np.max(np.abs(wav)), 1e-9)).astype(np.float32)

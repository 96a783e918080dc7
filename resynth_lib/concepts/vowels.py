"""Synthetic vowels whose generative factors are known: F0, vowel identity and loudness.

To ask whether a model can find the factors behind its data by itself, we need data whose
factors we chose. This module makes such data with a source-filter model: a harmonic
source at a chosen F0 (90-300 Hz, log-uniform), three formant resonators for one of five
vowels (:data:`VOWELS`, with a small random stretch of the formants, like different vocal
tracts), a chosen loudness (a dB gain) and a little breath noise. :func:`make_vowel_dataset`
returns one 64-band log-mel frame per example together with its factors;
:func:`synthesize_vowel` makes a longer steady vowel to listen to, and
:func:`features_to_db` turns features back into dB for plots.

The beta-VAE of :mod:`resynth_lib.concepts.beta_vae` is trained on these frames, and
:mod:`resynth_lib.concepts.disentanglement_metrics` scores its latents against the known
factors. Taught in notebook 01b (``01b_vae_and_infogan``).

Example
-------
>>> X, factors = make_vowel_dataset(4, seed=0)
>>> X.shape, factors.shape, FACTOR_NAMES
((4, 64), (4, 3), ('f0_hz', 'vowel', 'loudness_db'))
>>> synthesize_vowel(150.0, "i", seconds=0.1).shape       # 0.1 s at 16 kHz
(1600,)
"""
from __future__ import annotations

import numpy as np

from resynth_lib.core.audio import mel_filterbank
from resynth_lib.core.rates import SAMPLE_RATE

# ------------------------------------------------------------------ the synthetic vowels
VOWELS = ("i", "e", "a", "o", "u")
#: F1, F2, F3 (Hz) of each vowel: textbook values for an adult male voice.
FORMANTS = np.array([[280.0, 2250.0, 2900.0],   # i  as in "see"
                     [450.0, 1950.0, 2600.0],   # e  as in "say"
                     [750.0, 1250.0, 2600.0],   # a  as in "father"
                     [480.0, 850.0, 2500.0],    # o  as in "go"
                     [320.0, 800.0, 2300.0]])   # u  as in "boot"
BANDWIDTHS = np.array([60.0, 90.0, 120.0])      #: formant bandwidths (Hz)
FACTOR_NAMES = ("f0_hz", "vowel", "loudness_db")
F0_RANGE = (90.0, 300.0)
LOUDNESS_RANGE = (-20.0, 0.0)
FRAME_LENGTH = 1024                 #: 64 ms at 16 kHz
N_BANDS = 64                        #: log-mel bands from 0 to F_MAX
F_MAX = 4000.0
FORMANT_JITTER = 0.04               #: per-example random scaling of the formants (a nuisance, like a speaker)
NOISE_DB = -35.0                    #: breath noise, relative to the voiced signal
REFERENCE_LEVEL_DB = -30.0          #: mean log-mel band level (dB) of a frame at loudness 0 dB
FEATURE_OFFSET = -4.0               #: features are log10(mel power) - FEATURE_OFFSET: mean band level -40 dB -> 0
_HIGHEST_HARMONIC_HZ = 7600.0
_OVERSAMPLE = 16                    #: harmonics are placed on an FFT grid 16x finer than the frame's


def _resonance_gain(f, centre, bandwidth):
    """Magnitude response at ``f`` (Hz) of a two-pole resonator with unit gain at 0 Hz."""
    r = np.exp(-np.pi * bandwidth / SAMPLE_RATE)
    c = 2 * r * np.cos(2 * np.pi * centre / SAMPLE_RATE)
    z = np.exp(-2j * np.pi * f / SAMPLE_RATE)
    return np.abs((1 - c + r * r) / (1 - c * z + r * r * z * z))


def _voiced_frames(f0, formants, n_samples, rng) -> np.ndarray:
    """``(m, n_samples)`` source-filter frames, each scaled to RMS 1.

    The source is a sum of harmonics ``k F0`` with amplitudes ``1/k`` (a glottal pulse train
    with lip radiation) and random phases; the filter is three formant resonators. The sum
    is done by one inverse FFT on a grid ``_OVERSAMPLE`` times finer than ``n_samples``,
    which moves each harmonic by well under 1 Hz.
    """
    m = len(f0)
    n_harmonics = int(_HIGHEST_HARMONIC_HZ / F0_RANGE[0])
    freqs = f0[:, None] * np.arange(1, n_harmonics + 1)[None, :]
    keep = freqs < _HIGHEST_HARMONIC_HZ
    amps = keep / np.arange(1, n_harmonics + 1)[None, :]
    for j in range(3):
        amps = amps * _resonance_gain(freqs, formants[:, j, None], BANDWIDTHS[j])
    grid = int(2 ** np.ceil(np.log2(_OVERSAMPLE * n_samples)))
    bins = np.where(keep, np.rint(freqs * grid / SAMPLE_RATE), 0).astype(np.int64)
    spectrum = np.zeros((m, grid // 2 + 1), dtype=np.complex128)
    phases = np.exp(2j * np.pi * rng.random((m, n_harmonics)))
    np.add.at(spectrum, (np.repeat(np.arange(m), n_harmonics), bins.ravel()), (amps * phases).ravel())
    x = np.fft.irfft(spectrum, n=grid, axis=1)[:, :n_samples]
    return x / np.sqrt(np.mean(x ** 2, axis=1, keepdims=True))


def features_to_db(features) -> np.ndarray:
    """Undo the offset of :func:`make_vowel_dataset`: features back to log-mel power in dB.

    Used for the spectra and latent traversals plotted in notebook 01b.

    Example
    -------
    >>> features_to_db(np.array([0.0, 1.0]))
    array([-40., -30.])
    """
    return (np.asarray(features, dtype=np.float64) + FEATURE_OFFSET) * 10.0


def make_vowel_dataset(n: int, seed: int = 0, chunk: int = 250):
    """Vowel frames with known factors: ``(features (n, 64) float32, factors (n, 3) float64)``.

    Each example draws F0 log-uniformly from 90-300 Hz, one of the five :data:`VOWELS`, and
    a loudness uniformly from -20 to 0 dB; the formants are scaled by a small random factor
    (``exp(0.04 N(0,1))``, like different vocal tracts) and breath noise is added 35 dB
    below the voice. The feature is the log-mel power (64 Slaney bands, 0-4 kHz) of one
    Hann-windowed 64 ms frame at 16 kHz, in dB, scaled as ``(dB + 40) / 20`` so that values
    are of order 1 (:func:`features_to_db` undoes it). Columns of ``factors`` are
    :data:`FACTOR_NAMES`: F0 in Hz, vowel index into :data:`VOWELS`, loudness in dB.
    The same ``(n, seed)`` always gives the same arrays. Taught in notebook 01b
    (``01b_vae_and_infogan``).

    Example
    -------
    >>> X, factors = make_vowel_dataset(8, seed=1)
    >>> X.dtype, X.shape
    (dtype('float32'), (8, 64))
    >>> f0, vowel, loudness = factors.T
    >>> bool(np.all((f0 >= 90) & (f0 <= 300))), [VOWELS[int(v)] for v in vowel[:3]]
    (True, ['o', 'a', 'i'])
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    f0 = np.exp(rng.uniform(np.log(F0_RANGE[0]), np.log(F0_RANGE[1]), n))
    vowel = rng.integers(0, len(VOWELS), n)
    loudness = rng.uniform(*LOUDNESS_RANGE, n)
    formants = FORMANTS[vowel] * np.exp(FORMANT_JITTER * rng.standard_normal((n, 3)))
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FRAME_LENGTH) / FRAME_LENGTH)
    mel = mel_filterbank(SAMPLE_RATE, FRAME_LENGTH, N_BANDS, 0.0, F_MAX).astype(np.float64)
    features = np.empty((n, N_BANDS), dtype=np.float32)
    for start in range(0, n, chunk):
        part = slice(start, min(n, start + chunk))
        x = _voiced_frames(f0[part], formants[part], FRAME_LENGTH, rng)
        x = x + 10 ** (NOISE_DB / 20) * rng.standard_normal(x.shape)
        db = 10 * np.log10(np.abs(np.fft.rfft(x * window, axis=1)) ** 2 @ mel.T)
        # the gain that puts the frame's mean band level at REFERENCE_LEVEL_DB + loudness
        db += (REFERENCE_LEVEL_DB + loudness[part] - db.mean(axis=1))[:, None]
        features[part] = db / 10.0 - FEATURE_OFFSET
    return features, np.stack([f0, vowel.astype(np.float64), loudness], axis=1)


def synthesize_vowel(f0: float, vowel: str | int, loudness_db: float = -6.0, seconds: float = 0.5,
                     seed: int = 0) -> np.ndarray:
    """A steady vowel to listen to (16 kHz float32), made exactly as the dataset's frames.

    Taught in notebook 01b (``01b_vae_and_infogan``).

    Example
    -------
    >>> wav = synthesize_vowel(120.0, "a", seconds=0.25)
    >>> wav.shape, wav.dtype
    ((4000,), dtype('float32'))
    """
    index = VOWELS.index(vowel) if isinstance(vowel, str) else int(vowel)
    rng = np.random.default_rng(seed)
    x = _voiced_frames(np.array([float(f0)]), FORMANTS[index][None], int(seconds * SAMPLE_RATE), rng)[0]
    x = x + 10 ** (NOISE_DB / 20) * rng.standard_normal(x.shape)
    fade = np.minimum(1.0, np.minimum(np.arange(len(x)), np.arange(len(x))[::-1]) / (0.01 * SAMPLE_RATE))
    return (0.1 * 10 ** (loudness_db / 20) * x * fade).astype(np.float32)

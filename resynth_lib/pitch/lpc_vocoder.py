"""A small source-filter (LPC) vocoder: re-synthesise speech with a different F0 contour.

Taught in notebook 04b (``04b_f0_vqvae``), where it lets us *hear* an F0 contour
before we have a neural vocoder: keep the spectral envelope of the original speech (the
vocal tract, estimated by linear prediction), replace the source by a pulse train at the
F0 we choose (noise where the frame is unvoiced), and filter. It sounds buzzy -- the
HiFi-GAN of notebook 06 is the real thing -- but pitch changes are easy to hear.

How it works, per 5 ms hop (the F0 frame rate):

1. linear prediction of order ``order`` on a 25 ms Hann window centred on the hop:
   ``x[n] ~ -sum_k a_k x[n-k]``, so ``1 / A(z)`` is the vocal-tract filter, and the
   prediction error's power is the source's power;
2. the excitation: a pulse train whose instantaneous frequency follows the new F0
   (phase accumulation, so glides are smooth), scaled to unit power; white noise where
   the F0 is 0 (unvoiced);
3. the all-pole filter ``g / A(z)`` of each hop applied to that hop's excitation, carrying
   the filter's state across hops.

Example
-------
>>> import numpy as np
>>> t = np.arange(8000) / 16000
>>> wav = (0.3 * np.sin(2 * np.pi * 150 * t) + 0.1 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
>>> f0 = np.full(1 + len(wav) // 80, 200.0)
>>> out = lpc_resynthesize(wav, f0)
>>> out.shape == wav.shape, out.dtype
(True, dtype('float32'))
"""
from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from resynth_lib.core.rates import F0_HOP, SAMPLE_RATE

WINDOW = 400      #: 25 ms analysis window
ORDER = 18        #: LPC order: about sample_rate / 1000 + 2


def lpc_coefficients(frame: np.ndarray, order: int = ORDER) -> tuple[np.ndarray, float]:
    """LPC polynomial ``a`` (``a[0] = 1``) and prediction-error power of one windowed frame.

    Solves the autocorrelation (Yule-Walker) equations by Levinson-Durbin recursion.
    ``1 / A(z)`` is the vocal-tract filter of the frame (notebook 04b).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> x = lfilter([1.0], [1.0, -0.9], rng.standard_normal(4000))   # an AR(1) process
    >>> a, err = lpc_coefficients(x, order=1)
    >>> bool(abs(a[1] + 0.9) < 0.05)
    True
    """
    frame = np.asarray(frame, dtype=np.float64)
    r = np.correlate(frame, frame, mode="full")[len(frame) - 1: len(frame) + order]
    if r[0] <= 1e-12:
        return np.r_[1.0, np.zeros(order)], 0.0
    r = r.copy()
    r[0] *= 1.0 + 1e-9                      # a touch of white noise keeps the recursion stable
    a = np.zeros(order + 1)
    a[0], err = 1.0, r[0]
    for i in range(1, order + 1):
        k = -(r[i] + a[1:i] @ r[i - 1:0:-1]) / err
        a[1:i + 1] = a[1:i + 1] + k * np.r_[a[i - 1:0:-1], 1.0]
        err *= 1.0 - k * k
    return a, max(float(err), 0.0)


def excitation(f0: np.ndarray, n_samples: int, hop: int = F0_HOP, sample_rate: int = SAMPLE_RATE,
               seed: int = 0) -> np.ndarray:
    """Unit-power source signal: pulses at ``f0`` (Hz per hop; 0 = unvoiced -> white noise).

    The pulse times come from the running sum of the instantaneous frequency, so glides are
    smooth. The source half of the LPC vocoder of notebook 04b.

    Example
    -------
    >>> e = excitation(np.full(101, 100.0), 8000)
    >>> int(np.sum(e > 0))                 # 100 Hz for half a second: 50 pulses
    50
    """
    rng = np.random.default_rng(seed)
    f0 = np.nan_to_num(np.asarray(f0, dtype=np.float64), nan=0.0)
    frame_times = np.arange(len(f0)) * hop
    per_sample = np.interp(np.arange(n_samples), frame_times, f0)
    voiced = np.interp(np.arange(n_samples), frame_times, (f0 > 0).astype(float)) > 0.5
    phase = np.cumsum(np.where(voiced, per_sample, 0.0)) / sample_rate
    pulses = np.zeros(n_samples)
    wraps = np.flatnonzero(np.diff(np.floor(phase)) > 0) + 1
    pulses[wraps] = np.sqrt(sample_rate / np.maximum(per_sample[wraps], 1.0))   # unit power
    return np.where(voiced, pulses, rng.standard_normal(n_samples))


def lpc_resynthesize(wav: np.ndarray, f0: np.ndarray, hop: int = F0_HOP, order: int = ORDER,
                     sample_rate: int = SAMPLE_RATE, seed: int = 0) -> np.ndarray:
    """Re-synthesise ``wav`` with the F0 contour ``f0`` (Hz per ``hop`` samples, 0 = unvoiced).

    ``f0`` has one value per hop starting at sample 0 (``1 + len(wav) // hop`` values,
    like :func:`resynth_lib.core.audio.quick_f0`; NaN counts as unvoiced). The output has the
    same length and the same overall RMS level as ``wav``. Used in notebook 04b to listen
    to F0 contours, such as those decoded by the F0 VQ-VAE.

    Example
    -------
    A steady 150 Hz tone, re-synthesised at 200 Hz:

    >>> from resynth_lib.pitch.test_signals import harmonic_test_signal
    >>> from resynth_lib.pitch.yin import track_f0
    >>> wav = harmonic_test_signal(np.full(101, 150.0))
    >>> out = lpc_resynthesize(wav, np.full(101, 200.0))
    >>> out.shape == wav.shape, round(float(np.median(track_f0(out)[10:-10])))
    (True, 200)
    """
    wav = np.asarray(wav, dtype=np.float64)
    f0 = np.asarray(f0, dtype=np.float64)
    n_hops = 1 + len(wav) // hop
    if abs(len(f0) - n_hops) > 2:
        raise ValueError(f"f0 has {len(f0)} frames but the audio has {n_hops} hops of {hop} samples")
    f0 = np.pad(f0, (0, max(0, n_hops - len(f0))), mode="edge")[:n_hops]
    source = excitation(f0, len(wav), hop, sample_rate, seed)
    padded = np.pad(wav, WINDOW // 2)
    window = np.hanning(WINDOW)
    out = np.zeros(len(wav))
    state = np.zeros(order)
    for h in range(n_hops):
        start, stop = h * hop, min((h + 1) * hop, len(wav))
        if start >= stop:
            break
        a, err = lpc_coefficients(padded[start: start + WINDOW] * window, order)
        gain = np.sqrt(err / np.sum(window ** 2))
        out[start:stop], state = lfilter([gain], a, source[start:stop], zi=state)
    out *= np.sqrt(np.mean(wav ** 2) / max(np.mean(out ** 2), 1e-12))   # the same overall loudness
    return np.clip(out, -1.0, 1.0).astype(np.float32)


__all__ = ["lpc_coefficients", "excitation", "lpc_resynthesize", "F0_HOP", "WINDOW", "ORDER"]

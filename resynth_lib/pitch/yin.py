"""Pitch tracking: YIN from scratch and the course's F0 tracker.

Taught in notebook 04 (``04_pitch_tracking``), where students write the YIN steps
(:func:`difference_function`, :func:`cmnd`) themselves and check them against these
(exercises ``04.*`` in :mod:`resynth_lib.course.exercises.nb04`). :func:`yin` puts the steps
together; :func:`track_f0` adds the course's settings and smoothing, and is the F0 stream
the F0 VQ-VAE learns to code. Its siblings: :mod:`resynth_lib.pitch.test_signals` makes
signals whose F0 is known exactly, :mod:`resynth_lib.pitch.f0_metrics` scores a track
against such a ground truth (VDE, GPE, FFE), and :mod:`resynth_lib.pitch.normalise` turns
F0 into per-speaker normalised values.

Conventions (the paper's F0 stream): 16 kHz audio, one F0 value every 5 ms
(``hop_length=80``, 200 Hz), frame ``t`` centred on sample ``t * hop_length`` so a
waveform of ``L`` samples has ``1 + L // hop_length`` frames (as
:func:`resynth_lib.core.audio.quick_f0` and librosa with ``center=True``). F0 is in Hz
with **0.0 for unvoiced frames**.

YIN (de Cheveigne & Kawahara, 2002) in four steps, all vectorised over frames:

1. difference function ``d_t(tau) = sum_j (x_j - x_{j+tau})^2`` (:func:`difference_function`);
2. cumulative mean normalised difference ``d'(tau) = d(tau) tau / sum_{k<=tau} d(k)``,
   ``d'(0) = 1`` (:func:`cmnd`);
3. absolute threshold: the first dip below the threshold, walked down to its local
   minimum (:func:`absolute_threshold`);
4. parabolic interpolation of that minimum (:func:`parabolic_interpolation`).

Example
-------
>>> from resynth_lib.pitch.test_signals import harmonic_test_signal
>>> f0 = track_f0(harmonic_test_signal(np.full(101, 120.0)))
>>> f0.shape, bool(abs(np.median(f0[5:-5]) - 120.0) < 1.0)
((101,), True)
"""
from __future__ import annotations

import numpy as np
import scipy.fft
from scipy.ndimage import median_filter

from resynth_lib.core.audio import validate_waveform
from resynth_lib.core.rates import F0_HOP, SAMPLE_RATE

#: The course tracker's settings (chosen on the synthetic ground truth, see benchmarks/).
YIN_THRESHOLD = 0.15
YIN_FRAME_LENGTH = 640       # 40 ms: a 20 ms comparison window plus the 20 ms longest lag (50 Hz)
ENERGY_FLOOR = 0.03          # frames quieter than 3% of the loudest frame's RMS are unvoiced
HYSTERESIS = 0.35           # weaker CMND dips count as voiced when joined to a confident frame
MEDIAN_FRAMES = 5            # median smoothing of the voiced F0 (in 5 ms frames)


# ----------------------------------------------------------------------------- YIN
def difference_function(frames: np.ndarray, max_lag: int) -> np.ndarray:
    """YIN's difference function for a batch of frames, shape ``(n_frames, max_lag + 1)``.

    For a frame ``x`` of length ``N`` and integration window ``W = N - max_lag``:
    ``d(tau) = sum_{j<W} (x_j - x_{j+tau})^2 = e(0) + e(tau) - 2 r(tau)``, with
    ``r(tau) = sum_{j<W} x_j x_{j+tau}`` computed for every frame at once with the FFT and
    the energies ``e(tau) = sum_{j<W} x_{j+tau}^2`` from cumulative sums. float32 frames are
    processed in float32 (about 3x faster; :func:`yin` does this), anything else in float64.
    Step 1 of YIN; students write it in notebook 04.

    Example
    -------
    >>> difference_function(np.array([[1.0, 0.0, 1.0, 0.0, 1.0, 0.0]]), 2)
    array([[0., 4., 0.]])
    """
    frames = np.atleast_2d(np.asarray(frames))
    frames = frames.astype(np.float32 if frames.dtype == np.float32 else np.float64, copy=False)
    n = frames.shape[1]
    if not 0 < max_lag < n:
        raise ValueError(f"max_lag must be in [1, frame length - 1] = [1, {n - 1}], got {max_lag}")
    w = n - max_lag
    n_fft = scipy.fft.next_fast_len(n + w - 1, real=True)
    spec = scipy.fft.rfft(frames, n_fft, axis=1)
    spec_w = scipy.fft.rfft(frames[:, :w], n_fft, axis=1)
    r = scipy.fft.irfft(np.conj(spec_w) * spec, n_fft, axis=1)[:, : max_lag + 1]
    c = np.concatenate([np.zeros((frames.shape[0], 1), frames.dtype), np.cumsum(frames ** 2, axis=1)], axis=1)
    e = c[:, w: w + max_lag + 1] - c[:, : max_lag + 1]      # e(tau) for tau = 0..max_lag
    return np.maximum(e[:, :1] + e - 2.0 * r, 0.0)


def cmnd(d: np.ndarray) -> np.ndarray:
    """Cumulative mean normalised difference: ``d'(0)=1``, ``d'(tau) = d(tau) tau / sum_{1..tau} d``.

    Where the running sum is 0 (a silent frame) the value is 1 (no evidence of periodicity).
    Step 2 of YIN; students write it in notebook 04.

    Example
    -------
    >>> cmnd(np.array([[0.0, 2.0, 0.0, 2.0]]))
    array([[1. , 1. , 0. , 1.5]])
    """
    d = np.atleast_2d(np.asarray(d))
    d = d.astype(np.float32 if d.dtype == np.float32 else np.float64, copy=False)
    total = np.cumsum(d[:, 1:], axis=1)
    tau = np.arange(1, d.shape[1], dtype=d.dtype)
    out = np.empty_like(d)
    out[:, 0] = 1.0
    ok = total > 0
    out[:, 1:] = np.where(ok, d[:, 1:] * tau / np.where(ok, total, 1.0), 1.0)
    return out


def absolute_threshold(cmnd_values: np.ndarray, threshold: float = YIN_THRESHOLD,
                       min_lag: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Pick each frame's period (integer lag) from its CMND curve: returns ``(lags, found)``.

    The lag is the first ``tau >= min_lag`` with ``d'(tau) < threshold``, walked forward
    while the curve keeps falling (to the bottom of that dip). Frames with no such dip get
    the global minimum over ``[min_lag, max_lag]`` and ``found=False`` (unvoiced).
    Step 3 of YIN (notebook 04).

    Example
    -------
    >>> c = np.array([[1.0, 0.9, 0.5, 0.1, 0.05, 0.2, 0.01], [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.9]])
    >>> absolute_threshold(c, threshold=0.15, min_lag=2)
    (array([4, 5]), array([ True, False]))
    """
    c = np.atleast_2d(np.asarray(cmnd_values, dtype=np.float64))
    if not 0 < min_lag < c.shape[1]:
        raise ValueError(f"min_lag must be in [1, {c.shape[1] - 1}], got {min_lag}")
    search = c[:, min_lag:]
    below = search < threshold
    found = below.any(axis=1)
    first = np.argmax(below, axis=1)
    # bottom of the dip: the first index >= first whose next value is not smaller
    stops = np.ones_like(below)
    stops[:, :-1] = search[:, 1:] >= search[:, :-1]
    idx = np.arange(search.shape[1])
    bottom = np.argmax(stops & (idx >= first[:, None]), axis=1)
    lags = np.where(found, bottom, np.argmin(search, axis=1)) + min_lag
    return lags, found


def parabolic_interpolation(cmnd_values: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Refine integer lags to the vertex of the parabola through ``d'`` at ``lag-1, lag, lag+1``.

    The shift is clipped to ``[-1, 1]``; lags at the edges (or flat neighbourhoods) stay put.
    Step 4 of YIN: it gives periods finer than one sample (notebook 04).

    Example
    -------
    >>> c = np.array([[1.0, 0.5, 0.1, 0.3, 0.9]])
    >>> parabolic_interpolation(c, np.array([2]))
    array([2.16666667])
    """
    c = np.atleast_2d(np.asarray(cmnd_values, dtype=np.float64))
    lags = np.asarray(lags, dtype=np.int64)
    rows = np.arange(c.shape[0])
    inner = (lags > 0) & (lags < c.shape[1] - 1)
    left = c[rows, np.clip(lags - 1, 0, c.shape[1] - 1)]
    mid = c[rows, lags]
    right = c[rows, np.clip(lags + 1, 0, c.shape[1] - 1)]
    denom = left - 2.0 * mid + right
    ok = inner & (np.abs(denom) > 1e-12)
    shift = np.where(ok, 0.5 * (left - right) / np.where(ok, denom, 1.0), 0.0)
    return lags + np.clip(shift, -1.0, 1.0)


def _centred_frames(wav: np.ndarray, frame_length: int, hop_length: int, left: int) -> np.ndarray:
    """Frames of ``frame_length`` starting ``left`` samples before ``t * hop_length`` (zero padded)."""
    x = np.pad(np.asarray(wav, dtype=np.float32), (left, frame_length - left))
    n_frames = 1 + len(wav) // hop_length
    return np.lib.stride_tricks.as_strided(
        x, shape=(n_frames, frame_length), strides=(x.strides[0] * hop_length, x.strides[0]), writeable=False)


def _yin_frames(wav, sample_rate, hop_length, fmin, fmax, frame_length):
    """The frames YIN analyses, and the lag range: ``(frames, min_lag, max_lag)``."""
    wav = validate_waveform(wav, name="yin input", allow_silent=True)
    if not 0 < fmin < fmax <= sample_rate / 2:
        raise ValueError(f"need 0 < fmin < fmax <= sample_rate / 2, got fmin={fmin}, fmax={fmax}")
    min_lag = max(1, int(np.floor(sample_rate / fmax)))
    max_lag = int(np.ceil(sample_rate / fmin))
    if frame_length < max_lag + 2 * min_lag:
        raise ValueError(f"frame_length={frame_length} is too short for fmin={fmin} Hz: "
                         f"use at least {max_lag + 2 * min_lag} samples")
    # YIN compares x[j] with x[j + tau] for j < W: that span is centred on the frame's time
    # for a lag in the middle of the search range (the error is at most max_lag / 4 samples)
    window = frame_length - max_lag
    frames = _centred_frames(wav, frame_length, hop_length, left=(window + (min_lag + max_lag) // 2) // 2)
    return frames, min_lag, max_lag


def frame_rms(wav, sample_rate: int = SAMPLE_RATE, hop_length: int = F0_HOP, fmin: float = 50.0,
              fmax: float = 500.0, frame_length: int = YIN_FRAME_LENGTH) -> np.ndarray:
    """RMS of every frame :func:`yin` analyses (its silence test compares them with the loudest).

    A long file tracked in pieces passes its loudest frame to :func:`track_f0` so that every
    piece judges silence the same way (notebook 04; ``resynth encode``).

    Example
    -------
    >>> rms = frame_rms(np.ones(16000))
    >>> rms.shape, round(float(rms[100]), 3)
    ((201,), 1.0)
    """
    frames, _, _ = _yin_frames(wav, sample_rate, hop_length, fmin, fmax, frame_length)
    return np.sqrt(np.mean(frames ** 2, axis=1))


def yin(wav, sample_rate: int = SAMPLE_RATE, hop_length: int = F0_HOP, fmin: float = 50.0,
        fmax: float = 500.0, threshold: float = YIN_THRESHOLD, frame_length: int = YIN_FRAME_LENGTH,
        energy_floor: float = ENERGY_FLOOR, hysteresis: float | None = None,
        chunk: int = 2048, loudest: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """YIN F0 track: returns ``(f0, aperiodicity)``, both of shape ``(1 + len(wav) // hop_length,)``.

    ``f0`` is in Hz, 0.0 where unvoiced. A frame is voiced when its CMND dips below
    ``threshold`` somewhere in ``[sample_rate / fmax, sample_rate / fmin]`` AND its RMS is
    above ``energy_floor`` times the loudest frame's. ``aperiodicity`` is the CMND value at
    the chosen lag (0 = perfectly periodic, about 1 = noise); ``1 - aperiodicity`` serves as
    a voicing confidence. Frames are processed ``chunk`` at a time to bound memory.
    ``loudest`` replaces the loudest frame's RMS (a long file tracked in pieces passes the
    whole file's, from :func:`frame_rms`).
    Built step by step in notebook 04; notebooks 06, 06c and 07 measure the F0 of their
    outputs with it, through :func:`track_f0`.

    ``hysteresis`` (e.g. 0.35; off by default) relaxes the decision the way edge detectors
    do: a frame whose CMND minimum lies below ``hysteresis`` but not below ``threshold`` is
    voiced (at the lag of that global minimum, which is rarely an octave too high) when its F0 is within 20% of the
    median F0 of the confident frames of its run and it is joined, through such frames, to a confident one.

    Example
    -------
    >>> t = np.arange(8000) / 16000
    >>> f0, ap = yin(np.sin(2 * np.pi * 200 * t))
    >>> round(float(np.median(f0)), 1), bool(np.median(ap) < 0.05)
    (200.0, True)
    """
    frames, min_lag, max_lag = _yin_frames(wav, sample_rate, hop_length, fmin, fmax, frame_length)
    f0 = np.zeros(len(frames))
    aperiodicity = np.ones(len(frames))
    found = np.zeros(len(frames), dtype=np.int8)
    for start in range(0, len(frames), chunk):
        block = frames[start: start + chunk]
        c = cmnd(difference_function(block, max_lag))
        lags, ok = absolute_threshold(c, threshold, min_lag)
        if hysteresis is not None:
            weak = c[np.arange(len(c)), lags] < hysteresis   # weak frames keep the global minimum
            ok = ok.astype(np.int8) + 2 * (weak & ~ok).astype(np.int8)  # 1 = confident, 2 = weak
        period = parabolic_interpolation(c, lags)
        f0[start: start + chunk] = sample_rate / period
        aperiodicity[start: start + chunk] = np.clip(c[np.arange(len(c)), lags], 0.0, 1.0)
        found[start: start + chunk] = ok
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    loud = rms > energy_floor * max(rms.max() if loudest is None else loudest, 1e-12)
    if hysteresis is not None:
        strong = (found == 1) & loud
        voiced = np.zeros_like(strong)
        for start, end in _runs((found > 0) & loud):
            if strong[start:end].any():    # keep weak frames within 20% of the run's confident F0
                ref = np.median(f0[start:end][strong[start:end]])
                voiced[start:end] = strong[start:end] | (np.abs(f0[start:end] / ref - 1.0) < 0.2)
    else:
        voiced = found.astype(bool) & loud
    return np.where(voiced, f0, 0.0), aperiodicity


def track_f0(wav, sample_rate: int = SAMPLE_RATE, hop_length: int = F0_HOP, fmin: float = 50.0,
             fmax: float = 500.0, loudest: float | None = None) -> np.ndarray:
    """The course's F0 tracker: Hz per ``hop_length`` frame (5 ms), 0.0 where unvoiced.

    :func:`yin` with the course defaults (threshold 0.15, hysteresis 0.35, 40 ms frames,
    tuned on the synthetic ground truth in ``benchmarks/pitch_trackers.py``), then a 5-frame median over each voiced run (it
    removes isolated octave jumps) and removal of voiced runs shorter than 3 frames (15 ms).
    This is what the F0 VQ-VAE (notebook 04) and the evaluation (notebook 07) use.
    ``loudest`` as in :func:`yin`.

    Example
    -------
    >>> t = np.arange(16000) / 16000
    >>> f0 = track_f0(0.5 * np.sin(2 * np.pi * 150 * t))
    >>> len(f0), round(float(np.median(f0)))
    (201, 150)
    """
    f0, _ = yin(wav, sample_rate, hop_length, fmin, fmax, hysteresis=HYSTERESIS, loudest=loudest)
    return _smooth_voiced(f0, MEDIAN_FRAMES, min_run=3)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of every run of True in a boolean array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _smooth_voiced(f0: np.ndarray, size: int, min_run: int) -> np.ndarray:
    out = np.zeros_like(f0)
    for start, end in _runs(f0 > 0):
        if end - start >= min_run:
            out[start:end] = median_filter(f0[start:end], size=min(size, end - start), mode="nearest")
    return out

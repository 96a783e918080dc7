"""Pitch: YIN from scratch, F0 error metrics, per-speaker normalisation, ground-truth signals.

Taught in notebook 04 (``04_pitch_and_f0_vqvae``), where students write the YIN steps
(:func:`difference_function`, :func:`cmnd`) and the metrics (:func:`gpe`) themselves and
check them against these (exercises ``04.*`` in :mod:`resynth_lib.exercises_04`).

Conventions (the paper's F0 stream): 16 kHz audio, one F0 value every 5 ms
(``hop_length=80``, 200 Hz), frame ``t`` centred on sample ``t * hop_length`` so a
waveform of ``L`` samples has ``1 + L // hop_length`` frames (as :func:`audio.quick_f0`
and librosa with ``center=True``). F0 is in Hz with **0.0 for unvoiced frames**.

YIN (de Cheveigne & Kawahara, 2002) in four steps, all vectorised over frames:

1. difference function ``d_t(tau) = sum_j (x_j - x_{j+tau})^2`` (:func:`difference_function`);
2. cumulative mean normalised difference ``d'(tau) = d(tau) tau / sum_{k<=tau} d(k)``,
   ``d'(0) = 1`` (:func:`cmnd`);
3. absolute threshold: the first dip below the threshold, walked down to its local
   minimum (:func:`absolute_threshold`);
4. parabolic interpolation of that minimum (:func:`parabolic_interpolation`).

Example
-------
>>> f0 = track_f0(harmonic_test_signal(np.full(101, 120.0)))
>>> f0.shape, bool(abs(np.median(f0[5:-5]) - 120.0) < 1.0)
((101,), True)
"""
from __future__ import annotations

import datetime
import json
import platform
from pathlib import Path

import numpy as np
import scipy.fft
from scipy.ndimage import median_filter

from .audio import F0_HOP, SAMPLE_RATE, validate_waveform

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


def yin(wav, sample_rate: int = SAMPLE_RATE, hop_length: int = F0_HOP, fmin: float = 50.0,
        fmax: float = 500.0, threshold: float = YIN_THRESHOLD, frame_length: int = YIN_FRAME_LENGTH,
        energy_floor: float = ENERGY_FLOOR, hysteresis: float | None = None,
        chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """YIN F0 track: returns ``(f0, aperiodicity)``, both of shape ``(1 + len(wav) // hop_length,)``.

    ``f0`` is in Hz, 0.0 where unvoiced. A frame is voiced when its CMND dips below
    ``threshold`` somewhere in ``[sample_rate / fmax, sample_rate / fmin]`` AND its RMS is
    above ``energy_floor`` times the loudest frame's. ``aperiodicity`` is the CMND value at
    the chosen lag (0 = perfectly periodic, about 1 = noise); ``1 - aperiodicity`` serves as
    a voicing confidence. Frames are processed ``chunk`` at a time to bound memory.

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
    loud = rms > energy_floor * max(rms.max(), 1e-12)
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
             fmax: float = 500.0) -> np.ndarray:
    """The course's F0 tracker: Hz per ``hop_length`` frame (5 ms), 0.0 where unvoiced.

    :func:`yin` with the course defaults (threshold 0.15, hysteresis 0.35, 40 ms frames,
    tuned on the synthetic ground truth in ``benchmarks/pitch_trackers.py``), then a 5-frame median over each voiced run (it
    removes isolated octave jumps) and removal of voiced runs shorter than 3 frames (15 ms).
    This is what the F0 VQ-VAE (notebook 04) and the evaluation (notebook 07) use.

    Example
    -------
    >>> t = np.arange(16000) / 16000
    >>> f0 = track_f0(0.5 * np.sin(2 * np.pi * 150 * t))
    >>> len(f0), round(float(np.median(f0)))
    (201, 150)
    """
    f0, _ = yin(wav, sample_rate, hop_length, fmin, fmax, hysteresis=HYSTERESIS)
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


# ------------------------------------------------------------------------ metrics
def _pair(ref_f0, est_f0) -> tuple[np.ndarray, np.ndarray]:
    """Both tracks as float arrays of equal length with NaN turned into 0 (unvoiced)."""
    ref = np.nan_to_num(np.asarray(ref_f0, dtype=np.float64).reshape(-1), nan=0.0)
    est = np.nan_to_num(np.asarray(est_f0, dtype=np.float64).reshape(-1), nan=0.0)
    if abs(len(ref) - len(est)) > 2:
        raise ValueError(f"F0 tracks differ in length by more than 2 frames ({len(ref)} vs {len(est)}): "
                         "are they on the same frame grid (hop length, centring)?")
    if min(len(ref), len(est)) == 0:
        raise ValueError("empty F0 track")
    if np.any(ref < 0) or np.any(est < 0) or np.any(np.isinf(ref)) or np.any(np.isinf(est)):
        raise ValueError("F0 must be finite and >= 0 Hz (0 or NaN = unvoiced)")
    n = min(len(ref), len(est))
    return ref[:n], est[:n]


def vde(ref_f0, est_f0) -> float:
    """Voicing decision error: fraction of frames whose voiced/unvoiced decision differs.

    Example
    -------
    >>> vde([0, 100, 100, 0], [0, 100, 0, 120])
    0.5
    """
    ref, est = _pair(ref_f0, est_f0)
    return float(np.mean((ref > 0) != (est > 0)))


def gpe(ref_f0, est_f0, threshold: float = 0.2) -> float:
    """Gross pitch error: among frames voiced in both, the fraction with ``|est/ref - 1| > threshold``.

    NaN when no frame is voiced in both tracks.

    Example
    -------
    >>> gpe([100, 100, 100, 0], [100, 205, 110, 100])
    0.3333333333333333
    """
    ref, est = _pair(ref_f0, est_f0)
    both = (ref > 0) & (est > 0)
    if not both.any():
        return float("nan")
    return float(np.mean(np.abs(est[both] / ref[both] - 1.0) > threshold))


def ffe(ref_f0, est_f0, threshold: float = 0.2) -> float:
    """F0 frame error: frames with a voicing error or a gross pitch error, over all frames.

    Example
    -------
    >>> ffe([100, 100, 100, 0], [100, 205, 0, 0])
    0.5
    """
    ref, est = _pair(ref_f0, est_f0)
    both = (ref > 0) & (est > 0)
    gross = both & (np.abs(est / np.where(both, ref, 1.0) - 1.0) > threshold)
    return float(np.mean(((ref > 0) != (est > 0)) | gross))


# ---------------------------------------------------------- speaker normalisation
def f0_stats(corpus_or_utterances, split: str | None = "train", tracker=track_f0,
             progress: bool = True) -> dict:
    """Per-speaker F0 statistics over voiced frames: ``{speaker: {mean, std, log_mean, log_std, n_voiced_frames}}``.

    ``mean``/``std`` are in Hz; ``log_mean``/``log_std`` are of natural-log F0, which the
    course uses for normalisation (:func:`normalise_f0` with ``log=True``): pitch is
    perceived on a log scale and a speaker's log-F0 is close to Gaussian. Accepts a
    :class:`~resynth_lib.data.Corpus` (filtered by ``split``) or a list of utterances.

    Example
    -------
    >>> from resynth_lib.data import load_corpus
    >>> utts = load_corpus().utterances(split="test", speaker="slt")[:1]
    >>> stats = f0_stats(utts, progress=False)
    >>> 120 < stats["slt"]["mean"] < 300
    True
    """
    utts = corpus_or_utterances.utterances(split=split) if hasattr(corpus_or_utterances, "utterances") \
        else list(corpus_or_utterances)
    if not utts:
        raise ValueError(f"no utterances to compute F0 statistics on (split={split!r})")
    if progress:
        from tqdm.auto import tqdm
        utts = tqdm(utts, desc="F0 stats")
    return stats_from_tracks((utt.speaker, tracker(utt.waveform())) for utt in utts)


def stats_from_tracks(tracks) -> dict:
    """Per-speaker F0 statistics from ``(speaker, f0_hz)`` pairs (0 or NaN = unvoiced).

    The computation behind :func:`f0_stats`, for F0 tracks you already have.

    Example
    -------
    >>> s = stats_from_tracks([("a", np.array([0.0, 100.0, 100.0]))])
    >>> round(float(np.exp(s["a"]["log_mean"])), 3), s["a"]["n_voiced_frames"]
    (100.0, 2)
    """
    voiced: dict[str, list[np.ndarray]] = {}
    for speaker, f0 in tracks:
        f0 = np.nan_to_num(np.asarray(f0, dtype=np.float64), nan=0.0)
        voiced.setdefault(speaker, []).append(f0[f0 > 0])
    stats = {}
    for speaker, parts in sorted(voiced.items()):
        v = np.concatenate(parts)
        if len(v) < 2:
            raise ValueError(f"speaker {speaker}: fewer than 2 voiced frames, cannot estimate F0 statistics")
        logv = np.log(v)
        stats[speaker] = {"mean": float(v.mean()), "std": float(v.std()), "log_mean": float(logv.mean()),
                          "log_std": float(logv.std()), "n_voiced_frames": int(len(v))}
    return stats


def _speaker_stats(stats: dict, speaker: str) -> dict:
    if speaker not in stats:
        raise KeyError(f"no F0 statistics for speaker {speaker!r}; known: {sorted(stats)}")
    return stats[speaker]


def normalise_f0(f0, stats: dict, speaker: str, log: bool = True) -> np.ndarray:
    """Speaker-normalised F0: ``(log f0 - log_mean) / log_std`` on voiced frames (``log=False``: Hz), 0 elsewhere.

    Example
    -------
    >>> stats = {"a": {"mean": 100.0, "std": 10.0, "log_mean": np.log(100.0), "log_std": 0.1}}
    >>> normalise_f0(np.array([0.0, 100.0, 110.0]), stats, "a", log=False)
    array([0., 0., 1.])
    """
    s = _speaker_stats(stats, speaker)
    f0 = np.nan_to_num(np.asarray(f0, dtype=np.float64), nan=0.0)
    voiced = f0 > 0
    if log:
        values = (np.log(np.where(voiced, f0, 1.0)) - s["log_mean"]) / s["log_std"]
    else:
        values = (f0 - s["mean"]) / s["std"]
    return np.where(voiced, values, 0.0)


def denormalise_f0(values, stats: dict, speaker: str, voiced=None, log: bool = True) -> np.ndarray:
    """The inverse of :func:`normalise_f0`: Hz on voiced frames, 0.0 elsewhere.

    ``voiced`` (boolean per frame) says which frames are voiced; by default the non-zero ones.

    Example
    -------
    >>> stats = {"a": {"mean": 100.0, "std": 10.0, "log_mean": np.log(100.0), "log_std": 0.1}}
    >>> f0 = np.array([0.0, 90.0, 120.0])
    >>> np.allclose(denormalise_f0(normalise_f0(f0, stats, "a"), stats, "a", voiced=f0 > 0), f0)
    True
    """
    s = _speaker_stats(stats, speaker)
    values = np.asarray(values, dtype=np.float64)
    voiced = values != 0 if voiced is None else np.asarray(voiced, dtype=bool)
    hz = np.exp(values * s["log_std"] + s["log_mean"]) if log else values * s["std"] + s["mean"]
    return np.where(voiced, hz, 0.0)


def save_f0_stats(path, stats: dict, force: bool = False, split: str | None = "train",
                  tracker: str = "resynth_lib.pitch.track_f0", tracker_params: dict | None = None) -> Path:
    """Write F0 statistics as JSON with metadata (tracker, its parameters, split, date, machine).

    Refuses to replace an existing file unless ``force=True``.

    Example
    -------
    >>> import tempfile, os
    >>> p = save_f0_stats(os.path.join(tempfile.mkdtemp(), "s.json"), {"a": {"mean": 1.0}})
    >>> load_f0_stats(p)
    {'a': {'mean': 1.0}}
    """
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass force=True (or --force) to replace it")
    if tracker_params is None:
        tracker_params = {"sample_rate": SAMPLE_RATE, "hop_length": F0_HOP, "fmin": 50.0, "fmax": 500.0,
                          "threshold": YIN_THRESHOLD, "frame_length": YIN_FRAME_LENGTH,
                          "energy_floor": ENERGY_FLOOR, "hysteresis": HYSTERESIS, "median_frames": MEDIAN_FRAMES}
    record = {"metadata": {"tracker": tracker, "tracker_params": tracker_params, "split": split,
                           "normalisation": "log-F0 mean/std over voiced frames (linear Hz mean/std also kept)",
                           "date": datetime.datetime.now().isoformat(timespec="seconds"),
                           "machine": platform.platform()},
              "speakers": stats}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def load_f0_stats(path) -> dict:
    """Read the per-speaker statistics written by :func:`save_f0_stats` (metadata dropped).

    Example
    -------
    >>> import tempfile, os
    >>> load_f0_stats(save_f0_stats(os.path.join(tempfile.mkdtemp(), "s.json"), {"b": {"std": 2.0}}))
    {'b': {'std': 2.0}}
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file; create it with `resynth f0-stats --out {path}`")
    try:
        record = json.loads(path.read_text())
        return record["speakers"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not an F0 statistics file written by save_f0_stats ({exc})") from exc


# ------------------------------------------------------- ground-truth test signals
def gliding_contour(seconds: float, sample_rate: int = SAMPLE_RATE, hop_length: int = F0_HOP,
                    fmin: float = 80.0, fmax: float = 320.0, seed: int = 0) -> np.ndarray:
    """A per-frame F0 contour (Hz, 0 = unvoiced) with smooth glides and unvoiced gaps.

    Log-F0 is a random centre plus three slow sinusoids (0.3-1.5 Hz) swinging up to half an
    octave either way (at most about 1.2 octaves per second, fast for speech), within ``[fmin, fmax]``; voiced stretches of 150-600 ms alternate with gaps of 40-250 ms, and
    the contour starts and ends unvoiced. ``1 + int(seconds * sample_rate) // hop_length`` frames.

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


__all__ = [
    "difference_function", "cmnd", "absolute_threshold", "parabolic_interpolation", "yin", "track_f0",
    "vde", "gpe", "ffe", "f0_stats", "normalise_f0", "denormalise_f0", "save_f0_stats", "load_f0_stats",
    "gliding_contour", "harmonic_test_signal", "speechlike_test_signal",
    "YIN_THRESHOLD", "YIN_FRAME_LENGTH", "ENERGY_FLOOR", "HYSTERESIS", "MEDIAN_FRAMES",
]

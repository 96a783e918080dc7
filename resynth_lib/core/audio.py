"""Audio basics: loading, saving, framing, STFT, mel filterbanks, log-mel and MFCC.

Taught in notebook 00 (``00_audio_and_data``), where students write ``frame_signal``,
``stft_magnitude`` and ``mel_filterbank`` themselves and check them against these.

Conventions used by the whole course (the paper's, from its HiFi-GAN configuration):

* audio is **16 kHz mono float32** in [-1, 1] (:data:`SAMPLE_RATE`);
* log-mel: ``n_fft=1024``, ``win_length=1024``, ``hop_length=256`` (16 ms), 80 Slaney mel
  bands from 0 to 8000 Hz on the STFT *magnitude*, natural log clamped at 1e-5
  (:func:`log_mel`);
* MFCC: 13 coefficients, the orthonormal DCT-II of 40 mel bands of the *power* spectrum in
  dB, 25 ms windows every 10 ms (:func:`mfcc`) -- the HuBERT / Kaldi-style front end.

Example
-------
>>> import numpy as np
>>> t = np.arange(16000) / 16000
>>> wav = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
>>> log_mel(wav).shape        # (n_mels, frames): 1 + 16000 // 256 frames
(80, 63)
>>> mfcc(wav).shape           # (n_mfcc, frames) at 100 Hz
(13, 101)
"""
from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from scipy.signal import resample_poly

from resynth_lib.core.rates import F0_HOP, N_MELS, SAMPLE_RATE

#: Peak amplitude below which a whole file counts as silent.
SILENCE_PEAK = 1e-4

# The course's log-mel parameters (the paper's HiFi-GAN front end at 16 kHz).
N_FFT = 1024
WIN_LENGTH = 1024
HOP_LENGTH = 256
F_MIN = 0.0
F_MAX = 8000.0
LOG_CLAMP = 1e-5


class AudioError(ValueError):
    """Audio that cannot be used: the message names the file and says what is wrong (notebook 00).

    It is a :class:`ValueError`, so code that already catches bad values catches it too.

    Example
    -------
    >>> try:
    ...     validate_waveform(np.zeros(100), name="quiet.wav")
    ... except AudioError as err:
    ...     print(err)
    quiet.wav: all silent (peak amplitude below 0.0001); check the recording or pass allow_silent=True
    """


# --------------------------------------------------------------------------- I/O
def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE, allow_silent: bool = False) -> np.ndarray:
    """Read any file soundfile reads as mono float32 at ``sample_rate`` (default 16 kHz).

    Multi-channel audio is averaged to mono; other rates are resampled (polyphase filter).
    Raises :class:`AudioError` naming the file if it is missing, unreadable, empty,
    contains NaN/inf, or is all silence (peak below 1e-4, unless ``allow_silent``)
    (notebook 00).

    Example
    -------
    >>> import tempfile
    >>> from pathlib import Path
    >>> tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)    # 1 s at 8 kHz
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_audio(Path(tmp) / "tone.wav", tone, sample_rate=8000)
    ...     wav = load_audio(path)
    >>> wav.dtype, wav.shape                                             # now 1 s at 16 kHz
    (dtype('float32'), (16000,))
    """
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises several types (LibsndfileError, RuntimeError, ...)
        raise AudioError(f"{path}: cannot be read as audio ({exc}); "
                         "convert it to WAV or FLAC, e.g. with `sox in.xxx out.wav`") from exc
    declared = _declared_wav_frames(path)
    if declared is not None and len(data) < declared:
        raise AudioError(f"{path}: truncated: its header declares {declared / rate:.2f} s but the file holds "
                         f"{len(data) / rate:.2f} s; re-export or re-download it")
    wav = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    wav = validate_waveform(wav, name=str(path), allow_silent=allow_silent)
    return resample(wav, rate, sample_rate)


def _declared_wav_frames(path: Path) -> int | None:
    """Frames a RIFF/WAVE header declares for its data chunk (``None``: not a plain WAV, or size unknown)."""
    import struct
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        block_align = None
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            kind, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if kind == b"fmt ":
                fmt = f.read(size + (size & 1))
                block_align = struct.unpack("<H", fmt[12:14])[0] if len(fmt) >= 14 else None
            elif kind == b"data":
                if not block_align or size in (0, 0xFFFFFFFF):          # streamed WAVs leave the size open
                    return None
                return size // block_align
            else:
                f.seek(size + (size & 1), 1)


def validate_waveform(wav, name: str = "waveform", allow_silent: bool = False) -> np.ndarray:
    """Return ``wav`` as a 1-D float32 array, or raise :class:`AudioError` saying what is wrong.

    Accepts lists, numpy arrays and torch tensors; a ``(1, samples)`` or ``(samples, 1)``
    array is flattened. Every waveform that enters the library passes through here
    (notebook 00).

    Example
    -------
    >>> validate_waveform([[0.1, -0.2, 0.3]])
    array([ 0.1, -0.2,  0.3], dtype=float32)
    """
    wav = np.asarray(wav.detach().cpu() if isinstance(wav, torch.Tensor) else wav, dtype=np.float32)
    if wav.ndim == 2 and 1 in wav.shape:
        wav = wav.reshape(-1)
    if wav.ndim != 1:
        raise AudioError(f"{name}: expected a 1-D waveform (samples,), got shape {wav.shape}; "
                         "down-mix channels first, e.g. wav.mean(axis=0)")
    if wav.size == 0:
        raise AudioError(f"{name}: empty (0 samples)")
    top, bottom = float(wav.max()), float(wav.min())       # NaN and inf show in these; no full-length copies
    if not (np.isfinite(top) and np.isfinite(bottom)):
        raise AudioError(f"{name}: contains NaN or infinite samples")
    if not allow_silent and max(top, -bottom) < SILENCE_PEAK:
        raise AudioError(f"{name}: all silent (peak amplitude below {SILENCE_PEAK}); "
                         "check the recording or pass allow_silent=True")
    return wav


def resample(wav: np.ndarray, orig_rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Resample with a polyphase filter (exact for integer rate ratios) (notebook 00).

    The ratio ``target_rate / orig_rate`` is reduced to lowest terms first, so 44.1 kHz to
    16 kHz uses the ratio 160 / 441. Returns float32.

    Example
    -------
    >>> resample(np.ones(441), 44100).shape      # 10 ms at 44.1 kHz -> 10 ms at 16 kHz
    (160,)
    """
    if orig_rate == target_rate:
        return np.asarray(wav, dtype=np.float32)
    g = gcd(int(orig_rate), int(target_rate))
    return resample_poly(wav, target_rate // g, orig_rate // g).astype(np.float32)


def save_audio(path: str | Path, wav, sample_rate: int = SAMPLE_RATE, overwrite: bool = False) -> Path:
    """Write a mono waveform as 16-bit PCM (format from the suffix: .wav, .flac, ...).

    Refuses to replace an existing file unless ``overwrite=True``. Samples are clipped
    to [-1, 1]. Returns the path written (notebook 00).

    Example
    -------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_audio(Path(tmp) / "click.wav", np.full(160, 0.25))
    ...     try:
    ...         save_audio(path, np.full(160, 0.5))
    ...     except FileExistsError:
    ...         print("refused to overwrite", path.name)
    refused to overwrite click.wav
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    wav = validate_waveform(wav, name=str(path), allow_silent=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    with sf.SoundFile(str(path), "w", sample_rate, 1, subtype="PCM_16") as f:
        for start in range(0, len(wav), 60 * sample_rate):        # a minute at a time: no full-length copy
            f.write(np.clip(wav[start:start + 60 * sample_rate], -1.0, 1.0))
    return path


# ------------------------------------------------------------------ framing / STFT
def frame_signal(x: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    """Cut ``x`` into overlapping frames: row ``i`` is ``x[i*hop : i*hop + frame_length]``.

    No padding: there are ``1 + (len(x) - frame_length) // hop_length`` frames.
    Returns a read-only view of shape ``(frames, frame_length)``. Students write their own
    version in notebook 00 and compare it with this one.

    Example
    -------
    >>> frame_signal(np.arange(10), frame_length=4, hop_length=3)
    array([[0, 1, 2, 3],
           [3, 4, 5, 6],
           [6, 7, 8, 9]])
    """
    x = np.asarray(x)
    if len(x) < frame_length:
        raise ValueError(f"signal of {len(x)} samples is shorter than one frame ({frame_length})")
    n_frames = 1 + (len(x) - frame_length) // hop_length
    return np.lib.stride_tricks.as_strided(
        x, shape=(n_frames, frame_length), strides=(x.strides[0] * hop_length, x.strides[0]),
        writeable=False)


def stft_magnitude(x: np.ndarray, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH,
                   center: bool = True) -> np.ndarray:
    """|STFT| with a periodic Hann window of length ``n_fft``; shape ``(1 + n_fft//2, frames)``.

    With ``center=True`` the signal is reflect-padded by ``n_fft // 2`` on both sides so
    frame ``t`` is centred on sample ``t * hop_length`` (as librosa and torch do).
    Written by students in notebook 00 and used again for the spectra of notebook 04.

    Example
    -------
    >>> t = np.arange(16000) / 16000
    >>> mag = stft_magnitude(np.sin(2 * np.pi * 1000 * t))
    >>> mag.shape
    (513, 63)
    >>> int(mag[:, 30].argmax())     # 1000 Hz falls in bin 1000 / (16000 / 1024) = 64
    64
    """
    x = np.asarray(x, dtype=np.float64)
    if center:
        x = np.pad(x, n_fft // 2, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    frames = frame_signal(x, n_fft, hop_length) * window
    return np.abs(np.fft.rfft(frames, axis=1)).T


# ---------------------------------------------------------------------- mel scale
def hz_to_mel(f, htk: bool = False):
    """Hertz to mel. HTK: ``2595 log10(1 + f/700)``. Slaney: linear below 1 kHz, log above.

    The course uses the Slaney version (the default), as librosa and the paper's
    HiFi-GAN front end do (notebook 00).

    Example
    -------
    >>> round(float(hz_to_mel(1000.0)), 6)               # Slaney: 1 kHz is mel 15
    15.0
    >>> round(float(hz_to_mel(1000.0, htk=True)), 1)     # HTK: 1 kHz is about mel 1000
    1000.0
    """
    f = np.asarray(f, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def mel_to_hz(m, htk: bool = False):
    """The inverse of :func:`hz_to_mel`, Slaney by default or HTK with ``htk=True`` (notebook 00).

    Example
    -------
    >>> round(float(mel_to_hz(15.0)), 6)
    1000.0
    >>> bool(np.allclose(mel_to_hz(hz_to_mel([100.0, 4000.0])), [100.0, 4000.0]))
    True
    """
    m = np.asarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS,
                   fmin: float = F_MIN, fmax: float | None = F_MAX, htk: bool = False,
                   norm: str | None = "slaney") -> np.ndarray:
    """Triangular mel filters, shape ``(n_mels, 1 + n_fft // 2)``.

    Filter ``m`` rises from mel point ``m`` to ``m+1`` and falls to ``m+2``, where the
    ``n_mels + 2`` points are equally spaced on the mel scale between ``fmin`` and
    ``fmax``. ``norm="slaney"`` scales each filter to unit area (2 / bandwidth in Hz);
    ``norm=None`` leaves peaks at 1. Matches ``librosa.filters.mel``. Students build it in
    notebook 00.

    Example
    -------
    >>> fb = mel_filterbank()                # the course's 80 bands for n_fft=1024
    >>> fb.shape
    (80, 513)
    >>> bool((fb >= 0).all()), bool((fb.sum(axis=1) > 0).all())    # no empty band
    (True, True)
    """
    fmax = sample_rate / 2 if fmax is None else fmax
    fft_freqs = np.linspace(0, sample_rate / 2, 1 + n_fft // 2)
    mel_points = np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels + 2)
    hz_points = mel_to_hz(mel_points, htk)
    lower, centre, upper = hz_points[:-2, None], hz_points[1:-1, None], hz_points[2:, None]
    rising = (fft_freqs - lower) / (centre - lower)
    falling = (upper - fft_freqs) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    if norm == "slaney":
        weights *= 2.0 / (upper - lower)
    elif norm is not None:
        raise ValueError(f"norm must be 'slaney' or None, got {norm!r}")
    return weights.astype(np.float32)


_MEL_CACHE: dict = {}


def _mel_basis_torch(sample_rate, n_fft, n_mels, fmin, fmax) -> torch.Tensor:
    key = (sample_rate, n_fft, n_mels, fmin, fmax)
    if key not in _MEL_CACHE:
        _MEL_CACHE[key] = torch.from_numpy(mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax))
    return _MEL_CACHE[key]


# ------------------------------------------------------------------ log-mel, MFCC
def log_mel(wav, sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH,
            win_length: int = WIN_LENGTH, n_mels: int = N_MELS, fmin: float = F_MIN,
            fmax: float = F_MAX, center: bool = True):
    """Log-mel spectrogram ``log(max(mel @ |STFT|, 1e-5))``, shape ``(..., n_mels, frames)``.

    Works on numpy arrays (returns numpy) and on torch tensors, batched or not (returns a
    differentiable tensor: the vocoder's mel loss uses it). Frames are centred, so there
    are ``1 + len(wav) // hop_length`` of them. Introduced in notebook 00; the decoders of
    notebooks 06, 06c and 07 predict and compare these frames.

    Example
    -------
    >>> import torch
    >>> log_mel(torch.zeros(2, 16000)).shape               # a batch of two 1 s clips
    torch.Size([2, 80, 63])
    >>> round(float(log_mel(np.zeros(1024)).max()), 4)     # silence sits at log(1e-5)
    -11.5129
    """
    is_numpy = not isinstance(wav, torch.Tensor)
    x = torch.as_tensor(np.asarray(wav, dtype=np.float32)) if is_numpy else wav
    window = torch.hann_window(win_length, device=x.device, dtype=x.dtype)
    spec = torch.stft(x, n_fft, hop_length=hop_length, win_length=win_length, window=window,
                      center=center, pad_mode="reflect", return_complex=True)
    magnitude = torch.sqrt(spec.real ** 2 + spec.imag ** 2 + 1e-9)
    mel = _mel_basis_torch(sample_rate, n_fft, n_mels, fmin, fmax).to(x.device, x.dtype) @ magnitude
    out = torch.log(torch.clamp(mel, min=LOG_CLAMP))
    return out.numpy() if is_numpy else out


def dct_matrix(n_out: int, n_in: int) -> np.ndarray:
    """Orthonormal DCT-II matrix, shape ``(n_out, n_in)`` (rows are cosine basis vectors).

    :func:`mfcc` multiplies log mel energies by it; notebook 00 shows its rows.

    Example
    -------
    >>> d = dct_matrix(4, 4)
    >>> bool(np.allclose(d @ d.T, np.eye(4)))     # orthonormal: its inverse is its transpose
    True
    """
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    basis[0] /= np.sqrt(2.0)
    return basis


def mfcc(wav, sample_rate: int = SAMPLE_RATE, n_mfcc: int = 13, n_mels: int = 40,
         n_fft: int = 400, hop_length: int = 160, fmin: float = 20.0, fmax: float = 7600.0) -> np.ndarray:
    """MFCC, shape ``(n_mfcc, 1 + len(wav) // hop_length)``: 25 ms frames every 10 ms.

    The orthonormal DCT-II of ``10 log10(max(mel power, 1e-10))`` over ``n_mels`` Slaney
    mel bands of the Hann-windowed power spectrum -- the same numbers as
    ``librosa.feature.mfcc(S=librosa.power_to_db(melspec, top_db=None))``.
    Taught in notebook 00; the input features of notebooks 01, 02, 03 and 07.

    Example
    -------
    >>> noise = np.random.default_rng(0).normal(size=1600)     # 0.1 s
    >>> mfcc(noise).shape                                       # 13 coefficients, 11 frames
    (13, 11)
    """
    wav = np.asarray(wav, dtype=np.float64)
    power = stft_magnitude(wav, n_fft=n_fft, hop_length=hop_length) ** 2
    mel_power = mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax).astype(np.float64) @ power
    log_power = 10.0 * np.log10(np.maximum(mel_power, 1e-10))
    return (dct_matrix(n_mfcc, n_mels) @ log_power).astype(np.float32)


# ------------------------------------------------------------------ a first F0 look


def quick_f0(wav, sample_rate: int = SAMPLE_RATE, fmin: float = 60.0, fmax: float = 400.0,
             hop_length: int = F0_HOP, energy_floor: float = 0.1) -> np.ndarray:
    """A first-look F0 track (Hz per 5 ms frame, NaN where unvoiced), from ``librosa.yin``.

    Frames whose RMS energy is below ``energy_floor`` times the loudest frame's count as
    unvoiced. Good enough for pictures and rough statistics (notebooks 00 and 01); notebook
    04 builds and evaluates a proper tracker in :mod:`resynth_lib.pitch.yin`.

    Example
    -------
    >>> t = np.arange(8000) / 16000
    >>> f0 = quick_f0(0.5 * np.sin(2 * np.pi * 150 * t))
    >>> bool(abs(np.nanmedian(f0) - 150) < 2)
    True
    """
    import librosa
    x = np.asarray(wav, dtype=np.float32)
    f0 = librosa.yin(x, fmin=fmin, fmax=fmax, sr=sample_rate, frame_length=1024, hop_length=hop_length)
    rms = librosa.feature.rms(y=x, frame_length=1024, hop_length=hop_length)[0][: len(f0)]
    f0 = f0.astype(np.float64)
    f0[rms < energy_floor * rms.max()] = np.nan
    return f0


__all__ = [
    "quick_f0", "F0_HOP", "SAMPLE_RATE", "N_FFT", "WIN_LENGTH", "HOP_LENGTH", "N_MELS", "F_MIN", "F_MAX", "AudioError",
    "load_audio", "validate_waveform", "resample", "save_audio", "frame_signal", "stft_magnitude",
    "hz_to_mel", "mel_to_hz", "mel_filterbank", "log_mel", "dct_matrix", "mfcc",
]

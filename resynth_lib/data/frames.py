"""Frame-level features and labels at the paper's content rate: 50 Hz (hop 320 at 16 kHz).

Every content representation in the course lives on the same 50 Hz grid, so frame ``i``
of an utterance is the 20 ms ``[320 i, 320 (i + 1))`` samples, there are
``len(wav) // 320`` frames, and the phone label of frame ``i`` is the phone holding its
centre (:meth:`resynth_lib.data.corpus.Utterance.frame_labels`). This module makes

* :func:`ssl_input` -- what the self-supervised models of notebook 02b read: 80-band
  log-mel at 100 Hz (two input frames per output frame), normalised per utterance;
* :func:`mfcc_frames` / :func:`log_mel_frames` -- the classic baselines on the 50 Hz grid
  (MFCC optionally with deltas, as HuBERT's first-iteration targets);
* :func:`cmvn` -- per-utterance cepstral mean and variance normalisation;
* :func:`frame_table` -- features of many utterances stacked, with phone and speaker ids.

Taught in notebook 02b (``02b_self_supervised_speech``); notebook 03 quantises these frames.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from resynth_lib.core.audio import log_mel, mfcc
from resynth_lib.core.rates import HOP, UNIT_RATE

SSL_MELS = 80


def num_frames(wav) -> int:
    """Number of whole 20 ms frames: ``len(wav) // 320`` (notebook 02b).

    A trailing part-frame is dropped, so every 50 Hz stream of an utterance has this length.

    Example
    -------
    >>> num_frames(np.zeros(16000))
    50
    """
    return len(wav) // HOP


def cmvn(features: np.ndarray) -> np.ndarray:
    """Per-utterance mean and variance normalisation of a ``(frames, dims)`` array (notebook 02b).

    Each dimension gets zero mean and unit variance over the utterance's frames.

    Example
    -------
    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> np.round(cmvn(x), 3).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """
    features = np.asarray(features, dtype=np.float32)
    return (features - features.mean(0)) / (features.std(0) + 1e-5)


def _fit_length(x: np.ndarray, n: int) -> np.ndarray:
    """Crop or edge-pad the first axis of ``x`` to ``n`` rows."""
    if len(x) >= n:
        return x[:n]
    return np.concatenate([x, np.repeat(x[-1:], n - len(x), axis=0)])


def ssl_input_moments(wav) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of :func:`ssl_input`'s log-mel over a whole waveform, computed in pieces.

    What per-utterance CMVN divides by, for a file too long to hold its log-mel at once:
    ``ssl_input(piece, moments)`` then normalises every piece the same way. Used by
    ``resynth encode`` on long files; taught in notebook 02b (CMVN) and 07 (long files).

    Example
    -------
    >>> x = np.random.default_rng(0).normal(size=16000 * 5)
    >>> mean, std = ssl_input_moments(x)
    >>> np.allclose(ssl_input(x, (mean, std)), ssl_input(x), atol=1e-3)
    True
    """
    from resynth_lib.core.chunking import framewise_in_chunks
    n = num_frames(wav)
    if n < 1:
        raise ValueError(f"waveform of {len(wav)} samples is shorter than one 20 ms frame")
    total, squares, count = np.zeros(SSL_MELS), np.zeros(SSL_MELS), 0
    last = None

    def accumulate(rows):                  # the first 2 n rows, as ssl_input keeps (edge-padded if short)
        nonlocal total, squares, count, last
        rows = rows[: max(0, 2 * n - count)].astype(np.float64)
        if len(rows):
            total, squares, count, last = total + rows.sum(0), squares + np.square(rows).sum(0), count + len(rows), rows[-1]

    framewise_in_chunks(wav, _ssl_log_mel, HOP // 2, context_seconds=0.1, sink=accumulate)
    if count < 2 * n:
        total, squares, count = total + (2 * n - count) * last, squares + (2 * n - count) * last ** 2, 2 * n
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean ** 2, 0.0))
    return mean.astype(np.float32), std.astype(np.float32)


def ssl_input(wav, moments: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The self-supervised models' input: ``(2 * num_frames, 80)`` log-mel at 100 Hz, per-utterance CMVN.

    ``moments`` (mean, std) replace the utterance's own statistics: a long file cut into
    pieces is normalised with the whole file's (:func:`ssl_input_moments`).

    25 ms windows every 10 ms; the convolutional front end halves the rate to 50 Hz.
    Normalising each utterance removes the overall spectral tilt and level -- a large
    part of what tells speakers apart -- before the model sees it (a choice; the paper's
    models read the raw waveform). Taught in notebook 02b.

    Example
    -------
    >>> ssl_input(np.random.default_rng(0).normal(size=16000)).shape
    (100, 80)
    """
    n = num_frames(wav)
    if n < 1:
        raise ValueError(f"waveform of {len(wav)} samples is shorter than one 20 ms frame")
    feats = _fit_length(_ssl_log_mel(wav), 2 * n)
    if moments is None:
        return cmvn(feats)
    mean, std = moments
    return ((feats - mean) / (std + 1e-5)).astype(np.float32)


def _ssl_log_mel(wav) -> np.ndarray:
    return log_mel(wav, n_fft=400, win_length=400, hop_length=HOP // 2, n_mels=SSL_MELS).T


def mfcc_frames(wav, deltas: bool = False, normalise: bool = False) -> np.ndarray:
    """``(num_frames, 13)`` MFCC on the 50 Hz grid; with ``deltas``, ``(num_frames, 39)``.

    Deltas are the first and second time differences (``np.gradient``), as in HuBERT's
    first-iteration targets; ``normalise`` applies :func:`cmvn`. The MFCC baseline of
    notebooks 02 and 03.

    Example
    -------
    >>> mfcc_frames(np.random.default_rng(0).normal(size=16000), deltas=True).shape
    (50, 39)
    """
    n = num_frames(wav)
    feats = _fit_length(mfcc(wav, hop_length=HOP).T, n)
    if deltas:
        d1 = np.gradient(feats, axis=0) if n > 1 else np.zeros_like(feats)
        d2 = np.gradient(d1, axis=0) if n > 1 else np.zeros_like(feats)
        feats = np.concatenate([feats, d1, d2], axis=1)
    return cmvn(feats) if normalise else feats.astype(np.float32)


def log_mel_frames(wav, n_mels: int = SSL_MELS) -> np.ndarray:
    """``(num_frames, n_mels)`` log-mel on the 50 Hz grid (the second baseline of the probes).

    40 ms windows every 20 ms; the probes of notebook 02b compare it with MFCC and the
    self-supervised layers, and notebook 05's speaker encoder reads it too.

    Example
    -------
    >>> log_mel_frames(np.zeros(8000) + 0.01).shape
    (25, 80)
    """
    feats = log_mel(wav, n_fft=640, win_length=640, hop_length=HOP, n_mels=n_mels).T
    return _fit_length(feats, num_frames(wav)).astype(np.float32)


def frame_table(utterances: Sequence, feature_fn: Callable, phones: Sequence[str] | None = None,
                speakers: Sequence[str] | None = None, progress: bool = False):
    """Stack ``feature_fn(utterance)`` (``(frames, dims)``) over utterances, with labels.

    Returns ``(X, phone_ids, speaker_ids, utterance_index)``; ids index ``phones`` and
    ``speakers`` (default: the sorted labels present). ``feature_fn`` receives the
    :class:`~resynth_lib.data.corpus.Utterance`, so it can use a cache. Taught in notebook 02b.

    >>> from resynth_lib.data.corpus import load_corpus
    >>> utts = load_corpus().utterances(split="valid")[:2]
    >>> X, ph, spk, idx = frame_table(utts, lambda u: mfcc_frames(u.waveform()))
    >>> X.shape[1], len(X) == len(ph) == len(spk) == len(idx)
    (13, True)
    """
    utterances = list(utterances)
    if phones is None:
        phones = sorted({s.phone for u in utterances for s in u.phones})
    if speakers is None:
        speakers = sorted({u.speaker for u in utterances})
    phone_id = {p: i for i, p in enumerate(phones)}
    speaker_id = {s: i for i, s in enumerate(speakers)}
    items = utterances
    if progress:
        from tqdm.auto import tqdm
        items = tqdm(utterances, desc="features", unit="utt")
    X, ph, spk, idx = [], [], [], []
    for i, utt in enumerate(items):
        feats = np.asarray(feature_fn(utt))
        labels = utt.frame_labels(UNIT_RATE, num_frames=len(feats))
        X.append(feats)
        ph.append(np.array([phone_id[p] for p in labels]))
        spk.append(np.full(len(feats), speaker_id[utt.speaker]))
        idx.append(np.full(len(feats), i))
    return (np.concatenate(X).astype(np.float32), np.concatenate(ph), np.concatenate(spk),
            np.concatenate(idx))

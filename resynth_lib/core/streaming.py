"""Long audio read from disk and written to disk piece by piece, so memory does not grow with its length.

``resynth encode`` accepts an hour of audio and ``resynth decode`` writes one. Holding it
whole costs 3.8 MB a minute in float32, and every whole-length temporary costs as much
again. This module keeps only pieces:

* :class:`AudioReader` -- a sound file seen as a 16 kHz mono waveform: ``len()`` and
  slices, each slice read from disk (down-mixed, resampled) when it is asked for, so the
  frame-wise analyses of :mod:`resynth_lib.core.chunking` run on it as on an array;
  :meth:`~AudioReader.check` makes the checks of :func:`~resynth_lib.core.audio.load_audio`
  in one pass over the file;
* :class:`RowQueue` -- a model's output arriving piece by piece, read by forward slices
  (the frame-rate decoder's log-mel feeds its waveform stage through one);
* :func:`write_audio_stream` -- pieces of a waveform written to a file as soon as each is
  final, into a temporary file beside the output that is renamed at the end (removed on an
  error or Ctrl-C, so a failed command leaves no half-written output), with a progress bar
  past :data:`PROGRESS_SECONDS` of audio;
* :func:`return_freed_memory` -- the C allocator told to give large freed blocks back to
  the system, so the peak does not creep up over thousands of pieces.

Taught in notebook 07 (``07_resynthesis_conversion_codec``), "long files".

Example
-------
>>> import tempfile
>>> from pathlib import Path
>>> x = np.sin(np.arange(48000) / 10).astype(np.float32) / 2        # 3 s
>>> with tempfile.TemporaryDirectory() as tmp:
...     n = write_audio_stream(Path(tmp) / "x.wav", (x[i:i + 5000] for i in range(0, len(x), 5000)))
...     reader = AudioReader(Path(tmp) / "x.wav")
...     print(n, len(reader), float(np.abs(reader[1000:1010] - x[1000:1010]).max()) < 1e-4)
48000 48000 True
"""
from __future__ import annotations

import os
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf

from resynth_lib.core.audio import AudioError, _declared_wav_frames, validate_waveform
from resynth_lib.core.rates import SAMPLE_RATE

#: A progress bar is shown when writing more than this many seconds of audio.
PROGRESS_SECONDS = 10.0
#: Source frames :meth:`AudioReader.check` reads at a time (a minute at 16 kHz).
BLOCK = 60 * SAMPLE_RATE


class AudioReader:
    """A sound file as a 16 kHz mono float32 waveform whose slices are read from disk on demand.

    ``len(reader)`` is the number of samples at ``sample_rate``; ``reader[a:b]`` reads just
    the source frames it needs, averages the channels and resamples them (polyphase, with
    enough neighbouring frames that the filter sees what it would in one pass). At 16 kHz
    a slice is exactly the corresponding part of :func:`~resynth_lib.core.audio.load_audio`'s
    array. Opening reads only the header: :class:`~resynth_lib.core.audio.AudioError` if the
    file is missing or unreadable; :meth:`check` looks at every sample. Taught in notebook 07
    (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from resynth_lib.core.audio import load_audio
    >>> stereo = np.random.default_rng(0).uniform(-0.5, 0.5, (44100, 2))       # 1 s at 44.1 kHz
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sf.write(Path(tmp) / "in.wav", stereo, 44100, subtype="FLOAT")
    ...     reader, whole = AudioReader(Path(tmp) / "in.wav").check(), load_audio(Path(tmp) / "in.wav")
    ...     print(len(reader), len(whole), bool(np.allclose(reader[5000:6000], whole[5000:6000], atol=1e-6)))
    16000 16000 True
    """

    def __init__(self, path, sample_rate: int = SAMPLE_RATE):
        self.path = Path(path)
        if not self.path.exists():
            raise AudioError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise AudioError(f"{self.path}: is a folder, not an audio file")
        try:
            info = sf.info(str(self.path))
        except Exception as exc:  # soundfile raises several types
            raise AudioError(f"{self.path}: cannot be read as audio ({exc}); "
                             "convert it to WAV or FLAC, e.g. with `sox in.xxx out.wav`") from exc
        self.rate, self.frames, self.sample_rate = int(info.samplerate), int(info.frames), sample_rate
        g = gcd(self.rate, sample_rate)
        self.up, self.down = sample_rate // g, self.rate // g
        # resample_poly's filter reaches 10 max(up, down) taps at up x the input rate; read past both ends
        self.pad = self.up * -(-max(1024, 20 * max(self.up, self.down) // self.down + 1) // self.up)

    def __len__(self) -> int:
        return -(-self.frames * self.up // self.down)

    @property
    def seconds(self) -> float:
        return self.frames / self.rate

    def _read(self, start: int, stop: int) -> np.ndarray:
        """Source frames ``start..stop``, down-mixed to mono float32."""
        with sf.SoundFile(str(self.path)) as f:
            f.seek(start)
            data = f.read(stop - start, dtype="float32", always_2d=True)
        return data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]

    def __getitem__(self, index: slice) -> np.ndarray:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("an AudioReader is read in slices, e.g. reader[16000:32000]")
        start, stop, _ = index.indices(len(self))
        stop = max(start, stop)
        if self.up == self.down:
            return self._read(start, stop)
        from scipy.signal import resample_poly
        k0, k1 = max(0, start - self.pad) // self.up, -(-min(len(self), stop + self.pad) // self.up)
        source = self._read(k0 * self.down, min(self.frames, k1 * self.down))
        out = resample_poly(source, self.up, self.down).astype(np.float32)
        return out[start - k0 * self.up: stop - k0 * self.up]

    def check(self, allow_silent: bool = False) -> "AudioReader":
        """Read the whole file once, a minute at a time: :class:`~resynth_lib.core.audio.AudioError` if it is
        empty, truncated, holds NaN or infinite samples, or is all silence; else ``self``."""
        if self.frames == 0:
            raise AudioError(f"{self.path}: empty (0 samples)")
        top, bottom, count = -np.inf, np.inf, 0
        for start in range(0, self.frames, BLOCK):
            block = self._read(start, min(self.frames, start + BLOCK))
            if len(block) == 0:
                break
            top, bottom = float(np.maximum(top, block.max())), float(np.minimum(bottom, block.min()))   # NaN stays
            count += len(block)
        declared = _declared_wav_frames(self.path)
        if declared is not None and count < declared:
            raise AudioError(f"{self.path}: truncated: its header declares {declared / self.rate:.2f} s but the file "
                             f"holds {count / self.rate:.2f} s; re-export or re-download it")
        validate_waveform(np.array([top, bottom], np.float32), name=str(self.path), allow_silent=allow_silent)
        return self


class RowQueue:
    """The rows of a long array that arrives in pieces, read by slices that never move back.

    ``pieces`` is an iterator of arrays (rows along the first axis) adding up to ``n_rows``;
    ``queue[a:b]`` pulls pieces until row ``b`` has arrived and forgets the rows before
    ``a``, so only the rows between the last slice's start and the newest piece are held.
    A stage that reads its input in overlapping windows moving forward (the waveform
    stages of notebooks 06c and 06d) can run on a model's output piece by piece through it.
    Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> q = RowQueue((np.arange(i, i + 4) for i in range(0, 12, 4)), 12)
    >>> len(q), q[2:6].tolist(), q[5:9].tolist(), q[9:12].tolist()
    (12, [2, 3, 4, 5], [5, 6, 7, 8], [9, 10, 11])
    """

    def __init__(self, pieces, n_rows: int):
        self._pieces, self._n = iter(pieces), int(n_rows)
        self._base, self._rows = 0, None             # self._rows holds rows self._base, self._base + 1, ...

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: slice) -> np.ndarray:
        start, stop, _ = index.indices(self._n)
        if start < self._base:
            raise IndexError(f"rows before {self._base} are gone: a RowQueue is read forward")
        while self._rows is None or self._base + len(self._rows) < stop:
            piece = np.asarray(next(self._pieces))
            self._rows = piece if self._rows is None else np.concatenate([self._rows, piece])
        self._rows, self._base = self._rows[start - self._base:], start
        return self._rows[:max(0, stop - start)]


def return_freed_memory(threshold: int = 1 << 20) -> bool:
    """Ask the C allocator (glibc) to map every block over ``threshold`` bytes on its own; True if it agreed.

    Streaming frees and allocates tens of megabytes per piece. By default glibc raises its
    mmap threshold after the first large free and serves later large blocks from the heap,
    where the holes they leave are not given back: measured on an hour of audio, the peak of
    ``resynth decode`` crept from 450 to 700 MB over the pieces. With a fixed threshold each
    large block is returned to the system when freed and the peak stays flat (520 MB). The
    ``resynth`` commands call this once at start; elsewhere (macOS, musl) it does nothing
    and returns False. Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> return_freed_memory() in (True, False)
    True
    """
    import ctypes
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(-3, int(threshold)))          # -3: M_MMAP_THRESHOLD (also turns off its dynamic raising)


def write_audio_stream(path, pieces, sample_rate: int = SAMPLE_RATE, seconds: float | None = None,
                       desc: str | None = None) -> int:
    """Write the mono float pieces of one waveform to ``path`` as 16-bit PCM as they come; return the samples written.

    The format comes from the suffix (``.wav``, ``.flac``); samples are clipped to [-1, 1].
    Pieces go into a hidden temporary file in the same folder (``.NAME.partial.wav``),
    renamed to ``path`` once the last one is written (replacing any file there), so a run
    that fails (a NaN piece raises :class:`~resynth_lib.core.audio.AudioError`) or is
    interrupted leaves ``path`` as it was. ``seconds`` (the expected length) and ``desc``
    give a progress bar when longer than :data:`PROGRESS_SECONDS`. Taught in notebook 07
    (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = Path(tmp) / "out.wav"
    ...     try:
    ...         write_audio_stream(out, [np.zeros(160), np.full(160, np.nan)])
    ...     except AudioError as exc:
    ...         print(str(exc).split(": ", 1)[1], sorted(os.listdir(tmp)))
    contains NaN or infinite samples []
    """
    from tqdm.auto import tqdm
    path = Path(path)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    written = 0
    bar = tqdm(total=round(seconds or 0, 1), desc=desc, unit="s", leave=False,
               disable=desc is None or not seconds or seconds <= PROGRESS_SECONDS)
    try:
        with sf.SoundFile(str(partial), "w", sample_rate, 1, subtype="PCM_16") as f:
            for piece in pieces:
                piece = validate_waveform(piece, name=str(path), allow_silent=True) if len(piece) else piece
                f.write(np.clip(piece, -1.0, 1.0))
                written += len(piece)
                bar.update(round(len(piece) / sample_rate, 1))
        os.replace(partial, path)
    except BaseException:                             # an error or Ctrl-C: no half-written output
        partial.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    return written


__all__ = ["PROGRESS_SECONDS", "AudioReader", "RowQueue", "return_freed_memory", "write_audio_stream"]

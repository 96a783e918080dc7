"""Long waveforms analysed in overlapping pieces, so memory does not grow with the length.

``resynth encode`` accepts up to an hour of audio. Its analyses (the F0 tracker, the
content model, the log-mel statistics the content model normalises with) work frame by
frame, so they can run on pieces of :data:`CHUNK_SECONDS` with :data:`CONTEXT_SECONDS` of
neighbouring audio on each side, keeping only each piece's own frames. Taught in notebook 07
(``07_resynthesis_conversion_codec``), "long files".

Example
-------
>>> import numpy as np
>>> frame_means = lambda x: x[: len(x) // 160 * 160].reshape(-1, 160).mean(1)
>>> x = np.random.default_rng(1).standard_normal(16000 * 100)                 # 100 s
>>> np.allclose(framewise_in_chunks(x, frame_means, 160), frame_means(x))
True
"""
from __future__ import annotations

import numpy as np

from resynth_lib.core.rates import SAMPLE_RATE

#: Length of one piece, and of the context analysed on either side of it and then dropped (seconds).
CHUNK_SECONDS, CONTEXT_SECONDS = 30.0, 2.0


def framewise_in_chunks(wav: np.ndarray, analyse, hop: int, chunk_seconds: float = CHUNK_SECONDS,
                        context_seconds: float = CONTEXT_SECONDS, desc: str | None = None, sink=None) -> np.ndarray | None:
    """Run a frame-wise analysis (``analyse(samples)`` -> one row per ``hop`` samples) on a long waveform in pieces.

    Each piece covers ``chunk_seconds`` and is analysed with ``context_seconds`` of the
    neighbouring audio on both sides, whose frames are then dropped, so a recurrent or
    windowed analysis sees what it would in one pass while memory depends on the piece, not
    on the length. Pieces start on frame boundaries, so the frames line up with a single
    pass. A short waveform is analysed in one pass; a longer one (over ``chunk_seconds + 2
    context_seconds``) shows a progress bar when ``desc`` is given. ``wav`` may be anything
    with ``len()`` and slices, such as a :class:`resynth_lib.core.streaming.AudioReader` that
    reads each piece from disk. With ``sink``, each piece's rows are passed to ``sink(rows)``
    in order and nothing is kept (returns ``None``): for statistics of a whole file that must
    not hold all its rows at once. ``resynth encode`` analyses long files with it; taught in
    notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> energy = lambda x: np.square(x[: len(x) // 4 * 4].reshape(-1, 4)).mean(1)     # 4-sample frames
    >>> x = np.random.default_rng(0).standard_normal(1000)
    >>> np.allclose(framewise_in_chunks(x, energy, 4, chunk_seconds=100 / SAMPLE_RATE, context_seconds=0.0),
    ...             energy(x))
    True
    """
    from tqdm.auto import tqdm
    n_frames = len(wav) // hop
    chunk = max(1, int(chunk_seconds * SAMPLE_RATE) // hop)
    context = int(context_seconds * SAMPLE_RATE) // hop
    if n_frames <= chunk + 2 * context:
        rows = analyse(wav[0:len(wav)])                       # a reader's slice is an array
        return rows if sink is None else sink(rows)
    starts = list(range(0, n_frames, chunk))
    pieces = []
    for start in tqdm(starts, desc=desc, unit="piece", disable=desc is None, leave=False):
        lo, last = max(0, start - context), start + chunk >= n_frames
        rows = analyse(wav[lo * hop: len(wav) if last else (start + chunk + context) * hop])
        rows = rows[start - lo:] if last else rows[start - lo: start - lo + chunk]
        if sink is None:
            pieces.append(rows)
        else:
            sink(rows)
    return np.concatenate(pieces) if sink is None else None

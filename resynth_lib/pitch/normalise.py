"""Per-speaker F0 normalisation: take the speaker out of the pitch contour.

A high voice and a low voice can say a sentence with the same melody. To code the melody
without the speaker, the paper normalises each F0 contour by its speaker's statistics, so
that the F0 codes carry *how* something is said and the speaker embedding carries *who*
says it. :func:`f0_stats` measures every speaker's mean and spread of log-F0 over the
voiced frames of the training split (with :func:`resynth_lib.pitch.yin.track_f0`);
:func:`normalise_f0` turns Hz into speaker-normalised values and :func:`denormalise_f0`
turns them back -- into any speaker's range, which is how the F0 codes are decoded for
another voice in notebook 07.
:func:`save_f0_stats` and :func:`load_f0_stats` keep the statistics in
``data/f0_stats.json``, written by ``resynth f0-stats`` (:func:`main`).

Taught in notebook 04 (``04_pitch_tracking``); notebooks 06 and 07 read the shipped
statistics.

Example
-------
>>> from resynth_lib.core.config import DATA_DIR
>>> stats = load_f0_stats(DATA_DIR / "f0_stats.json")
>>> sorted(stats)
['awb', 'kal16', 'rms', 'slt']
>>> z = normalise_f0(np.array([0.0, 180.0]), stats, "slt")      # one unvoiced, one voiced frame
>>> hz = denormalise_f0(z, stats, "awb", voiced=[False, True])  # the same melody, awb's range
>>> float(hz[0]), bool(hz[1] < 180.0)
(0.0, True)
"""
from __future__ import annotations

import datetime
import json
import platform
from pathlib import Path

import numpy as np

from resynth_lib.core.rates import F0_HOP, SAMPLE_RATE
from resynth_lib.pitch.yin import ENERGY_FLOOR, HYSTERESIS, MEDIAN_FRAMES, YIN_FRAME_LENGTH, YIN_THRESHOLD, track_f0


# ---------------------------------------------------------- speaker normalisation
def f0_stats(corpus_or_utterances, split: str | None = "train", tracker=track_f0,
             progress: bool = True) -> dict:
    """Per-speaker F0 statistics over voiced frames: ``{speaker: {mean, std, log_mean, log_std, n_voiced_frames}}``.

    ``mean``/``std`` are in Hz; ``log_mean``/``log_std`` are of natural-log F0, which the
    course uses for normalisation (:func:`normalise_f0` with ``log=True``): pitch is
    perceived on a log scale and a speaker's log-F0 is close to Gaussian. Accepts a
    :class:`~resynth_lib.data.corpus.Corpus` (filtered by ``split``) or a list of utterances.
    Taught in notebook 04; notebooks 06 and 07 use the statistics it produced.

    Example
    -------
    >>> from resynth_lib.data.corpus import load_corpus
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

    The computation behind :func:`f0_stats`, for F0 tracks you already have (notebook 04).

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

    What the F0 VQ-VAE of notebook 04 learns to code: the melody without the speaker's range.

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
    With another speaker's statistics it moves a melody into that speaker's range
    (notebook 04; voice conversion in notebook 07).

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
                  tracker: str = "resynth_lib.pitch.yin.track_f0", tracker_params: dict | None = None) -> Path:
    """Write F0 statistics as JSON with metadata (tracker, its parameters, split, date, machine).

    Refuses to replace an existing file unless ``force=True``. ``resynth f0-stats`` wrote the
    shipped ``data/f0_stats.json`` with it (notebook 04).

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = save_f0_stats(Path(tmp) / "s.json", {"a": {"mean": 1.0}})
    ...     sorted(json.loads(p.read_text())["metadata"])[:3], load_f0_stats(p)
    (['date', 'machine', 'normalisation'], {'a': {'mean': 1.0}})
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

    The shipped ``data/f0_stats.json`` is loaded with it in notebooks 04 and 06.

    Example
    -------
    >>> from resynth_lib.core.config import DATA_DIR
    >>> stats = load_f0_stats(DATA_DIR / "f0_stats.json")
    >>> sorted(stats["slt"])
    ['log_mean', 'log_std', 'mean', 'n_voiced_frames', 'std']
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file; create it with `resynth f0-stats --out {path}`")
    try:
        record = json.loads(path.read_text())
        return record["speakers"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not an F0 statistics file written by save_f0_stats ({exc})") from exc


def main(argv=None) -> int:
    """``resynth f0-stats [--split train] [--out data/f0_stats.json] [--force] [--root DIR]``.

    Tracks F0 over a split of the corpus, prints every speaker's statistics and writes
    them with :func:`save_f0_stats`: how the shipped file of notebook 04 was made.

    Example
    -------
    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("f0-stats",)) is main
    True
    """
    import argparse
    from pathlib import Path

    from resynth_lib.data.corpus import load_corpus
    parser = argparse.ArgumentParser(prog="resynth f0-stats",
                                     description="per-speaker F0 statistics of the corpus with the course tracker")
    parser.add_argument("--split", default="train", choices=["train", "valid", "test"])
    parser.add_argument("--out", default="data/f0_stats.json")
    parser.add_argument("--force", action="store_true", help="replace an existing output file")
    parser.add_argument("--root", default=None, help="corpus directory (default: the shipped corpus)")
    args = parser.parse_args(argv)
    if Path(args.out).exists() and not args.force:
        parser.error(f"{args.out} exists; pass --force to replace it")
    stats = f0_stats(load_corpus(args.root), split=args.split, progress=True)
    save_f0_stats(args.out, stats, force=args.force, split=args.split)
    for speaker, s in stats.items():
        print(f"{speaker}: mean {s['mean']:.1f} Hz, std {s['std']:.1f} Hz, log-F0 {s['log_mean']:.3f} "
              f"+- {s['log_std']:.3f}, {s['n_voiced_frames']} voiced frames")
    print(f"wrote {args.out}")
    return 0

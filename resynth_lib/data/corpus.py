"""The shipped corpus: utterance records, phone alignments and frame-level labels.

Taught in notebook 00 (``00_audio_and_data``); every later notebook loads its data here.

The corpus lives in ``data/corpus/`` (see its README): four flite voices (awb, rms, slt,
kal16) reading the same sentences, 16 kHz mono FLAC, with flite's own phone segmentation
kept as time-aligned labels. Files:

``manifest.tsv``
    one row per utterance: ``utt_id speaker sentence_id split path num_samples
    sample_rate duration sha256 text`` (tab-separated, with a header).
``alignments.tsv``
    ``utt_id<TAB>phone:end phone:end ...`` exactly as ``flite -psdur`` prints it: each
    phone with its *end* time in seconds; the first phone starts at 0.

Example
-------
>>> from resynth_lib.data.corpus import load_corpus
>>> corpus = load_corpus()
>>> utt = corpus.utterances(split="test", speaker="slt")[0]
>>> wav = utt.waveform()                      # float32, 16 kHz, mono
>>> labels = utt.frame_labels(frame_rate=50)  # one phone per 20 ms frame
"""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from resynth_lib.core.audio import load_audio
from resynth_lib.core.config import CORPUS_DIR
from resynth_lib.core.rates import SAMPLE_RATE

#: Where the shipped corpus lives inside the repository.
SPEAKERS = ("awb", "rms", "slt", "kal16")
SPLITS = ("train", "valid", "test")
MANIFEST_COLUMNS = (
    "utt_id", "speaker", "sentence_id", "split", "path",
    "num_samples", "sample_rate", "duration", "sha256", "text",
)
#: The silence label flite uses at the start and end of every utterance.
SILENCE = "pau"


class CorpusError(RuntimeError):
    """A corpus is missing, incomplete or corrupt; the message says what to do (notebook 00).

    Example
    -------
    >>> try:
    ...     load_corpus("no/such/corpus")
    ... except CorpusError as err:
    ...     print(str(err).split(":")[0])
    corpus file no/such/corpus/manifest.tsv is missing
    """


@dataclass(frozen=True)
class PhoneSegment:
    """One phone of an alignment: label and its [start, end) time in seconds (notebook 00).

    Example
    -------
    >>> seg = PhoneSegment("aa", 0.25, 0.31)
    >>> seg.phone, round(seg.end - seg.start, 2)
    ('aa', 0.06)
    """

    phone: str
    start: float
    end: float


@dataclass
class Utterance:
    """One recording with its metadata; the same record for every corpus loader (notebook 00).

    ``phones`` is ``None`` for corpora without alignments (LJSpeech, VCTK).

    Example
    -------
    >>> utt = Utterance("x_1", "x", "hello", Path("x.flac"), 16000, 1.0,
    ...                 phones=[PhoneSegment("pau", 0.0, 0.5), PhoneSegment("hh", 0.5, 1.0)])
    >>> utt.frame_labels(frame_rate=4).tolist()
    ['pau', 'pau', 'hh', 'hh']
    """

    utt_id: str
    speaker: str
    text: str
    path: Path
    num_samples: int
    duration: float
    phones: list[PhoneSegment] | None = None
    split: str | None = None
    sentence_id: str | None = None
    sha256: str | None = None
    corpus: str = "resynth"
    _cache: np.ndarray | None = field(default=None, repr=False, compare=False)

    def waveform(self, cache: bool = False) -> np.ndarray:
        """The audio as 16 kHz mono float32 (resampled / down-mixed if needed)."""
        if self._cache is not None:
            return self._cache
        wav = load_audio(self.path)
        if cache:
            self._cache = wav
        return wav

    def frame_labels(self, frame_rate: float = 50.0, num_frames: int | None = None) -> np.ndarray:
        """The phone at the centre of each frame, for frames at ``frame_rate`` Hz.

        Frame ``i`` covers ``[i / frame_rate, (i + 1) / frame_rate)`` and gets the phone
        whose segment holds its centre ``(i + 0.5) / frame_rate``. By default there are
        ``round(duration * frame_rate)`` frames; pass ``num_frames`` to match a feature
        extractor (frames past the last phone get the last phone, which is silence).
        """
        if self.phones is None:
            raise CorpusError(f"{self.utt_id}: this corpus ({self.corpus}) has no phone alignments")
        return frame_labels(self.phones, frame_rate, num_frames, self.duration)


def parse_psdur(line: str) -> list[PhoneSegment]:
    """Turn flite's ``-psdur`` output (``pau:0.253 dh:0.280 ...``, end times) into segments.

    Each phone starts where the one before it ended; the first starts at 0. This is how
    ``alignments.tsv`` is read (notebook 00).

    Example
    -------
    >>> parse_psdur("pau:0.2 hh:0.25")
    [PhoneSegment(phone='pau', start=0.0, end=0.2), PhoneSegment(phone='hh', start=0.2, end=0.25)]
    """
    segments, start = [], 0.0
    for item in line.split():
        phone, _, end_text = item.rpartition(":")
        if not phone:
            raise ValueError(f"bad alignment item {item!r}: expected phone:end_time")
        end = float(end_text)
        segments.append(PhoneSegment(phone, start, end))
        start = end
    return segments


def format_psdur(segments: Sequence[PhoneSegment]) -> str:
    """The inverse of :func:`parse_psdur`: end times written to the millisecond (notebook 00).

    Example
    -------
    >>> format_psdur([PhoneSegment("pau", 0.0, 0.2), PhoneSegment("hh", 0.2, 0.25)])
    'pau:0.200 hh:0.250'
    """
    return " ".join(f"{s.phone}:{s.end:.3f}" for s in segments)


def frame_labels(segments: Sequence[PhoneSegment], frame_rate: float = 50.0,
                 num_frames: int | None = None, duration: float | None = None) -> np.ndarray:
    """Phone label of every frame at ``frame_rate`` Hz (the phone holding the frame's centre).

    By default there are ``round(duration * frame_rate)`` frames, ``duration`` being the
    last phone's end; frames past the last phone get the last phone. These labels are the
    targets of the phone probes and unit metrics (notebook 00, used again in 02 and 03).

    Example
    -------
    >>> segs = [PhoneSegment("pau", 0.0, 0.03), PhoneSegment("s", 0.03, 0.1)]
    >>> frame_labels(segs, frame_rate=50).tolist()          # 20 ms frames, centres 10, 30, 50, ... ms
    ['pau', 's', 's', 's', 's']
    """
    if not segments:
        raise ValueError("empty alignment")
    if duration is None:
        duration = segments[-1].end
    if num_frames is None:
        num_frames = int(round(duration * frame_rate))
    ends = np.array([s.end for s in segments])
    centres = (np.arange(num_frames) + 0.5) / frame_rate
    index = np.minimum(np.searchsorted(ends, centres, side="right"), len(segments) - 1)
    names = np.array([s.phone for s in segments])
    return names[index]


def sha256_of(path: Path | str) -> str:
    """Hex SHA-256 of a file's bytes (the manifest's checksum) (notebook 00).

    Example
    -------
    >>> utt = load_corpus().utterances(split="test", speaker="slt")[0]
    >>> sha256_of(utt.path) == utt.sha256
    True
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Corpus:
    """A loaded corpus: a list of :class:`Utterance` with filters (notebook 00).

    Index it by position or by utterance id; :meth:`utterances` filters by split, speaker
    and sentence.

    Example
    -------
    >>> corpus = load_corpus()
    >>> sorted(corpus.speakers)
    ['awb', 'kal16', 'rms', 'slt']
    >>> len(corpus.utterances(split="train")) > len(corpus.utterances(split="test"))
    True
    """

    def __init__(self, utterances: Iterable[Utterance], root: Path | None = None, name: str = "resynth"):
        self._utts = list(utterances)
        self.root = root
        self.name = name

    def __len__(self) -> int:
        return len(self._utts)

    def __iter__(self):
        return iter(self._utts)

    def __getitem__(self, key: int | str) -> Utterance:
        if isinstance(key, str):
            for utt in self._utts:
                if utt.utt_id == key:
                    return utt
            raise KeyError(f"no utterance {key!r} in corpus {self.name}")
        return self._utts[key]

    @property
    def speakers(self) -> list[str]:
        return sorted({u.speaker for u in self._utts})

    @property
    def phone_inventory(self) -> list[str]:
        """Every phone label used in the alignments, sorted (silence first)."""
        phones = {s.phone for u in self._utts if u.phones for s in u.phones}
        return sorted(phones, key=lambda p: (p != SILENCE, p))

    def utterances(self, split: str | None = None, speaker: str | Sequence[str] | None = None,
                   sentence_id: str | None = None) -> list[Utterance]:
        """Utterances filtered by split, speaker(s) and/or sentence."""
        if split is not None and split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        speakers = {speaker} if isinstance(speaker, str) else (set(speaker) if speaker else None)
        return [u for u in self._utts
                if (split is None or u.split == split)
                and (speakers is None or u.speaker in speakers)
                and (sentence_id is None or u.sentence_id == sentence_id)]

    def total_duration(self, **filters) -> float:
        """Seconds of audio in the (filtered) corpus."""
        return float(sum(u.duration for u in self.utterances(**filters)))

    def verify(self, progress: bool = False) -> None:
        """Check every file against the manifest's SHA-256; raise :class:`CorpusError` if one differs."""
        items = self._utts
        if progress:
            from tqdm.auto import tqdm
            items = tqdm(items, desc="verifying checksums")
        bad = [u.utt_id for u in items if u.sha256 and sha256_of(u.path) != u.sha256]
        if bad:
            raise CorpusError(f"{len(bad)} file(s) differ from the manifest's checksum, e.g. {bad[:3]}; "
                              "restore data/corpus from git (git checkout -- data/corpus) or rebuild it "
                              "with `resynth corpus build --force`")


def load_corpus(root: Path | str | None = None) -> Corpus:
    """Load the shipped corpus (or one built elsewhere by ``resynth corpus build``).

    Reads ``manifest.tsv`` and ``alignments.tsv`` only; the audio is read when
    :meth:`Utterance.waveform` is called. Taught in notebook 00; every later notebook starts
    its data here.

    Example
    -------
    >>> corpus = load_corpus()
    >>> utt = corpus["slt_s0009"]
    >>> utt.speaker, utt.split, utt.phones[1]
    ('slt', 'test', PhoneSegment(phone='r', start=0.222, end=0.293))
    """
    root = Path(root) if root is not None else CORPUS_DIR
    manifest, alignments = root / "manifest.tsv", root / "alignments.tsv"
    for needed in (manifest, alignments):
        if not needed.is_file():
            raise CorpusError(f"corpus file {needed} is missing: the corpus ships with the repository "
                              "(git checkout -- data/corpus) and can be rebuilt with `resynth corpus build` "
                              "(needs `apt-get install flite`)")
    phones = {}
    with open(alignments, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                utt_id, _, psdur = line.rstrip("\n").partition("\t")
                phones[utt_id] = parse_psdur(psdur)
    utts = []
    with open(manifest, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            utts.append(Utterance(
                utt_id=row["utt_id"], speaker=row["speaker"], text=row["text"],
                path=root / row["path"], num_samples=int(row["num_samples"]),
                duration=float(row["duration"]), phones=phones.get(row["utt_id"]),
                split=row["split"], sentence_id=row["sentence_id"], sha256=row["sha256"],
            ))
    if not utts:
        raise CorpusError(f"{manifest} lists no utterances")
    return Corpus(utts, root=root, name="resynth")


def corpus_stats(root=None) -> dict:
    """Minutes per speaker and split, sentence and phone counts of a corpus (``resynth corpus stats``).

    The same kind of summary as the table of speakers and minutes that notebook 00 builds
    by hand.

    Example
    -------
    >>> stats = corpus_stats()
    >>> sorted(stats["minutes_per_speaker"]) == sorted(SPEAKERS)
    True
    """
    from collections import Counter
    corpus = load_corpus(root)
    return {
        "utterances": len(corpus),
        "sentences": len({u.sentence_id for u in corpus}),
        "minutes_total": corpus.total_duration() / 60,
        "minutes_per_speaker": {s: corpus.total_duration(speaker=s) / 60 for s in corpus.speakers},
        "utterances_per_split": {s: len(corpus.utterances(split=s)) for s in SPLITS},
        "phone_inventory": corpus.phone_inventory,
        "phone_tokens": sum(Counter(seg.phone for u in corpus for seg in u.phones).values()),
    }


def _root_option(prog: str, argv) :
    import argparse
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--root", default=None, help="corpus directory (default: the shipped corpus)")
    return parser.parse_args(argv)


def stats_main(argv=None) -> int:
    """``resynth corpus stats [--root DIR]``: print :func:`corpus_stats` (notebook 00).

    Example
    -------
    >>> stats_main([])      # doctest: +ELLIPSIS
    utterances: ...
    0
    """
    args = _root_option("resynth corpus stats", argv)
    for key, value in corpus_stats(args.root).items():
        print(f"{key}: {value}")
    return 0


def verify_main(argv=None) -> int:
    """``resynth corpus verify [--root DIR]``: every file against the manifest's SHA-256 (exit 1 on a mismatch).

    Run it when the corpus that notebook 00 introduces may have been changed by accident.

    Example
    -------
    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("corpus", "verify")) is verify_main
    True
    """
    args = _root_option("resynth corpus verify", argv)
    corpus = load_corpus(args.root)
    corpus.verify(progress=True)
    print(f"all {len(corpus)} files match the manifest")
    return 0


__all__ = [
    "CORPUS_DIR", "SPEAKERS", "SPLITS", "SILENCE", "MANIFEST_COLUMNS", "CorpusError",
    "PhoneSegment", "Utterance", "Corpus", "load_corpus", "parse_psdur", "format_psdur",
    "frame_labels", "sha256_of", "SAMPLE_RATE",
]

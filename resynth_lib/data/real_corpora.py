"""Loaders for real corpora (LJSpeech, VCTK) returning the same records as the shipped corpus.

Taught in notebook 00 (``00_audio_and_data``): the course runs on its small shipped
corpus, and these loaders let the same commands scale to the paper's corpora on a GPU
machine. Nothing is downloaded: put the data where the error message says.

Example
-------
>>> from resynth_lib.data.real_corpora import load_ljspeech
>>> corpus = load_ljspeech("/data/LJSpeech-1.1")     # doctest: +SKIP
>>> corpus[0].speaker, corpus[0].text[:20]           # doctest: +SKIP
('LJ', 'Printing, in the onl')
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

import soundfile as sf

from resynth_lib.core.rates import SAMPLE_RATE
from resynth_lib.data.corpus import Corpus, CorpusError, Utterance

LJSPEECH_HELP = (
    "Download LJSpeech-1.1 (about 2.6 GB) from https://keithito.com/LJ-Speech-Dataset/ and "
    "extract it so that {root}/metadata.csv and {root}/wavs/LJ001-0001.wav exist, then pass "
    "that folder (or set RESYNTH_LJSPEECH)."
)
VCTK_HELP = (
    "Download VCTK 0.92 (about 11 GB) from https://datashare.ed.ac.uk/handle/10283/3443 and "
    "extract it so that {root}/txt/p225/p225_001.txt and "
    "{root}/wav48_silence_trimmed/p225/p225_001_mic1.flac exist (the older VCTK-Corpus "
    "layout with {root}/wav48/p225/p225_001.wav works too), then pass that folder "
    "(or set RESYNTH_VCTK)."
)


class CorpusNotFoundError(CorpusError, FileNotFoundError):
    """A real corpus is not where it was looked for; the message says how to get it (notebook 00).

    It is both a :class:`~resynth_lib.data.corpus.CorpusError` and a ``FileNotFoundError``.

    Example
    -------
    >>> try:
    ...     load_ljspeech("no/such/folder")
    ... except CorpusNotFoundError as err:
    ...     print(isinstance(err, FileNotFoundError), str(err).split(". ")[0])
    True LJSpeech not found: no/such/folder/metadata.csv does not exist
    """


def _record(utt_id, speaker, text, path: Path, corpus: str) -> Utterance:
    try:
        info = sf.info(str(path))
    except Exception as exc:
        raise CorpusError(f"{path}: cannot be read as audio ({exc})") from exc
    num_samples = int(round(info.frames * SAMPLE_RATE / info.samplerate))
    return Utterance(utt_id=utt_id, speaker=speaker, text=text, path=path, num_samples=num_samples,
                     duration=info.frames / info.samplerate, corpus=corpus)


def _root(root, env: str, name: str, help_text: str) -> Path:
    if root is None:
        root = os.environ.get(env)
    if root is None:
        raise CorpusNotFoundError(f"no {name} folder given and {env} is not set. "
                                  + help_text.format(root="<folder>"))
    return Path(root)


def load_ljspeech(root: str | Path | None = None, limit: int | None = None) -> Corpus:
    """LJSpeech-1.1: ``metadata.csv`` (``id|text|normalised text``) and ``wavs/<id>.wav``.

    One speaker, ``"LJ"``; the record's text is the normalised transcription. No
    alignments and no split (``phones`` and ``split`` are ``None``). ``root`` defaults to
    the ``RESYNTH_LJSPEECH`` environment variable; ``limit`` stops after that many
    utterances. Shown in notebook 00.

    Example
    -------
    A one-utterance stand-in for LJSpeech, written to a temporary folder:

    >>> import tempfile
    >>> import numpy as np
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = Path(tmp)
    ...     (root / "wavs").mkdir()
    ...     sf.write(str(root / "wavs" / "LJ001-0001.wav"), np.zeros(22050), 22050)
    ...     _ = (root / "metadata.csv").write_text("LJ001-0001|In 1450|In fourteen fifty\\n")
    ...     corpus = load_ljspeech(root)
    >>> utt = corpus[0]
    >>> utt.speaker, utt.text, utt.duration, utt.num_samples
    ('LJ', 'In fourteen fifty', 1.0, 16000)
    """
    root = _root(root, "RESYNTH_LJSPEECH", "LJSpeech", LJSPEECH_HELP)
    metadata = root / "metadata.csv"
    if not metadata.is_file():
        raise CorpusNotFoundError(f"LJSpeech not found: {metadata} does not exist. "
                                  + LJSPEECH_HELP.format(root=root))
    utts = []
    with open(metadata, encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="|", quoting=csv.QUOTE_NONE):
            if not row:
                continue
            if len(row) < 2:
                raise CorpusError(f"{metadata}: bad line {'|'.join(row)!r}, expected id|text|normalised text")
            utt_id, text = row[0], (row[2] if len(row) > 2 and row[2] else row[1])
            wav = root / "wavs" / f"{utt_id}.wav"
            if not wav.is_file():
                raise CorpusError(f"{wav} is listed in {metadata} but missing; re-extract LJSpeech. "
                                  + LJSPEECH_HELP.format(root=root))
            utts.append(_record(utt_id, "LJ", text, wav, "ljspeech"))
            if limit and len(utts) >= limit:
                break
    if not utts:
        raise CorpusError(f"{metadata} lists no utterances")
    return Corpus(utts, root=root, name="ljspeech")


def load_vctk(root: str | Path | None = None, mic: str = "mic1", speakers: list[str] | None = None,
              limit: int | None = None) -> Corpus:
    """VCTK: ``txt/<spk>/<spk>_<n>.txt`` with audio in ``wav48_silence_trimmed/<spk>/<spk>_<n>_<mic>.flac``
    (VCTK 0.92) or ``wav48/<spk>/<spk>_<n>.wav`` (VCTK-Corpus 0.80).

    Utterances without a transcript (p315 has none) are skipped, as are transcripts without
    audio. Audio is at 48 kHz on disk; :meth:`Utterance.waveform` returns it at 16 kHz.
    ``root`` defaults to the ``RESYNTH_VCTK`` environment variable. Shown in notebook 00.

    Example
    -------
    A one-utterance stand-in for VCTK 0.92, written to a temporary folder:

    >>> import tempfile
    >>> import numpy as np
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = Path(tmp)
    ...     (root / "txt" / "p225").mkdir(parents=True)
    ...     (root / "wav48_silence_trimmed" / "p225").mkdir(parents=True)
    ...     _ = (root / "txt" / "p225" / "p225_001.txt").write_text("Please call Stella.\\n")
    ...     sf.write(str(root / "wav48_silence_trimmed" / "p225" / "p225_001_mic1.flac"),
    ...              np.zeros(48000), 48000)
    ...     corpus = load_vctk(root)
    >>> utt = corpus[0]
    >>> utt.utt_id, utt.speaker, utt.text, utt.num_samples     # 1 s, counted at 16 kHz
    ('p225_001', 'p225', 'Please call Stella.', 16000)
    """
    root = _root(root, "RESYNTH_VCTK", "VCTK", VCTK_HELP)
    txt_dir = root / "txt"
    new_layout, old_layout = root / "wav48_silence_trimmed", root / "wav48"
    if not txt_dir.is_dir() or not (new_layout.is_dir() or old_layout.is_dir()):
        raise CorpusNotFoundError(f"VCTK not found under {root} (need txt/ and wav48_silence_trimmed/ "
                                  "or wav48/). " + VCTK_HELP.format(root=root))
    utts = []
    speaker_dirs = sorted(p for p in txt_dir.iterdir() if p.is_dir())
    if speakers is not None:
        speaker_dirs = [p for p in speaker_dirs if p.name in set(speakers)]
    for speaker_dir in speaker_dirs:
        speaker = speaker_dir.name
        for txt in sorted(speaker_dir.glob("*.txt")):
            utt_id = txt.stem
            candidates = [new_layout / speaker / f"{utt_id}_{mic}.flac", old_layout / speaker / f"{utt_id}.wav"]
            audio_path = next((p for p in candidates if p.is_file()), None)
            if audio_path is None:
                continue
            text = txt.read_text(encoding="utf-8").strip()
            utts.append(_record(utt_id, speaker, text, audio_path, "vctk"))
            if limit and len(utts) >= limit:
                return Corpus(utts, root=root, name="vctk")
    if not utts:
        raise CorpusError(f"found no VCTK utterance with both a transcript and {mic} audio under {root}. "
                          + VCTK_HELP.format(root=root))
    return Corpus(utts, root=root, name="vctk")


__all__ = ["CorpusNotFoundError", "load_ljspeech", "load_vctk", "LJSPEECH_HELP", "VCTK_HELP"]

"""Build the shipped corpus: four flite voices reading the project's own sentences.

Taught in notebook 00 (``00_audio_and_data``), where we look at how ``data/corpus`` was made.
Building needs the ``flite`` program (``sudo apt-get install flite``); *using* the corpus
needs nothing beyond the pip install, because the result is committed to the repository.

Steps: choose sentences for phonetic coverage (:mod:`resynth_lib.data.sentences`), split them
80/10/10 into train/valid/test *by sentence*, let every voice read every sentence with
``flite -voice V -t TEXT -o tmp.wav -psdur`` (which also prints each phone's end time),
store the audio exactly as flite wrote it as 16 kHz mono 16-bit FLAC, and write the
manifest, the alignments, ``corpus_info.json`` and a README.

Example
-------
A three-sentence corpus chosen from 12 candidates, in a temporary folder (needs ``flite``):

>>> import tempfile
>>> from resynth_lib.data.corpus_build import build_corpus
>>> with tempfile.TemporaryDirectory() as tmp:
...     info = build_corpus(tmp, n_sentences=3, n_candidates=12, progress=False)
>>> info["utterances_per_speaker"]["slt"], info["sentences_per_split"]
(3, {'train': 1, 'valid': 1, 'test': 1})

From the shell: ``python -m resynth_lib.data.corpus_build --out data/corpus [--sentences 220]
[--seed 0] [--force]`` (the same as ``resynth corpus build``).
"""
from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

from resynth_lib.core.rates import SAMPLE_RATE
from resynth_lib.data.corpus import CORPUS_DIR, MANIFEST_COLUMNS, SILENCE, SPEAKERS, SPLITS, parse_psdur, sha256_of
from resynth_lib.data.phonetic_coverage import coverage, require_flite, select_for_coverage
from resynth_lib.data.sentences import generate_candidates

DEFAULT_SENTENCES = 220
DEFAULT_SEED = 0
N_CANDIDATES = 3000
SPLIT_FRACTIONS = {"valid": 0.1, "test": 0.1}  # the rest is train
#: How far flite's last phone end may be from the audio's length (seconds).
MAX_MISMATCH = 0.030
#: Files (and the folder) this builder writes; ``force`` removes only these.
OUTPUTS = ("wavs", "sentences.tsv", "manifest.tsv", "alignments.tsv", "corpus_info.json", "README.md")


def flite_version() -> str:
    """The version line of ``flite --version``, e.g. 'flite-2.2-current Sep 2018 ...'.

    Written into ``corpus_info.json`` and the corpus README, because other flite versions
    may give other audio (notebook 00).

    Example
    -------
    >>> flite_version()                  # needs the `flite` program
    'flite-...'
    """
    out = subprocess.run([require_flite(), "--version"], capture_output=True, text=True).stdout
    lines = [line.strip() for line in out.splitlines() if "version" in line]
    return lines[0].removeprefix("version:").strip() if lines else out.strip()


def split_sentences(sentence_ids: list[str], seed: int) -> dict[str, str]:
    """Assign each sentence to train / valid / test (10% valid, 10% test), reproducibly.

    The split is by sentence, so no test sentence is heard in training, in any voice. The
    ids are sorted before the seeded shuffle, so their order does not matter (notebook 00).

    Example
    -------
    >>> ids = [f"s{i:04d}" for i in range(1, 21)]
    >>> split = split_sentences(ids, seed=0)
    >>> sorted(Counter(split.values()).items())
    [('test', 2), ('train', 16), ('valid', 2)]
    >>> split == split_sentences(ids[::-1], seed=0)
    True
    """
    order = sorted(sentence_ids)
    random.Random(f"split-{seed}").shuffle(order)
    n_test = max(1, round(len(order) * SPLIT_FRACTIONS["test"]))
    n_valid = max(1, round(len(order) * SPLIT_FRACTIONS["valid"]))
    split = {sid: "test" for sid in order[:n_test]}
    split.update({sid: "valid" for sid in order[n_test:n_test + n_valid]})
    split.update({sid: "train" for sid in order[n_test + n_valid:]})
    return split


def fit_alignment(psdur: str, num_samples: int) -> tuple[str, float, bool]:
    """Check flite's ``-psdur`` line against the audio length; returns (line, mismatch, clipped).

    For the clunit voices (awb, rms, slt) the last phone ends within a few ms of the
    audio's end and the line is kept as flite printed it. The diphone voice kal16
    predicts a full final silence but its waveform stops about halfway through it
    (~0.11 s early); then, and only then, the end of that final ``pau`` is clipped to
    the audio's length. Anything else that disagrees by more than ``MAX_MISMATCH`` is
    an error. The alignments kept here are drawn on spectrograms in notebook 00.

    Example
    -------
    >>> fit_alignment("pau:0.2 hh:0.5 pau:1.0", 16000)           # ends with the audio: kept
    ('pau:0.2 hh:0.5 pau:1.0', 0.0, False)
    >>> line, mismatch, clipped = fit_alignment("pau:0.2 hh:0.5 pau:1.1", 16000)
    >>> line, round(mismatch, 3), clipped                         # final silence clipped to 1 s
    ('pau:0.2 hh:0.5 pau:1.000', 0.1, True)
    """
    duration = num_samples / SAMPLE_RATE
    segments = parse_psdur(psdur)
    if not segments or segments[0].phone != SILENCE or segments[-1].phone != SILENCE:
        raise RuntimeError(f"unexpected alignment (should start and end with {SILENCE}): {psdur[:80]}")
    if any(s.end <= s.start for s in segments):
        raise RuntimeError(f"alignment has an empty or backwards segment: {psdur}")
    mismatch = segments[-1].end - duration
    if abs(mismatch) <= MAX_MISMATCH:
        return psdur, mismatch, False
    last_end = math.floor(duration * 1000) / 1000
    if mismatch > 0 and segments[-2].end <= duration + MAX_MISMATCH and last_end > segments[-2].end:
        items = psdur.split()
        items[-1] = f"{SILENCE}:{last_end:.3f}"
        return " ".join(items), mismatch, True
    raise RuntimeError(f"flite's alignment ends at {segments[-1].end:.3f} s but the audio lasts "
                       f"{duration:.3f} s: {psdur}")


def _synthesise(job: tuple[str, str, str, Path, Path]) -> dict:
    """Run flite for one utterance, store it as FLAC, return its manifest fields."""
    speaker, sentence_id, text, flac_path, tmp_dir = job
    utt_id = f"{speaker}_{sentence_id}"
    wav_path = tmp_dir / f"{utt_id}.wav"
    result = subprocess.run(["flite", "-voice", speaker, "-t", text, "-o", str(wav_path), "-psdur"],
                            capture_output=True, text=True)
    if result.returncode != 0 or not wav_path.is_file():
        raise RuntimeError(f"flite failed for {utt_id}: {result.stderr.strip()}")
    info = sf.info(str(wav_path))
    if (info.samplerate, info.channels, info.subtype) != (SAMPLE_RATE, 1, "PCM_16"):
        raise RuntimeError(f"{utt_id}: flite wrote {info.samplerate} Hz, {info.channels} channel(s), "
                           f"{info.subtype}; expected 16000 Hz mono PCM_16")
    audio, _ = sf.read(str(wav_path), dtype="int16")
    wav_path.unlink()
    sf.write(str(flac_path), audio, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    check, _ = sf.read(str(flac_path), dtype="int16")
    assert np.array_equal(check, audio), f"{utt_id}: FLAC did not round-trip"
    psdur, mismatch, clipped = fit_alignment(result.stdout.strip(), len(audio))
    return {"utt_id": utt_id, "speaker": speaker, "sentence_id": sentence_id,
            "path": flac_path, "num_samples": len(audio), "text": text,
            "psdur": psdur, "mismatch": mismatch, "clipped": clipped}


def _write_tsv(path: Path, header: list[str] | None, rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for row in ([header] if header else []) + rows:
            cells = [str(c) for c in row]
            if any("\t" in c or "\n" in c for c in cells):
                raise ValueError(f"tab or newline inside a TSV cell: {cells}")
            handle.write("\t".join(cells) + "\n")


def _prepare_out_dir(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not force:
            raise FileExistsError(f"{out_dir} is not empty; pass --force (build_corpus(..., force=True)) "
                                  "to overwrite the corpus there")
        import shutil
        for name in OUTPUTS:
            target = out_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def build_corpus(out_dir: Path | str = CORPUS_DIR, n_sentences: int = DEFAULT_SENTENCES,
                 seed: int = DEFAULT_SEED, force: bool = False, progress: bool = True,
                 speakers: tuple[str, ...] = SPEAKERS, n_candidates: int = N_CANDIDATES) -> dict:
    """Generate the corpus into ``out_dir`` and return the contents of ``corpus_info.json``.

    Taught in notebook 00 (``00_audio_and_data``). The same arguments always give
    byte-identical files (on the same flite and libsndfile versions).

    Example
    -------
    Three sentences, chosen from 12 candidates, read by the four voices (needs ``flite``):

    >>> import tempfile
    >>> from resynth_lib.data.corpus import load_corpus
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     info = build_corpus(tmp, n_sentences=3, n_candidates=12, progress=False)
    ...     len(load_corpus(tmp))
    12
    """
    require_flite()
    out_dir = Path(out_dir)
    _prepare_out_dir(out_dir, force)

    # 1. sentences, ids in the order the coverage selection picked them, and the split
    candidates = generate_candidates(max(n_candidates, n_sentences), seed)
    chosen = select_for_coverage(candidates, n_sentences)
    sentences = {f"s{i + 1:04d}": text for i, text in enumerate(chosen)}
    split = split_sentences(list(sentences), seed)
    _write_tsv(out_dir / "sentences.tsv", ["sentence_id", "split", "text"],
               [[sid, split[sid], text] for sid, text in sentences.items()])

    # 2. every speaker reads every sentence
    jobs = []
    for speaker in speakers:
        (out_dir / "wavs" / speaker).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="resynth_flite_") as tmp:
        for speaker in speakers:
            for sid, text in sentences.items():
                jobs.append((speaker, sid, text, out_dir / "wavs" / speaker / f"{speaker}_{sid}.flac", Path(tmp)))
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = pool.map(_synthesise, jobs)
            if progress:
                from tqdm.auto import tqdm
                results = tqdm(results, total=len(jobs), desc="flite", unit="utt")
            records = list(results)

    # 3. manifest and alignments (jobs are already in speaker order, then sentence id)
    rows, align_rows = [], []
    for r in records:
        r["sha256"] = sha256_of(r["path"])
        rel = r["path"].relative_to(out_dir).as_posix()
        rows.append([r["utt_id"], r["speaker"], r["sentence_id"], split[r["sentence_id"]], rel,
                     r["num_samples"], SAMPLE_RATE, f"{r['num_samples'] / SAMPLE_RATE:.4f}",
                     r["sha256"], r["text"]])
        align_rows.append([r["utt_id"], r["psdur"]])
    _write_tsv(out_dir / "manifest.tsv", list(MANIFEST_COLUMNS), rows)
    _write_tsv(out_dir / "alignments.tsv", None, align_rows)

    info = _corpus_info(out_dir, records, sentences, split, seed, n_candidates, speakers)
    (out_dir / "corpus_info.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    (out_dir / "README.md").write_text(_readme(info))
    return info


def _corpus_info(out_dir, records, sentences, split, seed, n_candidates, speakers) -> dict:
    phone_seqs = {}
    for r in records:
        phone_seqs.setdefault(r["sentence_id"], set()).add(tuple(s.split(":")[0] for s in r["psdur"].split()))
    same_phones = sum(len(v) == 1 for v in phone_seqs.values())
    phones = Counter(item.rpartition(":")[0] for r in records for item in r["psdur"].split())
    seconds = {spk: sum(r["num_samples"] for r in records if r["speaker"] == spk) / SAMPLE_RATE
               for spk in speakers}
    audio_bytes = sum(r["path"].stat().st_size for r in records)
    table_bytes = sum((out_dir / f).stat().st_size for f in ("sentences.tsv", "manifest.tsv", "alignments.tsv"))
    kal_seqs = [next(iter(sorted(v))) for v in phone_seqs.values()]
    return {
        "flite_version": flite_version(),
        "generator": {"module": "resynth_lib.data.sentences", "seed": seed, "n_candidates": n_candidates,
                      "selection": "greedy phone + diphone coverage"},
        "command": f"python -m resynth_lib.data.corpus_build --out data/corpus --sentences {len(sentences)} --seed {seed}",
        "speakers": list(speakers),
        "sample_rate": SAMPLE_RATE,
        "n_sentences": len(sentences),
        "n_utterances": len(records),
        "sentences_per_split": {s: sum(v == s for v in split.values()) for s in SPLITS},
        "utterances_per_split": {s: sum(split[r["sentence_id"]] == s for r in records) for s in SPLITS},
        "utterances_per_speaker": {spk: sum(r["speaker"] == spk for r in records) for spk in speakers},
        "minutes_per_speaker": {spk: round(sec / 60, 2) for spk, sec in seconds.items()},
        "total_minutes": round(sum(seconds.values()) / 60, 2),
        "mean_utterance_seconds": round(sum(seconds.values()) / len(records), 3),
        "phone_inventory": sorted(phones, key=lambda p: (p != SILENCE, p)),
        "phone_inventory_size": len(phones),
        "phone_counts": dict(sorted(phones.items())),
        "diphone_types": coverage(kal_seqs)["diphones"],
        "sentences_with_same_phones_for_all_speakers": same_phones,
        "alignment_check": {spk: {
            "max_abs_mismatch_s": round(max(abs(r["mismatch"]) for r in records if r["speaker"] == spk), 3),
            "final_pau_clipped": sum(r["clipped"] for r in records if r["speaker"] == spk)}
            for spk in speakers},
        "audio_bytes": audio_bytes,
        "total_bytes": audio_bytes + table_bytes,
    }


def _readme(info: dict) -> str:
    spk_rows = "\n".join(f"| {spk} | {info['utterances_per_speaker'][spk]} | {info['minutes_per_speaker'][spk]:.1f} "
                         f"| {info['alignment_check'][spk]['max_abs_mismatch_s'] * 1000:.0f} ms "
                         f"| {info['alignment_check'][spk]['final_pau_clipped']} |"
                         for spk in info["speakers"])
    n_sent = info["sentences_per_split"]
    n_utt = info["utterances_per_split"]
    return f"""# The resynth corpus

Four synthetic English voices reading the same {info['n_sentences']} sentences: a small,
parallel, phone-aligned corpus for the course *Speech Resynthesis from Scratch*. It is
made entirely by this project's own script from the Debian `flite` voices, so it can be
shipped in the repository and regenerated by anyone.

| | |
|---|---|
| speakers | {', '.join(info['speakers'])} |
| sentences | {info['n_sentences']} (train {n_sent['train']}, valid {n_sent['valid']}, test {n_sent['test']}) |
| utterances | {info['n_utterances']} (train {n_utt['train']}, valid {n_utt['valid']}, test {n_utt['test']}) |
| total audio | {info['total_minutes']:.1f} minutes, {info['mean_utterance_seconds']:.2f} s per utterance on average |
| phones | {info['phone_inventory_size']} labels incl. `pau` (silence); {info['diphone_types']} diphone types |
| size | {info['total_bytes'] / 2**20:.1f} MiB ({info['audio_bytes'] / 2**20:.1f} MiB of FLAC) |
| format | 16 kHz, mono, 16-bit FLAC |
| made with | {info['flite_version']} |

| speaker | utterances | minutes | largest alignment/audio mismatch (raw) | final `pau` clipped |
|---|---|---|---|---|
{spk_rows}

## How it was made

```
sudo apt-get install flite          # only needed to BUILD the corpus
{info['command']} --force
```

(also `resynth corpus build`). `resynth_lib/data/sentences.py` generates {info['generator']['n_candidates']}
candidate sentences from a small hand-written grammar (seed {info['generator']['seed']}): statements,
questions, exclamations and commands of 6-14 words, numbers written as words. It then
greedily picks the sentences that add the most phones and diphones not yet covered (as
flite's kal16 voice pronounces them), preferring about 3 s of speech per sentence.
`resynth_lib/data/corpus_build.py` runs `flite -voice V -t TEXT -o tmp.wav -psdur` for every
voice and sentence and stores the waveform exactly as flite wrote it (no trimming, no
level normalisation) as FLAC. The build is deterministic: the same command gives
byte-identical files.

## Split

By sentence, fixed by the seed: 80% train, 10% valid, 10% test. Every speaker reads every
sentence, so every speaker appears in every split, and no test (or valid) sentence is
ever heard in training.

## Files

- `sentences.tsv`: `sentence_id  split  text` (tab-separated, with a header).
- `manifest.tsv`: one row per utterance, tab-separated with a header:
  `utt_id speaker sentence_id split path num_samples sample_rate duration sha256 text`.
  `utt_id` is `<speaker>_<sentence_id>`, `path` is relative to this folder,
  `duration = num_samples / 16000` (4 decimals), `sha256` is of the FLAC file's bytes.
  Rows are sorted by speaker (awb, rms, slt, kal16), then sentence id.
- `alignments.tsv`: `utt_id<TAB>pau:0.253 dh:0.280 ...`, flite's `-psdur` output: each
  phone with its *end* time in seconds; the first phone starts at 0. Phones are flite's
  US English set (CMU dictionary style, no stress marks).
- `wavs/<speaker>/<utt_id>.flac`: the audio.
- `corpus_info.json`: the numbers above and more (phone counts, alignment checks).

Load it with `resynth_lib.data.corpus.load_corpus()`; check it with `resynth corpus verify`.

## Alignments

The phone times are flite's own segmentation, i.e. the timing flite used to make the
waveform, not a forced alignment of recorded speech. For awb, rms and slt the last phone
ends within a few milliseconds of the end of the audio. kal16 (a diphone voice) predicts
a full final silence but its waveform stops about halfway through it, ~0.11 s early; for
that voice only, the end of the final `pau` is clipped to the length of the audio. All
other times are exactly as flite printed them.

## License

The audio is output of the flite speech synthesiser and its voices (Carnegie Mellon
University). flite and the voices packaged with it are under CMU's permissive, BSD-style
licence: free use, modification and redistribution, provided the copyright notice is
kept, modifications are marked, the authors' names are kept and not used for endorsement
(full text: `/usr/share/doc/libflite1/copyright` in the Debian package). awb, rms and slt
are clunit (unit selection) voices built from the CMU ARCTIC recordings of three real
people (awb a Scottish male, rms an American male, slt an American female; CMU ARCTIC
is under a similar permissive licence); kal16 is a diphone voice (an American male).
Nobody recorded these sentences: they were written by this project's generator and
spoken by the synthesiser. We redistribute the result with this attribution.
"""


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m resynth_lib.data.corpus_build --out data/corpus [--force]``.

    The same as ``resynth corpus build``; returns 0, or 1 with a message when the output
    folder is not empty (without ``--force``) or flite fails. How the shipped corpus was
    made is explained in notebook 00.

    Example
    -------
    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("corpus", "build")) is main
    True
    """
    parser = argparse.ArgumentParser(prog="resynth corpus build",
                                     description="Generate the multi-speaker corpus with flite.")
    parser.add_argument("--out", default=str(CORPUS_DIR), help="output folder (default: data/corpus)")
    parser.add_argument("--sentences", type=int, default=DEFAULT_SENTENCES, help="number of sentences")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the sentence generator and split")
    parser.add_argument("--force", action="store_true", help="overwrite an existing corpus")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        info = build_corpus(args.out, n_sentences=args.sentences, seed=args.seed,
                            force=args.force, progress=not args.quiet)
    except (FileExistsError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {info['n_utterances']} utterances ({info['total_minutes']:.1f} min, "
          f"{info['total_bytes'] / 2**20:.1f} MiB) to {args.out} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

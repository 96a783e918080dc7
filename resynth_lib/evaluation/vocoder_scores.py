"""Measuring a vocoder's resynthesis: F0 errors, speaker accuracy, log-mel distance, speed.

* the speaker classifier is :class:`resynth_lib.speaker.classifier.SpeakerClassifier`:
  d-vectors (notebook 05) of *ground-truth* training audio, one centroid per speaker; a
  waveform goes to the speaker of the nearest centroid;
* :func:`log_mel_distance` -- mean absolute log-mel difference of output and original;
* :func:`resynthesis_scores` -- for held-out utterances: VDE / GPE / FFE between the
  input's and the output's F0 (the course tracker), the classifier's accuracy on the
  output, and the log-mel L1 distance to the original;
* :func:`real_time_factor` -- seconds of audio generated per second of compute, median
  of repeats (``benchmarks/vocoder_speed.py`` runs it on one thread);
* ``resynth evaluate-vocoder`` (:func:`main`) -- the scores of a checkpoint on a split,
  written as JSON beside it.

Taught in notebook 06b (``06b_hifigan_training``).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from resynth_lib.core.audio import log_mel
from resynth_lib.core.rates import HOP, SAMPLE_RATE
from resynth_lib.decoder.hifigan import CHECKPOINT_DIR, synthesise
from resynth_lib.decoder.hifigan_train import prepare_vocoder_data
from resynth_lib.pitch import f0_metrics
from resynth_lib.pitch import yin as pitch
from resynth_lib.speaker.classifier import SpeakerClassifier


def log_mel_distance(reference, generated) -> float:
    """Mean absolute difference of the two waveforms' log-mel spectrograms (the vocoder's mel loss, unweighted).

    Both are cut to the shorter length first. Taught in notebook 06b (``06b_hifigan_training``).

    Example
    -------
    >>> x = np.random.default_rng(0).standard_normal(3200).astype(np.float32) * 0.1
    >>> log_mel_distance(x, x)
    0.0
    >>> log_mel_distance(x, 0.5 * x) > 0            # half as loud: every log-mel bin moves
    True
    """
    n = min(len(reference), len(generated))
    a = log_mel(np.asarray(reference[:n], np.float32))
    b = log_mel(np.asarray(generated[:n], np.float32))
    return float(np.mean(np.abs(a - b)))


def resynthesis_scores(vocoder, utterances, speakers: list[str], classifier: SpeakerClassifier, items=None,
                       progress: bool = True, decode=None) -> dict:
    """Resynthesise each utterance from its codes and score the result against the original.

    ``items`` (from :func:`resynth_lib.decoder.hifigan_train.prepare_vocoder_data`) skips computing
    the codes again; ``decode(item) -> waveform`` replaces :func:`synthesise` (to score
    another system on the same footing). Returns ``{"per_utterance": [...], "summary": {...}}``; the summary
    pools F0 frames over utterances (VDE, GPE, FFE of the output against the input),
    and averages the speaker accuracy and log-mel distance over utterances. The
    ground-truth row beside it: the classifier's accuracy on the original audio
    (``speaker_accuracy_ground_truth``). Taught in notebook 06b (``06b_hifigan_training``).

    Example
    -------
    A stand-in "vocoder" that gives back its input scores perfectly on F0 and log-mel; a
    stand-in classifier that always answers awb is right half the time:

    >>> from types import SimpleNamespace
    >>> from resynth_lib.data.corpus import load_corpus
    >>> utts = [load_corpus().utterances(split="test", speaker=s)[0] for s in ("awb", "slt")]
    >>> items = [{"wav": u.waveform()} for u in utts]     # prepare_vocoder_data adds the codes as well
    >>> always_awb = SimpleNamespace(predict=lambda wav: "awb")
    >>> scores = resynthesis_scores(None, utts, ["awb", "slt"], always_awb, items=items, progress=False,
    ...                             decode=lambda item: item["wav"])
    >>> s = scores["summary"]
    >>> s["ffe"], s["log_mel_l1"], s["speaker_accuracy"], s["speaker_accuracy_ground_truth"]
    (0.0, 0.0, 0.5, 0.5)
    >>> len(scores["per_utterance"]), s["utterances"]
    (2, 2)
    """
    utterances = list(utterances)
    items = items or prepare_vocoder_data(utterances, speakers, progress=False)
    rows, ref_all, est_all = [], [], []
    it = zip(utterances, items)
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(list(it), desc="resynthesis", unit="utt")
    for utt, item in it:
        wav = item["wav"]
        out = synthesise(vocoder, item) if decode is None else np.asarray(decode(item), np.float32)
        ref_f0, est_f0 = pitch.track_f0(wav), pitch.track_f0(out)
        n = min(len(ref_f0), len(est_f0))
        ref_all.append(ref_f0[:n])
        est_all.append(est_f0[:n])
        predicted = classifier.predict(out)
        rows.append({"utt_id": utt.utt_id, "speaker": utt.speaker, "predicted": predicted,
                     "predicted_ground_truth": classifier.predict(wav),
                     "vde": f0_metrics.vde(ref_f0[:n], est_f0[:n]), "ffe": f0_metrics.ffe(ref_f0[:n], est_f0[:n]),
                     "log_mel_l1": log_mel_distance(wav, out)})
    ref, est = np.concatenate(ref_all), np.concatenate(est_all)
    summary = {"utterances": len(rows), "vde": f0_metrics.vde(ref, est), "gpe": f0_metrics.gpe(ref, est),
               "ffe": f0_metrics.ffe(ref, est),
               "speaker_accuracy": float(np.mean([r["speaker"] == r["predicted"] for r in rows])),
               "speaker_accuracy_ground_truth": float(np.mean([r["speaker"] == r["predicted_ground_truth"]
                                                               for r in rows])),
               "log_mel_l1": float(np.mean([r["log_mel_l1"] for r in rows]))}
    return {"per_utterance": rows, "summary": summary}


def real_time_factor(vocoder, seconds: float = 4.0, repeats: int = 5, threads: int | None = 1) -> dict:
    """How many times faster than real time ``vocoder`` decodes random codes of ``seconds`` length.

    Median over ``repeats`` timed runs after one warm-up, on ``threads`` torch threads
    (restored afterwards). Returns ``{"x_real_time": median, "runs_s": [...], "threads": n}``
    and the ``audio_seconds`` decoded per run. Taught in notebook 06b (``06b_hifigan_training``),
    where the course's vocoder width is chosen by speed.

    Example
    -------
    A tiny untrained vocoder on 0.16 s of random codes (timings vary, so only the shape is shown):

    >>> from resynth_lib.decoder.hifigan import Vocoder
    >>> speed = real_time_factor(Vocoder(n_units=10, n_speakers=2, channels=16), seconds=0.16, repeats=2)
    >>> sorted(speed), len(speed["runs_s"]), speed["threads"], speed["audio_seconds"]
    (['audio_seconds', 'runs_s', 'threads', 'x_real_time'], 2, 1, 0.16)
    >>> speed["x_real_time"] > 0
    True
    """
    frames = int(seconds * 50) // 4 * 4
    g = torch.Generator().manual_seed(0)
    cfg = vocoder.config
    units = torch.randint(cfg["n_units"], (1, frames), generator=g)
    f0 = torch.randint(cfg["n_f0_codes"], (1, frames // 4), generator=g)
    spk = torch.zeros(1, dtype=torch.long)
    f0_hz = torch.full((1, 4 * frames), 120.0) if cfg.get("source") else None
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        runs = []
        with torch.no_grad():
            vocoder(units[:, :8], f0[:, :2], spk, None if f0_hz is None else f0_hz[:, :32])
            for _ in range(repeats):
                t0 = time.perf_counter()
                vocoder(units, f0, spk, f0_hz)
                runs.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(before)
    audio_s = frames * HOP / SAMPLE_RATE
    return {"x_real_time": audio_s / float(np.median(runs)), "runs_s": runs, "threads": threads or before,
            "audio_seconds": audio_s}


def main(argv=None) -> int:
    """``resynth evaluate-vocoder [CHECKPOINT] [--split test]``: resynthesis scores, written as JSON.

    Scores the checkpoint on the split with :func:`resynthesis_scores` (speaker centroids
    fitted on the train split) and writes ``<checkpoint>_<split>_scores.json`` beside it.
    Taught in notebook 06b (``06b_hifigan_training``), which shows the shipped scores.

    Example
    -------
    A full run takes minutes; this is how the ``resynth`` command reaches it:

    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("evaluate-vocoder",)) is main
    True
    """
    import argparse

    from resynth_lib.data.corpus import load_corpus
    from resynth_lib.decoder.hifigan import load_vocoder
    parser = argparse.ArgumentParser(prog="resynth evaluate-vocoder", description=main.__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", nargs="?", default=str(CHECKPOINT_DIR / "vocoder.pt"))
    parser.add_argument("--split", default="test", choices=["valid", "test"])
    parser.add_argument("--out", help="JSON file (default: <checkpoint>_<split>_scores.json)")
    parser.add_argument("--force", action="store_true", help="replace an existing output")
    args = parser.parse_args(argv)
    ckpt = Path(args.checkpoint)
    out = Path(args.out) if args.out else ckpt.with_name(f"{ckpt.stem}_{args.split}_scores.json")
    if out.exists() and not args.force:
        parser.error(f"{out} exists; pass --force to replace it")
    vocoder = load_vocoder(ckpt)
    corpus = load_corpus()
    t0 = time.perf_counter()
    record = ckpt.with_suffix(".json")
    source = json.loads(record.read_text()).get("units", "ssl") if record.exists() else "ssl"
    from resynth_lib.content.units import load_quantiser
    from resynth_lib.decoder.hifigan_train import prepare_vocoder_data
    utts = corpus.utterances(split=args.split)          # codes from the units the vocoder was trained on
    items = prepare_vocoder_data(utts, corpus.speakers, load_quantiser(source=source), progress=False)
    classifier = SpeakerClassifier().fit(corpus.utterances(split="train"))
    result = resynthesis_scores(vocoder, utts, corpus.speakers, classifier, items=items)
    result["summary"] |= {"checkpoint": ckpt.name, "split": args.split, "units": source,
                          "seconds": round(time.perf_counter() - t0, 1)}
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["summary"], indent=1))
    print(f"wrote {out}")
    return 0

"""Measuring a vocoder's resynthesis: F0 errors, speaker accuracy, log-mel distance, speed.

* :class:`SpeakerClassifier` -- d-vectors (notebook 05) of *ground-truth* training audio,
  one centroid per speaker; a waveform goes to the speaker of the nearest centroid;
* :func:`resynthesis_scores` -- for held-out utterances: VDE / GPE / FFE between the
  input's and the output's F0 (the course tracker), the classifier's accuracy on the
  output, and the log-mel L1 distance to the original;
* :func:`real_time_factor` -- seconds of audio generated per second of compute, median
  of repeats (``benchmarks/vocoder_speed.py`` runs it on one thread);
* ``resynth evaluate-vocoder`` (:func:`main`) -- the scores of a checkpoint on a split,
  written as JSON beside it.

Taught in notebook 06 (``06_hifigan_vocoder``).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from . import pitch
from .audio import SAMPLE_RATE, log_mel
from .vocoder_train import CHECKPOINT_DIR, prepare_vocoder_data, synthesise


class SpeakerClassifier:
    """Nearest speaker centroid of d-vectors, fitted on ground-truth audio only.

    Example
    -------
    >>> from resynth_lib.data import load_corpus
    >>> from resynth_lib.speaker import DVectorEncoder
    >>> corpus = load_corpus()
    >>> clf = SpeakerClassifier(DVectorEncoder(hidden=16, dim=8)).fit(corpus.utterances(split="train")[::50])
    >>> clf.predict(corpus.utterances(split="test")[0].waveform()) in corpus.speakers
    True
    """

    def __init__(self, encoder=None):
        if encoder is None:
            from .speaker import load_dvector
            encoder = load_dvector()
        self.encoder = encoder
        self.speakers: list[str] = []
        self.centroids = None

    def fit(self, utterances) -> "SpeakerClassifier":
        """One centroid (normalised mean d-vector) per speaker of ``utterances`` (ground truth)."""
        from .speaker import embed_utterances
        utterances = list(utterances)
        emb = embed_utterances(self.encoder, utterances)
        names = np.array([u.speaker for u in utterances])
        self.speakers = sorted(set(names))
        c = np.stack([emb[names == s].mean(0) for s in self.speakers])
        self.centroids = c / np.linalg.norm(c, axis=1, keepdims=True)
        return self

    def scores(self, wav) -> np.ndarray:
        """Cosine of the waveform's d-vector to each speaker centroid."""
        if self.centroids is None:
            raise RuntimeError("call fit(training utterances) first")
        return self.centroids @ self.encoder.embed(wav)

    def embed(self, wav) -> np.ndarray:
        """The waveform's d-vector (the encoder's)."""
        return self.encoder.embed(wav)

    def predict(self, wav) -> str:
        return self.predict_embedding(self.encoder.embed(wav))

    def predict_embedding(self, embedding) -> str:
        """The speaker of the nearest centroid to an embedding already computed."""
        if self.centroids is None:
            raise RuntimeError("call fit(training utterances) first")
        return self.speakers[int(np.argmax(self.centroids @ embedding))]

    def save(self, path, force: bool = False) -> Path:
        """The centroids and speaker names (the encoder is the shipped ``dvector.pt``)."""
        path = Path(path)
        if path.exists() and not force:
            raise FileExistsError(f"{path} exists; pass force=True (--force) to replace it")
        np.savez(path, centroids=self.centroids.astype(np.float32), speakers=np.array(self.speakers))
        return path

    @classmethod
    def load(cls, path, encoder=None) -> "SpeakerClassifier":
        """Centroids written by :meth:`save`, with the shipped d-vector encoder unless one is given."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no speaker centroids; write them with `resynth speaker-centroids`")
        data = np.load(path)
        clf = cls(encoder)
        clf.centroids, clf.speakers = data["centroids"], [str(s) for s in data["speakers"]]
        return clf


def log_mel_distance(reference, generated) -> float:
    """Mean absolute difference of the two waveforms' log-mel spectrograms (the vocoder's mel loss, unweighted).

    >>> x = np.random.default_rng(0).standard_normal(3200).astype(np.float32) * 0.1
    >>> log_mel_distance(x, x)
    0.0
    """
    n = min(len(reference), len(generated))
    a = log_mel(np.asarray(reference[:n], np.float32))
    b = log_mel(np.asarray(generated[:n], np.float32))
    return float(np.mean(np.abs(a - b)))


def resynthesis_scores(vocoder, utterances, speakers: list[str], classifier: SpeakerClassifier, items=None,
                       progress: bool = True, decode=None) -> dict:
    """Resynthesise each utterance from its codes and score the result against the original.

    ``items`` (from :func:`resynth_lib.vocoder_train.prepare_vocoder_data`) skips computing
    the codes again; ``decode(item) -> waveform`` replaces :func:`synthesise` (to score
    another system on the same footing). Returns ``{"per_utterance": [...], "summary": {...}}``; the summary
    pools F0 frames over utterances (VDE, GPE, FFE of the output against the input),
    and averages the speaker accuracy and log-mel distance over utterances. The
    ground-truth row beside it: the classifier's accuracy on the original audio
    (``speaker_accuracy_ground_truth``).
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
                     "vde": pitch.vde(ref_f0[:n], est_f0[:n]), "ffe": pitch.ffe(ref_f0[:n], est_f0[:n]),
                     "log_mel_l1": log_mel_distance(wav, out)})
    ref, est = np.concatenate(ref_all), np.concatenate(est_all)
    summary = {"utterances": len(rows), "vde": pitch.vde(ref, est), "gpe": pitch.gpe(ref, est),
               "ffe": pitch.ffe(ref, est),
               "speaker_accuracy": float(np.mean([r["speaker"] == r["predicted"] for r in rows])),
               "speaker_accuracy_ground_truth": float(np.mean([r["speaker"] == r["predicted_ground_truth"]
                                                               for r in rows])),
               "log_mel_l1": float(np.mean([r["log_mel_l1"] for r in rows]))}
    return {"per_utterance": rows, "summary": summary}


def real_time_factor(vocoder, seconds: float = 4.0, repeats: int = 5, threads: int | None = 1) -> dict:
    """How many times faster than real time ``vocoder`` decodes random codes of ``seconds`` length.

    Median over ``repeats`` timed runs after one warm-up, on ``threads`` torch threads
    (restored afterwards). Returns ``{"x_real_time": median, "runs_s": [...], "threads": n}``.
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
    audio_s = frames * 320 / SAMPLE_RATE
    return {"x_real_time": audio_s / float(np.median(runs)), "runs_s": runs, "threads": threads or before,
            "audio_seconds": audio_s}


def main(argv=None) -> int:
    """``resynth evaluate-vocoder [CHECKPOINT] [--split test]``: resynthesis scores, written as JSON."""
    import argparse

    from .data import load_corpus
    from .vocoder_train import load_vocoder
    parser = argparse.ArgumentParser(prog="resynth evaluate-vocoder", description=main.__doc__)
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
    from .units import load_quantiser
    from .vocoder_train import prepare_vocoder_data
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

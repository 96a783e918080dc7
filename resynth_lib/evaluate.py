"""The paper's evaluation at small scale: Table 1 (resynthesis), Table 2 (conversion), F0 leakage.

Judges trained only on ground-truth audio: the CTC phone recogniser
(:mod:`resynth_lib.phone_recogniser`) for the phone error rate (PER), and the d-vector
centroid classifier (:class:`resynth_lib.vocoder_eval.SpeakerClassifier`) for speaker
accuracy, with the d-vector cosine for verification EER. F0 with the course tracker.

* :func:`resynthesis_table` -- rows: ground truth, then each system (a unit quantiser
  and the vocoder trained on its units); columns: PER, speaker accuracy, EER, VDE, GPE,
  FFE, bitrate;
* :func:`conversion_table` -- every test utterance decoded as every other speaker: PER,
  target-speaker accuracy, EER against real audio of the target;
* :func:`f0_leakage` -- decode with a *flat* F0 stream: how much of the input's melody
  still comes out (correlation of the output's log-F0 with the input's)? If the units
  carried no F0 the answer would be about 0.

Taught in notebook 07 (``07_resynthesis_conversion_codec``).
"""
from __future__ import annotations

import math

import numpy as np

from . import pitch
from .phone_recogniser import edit_distance, phone_sequence
from .speaker import cosine_similarity_matrix, equal_error_rate

#: The course's systems: name -> (unit source, vocoder checkpoint under data/checkpoints).
SYSTEMS = {"SSL units (CPC layer, K=100)": ("ssl", "vocoder.pt"),
           "MFCC units (K=100)": ("mfcc", "vocoder_mfcc.pt")}


def _pooled_f0(pairs) -> dict:
    ref = np.concatenate([r[:min(len(r), len(e))] for r, e in pairs])
    est = np.concatenate([e[:min(len(r), len(e))] for r, e in pairs])
    return {"vde": pitch.vde(ref, est), "gpe": pitch.gpe(ref, est), "ffe": pitch.ffe(ref, est)}


def _eer(embeddings, labels_a, reference_embeddings, labels_b) -> float:
    """EER of cosine trials between two sets (target when the speakers agree)."""
    scores = cosine_similarity_matrix(np.asarray(embeddings), np.asarray(reference_embeddings))
    target = np.asarray(labels_a)[:, None] == np.asarray(labels_b)[None, :]
    return equal_error_rate(scores.ravel(), target.ravel().astype(int))


def score_outputs(outputs, utterances, targets, recogniser, classifier, references) -> dict:
    """PER, accuracy of ``targets``, EER against ``references`` (``(embeddings, speakers)`` of real audio)."""
    errors = sum(edit_distance(recogniser.transcribe(w), phone_sequence(u)) for w, u in zip(outputs, utterances))
    n_ref = sum(len(phone_sequence(u)) for u in utterances)
    embeddings = [classifier.encoder.embed(w) for w in outputs]
    predicted = [classifier.predict_embedding(e) for e in embeddings]
    return {"per": errors / n_ref, "speaker_accuracy": float(np.mean([p == t for p, t in zip(predicted, targets)])),
            "eer": _eer(embeddings, targets, *references)}


def system_bitrate(n_units: int = 100, n_f0_codes: int = 20, n_speakers: int = 4, seconds: float = 3.0) -> float:
    """Units + F0 codes + the speaker sent once per ``seconds`` of speech, in bits per second."""
    return 50 * math.log2(n_units) + 12.5 * math.log2(n_f0_codes) + math.log2(n_speakers) / seconds


def resynthesis_table(utterances, systems: dict, recogniser, classifier, progress: bool = True) -> list[dict]:
    """Table 1: ground truth, then each ``name -> Resynthesiser`` system, on ``utterances``.

    Speaker EER trials pair every output with every *real* utterance of the set (target:
    same speaker), so the ground-truth row's EER is the judge's own floor.
    """
    utterances = list(utterances)
    wavs = [u.waveform() for u in utterances]
    speakers = [u.speaker for u in utterances]
    real_emb = np.stack([classifier.encoder.embed(w) for w in wavs])
    references = (real_emb, speakers)
    real_f0 = [pitch.track_f0(w) for w in wavs]
    rows = [{"system": "ground truth", **score_outputs(wavs, utterances, speakers, recogniser, classifier, references),
             "vde": 0.0, "gpe": 0.0, "ffe": 0.0, "bitrate": 256000.0}]
    for name, r in systems.items():
        it = zip(utterances, wavs)
        if progress:
            from tqdm.auto import tqdm
            it = tqdm(list(it), desc=name, unit="utt")
        outputs, seconds = [], []
        for u, w in it:
            codes = r.encode(w, speaker=u.speaker, name=u.utt_id)
            outputs.append(r.decode(codes))
            seconds.append(codes.seconds)
        row = {"system": name, **score_outputs(outputs, utterances, speakers, recogniser, classifier, references),
               **_pooled_f0([(f, pitch.track_f0(o)) for f, o in zip(real_f0, outputs)]),
               "bitrate": system_bitrate(r.quantiser.n_units, r.f0_model.n_codes, len(r.speakers),
                                         float(np.mean(seconds)))}
        rows.append(row)
    return rows


def conversion_table(utterances, r, recogniser, classifier, progress: bool = True) -> dict:
    """Table 2: each utterance decoded as every other speaker (F0 decoded in the target's range)."""
    utterances = list(utterances)
    wavs = [u.waveform() for u in utterances]
    references = (np.stack([classifier.encoder.embed(w) for w in wavs]), [u.speaker for u in utterances])
    outputs, sources, targets = [], [], []
    it = zip(utterances, wavs)
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(list(it), desc="conversion", unit="utt")
    for u, w in it:
        codes = r.encode(w, speaker=u.speaker, name=u.utt_id)
        for target in r.speakers:
            if target != u.speaker:
                outputs.append(r.decode(codes, speaker=target))
                sources.append(u)
                targets.append(target)
    return {"conversions": len(outputs),
            **score_outputs(outputs, sources, targets, recogniser, classifier, references)}


def f0_leakage(utterances, r) -> dict:
    """Decode with a flat F0 stream and ask how much of the input's melody survives.

    Returns the Pearson correlation between input and output log-F0 on frames voiced in
    both, for the normal decoding (``correlation_normal``) and the flat one
    (``correlation_flat``), and the output's F0 spread in semitones (``spread_*``).
    """
    result = {}
    for mode in ("normal", "flat"):
        xs, ys, spreads = [], [], []
        for u in utterances:
            w = u.waveform()
            out = r.decode(r.encode(w, speaker=u.speaker, name=u.utt_id), f0_flat=(mode == "flat"))
            a, b = pitch.track_f0(w), pitch.track_f0(out)
            n = min(len(a), len(b))
            both = (a[:n] > 0) & (b[:n] > 0)
            xs.append(np.log(a[:n][both]) - np.log(a[:n][both]).mean())
            ys.append(np.log(b[:n][both]) - np.log(b[:n][both]).mean())
            spreads.append(12 * np.std(np.log2(b[:n][both])) if both.any() else 0.0)
        x, y = np.concatenate(xs), np.concatenate(ys)
        result[f"correlation_{mode}"] = float(np.corrcoef(x, y)[0, 1]) if len(x) > 2 else float("nan")
        result[f"spread_{mode}_semitones"] = float(np.mean(spreads))
    return result

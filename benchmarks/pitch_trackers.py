"""Benchmark of F0 trackers on synthetic ground truth (notebook 04, ``04_pitch_tracking``).

Compares the course tracker (:func:`resynth_lib.pitch.yin.track_f0`, YIN from scratch) with
YAAPT (``amfm_decompy``), ``librosa.pyin`` and Praat (``parselmouth``), all on the same
5 ms grid (frame ``t`` at ``t * 0.005`` s): VDE, GPE (20%) and FFE, pooled over all frames
of a set, and speed as the real-time factor (processing time / audio duration; the median
of ``--repeats`` timings of each signal, summed over the set). Two ground-truth sets with
fixed seeds (1000+, disjoint from the seeds 0-19 the course defaults were tuned on):
harmonic glides and speech-like source-filter signals, 3 s each. Then agreement between
trackers on corpus utterances (no ground truth there).

    pip install amfm_decompy praat-parselmouth     # benchmark-only dependencies
    python benchmarks/pitch_trackers.py [--n 20] [--repeats 3] [--out benchmarks/results/pitch_trackers.md]
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from resynth_lib.pitch import f0_metrics, test_signals
from resynth_lib.pitch import yin as P

SR, HOP, FMIN, FMAX = 16000, 80, 50.0, 500.0


def _require():
    try:
        import amfm_decompy  # noqa: F401
        import parselmouth  # noqa: F401
    except ImportError as exc:
        sys.exit(f"missing benchmark dependency ({exc.name}); install with:\n"
                 "    pip install amfm_decompy praat-parselmouth")


def _on_grid(times, values, n_frames):
    """Values at times ``times`` (s) put on the 5 ms grid by nearest frame (0 = unvoiced)."""
    grid = np.arange(n_frames) * HOP / SR
    values = np.nan_to_num(np.asarray(values, dtype=np.float64))
    idx = np.clip(np.searchsorted(times, grid), 1, len(times) - 1)
    left = idx - 1
    nearest = np.where(np.abs(times[left] - grid) <= np.abs(times[idx] - grid), left, idx)
    return values[nearest]


def course_yin(wav):
    return P.track_f0(wav, SR, HOP, FMIN, FMAX)


def yaapt(wav):
    import amfm_decompy.basic_tools as basic
    import amfm_decompy.pYAAPT as pYAAPT
    sig = basic.SignalObj(np.asarray(wav, dtype=np.float64), SR)
    pitch = pYAAPT.yaapt(sig, frame_length=35.0, frame_space=5.0, f0_min=FMIN, f0_max=FMAX)
    # YAAPT frame k is centred on k * frame_space + frame_length / 2 (it does not pad)
    return _on_grid(pitch.frames_pos / SR, pitch.samp_values, 1 + len(wav) // HOP)


def pyin(wav):
    import librosa
    f0, voiced, _ = librosa.pyin(wav, fmin=FMIN, fmax=FMAX, sr=SR, frame_length=1024, hop_length=HOP)
    return np.where(voiced, np.nan_to_num(f0), 0.0)


def praat(wav):
    import parselmouth
    pitch = parselmouth.Sound(np.asarray(wav, dtype=np.float64), SR).to_pitch(
        time_step=HOP / SR, pitch_floor=FMIN, pitch_ceiling=FMAX)
    values = pitch.selected_array["frequency"]                 # 0 = unvoiced
    return _on_grid(pitch.xs(), values, 1 + len(wav) // HOP)


TRACKERS = {"course YIN (track_f0)": course_yin, "YAAPT (amfm_decompy)": yaapt,
            "pYIN (librosa)": pyin, "Praat (parselmouth)": praat}


def ground_truth_sets(n: int):
    sets = {"harmonic glides": [], "speech-like": []}
    for i in range(n):
        seed = 1000 + i
        contour = test_signals.gliding_contour(3.0, fmin=60, fmax=400, seed=seed)
        sets["harmonic glides"].append((contour, test_signals.harmonic_test_signal(contour, seed=seed)))
        sets["speech-like"].append((contour, test_signals.speechlike_test_signal(contour, seed=seed)))
    return sets


def evaluate(sets, repeats: int):
    rows = []
    for set_name, items in sets.items():
        duration = sum(len(w) for _, w in items) / SR
        for name, tracker in TRACKERS.items():
            refs, ests, seconds = [], [], 0.0
            for contour, wav in items:
                times = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    est = tracker(wav)
                    times.append(time.perf_counter() - t0)
                seconds += float(np.median(times))
                refs.append(contour)
                ests.append(est[: len(contour)])
            r, e = np.concatenate(refs), np.concatenate(ests)
            rows.append((set_name, name, f0_metrics.vde(r, e), f0_metrics.gpe(r, e), f0_metrics.ffe(r, e), seconds / duration))
            print(f"  {set_name:16s} {name:24s} VDE {rows[-1][2]:.3f} GPE {rows[-1][3]:.3f} "
                  f"FFE {rows[-1][4]:.3f} RTF {rows[-1][5]:.4f}", flush=True)
    return rows


def corpus_agreement(n_per_speaker: int):
    from resynth_lib.data.corpus import load_corpus
    corpus = load_corpus()
    tracks = {name: [] for name in TRACKERS}
    for speaker in corpus.speakers:
        for utt in corpus.utterances(split="test", speaker=speaker)[:n_per_speaker]:
            wav = utt.waveform()
            n = 1 + len(wav) // HOP
            for name, tracker in TRACKERS.items():
                tracks[name].append(tracker(wav)[:n])
    pooled = {name: np.concatenate(v) for name, v in tracks.items()}
    names = list(TRACKERS)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            rows.append((a, b, f0_metrics.vde(pooled[a], pooled[b]), f0_metrics.gpe(pooled[a], pooled[b]),
                         f0_metrics.ffe(pooled[a], pooled[b])))
    voiced = {name: float(np.mean(v > 0)) for name, v in pooled.items()}
    return rows, voiced


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20, help="signals per ground-truth set")
    parser.add_argument("--repeats", type=int, default=3, help="timings per signal (median taken)")
    parser.add_argument("--corpus-utts", type=int, default=3, help="test utterances per speaker for agreement")
    parser.add_argument("--out", default="benchmarks/results/pitch_trackers.md")
    args = parser.parse_args(argv)
    _require()
    print("ground truth ...", flush=True)
    rows = evaluate(ground_truth_sets(args.n), args.repeats)
    print("corpus agreement ...", flush=True)
    agree, voiced = corpus_agreement(args.corpus_utts)

    lines = [f"# F0 trackers on synthetic ground truth ({datetime.date.today().isoformat()})", "",
             f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} logical cores, Python {platform.python_version()}, numpy {np.__version__}.", "",
             f"{args.n} signals of 3 s per set (seeds 1000-{999 + args.n}, F0 60-400 Hz, glides of up to half an "
             "octave, unvoiced gaps), 5 ms frames. VDE, GPE (20%) and FFE are pooled over all frames of a set. "
             f"RTF = processing time / audio duration (median of {args.repeats} runs per signal; lower is faster), "
             "all measured in the same run on one core.", "",
             "| set | tracker | VDE | GPE | FFE | RTF |", "|---|---|---:|---:|---:|---:|"]
    for set_name, name, v, g, f, rtf in rows:
        lines.append(f"| {set_name} | {name} | {v:.3f} | {g:.3f} | {f:.3f} | {rtf:.4f} |")
    lines.append("")
    for set_name in dict.fromkeys(r[0] for r in rows):
        by = {r[1]: r for r in rows if r[0] == set_name}
        yin, yaapt_row = by["course YIN (track_f0)"], by["YAAPT (amfm_decompy)"]
        lines.append(f"- {set_name}: course YIN is {yaapt_row[5] / yin[5]:.0f}x faster than YAAPT; "
                     f"GPE {yin[3]:.3f} vs YAAPT {yaapt_row[3]:.3f}.")
    lines += ["", f"## Agreement on corpus utterances (no ground truth; {args.corpus_utts} test utterances "
              "per speaker, pooled)", "",
              "Voiced fraction: " + ", ".join(f"{k} {v:.2f}" for k, v in voiced.items()) + ".", "",
              "| tracker A | tracker B | VDE | GPE | FFE |", "|---|---|---:|---:|---:|"]
    for a, b, v, g, f in agree:
        lines.append(f"| {a} | {b} | {v:.3f} | {g:.3f} | {f:.3f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

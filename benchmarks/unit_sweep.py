"""Which unit system keeps the phones?  PNMI, purity and bitrate of unit variants, no phone labels used to fit.

Every variant is fitted (k-means) on the **train** split only and scored on the **test**
split against the corpus alignments. Variants differ in the layer quantised, the number of
clusters K, per-utterance normalisation of the features (removes a voice's constant offset)
and stacking neighbouring frames before clustering (units with context).

    OMP_NUM_THREADS=1 python benchmarks/unit_sweep.py [--quick] [--out benchmarks/results/unit_sweep.md]

Writes a markdown table and a JSON of the same figures (issue 19's table of tries).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from resynth_lib.content.kmeans import KMeans, assign_clusters
from resynth_lib.content.ssl_models import layer_features, load_ssl_model
from resynth_lib.content.unit_metrics import deduplicate, entropy_bitrate, unit_quality
from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.data.corpus import load_corpus
from resynth_lib.data.frames import ssl_input

CACHE = Path("/tmp/unit_sweep_features.npz")


def all_layers(utterances):
    """``{(model, layer name): [features per utterance]}`` and the frame phone labels."""
    models = {name: load_ssl_model(CHECKPOINT_DIR / f"ssl_{name}.pt") for name in ("cpc", "hubert")}
    feats: dict[str, list] = {}
    labels = []
    for u in utterances:
        x = ssl_input(u.waveform())
        n = None
        for name, m in models.items():
            for lname, f in zip(m.layer_names, layer_features(m, x)):
                feats.setdefault(f"{name} {lname}", []).append(f.astype(np.float32))
                n = len(f)
        labels.append(u.frame_labels(num_frames=n))
    return feats, labels


def normalise(f):
    return (f - f.mean(0)) / (f.std(0) + 1e-5)


def stack(f, k):
    if k == 0:
        return f
    padded = np.pad(f, ((k, k), (0, 0)), mode="edge")
    return np.concatenate([padded[i:i + len(f)] for i in range(2 * k + 1)], axis=1)


def transform(fs, norm, ctx):
    return [stack(normalise(f) if norm else f, ctx) for f in fs]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", default="benchmarks/results/unit_sweep.md")
    p.add_argument("--max-frames", type=int, default=60000, help="train frames k-means is fitted on")
    args = p.parse_args(argv)
    corpus = load_corpus()
    splits = {s: corpus.utterances(split=s) for s in ("train", "test")}
    t0 = time.time()
    data = {s: all_layers(us) for s, us in splits.items()}
    print(f"features of every layer: {time.time() - t0:.0f} s", flush=True)
    test_phones = np.concatenate(data["test"][1])
    test_seconds = sum(u.duration for u in splits["test"])
    variants = [("cpc GRU 2", 100, False, 0), ("cpc GRU 2", 100, True, 0), ("cpc GRU 2", 200, True, 0),
                ("cpc GRU 2", 500, True, 0), ("cpc GRU 2", 100, True, 1), ("cpc GRU 2", 200, True, 1),
                ("cpc GRU 2", 500, True, 1), ("cpc GRU 2", 200, True, 2), ("cpc GRU 1", 200, True, 1),
                ("hubert layer 4", 200, True, 1), ("cpc GRU 2", 500, False, 0), ("cpc GRU 2", 1000, True, 1)]
    if args.quick:
        variants = variants[:3]
    rng = np.random.default_rng(0)
    rows = []
    for layer, K, norm, ctx in variants:
        t = time.time()
        train = np.concatenate(transform(data["train"][0][layer], norm, ctx))
        take = rng.choice(len(train), min(args.max_frames, len(train)), replace=False)
        km = KMeans(K, seed=0, max_iter=60).fit(train[take])
        test_units = [assign_clusters(f, km.cluster_centers_)[0] for f in transform(data["test"][0][layer], norm, ctx)]
        q = unit_quality(test_phones, np.concatenate(test_units))
        runs = sum(len(deduplicate(u)[0]) for u in test_units)
        row = {"layer": layer, "K": K, "per-utterance normalised": norm, "context frames": ctx,
               **{k: round(v, 3) for k, v in q.items()},
               "entropy bit/s (run-length)": round(entropy_bitrate(test_units, frame_rate=50.0, deduplicate=True), 1),
               "runs per second": round(runs / test_seconds, 1), "fit seconds": round(time.time() - t, 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    keys = list(rows[0])
    lines = ["# Unit variants: fitted on the train split, scored on the test split", "",
             f"`OMP_NUM_THREADS=1 python benchmarks/unit_sweep.py` (k-means on {args.max_frames} train frames, "
             f"60 Lloyd iterations, seed 0).", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

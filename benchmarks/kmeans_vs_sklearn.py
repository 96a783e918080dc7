"""Benchmark of the course's k-means against scikit-learn's (notebook 03, ``03_discrete_units_kmeans``).

On the course's frame features -- MFCC + deltas with per-utterance CMVN of the train split
(:func:`resynth_lib.data.frames.mfcc_frames`), and, when ``data/checkpoints/content_layer.json``
exists, the course's content layer (chosen in notebook 02) -- for each K
it fits :class:`resynth_lib.content.kmeans.KMeans` and :class:`resynth_lib.content.kmeans.MiniBatchKMeans`
and scikit-learn's ``KMeans`` (``n_init=1``, Lloyd) and ``MiniBatchKMeans``, each from
its own k-means++ seeding with ``seed`` / ``random_state`` = 0, and reports the wall time
(median of ``--repeats`` fits), the iterations and the final inertia on all frames.
Everything runs on one thread (``OMP_NUM_THREADS=1`` etc., set before numpy loads, and
``threadpoolctl`` for scikit-learn), so both sides get the same single core.

    python benchmarks/kmeans_vs_sklearn.py [--k 50 100 200] [--repeats 3] [--max-frames N]
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"                                   # before numpy / torch are imported

import argparse  # noqa: E402
import datetime  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from resynth_lib.content.kmeans import KMeans, MiniBatchKMeans  # noqa: E402
from resynth_lib.core.config import DATA_DIR, machine_info  # noqa: E402
from resynth_lib.data import frames  # noqa: E402

SEED, BATCH = 0, 1024


def _ours(cls, **kw):
    def fit(X, K):
        km = cls(K, seed=SEED, **kw).fit(X)
        return km.inertia_, km.n_iter_
    return fit


def _sklearn(name, **kw):
    from sklearn import cluster  # imported here, not inside the timing

    def fit(X, K):
        km = getattr(cluster, name)(K, random_state=SEED, n_init=1, **kw).fit(X)
        return float(km.inertia_), int(getattr(km, "n_steps_", km.n_iter_))
    return fit


METHODS = {
    "course KMeans (Lloyd, tol 1e-4 on inertia)": _ours(KMeans, max_iter=100),
    "sklearn KMeans (lloyd, default tol)": _sklearn("KMeans", algorithm="lloyd", max_iter=100),
    f"course MiniBatchKMeans (batch {BATCH}, 300 batches)": _ours(MiniBatchKMeans, batch_size=BATCH),
    f"sklearn MiniBatchKMeans (batch {BATCH}, default stopping)": _sklearn("MiniBatchKMeans", batch_size=BATCH),
}


def mfcc_features(utts):
    return frames.frame_table(utts, lambda u: frames.mfcc_frames(u.waveform(cache=True), deltas=True,
                                                                   normalise=True))[0]


def ssl_features(utts):
    """Frames of the course's content layer (``data/checkpoints/content_layer.json``), or ``(None, reason)``."""
    record = DATA_DIR / "checkpoints" / "content_layer.json"
    if not record.exists():
        return None, f"skipped: no {record.relative_to(DATA_DIR.parent)}"
    import torch
    torch.set_num_threads(1)
    from resynth_lib.content import ssl_models as ssl
    model, layer, choice = ssl.load_content_model(record)
    with torch.no_grad():
        X = frames.frame_table(utts, lambda u: ssl.content_features(model, layer, u.waveform(cache=True)))[0]
    return X, f"{choice['kind']} {choice['layer_name']}"


def run(X, ks, repeats):
    from threadpoolctl import threadpool_limits
    rows = []
    with threadpool_limits(1):
        for K in ks:
            for name, fit in METHODS.items():
                times = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    inertia, n_iter = fit(X, K)
                    times.append(time.perf_counter() - t0)
                rows.append((K, name, float(np.median(times)), n_iter, inertia))
                print(f"  K={K:3d} {name:58s} {rows[-1][2]:7.2f} s  iters {n_iter:5d}  inertia {inertia:.6g}",
                      flush=True)
    return rows


def table(rows):
    lines = ["| K | method | time (s) | iterations / steps | inertia | vs sklearn KMeans |",
             "|---:|---|---:|---:|---:|---:|"]
    for K, name, seconds, n_iter, inertia in rows:
        ref = next(r[4] for r in rows if r[0] == K and r[1].startswith("sklearn KMeans"))
        lines.append(f"| {K} | {name} | {seconds:.2f} | {n_iter} | {inertia:.5g} | {inertia / ref - 1:+.2%} |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--repeats", type=int, default=3, help="timings per fit (median taken)")
    parser.add_argument("--max-frames", type=int, default=None,
                        help="random subset of this many frames (default: all frames of the split)")
    parser.add_argument("--split", default="train")
    parser.add_argument("--max-utts", type=int, default=None, help="first N utterances only (a smoke run)")
    parser.add_argument("--no-ssl", action="store_true", help="skip the SSL-feature part")
    parser.add_argument("--out", default="benchmarks/results/kmeans_vs_sklearn.md")
    args = parser.parse_args(argv)
    from resynth_lib.data.corpus import load_corpus
    load = os.getloadavg()[0]
    utts = load_corpus().utterances(split=args.split)[:args.max_utts]
    t0 = time.perf_counter()
    feature_sets = {"MFCC + deltas (39-d, per-utterance CMVN)": mfcc_features(utts)}
    ssl_note = "skipped (--no-ssl)"
    if not args.no_ssl:
        X, ssl_note = ssl_features(utts)
        if X is not None:
            feature_sets[f"SSL: {ssl_note} ({X.shape[1]}-d)"] = X
    print(f"features in {time.perf_counter() - t0:.0f} s; SSL part: {ssl_note}", flush=True)

    rng = np.random.default_rng(SEED)
    sections, started = [], time.perf_counter()
    for name, X in feature_sets.items():
        n_all = len(X)
        if args.max_frames and n_all > args.max_frames:
            X = X[np.sort(rng.choice(n_all, args.max_frames, replace=False))]
        print(f"{name}: {len(X)} of {n_all} frames", flush=True)
        sections.append((name, len(X), n_all, run(np.ascontiguousarray(X), args.k, args.repeats)))
    total = time.perf_counter() - started

    info = machine_info()
    command = "OMP_NUM_THREADS=1 python benchmarks/kmeans_vs_sklearn.py " + " ".join(argv or sys.argv[1:])
    import sklearn
    lines = [f"# k-means: the course's against scikit-learn's ({datetime.date.today().isoformat()})", "",
             f"Machine: {info['platform']}, {info['processor']}, {info['cpu_cores']} cores, Python {info['python']}, "
             f"numpy {np.__version__}, scikit-learn {sklearn.__version__}.", "",
             f"Command: `{command.strip()}` ({total / 60:.1f} min of fitting). Load average when it "
             f"started: {load:.1f} (other jobs shared the machine: absolute times are inflated, the "
             "rows were measured one after another under the same load).", "",
             f"Frames of the {len(utts)} `{args.split}` utterances at 50 Hz. Every fit is single-threaded "
             "(OMP/OpenBLAS/MKL threads = 1 and `threadpoolctl`), seed / `random_state` 0, one k-means++ "
             f"initialisation (`n_init=1`); time = median of {args.repeats} fits (seeding included); inertia = "
             "sum of squared distances of all frames to their centroid (lower is better), last column "
             "relative to scikit-learn's KMeans at the same K. The two KMeans stop differently (ours: "
             "relative fall of the inertia below 1e-4; scikit-learn: centroid shift below 1e-4 x the "
             "mean feature variance), so compare time per iteration as well. Mini-batch rows: ours runs "
             "300 batches; scikit-learn stops early when its smoothed batch inertia stalls (`n_steps_` "
             "batches shown).", "", f"SSL features: {ssl_note}.", ""]
    for name, n, n_all, rows in sections:
        subset = "" if n == n_all else f" (a random subset of {n} of the {n_all} frames)"
        lines += [f"## {name}: {n} frames{subset}", ""] + table(rows) + [""]
        for K in args.k:
            by = {r[1]: r for r in rows if r[0] == K}
            ours, ref = by[next(k for k in by if k.startswith("course KMeans"))], \
                by[next(k for k in by if k.startswith("sklearn KMeans"))]
            capped = " (scikit-learn stopped at its max_iter=100)" if ref[3] >= 100 else ""
            lines.append(f"- K={K}: {ours[3]} iterations (course) vs {ref[3]}{capped}; time / iterations, seeding "
                         f"included: {1000 * ours[2] / max(ours[3], 1):.0f} ms (course) vs "
                         f"{1000 * ref[2] / max(ref[3], 1):.0f} ms (scikit-learn).")
        lines.append("")
    text = "\n".join(lines).rstrip() + "\n"
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

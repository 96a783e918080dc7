"""Speech becomes units: k-means on 50 Hz frames, the course's shipped quantiser.

The paper's content stream is a sequence of integers: each 20 ms frame of a
self-supervised model's chosen layer is replaced by the index of its nearest k-means
centroid (K = 100). Two SSL quantisers ship: K = 100, as in the paper (the HiFi-GAN decoder of
notebook 06 reads it), and K = 500, which keeps more of the phones (PNMI, ABX and the
unit-id recogniser in ``benchmarks/results/unit_study.md``) and which the course's default
frame-rate decoder reads (notebook 07). This module connects :mod:`resynth_lib.content.kmeans`
to the speech features:

* :data:`SOURCES` -- which features to quantise: ``"ssl"`` (the content layer chosen in
  notebook 02b, :func:`resynth_lib.content.ssl_models.load_content_model`) or ``"mfcc"`` (39 MFCC with
  deltas, normalised per utterance -- HuBERT's first-iteration features, the baseline);
* :class:`UnitQuantiser` -- features + centroids: ``units(wav)`` gives the unit sequence;
* :func:`fit_quantiser` -- k-means on the training split; ``resynth train kmeans`` runs it
  and writes ``data/checkpoints/units_<source>_k<K>.npz`` with a JSON record.

Taught in notebook 03 (``03_discrete_units_kmeans``).
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import numpy as np

from resynth_lib.content.kmeans import KMeans, assign_clusters
from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.core.training import TrainingCommand
from resynth_lib.data.frames import mfcc_frames

SOURCES = ("ssl", "mfcc")


def feature_function(source: str) -> Callable:
    """``wav -> (frames, dims)`` features of a source on the 50 Hz grid.

    ``"mfcc"`` gives 39 normalised MFCC with deltas; ``"ssl"`` loads the content model
    and layer chosen in notebook 02b. Notebook 03 quantises both and compares them.

    Example
    -------
    >>> feature_function("mfcc")(np.random.default_rng(0).normal(size=16000)).shape
    (50, 39)
    """
    if source == "mfcc":
        return lambda wav: mfcc_frames(wav, deltas=True, normalise=True)
    if source == "ssl":
        from resynth_lib.content.ssl_models import content_features, load_content_model
        model, layer, _ = load_content_model()
        return lambda wav: content_features(model, layer, wav)
    raise ValueError(f"source must be one of {SOURCES}, got {source!r}")


class UnitQuantiser:
    """Features of one source + k-means centroids: waveform in, unit sequence out.

    The content encoder of the whole pipeline: notebook 03 builds it, and notebooks 05 to
    07 turn speech into units with it. ``record`` keeps how it was fitted.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> q = UnitQuantiser("mfcc", rng.normal(size=(8, 39)))
    >>> units = q.units(rng.normal(size=16000))
    >>> units.shape, int(units.max()) < 8
    ((50,), True)
    """

    def __init__(self, source: str, centroids: np.ndarray, record: dict | None = None):
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
        self.source, self.centroids = source, np.asarray(centroids, dtype=np.float32)
        self.record = record or {}
        self._features = None

    @property
    def n_units(self) -> int:
        return len(self.centroids)

    def features(self, wav) -> np.ndarray:
        if self._features is None:
            self._features = feature_function(self.source)
        return self._features(wav)

    def units(self, wav) -> np.ndarray:
        """Unit index of every 20 ms frame of a 16 kHz waveform."""
        return self.quantise(self.features(wav))

    def quantise(self, features) -> np.ndarray:
        """Unit index of every row of precomputed features."""
        return assign_clusters(np.asarray(features, dtype=np.float32), self.centroids)[0]

    def save(self, path, force: bool = False) -> Path:
        path = Path(path)
        if path.exists() and not force:
            raise FileExistsError(f"{path} exists; pass force=True (--force) to replace it")
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, centroids=self.centroids, source=self.source)
        path.with_suffix(".json").write_text(json.dumps(self.record, indent=2) + "\n")
        return path


def load_quantiser(path=None, source: str = "ssl", n_units: int = 100) -> UnitQuantiser:
    """Load a quantiser written by ``resynth train kmeans`` (default: the shipped one).

    The shipped files are ``data/checkpoints/units_ssl_k100.npz`` and
    ``units_mfcc_k100.npz``; notebooks 03, 05 and 06 load them.

    Example
    -------
    >>> q = load_quantiser(source="mfcc")
    >>> q.source, q.n_units, q.centroids.shape
    ('mfcc', 100, (100, 39))
    """
    path = Path(path) if path is not None else CHECKPOINT_DIR / f"units_{source}_k{n_units}.npz"
    if not path.exists():
        raise FileNotFoundError(f"no unit quantiser at {path}; make one with "
                                f"`resynth train kmeans --source {source} --clusters {n_units}`")
    data = np.load(path)
    record_path = path.with_suffix(".json")
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    return UnitQuantiser(str(data["source"]), data["centroids"], record)


def fit_quantiser(features: list[np.ndarray], source: str, n_units: int = 100, seed: int = 0,
                  max_iter: int = 100) -> UnitQuantiser:
    """k-means (Lloyd, k-means++) on all frames of ``features``; returns the quantiser.

    ``features`` is one ``(frames, dims)`` array per utterance; the record keeps the
    inertia, the iterations and the fitting time. Taught in notebook 03.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> q = fit_quantiser([rng.normal(size=(200, 39))], "mfcc", n_units=5)
    >>> q.n_units, q.record["inertia"] > 0
    (5, True)
    """
    X = np.concatenate(features).astype(np.float32)
    t0 = time.perf_counter()
    km = KMeans(n_units, seed=seed, max_iter=max_iter).fit(X)
    record = {"source": source, "n_units": n_units, "seed": seed, "frames": int(len(X)), "dims": int(X.shape[1]),
              "inertia": float(km.inertia_), "iterations": int(km.n_iter_),
              "fit_seconds": round(time.perf_counter() - t0, 1)}
    return UnitQuantiser(source, km.cluster_centers_, record)


def main(argv=None) -> int:
    """``resynth train kmeans``: fit the unit quantiser on the training split and ship it with a record.

    Writes ``data/checkpoints/units_<source>_k<K>.npz`` and its JSON record: the
    quantisers of notebook 03 were made with it.

    Example
    -------
    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("train", "kmeans")) is main
    True
    """

    from tqdm.auto import tqdm

    from resynth_lib.core.config import machine_info
    from resynth_lib.data.corpus import load_corpus
    parser = TrainingCommand("resynth train kmeans", main.__doc__)
    parser.add_argument("--source", choices=SOURCES, default="ssl")
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--out", default=None, help="default data/checkpoints/units_<source>_k<K>.npz")
    args = parser.parse_args(argv)
    out = Path(args.out or CHECKPOINT_DIR / f"units_{args.source}_k{args.clusters}.npz")
    parser.output(args, out)
    fn = feature_function(args.source)
    utts = load_corpus().utterances(split="train")
    features = [fn(u.waveform()) for u in tqdm(utts, desc=f"{args.source} features", unit="utt")]
    quantiser = fit_quantiser(features, args.source, args.clusters, args.seed)
    quantiser.record |= {"command": "resynth train kmeans " + " ".join(argv if argv is not None else []),
                         "split": "train", "utterances": len(utts), "machine": machine_info()}
    if args.source == "ssl":
        from resynth_lib.content.ssl_models import CHECKPOINT_DIR as SSL_DIR
        quantiser.record["content_layer"] = json.loads((SSL_DIR / "content_layer.json").read_text())["layer_name"]
    quantiser.save(out, force=args.force)
    print(f"wrote {out}: K={args.clusters}, {quantiser.record['frames']} frames, inertia "
          f"{quantiser.record['inertia']:.4g}, {quantiser.record['fit_seconds']} s")
    return 0

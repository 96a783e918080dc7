"""Training the self-supervised speech models: data, HuBERT's first targets, the loop, the command.

The models themselves are in :mod:`resynth_lib.content.ssl_models`; this module trains
them on the corpus. :func:`prepare_ssl_data` computes every training utterance's model
input and its MFCC frames; :func:`kmeans_targets` clusters the MFCC frames into the
targets the HuBERT-style model learns to predict at masked frames (HuBERT's first
iteration); :func:`train_ssl` runs either pretext task on random windows of the
concatenated training stream, with resume files; and :func:`main` is
``resynth train ssl``, which writes the checkpoints shipped in ``data/checkpoints/``.
The trained layers are then probed (:mod:`resynth_lib.content.probe`) and one of them is
quantised into units in notebook 03.

Taught in notebook 02b (``02b_self_supervised_speech``).

Example
-------
Three steps of the CPC-style model on random input, only to show the calls:

>>> rng = np.random.default_rng(0)
>>> inputs = [rng.normal(size=(200, 80)).astype(np.float32)]        # 100 frames at 50 Hz
>>> model, history = train_ssl("cpc", inputs, steps=3, batch_size=2, frames=40, progress=False,
...                            model_args={"dim": 8, "steps": 2}, log_every=1)
>>> history["step"], type(model).__name__
([1, 2, 3], 'CPCModel')
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from resynth_lib.content.ssl_models import CHECKPOINT_DIR, MODELS, save_ssl_model, span_mask, warp_frequency
from resynth_lib.core.training import TrainingCommand, TrainingLoop, cosine_lr, seeded
from resynth_lib.data.frames import mfcc_frames, ssl_input


# ----------------------------------------------------------------- data
def kmeans_targets(mfccs: list[np.ndarray], n_clusters: int = 100, seed: int = 0, max_frames: int = 60000):
    """HuBERT's first-iteration targets: k-means (K = ``n_clusters``) of MFCC+deltas frames.

    Fits :class:`resynth_lib.content.kmeans.KMeans` on at most ``max_frames`` frames drawn at
    random and returns ``(targets per utterance, the fitted KMeans)``. Taught in notebook 02b.

    >>> rng = np.random.default_rng(0)
    >>> targets, km = kmeans_targets([rng.normal(size=(30, 39)), rng.normal(size=(20, 39))], n_clusters=4)
    >>> [len(t) for t in targets], km.cluster_centers_.shape
    ([30, 20], (4, 39))
    """
    from resynth_lib.content.kmeans import KMeans
    stacked = np.concatenate(mfccs)
    rng = np.random.default_rng(seed)
    sample = stacked[rng.choice(len(stacked), min(max_frames, len(stacked)), replace=False)]
    # plain k-means++ (local_trials=1): the targets the shipped HuBERT-style checkpoint was trained on
    km = KMeans(n_clusters, seed=seed, max_iter=100, local_trials=1).fit(sample)
    return [km.predict(m) for m in mfccs], km


def prepare_ssl_data(utterances, progress: bool = False) -> dict:
    """Inputs (:func:`ssl_input`) and MFCC+delta frames (normalised per utterance) of utterances.

    Returns ``{"inputs": [...], "mfcc": [...], "utt_ids": [...]}``, one entry per
    utterance: the inputs are at 100 Hz, the MFCC frames at 50 Hz. Taught in notebook 02b.

    Example
    -------
    >>> from resynth_lib.data.corpus import load_corpus
    >>> data = prepare_ssl_data(load_corpus().utterances(split="valid")[:2])
    >>> data["inputs"][0].shape[0] == 2 * data["mfcc"][0].shape[0]
    True
    """
    items = list(utterances)
    if progress:
        from tqdm.auto import tqdm
        items = tqdm(items, desc="features", unit="utt")
    inputs, mfccs, ids = [], [], []
    for utt in items:
        wav = utt.waveform()
        inputs.append(ssl_input(wav))
        mfccs.append(mfcc_frames(wav, deltas=True, normalise=True))
        ids.append(utt.utt_id)
    return {"inputs": inputs, "mfcc": mfccs, "utt_ids": ids}


def _windows(inputs, targets, batch_size: int, frames: int, rng):
    """A batch of random ``frames``-long windows from the concatenated training stream."""
    stream_x, stream_y = inputs, targets
    starts = rng.integers(0, len(stream_y) - frames, size=batch_size)
    x = np.stack([stream_x[2 * s:2 * (s + frames)] for s in starts])
    y = np.stack([stream_y[s:s + frames] for s in starts])
    return torch.from_numpy(x), torch.from_numpy(y)


# ----------------------------------------------------------------- training
def train_ssl(kind: str, inputs: list[np.ndarray], targets: list[np.ndarray] | None = None, steps: int = 2000,
              batch_size: int = 8, frames: int = 150, lr: float = 1e-3, warmup: int = 200, seed: int = 0,
              model_args: dict | None = None, checkpoint_path=None, checkpoint_every: int = 250,
              resume: bool = False, progress: bool = True, device: str = "cpu", log_every: int = 10,
              stop_at: int | None = None, warp: float = 0.0):
    """Train a :class:`~resynth_lib.content.ssl_models.CPCModel` (``kind="cpc"``) or
    :class:`~resynth_lib.content.ssl_models.HuBERTModel` (``"hubert"``).

    Utterances are concatenated into one stream and batches are random windows of
    ``frames`` 50 Hz frames. AdamW with linear warm-up then cosine decay; gradients
    clipped at 1. Every ``checkpoint_every`` steps model + optimiser + random states go
    to ``checkpoint_path`` (a *resume* file for ``runs/``), and ``resume=True``
    continues from it; ``stop_at`` ends the run early at that step (the learning-rate
    schedule still follows ``steps``), as an interruption would. ``warp > 0`` stretches
    every window's mel axis by a random factor in ``[1 - warp, 1 + warp]``
    (:func:`warp_frequency`) before the model sees it. Returns ``(model, history)``; ``history`` has per-``log_every``
    ``step``, ``loss``, ``accuracy`` and ``seconds``. Taught in notebook 02b.

    >>> rng = np.random.default_rng(0)
    >>> x, y = [rng.normal(size=(400, 80)).astype(np.float32)], [rng.integers(0, 5, 200)]
    >>> model, hist = train_ssl("hubert", x, y, steps=3, batch_size=2, frames=40, progress=False,
    ...                         model_args={"dim": 16, "layers": 1, "heads": 2, "n_targets": 5}, log_every=1)
    >>> len(hist["loss"]), model.training
    (3, False)
    """
    if kind not in MODELS:
        raise ValueError(f"kind must be one of {sorted(MODELS)}, got {kind!r}")
    if kind == "hubert" and targets is None:
        raise ValueError("the HuBERT-style model needs targets (see kmeans_targets)")
    stream_x = np.concatenate(inputs).astype(np.float32)
    n = sum(len(x) // 2 for x in inputs)
    stream_y = (np.concatenate(targets).astype(np.int64) if targets is not None
                else np.zeros(n, dtype=np.int64))
    if len(stream_y) != len(stream_x) // 2:
        raise ValueError(f"{len(stream_y)} targets for {len(stream_x) // 2} frames: each input has two rows per target")
    if len(stream_y) <= frames:
        raise ValueError(f"only {len(stream_y)} frames of training data; need more than frames={frames}")
    model_args = dict(model_args or {})
    with seeded(seed):
        model = MODELS[kind](**model_args).to(device)
        optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        rng = np.random.default_rng(seed)
        loop = TrainingLoop(f"{kind} pretext task", steps, {"model": model, "optimiser": optimiser}, rng,
                            history={"step": [], "loss": [], "accuracy": [], "seconds": 0.0},
                            checkpoint_path=checkpoint_path, checkpoint_every=checkpoint_every, resume=resume,
                            log_every=log_every, progress=progress, stop_at=stop_at, device=device)

        def step_fn(step):
            x, y = _windows(stream_x, stream_y, batch_size, frames, rng)
            if warp > 0:
                x = warp_frequency(x, torch.from_numpy(rng.uniform(1 - warp, 1 + warp, batch_size)))
            mask = torch.from_numpy(span_mask(batch_size, frames, rng=rng)) if kind == "hubert" else None
            out = model.loss(x.to(device), y.to(device), None if mask is None else mask.to(device))
            optimiser.zero_grad()
            out["loss"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            return {"loss": out["loss"].item(), "accuracy": out["accuracy"].item()}

        model.train()
        history = loop.run(step_fn, cosine_lr(lr, steps, warmup=warmup), [optimiser])
    model.eval()
    return model.cpu(), history


def main(argv=None) -> int:
    """``resynth train ssl``: fit the targets (HuBERT), train, write checkpoint + record.

    Trains on the corpus's training split and writes ``data/checkpoints/ssl_<kind>.pt``
    with its JSON record; ``--resume`` continues an interrupted run. The shipped models
    of notebook 02b were made with it.

    Example
    -------
    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("train", "ssl")) is main
    True
    """

    from resynth_lib.core.config import machine_info
    from resynth_lib.data.corpus import load_corpus
    parser = TrainingCommand("resynth train ssl", main.__doc__)
    parser.add_argument("--kind", choices=sorted(MODELS), default="hubert")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--attention-window", type=int, default=None, help="frames each frame may attend to")
    parser.add_argument("--warp", type=float, default=0.0, help="random mel-axis stretch, e.g. 0.15")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=None, help="default data/checkpoints/ssl_<kind>.pt")
    parser.add_argument("--resume", action="store_true", help="continue from runs/ssl_<kind>_resume.pt")
    args = parser.parse_args(argv)
    out = Path(args.out or CHECKPOINT_DIR / f"ssl_{args.kind}.pt")
    parser.output(args, out)
    data = prepare_ssl_data(load_corpus().utterances(split="train"), progress=True)
    targets, model_args = None, {"dim": args.dim}
    if args.kind == "hubert":
        targets, _ = kmeans_targets(data["mfcc"], args.clusters, seed=args.seed)
        model_args |= {"layers": args.layers, "n_targets": args.clusters, "attention_window": args.attention_window}
    resume_file = Path("runs") / f"{out.stem}_resume.pt"
    model, history = train_ssl(args.kind, data["inputs"], targets, steps=args.steps, batch_size=args.batch_size,
                               frames=args.frames, lr=args.lr, seed=args.seed, model_args=model_args,
                               checkpoint_path=resume_file, resume=args.resume, device=args.device, warp=args.warp)
    record = {"command": "resynth train ssl " + " ".join(argv if argv is not None else []),
              "kind": args.kind, "seed": args.seed, "steps": args.steps, "batch_size": args.batch_size,
              "frames": args.frames, "lr": args.lr, "warp": args.warp, "model_args": model_args,
              "train_utterances": len(data["inputs"]), "wall_seconds": round(history["seconds"], 1),
              "final_loss": history["loss"][-1], "final_accuracy": history["accuracy"][-1],
              "loss_curve": {"step": history["step"][::10], "loss": history["loss"][::10],
                             "accuracy": history["accuracy"][::10]},
              "machine": machine_info()}
    save_ssl_model(model, out, record, force=args.force)
    print(f"wrote {out} ({history['seconds']:.0f} s of training; final loss {history['loss'][-1]:.3f})")
    return 0

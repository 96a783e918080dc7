"""Training the frame-rate acoustic model: data, the loop (L1 on log-mel + voicing cross-entropy), the command.

* :func:`acoustic_data` -- each utterance's codes (:func:`resynth_lib.decoder.codes.utterance_codes`)
  with its targets: log-mel at hop 320 and 5 ms voicing;
* :func:`train_acoustic` -- AdamW on random windows, a cosine learning-rate schedule,
  validation curve, resume from ``checkpoint_path``;
* :func:`validation_scores` -- log-mel L1 and voicing frame accuracy on whole utterances;
* ``resynth train acoustic`` -- the command (:func:`main`).

Taught in notebook 06c (``06c_frame_rate_decoder``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.core.rates import F0_FRAMES_PER_UNIT, UNITS_PER_F0_CODE
from resynth_lib.core.training import TrainingCommand, TrainingLoop, cosine_lr, seeded
from resynth_lib.decoder.acoustic import AcousticModel, mel_target, predict, voicing_target

VOICING_WEIGHT = 0.2     #: weight of the voicing cross-entropy beside the mel L1


def acoustic_data(utterances, speakers: list[str], quantiser=None, progress: bool = True) -> list[dict]:
    """Codes of each utterance (shipped models by default) plus ``mel (T, 80)`` and ``voiced (T, 4)`` targets.

    The codes are those of :func:`resynth_lib.decoder.hifigan_train.prepare_vocoder_data`;
    the targets come from :func:`~resynth_lib.decoder.acoustic.mel_target` and
    :func:`~resynth_lib.decoder.acoustic.voicing_target` (notebook 06c).

    >>> from resynth_lib.data.corpus import load_corpus
    >>> c = load_corpus()
    >>> d = acoustic_data(c.utterances(split="valid")[:1], c.speakers, progress=False)[0]
    >>> d["mel"].shape == (len(d["units"]), 80), d["voiced"].shape == (len(d["units"]), 4)
    (True, True)
    """
    from resynth_lib.decoder.hifigan_train import prepare_vocoder_data
    data = prepare_vocoder_data(utterances, speakers, quantiser, progress=progress)
    for d in data:
        T = len(d["units"])
        d["mel"] = mel_target(d["wav"], T)
        d["voiced"] = voicing_target(d["f0_track"], T)
    return data


def _windows(data: list[dict], batch_size: int, frames: int, rng) -> tuple:
    """Random ``frames``-long windows on F0-code boundaries (whole utterances if shorter: padded by repetition)."""
    units, f0c, spk, f0hz, mel, voiced = [], [], [], [], [], []
    for i in rng.integers(len(data), size=batch_size):
        d = data[i]
        T = len(d["units"])
        reps = -(-frames // T)
        if reps > 1:   # short utterance: tile it (rare in the corpus, but keeps batches rectangular)
            d = {k: (np.concatenate([d[k]] * reps) if k in ("units", "f0_hz", "mel", "voiced") else d[k])
                 for k in d}
            d["f0_codes"] = np.repeat(np.asarray(d["f0_codes"]), 1)
            T = len(d["units"])
        start = UNITS_PER_F0_CODE * rng.integers((T - frames) // UNITS_PER_F0_CODE + 1)
        codes = np.asarray(d["f0_codes"])
        need = frames // UNITS_PER_F0_CODE
        c = codes[start // UNITS_PER_F0_CODE:start // UNITS_PER_F0_CODE + need]
        c = np.concatenate([c, np.repeat(c[-1:], need - len(c))])
        units.append(d["units"][start:start + frames])
        f0c.append(c)
        spk.append(d["speaker"])
        f0hz.append(d["f0_hz"][F0_FRAMES_PER_UNIT * start:F0_FRAMES_PER_UNIT * (start + frames)])
        mel.append(d["mel"][start:start + frames])
        voiced.append(d["voiced"][start:start + frames])
    as_t = lambda xs, dt=None: torch.from_numpy(np.stack(xs) if dt is None else np.stack(xs).astype(dt))  # noqa: E731
    return (as_t(units, np.int64), as_t(f0c, np.int64), torch.tensor(spk), as_t(f0hz, np.float32),
            as_t(mel, np.float32), as_t(voiced, np.float32))


def corrupt_units(units: torch.Tensor, rate: float, n_units: int, generator=None) -> torch.Tensor:
    """A copy of ``units`` in which a fraction ``rate`` of the ids is replaced by random ids.

    Training-time augmentation (notebook 06c): k-means makes errors, and on unseen
    sentences the unit sequence is never one the model saw; replacing some ids makes the
    model read each frame from its neighbours too instead of memorising sequences.

    Example
    -------
    >>> g = torch.Generator().manual_seed(0)
    >>> u = torch.zeros(1, 1000, dtype=torch.long)
    >>> round(float((corrupt_units(u, 0.2, 500, g) != 0).float().mean()), 1)
    0.2
    """
    if rate <= 0:
        return units
    hit = torch.rand(units.shape, generator=generator) < rate
    return torch.where(hit, torch.randint(0, n_units, units.shape, generator=generator), units)


def standardised_centroids(n_units: int = 500) -> np.ndarray:
    """The shipped ``units_ssl_k<n_units>.npz`` centroids, standardised per dimension by the centroids' own mean and spread.

    What ``resynth train acoustic --unit-init centroids`` feeds a
    :class:`~resynth_lib.decoder.acoustic.CentroidEmbedding` (notebook 06c).

    >>> c = standardised_centroids(100)
    >>> c.shape, bool(abs(c.mean()) < 1e-4)
    ((100, 128), True)
    """
    from resynth_lib.content.units import load_quantiser
    c = load_quantiser(source="ssl", n_units=n_units).centroids
    return ((c - c.mean(0)) / (c.std(0) + 1e-5)).astype(np.float32)


def acoustic_loss(model: AcousticModel, batch) -> dict:
    """``{"mel": L1 of log-mel, "voicing": BCE of the 5 ms decisions, "total": mel + 0.2 voicing}``.

    ``batch`` is ``(units, f0_codes, speakers, f0_hz, mel, voiced)`` as the training loop
    cuts it: shapes ``(B, T)``, ``(B, T / 4)``, ``(B,)``, ``(B, 4 T)``, ``(B, T, 80)`` and
    ``(B, T, 4)``. The voicing term is binary cross-entropy on the model's logits.
    Taught in notebook 06c (``06c_frame_rate_decoder``).

    Example
    -------
    >>> _ = torch.manual_seed(0)
    >>> m = AcousticModel(n_units=10, n_speakers=1, channels=16, hidden=8)
    >>> batch = (torch.zeros(2, 8, dtype=torch.long), torch.zeros(2, 2, dtype=torch.long),
    ...          torch.zeros(2, dtype=torch.long), torch.full((2, 32), 120.0), torch.zeros(2, 8, 80),
    ...          torch.ones(2, 8, 4))
    >>> terms = acoustic_loss(m, batch)
    >>> sorted(terms), bool(torch.isclose(terms["total"], terms["mel"] + 0.2 * terms["voicing"]))
    (['mel', 'total', 'voicing'], True)
    """
    units, f0c, spk, f0hz, mel, voiced = batch
    pred_mel, logits = model(units, f0c, spk, f0hz)
    l_mel = torch.nn.functional.l1_loss(pred_mel, mel)
    l_voi = torch.nn.functional.binary_cross_entropy_with_logits(logits, voiced)
    return {"mel": l_mel, "voicing": l_voi, "total": l_mel + VOICING_WEIGHT * l_voi}


def validation_scores(model: AcousticModel, data: list[dict]) -> dict:
    """Mean log-mel L1 and voicing frame accuracy (5 ms frames) of whole utterances.

    Each item is run through :func:`~resynth_lib.decoder.acoustic.predict`; a frame counts
    as voiced when its probability is above 0.5. Taught in notebook 06c
    (``06c_frame_rate_decoder``).

    >>> m = AcousticModel(n_units=100, n_speakers=1, channels=16, hidden=8)
    >>> d = {"units": np.zeros(8, int), "f0_codes": np.zeros(2, int), "speaker": 0, "f0_hz": np.full(32, 100.0),
    ...      "mel": np.zeros((8, 80), np.float32), "voiced": np.ones((8, 4), bool)}
    >>> sorted(validation_scores(m, [d]))
    ['mel_l1', 'voicing_accuracy']
    """
    l1, correct, total = [], 0, 0
    for d in data:
        mel, prob = predict(model, d["units"], d["f0_codes"], d["speaker"], d["f0_hz"])
        l1.append(float(np.abs(mel - d["mel"]).mean()))
        truth = np.asarray(d["voiced"]).reshape(-1)
        correct += int(((prob > 0.5) == truth).sum())
        total += len(truth)
    return {"mel_l1": float(np.mean(l1)), "voicing_accuracy": correct / max(total, 1)}


def train_acoustic(data: list[dict], valid: list[dict] | None = None, steps: int = 3000, batch_size: int = 16,
                   frames: int = 128, lr: float = 1e-3, seed: int = 0, n_speakers: int = 4, model_kw: dict | None = None,
                   checkpoint_path=None, checkpoint_every: int = 250, resume: bool = False, valid_every: int = 250,
                   progress: bool = True, device: str = "cpu", log_every: int = 25, unit_noise: float = 0.0):
    """Train an :class:`~resynth_lib.decoder.acoustic.AcousticModel`; returns ``(model, history)``.

    Cosine learning-rate decay from ``lr`` to ``lr / 20`` over ``steps``; gradients clipped
    at norm 1. ``history`` has the training loss every ``log_every`` steps and the
    validation scores every ``valid_every`` steps. ``unit_noise`` replaces that fraction of
    the training windows' unit ids by random ones (:func:`corrupt_units`). Resume files (models, optimiser, random
    states, history) are written every ``checkpoint_every`` steps. Taught in notebook 06c.

    >>> rng = np.random.default_rng(0)
    >>> data = [{"units": rng.integers(0, 10, 40), "f0_codes": rng.integers(0, 20, 10), "speaker": 0,
    ...          "f0_hz": np.full(160, 120.0), "mel": rng.standard_normal((40, 80)).astype(np.float32),
    ...          "voiced": rng.random((40, 4)) > 0.5}]
    >>> model, hist = train_acoustic(data, steps=3, batch_size=2, frames=16, n_speakers=1, progress=False,
    ...                              model_kw={"channels": 16, "hidden": 8}, log_every=1)
    >>> len(hist["mel"]), hist["step"][-1]
    (3, 3)
    """
    n_units = (model_kw or {}).get("n_units") or max(100, int(max(d["units"].max() for d in data)) + 1)
    model_kw = {k: v for k, v in (model_kw or {}).items() if k != "n_units"}
    with seeded(seed):
        model = AcousticModel(n_units=n_units, n_speakers=n_speakers, **(model_kw or {})).to(device)
        opt = torch.optim.AdamW(model.parameters(), lr, weight_decay=1e-4)
        rng = np.random.default_rng(seed)
        noise_gen = torch.Generator().manual_seed(seed)
        history = {"step": [], "mel": [], "voicing": [], "valid_step": [], "valid_mel_l1": [],
                   "valid_voicing_accuracy": [], "seconds": 0.0}
        loop = TrainingLoop("acoustic model", steps, {"model": model, "opt": opt}, rng, history=history,
                            checkpoint_path=checkpoint_path, checkpoint_every=checkpoint_every, resume=resume,
                            log_every=log_every, progress=progress, device=device)

        def step_fn(step):
            model.train()
            batch = list(_windows(data, batch_size, frames, rng))
            batch[0] = corrupt_units(batch[0], unit_noise, n_units, noise_gen)
            terms = acoustic_loss(model, [t.to(device) for t in batch])
            opt.zero_grad()
            terms["total"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            return {"mel": terms["mel"].item(), "voicing": terms["voicing"].item()}

        def validate(done):
            scores = validation_scores(model.cpu(), valid)
            model.to(device)
            history["valid_step"].append(done)
            history["valid_mel_l1"].append(scores["mel_l1"])
            history["valid_voicing_accuracy"].append(scores["voicing_accuracy"])

        history = loop.run(step_fn, cosine_lr(lr, steps, floor=0.05), [opt],
                           callbacks=[(valid_every, validate)] if valid else [])
    return model.eval().cpu(), history


def cached_acoustic_data(split: str, progress: bool = True, n_units: int = 100) -> list[dict]:
    """:func:`acoustic_data` of a corpus split with a shipped quantiser, cached in ``runs/acoustic_data_<split>.pt``.

    ``n_units`` picks the quantiser (``units_ssl_k<n_units>.npz``); caches of K other than
    100 are named ``acoustic_data_<split>_k<K>.pt``.

    ``runs/`` is relative to the working directory. The first call codes every utterance
    of the split (minutes for the training split) and saves the list; later calls read
    the file back. Delete it after changing a shipped model. Used by ``resynth train
    acoustic`` and ``resynth train harmonic-noise`` (notebook 06c).

    Example
    -------
    >>> import os, tempfile
    >>> here = os.getcwd()
    >>> with tempfile.TemporaryDirectory() as tmp:           # a stand-in cache, in a scratch folder
    ...     os.chdir(tmp)
    ...     try:
    ...         os.mkdir("runs")
    ...         torch.save([{"units": np.zeros(4, int)}], "runs/acoustic_data_valid.pt")
    ...         print(len(cached_acoustic_data("valid", progress=False)))
    ...     finally:
    ...         os.chdir(here)
    1
    """
    from resynth_lib.content.units import load_quantiser
    from resynth_lib.data.corpus import load_corpus
    cache = Path("runs") / (f"acoustic_data_{split}.pt" if n_units == 100 else f"acoustic_data_{split}_k{n_units}.pt")
    if cache.exists():
        return torch.load(cache, weights_only=False)
    corpus = load_corpus()
    data = acoustic_data(corpus.utterances(split=split), corpus.speakers, load_quantiser(source="ssl", n_units=n_units),
                         progress=progress)
    cache.parent.mkdir(exist_ok=True)
    torch.save(data, cache)
    return data


def main(argv=None) -> int:
    """``resynth train acoustic``: codes -> log-mel + voicing on the training split; checkpoint + record.

    ``argv`` holds the options after ``resynth train acoustic`` (``--help`` lists them).
    Training the shipped model took about 25 minutes, so the example only shows how the
    command reaches this function. Taught in notebook 06c (``06c_frame_rate_decoder``).

    Example
    -------
    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("train", "acoustic")) is main
    True
    """

    from resynth_lib.core.checkpoints import save_checkpoint
    from resynth_lib.core.config import machine_info
    parser = TrainingCommand("resynth train acoustic", main.__doc__)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--frames", type=int, default=128, help="window length in 20 ms frames (multiple of 4)")
    parser.add_argument("--channels", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=128, help="GRU width per direction")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--dropout", type=float, default=0.1, help="dropout in the network (default 0.1)")
    parser.add_argument("--unit-init", choices=("free", "centroids"), default="free",
                        help="units enter as free learnt vectors, or as a learnt map of their k-means centroids "
                             "(folded into a plain embedding before saving)")
    parser.add_argument("--unit-noise", type=float, default=0.0,
                        help="fraction of training unit ids replaced by random ones (default 0)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--clusters", type=int, default=500, help="units of units_ssl_k<K>.npz (default 500, the "
                        "shipped model's; 100 made acoustic_k100.pt)")
    parser.add_argument("--out", default=str(CHECKPOINT_DIR / "acoustic.pt"))
    parser.add_argument("--resume", action="store_true", help="continue from runs/<out>_resume.pt")
    args = parser.parse_args(argv)
    if args.frames % UNITS_PER_F0_CODE:
        parser.error(f"--frames must be a multiple of {UNITS_PER_F0_CODE}")
    out = parser.output(args)
    train, valid = (cached_acoustic_data(split, n_units=args.clusters) for split in ("train", "valid"))
    model_kw = {"channels": args.channels, "hidden": args.hidden, "n_units": args.clusters, "dropout": args.dropout}
    if args.unit_init == "centroids":
        model_kw["unit_vectors"] = standardised_centroids(args.clusters)
    model, history = train_acoustic(train, valid, args.steps, args.batch_size, args.frames, args.lr, args.seed,
                                    model_kw=model_kw,
                                    checkpoint_path=Path("runs") / f"{out.stem}_resume.pt", resume=args.resume,
                                    device=args.device, unit_noise=args.unit_noise)
    record = {"command": "resynth train acoustic " + " ".join(argv or []), "steps": args.steps,
              "units": f"SSL units, K={args.clusters} (units_ssl_k{args.clusters}.npz)",
              "batch_size": args.batch_size, "frames": args.frames, "lr": args.lr, "seed": args.seed,
              "dropout": args.dropout, "unit_noise": args.unit_noise, "unit_init": args.unit_init, "parameters": sum(p.numel() for p in model.parameters()), "torch_threads": torch.get_num_threads(),
              "train_utterances": len(train), "valid_utterances": len(valid),
              "wall_seconds": round(history["seconds"], 1),
              "valid_mel_l1": history["valid_mel_l1"][-1] if history["valid_mel_l1"] else None,
              "valid_voicing_accuracy": (history["valid_voicing_accuracy"][-1]
                                         if history["valid_voicing_accuracy"] else None),
              "loss_curve": {k: history[k] for k in ("step", "mel", "voicing")},
              "valid_curve": {k: history[k] for k in ("valid_step", "valid_mel_l1", "valid_voicing_accuracy")},
              "machine": machine_info()}
    save_checkpoint(model.fold_unit_vectors(), out, record, force=args.force)
    print(f"wrote {out} ({history['seconds']:.0f} s; valid mel L1 {record['valid_mel_l1']:.3f}, "
          f"voicing accuracy {record['valid_voicing_accuracy']:.3f})")
    return 0


__all__ = ["acoustic_data", "corrupt_units", "standardised_centroids", "acoustic_loss", "validation_scores", "train_acoustic", "cached_acoustic_data", "main"]

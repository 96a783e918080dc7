"""Training the d-vector speaker encoder (GE2E or softmax) and the ``resynth train dvector`` command.

:func:`train_dvector` trains :class:`resynth_lib.speaker.dvector.DVectorEncoder` on
log-mel frames of the training speakers. Each step draws the same number of utterances
from every speaker, crops them to 1.6-2 s at random and changes their level at random, then
minimises the GE2E loss of :mod:`resynth_lib.speaker.verification` (or a softmax over the
speakers, for comparison). Speakers can be left out of training, to test the encoder on a
voice it has never heard. :func:`main` is ``resynth train dvector``: it trains on the
corpus, measures the equal error rate on the held-out utterances, and writes the shipped
``data/checkpoints/dvector.pt`` with its record.

Taught in notebook 05 (``05_speaker_identity``).

Example
-------
Three made-up speakers whose "log-mel" frames differ in level only; three steps:

>>> rng = np.random.default_rng(0)
>>> data = {s: [rng.normal(k, 1, (60, 80)) for _ in range(4)] for k, s in enumerate("abc")}
>>> model, history = train_dvector(data, steps=3, utterances_per_speaker=2, crop=(20, 30),
...                                progress=False, model_args={"hidden": 16, "dim": 8}, log_every=1)
>>> model.speakers, history["step"]
(['a', 'b', 'c'], [1, 2, 3])
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from resynth_lib.core.training import TrainingCommand, TrainingLoop, cosine_lr, seeded
from resynth_lib.data.frames import log_mel_frames
from resynth_lib.speaker.dvector import CHECKPOINT_PATH, DVectorEncoder, embed_utterances, save_dvector
from resynth_lib.speaker.verification import ge2e_similarity, speaker_eer


# ----------------------------------------------------------------- training
def _features_by_speaker(train_utts, exclude) -> dict:
    if isinstance(train_utts, dict):
        feats = {s: [np.asarray(m, np.float32) for m in ms] for s, ms in train_utts.items()}
    else:
        feats = {}
        for u in (u for u in train_utts if u.speaker not in set(exclude)):
            feats.setdefault(u.speaker, []).append(log_mel_frames(u.waveform(cache=True)))
    return {s: feats[s] for s in sorted(feats) if s not in set(exclude)}


def train_dvector(train_utts, steps: int = 300, seed: int = 0, loss: str = "ge2e", exclude_speakers=(),
                  utterances_per_speaker: int = 8, crop=(80, 100), gain_db: float = 6.0, lr: float = 2e-3,
                  model_args: dict | None = None, checkpoint_path=None, checkpoint_every: int = 100,
                  resume: bool = False, progress: bool = True, device: str = "cpu", log_every: int = 10,
                  stop_at: int | None = None):
    """Train a :class:`DVectorEncoder` with the GE2E loss (``loss="ge2e"``) or a softmax over speakers.

    ``train_utts`` is a list of utterances or a dict ``speaker -> [(frames, 80) log-mel]``;
    ``exclude_speakers`` are left out (to test the encoder on a voice it has never heard).
    Every step draws ``utterances_per_speaker`` utterances of each training speaker and a
    random crop of ``crop`` = (shortest, longest) frames (1.6-2 s at 50 Hz, as in GE2E),
    made louder or quieter by up to ``gain_db`` (so that level, which says nothing about
    a voice, cannot identify it). Adam with cosine decay, gradients clipped at 3, ``w``
    kept above 0. Checkpoints and ``resume`` / ``stop_at`` work as in
    :func:`resynth_lib.content.ssl_train.train_ssl`. Returns ``(model, history)`` with ``step``,
    ``loss``, ``accuracy`` and ``seconds``.
    Taught in notebook 05 (``05_speaker_identity``).

    >>> rng = np.random.default_rng(0)
    >>> data = {s: [rng.normal(k, 1, (60, 80)) for _ in range(4)] for k, s in enumerate("abc")}
    >>> model, hist = train_dvector(data, steps=3, utterances_per_speaker=2, crop=(20, 30), progress=False,
    ...                             model_args={"hidden": 16, "dim": 8}, log_every=1)
    >>> len(hist["loss"]), model.training
    (3, False)
    """
    if loss not in ("ge2e", "softmax"):
        raise ValueError(f"loss must be 'ge2e' or 'softmax', got {loss!r}")
    feats = _features_by_speaker(train_utts, exclude_speakers)
    speakers, M = list(feats), utterances_per_speaker
    if len(speakers) < 2 or min(len(v) for v in feats.values()) < M:
        raise ValueError(f"need >= 2 speakers with >= {M} utterances each; got "
                         f"{ {s: len(v) for s, v in feats.items()} }")
    stacked = np.concatenate([m for ms in feats.values() for m in ms])
    model_args, gain = dict(model_args or {}), gain_db / 20 * math.log(10)   # log-mel is ln |X|
    with seeded(seed):
        model = DVectorEncoder(**model_args)
        model.mel_mean.copy_(torch.from_numpy(stacked.mean(0)))
        model.mel_std.copy_(torch.from_numpy(stacked.std(0) + 1e-5))
        model.speakers = speakers
        objective = nn.ParameterDict({"w": nn.Parameter(torch.tensor(10.0)), "b": nn.Parameter(torch.tensor(-5.0))}) \
            if loss == "ge2e" else nn.Linear(model.config["dim"], len(speakers))
        model, objective = model.to(device), objective.to(device)
        optimiser = torch.optim.Adam(list(model.parameters()) + list(objective.parameters()), lr=lr)
        rng = np.random.default_rng(seed)
        loop = TrainingLoop(f"d-vector ({loss})", steps,
                            {"model": model, "objective": objective, "optimiser": optimiser}, rng,
                            history={"step": [], "loss": [], "accuracy": [], "seconds": 0.0},
                            checkpoint_path=checkpoint_path, checkpoint_every=checkpoint_every, resume=resume,
                            log_every=log_every, progress=progress, stop_at=stop_at, device=device,
                            show=lambda h: {"loss": f"{h['loss'][-1]:.3f}", "acc": f"{h['accuracy'][-1]:.2f}"})
        labels = torch.arange(len(speakers), device=device).repeat_interleave(M)

        def step_fn(step):
            T = int(rng.integers(crop[0], crop[1] + 1))
            x, lengths = np.zeros((len(speakers) * M, T, model.config["n_mels"]), np.float32), []
            for n, s in enumerate(speakers):
                for m, u in enumerate(rng.choice(len(feats[s]), M, replace=False)):
                    mel = feats[s][u]
                    start_frame = int(rng.integers(0, max(len(mel) - T, 0) + 1))
                    piece = mel[start_frame:start_frame + T] + rng.uniform(-gain, gain)
                    x[n * M + m, :len(piece)] = piece
                    lengths.append(len(piece))
            e = model(torch.from_numpy(x).to(device), torch.tensor(lengths, device=device))
            if loss == "ge2e":
                S = ge2e_similarity(e.reshape(len(speakers), M, -1), objective["w"].clamp(min=1e-6), objective["b"])
                logits = S.reshape(len(speakers) * M, -1)
            else:
                logits = objective(e)
            value = F.cross_entropy(logits, labels)
            optimiser.zero_grad()
            value.backward()
            torch.nn.utils.clip_grad_norm_(list(model.parameters()) + list(objective.parameters()), 3.0)
            optimiser.step()
            return {"loss": value.item(), "accuracy": (logits.argmax(1) == labels).float().mean().item()}

        model.train()
        history = loop.run(step_fn, cosine_lr(lr, steps), [optimiser])
    return model.cpu().eval(), history


def main(argv=None) -> int:
    """``resynth train dvector``: train the d-vector encoder, measure held-out EER, write checkpoint + record.

    Taught in notebook 05 (``05_speaker_identity``).

    >>> main(["--help"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: 0
    """

    from resynth_lib.core.config import machine_info
    from resynth_lib.data.corpus import load_corpus
    parser = TrainingCommand("resynth train dvector", main.__doc__)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--loss", choices=["ge2e", "softmax"], default="ge2e")
    parser.add_argument("--exclude", action="append", default=[], metavar="SPEAKER",
                        help="leave this speaker out of training (repeatable)")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=None, help=f"default {CHECKPOINT_PATH}")
    parser.add_argument("--resume", action="store_true", help="continue from runs/<out>_resume.pt")
    args = parser.parse_args(argv)
    out = Path(args.out or CHECKPOINT_PATH)
    parser.output(args, out)
    corpus = load_corpus()
    model, history = train_dvector(corpus.utterances(split="train"), steps=args.steps, seed=args.seed,
                                   loss=args.loss, exclude_speakers=args.exclude, model_args={"hidden": args.hidden},
                                   checkpoint_path=Path("runs") / f"{out.stem}_resume.pt", resume=args.resume,
                                   device=args.device)
    held_out = corpus.utterances(split="valid") + corpus.utterances(split="test")
    emb = embed_utterances(model, held_out)
    eer = {"all": speaker_eer(model, held_out, embeddings=emb)}
    eer |= {s: speaker_eer(model, held_out, involving=s, embeddings=emb) for s in corpus.speakers}
    record = {"command": "resynth train dvector " + " ".join(sys.argv[1:] if argv is None else argv),
              "seed": args.seed, "steps": args.steps, "loss": args.loss, "exclude": args.exclude,
              "train_speakers": model.speakers, "config": model.config,
              "wall_seconds": round(history["seconds"], 1), "final_loss": (history["loss"] or [None])[-1],
              "final_accuracy": (history["accuracy"] or [None])[-1],
              "eer_valid_test": {k: round(v, 4) for k, v in eer.items()},
              "loss_curve": {"step": history["step"][::5], "loss": history["loss"][::5]},
              "machine": machine_info()}
    save_dvector(model, out, record, force=args.force)
    print(f"wrote {out} ({history['seconds']:.0f} s of training; held-out EER {eer['all']:.3f}; "
          + ", ".join(f"{s} vs rest {eer[s]:.3f}" for s in corpus.speakers) + ")")
    return 0

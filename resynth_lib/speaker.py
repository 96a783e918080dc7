"""Who is speaking: a speaker lookup table and a d-vector encoder trained with GE2E.

The paper's decoder hears the speaker as a 128-d vector. There are two ways to get one:

* :class:`SpeakerTable` -- what the official code does: one learned row per training
  speaker (``nn.Embedding``). Cheap and exact, but a voice it has never seen has no row.
* :class:`DVectorEncoder` -- a *d-vector*: a network reads 80-band log-mel frames
  (:func:`resynth_lib.frames.log_mel_frames`), averages them over time and returns an
  L2-normalised 128-d embedding; any voice, seen or not, gets one.

The encoder is trained with the generalised end-to-end loss (:func:`ge2e_loss`, Wan et
al. 2018) or a softmax over the training speakers (:func:`train_dvector`) and judged as
a verification system: cosine scores of utterance pairs (:func:`verification_trials`)
and their equal error rate (:func:`equal_error_rate`, :func:`speaker_eer`).
``resynth train dvector`` is the command line (:func:`main`).
Taught in notebook 05 (``05_speaker_identity``).
"""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .frames import SSL_MELS, log_mel_frames

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "data" / "checkpoints"
CHECKPOINT_PATH = CHECKPOINT_DIR / "dvector.pt"
EMBED_DIM = 128


# ----------------------------------------------------------------- the two speaker representations
class SpeakerTable(nn.Module):
    """The official code's speaker embedding: a learned row per known speaker.

    Taught in notebook 05 (``05_speaker_identity``).

    Example
    -------
    >>> table = SpeakerTable(["awb", "slt"], dim=4)
    >>> table(table.ids(["slt", "awb", "slt"])).shape
    torch.Size([3, 4])
    """

    def __init__(self, speakers, dim: int = EMBED_DIM):
        super().__init__()
        self.speakers = list(speakers)
        self.index = {s: i for i, s in enumerate(self.speakers)}
        self.table = nn.Embedding(len(self.speakers), dim)

    def ids(self, names) -> torch.Tensor:
        """Row index of each speaker name; an unknown voice raises ``KeyError``."""
        unknown = [n for n in names if n not in self.index]
        if unknown:
            raise KeyError(f"no row for speaker(s) {unknown}: the table only knows {self.speakers}; "
                           "an encoder (DVectorEncoder) can embed a voice it has not seen")
        return torch.tensor([self.index[n] for n in names], dtype=torch.long)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.table(ids)


class DVectorEncoder(nn.Module):
    """d-vector: log-mel frames -> 3 dilated 1-D convs + ReLU -> mean over time -> linear -> unit length.

    ``forward(mels, lengths)`` takes raw log-mel ``(B, T, n_mels)`` (normalised inside by
    the training set's per-band mean and std, kept as buffers) and returns ``(B, dim)``
    unit vectors; frames past ``lengths`` are left out of the mean. Taught in notebook 05
    (``05_speaker_identity``).

    Example
    -------
    >>> enc = DVectorEncoder(hidden=16, dim=8).eval()
    >>> e = enc(torch.randn(2, 50, 80), torch.tensor([50, 30]))
    >>> e.shape, torch.allclose(e.norm(dim=1), torch.ones(2))
    (torch.Size([2, 8]), True)
    >>> enc.embed(np.random.default_rng(0).normal(size=16000)).shape
    (8,)
    """

    def __init__(self, n_mels: int = SSL_MELS, hidden: int = 128, dim: int = EMBED_DIM):
        super().__init__()
        self.config = {"n_mels": n_mels, "hidden": hidden, "dim": dim}
        self.speakers: list[str] = []                   # the voices it was trained on (set by train_dvector)
        self.convs = nn.ModuleList([nn.Conv1d(n_mels, hidden, 5, padding=2),
                                    nn.Conv1d(hidden, hidden, 3, padding=2, dilation=2),
                                    nn.Conv1d(hidden, hidden, 3, padding=3, dilation=3)])
        self.project = nn.Linear(hidden, dim)
        self.register_buffer("mel_mean", torch.zeros(n_mels))
        self.register_buffer("mel_std", torch.ones(n_mels))

    def forward(self, mels: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        B, T, _ = mels.shape
        lengths = torch.full((B,), T, device=mels.device) if lengths is None else lengths.to(mels.device)
        mask = (torch.arange(T, device=mels.device)[None] < lengths[:, None]).to(mels.dtype)  # (B, T)
        h = ((mels - self.mel_mean) / self.mel_std * mask[..., None]).transpose(1, 2)
        for conv in self.convs:                         # padding stays zero, as if the clip ended there
            h = F.relu(conv(h)) * mask[:, None]
        pooled = h.sum(-1) / lengths[:, None].clamp(min=1).to(h.dtype)
        return F.normalize(self.project(pooled), dim=-1)

    @torch.no_grad()
    def embed(self, wav) -> np.ndarray:
        """Embedding of one 16 kHz waveform (numpy in, numpy ``(dim,)`` out)."""
        wav = np.asarray(wav, dtype=np.float32)
        if wav.ndim != 1 or len(wav) < 320:
            raise ValueError(f"need a mono waveform of at least 320 samples (one frame), got shape {wav.shape}")
        if not np.all(np.isfinite(wav)):
            raise ValueError("waveform contains NaN or infinite samples")
        return self(torch.from_numpy(log_mel_frames(wav))[None])[0].numpy()


# ----------------------------------------------------------------- losses and scores
def cosine_similarity_matrix(a, b, eps: float = 1e-8):
    """``(P, Q)`` cosine similarities between the rows of ``a`` ``(P, D)`` and ``b`` ``(Q, D)``.

    Works on numpy arrays or torch tensors (and returns the same kind).
    Taught in notebook 05 (``05_speaker_identity``).

    >>> cosine_similarity_matrix(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 0.0]])).round(4).tolist()
    [[1.0], [0.7071]]
    """
    if torch.is_tensor(a) or torch.is_tensor(b):
        a, b = torch.as_tensor(a), torch.as_tensor(b)
        return (a / a.norm(dim=-1, keepdim=True).clamp(min=eps)) @ (b / b.norm(dim=-1, keepdim=True).clamp(min=eps)).T
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return (a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), eps)) @ \
        (b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), eps)).T


def ge2e_similarity(embeddings: torch.Tensor, w, b) -> torch.Tensor:
    """GE2E's scaled similarity ``S[j, i, k] = w cos(e_ji, c_k) + b``, ``(N, M, N)``.

    ``c_k`` is the mean of speaker ``k``'s ``M`` embeddings -- except for the speaker's
    own column, where utterance ``i`` is left out of its centroid:
    ``c_j^(-i) = (sum_m e_jm - e_ji) / (M - 1)``. Taught in notebook 05 (``05_speaker_identity``).

    >>> e = torch.tensor([[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> ge2e_similarity(e, 10.0, -5.0)[0].tolist()
    [[5.0, -5.0], [5.0, -5.0]]
    """
    N, M, D = embeddings.shape
    if M < 2:
        raise ValueError("GE2E needs at least 2 utterances per speaker (one is left out of its centroid)")
    centroids = embeddings.mean(1)                                              # (N, D)
    own = (embeddings.sum(1, keepdim=True) - embeddings) / (M - 1)              # (N, M, D)
    cos = cosine_similarity_matrix(embeddings.reshape(N * M, D), centroids).reshape(N, M, N)
    cos_own = F.cosine_similarity(embeddings, own, dim=-1, eps=1e-8)            # (N, M)
    is_own = torch.eye(N, dtype=torch.bool, device=embeddings.device)[:, None, :]  # (N, 1, N)
    return w * torch.where(is_own, cos_own[..., None], cos) + b


def ge2e_loss(embeddings: torch.Tensor, w, b) -> torch.Tensor:
    """Generalised end-to-end loss (softmax version, Wan et al. 2018), averaged over utterances.

    ``embeddings`` is ``(N speakers, M utterances, D)``; every utterance must pick its own
    speaker among the ``N`` by softmax over :func:`ge2e_similarity`:
    ``L_ji = -S[j, i, j] + log sum_k exp S[j, i, k]``. The paper keeps ``w > 0``
    (clamping is the trainer's job). Taught in notebook 05 (``05_speaker_identity``), an exercise.

    >>> e = torch.tensor([[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> round(float(ge2e_loss(e, 10.0, -5.0)), 6)             # log(1 + e^-10)
    4.5e-05
    """
    S = ge2e_similarity(embeddings, w, b)
    N, M, _ = S.shape
    return F.cross_entropy(S.reshape(N * M, N), torch.arange(N, device=S.device).repeat_interleave(M))


def equal_error_rate(scores, labels) -> float:
    """EER: where false acceptance = false rejection, on the linearly interpolated ROC.

    ``scores`` of trials, ``labels`` 1 for target (same speaker) and 0 for non-target;
    a trial is accepted when its score is at least the threshold. Sweeping the
    threshold down through the distinct scores gives ROC points (false-accept rate,
    false-reject rate); the EER is where the segment between two of them crosses the
    diagonal. Taught in notebook 05 (``05_speaker_identity``), an exercise.

    >>> equal_error_rate([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0])      # perfectly separated
    0.0
    >>> equal_error_rate([0.9, 0.4, 0.6, 0.1], [1, 1, 0, 0])      # one of each on the wrong side
    0.5
    """
    scores, labels = np.asarray(scores, dtype=np.float64).ravel(), np.asarray(labels).ravel().astype(bool)
    if scores.shape != labels.shape or labels.all() or not labels.any():
        raise ValueError("need one label per score and both target (1) and non-target (0) trials")
    order = np.argsort(-scores, kind="mergesort")
    s, t = scores[order], labels[order]
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]                       # last trial of each distinct score
    far = np.r_[0.0, np.cumsum(~t)[last] / (~t).sum()]
    frr = np.r_[1.0, 1.0 - np.cumsum(t)[last] / t.sum()]
    gap = frr - far                                                            # starts at 1, ends at -1
    i = int(np.argmax(gap <= 0))
    frac = gap[i - 1] / (gap[i - 1] - gap[i])
    return float(far[i - 1] + frac * (far[i] - far[i - 1]))


def verification_trials(embeddings, speakers):
    """Every pair ``i < j`` of embeddings: cosine score and 1 if same speaker, else 0.

    Returns ``(scores, labels, pairs)`` with ``pairs`` the ``(n_pairs, 2)`` indices.
    Taught in notebook 05 (``05_speaker_identity``).

    >>> scores, labels, pairs = verification_trials(np.array([[1.0, 0], [0.9, 0.1], [0, 1]]), ["a", "a", "b"])
    >>> labels.tolist(), pairs.tolist()
    ([1, 0, 0], [[0, 1], [0, 2], [1, 2]])
    """
    sim = cosine_similarity_matrix(np.asarray(embeddings, dtype=np.float64), np.asarray(embeddings, dtype=np.float64))
    i, j = np.triu_indices(len(sim), k=1)
    speakers = np.asarray(speakers)
    return sim[i, j], (speakers[i] == speakers[j]).astype(int), np.stack([i, j], axis=1)


def embed_utterances(encoder: DVectorEncoder, utterances) -> np.ndarray:
    """``(n, dim)`` embeddings of whole utterances, one row each.

    Taught in notebook 05 (``05_speaker_identity``).

    >>> from resynth_lib.data import load_corpus
    >>> embed_utterances(DVectorEncoder(hidden=8, dim=4), load_corpus().utterances(split="test")[:2]).shape
    (2, 4)
    """
    return np.stack([encoder.embed(u.waveform()) for u in utterances])


def speaker_eer(encoder: DVectorEncoder, utterances, involving: str | None = None, embeddings=None) -> float:
    """EER of ``encoder`` over every pair of ``utterances`` (whole utterances, cosine scores).

    With ``involving``, only the trials where at least one side is that speaker count:
    can the encoder tell *this* voice from the others? ``embeddings`` (from
    :func:`embed_utterances`) skips recomputing them. Taught in notebook 05 (``05_speaker_identity``).

    >>> from resynth_lib.data import load_corpus
    >>> utts = load_corpus().utterances(split="test")[::11]
    >>> 0.0 <= speaker_eer(DVectorEncoder(hidden=16, dim=8), utts) <= 1.0
    True
    """
    utterances = list(utterances)
    emb = embed_utterances(encoder, utterances) if embeddings is None else embeddings
    names = np.array([u.speaker for u in utterances])
    scores, labels, pairs = verification_trials(emb, names)
    if involving is not None:
        keep = (names[pairs] == involving).any(axis=1)
        scores, labels = scores[keep], labels[keep]
    return equal_error_rate(scores, labels)


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
    :func:`resynth_lib.ssl.train_ssl`. Returns ``(model, history)`` with ``step``,
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
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DVectorEncoder(**model_args)
        model.mel_mean.copy_(torch.from_numpy(stacked.mean(0)))
        model.mel_std.copy_(torch.from_numpy(stacked.std(0) + 1e-5))
        model.speakers = speakers
        objective = nn.ParameterDict({"w": nn.Parameter(torch.tensor(10.0)), "b": nn.Parameter(torch.tensor(-5.0))}) \
            if loss == "ge2e" else nn.Linear(model.config["dim"], len(speakers))
        model, objective = model.to(device), objective.to(device)
        optimiser = torch.optim.Adam(list(model.parameters()) + list(objective.parameters()), lr=lr)
        rng = np.random.default_rng(seed)
        history, start = {"step": [], "loss": [], "accuracy": [], "seconds": 0.0}, 0
        if resume and checkpoint_path is not None and Path(checkpoint_path).exists():
            state = torch.load(checkpoint_path, map_location=device, weights_only=False)
            model.load_state_dict(state["model"])
            objective.load_state_dict(state["objective"])
            optimiser.load_state_dict(state["optimiser"])
            rng.bit_generator.state = state["numpy_rng"]
            torch.set_rng_state(state["torch_rng"])
            history, start = state["history"], state["step"]
        end = steps if stop_at is None else min(stop_at, steps)
        steps_iter = range(start, end)
        if progress:
            from tqdm.auto import tqdm
            steps_iter = tqdm(steps_iter, desc=f"d-vector ({loss})", unit="step", initial=start, total=end)
        model.train()
        labels = torch.arange(len(speakers), device=device).repeat_interleave(M)
        t0, running = time.perf_counter(), []
        for step in steps_iter:
            T = int(rng.integers(crop[0], crop[1] + 1))
            x, lengths = np.zeros((len(speakers) * M, T, model.config["n_mels"]), np.float32), []
            for n, s in enumerate(speakers):
                for m, u in enumerate(rng.choice(len(feats[s]), M, replace=False)):
                    mel = feats[s][u]
                    start_frame = int(rng.integers(0, max(len(mel) - T, 0) + 1))
                    piece = mel[start_frame:start_frame + T] + rng.uniform(-gain, gain)
                    x[n * M + m, :len(piece)] = piece
                    lengths.append(len(piece))
            for group in optimiser.param_groups:
                group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / max(steps, 1)))
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
            running.append((value.item(), (logits.argmax(1) == labels).float().mean().item()))
            if (step + 1) % log_every == 0 or step + 1 == end:
                mean_loss, acc = np.mean(running, axis=0)
                history["step"].append(step + 1)
                history["loss"].append(float(mean_loss))
                history["accuracy"].append(float(acc))
                running = []
                if progress:
                    steps_iter.set_postfix(loss=f"{mean_loss:.3f}", acc=f"{acc:.2f}")
            if checkpoint_path is not None and ((step + 1) % checkpoint_every == 0 or step + 1 == end):
                history["seconds"] += time.perf_counter() - t0
                t0 = time.perf_counter()
                Path(checkpoint_path).parent.mkdir(parents=True, exist_ok=True)
                torch.save({"model": model.state_dict(), "objective": objective.state_dict(),
                            "optimiser": optimiser.state_dict(), "step": step + 1, "history": history,
                            "numpy_rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state()},
                           checkpoint_path)
        if checkpoint_path is None:
            history["seconds"] += time.perf_counter() - t0
    return model.cpu().eval(), history


# ----------------------------------------------------------------- checkpoints and the command
def save_dvector(model: DVectorEncoder, path=None, record: dict | None = None, force: bool = False) -> Path:
    """Inference weights (config, training speakers, state_dict) + a JSON record beside them.

    Taught in notebook 05 (``05_speaker_identity``).

    >>> import tempfile
    >>> path = save_dvector(DVectorEncoder(hidden=8, dim=4), Path(tempfile.mkdtemp()) / "d.pt", {"steps": 0})
    >>> load_dvector(path).config
    {'n_mels': 80, 'hidden': 8, 'dim': 4}
    """
    path = Path(path) if path is not None else CHECKPOINT_PATH
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass force=True (--force) to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": model.config, "speakers": list(model.speakers),
                "state_dict": model.state_dict()}, path)
    path.with_suffix(".json").write_text(json.dumps(record or {}, indent=2) + "\n")
    return path


def load_dvector(path=None) -> DVectorEncoder:
    """Load a checkpoint written by :func:`save_dvector` (default: the shipped ``data/checkpoints/dvector.pt``).

    Taught in notebook 05 (``05_speaker_identity``).

    >>> load_dvector().embed(np.zeros(16000) + 0.01).shape     # doctest: +SKIP
    (128,)
    """
    path = Path(path) if path is not None else CHECKPOINT_PATH
    if not path.exists():
        raise FileNotFoundError(f"no d-vector checkpoint at {path}; train one with `resynth train dvector`")
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = DVectorEncoder(**state["config"])
    model.load_state_dict(state["state_dict"])
    model.speakers = state["speakers"]
    return model.eval()


def main(argv=None) -> int:
    """``resynth train dvector``: train the d-vector encoder, measure held-out EER, write checkpoint + record.

    Taught in notebook 05 (``05_speaker_identity``).

    >>> main(["--help"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: 0
    """
    import argparse

    from .config import machine_info
    from .data import load_corpus
    parser = argparse.ArgumentParser(prog="resynth train dvector",
                                     description="Train the d-vector encoder (notebook 05).")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loss", choices=["ge2e", "softmax"], default="ge2e")
    parser.add_argument("--exclude", action="append", default=[], metavar="SPEAKER",
                        help="leave this speaker out of training (repeatable)")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--out", default=None, help=f"default {CHECKPOINT_PATH}")
    parser.add_argument("--resume", action="store_true", help="continue from runs/<out>_resume.pt")
    parser.add_argument("--force", action="store_true", help="replace an existing output")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out or CHECKPOINT_PATH)
    if out.exists() and not args.force:
        parser.error(f"{out} exists; pass --force to replace it")
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


__all__ = ["SpeakerTable", "DVectorEncoder", "cosine_similarity_matrix", "ge2e_similarity", "ge2e_loss",
           "equal_error_rate", "verification_trials", "embed_utterances", "speaker_eer", "train_dvector",
           "save_dvector", "load_dvector", "main", "CHECKPOINT_PATH", "EMBED_DIM"]

if __name__ == "__main__":
    raise SystemExit(main())

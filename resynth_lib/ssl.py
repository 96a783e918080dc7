"""Self-supervised speech models small enough for two CPU cores: CPC-style and HuBERT-style.

Both read :func:`resynth_lib.frames.ssl_input` (80-band log-mel at 100 Hz, normalised
per utterance) through the same convolutional front end, which halves the rate to the
paper's 50 Hz content frames. What differs is the pretext task:

* :class:`CPCModel` -- *predict the future*: a GRU summarises the past into a context
  ``c_t``; for each step ``k = 1..K`` a linear map of ``c_t`` must pick the true future
  frame ``z_{t+k}`` among the other frames of the same window (:func:`info_nce`).
  Negatives from the same utterance share its speaker, so the speaker does not help
  the model win -- only the content does.
* :class:`HuBERTModel` -- *predict what is hidden*: spans of frames are replaced by a
  learned mask vector (:func:`span_mask`) and a transformer must predict, at the hidden
  frames, the k-means cluster of each frame's MFCC (the targets of HuBERT's first
  iteration; :func:`kmeans_targets`).

:func:`train_ssl` trains either one with a progress bar, checkpoints for resuming and a
training record; ``resynth train ssl`` is its command line. :func:`load_ssl_model` loads
the shipped checkpoint; :func:`layer_features` gives every layer's 50 Hz features.
Taught in notebook 02 (``02_self_supervised_pretext_tasks``).
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .frames import SSL_MELS, mfcc_frames, ssl_input

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "data" / "checkpoints"


# ----------------------------------------------------------------- building blocks
class ConvFrontEnd(nn.Module):
    """Log-mel at 100 Hz ``(B, 2T, n_mels)`` -> features at 50 Hz ``(B, T, dim)``.

    Example
    -------
    >>> ConvFrontEnd(80, 32)(torch.zeros(2, 100, 80)).shape
    torch.Size([2, 50, 32])
    """

    def __init__(self, n_mels: int = SSL_MELS, dim: int = 128):
        super().__init__()
        self.conv1 = nn.Conv1d(n_mels, dim, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(dim, dim, kernel_size=4, stride=2, padding=1)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.gelu(self.conv1(x.transpose(1, 2)))
        h = F.gelu(self.conv2(h))
        return self.norm(h.transpose(1, 2))


def mask_from_starts(starts: np.ndarray, span: int) -> np.ndarray:
    """Turn span starts into a mask: frame ``t`` is hidden if a span starts in ``(t - span, t]``.

    ``starts`` is a ``(batch, frames)`` boolean array; spans may overlap and are cut at
    the end of the row. Taught in notebook 02 (an exercise).

    >>> mask_from_starts(np.array([[False, True, False, False, False, True]]), 2).astype(int).tolist()
    [[0, 1, 1, 0, 0, 1]]
    """
    starts = np.asarray(starts, dtype=bool)
    frames = starts.shape[-1]
    mask = np.zeros_like(starts)
    for offset in range(min(span, frames)):
        mask[..., offset:] |= starts[..., :frames - offset]
    return mask


def span_mask(batch: int, frames: int, mask_prob: float = 0.08, span: int = 10, rng=None) -> np.ndarray:
    """HuBERT / wav2vec 2.0 masking: ``(batch, frames)`` booleans, True = hidden.

    Every frame starts a masked span of ``span`` frames with probability ``mask_prob``
    (:func:`mask_from_starts`); each row gets at least one span. With
    ``mask_prob=0.08, span=10`` about ``1 - 0.92**10 = 57%`` of frames are hidden.
    Taught in notebook 02.

    >>> m = span_mask(1, 20, mask_prob=0.0, span=4, rng=0)   # no starts drawn: one forced span
    >>> int(m.sum())
    4
    """
    rng = np.random.default_rng(rng)
    starts = rng.random((batch, frames)) < mask_prob
    for row in range(batch):
        if not starts[row].any():
            starts[row, rng.integers(max(frames - span + 1, 1))] = True
    return mask_from_starts(starts, span)


def warp_frequency(x: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
    """Stretch each example's mel axis by its factor (vocal-tract-length perturbation).

    ``x`` is ``(B, frames, bands)``; band ``j`` of example ``b`` is read, by linear
    interpolation, from band ``j * factors[b]`` (clamped to the top band). A factor above
    1 moves spectral peaks down, like a longer vocal tract; below 1, up. Used as
    augmentation: the model sees warped input but must predict targets made from the
    unwarped audio, so *who* is speaking (vocal-tract length, a large part of it) stops
    helping. Taught in notebook 02.

    >>> x = torch.arange(4.0).repeat(1, 1, 1)          # bands 0, 1, 2, 3
    >>> warp_frequency(x, torch.tensor([0.5])).tolist()
    [[[0.0, 0.5, 1.0, 1.5]]]
    """
    bands = x.shape[-1]
    pos = (torch.arange(bands, dtype=x.dtype) * factors[:, None].to(x.dtype)).clamp(0, bands - 1)  # (B, bands)
    low = pos.floor().long()
    high = (low + 1).clamp(max=bands - 1)
    frac = (pos - low).unsqueeze(1)
    index = lambda i: i.unsqueeze(1).expand(-1, x.shape[1], -1)  # noqa: E731
    return torch.gather(x, 2, index(low)) * (1 - frac) + torch.gather(x, 2, index(high)) * frac


def info_nce(predictions: torch.Tensor, candidates: torch.Tensor, positive: torch.Tensor,
             temperature: float = 1.0) -> torch.Tensor:
    """InfoNCE: cross-entropy of picking the positive candidate by dot-product score.

    ``predictions`` ``(B, N, D)``, ``candidates`` ``(B, M, D)``: prediction ``n`` of row
    ``b`` scores all ``M`` candidates of row ``b``; ``positive`` ``(N,)`` gives the index
    of its true one, the other ``M - 1`` are negatives. Returns the mean of
    ``-log softmax(scores / temperature)[positive]`` -- minimising it maximises a lower
    bound on the mutual information between prediction and target (van den Oord et al.,
    2018). Taught in notebook 02.

    >>> p = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    >>> round(float(info_nce(p, p, torch.tensor([0, 1]))), 4)   # log(1 + e^-1)
    0.3133
    """
    scores = torch.einsum("bnd,bmd->bnm", predictions, candidates) / temperature
    B, N, M = scores.shape
    return F.cross_entropy(scores.reshape(B * N, M), positive.expand(B, N).reshape(-1))


# ----------------------------------------------------------------- the two models
class CPCModel(nn.Module):
    """Contrastive predictive coding at 50 Hz: conv front end -> 2 GRU layers -> K predictors.

    ``hidden_states(x)`` returns ``[z, c1, c2]`` (front end, GRU layer 1, GRU layer 2),
    each ``(B, T, dim)``; ``loss(x)`` is the InfoNCE averaged over the prediction steps
    (negatives: the other frames of the same window). Taught in notebook 02.

    Example
    -------
    >>> model = CPCModel(dim=16, steps=3)
    >>> x = torch.randn(2, 40, 80)
    >>> [h.shape[-1] for h in model.hidden_states(x)], model.loss(x)["loss"].ndim
    ([16, 16, 16], 0)
    """

    kind = "cpc"

    def __init__(self, n_mels: int = SSL_MELS, dim: int = 128, steps: int = 6):
        super().__init__()
        self.config = {"n_mels": n_mels, "dim": dim, "steps": steps}
        self.front_end = ConvFrontEnd(n_mels, dim)
        self.gru1 = nn.GRU(dim, dim, batch_first=True)
        self.gru2 = nn.GRU(dim, dim, batch_first=True)
        self.predictors = nn.ModuleList(nn.Linear(dim, dim, bias=False) for _ in range(steps))
        self.layer_names = ["front end", "GRU 1", "GRU 2"]

    def hidden_states(self, x: torch.Tensor, mask=None) -> list[torch.Tensor]:
        z = self.front_end(x)
        c1, _ = self.gru1(z)
        c2, _ = self.gru2(c1)
        return [z, c1, c2]

    def loss(self, x: torch.Tensor, targets=None, mask=None) -> dict:
        z, _, c = self.hidden_states(x)
        T = z.shape[1]
        losses, correct = [], []
        for k, predictor in enumerate(self.predictors, start=1):
            if T - k < 1:
                break
            pred = predictor(c[:, :T - k])
            positive = torch.arange(k, T, device=x.device)
            losses.append(info_nce(pred, z, positive))
            with torch.no_grad():
                scores = torch.einsum("bnd,bmd->bnm", pred, z)
                correct.append((scores.argmax(-1) == positive).float().mean())
        return {"loss": torch.stack(losses).mean(), "accuracy": torch.stack(correct).mean()}


class HuBERTModel(nn.Module):
    """Masked prediction at 50 Hz: conv front end -> transformer -> cluster logits.

    Masked frames of the front end's output are replaced by a learned vector before a
    convolutional position embedding and ``layers`` pre-norm transformer layers (with
    ``attention_window``, each frame attends only to frames at most that far away);
    ``loss(x, targets, mask)`` is the cross-entropy of the ``n_targets``-way cluster
    prediction at the masked frames. ``hidden_states(x)`` returns ``layers + 1`` arrays
    (front end, then every transformer layer). Taught in notebook 02.

    Example
    -------
    >>> model = HuBERTModel(dim=16, layers=2, heads=2, n_targets=5)
    >>> x, y = torch.randn(2, 40, 80), torch.randint(0, 5, (2, 20))
    >>> out = model.loss(x, y, torch.as_tensor(span_mask(2, 20, rng=0)))
    >>> len(model.hidden_states(x)), out["loss"].ndim
    (3, 0)
    """

    kind = "hubert"

    def __init__(self, n_mels: int = SSL_MELS, dim: int = 128, layers: int = 4, heads: int = 4,
                 n_targets: int = 100, dropout: float = 0.0, attention_window: int | None = None):
        super().__init__()
        self.config = {"n_mels": n_mels, "dim": dim, "layers": layers, "heads": heads,
                       "n_targets": n_targets, "dropout": dropout, "attention_window": attention_window}
        self.attention_window = attention_window
        self.front_end = ConvFrontEnd(n_mels, dim)
        self.mask_vector = nn.Parameter(torch.randn(dim) * 0.1)
        self.position = nn.Conv1d(dim, dim, kernel_size=31, padding=15, groups=8)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout, activation="gelu", batch_first=True,
                                       norm_first=True) for _ in range(layers))
        self.final_norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_targets)
        self.layer_names = ["front end"] + [f"layer {i + 1}" for i in range(layers)]

    def hidden_states(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> list[torch.Tensor]:
        h = self.front_end(x)
        states = [h]
        if mask is not None:
            h = torch.where(mask[..., None], self.mask_vector.to(h.dtype), h)
        h = h + F.gelu(self.position(h.transpose(1, 2))).transpose(1, 2)
        band = None
        if self.attention_window is not None:  # each frame attends to frames at most `window` away
            t = torch.arange(h.shape[1], device=h.device)
            band = (t[:, None] - t[None, :]).abs() > self.attention_window
        for layer in self.layers:
            h = layer(h, src_mask=band)
            states.append(h)
        return states

    def loss(self, x: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> dict:
        logits = self.head(self.final_norm(self.hidden_states(x, mask)[-1]))
        loss = F.cross_entropy(logits[mask], targets[mask])
        with torch.no_grad():
            accuracy = (logits[mask].argmax(-1) == targets[mask]).float().mean()
        return {"loss": loss, "accuracy": accuracy}


MODELS = {"cpc": CPCModel, "hubert": HuBERTModel}


# ----------------------------------------------------------------- data
def kmeans_targets(mfccs: list[np.ndarray], n_clusters: int = 100, seed: int = 0, max_frames: int = 60000):
    """HuBERT's first-iteration targets: k-means (K = ``n_clusters``) of MFCC+deltas frames.

    Fits :class:`resynth_lib.kmeans.KMeans` on at most ``max_frames`` frames drawn at
    random and returns ``(targets per utterance, the fitted KMeans)``. Taught in notebook 02.

    >>> rng = np.random.default_rng(0)
    >>> targets, km = kmeans_targets([rng.normal(size=(30, 39)), rng.normal(size=(20, 39))], n_clusters=4)
    >>> [len(t) for t in targets], km.cluster_centers_.shape
    ([30, 20], (4, 39))
    """
    from .kmeans import KMeans
    stacked = np.concatenate(mfccs)
    rng = np.random.default_rng(seed)
    sample = stacked[rng.choice(len(stacked), min(max_frames, len(stacked)), replace=False)]
    # plain k-means++ (local_trials=1): the targets the shipped HuBERT-style checkpoint was trained on
    km = KMeans(n_clusters, seed=seed, max_iter=100, local_trials=1).fit(sample)
    return [km.predict(m) for m in mfccs], km


def prepare_ssl_data(utterances, progress: bool = False) -> dict:
    """Inputs (:func:`ssl_input`) and MFCC+delta frames (normalised per utterance) of utterances.

    >>> from resynth_lib.data import load_corpus
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
    """Train a :class:`CPCModel` (``kind="cpc"``) or :class:`HuBERTModel` (``"hubert"``).

    Utterances are concatenated into one stream and batches are random windows of
    ``frames`` 50 Hz frames. AdamW with linear warm-up then cosine decay; gradients
    clipped at 1. Every ``checkpoint_every`` steps model + optimiser + random states go
    to ``checkpoint_path`` (a *resume* file for ``runs/``), and ``resume=True``
    continues from it; ``stop_at`` ends the run early at that step (the learning-rate
    schedule still follows ``steps``), as an interruption would. ``warp > 0`` stretches
    every window's mel axis by a random factor in ``[1 - warp, 1 + warp]``
    (:func:`warp_frequency`) before the model sees it. Returns ``(model, history)``; ``history`` has per-``log_every``
    ``step``, ``loss``, ``accuracy`` and ``seconds``. Taught in notebook 02.

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
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = MODELS[kind](**model_args).to(device)
        optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        rng = np.random.default_rng(seed)
        history = {"step": [], "loss": [], "accuracy": [], "seconds": 0.0}
        start = 0
        if resume and checkpoint_path is not None and Path(checkpoint_path).exists():
            state = torch.load(checkpoint_path, map_location=device, weights_only=False)
            model.load_state_dict(state["model"])
            optimiser.load_state_dict(state["optimiser"])
            rng.bit_generator.state = state["numpy_rng"]
            torch.set_rng_state(state["torch_rng"])
            history, start = state["history"], state["step"]

        def lr_at(step):
            if step < warmup:
                return lr * (step + 1) / warmup
            return lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(steps - warmup, 1)))

        def save(step):
            Path(checkpoint_path).parent.mkdir(parents=True, exist_ok=True)
            torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "step": step,
                        "kind": kind, "model_args": model_args, "history": history,
                        "numpy_rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state()},
                       checkpoint_path)

        end = steps if stop_at is None else min(stop_at, steps)
        steps_iter = range(start, end)
        if progress:
            from tqdm.auto import tqdm
            steps_iter = tqdm(steps_iter, desc=f"{kind} pretext task", unit="step", initial=start, total=end)
        model.train()
        t0, running = time.perf_counter(), []
        for step in steps_iter:
            x, y = _windows(stream_x, stream_y, batch_size, frames, rng)
            if warp > 0:
                x = warp_frequency(x, torch.from_numpy(rng.uniform(1 - warp, 1 + warp, batch_size)))
            mask = torch.from_numpy(span_mask(batch_size, frames, rng=rng)) if kind == "hubert" else None
            for group in optimiser.param_groups:
                group["lr"] = lr_at(step)
            out = model.loss(x.to(device), y.to(device), None if mask is None else mask.to(device))
            optimiser.zero_grad()
            out["loss"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            running.append((out["loss"].item(), out["accuracy"].item()))
            if (step + 1) % log_every == 0 or step + 1 == end:
                loss, acc = np.mean(running, axis=0)
                history["step"].append(step + 1)
                history["loss"].append(float(loss))
                history["accuracy"].append(float(acc))
                running = []
                if progress:
                    steps_iter.set_postfix(loss=f"{loss:.3f}", acc=f"{acc:.3f}")
            if checkpoint_path is not None and ((step + 1) % checkpoint_every == 0 or step + 1 == end):
                history["seconds"] += time.perf_counter() - t0
                t0 = time.perf_counter()
                save(step + 1)
        if checkpoint_path is None:
            history["seconds"] += time.perf_counter() - t0
    model.eval()
    return model.cpu(), history


# ----------------------------------------------------------------- inference
@torch.no_grad()
def layer_features(model: nn.Module, inputs: np.ndarray) -> list[np.ndarray]:
    """Every layer's ``(frames, dim)`` features of one utterance (``inputs`` from :func:`ssl_input`).

    >>> model = HuBERTModel(dim=16, layers=2, heads=2, n_targets=5).eval()
    >>> [f.shape for f in layer_features(model, np.zeros((40, 80), np.float32))]
    [(20, 16), (20, 16), (20, 16)]
    """
    model.eval()
    x = torch.as_tensor(np.asarray(inputs, dtype=np.float32))[None]
    return [h[0].numpy() for h in model.hidden_states(x)]


def save_ssl_model(model: nn.Module, path, record: dict, force: bool = False) -> Path:
    """Inference weights (``kind``, config, state_dict) + a JSON training record beside them."""
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass force=True (--force) to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"kind": model.kind, "config": model.config, "state_dict": model.state_dict()}, path)
    path.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    return path


def load_ssl_model(path=None, kind: str = "hubert") -> nn.Module:
    """Load a checkpoint written by :func:`save_ssl_model` (default: the shipped one of ``kind``).

    >>> model = load_ssl_model()                       # doctest: +SKIP
    >>> model.layer_names                              # doctest: +SKIP
    ['front end', 'layer 1', 'layer 2', 'layer 3', 'layer 4']
    """
    path = Path(path) if path is not None else CHECKPOINT_DIR / f"ssl_{kind}.pt"
    if not path.exists():
        raise FileNotFoundError(f"no SSL checkpoint at {path}; train one with `resynth train ssl --kind {kind}`")
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = MODELS[state["kind"]](**state["config"])
    model.load_state_dict(state["state_dict"])
    return model.eval()


def load_content_model(choice_path=None):
    """The course's content encoder: ``(model, layer index, choice record)``.

    Reads ``data/checkpoints/content_layer.json`` (written by ``resynth probe-layers``),
    which names the checkpoint and the layer chosen on the validation split. Notebooks 03
    and later quantise ``content_features(model, layer, wav)``. Taught in notebook 02.

    >>> model, layer, choice = load_content_model()     # doctest: +SKIP
    """
    choice_path = Path(choice_path) if choice_path is not None else CHECKPOINT_DIR / "content_layer.json"
    if not choice_path.exists():
        raise FileNotFoundError(f"no content-layer choice at {choice_path}; run `resynth probe-layers "
                                f"data/checkpoints/ssl_hubert.pt data/checkpoints/ssl_cpc.pt`")
    choice = json.loads(choice_path.read_text())
    model = load_ssl_model(choice_path.parent / choice["checkpoint"])
    return model, choice["layer"], choice


def content_features(model: nn.Module, layer: int, wav) -> np.ndarray:
    """``(len(wav) // 320, dim)`` features of one layer for a 16 kHz waveform.

    >>> model = CPCModel(dim=8).eval()
    >>> content_features(model, 2, np.random.default_rng(0).normal(size=16000)).shape
    (50, 8)
    """
    return layer_features(model, ssl_input(wav))[layer]


def main(argv=None) -> int:
    """``resynth train ssl``: fit the targets (HuBERT), train, write checkpoint + record."""
    import argparse

    from .config import machine_info
    from .data import load_corpus
    parser = argparse.ArgumentParser(prog="resynth train ssl", description=main.__doc__)
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
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--out", default=None, help="default data/checkpoints/ssl_<kind>.pt")
    parser.add_argument("--resume", action="store_true", help="continue from runs/ssl_<kind>_resume.pt")
    parser.add_argument("--force", action="store_true", help="replace an existing output")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out or CHECKPOINT_DIR / f"ssl_{args.kind}.pt")
    if out.exists() and not args.force:
        parser.error(f"{out} exists; pass --force to replace it")
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

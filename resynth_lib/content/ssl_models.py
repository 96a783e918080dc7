"""Self-supervised speech models small enough for two CPU cores: CPC-style and HuBERT-style.

Both read :func:`resynth_lib.data.frames.ssl_input` (80-band log-mel at 100 Hz, normalised
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
  iteration).

This module holds the models, their building blocks (:class:`ConvFrontEnd`,
:func:`span_mask`, :func:`warp_frequency`, :func:`info_nce`) and inference:
:func:`load_ssl_model` loads a shipped checkpoint, :func:`layer_features` gives every
layer's 50 Hz features, and :func:`load_content_model` with :func:`content_features` gives
the layer the course quantises in notebook 03. Training -- the MFCC k-means targets, the
training loop and ``resynth train ssl`` -- lives in :mod:`resynth_lib.content.ssl_train`;
the probes that choose the layer in :mod:`resynth_lib.content.probe`.
Taught in notebook 02b (``02b_self_supervised_speech``).

Example
-------
>>> model = load_ssl_model(kind="cpc")
>>> [f.shape for f in layer_features(model, np.zeros((100, 80), np.float32))]
[(50, 128), (50, 128), (50, 128)]
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from resynth_lib.core.checkpoints import load_checkpoint, save_checkpoint
from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.data.frames import SSL_MELS, ssl_input


# ----------------------------------------------------------------- building blocks
class ConvFrontEnd(nn.Module):
    """Log-mel at 100 Hz ``(B, 2T, n_mels)`` -> features at 50 Hz ``(B, T, dim)``.

    Two 1-D convolutions over time, the second with stride 2, then layer normalisation:
    the first layer of both models of notebook 02b.

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
    the end of the row. Taught in notebook 02b (an exercise).

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
    Taught in notebook 02b.

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
    helping. Taught in notebook 02b.

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
    2018). Taught in notebook 02b.

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
    (negatives: the other frames of the same window). Taught in notebook 02b.

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
    (front end, then every transformer layer). Taught in notebook 02b.

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


# ----------------------------------------------------------------- inference
@torch.no_grad()
def layer_features(model: nn.Module, inputs: np.ndarray) -> list[np.ndarray]:
    """Every layer's ``(frames, dim)`` features of one utterance (``inputs`` from :func:`ssl_input`).

    One forward pass in eval mode, without gradients; the list follows
    ``model.layer_names``. The probes of notebook 02b read every layer through it.

    Example
    -------
    >>> model = HuBERTModel(dim=16, layers=2, heads=2, n_targets=5).eval()
    >>> [f.shape for f in layer_features(model, np.zeros((40, 80), np.float32))]
    [(20, 16), (20, 16), (20, 16)]
    """
    model.eval()
    x = torch.as_tensor(np.asarray(inputs, dtype=np.float32))[None]
    return [h[0].numpy() for h in model.hidden_states(x)]


def save_ssl_model(model: nn.Module, path, record: dict, force: bool = False) -> Path:
    """Inference weights (:mod:`resynth_lib.core.checkpoints` format) + a JSON training record beside them.

    ``resynth train ssl`` writes ``data/checkpoints/ssl_<kind>.pt`` with it (notebook 02b).
    Refuses to replace an existing file unless ``force``.

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_ssl_model(CPCModel(dim=8), Path(tmp) / "cpc.pt", {"steps": 0})
    ...     load_ssl_model(path).config
    {'n_mels': 80, 'dim': 8, 'steps': 6}
    """
    return save_checkpoint(model, path, record, force=force)


def load_ssl_model(path=None, kind: str = "hubert") -> nn.Module:
    """Load a checkpoint written by :func:`save_ssl_model` (default: the shipped one of ``kind``).

    The file may hold either model; it comes back in eval mode. The shipped models are
    loaded with it in notebooks 02 and 03.

    Example
    -------
    >>> model = load_ssl_model()                       # data/checkpoints/ssl_hubert.pt
    >>> type(model).__name__, model.layer_names
    ('HuBERTModel', ['front end', 'layer 1', 'layer 2', 'layer 3', 'layer 4'])
    """
    path = Path(path) if path is not None else CHECKPOINT_DIR / f"ssl_{kind}.pt"
    return load_checkpoint(tuple(MODELS.values()), path, f"train one with `resynth train ssl --kind {kind}`")


def load_content_model(choice_path=None):
    """The course's content encoder: ``(model, layer index, choice record)``.

    Reads ``data/checkpoints/content_layer.json`` (written by ``resynth probe-layers``),
    which names the checkpoint and the layer chosen on the validation split. Notebooks 03
    and later quantise ``content_features(model, layer, wav)``. Taught in notebook 02b.

    Example
    -------
    >>> model, layer, choice = load_content_model()
    >>> choice["checkpoint"], layer, model.layer_names[layer]    # as chosen by the probes
    ('ssl_cpc.pt', 2, 'GRU 2')
    """
    choice_path = Path(choice_path) if choice_path is not None else CHECKPOINT_DIR / "content_layer.json"
    if not choice_path.exists():
        raise FileNotFoundError(f"no content-layer choice at {choice_path}; run `resynth probe-layers "
                                f"data/checkpoints/ssl_hubert.pt data/checkpoints/ssl_cpc.pt`")
    choice = json.loads(choice_path.read_text())
    model = load_ssl_model(choice_path.parent / choice["checkpoint"])
    return model, choice["layer"], choice


def content_features(model: nn.Module, layer: int, wav, moments=None) -> np.ndarray:
    """``(len(wav) // 320, dim)`` features of one layer for a 16 kHz waveform.

    :func:`~resynth_lib.data.frames.ssl_input` then :func:`layer_features`, keeping one
    layer: the features notebook 03 quantises into units (with the layer chosen in
    notebook 02b). ``moments`` as in :func:`~resynth_lib.data.frames.ssl_input`.

    Example
    -------
    >>> model = CPCModel(dim=8).eval()
    >>> content_features(model, 2, np.random.default_rng(0).normal(size=16000)).shape
    (50, 8)
    """
    return layer_features(model, ssl_input(wav, moments))[layer]

"""Who is speaking: a speaker lookup table and a d-vector encoder trained with GE2E.

The paper's decoder hears the speaker as a 128-d vector. There are two ways to get one:

* :class:`SpeakerTable` -- what the official code does: one learned row per training
  speaker (``nn.Embedding``). Cheap and exact, but a voice it has never seen has no row.
* :class:`DVectorEncoder` -- a *d-vector*: a network reads 80-band log-mel frames
  (:func:`resynth_lib.data.frames.log_mel_frames`), averages them over time and returns an
  L2-normalised 128-d embedding; any voice, seen or not, gets one.

This module holds the two representations, :func:`embed_utterances` for whole utterances,
and the checkpoint (:func:`save_dvector`, :func:`load_dvector`). The encoder is trained in
:mod:`resynth_lib.speaker.dvector_train` (GE2E or a softmax over the training speakers;
``resynth train dvector``), judged as a verification system in
:mod:`resynth_lib.speaker.verification` (the GE2E loss, cosine scores of utterance pairs and
their equal error rate), and used to name a speaker in
:mod:`resynth_lib.speaker.classifier`. Taught in notebook 05 (``05_speaker_identity``).

Example
-------
>>> encoder = load_dvector()                          # data/checkpoints/dvector.pt
>>> encoder.speakers
['awb', 'kal16', 'rms', 'slt']
>>> e = encoder.embed(0.1 * np.random.default_rng(0).normal(size=16000))
>>> e.shape, round(float(np.linalg.norm(e)), 4)       # 128 numbers of unit length
((128,), 1.0)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from resynth_lib.core.checkpoints import load_checkpoint, save_checkpoint
from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.data.frames import SSL_MELS, log_mel_frames

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


def embed_utterances(encoder: DVectorEncoder, utterances) -> np.ndarray:
    """``(n, dim)`` embeddings of whole utterances, one row each.

    Taught in notebook 05 (``05_speaker_identity``).

    Example
    -------
    >>> from resynth_lib.data.corpus import load_corpus
    >>> embed_utterances(DVectorEncoder(hidden=8, dim=4), load_corpus().utterances(split="test")[:2]).shape
    (2, 4)
    """
    return np.stack([encoder.embed(u.waveform()) for u in utterances])


# ----------------------------------------------------------------- checkpoints and the command
def save_dvector(model: DVectorEncoder, path=None, record: dict | None = None, force: bool = False) -> Path:
    """Inference weights (config, training speakers, state_dict) + a JSON record beside them.

    Taught in notebook 05 (``05_speaker_identity``).

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_dvector(DVectorEncoder(hidden=8, dim=4), Path(tmp) / "d.pt", {"steps": 0})
    ...     load_dvector(path).config
    {'n_mels': 80, 'hidden': 8, 'dim': 4}
    """
    path = Path(path) if path is not None else CHECKPOINT_PATH
    return save_checkpoint(model, path, record or {}, force=force, extra={"speakers": list(model.speakers)})


def load_dvector(path=None) -> DVectorEncoder:
    """Load a checkpoint written by :func:`save_dvector` (default: the shipped ``data/checkpoints/dvector.pt``).

    Taught in notebook 05 (``05_speaker_identity``).

    Example
    -------
    >>> model = load_dvector()
    >>> model.config, model.training
    ({'n_mels': 80, 'hidden': 128, 'dim': 128}, False)
    """
    path = Path(path) if path is not None else CHECKPOINT_PATH
    model = load_checkpoint(DVectorEncoder, path, "train one with `resynth train dvector`")
    model.speakers = model.checkpoint_extra["speakers"]
    return model

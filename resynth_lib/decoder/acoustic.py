"""The frame-rate acoustic model: three code streams -> log-mel spectrogram and voicing, at 50 Hz.

The paper's HiFi-GAN turns codes straight into samples and must learn the spectral
envelope (formants, fricative noise, bursts) *at the sample rate* through a GAN; the
paper trained it 400k GPU steps. On two CPU cores we split the job in two:

1. this model predicts, for every 20 ms unit frame, the 80-band log-mel spectrum
   (the envelope and the harmonics) and four 5 ms voiced/unvoiced decisions;
2. a waveform stage turns the log-mel into audio: Griffin-Lim
   (:mod:`resynth_lib.decoder.griffin_lim`, no training) or a neural stage.

Units are at 50 Hz and the mel frames are taken at hop 320, so they align one-to-one:
no attention and no duration model. The model is non-autoregressive: embeddings of the
units, F0 codes and speaker plus the decoded log-F0, three residual dilated convolutions
(local context: a phone spans 3-10 frames) and a two-layer bidirectional GRU (the rest
of the utterance), then a linear layer to ``80 + 4`` numbers per frame.

* :func:`mel_target` / :func:`voicing_target` -- what it learns to predict;
* :class:`AcousticModel` -- the network; :func:`predict` runs it on one utterance's
  codes in overlapping chunks (:func:`predict_stream` yields them one by one), so memory
  does not grow with the length.

Trained by :mod:`resynth_lib.decoder.acoustic_train` (``resynth train acoustic``). Taught in
notebook 06c (``06c_frame_rate_decoder``).

Example
-------
>>> model = AcousticModel(n_units=10, n_speakers=2, channels=32, hidden=16)
>>> mel, voicing = model(torch.zeros(1, 8, dtype=torch.long), torch.zeros(1, 2, dtype=torch.long),
...                      torch.tensor([1]), torch.full((1, 32), 120.0))
>>> tuple(mel.shape), tuple(voicing.shape)
((1, 8, 80), (1, 8, 4))
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from resynth_lib.core.audio import log_mel
from resynth_lib.core.rates import F0_FRAMES_PER_UNIT, HOP, N_MELS, UNITS_PER_F0_CODE

LOG_F0_CENTRE = math.log(140.0)   #: decoded log-F0 is fed as (log f0 - log 140) / 0.5
LOG_F0_SCALE = 0.5


def mel_target(wav, n_frames: int | None = None) -> np.ndarray:
    """``(frames, 80)`` natural-log mel at hop 320 (the course's :func:`~resynth_lib.core.audio.log_mel` otherwise).

    Frame ``i`` is centred on sample ``320 i``; ``n_frames`` (default ``len(wav) // 320``)
    crops to the units' frames. This is what the acoustic model learns to predict
    (notebook 06c).

    >>> mel_target(np.zeros(3200, np.float32)).shape
    (10, 80)
    """
    wav = np.asarray(wav, np.float32)
    n_frames = len(wav) // HOP if n_frames is None else n_frames
    return log_mel(wav, hop_length=HOP).T[:n_frames].astype(np.float32)


def voicing_target(f0_track, n_frames: int) -> np.ndarray:
    """``(n_frames, 4)`` booleans: is each 5 ms F0 frame voiced (tracker F0 > 0)? Edge-padded to length.

    The F0 codes carry pitch but not voicing, so the acoustic model learns the voiced /
    unvoiced decisions from the units; these are its targets (notebook 06c).

    >>> voicing_target(np.array([0, 100, 100, 0, 120.0]), 2).astype(int).tolist()
    [[0, 1, 1, 0], [1, 1, 1, 1]]
    """
    voiced = np.asarray(f0_track) > 0
    need = F0_FRAMES_PER_UNIT * n_frames
    if len(voiced) < need:
        voiced = np.concatenate([voiced, np.repeat(voiced[-1:] if len(voiced) else [False], need - len(voiced))])
    return voiced[:need].reshape(n_frames, F0_FRAMES_PER_UNIT)


class ResidualConv(nn.Module):
    """``x + conv(gelu(conv(norm(x))))`` with a dilated kernel: local context without changing the length.

    The first convolution has ``kernel`` taps spaced ``dilation`` frames apart, the second
    is 1 x 1; ``dropout`` acts on the branch before it is added. Used by
    :class:`AcousticModel` and by the harmonic-noise stage (notebook 06c).

    Example
    -------
    >>> block = ResidualConv(channels=8, kernel=5, dilation=2).eval()
    >>> block(torch.zeros(1, 8, 30)).shape
    torch.Size([1, 8, 30])
    """

    def __init__(self, channels: int, kernel: int = 5, dilation: int = 1, dropout: float = 0.1):
        super().__init__()
        pad = dilation * (kernel - 1) // 2
        self.norm = nn.GroupNorm(1, channels)
        self.conv1 = nn.Conv1d(channels, channels, kernel, padding=pad, dilation=dilation)
        self.conv2 = nn.Conv1d(channels, channels, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return x + self.drop(self.conv2(torch.nn.functional.gelu(self.conv1(self.norm(x)))))


class CentroidEmbedding(nn.Module):
    """Unit ids -> a learnt linear map of each unit's k-means centroid (a frozen table), instead of a free vector.

    Units whose centroids are close start close, so a unit seen rarely in training borrows
    from its neighbours. It holds the same information as an ``nn.Embedding`` (the id);
    :meth:`as_embedding` folds it into one, so the shipped model is a plain
    :class:`AcousticModel`. ``centroids`` should be standardised feature vectors. Taught in
    notebook 06c (``06c_frame_rate_decoder``).

    Example
    -------
    >>> emb = CentroidEmbedding(np.eye(3, dtype=np.float32), dim=4)
    >>> ids = torch.tensor([[0, 2, 2]])
    >>> bool(torch.allclose(emb(ids), emb.as_embedding()(ids)))
    True
    """

    def __init__(self, centroids, dim: int):
        super().__init__()
        self.table = nn.Embedding.from_pretrained(torch.as_tensor(np.asarray(centroids, np.float32)), freeze=True)
        self.map = nn.Linear(self.table.embedding_dim, dim)

    def forward(self, ids):
        return self.map(self.table(ids))

    @torch.no_grad()
    def as_embedding(self) -> nn.Embedding:
        """The equivalent ``nn.Embedding`` (one row per unit: the map applied to its centroid)."""
        return nn.Embedding.from_pretrained(self.map(self.table.weight).clone(), freeze=False)


class AcousticModel(nn.Module):
    """Codes -> ``(mel (B, T, 80), voicing logits (B, T, 4))`` at the unit rate.

    Arguments: ``n_units`` / ``n_f0_codes`` / ``n_speakers`` (codebook sizes),
    ``dim`` (unit embedding width; F0 codes and speaker get half each), ``channels``
    (convolution width), ``hidden`` (GRU width per direction), ``n_mels``, ``dropout``
    (in the convolutions, before the GRU and before the output layer: the training split
    has only 176 sentences, and without it the model learns them by heart), and
    ``unit_vectors`` (optional ``(n_units, D)`` standardised k-means centroids: the units
    then enter through a :class:`CentroidEmbedding`, folded into a plain embedding by
    :meth:`fold_unit_vectors` before saving).

    Inputs: ``units (B, T)``, ``f0_codes (B, ceil(T / 4))``, ``speakers (B,)`` and
    ``f0_hz (B, 4 T)``, the contour decoded from the F0 codes
    (:func:`resynth_lib.decoder.codes.decoded_f0`), which lets pitch shifts reach the
    model as numbers and not only as codes. Taught in notebook 06c
    (``06c_frame_rate_decoder``).

    Example
    -------
    >>> m = AcousticModel(n_units=10, n_speakers=2, channels=32, hidden=16)
    >>> m(torch.zeros(2, 12, dtype=torch.long), torch.zeros(2, 3, dtype=torch.long), torch.tensor([0, 1]),
    ...   torch.full((2, 48), 100.0))[0].shape
    torch.Size([2, 12, 80])
    """

    def __init__(self, n_units: int = 100, n_f0_codes: int = 20, n_speakers: int = 4, dim: int = 128,
                 channels: int = 256, hidden: int = 128, n_mels: int = N_MELS, dropout: float = 0.1,
                 unit_vectors=None):
        super().__init__()
        self.config = {"n_units": n_units, "n_f0_codes": n_f0_codes, "n_speakers": n_speakers, "dim": dim,
                       "channels": channels, "hidden": hidden, "n_mels": n_mels, "dropout": dropout}
        self.units = nn.Embedding(n_units, dim) if unit_vectors is None else CentroidEmbedding(unit_vectors, dim)
        self.f0_codes = nn.Embedding(n_f0_codes, dim // 2)
        self.speaker = nn.Embedding(n_speakers, dim // 2)
        self.inp = nn.Conv1d(2 * dim + F0_FRAMES_PER_UNIT, channels, 5, padding=2)
        self.convs = nn.Sequential(*[ResidualConv(channels, 5, d, dropout) for d in (1, 2, 4)])
        self.drop = nn.Dropout(dropout)
        self.rnn = nn.GRU(channels, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden + channels, n_mels + F0_FRAMES_PER_UNIT)

    def fold_unit_vectors(self) -> "AcousticModel":
        """Replace a :class:`CentroidEmbedding` by the plain embedding it computes (same outputs); returns self."""
        if isinstance(self.units, CentroidEmbedding):
            self.units = self.units.as_embedding()
        return self

    def forward(self, units, f0_codes, speakers, f0_hz):
        T = units.shape[1]
        f0_emb = self.f0_codes(f0_codes).repeat_interleave(UNITS_PER_F0_CODE, dim=1)[:, :T]
        log_f0 = (torch.log(f0_hz.clamp_min(20.0)[:, :F0_FRAMES_PER_UNIT * T]) - LOG_F0_CENTRE) / LOG_F0_SCALE
        x = torch.cat([self.units(units), f0_emb, self.speaker(speakers)[:, None].expand(-1, T, -1),
                       log_f0.reshape(-1, T, F0_FRAMES_PER_UNIT)], dim=-1)
        h = self.convs(self.inp(x.transpose(1, 2))).transpose(1, 2)
        r, _ = self.rnn(self.drop(h))
        y = self.out(self.drop(torch.cat([r, h], dim=-1)))
        n_mels = self.config["n_mels"]
        return y[..., :n_mels], y[..., n_mels:]


@torch.no_grad()
def predict_stream(model: AcousticModel, units, f0_codes, speaker: int, f0_hz, chunk: int = 1500, context: int = 100):
    """Yield ``(mel (n, 80), voiced probability (4 n,))`` for one utterance's codes, chunk by chunk, in order.

    Each chunk of ``chunk`` frames is run with ``context`` extra frames on both sides
    (aligned to F0-code boundaries) and only its middle is kept, so memory stays flat for
    any length and, for utterances shorter than ``chunk``, the result is the whole-
    utterance forward pass. Taught in notebook 06c (``06c_frame_rate_decoder``).

    >>> m = AcousticModel(n_units=10, n_speakers=2, channels=16, hidden=8)
    >>> [len(mel) for mel, v in predict_stream(m, np.zeros(30, int), np.zeros(8, int), 1, np.full(120, 110.0), 8, 4)]
    [8, 8, 8, 6]
    """
    model.eval()
    units = np.asarray(units, np.int64)
    f0_codes, f0_hz = np.asarray(f0_codes, np.int64), np.asarray(f0_hz, np.float32)
    T = len(units)
    chunk = max(UNITS_PER_F0_CODE, chunk - chunk % UNITS_PER_F0_CODE)
    context = context - context % UNITS_PER_F0_CODE
    for start in range(0, T, chunk):
        lo, hi = max(0, start - context), min(T, start + chunk + context)
        mel, v = model(torch.from_numpy(units[lo:hi])[None],
                       torch.from_numpy(f0_codes[lo // UNITS_PER_F0_CODE:-(-hi // UNITS_PER_F0_CODE)])[None],
                       torch.tensor([speaker]), torch.from_numpy(f0_hz[F0_FRAMES_PER_UNIT * lo:F0_FRAMES_PER_UNIT * hi])[None])
        keep = slice(start - lo, min(start + chunk, T) - lo)
        yield mel[0, keep].numpy(), torch.sigmoid(v[0, keep]).reshape(-1).numpy()


def predict(model: AcousticModel, units, f0_codes, speaker: int, f0_hz, chunk: int = 1500,
            context: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """One utterance's codes -> ``(mel (T, 80), voiced probability (4 T,))``: :func:`predict_stream`'s chunks joined.

    Taught in notebook 06c (``06c_frame_rate_decoder``).

    >>> m = AcousticModel(n_units=10, n_speakers=2, channels=16, hidden=8)
    >>> mel, v = predict(m, np.zeros(30, int), np.zeros(8, int), 1, np.full(120, 110.0), chunk=8, context=4)
    >>> mel.shape, v.shape
    ((30, 80), (120,))
    """
    mels, voicing = zip(*predict_stream(model, units, f0_codes, speaker, f0_hz, chunk, context))
    return np.concatenate(mels), np.concatenate(voicing)


def load_acoustic_model(path=None) -> AcousticModel:
    """The shipped acoustic model (``data/checkpoints/acoustic.pt``) or the one at ``path``, in eval mode.

    ``path`` is a file written by ``resynth train acoustic``; the sizes come from it
    (notebook 06c).

    >>> load_acoustic_model().config["n_mels"]
    80
    """
    from resynth_lib.core.checkpoints import load_checkpoint
    from resynth_lib.core.config import DATA_DIR
    return load_checkpoint(AcousticModel, path if path is not None else DATA_DIR / "checkpoints" / "acoustic.pt",
                        "train one with `resynth train acoustic`")


__all__ = ["mel_target", "voicing_target", "CentroidEmbedding", "AcousticModel", "predict_stream", "predict", "load_acoustic_model"]

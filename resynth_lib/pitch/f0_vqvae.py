"""The F0 VQ-VAE of the paper: speaker-normalised log-F0 at 200 Hz -> 20 codes at 12.5 Hz.

Taught in notebook 04b (``04b_f0_vqvae``). Polyak et al. (2021) code the pitch
stream with a small VQ-VAE: the F0 contour (5 ms frames), normalised per speaker, goes
through 1-D convolutions that downsample x16; each 80 ms step is replaced by the nearest of
K=20 code vectors; a mirrored decoder upsamples x16 back to a contour. The codebook is
learnt with exponential moving averages (EMA, decay 0.99) rather than gradients, unused
codes are restarted, and a commitment term (weight 0.02) keeps the encoder near its codes.

This module holds the model and its use:

* :class:`F0VQVAE` -- encoder, codebook, decoder; loss on voiced frames only.
* :func:`quantise_contour` -- an F0 track in Hz to its codes; :func:`decode_to_hz` -- codes
  back to Hz, for any speaker's statistics.
* :func:`load_f0_vqvae` -- the shipped checkpoint.

Its siblings: :mod:`resynth_lib.pitch.codebook` holds the vector-quantisation step and the
EMA codebook (:func:`~resynth_lib.pitch.codebook.nearest_codes`,
:func:`~resynth_lib.pitch.codebook.ema_update`,
:class:`~resynth_lib.pitch.codebook.EMACodebook`); :mod:`resynth_lib.pitch.f0_vqvae_train`
prepares the data, trains, evaluates and writes the checkpoint (``resynth train f0vq``);
:mod:`resynth_lib.pitch.normalise` does the per-speaker normalisation; and
:mod:`resynth_lib.core.bits` counts what the codes cost in bits per second.

Deviations from the paper, chosen for a 2-core CPU: 56 channels and 64-dimensional codes
(the paper's code base uses 128-dimensional codes and a larger Jukebox-style encoder), one
residual block pair (dilations 1, 3) per resolution, and 256-frame (1.28 s) training
segments. The decoder reconstructs F0 on *voiced* frames only; voicing itself is not coded,
so :func:`decode_to_hz` takes the original voiced/unvoiced mask (the paper's VQ-VAE does
the same: it reconstructs F0 where the input is voiced). The shipped checkpoint is
``data/checkpoints/f0_vqvae.pt`` with its training record ``f0_vqvae.json``;
re-train it with ``resynth train f0vq --force``.

Example
-------
>>> model = F0VQVAE()
>>> x = torch.zeros(2, 2, 64)                      # (batch, [contour, voiced mask], frames)
>>> model.encode(x).shape                          # 64 frames / 16
torch.Size([2, 4])
>>> from resynth_lib.core.bits import bitrate
>>> round(bitrate(F0_CODE_RATE, N_CODES), 2)        # 12.5 codes per second, 20 codes
54.02
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from resynth_lib.core.checkpoints import load_checkpoint
from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.core.rates import F0_CODE_RATE, F0_FRAMES_PER_CODE, F0_RATE, N_F0_CODES  # noqa: F401
from resynth_lib.pitch import normalise
from resynth_lib.pitch.codebook import EMACodebook, nearest_codes

CHECKPOINT_PATH = CHECKPOINT_DIR / "f0_vqvae.pt"
N_CODES = N_F0_CODES
COMMITMENT = 0.02                                  #: the paper's commitment weight


def _normalise(f0, stats, speaker):
    """Normalised log-F0 (0 where unvoiced) and the voiced mask."""
    f0 = np.nan_to_num(np.asarray(f0, dtype=np.float64), nan=0.0)
    return normalise.normalise_f0(f0, stats, speaker), f0 > 0


# ------------------------------------------------------------------ encoder / decoder
class _ResBlock(nn.Module):
    def __init__(self, width: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv1d(width, width // 2, 3, padding=dilation, dilation=dilation)
        self.proj = nn.Conv1d(width // 2, width, 1)

    def forward(self, x):
        return x + self.proj(F.relu(self.conv(F.relu(x))))


class F0VQVAE(nn.Module):
    """Encoder (x16 down) -> :class:`EMACodebook` -> decoder (x16 up) for F0 contours.

    Input ``x`` is ``(B, 2, T)``: the speaker-normalised log-F0 (0 where unvoiced) and the
    voiced mask, ``T`` a multiple of 16. Each of ``levels`` stages is a stride-2 convolution
    followed by two residual blocks (dilations 1 and 3); the decoder mirrors it with
    transposed convolutions. ``forward(x)`` returns ``(recon (B, T), codes (B, T/16),
    losses, perplexity)`` where ``losses`` holds ``loss = recon + commitment_weight *
    commitment`` and both terms; the reconstruction error is the mean squared error on
    voiced frames only. Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> model = F0VQVAE(width=16, code_dim=8)
    >>> x = torch.stack([torch.randn(3, 32), torch.ones(3, 32)], dim=1)
    >>> recon, codes, losses, ppl = model(x)
    >>> recon.shape, codes.shape, sorted(losses)
    (torch.Size([3, 32]), torch.Size([3, 2]), ['commitment', 'loss', 'recon'])
    >>> model.decode_codes(codes).shape
    torch.Size([3, 32])
    """

    def __init__(self, width: int = 56, code_dim: int = 64, n_codes: int = N_CODES, levels: int = 4,
                 commitment_weight: float = COMMITMENT, dead_after: int = 50, in_channels: int = 2):
        super().__init__()
        self.width, self.code_dim, self.n_codes, self.levels = width, code_dim, n_codes, levels
        self.commitment_weight, self.in_channels = commitment_weight, in_channels
        self.config = {"width": width, "code_dim": code_dim, "n_codes": n_codes, "levels": levels,
                       "commitment_weight": commitment_weight, "dead_after": dead_after, "in_channels": in_channels}
        enc = [nn.Conv1d(in_channels, width, 3, padding=1)]
        for _ in range(levels):
            enc += [nn.Conv1d(width, width, 4, stride=2, padding=1), _ResBlock(width, 1), _ResBlock(width, 3)]
        enc += [nn.ReLU(), nn.Conv1d(width, code_dim, 3, padding=1)]
        self.encoder = nn.Sequential(*enc)
        self.codebook = EMACodebook(n_codes, code_dim, dead_after=dead_after)
        dec = [nn.Conv1d(code_dim, width, 3, padding=1)]
        for _ in range(levels):
            dec += [_ResBlock(width, 3), _ResBlock(width, 1), nn.ReLU(),
                    nn.ConvTranspose1d(width, width, 4, stride=2, padding=1)]
        dec += [nn.ReLU(), nn.Conv1d(width, 1, 3, padding=1)]
        self.decoder = nn.Sequential(*dec)

    @property
    def downsample(self) -> int:
        return 2 ** self.levels

    def _check(self, x):
        if x.ndim != 3 or x.shape[1] != self.in_channels or x.shape[2] % self.downsample:
            raise ValueError(f"expected (batch, {self.in_channels}, frames) with frames a multiple of "
                             f"{self.downsample}, got {tuple(x.shape)}")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Code indices ``(B, T / 16)`` of a batch of inputs ``(B, 2, T)``."""
        self._check(x)
        z = self.encoder(x)
        flat = z.permute(0, 2, 1).reshape(-1, self.code_dim)
        return nearest_codes(flat, self.codebook.embed).reshape(z.shape[0], z.shape[2])

    def decode_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """Normalised log-F0 contour ``(B, 16 T')`` from codes ``(B, T')``."""
        q = self.codebook.embed[codes.long()].permute(0, 2, 1)
        return self.decoder(q)[:, 0]

    def forward(self, x: torch.Tensor):
        self._check(x)
        q, codes, commitment, ppl = self.codebook(self.encoder(x))
        recon = self.decoder(q)[:, 0]
        mask = x[:, 1] if self.in_channels > 1 else (x[:, 0] != 0).float()
        err = ((recon - x[:, 0]) ** 2 * mask).sum() / mask.sum().clamp(min=1.0)
        return recon, codes, {"loss": err + self.commitment_weight * commitment, "recon": err,
                              "commitment": commitment}, ppl


# ------------------------------------------------------------------ inference and evaluation
#: A long contour is coded and decoded in pieces of this many 5 ms frames (60 s) with this much context on each
#: side (2.56 s, beyond the encoder's and decoder's receptive fields), so memory does not grow with its length.
CHUNK_FRAMES, CONTEXT_FRAMES = 12_000, 512


@torch.no_grad()
def _in_pieces(run, n: int, chunk: int, context: int, scale: int = 1) -> torch.Tensor:
    """``run(lo, hi)`` on steps ``lo..hi`` of ``n`` (``scale`` outputs per step), in pieces with context, concatenated.

    One call when ``n`` fits in a piece and its context, so short inputs get exactly the one-pass result.
    """
    if n <= chunk + 2 * context:
        return run(0, n)
    kept = []
    for start in range(0, n, chunk):
        lo, hi = max(0, start - context), min(n, start + chunk + context)
        kept.append(run(lo, hi)[scale * (start - lo):scale * (min(n, start + chunk) - lo)])
    return torch.cat(kept)


@torch.no_grad()
def _codes_and_recon(model, contour, voiced):
    """Codes and reconstruction of one whole utterance (zero-padded to a multiple of 16)."""
    T = len(contour)
    n = -(-T // model.downsample) * model.downsample
    x = torch.zeros(1, 2, n)
    x[0, 0, :T] = torch.as_tensor(np.asarray(contour, np.float32))
    x[0, 1, :T] = torch.as_tensor(np.asarray(voiced, np.float32))
    codes = model.encode(x)
    return codes[0].numpy(), model.decode_codes(codes)[0, :T].numpy().astype(np.float64)


def quantise_contour(model: F0VQVAE, f0_hz, stats: dict, speaker: str) -> np.ndarray:
    """F0 in Hz (0 or NaN = unvoiced, 5 ms frames) -> code indices at 12.5 Hz, ``(ceil(T / 16),)``.

    A contour longer than a minute is coded in pieces of :data:`CHUNK_FRAMES` with
    :data:`CONTEXT_FRAMES` of context (memory stays flat). Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> stats = {"a": {"log_mean": float(np.log(120.0)), "log_std": 0.2}}
    >>> quantise_contour(F0VQVAE(), np.full(50, 120.0), stats, "a").shape
    (4,)
    """
    model.eval()
    z, voiced = _normalise(f0_hz, stats, speaker)
    T = len(z)
    n = -(-T // model.downsample) * model.downsample
    x = torch.zeros(1, 2, n)
    x[0, 0, :T] = torch.as_tensor(np.asarray(z, np.float32))
    x[0, 1, :T] = torch.as_tensor(np.asarray(voiced, np.float32))
    down = model.downsample
    return _in_pieces(lambda lo, hi: model.encode(x[..., down * lo:down * hi])[0], n // down,
                      CHUNK_FRAMES // down, CONTEXT_FRAMES // down).numpy()


@torch.no_grad()
def decode_to_hz(model: F0VQVAE, codes, voiced_mask, stats: dict, speaker: str) -> np.ndarray:
    """Codes -> F0 in Hz on the frames of ``voiced_mask``, 0.0 elsewhere.

    The VQ-VAE codes pitch, not voicing (as in the paper, it reconstructs F0 on voiced
    frames), so the ORIGINAL voiced/unvoiced mask decides where the output is voiced; its
    length sets the output length. Long inputs are decoded in pieces with context, as in
    :func:`quantise_contour`. Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> stats = {"a": {"log_mean": float(np.log(120.0)), "log_std": 0.2}}
    >>> f0 = decode_to_hz(F0VQVAE(), np.array([3, 3, 7]), np.arange(40) % 2 == 0, stats, "a")
    >>> f0.shape, float(f0[1])
    ((40,), 0.0)
    """
    model.eval()
    voiced = np.asarray(voiced_mask, bool)
    codes = torch.as_tensor(np.asarray(codes)).long().reshape(1, -1)
    if codes.shape[1] * model.downsample < len(voiced):
        raise ValueError(f"{codes.shape[1]} codes cover {codes.shape[1] * model.downsample} frames, "
                         f"fewer than the mask's {len(voiced)}")
    down = model.downsample
    values = _in_pieces(lambda lo, hi: model.decode_codes(codes[:, lo:hi])[0], codes.shape[1], CHUNK_FRAMES // down,
                        CONTEXT_FRAMES // down, scale=down)[:len(voiced)].numpy()
    return normalise.denormalise_f0(values, stats, speaker, voiced=voiced)


# ------------------------------------------------------------------ checkpoints
def load_f0_vqvae(path=CHECKPOINT_PATH) -> F0VQVAE:
    """Load an :class:`F0VQVAE` saved by :func:`resynth_lib.pitch.f0_vqvae_train.train_and_save`.

    Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> model = load_f0_vqvae()
    >>> model.n_codes, model.downsample
    (20, 16)
    """
    model = load_checkpoint(F0VQVAE, path, f"train one with `resynth train f0vq --out {path}`")
    model.codebook.initialised.fill_(True)
    return model

"""The F0 VQ-VAE of the paper: speaker-normalised log-F0 at 200 Hz -> 20 codes at 12.5 Hz.

Taught in notebook 04 (``04_pitch_and_f0_vqvae``). Polyak et al. (2021) code the pitch
stream with a small VQ-VAE: the F0 contour (5 ms frames), normalised per speaker, goes
through 1-D convolutions that downsample x16; each 80 ms step is replaced by the nearest of
K=20 code vectors; a mirrored decoder upsamples x16 back to a contour. The codebook is
learnt with exponential moving averages (EMA, decay 0.99) rather than gradients, unused
codes are restarted, and a commitment term (weight 0.02) keeps the encoder near its codes.

* :func:`nearest_codes` -- the VQ step: index of the closest code for every vector.
* :func:`ema_update` -- one EMA codebook update (cluster sizes, summed vectors, Laplace smoothing).
* :class:`EMACodebook` -- both, with dead-code restarts and straight-through gradients.
* :class:`F0VQVAE` -- encoder, codebook, decoder; loss on voiced frames only.
* :func:`prepare_f0_data`, :func:`train_f0_vqvae`, :func:`train_and_save`,
  :func:`load_f0_vqvae`, :func:`quantise_contour`, :func:`decode_to_hz`,
  :func:`evaluate_f0_vqvae`, :func:`bitrate`, :func:`entropy_bitrate`.

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
>>> bitrate(12.5, 20) > 54.0
True
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import pitch
from .config import machine_info

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKPOINT_PATH = REPO_ROOT / "data" / "checkpoints" / "f0_vqvae.pt"
RUNS_DIR = REPO_ROOT / "runs"                      #: git-ignored: resume files and F0 caches live here
DOWNSAMPLE = 16                                    #: 200 Hz -> 12.5 Hz
FRAME_RATE = 200.0                                 #: F0 frames per second (5 ms hop)
CODE_RATE = FRAME_RATE / DOWNSAMPLE                #: 12.5 codes per second
N_CODES, COMMITMENT, EMA_DECAY = 20, 0.02, 0.99    #: the paper's values


# ------------------------------------------------------------------ the VQ step and the EMA update
def _as_tensor(x):
    return (torch.as_tensor(np.asarray(x, dtype=np.float64)), True) if isinstance(x, np.ndarray) else (x, False)


def nearest_codes(z, codebook):
    """Index of the nearest code (squared Euclidean distance) for every row of ``z``.

    ``z`` is ``(N, D)``, ``codebook`` ``(K, D)``; returns ``(N,)`` integers (ties go to the
    lower index). Works on numpy arrays or torch tensors. Taught in notebook 04
    (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> nearest_codes(np.array([[0.1, 0.0], [0.9, 1.2]]), np.array([[0.0, 0.0], [1.0, 1.0]])).tolist()
    [0, 1]
    """
    zt, was_np = _as_tensor(z)
    ct, _ = _as_tensor(codebook)
    ct = ct.to(zt.dtype)
    # |z - c|^2 = |z|^2 - 2 z.c + |c|^2 ; |z|^2 is the same for every code and can be dropped
    distances = (ct * ct).sum(dim=1)[None, :] - 2.0 * zt @ ct.T
    codes = distances.argmin(dim=1)
    return codes.numpy() if was_np else codes


def ema_update(codebook, cluster_size, embed_sum, z, codes, decay: float = EMA_DECAY, eps: float = 1e-5):
    """One EMA update of a VQ codebook; returns ``(codebook, cluster_size, embed_sum)``.

    With ``n_k`` the number of vectors of ``z`` assigned to code ``k`` and ``s_k`` their sum:
    ``cluster_size <- decay * cluster_size + (1 - decay) * n_k`` and
    ``embed_sum <- decay * embed_sum + (1 - decay) * s_k``. The new code is the running mean
    ``embed_sum_k / N_k`` where ``N_k = (cluster_size_k + eps) / (n + K eps) * n`` (Laplace
    smoothing, ``n = sum(cluster_size)``), so a code nobody uses never divides by zero.
    The input ``codebook`` is only used for its shape. Works on numpy or torch.
    Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> cb, size, total = ema_update(np.zeros((2, 1)), np.ones(2), np.zeros((2, 1)),
    ...                              np.array([[4.0], [6.0]]), np.array([1, 1]), decay=0.5)
    >>> size.tolist(), total.ravel().tolist()
    ([0.5, 1.5], [0.0, 5.0])
    """
    zt, was_np = _as_tensor(z)
    cs, _ = _as_tensor(cluster_size)
    es, _ = _as_tensor(embed_sum)
    K = codebook.shape[0]
    codes_t = torch.as_tensor(np.asarray(codes)) if isinstance(codes, np.ndarray) else codes
    onehot = F.one_hot(codes_t.long(), K).to(zt.dtype)          # (N, K)
    cs = decay * cs.to(zt.dtype) + (1 - decay) * onehot.sum(dim=0)
    es = decay * es.to(zt.dtype) + (1 - decay) * onehot.T @ zt
    n = cs.sum()
    smoothed = (cs + eps) / (n + K * eps) * n
    new = es / smoothed[:, None]
    return (new.numpy(), cs.numpy(), es.numpy()) if was_np else (new, cs, es)


def perplexity(codes, n_codes: int = N_CODES) -> float:
    """``exp(entropy)`` of the code histogram: how many codes are used, effectively.

    Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> round(perplexity(np.array([0, 1, 2, 3]), 20), 3), perplexity(np.zeros(8, int))
    (4.0, 1.0)
    """
    counts = np.bincount(np.asarray(codes).ravel(), minlength=n_codes).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(np.exp(-np.sum(p * np.log(p))))


def bitrate(codes_per_second: float = CODE_RATE, n_codes: int = N_CODES) -> float:
    """Bits per second of a stream of ``n_codes``-ary codes: ``rate * log2(K)``.

    Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> round(bitrate(), 2)          # 12.5 * log2(20)
    54.02
    """
    return float(codes_per_second * np.log2(n_codes))


def entropy_bitrate(codes, codes_per_second: float = CODE_RATE) -> float:
    """Bits per second if each code cost its unigram entropy: ``rate * H(codes)`` in bits.

    Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> entropy_bitrate(np.array([0, 1, 0, 1]))     # 1 bit per code
    12.5
    """
    codes = np.concatenate([np.asarray(c).ravel() for c in codes]) if isinstance(codes, (list, tuple)) \
        else np.asarray(codes).ravel()
    _, counts = np.unique(codes, return_counts=True)
    p = counts / counts.sum()
    return float(codes_per_second * -np.sum(p * np.log2(p)))


# ------------------------------------------------------------------ the codebook
class EMACodebook(nn.Module):
    """K code vectors learnt by EMA, with dead-code restarts and straight-through gradients.

    ``forward(z)`` takes encoder outputs ``(B, D, T)`` and returns ``(quantised, codes,
    commitment, perplexity)``: ``quantised`` equals the chosen codes in value but passes
    gradients straight through to ``z``; ``commitment = mean |z - sg(code)|^2``. In training
    mode the first call initialises the codebook with a few k-means iterations on the batch,
    every call does one :func:`ema_update`, and codes unused for ``dead_after`` calls are
    restarted at random current encoder outputs. Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> vq = EMACodebook(n_codes=4, dim=3)
    >>> q, codes, commit, ppl = vq(torch.randn(2, 3, 5))
    >>> q.shape, codes.shape, 1.0 <= float(ppl) <= 4.0
    (torch.Size([2, 3, 5]), torch.Size([2, 5]), True)
    """

    def __init__(self, n_codes: int = N_CODES, dim: int = 64, decay: float = EMA_DECAY, eps: float = 1e-5,
                 dead_after: int = 50, kmeans_iters: int = 10):
        super().__init__()
        self.n_codes, self.dim, self.decay, self.eps = n_codes, dim, decay, eps
        self.dead_after, self.kmeans_iters = dead_after, kmeans_iters
        self.register_buffer("embed", torch.randn(n_codes, dim) * 0.1)
        self.register_buffer("cluster_size", torch.ones(n_codes))
        self.register_buffer("embed_sum", self.embed.clone())
        self.register_buffer("unused", torch.zeros(n_codes, dtype=torch.long), persistent=False)
        self.register_buffer("initialised", torch.tensor(False), persistent=False)
        self.restarts = 0                                   #: codes restarted so far (training only)

    @torch.no_grad()
    def _kmeans_init(self, flat: torch.Tensor) -> None:
        centres = flat[torch.randperm(len(flat))[: self.n_codes]].clone()
        if len(centres) < self.n_codes:                     # fewer vectors than codes: repeat with jitter
            centres = centres[torch.arange(self.n_codes) % len(centres)]
            centres = centres + 1e-3 * torch.randn_like(centres)
        for _ in range(self.kmeans_iters):
            codes = nearest_codes(flat, centres)
            counts = torch.bincount(codes, minlength=self.n_codes).float()
            sums = torch.zeros_like(centres).index_add_(0, codes, flat)
            used = counts > 0
            centres[used] = sums[used] / counts[used, None]
        self.embed.copy_(centres)
        self.embed_sum.copy_(centres)
        self.cluster_size.fill_(1.0)
        self.initialised.fill_(True)

    @torch.no_grad()
    def _update(self, flat: torch.Tensor, codes: torch.Tensor) -> None:
        embed, size, total = ema_update(self.embed, self.cluster_size, self.embed_sum, flat, codes,
                                        self.decay, self.eps)
        self.embed.copy_(embed)
        self.cluster_size.copy_(size)
        self.embed_sum.copy_(total)
        used = torch.bincount(codes, minlength=self.n_codes) > 0
        self.unused.copy_(torch.where(used, torch.zeros_like(self.unused), self.unused + 1))
        dead = self.unused >= self.dead_after
        if dead.any():                                      # restart: a random current encoder output
            fresh = flat[torch.randint(len(flat), (int(dead.sum()),))]
            self.embed[dead] = fresh
            self.embed_sum[dead] = fresh
            self.cluster_size[dead] = 1.0
            self.unused[dead] = 0
            self.restarts += int(dead.sum())

    def forward(self, z: torch.Tensor):
        B, D, T = z.shape
        flat = z.permute(0, 2, 1).reshape(-1, D)
        if self.training and not bool(self.initialised):
            self._kmeans_init(flat.detach())
        codes = nearest_codes(flat.detach(), self.embed)
        if self.training:
            self._update(flat.detach(), codes)
        q = self.embed[codes]
        commitment = F.mse_loss(flat, q.detach())
        q = flat + (q - flat).detach()                      # straight-through estimator
        p = torch.bincount(codes, minlength=self.n_codes).float() / len(codes)
        ppl = torch.exp(-(p[p > 0] * p[p > 0].log()).sum())
        return q.reshape(B, T, D).permute(0, 2, 1), codes.reshape(B, T), commitment, ppl


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
    voiced frames only. Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

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


# ------------------------------------------------------------------ data
def _default_tracker():
    return pitch.track_f0, "resynth_lib.pitch.track_f0"


def speaker_log_f0_stats(tracks) -> dict:
    """Per-speaker F0 statistics from ``(speaker, f0_hz)`` pairs: :func:`resynth_lib.pitch.stats_from_tracks`.

    Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> s = speaker_log_f0_stats([("a", np.array([0.0, 100.0, 100.0]))])
    >>> round(float(np.exp(s["a"]["log_mean"])), 3), s["a"]["n_voiced_frames"]
    (100.0, 2)
    """
    return pitch.stats_from_tracks(tracks)


def _normalise(f0, stats, speaker):
    """Normalised log-F0 (0 where unvoiced) and the voiced mask."""
    f0 = np.nan_to_num(np.asarray(f0, dtype=np.float64), nan=0.0)
    return pitch.normalise_f0(f0, stats, speaker), f0 > 0


def track_split(corpus, split: str, tracker=None, cache_dir=None, progress: bool = True):
    """F0 (Hz, 0 = unvoiced) of every utterance of ``split``: list of ``(utt_id, speaker, f0)``.

    With ``cache_dir`` the tracks are kept in ``cache_dir/f0_<split>_<tracker>.npz`` and read
    back next time. Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> from resynth_lib.data import load_corpus
    >>> from resynth_lib.audio import quick_f0
    >>> from resynth_lib.data import Corpus
    >>> tracks = track_split(Corpus(load_corpus().utterances(split="test")[:1]), "test",
    ...                      tracker=lambda w: np.nan_to_num(quick_f0(w)), progress=False)
    >>> len(tracks), tracks[0][2].ndim
    (1, 1)
    """
    tracker, name = (tracker, getattr(tracker, "__name__", "custom")) if tracker is not None else _default_tracker()
    utts = corpus.utterances(split=split)
    cache = None
    if cache_dir is not None:
        tag = "".join(ch if ch.isalnum() else "_" for ch in name)[:60]
        cache = Path(cache_dir) / f"f0_{split}_{tag}_{len(utts)}.npz"
        if cache.exists():
            z = np.load(cache)
            bounds = z["offsets"]
            return [(str(u), str(s), z["f0"][bounds[i]:bounds[i + 1]])
                    for i, (u, s) in enumerate(zip(z["utt_ids"], z["speakers"]))]
    items = utts
    if progress:
        from tqdm.auto import tqdm
        items = tqdm(utts, desc=f"F0 ({split})", unit="utt")
    tracks = [(u.utt_id, u.speaker, np.nan_to_num(np.asarray(tracker(u.waveform()), np.float64), nan=0.0))
              for u in items]
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, utt_ids=np.array([t[0] for t in tracks]), speakers=np.array([t[1] for t in tracks]),
                 offsets=np.cumsum([0] + [len(t[2]) for t in tracks]), f0=np.concatenate([t[2] for t in tracks]))
    return tracks


def prepare_f0_data(corpus, split: str, stats=None, tracker=None, progress: bool = True, cache_dir=None):
    """``[(normalised log-F0 float32, voiced mask bool, speaker, utt_id), ...]`` for a split.

    F0 is tracked for every utterance (:func:`resynth_lib.pitch.track_f0` by default) and
    normalised per speaker, ``(log f0 - log_mean) / log_std``, with unvoiced frames 0.
    ``stats`` are per-speaker statistics as :func:`resynth_lib.pitch.f0_stats` makes them;
    ``None`` computes them from the corpus TRAIN split (:func:`speaker_log_f0_stats`).
    ``cache_dir`` keeps the tracked F0 as an .npz. Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> from resynth_lib.data import load_corpus
    >>> from resynth_lib.audio import quick_f0
    >>> from resynth_lib.data import Corpus
    >>> data = prepare_f0_data(Corpus(load_corpus().utterances(split="train")[:2]), "train",
    ...                        tracker=lambda w: np.nan_to_num(quick_f0(w)), progress=False)
    >>> contour, voiced, speaker, utt_id = data[0]
    >>> contour.dtype, voiced.dtype, bool(np.all(contour[~voiced] == 0))
    (dtype('float32'), dtype('bool'), True)
    """
    tracks = track_split(corpus, split, tracker, cache_dir, progress)
    if stats is None:
        train = tracks if split == "train" else track_split(corpus, "train", tracker, cache_dir, progress)
        stats = speaker_log_f0_stats((s, f0) for _, s, f0 in train)
    out = []
    for utt_id, speaker, f0 in tracks:
        z, voiced = _normalise(f0, stats, speaker)
        out.append((z.astype(np.float32), voiced, speaker, utt_id))
    return out


def _stream(data, gap: int = 16):
    """All contours end to end (``gap`` unvoiced frames between them): ``(2, total)`` float32."""
    pad = np.zeros(gap, np.float32)
    z = np.concatenate([np.concatenate([c, pad]) for c, _, _, _ in data])
    m = np.concatenate([np.concatenate([v.astype(np.float32), pad]) for _, v, _, _ in data])
    return np.stack([z, m])


def _batch(stream, rng, batch_size, segment):
    starts = rng.integers(0, stream.shape[1] - segment, size=batch_size)
    idx = starts[:, None] + np.arange(segment)[None, :]
    return torch.from_numpy(np.ascontiguousarray(stream[:, idx].transpose(1, 0, 2)))


# ------------------------------------------------------------------ training
def train_f0_vqvae(train_data, valid_data=None, steps: int = 3000, seed: int = 0, batch_size: int = 32,
                   segment: int = 256, lr: float = 1e-3, width: int = 56, code_dim: int = 64,
                   commitment_weight: float = COMMITMENT, dead_after: int = 50, checkpoint_path=None,
                   checkpoint_every: int = 500, resume: bool = False, progress: bool = True, valid_every: int = 0):
    """Train an :class:`F0VQVAE` with Adam on random ``segment``-frame windows; returns ``(model, history)``.

    ``train_data`` / ``valid_data`` come from :func:`prepare_f0_data`. ``history`` holds per
    step ``loss``, ``recon``, ``commitment``, ``perplexity`` and ``codes_used`` (distinct
    codes in the batch), plus ``restarts`` (dead codes restarted so far) and, every
    ``valid_every`` steps, ``valid`` (step, voiced MSE, perplexity). Every
    ``checkpoint_every`` steps and at the end, model + optimiser + random states go to
    ``checkpoint_path`` (a *resume* file: keep it under ``runs/``, never ship it);
    ``resume=True`` continues from it, giving the same result as an uninterrupted run.
    The same ``seed`` gives the same model. Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> t = np.arange(2000)
    >>> data = [(np.sin(t / 40).astype(np.float32), np.ones(2000, bool), "a", "u1")]
    >>> model, history = train_f0_vqvae(data, steps=5, batch_size=4, segment=64, width=16, code_dim=8,
    ...                                 progress=False)
    >>> len(history["loss"]), model.training
    (5, False)
    """
    stream = _stream(train_data)
    if stream.shape[1] <= segment:
        raise ValueError(f"training data has {stream.shape[1]} frames; need more than segment={segment}")
    if segment % DOWNSAMPLE:
        raise ValueError(f"segment must be a multiple of {DOWNSAMPLE}, got {segment}")
    keys = ("loss", "recon", "commitment", "perplexity", "codes_used")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = F0VQVAE(width, code_dim, commitment_weight=commitment_weight, dead_after=dead_after)
        optimiser = torch.optim.Adam(model.parameters(), lr=lr)
        rng = np.random.default_rng(seed)
        history = {k: [] for k in keys} | {"restarts": 0, "valid": []}
        start = 0
        if resume and checkpoint_path is not None and Path(checkpoint_path).exists():
            state = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
            model.load_state_dict(state["model"])
            model.codebook.unused.copy_(state["unused"])
            model.codebook.initialised.fill_(True)
            model.codebook.restarts = state["history"]["restarts"]
            optimiser.load_state_dict(state["optimiser"])
            rng.bit_generator.state = state["numpy_rng"]
            torch.set_rng_state(state["torch_rng"])
            history, start = state["history"], state["step"]
        steps_iter = range(start, steps)
        if progress:
            from tqdm.auto import tqdm
            steps_iter = tqdm(steps_iter, desc="F0 VQ-VAE", unit="step", initial=start, total=steps)

        def save(step):
            Path(checkpoint_path).parent.mkdir(parents=True, exist_ok=True)
            torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "step": step,
                        "history": history, "unused": model.codebook.unused.clone(),
                        "numpy_rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state()},
                       checkpoint_path)

        model.train()
        for step in steps_iter:
            x = _batch(stream, rng, batch_size, segment)
            _, codes, losses, ppl = model(x)
            optimiser.zero_grad()
            losses["loss"].backward()
            optimiser.step()
            for k in keys[:3]:
                history[k].append(losses[k].item())
            history["perplexity"].append(ppl.item())
            history["codes_used"].append(int(codes.unique().numel()))
            history["restarts"] = model.codebook.restarts
            if valid_data is not None and valid_every and (step + 1) % valid_every == 0:
                v = evaluate_f0_vqvae(model, valid_data)
                model.train()
                history["valid"].append({"step": step + 1, "recon": v["recon_mse"], "perplexity": v["perplexity"]})
            if progress and step % 50 == 0:
                steps_iter.set_postfix(loss=f"{history['loss'][-1]:.3f}", ppl=f"{history['perplexity'][-1]:.1f}")
            if checkpoint_path is not None and (step + 1) % checkpoint_every == 0:
                save(step + 1)
        if checkpoint_path is not None and len(history["loss"]) > 0:
            save(len(history["loss"]))
    return model.eval(), history


# ------------------------------------------------------------------ inference and evaluation
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

    Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> stats = {"a": {"log_mean": float(np.log(120.0)), "log_std": 0.2}}
    >>> quantise_contour(F0VQVAE(), np.full(50, 120.0), stats, "a").shape
    (4,)
    """
    model.eval()
    z, voiced = _normalise(f0_hz, stats, speaker)
    return _codes_and_recon(model, z, voiced)[0]


@torch.no_grad()
def decode_to_hz(model: F0VQVAE, codes, voiced_mask, stats: dict, speaker: str) -> np.ndarray:
    """Codes -> F0 in Hz on the frames of ``voiced_mask``, 0.0 elsewhere.

    The VQ-VAE codes pitch, not voicing (as in the paper, it reconstructs F0 on voiced
    frames), so the ORIGINAL voiced/unvoiced mask decides where the output is voiced; its
    length sets the output length. Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

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
    values = model.decode_codes(codes)[0, :len(voiced)].numpy()
    return pitch.denormalise_f0(values, stats, speaker, voiced=voiced)


def f0_errors(ref_hz, est_hz) -> dict:
    """VDE, GPE (20 %) and FFE of ``est_hz`` against ``ref_hz`` (0 = unvoiced).

    Uses :mod:`resynth_lib.pitch`'s metrics. Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> f0_errors(np.array([100.0, 100.0, 0.0, 100.0]), np.array([100.0, 130.0, 0.0, 0.0]))
    {'vde': 0.25, 'gpe': 0.5, 'ffe': 0.5}
    """
    ref, est = np.asarray(ref_hz, np.float64), np.asarray(est_hz, np.float64)
    return {"vde": pitch.vde(ref, est), "gpe": pitch.gpe(ref, est), "ffe": pitch.ffe(ref, est)}


def evaluate_f0_vqvae(model: F0VQVAE, data, stats: dict | None = None) -> dict:
    """Code statistics and reconstruction errors of ``model`` on whole utterances of ``data``.

    Returns ``perplexity`` and ``codes_used`` over all codes, ``recon_mse`` (normalised
    log-F0, voiced frames), and with ``stats`` also ``vde``, ``gpe``, ``ffe`` (pooled over
    all frames) and ``rmse_cents`` of decoded vs original F0 in Hz, plus the nominal and
    entropy bitrates. Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> data = [(np.zeros(40, np.float32), np.ones(40, bool), "a", "u")]
    >>> sorted(evaluate_f0_vqvae(F0VQVAE(), data))[:3]
    ['bitrate_bps', 'codes_used', 'entropy_bitrate_bps']
    """
    model.eval()
    all_codes, sq, n_voiced, refs, ests = [], 0.0, 0, [], []
    for contour, voiced, speaker, _ in data:
        codes, recon = _codes_and_recon(model, contour, voiced)
        all_codes.append(codes)
        sq += float(np.sum((recon - contour)[voiced] ** 2))
        n_voiced += int(voiced.sum())
        if stats is not None:
            refs.append(pitch.denormalise_f0(contour, stats, speaker, voiced=voiced))
            ests.append(pitch.denormalise_f0(recon, stats, speaker, voiced=voiced))
    codes = np.concatenate(all_codes)
    out = {"n_utterances": len(data), "n_codes_total": int(len(codes)), "perplexity": perplexity(codes, model.n_codes),
           "codes_used": int(len(np.unique(codes))), "recon_mse": sq / max(n_voiced, 1),
           "bitrate_bps": bitrate(CODE_RATE, model.n_codes), "entropy_bitrate_bps": entropy_bitrate(codes)}
    if stats is not None:
        ref, est = np.concatenate(refs), np.concatenate(ests)
        out |= f0_errors(ref, est)
        v = ref > 0
        out["rmse_cents"] = float(np.sqrt(np.mean((1200 * np.log2(est[v] / ref[v])) ** 2)))
    return out


# ------------------------------------------------------------------ checkpoints
def load_f0_vqvae(path=CHECKPOINT_PATH) -> F0VQVAE:
    """Load an :class:`F0VQVAE` from an inference-only state_dict; sizes are read from the weights.

    Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> model = load_f0_vqvae()
    >>> model.n_codes, model.downsample
    (20, 16)
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such checkpoint; train one with `resynth train f0vq --out {path}`")
    state = torch.load(path, map_location="cpu", weights_only=True)
    n_codes, code_dim = state["codebook.embed"].shape
    width, in_channels = state["encoder.0.weight"].shape[:2]
    levels = sum(1 for k in state if k.startswith("encoder.") and k.endswith(".weight")
                 and state[k].ndim == 3 and state[k].shape[-1] == 4)
    model = F0VQVAE(width, code_dim, n_codes, levels, in_channels=in_channels)
    model.load_state_dict(state)
    model.codebook.initialised.fill_(True)
    return model.eval()


def _stats_for_training(corpus, tracker, cache_dir, progress):
    """The shipped ``data/f0_stats.json`` if there is one, else statistics of the train split's tracks."""
    path = REPO_ROOT / "data" / "f0_stats.json"
    if tracker is None and path.exists():
        return pitch.load_f0_stats(path), str(path.relative_to(REPO_ROOT))
    train = track_split(corpus, "train", tracker, cache_dir, progress)
    return speaker_log_f0_stats((s, f0) for _, s, f0 in train), "computed from the train split's F0 tracks"


def train_and_save(out=CHECKPOINT_PATH, steps: int = 6000, seed: int = 0, force: bool = False, resume: bool = False,
                   progress: bool = True, command: str | None = None, corpus=None, tracker=None,
                   cache_dir=RUNS_DIR / "f0_cache", resume_path=None, **train_kwargs) -> dict:
    """Train on the corpus train split, save float32 weights to ``out`` and a JSON record beside it.

    The record says how the model was made (command, seed, steps, wall time, machine, F0
    tracker and statistics used), the training losses averaged over the last 100 steps, and
    what it reached on the VALID split (:func:`evaluate_f0_vqvae`: perplexity, codes used,
    VDE / GPE / FFE of decoded vs original F0, bitrates). The optimiser state goes only to the
    resume file (``runs/f0_vqvae_seed<seed>.resume.pt`` unless ``resume_path``), never to
    ``out``. Refuses to overwrite ``out`` unless ``force``. Taught in notebook 04
    (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> import tempfile
    >>> from resynth_lib.data import load_corpus
    >>> from resynth_lib.audio import quick_f0
    >>> from resynth_lib.data import Corpus
    >>> c = load_corpus()
    >>> tiny = Corpus([u for u in c if u.speaker == "slt" and u.split in ("train", "valid")][:30])
    >>> d = Path(tempfile.mkdtemp())
    >>> rec = train_and_save(d / "m.pt", steps=3, corpus=tiny, progress=False, cache_dir=None,
    ...                      tracker=lambda w: np.nan_to_num(quick_f0(w)), resume_path=d / "m.resume.pt",
    ...                      batch_size=4, width=16, code_dim=8)
    >>> sorted(rec["valid"])[:4]
    ['bitrate_bps', 'codes_used', 'entropy_bitrate_bps', 'ffe']
    """
    from .data import load_corpus
    out = Path(out)
    if out.exists() and not force and not resume:
        raise FileExistsError(f"{out} exists; pass force=True (--force) to overwrite it")
    corpus = load_corpus() if corpus is None else corpus
    resume_path = Path(resume_path) if resume_path else RUNS_DIR / f"f0_vqvae_seed{seed}.resume.pt"
    if not resume and resume_path.exists():
        resume_path.unlink()                               # a fresh run must not continue an old one
    start = time.perf_counter()
    stats, stats_source = _stats_for_training(corpus, tracker, cache_dir, progress)
    train = prepare_f0_data(corpus, "train", stats, tracker, progress, cache_dir)
    valid = prepare_f0_data(corpus, "valid", stats, tracker, progress, cache_dir)
    data_time = time.perf_counter() - start
    model, history = train_f0_vqvae(train, valid, steps=steps, seed=seed, checkpoint_path=resume_path,
                                    resume=resume, progress=progress, **train_kwargs)
    wall = time.perf_counter() - start
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.float().contiguous() for k, v in model.state_dict().items()}, out)
    tail = slice(-100, None)
    tracker_name = _default_tracker()[1] if tracker is None else getattr(tracker, "__name__", "custom")
    record = {
        "command": command or f"resynth_lib.vqvae.train_and_save({str(out)!r}, steps={steps}, seed={seed})",
        "steps": steps, "seed": seed, "resumed": bool(resume),
        "hyperparameters": {"width": model.width, "code_dim": model.code_dim, "n_codes": model.n_codes,
                            "downsample": model.downsample, "commitment_weight": model.commitment_weight,
                            "ema_decay": model.codebook.decay, "dead_after": model.codebook.dead_after,
                            "batch_size": train_kwargs.get("batch_size", 32),
                            "segment": train_kwargs.get("segment", 256), "lr": train_kwargs.get("lr", 1e-3)},
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "f0_tracker": tracker_name, "f0_stats": stats_source,
        "f0_stats_values": {sp: {k: v for k, v in st.items()} for sp, st in stats.items()},
        "train_set": {"split": "train", "utterances": len(train), "frames": int(sum(len(c) for c, *_ in train))},
        "wall_time_s": round(wall, 1), "data_prep_s": round(data_time, 1), "torch_threads": torch.get_num_threads(),
        "machine": machine_info(),
        "final_train": {k: round(float(np.mean(history[k][tail])), 4)
                        for k in ("loss", "recon", "commitment", "perplexity", "codes_used")},
        "codes_restarted": history["restarts"],
        "valid": {k: (round(v, 4) if isinstance(v, float) else v)
                  for k, v in evaluate_f0_vqvae(model, valid, stats).items()},
    }
    out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv=None) -> None:
    """The command line: ``resynth train f0vq [--steps N] [--seed S] [--out PATH] [--resume] [--force]``.

    Taught in notebook 04 (``04_pitch_and_f0_vqvae``).

    Example
    -------
    >>> main(["--help"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: 0
    """
    parser = argparse.ArgumentParser(prog="resynth train f0vq",
                                     description="Train the F0 VQ-VAE on the corpus (notebook 04).")
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=CHECKPOINT_PATH)
    parser.add_argument("--resume", action="store_true", help="continue from runs/f0_vqvae_seed<S>.resume.pt")
    parser.add_argument("--force", action="store_true", help="overwrite an existing checkpoint")
    args = parser.parse_args(argv)
    command = "resynth train f0vq " + " ".join(sys.argv[1:] if argv is None else argv)
    record = train_and_save(args.out, steps=args.steps, seed=args.seed, force=args.force, resume=args.resume,
                            command=command.strip())
    print(json.dumps(record["valid"], indent=2))
    print(f"saved {args.out} and {args.out.with_suffix('.json')}")


__all__ = ["nearest_codes", "ema_update", "perplexity", "bitrate", "entropy_bitrate", "EMACodebook", "F0VQVAE",
           "speaker_log_f0_stats", "track_split", "prepare_f0_data", "train_f0_vqvae", "quantise_contour",
           "decode_to_hz", "f0_errors", "evaluate_f0_vqvae", "load_f0_vqvae", "train_and_save", "main",
           "CHECKPOINT_PATH", "DOWNSAMPLE", "CODE_RATE", "N_CODES", "COMMITMENT", "EMA_DECAY"]

if __name__ == "__main__":
    main()

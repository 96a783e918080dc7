"""Vector quantisation with a codebook learnt by exponential moving averages (EMA).

The bottleneck of the F0 VQ-VAE: every encoder output vector is replaced by the nearest of
K code vectors, and only the code's index is kept. :func:`nearest_codes` is that step;
:func:`ema_update` moves each code towards the running mean of the vectors assigned to it
(instead of learning the codes by gradient descent, as the paper does, decay 0.99); and
:class:`EMACodebook` puts both in a layer, with a k-means start, restarts for codes nobody
uses and straight-through gradients for the encoder. :func:`perplexity` says how many
codes are effectively in use. The model that uses the layer is
:class:`resynth_lib.pitch.f0_vqvae.F0VQVAE`.

Taught in notebook 04b (``04b_f0_vqvae``), where students write
:func:`nearest_codes` and :func:`ema_update` themselves.

Example
-------
>>> vq = EMACodebook(n_codes=3, dim=2).eval()       # eval mode: the codebook stays as it is
>>> _ = vq.embed.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
>>> q, codes, commitment, ppl = vq(torch.tensor([[[0.9, 0.1], [0.1, 0.8]]]))   # (B, D, T)
>>> codes.tolist(), q[0].T.tolist()                 # each step snaps to its nearest code
([[1, 2]], [[1.0, 0.0], [0.0, 1.0]])
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from resynth_lib.core.rates import N_F0_CODES as N_CODES

EMA_DECAY = 0.99                                   #: the paper's codebook decay


# ------------------------------------------------------------------ the VQ step and the EMA update
def _as_tensor(x):
    return (torch.as_tensor(np.asarray(x, dtype=np.float64)), True) if isinstance(x, np.ndarray) else (x, False)


def nearest_codes(z, codebook):
    """Index of the nearest code (squared Euclidean distance) for every row of ``z``.

    ``z`` is ``(N, D)``, ``codebook`` ``(K, D)``; returns ``(N,)`` integers (ties go to the
    lower index). Works on numpy arrays or torch tensors. Taught in notebook 04b
    (``04b_f0_vqvae``).

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
    Taught in notebook 04b (``04b_f0_vqvae``).

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

    Taught in notebook 04b (``04b_f0_vqvae``).

    Example
    -------
    >>> round(perplexity(np.array([0, 1, 2, 3]), 20), 3), perplexity(np.zeros(8, int))
    (4.0, 1.0)
    """
    counts = np.bincount(np.asarray(codes).ravel(), minlength=n_codes).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(np.exp(-np.sum(p * np.log(p))))


# ------------------------------------------------------------------ the codebook
class EMACodebook(nn.Module):
    """K code vectors learnt by EMA, with dead-code restarts and straight-through gradients.

    ``forward(z)`` takes encoder outputs ``(B, D, T)`` and returns ``(quantised, codes,
    commitment, perplexity)``: ``quantised`` equals the chosen codes in value but passes
    gradients straight through to ``z``; ``commitment = mean |z - sg(code)|^2``. In training
    mode the first call initialises the codebook with a few k-means iterations on the batch,
    every call does one :func:`ema_update`, and codes unused for ``dead_after`` calls are
    restarted at random current encoder outputs. Taught in notebook 04b (``04b_f0_vqvae``).

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

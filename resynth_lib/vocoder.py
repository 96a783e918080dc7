"""The HiFi-GAN vocoder of the paper, from scratch and sized for a CPU: codes in, waveform out.

The paper's decoder reads three discrete streams and writes 16 kHz audio:

* **conditioning** (:class:`CodeConditioner`) -- content units (50 Hz) and F0 codes
  (12.5 Hz, repeated x4 to 50 Hz) are looked up in embedding tables, the speaker
  embedding is repeated over time, and the three 128-d vectors are concatenated: 384
  channels at 50 Hz;
* **generator** (:class:`HiFiGANGenerator`) -- transposed convolutions upsample x320
  (8 x 5 x 4 x 2) to 16 kHz; after each, a *multi-receptive-field* block sums residual
  stacks with kernels 3, 7, 11 and dilations 1, 3, 5, so every output sample sees both
  fine and wide context; weight normalisation on every convolution;
* **discriminators** -- :class:`MultiPeriodDiscriminator` (periods 2, 3, 5, 7, 11: the
  waveform folded into 2-D so each sub-discriminator sees one phase of a periodic
  pattern) and :class:`MultiScaleDiscriminator` (the waveform at 1x, 1/2x, 1/4x);
* **losses** -- least-squares GAN (:func:`generator_adversarial_loss`,
  :func:`discriminator_loss`), feature matching x2 (:func:`feature_matching_loss`) and
  log-mel L1 x45 (:func:`mel_loss`).

Widths are arguments; the CPU default (``channels=128``) is a quarter of HiFi-GAN V1's
512. Taught in notebook 06 (``06_hifigan_vocoder``).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from .audio import log_mel

UPSAMPLE_RATES = (8, 5, 4, 2)          # product 320: 50 Hz frames -> 16 kHz samples
RESBLOCK_KERNELS = (3, 7, 11)
RESBLOCK_DILATIONS = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
PERIODS = (2, 3, 5, 7, 11)
LRELU = 0.1
FEATURE_MATCHING_WEIGHT = 2.0
MEL_WEIGHT = 45.0


def _padding(kernel: int, dilation: int = 1) -> int:
    return (kernel * dilation - dilation) // 2


# ----------------------------------------------------------------- conditioning
class CodeConditioner(nn.Module):
    """Units (B, T), F0 codes (B, T // 4) and speaker ids (B,) -> (B, 3 * dim, T) at 50 Hz.

    Example
    -------
    >>> cond = CodeConditioner(n_units=100, n_f0_codes=20, n_speakers=4, dim=128)
    >>> units, f0, spk = torch.zeros(2, 16, dtype=torch.long), torch.zeros(2, 4, dtype=torch.long), torch.tensor([0, 3])
    >>> cond(units, f0, spk).shape
    torch.Size([2, 384, 16])
    """

    def __init__(self, n_units: int = 100, n_f0_codes: int = 20, n_speakers: int = 4, dim: int = 128,
                 f0_repeat: int = 4):
        super().__init__()
        self.units = nn.Embedding(n_units, dim)
        self.f0 = nn.Embedding(n_f0_codes, dim)
        self.speaker = nn.Embedding(n_speakers, dim)
        self.f0_repeat = f0_repeat

    def forward(self, units: torch.Tensor, f0_codes: torch.Tensor, speakers: torch.Tensor,
                speaker_vectors: torch.Tensor | None = None) -> torch.Tensor:
        T = units.shape[1]
        u = self.units(units)                                            # (B, T, dim)
        f = self.f0(f0_codes).repeat_interleave(self.f0_repeat, dim=1)   # (B, 4 T', dim)
        if f.shape[1] < T:                                                # pad the F0 stream to the unit length
            f = torch.cat([f, f[:, -1:].expand(-1, T - f.shape[1], -1)], dim=1)
        s = self.speaker(speakers) if speaker_vectors is None else speaker_vectors
        s = s[:, None, :].expand(-1, T, -1)
        return torch.cat([u, f[:, :T], s], dim=-1).transpose(1, 2)


# ----------------------------------------------------------------- harmonic source (beyond the paper)
F0_HOP_SAMPLES = 80      # the F0 contour's 5 ms frames at 16 kHz
N_HARMONICS = 8


def harmonic_source(f0_hz: torch.Tensor, hop: int = F0_HOP_SAMPLES, sample_rate: int = 16000,
                    n_harmonics: int = N_HARMONICS, phase0=None) -> torch.Tensor:
    """F0 contour ``(B, N)`` at one value per ``hop`` samples -> harmonics ``(B, n_harmonics, N * hop)``.

    Channel ``h`` is ``sin((h + 1) * phase)`` where ``phase`` integrates the F0 contour
    (linearly interpolated to the sample rate), zero where the harmonic would pass the
    Nyquist frequency or F0 is 0. This is the excitation of neural source-filter models
    (Wang et al., 2019): the generator no longer has to *invent* a periodic signal from an
    F0 code, it only shapes one. ``phase0`` ``(B,)`` starts the fundamental at that phase
    instead of 0 (to continue a longer signal decoded in pieces, :func:`source_phase_at`).
    Taught in notebook 06 (``06_hifigan_vocoder``).

    >>> src = harmonic_source(torch.full((1, 4), 200.0))
    >>> src.shape, round(float(src[0, 0, 20]), 3)   # sin(2 pi 200 * 20 / 16000) = sin(pi / 2)
    (torch.Size([1, 8, 320]), 1.0)
    """
    f0 = f0_hz.float()
    B, N = f0.shape
    # sample-rate contour: value k holds at sample k * hop, linear in between, last held
    per_sample = F.interpolate(torch.cat([f0, f0[:, -1:]], 1)[:, None], size=N * hop + 1, mode="linear",
                               align_corners=True)[:, 0, :N * hop]
    phase = 2 * torch.pi * torch.cumsum(per_sample / sample_rate, dim=1)
    phase = phase - phase[:, :1]                                      # start every window at phase 0 ...
    if phase0 is not None:                                            # ... or where a previous piece ended
        phase = phase + torch.as_tensor(phase0, dtype=phase.dtype).reshape(-1, 1)
    h = torch.arange(1, n_harmonics + 1, dtype=f0.dtype)[None, :, None]
    audible = (h * per_sample[:, None] < sample_rate / 2) & (per_sample[:, None] > 0)
    return torch.sin(h * phase[:, None]) * audible


def source_phase_at(f0_hz, frame: int, hop: int = F0_HOP_SAMPLES, sample_rate: int = 16000) -> float:
    """Phase of :func:`harmonic_source`'s fundamental at F0 frame ``frame`` of a whole contour ``f0_hz``, mod 2 pi.

    Computed in closed form (the contour is linear between frames) in double precision,
    so decoding a long file piece by piece, each piece started at this phase, gives the
    same source as decoding it at once.

    >>> f0 = torch.linspace(100, 200, 40)[None]
    >>> whole = harmonic_source(f0)
    >>> piece = harmonic_source(f0[:, 20:], phase0=[source_phase_at(f0[0].numpy(), 20)])
    >>> bool(torch.allclose(whole[..., 20 * 80:], piece, atol=1e-3))
    True
    """
    f = np.asarray(f0_hz, np.float64).reshape(-1)
    if frame <= 0:
        return 0.0
    nxt = np.append(f[1:], f[-1])[:frame]                 # value at the next frame (the last one is held)
    per_frame = hop * f[:frame] + (nxt - f[:frame]) * (hop - 1) / 2   # sum of the samples of each frame
    total = per_frame.sum() - f[0] + f[min(frame, len(f) - 1)]
    return float(np.mod(2 * np.pi * total / sample_rate, 2 * np.pi))


# ----------------------------------------------------------------- generator
class ResBlock(nn.Module):
    """Residual stack of dilated convolutions (one kernel size, several dilations)."""

    def __init__(self, channels: int, kernel: int, dilations=(1, 3, 5)):
        super().__init__()
        self.convs1 = nn.ModuleList(weight_norm(nn.Conv1d(channels, channels, kernel, dilation=d,
                                                          padding=_padding(kernel, d))) for d in dilations)
        self.convs2 = nn.ModuleList(weight_norm(nn.Conv1d(channels, channels, kernel, padding=_padding(kernel)))
                                    for _ in dilations)

    def forward(self, x):
        for c1, c2 in zip(self.convs1, self.convs2):
            x = x + c2(F.leaky_relu(c1(F.leaky_relu(x, LRELU)), LRELU))
        return x


class HiFiGANGenerator(nn.Module):
    """Conditioning (B, in_channels, T) at 50 Hz -> waveform (B, 1, 320 T) in [-1, 1].

    ``channels`` is the width after the input convolution; it halves at every upsampling
    stage (HiFi-GAN V1: 512; the course's CPU default: 128). Taught in notebook 06.

    Example
    -------
    >>> g = HiFiGANGenerator(in_channels=384, channels=32)
    >>> g(torch.zeros(1, 384, 5)).shape
    torch.Size([1, 1, 1600])
    """

    def __init__(self, in_channels: int = 384, channels: int = 128, upsample_rates=UPSAMPLE_RATES,
                 kernels=RESBLOCK_KERNELS, dilations=RESBLOCK_DILATIONS, source_channels: int = 0):
        super().__init__()
        self.config = {"in_channels": in_channels, "channels": channels, "upsample_rates": list(upsample_rates),
                       "source_channels": source_channels}
        self.pre = weight_norm(nn.Conv1d(in_channels, channels, 7, padding=3))
        self.ups, self.blocks, self.source_convs = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        ch, remaining = channels, 1
        for rate in upsample_rates:
            remaining *= rate
        for rate in upsample_rates:
            self.ups.append(weight_norm(nn.ConvTranspose1d(ch, ch // 2, 2 * rate, stride=rate,
                                                           padding=rate // 2 + rate % 2, output_padding=rate % 2)))
            ch //= 2
            remaining //= rate          # how far this stage's rate is below the sample rate
            if source_channels:         # the harmonic source, strided down to this stage's rate
                self.source_convs.append(nn.Conv1d(source_channels, ch, 2 * remaining if remaining > 1 else 1,
                                                   stride=remaining, padding=remaining // 2))
            self.blocks.append(nn.ModuleList(ResBlock(ch, k, d) for k, d in zip(kernels, dilations)))
        self.post = weight_norm(nn.Conv1d(ch, 1, 7, padding=3))
        self.hop = 1
        for rate in upsample_rates:
            self.hop *= rate

    def forward(self, x: torch.Tensor, source: torch.Tensor | None = None) -> torch.Tensor:
        """``x``: conditioning ``(B, in_channels, T)``; ``source``: ``(B, source_channels, hop * T)`` if used."""
        if self.source_convs and source is None:
            raise ValueError("this generator was built with a harmonic source: pass source=harmonic_source(f0)")
        x = self.pre(x)
        for i, (up, blocks) in enumerate(zip(self.ups, self.blocks)):
            x = up(F.leaky_relu(x, LRELU))
            if self.source_convs:
                x = x + self.source_convs[i](source)[..., :x.shape[-1]]
            x = sum(block(x) for block in blocks) / len(blocks)
        return torch.tanh(self.post(F.leaky_relu(x)))


# ----------------------------------------------------------------- discriminators
def fold_by_period(x: torch.Tensor, period: int) -> torch.Tensor:
    """Waveform ``(B, C, T)`` -> ``(B, C, ceil(T / period), period)``: column ``j`` holds samples ``j, j + p, ...``.

    The end is padded by reflection up to a multiple of ``period``. A 2-D convolution
    with kernel ``(k, 1)`` then looks at every ``p``-th sample, one phase at a time: a
    signal with period ``p`` becomes constant down each column. Taught in notebook 06
    (``06_hifigan_vocoder``), an exercise.

    >>> fold_by_period(torch.arange(7.0)[None, None], 3)[0, 0].tolist()
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 5.0, 4.0]]
    """
    B, C, T = x.shape
    if T % period:
        x = F.pad(x, (0, period - T % period), mode="reflect")
    return x.view(B, C, -1, period)


class PeriodDiscriminator(nn.Module):
    """Folds the waveform into (T / p, p) and applies 2-D convolutions along time only."""

    def __init__(self, period: int, width: int = 32):
        super().__init__()
        self.period = period
        chans = [1, width, 4 * width, 16 * width, 32 * width, 32 * width]
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(chans[i], chans[i + 1], (5, 1), (3 if i < 4 else 1, 1), padding=(2, 0)))
            for i in range(5))
        self.post = weight_norm(nn.Conv2d(chans[-1], 1, (3, 1), padding=(1, 0)))

    def forward(self, x):
        x = fold_by_period(x, self.period)
        features = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), LRELU)
            features.append(x)
        x = self.post(x)
        features.append(x)
        return x.flatten(1), features


class ScaleDiscriminator(nn.Module):
    """1-D strided and grouped convolutions over the waveform at one sampling rate."""

    def __init__(self, width: int = 16):
        super().__init__()
        w = width
        specs = [(1, w, 15, 1, 1), (w, 4 * w, 41, 4, 4), (4 * w, 16 * w, 41, 4, 16), (16 * w, 32 * w, 41, 4, 16),
                 (32 * w, 32 * w, 41, 4, 16), (32 * w, 32 * w, 5, 1, 1)]
        self.convs = nn.ModuleList(weight_norm(nn.Conv1d(i, o, k, s, groups=min(g, i), padding=k // 2))
                                   for i, o, k, s, g in specs)
        self.post = weight_norm(nn.Conv1d(32 * w, 1, 3, padding=1))

    def forward(self, x):
        features = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), LRELU)
            features.append(x)
        x = self.post(x)
        features.append(x)
        return x.flatten(1), features


class MultiPeriodDiscriminator(nn.Module):
    """One :class:`PeriodDiscriminator` per period (2, 3, 5, 7, 11); returns lists of scores and features.

    Example
    -------
    >>> scores, feats = MultiPeriodDiscriminator(width=4)(torch.zeros(1, 1, 800))
    >>> len(scores), len(feats[0])
    (5, 6)
    """

    def __init__(self, periods=PERIODS, width: int = 8):
        super().__init__()
        self.discriminators = nn.ModuleList(PeriodDiscriminator(p, width) for p in periods)

    def forward(self, x):
        outs = [d(x) for d in self.discriminators]
        return [o[0] for o in outs], [o[1] for o in outs]


class MultiScaleDiscriminator(nn.Module):
    """:class:`ScaleDiscriminator` on the waveform, and on it average-pooled x2 and x4.

    Example
    -------
    >>> scores, feats = MultiScaleDiscriminator(width=4)(torch.zeros(1, 1, 800))
    >>> len(scores), len(feats[2])
    (3, 7)
    """

    def __init__(self, scales: int = 3, width: int = 8):
        super().__init__()
        self.discriminators = nn.ModuleList(ScaleDiscriminator(width) for _ in range(scales))

    def forward(self, x):
        scores, features = [], []
        for i, d in enumerate(self.discriminators):
            if i:
                x = F.avg_pool1d(x, 4, 2, padding=2)
            s, f = d(x)
            scores.append(s)
            features.append(f)
        return scores, features


# ----------------------------------------------------------------- losses
def discriminator_loss(real_scores, fake_scores) -> torch.Tensor:
    """Least-squares GAN, discriminator side: ``sum_k E[(D_k(x) - 1)^2] + E[D_k(G(s))^2]``.

    >>> float(discriminator_loss([torch.ones(2, 3)], [torch.zeros(2, 3)]))
    0.0
    """
    return sum(torch.mean((1 - r) ** 2) + torch.mean(f ** 2) for r, f in zip(real_scores, fake_scores))


def generator_adversarial_loss(fake_scores) -> torch.Tensor:
    """Least-squares GAN, generator side: ``sum_k E[(D_k(G(s)) - 1)^2]``.

    >>> float(generator_adversarial_loss([torch.zeros(1, 4), torch.ones(1, 4)]))
    1.0
    """
    return sum(torch.mean((1 - f) ** 2) for f in fake_scores)


def feature_matching_loss(real_features, fake_features) -> torch.Tensor:
    """L1 distance between the discriminators' hidden activations on real and generated audio.

    ``real_features`` / ``fake_features``: per discriminator, a list of layer outputs.
    Real activations are targets (no gradient). Taught in notebook 06.

    >>> r = [[torch.ones(1, 2, 3)]]
    >>> float(feature_matching_loss(r, [[torch.zeros(1, 2, 3)]]))
    1.0
    """
    return sum(torch.mean(torch.abs(r.detach() - f)) for rs, fs in zip(real_features, fake_features)
               for r, f in zip(rs, fs))


def mel_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """L1 distance between log-mel spectrograms (:func:`resynth_lib.audio.log_mel`) of two waveforms.

    >>> x = torch.randn(1, 1, 4096) * 0.1
    >>> float(mel_loss(x, x))
    0.0
    """
    return F.l1_loss(log_mel(fake.squeeze(1)), log_mel(real.squeeze(1)))


def generator_loss(real_wav, fake_wav, mpd: nn.Module, msd: nn.Module, adversarial: bool = True) -> dict:
    """The generator's total loss: LSGAN + 2 x feature matching + 45 x mel L1 (``adversarial=False``: mel only).

    Returns a dict of the total and its terms, all tensors.
    """
    mel = mel_loss(real_wav, fake_wav)
    if not adversarial:
        return {"total": MEL_WEIGHT * mel, "mel": mel}
    terms = {"mel": mel, "adversarial": 0.0, "feature_matching": 0.0}
    for disc in (mpd, msd):
        _, real_feats = disc(real_wav)
        fake_scores, fake_feats = disc(fake_wav)
        terms["adversarial"] = terms["adversarial"] + generator_adversarial_loss(fake_scores)
        terms["feature_matching"] = terms["feature_matching"] + feature_matching_loss(real_feats, fake_feats)
    terms["total"] = terms["adversarial"] + FEATURE_MATCHING_WEIGHT * terms["feature_matching"] + MEL_WEIGHT * mel
    return terms

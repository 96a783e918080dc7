"""The HiFi-GAN vocoder of the paper, from scratch and sized for a CPU: codes in, waveform out.

This module holds everything needed to *run* the vocoder; the parts only training
needs live beside it. The decoder reads three discrete streams and writes 16 kHz audio:

* **conditioning** (:class:`CodeConditioner`) -- content units (50 Hz) and F0 codes
  (12.5 Hz, repeated x4 to 50 Hz) are looked up in embedding tables, the speaker
  embedding is repeated over time, and the three 128-d vectors are concatenated: 384
  channels at 50 Hz;
* **generator** (:class:`HiFiGANGenerator`, built from :class:`ResBlock`) -- transposed
  convolutions upsample x320 (8 x 5 x 4 x 2) to 16 kHz; after each, a
  *multi-receptive-field* block averages residual stacks with kernels 3, 7, 11 and
  dilations 1, 3, 5, so every output sample sees both fine and wide context; weight
  normalisation on every convolution;
* **harmonic source** (:func:`harmonic_source`, :func:`source_phase_at`; beyond the
  paper) -- optional sine harmonics of the decoded F0, added at every upsampling stage;
* **the vocoder** (:class:`Vocoder`) -- conditioner + generator in one module, with
  :func:`synthesise` (one item's codes to a waveform), :func:`save_vocoder` and
  :func:`load_vocoder` (the shipped ``data/checkpoints/vocoder.pt``).

Siblings: the multi-period and multi-scale discriminators and the GAN, feature-matching
and mel losses are in :mod:`resynth_lib.decoder.hifigan_losses`; the training loop and
``resynth train vocoder`` in :mod:`resynth_lib.decoder.hifigan_train`; the codes of an
utterance and the decoded F0 contour in :mod:`resynth_lib.decoder.codes`.

Widths are arguments; the CPU default (:data:`CHANNELS` = 64, the shipped vocoders' width) is an
eighth of HiFi-GAN V1's 512. Taught in notebook 06 (``06_hifigan_vocoder``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.core.rates import F0_FRAMES_PER_UNIT, F0_HOP, SAMPLE_RATE

UPSAMPLE_RATES = (8, 5, 4, 2)          # product 320: 50 Hz frames -> 16 kHz samples
RESBLOCK_KERNELS = (3, 7, 11)
RESBLOCK_DILATIONS = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
PERIODS = (2, 3, 5, 7, 11)
LRELU = 0.1
CHANNELS = 64                          #: generator width on a CPU (the shipped vocoders); HiFi-GAN V1: 512


def _padding(kernel: int, dilation: int = 1) -> int:
    return (kernel * dilation - dilation) // 2


# ----------------------------------------------------------------- conditioning
class CodeConditioner(nn.Module):
    """Units (B, T), F0 codes (B, T // 4) and speaker ids (B,) -> (B, 3 * dim, T) at 50 Hz.

    Each stream has its own embedding table; F0 codes are repeated to the unit rate and
    the speaker vector over time, then the three are stacked as channels. Passing
    ``speaker_vectors (B, dim)`` to the forward call replaces the speaker table (for
    example with d-vectors). Taught in notebook 06 (``06_hifigan_vocoder``).

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
N_HARMONICS = 8


def harmonic_source(f0_hz: torch.Tensor, hop: int = F0_HOP, sample_rate: int = SAMPLE_RATE,
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


def source_phase_at(f0_hz, frame: int, hop: int = F0_HOP, sample_rate: int = SAMPLE_RATE) -> float:
    """Phase of :func:`harmonic_source`'s fundamental at F0 frame ``frame`` of a whole contour ``f0_hz``, mod 2 pi.

    Computed in closed form (the contour is linear between frames) in double precision,
    so decoding a long file piece by piece, each piece started at this phase, gives the
    same source as decoding it at once. Taught in notebook 06 (``06_hifigan_vocoder``).

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
    """Residual stack of dilated convolutions (one kernel size, several dilations).

    Each step adds ``conv(leaky_relu(dilated_conv(leaky_relu(x))))`` to its input, so
    the length and width never change; three of these, with kernels 3, 7 and 11, make one
    multi-receptive-field block of :class:`HiFiGANGenerator` (notebook 06).

    Example
    -------
    >>> block = ResBlock(channels=8, kernel=3)
    >>> block(torch.zeros(1, 8, 50)).shape
    torch.Size([1, 8, 50])
    """

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

    def __init__(self, in_channels: int = 384, channels: int = CHANNELS, upsample_rates=UPSAMPLE_RATES,
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


# ------------------------------------------------------------------ the vocoder: conditioner + generator



class Vocoder(torch.nn.Module):
    """Conditioner + generator: ``(units, f0_codes, speakers[, f0_hz]) -> waveform``.

    ``source=True`` adds the harmonic source (:func:`resynth_lib.decoder.hifigan.harmonic_source`)
    built from ``f0_hz``, the contour decoded from the F0 codes
    (:func:`resynth_lib.decoder.codes.decoded_f0`); the paper's vocoder is ``source=False``.
    Taught in notebook 06 (``06_hifigan_vocoder``).

    Example
    -------
    >>> voc = Vocoder(n_units=10, n_speakers=2, channels=16)
    >>> voc(torch.zeros(1, 8, dtype=torch.long), torch.zeros(1, 2, dtype=torch.long), torch.tensor([1])).shape
    torch.Size([1, 1, 2560])
    """

    def __init__(self, n_units: int = 100, n_f0_codes: int = 20, n_speakers: int = 4, dim: int = 128,
                 channels: int = CHANNELS, source: bool = False):
        super().__init__()
        self.config = {"n_units": n_units, "n_f0_codes": n_f0_codes, "n_speakers": n_speakers, "dim": dim,
                       "channels": channels, "source": source}
        self.conditioner = CodeConditioner(n_units, n_f0_codes, n_speakers, dim)
        self.generator = HiFiGANGenerator(3 * dim, channels, source_channels=N_HARMONICS if source else 0)

    def forward(self, units, f0_codes, speakers, f0_hz=None, phase0=None):
        source = None
        if self.config["source"]:
            if f0_hz is None:
                raise ValueError("this vocoder uses a harmonic source: pass f0_hz (see decoded_f0)")
            source = harmonic_source(f0_hz, phase0=phase0)
        return self.generator(self.conditioner(units, f0_codes, speakers), source)


@torch.no_grad()
def synthesise(vocoder: Vocoder, item: dict, speaker: int | None = None, f0_hz=None) -> np.ndarray:
    """Decode one item's codes (``units``, ``f0_codes``, ``speaker``, ``f0_hz``) into a waveform, float32.

    ``speaker`` / ``f0_hz`` override the item's (voice conversion, pitch control); an item's
    ``phase0`` starts the harmonic source there (a piece of a longer file). Taught in notebook 06.

    Example
    -------
    >>> _ = torch.manual_seed(0)
    >>> voc = Vocoder(n_units=10, n_speakers=2, channels=16, source=True)
    >>> item = {"units": np.zeros(8, int), "f0_codes": np.zeros(2, int), "speaker": 0, "f0_hz": np.full(32, 120.0)}
    >>> wav = synthesise(voc, item)
    >>> wav.shape, wav.dtype                       # 8 frames of 20 ms: 2560 samples
    ((2560,), dtype('float32'))
    >>> synthesise(voc, item, speaker=1).shape     # the same codes as the other speaker
    (2560,)
    """
    vocoder.eval()
    device = next(vocoder.parameters()).device
    units = torch.as_tensor(item["units"])[None].to(device)
    f0 = torch.as_tensor(item["f0_codes"])[None].to(device)
    spk = torch.tensor([item["speaker"] if speaker is None else speaker], device=device)
    f0_hz = item.get("f0_hz") if f0_hz is None else f0_hz
    if vocoder.config.get("source"):
        f0_hz = torch.as_tensor(np.asarray(f0_hz, np.float32))[None, :F0_FRAMES_PER_UNIT * units.shape[1]].to(device)
    else:
        f0_hz = None
    phase0 = [item["phase0"]] if item.get("phase0") is not None and f0_hz is not None else None
    return vocoder(units, f0, spk, f0_hz, phase0)[0, 0].cpu().numpy()


def save_vocoder(vocoder: Vocoder, path, record: dict, force: bool = False) -> Path:
    """Write the vocoder's inference weights (config + state_dict) to ``path`` and ``record`` beside it as JSON.

    Only the conditioner and generator are saved, not the discriminators or optimisers
    (those are in the training run's resume file). Refuses to replace an existing file
    unless ``force``. Returns ``path``. Taught in notebook 06 (``06_hifigan_vocoder``).

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_vocoder(Vocoder(n_units=10, n_speakers=2, channels=16), Path(tmp) / "voc.pt", {"steps": 0})
    ...     print(sorted(p.name for p in path.parent.iterdir()), load_vocoder(path).config["channels"])
    ['voc.json', 'voc.pt'] 16
    """
    from resynth_lib.core.checkpoints import save_checkpoint
    return save_checkpoint(vocoder, path, record, force)


def load_vocoder(path=None) -> Vocoder:
    """Load a vocoder written by :func:`save_vocoder` (default ``data/checkpoints/vocoder.pt``), in eval mode.

    The sizes come from the file, so any width loads. Taught in notebook 06
    (``06_hifigan_vocoder``).

    Example
    -------
    >>> voc = load_vocoder()                       # the shipped vocoder, with the harmonic source
    >>> voc.config["n_speakers"], voc.config["source"], voc.training
    (4, True, False)
    """
    from resynth_lib.core.checkpoints import load_checkpoint
    return load_checkpoint(Vocoder, path if path is not None else CHECKPOINT_DIR / "vocoder.pt",
                        "train one with `resynth train vocoder`")

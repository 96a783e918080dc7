"""HiFi-GAN's discriminators and losses: what the vocoder is trained against.

Only training needs this module; running a vocoder needs just
:mod:`resynth_lib.decoder.hifigan`. Two families of discriminators judge real and
generated waveforms, each returning its scores and its hidden activations:

* :class:`MultiPeriodDiscriminator` -- one :class:`PeriodDiscriminator` per period (2, 3,
  5, 7, 11): the waveform is folded into 2-D (:func:`fold_by_period`) so each one sees
  one phase of a periodic pattern;
* :class:`MultiScaleDiscriminator` -- one :class:`ScaleDiscriminator` on the waveform at
  full, half and quarter rate.

The losses are least-squares GAN (:func:`discriminator_loss`,
:func:`generator_adversarial_loss`), feature matching (:func:`feature_matching_loss`,
weight 2) and log-mel L1 (:func:`mel_loss`, weight 45), summed for the generator by
:func:`generator_loss`. The training loop that uses them is
:mod:`resynth_lib.decoder.hifigan_train`. The discriminators are taught in notebook 06
(``06_hifigan_vocoder``), the losses in notebook 06b (``06b_hifigan_training``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from resynth_lib.core.audio import log_mel
from resynth_lib.decoder.hifigan import LRELU, PERIODS

FEATURE_MATCHING_WEIGHT = 2.0
MEL_WEIGHT = 45.0


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
    """Folds the waveform into (T / p, p) and applies 2-D convolutions along time only.

    The kernels are ``(5, 1)``, so the ``p`` columns (one per phase of period ``p``) are
    judged separately by shared weights. Returns the flattened scores ``(B, n)`` and the
    list of every layer's output (for feature matching). ``width`` sets the first layer's
    channels; later layers have 4, 16 and 32 times as many. Taught in notebook 06
    (``06_hifigan_vocoder``).

    Example
    -------
    >>> d = PeriodDiscriminator(period=3, width=2)
    >>> score, features = d(torch.zeros(1, 1, 900))
    >>> score.shape, len(features)                 # 300 rows of 3 columns, time strided by 3**4
    (torch.Size([1, 12]), 6)
    """

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
    """1-D strided and grouped convolutions over the waveform at one sampling rate.

    Four layers stride by 4, so each score looks at a long stretch of audio; returns the
    flattened scores ``(B, n)`` and every layer's output. ``width`` sets the first layer's
    channels. Taught in notebook 06 (``06_hifigan_vocoder``).

    Example
    -------
    >>> score, features = ScaleDiscriminator(width=2)(torch.zeros(1, 1, 1024))
    >>> score.shape, len(features)                 # 1024 samples / 4**4 = 4 scores
    (torch.Size([1, 4]), 7)
    """

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

    The periods are prime, so together they cover many different periodic patterns with
    little overlap. Taught in notebook 06 (``06_hifigan_vocoder``).

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

    Returns lists of scores and features, one entry per scale. Taught in notebook 06
    (``06_hifigan_vocoder``).

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

    ``real_scores`` / ``fake_scores``: one score tensor per sub-discriminator. Real audio
    should score 1 and generated audio 0 (notebook 06b).

    >>> float(discriminator_loss([torch.ones(2, 3)], [torch.zeros(2, 3)]))
    0.0
    """
    return sum(torch.mean((1 - r) ** 2) + torch.mean(f ** 2) for r, f in zip(real_scores, fake_scores))


def generator_adversarial_loss(fake_scores) -> torch.Tensor:
    """Least-squares GAN, generator side: ``sum_k E[(D_k(G(s)) - 1)^2]``.

    The generator is rewarded when every sub-discriminator scores its audio 1, as if it
    were real (notebook 06b).

    >>> float(generator_adversarial_loss([torch.zeros(1, 4), torch.ones(1, 4)]))
    1.0
    """
    return sum(torch.mean((1 - f) ** 2) for f in fake_scores)


def feature_matching_loss(real_features, fake_features) -> torch.Tensor:
    """L1 distance between the discriminators' hidden activations on real and generated audio.

    ``real_features`` / ``fake_features``: per discriminator, a list of layer outputs.
    Real activations are targets (no gradient). Taught in notebook 06b.

    >>> r = [[torch.ones(1, 2, 3)]]
    >>> float(feature_matching_loss(r, [[torch.zeros(1, 2, 3)]]))
    1.0
    """
    return sum(torch.mean(torch.abs(r.detach() - f)) for rs, fs in zip(real_features, fake_features)
               for r, f in zip(rs, fs))


def mel_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """L1 distance between log-mel spectrograms (:func:`resynth_lib.core.audio.log_mel`) of two waveforms.

    ``real`` / ``fake``: ``(B, 1, samples)``. This reconstruction term keeps the generator
    close to the target early on, before the discriminators have learnt anything; alone
    it is the mel-only ablation of notebook 06b.

    >>> x = torch.randn(1, 1, 4096) * 0.1
    >>> float(mel_loss(x, x))
    0.0
    """
    return F.l1_loss(log_mel(fake.squeeze(1)), log_mel(real.squeeze(1)))


def generator_loss(real_wav, fake_wav, mpd: nn.Module, msd: nn.Module, adversarial: bool = True) -> dict:
    """The generator's total loss: LSGAN + 2 x feature matching + 45 x mel L1 (``adversarial=False``: mel only).

    ``mpd`` and ``msd`` are the two discriminators (:class:`MultiPeriodDiscriminator`,
    :class:`MultiScaleDiscriminator`). Returns a dict of the total and its terms, all
    tensors. Taught in notebook 06b (``06b_hifigan_training``).

    Example
    -------
    >>> _ = torch.manual_seed(0)
    >>> real, fake = 0.1 * torch.randn(1, 1, 2048), torch.zeros(1, 1, 2048, requires_grad=True)
    >>> mpd, msd = MultiPeriodDiscriminator(width=2), MultiScaleDiscriminator(width=2)
    >>> terms = generator_loss(real, fake, mpd, msd)
    >>> sorted(terms)
    ['adversarial', 'feature_matching', 'mel', 'total']
    >>> sorted(generator_loss(real, fake, mpd, msd, adversarial=False))   # the mel-only ablation
    ['mel', 'total']
    >>> terms["total"].backward()                  # gradients reach the generated audio
    >>> fake.grad.shape
    torch.Size([1, 1, 2048])
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

"""Tests of the HiFi-GAN building blocks (notebook 06)."""
import numpy as np
import pytest
import torch

from resynth_lib.decoder import hifigan as V
from resynth_lib.decoder import hifigan_losses


def test_conditioning_layout_and_f0_repetition():
    cond = V.CodeConditioner(n_units=10, n_f0_codes=5, n_speakers=2, dim=8)
    units = torch.arange(8)[None] % 10
    f0 = torch.tensor([[1, 2]])
    out = cond(units, f0, torch.tensor([1]))
    assert out.shape == (1, 24, 8)
    # the F0 code of frame t is code t // 4, and the speaker vector is constant over time
    torch.testing.assert_close(out[0, 8:16, 3], cond.f0.weight[1])
    torch.testing.assert_close(out[0, 8:16, 4], cond.f0.weight[2])
    torch.testing.assert_close(out[0, 16:, 0], out[0, 16:, 7])


def test_generator_upsamples_by_320_and_stays_in_range():
    g = V.HiFiGANGenerator(in_channels=24, channels=16)
    y = g(torch.randn(2, 24, 7) * 10)
    assert y.shape == (2, 1, 7 * 320)
    assert y.abs().max() <= 1


def test_discriminators_accept_odd_lengths():
    x = torch.randn(2, 1, 1001)
    scores, feats = hifigan_losses.MultiPeriodDiscriminator(width=2)(x)
    assert len(scores) == len(V.PERIODS) and all(s.shape[0] == 2 for s in scores)
    scores, feats = hifigan_losses.MultiScaleDiscriminator(width=2)(x)
    assert len(scores) == 3


def test_losses_by_hand():
    real, fake = [torch.full((1, 4), 0.5)], [torch.full((1, 4), 0.25)]
    assert float(hifigan_losses.discriminator_loss(real, fake)) == 0.25 + 0.0625
    assert float(hifigan_losses.generator_adversarial_loss(fake)) == 0.5625
    assert float(hifigan_losses.feature_matching_loss([[torch.ones(3)]], [[torch.full((3,), 3.0)]])) == 2.0


def test_mel_only_training_fits_a_tone():
    torch.manual_seed(0)
    g = V.HiFiGANGenerator(in_channels=8, channels=16)
    x = torch.randn(1, 8, 13)
    t = torch.arange(13 * 320) / 16000
    target = (0.5 * torch.sin(2 * torch.pi * 220 * t))[None, None]
    opt = torch.optim.Adam(g.parameters(), 2e-3)
    first = None
    for _ in range(40):
        loss = hifigan_losses.generator_loss(target, g(x), None, None, adversarial=False)["total"]
        first = loss.item() if first is None else first
        opt.zero_grad(); loss.backward(); opt.step()
    assert loss.item() < 0.6 * first


def test_harmonic_source_has_the_contour_frequency_and_respects_nyquist():
    f0 = torch.tensor([[0.0] * 10 + [250.0] * 40 + [3000.0] * 10])
    src = V.harmonic_source(f0, n_harmonics=4)
    assert src.shape == (1, 4, 60 * V.F0_HOP)
    assert src[0, :, :9 * 80].abs().max() == 0                     # unvoiced: silent
    voiced = src[0, 0, 15 * 80:45 * 80].numpy()
    spectrum = np.abs(np.fft.rfft(voiced * np.hanning(len(voiced)), n=16000))   # 1 Hz bins
    assert abs(np.argmax(spectrum) - 250) <= 1                      # fundamental at 250 Hz
    # at 3 kHz, harmonics 3 and 4 (9 and 12 kHz) would alias: they are switched off
    assert src[0, 2:, 52 * 80:].abs().max() == 0 and src[0, 1, 52 * 80:].abs().max() > 0.9


def test_source_generator_needs_and_uses_the_source():
    torch.manual_seed(0)
    g = V.HiFiGANGenerator(in_channels=8, channels=16, source_channels=V.N_HARMONICS)
    x = torch.randn(1, 8, 4)
    with pytest.raises(ValueError, match="harmonic source"):
        g(x)
    a = g(x, V.harmonic_source(torch.full((1, 16), 120.0)))
    b = g(x, V.harmonic_source(torch.full((1, 16), 240.0)))
    assert a.shape == (1, 1, 1280) and not torch.allclose(a, b)

"""The harmonic-plus-noise waveform stage (notebook 06c): pitch is exact, voicing gates, chunks join."""
import numpy as np
import torch

from resynth_lib.decoder import harmonic_noise as H


def test_harmonics_sit_at_multiples_of_f0_and_voicing_gates_them():
    env = torch.ones(1, 200, H.ENVELOPE_BINS)
    wav = H.harmonic_synth(env, torch.full((1, 200), 200.0), torch.ones(1, 200))[0].numpy()
    spectrum = np.abs(np.fft.rfft(wav * np.hanning(len(wav))))
    freqs = np.fft.rfftfreq(len(wav), 1 / 16000)
    assert abs(freqs[spectrum.argmax()] % 200) < 2 or abs(freqs[spectrum.argmax()] % 200 - 200) < 2
    assert spectrum[np.abs(freqs - 300).argmin()] < 0.01 * spectrum.max()      # nothing between harmonics
    assert spectrum[freqs > H.MAX_HARMONIC_HZ + 100].max() < 0.01 * spectrum.max()
    silent = H.harmonic_synth(env, torch.full((1, 200), 200.0), torch.zeros(1, 200))
    assert float(silent.abs().max()) == 0.0


def test_chunks_continue_the_phase():
    env = torch.rand(1, 80, H.ENVELOPE_BINS, generator=torch.Generator().manual_seed(0))
    f0 = torch.linspace(100, 180, 80)[None]
    whole = H.harmonic_synth(env, f0, torch.ones(1, 80))[0].numpy()
    first = H.harmonic_synth(env[:, :40], f0[:, :40], torch.ones(1, 40))[0].numpy()
    phase = float((H._upsample(f0[:, :40], H.F0_HOP) / 16000).sum()) * 2 * np.pi
    second = H.harmonic_synth(env[:, 40:], f0[:, 40:], torch.ones(1, 40), phase)[0].numpy()
    # the envelope interpolation at the joint differs by one 5 ms frame; compare away from it
    joined = np.concatenate([first, second])
    assert np.abs(joined[:3000] - whole[:3000]).max() < 1e-3 * np.abs(whole).max() + 1e-4
    assert np.abs(joined[3400:] - whole[3400:]).max() < 1e-2 * np.abs(whole).max()


def test_stft_loss_is_zero_for_a_perfect_copy_and_grows_with_noise():
    x = torch.randn(1, 8000, generator=torch.Generator().manual_seed(1))
    assert float(H.stft_loss(x, x)) == 0.0
    assert float(H.stft_loss(x, x + 0.1 * torch.randn_like(x))) < float(H.stft_loss(x, x + torch.randn_like(x)))


def test_noise_follows_its_envelope():
    env = torch.zeros(1, 400, H.NOISE_BINS)
    env[..., H.NOISE_BINS // 2:] = 1.0                                            # high band only
    wav = H.noise_synth(env, torch.Generator().manual_seed(0))[0].numpy()
    spectrum = np.abs(np.fft.rfft(wav)) ** 2
    half = len(spectrum) // 2
    assert spectrum[half + 200:].sum() > 20 * spectrum[:half - 200].sum()

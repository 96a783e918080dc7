"""The LPC vocoder keeps the spectral envelope and imposes the F0 it is given."""
import numpy as np
from scipy.signal import lfilter

from resynth_lib.core.audio import log_mel, quick_f0
from resynth_lib.data.corpus import load_corpus
from resynth_lib.pitch.lpc_vocoder import excitation, lpc_coefficients, lpc_resynthesize


def test_lpc_recovers_an_all_pole_filter():
    a_true = np.array([1.0, -1.2, 0.8])
    x = lfilter([1.0], a_true, np.random.default_rng(0).standard_normal(20000))
    a, err = lpc_coefficients(x, order=2)
    assert np.allclose(a, a_true, atol=0.03)
    assert abs(err / len(x) - 1.0) < 0.1          # unit-variance innovations


def test_excitation_pulse_rate_and_noise():
    e = excitation(np.r_[np.full(100, 200.0), np.zeros(101)], 16000)
    first, second = e[:7900], e[8200:]            # voiced frames 0-99 reach sample 7920
    assert 97 <= np.sum(first > 0) <= 99           # 200 Hz: a pulse every 80 samples
    assert np.sum(second > 0) > 3000               # noise: about half the samples positive


def test_resynthesis_follows_the_new_f0_and_keeps_the_envelope():
    utt = load_corpus().utterances(split="test", speaker="slt")[0]
    wav = utt.waveform()
    f0 = np.nan_to_num(quick_f0(wav))
    same = lpc_resynthesize(wav, f0)
    higher = lpc_resynthesize(wav, 1.5 * f0)
    ratio = np.nanmedian(quick_f0(higher)) / np.nanmedian(quick_f0(same))
    assert 1.4 < ratio < 1.6
    envelope_error = np.abs(log_mel(same) - log_mel(wav)).mean()
    noise_error = np.abs(log_mel(0.05 * np.random.default_rng(0).standard_normal(len(wav)).astype(np.float32))
                         - log_mel(wav)).mean()
    assert envelope_error < 0.5 * noise_error
    assert abs(np.sqrt(np.mean(same ** 2)) - np.sqrt(np.mean(wav ** 2))) < 1e-3

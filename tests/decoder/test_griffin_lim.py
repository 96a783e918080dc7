"""Griffin-Lim from scratch (notebook 06c) against librosa, and the mel inversion it starts from."""
import librosa
import numpy as np
import pytest

from resynth_lib.core.audio import log_mel, mel_filterbank
from resynth_lib.data.corpus import load_corpus
from resynth_lib.decoder import griffin_lim as G


@pytest.fixture(scope="module")
def speech():
    return load_corpus().utterances(split="valid", speaker="slt")[0].waveform()[:32000]


def test_more_iterations_make_a_more_consistent_spectrogram(speech):
    mag = G.stft_mag(speech, hop=320)
    sc = [G.spectral_convergence(mag, G.griffin_lim(mag, 320, n_iter=n, length=len(speech)), 320) for n in (1, 8, 32)]
    assert sc[0] > sc[1] > sc[2]
    assert sc[2] < 0.2


def test_momentum_converges_faster_than_plain_griffin_lim(speech):
    mag = G.stft_mag(speech, hop=320)
    fast = G.spectral_convergence(mag, G.griffin_lim(mag, 320, n_iter=16, length=len(speech)), 320)
    plain = G.spectral_convergence(mag, G.griffin_lim(mag, 320, n_iter=16, momentum=0.0, length=len(speech)), 320)
    assert fast < plain


def test_matches_librosa_griffinlim_quality(speech):
    """Same algorithm (fast Griffin-Lim, momentum 0.99), different random phases: compare means over 3 seeds."""
    mag = G.stft_mag(speech, hop=320)
    ours, ref = [], []
    for seed in range(3):
        ours.append(G.spectral_convergence(mag, G.griffin_lim(mag, 320, n_iter=32, length=len(speech), seed=seed), 320))
        ref.append(G.spectral_convergence(mag, librosa.griffinlim(
            mag, n_iter=32, hop_length=320, win_length=1024, n_fft=1024, momentum=0.99, length=len(speech),
            random_state=seed), 320))
    assert np.mean(ours) < 1.15 * np.mean(ref), (ours, ref)


def test_mel_to_magnitude_is_a_non_negative_inverse_of_the_filterbank(speech):
    mel = log_mel(speech, hop_length=320)
    mag = G.mel_to_magnitude(mel)
    assert mag.shape == (513, mel.shape[1]) and (mag >= 0).all()
    rebuilt = mel_filterbank() @ mag
    rel = np.abs(np.log(np.maximum(rebuilt, 1e-5)) - mel)
    assert np.median(rel) < 0.05


def test_mel_to_waveform_keeps_the_log_mel(speech):
    mel = log_mel(speech, hop_length=320)
    out = G.mel_to_waveform(mel, 320, n_iter=32, length=len(speech))
    assert out.shape == speech.shape and np.isfinite(out).all()
    assert np.abs(log_mel(out, hop_length=320) - mel).mean() < 0.35

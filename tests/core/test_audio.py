"""resynth_lib.core.audio: loading, errors, and agreement with librosa on fixed inputs."""
import librosa
import numpy as np
import pytest
import soundfile as sf
import torch

from resynth_lib.core import audio
from resynth_lib.core.audio import AudioError


def tone(freq=220.0, seconds=0.5, rate=16000, amp=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_load_resamples_and_downmixes(tmp_path):
    left, right = tone(440, 1.0, 44100, 0.4), tone(440, 1.0, 44100, 0.2)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 44100)
    wav = audio.load_audio(path)
    assert wav.dtype == np.float32 and wav.ndim == 1
    assert len(wav) == 16000
    # the mean of the two channels: amplitude 0.3, still a 440 Hz tone
    assert abs(np.max(np.abs(wav[1000:-1000])) - 0.3) < 0.01
    spectrum = np.abs(np.fft.rfft(wav))
    assert abs(np.argmax(spectrum) * 16000 / len(wav) - 440) <= 1


def test_load_flac_at_16k_is_exact(tmp_path):
    x = tone(300, 0.3)
    path = tmp_path / "a.flac"
    audio.save_audio(path, x)
    y = audio.load_audio(path)
    assert np.max(np.abs(x - y)) < 1e-4


@pytest.mark.parametrize("maker, words", [
    (lambda p: None, "no such file"),
    (lambda p: p.write_text("not audio at all"), "cannot be read"),
    (lambda p: sf.write(p, np.zeros((0,), np.float32), 16000), "empty"),
    (lambda p: sf.write(p, np.zeros(16000, np.float32), 16000), "silent"),
    (lambda p: sf.write(p, np.array([0.1, np.nan, 0.2] * 100, np.float32), 16000, subtype="FLOAT"), "NaN"),
])
def test_bad_input_names_file_and_problem(tmp_path, maker, words):
    path = tmp_path / "bad.wav"
    maker(path)
    with pytest.raises(AudioError) as info:
        audio.load_audio(path)
    assert str(path) in str(info.value) and words in str(info.value)


def test_silent_allowed_when_asked(tmp_path):
    path = tmp_path / "quiet.wav"
    sf.write(path, np.zeros(800, np.float32), 16000)
    assert audio.load_audio(path, allow_silent=True).shape == (800,)


def test_wrong_shape_is_refused():
    with pytest.raises(AudioError, match="1-D"):
        audio.validate_waveform(np.zeros((3, 100)) + 0.1)
    assert audio.validate_waveform(np.ones((1, 50)) * 0.5).shape == (50,)


def test_save_refuses_to_overwrite(tmp_path):
    path = tmp_path / "x.wav"
    audio.save_audio(path, tone())
    with pytest.raises(FileExistsError):
        audio.save_audio(path, tone())
    audio.save_audio(path, tone(), overwrite=True)


def test_frame_signal():
    frames = audio.frame_signal(np.arange(10), 4, 3)
    assert frames.tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    with pytest.raises(ValueError):
        audio.frame_signal(np.arange(3), 4, 1)


def test_stft_matches_librosa():
    x = np.random.default_rng(0).standard_normal(8000).astype(np.float32)
    ours = audio.stft_magnitude(x, n_fft=512, hop_length=128)
    ref = np.abs(librosa.stft(x, n_fft=512, hop_length=128, center=True, pad_mode="reflect"))
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, atol=1e-3, rtol=1e-4)


@pytest.mark.parametrize("htk, norm", [(False, "slaney"), (True, None), (True, "slaney")])
def test_mel_filterbank_matches_librosa(htk, norm):
    ours = audio.mel_filterbank(22050, 2048, 64, 30.0, 9000.0, htk=htk, norm=norm)
    ref = librosa.filters.mel(sr=22050, n_fft=2048, n_mels=64, fmin=30.0, fmax=9000.0, htk=htk, norm=norm)
    np.testing.assert_allclose(ours, ref, atol=1e-6, rtol=1e-4)


def test_mel_scale_round_trip():
    f = np.array([0.0, 100.0, 999.0, 1000.0, 4000.0, 8000.0])
    for htk in (False, True):
        np.testing.assert_allclose(audio.mel_to_hz(audio.hz_to_mel(f, htk), htk), f, atol=1e-6)
    assert audio.hz_to_mel(1000.0, htk=True) == pytest.approx(1000.0, abs=0.1)


def test_log_mel_numpy_torch_and_librosa_agree():
    x = tone(180, 1.0) + 0.05 * np.random.default_rng(1).standard_normal(16000).astype(np.float32)
    ours = audio.log_mel(x)
    assert ours.shape == (80, 1 + 16000 // 256)
    batch = audio.log_mel(torch.from_numpy(np.stack([x, x])))
    assert batch.shape == (2, 80, 63)
    np.testing.assert_allclose(batch[0].numpy(), ours, atol=1e-5)
    mag = librosa.feature.melspectrogram(y=x, sr=16000, n_fft=1024, hop_length=256, n_mels=80,
                                         fmin=0, fmax=8000, power=1.0, center=True, pad_mode="reflect")
    np.testing.assert_allclose(ours, np.log(np.maximum(mag, 1e-5)), atol=2e-3)


def test_log_mel_is_differentiable():
    x = torch.randn(4000, requires_grad=True)
    audio.log_mel(x).mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_mfcc_matches_librosa():
    x = np.random.default_rng(2).standard_normal(12000).astype(np.float32)
    ours = audio.mfcc(x)
    mel = librosa.feature.melspectrogram(y=x, sr=16000, n_fft=400, hop_length=160, n_mels=40,
                                         fmin=20, fmax=7600, power=2.0, center=True, pad_mode="reflect")
    ref = librosa.feature.mfcc(S=librosa.power_to_db(mel, top_db=None), n_mfcc=13)
    assert ours.shape == ref.shape == (13, 1 + 12000 // 160)
    np.testing.assert_allclose(ours, ref, atol=1e-3)


def test_dct_matrix_is_orthonormal():
    d = audio.dct_matrix(40, 40)
    np.testing.assert_allclose(d @ d.T, np.eye(40), atol=1e-10)

"""Audio read from and written to disk piece by piece (notebook 07, long files)."""
import numpy as np
import pytest
import soundfile as sf

from resynth_lib.core.audio import AudioError, load_audio
from resynth_lib.core.chunking import framewise_in_chunks
from resynth_lib.core.streaming import AudioReader, RowQueue, write_audio_stream


@pytest.fixture(scope="module")
def noise():
    return np.random.default_rng(0).uniform(-0.5, 0.5, 16000 * 75).astype(np.float32)     # 75 s


def test_a_16k_file_reads_exactly_as_loaded_whole(tmp_path, noise):
    sf.write(tmp_path / "x.flac", noise, 16000, subtype="PCM_16")
    whole, reader = load_audio(tmp_path / "x.flac"), AudioReader(tmp_path / "x.flac").check()
    assert len(reader) == len(whole) and reader.seconds == 75.0
    assert np.array_equal(reader[123_456:654_321], whole[123_456:654_321])
    frame_means = lambda x: x[: len(x) // 320 * 320].reshape(-1, 320).mean(1)     # noqa: E731
    assert np.array_equal(framewise_in_chunks(reader, frame_means, 320), framewise_in_chunks(whole, frame_means, 320))


@pytest.mark.parametrize("rate,channels", [(44100, 2), (8000, 1), (22050, 3)])
def test_other_rates_and_channels_are_resampled_and_down_mixed_piece_by_piece(tmp_path, rate, channels, noise):
    data = np.stack([np.resize(noise, rate * 20) * (c + 1) / channels for c in range(channels)], axis=1)
    sf.write(tmp_path / "x.wav", data, rate, subtype="FLOAT")
    whole, reader = load_audio(tmp_path / "x.wav"), AudioReader(tmp_path / "x.wav")
    assert len(reader) == len(whole)
    pieces = np.concatenate([reader[i:i + 40_000] for i in range(0, len(reader), 40_000)])
    np.testing.assert_allclose(pieces, whole, atol=1e-5)


def test_check_finds_what_load_audio_refuses(tmp_path, noise):
    sf.write(tmp_path / "empty.wav", np.zeros(0, np.float32), 16000)
    sf.write(tmp_path / "silent.wav", np.zeros(16000 * 70, np.float32), 16000)
    sf.write(tmp_path / "nan.wav", np.r_[noise, np.nan].astype(np.float32), 16000, subtype="FLOAT")
    sf.write(tmp_path / "good.wav", noise, 16000, subtype="PCM_16")
    raw = (tmp_path / "good.wav").read_bytes()
    (tmp_path / "truncated.wav").write_bytes(raw[:len(raw) // 2])
    (tmp_path / "text.wav").write_text("not audio")
    for name, phrase in [("empty", "empty"), ("silent", "all silent"), ("nan", "NaN"), ("truncated", "truncated"),
                         ("text", "cannot be read as audio"), ("missing", "no such file")]:
        with pytest.raises(AudioError, match=phrase):
            AudioReader(tmp_path / f"{name}.wav").check()


def test_a_row_queue_is_read_forward_only():
    q = RowQueue((np.full((3, 2), i) for i in range(4)), 12)
    assert q[0:4][:, 0].tolist() == [0, 0, 0, 1] and q[2:7][:, 0].tolist() == [0, 1, 1, 1, 2]
    with pytest.raises(IndexError, match="read forward"):
        q[1:3]


def test_writing_is_all_or_nothing(tmp_path):
    out = tmp_path / "out.wav"
    assert write_audio_stream(out, (np.full(1000, 0.25 * k, np.float32) for k in range(3))) == 3000
    before = out.read_bytes()

    def interrupted():
        yield np.zeros(16000, np.float32)
        raise KeyboardInterrupt

    for parts, error in [(interrupted(), KeyboardInterrupt), ([np.zeros(10), np.full(10, np.inf)], AudioError)]:
        with pytest.raises(error):
            write_audio_stream(out, parts)
        assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]
    write_audio_stream(out, [np.full(500, 2.0)])                          # replaced at the end; clipped
    back, rate = sf.read(out)
    assert rate == 16000 and len(back) == 500 and back.max() == pytest.approx(1.0, abs=1e-4)

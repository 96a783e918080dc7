"""LJSpeech and VCTK loaders on tiny fixture trees built here."""
import numpy as np
import pytest
import soundfile as sf

from resynth_lib.data.corpus import CorpusError
from resynth_lib.data.real_corpora import CorpusNotFoundError, load_ljspeech, load_vctk


def _tone(rate, seconds=0.25, freq=200.0):
    t = np.arange(int(rate * seconds)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture
def ljspeech(tmp_path):
    root = tmp_path / "LJSpeech-1.1"
    (root / "wavs").mkdir(parents=True)
    rows = [("LJ001-0001", "Printing, in the 1st sense", "Printing, in the first sense"),
            ("LJ001-0002", "in being comparatively modern.", "in being comparatively modern.")]
    (root / "metadata.csv").write_text("".join("|".join(r) + "\n" for r in rows), encoding="utf-8")
    for utt_id, *_ in rows:
        sf.write(root / "wavs" / f"{utt_id}.wav", _tone(22050), 22050)
    return root


def test_ljspeech_records(ljspeech):
    corpus = load_ljspeech(ljspeech)
    assert len(corpus) == 2 and corpus.speakers == ["LJ"]
    utt = corpus["LJ001-0001"]
    assert utt.text == "Printing, in the first sense"  # the normalised transcription
    assert utt.phones is None and utt.corpus == "ljspeech"
    assert utt.num_samples == 4000 and utt.duration == pytest.approx(0.25, abs=1e-3)
    assert utt.waveform().shape == (4000,)
    with pytest.raises(CorpusError, match="no phone alignments"):
        utt.frame_labels()


def test_ljspeech_from_environment(ljspeech, monkeypatch):
    monkeypatch.setenv("RESYNTH_LJSPEECH", str(ljspeech))
    assert len(load_ljspeech(limit=1)) == 1


def test_ljspeech_missing_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("RESYNTH_LJSPEECH", raising=False)
    with pytest.raises(CorpusNotFoundError, match="Download LJSpeech-1.1.*metadata.csv"):
        load_ljspeech(tmp_path / "nowhere")
    with pytest.raises(CorpusNotFoundError, match="RESYNTH_LJSPEECH"):
        load_ljspeech()


def test_ljspeech_missing_wav_is_named(ljspeech):
    (ljspeech / "wavs" / "LJ001-0002.wav").unlink()
    with pytest.raises(CorpusError, match="LJ001-0002.wav"):
        load_ljspeech(ljspeech)


@pytest.mark.parametrize("layout", ["0.92", "0.80"])
def test_vctk_records(tmp_path, layout):
    root = tmp_path / "VCTK"
    for speaker in ("p225", "p226"):
        (root / "txt" / speaker).mkdir(parents=True)
        for n in (1, 2):
            utt_id = f"{speaker}_{n:03d}"
            (root / "txt" / speaker / f"{utt_id}.txt").write_text(f"Please call Stella {n}.\n")
            if layout == "0.92":
                wav_dir = root / "wav48_silence_trimmed" / speaker
                wav_dir.mkdir(parents=True, exist_ok=True)
                sf.write(wav_dir / f"{utt_id}_mic1.flac", _tone(48000), 48000)
                sf.write(wav_dir / f"{utt_id}_mic2.flac", _tone(48000, 0.5), 48000)
            else:
                wav_dir = root / "wav48" / speaker
                wav_dir.mkdir(parents=True, exist_ok=True)
                sf.write(wav_dir / f"{utt_id}.wav", _tone(48000), 48000)
    # a transcript without audio is skipped
    (root / "txt" / "p226" / "p226_999.txt").write_text("orphan\n")
    corpus = load_vctk(root)
    assert len(corpus) == 4 and corpus.speakers == ["p225", "p226"]
    utt = corpus["p226_002"]
    assert utt.text == "Please call Stella 2." and utt.speaker == "p226"
    assert utt.waveform().shape == (4000,)
    assert len(load_vctk(root, speakers=["p225"])) == 2
    if layout == "0.92":
        assert load_vctk(root, mic="mic2")["p225_001"].duration == pytest.approx(0.5)


def test_vctk_missing_says_what_to_do(tmp_path):
    with pytest.raises(CorpusNotFoundError, match="Download VCTK 0.92"):
        load_vctk(tmp_path)

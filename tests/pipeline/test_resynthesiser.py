"""Tests of the pipeline and its commands (notebook 07): codes, decoding options, and every bad input."""
import numpy as np
import pytest
import soundfile as sf

from resynth_lib.cli import pipeline_commands as PC
from resynth_lib.data.corpus import load_corpus
from resynth_lib.pipeline import resynthesiser as P


@pytest.fixture(scope="module")
def r():
    return P.Resynthesiser()


@pytest.fixture(scope="module")
def utt():
    return load_corpus().utterances(split="test", speaker="rms")[1]


def test_codes_round_trip_and_bitrate():
    c = P.Codes(np.arange(8) % 100, np.array([1, 19]), "awb")
    assert P.Codes.from_json(c.to_json()) == c
    b = c.bitrate()
    assert b["units"] == pytest.approx(50 * np.log2(100)) and b["f0"] == pytest.approx(12.5 * np.log2(20))
    with pytest.raises(P.PipelineError, match="F0 codes"):
        P.Codes.from_json(P.Codes(np.arange(12), np.array([1, 2]), "awb").to_json())
    with pytest.raises(P.PipelineError, match="out of range"):
        P.Codes.from_json(P.Codes(np.array([0, 100]), np.array([1]), "awb").to_json())
    with pytest.raises(P.PipelineError, match="not a codes file"):
        P.Codes.from_json("{}")


def test_encode_recognises_the_speaker_and_decode_obeys_the_options(r, utt):
    wav = utt.waveform()
    codes = r.encode(wav)
    assert codes.speaker == "rms" and len(codes.units) == len(wav) // 320
    plain = r.decoded_f0(codes)
    up = r.decoded_f0(codes, f0_shift=12)
    np.testing.assert_allclose(up, 2 * plain, rtol=1e-5)                  # an octave up doubles F0
    flat = r.decoded_f0(codes, f0_flat=True)
    assert codes.f0_stats is not None and not r.last_unseen         # its own range travels; a known voice
    assert np.ptp(flat) == 0 and flat[0] == pytest.approx(np.exp(codes.f0_stats["log_mean"]))
    assert np.median(r.decoded_f0(codes, speaker="slt")) > 1.4 * np.median(plain)   # slt speaks higher
    out = r.decode(codes, speaker="kal16", f0_shift=-2)
    assert out.shape == (320 * len(codes.units),) and np.isfinite(out).all()
    with pytest.raises(P.PipelineError, match="known speakers: awb, kal16, rms, slt"):
        r.decode(codes, speaker="nobody")


def _run(capsys, command, *argv):
    code = PC.main([command, *argv])
    err = capsys.readouterr().err.strip()
    return code, err


def _write(path, wav, rate=16000, subtype="PCM_16"):
    sf.write(str(path), wav, rate, subtype=subtype)
    return str(path)


def test_bad_inputs_get_one_line_and_a_nonzero_exit(tmp_path, capsys, utt):
    out = str(tmp_path / "codes.json")
    rng = np.random.default_rng(0)
    cases = {
        "no such file": str(tmp_path / "missing.wav"),
        "cannot be read as audio": str(tmp_path / "text.wav"),
        "empty": _write(tmp_path / "empty.wav", np.zeros(0, np.float32)),
        "all silent": _write(tmp_path / "silent.wav", np.zeros(16000, np.float32)),
        "shorter than one F0 code": _write(tmp_path / "short.wav", 0.1 * rng.standard_normal(800)),
        "NaN or infinite": _write(tmp_path / "nan.wav", np.r_[0.1 * rng.standard_normal(8000), np.nan].astype(np.float32),
                                  subtype="FLOAT"),
    }
    (tmp_path / "text.wav").write_text("not audio")
    for problem, path in cases.items():
        code, err = _run(capsys, "encode", path, "-o", out)
        assert code == PC.EXIT_INPUT, (problem, err)
        assert problem in err and path in err and err.startswith("error:") and "\n" not in err
    code, err = _run(capsys, "convert", str(utt.path), "--to", "nobody", "-o", str(tmp_path / "x.wav"))
    assert code == PC.EXIT_INPUT and "known speakers" in err
    code, err = _run(capsys, "decode", str(tmp_path / "none.json"), "-o", str(tmp_path / "y.wav"))
    assert code == PC.EXIT_INPUT and "no such file" in err
    (tmp_path / "bad.json").write_text("{\"units\": [1]}")
    code, err = _run(capsys, "decode", str(tmp_path / "bad.json"), "-o", str(tmp_path / "y.wav"))
    assert code == PC.EXIT_INPUT and "not a codes file" in err


def test_any_rate_and_stereo_are_accepted_and_outputs_are_not_overwritten(tmp_path, capsys, utt):
    import librosa
    wav = utt.waveform()
    stereo = np.stack([librosa.resample(wav, orig_sr=16000, target_sr=44100)] * 2, axis=1) * [1.0, 0.5]
    path = _write(tmp_path / "stereo44k.wav", stereo.astype(np.float32), rate=44100)
    out = tmp_path / "codes.json"
    assert _run(capsys, "encode", path, "-o", str(out))[0] == 0
    assert P.Codes.from_json(out.read_text()).speaker == "rms"
    code, err = _run(capsys, "encode", path, "-o", str(out))
    assert code == PC.EXIT_EXISTS and "--force" in err
    assert _run(capsys, "decode", str(out), "-o", str(tmp_path / "o.wav"), "--f0-shift", "3")[0] == 0
    back, rate = sf.read(str(tmp_path / "o.wav"))
    assert rate == 16000 and len(back) > 16000


def test_missing_or_corrupt_checkpoints_are_refused(tmp_path, capsys, monkeypatch, utt):
    wav = _write(tmp_path / "in.wav", utt.waveform()[:16000])       # a good input: the checkpoints fail
    wrong = tmp_path / "SHA256SUMS"
    wrong.write_text(P.HASH_FILE.read_text().replace(P.HASH_FILE.read_text()[:8], "00000000", 1))
    monkeypatch.setattr(P, "HASH_FILE", wrong)
    code, err = _run(capsys, "encode", wav, "-o", str(tmp_path / "c.json"))
    assert code == PC.EXIT_CHECKPOINT and "corrupt" in err
    monkeypatch.setattr(P, "PIPELINE_FILES", P.PIPELINE_FILES + ("checkpoints/not_there.pt",))
    monkeypatch.setattr(P, "HASH_FILE", P.CHECKPOINT_DIR / "SHA256SUMS")
    code, err = _run(capsys, "encode", wav, "-o", str(tmp_path / "c.json"))
    assert code == PC.EXIT_CHECKPOINT and "not_there.pt" in err and "missing" in err


def test_shipped_checkpoints_match_their_recorded_hashes():
    """After retraining a pipeline checkpoint, run resynth_lib.pipeline.resynthesiser.write_checkpoint_hashes()."""
    P.verify_checkpoints()


def test_demo_writes_wavs_that_play_and_a_figure(tmp_path, capsys):
    import soundfile as sf

    from resynth_lib.cli.main import main
    assert main(["demo", "-o", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    wavs = sorted((tmp_path / "demo").glob("*.wav"))
    assert len(wavs) == 7 and (tmp_path / "demo" / "demo.png").stat().st_size > 10_000
    for path in wavs:
        audio, rate = sf.read(path)
        assert rate == 16000 and audio.ndim == 1 and len(audio) > rate     # over a second of 16 kHz mono
        assert np.isfinite(audio).all() and 0.01 < np.abs(audio).max() <= 1.0
        assert path.stem in out
    assert main(["demo", "-o", str(tmp_path / "demo")]) == 4            # not overwritten without --force


def test_a_long_file_is_encoded_in_pieces_exactly_as_in_one_pass(r):
    """Pieces of 30 s with 2 s of context, normalised with the whole file's statistics: same codes."""
    from resynth_lib.decoder.codes import utterance_codes
    wav = np.concatenate([u.waveform() for u in load_corpus().utterances(split="test")[:40]]).astype(np.float32)
    assert len(wav) > 2.5 * 34 * 16000                       # at least three pieces
    pieces = r.encode(wav, speaker="slt")
    whole = utterance_codes(wav, "slt", r.quantiser, r.f0_model, r.f0_stats)
    assert np.array_equal(pieces.units, whole["units"])
    assert np.array_equal(pieces.f0_codes, whole["f0_codes"])
    assert len(P.speaker_excerpt(np.zeros(16000 * 600, np.float32))) == 60 * 16000


def test_decode_streams_to_disk_the_numbers_of_the_in_memory_decode(r, utt, tmp_path, capsys):
    codes = r.encode(utt.waveform())
    (tmp_path / "c.json").write_text(codes.to_json())
    assert _run(capsys, "decode", str(tmp_path / "c.json"), "-o", str(tmp_path / "o.wav"), "--speaker", "slt")[0] == 0
    streamed, rate = sf.read(str(tmp_path / "o.wav"), dtype="float32")
    in_memory = np.clip(r.decode(codes, speaker="slt"), -1, 1)
    assert rate == 16000 and streamed.shape == in_memory.shape
    assert np.abs(streamed - in_memory).max() <= 1.01 / 32768               # 16-bit rounding, nothing more
    assert np.array_equal(np.concatenate(list(r.decode_stream(codes, speaker="slt"))), r.decode(codes, speaker="slt"))


def test_a_failed_decode_leaves_the_output_as_it_was(r, utt, tmp_path, capsys, monkeypatch):
    (tmp_path / "c.json").write_text(r.encode(utt.waveform()).to_json())
    (tmp_path / "old.wav").write_bytes(b"keep me")

    def failing(item):
        yield np.zeros(16000, np.float32)
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(PC, "_resynthesiser", lambda decoder=None: r)
    monkeypatch.setattr(r.decoder, "stream", failing)
    code, err = _run(capsys, "decode", str(tmp_path / "c.json"), "-o", str(tmp_path / "old.wav"), "--force")
    assert code == PC.EXIT_INPUT and "No space left" in err
    code, err = _run(capsys, "decode", str(tmp_path / "c.json"), "-o", str(tmp_path / "new.wav"))
    assert code == PC.EXIT_INPUT

    def interrupted(item):
        yield np.zeros(16000, np.float32)
        raise KeyboardInterrupt                                 # Ctrl-C half-way
    monkeypatch.setattr(r.decoder, "stream", interrupted)
    code, err = _run(capsys, "decode", str(tmp_path / "c.json"), "-o", str(tmp_path / "old.wav"), "--force")
    assert code == PC.EXIT_INTERRUPTED and "interrupted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "old.wav"]
    assert (tmp_path / "old.wav").read_bytes() == b"keep me"


def test_a_long_file_is_read_from_disk_in_pieces_to_the_same_codes(r, tmp_path):
    wav = np.concatenate([u.waveform() for u in load_corpus().utterances(split="test")[:24]]).astype(np.float32)
    assert len(wav) > P.STREAM_SECONDS * 16000                 # read piece by piece, not whole
    path = _write(tmp_path / "long.flac", wav)
    from resynth_lib.core.audio import load_audio
    assert r.encode_file(path, speaker="awb") == r.encode(load_audio(path), speaker="awb")
    from resynth_lib.core.streaming import AudioReader
    short = _write(tmp_path / "short.wav", wav[:16000 * 5])              # a short reader is read whole
    assert r.encode(AudioReader(short), speaker="awb") == r.encode(load_audio(short), speaker="awb")

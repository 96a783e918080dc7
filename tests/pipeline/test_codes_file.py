"""Binary codes files: arithmetic coding round trip, real bytes on disk, damaged files refused."""
import numpy as np
import pytest

from resynth_lib.cli import pipeline_commands as PC
from resynth_lib.core.arithmetic_coding import ArithmeticDecoder, ArithmeticEncoder, FrequencyTable
from resynth_lib.pipeline import resynthesiser as P
from resynth_lib.pipeline.codes_file import MODEL_PATH, CodeModel, bytes_per_second, split_codes


def test_arithmetic_coder_round_trip_comes_within_a_few_bits_of_the_ideal():
    rng = np.random.default_rng(0)
    for _ in range(100):
        k = int(rng.integers(1, 120))
        p = rng.dirichlet(np.full(k, rng.uniform(0.1, 3)))
        table = FrequencyTable(p * 1000)
        symbols = rng.choice(k, size=int(rng.integers(0, 300)), p=p)
        encoder = ArithmeticEncoder()
        for s in symbols:
            encoder.encode(int(s), table)
        data = encoder.finish()
        decoder = ArithmeticDecoder(data)
        assert [decoder.decode(table) for _ in symbols] == symbols.tolist()
        assert 8 * len(data) <= sum(table.bits(int(s)) for s in symbols) + 10


@pytest.fixture(scope="module")
def test_codes():
    return split_codes("test", progress=False)[::11]


def test_shipped_model_round_trips_the_test_codes_exactly(test_codes):
    model = CodeModel.load()
    for codes in test_codes:
        data = model.encode(codes)
        assert model.decode(data) == codes
        ideal = sum(model.bits(codes).values())
        assert ideal - 8 <= 8 * len(data) <= ideal + 16            # the coder's overhead: the last bits and byte


def test_the_model_was_fitted_on_the_training_split_and_beats_the_goal_on_valid():
    record = CodeModel.load().record
    assert record["fitted_on"] == "train split" and record["blend_chosen_on"] == "valid split"
    assert record["valid_bits_per_second"] <= 365
    assert MODEL_PATH.with_suffix(".json").exists()


def test_unseen_voice_statistics_travel_at_16_bits(test_codes):
    model = CodeModel.load()
    codes = test_codes[0]
    own = P.Codes(codes.units, codes.f0_codes, codes.speaker, codes.n_units, codes.n_f0_codes, codes.speakers,
                  {"log_mean": float(np.log(213.0)), "log_std": 0.12})
    back = model.decode(model.encode(own))
    assert np.array_equal(back.units, own.units) and abs(back.f0_stats["log_mean"] - np.log(213.0)) < 1e-4
    assert len(model.encode(own)) - len(model.encode(codes)) in (4, 5)      # 32 bits + the flag


def test_damaged_truncated_and_foreign_files_are_refused(test_codes):
    model = CodeModel.load()
    data = model.encode(test_codes[1])
    with pytest.raises(P.PipelineError, match="damaged or truncated|corrupt"):
        model.decode(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x10
    with pytest.raises(P.PipelineError, match="damaged or truncated|corrupt"):
        model.decode(bytes(flipped))
    with pytest.raises(P.PipelineError, match="not a binary codes file"):
        model.decode(test_codes[1].to_json().encode())


def test_encode_and_decode_commands_read_and_write_rsc(tmp_path, capsys):
    from resynth_lib.core.audio import save_audio
    from resynth_lib.data.corpus import load_corpus
    utt = load_corpus().utterances(split="test", speaker="kal16")[0]
    save_audio(tmp_path / "in.wav", utt.waveform())
    assert PC.main(["encode", str(tmp_path / "in.wav"), "-o", str(tmp_path / "c.rsc"), "--speaker", "kal16"]) == 0
    size = (tmp_path / "c.rsc").stat().st_size
    assert f"{size} bytes" in capsys.readouterr().out
    assert PC.main(["encode", str(tmp_path / "in.wav"), "-o", str(tmp_path / "c.json"), "--speaker", "kal16"]) == 0
    assert size < (tmp_path / "c.json").stat().st_size / 10
    assert PC.main(["decode", str(tmp_path / "c.rsc"), "-o", str(tmp_path / "out.wav")]) == 0
    assert PC.main(["decode", str(tmp_path / "c.json"), "-o", str(tmp_path / "out2.wav")]) == 0
    import soundfile as sf
    assert np.array_equal(sf.read(tmp_path / "out.wav")[0], sf.read(tmp_path / "out2.wav")[0])


def test_bytes_per_second_counts_whole_files(test_codes):
    model = CodeModel.load()
    expected = 8 * sum(len(model.encode(c)) for c in test_codes) / sum(c.seconds for c in test_codes)
    assert bytes_per_second(model, test_codes) == pytest.approx(expected)

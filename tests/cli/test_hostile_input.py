"""Hostile input to `resynth encode / decode / convert`: every case ends in one line and a non-zero exit.

Each case names a command line (paths relative to a scratch folder holding the files below),
the exit code it must give (1 bad input, 2 usage, 4 output exists) and a phrase its one-line
message must contain. No case may print a traceback or a second line.
"""
import json

import numpy as np
import pytest
import soundfile as sf

from resynth_lib.cli import pipeline_commands as PC
from resynth_lib.data.corpus import load_corpus
from resynth_lib.pipeline.resynthesiser import MAX_SECONDS, Codes, Resynthesiser

GOOD = {"units": [1, 2, 3, 4, 5], "f0_codes": [3, 4], "speaker": "awb", "n_units": 500, "n_f0_codes": 20}


def codes(**change):
    return json.dumps({**GOOD, **change})


CASES = [
    # ---- encode: the input audio
    ("encode missing.wav -o c.json", 1, "no such file"),
    ("encode folder -o c.json", 1, "is a folder"),
    ("encode text.wav -o c.json", 1, "cannot be read as audio"),
    ("encode zero_bytes.wav -o c.json", 1, "cannot be read as audio"),
    ("encode empty.wav -o c.json", 1, "empty"),
    ("encode silent.wav -o c.json", 1, "all silent"),
    ("encode short.wav -o c.json", 1, "shorter than one F0 code"),
    ("encode nan.wav -o c.json", 1, "NaN"),
    ("encode truncated.wav -o c.json", 1, "truncated"),
    ("encode good.wav -o c.json --speaker nobody", 1, "known speakers"),
    ("encode long.wav -o c.json", 1, "minutes of audio"),
    # ---- encode: the output and the command line
    ("encode good.wav -o c.wav", 2, "must end in .json"),
    ("encode good.wav -o exists.json", 4, "pass --force"),
    ("encode good.wav -o folder --force", 2, "must end in .json"),
    ("encode good.wav -o folder.json --force", 2, "is a folder"),
    ("encode good.wav -o a_file/c.json", 1, "cannot create the output folder"),
    ("encode good.wav", 2, "-o/--output"),
    ("encode good.wav -o c.json --loud", 2, "unrecognized arguments"),
    # ---- decode: the codes file
    ("decode missing.json -o o.wav", 1, "no such file"),
    ("decode folder -o o.wav", 1, "is a folder"),
    ("decode good.wav -o o.wav", 1, "binary data"),
    ("decode not_json.json -o o.wav", 1, "not JSON"),
    ("decode list.json -o o.wav", 1, "not a codes file"),
    ("decode no_f0.json -o o.wav", 1, "not a codes file"),
    ("decode deep.json -o o.wav", 1, "not a codes file"),
    ("decode empty_units.json -o o.wav", 1, "non-empty list"),
    ("decode big_codebook.json -o o.wav", 1, "these models use 500"),
    ("decode k100.json -o o.wav", 1, "--decoder hifigan"),
    ("decode negative.json -o o.wav", 1, "out of range"),
    ("decode huge_int.json -o o.wav", 1, "out of range"),
    ("decode nested.json -o o.wav", 1, "integers only"),
    ("decode floats.json -o o.wav", 1, "integers only"),
    ("decode booleans.json -o o.wav", 1, "integers only"),
    ("decode strings.json -o o.wav", 1, "integers only"),
    ("decode nulls.json -o o.wav", 1, "integers only"),
    ("decode too_many_f0.json -o o.wav", 1, "need 2 F0 codes, found 100"),
    ("decode too_few_f0.json -o o.wav", 1, "need 2 F0 codes, found 1"),
    ("decode rate100.json -o o.wav", 1, "runs at 50"),
    ("decode rate25.json -o o.wav", 1, "runs at 12.5"),
    ("decode speaker_int.json -o o.wav", 1, "speaker"),
    ("decode speaker_unknown.json -o o.wav", 1, "known speakers"),
    ("decode n_units_text.json -o o.wav", 1, "positive integer"),
    ("decode too_long.json -o o.wav", 1, "minutes"),
    ("decode bad_f0_stats.json -o o.wav", 1, "f0_stats"),
    # ---- decode: options and the output
    ("decode good.json -o o.wav --f0-shift nan", 2, "finite shift"),
    ("decode good.json -o o.wav --f0-shift inf", 2, "finite shift"),
    ("decode good.json -o o.wav --f0-shift 1000", 2, "between -24 and 24"),
    ("decode good.json -o o.wav --f0-shift high", 2, "not a number of semitones"),
    ("decode good.json -o o.wav --f0-shift 2 --f0-flat", 2, "exclude each other"),
    ("decode good.json -o out", 2, "must end in .wav or .flac"),
    ("decode good.json -o out.mp3", 2, "must end in .wav or .flac"),
    ("decode good.json -o out.txt", 2, "must end in .wav or .flac"),
    ("decode good.json -o folder.wav --force", 2, "is a folder"),
    ("decode good.json -o a_file/o.wav", 1, "cannot create the output folder"),
    ("decode good.json -o exists.wav", 4, "pass --force"),
    ("decode good.json -o o.wav --speaker nobody", 1, "known speakers"),
    ("decode good.json -o o.wav --decoder bogus", 2, "invalid choice"),
    # ---- binary codes files (.rsc)
    ("decode truncated.rsc -o o.wav", 1, "damaged or truncated"),
    ("decode flipped.rsc -o o.wav", 1, "codes file"),
    ("decode json_inside.rsc -o o.wav", 1, "not a binary codes file"),
    ("decode empty.rsc -o o.wav", 1, "not a binary codes file"),
    ("encode good.wav -o c.mp3", 2, "must end in .json or .rsc"),
    # ---- convert
    ("convert good.wav --to nobody -o o.wav", 1, "known speakers"),
    ("convert good.wav -o o.wav", 2, "--to"),
    ("convert missing.wav --to slt -o o.wav", 1, "no such file"),
    ("convert good.wav --to slt -o exists.wav", 4, "pass --force"),
    ("convert good.wav --to slt -o o.ogg", 2, "must end in .wav or .flac"),
]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(0)
    wav = load_corpus().utterances(split="test", speaker="awb")[0].waveform()[:16000]
    sf.write(d / "good.wav", wav, 16000, subtype="PCM_16")
    raw = (d / "good.wav").read_bytes()
    (d / "truncated.wav").write_bytes(raw[:len(raw) // 2])
    with sf.SoundFile(str(d / "long.wav"), "w", 8000, 1, subtype="PCM_U8") as f:    # 61 minutes of 8-bit silence
        for _ in range(61):
            f.write(np.zeros(8000 * 60, np.float32))
    (d / "zero_bytes.wav").write_bytes(b"")
    (d / "text.wav").write_text("not audio")
    sf.write(d / "empty.wav", np.zeros(0, np.float32), 16000)
    sf.write(d / "silent.wav", np.zeros(16000, np.float32), 16000)
    sf.write(d / "short.wav", 0.1 * rng.standard_normal(800), 16000)
    sf.write(d / "nan.wav", np.r_[0.1 * rng.standard_normal(8000), np.nan].astype(np.float32), 16000, subtype="FLOAT")
    for name in ("folder", "folder.json", "folder.wav"):
        (d / name).mkdir()
    (d / "a_file").write_text("a file, not a folder")
    (d / "exists.json").write_text("{}")
    (d / "exists.wav").write_bytes(raw)
    files = {
        "good": codes(), "not_json": "units: 1, 2, 3", "list": "[1, 2, 3]", "no_f0": json.dumps({"units": [1], "speaker": "awb"}),
        "deep": "[" * 100000 + "]" * 100000, "empty_units": codes(units=[], f0_codes=[]),
        "big_codebook": codes(n_units=1000, units=[1, 500, 3, 4, 5]), "k100": codes(n_units=100), "negative": codes(units=[1, -2, 3, 4, 5]),
        "huge_int": codes(units=[1, 2 ** 70, 3, 4, 5]), "nested": codes(units=[[1, 2], [3, 4]]),
        "floats": codes(units=[1.5, 2.0, 3, 4, 5]), "booleans": codes(units=[True, False, 1, 2, 3]),
        "strings": codes(units=["1", "2", "3", "4", "5"]), "nulls": codes(units=[1, None, 3, 4, 5]),
        "too_many_f0": codes(f0_codes=[1] * 100), "too_few_f0": codes(f0_codes=[1]),
        "rate100": codes(unit_rate_hz=100), "rate25": codes(f0_code_rate_hz=25), "speaker_int": codes(speaker=3),
        "speaker_unknown": codes(speaker="nobody"), "n_units_text": codes(n_units="abc"),
        "bad_f0_stats": codes(f0_stats={"log_mean": "high", "log_std": 0.1}),
        "too_long": codes(units=[1] * (50 * MAX_SECONDS + 4), f0_codes=[1] * (-(-(50 * MAX_SECONDS + 4) // 4))),
    }
    for name, text in files.items():
        (d / f"{name}.json").write_text(text)
    from resynth_lib.pipeline.codes_file import CodeModel
    data = CodeModel.load().encode(Codes.from_json(files["good"]))
    (d / "good.rsc").write_bytes(data)
    (d / "truncated.rsc").write_bytes(data[: len(data) // 3])
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x24
    (d / "flipped.rsc").write_bytes(bytes(flipped))
    (d / "json_inside.rsc").write_text(files["good"])
    (d / "empty.rsc").write_bytes(b"")
    return d


@pytest.fixture(scope="module")
def shared_models():
    return Resynthesiser()


@pytest.mark.parametrize("line,code,phrase", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_gets_one_line(line, code, phrase, scratch, shared_models, monkeypatch, capsys):
    monkeypatch.setattr(PC, "_resynthesiser", lambda decoder=None: shared_models)
    monkeypatch.chdir(scratch)
    try:
        got = PC.main(line.split())
    except SystemExit as exc:                          # usage errors leave through argparse, exit code 2
        got = exc.code
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert got == code, (line, err)
    assert err.startswith("error: ") and "\n" not in err, f"not one line: {err!r}"
    assert phrase in err, (phrase, err)
    assert "Traceback" not in captured.out + captured.err


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


def test_a_good_codes_file_still_decodes(scratch, shared_models, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(PC, "_resynthesiser", lambda decoder=None: shared_models)
    assert PC.main(["decode", str(scratch / "good.json"), "-o", str(tmp_path / "o.wav")]) == 0
    assert sf.info(str(tmp_path / "o.wav")).frames == 5 * 320

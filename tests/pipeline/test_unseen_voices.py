"""Voices the course never trained on keep their pitch; the corpus's own voices never take that path."""
import numpy as np
import pytest

from resynth_lib.core.audio import load_audio
from resynth_lib.core.config import DATA_DIR
from resynth_lib.data.corpus import load_corpus
from resynth_lib.pipeline import resynthesiser as P
from resynth_lib.pitch.yin import track_f0

CLIPS = DATA_DIR / "unseen_voices"


@pytest.fixture(scope="module")
def r():
    return P.Resynthesiser()


def _semitones(a, b):
    return 12 * np.log2(np.median(a[a > 0]) / np.median(b[b > 0]))


@pytest.mark.parametrize("clip", ["en-us_f3_0", "en-us_m3_1"])
def test_an_unseen_voice_keeps_its_pitch_and_converts_onto_the_target(r, clip):
    wav = load_audio(CLIPS / f"{clip}.flac")
    codes = r.encode(wav)
    assert codes.f0_stats is not None                        # recognised as unseen: its own range travels along
    back = P.Codes.from_json(codes.to_json())
    assert back.f0_stats == pytest.approx(codes.f0_stats)
    assert abs(_semitones(track_f0(r.decode(back)), track_f0(wav))) < 1.0
    out = track_f0(r.decode(back, speaker="awb"))
    assert abs(12 * np.log2(np.median(out[out > 0]) / np.exp(r.f0_stats["awb"]["log_mean"]))) < 1.0
    assert codes.bitrate()["speaker"] == pytest.approx((2 + P.F0_STATS_BITS) / codes.seconds)


def test_the_corpus_voices_are_never_taken_for_unseen(r):
    for speaker in ("awb", "kal16", "rms", "slt"):
        for u in load_corpus().utterances(split="test", speaker=speaker)[:4]:
            name, own = r.recognise(u.waveform())
            assert not r.last_unseen and name == speaker and own is not None, u.utt_id


def test_utterance_statistics_are_robust_to_octave_errors():
    f0 = np.r_[np.full(200, 200.0), np.full(20, 400.0), np.zeros(50)]     # 9 % octave errors
    stats = P.utterance_f0_stats(f0)
    assert np.exp(stats["log_mean"]) == pytest.approx(200.0) and stats["log_std"] == 0.03
    assert P.utterance_f0_stats(np.zeros(100)) is None


@pytest.mark.parametrize("bad", [{"log_mean": "high", "log_std": 0.1}, {"log_mean": 5.0}, {"log_mean": 5.0, "log_std": -1},
                                 {"log_mean": float("nan"), "log_std": 0.1}, [5.0, 0.1], {"log_mean": 12.0, "log_std": 0.1}])
def test_bad_f0_statistics_in_a_codes_file_are_refused(bad):
    text = P.Codes(np.arange(4), np.array([1]), "awb").to_json().replace('"seconds"', f'"f0_stats": {__import__("json").dumps(bad)}, "seconds"')
    with pytest.raises(P.PipelineError, match="f0_stats"):
        P.Codes.from_json(text)


def test_the_readme_quotes_the_shipped_unseen_voice_summary():
    from resynth_lib.core.config import REPO_ROOT
    record = (REPO_ROOT / "benchmarks" / "results" / "unseen_voices.md").read_text().splitlines()
    start = record.index("## Summary") + 2
    summary = [line for line in record[start:start + 6] if line.startswith("|")]
    readme = (REPO_ROOT / "README.md").read_text()
    assert len(summary) == 6 and all(line in readme for line in summary), "re-copy the summary table into the README"

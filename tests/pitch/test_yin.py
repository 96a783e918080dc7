"""Tests of resynth_lib.pitch.yin (notebook 04): YIN, F0 metrics, normalisation, test signals, exercises."""
import numpy as np
import pytest

from resynth_lib.course.checks import REGISTRY, run_check
from resynth_lib.pitch import f0_metrics, normalise, test_signals
from resynth_lib.pitch import yin as P


@pytest.mark.parametrize("f0", [60.0, 85.0, 120.0, 200.0, 310.0, 400.0])
def test_yin_finds_f0_of_harmonic_signals(f0):
    wav = test_signals.harmonic_test_signal(np.full(161, f0))
    est = P.track_f0(wav)
    assert len(est) == 1 + len(wav) // 80 == 161
    assert np.all(est[10:-10] > 0)
    assert abs(np.median(est[10:-10]) / f0 - 1) < 0.01
    raw, ap = P.yin(wav)
    assert np.max(np.abs(raw[10:-10] / f0 - 1)) < 0.01 and np.median(ap) < 0.1


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kind", ["harmonic", "speechlike"])
def test_yin_on_gliding_contours(seed, kind):
    contour = test_signals.gliding_contour(3.0, fmin=60, fmax=400, seed=seed)
    make = test_signals.harmonic_test_signal if kind == "harmonic" else test_signals.speechlike_test_signal
    est = P.track_f0(make(contour, seed=seed))
    assert f0_metrics.gpe(contour, est) < 0.05
    assert f0_metrics.vde(contour, est) < 0.10


def test_difference_function_matches_loop_definition():
    rng = np.random.default_rng(0)
    frames = rng.standard_normal((3, 50))
    max_lag = 20
    w = 50 - max_lag
    loop = np.array([[np.sum((f[:w] - f[tau:tau + w]) ** 2) for tau in range(max_lag + 1)] for f in frames])
    assert np.allclose(P.difference_function(frames, max_lag), loop)
    c = P.cmnd(loop)
    assert np.all(c[:, 0] == 1.0)
    assert np.allclose(c[:, 5], loop[:, 5] * 5 / loop[:, 1:6].sum(axis=1))


def test_absolute_threshold_and_interpolation():
    c = np.array([[1.0, 0.9, 0.5, 0.1, 0.05, 0.2, 0.01]])
    lags, found = P.absolute_threshold(c, 0.15, min_lag=2)
    assert lags.tolist() == [4] and found.tolist() == [True]
    x = np.arange(7.0)
    parab = ((x - 3.3) ** 2)[None, :]
    assert np.allclose(P.parabolic_interpolation(parab, np.array([3])), 3.3)


def test_metrics_hand_computed():
    ref = np.array([0, 100, 100, 100, 200, 0.0])
    est = np.array([0, 100, 0, 130, 410, 150.0])
    assert f0_metrics.vde(ref, est) == pytest.approx(2 / 6)          # frames 2 and 5
    assert f0_metrics.gpe(ref, est) == pytest.approx(2 / 3)          # voiced in both: 1, 3, 4; 3 and 4 gross
    assert f0_metrics.ffe(ref, est) == pytest.approx(4 / 6)
    assert f0_metrics.gpe(ref, est, threshold=0.5) == pytest.approx(1 / 3)
    assert f0_metrics.vde([np.nan, 100], [0, 100]) == 0.0           # NaN = unvoiced
    assert f0_metrics.vde(ref, est[:-1]) == pytest.approx(1 / 5)     # trimmed to the shorter
    assert np.isnan(f0_metrics.gpe([0, 0], [100, 100]))


def test_metric_errors_are_clear():
    with pytest.raises(ValueError, match="differ in length"):
        f0_metrics.vde(np.zeros(10), np.zeros(20))
    with pytest.raises(ValueError, match=">= 0"):
        f0_metrics.gpe([-1.0, 100.0], [100.0, 100.0])
    with pytest.raises(ValueError, match="empty"):
        f0_metrics.ffe([], [])


def test_yin_bad_inputs():
    with pytest.raises(ValueError, match="NaN"):
        P.track_f0(np.array([0.1, np.nan] * 1000))
    with pytest.raises(ValueError, match="1-D"):
        P.track_f0(np.zeros((3, 1000)))
    with pytest.raises(ValueError, match="fmin"):
        P.yin(np.ones(1000), fmin=500, fmax=100)
    with pytest.raises(ValueError, match="too short"):
        P.yin(np.ones(1000), fmin=20, frame_length=640)
    assert np.all(P.track_f0(np.zeros(1600)) == 0)          # silence: unvoiced, not an error


def test_normalisation_round_trip(tmp_path):
    stats = {"x": {"mean": 150.0, "std": 20.0, "log_mean": np.log(150.0), "log_std": 0.15, "n_voiced_frames": 3}}
    f0 = np.array([0.0, 120.0, 150.0, 0.0, 210.0])
    for log in (True, False):
        z = normalise.normalise_f0(f0, stats, "x", log=log)
        assert z[0] == 0 and z[3] == 0 and z[2] == pytest.approx(0.0)
        assert np.allclose(normalise.denormalise_f0(z, stats, "x", voiced=f0 > 0, log=log), f0)
    with pytest.raises(KeyError, match="speaker"):
        normalise.normalise_f0(f0, stats, "nobody")
    path = normalise.save_f0_stats(tmp_path / "s.json", stats)
    assert normalise.load_f0_stats(path) == stats
    with pytest.raises(FileExistsError):
        normalise.save_f0_stats(path, stats)
    normalise.save_f0_stats(path, stats, force=True)
    with pytest.raises(FileNotFoundError, match="resynth f0-stats"):
        normalise.load_f0_stats(tmp_path / "missing.json")


def test_f0_stats_female_higher_than_males():
    from resynth_lib.data.corpus import load_corpus
    corpus = load_corpus()
    utts = [u for s in ("slt", "awb", "rms") for u in corpus.utterances(split="valid", speaker=s)[:2]]
    stats = normalise.f0_stats(utts, progress=False)
    assert set(stats) == {"slt", "awb", "rms"}
    for male in ("awb", "rms"):
        assert stats["slt"]["mean"] > stats[male]["mean"] + 20
        assert stats["slt"]["log_mean"] > stats[male]["log_mean"]
    assert all(s["n_voiced_frames"] > 100 and s["log_std"] > 0 for s in stats.values())


def test_test_signals_shapes_and_determinism():
    c = test_signals.gliding_contour(1.5, seed=3)
    assert len(c) == 1 + int(1.5 * 16000) // 80
    assert (c == 0).any() and (c > 0).any()
    a, b = test_signals.speechlike_test_signal(c, seed=3), test_signals.speechlike_test_signal(c, seed=3)
    assert np.array_equal(a, b) and 1 + len(a) // 80 == len(c)
    with pytest.raises(ValueError):
        test_signals.harmonic_test_signal(np.array([-5.0, 100.0]))


@pytest.mark.parametrize("name", ["04.difference_function", "04.cmnd", "04.vde", "04.gpe"])
def test_exercise_references_pass(name):
    assert run_check(name, REGISTRY[name].reference).status == "pass"


def test_exercise_catches_wrong_answer():
    assert run_check("04.gpe", lambda r, e: f0_metrics.gpe(r, e, threshold=0.1)).status == "fail"

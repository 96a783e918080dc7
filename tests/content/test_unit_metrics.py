"""resynth_lib.content.unit_metrics: unit quality (purity, PNMI) and bitrate on cases worked out by hand."""
import numpy as np
import pytest

from resynth_lib.content import unit_metrics as metrics
from resynth_lib.course.checks import run_check

# A 2-phone x 2-unit example, worked on paper. Frames (phone, unit):
#   (a, 0) x 3, (a, 1) x 1, (b, 1) x 4   -> 8 frames
#   p(phone, unit) = [[3/8, 1/8], [0, 4/8]],  p(phone) = [1/2, 1/2],  p(unit) = [3/8, 5/8]
#   phone purity   = sum_unit max_phone p = 3/8 + 4/8 = 7/8
#   cluster purity = sum_phone max_unit p = 3/8 + 4/8 = 7/8
#   I = 3/8 log2(3/8 / (1/2 * 3/8)) + 1/8 log2(1/8 / (1/2 * 5/8)) + 4/8 log2(4/8 / (1/2 * 5/8))
#     = 3/8 * 1 + 1/8 log2(2/5) + 1/2 log2(8/5),   H(phone) = 1 bit
PHONES = np.array(["a"] * 4 + ["b"] * 4)
UNITS = np.array([0, 0, 0, 1, 1, 1, 1, 1])
PNMI_BY_HAND = 3 / 8 + 1 / 8 * np.log2(2 / 5) + 1 / 2 * np.log2(8 / 5)


def test_cooccurrence_counts_the_aligned_pairs():
    ids = np.array([0] * 4 + [1] * 4)
    assert metrics.cooccurrence(ids, UNITS).tolist() == [[3, 1], [0, 4]]
    assert metrics.cooccurrence(ids, UNITS, n_phones=3, n_units=4).tolist() == [[3, 1, 0, 0], [0, 4, 0, 0],
                                                                                [0, 0, 0, 0]]
    assert metrics.cooccurrence(ids, UNITS).sum() == len(ids)


def test_two_by_two_example_worked_on_paper():
    assert metrics.phone_purity(PHONES, UNITS) == pytest.approx(7 / 8)
    assert metrics.cluster_purity(PHONES, UNITS) == pytest.approx(7 / 8)
    assert metrics.pnmi(PHONES, UNITS) == pytest.approx(PNMI_BY_HAND, abs=1e-12)
    assert PNMI_BY_HAND == pytest.approx(0.5488, abs=1e-4)


def test_purities_differ_when_units_split_phones():
    # 3 phones x 6 units: every phone split evenly over two units of its own
    phones = np.repeat([0, 1, 2], 4)
    units = np.repeat([0, 1, 2, 3, 4, 5], 2)
    assert metrics.phone_purity(phones, units) == 1.0           # every unit is pure
    assert metrics.cluster_purity(phones, units) == 0.5         # each phone is halved
    assert metrics.pnmi(phones, units) == pytest.approx(1.0)    # the unit still determines the phone


def test_perfect_one_to_one_mapping():
    rng = np.random.default_rng(0)
    phones = rng.integers(10, size=500)
    units = (7 * phones + 3) % 10                                # a permutation of the ids
    assert metrics.unit_quality(phones, units) == {"phone purity": 1.0, "cluster purity": 1.0,
                                                   "PNMI": pytest.approx(1.0)}


def test_independent_units_give_pnmi_near_zero():
    rng = np.random.default_rng(1)
    phones, units = rng.integers(10, size=200_000), rng.integers(50, size=200_000)
    assert metrics.pnmi(phones, units) < 0.005                   # the finite-sample bias is (K-1)(P-1)/(2N ln2)/H
    exact = np.array([0, 1] * 50), np.repeat([0, 1], 50)         # exactly independent counts
    assert metrics.pnmi(*exact) == 0.0


def test_one_unit_for_everything():
    phones = np.array([0] * 6 + [1] * 3 + [2])
    units = np.zeros(10, int)
    assert metrics.phone_purity(phones, units) == pytest.approx(0.6)   # the majority fraction
    assert metrics.cluster_purity(phones, units) == 1.0
    assert metrics.pnmi(phones, units) == 0.0


def test_pnmi_and_purities_are_invariant_to_relabelling():
    rng = np.random.default_rng(2)
    phones = rng.integers(8, size=3000)
    units = np.where(rng.random(3000) < 0.6, 2 * phones + rng.integers(2, size=3000), rng.integers(16, size=3000))
    relabelled = rng.permutation(100)[units]                     # another id for every unit
    as_strings = np.array([f"u{u}" for u in units])
    for other in (relabelled, as_strings):
        assert metrics.pnmi(phones, other) == pytest.approx(metrics.pnmi(phones, units), abs=1e-12)
        assert metrics.phone_purity(phones, other) == metrics.phone_purity(phones, units)
        assert metrics.cluster_purity(phones, other) == metrics.cluster_purity(phones, units)
    assert 0.0 < metrics.pnmi(phones, units) < 1.0


def test_pnmi_matches_sklearn_mutual_information():
    from sklearn.metrics import mutual_info_score
    rng = np.random.default_rng(3)
    phones = rng.integers(6, size=1000)
    units = (phones + rng.integers(3, size=1000)) % 9
    p = np.bincount(phones) / len(phones)
    h = -np.sum(p * np.log(p))
    assert metrics.pnmi(phones, units) == pytest.approx(mutual_info_score(phones, units) / h, rel=1e-10)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="phones has 3 frames but units has 2"):
        metrics.pnmi([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="phones is empty"):
        metrics.phone_purity([], [])
    with pytest.raises(ValueError, match="units must be a 1-D"):
        metrics.cluster_purity([0, 1], [[0, 1]])
    with pytest.raises(ValueError, match="single phone"):
        metrics.pnmi([3, 3, 3], [0, 1, 2])
    with pytest.raises(ValueError, match="non-negative integer"):
        metrics.cooccurrence([0, -1], [0, 1])
    with pytest.raises(ValueError, match="out of range"):
        metrics.cooccurrence([0, 1], [0, 5], n_units=4)
    with pytest.raises(ValueError, match="no units"):
        metrics.entropy_bitrate([[], []])
    with pytest.raises(ValueError, match="units is empty"):
        metrics.deduplicate([])


# ------------------------------------------------------------------ bitrate
def test_bitrate_and_entropy():
    assert metrics.bitrate(50, 100) == pytest.approx(50 * np.log2(100))
    assert metrics.bitrate(50, 1) == 0.0
    assert metrics.entropy_bits([0, 1, 2, 3]) == pytest.approx(2.0)
    assert metrics.entropy_bits([[0, 0], [1, 2]]) == pytest.approx(1.5)    # sequences are pooled
    with pytest.raises(ValueError):
        metrics.bitrate(50, 0)


def test_deduplicate_by_hand():
    values, lengths = metrics.deduplicate(np.array([4, 4, 1, 1, 1, 4, 2, 2]))
    assert values.tolist() == [4, 1, 4, 2] and lengths.tolist() == [2, 3, 1, 2]
    assert np.repeat(values, lengths).tolist() == [4, 4, 1, 1, 1, 4, 2, 2]
    values, lengths = metrics.deduplicate([9])
    assert values.tolist() == [9] and lengths.tolist() == [1]


def test_entropy_bitrate_by_hand():
    # two utterances of 4 frames at 50 Hz: 0.16 s in all
    seqs = [np.array([0, 0, 0, 1]), np.array([1, 1, 2, 3])]
    # frames: 0 x3, 1 x3, 2, 3 -> H = 2 * 3/8 log2(8/3) + 2 * 1/8 log2(8) bits, at 50 symbols/s
    h_frames = 0.75 * np.log2(8 / 3) + 0.25 * 3
    assert metrics.entropy_bitrate(seqs, 50) == pytest.approx(50 * h_frames)
    # de-duplicated: [0, 1] and [1, 2, 3] -> 5 runs in 0.16 s, symbols 0, 1, 1, 2, 3: H = 3 * 1/5 log2 5 + 2/5 log2(5/2)
    h_runs = 0.6 * np.log2(5) + 0.4 * np.log2(2.5)
    assert metrics.entropy_bitrate(seqs, 50, deduplicate=True) == pytest.approx(h_runs * 5 / 0.16)
    # runs do not merge across utterances, and one array is one sequence
    assert metrics.entropy_bitrate(np.array([5, 5, 5, 5]), 50, deduplicate=True) == 0.0
    # de-duplicating can only lower the symbol rate
    assert metrics.entropy_bitrate([[0, 1, 0, 1]], 50, deduplicate=True) == metrics.entropy_bitrate([0, 1, 0, 1], 50)


def test_entropy_bitrate_agrees_with_the_f0_streams_version():
    from resynth_lib.core import bits as bits_mod
    from resynth_lib.pitch import codebook
    codes = np.random.default_rng(4).integers(20, size=(3, 40))
    assert metrics.entropy_bitrate(list(codes), 12.5) == pytest.approx(bits_mod.entropy_bitrate(list(codes), 12.5))
    assert metrics.entropy_bits(codes.ravel()) == pytest.approx(np.log2(codebook.perplexity(codes.ravel(), 20)))


# ------------------------------------------------------------------ exercise of notebook 03b
def test_pnmi_exercise_reference_passes_and_wrong_versions_fail():
    import resynth_lib.course.exercises.nb03  # noqa: F401  (registers the exercises)
    assert run_check("03b.pnmi", metrics.pnmi).status == "pass"
    assert run_check("03b.pnmi", metrics.phone_purity).status == "fail"

    def natural_log_mi_unnormalised(phones, units):
        from sklearn.metrics import mutual_info_score
        return mutual_info_score(phones, units)
    assert run_check("03b.pnmi", natural_log_mi_unnormalised).status == "fail"

    def stub(*args, **kwargs):
        raise NotImplementedError("write this")
    assert run_check("03b.pnmi", stub).status == "not attempted"

"""How good are discrete units? Purity, PNMI and bitrate, as in HuBERT's cluster analysis.

Notebook 03 (``03_discrete_units_kmeans``) turns every 50 Hz frame into a unit (a k-means
cluster index); notebook 03b (``03b_unit_quality``) measures the units against the corpus's
phone alignments. Counting the aligned ``(phone, unit)`` pairs gives their joint distribution ``p(phone, unit)``
(:func:`cooccurrence`), and from it the three figures of Hsu et al. (2021, HuBERT):

* :func:`phone_purity` ``= E_unit[max_phone p(phone | unit)]`` -- the frame accuracy of
  reading each unit as its most common phone (many small units make this easy);
* :func:`cluster_purity` ``= E_phone[max_unit p(unit | phone)]`` -- how much of each phone
  falls in its single most common unit (many small units make this *hard*);
* :func:`pnmi` ``= I(phone; unit) / H(phone)`` -- the fraction of the phone's uncertainty
  that the unit removes: 1 when the unit determines the phone, 0 when they are independent.

Then what the units cost to transmit: :func:`bitrate` ``= frame_rate * log2(K)`` and the
entropy-based :func:`entropy_bitrate` (optionally after run-length :func:`deduplicate`, as
the paper's unit language models read units). Phones and units may be any labels (ids or
strings) except in :func:`cooccurrence`, which indexes a matrix with integer ids.
"""
from __future__ import annotations

import numpy as np

from resynth_lib.concepts.gmm_em import cluster_purity as _majority_purity


def _labels(x, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of labels, got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{name} is empty: no frames to measure")
    return x


def _aligned(phones, units):
    """Both label sequences as 1-D arrays of the same, non-zero length."""
    phones, units = _labels(phones, "phones"), _labels(units, "units")
    if len(phones) != len(units):
        raise ValueError(f"phones has {len(phones)} frames but units has {len(units)}: "
                         "they must be aligned frame by frame (same frame rate, same length)")
    return phones, units


def cooccurrence(phones, units, n_phones: int | None = None, n_units: int | None = None) -> np.ndarray:
    """``(n_phones, n_units)`` counts of frames with phone id ``i`` and unit id ``j``.

    Divided by the number of frames it is the joint distribution ``p(phone, unit)``.
    ``n_phones`` / ``n_units`` default to the largest id + 1. Taught in notebook 03b.

    >>> cooccurrence([0, 0, 1, 1, 1], [0, 1, 1, 1, 2], n_units=4).tolist()
    [[1, 1, 0, 0], [0, 2, 1, 0]]
    """
    phones, units = _aligned(phones, units)
    for name, x in (("phones", phones), ("units", units)):
        if x.dtype.kind not in "iub" or x.min() < 0:
            raise ValueError(f"cooccurrence needs non-negative integer {name} ids, got {x.dtype} "
                             f"values (use np.unique(..., return_inverse=True) to turn labels into ids)")
    n_phones = int(phones.max()) + 1 if n_phones is None else int(n_phones)
    n_units = int(units.max()) + 1 if n_units is None else int(n_units)
    if phones.max() >= n_phones or units.max() >= n_units:
        raise ValueError(f"ids out of range: phone id {phones.max()} (n_phones={n_phones}), "
                         f"unit id {units.max()} (n_units={n_units})")
    flat = phones.astype(np.int64) * n_units + units.astype(np.int64)
    return np.bincount(flat, minlength=n_phones * n_units).reshape(n_phones, n_units)


def _counts(phones, units) -> np.ndarray:
    """:func:`cooccurrence` of any labels (ids or strings): they are turned into ids first."""
    phones, units = _aligned(phones, units)
    phone_ids = np.unique(phones, return_inverse=True)[1].ravel()
    unit_ids = np.unique(units, return_inverse=True)[1].ravel()
    return cooccurrence(phone_ids, unit_ids)


def phone_purity(phones, units) -> float:
    """``E_unit[max_phone p(phone | unit)]``: accuracy of labelling each unit with its commonest phone.

    The same computation as :func:`resynth_lib.concepts.gmm_em.cluster_purity` (notebook 01), which is
    reused here; HuBERT calls it *phone* purity. Taught in notebook 03b.

    >>> phone_purity(["a", "a", "b", "b", "b"], [0, 1, 1, 1, 2])   # unit 1 -> "b": 4 of 5 frames right
    0.8
    """
    phones, units = _aligned(phones, units)
    return _majority_purity(phones, units)


def cluster_purity(phones, units) -> float:
    """``E_phone[max_unit p(unit | phone)]``: how much of each phone sits in its commonest unit.

    Phone purity with the roles swapped (so :func:`resynth_lib.concepts.gmm_em.cluster_purity` with
    the units as the "true" labels). Taught in notebook 03b.

    >>> cluster_purity(["a", "a", "b", "b", "b"], [0, 1, 1, 1, 2])   # a: 1 of 2, b: 2 of 3
    0.6
    """
    phones, units = _aligned(phones, units)
    return _majority_purity(units, phones)


def _entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def pnmi(phones, units) -> float:
    """Phone-normalised mutual information ``I(phone; unit) / H(phone)``, between 0 and 1.

    ``I = sum p(phone, unit) log[p(phone, unit) / (p(phone) p(unit))]``. Undefined (an
    error) when only one phone occurs, since then ``H(phone) = 0``. Taught in notebook 03b.

    >>> pnmi([0, 0, 1, 1], ["x", "x", "y", "y"]), pnmi([0, 1, 0, 1], [0, 0, 1, 1])
    (1.0, 0.0)
    """
    counts = _counts(phones, units)
    n, n_phone, n_unit = counts.sum(), counts.sum(1), counts.sum(0)
    h_phone = _entropy(n_phone / n)
    if h_phone == 0:
        raise ValueError("pnmi is undefined with a single phone class (H(phone) = 0)")
    i, j = np.nonzero(counts)
    c = counts[i, j]
    # p / (p_phone p_unit) = c n / (n_phone n_unit): a ratio of exact integers, so independence gives log 1 = 0
    ratio = (c * n).astype(np.float64) / (n_phone[i] * n_unit[j]).astype(np.float64)
    mutual = float(np.sum(c / n * np.log2(ratio)))
    return float(np.clip(mutual / h_phone, 0.0, 1.0))


def unit_quality(phones, units) -> dict:
    """The three figures of a unit inventory: ``{"phone purity", "cluster purity", "PNMI"}``.

    Taught in notebook 03b.

    >>> unit_quality([0, 0, 1, 1], [3, 3, 7, 7])
    {'phone purity': 1.0, 'cluster purity': 1.0, 'PNMI': 1.0}
    """
    return {"phone purity": phone_purity(phones, units), "cluster purity": cluster_purity(phones, units),
            "PNMI": pnmi(phones, units)}


# ------------------------------------------------------------------ bitrate
def bitrate(frame_rate: float = 50.0, K: int = 100) -> float:
    """Bits per second of a stream of ``K``-ary units at ``frame_rate``: ``frame_rate * log2(K)``.

    :func:`resynth_lib.core.bits.bitrate` (notebook 04) under the names of notebook 03b.

    >>> round(bitrate(50, 100), 1)   # the paper's HuBERT units: 50 Hz, K = 100
    332.2
    """
    if K < 1 or frame_rate < 0:
        raise ValueError(f"need K >= 1 and frame_rate >= 0, got K={K}, frame_rate={frame_rate}")
    from resynth_lib.core.bits import bitrate as _bitrate  # lazy: vqvae imports torch
    return _bitrate(frame_rate, K)


def _sequences(sequences) -> list[np.ndarray]:
    """One sequence (array or list of labels) or several, as a list of 1-D arrays."""
    if isinstance(sequences, np.ndarray):
        seqs = [sequences] if sequences.ndim <= 1 else list(sequences)
    elif isinstance(sequences, (list, tuple)) and all(np.ndim(s) == 0 for s in sequences):
        seqs = [np.asarray(sequences)]
    else:
        seqs = [np.asarray(s) for s in sequences]
    seqs = [np.atleast_1d(s) for s in seqs]
    if any(s.ndim != 1 for s in seqs):
        raise ValueError("each unit sequence must be 1-D")
    if sum(len(s) for s in seqs) == 0:
        raise ValueError("no units given: every sequence is empty")
    return seqs


def entropy_bits(units) -> float:
    """Entropy of the unit histogram in bits per symbol (``log2`` of the perplexity).

    ``units`` is one sequence or a list of them (pooled). Taught in notebook 03b.

    >>> entropy_bits([0, 0, 1, 2]), entropy_bits([5, 5, 5])
    (1.5, 0.0)
    """
    from resynth_lib.core.bits import entropy_bitrate as _entropy_bitrate  # bits per code at 1 code per second
    return _entropy_bitrate(_sequences(units), 1.0) + 0.0   # + 0.0 turns -0.0 into 0.0


def deduplicate(units) -> tuple[np.ndarray, np.ndarray]:
    """Run-length de-duplication: ``(values, run lengths)``; ``np.repeat(values, lengths)`` undoes it.

    Taught in notebook 03.

    >>> values, lengths = deduplicate([7, 7, 7, 3, 3, 7])
    >>> values.tolist(), lengths.tolist()
    ([7, 3, 7], [3, 2, 1])
    """
    units = _labels(units, "units")
    starts = np.flatnonzero(np.concatenate([[True], units[1:] != units[:-1]]))
    return units[starts], np.diff(np.append(starts, len(units)))


def entropy_bitrate(sequences, frame_rate: float = 50.0, deduplicate: bool = False) -> float:
    """Entropy-based bitrate: unit entropy (bits per symbol) x symbols per second.

    ``sequences`` is one unit sequence or a list of them (one per utterance), ``frame_rate``
    frames per second. Without de-duplication that is ``H(units) * frame_rate``
    (:func:`resynth_lib.core.bits.entropy_bitrate`). With ``deduplicate=True`` every sequence is
    first run-length de-duplicated: the entropy is that of the de-duplicated symbols and
    the symbol rate is ``number of runs / duration`` (duration = frames / frame_rate).
    Taught in notebook 03b.

    >>> entropy_bitrate([0, 1, 0, 1], frame_rate=50)                      # 1 bit x 50 symbols/s
    50.0
    >>> entropy_bitrate([[0, 0, 1, 1], [2, 2, 2, 2]], 50, deduplicate=True)  # log2(3) bits x 3 runs / 0.16 s
    29.71...
    """
    if frame_rate <= 0:
        raise ValueError(f"frame_rate must be positive, got {frame_rate}")
    from resynth_lib.core.bits import entropy_bitrate as _entropy_bitrate
    seqs = [s for s in _sequences(sequences) if len(s)]
    if not deduplicate:
        return _entropy_bitrate(seqs, frame_rate)
    runs = [_dedup(s)[0] for s in seqs]
    n_runs, n_frames = sum(len(r) for r in runs), sum(len(s) for s in seqs)
    return _entropy_bitrate(runs, frame_rate * n_runs / n_frames)


_dedup = deduplicate  # entropy_bitrate's argument of the same name hides the function

def run_length_split(units, max_run: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Runs of equal units as ``(values, lengths)``; runs longer than ``max_run`` are split.

    Every length is then ``1..max_run``. Lossless: ``np.repeat(values, lengths)`` gives
    ``units`` back. Units repeat for several frames while a sound lasts, so sending each run
    once (its unit and its length) can cost fewer bits than sending every frame. Taught in notebook 07
    (``07_resynthesis_conversion_codec``); the bitrate estimates and the binary codes file use it.

    Example
    -------
    >>> v, n = run_length_split([4, 4, 4, 4, 4, 9], max_run=2)
    >>> v.tolist(), n.tolist()
    ([4, 4, 4, 9], [2, 2, 1, 1])
    """
    values, lengths = deduplicate(np.asarray(units))
    reps = -(-lengths // max_run)                              # pieces per run
    out_v = np.repeat(values, reps)
    out_n = np.full(len(out_v), max_run)
    ends = np.cumsum(reps) - 1
    out_n[ends] = lengths - (reps - 1) * max_run
    return out_v, out_n


__all__ = ["cooccurrence", "phone_purity", "cluster_purity", "pnmi", "unit_quality", "bitrate",
           "entropy_bits", "deduplicate", "entropy_bitrate", "run_length_split"]

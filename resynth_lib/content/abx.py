"""ABX discriminability: can a representation tell two phones apart, within and across speakers?

Taught in notebook 03b (``03b_unit_quality``), section "ABX". The ZeroSpeech
challenges score speech representations without training any classifier on them: take
three phone tokens, A and X of the same phone, B of a different one, all three in the same
context (the same phone before and after: a *minimal pair* such as "b-**ae**-t" / "b-**ih**-t").
The representation "gets it right" when X is closer to A than to B. The **ABX error** is
the fraction of triplets it gets wrong (ties count half): 0 is perfect, 0.5 is chance.

* **within speaker**: A, B and X are spoken by one voice;
* **across speaker**: A and B by one voice, X by another, so a representation that keeps
  the voice pays for it.

Tokens are compared with dynamic time warping (:func:`dtw_distance`) over frame-wise cosine
distances: for one-hot units, that is 0 where the units agree and 1 where they differ.
This is a simplified version of the ZeroSpeech 2017/2021 measure: triplets are drawn at
random (:func:`abx_error` draws ``n_triplets`` per condition) and averaged, instead of the
official averaging over every context, speaker and phone pair.

Example
-------
>>> from resynth_lib.data.corpus import load_corpus
>>> from resynth_lib.data.frames import mfcc_frames
>>> utts = load_corpus().utterances(split="test")
>>> items = phone_items(utts)
>>> feats = {u.utt_id: mfcc_frames(u.waveform(), deltas=True) for u in utts}
>>> scores = abx_error(items, feats, n_triplets=200, seed=0)
>>> sorted(scores), 0.0 <= scores["within speaker"] < 0.5
(['across speaker', 'within speaker'], True)
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from resynth_lib.data.corpus import SILENCE


@dataclass(frozen=True)
class PhoneItem:
    """One phone token: where it is (utterance, frames ``[start, end)`` at 50 Hz), its phone,
    its context (the phones before and after) and its speaker. Taught in notebook 03b.

    Example
    -------
    >>> PhoneItem("slt_s0001", "slt", "ae", ("b", "t"), 10, 14).end - 10
    4
    """
    utt_id: str
    speaker: str
    phone: str
    context: tuple
    start: int
    end: int


def phone_items(utterances, frame_rate: float = 50.0, min_frames: int = 2) -> list[PhoneItem]:
    """Every non-silence phone of the alignments with its neighbours, as :class:`PhoneItem`.

    A token spans the frames whose centres fall inside it; tokens shorter than
    ``min_frames`` frames are dropped. Taught in notebook 03b (``03b_unit_quality``).

    Example
    -------
    >>> from resynth_lib.data.corpus import load_corpus
    >>> item = phone_items(load_corpus().utterances(split="test")[:1])[0]
    >>> item.end - item.start >= 2, len(item.context)
    (True, 2)
    """
    items = []
    for u in utterances:
        segs = u.phones
        for i in range(1, len(segs) - 1):
            seg = segs[i]
            if seg.phone == SILENCE:
                continue
            start = int(np.ceil(seg.start * frame_rate - 0.5))
            end = int(np.ceil(seg.end * frame_rate - 0.5))
            if end - start >= min_frames:
                items.append(PhoneItem(u.utt_id, u.speaker, seg.phone, (segs[i - 1].phone, segs[i + 1].phone),
                                       start, end))
    return items


def dtw_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean frame-wise cosine distance along the best alignment of two ``(frames, dims)`` tokens.

    Dynamic time warping with steps (1, 0), (0, 1) and (1, 1); the summed cost is divided by
    the length of the path taken. Taught in notebook 03b (``03b_unit_quality``).

    Example
    -------
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> round(dtw_distance(x, x[[0, 0, 1]]), 9), dtw_distance(x, x[::-1]) > 0
    (0.0, True)
    """
    a = a / (np.linalg.norm(a, axis=1, keepdims=True) + 1e-12)
    b = b / (np.linalg.norm(b, axis=1, keepdims=True) + 1e-12)
    cost = np.clip(1.0 - a @ b.T, 0.0, 2.0)
    n, m = cost.shape
    total = np.full((n + 1, m + 1), np.inf)
    steps = np.zeros((n + 1, m + 1))
    total[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            options = ((total[i - 1, j], steps[i - 1, j]), (total[i, j - 1], steps[i, j - 1]),
                       (total[i - 1, j - 1], steps[i - 1, j - 1]))
            best, length = min(options, key=lambda o: o[0])
            total[i, j], steps[i, j] = best + cost[i - 1, j - 1], length + 1
    return float(total[n, m] / steps[n, m])


def _triplets(items: list[PhoneItem], across: bool, n: int, rng) -> list[tuple]:
    """Random ``(A, B, X)`` index triplets: A, X the same phone, B another, all in one context."""
    groups: dict = defaultdict(lambda: defaultdict(list))        # (context, speaker) -> phone -> items
    for k, it in enumerate(items):
        groups[it.context, it.speaker][it.phone].append(k)
    by_context: dict = defaultdict(dict)
    for (context, speaker), phones in groups.items():
        by_context[context][speaker] = phones
    candidates = []
    for context, speakers in by_context.items():
        for s1, phones in speakers.items():
            for pa, tokens_a in phones.items():
                for pb in phones:
                    if pb == pa:
                        continue
                    if not across and len(tokens_a) >= 2:
                        candidates.append((context, s1, s1, pa, pb))
                    elif across:
                        candidates += [(context, s1, s2, pa, pb) for s2 in speakers
                                       if s2 != s1 and pa in speakers[s2]]
    if not candidates:
        return []
    out = []
    for c in rng.integers(0, len(candidates), n):
        context, s1, s2, pa, pb = candidates[c]
        tokens_a, tokens_b = by_context[context][s1][pa], by_context[context][s1][pb]
        a = tokens_a[rng.integers(len(tokens_a))]
        x_pool = [t for t in by_context[context][s2][pa] if t != a]
        out.append((a, tokens_b[rng.integers(len(tokens_b))], x_pool[rng.integers(len(x_pool))]))
    return out


def abx_error(items: list[PhoneItem], features: dict, n_triplets: int = 2000, seed: int = 0) -> dict:
    """Within- and across-speaker ABX error of ``features`` (``{utt_id: (frames, dims)}``) on ``items``.

    Draws ``n_triplets`` minimal-pair triplets per condition (the same triplets for every
    representation given the same ``items`` and ``seed``); a triplet is wrong when
    ``d(A, X) > d(B, X)``, half wrong on a tie. Returns ``{"within speaker", "across
    speaker"}``; ``nan`` where no triplet exists. Taught in notebook 03b.

    Example
    -------
    >>> items = [PhoneItem("u", "s", p, ("a", "b"), 2 * k, 2 * k + 2) for k, p in enumerate("xxyy")]
    >>> feats = {"u": np.array([[1, 0]] * 4 + [[0, 1]] * 4, float)}     # two tokens of x, then two of y
    >>> abx_error(items, feats, n_triplets=50)["within speaker"]
    0.0
    """
    rng = np.random.default_rng(seed)
    tokens = {}

    def token(k):
        if k not in tokens:
            it = items[k]
            f = np.asarray(features[it.utt_id], dtype=np.float64)
            tokens[k] = f[it.start:min(it.end, len(f))] if it.start < len(f) else f[-1:]
        return tokens[k]

    result = {}
    for name, across in (("within speaker", False), ("across speaker", True)):
        triplets = _triplets(items, across, n_triplets, rng)
        errors = [0.5 if (da := dtw_distance(token(a), token(x))) == (db := dtw_distance(token(b), token(x)))
                  else float(da > db) for a, b, x in triplets]
        result[name] = float(np.mean(errors)) if errors else float("nan")
    return result


def one_hot(units: np.ndarray, n_units: int) -> np.ndarray:
    """``(frames, n_units)`` one-hot rows of a unit sequence: units as vectors for :func:`abx_error`.

    Taught in notebook 03b.

    Example
    -------
    >>> one_hot(np.array([2, 0]), 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    return np.eye(n_units)[np.asarray(units)]


__all__ = ["PhoneItem", "phone_items", "dtw_distance", "abx_error", "one_hot"]

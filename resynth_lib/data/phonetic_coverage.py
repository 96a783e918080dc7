"""Which phones a sentence holds, as ``flite`` says it, and a greedy pick for phonetic coverage.

The corpus must contain every English phone and as many phone pairs (diphones) as a few
hundred sentences allow. :func:`phones_of` asks the ``flite`` synthesiser how it pronounces
a sentence; :func:`diphones` lists its phone pairs; :func:`select_for_coverage` keeps, from a
pool of candidates (:mod:`resynth_lib.data.sentences`), the ones that add the most phones and
diphones not yet covered, preferring a target length; :func:`coverage` reports the result.
Only building the corpus needs ``flite`` (``apt-get install flite``). Taught in notebook 00
(``00_audio_and_data``), where we look at how the corpus was made.

Example
-------
>>> diphones(["pau", "hh", "ax", "l", "ow", "pau"])
['pau-hh', 'hh-ax', 'ax-l', 'l-ow', 'ow-pau']
"""
from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence


# --------------------------------------------------------------------------- phones
def require_flite() -> str:
    """Path of the ``flite`` program, or a clear error saying how to install it (notebook 00).

    Only building the corpus needs flite; the shipped corpus is used without it.

    Example
    -------
    >>> from unittest import mock
    >>> with mock.patch("shutil.which", return_value=None):      # as on a machine without flite
    ...     require_flite()
    Traceback (most recent call last):
    RuntimeError: the `flite` program is not on PATH: building the corpus needs it (`sudo apt-get install flite`); using the shipped corpus needs nothing
    """
    path = shutil.which("flite")
    if path is None:
        raise RuntimeError("the `flite` program is not on PATH: building the corpus needs it "
                           "(`sudo apt-get install flite`); using the shipped corpus needs nothing")
    return path


def phones_of(text: str, voice: str = "kal16") -> list[str]:
    """The phone sequence flite says for ``text`` (with the ``pau`` silences at both ends).

    Taught in notebook 00 (``00_audio_and_data``). Runs ``flite -voice kal16 -t TEXT none -ps``.

    Example
    -------
    >>> phones_of("Hello there.")                    # needs the `flite` program
    ['pau', 'hh', 'ax', 'l', 'ow', 'dh', 'eh', 'r', 'pau']
    """
    result = subprocess.run([require_flite(), "-voice", voice, "-t", text, "none", "-ps"],
                            capture_output=True, text=True, check=True)
    return result.stdout.split()


def _phones_of_many(texts: Sequence[str], voice: str = "kal16") -> list[list[str]]:
    with ThreadPoolExecutor(max_workers=8) as pool:  # order is kept, so still deterministic
        return list(pool.map(lambda t: phones_of(t, voice), texts))


def diphones(phones: Sequence[str]) -> list[str]:
    """Adjacent phone pairs, e.g. ``['pau-hh', 'hh-ax', ...]`` (notebook 00).

    The sentence selection counts these to cover the transitions between phones, not only
    the phones themselves.

    Example
    -------
    >>> diphones(["pau", "hh", "ax", "l", "ow", "pau"])
    ['pau-hh', 'hh-ax', 'ax-l', 'l-ow', 'ow-pau']
    """
    return [f"{a}-{b}" for a, b in zip(phones, phones[1:])]


def select_for_coverage(candidates: Sequence[str], n: int, target_phones: int = 29,
                        length_weight: float = 0.02, phone_weight: float = 3.0,
                        voice: str = "kal16", phone_seqs: Sequence[Sequence[str]] | None = None) -> list[str]:
    """Greedily choose ``n`` candidates that together cover the most phones and diphones.

    Taught in notebook 00 (``00_audio_and_data``).

    Each step takes the candidate with the highest score
    ``sum(w / (1 + times_covered[unit]))  -  length_weight * (len - target_phones)**2``
    over its distinct units (phones, weighted ``phone_weight``, and diphones, weight 1):
    a new unit counts fully, one already seen ``k`` times counts ``1 / (1 + k)``, so once
    every diphone is covered the rare ones keep being favoured. The length term pulls
    sentences towards ``target_phones`` phones; the coverage term pulls the other way, so
    the defaults give about 34 phones (with the silences), some 3 s of speech. Ties go to the
    earlier candidate, so the result depends only on the candidates. ``phone_seqs``
    (one phone list per candidate) skips calling flite.

    Example
    -------
    With the phone sequences given, no flite is needed. "Bob ate." brings the most new
    phones; then the longer "See Sue" sentence wins, because its extra diphone ``uw-s``
    is worth more than its length penalty:

    >>> seqs = {"See Sue.": "pau s iy s uw pau".split(),
    ...         "See Sue see Sue.": "pau s iy s uw s iy s uw pau".split(),
    ...         "Bob ate.": "pau b aa b ey t pau".split()}
    >>> select_for_coverage(list(seqs), 2, target_phones=6, phone_seqs=list(seqs.values()))
    ['Bob ate.', 'See Sue see Sue.']
    >>> len(select_for_coverage(generate_candidates(16, seed=0), 4))    # needs the `flite` program
    4
    """
    if n > len(candidates):
        raise ValueError(f"asked for {n} sentences from only {len(candidates)} candidates")
    seqs = list(phone_seqs) if phone_seqs is not None else _phones_of_many(candidates, voice)
    units = []
    for seq in seqs:
        weighted = {u: 1.0 for u in diphones(seq)}
        weighted.update({p: phone_weight for p in seq})
        units.append(sorted(weighted.items()))  # sorted: independent of hash order
    penalty = [length_weight * (len(seq) - target_phones) ** 2 for seq in seqs]
    covered: Counter = Counter()
    remaining, chosen = list(range(len(candidates))), []
    for _ in range(n):
        best = max(remaining, key=lambda i: (sum(w / (1 + covered[u]) for u, w in units[i])
                                             - penalty[i], -i))
        remaining.remove(best)
        chosen.append(best)
        covered.update(u for u, _ in units[best])
    return [candidates[i] for i in chosen]


def coverage(sentences_phones: Sequence[Sequence[str]]) -> dict[str, int]:
    """Number of distinct phones and diphones in a list of phone sequences (notebook 00).

    Example
    -------
    >>> coverage([["pau", "hh", "ay", "pau"], ["pau", "hh", "ow", "pau"]])
    {'phones': 4, 'diphones': 5}
    """
    phones = {p for seq in sentences_phones for p in seq}
    pairs = {d for seq in sentences_phones for d in diphones(seq)}
    return {"phones": len(phones), "diphones": len(pairs)}

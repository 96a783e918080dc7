"""What a set of embedding vectors learnt: neighbours, analogies, directions and a 2-D view.

The word2vec models of :mod:`resynth_lib.concepts.word2vec` give every word a vector, and
no label was used to train them. This module asks whether the vectors nevertheless line up
with the factors hidden in the text: :func:`nearest_neighbours` lists the most similar
words by cosine; :func:`analogy` and :func:`analogy_rank` test ``king - man + woman``
(3CosAdd); :func:`direction_separation` checks, pair by held-out pair, whether one
direction (such as female minus male) separates words it was not built from; and
:func:`pca_2d` projects the vectors to two dimensions for a picture. ``vocab`` may be a
:class:`~resynth_lib.concepts.word2vec.Vocab` or a plain word-to-id dict.

Taught in notebook 02 (``02_self_supervised_pretext_tasks``); notebook 05 uses
:func:`pca_2d` again to draw speaker embeddings.

Example
-------
>>> emb = np.array([[1.0, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1]])
>>> vocab = {"man": 0, "king": 1, "woman": 2, "queen": 3}
>>> [(w, round(s, 3)) for w, s in analogy(emb, "man", "king", "woman", vocab, k=1)]
[('queen', 0.959)]
>>> [(w, round(s, 3)) for w, s in nearest_neighbours(emb, "king", vocab, k=2)]
[('man', 0.707), ('queen', 0.5)]
"""
from __future__ import annotations

import numpy as np


# ------------------------------------------------------------------ what the vectors learnt
def _unit(emb) -> np.ndarray:
    emb = np.asarray(emb, dtype=np.float64)
    return emb / np.maximum(np.linalg.norm(emb, axis=-1, keepdims=True), 1e-12)


def _id(vocab, word) -> int:
    w2i = vocab.word_to_id if hasattr(vocab, "word_to_id") else vocab
    if word not in w2i:
        raise KeyError(f"{word!r} is not in the vocabulary")
    return w2i[word]


def _ranked(sims, vocab, k) -> list[tuple[str, float]]:
    words = vocab.id_to_word if hasattr(vocab, "id_to_word") else sorted(vocab, key=vocab.get)
    return [(words[i], float(sims[i])) for i in np.argsort(-sims, kind="stable")[:k]]


def nearest_neighbours(emb, word: str, vocab, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` words with the highest cosine similarity to ``word`` (itself excluded).

    ``emb`` is ``(V, D)``, ``vocab`` a :class:`~resynth_lib.concepts.word2vec.Vocab` or a word-to-id dict; returns ``[(word,
    cosine), ...]``, best first. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> emb = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    >>> [w for w, _ in nearest_neighbours(emb, "king", {"king": 0, "queen": 1, "farm": 2}, k=2)]
    ['queen', 'farm']
    """
    u = _unit(emb)
    sims = u @ u[_id(vocab, word)]
    sims[_id(vocab, word)] = -np.inf
    return _ranked(sims, vocab, k)


def analogy(emb, a: str, b: str, c: str, vocab, k: int = 5) -> list[tuple[str, float]]:
    """"``a`` is to ``b`` as ``c`` is to ?": the words nearest to ``b - a + c`` (cosine), ``a, b, c`` excluded.

    Unit vectors (3CosAdd); ``analogy(emb, "man", "king", "woman", vocab)`` is king - man + woman.
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> emb = np.array([[1.0, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1]])   # man, king, woman, queen
    >>> analogy(emb, "man", "king", "woman", {"man": 0, "king": 1, "woman": 2, "queen": 3}, k=1)[0][0]
    'queen'
    """
    u = _unit(emb)
    ids = [_id(vocab, w) for w in (a, b, c)]
    sims = _unit(u[ids[1]] - u[ids[0]] + u[ids[2]]) @ u.T
    sims[ids] = -np.inf
    return _ranked(sims, vocab, k)


def analogy_rank(emb, a: str, b: str, c: str, answer: str, vocab) -> int:
    """Rank (1 = best) of ``answer`` among :func:`analogy`'s candidates for ``b - a + c``.

    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> emb = np.array([[1.0, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1]])
    >>> analogy_rank(emb, "man", "king", "woman", "queen", {"man": 0, "king": 1, "woman": 2, "queen": 3})
    1
    """
    ranked = analogy(emb, a, b, c, vocab, k=len(np.asarray(emb)))
    return 1 + [w for w, _ in ranked].index(answer)


def direction_separation(emb, pairs, vocab) -> dict:
    """How well one direction (e.g. female - male) separates held-out word pairs.

    For each pair in turn, the direction is the mean of ``v[second] - v[first]`` (unit vectors)
    over the *other* pairs; the held-out pair's two words are projected on it. Returns
    ``{"accuracy": fraction of held-out pairs whose second word projects higher, "auc": chance
    that a second word's projection beats a first word's}``; 0.5 is chance, 1.0 perfect.
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> emb = np.array([[1.0, 0.1], [1.0, 0.9], [0.5, 0.0], [0.5, 1.0], [2.0, 0.2], [2.0, 1.5]])
    >>> w2i = {w: i for i, w in enumerate(["man", "woman", "boy", "girl", "king", "queen"])}
    >>> direction_separation(emb, [("man", "woman"), ("boy", "girl"), ("king", "queen")], w2i)
    {'accuracy': 1.0, 'auc': 1.0}
    """
    if len(pairs) < 2:
        raise ValueError("direction_separation needs at least two pairs (one is held out at a time)")
    u = _unit(emb)
    first, second = (u[[_id(vocab, p[i]) for p in pairs]] for i in (0, 1))
    diffs = second - first
    s1, s2 = np.empty(len(pairs)), np.empty(len(pairs))
    for i in range(len(pairs)):
        direction = _unit(np.delete(diffs, i, axis=0).mean(0))
        s1[i], s2[i] = first[i] @ direction, second[i] @ direction
    auc = np.mean((s2[:, None] > s1[None, :]) + 0.5 * (s2[:, None] == s1[None, :]))
    return {"accuracy": float(np.mean(s2 > s1)), "auc": float(auc)}


def pca_2d(emb) -> np.ndarray:
    """Project the rows of ``emb`` on their first two principal components (centred, numpy SVD).

    Returns ``(N, 2)``, largest variance first; each component's largest loading is made
    positive. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> xy = pca_2d(np.array([[0.0, 0, 0], [2, 0, 0], [0, 1, 0], [2, 1, 0]]))
    >>> xy.shape, np.allclose(np.abs(xy[:, 0]), 1.0), np.allclose(np.abs(xy[:, 1]), 0.5)
    ((4, 2), True, True)
    """
    x = np.asarray(emb, dtype=np.float64) - np.mean(emb, axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    vt = vt[:2] * np.sign(vt[:2][np.arange(min(2, len(vt))), np.argmax(np.abs(vt[:2]), 1)])[:, None]
    return x @ vt.T

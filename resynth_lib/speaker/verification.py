"""Speaker verification: the GE2E loss, cosine scores of utterance pairs and the equal error rate.

A speaker embedding is good when two recordings of the same voice score higher than two
recordings of different voices. This module measures that and trains for it:
:func:`cosine_similarity_matrix` scores every pair; :func:`ge2e_similarity` and
:func:`ge2e_loss` are the generalised end-to-end loss (Wan et al., 2018) that the d-vector
encoder of :mod:`resynth_lib.speaker.dvector` is trained with
(:mod:`resynth_lib.speaker.dvector_train`); :func:`verification_trials` turns embeddings
into scored same/different trials, and :func:`equal_error_rate` and :func:`speaker_eer`
give the rate at which false acceptances equal false rejections -- lower is better,
0.5 is chance.

Taught in notebook 05 (``05_speaker_identity``), where students write :func:`ge2e_loss`
and :func:`equal_error_rate` themselves.

Example
-------
Three embeddings, two of speaker "a" close together and one of speaker "b":

>>> scores, labels, pairs = verification_trials(np.array([[1.0, 0.0], [0.9, 0.2], [0.1, 1.0]]),
...                                             ["a", "a", "b"])
>>> labels.tolist(), equal_error_rate(scores, labels)
([1, 0, 0], 0.0)
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from resynth_lib.speaker.dvector import DVectorEncoder, embed_utterances


# ----------------------------------------------------------------- losses and scores
def cosine_similarity_matrix(a, b, eps: float = 1e-8):
    """``(P, Q)`` cosine similarities between the rows of ``a`` ``(P, D)`` and ``b`` ``(Q, D)``.

    Works on numpy arrays or torch tensors (and returns the same kind).
    Taught in notebook 05 (``05_speaker_identity``).

    >>> cosine_similarity_matrix(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 0.0]])).round(4).tolist()
    [[1.0], [0.7071]]
    """
    if torch.is_tensor(a) or torch.is_tensor(b):
        a, b = torch.as_tensor(a), torch.as_tensor(b)
        return (a / a.norm(dim=-1, keepdim=True).clamp(min=eps)) @ (b / b.norm(dim=-1, keepdim=True).clamp(min=eps)).T
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return (a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), eps)) @ \
        (b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), eps)).T


def ge2e_similarity(embeddings: torch.Tensor, w, b) -> torch.Tensor:
    """GE2E's scaled similarity ``S[j, i, k] = w cos(e_ji, c_k) + b``, ``(N, M, N)``.

    ``c_k`` is the mean of speaker ``k``'s ``M`` embeddings -- except for the speaker's
    own column, where utterance ``i`` is left out of its centroid:
    ``c_j^(-i) = (sum_m e_jm - e_ji) / (M - 1)``. Taught in notebook 05 (``05_speaker_identity``).

    >>> e = torch.tensor([[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> ge2e_similarity(e, 10.0, -5.0)[0].tolist()
    [[5.0, -5.0], [5.0, -5.0]]
    """
    N, M, D = embeddings.shape
    if M < 2:
        raise ValueError("GE2E needs at least 2 utterances per speaker (one is left out of its centroid)")
    centroids = embeddings.mean(1)                                              # (N, D)
    own = (embeddings.sum(1, keepdim=True) - embeddings) / (M - 1)              # (N, M, D)
    cos = cosine_similarity_matrix(embeddings.reshape(N * M, D), centroids).reshape(N, M, N)
    cos_own = F.cosine_similarity(embeddings, own, dim=-1, eps=1e-8)            # (N, M)
    is_own = torch.eye(N, dtype=torch.bool, device=embeddings.device)[:, None, :]  # (N, 1, N)
    return w * torch.where(is_own, cos_own[..., None], cos) + b


def ge2e_loss(embeddings: torch.Tensor, w, b) -> torch.Tensor:
    """Generalised end-to-end loss (softmax version, Wan et al. 2018), averaged over utterances.

    ``embeddings`` is ``(N speakers, M utterances, D)``; every utterance must pick its own
    speaker among the ``N`` by softmax over :func:`ge2e_similarity`:
    ``L_ji = -S[j, i, j] + log sum_k exp S[j, i, k]``. The paper keeps ``w > 0``
    (clamping is the trainer's job). Taught in notebook 05 (``05_speaker_identity``), an exercise.

    >>> e = torch.tensor([[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> round(float(ge2e_loss(e, 10.0, -5.0)), 6)             # log(1 + e^-10)
    4.5e-05
    """
    S = ge2e_similarity(embeddings, w, b)
    N, M, _ = S.shape
    return F.cross_entropy(S.reshape(N * M, N), torch.arange(N, device=S.device).repeat_interleave(M))


def equal_error_rate(scores, labels) -> float:
    """EER: where false acceptance = false rejection, on the linearly interpolated ROC.

    ``scores`` of trials, ``labels`` 1 for target (same speaker) and 0 for non-target;
    a trial is accepted when its score is at least the threshold. Sweeping the
    threshold down through the distinct scores gives ROC points (false-accept rate,
    false-reject rate); the EER is where the segment between two of them crosses the
    diagonal. Taught in notebook 05 (``05_speaker_identity``), an exercise.

    >>> equal_error_rate([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0])      # perfectly separated
    0.0
    >>> equal_error_rate([0.9, 0.4, 0.6, 0.1], [1, 1, 0, 0])      # one of each on the wrong side
    0.5
    """
    scores, labels = np.asarray(scores, dtype=np.float64).ravel(), np.asarray(labels).ravel().astype(bool)
    if scores.shape != labels.shape or labels.all() or not labels.any():
        raise ValueError("need one label per score and both target (1) and non-target (0) trials")
    order = np.argsort(-scores, kind="mergesort")
    s, t = scores[order], labels[order]
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]                       # last trial of each distinct score
    far = np.r_[0.0, np.cumsum(~t)[last] / (~t).sum()]
    frr = np.r_[1.0, 1.0 - np.cumsum(t)[last] / t.sum()]
    gap = frr - far                                                            # starts at 1, ends at -1
    i = int(np.argmax(gap <= 0))
    frac = gap[i - 1] / (gap[i - 1] - gap[i])
    return float(far[i - 1] + frac * (far[i] - far[i - 1]))


def verification_trials(embeddings, speakers):
    """Every pair ``i < j`` of embeddings: cosine score and 1 if same speaker, else 0.

    Returns ``(scores, labels, pairs)`` with ``pairs`` the ``(n_pairs, 2)`` indices.
    Taught in notebook 05 (``05_speaker_identity``).

    >>> scores, labels, pairs = verification_trials(np.array([[1.0, 0], [0.9, 0.1], [0, 1]]), ["a", "a", "b"])
    >>> labels.tolist(), pairs.tolist()
    ([1, 0, 0], [[0, 1], [0, 2], [1, 2]])
    """
    sim = cosine_similarity_matrix(np.asarray(embeddings, dtype=np.float64), np.asarray(embeddings, dtype=np.float64))
    i, j = np.triu_indices(len(sim), k=1)
    speakers = np.asarray(speakers)
    return sim[i, j], (speakers[i] == speakers[j]).astype(int), np.stack([i, j], axis=1)


def speaker_eer(encoder: DVectorEncoder, utterances, involving: str | None = None, embeddings=None) -> float:
    """EER of ``encoder`` over every pair of ``utterances`` (whole utterances, cosine scores).

    With ``involving``, only the trials where at least one side is that speaker count:
    can the encoder tell *this* voice from the others? ``embeddings`` (from
    :func:`embed_utterances`) skips recomputing them. Taught in notebook 05 (``05_speaker_identity``).

    >>> from resynth_lib.data.corpus import load_corpus
    >>> utts = load_corpus().utterances(split="test")[::11]
    >>> 0.0 <= speaker_eer(DVectorEncoder(hidden=16, dim=8), utts) <= 1.0
    True
    """
    utterances = list(utterances)
    emb = embed_utterances(encoder, utterances) if embeddings is None else embeddings
    names = np.array([u.speaker for u in utterances])
    scores, labels, pairs = verification_trials(emb, names)
    if involving is not None:
        keep = (names[pairs] == involving).any(axis=1)
        scores, labels = scores[keep], labels[keep]
    return equal_error_rate(scores, labels)

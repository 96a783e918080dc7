"""Which of the known speakers is this? Nearest centroid of d-vectors.

A simple speaker identifier built on the d-vector encoder of
:mod:`resynth_lib.speaker.dvector`: :meth:`SpeakerClassifier.fit` averages the embeddings
of each speaker's utterances into one unit-length centroid, and
:meth:`SpeakerClassifier.predict` names the speaker whose centroid has the highest cosine
with a new waveform's embedding. It is fitted on ground-truth recordings only, so it can
judge whether resynthesised or converted speech still sounds like the intended speaker.

Builds on notebook 05 (``05_speaker_identity``); notebook 06 (``06_hifigan_vocoder``)
scores its vocoder with it, and the codec of notebook 07 keeps its centroids in
``data/checkpoints/speaker_centroids.npz`` (``resynth speaker-centroids``).

Example
-------
>>> from resynth_lib.core.config import CHECKPOINT_DIR
>>> clf = SpeakerClassifier.load(CHECKPOINT_DIR / "speaker_centroids.npz")
>>> clf.speakers
['awb', 'kal16', 'rms', 'slt']
>>> clf.predict_embedding(clf.centroids[2])           # a centroid is nearest to itself
'rms'
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


class SpeakerClassifier:
    """Nearest speaker centroid of d-vectors, fitted on ground-truth audio only.

    ``encoder`` defaults to the shipped d-vector encoder of notebook 05; notebook 06 uses
    the classifier to check that resynthesised speech keeps its speaker.

    Example
    -------
    >>> from resynth_lib.data.corpus import load_corpus
    >>> from resynth_lib.speaker.dvector import DVectorEncoder
    >>> corpus = load_corpus()
    >>> clf = SpeakerClassifier(DVectorEncoder(hidden=16, dim=8)).fit(corpus.utterances(split="train")[::50])
    >>> clf.predict(corpus.utterances(split="test")[0].waveform()) in corpus.speakers
    True
    """

    def __init__(self, encoder=None):
        if encoder is None:
            from resynth_lib.speaker.dvector import load_dvector
            encoder = load_dvector()
        self.encoder = encoder
        self.speakers: list[str] = []
        self.centroids = None

    def fit(self, utterances) -> "SpeakerClassifier":
        """One centroid (normalised mean d-vector) per speaker of ``utterances`` (ground truth)."""
        from resynth_lib.speaker.dvector import embed_utterances
        utterances = list(utterances)
        emb = embed_utterances(self.encoder, utterances)
        names = np.array([u.speaker for u in utterances])
        self.speakers = sorted(set(names))
        c = np.stack([emb[names == s].mean(0) for s in self.speakers])
        self.centroids = c / np.linalg.norm(c, axis=1, keepdims=True)
        return self

    def scores(self, wav) -> np.ndarray:
        """Cosine of the waveform's d-vector to each speaker centroid."""
        if self.centroids is None:
            raise RuntimeError("call fit(training utterances) first")
        return self.centroids @ self.encoder.embed(wav)

    def embed(self, wav) -> np.ndarray:
        """The waveform's d-vector (the encoder's)."""
        return self.encoder.embed(wav)

    def predict(self, wav) -> str:
        return self.predict_embedding(self.encoder.embed(wav))

    def predict_embedding(self, embedding) -> str:
        """The speaker of the nearest centroid to an embedding already computed."""
        if self.centroids is None:
            raise RuntimeError("call fit(training utterances) first")
        return self.speakers[int(np.argmax(self.centroids @ embedding))]

    def save(self, path, force: bool = False) -> Path:
        """The centroids and speaker names (the encoder is the shipped ``dvector.pt``)."""
        path = Path(path)
        if path.exists() and not force:
            raise FileExistsError(f"{path} exists; pass force=True (--force) to replace it")
        np.savez(path, centroids=self.centroids.astype(np.float32), speakers=np.array(self.speakers))
        return path

    @classmethod
    def load(cls, path, encoder=None) -> "SpeakerClassifier":
        """Centroids written by :meth:`save`, with the shipped d-vector encoder unless one is given."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no speaker centroids; write them with `resynth speaker-centroids`")
        data = np.load(path)
        clf = cls(encoder)
        clf.centroids, clf.speakers = data["centroids"], [str(s) for s in data["speakers"]]
        return clf

"""Few labels, the right representation: the closing argument of disentanglement, measured.

Taught in notebook 05 (``05_speaker_identity``), section "Few labels". The claim: when a
representation keeps one factor apart from the others, a downstream task about that factor
needs far fewer labels, because the classifier does not have to learn to ignore the rest.
Two tasks test it, each on representations that are entangled (log-mel, MFCC) or that keep
one factor (content features and units for phones; the d-vector for voices):

* :func:`phone_few_label_curve` -- frame phone classification when only 1, 2, 5 ... labelled
  utterances exist: a logistic regression per representation, the same draws for all,
  scored on the test split;
* :func:`voice_identification` -- tell apart voices the course never trained on (the shipped
  ``data/unseen_voices/`` clips) from **one** enrolment clip per voice: nearest enrolment
  by cosine similarity of each representation's utterance average.

Example
-------
>>> from resynth_lib.data.corpus import load_corpus
>>> from resynth_lib.data.frames import log_mel_frames
>>> utts = load_corpus().utterances(split="valid")
>>> reps = {"log-mel": lambda u: log_mel_frames(u.waveform())}
>>> res = phone_few_label_curve(reps, utts[:6], utts[-4:], counts=(1, 2), repeats=1, progress=False)
>>> res["counts"], res["mean"]["log-mel"].shape
([1, 2], (2,))
"""
from __future__ import annotations

import numpy as np


def _frames_and_labels(rep, utterances, cache: dict, name: str):
    out = []
    for u in utterances:
        key = (name, u.utt_id)
        if key not in cache:
            x = np.asarray(rep(u), dtype=np.float32)
            cache[key] = (x, u.frame_labels(num_frames=len(x)))
        out.append(cache[key])
    return out


def phone_few_label_curve(representations: dict, train_utterances, test_utterances, counts=(1, 2, 5, 10),
                          repeats: int = 3, seed: int = 0, max_test_frames: int = 20000,
                          progress: bool = True) -> dict:
    """Test frame accuracy of phone classifiers fitted on ``counts`` labelled utterances.

    ``representations`` maps a name to ``fn(utterance) -> (frames, dims)`` at 50 Hz.
    For each count and repeat, one random draw of labelled training utterances is shared by
    every representation; a standardised logistic regression is fitted on their frames and
    scored on (at most ``max_test_frames``) frames of ``test_utterances``. Phones never seen
    in the labelled frames count as errors. Returns ``{"counts", "runs": {name: (len(counts),
    repeats)}, "mean", "std", "chance"}`` (chance: always the commonest test phone).
    Taught in notebook 05 (``05_speaker_identity``).

    Example
    -------
    >>> from resynth_lib.data.corpus import load_corpus
    >>> from resynth_lib.data.frames import log_mel_frames
    >>> utts = load_corpus().utterances(split="valid")
    >>> res = phone_few_label_curve({"log-mel": lambda u: log_mel_frames(u.waveform())}, utts[:4], utts[-2:],
    ...                             counts=(1,), repeats=1, progress=False)
    >>> 0.0 < float(res["mean"]["log-mel"][0]) <= 1.0
    True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from tqdm.auto import tqdm
    rng = np.random.default_rng(seed)
    cache: dict = {}
    test = {name: _frames_and_labels(rep, test_utterances, cache, name) for name, rep in representations.items()}
    n_test = sum(len(y) for _, y in next(iter(test.values())))
    pick = np.sort(rng.choice(n_test, min(max_test_frames, n_test), replace=False))
    counts = list(counts)
    runs = {name: np.zeros((len(counts), repeats)) for name in representations}
    jobs = [(i, r) for i in range(len(counts)) for r in range(repeats)]
    y_test = np.concatenate([y for _, y in next(iter(test.values()))])[pick]
    for i, r in tqdm(jobs, desc="few-label phone runs", unit="run", disable=not progress):
        chosen = [train_utterances[j] for j in rng.choice(len(train_utterances), counts[i], replace=False)]
        for name, rep in representations.items():
            pairs = _frames_and_labels(rep, chosen, cache, name)
            X, y = np.concatenate([x for x, _ in pairs]), np.concatenate([lab for _, lab in pairs])
            model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=300)).fit(X, y)
            X_test = np.concatenate([x for x, _ in test[name]])[pick]
            runs[name][i, r] = float(np.mean(model.predict(X_test) == y_test))
    _, freq = np.unique(y_test, return_counts=True)
    return {"counts": counts, "runs": runs, "mean": {k: v.mean(1) for k, v in runs.items()},
            "std": {k: v.std(1) for k, v in runs.items()}, "chance": float(freq.max() / freq.sum())}


def voice_identification(embeddings: dict, clips: dict) -> dict:
    """Accuracy of telling ``len(clips)`` voices apart from one enrolment clip each.

    ``embeddings`` maps a name to ``fn(waveform) -> vector`` (an utterance average of frame
    features, or a d-vector); ``clips`` maps each voice to its clips (at least two). Every
    clip is enrolled in turn, one per voice, and every other clip is labelled with the voice
    of the most cosine-similar enrolment. Returns ``{name: accuracy}`` and ``"chance"``.
    Taught in notebook 05 (``05_speaker_identity``).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> clips = {v: [rng.normal(size=8000) + k for k in range(2)] for v in "ab"}
    >>> res = voice_identification({"mean": lambda w: np.array([w.mean(), 1.0])}, clips)
    >>> sorted(res)
    ['chance', 'mean']
    """
    voices = sorted(clips)
    if any(len(clips[v]) < 2 for v in voices):
        raise ValueError("every voice needs at least two clips: one to enrol, one to test")
    result = {}
    for name, fn in embeddings.items():
        vecs = {v: [np.asarray(fn(w), np.float64) for w in clips[v]] for v in voices}
        mean = np.mean([x for v in voices for x in vecs[v]], axis=0)     # centre: cosine of deviations
        unit = {v: [(x - mean) / (np.linalg.norm(x - mean) + 1e-12) for x in vecs[v]] for v in voices}
        right = total = 0
        for k in range(max(len(unit[v]) for v in voices)):
            enrol = np.stack([unit[v][min(k, len(unit[v]) - 1)] for v in voices])
            for v in voices:
                for j, x in enumerate(unit[v]):
                    if j == min(k, len(unit[v]) - 1):
                        continue
                    right += voices[int(np.argmax(enrol @ x))] == v
                    total += 1
        result[name] = right / total
    return {**result, "chance": 1 / len(voices)}


def plot_few_label_downstream(phone_results: dict, voice_results: dict | None = None, axes=None):
    """Left: phone accuracy against labelled utterances; right: voice identification bars.

    Taught in notebook 05 (``05_speaker_identity``).

    Example
    -------
    >>> res = {"counts": [1, 5], "mean": {"a": np.array([0.3, 0.5])}, "std": {"a": np.array([0.01, 0.02])},
    ...        "chance": 0.1}
    >>> axes = plot_few_label_downstream(res, {"d-vector": 0.9, "chance": 0.1})
    >>> axes[0].get_xlabel()
    'labelled training utterances'
    """
    import matplotlib.pyplot as plt
    if axes is None:
        axes = plt.subplots(1, 2 if voice_results else 1, figsize=(12 if voice_results else 6, 3.8),
                            squeeze=False)[1][0]
    ax = axes[0]
    for name in phone_results["mean"]:
        ax.errorbar(phone_results["counts"], phone_results["mean"][name], yerr=phone_results["std"][name],
                    marker="o", capsize=3, label=name)
    ax.axhline(phone_results["chance"], color="0.6", ls=":", label="commonest phone")
    ax.set_xscale("log")
    ax.set_xticks(phone_results["counts"], [str(c) for c in phone_results["counts"]])
    ax.set(xlabel="labelled training utterances", ylabel="test frame accuracy", title="phones from few labels")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if voice_results:
        names = [k for k in voice_results if k != "chance"]
        axes[1].bar(names, [voice_results[k] for k in names], color="tab:green")
        axes[1].axhline(voice_results["chance"], color="0.6", ls=":", label="chance")
        axes[1].set(ylabel="accuracy", ylim=(0, 1), title="unseen voices from one enrolment clip each")
        axes[1].tick_params(axis="x", labelrotation=15)
        axes[1].legend(fontsize=8)
    return axes


__all__ = ["phone_few_label_curve", "voice_identification", "plot_few_label_downstream"]

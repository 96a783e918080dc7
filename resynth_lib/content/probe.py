"""Linear probes: how much phone and speaker information a representation carries.

A *probe* is a deliberately weak classifier -- here multinomial logistic regression --
trained on frozen features to predict a label the features were never trained for.
If a linear map can read the phone off a frame, the representation has made phones
linearly available; if it can read the speaker, the speaker is in there too. The probe
is fitted on training-split frames and scored on held-out utterances (unseen
sentences), so the accuracy measures the representation, not memorisation.

* :class:`LinearProbe` -- softmax regression on standardised features, L2-regularised,
  fitted by full-batch L-BFGS in torch (deterministic);
* :func:`probe_accuracy` -- fit on one set, accuracy on another;
* :func:`probe_representations` -- phone and speaker accuracy of several representations
  (MFCC, log-mel, every layer of a model) in one table.

Taught in notebook 02b (``02b_self_supervised_speech``).
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from resynth_lib.data.frames import frame_table

SILENCE = "pau"


class LinearProbe:
    """Multinomial logistic regression ``softmax(W x + b)`` on standardised features.

    ``weight_decay`` is the L2 penalty on ``W`` (per example). Features are standardised
    with the training set's mean and standard deviation, which are kept for
    :meth:`predict`. Taught in notebook 02b.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (50, 3)), rng.normal(4, 1, (50, 3))])
    >>> y = np.repeat([0, 1], 50)
    >>> probe = LinearProbe().fit(X, y)
    >>> probe.score(X, y) > 0.95
    True
    """

    def __init__(self, weight_decay: float = 1e-4, max_iter: int = 200):
        self.weight_decay, self.max_iter = weight_decay, max_iter

    def fit(self, X, y, n_classes: int | None = None) -> "LinearProbe":
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y, dtype=np.int64)
        if X.ndim != 2 or len(X) != len(y):
            raise ValueError(f"X must be (frames, dims) with one label per frame; got {X.shape} and {y.shape}")
        self.n_classes_ = int(n_classes or y.max() + 1)
        self.mean_, self.std_ = X.mean(0), X.std(0) + 1e-6
        Xt = torch.from_numpy((X - self.mean_) / self.std_)
        yt = torch.from_numpy(y)
        W = torch.zeros(X.shape[1], self.n_classes_, requires_grad=True)
        b = torch.zeros(self.n_classes_, requires_grad=True)
        optimiser = torch.optim.LBFGS([W, b], lr=1.0, max_iter=self.max_iter, history_size=20,
                                      line_search_fn="strong_wolfe")

        def closure():
            optimiser.zero_grad()
            loss = F.cross_entropy(Xt @ W + b, yt) + self.weight_decay * (W * W).sum()
            loss.backward()
            return loss

        optimiser.step(closure)
        self.W_, self.b_ = W.detach(), b.detach()
        return self

    def predict(self, X) -> np.ndarray:
        Xt = torch.from_numpy((np.asarray(X, dtype=np.float32) - self.mean_) / self.std_)
        return (Xt @ self.W_ + self.b_).argmax(1).numpy()

    def score(self, X, y) -> float:
        """Accuracy on ``(X, y)``."""
        return float((self.predict(X) == np.asarray(y)).mean())


def probe_accuracy(X_train, y_train, X_test, y_test, weight_decay: float = 1e-4, max_train: int | None = None,
                   seed: int = 0) -> float:
    """Fit a :class:`LinearProbe` on the training frames (at most ``max_train``, drawn at random); test accuracy.

    The number of classes is taken from both label sets, so a class missing from the
    training frames is still counted. Every probe table of notebook 02b is made of these.

    Example
    -------
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
    >>> probe_accuracy(X[:100], y[:100], X[100:], y[100:]) > 0.9
    True
    """
    X_train, y_train = np.asarray(X_train), np.asarray(y_train)
    if max_train is not None and len(X_train) > max_train:
        keep = np.random.default_rng(seed).choice(len(X_train), max_train, replace=False)
        X_train, y_train = X_train[keep], y_train[keep]
    n_classes = int(max(np.max(y_train), np.max(y_test)) + 1)
    return LinearProbe(weight_decay).fit(X_train, y_train, n_classes).score(X_test, y_test)


def probe_representations(representations: Mapping[str, Callable], train_utts: Sequence, test_utts: Sequence,
                          max_train: int | None = 40000, weight_decay: float = 1e-4, progress: bool = False) -> dict:
    """Phone and speaker probe accuracy of each representation, on held-out utterances.

    ``representations`` maps a name to ``feature_fn(utterance) -> (frames, dims)`` on the
    50 Hz grid. The phone probe uses every frame; the speaker probe leaves out silence
    (``pau``) frames, where there is no voice to recognise. Returns
    ``{name: {"phone": accuracy, "speaker": accuracy, "dims": D}}``. Taught in notebook 02b.

    >>> from resynth_lib.data.corpus import load_corpus
    >>> from resynth_lib.data.frames import mfcc_frames
    >>> c = load_corpus()
    >>> table = probe_representations({"mfcc": lambda u: mfcc_frames(u.waveform())},
    ...                               c.utterances(split="valid")[::11], c.utterances(split="test")[::11])
    >>> table["mfcc"]["phone"] > 0.2 and table["mfcc"]["speaker"] > 0.5   # most common class: 0.10, 0.27
    True
    """
    train_utts, test_utts = list(train_utts), list(test_utts)
    all_utts = train_utts + test_utts
    phones = sorted({s.phone for u in all_utts for s in u.phones})
    speakers = sorted({u.speaker for u in all_utts})
    silence = phones.index(SILENCE) if SILENCE in phones else -1
    results = {}
    items = representations.items()
    if progress:
        from tqdm.auto import tqdm
        items = tqdm(list(items), desc="probes", unit="representation")
    for name, fn in items:
        Xtr, ptr, str_, _ = frame_table(train_utts, fn, phones, speakers)
        Xte, pte, ste, _ = frame_table(test_utts, fn, phones, speakers)
        phone = probe_accuracy(Xtr, ptr, Xte, pte, weight_decay, max_train)
        speech_tr, speech_te = ptr != silence, pte != silence
        speaker = probe_accuracy(Xtr[speech_tr], str_[speech_tr], Xte[speech_te], ste[speech_te], weight_decay,
                                 max_train)
        results[name] = {"phone": phone, "speaker": speaker, "dims": int(Xtr.shape[1])}
    return results


def model_representations(model, name: str | None = None, cache: dict | None = None) -> dict:
    """``{"<name> <layer name>": feature_fn}`` for every layer of a model from :mod:`resynth_lib.content.ssl_models`.

    All layers of an utterance come from one forward pass, kept in ``cache`` (a dict you
    pass in, keyed by utterance id) so probing five layers costs one pass. Taught in notebook 02b.

    >>> from resynth_lib.content.ssl_models import HuBERTModel
    >>> sorted(model_representations(HuBERTModel(dim=8, layers=1, heads=2, n_targets=3), "toy"))
    ['toy front end', 'toy layer 1']
    """
    from resynth_lib.content.ssl_models import layer_features
    from resynth_lib.data.frames import ssl_input
    cache = {} if cache is None else cache
    name = name or model.kind

    def layer_fn(index):
        def fn(utt):
            key = (name, utt.utt_id)
            if key not in cache:
                cache[key] = layer_features(model, ssl_input(utt.waveform(cache=True)))
            return cache[key][index]
        return fn

    return {f"{name} {layer}": layer_fn(i) for i, layer in enumerate(model.layer_names)}


def content_margin(row: dict) -> float:
    """The score the course chooses its content layer by: phone accuracy minus speaker accuracy.

    Units should carry *what* is said and leave *who* says it to the speaker stream, so a
    point of phone accuracy and a point less of speaker accuracy count the same. The layers
    of the models of notebook 02b are ranked by it.

    Example
    -------
    >>> content_margin({"phone": 0.70, "speaker": 0.60})
    0.1
    """
    return round(row["phone"] - row["speaker"], 12)


def choose_layer(models: Mapping[str, object], train_utts, valid_utts, max_train: int | None = 40000):
    """The (model, layer) the course quantises: best :func:`content_margin` on the *validation* split.

    ``models`` maps a name to a model from :mod:`resynth_lib.content.ssl_models`. Returns
    ``(model name, layer index, probe table of every layer of every model)``; the test
    split stays untouched for the notebook's report. Taught in notebook 02b.

    Example
    -------
    A tiny untrained model and a few utterances, only to show the shape of the answer:

    >>> from resynth_lib.data.corpus import load_corpus
    >>> from resynth_lib.content.ssl_models import HuBERTModel
    >>> corpus = load_corpus()
    >>> _ = torch.manual_seed(0)
    >>> toy = HuBERTModel(dim=8, layers=1, heads=2, n_targets=3)
    >>> name, layer, table = choose_layer({"toy": toy}, corpus.utterances(split="train")[::180],
    ...                                   corpus.utterances(split="valid")[::30])
    >>> name, layer in (0, 1), sorted(table)
    ('toy', True, ['toy front end', 'toy layer 1'])
    """
    reps, owner = {}, {}
    for name, model in models.items():
        for i, (rep, fn) in enumerate(model_representations(model, name).items()):
            reps[rep] = fn
            owner[rep] = (name, i)
    table = probe_representations(reps, train_utts, valid_utts, max_train=max_train, progress=True)
    best = max(table, key=lambda rep: content_margin(table[rep]))
    return owner[best][0], owner[best][1], table


def main(argv=None) -> int:
    """``resynth probe-layers CHECKPOINT...``: choose the content layer on the validation split.

    Runs :func:`choose_layer` on the given checkpoints and writes the choice, with the
    probe table, to ``data/checkpoints/content_layer.json`` (notebook 02b reads it).

    Example
    -------
    >>> from resynth_lib.cli.main import resolve
    >>> resolve(("probe-layers",)) is main
    True
    """
    import argparse
    import json
    from pathlib import Path

    from resynth_lib.content.ssl_models import CHECKPOINT_DIR, load_ssl_model
    from resynth_lib.core.config import machine_info
    from resynth_lib.data.corpus import load_corpus
    parser = argparse.ArgumentParser(prog="resynth probe-layers", description=main.__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", nargs="+", help="checkpoints written by `resynth train ssl`")
    parser.add_argument("--max-train", type=int, default=40000, help="training frames per probe")
    parser.add_argument("--out", default=str(CHECKPOINT_DIR / "content_layer.json"))
    parser.add_argument("--force", action="store_true", help="replace an existing output")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists() and not args.force:
        parser.error(f"{out} exists; pass --force to replace it")
    models = {Path(c).stem: load_ssl_model(c) for c in args.checkpoints}
    corpus = load_corpus()
    name, layer, table = choose_layer(models, corpus.utterances(split="train"), corpus.utterances(split="valid"),
                                      args.max_train)
    checkpoint = next(c for c in args.checkpoints if Path(c).stem == name)
    choice = {"checkpoint": Path(checkpoint).name, "kind": models[name].kind, "layer": layer,
              "layer_name": models[name].layer_names[layer], "rule": "max phone - speaker probe accuracy, valid split",
              "command": "resynth probe-layers " + " ".join(argv if argv is not None else []),
              "valid_table": table, "machine": machine_info()}
    out.write_text(json.dumps(choice, indent=2) + "\n")
    for rep, row in table.items():
        print(f"{rep:>22}: phone {row['phone']:.3f}  speaker {row['speaker']:.3f}  margin {content_margin(row):+.3f}")
    print(f"chosen: {name} layer {layer} ({choice['layer_name']}); wrote {out}")
    return 0

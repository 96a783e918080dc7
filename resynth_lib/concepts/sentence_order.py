"""Sentence order as a pretext task, on the course's own sentences, then their kind from few labels.

Taught in notebook 02 (``02_self_supervised_pretext_tasks``), section 2, after word2vec.
ALBERT's *sentence-order prediction* (Lan et al., 2020) shows two consecutive segments of
a document, in their order or swapped, and asks which. The course has no documents, only
the single sentences of its grammar (:mod:`resynth_lib.data.sentences`), so here the two
segments are the two spans of one sentence cut at a random word: ``the old judge sold |
the map`` against ``the map | the old judge sold``. The pseudo-label is "in order" or
"swapped"; to answer, the network has to know how English sentences of this grammar run.

The downstream task is the sentence's *kind*: statement, question, exclamation or command
(:data:`KINDS`, read off the grammar's punctuation and opening words by
:func:`sentence_kind`). The model never sees punctuation or capitals
(:func:`words_of`), so the kind has to come from the words and their order. A logistic
regression on the frozen encoder's features, with 1 to 10 labelled sentences per kind, is
compared with the same probe on a random encoder of the same shape and on word counts.
Measured while building the course (300 or 1000 steps, 10 draws): the order task beats the
random encoder by about 0.07-0.11 balanced accuracy at every label count, and plain word
counts beat both -- the kinds of this grammar are told by which words occur (notebook 02).

Example
-------
>>> train, train_kind, test, test_kind = load_sentence_splits(n=400)
>>> vocab = sentence_vocab(train)
>>> model, history = pretrain_sentence_order(train, vocab, steps=20, seed=0, progress=False)
>>> encode_sentences(model, test[:3], vocab).shape
(3, 128)
"""
from __future__ import annotations

import re

import numpy as np
import torch
from torch import nn

from resynth_lib.core.training import TrainingLoop, seeded
from resynth_lib.data.sentences import generate_candidates

KINDS = ("statement", "question", "exclamation", "command")
#: ids 0, 1 and 2 of every vocabulary: padding, the separator between the two spans, an unknown word
PAD, SEP, UNK = 0, 1, 2
METHODS = ("order probe", "random-encoder probe", "word-count probe")


# ------------------------------------------------------------------ data
def sentence_kind(text: str) -> str:
    """The kind of a sentence of the course's grammar, one of :data:`KINDS`.

    A question ends in "?"; a command opens with "Please", "Do not" or "Never" or ends in
    ", please!"; any other "!" is an exclamation ("What a ...!", "How ...!"); the rest are
    statements. A test checks this rule against the grammar's own productions.
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> [sentence_kind(s) for s in ["Anna sold the map.", "Did Anna sell it?", "What a map!", "Never do that!"]]
    ['statement', 'question', 'exclamation', 'command']
    """
    text = text.strip()
    if text.endswith("?"):
        return "question"
    if text.startswith(("Please ", "Do not ", "Never ")) or text.endswith(", please!"):
        return "command"
    return "exclamation" if text.endswith("!") else "statement"


def words_of(text: str) -> list[str]:
    """The lower-case words of ``text``, punctuation removed: what the models see.

    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> words_of("Put the map on the shelf, please!")
    ['put', 'the', 'map', 'on', 'the', 'shelf', 'please']
    """
    return re.findall(r"[a-z']+", text.lower())


def load_sentence_splits(n: int = 3000, seed: int = 0, test_fraction: float = 0.3):
    """``(train_words, train_kinds, test_words, test_kinds)`` from ``n`` sentences of the grammar.

    Sentences are :func:`~resynth_lib.data.sentences.generate_candidates`'s (seed 0), as
    word lists (:func:`words_of`); kinds are indices into :data:`KINDS`. The split is
    stratified by kind; the training sentences, kinds unused, are the unlabelled pool.
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> tr, ty, te, vy = load_sentence_splits(n=200)
    >>> len(tr), len(te), sorted(set(ty.tolist()))
    (140, 60, [0, 1, 2, 3])
    """
    from sklearn.model_selection import train_test_split
    texts = generate_candidates(n, seed=seed)
    kinds = np.array([KINDS.index(sentence_kind(t)) for t in texts])
    words = [words_of(t) for t in texts]
    index = np.arange(n)
    tr, te = train_test_split(index, test_size=test_fraction, stratify=kinds, random_state=seed)
    return [words[i] for i in tr], kinds[tr], [words[i] for i in te], kinds[te]


def sentence_vocab(sentences) -> dict[str, int]:
    """Word -> id for the words of ``sentences``, from 3 up (0, 1, 2 are PAD, SEP, UNK).

    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> sentence_vocab([["the", "map"], ["a", "map"]])
    {'a': 3, 'map': 4, 'the': 5}
    """
    return {w: i + 3 for i, w in enumerate(sorted({w for s in sentences for w in s}))}


def _ids(words, vocab) -> list[int]:
    return [vocab.get(w, UNK) for w in words]


def _pad(seqs) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(s) for s in seqs])
    out = torch.full((len(seqs), int(lengths.max())), PAD, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.as_tensor(s, dtype=torch.long)
    return out, lengths


def order_example(ids, cut: int, swap: bool) -> list[int]:
    """One input of the order task: the spans ``ids[:cut]`` and ``ids[cut:]`` around SEP, swapped if asked.

    The pseudo-label is 1 for the original order, 0 for swapped. Taught in notebook 02
    (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> order_example([5, 6, 7, 8], cut=1, swap=False), order_example([5, 6, 7, 8], cut=1, swap=True)
    ([5, 1, 6, 7, 8], [6, 7, 8, 1, 5])
    """
    ids = list(ids)
    if not 0 < cut < len(ids):
        raise ValueError(f"cut must leave both spans non-empty: 0 < cut < {len(ids)}, got {cut}")
    a, b = ids[:cut], ids[cut:]
    return b + [SEP] + a if swap else a + [SEP] + b


def order_batch(sentences, vocab, generator: torch.Generator):
    """``(padded ids, lengths, labels)``: each sentence cut at a random word, swapped with probability 1/2.

    ``labels[i]`` is 1 where sentence ``i`` kept its order, 0 where its spans were swapped.
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> ids, lengths, labels = order_batch([["a", "b", "c"]] * 4, {"a": 3, "b": 4, "c": 5},
    ...                                    torch.Generator().manual_seed(0))
    >>> ids.shape, lengths.tolist()
    (torch.Size([4, 4]), [4, 4, 4, 4])
    """
    seqs, labels = [], []
    for words in sentences:
        ids = _ids(words, vocab)
        cut = int(torch.randint(1, len(ids), (1,), generator=generator))
        swap = bool(torch.randint(2, (1,), generator=generator))
        seqs.append(order_example(ids, cut, swap))
        labels.append(0 if swap else 1)
    ids, lengths = _pad(seqs)
    return ids, lengths, torch.tensor(labels)


# ------------------------------------------------------------------ models
class SentenceEncoder(nn.Module):
    """Word embeddings and a one-layer GRU: ``(n, hidden)`` last hidden states, or with ``pooled=True``
    ``(n, 2 * hidden)``: the mean of the GRU's outputs over the words beside the last state.

    The order head reads the last state; the probes read the pooled features (the last
    state alone is dominated by the last words, and a sentence's kind is in its first).

    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> enc = SentenceEncoder(vocab_size=10, dim=8, hidden=16)
    >>> ids, lengths = torch.tensor([[3, 4, 5], [6, 7, 0]]), torch.tensor([3, 2])
    >>> enc(ids, lengths).shape, enc(ids, lengths, pooled=True).shape
    (torch.Size([2, 16]), torch.Size([2, 32]))
    """

    def __init__(self, vocab_size: int, dim: int = 32, hidden: int = 64):
        super().__init__()
        self.vocab_size, self.dim, self.hidden = vocab_size, dim, hidden
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=PAD)
        self.gru = nn.GRU(dim, hidden, batch_first=True)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, pooled: bool = False) -> torch.Tensor:
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(ids), lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        outputs, last = self.gru(packed)
        if not pooled:
            return last[0]
        outputs = nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True)[0]
        return torch.cat([outputs.sum(1) / lengths[:, None].to(outputs.dtype), last[0]], dim=1)


class OrderNet(nn.Module):
    """A :class:`SentenceEncoder` and a linear head: "in order" (1) or "swapped" (0).

    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> OrderNet(SentenceEncoder(10, 8, 16))(torch.tensor([[3, 1, 4]]), torch.tensor([3])).shape
    torch.Size([1, 2])
    """

    def __init__(self, encoder: SentenceEncoder):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.hidden, 2)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(ids, lengths))


def pretrain_sentence_order(train_sentences, vocab, steps: int = 1000, seed: int = 0, dim: int = 32,
                            hidden: int = 64, batch_size: int = 64, lr: float = 3e-3, progress: bool = True):
    """Train an :class:`OrderNet` to tell whether the two spans of each sentence are in order.

    ``train_sentences`` are word lists (no labels used). Returns ``(model, history)`` with
    per-step ``"loss"`` and ``"accuracy"`` on the batch; the encoder is ``model.encoder``.
    The same seed gives the same model. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> train = load_sentence_splits(n=300)[0]
    >>> model, h = pretrain_sentence_order(train, sentence_vocab(train), steps=60, seed=0, progress=False)
    >>> bool(np.mean(h["loss"][-10:]) < np.mean(h["loss"][:10]))
    True
    """
    sentences = [s for s in train_sentences if len(s) >= 2]
    if not sentences:
        raise ValueError("train_sentences must hold sentences of at least two words")
    with seeded(seed):
        model = OrderNet(SentenceEncoder(len(vocab) + 3, dim, hidden))
        optimiser = torch.optim.Adam(model.parameters(), lr=lr)
        generator = torch.Generator().manual_seed(seed)

        def step_fn(step):
            pick = torch.randint(len(sentences), (batch_size,), generator=generator).tolist()
            ids, lengths, labels = order_batch([sentences[i] for i in pick], vocab, generator)
            logits = model(ids, lengths)
            loss = nn.functional.cross_entropy(logits, labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            return {"loss": loss.item(), "accuracy": (logits.argmax(1) == labels).float().mean().item()}

        model.train()
        history = TrainingLoop("sentence-order pretext", steps, {"model": model, "optimiser": optimiser},
                               history={"loss": [], "accuracy": []}, log_every=1, progress=progress,
                               generators={"batches": generator}).run(step_fn)
    return model.eval(), history


@torch.no_grad()
def order_accuracy(model: OrderNet, sentences, vocab, seed: int = 0) -> float:
    """Fraction of ``sentences`` (cut and maybe swapped at random, seeded) whose order ``model`` gets right.

    Chance is 0.5. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> acc = order_accuracy(OrderNet(SentenceEncoder(10, 8, 16)), [["a", "b"]] * 4, {"a": 3, "b": 4})
    >>> 0.0 <= acc <= 1.0
    True
    """
    ids, lengths, labels = order_batch([s for s in sentences if len(s) >= 2], vocab,
                                       torch.Generator().manual_seed(seed))
    return (model.eval()(ids, lengths).argmax(1) == labels).float().mean().item()


@torch.no_grad()
def encode_sentences(encoder, sentences, vocab) -> np.ndarray:
    """Frozen pooled features ``(n, 2 * hidden)`` of whole sentences (no separator; see :class:`SentenceEncoder`).

    ``encoder`` may be an :class:`OrderNet`.
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> encode_sentences(SentenceEncoder(10, 8, 16), [["a"], ["a", "b"]], {"a": 3, "b": 4}).shape
    (2, 32)
    """
    encoder = encoder.encoder if isinstance(encoder, OrderNet) else encoder
    ids, lengths = _pad([_ids(s, vocab) or [UNK] for s in sentences])
    return encoder.eval()(ids, lengths, pooled=True).numpy()


def word_counts(sentences, vocab) -> np.ndarray:
    """Bag-of-words features ``(n, len(vocab) + 3)``: how often each word occurs (order ignored).

    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> word_counts([["a", "a", "b"]], {"a": 3, "b": 4}).tolist()
    [[0.0, 0.0, 0.0, 2.0, 1.0]]
    """
    out = np.zeros((len(sentences), len(vocab) + 3), dtype=np.float32)
    for i, s in enumerate(sentences):
        np.add.at(out[i], _ids(s, vocab), 1.0)
    return out


# ------------------------------------------------------------------ few labels
def kind_curve(model, split, vocab, per_class=(1, 2, 5, 10), repeats: int = 5, seed: int = 0,
               progress: bool = True) -> dict:
    """Accuracy of sentence-kind probes (:data:`METHODS`) with ``per_class`` labelled sentences per kind.

    Each of ``repeats`` draws of labelled sentences is shared by all probes: a logistic
    regression on the frozen features of ``model``'s encoder, of a random
    :class:`SentenceEncoder` of the same shape (seeded by ``seed``: with the same seed, the
    pre-trained model's own starting point), and on :func:`word_counts`, all unscaled
    (standardising helped no probe much and hurt the word counts badly). The score is the
    *balanced* accuracy (the mean of the per-kind recalls: chance is 1/4 although most test
    sentences are statements). ``split`` is
    :func:`load_sentence_splits`'s output. Returns the same dictionary as
    :func:`~resynth_lib.concepts.pretext_images.few_label_curve`, so its table and plot apply.
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> split = load_sentence_splits(n=200)
    >>> vocab = sentence_vocab(split[0])
    >>> res = kind_curve(OrderNet(SentenceEncoder(len(vocab) + 3)), split, vocab, per_class=(2,), repeats=1,
    ...                  progress=False)
    >>> sorted(res["mean"]) == sorted(METHODS), res["runs"]["word-count probe"].shape
    (True, (1, 1))
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score

    from resynth_lib.concepts.pretext_images import sample_labelled
    train_s, train_y, test_s, test_y = split
    encoder = model.encoder if isinstance(model, OrderNet) else model
    with seeded(seed):
        random_encoder = OrderNet(SentenceEncoder(encoder.vocab_size, encoder.dim, encoder.hidden)).encoder
    features = {"order probe": lambda s: encode_sentences(encoder, s, vocab),
                "random-encoder probe": lambda s: encode_sentences(random_encoder, s, vocab),
                "word-count probe": lambda s: word_counts(s, vocab)}
    pool = {m: f(train_s) for m, f in features.items()}
    test = {m: f(test_s) for m, f in features.items()}
    per_class = list(per_class)
    runs = {m: np.zeros((len(per_class), repeats)) for m in METHODS}
    jobs = [(i, r) for i in range(len(per_class)) for r in range(repeats)]
    if progress:
        from tqdm.auto import tqdm
        jobs = tqdm(jobs, desc="few-label runs", unit="run")
    for i, r in jobs:
        idx = sample_labelled(train_y, per_class[i], seed=seed * 1000 + r)
        for m in METHODS:
            classifier = LogisticRegression(max_iter=5000).fit(pool[m][idx], train_y[idx])
            runs[m][i, r] = balanced_accuracy_score(test_y, classifier.predict(test[m]))
    return {"per_class": per_class, "runs": runs,
            "mean": {m: v.mean(axis=1) for m, v in runs.items()},
            "std": {m: v.std(axis=1) for m, v in runs.items()}}


__all__ = ["KINDS", "PAD", "SEP", "UNK", "METHODS", "sentence_kind", "words_of", "load_sentence_splits",
           "sentence_vocab", "order_example", "order_batch", "SentenceEncoder", "OrderNet",
           "pretrain_sentence_order", "order_accuracy", "encode_sentences", "word_counts", "kind_curve"]

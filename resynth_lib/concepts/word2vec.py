"""word2vec from scratch: skip-gram and CBOW with negative sampling, on text with known factors.

Taught in notebook 02 (``02_self_supervised_pretext_tasks``). word2vec (Mikolov et al., 2013)
is a pretext task: predict a word's neighbours (skip-gram) or a word from its neighbours
(CBOW). No labels are used, yet the vectors line up with latent factors: ``king - man + woman``
lands next to ``queen``. The corpus is synthetic so that its factors are known: nouns vary by
gender, royalty and number, verbs by tense and number, and each factor shows only through the
words around them (``he``/``she``, ``palace``/``village``, ``many``/``they``, ``yesterday``/``today``).

* :func:`make_factor_corpus`, :data:`GENDER_PAIRS`; :func:`build_vocab`, :func:`skipgram_pairs`,
  :func:`cbow_examples`, :func:`noise_distribution` -- from sentences to training examples.
* :func:`negative_sampling_loss`, :class:`SkipGramNS`, :class:`CBOW`, :func:`train_word2vec`.

What the vectors learnt -- nearest neighbours, analogies, how well one direction separates
word pairs, a 2-D picture -- is measured in the sibling module
:mod:`resynth_lib.concepts.embedding_analysis`.

Example
-------
>>> sentences = make_factor_corpus(3, seed=0)
>>> vocab = build_vocab(sentences)
>>> len(sentences), skipgram_pairs(sentences, vocab.word_to_id, window=2).shape[1]
(3, 2)
"""
from __future__ import annotations

import random
from collections import Counter
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from resynth_lib.core.training import TrainingLoop, seeded

# ------------------------------------------------------------------ the corpus
#: (male singular, female singular, male plural, female plural, two adjectives the pair is often seen with)
ROYAL_NOUNS = [("king", "queen", "kings", "queens", ("wise", "mighty")),
               ("prince", "princess", "princes", "princesses", ("young", "brave")),
               ("duke", "duchess", "dukes", "duchesses", ("rich", "stern")),
               ("emperor", "empress", "emperors", "empresses", ("great", "feared")),
               ("lord", "lady", "lords", "ladies", ("noble", "elegant"))]
COMMON_NOUNS = [("man", "woman", "men", "women", ("tall", "strong")),
                ("boy", "girl", "boys", "girls", ("little", "playful")),
                ("father", "mother", "fathers", "mothers", ("proud", "caring")),
                ("brother", "sister", "brothers", "sisters", ("older", "twin")),
                ("husband", "wife", "husbands", "wives", ("married", "loving")),
                ("son", "daughter", "sons", "daughters", ("clever", "only"))]
#: (present singular, present plural, past, the object it often takes)
VERBS = [("walks", "walk", "walked", "dog"), ("eats", "eat", "ate", "bread"), ("sings", "sing", "sang", "song"),
         ("writes", "write", "wrote", "letter"), ("drinks", "drink", "drank", "tea"),
         ("rides", "ride", "rode", "horse"), ("throws", "throw", "threw", "ball"), ("feeds", "feed", "fed", "cat")]
PLACES = {True: ["palace", "castle", "throne", "court"], False: ["village", "farm", "market", "field"]}
THINGS = {True: ["crown", "jewels", "robe"], False: ["basket", "hat", "cart"]}
TIME_WORDS = {"past": ["yesterday", "earlier"], "present": ["today", "now"]}
STATES = ["happy", "tired", "hungry", "calm"]
#: (male, female) word pairs, singular and plural, for evaluating the gender direction.
GENDER_PAIRS = [(n[0], n[1]) for n in ROYAL_NOUNS + COMMON_NOUNS] + \
               [(n[2], n[3]) for n in ROYAL_NOUNS + COMMON_NOUNS]


def make_factor_corpus(n_sentences: int = 20000, seed: int = 0) -> list[list[str]]:
    """Sentences (lists of words) from a grammar with known latent factors.

    One subject noun per sentence (random gender, royalty, number) and a verb (random tense).
    The factors show only in the context: pronouns (``he``/``she``, ``his``/``her``, ``they``),
    places and things (``palace``, ``crown`` / ``village``, ``basket``), agreement (``many``,
    ``are``, ``walk``/``walks``) and time words (``yesterday``/``today``); both nouns of a pair
    share their adjectives (``wise king``, ``wise queen``). Deterministic for a ``seed``.
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> make_factor_corpus(2, seed=1) == make_factor_corpus(2, seed=1)
    True
    """
    rng = random.Random(seed)
    copula = {("present", 0): "is", ("present", 1): "are", ("past", 0): "was", ("past", 1): "were"}
    out = []
    for _ in range(n_sentences):
        royal, female, plural = rng.random() < 0.5, rng.random() < 0.5, rng.random() < 0.5
        tense = rng.choice(["past", "present"])
        noun = rng.choice(ROYAL_NOUNS if royal else COMMON_NOUNS)
        pron, poss = ("she", "her") if female else ("he", "his")
        each = plural and rng.random() < 0.4                      # "each of the queens ... her"
        det = ["each", "of", "the"] if each else [rng.choice(["the", "many", "some"] if plural else ["the", "a"])]
        words = det + ([rng.choice(noun[4])] if rng.random() < 0.6 else []) + [noun[2 * plural + female]]
        agree = 0 if each else int(plural)                        # the verb's number
        owner = "their" if agree else poss
        if rng.random() < 0.25:                                   # "the queens were happy"
            words += [copula[tense, agree], rng.choice(STATES)]
        else:                                                     # "the queen fed her cat"
            verb = rng.choice(VERBS)
            words.append(verb[2] if tense == "past" else verb[agree])
            if each or rng.random() < 0.8:
                words += [owner if each or rng.random() < 0.7 else "the", verb[3]]
        if rng.random() < 0.5:
            words += [rng.choice(["at", "near"]), "the", rng.choice(PLACES[royal])]
        r = rng.random()
        if r < 0.3:                                               # "with her crown"
            words += ["with", owner, rng.choice(THINGS[royal])]
        elif r < 0.6:                                             # "and she sang" / "and they sang"
            verb = rng.choice(VERBS)
            words += ["and", "they" if agree else pron, verb[2] if tense == "past" else verb[agree]]
        words.insert(0 if rng.random() < 0.5 else len(words), rng.choice(TIME_WORDS[tense]))
        out.append(words)
    return out


# ------------------------------------------------------------------ vocabulary and examples
class Vocab(NamedTuple):
    """``word_to_id`` dict, ``id_to_word`` list and ``counts`` array (most frequent first).

    What :func:`build_vocab` returns; a named tuple, so it also unpacks into its three
    parts. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> vocab = build_vocab([["the", "king"], ["the", "queen"]])
    >>> vocab.id_to_word, vocab.word_to_id["the"], vocab.counts.tolist()
    (['the', 'king', 'queen'], 0, [2, 1, 1])
    """

    word_to_id: dict
    id_to_word: list
    counts: np.ndarray


def build_vocab(sentences, min_count: int = 1) -> Vocab:
    """Count words; keep those seen ``min_count`` times, most frequent first (ties alphabetical).

    Returns a :class:`Vocab` ``(word_to_id, id_to_word, counts)``. Taught in notebook 02
    (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> w2i, i2w, counts = build_vocab([["a", "b", "a"], ["c", "a"]], min_count=1)
    >>> i2w, counts.tolist(), w2i["b"]
    (['a', 'b', 'c'], [3, 1, 1], 1)
    """
    tally = Counter(w for s in sentences for w in s)
    words = sorted((w for w, c in tally.items() if c >= min_count), key=lambda w: (-tally[w], w))
    return Vocab({w: i for i, w in enumerate(words)}, words, np.array([tally[w] for w in words], dtype=np.int64))


def _windows(sentences, word_to_id, window):
    """Ids of all known words, their neighbours at offsets -window..-1, 1..window, and a mask."""
    ids = [[word_to_id[w] for w in s if w in word_to_id] for s in sentences]
    flat = np.array([i for s in ids for i in s], dtype=np.int64)
    sent = np.repeat(np.arange(len(ids)), [len(s) for s in ids])
    offsets = np.array([o for o in range(-window, window + 1) if o != 0], dtype=np.int64)
    j = np.arange(len(flat))[:, None] + offsets[None, :]
    jc = np.clip(j, 0, max(len(flat) - 1, 0))
    mask = (j >= 0) & (j < len(flat)) & (sent[jc] == sent[:, None]) if len(flat) else j > 0
    return flat, np.where(mask, flat[jc] if len(flat) else 0, 0), mask


def skipgram_pairs(sentences, word_to_id, window: int = 2) -> np.ndarray:
    """``(N, 2)`` array of (centre id, context id): each word with every neighbour up to ``window`` away.

    Neighbours never cross a sentence boundary; rows go by centre position, then offset.
    Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> skipgram_pairs([["the", "king", "walks"]], {"the": 0, "king": 1, "walks": 2}, window=1).tolist()
    [[0, 1], [1, 0], [1, 2], [2, 1]]
    """
    centres, contexts, mask = _windows(sentences, word_to_id, window)
    return np.stack([np.broadcast_to(centres[:, None], mask.shape)[mask], contexts[mask]], 1)


def cbow_examples(sentences, word_to_id, window: int = 2):
    """CBOW examples: ``(centres (N,), contexts (N, 2*window), mask (N, 2*window))``.

    ``contexts[n]`` holds the ids at offsets -window..-1, 1..window around centre ``n``; outside
    the sentence the id is 0 and ``mask`` False. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> c, ctx, mask = cbow_examples([["the", "king", "walks"]], {"the": 0, "king": 1, "walks": 2}, window=1)
    >>> c.tolist(), ctx.tolist(), mask.tolist()
    ([0, 1, 2], [[0, 1], [0, 2], [1, 0]], [[False, True], [True, True], [True, False]])
    """
    return _windows(sentences, word_to_id, window)


def noise_distribution(counts, power: float = 0.75) -> np.ndarray:
    """The negative-sampling distribution: unigram counts raised to ``power``, normalised.

    ``0.75`` (Mikolov et al.) favours rare words. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> noise_distribution(np.array([16, 1]), power=0.75).round(3).tolist()
    [0.889, 0.111]
    """
    p = np.asarray(counts, dtype=np.float64) ** power
    return p / p.sum()


# ------------------------------------------------------------------ the loss and the models
def negative_sampling_loss(centre_vecs, context_vecs, negative_vecs):
    """Mean over the batch of ``-log sigmoid(c.o) - sum_k log sigmoid(-c.n_k)``.

    ``centre_vecs`` (B, D); ``context_vecs`` (B, D), the true context words' output vectors;
    ``negative_vecs`` (B, K, D), those of K noise words. ``F.logsigmoid`` stays finite for
    large scores. Returns a scalar tensor. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> c, o, n = torch.tensor([[1.0, 0.0]]), torch.tensor([[2.0, 0.0]]), torch.tensor([[[0.0, 1.0]]])
    >>> round(float(negative_sampling_loss(c, o, n)), 4)     # -log s(2) - log s(0)
    0.8201
    """
    positive = F.logsigmoid((centre_vecs * context_vecs).sum(-1))
    negative = F.logsigmoid(-torch.einsum("bd,bkd->bk", centre_vecs, negative_vecs)).sum(-1)
    return -(positive + negative).mean()


class SkipGramNS(nn.Module):
    """Skip-gram with negative sampling: input (centre) and output (context) embeddings.

    Input vectors start small and random, output vectors at zero, as in word2vec; the word
    vectors are the input ones (:meth:`embeddings`). Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> model = SkipGramNS(vocab_size=10, dim=4)
    >>> loss = model(torch.tensor([1, 2]), torch.tensor([3, 4]), torch.tensor([[5, 6], [7, 8]]))
    >>> round(loss.item(), 4)                                # output vectors start at 0: 3 log 2
    2.0794
    """

    def __init__(self, vocab_size: int, dim: int = 32):
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, dim)
        self.out_embed = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.in_embed.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.out_embed.weight)

    def forward(self, centre, context, negatives):
        """Loss for centre ids (B,), context ids (B,) and negative ids (B, K)."""
        return negative_sampling_loss(self.in_embed(centre), self.out_embed(context), self.out_embed(negatives))

    def embeddings(self) -> np.ndarray:
        """The learnt word vectors (input embeddings), ``(vocab_size, dim)`` numpy array."""
        return self.in_embed.weight.detach().cpu().numpy().copy()


class CBOW(SkipGramNS):
    """Continuous bag of words: the mean of the context's input vectors predicts the centre word.

    Same tables and loss as :class:`SkipGramNS`; padded context positions are left out of
    the mean. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> model = CBOW(vocab_size=10, dim=4)
    >>> ctx, mask = torch.tensor([[1, 2, 0, 0]]), torch.tensor([[True, True, False, False]])
    >>> round(model(ctx, mask, torch.tensor([3]), torch.tensor([[5, 6]])).item(), 4)   # 3 log 2
    2.0794
    """

    def forward(self, contexts, mask, centre, negatives):
        """Loss for context ids (B, 2w) with mask (B, 2w), centre ids (B,), negative ids (B, K)."""
        m = mask.to(self.in_embed.weight.dtype).unsqueeze(-1)
        h = (self.in_embed(contexts) * m).sum(1) / m.sum(1).clamp_min(1.0)
        return negative_sampling_loss(h, self.out_embed(centre), self.out_embed(negatives))


def train_word2vec(sentences, model: str = "skipgram", dim: int = 32, window: int = 3, negatives: int = 5,
                   epochs: int = 2, lr: float = 0.01, batch_size: int = 1024, seed: int = 0, min_count: int = 1,
                   max_steps: int | None = None, threads: int | None = 1, progress: bool = True):
    """Train skip-gram or CBOW with negative sampling (Adam); returns ``(model, vocab, history)``.

    ``history`` is the loss of every step; ``max_steps`` stops early (fast mode); negatives come
    from :func:`noise_distribution`; all randomness follows ``seed``. The matrices are tiny, so
    torch runs on ``threads`` threads (1 is fastest; ``None`` leaves torch's setting), restored
    afterwards. Taught in notebook 02 (``02_self_supervised_pretext_tasks``).

    Example
    -------
    >>> net, vocab, history = train_word2vec(make_factor_corpus(200), dim=8, epochs=1, progress=False)
    >>> net.embeddings().shape == (len(vocab.id_to_word), 8), history[-1] < history[0]
    (True, True)
    """
    if model not in ("skipgram", "cbow"):
        raise ValueError(f"model must be 'skipgram' or 'cbow', got {model!r}")
    vocab = build_vocab(sentences, min_count)
    gen = torch.Generator().manual_seed(seed)
    threads_before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        with seeded(seed):
            if model == "skipgram":
                pairs = torch.as_tensor(skipgram_pairs(sentences, vocab.word_to_id, window))
                data, net = (pairs[:, 0], pairs[:, 1]), SkipGramNS(len(vocab.id_to_word), dim)
            else:
                centres, ctx, mask = cbow_examples(sentences, vocab.word_to_id, window)
                keep = mask.any(1)                                     # one-word sentences have no context
                data = (torch.as_tensor(ctx[keep]), torch.as_tensor(mask[keep]), torch.as_tensor(centres[keep]))
                net = CBOW(len(vocab.id_to_word), dim)
            history = _train(net, data, noise_distribution(vocab.counts), gen, negatives, epochs, lr, batch_size,
                             max_steps, f"word2vec ({model})", progress)
    finally:
        torch.set_num_threads(threads_before)
    return net, vocab, history


def _train(net, data, noise, gen, negatives, epochs, lr, batch_size, max_steps, desc, progress) -> list[float]:
    """Adam on shuffled mini-batches of ``data`` (a new order each epoch) with fresh negatives each step; the losses."""
    noise = torch.as_tensor(noise)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    n = len(data[0])
    per_epoch = -(-n // batch_size)
    total = epochs * per_epoch
    total = min(total, max_steps) if max_steps is not None else total
    order = None

    def step_fn(step):
        nonlocal order
        if step % per_epoch == 0:
            order = torch.randperm(n, generator=gen)
        idx = order[(step % per_epoch) * batch_size:(step % per_epoch + 1) * batch_size]
        negs = torch.multinomial(noise, len(idx) * negatives, replacement=True, generator=gen)
        loss = net(*(d[idx] for d in data), negs.view(len(idx), negatives))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss.item()}

    return TrainingLoop(desc, total, {"net": net, "opt": opt}, log_every=1, progress=progress,
                        generators={"batches": gen}).run(step_fn)["loss"]

"""Sentence order as a pretext task, and sentence kinds from few labels (notebook 02)."""
import random

import numpy as np
import pytest
import torch

from resynth_lib.concepts import sentence_order as SO
from resynth_lib.data import sentences as S


def test_sentence_kind_agrees_with_the_grammar_that_made_each_sentence():
    grammar = S._Grammar(random.Random(0))
    kinds = {"s": "statement", "q": "question", "e": "exclamation", "c": "command"}
    makers = [name for name in dir(grammar) if name[:2] in {"s_", "q_", "e_", "c_"}]
    assert len(makers) > 15
    for name in makers:
        for _ in range(40):
            text = " ".join(getattr(grammar, name)().split())
            text = text[0].upper() + text[1:]
            assert SO.sentence_kind(text) == kinds[name[0]], (name, text)


def test_the_models_see_no_punctuation_and_no_capitals():
    train, train_y, test, test_y = SO.load_sentence_splits(n=300)
    assert all(w.isalpha() or "'" in w for s in train + test for w in s)
    assert all(w == w.lower() for s in train for w in s)
    assert set(train_y.tolist()) == set(range(len(SO.KINDS)))


def test_a_swapped_pair_is_labelled_swapped():
    ids = [3, 4, 5, 6, 7]
    assert SO.order_example(ids, 2, swap=False) == [3, 4, SO.SEP, 5, 6, 7]
    assert SO.order_example(ids, 2, swap=True) == [5, 6, 7, SO.SEP, 3, 4]
    with pytest.raises(ValueError):
        SO.order_example(ids, 0, swap=False)
    vocab = {"a": 3, "b": 4, "c": 5, "d": 6}
    seqs, lengths, labels = SO.order_batch([["a", "b", "c", "d"]] * 50, vocab, torch.Generator().manual_seed(1))
    for row, label in zip(seqs.tolist(), labels.tolist()):
        sep = row.index(SO.SEP)
        restored = row[sep + 1:] + row[:sep] if label == 0 else row[:sep] + row[sep + 1:]
        assert restored == [3, 4, 5, 6]                                   # undoing the label's swap restores it
        assert (row[:sep] + row[sep + 1:] == [3, 4, 5, 6]) == (label == 1)
    assert 0 < labels.sum() < 50


def test_a_trained_order_model_beats_chance_on_held_out_sentences_and_helps_the_probe():
    split = SO.load_sentence_splits(n=1500)
    vocab = SO.sentence_vocab(split[0])
    model, history = SO.pretrain_sentence_order(split[0], vocab, steps=200, seed=0, progress=False)
    assert SO.order_accuracy(model, split[2], vocab) > 0.8                # chance is 0.5
    res = SO.kind_curve(model, split, vocab, per_class=(5,), repeats=3, progress=False)
    assert set(res["mean"]) == set(SO.METHODS)
    assert all(0.0 <= float(v[0]) <= 1.0 for v in res["mean"].values())
    assert res["mean"]["order probe"][0] > res["mean"]["random-encoder probe"][0]


def test_word_counts_ignore_order():
    vocab = {"a": 3, "b": 4}
    assert np.array_equal(SO.word_counts([["a", "b"]], vocab), SO.word_counts([["b", "a"]], vocab))

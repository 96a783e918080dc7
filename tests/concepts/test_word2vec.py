"""word2vec of notebook 02 (resynth_lib.concepts.word2vec): corpus, examples, loss, training, what the vectors learn."""
from collections import Counter

import numpy as np
import pytest
import torch

from resynth_lib.concepts import embedding_analysis
from resynth_lib.concepts import word2vec as w2v
from resynth_lib.course.checks import run_check


@pytest.fixture(scope="module")
def corpus():
    return w2v.make_factor_corpus()


@pytest.fixture(scope="module")
def skipgram(corpus):
    net, vocab, history = w2v.train_word2vec(corpus, progress=False)      # the defaults the notebook uses
    return net.embeddings(), vocab, history


@pytest.fixture(scope="module")
def cbow(corpus):
    net, vocab, history = w2v.train_word2vec(corpus, model="cbow", progress=False)
    return net.embeddings(), vocab, history


# ------------------------------------------------------------------ corpus and examples
def test_corpus_is_deterministic_and_carries_its_factors(corpus):
    assert w2v.make_factor_corpus(300, seed=3) == w2v.make_factor_corpus(300, seed=3)
    assert w2v.make_factor_corpus(300, seed=3) != w2v.make_factor_corpus(300, seed=4)
    assert corpus[:50] == w2v.make_factor_corpus(50)                      # a prefix does not depend on n
    assert len(corpus) == 20000
    words = Counter(w for s in corpus for w in s)
    for male, female in w2v.GENDER_PAIRS:
        assert words[male] > 100 and words[female] > 100
    for s in corpus:                                                      # pronouns follow the noun's gender
        if "queen" in s or "woman" in s:
            assert "he" not in s and "his" not in s
        if "king" in s or "man" in s:
            assert "she" not in s and "her" not in s
        if "yesterday" in s:
            assert "today" not in s and "now" not in s and not ({"walks", "eats", "is", "are"} & set(s))
        if "queen" in s:
            assert not ({"village", "farm", "basket"} & set(s))


def test_vocab_counts_and_order():
    sentences = [["b", "a", "c"], ["a", "a", "d"], ["b"]]
    w2i, i2w, counts = w2v.build_vocab(sentences)
    assert i2w == ["a", "b", "c", "d"] and counts.tolist() == [3, 2, 1, 1]
    assert all(w2i[w] == i for i, w in enumerate(i2w))
    vocab = w2v.build_vocab(sentences, min_count=2)
    assert vocab.id_to_word == ["a", "b"] and vocab.counts.tolist() == [3, 2]
    big = w2v.make_factor_corpus(500)
    vocab = w2v.build_vocab(big)
    assert vocab.counts.sum() == sum(len(s) for s in big)
    assert vocab.counts[vocab.word_to_id["queen"]] == sum(s.count("queen") for s in big)


def _naive_pairs(sentences, w2i, window):
    out = []
    for s in sentences:
        ids = [w2i[w] for w in s if w in w2i]
        for i, c in enumerate(ids):
            for off in [o for o in range(-window, window + 1) if o != 0]:
                if 0 <= i + off < len(ids):
                    out.append((c, ids[i + off]))
    return out


@pytest.mark.parametrize("window", [1, 2, 3])
def test_skipgram_pairs_match_a_plain_loop_and_stay_in_window(window):
    sentences = w2v.make_factor_corpus(40, seed=5) + [["alone"], []]
    vocab = w2v.build_vocab(sentences, min_count=2)                       # rare words dropped first
    pairs = w2v.skipgram_pairs(sentences, vocab.word_to_id, window=window)
    assert pairs.shape[1] == 2 and pairs.dtype == np.int64
    assert [tuple(p) for p in pairs.tolist()] == _naive_pairs(sentences, vocab.word_to_id, window)
    centres, contexts, mask = w2v.cbow_examples(sentences, vocab.word_to_id, window=window)
    assert contexts.shape == mask.shape == (len(centres), 2 * window)
    assert mask.sum() == len(pairs) and np.all(contexts[~mask] == 0)
    assert np.array_equal(np.repeat(centres, mask.sum(1)), pairs[:, 0])
    assert np.array_equal(contexts[mask], pairs[:, 1])


def test_pairs_do_not_cross_sentences():
    w2i = {"a": 0, "b": 1, "c": 2}
    assert w2v.skipgram_pairs([["a"], ["b", "c"]], w2i, window=3).tolist() == [[1, 2], [2, 1]]


def test_noise_distribution():
    p = w2v.noise_distribution(np.array([100, 10, 1]))
    assert np.isclose(p.sum(), 1.0)
    assert np.isclose(p[0] / p[1], 10 ** 0.75)
    assert np.allclose(w2v.noise_distribution(np.array([3, 1]), power=1.0), [0.75, 0.25])


# ------------------------------------------------------------------ the loss
def test_loss_matches_a_hand_computation():
    rng = np.random.default_rng(0)
    c, o, n = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 2, 4))
    log_sig = lambda x: -np.log1p(np.exp(-x))                             # noqa: E731
    expected = np.mean([-log_sig(c[b] @ o[b]) - sum(log_sig(-(c[b] @ n[b, k])) for k in range(2))
                        for b in range(3)])
    got = w2v.negative_sampling_loss(*(torch.tensor(a) for a in (c, o, n)))
    assert got.shape == () and np.isclose(got.item(), expected, rtol=1e-10)
    one = w2v.negative_sampling_loss(torch.tensor([[1.0, 0.0]]), torch.tensor([[2.0, 0.0]]), torch.tensor([[[0.0, 1.0]]]))
    assert np.isclose(one.item(), np.log1p(np.exp(-2.0)) + np.log(2.0))
    huge = w2v.negative_sampling_loss(torch.full((1, 2), 100.0), torch.full((1, 2), -100.0), torch.full((1, 1, 2), 100.0))
    assert np.isclose(huge.item(), 40000.0)                               # finite: logsigmoid, not log(sigmoid)


def test_models_start_at_k_plus_one_log_two_and_have_gradients():
    for model, args in [(w2v.SkipGramNS(12, 6), (torch.tensor([1, 2]), torch.tensor([3, 4]))),
                        (w2v.CBOW(12, 6), (torch.tensor([[1, 2], [3, 0]]), torch.tensor([[1, 1], [1, 0]]).bool(),
                                           torch.tensor([5, 6])))]:
        loss = model(*args, torch.tensor([[7, 8, 9], [10, 11, 0]]))
        assert np.isclose(loss.item(), 4 * np.log(2))                     # output vectors start at zero
        loss.backward()
        assert model.out_embed.weight.grad.abs().sum() > 0


def test_cbow_mean_ignores_padding():
    model = w2v.CBOW(5, 3)
    with torch.no_grad():
        model.out_embed.weight.normal_()
    c, n = torch.tensor([4]), torch.tensor([[3]])
    a = model(torch.tensor([[1, 2, 0]]), torch.tensor([[True, True, False]]), c, n)
    b = model(torch.tensor([[1, 2, 3]]), torch.tensor([[True, True, False]]), c, n)
    assert torch.allclose(a, b)


def test_exercise_check():
    F = torch.nn.functional
    assert run_check("02.negative_sampling_loss", w2v.negative_sampling_loss).status == "pass"
    wrong_sign = lambda c, o, n: -(F.logsigmoid((c * o).sum(-1))                                     # noqa: E731
                                   + F.logsigmoid(torch.einsum("bd,bkd->bk", c, n)).sum(-1)).mean()
    naive = lambda c, o, n: -(torch.log(torch.sigmoid((c * o).sum(-1)))                               # noqa: E731
                              + torch.log(torch.sigmoid(-torch.einsum("bd,bkd->bk", c, n))).sum(-1)).mean()
    assert run_check("02.negative_sampling_loss", wrong_sign).status == "fail"
    assert run_check("02.negative_sampling_loss", naive).status == "fail"  # -inf for large scores

    def stub(c, o, n):
        raise NotImplementedError
    assert run_check("02.negative_sampling_loss", stub).status == "not attempted"


# ------------------------------------------------------------------ training
def test_training_is_deterministic_and_lowers_the_loss():
    sentences = w2v.make_factor_corpus(600, seed=1)
    runs = [w2v.train_word2vec(sentences, dim=8, epochs=2, seed=7, progress=False) for _ in range(2)]
    assert runs[0][2] == runs[1][2]
    assert np.array_equal(runs[0][0].embeddings(), runs[1][0].embeddings())
    other = w2v.train_word2vec(sentences, dim=8, epochs=2, seed=8, progress=False)
    assert not np.array_equal(other[0].embeddings(), runs[0][0].embeddings())
    history = runs[0][2]
    assert np.mean(history[-5:]) < 0.8 * np.mean(history[:5])
    threads = torch.get_num_threads()
    assert len(w2v.train_word2vec(sentences, dim=8, max_steps=3, threads=1, progress=False)[2]) == 3
    assert torch.get_num_threads() == threads                             # restored after training
    with pytest.raises(ValueError, match="skipgram"):
        w2v.train_word2vec(sentences, model="glove")


def test_skipgram_learns_the_factors(skipgram):
    emb, vocab, history = skipgram
    assert np.mean(history[-50:]) < np.mean(history[:20]) - 1.0
    # measured with seeds 0, 1, 2: every one of these ranks 1; allow a little slack
    assert embedding_analysis.analogy(emb, "man", "king", "woman", vocab, k=1)[0][0] == "queen"
    assert embedding_analysis.analogy_rank(emb, "boy", "prince", "girl", "princess", vocab) <= 2
    assert embedding_analysis.analogy_rank(emb, "king", "kings", "queen", "queens", vocab) <= 2
    assert embedding_analysis.analogy_rank(emb, "walks", "walked", "eats", "ate", vocab) <= 2
    sep = embedding_analysis.direction_separation(emb, w2v.GENDER_PAIRS, vocab)
    assert sep["accuracy"] >= 0.9 and sep["auc"] >= 0.9
    assert embedding_analysis.nearest_neighbours(emb, "king", vocab, k=3)[0][0] in {"queen", "lord", "emperor", "duke", "prince"}
    noise = np.random.default_rng(0).standard_normal(emb.shape)            # the same score without learning
    assert embedding_analysis.direction_separation(noise, w2v.GENDER_PAIRS, vocab)["auc"] < 0.8
    assert embedding_analysis.analogy_rank(noise, "man", "king", "woman", "queen", vocab) > 1


def test_cbow_learns_the_factors(cbow):
    emb, vocab, history = cbow
    assert np.mean(history[-50:]) < np.mean(history[:20]) - 1.0
    assert embedding_analysis.analogy_rank(emb, "man", "king", "woman", "queen", vocab) <= 3
    assert embedding_analysis.direction_separation(emb, w2v.GENDER_PAIRS, vocab)["accuracy"] >= 0.8


# ------------------------------------------------------------------ evaluation helpers
def test_analogy_and_neighbours_exclude_their_inputs():
    rng = np.random.default_rng(1)
    emb = rng.standard_normal((6, 4))
    vocab = w2v.build_vocab([list("abcdef")])
    top = [w for w, _ in embedding_analysis.analogy(emb, "a", "b", "c", vocab, k=6)]
    assert len(top) == 6 and not {"a", "b", "c"} & set(top[:3])          # excluded words sink to the end
    assert all(embedding_analysis.analogy_rank(emb, "a", "b", "c", w, vocab) == i + 1 for i, w in enumerate(top[:3]))
    near = embedding_analysis.nearest_neighbours(emb, "d", vocab, k=5)
    assert "d" not in [w for w, _ in near] and [s for _, s in near] == sorted([s for _, s in near], reverse=True)
    with pytest.raises(KeyError, match="zebra"):
        embedding_analysis.nearest_neighbours(emb, "zebra", vocab)


def test_direction_separation_on_a_planted_direction():
    rng = np.random.default_rng(2)
    base, gender = rng.standard_normal((10, 8)), rng.standard_normal(8)
    w2i = {f"w{i}": i for i in range(20)}
    pairs = [(f"w{i}", f"w{i + 10}") for i in range(10)]                  # rows i and i + 10 are a pair
    weak = embedding_analysis.direction_separation(np.concatenate([base, base + 0.5 * gender]), pairs, w2i)
    assert weak["accuracy"] == 1.0 and 0.5 < weak["auc"] < 1.0            # each pair in order, not all words
    strong = np.concatenate([base, base + 10.0 * gender])
    assert embedding_analysis.direction_separation(strong, pairs, w2i) == {"accuracy": 1.0, "auc": 1.0}
    mislabelled = [pairs[0][::-1]] + pairs[1:]                            # the held-out direction still points right
    assert embedding_analysis.direction_separation(strong, mislabelled, w2i)["accuracy"] == 0.9


def test_pca_2d_matches_scikit_learn():
    from sklearn.decomposition import PCA
    x = np.random.default_rng(3).standard_normal((30, 5)) * [5, 3, 1, 0.5, 0.1]
    ours, theirs = embedding_analysis.pca_2d(x), PCA(2).fit_transform(x)
    assert ours.shape == (30, 2)
    for k in range(2):
        assert np.allclose(np.abs(ours[:, k]), np.abs(theirs[:, k]), atol=1e-8)

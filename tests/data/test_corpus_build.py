"""The sentence generator, the coverage selection and the corpus builder (resynth_lib.data.corpus_build)."""
import json
import re
import shutil

import pytest

from resynth_lib.data import corpus_build, phonetic_coverage
from resynth_lib.data.corpus import MANIFEST_COLUMNS, SPEAKERS, SPLITS, load_corpus
from resynth_lib.data.corpus_build import build_corpus, fit_alignment, split_sentences
from resynth_lib.data.phonetic_coverage import coverage, diphones, phones_of, select_for_coverage
from resynth_lib.data.sentences import generate_candidates, number_words

needs_flite = pytest.mark.skipif(shutil.which("flite") is None,
                                 reason="flite is not installed (apt-get install flite)")


# ------------------------------------------------------------------ sentence generator
def test_generator_is_deterministic_and_depends_on_the_seed():
    assert generate_candidates(200, seed=0) == generate_candidates(200, seed=0)
    assert generate_candidates(200, seed=1) == generate_candidates(200, seed=1)
    assert generate_candidates(200, seed=0) != generate_candidates(200, seed=1)


def test_generator_yields_distinct_well_formed_sentences():
    pool = generate_candidates(1000, seed=3)
    assert len(pool) == 1000 and len({s.lower() for s in pool}) == 1000
    for s in pool:
        assert s[0].isupper() and s[-1] in ".?!", s
        assert 6 <= len(s.split()) <= 14, s
        assert "  " not in s and "\t" not in s and not re.search(r"\d", s), s
        assert not re.search(r"\ba [aeiou]|\ban (?!hour)[^aeiou ]", s, re.IGNORECASE), s  # a / an
        assert s.count(",") <= 1 and not re.search(r"[.?!].", s), s
    ends = {s[-1] for s in pool}
    assert ends == {".", "?", "!"}, "statements, questions and exclamations"
    assert sum(s.endswith("?") for s in pool) > 100
    words = {w.strip(",.?!").lower() for s in pool for w in s.split()}
    assert len(words) > 300, "a few hundred words of vocabulary"


def test_number_words():
    assert number_words(7) == "seven"
    assert number_words(40) == "forty"
    assert number_words(342) == "three hundred and forty two"
    assert number_words(1005) == "one thousand and five"
    assert number_words(9999) == "nine thousand nine hundred and ninety nine"
    with pytest.raises(ValueError):
        number_words(10000)


# ------------------------------------------------------------------ selection
def test_selection_prefers_new_diphones_without_flite():
    cands = ["a", "b", "c", "d"]
    seqs = [["pau", "x", "y", "pau"], ["pau", "x", "y", "pau"], ["pau", "z", "w", "pau"], ["pau", "x", "pau"]]
    chosen = select_for_coverage(cands, 2, phone_seqs=seqs, target_phones=4)
    assert chosen == ["a", "c"]  # the duplicate of "a" adds nothing new
    assert select_for_coverage(cands, 2, phone_seqs=seqs, target_phones=4) == chosen
    with pytest.raises(ValueError):
        select_for_coverage(cands, 5, phone_seqs=seqs)


def test_diphones_and_coverage():
    assert diphones(["pau", "hh", "ay", "pau"]) == ["pau-hh", "hh-ay", "ay-pau"]
    assert coverage([["pau", "hh", "ay", "pau"], ["pau", "hh", "pau"]]) == {"phones": 3, "diphones": 4}


@needs_flite
def test_phones_of_hello():
    phones = phones_of("Hello there.")
    assert phones[0] == phones[-1] == "pau" and "hh" in phones and "dh" in phones


@needs_flite
def test_selection_beats_the_first_n_candidates():
    pool = generate_candidates(400, seed=0)
    seqs = phonetic_coverage._phones_of_many(pool)
    chosen = select_for_coverage(pool, 40, phone_seqs=seqs)
    assert select_for_coverage(pool, 40) == chosen  # flite is deterministic too
    index = {text: i for i, text in enumerate(pool)}
    chosen_cov = coverage([seqs[index[t]] for t in chosen])
    first_cov = coverage(seqs[:40])
    assert chosen_cov["diphones"] > first_cov["diphones"] * 1.1, (chosen_cov, first_cov)
    assert chosen_cov["phones"] >= first_cov["phones"]
    assert len(set(chosen)) == 40


# ------------------------------------------------------------------ alignments and split
def test_fit_alignment_keeps_close_lines_and_clips_a_long_final_pause():
    line = "pau:0.250 hh:0.300 ay:0.500 pau:0.600"
    assert fit_alignment(line, 9600) == (line, pytest.approx(0.0), False)       # 0.6 s
    assert fit_alignment(line, 9650)[0] == line                                  # 3 ms longer
    fixed, mismatch, clipped = fit_alignment(line, 8100)                         # kal16: ~0.1 s short
    assert clipped and mismatch == pytest.approx(0.6 - 8100 / 16000)
    assert fixed == "pau:0.250 hh:0.300 ay:0.500 pau:0.506"
    with pytest.raises(RuntimeError):
        fit_alignment(line, 12000)               # audio much longer than the labels
    with pytest.raises(RuntimeError):
        fit_alignment(line, 6400)                # would cut into a speech phone
    with pytest.raises(RuntimeError):
        fit_alignment("hh:0.300 pau:0.600", 9600)


def test_split_is_by_sentence_fixed_and_80_10_10():
    ids = [f"s{i:04d}" for i in range(1, 201)]
    split = split_sentences(ids, seed=0)
    assert split == split_sentences(list(reversed(ids)), seed=0)
    counts = {s: sum(v == s for v in split.values()) for s in SPLITS}
    assert counts == {"train": 160, "valid": 20, "test": 20}
    assert split != split_sentences(ids, seed=1)


# ------------------------------------------------------------------ building
def test_missing_flite_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(phonetic_coverage.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install flite"):
        build_corpus(tmp_path / "c", n_sentences=3, progress=False)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    if shutil.which("flite") is None:
        pytest.skip("flite is not installed (apt-get install flite)")
    root = tmp_path_factory.mktemp("corpus") / "tiny"
    info = build_corpus(root, n_sentences=3, seed=0, progress=False, n_candidates=60)
    return root, info


def test_tiny_build_is_read_by_the_loader(tiny):
    root, info = tiny
    corpus = load_corpus(root)
    assert len(corpus) == 12 and corpus.speakers == sorted(SPEAKERS)
    corpus.verify()
    assert {u.split for u in corpus} == set(SPLITS)
    for utt in corpus:
        assert utt.utt_id == f"{utt.speaker}_{utt.sentence_id}"
        assert utt.path == root / "wavs" / utt.speaker / f"{utt.utt_id}.flac"
        assert utt.phones and utt.phones[0].phone == "pau" and utt.phones[-1].phone == "pau"
        assert abs(utt.phones[-1].end - utt.duration) <= 0.030
        assert len(utt.waveform()) == utt.num_samples
    header = (root / "manifest.tsv").read_text().splitlines()[0].split("\t")
    assert tuple(header) == MANIFEST_COLUMNS
    assert [u.speaker for u in corpus] == [s for s in SPEAKERS for _ in range(3)]
    saved = json.loads((root / "corpus_info.json").read_text())
    assert saved["n_utterances"] == 12 and saved["utterances_per_speaker"] == {s: 3 for s in SPEAKERS}
    assert saved["phone_inventory"][0] == "pau" and saved["phone_inventory_size"] == len(corpus.phone_inventory)
    assert "flite" in saved["flite_version"]
    assert (root / "README.md").read_text().startswith("# ")


def test_build_refuses_to_overwrite_without_force(tiny):
    root, _ = tiny
    before = (root / "manifest.tsv").read_bytes()
    with pytest.raises(FileExistsError, match="--force"):
        build_corpus(root, n_sentences=3, progress=False, n_candidates=60)
    assert (root / "manifest.tsv").read_bytes() == before
    assert corpus_build.main(["--out", str(root), "--sentences", "3", "--quiet"]) == 1


def test_build_is_byte_identical_across_runs(tiny, tmp_path):
    root, _ = tiny
    again = tmp_path / "again"
    build_corpus(again, n_sentences=3, seed=0, progress=False, n_candidates=60)
    files = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert len(files) == 12 + 5
    for rel in files:
        assert (root / rel).read_bytes() == (again / rel).read_bytes(), rel
    # and --force rebuilds in place, to the same bytes
    build_corpus(again, n_sentences=3, seed=0, progress=False, n_candidates=60, force=True)
    assert (again / "manifest.tsv").read_bytes() == (root / "manifest.tsv").read_bytes()

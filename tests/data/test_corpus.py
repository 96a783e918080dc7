"""The shipped corpus meets the course's requirements, and the loader's labels are right."""
from collections import defaultdict

import numpy as np
import pytest

from resynth_lib.data.corpus import (
    CORPUS_DIR,
    SPEAKERS,
    SPLITS,
    CorpusError,
    PhoneSegment,
    Utterance,
    format_psdur,
    frame_labels,
    load_corpus,
    parse_psdur,
)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def test_four_speakers_600_utterances_30_minutes(corpus):
    assert corpus.speakers == sorted(SPEAKERS)
    assert len(corpus) >= 600
    assert corpus.total_duration() >= 30 * 60
    for speaker in SPEAKERS:
        assert corpus.total_duration(speaker=speaker) >= 6 * 60, speaker


def test_parallel_sentences_spoken_by_every_speaker(corpus):
    by_sentence = defaultdict(set)
    texts = defaultdict(set)
    for utt in corpus:
        by_sentence[utt.sentence_id].add(utt.speaker)
        texts[utt.sentence_id].add(utt.text)
    assert len(by_sentence) >= 150
    assert all(speakers == set(SPEAKERS) for speakers in by_sentence.values())
    assert all(len(t) == 1 for t in texts.values())
    assert len({next(iter(t)).lower() for t in texts.values()}) == len(texts), "sentences must be distinct"


def test_test_sentences_never_in_training(corpus):
    text_of = {split: {u.text.lower() for u in corpus.utterances(split=split)} for split in SPLITS}
    ids_of = {split: {u.sentence_id for u in corpus.utterances(split=split)} for split in SPLITS}
    assert not text_of["test"] & text_of["train"] and not ids_of["test"] & ids_of["train"]
    assert not text_of["valid"] & text_of["train"]
    for split in SPLITS:
        assert {u.speaker for u in corpus.utterances(split=split)} == set(SPEAKERS), split
        assert len(corpus.utterances(split=split)) >= 40


def test_every_utterance_has_phone_labels_covering_it(corpus):
    for utt in corpus:
        assert utt.phones, utt.utt_id
        assert utt.phones[0].start == 0.0
        assert abs(utt.phones[-1].end - utt.duration) < 0.05, utt.utt_id
        assert all(s.end > s.start for s in utt.phones), utt.utt_id
    assert 35 <= len(corpus.phone_inventory) <= 45
    assert corpus.phone_inventory[0] == "pau"


def test_audio_is_16k_mono_and_matches_manifest(corpus):
    import soundfile as sf
    for utt in corpus.utterances(split="test")[::7]:
        info = sf.info(str(utt.path))
        assert (info.samplerate, info.channels, info.format) == (16000, 1, "FLAC")
        assert info.frames == utt.num_samples
        wav = utt.waveform()
        assert wav.dtype == np.float32 and len(wav) == utt.num_samples


def test_checksums_and_size(corpus):
    corpus.verify()
    total = sum(p.stat().st_size for p in CORPUS_DIR.rglob("*") if p.is_file())
    assert total < 100 * 2**20


def test_verify_detects_a_changed_file(tmp_path, corpus):
    import shutil
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, root)
    small = load_corpus(root)
    victim = small[0].path
    victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(CorpusError, match="checksum"):
        small.verify()


def test_missing_corpus_says_how_to_get_it(tmp_path):
    with pytest.raises(CorpusError, match="resynth corpus build"):
        load_corpus(tmp_path)


def test_psdur_round_trip_and_frame_labels():
    segments = parse_psdur("pau:0.100 hh:0.150 ax:0.230 l:0.300 ow:0.420 pau:0.500")
    assert segments[0] == PhoneSegment("pau", 0.0, 0.1) and segments[2] == PhoneSegment("ax", 0.15, 0.23)
    assert parse_psdur(format_psdur(segments)) == segments
    # 20 ms frames: centres at 10, 30, 50, ... ms
    labels = frame_labels(segments, frame_rate=50)
    assert len(labels) == 25
    assert labels[:5].tolist() == ["pau"] * 5            # centres 10..90 ms
    assert labels[5:8].tolist() == ["hh", "hh", "ax"]    # 110, 130 ms -> hh; 150 ms -> ax
    assert labels[-1] == "pau"
    # at 200 Hz (the F0 rate) and with an explicit frame count past the end
    assert len(frame_labels(segments, frame_rate=200)) == 100
    assert frame_labels(segments, 50, num_frames=30)[-1] == "pau"


def test_frame_labels_match_durations_on_the_corpus(corpus):
    utt = corpus.utterances(split="test", speaker="slt")[0]
    labels = utt.frame_labels(frame_rate=100)
    for seg in utt.phones:
        inside = labels[int(np.ceil(seg.start * 100 - 0.5)):int(np.ceil(seg.end * 100 - 0.5))]
        assert set(inside.tolist()) <= {seg.phone}


def test_utterance_without_phones_refuses_labels():
    utt = Utterance("a", "b", "c", CORPUS_DIR / "none.flac", 16000, 1.0)
    with pytest.raises(CorpusError):
        utt.frame_labels()


def test_filters(corpus):
    test_slt = corpus.utterances(split="test", speaker="slt")
    assert test_slt and all(u.split == "test" and u.speaker == "slt" for u in test_slt)
    sid = test_slt[0].sentence_id
    assert {u.speaker for u in corpus.utterances(sentence_id=sid)} == set(SPEAKERS)
    with pytest.raises(ValueError):
        corpus.utterances(split="dev")

"""Tests of the paper-style evaluation tables (notebook 07), with a stand-in phone recogniser."""
import numpy as np
import pytest

from resynth_lib import evaluate as E
from resynth_lib.data import load_corpus
from resynth_lib.phone_recogniser import phone_sequence
from resynth_lib.pipeline import Resynthesiser


class Silent:
    """A recogniser that hears nothing: PER = 1 whatever the audio."""
    def transcribe(self, wav):
        return []


@pytest.fixture(scope="module")
def setup():
    r = Resynthesiser()
    utts = [load_corpus().utterances(split="test", speaker=s)[2] for s in r.speakers]
    return r, utts


def test_tables_have_the_paper_rows_and_columns(setup):
    r, utts = setup
    rows = E.resynthesis_table(utts, {"SSL": r}, Silent(), r.classifier, progress=False)
    assert [row["system"] for row in rows] == ["ground truth", "SSL"]
    gt, ssl = rows
    assert gt["per"] == ssl["per"] == 1.0                   # every reference phone deleted
    assert gt["speaker_accuracy"] == 1.0 and gt["eer"] == 0.0 and gt["ffe"] == 0.0
    assert 0 <= ssl["ffe"] <= 1 and 0 <= ssl["speaker_accuracy"] <= 1
    assert ssl["bitrate"] == pytest.approx(50 * np.log2(100) + 12.5 * np.log2(20), abs=1.0)
    conv = E.conversion_table(utts[:2], r, Silent(), r.classifier, progress=False)
    assert conv["conversions"] == 2 * 3 and 0 <= conv["speaker_accuracy"] <= 1
    leak = E.f0_leakage(utts[:2], r)
    assert leak["spread_flat_semitones"] < leak["spread_normal_semitones"]   # a flat stream flattens the output


def test_score_outputs_counts_phone_errors(setup):
    r, utts = setup

    class Oracle:                                           # transcribes perfectly, except it drops the first phone
        def __init__(self):
            self.i = -1

        def transcribe(self, wav):
            self.i += 1
            return phone_sequence(utts[self.i])[1:]
    wavs = [u.waveform() for u in utts]
    refs = (np.stack([r.classifier.encoder.embed(w) for w in wavs]), [u.speaker for u in utts])
    s = E.score_outputs(wavs, utts, [u.speaker for u in utts], Oracle(), r.classifier, refs)
    assert s["per"] == pytest.approx(len(utts) / sum(len(phone_sequence(u)) for u in utts))

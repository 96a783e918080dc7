"""Binary codes files: the three streams arithmetic-coded, so the bitrate is bytes on disk.

``resynth encode IN.wav -o codes.rsc`` writes one; ``resynth decode codes.rsc`` reads it back
to exactly the same units, F0 codes and speaker. The probabilities come from a
:class:`CodeModel` fitted on the *training* split's codes (``resynth train code-model``,
shipped as ``data/checkpoints/code_model.npz``) and never on the speech being coded.

What the file holds, in order, all inside one arithmetic-coded stream
(:mod:`resynth_lib.core.arithmetic_coding`) after a one-byte format number:

* the speaker (uniform over the known speakers: 2 bits for 4) and one flag for an unseen voice,
  followed by its two log-F0 statistics at 16 bits each when set;
* the number of unit frames (18 bits: up to 87 minutes);
* the units as runs: each run's unit given the previous run's unit (a bigram table, blended
  with the unigram for contexts seen rarely), then its length (1 to 16 frames) given its unit;
* the F0 codes, each given the previous one;
* an 8-bit checksum of all codes, so a truncated or damaged file is refused, not decoded to noise.

Taught in notebook 07 (``07_resynthesis_conversion_codec``), "real bits".

Example
-------
>>> import numpy as np
>>> from resynth_lib.pipeline.resynthesiser import Codes
>>> codes = Codes(units=np.array([5, 5, 5, 9, 9, 2, 2, 2]), f0_codes=np.array([3, 4]), speaker="rms")
>>> model = CodeModel.fit([codes])
>>> data = model.encode(codes)
>>> model.decode(data) == codes
True
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from resynth_lib.core.arithmetic_coding import ArithmeticDecoder, ArithmeticEncoder, FrequencyTable
from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.core.rates import UNIT_RATE, UNITS_PER_F0_CODE

FORMAT_VERSION = 1
MODEL_PATH = CHECKPOINT_DIR / "code_model.npz"
MAX_RUN = 16                 # longer runs are sent as several runs (resynth_lib.content.unit_metrics.run_length_split)
FRAME_BITS = 18              # the number of unit frames: up to 2**18 frames = 87 minutes
STAT_BITS = 16               # each of an unseen voice's two log-F0 statistics
LOG_MEAN_RANGE = (math.log(40.0), math.log(800.0))
LOG_STD_RANGE = (0.0, 1.0)


def _runs(units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from resynth_lib.content.unit_metrics import run_length_split
    return run_length_split(units, MAX_RUN)


def _checksum(units, f0_codes) -> int:
    """8 bits that change when any unit or F0 code changes or moves."""
    u, f = np.asarray(units, np.int64), np.asarray(f0_codes, np.int64)
    return int((np.sum((u + 1) * (np.arange(len(u)) % 251 + 1)) + 7 * np.sum((f + 1) * (np.arange(len(f)) % 241 + 1)))
               % 256)


def _quantise(x: float, lo: float, hi: float) -> int:
    return int(round((min(max(x, lo), hi) - lo) / (hi - lo) * (2 ** STAT_BITS - 1)))


def _dequantise(q: int, lo: float, hi: float) -> float:
    return lo + q * (hi - lo) / (2 ** STAT_BITS - 1)


class CodeModel:
    """Counts of the code streams on training data, and the frequency tables the coder uses.

    Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    ``unit_bigram[p, u]``: runs of unit ``u`` after a run of unit ``p`` (row ``K``: at the
    start); ``run_lengths[u, n - 1]``: runs of unit ``u`` lasting ``n`` frames;
    ``f0_bigram[p, c]``: F0 code ``c`` after ``p`` (row ``F``: at the start). A context's
    table is its counts plus ``blend`` pseudo-counts spread like the unigram, so a context seen
    rarely falls back on the overall frequencies and no symbol ever has probability zero.

    Example
    -------
    >>> from resynth_lib.pipeline.resynthesiser import Codes
    >>> model = CodeModel.fit([Codes(units=np.array([1, 1, 2]), f0_codes=np.array([0]), speaker="slt",
    ...                              n_units=3, n_f0_codes=2)])
    >>> model.unit_bigram.shape, model.run_lengths.shape, model.f0_bigram.shape
    ((4, 3), (3, 16), (3, 2))
    """

    def __init__(self, unit_bigram, run_lengths, f0_bigram, speakers, blend: float = 4.0, record: dict | None = None):
        self.unit_bigram = np.asarray(unit_bigram, np.float64)
        self.run_lengths = np.asarray(run_lengths, np.float64)
        self.f0_bigram = np.asarray(f0_bigram, np.float64)
        self.speakers = list(speakers)
        self.blend = float(blend)
        self.record = record or {}
        self.n_units, self.n_f0_codes = self.unit_bigram.shape[1], self.f0_bigram.shape[1]
        self._unit_tables = self._tables(self.unit_bigram)
        self._f0_tables = self._tables(self.f0_bigram)
        unigram = self.run_lengths.sum(0)
        self._length_tables = [FrequencyTable(row + blend * unigram / max(unigram.sum(), 1)) for row in self.run_lengths]
        self._speaker_table = FrequencyTable.uniform(len(self.speakers))
        self._flag_table, self._half_stat = FrequencyTable([15, 1]), FrequencyTable.uniform(2 ** (STAT_BITS // 2))
        self._half_frames = FrequencyTable.uniform(2 ** (FRAME_BITS // 2))
        self._byte = FrequencyTable.uniform(256)

    def _tables(self, bigram: np.ndarray) -> list[FrequencyTable]:
        unigram = bigram.sum(0) + 0.5
        spread = self.blend * unigram / unigram.sum()
        return [FrequencyTable(row + spread) for row in bigram]

    @classmethod
    def fit(cls, codes_list, blend: float = 4.0, record: dict | None = None) -> "CodeModel":
        """Count the streams of a list of :class:`~resynth_lib.pipeline.resynthesiser.Codes` (the training split's)."""
        first = codes_list[0]
        k, f = first.n_units, first.n_f0_codes
        unit_bigram, run_lengths, f0_bigram = np.zeros((k + 1, k)), np.zeros((k, MAX_RUN)), np.zeros((f + 1, f))
        for codes in codes_list:
            values, lengths = _runs(np.asarray(codes.units))
            np.add.at(unit_bigram, (np.r_[k, values[:-1]], values), 1)
            np.add.at(run_lengths, (values, lengths - 1), 1)
            f0 = np.asarray(codes.f0_codes)
            np.add.at(f0_bigram, (np.r_[f, f0[:-1]], f0), 1)
        return cls(unit_bigram, run_lengths, f0_bigram, first.speakers, blend, record)

    # ------------------------------------------------------------------ coding
    def encode(self, codes) -> bytes:
        """The bytes of a codes file: format number, then every stream arithmetic-coded."""
        self._check(codes)
        e = ArithmeticEncoder()
        e.encode(self.speakers.index(codes.speaker), self._speaker_table)
        e.encode(int(codes.f0_stats is not None), self._flag_table)
        if codes.f0_stats is not None:
            for q in (_quantise(codes.f0_stats["log_mean"], *LOG_MEAN_RANGE),
                      _quantise(codes.f0_stats["log_std"], *LOG_STD_RANGE)):
                e.encode(q >> (STAT_BITS // 2), self._half_stat)
                e.encode(q & (2 ** (STAT_BITS // 2) - 1), self._half_stat)
        n = len(codes.units)
        e.encode(n >> (FRAME_BITS // 2), self._half_frames)
        e.encode(n & (2 ** (FRAME_BITS // 2) - 1), self._half_frames)
        previous = self.n_units
        for value, length in zip(*_runs(np.asarray(codes.units))):
            e.encode(int(value), self._unit_tables[previous])
            e.encode(int(length) - 1, self._length_tables[int(value)])
            previous = int(value)
        previous = self.n_f0_codes
        for code in np.asarray(codes.f0_codes):
            e.encode(int(code), self._f0_tables[previous])
            previous = int(code)
        e.encode(_checksum(codes.units, codes.f0_codes), self._byte)
        return bytes([FORMAT_VERSION]) + e.finish()

    def decode(self, data: bytes, name: str = "codes"):
        """A codes file's bytes -> :class:`~resynth_lib.pipeline.resynthesiser.Codes` (``PipelineError`` if not one)."""
        from resynth_lib.pipeline.resynthesiser import MAX_SECONDS, Codes, PipelineError
        if len(data) < 2 or data[0] != FORMAT_VERSION:
            raise PipelineError(f"{name}: not a binary codes file of format {FORMAT_VERSION} (write one with "
                                "`resynth encode IN.wav -o codes.rsc`)")
        d = ArithmeticDecoder(data[1:])
        speaker = self.speakers[d.decode(self._speaker_table)]
        f0_stats = None
        if d.decode(self._flag_table):
            q = [(d.decode(self._half_stat) << (STAT_BITS // 2)) | d.decode(self._half_stat) for _ in range(2)]
            f0_stats = {"log_mean": _dequantise(q[0], *LOG_MEAN_RANGE), "log_std": _dequantise(q[1], *LOG_STD_RANGE)}
            if not 0 < f0_stats["log_std"]:
                raise PipelineError(f"{name}: corrupt codes file (F0 statistics out of range)")
        n = (d.decode(self._half_frames) << (FRAME_BITS // 2)) | d.decode(self._half_frames)
        if not 1 <= n <= MAX_SECONDS * UNIT_RATE:
            raise PipelineError(f"{name}: corrupt codes file ({n} unit frames)")
        units, previous = [], self.n_units
        while len(units) < n:
            value = d.decode(self._unit_tables[previous])
            length = d.decode(self._length_tables[value]) + 1
            units.extend([value] * min(length, n - len(units)))
            previous = value
        f0_codes, previous = [], self.n_f0_codes
        for _ in range(-(-n // UNITS_PER_F0_CODE)):
            previous = d.decode(self._f0_tables[previous])
            f0_codes.append(previous)
        if d.decode(self._byte) != _checksum(units, f0_codes):
            raise PipelineError(f"{name}: the codes file is damaged or truncated (checksum mismatch)")
        return Codes(np.array(units, np.int64), np.array(f0_codes, np.int64), speaker, self.n_units, self.n_f0_codes,
                     self.speakers, f0_stats)

    def fits(self, codes) -> bool:
        """Whether this model can write ``codes``: the same codebook sizes, a known speaker.

        >>> from resynth_lib.pipeline.resynthesiser import Codes
        >>> model = CodeModel.fit([Codes(np.zeros(8, np.int64), np.zeros(2, np.int64), "slt", 3, 2)])
        >>> model.fits(Codes(np.zeros(8, np.int64), np.zeros(2, np.int64), "slt", 5, 2))
        False
        """
        return ((codes.n_units, codes.n_f0_codes) == (self.n_units, self.n_f0_codes)
                and codes.speaker in self.speakers)

    def _check(self, codes) -> None:
        if (codes.n_units, codes.n_f0_codes) != (self.n_units, self.n_f0_codes) or codes.speaker not in self.speakers:
            raise ValueError(f"codes ({codes.n_units} units, {codes.n_f0_codes} F0 codes, speaker {codes.speaker!r}) do "
                             f"not fit this model ({self.n_units}, {self.n_f0_codes}, {self.speakers})")
        if len(codes.units) >= 2 ** FRAME_BITS:
            raise ValueError(f"{len(codes.units)} unit frames: a codes file holds fewer than {2 ** FRAME_BITS}")

    def bits(self, codes) -> dict:
        """Ideal bits of each part under this model (``-log2 p``), without the file's last-byte rounding.

        Example
        -------
        >>> from resynth_lib.pipeline.resynthesiser import Codes
        >>> c = Codes(units=np.array([1, 1, 2]), f0_codes=np.array([0]), speaker="slt", n_units=3, n_f0_codes=2)
        >>> sorted(CodeModel.fit([c]).bits(c))
        ['f0', 'header', 'lengths', 'units']
        """
        header = self._speaker_table.bits(self.speakers.index(codes.speaker)) + FRAME_BITS + \
            self._flag_table.bits(int(codes.f0_stats is not None)) + (2 * STAT_BITS if codes.f0_stats else 0) + 8 + 8
        units = lengths = 0.0
        previous = self.n_units
        for value, length in zip(*_runs(np.asarray(codes.units))):
            units += self._unit_tables[previous].bits(int(value))
            lengths += self._length_tables[int(value)].bits(int(length) - 1)
            previous = int(value)
        f0, previous = 0.0, self.n_f0_codes
        for code in np.asarray(codes.f0_codes):
            f0 += self._f0_tables[previous].bits(int(code))
            previous = int(code)
        return {"header": header, "units": units, "lengths": lengths, "f0": f0}

    # ------------------------------------------------------------------ storage
    def save(self, path: Path = MODEL_PATH, force: bool = False) -> Path:
        """``NAME.npz`` (the counts) and ``NAME.json`` (how they were fitted)."""
        path = Path(path)
        if path.exists() and not force:
            raise FileExistsError(f"{path} exists; pass force=True (--force) to replace it")
        np.savez_compressed(path, unit_bigram=self.unit_bigram.astype(np.int32),
                            run_lengths=self.run_lengths.astype(np.int32), f0_bigram=self.f0_bigram.astype(np.int32),
                            speakers=np.array(self.speakers), blend=self.blend)
        path.with_suffix(".json").write_text(json.dumps(self.record, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "CodeModel":
        """The model saved by :meth:`save` (by default the shipped one).

        Example
        -------
        >>> CodeModel.load().n_units                             # the default decoder's units
        500
        """
        with np.load(Path(path)) as z:
            record_path = Path(path).with_suffix(".json")
            record = json.loads(record_path.read_text()) if record_path.exists() else {}
            return cls(z["unit_bigram"], z["run_lengths"], z["f0_bigram"], [str(s) for s in z["speakers"]],
                       float(z["blend"]), record)


def split_codes(split: str, progress: bool = True) -> list:
    """Codes of every utterance of a corpus split, encoded with the shipped models and the known speaker (notebook 07).

    Example
    -------
    >>> codes = split_codes("valid", progress=False)       # doctest: +SKIP
    >>> len(codes)                                          # doctest: +SKIP
    88
    """
    from tqdm.auto import tqdm

    from resynth_lib.data.corpus import load_corpus
    from resynth_lib.pipeline.resynthesiser import Resynthesiser
    r = Resynthesiser()
    utts = load_corpus().utterances(split=split)
    return [r.encode(u.waveform(), speaker=u.speaker, name=u.utt_id)
            for u in tqdm(utts, desc=f"encoding the {split} split", disable=not progress)]


def bytes_per_second(model: CodeModel, codes_list) -> float:
    """Bits per second of the files ``model`` writes for ``codes_list``: total bytes x 8 / total seconds (notebook 07).

    Example
    -------
    >>> from resynth_lib.pipeline.resynthesiser import Codes
    >>> c = Codes(units=np.zeros(50, np.int64), f0_codes=np.zeros(13, np.int64), speaker="slt")
    >>> bytes_per_second(CodeModel.fit([c]), [c]) < 100          # one second of one unit: about a dozen bytes
    True
    """
    return 8 * sum(len(model.encode(c)) for c in codes_list) / sum(c.seconds for c in codes_list)


def main(argv: list[str] | None = None) -> int:
    """``resynth train code-model [--force]``: fit the coder's probabilities on the training split.

    The blend of bigram and unigram is chosen on the valid split (bytes on disk); the test
    split is never used. Writes ``data/checkpoints/code_model.npz`` and its record. Taught in
    notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> main(["--help"])                                     # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    SystemExit: 0
    """
    import argparse
    import time
    parser = argparse.ArgumentParser(prog="resynth train code-model", description=main.__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(MODEL_PATH))
    parser.add_argument("--force", action="store_true", help="replace an existing model")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"{out} exists; pass --force to replace it")
        return 1
    start = time.perf_counter()
    train, valid = split_codes("train"), split_codes("valid")
    scores = {blend: bytes_per_second(CodeModel.fit(train, blend), valid) for blend in (0.5, 1, 2, 4, 8, 16, 32)}
    blend = min(scores, key=scores.get)
    record = {"fitted_on": "train split", "utterances": len(train), "blend_chosen_on": "valid split",
              "valid_bits_per_second_by_blend": {str(k): round(v, 1) for k, v in scores.items()}, "blend": blend,
              "valid_bits_per_second": round(scores[blend], 1), "seconds": round(time.perf_counter() - start, 1)}
    CodeModel.fit(train, blend, record).save(out, force=True)
    print(f"wrote {out}: blend {blend}, {scores[blend]:.1f} bit/s on the valid split (bytes on disk)")
    return 0

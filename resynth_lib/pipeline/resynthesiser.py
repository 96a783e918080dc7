"""The whole system: speech -> three code streams -> speech, voice conversion and pitch control.

* :class:`Codes` -- what is transmitted: content units (50 Hz), F0 codes (12.5 Hz) and a
  speaker name, with their rates and bitrate; JSON in and out;
* :class:`Resynthesiser` -- the shipped models together: :meth:`~Resynthesiser.encode`
  a waveform (or :meth:`~Resynthesiser.encode_file` a file, read piece by piece if long),
  :meth:`~Resynthesiser.decode` codes (any known speaker, F0 shifted in semitones or
  flattened; :meth:`~Resynthesiser.decode_stream` part by part), :meth:`~Resynthesiser.convert`
  in one step;
* :func:`verify_checkpoints` -- every shipped file the pipeline reads, checked against
  the SHA-256 recorded in ``data/checkpoints/SHA256SUMS``.

Errors are :class:`PipelineError` with one line naming the file or value and the problem.
Taught in notebook 07 (``07_resynthesis_conversion_codec``).
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from resynth_lib.core.audio import AudioError, validate_waveform
from resynth_lib.core.chunking import framewise_in_chunks
from resynth_lib.core.config import CHECKPOINT_DIR
from resynth_lib.core.rates import F0_CODE_RATE, F0_HOP, HOP, SAMPLE_RATE, UNIT_RATE, UNITS_PER_F0_CODE

HASH_FILE = CHECKPOINT_DIR / "SHA256SUMS"
#: Files the pipeline reads, relative to ``data/``: content model, quantiser, F0 model and statistics,
#: speaker encoder and centroids, the decoders (HiFi-GAN; acoustic model and harmonic-noise stage), and the
#: probabilities of the binary codes file.
PIPELINE_FILES = ("checkpoints/content_layer.json", "checkpoints/ssl_cpc.pt", "checkpoints/units_ssl_k100.npz",
                  "checkpoints/units_ssl_k500.npz",
                  "checkpoints/f0_vqvae.pt", "f0_stats.json", "checkpoints/dvector.pt",
                  "checkpoints/speaker_centroids.npz", "checkpoints/vocoder.pt",
                  "checkpoints/acoustic.pt", "checkpoints/harmonic_noise.pt", "checkpoints/code_model.npz")
MIN_SAMPLES = SAMPLE_RATE * 80 // 1000       # one F0 code: 80 ms


#: The longest utterance a codes file may describe (decode memory and time grow with it).
MAX_SECONDS = 3600
#: An utterance whose median log-F0 lies further than this many of the recognised speaker's standard
#: deviations from that speaker's mean is an unseen voice (all 880 corpus utterances: at most 0.72).
UNSEEN_Z = 1.5
#: Bits an unseen voice's two log-F0 statistics cost, sent once per utterance (two 16-bit numbers).
F0_STATS_BITS = 32
#: The key its statistics go under while its codes are made and decoded.
OWN_VOICE = "(own voice)"
#: Above this length the speaker is recognised from evenly spaced 10 s excerpts adding up to it.
SPEAKER_SAMPLE_SECONDS = 60.0
#: :meth:`Resynthesiser.encode_file` reads a file up to this long whole; a longer one piece by piece from disk.
STREAM_SECONDS = 60.0


def utterance_f0_stats(f0) -> dict | None:
    """Robust log-F0 statistics of one utterance's voiced frames: median and 1.4826 x MAD (notebook 07).

    Robust, so that the tracker's occasional octave errors do not widen the range. ``None`` when
    fewer than 20 frames are voiced.

    Example
    -------
    >>> s = utterance_f0_stats(np.r_[np.full(50, 200.0), np.full(50, 0.0), np.full(50, 220.0)])
    >>> round(float(np.exp(s["log_mean"]))), 0.03 <= s["log_std"] <= 0.3
    (210, True)
    """
    f0 = np.asarray(f0, np.float64)
    voiced = np.log(f0[f0 > 0])
    if len(voiced) < 20:
        return None
    centre = float(np.median(voiced))
    spread = 1.4826 * float(np.median(np.abs(voiced - centre)))
    return {"log_mean": centre, "log_std": float(np.clip(spread, 0.03, 0.3))}


def _positive_int(value, key: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
        raise PipelineError(f"{name}: {key} must be a positive integer, got {value!r:.40}")
    return value


def _code_array(values, size: int, key: str, name: str) -> np.ndarray:
    """``values`` as an int64 array of codes in ``[0, size)``, or a :class:`PipelineError` naming the field."""
    if not isinstance(values, list) or not values:
        raise PipelineError(f"{name}: '{key}' must be a non-empty list of integers")
    bad = next((v for v in values if isinstance(v, bool) or not isinstance(v, int)), None)
    if bad is not None or any(v is None for v in values):
        raise PipelineError(f"{name}: '{key}' must hold integers only, found {bad!r:.40}")
    low, high = min(values), max(values)
    if low < 0 or high >= size:
        raise PipelineError(f"{name}: code values out of range ({key} must lie in 0..{size - 1}, found "
                            f"{str(low if low < 0 else high)[:40]})")
    return np.asarray(values, np.int64)


class PipelineError(ValueError):
    """Input or checkpoint the pipeline cannot use; the message is one line that says what to do.

    A subclass of ``ValueError``; the ``resynth`` commands print its message and stop
    without a traceback. Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> try:
    ...     Codes.from_json("{}", name="broken.json")
    ... except PipelineError as exc:
    ...     print(exc)
    broken.json: not a codes file written by `resynth encode` (needs units, f0_codes, speaker)
    """


def sha256(path) -> str:
    """The SHA-256 of a file's bytes, as 64 hexadecimal digits (read 1 MiB at a time).

    The fingerprint :func:`verify_checkpoints` compares with the recorded one, the same
    as ``sha256sum`` prints (notebook 07).

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "hello.txt"
    ...     _ = path.write_bytes(b"hello\\n")
    ...     print(sha256(path))
    5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checkpoint_hashes(files=PIPELINE_FILES, path=HASH_FILE) -> Path:
    """Record the SHA-256 of each pipeline file (run after training a new checkpoint).

    ``files`` are relative to ``data/``; each line of ``path`` (default
    ``data/checkpoints/SHA256SUMS``) is ``<hash>  <file>``, the format of ``sha256sum``.
    Returns ``path``. Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     line = write_checkpoint_hashes(["f0_stats.json"], Path(tmp) / "SHA256SUMS").read_text()
    >>> digest, name = line.split()
    >>> name, digest == sha256(CHECKPOINT_DIR.parent / "f0_stats.json")
    ('f0_stats.json', True)
    """
    data = CHECKPOINT_DIR.parent
    lines = [f"{sha256(data / f)}  {f}" for f in files]
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def verify_checkpoints(files=None, hash_file=None, root=None) -> None:
    """Raise :class:`PipelineError` if a pipeline file is missing or differs from its recorded hash.

    Defaults: :data:`PIPELINE_FILES` under ``data/``, hashes from :data:`HASH_FILE`;
    ``root`` is the folder the file names are relative to. A file with no recorded hash
    only has to exist. :class:`Resynthesiser` runs this before loading anything.
    Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> verify_checkpoints()                       # the shipped files are intact: nothing to say
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = Path(tmp)
    ...     _ = (root / "model.pt").write_bytes(b"weights")
    ...     _ = (root / "SUMS").write_text(sha256(root / "model.pt") + "  model.pt\\n")
    ...     verify_checkpoints(["model.pt"], root / "SUMS", root)
    ...     _ = (root / "model.pt").write_bytes(b"changed")
    ...     try:
    ...         verify_checkpoints(["model.pt"], root / "SUMS", root)
    ...     except PipelineError as exc:
    ...         print(str(exc).split(": ", 1)[1])
    checkpoint corrupt (SHA-256 differs from SUMS); restore it with `git checkout -- data/`
    """
    files = PIPELINE_FILES if files is None else files
    hash_file = HASH_FILE if hash_file is None else hash_file
    root = Path(root) if root is not None else CHECKPOINT_DIR.parent
    if not Path(hash_file).exists():
        raise PipelineError(f"{hash_file}: no recorded checkpoint hashes; reinstall the course data")
    recorded = dict(reversed(line.split(None, 1)) for line in Path(hash_file).read_text().splitlines() if line.strip())
    for f in files:
        path = root / f
        if not path.exists():
            raise PipelineError(f"{path}: checkpoint missing; restore it with `git checkout -- data/` or retrain it")
        if f in recorded and sha256(path) != recorded[f]:
            raise PipelineError(f"{path}: checkpoint corrupt (SHA-256 differs from {Path(hash_file).name}); "
                                "restore it with `git checkout -- data/`")


@dataclass
class Codes:
    """The three streams of one utterance: what a codec would transmit.

    ``units`` (50 Hz) and ``f0_codes`` (12.5 Hz) are integer arrays, ``speaker`` a name
    from ``speakers``; ``n_units`` and ``n_f0_codes`` are the codebook sizes that set the
    bitrate. ``to_json`` / ``from_json`` write and read the file of ``resynth encode``,
    checking lengths and ranges. Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> c = Codes(units=np.array([3, 3, 7, 1]), f0_codes=np.array([5]), speaker="slt")
    >>> c.seconds, {k: round(v, 1) for k, v in c.bitrate().items()}   # the speaker's 2 bits over 0.08 s
    (0.08, {'units': 332.2, 'f0': 54.0, 'speaker': 25.0, 'total': 411.2})
    >>> Codes.from_json(c.to_json()) == c
    True
    """

    units: np.ndarray
    f0_codes: np.ndarray
    speaker: str
    n_units: int = 100
    n_f0_codes: int = 20
    speakers: list = field(default_factory=lambda: ["awb", "kal16", "rms", "slt"])
    #: an unseen voice's own log-F0 statistics (``log_mean``, ``log_std``), sent once with its codes
    f0_stats: dict | None = None

    @property
    def seconds(self) -> float:
        return len(self.units) / UNIT_RATE

    def bitrate(self) -> dict:
        """Bits per second of each stream: rate x log2(codebook size); the speaker is sent once."""
        units = UNIT_RATE * math.log2(self.n_units)
        f0 = F0_CODE_RATE * math.log2(self.n_f0_codes)
        speaker = (math.log2(len(self.speakers)) + (F0_STATS_BITS if self.f0_stats else 0)) / max(self.seconds, 1e-9)
        return {"units": units, "f0": f0, "speaker": speaker, "total": units + f0 + speaker}

    def to_json(self) -> str:
        return json.dumps({"units": [int(u) for u in self.units], "f0_codes": [int(c) for c in self.f0_codes],
                           "speaker": self.speaker, "unit_rate_hz": UNIT_RATE, "f0_code_rate_hz": F0_CODE_RATE,
                           "n_units": self.n_units, "n_f0_codes": self.n_f0_codes, "speakers": self.speakers,
                           "seconds": self.seconds, "bitrate_bps": self.bitrate(),
                           **({"f0_stats": self.f0_stats} if self.f0_stats else {})}, indent=1)

    @classmethod
    def from_json(cls, text, name: str = "codes") -> "Codes":
        """Read a codes file's text (or bytes), checking every field; :class:`PipelineError` says what is wrong.

        Units and F0 codes must be lists of plain integers inside the codebooks, the F0 codes
        exactly ``ceil(units / 4)``, the declared rates the course's (50 Hz, 12.5 Hz), and the
        utterance at most :data:`MAX_SECONDS` long.
        """
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError:
                raise PipelineError(f"{name}: not a codes file written by `resynth encode` (binary data, not JSON); "
                                    "pass the .json file that `resynth encode` wrote") from None
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise PipelineError(f"{name}: not a codes file written by `resynth encode` (not JSON: {exc})") from None
        if not isinstance(d, dict) or not {"units", "f0_codes", "speaker"} <= set(d):
            raise PipelineError(f"{name}: not a codes file written by `resynth encode` (needs units, f0_codes, speaker)")
        n_units, n_f0 = _positive_int(d.get("n_units", 100), "n_units", name), _positive_int(
            d.get("n_f0_codes", 20), "n_f0_codes", name)
        speakers = d.get("speakers", ["awb", "kal16", "rms", "slt"])
        if not isinstance(speakers, list) or not speakers or not all(isinstance(x, str) for x in speakers):
            raise PipelineError(f"{name}: 'speakers' must be a list of speaker names")
        if not isinstance(d["speaker"], str):
            raise PipelineError(f"{name}: 'speaker' must be a speaker's name, got {d['speaker']!r:.40}")
        for key, expected in (("unit_rate_hz", UNIT_RATE), ("f0_code_rate_hz", F0_CODE_RATE)):
            if key in d and d[key] != expected:
                raise PipelineError(f"{name}: {key} is {d[key]!r:.20}; this codec runs at {expected} Hz only")
        units = _code_array(d["units"], n_units, "units", name)
        f0_codes = _code_array(d["f0_codes"], n_f0, "f0_codes", name)
        need = math.ceil(len(units) / UNITS_PER_F0_CODE)
        if len(f0_codes) != need:
            raise PipelineError(f"{name}: {len(units)} units need {need} F0 codes, found {len(f0_codes)}")
        if len(units) / UNIT_RATE > MAX_SECONDS:
            raise PipelineError(f"{name}: {len(units) / UNIT_RATE / 60:.0f} minutes of codes; decode at most "
                                f"{MAX_SECONDS // 60} minutes at a time (split the file)")
        f0_stats = d.get("f0_stats")
        if f0_stats is not None:
            ok = isinstance(f0_stats, dict) and all(
                isinstance(f0_stats.get(k), (int, float)) and not isinstance(f0_stats.get(k), bool)
                and math.isfinite(f0_stats[k]) for k in ("log_mean", "log_std"))
            if not ok or not (math.log(40) < f0_stats["log_mean"] < math.log(800)) or not 0 < f0_stats["log_std"] < 1:
                raise PipelineError(f"{name}: 'f0_stats' must hold a finite log_mean (40-800 Hz) and log_std (0-1)")
            f0_stats = {"log_mean": float(f0_stats["log_mean"]), "log_std": float(f0_stats["log_std"])}
        return cls(units, f0_codes, d["speaker"], n_units, n_f0, speakers, f0_stats)

    def __eq__(self, other) -> bool:
        return (isinstance(other, Codes) and np.array_equal(self.units, other.units)
                and np.array_equal(self.f0_codes, other.f0_codes) and self.speaker == other.speaker)


def _codebook_advice(n_units: int, decoder_name: str) -> str:
    """What to do with codes made for another decoder's codebook: which decoder reads them, how to re-encode."""
    from resynth_lib.decoder.decoders import DECODERS, DEFAULT_DECODER, load_decoder
    readers = [d for d in sorted(DECODERS, key=lambda d: d != DEFAULT_DECODER) if load_decoder(d).n_units == n_units]
    advice = f": decode them with `--decoder {readers[0]}`, which reads {n_units} units" if readers else ""
    return advice + f" (or encode the audio again with `resynth encode --decoder {decoder_name}`)"


def speaker_excerpt(wav: np.ndarray, seconds: float = SPEAKER_SAMPLE_SECONDS, piece: float = 10.0) -> np.ndarray:
    """The whole waveform if it is short; else evenly spaced ``piece``-second excerpts adding up to ``seconds``.

    What the speaker classifier hears of a long file (notebook 07, ``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> len(speaker_excerpt(np.zeros(16000))), len(speaker_excerpt(np.zeros(16000 * 600))) / 16000
    (16000, 60.0)
    """
    if len(wav) <= seconds * SAMPLE_RATE:
        return wav
    n, size = int(seconds // piece), int(piece * SAMPLE_RATE)
    starts = np.linspace(0, len(wav) - size, n).astype(int)
    return np.concatenate([wav[s:s + size] for s in starts])


class Resynthesiser:
    """The shipped models together: ``encode`` speech, ``decode`` codes, ``convert`` voices.

    ``decoder`` is one of :data:`resynth_lib.decoder.decoders.DECODERS` (default
    :data:`~resynth_lib.decoder.decoders.DEFAULT_DECODER`, the frame-rate decoder of notebook 06c);
    ``"hifigan"`` is the paper's design, with ``vocoder_path`` choosing the checkpoint.
    ``units="mfcc"`` with the HiFi-GAN trained on MFCC units is the paper's baseline system.
    Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> from resynth_lib.data.corpus import load_corpus
    >>> r = Resynthesiser()
    >>> wav = load_corpus().utterances(split="test", speaker="awb")[0].waveform()
    >>> codes = r.encode(wav)
    >>> codes.speaker, len(codes.f0_codes) == -(-len(codes.units) // 4)
    ('awb', True)
    >>> r.decode(codes, speaker="slt").shape == (320 * len(codes.units),)
    True
    """

    def __init__(self, vocoder_path=None, verify: bool = True, units: str = "ssl", decoder: str | None = None):
        from resynth_lib.content.units import load_quantiser
        from resynth_lib.decoder.decoders import DEFAULT_DECODER, load_decoder
        from resynth_lib.pitch.f0_vqvae import load_f0_vqvae
        from resynth_lib.pitch.normalise import load_f0_stats
        from resynth_lib.speaker.classifier import SpeakerClassifier
        if verify:
            verify_checkpoints()
        self.decoder_name = decoder or (DEFAULT_DECODER if vocoder_path is None else "hifigan")
        self.decoder = load_decoder(self.decoder_name, vocoder_path)
        # each decoder was trained on one codebook: K = 500 for the frame-rate decoder, 100 for the paper's HiFi-GAN
        self.quantiser = load_quantiser(source=units, n_units=self.decoder.n_units)
        self.f0_model = load_f0_vqvae()
        self.f0_stats = load_f0_stats(CHECKPOINT_DIR.parent / "f0_stats.json")
        self.classifier = SpeakerClassifier.load(CHECKPOINT_DIR / "speaker_centroids.npz")
        self.last_unseen = False                 # whether the last voice recognised was none of the speakers
        self._content = None                     # (content model, layer), loaded for long files
        self.speakers = list(self.classifier.speakers)

    def check_codes(self, codes: Codes, name: str = "codes") -> Codes:
        """The codes must come from these models' codebooks (sizes, speaker list), not merely be well formed."""
        if codes.n_units != self.quantiser.n_units or codes.n_f0_codes != self.f0_model.n_codes:
            raise PipelineError(f"{name}: codes made with {codes.n_units} units and {codes.n_f0_codes} F0 codes; these "
                                f"models use {self.quantiser.n_units} and {self.f0_model.n_codes}"
                                + _codebook_advice(codes.n_units, self.decoder_name))
        if (codes.units >= self.quantiser.n_units).any() or (codes.f0_codes >= self.f0_model.n_codes).any():
            raise PipelineError(f"{name}: code values out of range for these models")
        return codes

    def check_speaker(self, speaker: str) -> str:
        if speaker not in self.speakers:
            raise PipelineError(f"unknown speaker {speaker!r}; known speakers: {', '.join(self.speakers)}")
        return speaker

    def encode(self, wav, speaker: str | None = None, name: str = "waveform") -> Codes:
        """Waveform (16 kHz mono) -> :class:`Codes`; the speaker is recognised unless given.

        ``wav`` may also be a checked :class:`~resynth_lib.core.streaming.AudioReader`, whose
        pieces are read from disk as they are analysed if it is longer than :data:`STREAM_SECONDS`
        (:meth:`encode_file`).
        """
        from resynth_lib.core.streaming import AudioReader
        from resynth_lib.data.frames import num_frames
        from resynth_lib.decoder.codes import f0_codes_for
        if isinstance(wav, AudioReader) and len(wav) <= STREAM_SECONDS * SAMPLE_RATE:
            wav = wav[0:len(wav)]                                  # short: read whole, checked as an array
        if not isinstance(wav, AudioReader):
            try:
                wav = validate_waveform(wav, name=name)
            except AudioError as exc:
                raise PipelineError(str(exc)) from None
        if len(wav) > MAX_SECONDS * SAMPLE_RATE:
            raise PipelineError(f"{name}: {len(wav) / SAMPLE_RATE / 60:.0f} minutes of audio; encode at most "
                                f"{MAX_SECONDS // 60} minutes at a time (split the file)")
        if len(wav) < MIN_SAMPLES:
            raise PipelineError(f"{name}: {1000 * len(wav) / SAMPLE_RATE:.0f} ms is shorter than one F0 code (80 ms)")
        f0_track = self.f0_track(wav, desc=f"{name}: F0")
        self.last_unseen = False              # recognise sets it when the voice is none of the speakers
        if speaker:
            speaker, own = self.check_speaker(speaker), None
        else:
            speaker, own = self.recognise(wav, f0_track=f0_track)
        stats, key = (self.f0_stats, speaker) if own is None else ({**self.f0_stats, OWN_VOICE: own}, OWN_VOICE)
        T = num_frames(wav)
        units = self.units(wav, desc=f"{name}: units")[:T].astype(np.int64)
        f0_codes = f0_codes_for(f0_track, T, self.f0_model, stats, key)
        return Codes(units, f0_codes, speaker, self.quantiser.n_units, self.f0_model.n_codes, self.speakers, own)

    def encode_file(self, path, speaker: str | None = None, name: str | None = None) -> Codes:
        """A sound file (any rate, any channels) -> :class:`Codes`, read piece by piece if it is long.

        A file up to :data:`STREAM_SECONDS` is read whole and goes through :meth:`encode`; a
        longer one is checked in one pass and then analysed from disk in pieces
        (:class:`~resynth_lib.core.streaming.AudioReader`), so memory does not grow with its
        length. Unusable files and files over :data:`MAX_SECONDS` raise :class:`PipelineError`.
        Taught in notebook 07 (``07_resynthesis_conversion_codec``).

        Example
        -------
        >>> import tempfile
        >>> from resynth_lib.core.audio import save_audio
        >>> from resynth_lib.data.corpus import load_corpus
        >>> r, wav = Resynthesiser(), load_corpus().utterances(split="test", speaker="awb")[0].waveform()
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     codes = r.encode_file(save_audio(Path(tmp) / "in.flac", wav))
        >>> codes.speaker, len(codes.units) == len(wav) // 320
        ('awb', True)
        """
        from resynth_lib.core.audio import load_audio
        from resynth_lib.core.streaming import AudioReader
        name = str(path) if name is None else name
        try:
            reader = AudioReader(path)
            if reader.seconds > MAX_SECONDS:
                raise PipelineError(f"{name}: {reader.seconds / 60:.0f} minutes of audio; encode at most "
                                    f"{MAX_SECONDS // 60} minutes at a time (split the file)")
            wav = load_audio(path) if reader.seconds <= STREAM_SECONDS else reader.check()
        except AudioError as exc:
            raise PipelineError(str(exc)) from None
        return self.encode(wav, speaker=speaker, name=name)

    def f0_track(self, wav, desc: str | None = None) -> np.ndarray:
        """The course tracker's F0 (5 ms frames); a long file in pieces, judging silence against the whole file."""
        from resynth_lib.pitch.yin import frame_rms, track_f0
        loudest = float(framewise_in_chunks(wav, frame_rms, F0_HOP).max())
        return framewise_in_chunks(wav, lambda piece: track_f0(piece, loudest=loudest), F0_HOP, desc=desc)

    def units(self, wav, desc: str | None = None) -> np.ndarray:
        """Unit of every 20 ms frame; a long file in pieces, normalised with the whole file's statistics."""
        from resynth_lib.core.chunking import CHUNK_SECONDS, CONTEXT_SECONDS
        if self.quantiser.source != "ssl" or len(wav) <= (CHUNK_SECONDS + 2 * CONTEXT_SECONDS) * SAMPLE_RATE:
            return self.quantiser.units(wav)              # one pass, exactly as in training
        from resynth_lib.content.ssl_models import content_features, load_content_model
        from resynth_lib.data.frames import ssl_input_moments
        if self._content is None:
            self._content = load_content_model()[:2]
        model, layer = self._content
        moments = ssl_input_moments(wav)
        return framewise_in_chunks(wav, lambda piece: self.quantiser.quantise(
            content_features(model, layer, piece, moments)), HOP, desc=desc)

    def recognise(self, wav, f0_track: np.ndarray | None = None) -> tuple[str, dict | None]:
        """``(speaker, own_f0_stats)``: whose timbre the decoder will use, and the voice's own F0 statistics.

        The speaker is the d-vector classifier's choice, or for an unseen voice
        the training speaker nearest in pitch (:meth:`pitch_outside`). The voice's own log-F0 statistics are returned
        whenever it has voiced speech: normalising each recording with its own range (and sending
        those 32 bits) keeps any voice's register, and lets conversion land on the target's
        range even for a voice the classifier mistakes for a training speaker. ``f0_track`` is
        the course tracker's contour of ``wav`` if already computed. A long file is recognised
        from excerpts (:func:`speaker_excerpt`).
        """
        from resynth_lib.pitch.yin import track_f0
        speaker = self.classifier.predict(speaker_excerpt(wav))
        own = utterance_f0_stats(track_f0(wav) if f0_track is None else f0_track)
        self.last_unseen = own is not None and self.pitch_outside(speaker, own)
        if not self.last_unseen:
            return speaker, own
        return min(self.speakers, key=lambda s: abs(self.f0_stats[s]["log_mean"] - own["log_mean"])), own

    def pitch_outside(self, speaker: str, own: dict) -> bool:
        """True when a voice's median log-F0 lies more than :data:`UNSEEN_Z` of ``speaker``'s deviations from its mean.

        The d-vector classifier always names one of its four voices; pitch is the check that
        says the voice is none of them (the corpus's own utterances stay under 0.72).
        """
        ref = self.f0_stats[speaker]
        return abs(own["log_mean"] - ref["log_mean"]) > UNSEEN_Z * ref["log_std"]

    def _stats(self, codes: Codes, speaker: str | None) -> tuple[dict, str]:
        """The F0 statistics to decode with: the target's, else the codes' own voice, else their speaker's."""
        if speaker is None and codes.f0_stats:
            return {**self.f0_stats, OWN_VOICE: codes.f0_stats}, OWN_VOICE
        return self.f0_stats, self.check_speaker(speaker or codes.speaker)

    def decoded_f0(self, codes: Codes, speaker: str | None = None, f0_shift: float = 0.0,
                   f0_flat: bool = False) -> np.ndarray:
        """The F0 contour the codes decode to in ``speaker``'s range (5 ms frames), shifted or flattened."""
        from resynth_lib.decoder.codes import decoded_f0
        stats, key = self._stats(codes, speaker)
        T = len(codes.units)
        if f0_flat:
            return np.full(4 * T, math.exp(stats[key]["log_mean"]), np.float32)
        return (decoded_f0(self.f0_model, codes.f0_codes, stats, key, T) * 2.0 ** (f0_shift / 12)).astype(np.float32)

    def decode(self, codes: Codes, speaker: str | None = None, f0_shift: float = 0.0,
               f0_flat: bool = False) -> np.ndarray:
        """:class:`Codes` -> waveform, as ``speaker`` (default: the codes' own), F0 moved by ``f0_shift`` semitones.

        A shifted or flattened contour is quantised again (notebook 04's VQ-VAE), so the F0
        codes the decoder reads and the decoded F0 contour it is given agree. The parts of
        :meth:`decode_stream`, joined.
        """
        return np.concatenate(list(self.decode_stream(codes, speaker, f0_shift, f0_flat)))

    def decode_stream(self, codes: Codes, speaker: str | None = None, f0_shift: float = 0.0, f0_flat: bool = False):
        """:meth:`decode`, part by part: checks the codes and options now, then returns an iterator of waveform parts.

        Each part is final when it comes (the decoders cross-fade their pieces on the fly),
        so ``resynth decode`` writes it to disk at once and never holds the whole output
        (:func:`~resynth_lib.core.streaming.write_audio_stream`). Taught in notebook 07
        (``07_resynthesis_conversion_codec``).

        Example
        -------
        >>> r = Resynthesiser()
        >>> codes = Codes(units=np.full(600, 7), f0_codes=np.full(150, 5), speaker="slt", n_units=500)   # 12 s
        >>> [len(part) / 16000 for part in r.decode_stream(codes)]                   # 5 s at a time
        [5.0, 5.0, 2.0]
        """
        from resynth_lib.pitch.f0_vqvae import quantise_contour
        self.check_codes(codes)
        stats, key = self._stats(codes, speaker)
        speaker = self.check_speaker(speaker or codes.speaker)         # whose timbre the decoder uses
        f0_codes = codes.f0_codes
        f0_hz = self.decoded_f0(codes, speaker if key != OWN_VOICE else None, f0_shift, f0_flat)
        if f0_shift or f0_flat:
            f0_codes = quantise_contour(self.f0_model, f0_hz, stats, key)[:len(codes.f0_codes)]
        item = {"units": codes.units, "f0_codes": f0_codes, "speaker": self.speakers.index(speaker), "f0_hz": f0_hz}
        stream = getattr(self.decoder, "stream", None)      # a decoder without one gives its whole output as one part
        return stream(item) if stream is not None else iter([self.decoder(item)])

    def convert(self, wav, to: str, name: str = "waveform", **decode_kw) -> np.ndarray:
        """Encode ``wav`` and decode it as speaker ``to``."""
        self.check_speaker(to)
        return self.decode(self.encode(wav, name=name), speaker=to, **decode_kw)

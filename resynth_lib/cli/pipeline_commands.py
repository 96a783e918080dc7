"""The pipeline's commands: ``resynth encode | decode | convert | demo | speaker-centroids``.

    resynth encode IN.wav -o codes.json [--speaker S] [--force]
    resynth decode codes.json -o out.wav [--speaker S] [--f0-shift SEMITONES | --f0-flat] [--decoder D] [--force]
    resynth convert IN.wav --to S -o out.wav [--f0-shift SEMITONES | --f0-flat] [--decoder D] [--force]
    resynth demo [-o resynth_demo] [--decoder D] [--force]
    resynth speaker-centroids [--force]     (d-vector centroids of the training split, for encode)

``--decoder`` picks one of :data:`resynth_lib.decoder.decoders.DECODERS`; the default is the
frame-rate decoder the evaluation chose (notebook 06d); ``hifigan`` is the paper's design.
Each command is a thin ``*_main(argv)`` wrapper around :func:`main`, which parses the
options, loads the shipped models (:class:`resynth_lib.pipeline.resynthesiser.Resynthesiser`)
and runs one of :func:`encode`, :func:`decode`, :func:`convert`, :func:`demo` or
:func:`speaker_centroids`.

Input audio may have any sampling rate and any number of channels: it is resampled to
16 kHz and down-mixed. Every failure prints one line, ``error: <file or value>: <problem>``.

Exit codes: 0 success; 1 unusable input (missing, unreadable, empty, silent, too short,
NaN/inf audio, a bad codes file, an unknown speaker); 2 wrong command-line usage;
3 a shipped checkpoint is missing or corrupt (SHA-256 mismatch); 4 the output exists
(pass ``--force`` to replace it); 130 interrupted with Ctrl-C (an output being written is removed).

Taught in notebook 07 (``07_resynthesis_conversion_codec``).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from resynth_lib.core.rates import N_MELS, SAMPLE_RATE

EXIT_INPUT, EXIT_USAGE, EXIT_CHECKPOINT, EXIT_EXISTS, EXIT_INTERRUPTED = 1, 2, 3, 4, 130


class _Exit(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


#: what each command may write: the codes as JSON, speech as WAV or FLAC
AUDIO_SUFFIXES, CODES_SUFFIXES = (".wav", ".flac"), (".json", ".rsc")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``error: <problem> (see resynth CMD --help)``, exit code 2."""

    def error(self, message):
        print(f"error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _semitones(text: str) -> float:
    """``--f0-shift``: a finite number of semitones within two octaves."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of semitones") from None
    if not np.isfinite(value) or abs(value) > 24:
        raise argparse.ArgumentTypeError(f"{text} semitones: use a finite shift between -24 and 24 (two octaves)")
    return value


def _free(path: Path, force: bool, suffixes=None) -> Path:
    """Check an output path before any work: suffix, not a folder, not existing (unless ``force``), writable."""
    if suffixes and path.suffix.lower() not in suffixes:
        raise _Exit(EXIT_USAGE, f"{path}: the output must end in {' or '.join(suffixes)}")
    if path.is_dir():
        raise _Exit(EXIT_USAGE, f"{path}: is a folder; give a file name, e.g. {path / ('out' + (suffixes or ('',))[0])}")
    if path.exists() and not force:
        raise _Exit(EXIT_EXISTS, f"{path}: exists; pass --force to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _Exit(EXIT_INPUT, f"{path.parent}: cannot create the output folder ({exc.strerror})") from None
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise _Exit(EXIT_INPUT, f"{path}: cannot write here (permission denied); choose another output")
    return path


def _preflight(command: str, args) -> None:
    """Check the inputs and outputs a command names before it loads a model or computes anything."""
    if command in ("encode", "convert"):
        _existing_input(args.input)
    if command == "decode":
        _existing_input(args.codes)
    if command in ("encode", "decode", "convert"):
        _free(Path(args.output), args.force, CODES_SUFFIXES if command == "encode" else AUDIO_SUFFIXES)


def _existing_input(path: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise _Exit(EXIT_INPUT, f"{p}: no such file")
    if p.is_dir():
        raise _Exit(EXIT_INPUT, f"{p}: is a folder, not a file")
    return p


def _resynthesiser(decoder: str | None = None):
    from resynth_lib.pipeline.resynthesiser import PipelineError, Resynthesiser
    try:
        return Resynthesiser(decoder=decoder)
    except (PipelineError, FileNotFoundError) as exc:
        raise _Exit(EXIT_CHECKPOINT, str(exc)) from None
    except Exception as exc:  # a file that passed its hash but still fails to load
        raise _Exit(EXIT_CHECKPOINT, f"a checkpoint could not be loaded ({type(exc).__name__}: {exc})") from None


def _decoder_option(parser, help: str | None = None):
    from resynth_lib.decoder.decoders import DECODERS, DEFAULT_DECODER
    parser.add_argument("--decoder", choices=DECODERS, default=None,
                        help=help or f"codes -> waveform (default {DEFAULT_DECODER}; hifigan: the paper's design, "
                                     "which reads codes made with `resynth encode --decoder hifigan`)")


def _decode_options(parser):
    _decoder_option(parser)
    parser.add_argument("--f0-shift", type=_semitones, default=0.0, metavar="SEMITONES",
                        help="move the melody up or down (-24 .. 24)")
    parser.add_argument("--f0-flat", action="store_true", help="a flat melody at the speaker's mean F0")


def _save(path: Path, wav) -> None:
    from resynth_lib.core.audio import save_audio
    save_audio(path, wav, overwrite=True)
    print(f"wrote {path} ({len(wav) / SAMPLE_RATE:.2f} s)")


def _write(path: Path, parts, seconds: float) -> None:
    """Write the decoded parts to ``path`` as they come (a temporary file renamed at the end)."""
    from resynth_lib.core.audio import AudioError
    from resynth_lib.core.streaming import write_audio_stream
    try:
        n = write_audio_stream(path, parts, seconds=seconds, desc=f"{path.name}: decoding")
    except AudioError as exc:
        raise _Exit(EXIT_INPUT, str(exc)) from None
    print(f"wrote {path} ({n / SAMPLE_RATE:.2f} s)")


def encode(args, r) -> None:
    """``resynth encode``: read the audio at ``args.input`` and write its codes to ``args.output``.

    A file longer than a minute is read piece by piece from disk
    (:meth:`~resynth_lib.pipeline.resynthesiser.Resynthesiser.encode_file`), so memory does
    not grow with its length.

    ``.json`` writes the readable codes file, with the fixed-rate bits per second of each
    stream; ``.rsc`` writes the binary, arithmetic-coded file
    (:mod:`resynth_lib.pipeline.codes_file`), whose size is the real bitrate.

    ``args`` holds ``input``, ``output``, ``speaker`` (``None``: recognised from the audio) and
    ``force``; ``r`` is a :class:`~resynth_lib.pipeline.resynthesiser.Resynthesiser`. Prints
    what it wrote and the fixed-rate bits per second of each stream. Taught in notebook 07
    (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> import argparse, shutil, tempfile
    >>> from resynth_lib.core.audio import save_audio
    >>> from resynth_lib.data.corpus import load_corpus
    >>> from resynth_lib.pipeline.resynthesiser import Resynthesiser
    >>> tmp = Path(tempfile.mkdtemp())
    >>> wav = load_corpus().utterances(split="test", speaker="awb")[0].waveform()[:16000]     # one second
    >>> _ = save_audio(tmp / "in.wav", wav)
    >>> args = argparse.Namespace(input=str(tmp / "in.wav"), output=str(tmp / "codes.json"), speaker="awb",
    ...                           force=False)
    >>> encode(args, Resynthesiser())
    wrote .../codes.json: 50 units, 13 F0 codes, speaker awb; 448 + 54 + 2.0 = 504 bit/s
    >>> shutil.rmtree(tmp)
    """
    out = _free(Path(args.output), args.force, CODES_SUFFIXES)
    if out.suffix.lower() == ".rsc":
        from resynth_lib.pipeline.codes_file import CodeModel
        if CodeModel.load().n_units != r.quantiser.n_units:
            raise _Exit(EXIT_USAGE, f"{out}: binary codes files hold the default decoder's "
                                    f"{CodeModel.load().n_units} units, not the {r.quantiser.n_units} this decoder "
                                    "reads; write a .json codes file instead")
    codes = r.encode_file(_existing_input(args.input), speaker=args.speaker, name=args.input)
    if getattr(r, "last_unseen", False):
        print(f"{args.input}: this voice is not one of the known speakers ({', '.join(r.speakers)}); it will be "
              f"decoded with {codes.speaker}'s timbre and its own pitch range (sent with the codes)")
    if out.suffix.lower() == ".rsc":
        from resynth_lib.pipeline.codes_file import CodeModel
        data = CodeModel.load().encode(codes)
        out.write_bytes(data)
        print(f"wrote {out}: {len(codes.units)} units, {len(codes.f0_codes)} F0 codes, speaker {codes.speaker}; "
              f"{len(data)} bytes for {codes.seconds:.2f} s = {8 * len(data) / codes.seconds:.0f} bit/s")
        return
    out.write_text(codes.to_json() + "\n")
    b = codes.bitrate()
    print(f"wrote {out}: {len(codes.units)} units, {len(codes.f0_codes)} F0 codes, speaker {codes.speaker}; "
          f"{b['units']:.0f} + {b['f0']:.0f} + {b['speaker']:.1f} = {b['total']:.0f} bit/s")


def decode(args, r) -> None:
    """``resynth decode``: read the codes file ``args.codes`` and write the decoded speech to ``args.output``.

    ``args`` holds ``codes``, ``output``, ``speaker`` (``None``: the codes' own speaker),
    ``f0_shift`` (semitones), ``f0_flat`` and ``force``; ``r`` is a
    :class:`~resynth_lib.pipeline.resynthesiser.Resynthesiser`. Decoding as another speaker is
    voice conversion. The speech is written part by part as it is decoded, into a temporary
    file renamed at the end: a failed or interrupted run leaves no output. Taught in notebook 07
    (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> import argparse, shutil, tempfile
    >>> from resynth_lib.data.corpus import load_corpus
    >>> from resynth_lib.pipeline.resynthesiser import Resynthesiser
    >>> r, tmp = Resynthesiser(), Path(tempfile.mkdtemp())
    >>> wav = load_corpus().utterances(split="test", speaker="awb")[0].waveform()[:16000]     # one second
    >>> _ = (tmp / "codes.json").write_text(r.encode(wav, speaker="awb").to_json())
    >>> args = argparse.Namespace(codes=str(tmp / "codes.json"), output=str(tmp / "as_slt.wav"), speaker="slt",
    ...                           f0_shift=0.0, f0_flat=False, force=False)
    >>> decode(args, r)
    wrote .../as_slt.wav (1.00 s)
    >>> shutil.rmtree(tmp)
    """
    from resynth_lib.pipeline.resynthesiser import Codes
    out = _free(Path(args.output), args.force, AUDIO_SUFFIXES)
    path = _existing_input(args.codes)
    data = path.read_bytes()
    if path.suffix.lower() == ".rsc":
        from resynth_lib.pipeline.codes_file import CodeModel
        codes = r.check_codes(CodeModel.load().decode(data, name=str(path)), name=str(path))
    else:
        codes = r.check_codes(Codes.from_json(data, name=str(path)), name=str(path))
    _write(out, r.decode_stream(codes, speaker=args.speaker, f0_shift=args.f0_shift, f0_flat=args.f0_flat),
           codes.seconds)


def convert(args, r) -> None:
    """``resynth convert``: the speech at ``args.input`` in the voice of ``args.to``, written to ``args.output``.

    Encode and decode in one step, reading and writing piece by piece as :func:`encode` and :func:`decode` do;
    ``args`` also holds ``f0_shift``, ``f0_flat`` and ``force``. Taught in notebook 07
    (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> import argparse, shutil, tempfile
    >>> from resynth_lib.core.audio import save_audio
    >>> from resynth_lib.data.corpus import load_corpus
    >>> from resynth_lib.pipeline.resynthesiser import Resynthesiser
    >>> tmp = Path(tempfile.mkdtemp())
    >>> wav = load_corpus().utterances(split="test", speaker="awb")[0].waveform()[:16000]     # one second
    >>> _ = save_audio(tmp / "in.wav", wav)
    >>> args = argparse.Namespace(input=str(tmp / "in.wav"), to="slt", output=str(tmp / "slt.wav"), f0_shift=0.0,
    ...                           f0_flat=False, force=False)
    >>> convert(args, Resynthesiser())
    wrote .../slt.wav (1.00 s)
    >>> shutil.rmtree(tmp)
    """
    out = _free(Path(args.output), args.force, AUDIO_SUFFIXES)
    r.check_speaker(args.to)
    codes = r.encode_file(_existing_input(args.input), name=args.input)
    _write(out, r.decode_stream(codes, speaker=args.to, f0_shift=args.f0_shift, f0_flat=args.f0_flat), codes.seconds)


def demo(args, r) -> None:
    """A held-out utterance: resynthesised, converted to every other voice, pitch-shifted; WAVs, a figure, scores.

    ``resynth demo`` writes into the folder ``args.output`` one WAV per version and
    ``demo.png`` (log-mel and F0 of each), and prints the median F0 of each version and the
    speaker the evaluation's judge hears. A folder that is not empty is left alone unless
    ``args.force``. Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    A full run takes a few seconds (``resynth demo -o resynth_demo``); the refusal is instant:

    >>> import argparse, shutil, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "notes.txt").write_text("mine")
    >>> demo(argparse.Namespace(output=str(folder), force=False), r=None)
    Traceback (most recent call last):
        ...
    resynth_lib.cli.pipeline_commands._Exit: ...: exists and is not empty; pass --force to replace its files
    >>> shutil.rmtree(folder)
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from resynth_lib.core.audio import log_mel
    from resynth_lib.data.corpus import load_corpus
    from resynth_lib.pitch import f0_metrics
    from resynth_lib.pitch import yin as pitch
    folder = Path(args.output)
    if folder.exists() and any(folder.iterdir()) and not args.force:
        raise _Exit(EXIT_EXISTS, f"{folder}: exists and is not empty; pass --force to replace its files")
    folder.mkdir(parents=True, exist_ok=True)
    from resynth_lib.evaluation.speaker_judge import load_speaker_judge
    try:
        judge = load_speaker_judge()        # the evaluation's speaker judge (notebook 07b), not the pipeline's own
    except FileNotFoundError as exc:
        raise _Exit(EXIT_CHECKPOINT, str(exc)) from None
    utt = load_corpus().utterances(split="test", speaker="awb")[0]
    wav = utt.waveform()
    codes = r.encode(wav, name=utt.utt_id)
    outputs = {f"original_{utt.speaker}": wav, f"resynthesis_{codes.speaker}": r.decode(codes)}
    for s in r.speakers:
        if s != codes.speaker:
            outputs[f"converted_to_{s}"] = r.decode(codes, speaker=s)
    outputs["pitch_up_4_semitones"] = r.decode(codes, f0_shift=4)
    outputs["pitch_flat"] = r.decode(codes, f0_flat=True)
    print(f"{utt.utt_id} (held-out test sentence): '{utt.text}'")
    f0_in = pitch.track_f0(wav)
    fig, axes = plt.subplots(len(outputs), 2, figsize=(12, 1.8 * len(outputs)), gridspec_kw={"width_ratios": [3, 1.4]})
    for i, (name, w) in enumerate(outputs.items()):
        _save(folder / f"{name}.wav", w)
        f0 = pitch.track_f0(w)
        axes[i, 0].imshow(log_mel(w), origin="lower", aspect="auto", extent=[0, len(w) / SAMPLE_RATE, 0, N_MELS])
        axes[i, 0].set_ylabel(name.replace("_", " "), fontsize=8)
        axes[i, 1].plot(np.arange(len(f0)) * 0.005, np.where(f0 > 0, f0, np.nan), lw=1)
        axes[i, 1].set_ylim(50, 300)
        n = min(len(f0), len(f0_in))
        line = f"  {name}: median F0 {np.median(f0[f0 > 0]) if (f0 > 0).any() else 0:.0f} Hz"
        if not name.startswith("original"):
            line += f", speaker judge hears {judge.predict(w)}"
            if name.startswith("resynthesis"):
                line += f", FFE vs input {f0_metrics.ffe(f0_in[:n], f0[:n]):.1%}"
        print(line)
    axes[0, 1].set_title("F0 (Hz)", fontsize=9)
    axes[0, 0].set_title("log-mel spectrogram (80 mel bands; time in s)", fontsize=9)
    fig.tight_layout()
    fig.savefig(folder / "demo.png", dpi=80)
    b = codes.bitrate()
    print(f"wrote {folder / 'demo.png'}; codes: {b['units']:.0f} + {b['f0']:.0f} + {b['speaker']:.1f} = "
          f"{b['total']:.0f} bit/s")


def speaker_centroids(args) -> None:
    """``resynth speaker-centroids``: fit the d-vector centroids on the train split and ship them.

    Writes ``data/checkpoints/speaker_centroids.npz`` (used by ``resynth encode`` to recognise
    the speaker) and its record, with the accuracy on the test split's ground-truth audio.
    The shipped file is replaced only with ``args.force``. The classifier is notebook 05's;
    the command is taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> import argparse
    >>> speaker_centroids(argparse.Namespace(force=False))     # the shipped centroids stay as they are
    Traceback (most recent call last):
        ...
    resynth_lib.cli.pipeline_commands._Exit: ...speaker_centroids.npz: exists; pass --force to replace it
    """
    from resynth_lib.core.config import machine_info
    from resynth_lib.data.corpus import load_corpus
    from resynth_lib.pipeline.resynthesiser import CHECKPOINT_DIR
    from resynth_lib.speaker.classifier import SpeakerClassifier
    out = _free(CHECKPOINT_DIR / "speaker_centroids.npz", args.force)
    corpus = load_corpus()
    t0 = time.perf_counter()
    clf = SpeakerClassifier().fit(corpus.utterances(split="train"))
    clf.save(out, force=True)
    test = corpus.utterances(split="test")
    accuracy = float(np.mean([clf.predict(u.waveform()) == u.speaker for u in test]))
    record = {"command": "resynth speaker-centroids" + (" --force" if args.force else ""),
              "encoder": "dvector.pt", "fitted_on": "train split, ground-truth audio",
              "train_utterances": len(corpus.utterances(split="train")), "speakers": clf.speakers,
              "test_accuracy_ground_truth": accuracy, "wall_seconds": round(time.perf_counter() - t0, 1),
              "machine": machine_info()}
    out.with_suffix(".json").write_text(__import__("json").dumps(record, indent=2) + "\n")
    print(f"wrote {out}; accuracy on the test split's ground-truth audio {accuracy:.1%}")


def main(argv) -> int:
    """Run one pipeline command: ``argv[0]`` is ``encode``, ``decode``, ``convert``, ``demo`` or ``speaker-centroids``.

    Parses ``argv`` (wrong usage exits with 2), loads the shipped models, runs the command
    and returns the exit code listed in this module's docstring; every failure prints one
    line, ``error: ...``, on stderr. Taught in notebook 07 (``07_resynthesis_conversion_codec``).

    Example
    -------
    >>> import shutil, tempfile
    >>> from resynth_lib.core.audio import save_audio
    >>> from resynth_lib.data.corpus import load_corpus
    >>> tmp = Path(tempfile.mkdtemp())
    >>> _ = save_audio(tmp / "in.wav", load_corpus().utterances(split="test", speaker="awb")[0].waveform()[:16000])
    >>> main(["encode", str(tmp / "in.wav"), "-o", str(tmp / "codes.json"), "--speaker", "awb"])
    wrote .../codes.json: 50 units, 13 F0 codes, speaker awb; 448 + 54 + 2.0 = 504 bit/s
    0
    >>> main(["encode", str(tmp / "in.wav"), "-o", str(tmp / "codes.json")])     # the output exists
    4
    >>> main(["convert", str(tmp / "missing.wav"), "--to", "slt", "-o", str(tmp / "out.wav")])   # no such input
    1
    >>> shutil.rmtree(tmp)
    """
    from resynth_lib.pipeline.resynthesiser import PipelineError
    command, argv = argv[0], list(argv[1:])
    parser = _Parser(prog=f"resynth {command}", description=__doc__.splitlines()[0])
    if command == "encode":
        parser.add_argument("input")
        parser.add_argument("-o", "--output", required=True)
        parser.add_argument("--speaker", help="the speaker's name (default: recognised from the audio)")
        _decoder_option(parser, "the decoder the codes are for: it sets the unit codebook (K=500 for the frame-rate "
                                "decoders, 100 for hifigan)")
    elif command == "decode":
        parser.add_argument("codes")
        parser.add_argument("-o", "--output", required=True)
        parser.add_argument("--speaker", help="decode as this speaker (default: the codes' own)")
        _decode_options(parser)
    elif command == "convert":
        parser.add_argument("input")
        parser.add_argument("--to", required=True, help="target speaker")
        parser.add_argument("-o", "--output", required=True)
        _decode_options(parser)
    elif command == "demo":
        parser.add_argument("-o", "--output", default="resynth_demo", help="output folder")
        _decoder_option(parser)
    parser.add_argument("--force", action="store_true", help="replace existing output")
    args = parser.parse_args(argv)                       # exits with 2 on bad usage
    if getattr(args, "f0_flat", False) and args.f0_shift:
        parser.error("--f0-shift and --f0-flat exclude each other")
    t0 = time.perf_counter()
    try:
        _preflight(command, args)                        # every path checked before any model loads
        if command in ("encode", "decode", "convert"):
            from resynth_lib.core.streaming import return_freed_memory
            return_freed_memory()                        # long files: the peak stays flat over the pieces
        if command == "speaker-centroids":
            speaker_centroids(args)
        else:
            {"encode": encode, "decode": decode, "convert": convert, "demo": demo}[command](
                args, _resynthesiser(getattr(args, "decoder", None)))
    except _Exit as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:                              # a disk or permission problem met while writing
        where = exc.filename or getattr(args, "output", "")
        print(f"error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:                          # Ctrl-C: the partial output is already removed
        print(f"error: {getattr(args, 'output', command)}: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    if command == "demo":
        print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0

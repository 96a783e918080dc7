"""The pipeline's commands: ``resynth encode | decode | convert | demo | speaker-centroids``.

    resynth encode IN.wav -o codes.json [--speaker S] [--force]
    resynth decode codes.json -o out.wav [--speaker S] [--f0-shift SEMITONES | --f0-flat] [--decoder D] [--force]
    resynth convert IN.wav --to S -o out.wav [--f0-shift SEMITONES | --f0-flat] [--decoder D] [--force]
    resynth demo [-o resynth_demo] [--decoder D] [--force]

``--decoder`` picks one of :data:`resynth_lib.decoders.DECODERS`; the default is the
frame-rate decoder the evaluation chose (notebook 06b); ``hifigan`` is the paper's design.
    resynth speaker-centroids [--force]     (d-vector centroids of the training split, for encode)

Input audio may have any sampling rate and any number of channels: it is resampled to
16 kHz and down-mixed. Every failure prints one line, ``error: <file or value>: <problem>``.

Exit codes: 0 success; 1 unusable input (missing, unreadable, empty, silent, too short,
NaN/inf audio, a bad codes file, an unknown speaker); 2 wrong command-line usage;
3 a shipped checkpoint is missing or corrupt (SHA-256 mismatch); 4 the output exists
(pass ``--force`` to replace it).

Taught in notebook 07 (``07_resynthesis_conversion_codec``).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

EXIT_INPUT, EXIT_USAGE, EXIT_CHECKPOINT, EXIT_EXISTS = 1, 2, 3, 4


class _Exit(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def _free(path: Path, force: bool) -> Path:
    if path.exists() and not force:
        raise _Exit(EXIT_EXISTS, f"{path}: exists; pass --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _resynthesiser(decoder: str | None = None):
    from .pipeline import PipelineError, Resynthesiser
    try:
        return Resynthesiser(decoder=decoder)
    except (PipelineError, FileNotFoundError) as exc:
        raise _Exit(EXIT_CHECKPOINT, str(exc)) from None
    except Exception as exc:  # a file that passed its hash but still fails to load
        raise _Exit(EXIT_CHECKPOINT, f"a checkpoint could not be loaded ({type(exc).__name__}: {exc})") from None


def _load(path: str):
    from .audio import AudioError, load_audio
    try:
        return load_audio(path)
    except AudioError as exc:
        raise _Exit(EXIT_INPUT, str(exc)) from None


def _decoder_option(parser):
    from .decoders import DECODERS, DEFAULT_DECODER
    parser.add_argument("--decoder", choices=DECODERS, default=None,
                        help=f"codes -> waveform (default {DEFAULT_DECODER}; hifigan: the paper's design)")


def _decode_options(parser):
    _decoder_option(parser)
    parser.add_argument("--f0-shift", type=float, default=0.0, metavar="SEMITONES", help="move the melody up or down")
    parser.add_argument("--f0-flat", action="store_true", help="a flat melody at the speaker's mean F0")


def _save(path: Path, wav) -> None:
    from .audio import save_audio
    save_audio(path, wav, overwrite=True)
    print(f"wrote {path} ({len(wav) / 16000:.2f} s)")


def encode(args, r) -> None:
    out = _free(Path(args.output), args.force)
    codes = r.encode(_load(args.input), speaker=args.speaker, name=args.input)
    out.write_text(codes.to_json() + "\n")
    b = codes.bitrate()
    print(f"wrote {out}: {len(codes.units)} units, {len(codes.f0_codes)} F0 codes, speaker {codes.speaker}; "
          f"{b['units']:.0f} + {b['f0']:.0f} + {b['speaker']:.1f} = {b['total']:.0f} bit/s")


def decode(args, r) -> None:
    from .pipeline import Codes
    out = _free(Path(args.output), args.force)
    path = Path(args.codes)
    if not path.exists():
        raise _Exit(EXIT_INPUT, f"{path}: no such file")
    codes = Codes.from_json(path.read_text(), name=str(path))
    _save(out, r.decode(codes, speaker=args.speaker, f0_shift=args.f0_shift, f0_flat=args.f0_flat))


def convert(args, r) -> None:
    out = _free(Path(args.output), args.force)
    r.check_speaker(args.to)
    _save(out, r.convert(_load(args.input), to=args.to, name=args.input, f0_shift=args.f0_shift,
                         f0_flat=args.f0_flat))


def demo(args, r) -> None:
    """A held-out utterance: resynthesised, converted to every other voice, pitch-shifted; WAVs, a figure, scores."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import pitch
    from .audio import log_mel
    from .data import load_corpus
    folder = Path(args.output)
    if folder.exists() and any(folder.iterdir()) and not args.force:
        raise _Exit(EXIT_EXISTS, f"{folder}: exists and is not empty; pass --force to replace its files")
    folder.mkdir(parents=True, exist_ok=True)
    from .speaker_judge import load_speaker_judge
    try:
        judge = load_speaker_judge()        # the evaluation's speaker judge (notebook 07), not the pipeline's own
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
        axes[i, 0].imshow(log_mel(w), origin="lower", aspect="auto", extent=[0, len(w) / 16000, 0, 80])
        axes[i, 0].set_ylabel(name.replace("_", " "), fontsize=8)
        axes[i, 1].plot(np.arange(len(f0)) * 0.005, np.where(f0 > 0, f0, np.nan), lw=1)
        axes[i, 1].set_ylim(50, 300)
        n = min(len(f0), len(f0_in))
        line = f"  {name}: median F0 {np.median(f0[f0 > 0]) if (f0 > 0).any() else 0:.0f} Hz"
        if not name.startswith("original"):
            line += f", speaker judge hears {judge.predict(w)}"
            if name.startswith("resynthesis"):
                line += f", FFE vs input {pitch.ffe(f0_in[:n], f0[:n]):.1%}"
        print(line)
    axes[0, 1].set_title("F0 (Hz)", fontsize=9)
    axes[0, 0].set_title("log-mel spectrogram (80 mel bands; time in s)", fontsize=9)
    fig.tight_layout()
    fig.savefig(folder / "demo.png", dpi=80)
    b = codes.bitrate()
    print(f"wrote {folder / 'demo.png'}; codes: {b['units']:.0f} + {b['f0']:.0f} + {b['speaker']:.1f} = "
          f"{b['total']:.0f} bit/s")


def speaker_centroids(args) -> None:
    from .data import load_corpus
    from .pipeline import CHECKPOINT_DIR
    from .vocoder_eval import SpeakerClassifier
    from .config import machine_info
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


def main(command: str, argv=None) -> int:
    """Run one pipeline command (``command`` is ``encode``, ``decode``, ``convert``, ``demo`` or ``speaker-centroids``)."""
    from .pipeline import PipelineError
    parser = argparse.ArgumentParser(prog=f"resynth {command}", description=__doc__.splitlines()[0])
    if command == "encode":
        parser.add_argument("input")
        parser.add_argument("-o", "--output", required=True)
        parser.add_argument("--speaker", help="the speaker's name (default: recognised from the audio)")
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
    if command == "demo":
        print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0

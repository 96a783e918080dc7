"""The ``resynth`` command: one entry point for the course's data, training, codec and evaluation.

    resynth corpus build [--out data/corpus] [--sentences N] [--force]   (needs flite)
    resynth corpus verify                                                (checksums)
    resynth corpus stats                                                 (minutes, phones)
    resynth course start [DIR] | build | check | strip                   (notebooks)
    resynth train beta-vae --beta 4 --out data/checkpoints/beta_vae_beta4.pt [--force]   (notebook 01b)
    resynth train info-gan --out data/checkpoints/info_gan.pt [--force]                  (notebook 01b)
    resynth train f0vq [--steps N] [--seed S] [--out data/checkpoints/f0_vqvae.pt] [--resume] [--force]   (notebook 04b)
    resynth train ssl [--kind hubert|cpc] [--steps N] [--seed S] [--device cpu] [--resume] [--force]   (notebook 02b)
    resynth train kmeans [--source ssl|mfcc] [--clusters 100] [--force]                   (notebook 03)
    resynth train dvector [--steps N] [--exclude SPEAKER] [--force]                      (notebook 05)
    resynth train vocoder [--steps N] [--channels C] [--source] [--device cpu] [--resume] [--force]   (notebook 06b; torchrun ok)
    resynth train acoustic [--steps N] [--threads T] [--resume] [--force]   (notebook 06c: codes -> log-mel + voicing)
    resynth train harmonic-noise [--steps N] [--threads T] [--resume] [--force]   (notebook 06d: neural waveform stage)
    resynth train unit-phones [--epochs N] [--force]       (notebook 06c: CTC on unit ids, the units' ceiling)
    resynth evaluate-vocoder [CHECKPOINT] [--split test]     (notebook 06b)
    resynth encode | decode | convert | demo | speaker-centroids   (notebook 07; see resynth_lib.cli.pipeline_commands)
    resynth train phones [--epochs N] [--force]                                          (notebook 07b)
    resynth train code-model [--force]                  (notebook 07: probabilities of the .rsc codes file)
    resynth train speaker-judge [--steps N] [--force]                                    (notebook 07b)
    resynth evaluate [--split test] [--limit N] [--force]     (notebook 07b: Tables 1 and 2, data/evaluation/)
    resynth probe-layers data/checkpoints/ssl_hubert.pt                                  (notebook 02b)
    resynth f0-stats [--split train] [--out data/f0_stats.json] [--force]                (notebook 04)

Every command is one row of :data:`COMMANDS`: its words, a help line and the
``module:function`` that runs it, imported only when that command runs (so ``resynth --help``
loads no torch). Each function takes the remaining arguments and parses its own options.
Taught in notebook 00 (``00_audio_and_data``).

Example
-------
>>> main(["corpus", "stats"])     # doctest: +ELLIPSIS
utterances: ...
0
"""
from __future__ import annotations

import argparse
import functools
import importlib
import sys

#: (words, help, "module:function [word]"): the function is called with the remaining argv, after
#: ``word`` when the row gives one (the codec commands share one function, as do the course commands)
COMMANDS: list[tuple[tuple[str, ...], str, str]] = [
    (("corpus", "build"), "generate the corpus with flite", "resynth_lib.data.corpus_build:main"),
    (("corpus", "verify"), "check every file against the manifest's SHA-256", "resynth_lib.data.corpus:verify_main"),
    (("corpus", "stats"), "print minutes per speaker, splits, phone inventory", "resynth_lib.data.corpus:stats_main"),
    (("course", "start"), "copy the student notebooks into your own workspace/ (or update it after git pull)",
     "resynth_lib.course.workspace:main"),
    (("course", "build"), "build student notebooks from solutions/ (--force to overwrite hand edits)",
     "resynth_lib.course.build:main build"),
    (("course", "check"), "check that notebooks/ matches solutions/ and holds no outputs",
     "resynth_lib.course.build:main check"),
    (("course", "strip"), "strip outputs from solutions/", "resynth_lib.course.build:main strip"),
    (("train", "beta-vae"), "the beta-VAE of notebook 01b (--beta B --out PATH)", "resynth_lib.concepts.beta_vae:main"),
    (("train", "info-gan"), "the InfoGAN of notebook 01b (--out PATH)", "resynth_lib.concepts.info_gan:main"),
    (("train", "ssl"), "the CPC- or HuBERT-style speech model of notebook 02b (--kind hubert|cpc)",
     "resynth_lib.content.ssl_train:main"),
    (("train", "kmeans"), "the unit quantiser of notebook 03 (--source ssl|mfcc --clusters K)",
     "resynth_lib.content.units:main"),
    (("train", "f0vq"), "the F0 VQ-VAE of notebook 04b (--steps N --seed S --out PATH)",
     "resynth_lib.pitch.f0_vqvae_train:main"),
    (("train", "dvector"), "the d-vector speaker encoder of notebook 05 (GE2E)", "resynth_lib.speaker.dvector_train:main"),
    (("train", "vocoder"), "the HiFi-GAN vocoder of notebook 06b (runs under torchrun too)",
     "resynth_lib.decoder.hifigan_train:main"),
    (("train", "acoustic"), "the frame-rate acoustic model of notebook 06c (codes -> log-mel + voicing)",
     "resynth_lib.decoder.acoustic_train:main"),
    (("train", "harmonic-noise"), "the harmonic-plus-noise waveform stage of notebook 06d",
     "resynth_lib.decoder.harmonic_noise:main"),
    (("train", "unit-phones"), "a CTC phone recogniser on unit ids: what the units allow (06c)",
     "resynth_lib.evaluation.unit_recogniser:main"),
    (("train", "code-model"), "the arithmetic coder's probabilities for binary codes files (notebook 07)",
     "resynth_lib.pipeline.codes_file:main"),
    (("train", "phones"), "the CTC phone recogniser of the evaluation (notebook 07b)",
     "resynth_lib.evaluation.phone_recogniser:main"),
    (("train", "speaker-judge"), "the speaker classifier of the evaluation (notebook 07b)",
     "resynth_lib.evaluation.speaker_judge:main"),
    (("encode",), "speech -> codes.json: units, F0 codes, speaker (notebook 07)",
     "resynth_lib.cli.pipeline_commands:main encode"),
    (("decode",), "codes.json -> speech, as any speaker, pitch shifted or flat (notebook 07)",
     "resynth_lib.cli.pipeline_commands:main decode"),
    (("convert",), "speech -> speech in another voice (notebook 07)", "resynth_lib.cli.pipeline_commands:main convert"),
    (("demo",), "resynthesise, convert and pitch-shift a held-out utterance; WAVs + figure",
     "resynth_lib.cli.pipeline_commands:main demo"),
    (("speaker-centroids",), "d-vector centroids of the training split (used by encode)",
     "resynth_lib.cli.pipeline_commands:main speaker-centroids"),
    (("evaluate-vocoder",), "resynthesis scores of a vocoder checkpoint: F0 errors, speaker accuracy, log-mel "
     "distance (notebook 06b)", "resynth_lib.evaluation.vocoder_scores:main"),
    (("evaluate",), "the paper's Tables 1 and 2 at small scale: PER, speaker accuracy / EER, F0 errors, bitrate, "
     "conversion, F0 leakage (notebook 07b)", "resynth_lib.evaluation.evaluate:main"),
    (("probe-layers",), "choose an SSL model's layer by linear probes on the validation split",
     "resynth_lib.content.probe:main"),
    (("f0-stats",), "per-speaker F0 statistics of the corpus with the course tracker (notebook 04)",
     "resynth_lib.pitch.normalise:main"),
]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="resynth", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    groups: dict[str, argparse._SubParsersAction] = {}
    top = parser.add_subparsers(dest="w0", required=True, metavar="COMMAND")
    for words, text, _ in COMMANDS:
        if len(words) == 1:
            top.add_parser(words[0], help=text, add_help=False)
            continue
        if words[0] not in groups:
            group = top.add_parser(words[0], help=f"{words[0]} ... ({len([c for c in COMMANDS if c[0][0] == words[0]])} "
                                   "sub-commands)")
            groups[words[0]] = group.add_subparsers(dest="w1", required=True, metavar="ACTION")
        groups[words[0]].add_parser(words[1], help=text, add_help=False)
    return parser


def resolve(words: tuple[str, ...]):
    """The function that runs command ``words`` (imported now); ``KeyError`` for an unknown command.

    Each row of :data:`COMMANDS` names its function as ``"module:function"``; only the
    command that runs gets imported. Introduced in notebook 00 (``00_audio_and_data``).

    Example
    -------
    >>> resolve(("course", "build")).__name__     # course.build.main, called with ["build", ...]
    'main'
    >>> from resynth_lib.evaluation import evaluate
    >>> resolve(("evaluate",)) is evaluate.main
    True
    """
    for w, _, target in COMMANDS:
        if w == tuple(words):
            module, function = target.split(":")
            function, *first = function.split(" ")
            fn = getattr(importlib.import_module(module), function)
            if not first:
                return fn
            return functools.wraps(fn)(lambda argv=None: fn([*first, *(argv or [])]))
    raise KeyError(f"no command {' '.join(words)!r}")


def main(argv: list[str] | None = None) -> int:
    """Run ``resynth ARGV...``; returns the exit code.

    The leading words choose the command (:func:`resolve`); the rest of ``argv`` goes to
    that command, which parses its own options. ``argv=None`` reads ``sys.argv``: this is
    the ``resynth`` program installed by ``pip install -e .``. Introduced in notebook 00
    (``00_audio_and_data``); the pipeline commands are taught in notebook 07.

    Example
    -------
    >>> main(["corpus", "stats"])            # prints the corpus summary, returns the exit code
    utterances: ...
    0
    >>> main(["no-such-command"])            # argparse explains on stderr and exits with 2
    Traceback (most recent call last):
        ...
    SystemExit: 2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    args, rest = _parser().parse_known_args(argv)
    words = (args.w0,) if getattr(args, "w1", None) is None else (args.w0, args.w1)
    code = resolve(words)(rest)
    return 0 if code is None else int(code)


if __name__ == "__main__":
    sys.exit(main())

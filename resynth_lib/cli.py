"""The ``resynth`` command: one entry point for the course's data and build steps.

    resynth corpus build [--out data/corpus] [--sentences N] [--force]   (needs flite)
    resynth corpus verify                                                (checksums)
    resynth corpus stats                                                 (minutes, phones)
    resynth course build | check | strip                                 (notebooks)
    resynth train beta-vae --beta 4 --out data/checkpoints/beta_vae_beta4.pt [--force]   (notebook 01)
    resynth train f0vq [--steps N] [--seed S] [--out data/checkpoints/f0_vqvae.pt] [--resume] [--force]   (notebook 04)
    resynth train ssl [--kind hubert|cpc] [--steps N] [--seed S] [--device cpu] [--resume] [--force]   (notebook 02)
    resynth train kmeans [--source ssl|mfcc] [--clusters 100] [--force]                   (notebook 03)
    resynth train dvector [--steps N] [--exclude SPEAKER] [--force]                      (notebook 05)
    resynth train vocoder [--steps N] [--channels C] [--source] [--device cpu] [--resume] [--force]   (notebook 06; torchrun ok)
    resynth train acoustic [--steps N] [--threads T] [--resume] [--force]   (notebook 06b: codes -> log-mel + voicing)
    resynth train harmonic-noise [--steps N] [--threads T] [--resume] [--force]   (notebook 06b: neural waveform stage)
    resynth train unit-phones [--epochs N] [--force]       (notebook 06b: CTC on unit ids, the units' ceiling)
    resynth evaluate-vocoder [CHECKPOINT] [--split test]     (notebook 06)
    resynth encode | decode | convert | demo | speaker-centroids   (notebook 07; see resynth_lib.pipeline_cli)
    resynth train phones [--epochs N] [--force]                                          (notebook 07)
    resynth train speaker-judge [--steps N] [--force]                                    (notebook 07)
    resynth evaluate [--split test] [--limit N] [--force]     (notebook 07: Tables 1 and 2, data/evaluation/)
    resynth probe-layers data/checkpoints/ssl_hubert.pt                                  (notebook 02)
    resynth f0-stats [--split train] [--out data/f0_stats.json] [--force]                (notebook 04)

Later notebooks add more ``resynth train ...`` sub-commands. Taught in notebook 00.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter


def corpus_stats(root=None) -> dict:
    """Minutes per speaker and split, sentence and phone counts of a corpus."""
    from .data import SPLITS, load_corpus
    corpus = load_corpus(root)
    return {
        "utterances": len(corpus),
        "sentences": len({u.sentence_id for u in corpus}),
        "minutes_total": corpus.total_duration() / 60,
        "minutes_per_speaker": {s: corpus.total_duration(speaker=s) / 60 for s in corpus.speakers},
        "utterances_per_split": {s: len(corpus.utterances(split=s)) for s in SPLITS},
        "phone_inventory": corpus.phone_inventory,
        "phone_tokens": sum(Counter(seg.phone for u in corpus for seg in u.phones).values()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="resynth", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="group", required=True)

    corpus = sub.add_parser("corpus", help="build, verify or describe the shipped corpus")
    corpus_sub = corpus.add_subparsers(dest="action", required=True)
    corpus_sub.add_parser("build", help="generate the corpus with flite", add_help=False)
    verify = corpus_sub.add_parser("verify", help="check every file against the manifest's SHA-256")
    verify.add_argument("--root", default=None)
    stats = corpus_sub.add_parser("stats", help="print minutes per speaker, splits, phone inventory")
    stats.add_argument("--root", default=None)

    course = sub.add_parser("course", help="build student notebooks from solutions/")
    course.add_argument("action", choices=["build", "check", "strip"])

    train = sub.add_parser("train", help="train a model and write its checkpoint with a training record")
    train_sub = train.add_subparsers(dest="model", required=True)
    train_sub.add_parser("beta-vae", help="the beta-VAE of notebook 01 (--beta B --out PATH)", add_help=False)
    train_sub.add_parser("ssl", help="the CPC- or HuBERT-style speech model of notebook 02 (--kind hubert|cpc)",
                         add_help=False)
    train_sub.add_parser("kmeans", help="the unit quantiser of notebook 03 (--source ssl|mfcc --clusters K)",
                         add_help=False)
    train_sub.add_parser("dvector", help="the d-vector speaker encoder of notebook 05 (GE2E)", add_help=False)
    train_sub.add_parser("vocoder", help="the HiFi-GAN vocoder of notebook 06 (runs under torchrun too)",
                         add_help=False)
    train_sub.add_parser("acoustic", help="the frame-rate acoustic model of notebook 06b (codes -> log-mel + "
                         "voicing)", add_help=False)
    train_sub.add_parser("harmonic-noise", help="the harmonic-plus-noise waveform stage of notebook 06b",
                         add_help=False)
    train_sub.add_parser("unit-phones", help="a CTC phone recogniser on unit ids: what the units allow (06b)",
                         add_help=False)
    train_sub.add_parser("phones", help="the CTC phone recogniser of the evaluation (notebook 07)", add_help=False)
    train_sub.add_parser("speaker-judge", help="the speaker classifier of the evaluation (notebook 07)",
                         add_help=False)
    train_sub.add_parser("f0vq", help="the F0 VQ-VAE of notebook 04 (--steps N --seed S --out PATH)", add_help=False)

    for name, text in [("encode", "speech -> codes.json: units, F0 codes, speaker (notebook 07)"),
                       ("decode", "codes.json -> speech, as any speaker, pitch shifted or flat (notebook 07)"),
                       ("convert", "speech -> speech in another voice (notebook 07)"),
                       ("demo", "resynthesise, convert and pitch-shift a held-out utterance; WAVs + figure"),
                       ("speaker-centroids", "d-vector centroids of the training split (used by encode)")]:
        sub.add_parser(name, help=text, add_help=False)
    sub.add_parser("evaluate-vocoder", help="resynthesis scores of a vocoder checkpoint: F0 errors, speaker "
                   "accuracy, log-mel distance (notebook 06)", add_help=False)
    sub.add_parser("evaluate", help="the paper's Tables 1 and 2 at small scale: PER, speaker accuracy / EER, "
                   "F0 errors, bitrate, conversion, F0 leakage (notebook 07)", add_help=False)
    sub.add_parser("probe-layers", help="choose an SSL model's layer by linear probes on the validation split",
                   add_help=False)
    f0 = sub.add_parser("f0-stats", help="per-speaker F0 statistics of the corpus with the course tracker (notebook 04)")
    f0.add_argument("--split", default="train", choices=["train", "valid", "test"])
    f0.add_argument("--out", default="data/f0_stats.json")
    f0.add_argument("--force", action="store_true", help="replace an existing output file")
    f0.add_argument("--root", default=None, help="corpus directory (default: the shipped corpus)")

    args, rest = parser.parse_known_args(argv)
    if args.group == "train" and args.model == "beta-vae":
        from .disentangle import main as beta_vae_main
        beta_vae_main(rest)
        return 0
    if args.group == "train" and args.model == "ssl":
        from .ssl import main as ssl_main
        return ssl_main(rest)
    if args.group == "train" and args.model == "kmeans":
        from .units import main as kmeans_main
        return kmeans_main(rest)
    if args.group == "train" and args.model == "dvector":
        from .speaker import main as dvector_main
        return dvector_main(rest)
    if args.group == "train" and args.model == "vocoder":
        from .vocoder_train import main as vocoder_main
        return vocoder_main(rest)
    if args.group == "train" and args.model == "acoustic":
        from .acoustic_train import main as acoustic_main
        return acoustic_main(rest)
    if args.group == "train" and args.model == "harmonic-noise":
        from .harmonic_noise import main as hn_main
        return hn_main(rest)
    if args.group == "train" and args.model == "unit-phones":
        from .unit_recogniser import main as unit_phones_main
        return unit_phones_main(rest)
    if args.group == "train" and args.model == "phones":
        from .phone_recogniser import main as phones_main
        return phones_main(rest)
    if args.group == "train" and args.model == "speaker-judge":
        from .speaker_judge import main as judge_main
        return judge_main(rest)
    if args.group == "train" and args.model == "f0vq":
        from .vqvae import main as f0vq_main
        f0vq_main(rest)
        return 0
    if args.group in ("encode", "decode", "convert", "demo", "speaker-centroids"):
        from .pipeline_cli import main as pipeline_main
        return pipeline_main(args.group, rest)
    if args.group == "evaluate-vocoder":
        from .vocoder_eval import main as evaluate_vocoder_main
        return evaluate_vocoder_main(rest)
    if args.group == "evaluate":
        from .evaluate import main as evaluate_main
        return evaluate_main(rest)
    if args.group == "probe-layers":
        from .probe import main as probe_main
        return probe_main(rest)
    if args.group == "corpus" and args.action == "build":
        from .corpus_build import main as build_main
        return build_main(rest)
    if rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    if args.group == "corpus" and args.action == "verify":
        from .data import load_corpus
        c = load_corpus(args.root)
        c.verify(progress=True)
        print(f"all {len(c)} files match the manifest")
        return 0
    if args.group == "corpus" and args.action == "stats":
        info = corpus_stats(args.root)
        for key, value in info.items():
            print(f"{key}: {value}")
        return 0
    if args.group == "f0-stats":
        from pathlib import Path

        from .data import load_corpus
        from .pitch import f0_stats, save_f0_stats
        if Path(args.out).exists() and not args.force:
            parser.error(f"{args.out} exists; pass --force to replace it")
        stats = f0_stats(load_corpus(args.root), split=args.split, progress=True)
        save_f0_stats(args.out, stats, force=args.force, split=args.split)
        for speaker, s in stats.items():
            print(f"{speaker}: mean {s['mean']:.1f} Hz, std {s['std']:.1f} Hz, log-F0 {s['log_mean']:.3f} "
                  f"+- {s['log_std']:.3f}, {s['n_voiced_frames']} voiced frames")
        print(f"wrote {args.out}")
        return 0
    if args.group == "course":
        from .course import main as course_main
        return course_main([args.action])
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Do better units give better speech?  Resynthesis of the test split with each unit system's acoustic model.

    OMP_NUM_THREADS=1 python benchmarks/units_resynthesis.py [--acoustic K=PATH ...] [--split valid]

Each system is the course's default pipeline (acoustic model + harmonic-noise stage), with
the units of ``units_ssl_k<K>.npz`` and an acoustic model trained on them (``resynth train
acoustic --clusters K``): by default K=100 (``acoustic_k100.pt``, the default until the K=500
units) and K=500 (the shipped ``acoustic.pt``). Table 1's resynthesis columns with the shipped
judges (PER, speaker accuracy, FFE, STOI, PESQ) on all test utterances (``--split valid``:
the validation split, to choose between training settings without looking at the test split).
Writes ``benchmarks/results/units_resynthesis.md``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from resynth_lib.content.units import load_quantiser  # noqa: E402
from resynth_lib.data.corpus import load_corpus  # noqa: E402
from resynth_lib.decoder.acoustic import load_acoustic_model  # noqa: E402
from resynth_lib.decoder.decoders import FrameRateDecoder  # noqa: E402
from resynth_lib.decoder.harmonic_noise import load_harmonic_noise  # noqa: E402
from resynth_lib.evaluation.phone_recogniser import load_phone_recogniser  # noqa: E402
from resynth_lib.evaluation.speaker_judge import load_speaker_judge  # noqa: E402
from resynth_lib.evaluation.tables import resynthesis_table  # noqa: E402
from resynth_lib.pipeline.resynthesiser import Resynthesiser  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acoustic", nargs="*", default=["100=data/checkpoints/acoustic_k100.pt",
                                                          "500=data/checkpoints/acoustic.pt"],
                        help="K=PATH of acoustic models trained on K units")
    parser.add_argument("--split", default="test", choices=("valid", "test"))
    parser.add_argument("--vocoder", default=None, help="harmonic-noise checkpoint (default: the shipped one)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "units_resynthesis.md"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    systems = {}
    for spec in args.acoustic:
        K, path = spec.split("=", 1)
        r = Resynthesiser()
        r.quantiser = load_quantiser(source="ssl", n_units=int(K))
        stage = load_harmonic_noise(ROOT / args.vocoder) if args.vocoder else None
        r.decoder = FrameRateDecoder("harmonic-noise", acoustic=load_acoustic_model(ROOT / path), stage_model=stage)
        record = json.loads((ROOT / path).with_suffix(".json").read_text())
        systems[f"K={K} units, acoustic model + harmonic-noise ({record['command']})"] = r
    utts = load_corpus().utterances(split=args.split)
    rows = resynthesis_table(utts, systems, load_phone_recogniser(), load_speaker_judge())
    gt = rows[0]["per"]
    cols = [("PER", lambda r: f"{r['per']:.1%}"), ("PER / ground truth", lambda r: f"{r['per'] / gt:.2f}"),
            ("speaker acc.", lambda r: f"{r['speaker_accuracy']:.1%}"), ("FFE", lambda r: f"{r['ffe']:.1%}"),
            ("STOI", lambda r: f"{r['stoi']:.3f}"), ("PESQ", lambda r: f"{r['pesq']:.2f}")]
    lines = ["# Better units, better speech? (`OMP_NUM_THREADS=1 python benchmarks/units_resynthesis.py`)", "",
             f"All {len(utts)} {args.split} utterances, shipped judges, {time.perf_counter() - t0:.0f} s.", "",
             "| system | " + " | ".join(c for c, _ in cols) + " |", "|---|" + "---|" * len(cols)]
    lines += [f"| {r['system']} | " + " | ".join(f(r) for _, f in cols) + " |" for r in rows]
    Path(args.out).write_text("\n".join(lines) + "\n")
    Path(args.out).with_suffix(".json").write_text(json.dumps(rows, indent=1, default=float) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

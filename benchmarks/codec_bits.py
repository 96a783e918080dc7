"""Real bits: the test split written as binary codes files, bitrate = bytes on disk x 8 / seconds.

    OMP_NUM_THREADS=1 python benchmarks/codec_bits.py [--split test]

Encodes every utterance of the split with the shipped models (known speaker, as `resynth
evaluate` does), writes each as the `.rsc` file of `resynth encode -o codes.rsc` (arithmetic
coding with the probabilities of data/checkpoints/code_model.npz, fitted on the training
split), checks that every file decodes to exactly the same codes, and compares the size on
disk with the fixed-rate and entropy estimates of the shipped evaluation
(data/evaluation/evaluation_test.json). Writes benchmarks/results/codec_bits.md.
"""
import argparse
import json
import platform
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from resynth_lib.pipeline.codes_file import CodeModel, split_codes  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--split", default="test", choices=["train", "valid", "test"])
parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "codec_bits.md"))
args = parser.parse_args()

model = CodeModel.load()
codes = split_codes(args.split)
seconds = sum(c.seconds for c in codes)
with tempfile.TemporaryDirectory() as tmp:
    sizes = []
    for i, c in enumerate(codes):
        path = Path(tmp) / f"{i:03d}.rsc"
        path.write_bytes(model.encode(c))
        sizes.append(path.stat().st_size)
        assert model.decode(path.read_bytes()) == c, f"utterance {i} does not round-trip"
on_disk = 8 * sum(sizes) / seconds
parts = {k: sum(model.bits(c)[k] for c in codes) / seconds for k in ("units", "lengths", "f0", "header")}
shipped = json.loads((ROOT / "data" / "evaluation" / "evaluation_test.json").read_text())
ssl = next(row for row in shipped["table1"] if row.get("bitrate_run_length"))
lines = [
    f"# Real bits: the {args.split} split as binary codes files (`python benchmarks/codec_bits.py`)", "",
    f"{date.today()}, {platform.processor() or platform.machine()}, Python {platform.python_version()}. "
    f"{len(codes)} utterances, {seconds:.1f} s of speech, {sum(sizes)} bytes on disk; every file decodes to exactly "
    f"its codes. Probabilities: `data/checkpoints/code_model.npz`, fitted on the {model.record['fitted_on']} "
    f"({model.record['utterances']} utterances), blend chosen on the {model.record['blend_chosen_on']}.", "",
    "| part of the files | bit/s |", "|---|---|",
    f"| unit of each run, given the previous run's unit | {parts['units']:.1f} |",
    f"| length of each run (1-16 frames), given its unit | {parts['lengths']:.1f} |",
    f"| F0 codes, each given the previous one | {parts['f0']:.1f} |",
    f"| format byte, speaker, unseen-voice flag, frame count, checksum | {parts['header']:.1f} |",
    f"| sum of the ideal code lengths | {sum(parts.values()):.1f} |",
    f"| **bytes on disk x 8 / seconds** | **{on_disk:.1f}** |", "",
    "The estimates of the shipped evaluation for the same system (symbol-by-symbol histograms fitted on the valid "
    f"split, no context): fixed rate {ssl['bitrate']:.1f}, entropy-coded {ssl['bitrate_coded']:.1f}, run-length + "
    f"entropy-coded {ssl['bitrate_run_length']:.1f} bit/s. The paper's codec: 365 bit/s.",
]
Path(args.out).write_text("\n".join(lines) + "\n")
print("\n".join(lines))

"""Benchmark: how fast the course's vocoders decode on one CPU thread (notebook 06, ``06_hifigan_vocoder``).

For each shipped vocoder checkpoint in ``data/checkpoints/vocoder*.pt`` and for untrained
generators of other widths (speed depends on the architecture, not the weights), it
decodes random codes of ``--seconds`` of audio ``--repeats`` times after one warm-up and
reports the median real-time factor (seconds of audio per second of compute) with the
fastest and slowest run. One torch thread (``OMP_NUM_THREADS=1`` set before torch loads),
so the figure is what one laptop core gives. The issue's goal: faster than 10x real time.

    python benchmarks/vocoder_speed.py [--seconds 4] [--repeats 7] [--widths 32 64 128]
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"                                   # before numpy / torch are imported

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from resynth_lib.core.config import machine_info  # noqa: E402
from resynth_lib.decoder.hifigan import CHECKPOINT_DIR, Vocoder, load_vocoder  # noqa: E402
from resynth_lib.evaluation.vocoder_scores import real_time_factor  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--widths", type=int, nargs="*", default=[32, 64, 128])
    parser.add_argument("--out", default="benchmarks/results/vocoder_speed.md")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for path in sorted(CHECKPOINT_DIR.glob("vocoder*.pt")):
        voc = load_vocoder(path)
        rows.append((f"`{path.name}` (shipped)", voc))
    for width in args.widths:
        for source in (False, True):
            rows.append((f"untrained, width {width}{', harmonic source' if source else ''}",
                         Vocoder(channels=width, source=source).eval()))
    lines = ["| vocoder | width | source | parameters (generator) | x real time, median | fastest | slowest |",
             "|---|---|---|---|---|---|---|"]
    results = []
    for name, voc in rows:
        r = real_time_factor(voc, seconds=args.seconds, repeats=args.repeats, threads=1)
        audio = r["audio_seconds"]
        params = sum(p.numel() for p in voc.generator.parameters())
        lines.append(f"| {name} | {voc.config['channels']} | {'yes' if voc.config.get('source') else 'no'} | "
                     f"{params / 1e6:.2f} M | {r['x_real_time']:.1f} | {audio / min(r['runs_s']):.1f} | "
                     f"{audio / max(r['runs_s']):.1f} |")
        results.append({"name": name, **voc.config, "generator_parameters": params, **r})
        print(lines[-1], flush=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = (f"# Vocoder decoding speed, one CPU thread\n\n`python benchmarks/vocoder_speed.py` on {stamp}: "
            f"{args.seconds:g} s of audio per run, median of {args.repeats} runs after a warm-up.\n\n"
            f"Machine: `{json.dumps(machine_info())}`\n\n" + "\n".join(lines) + "\n")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

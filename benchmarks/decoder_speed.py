"""Benchmark: speed and peak memory of every decoder on one CPU thread (notebook 06d, ``06d_harmonic_noise_and_choice``).

Speed: the codes of a held-out test utterance (tiled to ``--seconds``) are decoded
``--repeats`` times after one warm-up by each decoder of :data:`resynth_lib.decoder.decoders.DECODERS`;
the median real-time factor (seconds of audio per second of compute) is reported with the
fastest and slowest run, all in the same process and run, so ratios between decoders are
fair even on a busy machine. Goal: at least 10x real time on one thread.

Memory: a fresh process per decoder decodes ``--long-minutes`` of codes (the test split's
codes tiled) and reports its peak resident memory (``ru_maxrss``) and, for comparison, the
peak of a process that only loads the models. Goal: a 10-minute file under 1 GB.

    python benchmarks/decoder_speed.py [--seconds 4] [--repeats 7] [--long-minutes 10]
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"                                   # before numpy / torch are imported

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def tiled_item(r, seconds: float) -> dict:
    """The codes of test utterances, concatenated and tiled to ``seconds``, as a decoder item."""
    from resynth_lib.data.corpus import load_corpus
    utts = load_corpus().utterances(split="test")[:8]
    codes = [r.encode(u.waveform(), speaker="awb", name=u.utt_id) for u in utts]
    units = np.concatenate([np.asarray(c.units[:len(c.units) // 4 * 4]) for c in codes])
    f0c = np.concatenate([np.asarray(c.f0_codes[:len(c.units) // 4]) for c in codes])
    T = int(seconds * 50) // 4 * 4
    reps = -(-T // len(units))
    units, f0c = np.tile(units, reps)[:T], np.tile(f0c, reps)[:T // 4]
    from resynth_lib.pipeline.resynthesiser import Codes
    c = Codes(units, f0c, "awb")
    return {"units": units, "f0_codes": f0c, "speaker": 0, "f0_hz": r.decoded_f0(c)}


def memory_child(decoder: str, minutes: float, load_only: bool) -> None:
    import resource

    import torch
    torch.set_num_threads(1)
    from resynth_lib.pipeline.resynthesiser import Resynthesiser
    r = Resynthesiser(decoder=decoder, verify=False)
    item = tiled_item(r, 60 * minutes)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    n = 0 if load_only else len(r.decoder(item))
    print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "peak_before_decoding_mb": before, "samples": n, "seconds": time.perf_counter() - t0}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--long-minutes", type=float, default=10.0)
    parser.add_argument("--decoders", nargs="*", default=None)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return memory_child(args.child[0], float(args.child[1]), args.child[2] == "load")
    import torch
    torch.set_num_threads(1)
    from resynth_lib.core.config import machine_info
    from resynth_lib.decoder.decoders import DECODERS
    from resynth_lib.pipeline.resynthesiser import Resynthesiser
    decoders = args.decoders or list(DECODERS)
    speed = {}
    for name in decoders:
        r = Resynthesiser(decoder=name, verify=False)
        item = tiled_item(r, args.seconds)
        r.decoder(item)                                            # warm-up
        runs = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            wav = r.decoder(item)
            runs.append(time.perf_counter() - t0)
        audio = len(wav) / 16000
        speed[name] = {"x_real_time_median": audio / float(np.median(runs)), "fastest": audio / min(runs),
                       "slowest": audio / max(runs), "audio_seconds": audio, "runs_s": runs}
        print(name, f"{speed[name]['x_real_time_median']:.1f}x real time", flush=True)
    memory = {}
    for name in decoders:
        res = {}
        for mode in ("load", "decode"):
            out = subprocess.run([sys.executable, __file__, "--child", name, str(args.long_minutes), mode],
                                 capture_output=True, text=True, check=True).stdout
            res[mode] = json.loads(out.strip().splitlines()[-1])
        memory[name] = {"peak_mb_decoding": res["decode"]["peak_mb"], "peak_mb_models_loaded": res["load"]["peak_mb"],
                        "decode_seconds": res["decode"]["seconds"], "audio_minutes": res["decode"]["samples"] / 16000 / 60}
        print(name, f"peak {memory[name]['peak_mb_decoding']:.0f} MB for {args.long_minutes} min", flush=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# Decoder speed and memory, one CPU thread", "",
             f"`python benchmarks/decoder_speed.py` on {stamp}; {args.repeats} runs of {args.seconds:g} s of codes "
             "after a warm-up, same process; peak memory of a fresh process decoding "
             f"{args.long_minutes:g} minutes of codes.", "",
             "| decoder | x real time, median | fastest | slowest | peak memory, 10 min (MB) | "
             "peak with models loaded only (MB) |", "|---|---|---|---|---|---|"]
    for name in decoders:
        s, m = speed[name], memory[name]
        lines.append(f"| {name} | {s['x_real_time_median']:.1f} | {s['fastest']:.1f} | {s['slowest']:.1f} | "
                     f"{m['peak_mb_decoding']:.0f} | {m['peak_mb_models_loaded']:.0f} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "decoder_speed.md").write_text("\n".join(lines) + "\n")
    (RESULTS / "decoder_speed.json").write_text(json.dumps(
        {"date": stamp, "seconds": args.seconds, "repeats": args.repeats, "long_minutes": args.long_minutes,
         "speed": speed, "memory": memory, "machine": machine_info(),
         "load_average_at_end": os.getloadavg()}, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""Peak memory of `resynth encode` and `resynth decode` on 1, 10 and 60 minutes of speech.

    python benchmarks/long_input_memory.py [--minutes 1 10 60]

Long files are analysed and decoded in overlapping pieces (resynth_lib.core.chunking and
the decoders' crossfaded chunks), so memory should grow only with what has to hold the
whole file: the waveform itself (60 min at 16 kHz in float32 is 230 MB) and the code
streams. Each command runs as a new user runs it, in a fresh process, on a WAV made by
concatenating test-split utterances; peak resident memory comes from the kernel's
accounting for that process alone. Writes benchmarks/results/long_input_memory.md.
Timed here, not in the tests: the machine is shared.
"""
import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from resynth_lib.core.rates import SAMPLE_RATE  # noqa: E402
from resynth_lib.data.corpus import load_corpus  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--minutes", type=float, nargs="+", default=[1, 10, 60])
parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "long_input_memory.md"))
args = parser.parse_args()

# Peak RSS of one child process, measured by a wrapper whose only child it is.
WRAPPER = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, rc)")
resynth = [sys.executable, "-m", "resynth_lib"]


def measure(cmd):
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak, rc = proc.stdout.strip().splitlines()[-1].split()
    if rc != "0":
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return int(peak), seconds


utterances = [u.waveform() for u in load_corpus().utterances(split="test")]
rows = []
with tempfile.TemporaryDirectory() as tmp:
    for minutes in args.minutes:
        n = int(minutes * 60 * SAMPLE_RATE)
        reps = -(-n // sum(len(u) for u in utterances))
        wav = np.concatenate(utterances * reps)[:n]
        path = Path(tmp) / f"long_{minutes:g}min.wav"
        sf.write(path, wav, SAMPLE_RATE, subtype="PCM_16")
        del wav
        codes, out = path.with_suffix(".json"), path.with_name(path.stem + "_decoded.wav")
        enc_mb, enc_s = measure([*resynth, "encode", str(path), "-o", str(codes)])
        dec_mb, dec_s = measure([*resynth, "decode", str(codes), "-o", str(out)])
        decoded = sf.info(str(out)).duration
        rows.append(f"| {minutes:g} | {enc_mb} | {enc_s:.0f} | {dec_mb} | {dec_s:.0f} | {decoded / 60:.2f} |")
        print(rows[-1], flush=True)
        for p in (path, codes, out):
            p.unlink()

load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
lines = [
    "# Peak memory on long inputs (`python benchmarks/long_input_memory.py`)", "",
    f"{date.today()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
    f"{platform.python_version()}; load average {load:.1f} at the end (the machine was "
    f"{'busy' if load > 1.5 else 'about idle'}). Default decoder; each command in a fresh process, as a user runs it.",
    "",
    "| audio (min) | `resynth encode` peak (MB) | encode (s) | `resynth decode` peak (MB) | decode (s) | decoded (min) |",
    "|---|---|---|---|---|---|", *rows, "",
    "The models alone take about 500 MB (`benchmarks/results/decoder_speed.md`). Analysis and synthesis work on "
    "bounded pieces, but memory still grows with the length: the waveform itself (a minute of 16 kHz float32 is "
    "3.8 MB), the decoded output and the cross-fade weights are held whole, and freed pieces are not always returned "
    "to the system. Streaming the audio from and to disk piece by piece would remove that.",
]
Path(args.out).write_text("\n".join(lines) + "\n")
print(f"wrote {args.out}")

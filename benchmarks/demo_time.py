"""How long does `resynth demo` take for a new user? Wall time of the whole command, fresh process each run.

    python benchmarks/demo_time.py [--runs 3]

The issue's goal is under 60 s on the course machine (2 CPU cores). Prints each run and the
median, and writes benchmarks/results/demo_time.md. Timed here, not in the tests: the
machine is shared and timings are noisy.
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--runs", type=int, default=3)
args = parser.parse_args()
times = []
for i in range(args.runs):
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "resynth_lib", "demo", "-o", f"{tmp}/demo"], check=True,
                       capture_output=True)
        times.append(time.perf_counter() - t0)
    print(f"run {i + 1}: {times[-1]:.1f} s")
median = statistics.median(times)
print(f"median {median:.1f} s over {args.runs} runs (goal < 60 s)")
out = Path(__file__).parent / "results" / "demo_time.md"
out.write_text("# `resynth demo` wall time (fresh process, python -m resynth_lib demo)\n\n"
               + "\n".join(f"- run {i + 1}: {t:.1f} s" for i, t in enumerate(times))
               + f"\n- **median {median:.1f} s** (goal < 60 s)\n")
print(f"wrote {out}")

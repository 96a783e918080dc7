"""How fast does the `resynth` command start? `resynth --help` and `import resynth_lib` in fresh processes.

    python benchmarks/cli_startup.py [--runs 5]

The library-restructure goal: `resynth --help` under 0.5 s on an idle machine, and importing the
package loads no torch. Also times `import torch` alone in the same run, so the ratio shows what
lazy loading saves on whatever machine this runs on. Medians of ``--runs`` fresh processes;
writes benchmarks/results/cli_startup.md. Timed here, not in the tests: the machine is shared.
"""
import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--runs", type=int, default=5)
args = parser.parse_args()
resynth = shutil.which("resynth") or str(Path(sys.executable).parent / "resynth")
cases = {
    "resynth --help": [resynth, "--help"],
    "python -m resynth_lib --help": [sys.executable, "-m", "resynth_lib", "--help"],
    "python -c 'import resynth_lib'": [sys.executable, "-c", "import resynth_lib"],
    "python -c 'import torch' (for scale)": [sys.executable, "-c", "import torch"],
}
medians = {}
for name, cmd in cases.items():
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    medians[name] = statistics.median(times)
    print(f"{name}: median {medians[name]:.3f} s ({', '.join(f'{t:.3f}' for t in times)})")
probe = subprocess.run([sys.executable, "-c", "import resynth_lib, sys; resynth_lib.check; "
                        "print('torch' in sys.modules, sum(m.startswith('resynth_lib') for m in sys.modules))"],
                       check=True, capture_output=True, text=True).stdout.split()
load = os.getloadavg()[0]
lines = [f"# `resynth` start-up (median of {args.runs} fresh processes)", "",
         f"{date.today()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
         f"1-minute load average {load:.2f} at the end ({'idle' if load < 0.5 else 'busy'})", "",
         "| command | median (s) |", "|---|---|"]
lines += [f"| `{name}` | {t:.3f} |" for name, t in medians.items()]
lines += ["", f"- goal: `resynth --help` under 0.5 s: **{'met' if medians['resynth --help'] < 0.5 else 'missed'}**",
          f"- `import resynth_lib` then `resynth_lib.check`: torch loaded = {probe[0]}, "
          f"resynth_lib modules loaded = {probe[1]}"]
out = Path(__file__).parent / "results" / "cli_startup.md"
out.write_text("\n".join(lines) + "\n")
print(f"wrote {out}")

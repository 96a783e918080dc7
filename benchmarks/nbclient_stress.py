"""Do the notebooks stall when executed headless? nbclient runs, widget cells executed again and again.

    python benchmarks/nbclient_stress.py [--runs 1] [--repeats 10] [--html] [NOTEBOOK ...]

nbclient is what `jupyter nbconvert --execute`, papermill and nbmake run on. Before the
course's own `interact` (resynth_lib.core.widgets), a widget cell that takes 0.05 s waited
for the full timeout in about one run out of ten. For every notebook (default: both forms of
all of them, fast mode) this executes the whole notebook ``--runs`` times and, in each run,
every interactive cell ``--repeats`` more times, then reports each notebook's slowest cell
against its median (a stall shows as a cell far above its median). ``--html`` also renders
every solutions notebook with `jupyter nbconvert --execute --to html` and records the time
and size. Writes benchmarks/results/nbclient_stress.md. Timed here, not in the tests: the
machine is shared.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from resynth_lib.course.headless import run_headless  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("notebooks", nargs="*", help="default: solutions/*.ipynb and notebooks/*.ipynb")
parser.add_argument("--runs", type=int, default=1, help="full executions of each notebook")
parser.add_argument("--repeats", type=int, default=10, help="extra executions of each interactive cell per run")
parser.add_argument("--timeout", type=int, default=600, help="seconds before a cell counts as stalled")
parser.add_argument("--html", action="store_true", help="also render solutions/ with nbconvert --execute --to html")
parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "nbclient_stress.md"))
args = parser.parse_args()
paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "solutions").glob("*.ipynb")) + \
    sorted((ROOT / "notebooks").glob("*.ipynb"))

rows, worst_ratio, any_error = [], 0.0, False
for path in paths:
    full, widget_runs, errors = [], {}, []
    for _ in range(args.runs):
        run = run_headless(path, repeats=args.repeats, timeout=args.timeout)
        full.append(run)
        errors += run.errors
        for index, seconds in run.repeat_seconds.items():
            widget_runs.setdefault(index, []).extend([run.cell_seconds[index], *seconds])
    any_error |= bool(errors)
    # every execution of every interactive cell, against that cell's median
    ratios = {i: max(t) / max(statistics.median(t), 1e-9) for i, t in widget_runs.items()}
    cell, ratio = max(ratios.items(), key=lambda kv: kv[1]) if ratios else (None, 0.0)
    worst_ratio = max(worst_ratio, ratio)
    executions = sum(len(t) for t in widget_runs.values())
    totals = [r.total() for r in full]
    slow_i, slow_t = max((r.slowest() for r in full), key=lambda x: x[1])
    row = (f"| {path.parent.name}/{path.name} | {statistics.median(totals):.1f} | {slow_t:.1f} (cell {slow_i}) | "
           f"{len(widget_runs)} | {executions} | "
           + (f"{statistics.median(widget_runs[cell]):.3f} / {max(widget_runs[cell]):.3f} (cell {cell}) | {ratio:.1f}x"
              if cell is not None else "– | –")
           + f" | {len(errors)} |")
    rows.append(row)
    print(row, flush=True)
    for e in errors:
        print("   ", e, flush=True)

html_rows = []
if args.html:
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--execute", "--to", "html",
                                   f"--ExecutePreprocessor.timeout={args.timeout}", "--output-dir", tmp, str(path)],
                                  capture_output=True, text=True, env={**os.environ, "RESYNTH_FAST": "1"})
            seconds = time.perf_counter() - start
            html = Path(tmp) / (path.stem + ".html")
            size = html.stat().st_size / 1e6 if html.exists() else 0.0
        status = "ok" if proc.returncode == 0 and size > 0 else f"FAILED: {proc.stderr.strip().splitlines()[-1][:120]}"
        any_error |= status != "ok"
        html_rows.append(f"| {path.name} | {seconds:.1f} | {size:.1f} | {status} |")
        print(html_rows[-1], flush=True)

load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
lines = [
    "# Headless execution under nbclient (`python benchmarks/nbclient_stress.py"
    + (f" --runs {args.runs}" if args.runs != 1 else "") + f" --repeats {args.repeats}"
    + (" --html" if args.html else "") + "`)", "",
    f"{date.today()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
    f"{platform.python_version()}, fast mode; load average {load:.1f} at the end (the machine was "
    f"{'busy' if load > 1.5 else 'about idle'}).", "",
    f"Each notebook ran {args.runs} time(s) top to bottom with nbclient; in each run every interactive cell "
    f"(`interact(...)` or widgets) was executed {args.repeats} more times in the same kernel. The last columns compare "
    "the slowest execution of an interactive cell with that cell's median: a stall (a missed kernel reply, what "
    "`ipywidgets.interact` caused) shows as a ratio of hundreds.", "",
    "| notebook | full run (s) | slowest cell (s) | interactive cells | their executions | median / slowest (s) "
    "| slowest / median | errors |",
    "|---|---|---|---|---|---|---|---|", *rows, "",
    f"Largest slowest / median ratio over all interactive cells: **{worst_ratio:.1f}x**.",
]
if html_rows:
    lines += ["", "## `jupyter nbconvert --execute --to html` of every solutions notebook (fast mode)", "",
              "| notebook | seconds | HTML (MB) | result |", "|---|---|---|---|", *html_rows]
Path(args.out).write_text("\n".join(lines) + "\n")
print(f"wrote {args.out}")
sys.exit(1 if any_error else 0)

"""Instructions executed by one typical unit report's computation, counted by valgrind.

Wall and CPU seconds on this shared machine drift by a third within minutes (the runner
benchmark's unit row measured the same code at 0.26 and 0.39 s); the number of machine
instructions a computation executes does not. This script counts them with
``valgrind --tool=cachegrind`` for the unit of median size of the sample, computed as a
notebook computes it (a new study object loaded from the unit's partition, the pooled
effects read from their file, the analysis stack imported and frozen out of the garbage
collector first), once with ``N`` units and once with none: the difference over ``N`` is one
unit's computation without the imports and the set-up.

``--against REV`` counts the same for another revision of the project (checked out in a
temporary git worktree) side by side, as the peer; by default :data:`BASELINE`, the code before
the unit report's computation was cut down (``--against ''``: this tree only; a revision the
clone does not have is skipped with a message). Without valgrind it says so and writes nothing. Takes about 4 minutes per revision on 2 cores (valgrind runs ~50x slower).

Run as ``python benchmarks/bench_instructions.py [--against REV]``; writes
``benchmarks/results_instructions.md``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: the peer revision of ``make bench``: the unit report before agreement(coefficients=),
#: adjusted_predikat and the coverage counts from codes
BASELINE = "cb579af"

# the child: the sample's unit of median size, computed as its notebook does (unit_report.ipynb)
_CHILD = r"""
import gc, sys, tempfile
from pathlib import Path
import matplotlib
matplotlib.use("Agg")
import evaltools
from evaltools import _kernel_state
import pyarrow as pa
pa.set_cpu_count(1)
_kernel_state.prepare_kernel()
sys.path.insert(0, str(Path(sys.argv[2]) / "benchmarks"))
from _median_unit import compute, median_unit
fx = median_unit(Path(sys.argv[2]), Path(tempfile.mkdtemp(prefix="bench-instr-")))

def once():
    compute(evaltools.load_study(fx["partition"]), fx)

once()
gc.collect()
for _ in range(int(sys.argv[1])):
    once()
print(fx["unit"])
"""


def _count(src: Path, n: int) -> tuple[int, str]:
    """Instructions of the child with ``n`` units (``PYTHONHASHSEED`` fixed: same work each time)."""
    env = {**os.environ, "PYTHONPATH": str(src / "src"), "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    res = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                          sys.executable, "-c", _CHILD, str(n), str(ROOT)], capture_output=True, text=True,
                         env=env, cwd=src, check=True)
    refs = next(line for line in res.stderr.splitlines() if "I   refs" in line or "I refs" in line)
    return int(refs.split(":")[1].replace(",", "").strip()), res.stdout.strip().splitlines()[-1]


def per_unit(src: Path, n: int) -> tuple[float, str]:
    with ThreadPoolExecutor(2) as pool:   # the two counts side by side, one core each
        none, some = pool.submit(_count, src, 0), pool.submit(_count, src, n)
        (i0, unit), (i1, _) = none.result(), some.result()
    return (i1 - i0) / n, unit


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", metavar="REV", default=BASELINE,
                    help=f"another revision to count side by side (the peer; default {BASELINE})")
    ap.add_argument("--units", type=int, default=2, help="units computed in the counted run")
    ap.add_argument("--quick", action="store_true", help="(smoke runs) skip: valgrind is slow")
    a = ap.parse_args()
    if a.quick or shutil.which("valgrind") is None:
        print("bench_instructions: skipped (" + ("--quick" if a.quick else "valgrind not installed") + ")")
        return 0
    ours, unit = per_unit(ROOT, a.units)
    rows = [("this tree", ours)]
    known = a.against and subprocess.run(["git", "rev-parse", "--verify", "-q", a.against + "^{commit}"], cwd=ROOT,
                                         capture_output=True).returncode == 0
    if a.against and not known:
        print(f"bench_instructions: revision {a.against} is not in this clone; counting this tree only")
    if known:
        with tempfile.TemporaryDirectory(prefix="bench-rev-") as tmp:
            wt = Path(tmp) / "rev"
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(wt), a.against], cwd=ROOT, check=True)
            try:
                peer, _ = per_unit(wt, a.units)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(wt)], cwd=ROOT, check=False)
        rev = subprocess.run(["git", "rev-parse", "--short", a.against], cwd=ROOT, capture_output=True,
                             text=True).stdout.strip()
        rows.append((f"revision {rev}", peer))
    lines = ["## Instructions per unit report (valgrind)", "",
             f"One typical unit report's computation ({unit}), as its notebook computes it, counted by "
             "`valgrind --tool=cachegrind` (machine instructions, the same from run to run whatever else the "
             f"host runs); the difference between a run with {a.units} units and one with none, over "
             f"{a.units}.", "",
             "| code | instructions per unit | ratio (peer / ours) |", "|---|---:|---:|"]
    for k, (name, v) in enumerate(rows):
        lines.append(f"| {name} | {v / 1e6:,.0f} M | {f'{v / ours:.2f}x' if k else ''} |")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    tmp = HERE / "results_instructions.md.tmp"
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, HERE / "results_instructions.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark of evaltools.simulate: rating rows generated per second, peak memory, write speed.

Run as ``python benchmarks/bench_simulate.py`` (sample, 500 units and the national-scale
5000 units x 200-1000 employees) or ``--quick`` (sample and 200 units). Each size runs in its
own process so its peak memory (max RSS) is its own. Prints a markdown table and writes it
to ``benchmarks/results_simulate.md``.

No peer package simulates 360-degree appraisal with rater effects, so the comparison is
against the target the design sets: the national-scale study in under a minute. The
"max abs diff" column checks determinism instead: the largest score difference between two
runs with the same seed (must be 0).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one(n_units: int, lo: int, hi: int, write: bool) -> dict:
    import numpy as np

    from evaltools.simulate import SAMPLE_ARGS, simulate_study

    kwargs = dict(SAMPLE_ARGS) if n_units == 0 else {"seed": 1, "n_units": n_units, "subjects_per_unit": (lo, hi)}
    kwargs.pop("name", None)
    t0 = time.perf_counter()
    sim = simulate_study(**kwargs)
    secs = time.perf_counter() - t0
    rows = len(sim.ratings)
    out = {"n_units": kwargs["n_units"], "subjects_per_unit": list(kwargs["subjects_per_unit"]), "rows": rows,
           "subjects": int(sim.truth_meta["params"]["n_subjects"]), "seconds": secs, "rows_per_s": rows / secs,
           "ratings_gb": float(sim.ratings.memory_usage(deep=False).sum() / 1e9)}
    if write:
        with tempfile.TemporaryDirectory() as d:
            for fmt in ("csv", "parquet"):
                t0 = time.perf_counter()
                sim.write(Path(d) / fmt, format=fmt, key="bench-key")
                out[f"write_{fmt}_s"] = time.perf_counter() - t0
        again = simulate_study(**kwargs)
        out["max_abs_diff"] = float(np.max(np.abs(again.ratings["score"].to_numpy() - sim.ratings["score"].to_numpy())))
    out["max_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only (smoke run)")
    ap.add_argument("--one", nargs=4, metavar=("N_UNITS", "LO", "HI", "WRITE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        n, lo, hi, w = args.one
        print(json.dumps(one(int(n), int(lo), int(hi), w == "1")))
        return
    sizes = [(0, 40, 120, True), (200, 200, 1000, False)] if args.quick else \
        [(0, 40, 120, True), (500, 200, 1000, False), (5000, 200, 1000, False)]
    results = []
    for n, lo, hi, w in sizes:
        proc = subprocess.run([sys.executable, __file__, "--one", str(n), str(lo), str(hi), "1" if w else "0"],
                              capture_output=True, text=True, check=True)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"done {results[-1]['n_units']} units", file=sys.stderr)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# evaltools.simulate benchmark",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average {load:.1f} at the end of the run "
        f"(shared machine: timings are noisy); Python {platform.python_version()}.",
        "",
        "| units | employees/unit | subjects | rating rows | simulate (s) | rows/s | ratings frame (GB) | "
        "peak RSS (GB) | vs 60 s target | write csv.gz (s) | write parquet (s) | max abs diff (same seed) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        spu = r["subjects_per_unit"]
        lines.append(
            f"| {r['n_units']} | {spu[0]}-{spu[1]} | {r['subjects']:,} | {r['rows']:,} | {r['seconds']:.2f} | "
            f"{r['rows_per_s']:,.0f} | {r['ratings_gb']:.2f} | {r['max_rss_gb']:.2f} | "
            f"{r['seconds'] / 60:.2f}x | "
            + (f"{r['write_csv_s']:.2f} | {r['write_parquet_s']:.2f} | {r['max_abs_diff']:g} |"
               if "write_csv_s" in r else "- | - | - |"))
    lines += ["", "`vs 60 s target` is simulate time / 60 s (below 1 is within the target). Ratings are "
              "generated only in pilot units (75 %), in the last two periods, about 45 rows per "
              "employee and period (9 numeric items x 360-degree raters + 2 ordinal items by the atasan)."]
    text = "\n".join(lines) + "\n"
    print(text)
    out = HERE / "results_simulate.md"
    if not args.quick or not out.exists():   # a smoke run does not overwrite the full results
        out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

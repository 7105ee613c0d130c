"""Benchmark of the report runner: kernel overhead per unit, parallel speed-up, national scale.

Run as ``python benchmarks/bench_runner.py`` (``--quick`` for a small smoke run,
``--national`` to add the 1,000-unit study end to end). Prints a markdown table and writes
it to ``benchmarks/results_runner.md``.

1. Fixed overhead per unit, fresh kernel vs warm kernel, measured in the same run on the
   same notebook: the unit-report imports (pandas, matplotlib, the evaltools statistics
   stack) plus one tiny computation cell, executed through ``runner.execute_unit`` (papermill,
   parameter injection, HTML export, JSON publication). Overhead = wall time minus the
   duration papermill records for the computation cell. The peer is papermill's own default
   engine (a fresh kernel per notebook, graceful shutdown) with ``jupyter nbconvert`` as a
   subprocess for the HTML, i.e. what a shell loop over papermill + nbconvert would do.
2. ``--jobs 2`` vs ``--jobs 1`` on the real unit report (warm kernels), same units.
3. (``--national``) a simulated study of 1,000 units (750 pilot units) end to end.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from evaltools import runner  # noqa: E402

IMPORTS = """
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import evaltools
from evaltools import report, plots, reliability, calibration, pilot
pilot.unit_effect, pilot.staggered_att
"""
COMPUTE = "x = float(np.arange(1000).sum())"


def _overhead_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell('unit = ""\nrecord_path = None')
    p.metadata["tags"] = ["parameters"]
    c = nbformat.v4.new_code_cell(COMPUTE)
    c.metadata["tags"] = ["compute"]
    nb.cells = [p, nbformat.v4.new_code_cell(IMPORTS.strip()), c,
                nbformat.v4.new_code_cell("report.record({'unit': unit, 'x': x}, record_path);")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _compute_seconds(nb_path: Path) -> float:
    nb = nbformat.read(nb_path, as_version=4)
    return sum(float(c.metadata.get("papermill", {}).get("duration") or 0.0)
               for c in nb.cells if "compute" in c.metadata.get("tags", []))


def overhead(n: int, work: Path) -> dict:
    """Median fixed overhead per unit: fresh engine, warm engine, papermill default + nbconvert."""
    tpl = _overhead_notebook(work / "overhead.ipynb")
    out: dict[str, list[float]] = {"fresh": [], "warm": [], "papermill+nbconvert": []}
    warm_start = float("nan")
    for engine in ("fresh", "warm"):
        units = work / f"units-{engine}"
        for i in range(n + (1 if engine == "warm" else 0)):
            task = runner.UnitTask(unit=f"u{i}", safe=f"u{i}", notebook=str(tpl), parameters={"unit": f"u{i}"},
                                   units_dir=str(units), work_dir=str(work / "exec"), engine=engine)
            t0 = time.perf_counter()
            res = runner.execute_unit(task)
            wall = time.perf_counter() - t0
            assert res["status"] == "ok", res
            over = wall - _compute_seconds(units / f"u{i}.ipynb")
            if engine == "warm" and i == 0:
                warm_start = over  # kernel start + imports, once per worker
                continue
            out[engine].append(over)
        runner._shutdown_warm()
    # the peer: papermill's default engine and an nbconvert subprocess per file
    import papermill as pm

    for i in range(max(2, n // 2)):
        o = work / f"peer{i}.ipynb"
        t0 = time.perf_counter()
        pm.execute_notebook(str(tpl), str(o), parameters={"unit": f"p{i}", "record_path": str(work / f"p{i}.json")},
                            progress_bar=False, kernel_name="python3")
        subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--no-input", str(o)],
                       check=True, capture_output=True)
        out["papermill+nbconvert"].append(time.perf_counter() - t0 - _compute_seconds(o))
    return {"medians": {k: statistics.median(v) for k, v in out.items()}, "warm_start": warm_start,
            "n": {k: len(v) for k, v in out.items()}}


def _simulate(path: Path, n_units: int, subjects: tuple[int, int], seed: int = 11) -> Path:
    from evaltools.simulate import write_study

    write_study(path, seed=seed, n_units=n_units, n_regions=4, subjects_per_unit=subjects)
    return path


def jobs_speedup(n_units: int, work: Path) -> dict:
    study = _simulate(work / "jobs_study", n_units, (14, 18))
    times = {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        res = runner.run(study, work / f"jobs{jobs}", jobs=jobs, engine="warm", progress=False, force=True,
                         briefing=False)
        times[jobs] = time.perf_counter() - t0
        assert res.ok, res.failed
        n = len(res.executed)
    return {"units": n, "t1": times[1], "t2": times[2], "speedup": times[1] / times[2]}


def national(work: Path, jobs: int) -> dict:
    t0 = time.perf_counter()
    study = _simulate(work / "national", 1000, (10, 14))
    t_sim = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = runner.run(study, work / "national_reports", jobs=jobs, engine="warm", progress=True)
    wall = time.perf_counter() - t0
    man = json.loads((res.run_dir / "manifest.json").read_text())
    d = [e["duration"] for e in man["units"].values() if e.get("duration")]
    return {"units": len(res.executed), "failed": len(res.failed), "wall": wall, "simulate": t_sim,
            "median_unit": statistics.median(d) if d else float("nan"), "briefing_ok": res.briefing_ok}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    ap.add_argument("--national", action="store_true", help="also run the 1,000-unit study end to end")
    ap.add_argument("--jobs", type=int, default=2, help="workers for the national run")
    ap.add_argument("--only-national", action="store_true", help="run only the 1,000-unit study")
    a = ap.parse_args(argv)
    n = 3 if a.quick else 10
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        work = Path(tmp)
        ov = None if a.only_national else overhead(n, work)
        # 24 units: each worker's kernel start (~2.6 s) and the serial loading are paid once per run
        sp = None if a.only_national else jobs_speedup(4 if a.quick else 24, work)
        nat = national(work, a.jobs) if (a.national or a.only_national) else None
    load_after = os.getloadavg()
    lines = [
        "## Runner (`evaltools.runner`)",
        "",
        f"Machine: {os.cpu_count()} cores, shared; one run, timings are noisy. Python {sys.version.split()[0]}. "
        f"Load average (1/5/15 min) {'/'.join(f'{x:.2f}' for x in load_before)} before the run, "
        f"{'/'.join(f'{x:.2f}' for x in load_after)} after it.",
        "",
        "| measure | ours | peer | ratio (peer / ours) |",
        "|---|---|---|---|",
    ]
    if ov is not None:
        m = ov["medians"]
        lines += [
            f"| fixed overhead per unit, warm kernel vs fresh kernel (median of {ov['n']['warm']} / "
            f"{ov['n']['fresh']}) | {m['warm']:.3f} s | {m['fresh']:.3f} s | {m['fresh'] / m['warm']:.1f}x |",
            f"| fixed overhead per unit, warm kernel vs papermill default + `nbconvert` subprocess "
            f"(median of {ov['n']['papermill+nbconvert']}) | {m['warm']:.3f} s | {m['papermill+nbconvert']:.3f} s | "
            f"{m['papermill+nbconvert'] / m['warm']:.1f}x |",
            f"| warm kernel start + imports (once per worker) | {ov['warm_start']:.2f} s | | |",
        ]
    if sp is not None:
        lines.append(f"| real unit report, {sp['units']} units, `--jobs 2` vs `--jobs 1` (warm) | {sp['t2']:.1f} s | "
                     f"{sp['t1']:.1f} s | {sp['speedup']:.2f}x |")
    if nat:
        lines.append(f"| 1,000-unit simulated study ({nat['units']} pilot units, {nat['failed']} failed), end to end, "
                     f"`--jobs {a.jobs}` | {nat['wall'] / 60:.1f} min (median unit {nat['median_unit']:.2f} s; "
                     f"briefing ok: {nat['briefing_ok']}) | target < 10 min | |")
    lines += ["", "Overhead = wall time of `runner.execute_unit` (papermill, parameters, HTML export, JSON) minus "
              "the duration papermill records for the notebook's computation cell; the notebook imports the "
              "unit-report stack (numpy, pandas, matplotlib, evaltools statistics).", ""]
    table = "\n".join(lines)
    print(table)
    name = "results_runner_national.md" if a.only_national else "results_runner.md"
    if not a.quick:  # a smoke run never replaces the recorded table
        (ROOT / "benchmarks" / name).write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the report figures (issue 14.4): drawing and encoding a unit report's charts.

Run as ``python benchmarks/bench_figures.py`` (``--quick`` for a smoke run). Writes
``benchmarks/results_figures.md``.

The unit pages draw their three charts as inline SVG (``plots.*_svg``); the peers are the same
charts drawn with matplotlib and encoded as PNG, by this tree's ``plots`` and by the module as
it was before the shared style and the rule matrix (``git show BASELINE:src/evaltools/plots.py``,
loaded as a module of its own), all drawing the same inputs in the same run. The inputs are captured once from the real unit sections
of ``data/sample`` (the arguments ``report.consistency``, ``report.calibration`` and
``report.impact`` pass to the three unit charts); the briefing row draws the sample's 22 units as
small multiples (before) and as the unit x rule matrix (after). Time = drawing plus PNG encoding
(``plots.figure_png``), median over repeats; artists = ``len(fig.findobj())`` before encoding.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import pandas as pd  # noqa: E402

import evaltools  # noqa: E402
from evaltools import plots, report  # noqa: E402
from evaltools.report import pages  # noqa: E402

BASELINE = "16aebce"  # main before the figure changes
UNIT_CHARTS = ("agreement_by_item", "severity_caterpillar", "event_study_grid")
SVG = {f"{n}_svg": n for n in UNIT_CHARTS}  # what the unit sections call -> its matplotlib twin


def _baseline_plots():
    src = subprocess.run(["git", "show", f"{BASELINE}:src/evaltools/plots.py"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "plots_baseline.py"
    path.write_text(src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("plots_baseline", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _capture(study, units):
    """The arguments the unit sections pass to each chart, per unit."""
    calls: list[tuple[str, str, tuple, dict]] = []
    saved = {n: getattr(plots, n) for n in SVG}
    current = {"unit": None}

    def spy(name):
        def f(*a, **k):
            calls.append((current["unit"], SVG[name], a, k))  # recorded under the matplotlib name
            return saved[name](*a, **k)
        return f

    try:
        for n in SVG:
            setattr(plots, n, spy(n))
        th = report.thresholds(study.config)
        for u in units:
            current["unit"] = u
            report.consistency(study, u, thresholds=th)
            report.calibration(study, u, thresholds=th)
            report.impact(study, u, thresholds=th)
    finally:
        for n, f in saved.items():
            setattr(plots, n, f)
    return calls


def _draw(mod, calls) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    artists = size = 0
    for _, name, a, k in calls:
        fig = getattr(mod, name)(*a, **k)
        artists += len(fig.findobj())
        size += len(mod.figure_png(fig))
    return time.perf_counter() - t0, artists, size


def _draw_svg(calls) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    size = elements = 0
    for _, name, a, k in calls:
        svg = getattr(plots, f"{name}_svg")(*a, **k)
        elements += svg.count("<") - svg.count("</")
        size += len(svg.encode("utf-8"))
    return time.perf_counter() - t0, elements, size


def _median(mod, calls, reps) -> tuple[float, int, int]:
    runs = [_draw(mod, calls) for _ in range(reps)]
    return statistics.median(r[0] for r in runs), runs[0][1], runs[0][2]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    reps = 2 if args.quick else 7
    study = evaltools.load_study(ROOT / "data" / "sample")
    units = study.pilot_units[: 2 if args.quick else 6]
    calls = _capture(study, units)
    old = _baseline_plots()
    _draw(old, calls[:3]), _draw(plots, calls[:3])  # warm both (font cache, first-use imports)
    _draw_svg(calls[:3])
    t_old, a_old, b_old = _median(old, calls, reps)
    t_new, a_new, b_new = _median(plots, calls, reps)
    svg_runs = [_draw_svg(calls) for _ in range(reps)]
    t_svg, e_svg, b_svg = statistics.median(r[0] for r in svg_runs), svg_runs[0][1], svg_runs[0][2]
    n = len(units)

    # the briefing chart: the sample's units (records from a quick pass of the verdict, no notebooks)
    th = report.thresholds(study.config)
    recs = []
    for u in study.pilot_units:
        secs = report.unit_sections(study, u, thresholds=th)
        v = report.verdict(secs, th)
        recs.append(report.unit_record(u, secs, v))
    raw = report.verdict_table(recs, raw=True)
    measures = {"agreement_min": ("Butir terlemah", th["min_agreement"], True),
                "raters_per_subject": ("Penilai/pegawai", th["min_raters_per_subject"], True),
                "flagged_share": ("Ketat/longgar", th["max_flagged_share"], False),
                "missing_share": ("360° kosong", th["max_missing_share"], False)}
    rules = pages.rule_table(recs)

    def brief_old():
        fig = old.verdict_multiples(raw, measures=measures)
        return len(fig.findobj()), len(old.figure_png(fig))

    def brief_new():
        fig = plots.rule_matrix(rules)
        return len(fig.findobj()), len(plots.figure_png(fig))

    def timed(f):
        out = []
        for _ in range(reps):
            t0 = time.perf_counter()
            a, b = f()
            out.append((time.perf_counter() - t0, a, b))
        return statistics.median(o[0] for o in out), out[0][1], out[0][2]

    bo, bn = timed(brief_old), timed(brief_new)
    lines = [
        "## Report figures (`evaltools.plots`)", "",
        f"Same inputs, same run; before = `plots.py` at {BASELINE} (loaded from git), after = this tree. "
        f"Median of {reps} repeats; matplotlib = drawing + PNG encoding at 96 dpi, SVG = writing the markup. "
        f"Load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end.", "",
        "| measure | ours | peer | ratio (peer / ours) |", "|---|---|---|---|",
        f"| three unit charts per unit (agreement, severity, impact grid), {n} sample units: inline SVG (ours, "
        f"what the unit pages show) vs matplotlib + PNG (this tree) | {1000 * t_svg / n:.1f} ms | "
        f"{1000 * t_new / n:.0f} ms | {t_new / t_svg:.0f}x |",
        f"| bytes per unit on the page: SVG markup vs PNG (before base64) | {b_svg / n / 1024:.0f} KB | "
        f"{b_new / n / 1024:.0f} KB | {b_new / b_svg:.2f}x |",
        f"| the same three charts with matplotlib + PNG: this tree vs before ({BASELINE}) | "
        f"{1000 * t_new / n:.0f} ms | {1000 * t_old / n:.0f} ms | {t_old / t_new:.2f}x |",
        f"| matplotlib artists per unit: this tree vs before (SVG elements per unit: {e_svg / n:.0f}) | "
        f"{a_new / n:.0f} | {a_old / n:.0f} | {a_old / a_new:.2f}x |",
        f"| PNG bytes per unit: this tree vs before | {b_new / n / 1024:.0f} KB | {b_old / n / 1024:.0f} KB | "
        f"{b_old / b_new:.2f}x |",
        f"| briefing chart, {len(recs)} units: rule matrix (ours) vs small multiples (before) | "
        f"{1000 * bn[0]:.0f} ms, {bn[1]} artists, {bn[2] / 1024:.0f} KB | "
        f"{1000 * bo[0]:.0f} ms, {bo[1]} artists, {bo[2] / 1024:.0f} KB | {bo[0] / bn[0]:.2f}x |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        (ROOT / "benchmarks" / "results_figures.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

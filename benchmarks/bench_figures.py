"""Benchmark of the report figures (issue 14.4): drawing and encoding a unit report's charts, before/after.

Run as ``python benchmarks/bench_figures.py`` (``--quick`` for a smoke run). Writes
``benchmarks/results_figures.md``.

The peer is this package's own ``plots`` module as it was before the shared style and the rule
matrix (``git show BASELINE:src/evaltools/plots.py``, loaded as a module of its own), so both
draw the same inputs in the same run. The inputs are captured once from the real unit sections
of ``data/sample`` (the arguments ``report.consistency``, ``report.calibration`` and
``report.impact`` pass to the three unit charts); the briefing row draws the sample's 22 units as
small multiples (before) and as the unit x rule matrix (after). Time = drawing plus PNG encoding
(``plots.figure_png``), median over repeats; artists = ``len(fig.findobj())`` before encoding.
"""
from __future__ import annotations

import argparse
import importlib.util
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
    saved = {n: getattr(plots, n) for n in UNIT_CHARTS}
    current = {"unit": None}

    def spy(name):
        def f(*a, **k):
            calls.append((current["unit"], name, a, k))
            return saved[name](*a, **k)
        return f

    try:
        for n in UNIT_CHARTS:
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
    t_old, a_old, b_old = _median(old, calls, reps)
    t_new, a_new, b_new = _median(plots, calls, reps)
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
        f"Median of {reps} repeats; drawing + PNG encoding at 96 dpi.", "",
        "| measure | ours | peer (before) | ratio (peer / ours) |", "|---|---|---|---|",
        f"| three unit charts per unit (agreement, severity, impact grid), {n} sample units | "
        f"{1000 * t_new / n:.0f} ms | {1000 * t_old / n:.0f} ms | {t_old / t_new:.2f}x |",
        f"| artists per unit | {a_new / n:.0f} | {a_old / n:.0f} | {a_old / a_new:.2f}x |",
        f"| PNG bytes per unit | {b_new / n / 1024:.0f} KB | {b_old / n / 1024:.0f} KB | {b_old / b_new:.2f}x |",
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

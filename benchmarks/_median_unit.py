"""The benchmarks' typical unit: the sample's unit of median size, computed as its notebook does.

Shared by ``bench_runner.py`` (its profile and its two-process floor) and
``bench_instructions.py`` (which imports it with another revision's ``evaltools`` on the
path: only public calls and the runner's partition helpers, present in both).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any


def median_unit(root: Path, tmp: Path) -> dict[str, Any]:
    """The unit, its thresholds, and its partition and pooled-effects file written under ``tmp``
    as ``runner.run`` writes them for the unit's notebook."""
    import evaltools
    from evaltools import report, runner
    from evaltools.report.impact import pooled_tests

    whole = evaltools.load_study(Path(root) / "data" / "sample")
    sizes = whole.ratings.groupby("unit", observed=True)["subject"].nunique()
    unit = str((sizes - sizes.median()).abs().idxmin())
    th = report.thresholds(whole.config)
    mine = whole.ratings[whole.ratings["unit"].astype(str) == unit]
    sub = runner._restrict(whole, unit, runner._partition_ratings(whole, mine), whole.control_pools([unit])[unit])
    pooled = pooled_tests(whole, power=th["mde_power"])
    pooled_path = Path(tmp) / "pooled.parquet"
    pooled[pooled["unit"].astype(str) == unit].reset_index(drop=True).to_parquet(pooled_path)
    return {"unit": unit, "n_subjects": int(sizes[unit]), "thresholds": th,
            "partition": sub.save(Path(tmp) / "unit"), "pooled": str(pooled_path)}


def compute(study: Any, fixture: dict[str, Any]) -> Any:
    """The notebook's cells after its load: sections, verdict, what is shown, the record."""
    from evaltools import report

    unit, th = fixture["unit"], fixture["thresholds"]
    sections = report.unit_sections(study, unit, thresholds=th, lang="id", pooled=fixture["pooled"])
    v = report.verdict(sections, th, lang="id")
    for s_ in [*sections.values(), v]:
        getattr(s_, "_repr_html_", lambda: None)()  # the figures are encoded when shown
    return report.unit_record(unit, sections, v, lang="id")

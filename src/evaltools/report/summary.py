"""Summaries written to disk: the run's ``summary.xlsx`` and the data summary (Markdown + Excel).
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from evaltools._io import atomic_path, atomic_write

from .briefing import _ok, suppress, verdict_table
from .records import collect
from .thresholds import DEFAULT_THRESHOLDS


def summary_table(records: Sequence[dict], *, lang: str = "id", min_cell: int = 5) -> dict[str, pd.DataFrame]:
    """Sheets of ``summary.xlsx``: verdicts, reasons, key figures (small cells suppressed)."""
    verdicts = verdict_table(records, lang=lang, min_cell=min_cell)
    reasons = [{"unit": r.get("unit"), "level": rs.get("level"), "code": rs.get("code"), "text": rs.get("text"),
                "value": rs.get("value") if not isinstance(rs.get("value"), list) else ", ".join(rs["value"]),
                "threshold": rs.get("threshold")}
               for r in _ok(records) for rs in (r.get("verdict") or {}).get("reasons", [])]
    keys = []
    for r in _ok(records):
        row = {"unit": r.get("unit"), "n_subjects": (r.get("coverage") or {}).get("n_subjects")}
        for oc, e in ((r.get("impact") or {}).get("outcomes") or {}).items():
            row[f"{oc}_effect"] = e.get("effect")
            row[f"{oc}_ci_low"] = e.get("ci_low")
            row[f"{oc}_ci_high"] = e.get("ci_high")
            row[f"{oc}_pval"] = e.get("pval")
        row["agreement_median"] = (r.get("consistency") or {}).get("agreement_median")
        row["flagged_share"] = (r.get("calibration") or {}).get("flagged_share")
        row["raters_needed"] = (r.get("calibration") or {}).get("raters_needed")
        keys.append(row)
    kf = pd.DataFrame(keys)
    if len(kf):
        kf = suppress(kf, "n_subjects", [c for c in kf.columns if c not in ("unit", "n_subjects")],
                      min_cell=min_cell, lang=lang)
    names = ("Putusan", "Alasan", "Angka kunci") if lang != "en" else ("Verdicts", "Reasons", "Key figures")
    return {names[0]: verdicts, names[1]: pd.DataFrame(reasons, columns=["unit", "level", "code", "text", "value",
                                                                         "threshold"]), names[2]: kf}


def _write_xlsx(path: Path, sheets: Mapping[str, pd.DataFrame]) -> Path:
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, df in sheets.items():
                df.to_excel(xw, sheet_name=str(name)[:31], index=False)
    return path


def write_summary(run_dir: str | os.PathLike, *, lang: str = "id", min_cell: int | None = None) -> Path:
    """Write ``run_dir/summary.xlsx`` from the recorded unit results (atomically)."""
    run_dir = Path(run_dir)
    recs = collect(run_dir)
    k = min_cell if min_cell is not None else DEFAULT_THRESHOLDS["min_cell"]
    return _write_xlsx(run_dir / "summary.xlsx", summary_table(recs, lang=lang, min_cell=k))


def data_summary(study: Any) -> dict[str, pd.DataFrame]:
    """Counts per unit, period, rater role and item (no individual rows): ``Study.summary()``."""
    return study.summary()


def write_data_summary(study: Any, out: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``summary.md`` and ``summary.xlsx`` with the data summary under ``out`` (atomically)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tabs = data_summary(study)
    name = getattr(study, "name", "") or ""
    md = [f"# Ringkasan data / Data summary: {name}", ""]
    for key, df in tabs.items():
        md += [f"## {key}", "", _markdown_table(df), ""]
    p_md = atomic_write(out / "summary.md", "\n".join(md))
    p_x = _write_xlsx(out / "summary.xlsx", tabs)
    return p_md, p_x


def _markdown_table(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "" if math.isnan(v) else f"{v:.3g}"
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)

"""The briefing across units: the first page (executive summary, data period, run), units
grouped by verdict with who acts and by when, what calibration would change, blockers,
actions, failures and the annex; every count through the one suppression rule
(:mod:`.disclosure`), every text from the catalog (:mod:`.messages`).
"""
from __future__ import annotations

import datetime as _dt
import importlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._base import Section, _num
from ._text import HARM_CODES, acted_on, action_key, fmt, reason_text, text
from .disclosure import _small, suppress, suppress_count, suppress_frame
from .messages import has
from .thresholds import DEFAULT_THRESHOLDS
from .verdict import VERDICTS

#: the order in which the briefing lists units: what needs a decision first
VERDICT_ORDER = ("TUNDA", "PERBAIKI DULU", "BELUM TERBUKTI", "SIAP")
# every code a record may carry, known ones first (BELUM TERBUKTI before the verdict rules know it)
_CODES = tuple(dict.fromkeys([*VERDICT_ORDER, *VERDICTS]))


def _ok(records: Iterable[dict]) -> list[dict]:
    return [r for r in records if r.get("status", "ok") == "ok"]


def _code(r: Mapping) -> str | None:
    return (r.get("verdict") or {}).get("code")


def _reasons(r: Mapping) -> list[dict]:
    return list((r.get("verdict") or {}).get("reasons") or [])


def _min_cell(thresholds: Mapping[str, Any] | None, min_cell: int | None) -> int:
    if min_cell is not None:
        return int(min_cell)
    return int({**DEFAULT_THRESHOLDS, **(thresholds or {})}["min_cell"])


def verdict_table(records: Sequence[dict], *, lang: str = "id", min_cell: int = 5, raw: bool = False) -> pd.DataFrame:
    """One row per unit: verdict, main reason and key figures (small cells suppressed).

    ``raw=True`` returns numbers (for charts and the Excel summary), before suppression.

    Examples
    --------
    >>> recs = [{"unit": "A", "coverage": {"n_subjects": 3}, "verdict": {"code": "TUNDA", "reasons": [
    ...     {"code": "few_subjects", "level": "TUNDA", "value": 3, "threshold": 10, "text": "hanya 3"}]}}]
    >>> verdict_table(recs, lang="en").iloc[0][["Employees rated", "Main reason"]].tolist()
    ['<5', 'fewer than 5 employees rated (minimum 10)']
    """
    rows = []
    for r in records:
        if r.get("status", "ok") != "ok":
            rows.append({"unit": r.get("unit"), "verdict": "–", "status": "failed"})
            continue
        cov, con, cal = r.get("coverage") or {}, r.get("consistency") or {}, r.get("calibration") or {}
        reasons = _reasons(r)
        rows.append({"unit": r.get("unit"), "region": r.get("region"), "first_treated": r.get("first_treated"),
                     "verdict": _code(r), "status": "ok",
                     "n_subjects": cov.get("n_subjects"), "raters_per_subject": cov.get("raters_per_subject"),
                     "missing_share": cov.get("missing_share"), "agreement": con.get("agreement_median"),
                     "agreement_min": con.get("agreement_min"),
                     "flagged_share": cal.get("flagged_share"),
                     "reason": reasons[0].get("text", "") if reasons else "",
                     "_reason": reason_text(reasons[0], lang, min_cell=min_cell, record=r) if reasons else ""})
    df = pd.DataFrame(rows, columns=["unit", "region", "first_treated", "verdict", "status", "n_subjects",
                                     "raters_per_subject", "missing_share", "agreement", "agreement_min",
                                     "flagged_share", "reason", "_reason"])
    if raw:
        return df.drop(columns="_reason")
    show = pd.DataFrame({
        text("unit", lang): df["unit"].astype(str),
        text("region", lang): df["region"].fillna("–").astype(str),
        text("pilot_start", lang): df["first_treated"].fillna("–").astype(str),
        text("verdict", lang): [text(v, lang) if isinstance(v, str) and has(v) else "–" for v in df["verdict"]],
        text("n_subjects", lang): df["n_subjects"],
        text("agreement", lang): [fmt(v, lang) for v in df["agreement"]],
        text("flagged_share", lang): [fmt(v, lang, pct=True) for v in df["flagged_share"]],
        text("missing_share", lang): [fmt(v, lang, pct=True) for v in df["missing_share"]],
        text("reason", lang): df["_reason"].fillna("").astype(str),
    })
    show[text("n_subjects", lang)] = [("–" if pd.isna(v) else int(v)) for v in df["n_subjects"]]
    return suppress(show, text("n_subjects", lang), [text("agreement", lang), text("flagged_share", lang),
                                                     text("missing_share", lang)], min_cell=min_cell, lang=lang)


# ------------------------------------------------------------------------------------ first page
def _periods(records: Sequence[dict], study: Any) -> tuple[list, list]:
    firsts = [(r.get("coverage") or {}).get("period_first") for r in _ok(records)]
    lasts = [(r.get("coverage") or {}).get("period_last") for r in _ok(records)]
    firsts, lasts = [p for p in firsts if p], [p for p in lasts if p]
    declared = [str(p) for p in (getattr(study, "periods", None) or [])]
    rp = [min(firsts), max(lasts)] if firsts and lasts else ([declared[0], declared[-1]] if declared else [])
    op: list = []
    out = getattr(study, "outcomes", None)
    if isinstance(out, pd.DataFrame) and "period" in out and len(out):
        have = [str(p) for p in pd.unique(out["period"].astype(str))]
        order = [p for p in declared if p in have] or sorted(have)
        op = [order[0], order[-1]]
    return rp, op


def _span(p: Sequence[str], lang: str) -> str:
    if not p:
        return "–"
    return p[0] if p[0] == p[-1] else f"{p[0]} {'s.d.' if lang != 'en' else 'to'} {p[-1]}"


def _outcome_info(study: Any = None, config: Mapping | None = None) -> dict:
    info = dict(getattr(study, "outcome_info", None) or {})
    if not info and config:
        info = dict((config or {}).get("outcomes") or {})
    return info


def _primary_outcomes(info: Mapping, available: Iterable[str]) -> list[str]:
    avail = list(dict.fromkeys(available))
    prim = [oc for oc in avail if (info.get(oc) or {}).get("primary")]
    return prim or avail[:1]


def _label(info: Mapping, oc: str, lang: str) -> str:
    e = info.get(oc) or {}
    return str(e.get("label_en" if lang == "en" else "label") or e.get("label") or oc)


def _effect_sentence(pooled: Any, info: Mapping, lang: str) -> str:
    res = (pooled.results if isinstance(pooled, Section) else dict(pooled or {})).get("outcomes") or {}
    prim = _primary_outcomes(info, res)
    if not prim:
        return text("summary.effect_none", lang)
    oc = prim[0]
    e = res[oc]
    eff, lo, hi = _num(e.get("att", e.get("effect", e.get("value")))), _num(e.get("ci_low")), _num(e.get("ci_high"))
    if eff is None:
        return text("summary.effect_none", lang)
    sure = lo is not None and hi is not None and (lo > 0 or hi < 0)
    direction = "up" if eff > 0 else "down" if eff < 0 else "flat"
    return text("summary.effect", lang, outcome=_label(info, oc, lang), direction=text(f"direction.{direction}", lang),
                size=fmt(abs(eff), lang), ci_low=fmt(lo, lang), ci_high=fmt(hi, lang),
                verdict=text("summary.effect_sure" if sure else "summary.effect_unsure", lang))


def _short(code: str, lang: str) -> str:
    return text(f"short.{code}", lang) if has(f"short.{code}") else code


def _harm_units(records: Sequence[dict]) -> list[dict]:
    return [r for r in _ok(records) if any(rs.get("code") in HARM_CODES for rs in _reasons(r))]


def _ruled_out(r: Mapping) -> bool:
    """Every primary outcome's interval excludes the benefit sought (evidence of no such benefit)."""
    return any(rs.get("code") == "no_benefit" and rs.get("ruled_out") for rs in _reasons(r))


def _too_small(r: Mapping) -> bool:
    """A primary outcome of the unit is too small to see (the unit-level flag, or one outcome's)."""
    if _ruled_out(r):
        return False
    imp = r.get("impact") or {}
    if imp.get("too_small_to_see"):
        return True
    outcomes = imp.get("outcomes") or {}
    primary = imp.get("primary") or list(outcomes)
    return any((outcomes.get(oc) or {}).get("too_small_to_see") for oc in primary) or any(
        rs.get("code") == "too_small_to_see" for rs in _reasons(r))


def _risk(records: Sequence[dict], pooled: Any, lang: str) -> str:
    harm = _harm_units(records)
    if harm:
        return text("summary.risk", lang, risk=text("risk.harm", lang, n=len(harm)))
    res = (pooled.results if isinstance(pooled, Section) else dict(pooled or {})).get("outcomes") or {}
    pre = [(oc, _num(e.get("pval_pretrend"))) for oc, e in res.items()]
    pre = [(oc, p) for oc, p in pre if p is not None and p < 0.10]
    if pre:
        return text("summary.risk", lang, risk=text("risk.pretrend", lang, p=fmt(min(p for _, p in pre), lang, 3)))
    return text("summary.risk_none", lang)


def _moves(r: Mapping) -> dict:
    return dict((r.get("calibration") or {}).get("predikat_moves") or {})


def briefing_header(records: Sequence[dict], *, study_name: str = "", lang: str = "id", study: Any = None,
                    pooled: Any = None, run_id: str | None = None, thresholds: Mapping[str, Any] | None = None,
                    min_cell: int | None = None) -> Section:
    """The first page: title, the executive summary in plain sentences, data period and run.

    The summary says how many units may proceed, must fix, are held (and why), are not
    shown to benefit (and how many of those are too small to judge), the programme-wide
    effect on the first primary outcome with its interval (from ``pooled``, the
    :func:`pooled_effect` section), the main risk, and how many employees' predikat
    calibration would move. ``run_id`` may be the run folder (its name is used).

    Examples
    --------
    >>> recs = [{"unit": "A", "verdict": {"code": "SIAP", "reasons": []}},
    ...         {"unit": "B", "status": "failed", "error": "x"}]
    >>> h = briefing_header(recs, study_name="Studi", lang="en", run_id="reports/sample")
    >>> h.results["counts"]["SIAP"], h.results["failed"], h.results["meta"]["run_id"]
    (1, 1, 'sample')
    >>> h.results["summary"][0]  # doctest: +NORMALIZE_WHITESPACE
    'Of 1 pilot unit, 1 may proceed (READY), 0 must fix their appraisal first (FIX FIRST), 0 are on hold (HOLD)
     and 0 have not shown a benefit (NOT SHOWN). Not processed, and so not judged: 1 unit; the details are in
     the run log.'
    """
    from evaltools import __version__

    k = _min_cell(thresholds, min_cell)
    ok = _ok(records)
    counts = {v: sum(1 for r in ok if _code(r) == v) for v in _CODES}
    failed = len(records) - len(ok)
    config = getattr(study, "config", None) or {}
    info = _outcome_info(study, config)
    sentences = [text("summary.counts", lang, n=len(ok), n_siap=counts.get("SIAP", 0),
                      n_fix=counts.get("PERBAIKI DULU", 0), n_hold=counts.get("TUNDA", 0),
                      n_not_shown=counts.get("BELUM TERBUKTI", 0))]
    if failed:
        sentences[0] += " " + text("summary.failed", lang, n=failed)
    held = [r for r in ok if _code(r) == "TUNDA"]
    if held:
        what = "; ".join(f"{r.get('unit')} ({reason_text(_reasons(r)[0], lang, min_cell=k, record=r)})"
                         for r in held[:3] if _reasons(r))
        sentences.append(text("summary.hold", lang, what=what + ("; …" if len(held) > 3 else "")))
    else:
        sentences.append(text("summary.none_held", lang))
    fix_codes: dict[str, int] = {}
    for r in ok:
        if _code(r) == "PERBAIKI DULU":
            for c in dict.fromkeys(rs.get("code") for rs in _reasons(r) if rs.get("level") == "PERBAIKI DULU"):
                fix_codes[c] = fix_codes.get(c, 0) + 1
    if fix_codes:
        top = sorted(fix_codes.items(), key=lambda kv: -kv[1])[:3]
        sentences.append(text("summary.fix", lang, what=", ".join(text("short.count", lang, what=_short(c, lang), n=n)
                                                                  for c, n in top)))
    n_not = counts.get("BELUM TERBUKTI", 0)
    if n_not:
        n_small = sum(1 for r in ok if _code(r) == "BELUM TERBUKTI" and _too_small(r))
        n_ruled = sum(1 for r in ok if _code(r) == "BELUM TERBUKTI" and _ruled_out(r))
        key = "summary.not_shown" + (".both" if n_small and n_ruled else ".ruled_out" if n_ruled else "")
        sentences.append(text(key, lang, n_not_shown=n_not, n_small=n_small, n_ruled=n_ruled))
    sentences.append(_effect_sentence(pooled, info, lang))
    sentences.append(_risk(records, pooled, lang))
    moved = [_moves(r).get("n_moved") for r in ok]
    moved = [int(m) for m in moved if isinstance(m, (int, float))]
    if moved and len(sentences) < 6:
        n_units = sum(1 for m in moved if m > 0)
        sentences.append(text("summary.moves", lang, n=suppress_count(sum(moved), k, lang, style="text"),
                              units=n_units))
    rp, op = _periods(records, study)
    # the briefing notebook runs inside its run folder and may get run_dir="."
    rid = Path(str(run_id)).resolve().name if run_id else ""
    meta = {"study": study_name or getattr(study, "name", "") or "", "ratings_period": rp, "outcomes_period": op,
            "made": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "library_version": __version__, "run_id": rid}
    sec = Section(key="briefing_header", title=text("briefing_title", lang))
    sec.lead = " ".join(sentences)
    sec.notes = [text("meta.line", lang, ratings_period=_span(rp, lang), outcomes_period=_span(op, lang),
                      made=meta["made"], version=__version__, run_id=rid or "–")]
    sec.results = {"counts": {c: counts[c] for c in VERDICTS}, "counts_all": counts, "failed": failed,
                   "summary": sentences, "meta": meta}
    return sec


# ------------------------------------------------------------------------------ verdict groups
def _briefing_config(config: Mapping | None) -> dict:
    return dict((config or {}).get("briefing") or {})


def owner_for(code: str, lang: str = "id", config: Mapping | None = None) -> str:
    """Who acts on a reason code: ``[briefing.owners]`` of study.toml, else the catalog default.

    Examples
    --------
    >>> owner_for("raters_flagged"), owner_for("raters_flagged", config={"briefing": {"owners": {
    ...     "raters_flagged": "Sekretaris Dinas"}}})
    ('Tim Penilai Kinerja', 'Sekretaris Dinas')
    """
    owners = _briefing_config(config).get("owners") or {}
    if code in owners:
        return str(owners[code])
    return text(f"owner.{code}", lang) if has(f"owner.{code}") else text("owner.default", lang)


def deadline_for(code: str, lang: str = "id", config: Mapping | None = None) -> str:
    """By when: ``[briefing] deadline`` (one text, or a table by reason code), else the default.

    Examples
    --------
    >>> deadline_for("few_raters", "en"), deadline_for("x", config={"briefing": {"deadline": "30 Juni 2026"}})
    ('before the next wave starts', '30 Juni 2026')
    """
    d = _briefing_config(config).get("deadline")
    if isinstance(d, Mapping):
        if code in d:
            return str(d[code])
        d = d.get("default")
    if d:
        return str(d)
    return text("deadline.ready" if code == "ready" else "deadline.default", lang)


def _unit_effect(r: Mapping, info: Mapping, lang: str) -> str:
    outs = (r.get("impact") or {}).get("outcomes") or {}
    cells = []
    for oc in _primary_outcomes(info, outs):
        e = outs.get(oc) or {}
        if _num(e.get("effect")) is None:
            continue
        cells.append(text("effect.cell", lang, outcome=_label(info, oc, lang), effect=fmt(e.get("effect"), lang),
                          ci_low=fmt(e.get("ci_low"), lang), ci_high=fmt(e.get("ci_high"), lang)))
    return "; ".join(cells) or text("effect.none", lang)


def verdict_groups(records: Sequence[dict], *, config: Mapping | None = None, study: Any = None,
                   thresholds: Mapping[str, Any] | None = None, lang: str = "id",
                   min_cell: int | None = None) -> Section:
    """Units grouped by verdict, what needs a decision first (:data:`VERDICT_ORDER`), then units
    that could not be processed.

    Each row: the unit (``href`` = its page, ``units/<file>.html``), its verdict, its own
    effect on the primary outcomes with the 95% interval, the main reason, who acts and by
    when (:func:`owner_for`, :func:`deadline_for`).

    Examples
    --------
    >>> recs = [{"unit": "A", "file": "A", "verdict": {"code": "SIAP", "reasons": []}},
    ...         {"unit": "B", "file": "B", "verdict": {"code": "TUNDA", "reasons": [
    ...          {"code": "few_subjects", "level": "TUNDA", "value": 8, "threshold": 10}]}}]
    >>> g = verdict_groups(recs, lang="en")
    >>> [(x["code"], [row["unit"] for row in x["rows"]]) for x in g.results["groups"]]
    [('TUNDA', ['B']), ('SIAP', ['A'])]
    >>> g.results["groups"][0]["rows"][0]["href"], g.results["groups"][0]["rows"][0]["owner"]
    ('units/B.html', 'Head of the OPD with the BKPSDM')
    """
    k = _min_cell(thresholds, min_cell)
    config = config if config is not None else (getattr(study, "config", None) or {})
    info = _outcome_info(study, config)
    groups = []
    codes = [c for c in _CODES if any(_code(r) == c for r in _ok(records))]
    for code in codes:
        rows = []
        for r in _ok(records):
            if _code(r) != code:
                continue
            reasons = _reasons(r)
            first = next((rs for rs in reasons if rs.get("level") == code), reasons[0] if reasons else None)
            rc = str(first.get("code")) if first else "ready"
            rows.append({"unit": str(r.get("unit")), "href": f"units/{r['file']}.html" if r.get("file") else None,
                         "verdict": code, "label": text(code, lang) if has(code) else code,
                         # a unit too small to show shows none of its own figures (as summary.xlsx)
                         "effect": ("–" if _small((r.get("coverage") or {}).get("n_subjects"), k)
                                    else _unit_effect(r, info, lang)),
                         "reason": reason_text(first, lang, min_cell=k, record=r) if first else
                         text("reason.ready", lang),
                         "reason_code": rc, "owner": owner_for(rc, lang, config),
                         "deadline": deadline_for(rc, lang, config)})
        groups.append({"code": code, "label": text(f"group.{code}", lang) if has(f"group.{code}") else code,
                       "n": len(rows), "rows": rows})
    bad = [r for r in records if r.get("status", "ok") != "ok"]
    if bad:
        groups.append({"code": "failed", "label": text("group.failed", lang), "n": len(bad), "rows": [
            {"unit": str(r.get("unit")), "href": None, "verdict": "failed", "label": text("failed", lang),
             "effect": "–", "reason": text("reason.failed", lang), "reason_code": "failed",
             "owner": text("owner.default", lang), "deadline": deadline_for("failed", lang, config)} for r in bad]})
    sec = Section(key="verdict_groups", title=text("verdict_groups", lang), lead=text("groups.lead", lang, k=k))
    cols = {"unit": text("unit", lang), "label": text("verdict", lang), "effect": text("primary_effect", lang),
            "reason": text("reason", lang), "owner": text("owner", lang), "deadline": text("deadline", lang)}
    for g in groups:
        df = pd.DataFrame(g["rows"], columns=list(cols)).rename(columns=cols)
        df.attrs["links"] = {cols["unit"]: [row["href"] for row in g["rows"]]}
        sec.tables.append((f"{g['label']} ({g['n']})", df))
    sec.results = {"order": [g["code"] for g in groups], "groups": groups, "min_cell": k}
    return sec


# ---------------------------------------------------------------------- calibration consequences
def calibration_consequences(records: Sequence[dict], *, lang: str = "id", min_cell: int | None = None,
                             thresholds: Mapping[str, Any] | None = None) -> Section:
    """How many employees' predikat would change if scores were corrected for rater severity,
    per unit (latest period), with small counts hidden and complementary suppression across
    the up/down split and the total row.

    Examples
    --------
    >>> recs = [{"unit": u, "calibration": {"predikat_moves": {"period": "2025-S2", "n_rated": 40, "n_moved": m,
    ...          "n_up": up, "n_down": m - up}}} for u, m, up in (("A", 12, 7), ("B", 9, 3))]
    >>> sec = calibration_consequences(recs, lang="en")

    B's 3 up-moves are hidden, so are its down-moves (9 - 3), and A's split too (else the
    column totals give B's back):

    >>> sec.tables[0][1].iloc[:, 2:].values.tolist()
    [[40, 12, '×', '×'], [40, 9, '<5', '×'], [80, 21, 10, 11]]
    """
    k = _min_cell(thresholds, min_cell)
    rows = []
    for r in _ok(records):
        m = _moves(r)
        if m.get("n_moved") is None:
            continue
        rows.append({"unit": str(r.get("unit")), "period": str(m.get("period") or "–"), "n_rated": m.get("n_rated"),
                     "n_moved": m.get("n_moved"), "n_up": m.get("n_up"), "n_down": m.get("n_down")})
    sec = Section(key="calibration_moves", title=text("calibration_moves", lang), lead=text("moves.lead", lang, k=k))
    if not rows:
        sec.lead = text("moves.none", lang)
        sec.results = {"available": False, "rows": [], "min_cell": k}
        return sec
    df = pd.DataFrame(rows)
    shown = suppress_frame(df, ["n_rated", "n_moved", "n_up", "n_down"], min_cell=k, lang=lang,
                           totals=[("n_moved", ["n_up", "n_down"])], total_row=text("total", lang))
    shown.loc[len(shown) - 1, "period"] = ""
    sec.results = {"available": True, "min_cell": k, "rows": shown.iloc[:-1].to_dict("records"),
                   "total": shown.iloc[-1].to_dict()}
    sec.tables.append(("", shown.rename(columns={"unit": text("unit", lang), "period": text("period", lang),
                                                 "n_rated": text("n_subjects", lang),
                                                 "n_moved": text("n_moved", lang), "n_up": text("n_up", lang),
                                                 "n_down": text("n_down", lang)})))
    return sec


# ------------------------------------------------------------------------- the rest of the pages
def verdict_overview(records: Sequence[dict], *, thresholds: Mapping[str, Any] | None = None, lang: str = "id",
                     min_cell: int | None = None) -> Section:
    """The verdict table and the chart of the verdict rules (or key figures) per unit.

    Cells describing fewer than ``min_cell`` employees (default: the ``min_cell``
    threshold) are hidden, and such units are left out of the chart.

    Examples
    --------
    >>> recs = [{"unit": "Dinas A", "coverage": {"n_subjects": 40, "raters_per_subject": 4.0, "missing_share": 0.1},
    ...          "consistency": {"agreement_median": 0.82, "agreement_min": 0.71},
    ...          "calibration": {"flagged_share": 0.05},
    ...          "verdict": {"code": "SIAP", "reasons": []}},
    ...         {"unit": "Dinas B", "coverage": {"n_subjects": 3}, "verdict": {"code": "TUNDA", "reasons": [
    ...             {"code": "few_subjects", "level": "TUNDA", "value": 3, "threshold": 10, "text": "only 3"}]}}]
    >>> sec = verdict_overview(recs, lang="en")
    >>> print(sec.tables[0][1][["Unit", "Verdict", "Employees rated", "Main reason"]].to_string(index=False))
    ... # doctest: +NORMALIZE_WHITESPACE
       Unit Verdict Employees rated                               Main reason
    Dinas A   READY              40
    Dinas B    HOLD              <5 fewer than 5 employees rated (minimum 10)
    >>> [caption for caption, _ in sec.figures]
    ['Verdict rules per unit: passed or not']
    """
    from evaltools import plots

    th = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    k = _min_cell(th, min_cell)
    sec = Section(key="verdict_per_unit", title=text("verdict_per_unit", lang))
    sec.tables.append(("", verdict_table(records, lang=lang, min_cell=k)))
    raw = verdict_table(_ok(records), raw=True)
    raw = raw[pd.to_numeric(raw["n_subjects"], errors="coerce").fillna(0) >= k]
    if len(raw):
        measures = {"agreement_min": (text("chart.weakest_item", lang), th["min_agreement"], True),
                    "raters_per_subject": (text("chart.raters", lang), th["min_raters_per_subject"], True),
                    "flagged_share": (text("chart.flagged", lang), th["max_flagged_share"], False),
                    "missing_share": (text("chart.missing", lang), th["max_missing_share"], False)}
        rule_table = getattr(importlib.import_module(f"{__package__}.pages"), "rule_table", None)
        # read from the package, where a caller may set it for the whole briefing
        if len(raw) <= importlib.import_module(__package__).MAX_PANELS:
            if rule_table is not None and hasattr(plots, "rule_matrix"):
                # units in the order of the verdict groups: what needs a decision first
                order = {c: i for i, c in enumerate(_CODES)}
                ranked = sorted(_ok(records), key=lambda r: (order.get(_code(r), len(order)), str(r.get("unit"))))
                sec.add_figure(text("chart.rules", lang), plots.rule_matrix(rule_table(ranked), lang=lang))
            else:
                sec.add_figure(text("chart.multiples", lang),
                               plots.verdict_multiples(raw, measures=measures, lang=lang))
        else:  # national scale: one panel per unit would not be readable
            sec.add_figure(text("chart.by_region", lang), plots.verdict_by_region(raw, lang=lang))
    sec.lead = text("overview.lead", lang, k=k)
    return sec


def blockers(records: Sequence[dict], *, lang: str = "id", min_cell: int = 5) -> Section:
    """What stops each unit that is not ready, in plain sentences (counts below ``min_cell`` hidden).

    Examples
    --------
    >>> recs = [{"unit": "A", "verdict": {"code": "TUNDA", "reasons": [
    ...     {"code": "few_subjects", "level": "TUNDA", "value": 3, "threshold": 10}]}}]
    >>> blockers(recs).tables[0][1].iloc[0, 0]
    'A: kurang dari 5 pegawai dinilai (minimal 10)'
    """
    sec = Section(key="blockers", title=text("blockers", lang))
    items = []
    for r in _ok(records):
        if _code(r) in (None, "SIAP"):
            continue
        cal = r.get("calibration") or {}
        for rs in _reasons(r):
            if rs.get("code") == "raters_flagged":
                items.append(f"{r.get('unit')}: " + _flag_sentence(cal, lang, min_cell))
            else:
                items.append(f"{r.get('unit')}: " + reason_text(rs, lang, min_cell=min_cell, record=r))
    sec.lead = text("blockers.none", lang) if not items else ""
    if items:
        sec.tables.append(("", pd.DataFrame({text("reason", lang): items})))
    return sec


def _flag_sentence(cal: Mapping, lang: str, min_cell: int) -> str:
    parts = []
    for kind in ("lenient", "severe"):
        n = cal.get(f"n_{kind}") or 0
        if n:
            sev = _num(cal.get(f"mean_severity_{kind}"))
            parts.append(text(f"flags.{kind}", lang, n=suppress_count(n, min_cell, lang, style="text"),
                              points=fmt(abs(sev or 0), lang)))
    return "; ".join(parts) or text("flags.any", lang, n=suppress_count(cal.get("n_flagged"), min_cell, lang,
                                                                          style="text"))


def actions(records: Sequence[dict], *, lang: str = "id", config: Mapping | None = None,
            thresholds: Mapping[str, Any] | None = None) -> Section:
    """Recommended actions, one per kind of problem found, with the units concerned, who acts
    and by when.

    Examples
    --------
    >>> recs = [{"unit": "A", "verdict": {"code": "PERBAIKI DULU", "reasons": [{"code": "missing_360"}]}}]
    >>> actions(recs, lang="en").tables[0][1].iloc[0].tolist()[1:]
    ['A', 'Head of the OPD', 'before the next wave starts']
    """
    th = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    sec = Section(key="actions", title=text("actions", lang))
    by_action: dict[tuple[str, str], list[str]] = {}
    for r in _ok(records):
        for rs in acted_on(_reasons(r)):
            by_action.setdefault((action_key(rs), str(rs.get("code"))), []).append(str(r.get("unit")))
    rows = []
    for (act, code), units in by_action.items():
        if not has(act):
            continue
        rows.append({text("action", lang): text(act, lang, target=th["target_reliability"]),
                     text("unit", lang): ", ".join(sorted(set(units))),
                     text("owner", lang): owner_for(code, lang, config),
                     text("deadline", lang): deadline_for(code, lang, config)})
    needed = [(r.get("calibration") or {}).get("raters_needed") for r in _ok(records)]
    needed = [n for n in needed if n is not None]
    if needed:
        rows.append({text("action", lang): text("action.raters_plan", lang, n=int(np.nanmax(needed)),
                                                target=th["target_reliability"]),
                     text("unit", lang): "–", text("owner", lang): owner_for("ready", lang, config),
                     text("deadline", lang): deadline_for("ready", lang, config)})
    if rows:
        sec.tables.append(("", pd.DataFrame(rows)))
    else:
        sec.lead = text("action.proceed", lang)
    return sec


def failures(records: Sequence[dict], *, lang: str = "id") -> Section:
    """Units whose notebook failed: one plain sentence each, pointing to the log (no traceback).

    Examples
    --------
    >>> failures([{"unit": "D", "status": "failed", "file": "D", "error": "Traceback ..."}], lang="en").tables[0][1]
      Unit                                            Details
    0    D  This unit could not be processed; the technica...
    """
    bad = [r for r in records if r.get("status", "ok") != "ok"]
    sec = Section(key="failures", title=text("failures", lang))
    if not bad:
        sec.lead = text("failures.none", lang)
        return sec
    # the record's own log (the whole error) when the runner wrote one, else the manifest
    logs = [str(r.get("log") or (f"units/{r['file']}.ipynb, manifest.json" if r.get("file") else "manifest.json"))
            for r in bad]
    sec.tables.append(("", pd.DataFrame({text("unit", lang): [str(r.get("unit")) for r in bad],
                                         text("error", lang): [text("failures.one", lang, log=g) for g in logs]})))
    sec.results = {"units": [str(r.get("unit")) for r in bad]}
    return sec


#: the technical terms the briefing and the unit pages show, in glossary order
GLOSSARY_TERMS = ("ICC", "alpha", "interval", "p", "DiD", "synthetic", "control", "RMSPE", "MDE", "EB", "power",
                  "severity", "central", "halo")


def annex(*, lang: str = "id", terms: Sequence[str] | None = None) -> Section:
    """The annex: methods in a paragraph and a glossary of every technical term the pages show.

    Examples
    --------
    >>> a = annex(lang="en", terms=["p"])
    >>> a.tables[0][1].iloc[0].tolist()
    ['p-value', 'the chance of a difference this large if the pilot had no effect; the smaller, the stronger the evidence']
    """
    keys = list(terms or GLOSSARY_TERMS)
    sec = Section(key="annex", title=text("annex", lang), lead=text("methods.text", lang))
    rows = [{text("term", lang): text(f"term.{t}", lang), text("meaning", lang): text(f"def.{t}", lang)}
            for t in keys if has(f"term.{t}")]
    sec.tables.append((text("glossary", lang), pd.DataFrame(rows)))
    sec.results = {"terms": [t for t in keys if has(f"term.{t}")]}
    return sec


__all__ = ["VERDICT_ORDER", "GLOSSARY_TERMS", "actions", "annex", "blockers", "briefing_header",
           "calibration_consequences", "deadline_for", "failures", "owner_for", "suppress", "verdict_groups",
           "verdict_overview", "verdict_table"]

"""The sections of a unit report: coverage, consistency, calibration (impact in ``impact``),
assembled by :func:`unit_sections`; the unit header, the verdict box with what the unit must
do (:func:`verdict_section`) and the annex of method notes (:func:`unit_annex`).

A section whose statistic is undefined on the unit's data (one rated employee, one rater)
says so with the reason ("tidak dapat dihitung: …"), it does not fail.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evaltools import calibration as _calibration_lib
from evaltools import plots, reliability
from evaltools._distinct import unique_codes
from evaltools.asn import ORDINAL_ITEMS

from ._base import (Section, _all_categorical, _is_data_problem, _item_span, _num, _numeric_items, _rater_means,
                    _strings, _unit_ratings)
from ._text import _ci, _localize, acted_on, action_key, fmt, reason_text, role_label, text
from .disclosure import suppress_count, suppress_frame, suppression_mask
from .impact import impact
from .messages import has
from .thresholds import DEFAULT_THRESHOLDS, PRIMARY_COEFFICIENTS


def _k(th: Mapping[str, Any] | None) -> int:
    return int({**DEFAULT_THRESHOLDS, **(th or {})}["min_cell"])


def _method_notes(sec: Section) -> list:
    # method details go to the page's annex (unit_annex); sec.notes keep what the reader must see
    return sec.raw.setdefault("method_notes", [])


def _not_computable(sec: Section, why: str, lang: str, **results: Any) -> Section:
    sec.lead = text("not_computable", lang, why=text(f"why.{why}", lang))
    sec.results = {"available": True, "computable": False, "why": why, **results}
    return sec


def coverage(study: Any, unit: str, *, lang: str = "id", thresholds: Mapping[str, Any] | None = None) -> Section:
    """Who was rated, by how many raters, and how much of the 360° design is missing.

    ``missing_share``: of the items a rater's role rates in the unit, the share a rater
    who rated an employee left unrated (item non-response). Counts of people below
    ``min_cell`` are shown as "<k" (:mod:`.disclosure`).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> r = pd.DataFrame({"period": "P1", "unit": "U", "subject": ["s1", "s1", "s2"], "rater": ["a", "b", "a"],
    ...                   "rater_role": "rekan_kerja", "item": "Loyal", "score": [4.0, 3.0, 5.0]})
    >>> sec = coverage(SimpleNamespace(ratings=r), "U", lang="en")
    >>> sec.results["n_subjects"], sec.results["raters_per_subject"], sec.results["period_last"]
    (2, 1.5, 'P1')
    """
    return _coverage(study, _unit_ratings(study, unit), lang=lang, thresholds=thresholds)


def _coverage(study: Any, r: pd.DataFrame, *, lang: str, thresholds: Mapping[str, Any] | None,
              num: pd.DataFrame | None = None) -> Section:
    k = _k(thresholds)
    sec = Section(key="coverage", title=text("coverage", lang))
    if num is None:
        num = r[r["item"].isin(_numeric_items(study, r))]
    roles = [str(x) for x in (getattr(study, "roles", None) or sorted(_strings(r["rater_role"]).unique()))]
    c = _coverage_counts(r, num, roles)
    n_sub, n_rat, per_target, miss, missing_share = (c["n_subjects"], c["n_raters"], c["per_target"],
                                                     c["missing_by_role"], c["missing_share"])
    rps = float(np.median(per_target)) if len(per_target) else float("nan")
    periods = _period_order(study, r["period"])
    sec.results = {"available": True, "n_subjects": n_sub, "n_raters": n_rat, "n_ratings": int(len(r)),
                   "n_periods": len(periods), "raters_per_subject": rps,
                   "min_raters_per_subject": float(per_target.min()) if len(per_target) else float("nan"),
                   "missing_share": missing_share, "missing_by_role": miss,
                   "period_first": periods[0] if periods else None, "period_last": periods[-1] if periods else None}
    sec.lead = text("coverage.lead", lang, n_subjects=suppress_count(n_sub, k, lang, style="text"),
                    n_raters=n_rat, n_ratings=int(len(r)), n_periods=len(periods), rps=rps, missing=missing_share)
    tab = pd.DataFrame({
        text("role", lang): [role_label(ro, lang) for ro in roles],
        text("n_raters", lang): [c["raters_by_role"].get(ro, 0) for ro in roles],
        text("n_ratings", lang): [c["ratings_by_role"].get(ro, 0) for ro in roles],
        text("missing_share", lang): [fmt(miss[ro], lang, pct=True) for ro in roles],
    })
    sec.tables.append(("", tab))
    return sec


def _coverage_counts(r: pd.DataFrame, num: pd.DataFrame, roles: Sequence[str]) -> dict[str, Any]:
    """The coverage section's counts: employees, raters, raters per target, ratings and raters
    per role, and item non-response (by role and overall).

    Item non-response: a rater who rated an employee should rate every item their role rates
    in this unit (the public rates only the public-facing items, so "every item" is per role):
    1 - ratings / (rater-target pairs x the role's items).

    From the categorical ids' codes (grouped counts over integer keys) when the columns are
    categoricals without gaps, as a Study holds them; else by pandas grouping.
    """
    keys = ("subject", "rater", "target", "rater_role", "item")
    if _all_categorical(r, keys) and _all_categorical(num, keys):
        return _coverage_counts_codes(r, num, roles)
    per_target = r.groupby("target", observed=True)["rater"].nunique().to_numpy(float)
    role = _strings(num["rater_role"])
    items_per_role = num.groupby(role, observed=True)["item"].nunique()
    pairs = num.groupby([role.rename("role"), num["target"], num["rater"]], observed=True).size()
    pair_role = pairs.index.get_level_values("role")
    expected = pd.Series(items_per_role.reindex(pair_role).to_numpy(float), index=pairs.index)
    exp_role = expected.groupby(level="role").sum()
    obs_role = pairs.groupby(level="role").sum()
    miss = {ro: (1 - float(obs_role.get(ro, 0)) / float(exp_role[ro])) if exp_role.get(ro, 0) else float("nan")
            for ro in roles}
    missing_share = 1 - float(pairs.sum()) / float(expected.sum()) if expected.sum() else float("nan")
    by_role = r.groupby(_strings(r["rater_role"]), observed=True)
    n_raters, n_ratings = by_role["rater"].nunique(), by_role.size()
    return {"n_subjects": int(r["subject"].nunique()), "n_raters": int(r["rater"].nunique()),
            "per_target": per_target, "missing_by_role": miss, "missing_share": missing_share,
            "raters_by_role": {ro: int(n_raters.get(ro, 0)) for ro in roles},
            "ratings_by_role": {ro: int(n_ratings.get(ro, 0)) for ro in roles}}


def _coverage_counts_codes(r: pd.DataFrame, num: pd.DataFrame, roles: Sequence[str]) -> dict[str, Any]:
    """:func:`_coverage_counts` on the codes of categorical ids (no missing values)."""
    def codes(d: pd.DataFrame, c: str) -> tuple[np.ndarray, int]:
        return d[c].cat.codes.to_numpy(np.int64), len(d[c].cat.categories)

    def distinct(a: np.ndarray, n_a: int, b: np.ndarray, n_b: int) -> np.ndarray:
        """Distinct b values per a value (length n_a)."""
        return np.bincount(unique_codes(a * n_b + b, n_a * n_b) // n_b, minlength=n_a)

    subj, n_subj = codes(r, "subject")
    rat, n_r = codes(r, "rater")
    tgt, n_t = codes(r, "target")
    rl, n_rl = codes(r, "rater_role")
    seen_t = np.bincount(tgt, minlength=n_t) > 0
    per_target = distinct(tgt, n_t, rat, n_r)[seen_t].astype(float)
    names = [str(x) for x in r["rater_role"].cat.categories]
    raters_by = dict(zip(names, distinct(rl, n_rl, rat, n_r).tolist()))
    ratings_by = dict(zip(names, np.bincount(rl, minlength=n_rl).tolist()))
    # item non-response on the numeric items
    nrl, n_nrl = codes(num, "rater_role")
    nt, n_nt = codes(num, "target")
    nr, n_nr = codes(num, "rater")
    ni, n_ni = codes(num, "item")
    items_per_role = distinct(nrl, n_nrl, ni, n_ni).astype(float)
    pair, per_pair = unique_codes((nrl * n_nt + nt) * n_nr + nr, n_nrl * n_nt * n_nr, return_counts=True)
    pair_role = pair // (n_nt * n_nr)
    exp_role = np.bincount(pair_role, weights=items_per_role[pair_role], minlength=n_nrl)
    obs_role = np.bincount(pair_role, weights=per_pair, minlength=n_nrl)
    code_of = {str(x): i for i, x in enumerate(num["rater_role"].cat.categories)}
    miss = {}
    for ro in roles:
        i = code_of.get(ro)
        miss[ro] = (1 - float(obs_role[i]) / float(exp_role[i])) if i is not None and exp_role[i] else float("nan")
    total = float(exp_role.sum())
    return {"n_subjects": int(np.count_nonzero(np.bincount(subj, minlength=n_subj))),
            "n_raters": int(np.count_nonzero(np.bincount(rat, minlength=n_r))),
            "per_target": per_target, "missing_by_role": miss,
            "missing_share": 1 - float(per_pair.sum()) / total if total else float("nan"),
            "raters_by_role": {ro: int(raters_by.get(ro, 0)) for ro in roles},
            "ratings_by_role": {ro: int(ratings_by.get(ro, 0)) for ro in roles}}


def _period_order(study: Any, periods: pd.Series) -> list[str]:
    have = [str(p) for p in pd.unique(_strings(periods))]
    declared = [str(p) for p in (getattr(study, "periods", None) or [])]
    return [p for p in declared if p in have] + sorted(p for p in have if p not in declared)


def _pick_primary(agr: pd.DataFrame) -> pd.DataFrame:
    """Rows of the preferred coefficient (:data:`PRIMARY_COEFFICIENTS`, first available)."""
    if "coefficient" not in agr:
        return agr
    have = list(pd.unique(agr["coefficient"]))
    for c in PRIMARY_COEFFICIENTS:
        if c in have:
            return agr[agr["coefficient"] == c]
    return agr[agr["coefficient"] == have[0]] if have else agr


def consistency(study: Any, unit: str, *, thresholds: Mapping[str, Any] | None = None, lang: str = "id") -> Section:
    """Reliability of the 360° score by item and by rater role, with intervals and plain labels.

    Calls ``evaltools.reliability.agreement`` on the unit's numeric (360°) items at the
    interval level, one object of measurement per employee and period.

    Examples
    --------
    One rated employee: reliability is not computable, and the section says why.

    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> r = pd.DataFrame({"period": "P1", "unit": "U", "subject": "s1", "rater": ["a", "b"],
    ...                   "rater_role": "rekan_kerja", "item": "Loyal", "score": [4.0, 3.0]})
    >>> consistency(SimpleNamespace(ratings=r), "U").lead
    'Tidak dapat dihitung untuk unit ini: hanya satu pegawai dinilai'
    """
    r = _unit_ratings(study, unit)
    return _consistency(study, r[r["item"].isin(_numeric_items(study, r))], thresholds=thresholds, lang=lang)


def _consistency(study: Any, num: pd.DataFrame, *, thresholds: Mapping[str, Any] | None, lang: str) -> Section:
    th = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    sec = Section(key="consistency", title=text("consistency", lang))
    empty = {"agreement_median": None, "items_below": [], "items_outlying": []}
    if num.empty:
        return _not_computable(sec, "no_numeric", lang, **empty)
    # one employee (even over several periods) leaves no between-employee variance to compare
    if num["subject"].nunique() < 2:
        return _not_computable(sec, "one_subject", lang, **empty)
    if num["rater"].nunique() < 2:
        return _not_computable(sec, "few_raters", lang, **empty)
    cats = None
    try:
        cats = study.categories(str(num["item"].iloc[0]))
    except Exception:
        pass
    # the verdict reads ICC(1,k) (analytic interval), the first primary coefficient, which the
    # interval level always has: the other coefficients are not computed
    primary = list(PRIMARY_COEFFICIENTS[:1])
    by_item = reliability.agreement(num, subject="target", rater="rater", score="score", level="interval", by="item",
                                    categories=cats, n_boot=0, coefficients=primary)
    # by role: each rater's mean over the 360° items, so a (employee, rater) pair is one rating
    comp = _rater_means(num)
    by_role = reliability.agreement(comp, subject="target", rater="rater", score="score", level="interval",
                                    by="rater_role", n_boot=0, coefficients=primary)
    pi = _pick_primary(by_item).copy()
    pr = _pick_primary(by_role).copy()
    coef = str(pi["coefficient"].iloc[0]) if "coefficient" in pi and len(pi) else "agreement"
    vals = pd.to_numeric(pi["value"], errors="coerce")
    med = float(vals.median()) if vals.notna().any() else float("nan")
    below = [str(i) for i, v in zip(pi["item"], vals) if pd.notna(v) and v < th["min_agreement"]]
    # an item raters read differently from the unit's other items: well below the unit's median
    # and its interval entirely below it (so sampling noise in a small unit does not count)
    hi = pd.to_numeric(pi["ci_high"], errors="coerce") if "ci_high" in pi else vals
    outlying = [str(i) for i, v, h in zip(pi["item"], vals, hi)
                if pd.notna(v) and str(i) not in below and med - v > th["max_item_gap"] and pd.notna(h) and h < med]
    # items every employee got one and the same score on: no agreement to measure (the ICC is
    # undefined), and when that is every item the ratings tell no one apart
    span = _item_span(num)
    flat = span[span["min"] == span["max"]]
    constant = [str(i) for i in flat.index]
    one_score = _num(flat["min"].iloc[0]) if len(flat) and flat["min"].nunique() == 1 else None
    label_col = "label_en" if lang == "en" else "label_id"
    sec.results = {"available": True, "coefficient": coef, "agreement_median": med,
                   "n_items": int(len(span)), "items_constant": constant, "n_items_constant": len(constant),
                   "constant_score": one_score,
                   "agreement_min": float(vals.min()) if vals.notna().any() else float("nan"),
                   "items_below": below, "items_outlying": outlying,
                   "by_item": {str(i): _num(v) for i, v in zip(pi["item"], vals)},
                   "by_role": {str(i): _num(v) for i, v in zip(pr["rater_role"], pd.to_numeric(pr["value"],
                                                                                             errors="coerce"))}}
    coef_name = "ICC(1,k)" if coef == "ICC1k" else ("alpha Krippendorff" if lang != "en" else "Krippendorff's alpha") \
        if coef == "krippendorff_alpha" else coef
    if constant and len(constant) == len(span):   # nothing to measure: say so, not "reliability is -"
        sec.lead = text("consistency.lead.no_variation", lang, n_items=len(span))
    else:
        sec.lead = text("consistency.lead", lang, coef=coef_name, median=med, n_below=len(below), n_items=len(pi),
                        threshold=th["min_agreement"])
    k = _k(th)

    def table(df: pd.DataFrame, key: str, head: str, names: Any) -> pd.DataFrame:
        none = [np.nan] * len(df)
        out = pd.DataFrame({
            text(head, lang): [names(x) for x in df[key].astype(str)],
            text("value", lang): [fmt(v, lang) for v in df["value"]],
            text("interval", lang): [_ci(a, b, lang) for a, b in zip(df["ci_low"] if "ci_low" in df else none,
                                                                    df["ci_high"] if "ci_high" in df else none)],
            text("n_targets", lang): df["n_subjects"].to_numpy() if "n_subjects" in df else np.array(none),
            text("label", lang): ([("" if pd.isna(x) else str(x)) for x in df[label_col]] if label_col in df
                                  else [""] * len(df)),
        })
        return suppress_frame(out, [text("n_targets", lang)], min_cell=k, lang=lang)

    sec.tables.append((text("item", lang), table(pi, "item", "item", str)))
    sec.tables.append((text("role", lang), table(pr, "rater_role", "role", lambda x: role_label(x, lang))))
    lo = pd.to_numeric(pi["ci_low"], errors="coerce") if "ci_low" in pi else vals
    if vals.notna().any() and lo.notna().any():  # a chart of undefined values only would have no scale
        sec.figures.append((text("consistency", lang), plots.agreement_by_item_svg(
            pi, threshold=th["min_agreement"], lang=lang)))
    # a note explains an undefined value (a method detail: the page's annex)
    for df, key in ((pi, "item"), (pr, "rater_role")):
        if "note" not in df:
            continue
        for name, v, note in zip(df[key], pd.to_numeric(df["value"], errors="coerce"), df["note"]):
            if pd.isna(v) and str(note or "") and not pd.isna(note):
                what = name if key == "item" else role_label(name, lang)
                _method_notes(sec).append(f"{what}: " + _localize(str(note), lang))
    sec.raw.update(by_item=by_item, by_role=by_role)
    return sec


def _is_flagged(fx: pd.DataFrame) -> pd.Series:
    if "flag" not in fx:
        return pd.Series(False, index=fx.index)
    f = fx["flag"]
    if f.dtype == bool:
        return f
    return f.fillna("ok").astype(str).ne("ok")


def calibration(study: Any, unit: str, *, thresholds: Mapping[str, Any] | None = None, lang: str = "id") -> Section:
    """Lenient and severe raters, central tendency and halo, predikat pattern, raters needed,
    and what calibration would change.

    Calls ``evaltools.calibration``: ``rater_effects`` (caterpillar plot, flags, the
    calibration meeting list), ``predikat`` + ``distribution_check`` (against the SE MenPANRB
    3/2023 pattern for the unit's Predikat Kinerja Organisasi), ``gstudy`` +
    ``raters_needed`` (raters for the target reliability) and ``adjusted_scores`` (whose
    predikat would change, latest period, if scores were corrected for rater severity).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> r = pd.DataFrame({"period": "P1", "unit": "U", "subject": ["s1", "s2"], "rater": "a",
    ...                   "rater_role": "atasan", "item": "Loyal", "score": [4.0, 3.0]})
    >>> calibration(SimpleNamespace(ratings=r), "U", lang="en").lead
    'Cannot be computed for this unit: fewer than two raters'
    """
    r = _unit_ratings(study, unit)
    return _calibration(study, unit, r, r[r["item"].isin(_numeric_items(study, r))], thresholds=thresholds,
                        lang=lang)


def _calibration(study: Any, unit: str, r: pd.DataFrame, num: pd.DataFrame, *,
                 thresholds: Mapping[str, Any] | None, lang: str) -> Section:
    th = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    k = _k(th)
    cal = _calibration_lib
    sec = Section(key="calibration", title=text("calibration", lang))
    res: dict[str, Any] = {"available": True}
    empty = {"n_flagged": None, "flagged_share": None}
    if num.empty:
        return _not_computable(sec, "no_numeric", lang, **empty)
    if num["rater"].nunique() < 2:
        return _not_computable(sec, "few_raters", lang, **empty)
    if num["subject"].nunique() < 2:
        return _not_computable(sec, "one_subject", lang, **empty)
    fx = cal.rater_effects(num, subject="target", rater="rater", score="score", item="item", role="rater_role",
                           severity_threshold=th["severity_threshold"], min_ratings=th["min_ratings"])
    flagged = _is_flagged(fx)
    n_flag = int(flagged.sum())
    kind = fx["flag"].astype(str) if "flag" in fx else pd.Series("ok", index=fx.index)
    assessable = fx["n_ratings"] >= th["min_ratings"] if "n_ratings" in fx else pd.Series(True, index=fx.index)
    n_assess = int(assessable.sum())
    n_sev = int(kind.isin(["severe", "lenient"]).sum())
    share = n_sev / n_assess if n_assess else float("nan")
    kinds = kind[flagged].value_counts().to_dict()
    res.update(n_raters=int(len(fx)), n_assessable=n_assess, n_flagged=n_flag, n_severity_flagged=n_sev,
               flagged_share=share, flag_kinds={str(k_): int(v) for k_, v in kinds.items()},
               n_lenient=int(kinds.get("lenient", 0)), n_severe=int(kinds.get("severe", 0)),
               mean_severity_lenient=_num(fx.loc[kind == "lenient", "severity"].mean()),
               mean_severity_severe=_num(fx.loc[kind == "severe", "severity"].mean()))
    # the raters that can be judged (enough ratings); the public's one-off ratings would drown them
    if assessable.any():
        sec.figures.append((text("calibration.caterpillar", lang, min_ratings=th["min_ratings"]),
                            plots.severity_caterpillar_svg(fx[assessable], lang=lang)))
    # the flags in numbers, without naming anyone in the summary line
    sec.lead = text("calibration.lead", lang, n_sev=n_sev, n_assess=n_assess, min_ratings=th["min_ratings"],
                    share=share, severity=th["severity_threshold"], n_other=n_flag - n_sev)
    _worklist(fx, flagged, sec, lang)
    # predikat distribution against the rule for the unit's organisational predikat
    try:
        res.update(_predikat_check(cal, study, r, unit, sec, lang, k))
    except Exception as exc:  # the data may lack the atasan's ordinal ratings; say so
        if not _is_data_problem(exc):
            raise
        sec.notes.append(text("not_computable", lang, why=text("why.data", lang)))
    # raters needed for the target reliability
    try:
        g = cal.gstudy(num, subject="target", rater="rater", score="score", item="item")
        need = cal.raters_needed(g, target=th["target_reliability"])
        res["raters_needed"] = _num(need)
        # -1: no number of raters reaches the target (no between-employee variance to find)
        sec.notes.append(text("calibration.raters_needed" if need > 0 else "calibration.raters_needed.none", lang,
                              target=th["target_reliability"], n=need))
    except Exception as exc:
        if not _is_data_problem(exc):
            raise
        res["raters_needed"] = None
    try:
        moves = _predikat_moves(cal, study, r, fx)
    except Exception as exc:
        if not _is_data_problem(exc):
            raise
        moves = None
    if moves is not None:
        res["predikat_moves"] = moves
        res["n_subjects_predikat_moves"] = moves["n_moved"]  # kept: the name earlier records carry
        sec.notes.append(_moves_sentence(moves, k, lang))
    sec.results = res
    sec.raw["rater_effects"] = fx
    return sec


def _worklist(fx: pd.DataFrame, flagged: pd.Series, sec: Section, lang: str) -> None:
    """The calibration meeting list: flagged raters by pseudonym, highest impact first.

    Impact (as ``calibration.calibration_worklist``): |severity| x employees rated for severe
    and lenient raters, (1 - sd_ratio) x employees for central tendency, halo x employees.
    """
    rows = np.flatnonzero(np.asarray(flagged, dtype=bool))
    if not rows.size:
        return

    def column(name: str, default: float) -> np.ndarray:   # a numeric column on the flagged rows
        if name not in fx:
            return np.full(rows.size, default)
        return pd.to_numeric(fx[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[rows]

    first = np.char.partition(fx["flag"].astype(str).to_numpy(dtype=str)[rows], "+")[:, 0]
    n_sub = np.nan_to_num(column("n_subjects", 1.0), nan=0.0)
    sev, sd_ratio, halo = np.abs(column("severity", np.nan)), column("sd_ratio", np.nan), column("halo", np.nan)
    impact_ = np.select([np.isin(first, ["severe", "lenient"]), first == "central"],
                        [sev * n_sub, (1 - sd_ratio) * n_sub], halo * n_sub)
    # highest impact first, ties in table order (a stable sort), at most 12
    top = np.argsort(-np.nan_to_num(impact_, nan=0.0), kind="stable")[:12]
    f = fx.iloc[rows[top]]
    rule = [text(f"calibration.rule.{x}", lang) if x in ("severe", "lenient", "central", "halo") else x
            for x in first[top]]
    ev = [text("calibration.evidence", lang, rule=ru, severity=_num(s), se=_num(se), sd_ratio=_num(sd), halo=_num(h),
               n_ratings=int(nr), n_subjects=int(ns))
          for ru, s, se, sd, h, nr, ns in zip(rule, f["severity"], f.get("se", f["severity"] * np.nan),
                                             f.get("sd_ratio", f["severity"] * np.nan),
                                             f.get("halo", f["severity"] * np.nan),
                                             f.get("n_ratings", f["severity"] * 0), f.get("n_subjects", f["severity"] * 0))]
    sec.tables.append((text("worklist", lang), pd.DataFrame({
        text("priority", lang): np.arange(1, len(f) + 1),
        "ID": f.index.astype(str),
        text("role", lang): [role_label(x, lang) for x in f.get("role", pd.Series([""] * len(f), index=f.index))],
        text("interval", lang): [_ci(a, b, lang) for a, b in zip(f["ci_low"], f["ci_high"])],
        text("issue", lang): [_flag_label(x, lang) for x in f["flag"]],
        text("evidence", lang): ev,
    })))


def _predikat_moves(cal: Any, study: Any, r: pd.DataFrame, fx: pd.DataFrame) -> dict | None:
    """Whose predikat would change in the latest period if scores were corrected for rater
    severity (``calibration.adjusted_predikat``, the predikat part of ``adjusted_scores``, BLUP
    severities): counts only."""
    ordinal = r[r["item"].isin(ORDINAL_ITEMS)]
    if ordinal.empty:
        return None
    last = _period_order(study, ordinal["period"])[-1]
    rl = r[_strings(r["period"]) == last]
    # the predikat part of adjusted_scores alone (its numeric scores and deciles are not shown)
    adj = cal.adjusted_predikat(rl, subject="target", rater="rater", score="score", item="item")
    if adj.empty:
        return None
    raw, new = adj["predikat_raw"], adj["predikat_adjusted"]
    both = raw.notna() & new.notna()
    # the predikat categories are ordered worst to best (asn.PREDIKAT_LEVELS): a higher code is a better predikat
    step = (new.cat.codes - raw.cat.codes)[both]
    return {"period": last, "n_rated": int(both.sum()), "n_moved": int((step != 0).sum()),
            "n_up": int((step > 0).sum()), "n_down": int((step < 0).sum())}


def _moves_sentence(m: Mapping[str, Any], k: int, lang: str) -> str:
    if m["n_moved"] == 0:
        return text("calibration.moves_none", lang, period=m["period"], n_rated=suppress_count(m["n_rated"], k, lang,
                                                                                              style="text"))
    if m["n_moved"] < k:
        return text("calibration.moves_suppressed", lang, period=m["period"], k=k)
    mask = suppression_mask(pd.DataFrame([m])[["n_moved", "n_up", "n_down"]], k,
                            totals=[("n_moved", ["n_up", "n_down"])]).iloc[0]
    hidden = text("suppressed_text", lang, k=k)
    return text("calibration.moves", lang, period=m["period"], n_moved=m["n_moved"],
                n_rated=suppress_count(m["n_rated"], k, lang, style="text"),
                n_up=hidden if mask["n_up"] else m["n_up"], n_down=hidden if mask["n_down"] else m["n_down"])


def _flag_label(code: Any, lang: str) -> str:
    """'lenient+halo' -> 'terlalu longgar + efek halo'."""
    return " + ".join(text(f"flag.{x}", lang) if has(f"flag.{x}") else x for x in str(code).split("+"))


def _atasan_hasil_perilaku(study: Any, r: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, str] | None:
    """Each employee's Hasil and Perilaku codes from the atasan (the mean of several, rounded)
    in the latest period that has both: (hasil, perilaku, period), or None."""
    if isinstance(r["target"].dtype, pd.CategoricalDtype) and isinstance(r["period"].dtype, pd.CategoricalDtype) \
            and not (r["target"].hasnans or r["period"].hasnans):
        # grouped sums over the targets' codes
        t = r["target"].cat.codes.to_numpy(np.int64)
        n_t = len(r["target"].cat.categories)
        y = r["score"].to_numpy(dtype=float)
        at = (r["rater_role"] == "atasan").to_numpy() & ~np.isnan(y)
        means = []
        for it in ORDINAL_ITEMS[:2]:
            m = at & (r["item"] == it).to_numpy()
            n = np.bincount(t[m], minlength=n_t)
            with np.errstate(invalid="ignore", divide="ignore"):
                means.append(np.round(np.bincount(t[m], y[m], n_t) / n))
        h, p = means
        both = ~(np.isnan(h) | np.isnan(p))
        if not both.any():
            return None
        period_of = np.zeros(n_t, np.int64)
        period_of[t] = r["period"].cat.codes.to_numpy(np.int64)   # one period per target
        labels = np.asarray(r["period"].cat.categories.astype(str), dtype=object)[period_of]
        last = _period_order(study, pd.Series(labels[both]))[-1]
        keep = both & (labels == last)
        return h[keep], p[keep], last
    at = r[_strings(r["rater_role"]) == "atasan"]
    hk = at[at["item"] == ORDINAL_ITEMS[0]].groupby("target", observed=True)["score"].mean().round()
    pk = at[at["item"] == ORDINAL_ITEMS[1]].groupby("target", observed=True)["score"].mean().round()
    both = pd.concat([hk.rename("h"), pk.rename("p")], axis=1).dropna()
    if both.empty:
        return None
    # the latest period only: the distribution rule applies to one appraisal round
    periods = both.index.astype(str).str.split("|").str[0]
    last = _period_order(study, pd.Series(periods))[-1]
    both = both[periods == last]
    return both["h"].to_numpy(), both["p"].to_numpy(), last


def _predikat_check(cal: Any, study: Any, r: pd.DataFrame, unit: str, sec: Section, lang: str, k: int) -> dict:
    hp = _atasan_hasil_perilaku(study, r)
    if hp is None:
        return {"predikat_ok": None}
    h, p, last = hp
    pred = cal.predikat(h, p)
    units = getattr(study, "units", None)
    org = units.loc[units["unit"].astype(str) == str(unit), "org_predikat"] \
        if units is not None and "org_predikat" in units else None
    if org is None or org.empty or pd.isna(org.iloc[0]):
        return {"predikat_ok": None}
    chk = cal.distribution_check(pred, str(org.iloc[0]))
    ok = bool(chk["ok"].all()) if "ok" in chk else None
    counts = pred.value_counts(sort=False)
    order = ["Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang/Misconduct", "Sangat Kurang"]
    counts = counts.reindex([o for o in order if o in counts.index] +
                            [c for c in counts.index if c not in order]).fillna(0).astype(int)
    tab = pd.DataFrame({text("predikat", lang): counts.index.astype(str), text("n_subjects", lang): counts.to_numpy()})
    # the parts and their total: one suppression rule (disclosure), the total row included
    tab = suppress_frame(tab, [text("n_subjects", lang)], min_cell=k, lang=lang, total_row=text("total", lang))
    sec.tables.append((text("calibration.predikat_table", lang, period=last, org=str(org.iloc[0])), tab))
    msgs = [_localize(str(m), lang) for m, good in zip(chk.get("message", []), chk.get("ok", [])) if not good]
    _method_notes(sec).extend(msgs[:3])
    return {"predikat_ok": ok, "predikat_period": str(last), "org_predikat": str(org.iloc[0]),
            "predikat_rules_failed": len(msgs)}


def unit_sections(study: Any, unit: str, *, thresholds: Mapping[str, Any] | None = None,
                  lang: str = "id", pooled: Any = None) -> dict[str, Section]:
    """All four sections of a unit report (coverage, consistency, calibration, impact).

    The impact section's notes (method details) move to the page's annex
    (:func:`unit_annex`). ``pooled``: the whole study's :func:`evaltools.report.impact.pooled_tests`
    (a DataFrame or Parquet path) when ``study`` is one unit's partition (see ``impact``).

    Examples
    --------
    >>> from evaltools.simulate import simulate_study
    >>> sim = simulate_study(seed=1, n_units=4, n_regions=1, subjects_per_unit=(10, 11), waves=["2024-S1"])
    >>> list(unit_sections(sim.study, sim.study.pilot_units[0], lang="en"))  # doctest: +SKIP
    ['coverage', 'consistency', 'calibration', 'impact']
    """
    th = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    # the unit's ratings are selected once and shared by the three sections that read them
    r = _unit_ratings(study, unit)
    num = r[r["item"].isin(_numeric_items(study, r))]
    out = {"coverage": _coverage(study, r, lang=lang, thresholds=th, num=num),
           "consistency": _consistency(study, num, thresholds=th, lang=lang),
           "calibration": _calibration(study, unit, r, num, thresholds=th, lang=lang),
           "impact": impact(study, unit, thresholds=th, lang=lang, pooled=pooled)}
    imp = out["impact"]
    _method_notes(imp).extend(imp.notes)
    imp.notes = []
    return out


def unit_header(study: Any, unit: str, *, lang: str = "id") -> Section:
    """Title block: the unit, its region and its pilot start.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> st = SimpleNamespace(name="Studi", units=pd.DataFrame({"unit": ["U"], "region": ["Aceh"],
    ...                                                          "first_treated": ["2024-S1"]}))
    >>> unit_header(st, "U").lead
    'Studi · Wilayah: Aceh · Mulai uji coba: 2024-S1'
    """
    u = study.units[study.units["unit"].astype(str) == str(unit)]
    region = str(u["region"].iloc[0]) if len(u) and "region" in u else "–"
    start = str(u["first_treated"].iloc[0]) if len(u) and "first_treated" in u and pd.notna(
        u["first_treated"].iloc[0]) else "–"
    name = getattr(study, "name", "") or ""
    sec = Section(key="header", title=f"{text('report_title', lang)}: {unit}")
    sec.lead = text("header.lead", lang, study=name, region=region, start=start)
    sec.results = {"unit": str(unit), "region": region, "first_treated": start}
    return sec


def verdict_section(v: Any, sections: Mapping[str, Any] | None = None, *, config: Mapping | None = None,
                    thresholds: Mapping[str, Any] | None = None, lang: str = "id") -> Section:
    """The verdict box of a unit page: the verdict, its reasons and what this unit must do,
    who acts and by when (``[briefing]`` of study.toml, else the defaults).

    Examples
    --------
    >>> from evaltools.report import Verdict
    >>> v = Verdict("PERBAIKI DULU", [{"code": "missing_360", "level": "PERBAIKI DULU", "value": 0.3,
    ...                                "threshold": 0.2, "text": "30%"}])
    >>> s = verdict_section(v, lang="en")
    >>> s.results["reasons"][0]["text"], s.results["todo"][0]["owner"]
    ('30% of the 360° ratings are missing (at most 20%)', 'Head of the OPD')
    """
    from .briefing import deadline_for, owner_for

    th = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    k = _k(th)
    d = v if isinstance(v, Mapping) else {"code": getattr(v, "code", None), "reasons": getattr(v, "reasons", [])}
    code, reasons = d.get("code"), list(d.get("reasons") or [])
    record = {key: (s.results if isinstance(s, Section) else dict(s)) for key, s in (sections or {}).items()}
    label = text(code, lang)
    sec = Section(key="verdict", title=text("verdict", lang), lead=label)
    rs = [{"code": r.get("code"), "level": r.get("level"),
           "text": reason_text(r, lang, min_cell=k, record=record)} for r in reasons]
    todo = []
    first: dict[str, Mapping] = {}
    for r in acted_on(reasons):
        first.setdefault(str(r.get("code")), r)
    for c, r in first.items():
        act = action_key(r)
        todo.append({"code": c, "text": text(act, lang, target=th["target_reliability"])
                     if has(act) else next(x["text"] for x in rs if x["code"] == c),
                     "owner": owner_for(c, lang, config), "deadline": deadline_for(c, lang, config)})
    if not todo:
        todo.append({"code": "ready", "text": text("action.ready", lang), "owner": owner_for("ready", lang, config),
                     "deadline": deadline_for("ready", lang, config)})
    if rs:
        sec.tables.append((text("because", lang), pd.DataFrame({
            text("verdict", lang): [text(f"level.{x['level']}", lang) if has(f"level.{x['level']}")
                                    else str(x["level"]) for x in rs],
            text("reason", lang): [x["text"] for x in rs]})))
    else:
        sec.notes.append(text("no_reasons", lang))
    sec.tables.append((text("todo", lang), pd.DataFrame({
        text("action", lang): [t["text"] for t in todo], text("owner", lang): [t["owner"] for t in todo],
        text("deadline", lang): [t["deadline"] for t in todo]})))
    sec.results = {"code": code, "label": label, "reasons": rs, "todo": todo}
    return sec


def unit_annex(sections: Mapping[str, Section], *, lang: str = "id") -> Section:
    """The annex of a unit page: the method notes of every section, by section, and the
    methods paragraph.

    Examples
    --------
    >>> s = Section("impact", "Dampak", raw={"method_notes": ["catatan"]})
    >>> unit_annex({"impact": s}).tables[0][1].iloc[0].tolist()
    ['Dampak', 'catatan']
    """
    rows = [(s.title, n) for s in sections.values() if isinstance(s, Section)
            for n in s.raw.get("method_notes", [])]
    sec = Section(key="annex", title=text("unit_annex", lang), lead=text("methods.text", lang))
    if rows:
        sec.tables.append(("", pd.DataFrame(rows, columns=[text("notes_head", lang).rstrip(":"),
                                                           text("label", lang)])))
    sec.results = {"n_notes": len(rows)}
    return sec


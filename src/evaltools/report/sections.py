"""The sections of a unit report: coverage, consistency, calibration (impact in ``impact``),
assembled by :func:`unit_sections`, and the unit header.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evaltools import calibration as _calibration_lib
from evaltools import plots, reliability
from evaltools.asn import ORDINAL_ITEMS

from ._base import Section, _is_data_problem, _num, _numeric_items, _unit_ratings
from ._text import _ci, _localize, fmt, text
from .impact import impact
from .thresholds import DEFAULT_THRESHOLDS, PRIMARY_COEFFICIENTS, thresholds


def coverage(study: Any, unit: str, *, lang: str = "id") -> Section:
    """Who was rated, by how many raters, and how much of the 360° design is missing.

    ``missing_share``: of the items a rater's role rates in the unit, the share a rater
    who rated an employee left unrated (item non-response).
    """
    r = _unit_ratings(study, unit)
    sec = Section(key="coverage", title=text("coverage", lang))
    n_sub = int(r["subject"].nunique())
    n_rat = int(r["rater"].nunique())
    per_target = r.groupby("target", observed=True)["rater"].nunique()
    rps = float(per_target.median()) if len(per_target) else float("nan")
    num = r[r["item"].isin(_numeric_items(study, r))]
    roles = [str(x) for x in (getattr(study, "roles", None) or sorted(r["rater_role"].astype(str).unique()))]
    # item non-response: a rater who rated an employee should rate every item their role rates
    # in this unit (the public rates only the public-facing items, so "every item" is per role)
    role = num["rater_role"].astype(str)
    items_per_role = num.groupby(role, observed=True)["item"].nunique()
    pairs = num.groupby([role.rename("role"), num["target"], num["rater"]], observed=True).size()
    pair_role = pairs.index.get_level_values("role")
    expected = pd.Series(items_per_role.reindex(pair_role).to_numpy(float), index=pairs.index)
    exp_role = expected.groupby(level="role").sum()
    obs_role = pairs.groupby(level="role").sum()
    miss = {ro: (1 - float(obs_role.get(ro, 0)) / float(exp_role[ro])) if exp_role.get(ro, 0) else float("nan")
            for ro in roles}
    missing_share = 1 - float(pairs.sum()) / float(expected.sum()) if expected.sum() else float("nan")
    sec.results = {"available": True, "n_subjects": n_sub, "n_raters": n_rat, "n_ratings": int(len(r)),
                   "n_periods": int(r["period"].nunique()), "raters_per_subject": rps,
                   "min_raters_per_subject": float(per_target.min()) if len(per_target) else float("nan"),
                   "missing_share": missing_share, "missing_by_role": miss}
    if lang == "en":
        sec.lead = (f"{n_sub} employees were rated by {n_rat} raters ({len(r)} ratings over "
                    f"{sec.results['n_periods']} periods); the median employee had {fmt(rps, lang, 0)} raters "
                    f"per period, and {fmt(missing_share, lang, pct=True)} of the 360° item ratings are missing "
                    f"(items a rater skipped among those their role rates).")
    else:
        sec.lead = (f"{n_sub} pegawai dinilai oleh {n_rat} penilai ({len(r)} penilaian dalam "
                    f"{sec.results['n_periods']} periode); median pegawai dinilai {fmt(rps, lang, 0)} penilai per "
                    f"periode, dan {fmt(missing_share, lang, pct=True)} penilaian butir 360° kosong (butir yang "
                    f"dilewati penilai di antara butir yang dinilai perannya).")
    counts = r.groupby(r["rater_role"].astype(str), observed=True).agg(
        n_raters=("rater", "nunique"), n_ratings=("score", "size"))
    tab = pd.DataFrame({
        text("role", lang): roles,
        text("n_raters", lang): [int(counts["n_raters"].get(ro, 0)) for ro in roles],
        text("n_ratings", lang): [int(counts["n_ratings"].get(ro, 0)) for ro in roles],
        text("missing_share", lang): [fmt(miss[ro], lang, pct=True) for ro in roles],
    })
    sec.tables.append(("", tab))
    return sec


def _pick_primary(agr: pd.DataFrame) -> pd.DataFrame:
    """Rows of the preferred coefficient (Krippendorff's alpha first: it allows missing ratings)."""
    if "coefficient" not in agr:
        return agr
    have = list(pd.unique(agr["coefficient"]))
    for c in PRIMARY_COEFFICIENTS:
        if c in have:
            return agr[agr["coefficient"] == c]
    return agr[agr["coefficient"] == have[0]] if have else agr


def consistency(study: Any, unit: str, *, thresholds: Mapping[str, Any] | None = None, lang: str = "id") -> Section:
    """Agreement between raters by item and by rater role, with intervals and plain labels.

    Calls ``evaltools.reliability.agreement`` on the unit's numeric (360°) items at the
    interval level, one object of measurement per employee and period.
    """
    th = thresholds or DEFAULT_THRESHOLDS
    r = _unit_ratings(study, unit)
    num = r[r["item"].isin(_numeric_items(study, r))]
    sec = Section(key="consistency", title=text("consistency", lang))
    if num.empty or num["rater"].nunique() < 2:
        sec.lead = text("not_computable", lang, why="fewer than two raters" if lang == "en" else "kurang dari dua penilai")
        sec.results = {"available": True, "agreement_median": None, "items_below": []}
        return sec
    cats = None
    try:
        cats = study.categories(str(num["item"].iloc[0]))
    except Exception:
        pass
    by_item = reliability.agreement(num, subject="target", rater="rater", score="score", level="interval", by="item",
                        categories=cats, n_boot=0)  # the verdict reads ICC(1,k), whose interval is analytic
    # by role: each rater's mean over the 360° items, so a (employee, rater) pair is one rating
    comp = num.groupby(["target", "rater", "rater_role"], observed=True, as_index=False)["score"].mean()
    comp["rater_role"] = comp["rater_role"].astype(str)
    by_role = reliability.agreement(comp, subject="target", rater="rater", score="score", level="interval", by="rater_role",
                        n_boot=0)
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
    label_col = "label_en" if lang == "en" else "label_id"
    sec.results = {"available": True, "coefficient": coef, "agreement_median": med,
                   "agreement_min": float(vals.min()) if vals.notna().any() else float("nan"),
                   "items_below": below, "items_outlying": outlying,
                   "by_item": {str(i): _num(v) for i, v in zip(pi["item"], vals)},
                   "by_role": {str(i): _num(v) for i, v in zip(pr["rater_role"], pd.to_numeric(pr["value"],
                                                                                             errors="coerce"))}}
    if lang == "en":
        sec.lead = (f"Median agreement across items ({coef}) is {fmt(med, lang)}; "
                    f"{len(below)} of {len(pi)} items fall below {fmt(th['min_agreement'], lang, 3)}.")
    else:
        sec.lead = (f"Median kesepakatan antarbutir ({coef}) adalah {fmt(med, lang)}; "
                    f"{len(below)} dari {len(pi)} butir di bawah {fmt(th['min_agreement'], lang, 3)}.")

    def table(df: pd.DataFrame, key: str, head: str) -> pd.DataFrame:
        return pd.DataFrame({
            text(head, lang): df[key].astype(str).to_numpy(),
            text("value", lang): [fmt(v, lang) for v in df["value"]],
            text("interval", lang): [_ci(a, b, lang) for a, b in zip(df.get("ci_low", df["value"] * np.nan),
                                                                    df.get("ci_high", df["value"] * np.nan))],
            text("n_targets", lang): df.get("n_subjects", pd.Series([np.nan] * len(df))).to_numpy(),
            text("label", lang): df.get(label_col, pd.Series([""] * len(df))).fillna("").astype(str).to_numpy(),
        })

    sec.tables.append((text("item", lang), table(pi, "item", "item")))
    sec.tables.append((text("role", lang), table(pr, "rater_role", "role")))
    sec.add_figure(text("consistency", lang), plots.agreement_by_item(pi, threshold=th["min_agreement"], lang=lang))
    # a note explains an undefined value; notes on defined values are method details
    both = pd.concat([pi, pr], ignore_index=True)
    undefined = both[pd.to_numeric(both["value"], errors="coerce").isna()]
    notes = [f"{row['item'] if pd.notna(row.get('item')) else row.get('rater_role')}: "
             + _localize(str(row["note"]), lang) for _, row in undefined.iterrows() if str(row.get("note", ""))]
    sec.notes.extend(notes[:6])
    sec.raw = {"by_item": by_item, "by_role": by_role}
    return sec


def _is_flagged(fx: pd.DataFrame) -> pd.Series:
    if "flag" not in fx:
        return pd.Series(False, index=fx.index)
    f = fx["flag"]
    if f.dtype == bool:
        return f
    return f.fillna("ok").astype(str).ne("ok")


def calibration(study: Any, unit: str, *, thresholds: Mapping[str, Any] | None = None, lang: str = "id") -> Section:
    """Lenient and severe raters, central tendency and halo, predikat pattern, raters needed.

    Calls ``evaltools.calibration``: ``rater_effects`` (caterpillar plot, flags),
    ``predikat`` + ``distribution_check`` (against the SE MenPANRB 3/2023 pattern for the
    unit's Predikat Kinerja Organisasi), ``gstudy`` + ``raters_needed`` (raters for the
    target reliability) and ``calibration_worklist``.
    """
    th = thresholds or DEFAULT_THRESHOLDS
    cal = _calibration_lib
    r = _unit_ratings(study, unit)
    num = r[r["item"].isin(_numeric_items(study, r))]
    sec = Section(key="calibration", title=text("calibration", lang))
    res: dict[str, Any] = {"available": True}
    if num["rater"].nunique() < 2:
        sec.lead = text("not_computable", lang, why="fewer than two raters" if lang == "en" else "kurang dari dua penilai")
        sec.results = {**res, "n_flagged": None, "flagged_share": None}
        return sec
    fx = cal.rater_effects(num, subject="target", rater="rater", score="score", item="item", role="rater_role",
                           severity_threshold=th["severity_threshold"], min_ratings=th["min_ratings"])
    flagged = _is_flagged(fx)
    n_flag = int(flagged.sum())
    kind = fx["flag"].astype(str) if "flag" in fx else pd.Series("ok", index=fx.index)
    assessable = fx["n_ratings"] >= th["min_ratings"] if "n_ratings" in fx else pd.Series(True, index=fx.index)
    n_assess = int(assessable.sum())
    is_sev = kind.isin(["severe", "lenient"])
    n_sev = int(is_sev.sum())
    share = n_sev / n_assess if n_assess else float("nan")
    kinds = kind[flagged].value_counts().to_dict()
    res.update(n_raters=int(len(fx)), n_assessable=n_assess, n_flagged=n_flag, n_severity_flagged=n_sev,
               flagged_share=share, flag_kinds={str(k): int(v) for k, v in kinds.items()},
               n_lenient=int(kinds.get("lenient", 0)), n_severe=int(kinds.get("severe", 0)),
               mean_severity_lenient=_num(fx.loc[kind == "lenient", "severity"].mean()),
               mean_severity_severe=_num(fx.loc[kind == "severe", "severity"].mean()))
    # the raters that can be judged (enough ratings); the public's one-off ratings would drown them
    sec.add_figure((f"Raters with at least {th['min_ratings']} ratings; red = flagged" if lang == "en" else
                    f"Penilai dengan sedikitnya {th['min_ratings']} penilaian; merah = ditandai"),
                   plots.severity_caterpillar(fx[assessable], lang=lang))
    # the flags in numbers, without naming anyone in the summary line
    if lang == "en":
        sec.lead = (f"{n_sev} of the {n_assess} raters with at least {th['min_ratings']} ratings "
                    f"({fmt(share, lang, pct=True)}) rate more than {fmt(th['severity_threshold'], lang, 1)} points "
                    f"away from their peers (severe or lenient); {n_flag - n_sev} more show central tendency or halo.")
    else:
        sec.lead = (f"{n_sev} dari {n_assess} penilai dengan sedikitnya {th['min_ratings']} penilaian "
                    f"({fmt(share, lang, pct=True)}) menilai lebih dari {fmt(th['severity_threshold'], lang, 1)} poin "
                    f"berbeda dari rekannya (terlalu ketat atau longgar); {n_flag - n_sev} lainnya menunjukkan "
                    f"kecenderungan tengah atau efek halo.")
    flag_tab = fx.loc[flagged].reset_index()
    if len(flag_tab):
        rid = flag_tab.columns[0]
        sec.tables.append((text("flagged", lang), pd.DataFrame({
            "ID": flag_tab[rid].astype(str),
            text("role", lang): flag_tab.get("role", pd.Series([""] * len(flag_tab))).astype(str),
            text("value", lang): [fmt(v, lang) for v in flag_tab["severity"]],
            text("interval", lang): [_ci(a, b, lang) for a, b in zip(flag_tab["ci_low"], flag_tab["ci_high"])],
            text("issue", lang): [_flag_label(k, lang) for k in flag_tab["flag"]],
        })))
    # predikat distribution against the rule for the unit's organisational predikat
    try:
        res.update(_predikat_check(cal, study, r, unit, sec, lang))
    except Exception as exc:  # the data may lack the atasan's ordinal ratings; say so
        if not _is_data_problem(exc):
            raise
        sec.notes.append(text("not_computable", lang, why=str(exc)))
    # raters needed for the target reliability
    try:
        g = cal.gstudy(num, subject="target", rater="rater", score="score", item="item")
        need = cal.raters_needed(g, target=th["target_reliability"])
        res["raters_needed"] = _num(need)
        sec.notes.append((f"Raters needed per employee for reliability {fmt(th['target_reliability'], lang)}: {need}."
                          if lang == "en" else
                          f"Penilai yang dibutuhkan per pegawai untuk reliabilitas "
                          f"{fmt(th['target_reliability'], lang)}: {need}."))
    except Exception as exc:
        if not _is_data_problem(exc):
            raise
        res["raters_needed"] = None
        sec.notes.append(text("not_computable", lang, why=str(exc)))
    try:
        wl = cal.calibration_worklist(r, subject="target", rater="rater", score="score", item="item",
                                      role="rater_role", max_subjects=None,
                                      severity_threshold=th["severity_threshold"], min_ratings=th["min_ratings"])
    except Exception as exc:
        if not _is_data_problem(exc):
            raise
        wl = None
    if wl is not None and len(wl):
        # raters by pseudonym (the key holder can reach them); employees only as a count
        raters = (wl[wl["kind"] == "rater"] if "kind" in wl else wl).head(12)
        n_moved = int(wl.loc[wl["kind"] == "subject", "id"].astype(str).str.split("|").str[-1].nunique()) \
            if "kind" in wl else 0
        res["n_subjects_predikat_moves"] = n_moved
        if len(raters):
            sec.tables.append((text("worklist", lang), pd.DataFrame({
                text("priority", lang): raters["priority"].to_numpy(),
                "ID": raters["id"].astype(str).to_numpy(),
                text("issue", lang): [_flag_label(k, lang) for k in raters["issue"]],
                text("evidence", lang): raters["evidence"].astype(str).to_numpy(),
            })))
        sec.notes.append((f"{n_moved} employees would change predikat after adjusting for rater severity "
                          "(listed by pseudonym in the calibration worklist)."
                          if lang == "en" else
                          f"{n_moved} pegawai akan berganti predikat setelah koreksi keketatan penilai "
                          "(pseudonimnya ada dalam daftar kerja kalibrasi)."))
    sec.results = res
    sec.raw = {"rater_effects": fx}
    return sec


_FLAG_TEXT = {"severe": ("terlalu ketat", "too severe"), "lenient": ("terlalu longgar", "too lenient"),
              "central": ("kecenderungan tengah", "central tendency"), "halo": ("efek halo", "halo"),
              "ok": ("wajar", "ok")}


def _flag_label(code: Any, lang: str) -> str:
    """'lenient+halo' -> 'terlalu longgar + efek halo'."""
    i = 1 if lang == "en" else 0
    return " + ".join(_FLAG_TEXT.get(k, (k, k))[i] for k in str(code).split("+"))


def _predikat_check(cal: Any, study: Any, r: pd.DataFrame, unit: str, sec: Section, lang: str) -> dict:
    at = r[r["rater_role"].astype(str) == "atasan"]
    hk = at[at["item"] == ORDINAL_ITEMS[0]].groupby("target", observed=True)["score"].mean().round()
    pk = at[at["item"] == ORDINAL_ITEMS[1]].groupby("target", observed=True)["score"].mean().round()
    both = pd.concat([hk.rename("h"), pk.rename("p")], axis=1).dropna()
    if both.empty:
        return {"predikat_ok": None}
    # the latest period only: the distribution rule applies to one appraisal round
    last = both.index.str.split("|").str[0].max()
    both = both[both.index.str.startswith(last + "|")]
    pred = cal.predikat(both["h"], both["p"])
    units = study.units
    org = units.loc[units["unit"].astype(str) == str(unit), "org_predikat"] if "org_predikat" in units else None
    if org is None or org.empty or pd.isna(org.iloc[0]):
        return {"predikat_ok": None}
    chk = cal.distribution_check(pred, str(org.iloc[0]))
    ok = bool(chk["ok"].all()) if "ok" in chk else None
    counts = pred.value_counts(sort=False)
    order = ["Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang/Misconduct", "Sangat Kurang"]
    counts = counts.reindex([o for o in order if o in counts.index] +
                            [c for c in counts.index if c not in order]).fillna(0).astype(int)
    tab = pd.DataFrame({"Predikat": counts.index.astype(str), text("n_subjects", lang): counts.to_numpy()})
    sec.tables.append((f"Predikat {last} (org: {org.iloc[0]})", tab))
    msgs = [_localize(str(m), lang) for m, k in zip(chk.get("message", []), chk.get("ok", [])) if not k]
    sec.notes.extend(msgs[:3])
    return {"predikat_ok": ok, "predikat_period": str(last), "org_predikat": str(org.iloc[0]),
            "predikat_rules_failed": len(msgs)}


def unit_sections(study: Any, unit: str, *, thresholds: Mapping[str, Any] | None = None,
                  lang: str = "id") -> dict[str, Section]:
    """All four sections of a unit report (coverage, consistency, calibration, impact)."""
    th = thresholds or DEFAULT_THRESHOLDS
    return {"coverage": coverage(study, unit, lang=lang),
            "consistency": consistency(study, unit, thresholds=th, lang=lang),
            "calibration": calibration(study, unit, thresholds=th, lang=lang),
            "impact": impact(study, unit, thresholds=th, lang=lang)}


def unit_header(study: Any, unit: str, *, lang: str = "id") -> Section:
    """Title block: the unit, its region and its pilot start."""
    u = study.units[study.units["unit"].astype(str) == str(unit)]
    region = str(u["region"].iloc[0]) if len(u) and "region" in u else "–"
    start = str(u["first_treated"].iloc[0]) if len(u) and "first_treated" in u else "–"
    name = getattr(study, "name", "") or ""
    sec = Section(key="header", title=f"{text('report_title', lang)}: {unit}")
    sec.lead = (f"{name} · {text('region', lang)}: {region} · {text('pilot_start', lang)}: {start}")
    sec.results = {"unit": str(unit), "region": region, "first_treated": start}
    return sec

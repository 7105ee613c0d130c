"""Study-wide sections of the briefing: pooled effect across pilot units, baseline balance,
power of the next wave.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


from evaltools import pilot
from evaltools import plots
from evaltools._multitest import adjust_pvalues as adjust

from ._base import Section, _is_data_problem, _num
from ._text import _ci, fmt, text
from .impact import _pooled_table, _rules_out_benefit, _signed_p, outcome_spec
from .records import _jsonable


def pooled_effect(study: Any, *, lang: str = "id", outcomes: Sequence[str] | None = None,
                  n_perm: int = 999, seed: int = 0) -> Section:
    """The pooled staggered effect per outcome (Callaway & Sant'Anna) and its event study.

    Each outcome's row carries the overall ATT with its analytic 95% interval and
    p-value, the randomization-inference p-value (pilot starts permuted across units,
    ``n_perm`` draws or exact enumeration; honest with few clusters), the same p-value
    Holm-adjusted across the study's outcomes (Holm 1979), and the Wald pre-trend test
    p-value (a small value warns that treated and control units were already drifting
    apart before the pilot).

    The same per-unit machinery as the unit reports then gives, per outcome, the
    programme-wide effect (random-effects mean of the units' DiD estimates, REML with the
    Knapp-Hartung interval: ``programme_effect, programme_ci_low, programme_ci_high,
    programme_pval, tau2, i2``), ``share_benefit`` (the share of pilot units with a
    demonstrated benefit on this outcome, by the verdict's rule: Holm across the primary
    outcomes at ``benefit_alpha``) and the next wave's ``next_wave_mde`` / ``next_wave_power``
    with ``planned_units`` units (``[briefing] planned_units`` or ``[study] planned_units`` of
    study.toml; default this wave's number of pilot units), from tau^2 and the median unit
    SE (``pilot.pooled_mde`` / ``pilot.pooled_power``, at the outcome's ``min_effect`` or
    else the programme-wide effect). ``n_too_small_to_see`` counts the pilot units with no
    benefit shown whose minimum detectable effect exceeds that effect and whose interval
    does not rule it out: "not shown" there means "too small to see with this design".

    Examples
    --------
    A small simulated rollout (12 units in staggered waves, half of them controls):

    >>> from evaltools.report._examples import example_study
    >>> study = example_study(n_units=12, subjects_per_unit=(6, 6), control_share=0.5, seed=1)
    >>> sec = pooled_effect(study, outcomes=["ikm"], n_perm=99, lang="en")
    >>> res = sec.results["outcomes"]["ikm"]
    >>> round(res["att"], 2), round(res["pval_ri"], 2), res["n_units"]
    (7.72, 0.01, 6)
    """
    panel = study.panel()
    info = getattr(study, "outcome_info", {}) or {}
    sec = Section(key="pooled", title=text("pooled", lang))
    rows, res = [], {}
    for oc in list(outcomes or info):
        if oc not in panel:
            continue
        label = info.get(oc, {}).get("label_en" if lang == "en" else "label", oc)
        try:
            fit = pilot.staggered_att(panel, outcome=oc, unit="unit", period="period", first_treated="first_treated")
            simple = fit.aggregate("simple")
            pre = _as_row(fit.pretrend_test())
            ri = _as_row(fit.randomization_test(n_perm=n_perm, seed=seed))
            es = pilot.event_study(panel, outcome=oc, unit="unit", period="period", first_treated="first_treated")
        except Exception as exc:
            if not _is_data_problem(exc):
                raise
            sec.notes.append(f"{label}: " + text("not_computable", lang, why=str(exc)))
            continue
        est = _as_row(simple)
        est["pval_ri"] = _num(ri.get("pval"))
        est["pval_pretrend"] = _num(pre.get("pval", pre.get("p")))
        res[oc] = est
        rows.append({"_oc": oc, text("outcome", lang): label,
                     text("effect", lang): fmt(est.get("att", est.get("value")), lang),
                     text("interval", lang): _ci(est.get("ci_low"), est.get("ci_high"), lang),
                     text("pvalue", lang): fmt(est.get("pval"), lang, 3),
                     text("pvalue_ri", lang): fmt(est["pval_ri"], lang, 3)})
        if len(sec.figures) < 2:
            es = es.rename(columns={"key": "event_time"})
            if "reference" not in es:
                es["reference"] = False
            sec.add_figure(label, plots.event_study_plot(es, lang=lang, title=label))
    if rows:
        # several outcomes are tested at once: control the family-wise error (Holm 1979)
        p_ri = np.array([res[r["_oc"]]["pval_ri"] if res[r["_oc"]]["pval_ri"] is not None else np.nan
                         for r in rows], dtype=float)
        holm = np.asarray(adjust(p_ri, method="holm"), dtype=float)
        for r, h in zip(rows, holm):
            res[r["_oc"]]["pval_ri_holm"] = _num(h)
            r[text("pvalue_holm", lang)] = fmt(h, lang, 3)
            r[text("pvalue_pretrend", lang)] = fmt(res[r.pop("_oc")]["pval_pretrend"], lang, 3)
        _add_programme(study, rows, res, lang)
        sec.tables.append(("", pd.DataFrame(rows)))
    sec.lead = ("Rata-rata efek uji coba atas semua gelombang (Callaway & Sant'Anna 2021), dengan interval 95%. "
                "Nilai p acak membandingkan hasil ini dengan semua penempatan uji coba yang mungkin (jujur bila unit "
                "sedikit); p Holm menyesuaikannya karena beberapa indikator diuji sekaligus; p pra-tren yang kecil "
                "berarti unit uji coba dan kontrol sudah berbeda arah sebelum uji coba dimulai."
                if lang != "en" else
                "Average pilot effect over all waves (Callaway & Sant'Anna 2021), with 95% intervals. The "
                "randomization p-value compares the result with every possible placement of the pilot (honest with "
                "few units); the Holm p-value adjusts it for testing several outcomes at once; a small pre-trend "
                "p-value means pilot and control units were already drifting apart before the pilot began.")
    sec.results = {"available": True, "outcomes": res}
    return sec


def _planned_units(study: Any, default: int) -> int:
    cfg = getattr(study, "config", None) or {}
    for table in ("briefing", "study"):
        v = (cfg.get(table) or {}).get("planned_units")
        if v is not None:
            return int(v)
    return default


def _holm_rows(p: np.ndarray) -> np.ndarray:
    """Holm (1979) adjustment of each row of a (units x outcomes) p-value matrix in one pass."""
    if p.size == 0:
        return p
    k = p.shape[1]
    order = np.argsort(p, axis=1, kind="mergesort")
    ps = np.take_along_axis(p, order, axis=1)
    adj = np.maximum.accumulate(np.minimum(1.0, (k - np.arange(k)) * ps), axis=1)
    out = np.empty_like(adj)
    np.put_along_axis(out, order, adj, axis=1)
    return out


def _add_programme(study: Any, rows: list[dict], res: dict, lang: str) -> None:
    """Programme-wide pooled effect, share of units with a benefit, next-wave MDE (in place)."""
    from .thresholds import thresholds as _thresholds

    th = _thresholds(getattr(study, "config", None) or {})
    spec = outcome_spec(study)
    tables = {}
    for oc in res:
        try:
            tables[oc] = _pooled_table(study, oc, 0.05, th["mde_power"])
        except Exception as exc:
            if not _is_data_problem(exc):
                raise
    prim = [oc for oc in tables if spec.get(oc, {}).get("primary", True)]
    units = sorted({str(u) for t in tables.values() for u in t["unit"]})
    p_b = np.full((len(units), len(prim)), np.nan)
    for j, oc in enumerate(prim):
        t = tables[oc].assign(unit=tables[oc]["unit"].astype(str)).set_index("unit").reindex(units)
        sign = 1.0 if spec[oc]["higher_is_better"] else -1.0
        p_b[:, j] = [_signed_p(e, s, d, spec[oc]["min_effect"] or 0.0, sign)
                     for e, s, d in zip(t["effect"], t["se"], t["df"])]
    adj = _holm_rows(np.where(np.isnan(p_b), 1.0, p_b))
    for oc, t in tables.items():
        est = res[oc]
        pooled = t.attrs.get("pooled", {})
        n_units = int(t["se"].notna().sum())
        planned = _planned_units(study, n_units)
        shown = (adj[:, prim.index(oc)] < th["benefit_alpha"]) if oc in prim else np.zeros(len(units), bool)
        share = float(np.mean(shown)) if oc in prim and len(units) else None
        se_typ = float(np.nanmedian(t["se"])) if n_units else float("nan")
        tau2 = _num(pooled.get("tau2"))
        me = spec.get(oc, {}).get("min_effect")
        target = me if me is not None else abs(_num(pooled.get("mu")) or 0.0)
        nxt_mde = nxt_pow = None
        if n_units and tau2 is not None and np.isfinite(se_typ) and planned >= 2:
            nxt_mde = _num(pilot.pooled_mde(tau2=tau2, se=se_typ, n_units=planned, power=th["mde_power"])["effect"].iloc[0])
            if target > 0:
                nxt_pow = _num(pilot.pooled_power(target, tau2=tau2, se=se_typ, n_units=planned)["power"].iloc[0])
        # units whose design could not see the effect that matters (as the unit reports say)
        by_unit = t.assign(unit=t["unit"].astype(str)).set_index("unit").reindex(units)
        mde_u = by_unit["mde"].to_numpy(float)
        seen = _rules_out_benefit(by_unit["ci_low"], by_unit["ci_high"], 1.0 if spec[oc]["higher_is_better"] else -1.0,
                                  target)
        n_small = int(np.sum(~shown & (mde_u > target) & ~seen)) if target > 0 else 0
        est.update({"n_too_small_to_see": n_small, "programme_effect": _num(pooled.get("mu")), "programme_ci_low": _num(pooled.get("ci_low")),
                    "programme_ci_high": _num(pooled.get("ci_high")), "programme_pval": _num(pooled.get("pval")),
                    "tau2": tau2, "i2": _num(pooled.get("i2")), "share_benefit": share, "n_units": n_units,
                    "planned_units": planned, "next_wave_mde": nxt_mde, "next_wave_power": nxt_pow})
    info = getattr(study, "outcome_info", {}) or {}
    labels = {info.get(oc, {}).get("label_en" if lang == "en" else "label", oc): oc for oc in res}
    for r in rows:
        oc = labels.get(r.get(text("outcome", lang)))
        e = res.get(oc, {})
        if "programme_effect" not in e:
            continue
        en = lang == "en"
        r["Programme-wide effect (units pooled)" if en else "Efek seluruh program (unit digabung)"] = (
            f"{fmt(e['programme_effect'], lang)} ({_ci(e['programme_ci_low'], e['programme_ci_high'], lang)})")
        r["Units with a benefit shown" if en else "Unit dengan manfaat terbukti"] = fmt(e["share_benefit"], lang,
                                                                                       pct=True)
        r["Units too small to judge" if en else "Unit terlalu kecil untuk dinilai"] = str(e["n_too_small_to_see"])
        r[(f"Next wave ({e['planned_units']} units): smallest detectable effect" if en else
           f"Gelombang berikut ({e['planned_units']} unit): efek terkecil yang terdeteksi")] = fmt(e["next_wave_mde"],
                                                                                                 lang)


def balance(study: Any, *, lang: str = "id", outcomes: Sequence[str] | None = None,
            covariates: Sequence[str] | None = None) -> Section:
    """Pilot vs control units before the pilot: covariates and pre-period outcome levels and trends.

    Standardized mean differences (Austin 2009) from ``evaltools.pilot.balance_table``;
    pre-period = the periods before the first wave starts. Flags mark |SMD| above 0.1
    and 0.25 (Stuart 2010).

    Examples
    --------
    >>> from evaltools.report._examples import example_study
    >>> study = example_study(n_units=12, subjects_per_unit=(6, 6), control_share=0.5, seed=1)
    >>> sec = balance(study, outcomes=["ikm"], lang="en")
    >>> sec.results["pre_periods"], sec.tables[0][1].iloc[:, 0].tolist()[1:]
    (['2023-S1', '2023-S2'], ['Public satisfaction index (0-100): level before the pilot', \
'Public satisfaction index (0-100): trend before the pilot'])
    """
    sec = Section(key="balance", title=text("balance", lang))
    panel = study.panel()
    ft = panel["first_treated_idx"].fillna(0).astype(int)
    panel = panel.assign(pilot=(ft > 0).astype(int))
    first_wave = int(ft[ft > 0].min()) if (ft > 0).any() else 0
    pre = list(study.periods[: max(first_wave - 1, 0)])
    info = getattr(study, "outcome_info", {}) or {}
    if covariates is None:
        covariates = [c for c in study.units.columns
                      if c not in ("unit", "region", "first_treated", "first_treated_idx")
                      and pd.api.types.is_numeric_dtype(study.units[c])]
    if not pre:
        sec.lead = text("not_computable", lang, why="no period before the first wave" if lang == "en"
                        else "tidak ada periode sebelum gelombang pertama")
        sec.results = {"available": True}
        return sec
    tabs = []
    for i, oc in enumerate(list(outcomes or info)):
        if oc not in panel:
            continue
        try:
            t = pilot.balance_table(panel, treated="pilot", covariates=list(covariates) if i == 0 else [],
                              unit="unit", period="period", outcome=oc, pre=pre)
        except Exception as exc:
            if not _is_data_problem(exc):
                raise
            sec.notes.append(text("not_computable", lang, why=str(exc)))
            continue
        tabs.append(t)
    if not tabs:
        sec.results = {"available": True}
        return sec
    bt = pd.concat(tabs, ignore_index=True).drop_duplicates("variable")

    def _name(v: str) -> str:
        kind, _, oc = v.partition(":")
        lab = info.get(oc, {}).get("label_en" if lang == "en" else "label", oc)
        if kind == "pre_level":
            return (f"{lab}: level before the pilot" if lang == "en" else f"{lab}: tingkat sebelum uji coba")
        if kind == "pre_trend":
            return (f"{lab}: trend before the pilot" if lang == "en" else f"{lab}: tren sebelum uji coba")
        known = {"n_employees": ("Jumlah pegawai", "Number of employees")}
        return known.get(v, (v, v))[lang == "en"]

    sec.tables.append(("", pd.DataFrame({
        ("Characteristic" if lang == "en" else "Karakteristik"): [_name(v) for v in bt["variable"]],
        ("Pilot units" if lang == "en" else "Unit uji coba"): [fmt(x, lang) for x in bt["mean_treated"]],
        ("Control units" if lang == "en" else "Unit kontrol"): [fmt(x, lang) for x in bt["mean_control"]],
        ("Std. difference" if lang == "en" else "Selisih baku"): [fmt(x, lang) for x in bt["smd"]],
    })))
    big = bt[bt["smd"].abs() > 0.25]
    n_t, n_c = int(bt["n_treated"].iloc[0]), int(bt["n_control"].iloc[0])
    if lang == "en":
        sec.lead = (f"{n_t} pilot units and {n_c} control units compared over {', '.join(pre)}. "
                    + (f"{len(big)} characteristic(s) differ by more than 0.25 standard deviations: the impact "
                       "estimates compare changes, not levels, which removes fixed differences but not different "
                       "trends." if len(big) else "No characteristic differs by more than 0.25 standard deviations."))
    else:
        sec.lead = (f"{n_t} unit uji coba dan {n_c} unit kontrol dibandingkan pada {', '.join(pre)}. "
                    + (f"{len(big)} karakteristik berbeda lebih dari 0,25 simpangan baku: perkiraan dampak "
                       "membandingkan perubahan, bukan tingkat, sehingga perbedaan tetap tersingkirkan tetapi "
                       "perbedaan tren tidak." if len(big) else
                       "Tidak ada karakteristik yang berbeda lebih dari 0,25 simpangan baku."))
    sec.results = {"available": True, "n_treated": n_t, "n_control": n_c, "pre_periods": pre,
                   "smd": {str(v): _num(x) for v, x in zip(bt["variable"], bt["smd"])}}
    return sec


def _as_frame(x: Any) -> pd.DataFrame:
    if isinstance(x, pd.DataFrame):
        return x.reset_index() if "event_time" not in x and x.index.name == "event_time" else x.copy()
    if hasattr(x, "to_frame"):
        return _as_frame(x.to_frame())
    return pd.DataFrame(x)


def _as_row(x: Any) -> dict:
    if hasattr(x, "value") and hasattr(x, "ci_low") and not isinstance(x, pd.DataFrame):
        keys = ("value", "se", "ci_low", "ci_high", "pval")
        row = {k: _jsonable(getattr(x, k, None)) for k in keys}
        row["att"] = row["value"]
        return row
    df = _as_frame(x)
    if len(df) == 0:
        return {}
    row = df.iloc[0].to_dict()
    if "att" not in row and "value" in row:
        row["att"] = row["value"]
    return {k: _jsonable(v) for k, v in row.items()}


def _panel_icc(panel: pd.DataFrame, outcome: str) -> tuple[float, float]:
    """Total SD and between-unit share (one-way ANOVA ICC, Shrout & Fleiss 1979 ICC(1)) of a
    unit-level outcome among never-treated units, after removing period means."""
    ctrl = panel[panel["first_treated_idx"].fillna(0).astype(int) == 0] if "first_treated_idx" in panel else panel
    d = ctrl[["unit", "period", outcome]].dropna()
    if d["unit"].nunique() < 2:
        return float("nan"), float("nan")
    y = d[outcome] - d.groupby("period", observed=True)[outcome].transform("mean")
    g = y.groupby(d["unit"].astype(str))
    n_units, k = g.ngroups, len(y) / g.ngroups
    msb = float((g.size() * (g.mean() - y.mean()) ** 2).sum() / (n_units - 1))
    msw = float(((y - g.transform("mean")) ** 2).sum() / max(len(y) - n_units, 1))
    icc = (msb - msw) / (msb + (k - 1) * msw) if (msb + (k - 1) * msw) > 0 else float("nan")
    return float(y.std()), float(min(max(icc, 0.0), 0.99))


def power_section(study: Any, *, lang: str = "id", effects_sd: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
                  outcome: str | None = None, periods_before: int = 2, periods_after: int = 2) -> Section:
    """Power of the next wave to detect a few effect sizes on a unit-level outcome.

    The next wave is the never-treated units, half piloting and half staying controls,
    compared before/after (``design="did"``, ``periods_before`` and ``periods_after``
    semesters). The outcome is measured once per unit and period (m = 1); its SD and
    between-unit correlation come from the never-treated units (period means removed).
    The calculation is ``evaltools.pilot.power`` / ``mde``.

    Examples
    --------
    >>> from evaltools.report._examples import example_study
    >>> study = example_study(n_units=12, subjects_per_unit=(6, 6), control_share=0.5, seed=1)
    >>> sec = power_section(study, outcome="ikm", lang="en")
    >>> sec.results["n_units"], round(sec.results["mde"], 2)
    (6, 3.87)
    """
    sec = Section(key="power", title=text("power", lang))
    units = study.units
    n_next = int((units["first_treated_idx"].fillna(0).astype(int) == 0).sum())
    panel = study.panel()
    info = getattr(study, "outcome_info", {}) or {}
    oc = outcome or next(iter(info), None)
    if oc is None or oc not in panel or n_next < 4:
        sec.lead = text("not_computable", lang, why=("fewer than 4 units left for the next wave" if lang == "en"
                                                     else "kurang dari 4 unit tersisa untuk gelombang berikutnya"))
        sec.results = {"available": True, "n_units": n_next}
        return sec
    sd, icc = _panel_icc(panel, oc)
    if not np.isfinite(sd) or sd <= 0 or not np.isfinite(icc):
        sec.lead = text("not_computable", lang, why="outcome without variation" if lang == "en"
                        else "indikator tanpa variasi")
        return sec
    try:
        eff = [e * sd for e in effects_sd]
        tab = _as_frame(pilot.power(eff, n_units=n_next, m=1, icc=icc, sd=sd, design="did",
                              periods_before=periods_before, periods_after=periods_after))
        md = _as_row(pilot.mde(n_units=n_next, m=1, icc=icc, sd=sd, design="did", periods_before=periods_before,
                         periods_after=periods_after))
    except Exception as exc:
        if not _is_data_problem(exc):
            raise
        sec.lead = text("not_computable", lang, why=str(exc))
        return sec
    label = info.get(oc, {}).get("label_en" if lang == "en" else "label", oc)
    sec.tables.append(("", pd.DataFrame({
        text("effect", lang) + f" ({label})": [fmt(e, lang) for e in tab["effect"]],
        ("Effect in SD" if lang == "en" else "Efek dalam SD"): [fmt(e, lang) for e in effects_sd],
        ("Power" if lang == "en" else "Daya uji"): [fmt(p, lang, pct=True) for p in tab["power"]],
    })))
    mde_val = md.get("mde", md.get("effect", md.get("value")))
    sec.results = {"available": True, "outcome": oc, "n_units": n_next, "sd": sd, "icc": icc, "mde": _num(mde_val)}
    if lang == "en":
        sec.lead = (f"If the {n_next} units that have not piloted yet form the next wave (half piloting, half as "
                    f"controls, {periods_before} semesters before and {periods_after} after), the smallest effect "
                    f"on {label} detectable with 80% power at the 5% level is {fmt(mde_val, lang)} "
                    f"(outcome SD {fmt(sd, lang)}, between-unit correlation {fmt(icc, lang)}, both from the "
                    "control units).")
    else:
        sec.lead = (f"Jika {n_next} unit yang belum menjalankan uji coba menjadi gelombang berikutnya (separuh uji "
                    f"coba, separuh kontrol, {periods_before} semester sebelum dan {periods_after} sesudah), efek "
                    f"terkecil pada {label} yang dapat dideteksi dengan daya 80% pada taraf 5% adalah "
                    f"{fmt(mde_val, lang)} (SD indikator {fmt(sd, lang)}, korelasi antarunit {fmt(icc, lang)}, "
                    "keduanya dari unit kontrol).")
    return sec

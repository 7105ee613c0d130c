"""The impact section of a unit: its outcomes against the control pool (``pilot.unit_effect``),
benefit and harm at a family-wise level, the design's minimum detectable effect, and the
unit's effect partially pooled with the other pilot units (``pilot.pooled_unit_effects``).
"""
from __future__ import annotations

import math
import os
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from evaltools import pilot
from evaltools import plots
from evaltools._errors import DataError
from evaltools._multitest import adjust_pvalues

from ._base import Section, _is_data_problem, _num
from ._text import _ci, _localize, fmt, text
from .thresholds import DEFAULT_THRESHOLDS


def outcome_spec(study: Any) -> dict[str, dict]:
    """Per outcome: ``higher_is_better``, ``primary``, ``min_effect`` and ``unit`` from study.toml.

    ``[outcomes.NAME]`` may declare ``primary = true`` (the outcomes a benefit must be shown
    on; when no outcome declares it, every outcome is primary), ``min_effect`` (the smallest
    change that matters, in the outcome's units; its size is read in the direction
    ``higher_is_better`` says is better, so 0.5 and -0.5 mean the same for service days) and
    ``unit`` (a word for the reason text, e.g. ``"poin"``).

    Examples
    --------
    >>> class S:
    ...     outcome_info = {"ikm": {"higher_is_better": True}, "days": {"higher_is_better": False}}
    ...     config = {"outcomes": {"ikm": {"primary": True, "min_effect": 2}}}
    >>> spec = outcome_spec(S())
    >>> spec["ikm"]["primary"], spec["ikm"]["min_effect"], spec["days"]["primary"]
    (True, 2.0, False)
    """
    info = getattr(study, "outcome_info", {}) or {}
    cfg = ((getattr(study, "config", None) or {}).get("outcomes") or {})
    out = {}
    for oc in info:
        raw = cfg.get(oc) if isinstance(cfg.get(oc), Mapping) else {}
        m = raw.get("min_effect")
        if m is not None:
            try:
                m = abs(float(m))
            except (TypeError, ValueError):
                raise DataError(f"min_effect of outcome {oc!r} must be a number, got {m!r}",
                                column=f"outcomes.{oc}.min_effect") from None
        out[oc] = {"higher_is_better": bool(info[oc].get("higher_is_better", True)),
                   "primary": bool(raw.get("primary", False)), "min_effect": m,
                   "unit": str(raw.get("unit", "") or ""),
                   "unit_en": str(raw.get("unit_en", "") or raw.get("unit", "") or "")}
    if out and not any(v["primary"] for v in out.values()):
        for v in out.values():
            v["primary"] = True
    return out


#: the pooled table is the same for every unit of a study: computed once per study and outcome
#: (keyed by id, dropped when the study is garbage-collected; a Study is not hashable)
_POOLED_CACHE: dict[int, tuple[Any, dict]] = {}


def _no_interval(ue: Any) -> str | None:
    """The catalog code of why an estimated effect has no interval (None when it has one):
    one control unit left (the prediction test's df = controls - 1 is 0), or another cause."""
    if _num(ue.se) is not None and _num(ue.ci_low) is not None:
        return None
    df = _num(ue.df)
    return "one_control" if df is not None and df < 1 else "no_interval"


def _rules_out_benefit(ci_low: Any, ci_high: Any, sign: Any, effect: Any) -> np.ndarray:
    """Whether an interval excludes a benefit as large as ``effect`` (``sign`` +1: higher is better).

    The end of the interval on the better side is below the benefit sought, so the data
    say the change is smaller than that (or a harm); an interval not known rules nothing
    out. Element-wise over arrays.

    Examples
    --------
    >>> _rules_out_benefit([-8.7, 0.0, np.nan], [-5.1, 3.3, np.nan], 1.0, 1.5).tolist()
    [True, False, False]
    >>> bool(_rules_out_benefit(1.6, 2.2, -1.0, 0.5))   # fewer days is better: 1.6-2.2 more days rules out 0.5 fewer
    True
    """
    better = np.fmax(np.multiply(sign, np.asarray(ci_low, float)), np.multiply(sign, np.asarray(ci_high, float)))
    return np.isfinite(better) & (better < np.asarray(effect, float))


def _pooled_table(study: Any, outcome: str, alpha: float, power: float) -> pd.DataFrame:
    """Every pilot unit's DiD test and its empirical-Bayes effect (programme-wide pool)."""
    entry = _POOLED_CACHE.get(id(study))
    if entry is None or entry[0]() is not study:
        try:
            ref = weakref.ref(study)
        except TypeError:
            return _pooled_table_uncached(study, outcome, alpha, power)
        entry = (ref, {})
        _POOLED_CACHE[id(study)] = entry
        weakref.finalize(study, _POOLED_CACHE.pop, id(study), None)
    key = (outcome, alpha, power)
    if key not in entry[1]:
        entry[1][key] = _pooled_table_uncached(study, outcome, alpha, power)
    return entry[1][key]


def _pooled_table_uncached(study: Any, outcome: str, alpha: float, power: float) -> pd.DataFrame:
    panel = study.panel()
    tests = pilot.unit_did_tests(panel, outcome=outcome, alpha=alpha, power=power)
    _not_yet_rows(tests, panel, outcome, alpha, power)
    ok = tests["se"].notna() & (tests["se"] > 0)
    fit = pilot.pooled_unit_effects(tests[ok].reset_index(drop=True), estimate="effect", se="se", alpha=alpha)
    units = tests.merge(fit.units[["unit", "eb_effect", "eb_se", "eb_ci_low", "eb_ci_high", "shrinkage"]],
                        on="unit", how="left")
    units.attrs["pooled"] = fit.pooled.iloc[0].to_dict() if len(fit.pooled) else {}
    return units


def _not_yet_rows(tests: pd.DataFrame, panel: pd.DataFrame, outcome: str, alpha: float, power: float) -> None:
    """Fill in, in place, the units short of two never-treated controls with their test over
    ``pilot.control_window``'s window, as their own page measures them (a few units of a
    rollout where almost every unit pilots)."""
    cols = ["effect", "se", "ci_low", "ci_high", "pval", "df", "pval_perm", "mde"]
    for i in np.flatnonzero(tests["n_controls"].fillna(0).to_numpy() < 2):
        unit = tests["unit"].iloc[i]
        w = pilot.control_window(panel, unit=unit)
        if w.post_periods is None:
            continue
        ue = pilot.unit_effect(panel, unit=unit, outcome=outcome, alpha=alpha, power=power, placebo=False,
                               post_periods=w.post_periods)
        tests.loc[tests.index[i], cols] = [getattr(ue, c) for c in cols]
        tests.loc[tests.index[i], ["n_controls", "note"]] = [w.n_controls, ""]


def pooled_tests(study: Any, *, alpha: float = 0.05, power: float = 0.8,
                 outcomes: Sequence[str] | None = None) -> pd.DataFrame:
    """Every pilot unit's DiD test and empirical-Bayes effect, per outcome, in one long table.

    What a unit page's "pooled with other units" column and its ``too_small_to_see`` reference
    (the programme-wide pooled effect) read: ``pilot.unit_did_tests`` over the whole study's
    panel (a unit short of two never-treated controls: its test over ``pilot.control_window``'s
    window, as its page measures it), then ``pilot.pooled_unit_effects`` (REML random effects,
    Knapp-Hartung). The runner
    computes it once for the study and gives each unit's notebook its own rows
    (``impact(..., pooled=...)``): a unit's partition holds only its own outcomes and its
    control pool, so pooling there would pool the unit with itself.

    Returns
    -------
    DataFrame
        One row per (outcome, pilot unit): ``outcome``, the columns of ``unit_did_tests``,
        ``eb_effect, eb_se, eb_ci_low, eb_ci_high, shrinkage`` and the programme-wide fit as
        ``pooled_<name>`` (``pooled_mu`` the pooled effect), repeated on each row.

    Examples
    --------
    >>> import tempfile, evaltools
    >>> from evaltools.simulate import simulate_study
    >>> folder = tempfile.mkdtemp()
    >>> _ = simulate_study(seed=3, n_units=12, n_regions=1, subjects_per_unit=(6, 7)).write(folder)
    >>> st = evaltools.load_study(folder)
    >>> t = pooled_tests(st, outcomes=["ikm"])
    >>> sorted(t["unit"]) == sorted(st.pilot_units), t["pooled_mu"].nunique()
    (True, 1)
    """
    names = [oc for oc in (outcomes or list(getattr(study, "outcome_info", {}) or {}))]
    panel_cols = set(study.panel().columns)
    parts = []
    for oc in names:
        if oc not in panel_cols:
            continue
        try:
            t = _pooled_table_uncached(study, oc, alpha, power)
        except Exception as exc:
            if not _is_data_problem(exc):
                raise
            continue  # the unit page says why (its own unit_effect raises the same)
        fit = {f"pooled_{k}": v for k, v in t.attrs.get("pooled", {}).items()}
        t = t.assign(**fit) if fit else t
        t.insert(0, "outcome", oc)
        t.attrs = {}
        parts.append(t)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["outcome", "unit"])


def _pooled_by_outcome(pooled: Any) -> dict[str, pd.DataFrame]:
    """Each outcome's rows of a :func:`pooled_tests` table, its pooled fit in ``attrs["pooled"]``
    (the table split once: :func:`impact` asks for every outcome)."""
    if not isinstance(pooled, pd.DataFrame) or "outcome" not in pooled:
        return {}
    fit = [c for c in pooled.columns if c.startswith("pooled_")]
    rest = pooled.drop(columns=["outcome", *fit])
    values = {c: pooled[c].to_numpy() for c in fit}
    codes, names = pd.factorize(pooled["outcome"].astype(str))
    out = {}
    for k, name in enumerate(names):   # a few outcomes
        rows = np.flatnonzero(codes == k)
        t = rest.iloc[rows].reset_index(drop=True)
        t.attrs["pooled"] = {c[len("pooled_"):]: v[rows[0]] for c, v in values.items()}
        out[str(name)] = t
    return out


def _signed_p(effect: float, se: float, df: float, bound: float, sign: float) -> float:
    """Two-sided p of H0: sign * theta = bound, reported only on the side beyond the bound."""
    if not (np.isfinite(effect) and np.isfinite(se) and se > 0 and np.isfinite(df)):
        return math.nan
    t = (sign * effect - bound) / se
    return float(2 * special.stdtr(df, -abs(t))) if t > 0 else 1.0


def impact(study: Any, unit: str, *, thresholds: Mapping[str, Any] | None = None, lang: str = "id",
           outcomes: Sequence[str] | None = None, pooled: Any = None) -> Section:
    """The unit's effect on each outcome against the control pool, with benefit / harm flags.

    Per outcome (``pilot.unit_effect``): the 2x2 DiD against the never-treated units (when
    fewer than two stay out of the pilot: over ``pilot.control_window``'s post window,
    against the units not yet piloting by its end; ``post_periods``, ``controls`` and
    ``window_end`` record it, None / ``"never"`` for the whole post period) and its
    prediction t test for few controls (interval = the inverted test, so it excludes 0
    exactly when p < alpha), the exact placebo p-value beside it, the minimum detectable
    effect at ``mde_power``, the synthetic-control gap as a cross-check, and the unit's
    empirical-Bayes effect pooled with the other pilot units (REML random effects,
    Knapp-Hartung; ``pilot.pooled_unit_effects``).

    Multiplicity: a **benefit** needs a primary outcome whose test against ``min_effect``
    (0 when not declared) is significant after Holm's (1979) adjustment across the primary
    outcomes at ``benefit_alpha``; **harm** needs an outcome worse with a Holm-adjusted p
    (across all outcomes) below ``harm_alpha``. So a unit where the pilot changed nothing
    shows a benefit with probability at most ``benefit_alpha / 2`` and is held for harm with
    probability at most ``harm_alpha / 2`` whatever the number of outcomes.

    ``too_small_to_see`` (per outcome): no benefit shown, the effect that matters --
    ``min_effect`` if declared, else the size of the programme-wide pooled effect -- is
    below this unit's MDE (the design could not have seen it), and the unit's 95% interval
    does not rule that benefit out (a unit with a clear harm is no unit too small to
    judge). The unit-level flag is set when every primary outcome is too small to see.
    ``sought_effect`` is that effect (when above 0) and ``rules_out_sought`` says the
    interval excludes it: no benefit of the size sought, rather than none seen. ``why``
    says, in the reader's language, why an outcome has no estimate, or an estimate but no
    interval (one control unit left: the prediction test needs two); None otherwise.
    ``why_code`` names the latter cause (``one_control``, ``no_interval``).

    ``pooled``: the :func:`pooled_tests` table of the whole study (a DataFrame or a Parquet
    path) when ``study`` is one unit's partition; by default it is computed from ``study``.
    """
    th = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    alpha = 0.05
    panel = study.panel()
    info = getattr(study, "outcome_info", {}) or {}
    spec = outcome_spec(study)
    names = list(outcomes or info or [])
    sec = Section(key="impact", title=text("impact", lang))
    rows, per, paths = [], {}, []
    if isinstance(pooled, (str, os.PathLike)):
        pooled = pd.read_parquet(pooled)       # once for all outcomes
    given_by = _pooled_by_outcome(pooled)   # {} without a pooled table
    present = [oc for oc in names if oc in panel]
    effects: dict = {}
    window = None
    try:  # the panel checked and the unit located once for all outcomes
        # in a rollout where (almost) every unit pilots, later waves are the controls until they start
        window = pilot.control_window(panel, unit=unit)
        effects = pilot.unit_effects(panel, unit=unit, outcomes=present, alpha=alpha, power=th["mde_power"],
                                     post_periods=window.post_periods)
    except Exception as exc:
        if not _is_data_problem(exc):
            raise       # an outcome the panel cannot give: each one alone below, with its own reason
    post_periods = window.post_periods if window is not None else None
    for oc in present:
        label = info.get(oc, {}).get("label_en" if lang == "en" else "label", oc)
        try:
            ue = effects[oc] if oc in effects else pilot.unit_effect(panel, unit=unit, outcome=oc, alpha=alpha,
                                                                     power=th["mde_power"], post_periods=post_periods)
            given = given_by.get(str(oc))
            pool = given if given is not None else _pooled_table(study, oc, alpha, th["mde_power"])
        except Exception as exc:
            if not _is_data_problem(exc):
                raise
            sec.notes.append(f"{label}: " + text("not_computable", lang, why=str(exc)))
            continue
        sp = spec.get(oc, {"higher_is_better": True, "primary": True, "min_effect": None, "unit": "", "unit_en": ""})
        hib = sp["higher_is_better"]
        sign = 1.0 if hib else -1.0
        me = sp["min_effect"]
        pt = ue.pretrend.extra if ue.pretrend is not None else {}
        mine = np.flatnonzero(np.asarray(pool["unit"], dtype=object).astype(str) == str(unit))
        eb = pool.iloc[int(mine[0])].to_dict() if len(mine) else {}
        mu = _num(pool.attrs.get("pooled", {}).get("mu"))
        gap = _no_interval(ue) if _num(ue.effect) is not None else None   # an estimate with no interval
        per[oc] = {"effect": _num(ue.effect), "se": _num(ue.se), "df": _num(ue.df),
                   "ci_low": _num(ue.ci_low), "ci_high": _num(ue.ci_high), "pval": _num(ue.pval),
                   "pval_perm": _num(ue.pval_perm), "mde": _num(ue.mde), "method": ue.method,
                   "eb_effect": _num(eb.get("eb_effect")), "eb_ci_low": _num(eb.get("eb_ci_low")),
                   "eb_ci_high": _num(eb.get("eb_ci_high")), "pooled_effect": mu,
                   "synth_effect": _num(ue.synth.value), "did": _num(ue.did.value),
                   "higher_is_better": hib, "primary": sp["primary"], "min_effect": me, "unit": sp["unit"], "unit_en": sp.get("unit_en", sp["unit"]),
                   "label": label, "pre_rmspe": _num(ue.pre_rmspe), "n_donors": int(ue.n_donors),
                   # the post periods measured (None: all) and whether later waves served as controls
                   "post_periods": post_periods,
                   "controls": window.controls if window is not None else "never",
                   "window_end": str(window.last_period) if window is not None else None,
                   # the unit's pre-period trend against the controls' and the DiD net of each trend
                   "pretrend_slope": _num(getattr(ue.pretrend, "value", None)),
                   "pretrend_pval": _num(getattr(ue.pretrend, "pval", None)),
                   **{f"pretrend_adjusted_{k}": _num(pt.get(f"adjusted_{k}"))
                      for k in ("effect", "ci_low", "ci_high", "pval")},
                   "_p_benefit_adjusted": (_signed_p(pt["adjusted_effect"], pt["adjusted_se"], pt["adjusted_df"],
                                                     me or 0.0, sign) if "adjusted_se" in pt else math.nan),
                   # why there is no estimate, or no interval to weigh it by, in the reader's language
                   # (the verdict names it)
                   "why": ((text(f"why.{gap}", lang) if gap else None) if _num(ue.effect) is not None else
                           _localize(ue.note, lang, outcome_labels={oc: label}) if ue.note else text("why.data", lang)),
                   "why_code": gap,
                   "_p_benefit": _signed_p(ue.effect, ue.se, ue.df, me or 0.0, sign),
                   "_p_harm": _signed_p(ue.effect, ue.se, ue.df, 0.0, -sign)}
        rows.append({"_oc": oc, text("outcome", lang): label, text("effect", lang): fmt(ue.effect, lang),
                     text("interval", lang): _ci(ue.ci_low, ue.ci_high, lang),
                     text("pvalue", lang): fmt(ue.pval, lang, 3),
                     ("p placebo" if lang == "en" else "p plasebo"): fmt(ue.pval_perm, lang, 3),
                     ("Smallest detectable effect" if lang == "en" else "Efek terkecil yang terdeteksi"):
                         fmt(ue.mde, lang),
                     ("Pooled with other units (95% interval)" if lang == "en" else
                      "Gabungan dengan unit lain (interval 95%)"):
                         f"{fmt(eb.get('eb_effect'), lang)} ({_ci(eb.get('eb_ci_low'), eb.get('eb_ci_high'), lang)})",
                     ("Synthetic control" if lang == "en" else "Kontrol sintetis"): fmt(ue.synth.value, lang)})
        if ue.note:
            sec.notes.append(f"{label}: {_localize(ue.note, lang, outcome_labels={oc: label})}")
        paths.append((label, _gaps_as_event_study(ue)))
    _flag(per, th)
    harm = [oc for oc, e in per.items() if e["harm"]]
    benefit = [oc for oc, e in per.items() if e["benefit"]]
    primary = [oc for oc, e in per.items() if e["primary"]]
    too_small = bool(primary) and not benefit and all(per[oc]["too_small_to_see"] for oc in primary)
    if paths:
        sec.figures.append((("Selisih-dalam-selisih unit terhadap unit kontrol per periode (0 = periode pertama "
                             "uji coba), dengan pita 95%" if lang != "en" else "Difference-in-differences of the "
                             "unit against the control units per period (0 = first pilot period), with 95% band"),
                            plots.event_study_grid_svg(paths, lang=lang)))
    for oc, e in per.items():
        if e["benefit_pretrend"]:
            sec.notes.append(text("impact.pretrend", lang, outcome=e["label"], slope=e["pretrend_slope"],
                                  p=e["pretrend_pval"], adjusted=e["pretrend_adjusted_effect"],
                                  lo=e["pretrend_adjusted_ci_low"], hi=e["pretrend_adjusted_ci_high"]))
    why = None
    if not per:   # no outcome could be estimated at all: say why (a unit missing from the outcomes table)
        in_panel = "unit" in panel and bool((panel["unit"].astype(str) == str(unit)).any())
        why = text("impact.no_data" if not in_panel else "why.data", lang)
    sec.results = {"available": True, "outcomes": per, "harm": harm, "benefit": benefit, "primary": primary,
                   "too_small_to_see": too_small, "why": why}
    if rows:
        for r in rows:
            oc = r.pop("_oc")
            r[("Benefit / harm" if lang == "en" else "Manfaat / bahaya")] = (
                ("benefit" if lang == "en" else "manfaat") if per[oc]["benefit"] else
                ("harm" if lang == "en" else "bahaya") if per[oc]["harm"] else
                ("trend before the pilot" if lang == "en" else "tren sebelum uji coba")
                if per[oc]["benefit_pretrend"] else
                ("too small to see" if lang == "en" else "terlalu kecil untuk terlihat")
                if per[oc]["too_small_to_see"] else
                ("smaller than sought" if lang == "en" else "lebih kecil dari yang dicari")
                if per[oc]["rules_out_sought"] else "–")
        sec.tables.append(("", pd.DataFrame(rows)))
    sec.lead = _lead(per, harm, benefit, lang)
    if window is not None and post_periods is not None and per:
        # what the effect measures changes with the window: the reader sees it beside the lead
        sec.lead += " " + text("impact.not_yet_window", lang, k=post_periods, start=window.first_period,
                               end=window.last_period, n=window.n_controls)
    return sec


def _flag(per: dict[str, dict], th: Mapping[str, Any]) -> None:
    """Holm-adjusted benefit (primary outcomes) and harm (all outcomes) flags, in place."""
    keys = list(per)
    prim = [k for k in keys if per[k]["primary"]]
    p_b = np.asarray(adjust_pvalues(np.array([per[k]["_p_benefit"] for k in prim], dtype=float), method="holm"),
                     dtype=float) if prim else np.array([])
    p_h = np.asarray(adjust_pvalues(np.array([per[k]["_p_harm"] for k in keys], dtype=float), method="holm"),
                     dtype=float) if keys else np.array([])
    for k in keys:
        e = per[k]
        e["pval_benefit_holm"] = _num(p_b[prim.index(k)]) if k in prim else None
        e["pval_harm_holm"] = _num(p_h[keys.index(k)])
        e["benefit"] = bool(k in prim and np.isfinite(p_b[prim.index(k)]) and p_b[prim.index(k)] < th["benefit_alpha"])
        # a unit already moving that way before the pilot: the benefit counts only if the DiD
        # net of each unit's own trend still shows it
        sign = 1.0 if e["higher_is_better"] else -1.0
        e["pretrend"] = bool(e["pretrend_pval"] is not None and e["pretrend_pval"] < th["pretrend_alpha"])
        e["benefit_pretrend"] = bool(e["benefit"] and e["pretrend"] and sign * e["pretrend_slope"] > 0
                                     and not e["_p_benefit_adjusted"] < th["benefit_alpha"])
        if e["benefit_pretrend"]:
            e["benefit"] = False
        e["harm"] = bool(np.isfinite(p_h[keys.index(k)]) and p_h[keys.index(k)] < th["harm_alpha"])
        e["worse"] = e["harm"]
        ref = e["min_effect"] if e["min_effect"] is not None else (abs(e["pooled_effect"])
                                                                  if e["pooled_effect"] is not None else None)
        # a unit whose interval excludes the benefit sought (a clear harm, or a clear "less than
        # that") has seen what it needed to, however large its MDE
        ruled_out = ref is not None and bool(_rules_out_benefit(e["ci_low"], e["ci_high"], sign, ref))
        e["too_small_to_see"] = bool(not e["benefit"] and ref is not None and e["mde"] is not None
                                     and ref < e["mde"] and not ruled_out)
        e["sought_effect"] = _num(ref) if ref is not None and ref > 0 else None
        e["rules_out_sought"] = bool(not e["benefit"] and e["sought_effect"] is not None and ruled_out)
        del e["_p_benefit"], e["_p_harm"], e["_p_benefit_adjusted"]


def _lead(per: dict, harm: list, benefit: list, lang: str) -> str:
    labels = {oc: e["label"] for oc, e in per.items()}
    if lang == "en":
        head = ("Effect = the unit's change after the pilot start minus the control units' change "
                "(difference-in-differences), with a test built for few control units; the interval agrees "
                "with the p-value. 'Smallest detectable effect' is what this design could see with 80% power. ")
        if harm:
            return head + f"Worse outcome(s): {', '.join(labels[o] for o in harm)}."
        return head + (f"Benefit shown on: {', '.join(labels[o] for o in benefit)}." if benefit
                       else "No benefit shown on a primary outcome.")
    head = ("Efek = perubahan unit setelah uji coba dimulai dikurangi perubahan unit kontrol (selisih-dalam-"
            "selisih), diuji dengan cara yang sah untuk jumlah unit kontrol yang sedikit; intervalnya sejalan "
            "dengan nilai p. 'Efek terkecil yang terdeteksi' adalah efek yang dapat dilihat rancangan ini "
            "dengan daya 80%. ")
    if harm:
        return head + f"Indikator yang memburuk: {', '.join(labels[o] for o in harm)}."
    return head + (f"Manfaat terbukti pada: {', '.join(labels[o] for o in benefit)}." if benefit
                   else "Belum terbukti ada manfaat pada indikator utama.")


def _gaps_as_event_study(ue: Any) -> pd.DataFrame:
    """The unit's DiD per period as an event-study frame (event time 0 = first pilot period)."""
    g = (ue.did_path if getattr(ue, "did_path", None) is not None else ue.gaps).reset_index(drop=True)
    post = g["post"].astype(bool).to_numpy()
    first = int(np.argmax(post)) if post.any() else len(g)
    et = np.arange(len(g)) - first
    lo = g["ci_low"].to_numpy(float) if "ci_low" in g else np.full(len(g), np.nan)
    hi = g["ci_high"].to_numpy(float) if "ci_high" in g else np.full(len(g), np.nan)
    return pd.DataFrame({"event_time": et, "att": g["gap"].to_numpy(float), "ci_low": lo, "ci_high": hi,
                         "reference": np.zeros(len(g), bool)})

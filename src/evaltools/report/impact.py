"""The impact section of a unit: its outcomes against the control pool (``pilot.unit_effect``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd


from evaltools import pilot
from evaltools import plots

from ._base import Section, _is_data_problem, _num
from ._text import _ci, _localize, fmt, text
from .thresholds import DEFAULT_THRESHOLDS, thresholds


def impact(study: Any, unit: str, *, thresholds: Mapping[str, Any] | None = None, lang: str = "id",
           outcomes: Sequence[str] | None = None) -> Section:
    """The unit's effect on each outcome against the control pool (synthetic control,
    placebo p-value for few clusters) and the per-period gap plot with the pilot start marked.

    Calls ``evaltools.pilot.unit_effect`` on ``study.panel()``.
    """
    th = thresholds or DEFAULT_THRESHOLDS
    panel = study.panel()
    info = getattr(study, "outcome_info", {}) or {}
    names = list(outcomes or info or [])
    sec = Section(key="impact", title=text("impact", lang))
    rows, per, paths = [], {}, []
    harm = []
    for oc in names:
        if oc not in panel:
            continue
        try:
            ue = pilot.unit_effect(panel, unit=unit, outcome=oc)
        except Exception as exc:
            if not _is_data_problem(exc):
                raise
            sec.notes.append(f"{oc}: " + text("not_computable", lang, why=str(exc)))
            continue
        hib = bool(info.get(oc, {}).get("higher_is_better", True))
        eff, p = _num(ue.effect), _num(ue.pval)
        worse = eff is not None and p is not None and p < th["harm_alpha"] and ((eff < 0) if hib else (eff > 0))
        if worse:
            harm.append(oc)
        label = info.get(oc, {}).get("label_en" if lang == "en" else "label", oc)
        per[oc] = {"effect": eff, "ci_low": _num(ue.ci_low), "ci_high": _num(ue.ci_high), "pval": p,
                   "did": _num(ue.did.value), "higher_is_better": hib, "worse": bool(worse),
                   "pre_rmspe": _num(ue.pre_rmspe), "n_donors": int(ue.n_donors)}
        rows.append({text("outcome", lang): label, text("effect", lang): fmt(eff, lang),
                     text("interval", lang): _ci(ue.ci_low, ue.ci_high, lang), text("pvalue", lang): fmt(p, lang, 3),
                     "DiD 2x2": fmt(ue.did.value, lang)})
        if ue.note:
            sec.notes.append(f"{label}: {_localize(ue.note, lang)}")
        paths.append((label, _gaps_as_event_study(ue)))
    if paths:
        sec.add_figure(("Selisih unit dengan kontrol sintetis per periode (0 = periode pertama uji coba)"
                        if lang != "en" else "Gap between the unit and its synthetic control per period "
                        "(0 = first pilot period)"), plots.event_study_grid(paths, lang=lang))
    sec.results = {"available": True, "outcomes": per, "harm": harm}
    if rows:
        sec.tables.append(("", pd.DataFrame(rows)))
    if lang == "en":
        sec.lead = ("Effect = average gap after the pilot start between the unit and its synthetic control built "
                    "from never-treated units; p-value from placebo runs on the control units (honest with few "
                    "units). " + (f"Worse outcome(s): {', '.join(harm)}." if harm else "No outcome got "
                                  "significantly worse."))
    else:
        sec.lead = ("Efek = rata-rata selisih setelah uji coba dimulai antara unit dan kontrol sintetisnya dari "
                    "unit yang belum menjalankan uji coba; nilai p dari uji plasebo pada unit kontrol (jujur "
                    "untuk jumlah unit yang sedikit). " + (f"Indikator yang memburuk: {', '.join(harm)}."
                                                           if harm else "Tidak ada indikator yang memburuk "
                                                                         "secara bermakna."))
    return sec


def _gaps_as_event_study(ue: Any) -> pd.DataFrame:
    """The unit's per-period gaps as an event-study frame (event time 0 = first pilot period)."""
    g = ue.gaps.reset_index(drop=True)
    post = g["post"].astype(bool).to_numpy()
    first = int(np.argmax(post)) if post.any() else len(g)
    et = np.arange(len(g)) - first
    lo = hi = np.full(len(g), np.nan)
    if getattr(ue, "placebo_gaps", None) is not None and len(ue.placebo_gaps):
        pg = ue.placebo_gaps.to_numpy(float)
        if pg.shape[0] == len(g) and pg.shape[1] >= 2:
            # interval from the spread of the placebo gaps in each period (Conley-Taber style)
            q_lo, q_hi = np.nanquantile(pg, [0.025, 0.975], axis=1)
            lo, hi = g["gap"].to_numpy(float) - q_hi, g["gap"].to_numpy(float) - q_lo
    return pd.DataFrame({"event_time": et, "att": g["gap"].to_numpy(float), "ci_low": lo, "ci_high": hi,
                         "reference": np.zeros(len(g), bool)})

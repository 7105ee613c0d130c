"""Report building blocks: sections, verdicts, recorded results, briefing tables.

The notebooks stay thin: each cell calls one function here and shows what it returns.
A *section* (:class:`Section`) bundles a heading, a plain-language lead, tables, charts,
notes and the key figures the verdict and the briefing need. A section whose library part
is not importable says so plainly and carries no numbers.

Verdict thresholds
------------------
Read from the ``[thresholds]`` table of ``study.toml``; any key left out takes the default
below (:data:`DEFAULT_THRESHOLDS`). The verdict is

* **TUNDA** (hold) when any *hold* rule fires,
* otherwise **PERBAIKI DULU** (fix first) when any *fix* rule fires,
* otherwise **SIAP** (ready).

============================ ======== ========================================================
key                          default  rule
============================ ======== ========================================================
``min_subjects``             10       hold: fewer rated employees than this (too little data)
``hold_agreement``           0.50     hold: the median item's reliability is poor (Koo & Li
                                      2016: below 0.5 is poor)
``min_agreement``            0.50     fix: any item's reliability is poor (below this)
``max_item_gap``             0.20     fix: an item more than this below the unit's median item,
                                      with its 95% interval wholly below the median (raters
                                      read that item differently: clarify it)
``min_raters_per_subject``   3        fix: median distinct raters per employee and period
``max_missing_share``        0.20     fix: share of item ratings a rater skipped (among the
                                      items their role rates in the unit)
``max_flagged_share``        0.10     fix: share of the assessable raters (at least
                                      ``min_ratings`` ratings) flagged severe or lenient ...
``min_flagged_raters``       3        ... and at least this many of them (one or two outliers
                                      are a conversation, not a calibration problem)
``severity_threshold``       0.5      points of severity a rater must exceed to be flagged
                                      (passed to ``calibration.rater_effects``)
``min_ratings``              10       ratings a rater needs before being judged
``distribution_blocks``      false    fix: predikat distribution off the SE MenPANRB 3/2023
                                      pattern (advisory by default: reported, not blocking)
``harm_alpha``               0.05     hold: an outcome worsens with placebo p below this
``target_reliability``       0.80     reliability the "raters needed" figure aims for
``min_cell``                 5        briefing cells describing fewer people are suppressed
============================ ======== ========================================================

"Reliability" is the one-way ICC of the raters' mean, ICC(1,k) (Shrout & Fleiss 1979, case 1:
a 360° score averages raters who differ from employee to employee), per item, from
``reliability.agreement``; Krippendorff's alpha is the fallback when no ICC is available.
The impact rule holds a unit only on evidence of harm: with the usual handful of control
units the placebo p-value of one unit cannot fall below 1/(controls + 1), so a missing
benefit is shown with its interval but does not by itself hold a unit.

References
----------
Shrout PE, Fleiss JL (1979). Intraclass correlations: uses in assessing rater reliability.
*Psychol Bull* 86(2):420-428.
Krippendorff K (2004). *Content Analysis: An Introduction to Its Methodology*, 2nd ed., p. 241.
Koo TK, Li MY (2016). A guideline of selecting and reporting intraclass correlation
coefficients for reliability research. *J Chiropr Med* 15(2):155-163.
"""
from __future__ import annotations

import base64
import dataclasses
import html
import importlib
import json
import math
import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_THRESHOLDS",
    "Section",
    "Verdict",
    "VERDICTS",
    "actions",
    "blockers",
    "briefing_header",
    "calibration",
    "collect",
    "consistency",
    "coverage",
    "data_summary",
    "failures",
    "fmt",
    "impact",
    "pooled_effect",
    "power_section",
    "record",
    "suppress",
    "summary_table",
    "text",
    "thresholds",
    "unit_header",
    "unit_record",
    "unit_sections",
    "verdict",
    "verdict_overview",
    "verdict_table",
    "write_data_summary",
    "write_summary",
]

VERDICTS = ("SIAP", "PERBAIKI DULU", "TUNDA")
VERDICT_EN = {"SIAP": "READY", "PERBAIKI DULU": "FIX FIRST", "TUNDA": "HOLD"}

DEFAULT_THRESHOLDS: dict[str, Any] = {
    "min_subjects": 10,
    "hold_agreement": 0.50,
    "min_agreement": 0.50,
    "max_item_gap": 0.20,
    "min_raters_per_subject": 3,
    "max_missing_share": 0.20,
    "max_flagged_share": 0.10,
    "min_flagged_raters": 3,
    "severity_threshold": 0.5,
    "min_ratings": 10,
    "distribution_blocks": False,
    "harm_alpha": 0.05,
    "target_reliability": 0.80,
    "min_cell": 5,
}

ORDINAL_ITEMS = ("Hasil Kerja", "Perilaku Kerja")
#: above this many units the briefing charts verdicts by region instead of one panel per unit
MAX_PANELS = 36
#: the coefficient a verdict reads, first available wins. A 360° score is the mean of several
#: raters who differ from employee to employee, so the one-way ICC of the k-rater mean
#: (Shrout & Fleiss 1979, ICC(1,k)) is the reliability of the score actually used;
#: Krippendorff's alpha (single rater, any missing pattern) is the fallback.
PRIMARY_COEFFICIENTS = ("ICC1k", "krippendorff_alpha", "ICC1", "gwet_ac2")


def thresholds(config: Mapping[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """Verdict thresholds: :data:`DEFAULT_THRESHOLDS` updated by ``config["thresholds"]``.

    ``config`` is the study's raw ``study.toml`` dict (``study.config``) or directly a
    thresholds mapping. Unknown keys are ignored with a warning naming them.
    """
    if not config:
        given: dict[str, Any] = {}
    elif "thresholds" in config:
        given = dict(config["thresholds"] or {})
    elif "study" in config or "files" in config:  # a study.toml without a [thresholds] table
        given = {}
    else:
        given = dict(config)
    given.update(overrides)
    unknown = sorted(set(given) - set(DEFAULT_THRESHOLDS))
    if unknown:
        # a misspelt threshold must not pass unnoticed, nor stop a whole run
        warnings.warn(f"ignoring unknown threshold(s) in [thresholds]: {', '.join(unknown)}; "
                      f"known: {', '.join(DEFAULT_THRESHOLDS)}", stacklevel=2)
        given = {k: v for k, v in given.items() if k in DEFAULT_THRESHOLDS}
    out = dict(DEFAULT_THRESHOLDS)
    for k, v in given.items():
        default = DEFAULT_THRESHOLDS[k]
        if isinstance(default, bool):
            out[k] = bool(v)
        elif isinstance(default, int):
            out[k] = int(v)
        else:
            out[k] = float(v)
    return out


# ---------------------------------------------------------------------------------------
# language
# ---------------------------------------------------------------------------------------

_TEXT: dict[str, tuple[str, str]] = {
    # headings
    "report_title": ("Laporan uji coba penilaian kinerja", "Performance appraisal pilot report"),
    "coverage": ("Cakupan data", "Data coverage"),
    "consistency": ("Konsistensi penilai", "Rater consistency"),
    "calibration": ("Kalibrasi penilai", "Rater calibration"),
    "impact": ("Dampak uji coba dibanding unit kontrol", "Pilot impact against control units"),
    "verdict": ("Putusan", "Verdict"),
    "briefing_title": ("Ringkasan kebijakan: kesiapan unit uji coba", "Policy briefing: readiness of the pilot units"),
    "verdict_per_unit": ("Putusan per unit", "Verdict per unit"),
    "pooled": ("Efek uji coba gabungan (gelombang bertahap)", "Pooled pilot effect (staggered waves)"),
    "balance": ("Keseimbangan unit uji coba dan kontrol sebelum uji coba",
                "Balance of pilot and control units before the pilot"),
    "blockers": ("Apa yang menahan unit yang belum siap", "What holds back the units that are not ready"),
    "actions": ("Tindakan yang disarankan", "Recommended actions"),
    "power": ("Rencana gelombang berikutnya: daya uji", "Planning the next wave: statistical power"),
    "failures": ("Unit yang gagal diproses", "Units that could not be processed"),
    # availability
    "unavailable": ("Analisis ini belum tersedia: modul {what} belum terpasang dalam versi evaltools ini. "
                    "Tidak ada angka yang ditampilkan.",
                    "This analysis is not available yet: module {what} is not part of this evaltools version. "
                    "No numbers are shown."),
    "not_computable": ("Tidak dapat dihitung untuk unit ini: {why}", "Cannot be computed for this unit: {why}"),
    # verdict words
    "SIAP": ("SIAP", "READY"),
    "PERBAIKI DULU": ("PERBAIKI DULU", "FIX FIRST"),
    "TUNDA": ("TUNDA", "HOLD"),
    "verdict_lead": ("Putusan untuk {unit}: {label}.", "Verdict for {unit}: {label}."),
    "no_reasons": ("Semua pemeriksaan terpenuhi.", "Every check passed."),
    "because": ("Alasan:", "Reasons:"),
    "notes_head": ("Catatan:", "Notes:"),
    # table headings
    "unit": ("Unit", "Unit"),
    "region": ("Wilayah", "Region"),
    "pilot_start": ("Mulai uji coba", "Pilot start"),
    "n_subjects": ("Pegawai dinilai", "Employees rated"),
    "n_raters": ("Penilai", "Raters"),
    "n_ratings": ("Penilaian", "Ratings"),
    "raters_per_subject": ("Penilai per pegawai (median)", "Raters per employee (median)"),
    "missing_share": ("Porsi penilaian 360° kosong", "Share of 360° ratings missing"),
    "agreement": ("Kesepakatan (median butir)", "Agreement (median item)"),
    "flagged": ("Penilai ditandai", "Raters flagged"),
    "flagged_share": ("Porsi penilai ditandai", "Share of raters flagged"),
    "effect": ("Efek", "Effect"),
    "interval": ("Interval 95%", "95% interval"),
    "pvalue": ("Nilai p", "p-value"),
    "pvalue_ri": ("p acak", "Randomization p"),
    "pvalue_holm": ("p Holm", "Holm p"),
    "pvalue_pretrend": ("p pra-tren", "Pre-trend p"),
    "status": ("Status", "Status"),
    "reason": ("Alasan utama", "Main reason"),
    "role": ("Peran penilai", "Rater role"),
    "item": ("Butir", "Item"),
    "value": ("Nilai", "Value"),
    "label": ("Arti", "Meaning"),
    "outcome": ("Indikator hasil", "Outcome"),
    "suppressed": ("<{k}", "<{k}"),
    "error": ("Pesan galat (baris terakhir)", "Error (last lines)"),
    "worklist": ("Daftar kerja kalibrasi (penilai, menurut prioritas)", "Calibration worklist (raters, by priority)"),
    "priority": ("Prioritas", "Priority"),
    "issue": ("Masalah", "Issue"),
    "evidence": ("Bukti", "Evidence"),
    "n_targets": ("Pegawai × periode", "Employee × period"),
}


def text(key: str, lang: str = "id", **kw: Any) -> str:
    """The Indonesian (``lang="id"``) or English text for ``key``, formatted with ``kw``."""
    pair = _TEXT[key]
    s = pair[1] if lang == "en" else pair[0]
    return s.format(**kw) if kw else s


def fmt(x: Any, lang: str = "id", digits: int = 2, pct: bool = False) -> str:
    """A number as a reader expects it: decimal comma in Indonesian, '–' when missing."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "–" if x is None else str(x)
    if math.isnan(v):
        return "–"
    if pct:
        s = f"{100 * v:.0f}%"
    elif float(v).is_integer() and digits == 0:
        s = f"{int(v)}"
    else:
        s = f"{v:.{digits}f}"
    return s.replace(".", ",") if lang != "en" else s


def _ci(lo: Any, hi: Any, lang: str, digits: int = 2) -> str:
    if lo is None or hi is None or any(isinstance(v, float) and math.isnan(v) for v in (lo, hi)):
        return "–"
    return f"{fmt(lo, lang, digits)} – {fmt(hi, lang, digits)}"


def _esc(s: Any) -> str:
    return html.escape(str(s), quote=True)


# ---------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------

_STYLE = ("<style>.evt-sec{font-family:system-ui,Segoe UI,Arial,sans-serif;max-width:60rem;line-height:1.45}"
          ".evt-sec h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:1.6rem}"
          ".evt-sec table{border-collapse:collapse;margin:.5rem 0 1rem 0;font-size:.9rem}"
          ".evt-sec th,.evt-sec td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}"
          ".evt-sec th{background:#f4f4f4}.evt-note{color:#555;font-size:.85rem}"
          ".evt-na{background:#fff7e6;border-left:4px solid #e08214;padding:.5rem .8rem}"
          ".evt-badge{display:inline-block;padding:.3rem .9rem;border-radius:.3rem;color:#fff;font-weight:700;"
          "font-size:1.2rem}</style>")


@dataclasses.dataclass
class Section:
    """One report section: what a reader sees and what the verdict and briefing read.

    Attributes
    ----------
    key : str
        ``coverage``, ``consistency``, ``calibration``, ``impact``, ...
    title, lead : str
        Heading and a plain-language paragraph.
    available : bool
        False when the library part behind the section is not importable (no numbers then).
    tables : list of (caption, DataFrame)
    figures : list of (caption, PNG bytes)
    notes : list of str
    results : dict
        JSON-ready key figures (recorded, read by :func:`verdict` and the briefing).
    """

    key: str
    title: str
    lead: str = ""
    available: bool = True
    tables: list = dataclasses.field(default_factory=list)
    # PNG bytes in a repr would be the bulk of a notebook's plain-text output
    figures: list = dataclasses.field(default_factory=list, repr=False)
    notes: list = dataclasses.field(default_factory=list)
    results: dict = dataclasses.field(default_factory=dict)
    raw: dict = dataclasses.field(default_factory=dict, repr=False)

    def add_figure(self, caption: str, fig: Any) -> None:
        from evaltools.plots import figure_png

        self.figures.append((caption, figure_png(fig)))

    def _repr_html_(self) -> str:
        parts = [_STYLE, '<div class="evt-sec">', f"<h2>{_esc(self.title)}</h2>"]
        if not self.available:
            parts.append(f'<p class="evt-na">{_esc(self.lead)}</p></div>')
            return "".join(parts)
        if self.lead:
            parts.append(f"<p>{_esc(self.lead)}</p>")
        for caption, df in self.tables:
            if caption:
                parts.append(f"<h4>{_esc(caption)}</h4>")
            parts.append(df.to_html(index=False, escape=True, na_rep="–", border=0))
        for caption, png in self.figures:
            b64 = base64.b64encode(png).decode("ascii")
            parts.append(f'<figure><img alt="{_esc(caption)}" src="data:image/png;base64,{b64}"/>'
                         f"<figcaption class=\"evt-note\">{_esc(caption)}</figcaption></figure>")
        if self.notes:
            parts.append('<ul class="evt-note">' + "".join(f"<li>{_esc(n)}</li>" for n in self.notes) + "</ul>")
        parts.append("</div>")
        return "".join(parts)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # the notebook's text/plain output: the readable summary, not the dataclass fields
        # (the escaped PNG bytes there doubled each executed report notebook's size)
        p.text(f"Section({self.key!r})" if cycle else str(self))

    def __str__(self) -> str:
        lines = [self.title, self.lead]
        for caption, df in self.tables:
            lines += [caption, df.to_string(index=False)]
        lines += self.notes
        return "\n".join(s for s in lines if s)


# The statistics modules explain undefined or fragile values in English notes; an
# Indonesian report shows the common ones in Indonesian (unknown notes pass unchanged).
_NOTES_ID: tuple[tuple[str, str], ...] = (
    (r"no subject was rated by two or more raters; one-way ICCs use all (\d+) subjects \(\d+ ratings each\)",
     r"setiap pegawai dinilai oleh satu penilai saja dalam peran ini (\1 pegawai), sehingga kesepakatan "
     r"antarpenilai tidak dapat dihitung"),
    (r"only (\d+) placebo donors: the smallest attainable p-value is ([\d.]+) > alpha = ([\d.]+)",
     r"hanya \1 unit kontrol pembanding: nilai p terkecil yang mungkin \2, di atas batas \3"),
    (r"fewer than (\d+) placebos: the placebo intervals span the placebo range and cover less than (\d+)%",
     r"kurang dari \1 pembanding: interval plasebo selebar rentang pembanding dan cakupannya di bawah \2%"),
    (r"poor pre-period fit: pre-RMSPE ([\d.e+-]+) exceeds ([\d.]+) x the SD of pre-period (\w+) \(([\d.e+-]+)\); "
     r"the unit may lie outside the donors' range, read the synthetic-control estimate with care",
     r"kecocokan sebelum uji coba lemah (RMSPE \1 > \2 × SD \3 sebelum uji coba = \4): unit mungkin di luar "
     r"jangkauan unit kontrol, baca perkiraan kontrol sintetis dengan hati-hati"),
    (r"(\d+) of (\d+) placebo units fit exactly in the pre-period \(many donors, few pre-periods\): the "
     r"RMSPE-ratio p-value has little power; compare pval_gap, the placebo interval and the DiD",
     r"\1 dari \2 unit plasebo cocok sempurna sebelum uji coba (banyak pembanding, sedikit periode): nilai p "
     r"rasio RMSPE kurang peka; bandingkan dengan interval plasebo dan DiD"),
    (r"deviation: (.+?): (\d+) of (\d+), should be the largest group \(largest other group: (\d+)\)",
     r"penyimpangan: \1: \2 dari \3, seharusnya kelompok terbesar (kelompok lain terbesar: \4)"),
    (r"deviation: (.+?): (\d+) of (\d+) \((\d+)%\), at least (\d+) expected \((\d+)%\)",
     r"penyimpangan: \1: \2 dari \3 (\4%), diharapkan minimal \5 (\6%)"),
    (r"deviation: (.+?): (\d+) of (\d+) \((\d+)%\), at most (\d+) allowed \((\d+)%\)",
     r"penyimpangan: \1: \2 dari \3 (\4%), paling banyak \5 (\6%)"),
)


def _localize(note: str, lang: str) -> str:
    """A library note in the report's language (Indonesian for the common notes)."""
    if lang == "en":
        return note
    for pattern, repl in _NOTES_ID:
        note = re.sub(pattern, repl, note)
    return note


def _lib(module: str):
    """The evaltools submodule, or None when it is not part of this installation."""
    try:
        return importlib.import_module(f"evaltools.{module}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(f"evaltools.{module}"):
            return None
        raise


def _lib_func(module: str, name: str):
    mod = _lib(module)
    if mod is None:
        return None
    try:
        return getattr(mod, name)
    except (AttributeError, ModuleNotFoundError):
        return None


def _unavailable(key: str, what: str, lang: str) -> Section:
    return Section(key=key, title=text(key, lang), lead=text("unavailable", lang, what=what), available=False,
                   results={"available": False})


def _unit_ratings(study: Any, unit: str) -> pd.DataFrame:
    r = study.ratings
    r = r[r["unit"].astype(str) == str(unit)].copy()
    # a person rated in two periods is two objects of measurement
    r["target"] = r["period"].astype(str) + "|" + r["subject"].astype(str)
    return r


def _item_kinds(study: Any, items: Iterable[str]) -> dict[str, str]:
    out = {}
    for it in items:
        try:
            out[it] = study.scale_for(it).kind
        except Exception:
            out[it] = "ordinal" if it in ORDINAL_ITEMS else "numeric"
    return out


def _numeric_items(study: Any, r: pd.DataFrame) -> list[str]:
    kinds = _item_kinds(study, pd.unique(r["item"]))
    return [i for i, k in kinds.items() if k == "numeric"]


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
    agreement = _lib_func("reliability", "agreement")
    if agreement is None:
        return _unavailable("consistency", "evaltools.reliability", lang)
    from evaltools import plots

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
    by_item = agreement(num, subject="target", rater="rater", score="score", level="interval", by="item",
                        categories=cats, n_boot=0)  # the verdict reads ICC(1,k), whose interval is analytic
    # by role: each rater's mean over the 360° items, so a (employee, rater) pair is one rating
    comp = num.groupby(["target", "rater", "rater_role"], observed=True, as_index=False)["score"].mean()
    comp["rater_role"] = comp["rater_role"].astype(str)
    by_role = agreement(comp, subject="target", rater="rater", score="score", level="interval", by="rater_role",
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


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


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
    cal = _lib("calibration")
    if cal is None:
        return _unavailable("calibration", "evaltools.calibration", lang)
    from evaltools import plots

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


def _is_data_problem(exc: BaseException) -> bool:
    from evaltools._errors import DataError

    return isinstance(exc, (DataError, KeyError, ValueError))


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


def impact(study: Any, unit: str, *, thresholds: Mapping[str, Any] | None = None, lang: str = "id",
           outcomes: Sequence[str] | None = None) -> Section:
    """The unit's effect on each outcome against the control pool (synthetic control,
    placebo p-value for few clusters) and the per-period gap plot with the pilot start marked.

    Calls ``evaltools.pilot.unit_effect`` on ``study.panel()``.
    """
    th = thresholds or DEFAULT_THRESHOLDS
    unit_effect = _lib_func("pilot", "unit_effect")
    if unit_effect is None:
        return _unavailable("impact", "evaltools.pilot", lang)
    from evaltools import plots

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
            ue = unit_effect(panel, unit=unit, outcome=oc)
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


# ---------------------------------------------------------------------------------------
# verdict
# ---------------------------------------------------------------------------------------

@dataclasses.dataclass
class Verdict:
    """SIAP / PERBAIKI DULU / TUNDA with the reasons that triggered it."""

    code: str
    reasons: list[dict]
    lang: str = "id"

    @property
    def label(self) -> str:
        return text(self.code, self.lang)

    def to_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "reasons": self.reasons}

    def _repr_html_(self) -> str:
        from evaltools.plots import VERDICT_COLORS

        color = VERDICT_COLORS.get(self.code, "#555")
        parts = [_STYLE, '<div class="evt-sec">', f"<h2>{_esc(text('verdict', self.lang))}</h2>",
                 f'<p><span class="evt-badge" style="background:{color}">{_esc(self.label)}</span></p>']
        if self.reasons:
            parts.append(f"<p>{_esc(text('because', self.lang))}</p><ul>")
            parts += [f"<li><b>{_esc(text(r['level'], self.lang))}</b>: {_esc(r['text'])}</li>" for r in self.reasons]
            parts.append("</ul>")
        else:
            parts.append(f"<p>{_esc(text('no_reasons', self.lang))}</p>")
        parts.append("</div>")
        return "".join(parts)

    def __str__(self) -> str:
        return self.label + "".join(f"\n- {r['text']}" for r in self.reasons)


def _reason(code: str, level: str, value: Any, limit: Any, id_text: str, en_text: str, lang: str) -> dict:
    return {"code": code, "level": level, "value": _num(value) if not isinstance(value, (list, str)) else value,
            "threshold": limit, "text": en_text if lang == "en" else id_text}


def verdict(sections: Mapping[str, Section | Mapping], thresholds: Mapping[str, Any] | None = None, *,
            lang: str = "id") -> Verdict:
    """The unit's verdict from its sections' key figures and the thresholds.

    Sections that are not available (library part missing) or not computable add no
    reason; every rule that fires adds one, with its value and threshold.
    """
    th = {**DEFAULT_THRESHOLDS, **(thresholds or {})}

    def res(key: str) -> dict:
        s = sections.get(key)
        if s is None:
            return {}
        return s.results if isinstance(s, Section) else dict(s)

    cov, con, cal, imp = res("coverage"), res("consistency"), res("calibration"), res("impact")
    reasons: list[dict] = []
    n = cov.get("n_subjects")
    if n is not None and n < th["min_subjects"]:
        reasons.append(_reason("few_subjects", "TUNDA", n, th["min_subjects"],
                               f"hanya {n} pegawai dinilai (minimal {th['min_subjects']})",
                               f"only {n} employees rated (minimum {th['min_subjects']})", lang))
    med = _num(con.get("agreement_median"))
    if med is not None and med < th["hold_agreement"]:
        reasons.append(_reason("agreement_poor", "TUNDA", med, th["hold_agreement"],
                               f"kesepakatan penilai sangat rendah (median butir {fmt(med)} < "
                               f"{fmt(th['hold_agreement'])})",
                               f"rater agreement is poor (median item {fmt(med, 'en')} < "
                               f"{fmt(th['hold_agreement'], 'en')})", lang))
    elif med is not None and con.get("items_below"):
        items = con["items_below"]
        low = _num(con.get("agreement_min"))
        reasons.append(_reason("agreement_low", "PERBAIKI DULU", low, th["min_agreement"],
                               f"{len(items)} butir dengan kesepakatan di bawah {fmt(th['min_agreement'], digits=3)} "
                               f"(terendah {fmt(low)}): {', '.join(items[:3])}",
                               f"{len(items)} item(s) with agreement below {fmt(th['min_agreement'], 'en', 3)} "
                               f"(lowest {fmt(low, 'en')}): {', '.join(items[:3])}", lang))
    elif med is not None and con.get("items_outlying"):
        items = con["items_outlying"]
        low = _num(con.get("agreement_min"))
        reasons.append(_reason("agreement_low", "PERBAIKI DULU", low, th["max_item_gap"],
                               f"butir {', '.join(items[:3])} dinilai jauh kurang konsisten daripada butir lain "
                               f"({fmt(low)} vs median {fmt(med)})",
                               f"item(s) {', '.join(items[:3])} are rated far less consistently than the others "
                               f"({fmt(low, 'en')} vs median {fmt(med, 'en')})", lang))
    rps = _num(cov.get("raters_per_subject"))
    if rps is not None and rps < th["min_raters_per_subject"]:
        reasons.append(_reason("few_raters", "PERBAIKI DULU", rps, th["min_raters_per_subject"],
                               f"median {fmt(rps, digits=0)} penilai per pegawai (minimal {th['min_raters_per_subject']})",
                               f"median {fmt(rps, 'en', 0)} raters per employee (minimum "
                               f"{th['min_raters_per_subject']})", lang))
    ms = _num(cov.get("missing_share"))
    if ms is not None and ms > th["max_missing_share"]:
        reasons.append(_reason("missing_360", "PERBAIKI DULU", ms, th["max_missing_share"],
                               f"{fmt(ms, pct=True)} penilaian 360° kosong (maks {fmt(th['max_missing_share'], pct=True)})",
                               f"{fmt(ms, 'en', pct=True)} of 360° ratings missing (max "
                               f"{fmt(th['max_missing_share'], 'en', pct=True)})", lang))
    fs = _num(cal.get("flagged_share"))
    nsev = cal.get("n_severity_flagged") or 0
    if fs is not None and fs > th["max_flagged_share"] and nsev >= th["min_flagged_raters"]:
        reasons.append(_reason("raters_flagged", "PERBAIKI DULU", fs, th["max_flagged_share"],
                               f"{nsev} penilai ({fmt(fs, pct=True)}) terlalu ketat atau longgar (maks "
                               f"{fmt(th['max_flagged_share'], pct=True)})",
                               f"{nsev} raters ({fmt(fs, 'en', pct=True)}) are too severe or too lenient (max "
                               f"{fmt(th['max_flagged_share'], 'en', pct=True)})", lang))
    if th["distribution_blocks"] and cal.get("predikat_ok") is False:
        reasons.append(_reason("predikat_pattern", "PERBAIKI DULU", cal.get("predikat_rules_failed"), None,
                               "sebaran predikat menyimpang dari pola SE MenPANRB 3/2023",
                               "the predikat distribution deviates from the SE MenPANRB 3/2023 pattern", lang))
    for oc in imp.get("harm", []) or []:
        e = (imp.get("outcomes") or {}).get(oc, {})
        reasons.append(_reason("outcome_worse", "TUNDA", e.get("effect"), th["harm_alpha"],
                               f"indikator {oc} memburuk setelah uji coba (efek {fmt(e.get('effect'))}, "
                               f"p = {fmt(e.get('pval'), digits=3)})",
                               f"{oc} got worse after the pilot (effect {fmt(e.get('effect'), 'en')}, "
                               f"p = {fmt(e.get('pval'), 'en', 3)})", lang))
    levels = {r["level"] for r in reasons}
    code = "TUNDA" if "TUNDA" in levels else "PERBAIKI DULU" if levels else "SIAP"
    return Verdict(code=code, reasons=reasons, lang=lang)


# ---------------------------------------------------------------------------------------
# recorded results
# ---------------------------------------------------------------------------------------

def _jsonable(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set)):
        return [_jsonable(v) for v in x]
    if isinstance(x, pd.DataFrame):
        return _jsonable(x.to_dict(orient="records"))
    if isinstance(x, pd.Series):
        return _jsonable(x.to_dict())
    if isinstance(x, (Section, Verdict)):
        return _jsonable(x.results if isinstance(x, Section) else x.to_dict())
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        f = float(x)
        return None if math.isnan(f) or math.isinf(f) else f
    if x is None or isinstance(x, (str, int)):
        return x
    if x is pd.NA or x is pd.NaT:
        return None
    return str(x)


def unit_record(unit: str, sections: Mapping[str, Section], v: Verdict, *, header: Section | None = None,
                lang: str = "id") -> dict:
    """The document a unit notebook records: verdict, key figures per section, flags."""
    doc = {"unit": str(unit), "status": "ok", "lang": lang}
    if header is not None:
        doc.update({k: header.results.get(k) for k in ("region", "first_treated")})
    doc["verdict"] = v.to_dict()
    doc["available"] = {k: bool(s.available) for k, s in sections.items()}
    for k, s in sections.items():
        doc[k] = s.results
    try:
        from evaltools import __version__

        doc["library_version"] = __version__
    except Exception:
        pass
    return _jsonable(doc)


def record(results: Mapping[str, Any], path: str | os.PathLike | None) -> Path | None:
    """Write a notebook's results as JSON beside it, atomically (temp file + rename).

    NaN becomes ``null``; numpy scalars, Series and DataFrames become plain JSON. ``path``
    None (a notebook opened by hand) writes nothing.
    """
    if path is None or str(path) == "":
        return None
    from evaltools.runner import atomic_write

    data = json.dumps(_jsonable(results), ensure_ascii=False, indent=2, allow_nan=False)
    return atomic_write(Path(path), data)


def collect(run_dir: str | os.PathLike) -> list[dict]:
    """Every unit's recorded results in ``run_dir/units/*.json``, sorted by unit.

    Units whose notebook failed are included with ``status = "failed"`` and the error's
    last lines (from the manifest), so the briefing can list them.
    """
    run_dir = Path(run_dir)
    manifest = {}
    with _suppress():
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    out = []
    for f in sorted((run_dir / "units").glob("*.json")):
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            continue
        entry = (manifest.get("units") or {}).get(doc.get("unit"), {})
        if entry.get("status") == "failed":
            doc = {"unit": doc.get("unit"), "status": "failed", "error": entry.get("error", doc.get("error", ""))}
        out.append(doc)
    return sorted(out, key=lambda d: str(d.get("unit")))


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], (OSError, ValueError))


# ---------------------------------------------------------------------------------------
# briefing
# ---------------------------------------------------------------------------------------

def suppress(df: pd.DataFrame, count_col: str, value_cols: Sequence[str], *, min_cell: int = 5,
             lang: str = "id") -> pd.DataFrame:
    """Hide figures that describe fewer than ``min_cell`` people.

    The count itself becomes ``"<min_cell"`` and the ``value_cols`` of that row become
    ``"–"`` (statistical disclosure control: a small cell can point at a person).
    """
    out = df.copy().astype(object)
    n = pd.to_numeric(df[count_col], errors="coerce")
    small = n.notna() & (n < min_cell)
    out.loc[small, count_col] = text("suppressed", lang, k=min_cell)
    for c in value_cols:
        out.loc[small, c] = "–"
    return out


def _ok(records: Iterable[dict]) -> list[dict]:
    return [r for r in records if r.get("status", "ok") == "ok"]


def verdict_table(records: Sequence[dict], *, lang: str = "id", min_cell: int = 5, raw: bool = False) -> pd.DataFrame:
    """One row per unit: verdict, main reason and key figures (small cells suppressed).

    ``raw=True`` returns numbers (for charts and the Excel summary), before suppression.
    """
    rows = []
    for r in records:
        if r.get("status", "ok") != "ok":
            rows.append({"unit": r.get("unit"), "verdict": "–", "status": "failed"})
            continue
        cov, con, cal = r.get("coverage", {}), r.get("consistency", {}), r.get("calibration", {})
        reasons = (r.get("verdict") or {}).get("reasons", [])
        rows.append({"unit": r.get("unit"), "region": r.get("region"), "first_treated": r.get("first_treated"),
                     "verdict": (r.get("verdict") or {}).get("code"), "status": "ok",
                     "n_subjects": cov.get("n_subjects"), "raters_per_subject": cov.get("raters_per_subject"),
                     "missing_share": cov.get("missing_share"), "agreement": con.get("agreement_median"),
                     "agreement_min": con.get("agreement_min"),
                     "flagged_share": cal.get("flagged_share"),
                     "reason": reasons[0]["text"] if reasons else ""})
    df = pd.DataFrame(rows, columns=["unit", "region", "first_treated", "verdict", "status", "n_subjects",
                                     "raters_per_subject", "missing_share", "agreement", "agreement_min",
                                     "flagged_share", "reason"])
    if raw:
        return df
    show = pd.DataFrame({
        text("unit", lang): df["unit"].astype(str),
        text("region", lang): df["region"].fillna("–").astype(str),
        text("pilot_start", lang): df["first_treated"].fillna("–").astype(str),
        text("verdict", lang): [text(v, lang) if v in VERDICTS else "–" for v in df["verdict"]],
        text("n_subjects", lang): df["n_subjects"],
        text("agreement", lang): [fmt(v, lang) for v in df["agreement"]],
        text("flagged_share", lang): [fmt(v, lang, pct=True) for v in df["flagged_share"]],
        text("missing_share", lang): [fmt(v, lang, pct=True) for v in df["missing_share"]],
        text("reason", lang): df["reason"].fillna("").astype(str),
    })
    show[text("n_subjects", lang)] = [("–" if pd.isna(v) else int(v)) for v in df["n_subjects"]]
    return suppress(show, text("n_subjects", lang), [text("agreement", lang), text("flagged_share", lang),
                                                     text("missing_share", lang)], min_cell=min_cell, lang=lang)


def briefing_header(records: Sequence[dict], *, study_name: str = "", lang: str = "id") -> Section:
    """Title and the one-paragraph answer: how many units are ready, to fix, on hold."""
    ok = _ok(records)
    counts = {v: sum(1 for r in ok if (r.get("verdict") or {}).get("code") == v) for v in VERDICTS}
    failed = len(records) - len(ok)
    sec = Section(key="briefing_header", title=text("briefing_title", lang))
    if lang == "en":
        sec.lead = (f"{study_name}: {len(records)} pilot units assessed. READY: {counts['SIAP']}, "
                    f"FIX FIRST: {counts['PERBAIKI DULU']}, HOLD: {counts['TUNDA']}"
                    + (f", not processed: {failed}." if failed else "."))
    else:
        sec.lead = (f"{study_name}: {len(records)} unit uji coba dinilai. SIAP: {counts['SIAP']}, "
                    f"PERBAIKI DULU: {counts['PERBAIKI DULU']}, TUNDA: {counts['TUNDA']}"
                    + (f", gagal diproses: {failed}." if failed else "."))
    sec.results = {"counts": counts, "failed": failed}
    return sec


def verdict_overview(records: Sequence[dict], *, thresholds: Mapping[str, Any] | None = None, lang: str = "id",
                     min_cell: int | None = None) -> Section:
    """The verdict table and the small-multiples chart of the key figures per unit."""
    from evaltools import plots

    th = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    k = int(min_cell if min_cell is not None else th["min_cell"])
    sec = Section(key="verdict_per_unit", title=text("verdict_per_unit", lang))
    sec.tables.append(("", verdict_table(records, lang=lang, min_cell=k)))
    raw = verdict_table(_ok(records), raw=True)
    raw = raw[pd.to_numeric(raw["n_subjects"], errors="coerce").fillna(0) >= k]
    if len(raw):
        en = lang == "en"
        measures = {"agreement_min": ("Weakest item" if en else "Butir terlemah", th["min_agreement"], True),
                    "raters_per_subject": ("Raters/employee" if en else "Penilai/pegawai",
                                           th["min_raters_per_subject"], True),
                    "flagged_share": ("Severe/lenient" if en else "Ketat/longgar", th["max_flagged_share"], False),
                    "missing_share": ("360° missing" if en else "360° kosong", th["max_missing_share"], False)}
        if len(raw) <= MAX_PANELS:
            sec.add_figure(("Angka kunci dibanding ambang (1 = tepat di ambang)" if lang != "en" else
                            "Key figures relative to their thresholds (1 = at the threshold)"),
                           plots.verdict_multiples(raw, measures=measures, lang=lang))
        else:  # national scale: one panel per unit would not be readable
            sec.add_figure(("Jumlah unit per putusan dan wilayah" if lang != "en" else
                            "Units per verdict and region"), plots.verdict_by_region(raw, lang=lang))
    sec.lead = ("Tabel: putusan tiap unit dan alasan utamanya. Sel yang menggambarkan kurang dari "
                f"{k} orang disembunyikan." if lang != "en" else
                f"Table: each unit's verdict and its main reason. Cells describing fewer than {k} people are hidden.")
    return sec


def blockers(records: Sequence[dict], *, lang: str = "id", min_cell: int = 5) -> Section:
    """What stops each unit that is not ready, in plain sentences (counts below ``min_cell`` as '<k')."""
    sec = Section(key="blockers", title=text("blockers", lang))
    items = []
    for r in _ok(records):
        v = r.get("verdict") or {}
        if v.get("code") in (None, "SIAP"):
            continue
        unit = r.get("unit")
        cal = r.get("calibration") or {}
        for rs in v.get("reasons", []):
            line = f"{unit}: {rs['text']}"
            if rs.get("code") == "raters_flagged":
                line = f"{unit}: " + _flag_sentence(cal, lang, min_cell)
            items.append(line)
    sec.lead = ("Tidak ada: semua unit siap." if lang != "en" else "Nothing: every unit is ready.") if not items else ""
    if items:
        sec.tables.append(("", pd.DataFrame({text("reason", lang): items})))
    return sec


def _count(n: Any, min_cell: int) -> str:
    try:
        n = int(n)
    except (TypeError, ValueError):
        return "?"
    return f"<{min_cell}" if 0 < n < min_cell else str(n)


def _flag_sentence(cal: Mapping, lang: str, min_cell: int) -> str:
    parts = []
    nl, ns = cal.get("n_lenient") or 0, cal.get("n_severe") or 0
    if nl:
        sev = _num(cal.get("mean_severity_lenient"))
        parts.append((f"{_count(nl, min_cell)} raters score on average {fmt(abs(sev or 0), lang)} points above their "
                      "peers (lenient)") if lang == "en" else
                     (f"{_count(nl, min_cell)} penilai rata-rata memberi nilai {fmt(abs(sev or 0), lang)} poin di atas "
                      "rekan (terlalu longgar)"))
    if ns:
        sev = _num(cal.get("mean_severity_severe"))
        parts.append((f"{_count(ns, min_cell)} raters score on average {fmt(abs(sev or 0), lang)} points below their "
                      "peers (severe)") if lang == "en" else
                     (f"{_count(ns, min_cell)} penilai rata-rata memberi nilai {fmt(abs(sev or 0), lang)} poin di bawah "
                      "rekan (terlalu ketat)"))
    return "; ".join(parts) or (f"{cal.get('n_flagged')} raters flagged" if lang == "en"
                                else f"{cal.get('n_flagged')} penilai ditandai")


_ACTIONS = {
    "raters_flagged": ("Pembinaan penilai dan rapat kalibrasi: bahas daftar kerja kalibrasi unit bersama atasan "
                       "penilai sebelum penetapan predikat.",
                       "Rater training (pembinaan) and calibration meetings: go through the unit's calibration "
                       "worklist with the raters' superiors before predikat are set."),
    "agreement_low": ("Perjelas indikator perilaku pada butir yang lemah dan latih penilai dengan contoh kasus.",
                      "Clarify the behaviour indicators of the weak items and train raters on worked cases."),
    "agreement_poor": ("Tinjau ulang instrumen sebelum dipakai: kesepakatan terlalu rendah untuk keputusan kepegawaian.",
                       "Revise the instrument before use: agreement is too low for personnel decisions."),
    "few_raters": ("Tambah penilai per pegawai (rekan kerja/bawahan) hingga jumlah yang dibutuhkan untuk "
                   "reliabilitas 0,80.",
                   "Add raters per employee (peers/subordinates) up to the number needed for 0.80 reliability."),
    "missing_360": ("Lengkapi penilaian 360°: ingatkan penilai yang belum mengisi dan sederhanakan formulir.",
                    "Complete the 360° ratings: remind raters who have not rated and simplify the form."),
    "few_subjects": ("Perluas cakupan uji coba atau tunggu periode berikutnya sebelum menilai unit ini.",
                     "Widen the pilot's coverage or wait for the next period before judging this unit."),
    "outcome_worse": ("Tunda perluasan di unit ini dan telusuri penyebab memburuknya layanan.",
                      "Hold the rollout in this unit and investigate why service got worse."),
    "predikat_pattern": ("Tinjau sebaran predikat bersama pimpinan unit sesuai SE MenPANRB 3/2023.",
                         "Review the predikat distribution with the unit head (SE MenPANRB 3/2023)."),
}


def actions(records: Sequence[dict], *, lang: str = "id") -> Section:
    """Recommended actions, one per kind of problem found, with the units concerned."""
    sec = Section(key="actions", title=text("actions", lang))
    by_code: dict[str, list[str]] = {}
    for r in _ok(records):
        for rs in (r.get("verdict") or {}).get("reasons", []):
            by_code.setdefault(rs["code"], []).append(str(r.get("unit")))
    rows = []
    for code, units in by_code.items():
        act = _ACTIONS.get(code)
        if act is None:
            continue
        rows.append({text("actions", lang): act[1] if lang == "en" else act[0],
                     text("unit", lang): ", ".join(sorted(set(units)))})
    needed = [(r.get("unit"), (r.get("calibration") or {}).get("raters_needed")) for r in _ok(records)]
    needed = [n for _, n in needed if n is not None]
    if needed:
        rows.append({text("actions", lang): (f"Plan at least {int(np.nanmax(needed))} raters per employee in the "
                                             "next wave (the most any pilot unit needed for 0.80 reliability)."
                                             if lang == "en" else
                                             f"Rencanakan minimal {int(np.nanmax(needed))} penilai per pegawai pada "
                                             "gelombang berikutnya (kebutuhan terbesar unit uji coba untuk "
                                             "reliabilitas 0,80)."),
                     text("unit", lang): "–"})
    if rows:
        sec.tables.append(("", pd.DataFrame(rows)))
    else:
        sec.lead = "Lanjutkan ke gelombang berikutnya." if lang != "en" else "Proceed with the next wave."
    return sec


def pooled_effect(study: Any, *, lang: str = "id", outcomes: Sequence[str] | None = None,
                  n_perm: int = 999, seed: int = 0) -> Section:
    """The pooled staggered effect per outcome (Callaway & Sant'Anna) and its event study.

    Each outcome's row carries the overall ATT with its analytic 95% interval and
    p-value, the randomization-inference p-value (pilot starts permuted across units,
    ``n_perm`` draws or exact enumeration; honest with few clusters), the same p-value
    Holm-adjusted across the study's outcomes (Holm 1979), and the Wald pre-trend test
    p-value (a small value warns that treated and control units were already drifting
    apart before the pilot).
    """
    staggered_att = _lib_func("pilot", "staggered_att")
    event_study = _lib_func("pilot", "event_study")
    if staggered_att is None:
        return _unavailable("pooled", "evaltools.pilot.staggered_att", lang)
    from evaltools.pilot import adjust_pvalues as adjust
    from evaltools import plots

    panel = study.panel()
    info = getattr(study, "outcome_info", {}) or {}
    sec = Section(key="pooled", title=text("pooled", lang))
    rows, res = [], {}
    for oc in list(outcomes or info):
        if oc not in panel:
            continue
        label = info.get(oc, {}).get("label_en" if lang == "en" else "label", oc)
        try:
            fit = staggered_att(panel, outcome=oc, unit="unit", period="period", first_treated="first_treated")
            simple = fit.aggregate("simple")
            pre = _as_row(fit.pretrend_test())
            ri = _as_row(fit.randomization_test(n_perm=n_perm, seed=seed))
            es = event_study(panel, outcome=oc, unit="unit", period="period", first_treated="first_treated") \
                if event_study is not None else _as_frame(fit.aggregate("dynamic").table)
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


def balance(study: Any, *, lang: str = "id", outcomes: Sequence[str] | None = None,
            covariates: Sequence[str] | None = None) -> Section:
    """Pilot vs control units before the pilot: covariates and pre-period outcome levels and trends.

    Standardized mean differences (Austin 2009) from ``evaltools.pilot.balance_table``;
    pre-period = the periods before the first wave starts. Flags mark |SMD| above 0.1
    and 0.25 (Stuart 2010).
    """
    balance_table = _lib_func("pilot", "balance_table")
    if balance_table is None:
        return _unavailable("balance", "evaltools.pilot.balance_table", lang)
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
            t = balance_table(panel, treated="pilot", covariates=list(covariates) if i == 0 else [],
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
    """
    power = _lib_func("pilot", "power")
    mde = _lib_func("pilot", "mde")
    if power is None or mde is None:
        return _unavailable("power", "evaltools.pilot.power", lang)
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
        tab = _as_frame(power(eff, n_units=n_next, m=1, icc=icc, sd=sd, design="did",
                              periods_before=periods_before, periods_after=periods_after))
        md = _as_row(mde(n_units=n_next, m=1, icc=icc, sd=sd, design="did", periods_before=periods_before,
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


def failures(records: Sequence[dict], *, lang: str = "id") -> Section:
    """Units whose notebook failed, with the last lines of the error."""
    bad = [r for r in records if r.get("status", "ok") != "ok"]
    sec = Section(key="failures", title=text("failures", lang))
    if not bad:
        sec.lead = "Semua unit berhasil diproses." if lang != "en" else "Every unit was processed."
        return sec
    sec.tables.append(("", pd.DataFrame({text("unit", lang): [str(r.get("unit")) for r in bad],
                                         text("error", lang): [str(r.get("error", ""))[-600:] for r in bad]})))
    return sec


# ---------------------------------------------------------------------------------------
# Excel summaries
# ---------------------------------------------------------------------------------------

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
    from evaltools.runner import _atomic_path

    with _atomic_path(path) as tmp:
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
    from evaltools.runner import atomic_write

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

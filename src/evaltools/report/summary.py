"""Summaries written to disk: the run's ``summary.xlsx`` and the data summary (Markdown + Excel).

``summary.xlsx`` is for an analyst who sorts and filters: one sheet per table (verdicts,
reasons, key figures, pooled effects, calibration consequences, README with the
definitions), numbers stored as numbers with number formats, a frozen header row in the
report's language, an autofilter, column widths and verdict cells coloured by conditional
formatting. Counts that describe fewer than ``min_cell`` people are written as ``"<k"``
(text) and the figures of that row are left out, by the same rule as the briefing. Text that
a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return: the OWASP CSV-injection rule) is written as a text cell with Excel's quote
prefix, on every sheet.
"""
from __future__ import annotations

import importlib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaltools._io import atomic_path, atomic_write

from .briefing import _moves, _ok
from .records import collect
from .thresholds import DEFAULT_THRESHOLDS

__all__ = ["data_summary", "summary_sheets", "summary_table", "write_data_summary", "write_summary"]

#: column key -> (Indonesian header, English header, number format or "" for text)
COLUMNS: dict[str, tuple[str, str, str]] = {
    "unit": ("Unit", "Unit", ""),
    "region": ("Wilayah", "Region", ""),
    "first_treated": ("Mulai uji coba", "Pilot start", ""),
    "verdict": ("Putusan", "Verdict", ""),
    "verdict_code": ("Kode putusan", "Verdict code", ""),
    "n_subjects": ("Pegawai dinilai", "Employees rated", "0"),
    "raters_per_subject": ("Penilai per pegawai (median)", "Raters per employee (median)", "0.0"),
    "missing_share": ("Porsi penilaian 360° kosong", "Share of 360° ratings missing", "0%"),
    "agreement": ("Kesepakatan penilai (median butir)", "Rater agreement (median item)", "0.00"),
    "agreement_min": ("Kesepakatan butir terendah", "Lowest item agreement", "0.00"),
    "flagged_share": ("Porsi penilai terlalu ketat/longgar", "Share of raters too severe/lenient", "0%"),
    "raters_needed": ("Penilai yang dibutuhkan", "Raters needed", "0"),
    "reason": ("Alasan utama", "Main reason", ""),
    "level": ("Tingkat", "Level", ""),
    "code": ("Kode alasan", "Reason code", ""),
    "text": ("Alasan", "Reason", ""),
    "value": ("Nilai", "Value", "0.00"),
    "threshold": ("Ambang", "Threshold", "0.00"),
    "outcome": ("Indikator hasil", "Outcome", ""),
    "outcome_code": ("Kode indikator", "Outcome code", ""),
    "measure": ("Satuan", "Unit of measure", ""),
    "effect": ("Efek", "Effect", "0.00"),
    "ci_low": ("Batas bawah 95%", "95% lower bound", "0.00"),
    "ci_high": ("Batas atas 95%", "95% upper bound", "0.00"),
    "pval": ("Nilai p", "p-value", "0.000"),
    "pval_ri": ("Nilai p acak", "Randomization p-value", "0.000"),
    "pval_ri_holm": ("Nilai p Holm", "Holm p-value", "0.000"),
    "pval_pretrend": ("Nilai p pra-tren", "Pre-trend p-value", "0.000"),
    "eb_effect": ("Efek unit, digabung dengan unit lain", "Unit effect, pooled with other units", "0.00"),
    "eb_ci_low": ("Batas bawah 95% (digabung)", "95% lower bound (pooled)", "0.00"),
    "eb_ci_high": ("Batas atas 95% (digabung)", "95% upper bound (pooled)", "0.00"),
    "programme_effect": ("Efek seluruh program", "Programme-wide effect", "0.00"),
    "programme_ci_low": ("Batas bawah 95% (program)", "95% lower bound (programme)", "0.00"),
    "programme_ci_high": ("Batas atas 95% (program)", "95% upper bound (programme)", "0.00"),
    "att": ("Efek rata-rata semua gelombang", "Average effect over all waves", "0.00"),
    "att_ci_low": ("Batas bawah 95% (semua gelombang)", "95% lower bound (all waves)", "0.00"),
    "att_ci_high": ("Batas atas 95% (semua gelombang)", "95% upper bound (all waves)", "0.00"),
    "share_benefit": ("Porsi unit dengan manfaat terbukti", "Share of units with a benefit shown", "0%"),
    "period": ("Periode", "Period", ""),
    "att_pval": ("Nilai p (semua gelombang)", "p-value (all waves)", "0.000"),
    "n_moved": ("Pegawai yang predikatnya berubah", "Employees whose predikat would change", "0"),
    "n_up": ("Naik", "Up", "0"),
    "n_down": ("Turun", "Down", "0"),
    "sheet": ("Lembar", "Sheet", ""),
    "column": ("Kolom", "Column", ""),
    "definition": ("Definisi", "Definition", ""),
}

_SHEETS = {
    "verdicts": ("Putusan", "Verdicts"),
    "reasons": ("Alasan", "Reasons"),
    "keys": ("Angka kunci", "Key figures"),
    "pooled": ("Efek gabungan", "Pooled effects"),
    "calibration": ("Konsekuensi kalibrasi", "Calibration consequences"),
    "readme": ("README", "README"),
}

_DEFINITIONS = {
    "verdicts": ("Satu baris per unit uji coba: putusan dan angka kunci yang dibaca putusan.",
                 "One row per pilot unit: its verdict and the key figures the verdict reads."),
    "reasons": ("Setiap aturan putusan yang terpicu, dengan nilainya dan ambangnya.",
                "Every verdict rule that fired, with its value and its threshold."),
    "keys": ("Efek tiap unit pada setiap indikator hasil dibanding unit kontrol (selisih-dalam-selisih, diuji "
             "dengan cara yang sah untuk sedikit unit kontrol), dengan interval 95%.",
             "Each unit's effect on each outcome against the control units (difference-in-differences, tested "
             "in a way valid with few controls), with its 95% interval."),
    "pooled": ("Satu baris per unit dan indikator: efek unit bila digabung dengan unit uji coba lain (Bayes "
               "empiris), dan efek gabungan indikator itu untuk seluruh program (sama di tiap baris indikator).",
               "One row per unit and outcome: the unit's effect pooled with the other pilot units (empirical "
               "Bayes), and the outcome's pooled effect for the whole programme (the same on each of its rows)."),
    "calibration": ("Berapa pegawai yang predikatnya akan berubah bila keketatan penilai dikoreksi.",
                    "How many employees' predikat would change if rater severity were corrected."),
}
_COLUMN_DEFS = {
    "verdict": ("SIAP: lanjut; PERBAIKI DULU: perbaiki instrumen atau penilaian dulu; TUNDA: tahan; "
                "BELUM TERBUKTI: manfaat belum terbukti.",
                "READY: proceed; FIX FIRST: fix the instrument or the rating first; HOLD: hold; "
                "NOT SHOWN: no benefit shown yet."),
    "agreement": ("ICC(1,k): reliabilitas rata-rata penilai per butir (Shrout & Fleiss 1979); 0,5 ke bawah lemah.",
                  "ICC(1,k): reliability of the raters' mean per item (Shrout & Fleiss 1979); below 0.5 is poor."),
    "flagged_share": ("Porsi penilai (dengan cukup penilaian) yang menilai jauh lebih ketat atau longgar dari rekan.",
                      "Share of raters (with enough ratings) who rate far more harshly or leniently than peers."),
    "effect": ("Selisih rata-rata setelah uji coba antara unit dan kontrolnya, dalam satuan indikator.",
               "Average gap after the pilot start between the unit and its controls, in the outcome's units."),
    "pval": ("Peluang melihat efek sebesar ini bila uji coba tidak berpengaruh.",
             "Chance of an effect this large if the pilot had no effect."),
    "outcome_code": ("Nama kolom indikator di berkas data hasil (untuk menggabungkan lembar).",
                     "The outcome's column in the outcomes file (to join sheets)."),
    "measure": ("Satuan indikator: efek dan batasnya dinyatakan dalam satuan ini.",
                "The outcome's unit: effects and bounds are in this unit."),
    "eb_effect": ("Efek unit ditarik ke arah rata-rata program sesuai ketidakpastiannya (model efek acak REML, "
                  "interval Knapp-Hartung).", "The unit's effect drawn towards the programme mean by its "
                  "uncertainty (REML random effects, Knapp-Hartung interval)."),
    "programme_effect": ("Rata-rata efek unit-unit uji coba (model efek acak), sama untuk semua unit.",
                         "Mean of the pilot units' effects (random effects), the same for every unit."),
    "att": ("Efek rata-rata atas semua gelombang (Callaway & Sant'Anna 2021), sama untuk semua unit.",
            "Average effect over all waves (Callaway & Sant'Anna 2021), the same for every unit."),
    "period": ("Periode penilaian yang predikatnya dihitung ulang.",
               "The appraisal period whose predikat is recomputed."),
    "pval_ri": ("Nilai p acak: efek dibandingkan dengan semua penempatan uji coba yang mungkin.",
                "Randomization p-value: the effect against every possible placement of the pilot."),
    "pval_ri_holm": ("Nilai p acak disesuaikan (Holm 1979) karena beberapa indikator diuji sekaligus.",
                     "Randomization p-value adjusted (Holm 1979) for testing several outcomes at once."),
    "pval_pretrend": ("Nilai p kecil: unit uji coba dan kontrol sudah berbeda arah sebelum uji coba.",
                      "A small value: pilot and control units were already drifting apart before the pilot."),
    "n_moved": ("'<{k}': kurang dari {k} orang; '\u00d7': disembunyikan agar angka kecil tidak dapat dihitung "
                "dari total.", "'<{k}': fewer than {k} people; '\u00d7': hidden so that a small count cannot be "
                "worked out from the total."),
    "n_subjects": ("Sel yang menggambarkan kurang dari {k} orang ditulis '<{k}' dan angka barisnya dikosongkan.",
                   "Cells describing fewer than {k} people are written '<{k}' and the row's figures left out."),
}

# a cell a spreadsheet would evaluate: =, +, -, @ (and tab / CR, which some readers strip first)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_VERDICT_FILL = {"SIAP": ("1B7837", "FFFFFF"), "READY": ("1B7837", "FFFFFF"),
                 "PERBAIKI DULU": ("FBD39A", "000000"), "FIX FIRST": ("FBD39A", "000000"),
                 "TUNDA": ("B2182B", "FFFFFF"), "HOLD": ("B2182B", "FFFFFF"),
                 "BELUM TERBUKTI": ("DEDEF0", "000000"), "NOT SHOWN": ("DEDEF0", "000000")}
_VERDICT_EN = {"SIAP": "READY", "PERBAIKI DULU": "FIX FIRST", "TUNDA": "HOLD", "BELUM TERBUKTI": "NOT SHOWN"}


def _label(code: Any, lang: str) -> Any:
    return _VERDICT_EN.get(code, code) if lang == "en" else code


def _pkg() -> Any:
    # the report package at call time: DECISION's suppression and reason texts live there
    return importlib.import_module(__package__)


def _mask(counts: pd.DataFrame, min_cell: int, totals: Sequence = ()) -> pd.DataFrame:
    """Which count cells to hide: ``report.suppression_mask`` (primary 0 < n < k plus complementary
    cells) when the package has it, else the primary rule alone, with a lone hidden part of a
    total hiding the other parts."""
    counts = counts.apply(pd.to_numeric, errors="coerce")
    fn = getattr(_pkg(), "suppression_mask", None)
    if fn is not None:
        m = fn(counts, min_cell, totals=list(totals)) if totals else fn(counts, min_cell)
        return pd.DataFrame(np.asarray(m, dtype=bool), index=counts.index, columns=counts.columns)
    hide = counts.notna() & (counts > 0) & (counts < min_cell)
    for total, parts in totals:
        lone = hide[list(parts)].sum(axis=1) == 1
        hide.loc[lone, list(parts)] = hide.loc[lone, list(parts)] | counts.loc[lone, list(parts)].notna()
        hide.loc[hide[total], list(parts)] = True
    return hide


def _small(n: pd.Series, min_cell: int) -> pd.Series:
    """Units whose count of rated employees is too small to show (a count of 0 shows nothing either)."""
    counts = pd.to_numeric(n, errors="coerce")
    return _mask(counts.to_frame("n"), min_cell)["n"] | (counts == 0)


def _reason_text(rs: Mapping, lang: str, min_cell: int, record: Mapping) -> Any:
    fn = getattr(_pkg(), "reason_text", None)
    if fn is not None:
        return fn(rs, lang, min_cell=min_cell, record=record)
    n = (record.get("coverage") or {}).get("n_subjects")
    small = _small(pd.Series([n]), min_cell).iloc[0]
    return _hide_count_in_text(rs.get("text"), n, min_cell) if small else rs.get("text")


def _count_reason_hidden(rs: Mapping, record: Mapping, min_cell: int) -> bool:
    # a reason whose value is (or comes with) a count of people: that count follows the cell rule
    code = rs.get("code")
    n = (rs.get("value") if code == "few_subjects" else
         (record.get("calibration") or {}).get("n_severity_flagged") if code == "raters_flagged" else
         (record.get("coverage") or {}).get("n_subjects"))
    return bool(_small(pd.Series([n]), min_cell).iloc[0])


def _hide_count_in_text(text: Any, n: Any, min_cell: int) -> Any:
    # a sentence that states the hidden count ("hanya 3 pegawai dinilai") states "<5" instead
    if not isinstance(text, str) or n is None or (isinstance(n, float) and math.isnan(n)):
        return text
    return re.sub(rf"(?<![\d.,]){int(n)}(?![\d.,])", f"<{min_cell}", text, count=1)


def summary_table(records: Sequence[dict], *, lang: str = "id", min_cell: int = 5) -> dict[str, pd.DataFrame]:
    """The unit tables of ``summary.xlsx``: verdicts, reasons, key figures (numbers as numbers).

    Sheet names are in the report's language; columns are the stable keys of :data:`COLUMNS`
    (:func:`write_summary` writes their headers in the report's language). A unit with fewer
    than ``min_cell`` rated employees shows ``"<min_cell"`` as its count, no figures, and reason
    texts that state the count state ``"<min_cell"``.

    Examples
    --------
    >>> recs = [{"unit": "A", "verdict": {"code": "TUNDA", "reasons": [
    ...     {"code": "few_subjects", "level": "TUNDA", "value": 3, "threshold": 10,
    ...      "text": "hanya 3 pegawai dinilai (minimal 10)"}]}, "coverage": {"n_subjects": 3}}]
    >>> t = summary_table(recs)
    >>> t["Putusan"][["unit", "verdict", "n_subjects", "reason"]].to_dict("records")
    [{'unit': 'A', 'verdict': 'TUNDA', 'n_subjects': '<5', 'reason': 'kurang dari 5 pegawai dinilai (minimal 10)'}]
    >>> t["Alasan"][["code", "value", "text"]].to_dict("records")
    [{'code': 'few_subjects', 'value': '<5', 'text': 'kurang dari 5 pegawai dinilai (minimal 10)'}]
    """
    ok = _ok(records)
    rows, reasons, keys = [], [], []
    for r in ok:
        cov, con, cal = r.get("coverage") or {}, r.get("consistency") or {}, r.get("calibration") or {}
        v = r.get("verdict") or {}
        rs = v.get("reasons") or []
        rows.append({"unit": r.get("unit"), "region": r.get("region"), "first_treated": r.get("first_treated"),
                     "verdict": _label(v.get("code"), lang), "n_subjects": cov.get("n_subjects"),
                     "raters_per_subject": cov.get("raters_per_subject"), "missing_share": cov.get("missing_share"),
                     "agreement": con.get("agreement_median"), "agreement_min": con.get("agreement_min"),
                     "flagged_share": cal.get("flagged_share"), "raters_needed": cal.get("raters_needed"),
                     "reason": _reason_text(rs[0], lang, min_cell, r) if rs else ""})
        for x in rs:
            val = x.get("value")
            if _count_reason_hidden(x, r, min_cell):
                val = f"<{min_cell}"
            reasons.append({"unit": r.get("unit"), "level": _label(x.get("level"), lang), "code": x.get("code"),
                            "text": _reason_text(x, lang, min_cell, r),
                            "value": ", ".join(map(str, val)) if isinstance(val, list) else val,
                            "threshold": x.get("threshold")})
        for oc, e in ((r.get("impact") or {}).get("outcomes") or {}).items():
            keys.append({"unit": r.get("unit"), "outcome": e.get("label") or oc, "outcome_code": oc,
                         "measure": _measure(e, lang), "effect": e.get("effect"), "ci_low": e.get("ci_low"),
                         "ci_high": e.get("ci_high"), "pval": e.get("pval"), "_n": cov.get("n_subjects")})
    verdicts = pd.DataFrame(rows, columns=["unit", "region", "first_treated", "verdict", "n_subjects",
                                           "raters_per_subject", "missing_share", "agreement", "agreement_min",
                                           "flagged_share", "raters_needed", "reason"]).astype(object)
    small = _small(verdicts["n_subjects"], min_cell)
    for c in ["raters_per_subject", "missing_share", "agreement", "agreement_min", "flagged_share", "raters_needed"]:
        verdicts.loc[small, c] = None
    verdicts.loc[small, "n_subjects"] = f"<{min_cell}"
    rf = pd.DataFrame(reasons, columns=["unit", "level", "code", "text", "value", "threshold"]).astype(object)
    kf = pd.DataFrame(keys, columns=["unit", "outcome", "outcome_code", "measure", "effect", "ci_low", "ci_high",
                                     "pval", "_n"]).astype(object)
    ksmall = _small(kf["_n"], min_cell)
    kf.loc[ksmall, ["effect", "ci_low", "ci_high", "pval"]] = None
    names = [_SHEETS[k][1 if lang == "en" else 0] for k in ("verdicts", "reasons", "keys")]
    return {names[0]: verdicts, names[1]: rf, names[2]: kf.drop(columns="_n")}


def _measure(e: Mapping, lang: str) -> Any:
    return e.get("unit_en", e.get("unit")) if lang == "en" else e.get("unit")


_POOLED_COLUMNS = ["unit", "outcome", "outcome_code", "measure", "eb_effect", "eb_ci_low", "eb_ci_high",
                   "programme_effect", "programme_ci_low", "programme_ci_high", "share_benefit", "att", "att_ci_low",
                   "att_ci_high", "att_pval", "pval_ri", "pval_ri_holm", "pval_pretrend"]


def _pooled_outcomes(pooled: Mapping[str, Any] | None) -> dict[str, Mapping]:
    """outcome -> pooled figures, from ``pooled_effect(...).results`` (``{"available", "outcomes"}``)
    or from the bare outcome mapping."""
    pooled = pooled or {}
    inner = pooled.get("outcomes") if isinstance(pooled.get("outcomes"), Mapping) else pooled
    return {str(oc): e for oc, e in inner.items() if isinstance(e, Mapping)}


def _pooled_frame(records: Sequence[dict], pooled: Mapping[str, Any] | None, lang: str,
                  min_cell: int) -> pd.DataFrame:
    """One row per pilot unit and outcome: the unit's effect pooled with the other units (the
    empirical-Bayes figures its record holds) beside the outcome's programme-wide figures."""
    study = _pooled_outcomes(pooled)
    rows = []
    for r in _ok(records):
        n = (r.get("coverage") or {}).get("n_subjects")
        for oc, e in ((r.get("impact") or {}).get("outcomes") or {}).items():
            p = study.get(str(oc), {})
            rows.append({"unit": r.get("unit"), "outcome": e.get("label") or oc, "outcome_code": oc,
                         "measure": _measure(e, lang), "eb_effect": e.get("eb_effect"),
                         "eb_ci_low": e.get("eb_ci_low"), "eb_ci_high": e.get("eb_ci_high"),
                         "programme_effect": p.get("programme_effect", e.get("pooled_effect")),
                         "programme_ci_low": p.get("programme_ci_low"), "programme_ci_high": p.get("programme_ci_high"),
                         "share_benefit": p.get("share_benefit"), "att": p.get("att", p.get("value")),
                         "att_ci_low": p.get("ci_low"), "att_ci_high": p.get("ci_high"), "att_pval": p.get("pval"),
                         "pval_ri": p.get("pval_ri"), "pval_ri_holm": p.get("pval_ri_holm"),
                         "pval_pretrend": p.get("pval_pretrend"), "_n": n})
    df = pd.DataFrame(rows, columns=[*_POOLED_COLUMNS, "_n"]).astype(object)
    # a unit too small to show shows none of its own figures (the programme's are not its own)
    df.loc[_small(df["_n"], min_cell), ["eb_effect", "eb_ci_low", "eb_ci_high"]] = None
    return df.drop(columns="_n")


def _calibration_frame(records: Sequence[dict], min_cell: int) -> pd.DataFrame:
    rows = []
    for r in _ok(records):
        cal = r.get("calibration") or {}
        # the briefing's figures (calibration.predikat_moves); older records kept them elsewhere
        moves = _moves(r) or r.get("calibration_moves") or cal.get("moves") or {}
        n_moved = moves.get("n_moved", cal.get("n_subjects_predikat_moves"))
        rows.append({"unit": r.get("unit"), "period": moves.get("period", cal.get("predikat_period")),
                     "n_subjects": moves.get("n_rated", (r.get("coverage") or {}).get("n_subjects")),
                     "n_moved": n_moved, "n_up": moves.get("n_up"), "n_down": moves.get("n_down")})
    df = pd.DataFrame(rows, columns=["unit", "period", "n_subjects", "n_moved", "n_up", "n_down"]).astype(object)
    if not len(df):
        return df
    counts = df[["n_subjects", "n_moved", "n_up", "n_down"]].apply(pd.to_numeric, errors="coerce")
    # primary cells (1..k-1 people) read "<k"; cells hidden only so a total cannot give them away read "×"
    hide = _mask(counts[["n_moved", "n_up", "n_down"]], min_cell, totals=[("n_moved", ["n_up", "n_down"])])
    small_unit = _small(df["n_subjects"], min_cell)
    hide.loc[small_unit, :] = True
    primary = counts[["n_moved", "n_up", "n_down"]].gt(0) & counts[["n_moved", "n_up", "n_down"]].lt(min_cell)
    for c in hide.columns:
        df.loc[hide[c] & primary[c], c] = f"<{min_cell}"
        df.loc[hide[c] & ~primary[c] & counts[c].notna(), c] = "\u00d7"
    df.loc[small_unit, "n_subjects"] = f"<{min_cell}"
    return df


def _readme(sheet_names: Mapping[str, str], frames: Mapping[str, pd.DataFrame], lang: str,
            min_cell: int) -> pd.DataFrame:
    en = lang == "en"
    rows = []
    for key, name in sheet_names.items():
        if key == "readme":
            continue
        rows.append({"sheet": name, "column": "", "definition": _DEFINITIONS[key][1 if en else 0]})
        for c in frames[name].columns:
            hdr = COLUMNS.get(c, (c, c, ""))[1 if en else 0]
            d = _COLUMN_DEFS.get(c)
            if d:
                rows.append({"sheet": name, "column": hdr, "definition": d[1 if en else 0].format(k=min_cell)})
    return pd.DataFrame(rows, columns=["sheet", "column", "definition"])


def summary_sheets(records: Sequence[dict], *, lang: str = "id", min_cell: int = 5,
                   pooled: Mapping[str, Mapping] | None = None) -> dict[str, pd.DataFrame]:
    """Every sheet of ``summary.xlsx``: :func:`summary_table`'s three, pooled effects,
    calibration consequences and a README with the definitions (sheet names in ``lang``).

    ``pooled`` is ``report.pooled_effect(...).results`` (``{"available": ..., "outcomes":
    {outcome: figures}}``, as the briefing records it in ``pooled.json``; the bare outcome
    mapping is read too). The pooled sheet has one row per pilot unit and outcome; without
    ``pooled`` its programme-wide columns are empty.

    Examples
    --------
    >>> list(summary_sheets([], lang="en"))
    ['README', 'Verdicts', 'Reasons', 'Key figures', 'Pooled effects', 'Calibration consequences']
    """
    en = lang == "en"
    names = {k: v[1 if en else 0] for k, v in _SHEETS.items()}
    unit_tabs = summary_table(records, lang=lang, min_cell=min_cell)
    frames = {names["verdicts"]: unit_tabs[names["verdicts"]], names["reasons"]: unit_tabs[names["reasons"]],
              names["keys"]: unit_tabs[names["keys"]], names["pooled"]: _pooled_frame(records, pooled, lang, min_cell),
              names["calibration"]: _calibration_frame(records, min_cell)}
    return {names["readme"]: _readme(names, frames, lang, min_cell), **frames}


def _safe_text(cell: Any, value: str) -> None:
    cell.value = value
    if value.startswith(_FORMULA_START):
        # stored as a string cell with Excel's quote prefix: shown as typed, never evaluated
        cell.data_type = "s"
        cell.quotePrefix = True


def _write_sheet(ws: Any, df: pd.DataFrame, lang: str | None) -> None:
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    en = lang == "en"
    cols = list(df.columns)
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor="F2F2F2")
    for j, c in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=j)
        # lang None: the column keys themselves (the data summary's headers are its field names)
        _safe_text(cell, str(c) if lang is None else str(COLUMNS.get(c, (c, c, ""))[1 if en else 0]))
        cell.font, cell.fill = head_font, head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [len(str(ws.cell(row=1, column=j).value)) for j in range(1, len(cols) + 1)]
    for j, c in enumerate(cols, start=1):
        numfmt = COLUMNS.get(c, ("", "", ""))[2] if lang is not None else ""
        for i, v in enumerate(df[c].tolist(), start=2):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            cell = ws.cell(row=i, column=j)
            if isinstance(v, (bool, np.bool_)):
                cell.value = bool(v)
                shown = str(v)
            elif isinstance(v, (int, float, np.integer, np.floating)):
                cell.value = float(v) if isinstance(v, (float, np.floating)) else int(v)
                if numfmt:
                    cell.number_format = numfmt
                shown = f"{v:.2f}" if isinstance(v, (float, np.floating)) else str(v)
            else:
                shown = str(v)
                _safe_text(cell, shown)
                if numfmt:  # a suppressed count ("<5") in a numeric column reads right-aligned
                    cell.alignment = Alignment(horizontal="right")
            widths[j - 1] = max(widths[j - 1], min(len(shown), 60))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, 8), 62)
    ws.freeze_panes = "A2"
    if len(cols):
        last = get_column_letter(len(cols))
        ws.auto_filter.ref = f"A1:{last}{max(len(df) + 1, 2)}"
    for j, c in enumerate(cols, start=1):
        if c in ("verdict", "level") and len(df):
            col = get_column_letter(j)
            rng = f"{col}2:{col}{len(df) + 1}"
            for label, (bg, fg) in _VERDICT_FILL.items():
                if (label in _VERDICT_EN.values()) != en:
                    continue
                ws.conditional_formatting.add(rng, FormulaRule(formula=[f'EXACT({col}2,"{label}")'],
                                                               fill=PatternFill("solid", bgColor=bg),
                                                               font=Font(color=fg, bold=True)))


def _write_xlsx(path: Path, sheets: Mapping[str, pd.DataFrame], lang: str | None = "id") -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        _write_sheet(wb.create_sheet(title=str(name)[:31]), df, lang)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def write_summary(run_dir: str | os.PathLike, *, lang: str = "id", min_cell: int | None = None,
                  pooled: Mapping[str, Mapping] | None = None) -> Path:
    """Write ``run_dir/summary.xlsx`` from the recorded unit results (atomically).

    ``pooled``: the pooled effects (``report.pooled_effect(...).results``); by default read from
    ``run_dir/pooled.json`` when the briefing recorded it there.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> p = write_summary(tempfile.mkdtemp(), lang="en")
    >>> openpyxl.load_workbook(p).sheetnames[:2]
    ['README', 'Verdicts']
    """
    run_dir = Path(run_dir)
    recs = collect(run_dir)
    k = int(min_cell if min_cell is not None else DEFAULT_THRESHOLDS["min_cell"])
    if pooled is None and (run_dir / "pooled.json").is_file():
        pooled = json.loads((run_dir / "pooled.json").read_text(encoding="utf-8"))
    return _write_xlsx(run_dir / "summary.xlsx", summary_sheets(recs, lang=lang, min_cell=k, pooled=pooled), lang)


def data_summary(study: Any) -> dict[str, pd.DataFrame]:
    """Counts per unit, period, rater role and item (no individual rows): ``Study.summary()``.

    Examples
    --------
    >>> from evaltools.report._examples import example_study
    >>> study = example_study(n_units=4, subjects_per_unit=(6, 6), seed=1)
    >>> tabs = data_summary(study)
    >>> sorted(tabs), tabs["units"][["n_subjects", "n_ratings"]].sum().tolist()
    (['items', 'periods', 'roles', 'units'], [18, 1727])
    """
    return study.summary()


def write_data_summary(study: Any, out: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``summary.md`` and ``summary.xlsx`` with the data summary under ``out`` (atomically).

    Examples
    --------
    >>> from evaltools.report._examples import example_study
    >>> import tempfile
    >>> study = example_study(n_units=4, subjects_per_unit=(6, 6), seed=1)
    >>> md, xlsx = write_data_summary(study, f"{tempfile.mkdtemp()}/summary")
    >>> md.name, xlsx.name, md.read_text(encoding="utf-8").splitlines()[0][:40]
    ('summary.md', 'summary.xlsx', '# Ringkasan data / Data summary: Studi s')
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tabs = data_summary(study)
    name = getattr(study, "name", "") or ""
    md = [f"# Ringkasan data / Data summary: {name}", ""]
    for key, df in tabs.items():
        md += [f"## {key}", "", _markdown_table(df), ""]
    p_md = atomic_write(out / "summary.md", "\n".join(md))
    p_x = _write_xlsx(out / "summary.xlsx", {k: df.astype(object) for k, df in tabs.items()}, lang=None)
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

"""The briefing across units: verdict table and overview, blockers, actions, failures, with
small cells suppressed.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._base import Section, _num
from ._text import fmt, text
from .thresholds import DEFAULT_THRESHOLDS, thresholds
from .verdict import VERDICTS


def suppress(df: pd.DataFrame, count_col: str, value_cols: Sequence[str], *, min_cell: int = 5,
             lang: str = "id") -> pd.DataFrame:
    """Hide figures that describe fewer than ``min_cell`` people.

    The count itself becomes ``"<min_cell"`` and the ``value_cols`` of that row become
    ``"–"`` (statistical disclosure control: a small cell can point at a person).

    Examples
    --------
    >>> import pandas as pd
    >>> suppress(pd.DataFrame({"unit": ["A", "B"], "n": [12, 3], "mean": [3.9, 4.4]}), "n", ["mean"], lang="en")
      unit   n mean
    0    A  12  3.9
    1    B  <5    –
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
        # read from the package, where a caller may set it for the whole briefing
        if len(raw) <= importlib.import_module(__package__).MAX_PANELS:
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

"""Language tables (Bahasa Indonesia first, English second), number formatting, and the
Indonesian rendering of the library's common notes.
"""
from __future__ import annotations

import html
import math
import re
from typing import Any


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
    "not_computable": ("Tidak dapat dihitung untuk unit ini: {why}", "Cannot be computed for this unit: {why}"),
    # verdict words
    "SIAP": ("SIAP", "READY"),
    "PERBAIKI DULU": ("PERBAIKI DULU", "FIX FIRST"),
    "BELUM TERBUKTI": ("BELUM TERBUKTI", "NOT SHOWN"),
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
    """The Indonesian (``lang="id"``) or English text for ``key``, formatted with ``kw``.

    Examples
    --------
    >>> text("SIAP", "en"), text("verdict")
    ('READY', 'Putusan')
    """
    pair = _TEXT[key]
    s = pair[1] if lang == "en" else pair[0]
    return s.format(**kw) if kw else s


def fmt(x: Any, lang: str = "id", digits: int = 2, pct: bool = False) -> str:
    """A number as a reader expects it: decimal comma in Indonesian, '–' when missing.

    Examples
    --------
    >>> fmt(0.8123), fmt(0.8123, "en"), fmt(0.25, pct=True), fmt(float("nan"))
    ('0,81', '0.81', '25%', '–')
    """
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

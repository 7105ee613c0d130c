"""The verdict of a unit: SIAP / PERBAIKI DULU / TUNDA from its sections' key figures.

The rules and their thresholds are documented in :mod:`evaltools.report`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ._base import _STYLE, Section, _num
from ._text import _esc, fmt, text
from .thresholds import DEFAULT_THRESHOLDS, thresholds

#: the verdict codes, best first: the one vocabulary of reports, records and the simulator's truth
VERDICTS = ("SIAP", "PERBAIKI DULU", "TUNDA")
#: the English label of each code
VERDICT_LABELS_EN = {"SIAP": "READY", "PERBAIKI DULU": "FIX FIRST", "TUNDA": "HOLD"}
#: deprecated alias of :data:`VERDICT_LABELS_EN`
VERDICT_EN = VERDICT_LABELS_EN


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

    __jsonable__ = to_dict

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

    Sections that are not available or not computable add no reason; every rule that fires
    adds one, with its value and threshold.

    Examples
    --------
    Four rated employees are too few to judge (``min_subjects`` = 10):

    >>> from evaltools.report import Section
    >>> v = verdict({"coverage": Section("coverage", "Coverage", results={"n_subjects": 4})}, lang="en")
    >>> v.code, v.label, [r["code"] for r in v.reasons]
    ('TUNDA', 'HOLD', ['few_subjects'])
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

"""The verdict of a unit: SIAP / PERBAIKI DULU / BELUM TERBUKTI / TUNDA from its sections' key figures.

The rules and their thresholds are documented in :mod:`evaltools.report`.
"""
from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping
from typing import Any

from ._base import Section, _num
from ._text import fmt, text
from .thresholds import DEFAULT_THRESHOLDS, thresholds

#: the verdict codes, best first: the one vocabulary of reports, records and the simulator's truth
VERDICTS = ("SIAP", "PERBAIKI DULU", "BELUM TERBUKTI", "TUNDA")
#: the English label of each code
VERDICT_LABELS_EN = {"SIAP": "READY", "PERBAIKI DULU": "FIX FIRST", "BELUM TERBUKTI": "NOT SHOWN",
                     "TUNDA": "HOLD"}
#: deprecated alias of :data:`VERDICT_LABELS_EN`
VERDICT_EN = VERDICT_LABELS_EN


@dataclasses.dataclass
class Verdict:
    """SIAP / PERBAIKI DULU / BELUM TERBUKTI / TUNDA with the reasons that triggered it.

    Attributes
    ----------
    code : str
        One of :data:`VERDICTS`.
    reasons : list of dict
        Each fired rule: ``code``, ``level``, ``value``, ``threshold`` and ``text``.
    lang : str
        The language of :attr:`label` and of the reasons' ``text``.

    Examples
    --------
    >>> v = Verdict("TUNDA", [{"code": "few_subjects", "level": "TUNDA", "value": 4, "threshold": 10,
    ...                        "text": "only 4 employees rated (minimum 10)"}], lang="en")
    >>> print(v)
    HOLD
    - only 4 employees rated (minimum 10)
    >>> v.to_dict()["label"], Verdict("SIAP", []).label
    ('HOLD', 'SIAP')
    """

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
        from .pages import verdict_html

        return verdict_html(self)

    def __str__(self) -> str:
        return self.label + "".join(f"\n- {r['text']}" for r in self.reasons)


def _reason(code: str, level: str, value: Any, limit: Any, id_text: str, en_text: str, lang: str) -> dict:
    # a count stays an integer ("5 employees", never "5.00")
    value = (int(value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else
             _num(value) if not isinstance(value, (list, str)) else value)
    return {"code": code, "level": level, "value": value,
            "threshold": limit, "text": en_text if lang == "en" else id_text}


def verdict(sections: Mapping[str, Section | Mapping], thresholds: Mapping[str, Any] | None = None, *,
            lang: str = "id") -> Verdict:
    """The unit's verdict from its sections' key figures and the thresholds.

    Sections that are not available or not computable add no reason; every rule that fires
    adds one, with its value and threshold. TUNDA wins over everything, PERBAIKI DULU over
    BELUM TERBUKTI (fix the instrument first), and SIAP needs no reason at all: with
    ``require_benefit`` (default) a unit without a benefit shown on a primary outcome is
    BELUM TERBUKTI, never SIAP.

    Examples
    --------
    Four rated employees are too few to judge (``min_subjects`` = 10):

    >>> from evaltools.report import Section
    >>> v = verdict({"coverage": Section("coverage", "Coverage", results={"n_subjects": 4})}, lang="en")
    >>> v.code, v.label, [r["code"] for r in v.reasons]
    ('TUNDA', 'HOLD', ['few_subjects', 'no_benefit'])
    >>> verdict({"impact": {"benefit": ["ikm"], "outcomes": {}}}).code
    'SIAP'

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
    if n is not None and n == 0:   # a unit of the units table without a single rating
        reasons.append(_reason("few_subjects", "TUNDA", n, th["min_subjects"],
                               "tidak ada pegawai unit ini yang dinilai: berkas penilaian tidak memuat penilaian "
                               "untuk unit ini",
                               "no employee of this unit was rated: the ratings file holds no ratings for it", lang))
    elif n is not None and n < th["min_subjects"]:
        reasons.append(_reason("few_subjects", "TUNDA", n, th["min_subjects"],
                               f"hanya {n} pegawai dinilai (minimal {th['min_subjects']})",
                               f"only {n} employee{'s' if n != 1 else ''} rated (minimum {th['min_subjects']})",
                               lang))
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
    n_const, n_items = con.get("n_items_constant"), con.get("n_items")
    if n_const and n_items and n_const >= n_items:
        v = con.get("constant_score")
        id_v = f" (semuanya {fmt(v, digits=0)})" if v is not None else ""
        en_v = f" (all {fmt(v, 'en', 0)})" if v is not None else ""
        reasons.append(_reason("no_variation", "PERBAIKI DULU", n_const, None,
                               f"setiap butir dari {n_const} butir mendapat satu nilai yang sama untuk semua pegawai"
                               f"{id_v}: penilaian tidak membedakan pegawai, sehingga reliabilitasnya tidak dapat "
                               "diperiksa",
                               f"every one of the {n_const} items got one and the same score for every employee"
                               f"{en_v}: the ratings do not tell employees apart, so their reliability cannot be "
                               "checked", lang))
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
    outcomes = imp.get("outcomes") or {}
    for oc in imp.get("harm", []) or []:
        e = outcomes.get(oc, {})
        reasons.append(_reason("outcome_worse", "TUNDA", e.get("effect"), th["harm_alpha"],
                               _harm_text(oc, e, "id"), _harm_text(oc, e, "en"), lang))
    # an impact section that could not be computed shows no benefit either
    if th["require_benefit"] and not imp.get("benefit"):
        prim = [oc for oc in imp.get("primary", []) or [] if oc in outcomes]
        why = _not_estimable(prim, outcomes, imp)
        rs = _reason("no_benefit", "BELUM TERBUKTI", len(prim), th["benefit_alpha"],
                     _no_benefit_text(prim, outcomes, "id", why), _no_benefit_text(prim, outcomes, "en", why), lang)
        if why:   # no primary outcome could be estimated: the cause is the reason
            rs["why"] = why
            if prim and all(outcomes[oc].get("why_code") == "one_control" for oc in prim):
                rs["why_code"] = "one_control"   # its remedy is a control unit, not another period
        trend = [_name(oc, outcomes[oc]) for oc in prim if outcomes[oc].get("benefit_pretrend")]
        if trend:   # a change that only continues the unit's own earlier trend
            rs["pretrend"] = trend
        elif prim and not why and all(outcomes[oc].get("rules_out_sought") for oc in prim):
            # every primary interval excludes the benefit sought: evidence of no such benefit, not
            # a want of evidence, so more periods are not the remedy
            rs["ruled_out"] = [_name(oc, outcomes[oc]) for oc in prim]
        reasons.append(rs)
    levels = {r["level"] for r in reasons}
    code = next((c for c in ("TUNDA", "PERBAIKI DULU", "BELUM TERBUKTI") if c in levels), "SIAP")
    return Verdict(code=code, reasons=reasons, lang=lang)


def _name(oc: str, e: Mapping) -> str:
    # short codes read as written in the field ("IKM"); longer ones by their label
    if len(oc) <= 4:
        return oc.upper()
    return str(e.get("label") or oc).split(" (")[0]


def _digits(e: Mapping) -> int:
    # one decimal for points and days, two for outcomes on a 0-1 scale (a share of cases resolved)
    vals = [abs(v) for v in (_num(e.get(k)) for k in ("effect", "ci_low", "ci_high")) if v is not None]
    return 2 if vals and max(vals) < 1 else 1


def _interval(e: Mapping, lang: str) -> str:
    lo, hi, d = e.get("ci_low"), e.get("ci_high"), _digits(e)
    if lang == "en":
        return f"95% interval {fmt(lo, lang, d)} to {fmt(hi, lang, d)}"
    return f"interval 95% {fmt(lo, lang, d)} s.d. {fmt(hi, lang, d)}"


def _harm_text(oc: str, e: Mapping, lang: str) -> str:
    """E.g. "IKM turun 6,1 poin (interval 95% −7,9 s.d. −4,3)"."""
    eff = _num(e.get("effect"))
    up = eff is not None and eff > 0
    unit = e.get("unit_en") or e.get("unit") if lang == "en" else e.get("unit")
    unit = f" {unit}" if unit else ""
    size = fmt(abs(eff) if eff is not None else None, lang, _digits(e))
    # a decline that began before the pilot: still a hold, but the reader learns it is not new
    sign = 1.0 if e.get("higher_is_better", True) else -1.0
    slope = _num(e.get("pretrend_slope"))
    earlier = bool(e.get("pretrend")) and slope is not None and sign * slope < 0
    if lang == "en":
        return (f"{_name(oc, e)} {'rose' if up else 'fell'} by {size}{unit} ({_interval(e, lang)})"
                + (f"; it was already getting worse before the pilot ({fmt(slope, lang, _digits(e))} per period "
                   f"against the control units, p {fmt(e.get('pretrend_pval'), lang, 3)})" if earlier else ""))
    return (f"{_name(oc, e)} {'naik' if up else 'turun'} {size}{unit} ({_interval(e, lang)})"
            + (f"; indikator ini sudah memburuk sebelum uji coba ({fmt(slope, lang, _digits(e))} per periode "
               f"terhadap unit kontrol, p {fmt(e.get('pretrend_pval'), lang, 3)})" if earlier else ""))


def _not_estimable(prim: list, outcomes: Mapping, imp: Mapping) -> str | None:
    """Why no primary outcome has an estimate to weigh (the impact section's words), or None when one has.

    An effect without an interval (one control unit left) cannot be weighed either: its cause
    is the reason, not a row of dashes.
    """
    if any(_num(outcomes[oc].get("effect")) is not None and not outcomes[oc].get("why") for oc in prim):
        return None
    whys = list(dict.fromkeys(str(outcomes[oc].get("why")) for oc in prim if outcomes[oc].get("why")))
    return "; ".join(whys) or (str(imp["why"]) if imp.get("why") else None)


def _no_benefit_text(prim: list, outcomes: Mapping, lang: str, why: str | None = None) -> str:
    if why:   # nothing to weigh: the cause, not a row of dashes
        return (f"the impact on public service cannot be estimated yet: {why}" if lang == "en"
                else f"dampak pada layanan publik belum dapat diestimasi: {why}")
    parts = []
    for oc in prim:
        e = outcomes[oc]
        if _num(e.get("effect")) is None:   # one outcome without an estimate, the others with one
            parts.append(f"{_name(oc, e)} " + (f"cannot be estimated ({e['why']})" if lang == "en"
                                              else f"tidak dapat diestimasi ({e['why']})") if e.get("why")
                         else f"{_name(oc, e)} –")
            continue
        if e.get("why"):   # an effect with nothing to weigh it by (one control unit left)
            parts.append(f"{_name(oc, e)} {fmt(e.get('effect'), lang, _digits(e))} ("
                         + ("no interval: " if lang == "en" else "tanpa interval: ") + f"{e['why']})")
            continue
        if e.get("benefit_pretrend"):   # the DiD shows it, the unit's earlier trend explains it
            d = _digits(e)
            lo, hi = fmt(e.get("pretrend_adjusted_ci_low"), lang, d), fmt(e.get("pretrend_adjusted_ci_high"), lang, d)
            if lang == "en":
                parts.append(f"{_name(oc, e)} {fmt(e.get('effect'), lang, d)} ({_interval(e, lang)}) continues a "
                             f"trend of {fmt(e.get('pretrend_slope'), lang, d)} per period against the control units "
                             f"before the pilot (p {fmt(e.get('pretrend_pval'), lang, 3)}); net of each unit's own "
                             f"trend {fmt(e.get('pretrend_adjusted_effect'), lang, d)} (95% interval {lo} to {hi})")
            else:
                parts.append(f"{_name(oc, e)} {fmt(e.get('effect'), lang, d)} ({_interval(e, lang)}) melanjutkan "
                             f"tren {fmt(e.get('pretrend_slope'), lang, d)} per periode terhadap unit kontrol sebelum "
                             f"uji coba (p {fmt(e.get('pretrend_pval'), lang, 3)}); tanpa tren masing-masing unit "
                             f"{fmt(e.get('pretrend_adjusted_effect'), lang, d)} (interval 95% {lo} s.d. {hi})")
            continue
        small = e.get("too_small_to_see")
        # the interval excludes the benefit sought: the cause is named (no benefit of that size);
        # rules_out_sought implies a sought effect and an outcome not too small to see
        below = bool(e.get("rules_out_sought")) and not e.get("harm")
        # a declared min_effect is what the benefit is tested against: an effect that may reach
        # it but is not shown to is said so (it may well be above zero)
        short = (not small and not below and not e.get("harm") and e.get("min_effect") is not None
                 and e.get("sought_effect") is not None)
        sought = fmt(e.get("sought_effect"), lang, _digits(e)) if below or short else ""
        if lang == "en":
            parts.append(f"{_name(oc, e)} {fmt(e.get('effect'), lang, _digits(e))} ({_interval(e, lang)}; smallest "
                         f"detectable {fmt(e.get('mde'), lang, _digits(e))}"
                         + ("; too small to see here)" if small else
                            f"; the benefit sought, {sought}, lies outside the interval)" if below else
                            f"; not shown to reach the benefit sought, {sought})" if short else ")"))
        else:
            parts.append(f"{_name(oc, e)} {fmt(e.get('effect'), lang, _digits(e))} ({_interval(e, lang)}; efek terkecil "
                         f"yang terdeteksi {fmt(e.get('mde'), lang, _digits(e))}"
                         + ("; terlalu kecil untuk terlihat di sini)" if small else
                            f"; manfaat yang dicari, {sought}, berada di luar interval)" if below else
                            f"; belum terbukti mencapai manfaat yang dicari, {sought})" if short else ")"))
    if lang == "en":
        return "no benefit shown on a primary outcome" + (": " + "; ".join(parts) if parts else "")
    return "belum terbukti ada manfaat pada indikator utama" + (": " + "; ".join(parts) if parts else "")

"""Reader-visible text: the catalog lookup (:func:`text`), number formatting (:func:`fmt`),
library notes and verdict reasons rendered by their codes (:func:`_localize`, :func:`reason_text`).

Every text itself lives in the message catalog (:mod:`evaltools.report.messages`).
"""
from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from typing import Any

from .messages import CATALOGS, _number, has, msg


def text(key: str, lang: str = "id", **kw: Any) -> str:
    """The Indonesian (``lang="id"``) or English text of catalog code ``key``, filled with ``kw``.

    Examples
    --------
    >>> text("SIAP", "en"), text("verdict"), text("not_computable", "en", why="one rater")
    ('READY', 'Putusan', 'Cannot be computed for this unit: one rater')
    """
    return msg(key, lang, **kw)


#: deprecated: the catalog as code -> (Indonesian, English); read :mod:`.messages` instead
_TEXT: dict[str, tuple[str, str]] = {k: (v, CATALOGS["en"].get(k, v)) for k, v in CATALOGS["id"].items()}


def fmt(x: Any, lang: str = "id", digits: int = 2, pct: bool = False) -> str:
    """A number as a reader expects it: decimal comma in Indonesian, '–' when missing.

    Examples
    --------
    >>> fmt(0.8123), fmt(0.8123, "en"), fmt(0.25, pct=True), fmt(float("nan"))
    ('0,81', '0.81', '25%', '–')
    """
    return _number(x, lang, digits, pct)


def _ci(lo: Any, hi: Any, lang: str, digits: int = 2) -> str:
    if lo is None or hi is None or any(isinstance(v, float) and math.isnan(v) for v in (lo, hi)):
        return "–"
    return f"{fmt(lo, lang, digits)} – {fmt(hi, lang, digits)}"


def _esc(s: Any) -> str:
    return html.escape(str(s), quote=True)


def role_label(role: Any, lang: str = "id") -> str:
    """A rater role code as a word (``rekan_kerja`` -> ``Rekan kerja``); unknown codes as given.

    Examples
    --------
    >>> role_label("rekan_kerja"), role_label("atasan", "en"), role_label("mitra")
    ('Rekan kerja', 'Direct superior', 'mitra')
    """
    code = f"role.{role}"
    return text(code, lang) if has(code) else str(role)


# The statistics modules write their notes in English. Until each note carries its code, the
# notes a report shows are recognised here and named by code; the text then comes from the
# catalog (``note.<code>``), numbers in the report's language. A note joins several parts with
# "; ", each part is looked up on its own; an unknown part is shown as written.
_NUM = r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?"
_NOTE_CODES: tuple[tuple[str, re.Pattern], ...] = tuple((code, re.compile(p)) for code, p in (
    ("icc_one_rater", r"no subject was rated by two or more raters; one-way ICCs use all (?P<n>\d+) subjects "
                      r"\(\d+ ratings each\)"),
    ("no_pair", r"no subject was rated by (?:two or more|both) raters"),
    ("few_subjects", r"fewer than two subjects"),
    ("no_variance", r"no variance in scores(?::.*)?"),
    ("one_subject", r"one subject: no standard error"),
    ("few_donors", rf"only (?P<n>\d+) placebo donors: the smallest attainable p-value is (?P<pmin>{_NUM}) > "
                   rf"alpha = (?P<alpha>{_NUM})"),
    ("placebo_interval", r"fewer than (?P<n>\d+) placebos: the placebo intervals span the placebo range and cover "
                         r"less than (?P<level>\d+)%"),
    ("poor_prefit", rf"poor pre-period fit: pre-RMSPE (?P<rmspe>{_NUM}) exceeds (?P<factor>{_NUM}) x the SD of "
                    rf"pre-period (?P<outcome>\w+) \((?P<sd>{_NUM})\); the unit may lie outside the donors' range, "
                    r"read the synthetic-control estimate with care"),
    ("exact_fit", r"(?P<k>\d+) of (?P<n>\d+) placebo units fit exactly in the pre-period \(many donors, few "
                  r"pre-periods\): the RMSPE-ratio p-value has little power; compare pval_gap, the placebo "
                  r"interval and the DiD"),
    ("dist_largest", r"deviation: (?P<group>.+?): (?P<k>\d+) of (?P<n>\d+), should be the largest group \(largest "
                     r"other group: (?P<other>\d+)\)"),
    ("dist_min", r"deviation: (?P<group>.+?): (?P<k>\d+) of (?P<n>\d+) \((?P<share>\d+)%\), at least (?P<need>\d+) "
                 r"expected \((?P<need_share>\d+)%\)"),
    ("dist_max", r"deviation: (?P<group>.+?): (?P<k>\d+) of (?P<n>\d+) \((?P<share>\d+)%\), at most (?P<need>\d+) "
                 r"allowed \((?P<need_share>\d+)%\)"),
))


def _param(v: str) -> Any:
    if re.fullmatch(r"[-+]?\d+", v):
        return int(v)
    if re.fullmatch(_NUM, v):
        return float(v)
    return v


def note_code(note: str) -> tuple[str, dict[str, Any]] | None:
    """The catalog code (``note.<code>``) and parameters of one English library note, if known.

    Examples
    --------
    >>> note_code("only 8 placebo donors: the smallest attainable p-value is 0.111 > alpha = 0.05")
    ('few_donors', {'n': 8, 'pmin': 0.111, 'alpha': 0.05})
    >>> note_code("something new") is None
    True
    """
    for code, pat in _NOTE_CODES:
        m = pat.fullmatch(note.strip())
        if m:
            return code, {k: _param(v) for k, v in m.groupdict().items()}
    return None


def _localize(note: Any, lang: str) -> str:
    """A library note in the report's language, from the catalog by its code.

    ``note`` is a string (English parts joined by "; ") or a mapping with ``code`` and
    ``params`` (a note that carries its code).

    Examples
    --------
    >>> _localize("fewer than 39 placebos: the placebo intervals span the placebo range and cover less than 95%",
    ...           "id")
    'kurang dari 39 pembanding: interval plasebo selebar rentang pembanding dan cakupannya di bawah 95%'
    """
    if isinstance(note, Mapping):
        code, params = str(note.get("code", "")), dict(note.get("params") or {})
        if has(f"note.{code}"):
            try:
                return msg(f"note.{code}", lang, **params)
            except (KeyError, IndexError, ValueError):
                pass
        return str(note.get("text", code))
    # a note joins its parts with "; ", and some parts hold "; " themselves: take the longest
    # run of pieces that is a known note, else one piece as written
    pieces, parts, i = str(note).split("; "), [], 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):
            found = note_code("; ".join(pieces[i:j]))
            if found:
                parts.append(msg(f"note.{found[0]}", lang, **found[1]))
                i = j
                break
        else:
            parts.append(pieces[i])
            i += 1
    return "; ".join(parts)


# count parameters of a reason: hidden below min_cell (the ".suppressed" message is used)
_REASON_COUNTS = {"few_subjects": "value", "raters_flagged": "n"}


def reason_text(reason: Mapping[str, Any], lang: str = "id", *, min_cell: int | None = None,
                record: Mapping[str, Any] | None = None) -> str:
    """A verdict reason as the reader sees it: catalog ``reason.<code>`` filled from the reason.

    Parameters come from the reason's own fields (``value``, ``threshold`` and any other key)
    and, for the codes whose reason does not carry them, from the unit's ``record`` (items
    of ``agreement_low``, raters of ``raters_flagged``). A count below ``min_cell`` is never
    shown: the ``reason.<code>.suppressed`` wording is used instead. Without a catalog entry
    or with a parameter missing, the reason's own ``text`` is shown.

    Examples
    --------
    >>> r = {"code": "few_subjects", "level": "TUNDA", "value": 3, "threshold": 10, "text": "only 3"}
    >>> reason_text(r), reason_text(r, "en", min_cell=5)
    ('hanya 3 pegawai dinilai (minimal 10)', 'fewer than 5 employees rated (minimum 10)')
    """
    code = str(reason.get("code", ""))
    params = {k: v for k, v in reason.items() if k not in ("code", "level", "text")}
    rec = record or {}
    key = f"reason.{code}"
    if code == "agreement_low":
        con = rec.get("consistency") or {}
        items = list(reason.get("items") or con.get("items_below") or [])
        if not items and con.get("items_outlying"):
            items, key = list(con["items_outlying"]), "reason.agreement_outlying"
        params.update(items=items[:3], n_items=len(items), median=con.get("agreement_median"))
    elif code == "raters_flagged":
        params.setdefault("n", (rec.get("calibration") or {}).get("n_severity_flagged"))
    if code in ("outcome_worse", "harm"):
        params["outcome"] = reason.get("label") or reason.get("outcome")
        if code == "outcome_worse":
            params.setdefault("effect", reason.get("value"))
            if reason.get("ci_low") is not None:
                key = "reason.outcome_worse.ci"
    count = params.get(_REASON_COUNTS.get(code, ""))
    if min_cell is not None and isinstance(count, (int, float)) and 0 < count < min_cell \
            and has(f"reason.{code}.suppressed"):
        key = f"reason.{code}.suppressed"
        params["k"] = int(min_cell)
    if not has(key) or any(params.get(f) is None and f not in ("k",) for f in _fields(key, lang)):
        return str(reason.get("text", code))
    try:
        return msg(key, lang, **params)
    except (KeyError, IndexError, ValueError):
        return str(reason.get("text", code))


def _fields(code: str, lang: str) -> set[str]:
    from .messages import fields

    return fields(code, "en" if lang == "en" else "id")

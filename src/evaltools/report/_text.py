"""Reader-visible text: the catalog lookup (:func:`text`), number formatting (:func:`fmt`),
library notes and verdict reasons rendered by their codes (:func:`_localize`, :func:`reason_text`).

Every text itself lives in the message catalog (:mod:`evaltools.report.messages`).
"""
from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from evaltools import _notes

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
    """A number as a reader expects it: decimal comma in Indonesian, the minus sign "−" (U+2212)
    for a negative number, '–' when missing.

    Examples
    --------
    >>> fmt(0.8123), fmt(0.8123, "en"), fmt(0.25, pct=True), fmt(float("nan"))
    ('0,81', '0.81', '25%', '–')
    >>> fmt(-1.777), fmt(-1.777, "en") == "\u22121.78"
    ('−1,78', True)
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


def note_code(note: str) -> tuple[str, dict[str, Any]] | None:
    """The code (``note.<code>`` in the catalog) and parameters of one library note, if known.

    The note must read as one note of :data:`evaltools._notes.NOTES`; a note of several
    parts is read by :func:`evaltools._notes.parse`.

    Examples
    --------
    >>> note_code("only 8 placebo donors: the smallest attainable p-value is 0.111 > alpha = 0.05")
    ('few_donors', {'n': 8, 'pmin': 0.111, 'alpha': 0.05})
    >>> note_code("something new") is None
    True
    """
    parts = _notes.parse(note)
    if len(parts) == 1 and parts[0][0] is not None:
        return parts[0]
    return None


def _note_text(code: str, params: Mapping[str, Any], lang: str) -> str | None:
    if not has(f"note.{code}"):
        return None
    try:
        return msg(f"note.{code}", lang, **params)
    except (KeyError, IndexError, ValueError):
        return None


def _localize(note: Any, lang: str, *, outcome_labels: Mapping[str, str] | None = None) -> str:
    """A library note in the report's language, from the catalog by its code.

    ``note`` is a string (English parts joined by "; ", read by
    :func:`evaltools._notes.parse`) or a mapping with ``code`` and ``params`` (a note
    that carries its code). A part without a catalog text is shown as written.
    ``outcome_labels`` (column name -> label in ``lang``) names an outcome the note
    gives by its column (its ``outcome`` parameter) the way the page names it.

    Examples
    --------
    >>> _localize("fewer than 39 placebos: the placebo intervals span the placebo range and cover less than 95%",
    ...           "id")
    'kurang dari 39 pembanding: interval plasebo selebar rentang pembanding dan cakupannya di bawah 95%'
    >>> _localize("unit 'A' lacks service_days in 2 period(s)", "id", outcome_labels={"service_days": "lama layanan"})
    'unit A tidak memiliki data lama layanan pada 2 periode'
    """
    def named(params: dict) -> dict:
        oc = params.get("outcome")
        return {**params, "outcome": outcome_labels[oc]} if outcome_labels and oc in outcome_labels else params

    if isinstance(note, Mapping):
        code, params = str(note.get("code", "")), named(dict(note.get("params") or {}))
        found = _note_text(code, params, lang)
        return found if found is not None else str(note.get("text", code))
    parts = []
    for code, params in ((c, named(p) if c is not None else p) for c, p in _notes.parse(str(note))):
        found = _note_text(code, params, lang) if code is not None else None
        # a part no template reads, or (never for a registered code: the catalog test) without a text
        parts.append(found if found is not None else params["text"] if code is None else _notes.note(code, **params))
    return "; ".join(parts)


# count parameters of a reason: hidden below min_cell (the ".suppressed" message is used)
_REASON_COUNTS = {"few_subjects": "value", "raters_flagged": "n"}
#: reason codes that record a harm (records and catalogs use both)
HARM_CODES = ("outcome_worse", "harm")


def acted_on(reasons: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The reasons whose actions a unit is given: a harm's "hold and find out why" already
    covers the benefit it does not show, so a held unit gets no second, no-benefit action.

    Examples
    --------
    >>> [r["code"] for r in acted_on([{"code": "outcome_worse"}, {"code": "no_benefit"}])]
    ['outcome_worse']
    """
    harmed = any(r.get("code") in HARM_CODES for r in reasons)
    return [r for r in reasons if not (harmed and r.get("code") == "no_benefit")]


def action_key(reason: Mapping[str, Any]) -> str:
    """The catalog key of what to do about a verdict reason: ``action.<code>``, or the variant
    the reason's cause calls for (no benefit where every primary interval excludes it; no
    test with one control unit left).

    Examples
    --------
    >>> action_key({"code": "no_benefit"}), action_key({"code": "no_benefit", "ruled_out": ["IKM"]})
    ('action.no_benefit', 'action.no_benefit.ruled_out')
    """
    code = str(reason.get("code"))
    if code == "no_benefit" and reason.get("ruled_out"):
        return "action.no_benefit.ruled_out"
    if code == "no_benefit" and reason.get("why_code") == "one_control":
        return "action.no_benefit.one_control"
    return f"action.{code}"


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
    elif code == "no_benefit" and reason.get("why"):
        key = "reason.no_benefit.not_estimable"
    elif code == "no_benefit" and reason.get("pretrend"):
        key = "reason.no_benefit.pretrend"
        params["outcomes"] = ", ".join(map(str, reason["pretrend"]))
    elif code == "no_benefit" and reason.get("ruled_out"):
        key = "reason.no_benefit.ruled_out"
        names = [str(n) for n in reason["ruled_out"]]
        last = (" and " if lang == "en" else " dan ") + names[-1] if len(names) > 1 else names[-1]
        params["outcomes"] = ", ".join(names[:-1]) + last
    elif code == "few_subjects" and reason.get("value") == 0:
        key = "reason.few_subjects.none"
    if code in HARM_CODES:
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

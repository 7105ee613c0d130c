"""The message catalog: every text a reader sees, keyed by a stable code, one mapping per language.

A code names a message, not its wording: editing a text never un-translates it, and a
library note or a verdict reason that carries a code is looked up here (``note.<code>``,
``reason.<code>``). Parameters are ``str.format`` fields whose numbers are written the way
the report's language writes them (:class:`_Formatter`): decimal comma in Indonesian.

Format specs understood in a message (besides Python's own):

========= ==========================================================
``{x}``   an int as is; a float with 2 decimals; a list joined by ", "
``{x:d0}`` … ``{x:d3}``  a number with that many decimals
``{x:pct}`` a share as a whole percent (``0.25`` -> ``25%``)
``{x:p}`` a p-value with 3 decimals
========= ==========================================================

Examples
--------
>>> msg("reason.few_subjects", "id", value=4, threshold=10)
'hanya 4 pegawai dinilai (minimal 10)'
>>> msg("reason.missing_360", "en", value=0.25, threshold=0.2)
'25% of the 360° ratings are missing (at most 20%)'

A negative number has the minus sign U+2212 (``−1,50``), in both languages; one that rounds
to zero has no sign:

>>> _number(-1.5, "id", 2), _number(-0.001, "en", 2), _number(-3, "en"), _number(-math.inf, "en", 2)
('\u22121,50', '0.00', '\u22123', '\u2212inf')
"""
from __future__ import annotations

import math
import numbers
import re
import string
from typing import Any

from . import en as _en
from . import id as _id

#: language -> {code: text}
CATALOGS: dict[str, dict[str, str]] = {"id": _id.MESSAGES, "en": _en.MESSAGES}
#: the languages a report can be written in, the first is the default
LANGS = ("id", "en")


def _number(v: Any, lang: str, digits: int | None = None, pct: bool = False) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "–" if v is None else str(v)
    if math.isnan(x):
        return "–"
    if pct:
        s = f"{100 * x:.0f}%"
    elif digits is None:
        s = str(int(x)) if isinstance(v, numbers.Integral) else f"{x:.2f}"
    elif digits == 0 and x.is_integer():
        s = str(int(x))
    else:
        s = f"{x:.{digits}f}"
    if s.startswith("-"):
        # a value that rounds to zero has no sign ("0,00", never "-0,00"); a negative one has the
        # minus sign U+2212, as the figures' axes write it, never the hyphen
        s = "\u2212" + s[1:] if x == -math.inf or any(c in "123456789" for c in s) else s[1:]
    return s.replace(".", ",") if lang != "en" else s


class _Formatter(string.Formatter):
    """``str.format`` with numbers in the report's language (see the module docstring)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, spec: str) -> str:
        if isinstance(value, bool):
            return str(value)
        if spec in ("", "d0", "d1", "d2", "d3", "pct", "p") and isinstance(value, numbers.Real) \
                or (spec in ("d0", "d1", "d2", "d3", "pct", "p") and value is None):
            if spec == "pct":
                return _number(value, self.lang, pct=True)
            if spec == "p":
                return _number(value, self.lang, 3)
            return _number(value, self.lang, int(spec[1]) if spec else None)
        if isinstance(value, (list, tuple)) and not spec:
            return ", ".join(str(v) for v in value)
        if value is None and not spec:
            return "–"
        return super().format_field(value, spec)


def fields(code: str, lang: str = "id") -> set[str]:
    """The parameter names of a message.

    Examples
    --------
    >>> sorted(fields("reason.few_subjects"))
    ['threshold', 'value']
    """
    return {f for _, f, _, _ in string.Formatter().parse(CATALOGS[lang][code]) if f}


def has(code: str, lang: str = "id") -> bool:
    """Whether the catalog has ``code``.

    Examples
    --------
    >>> has("verdict"), has("no.such.code")
    (True, False)
    """
    return code in CATALOGS.get(lang, CATALOGS["id"])


def msg(code: str, lang: str = "id", /, **params: Any) -> str:
    """The text of ``code`` in ``lang`` ("id" or "en"), its fields filled from ``params``.

    Raises ``KeyError`` for an unknown code or a missing parameter (a caller with a
    fallback text catches it).

    Examples
    --------
    >>> msg("verdict", "en"), msg("note.few_donors", "id", n=8, pmin=0.111, alpha=0.05)
    ('Verdict', 'hanya 8 unit kontrol pembanding: nilai p terkecil yang mungkin 0,111, di atas batas 0,05')
    """
    cat = CATALOGS["en" if lang == "en" else "id"]
    out = _Formatter(lang).vformat(cat[code], (), params)
    # English counts: "1 units" reads "1 unit" (Indonesian nouns do not inflect)
    if lang != "en":
        return out
    out = _ONE_PLURAL.sub(r"\1", out)
    return _ONE_VERB.sub(lambda m: m.group(1) + " " + _SINGULAR_VERB[m.group(2)], out)


_ONE_PLURAL = re.compile(r"(?<![\d.,])(\b1 (?:unit|pilot unit|employee|rater|item|period|rating|outcome|control unit))s\b")
_SINGULAR_VERB = {"have": "has", "are": "is", "were": "was", "fall": "falls", "show": "shows", "rate": "rates"}
_ONE_VERB = re.compile(r"(?<![\d.,])(\b1 (?:unit|pilot unit|employee|rater|item|period|rating|outcome|control unit))"
                       r" (have|are|were|fall|show|rate)\b")


__all__ = ["CATALOGS", "LANGS", "fields", "has", "msg"]

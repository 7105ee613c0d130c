"""Person identifiers: NIP normalisation, what looks identifying, keyed pseudonyms, Excel damage, the key."""
from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import DataError
from ._contract import DEFAULT_KEY_ENV, PSEUDONYM_PREFIX
from ._validate import _Collector

_PSEUDONYM_RE = r"P-[0-9a-f]{16}"
# NIP-shaped digits (18: PNS and PPPK; 9: the old NIP), separators removed, anywhere in a value ("pegawai-1986...", an e-mail built on the NIP)
_NIP_INSIDE_RE = r"(?:^|\D)(?:\d{18}|\d{9})(?:\D|$)"
# what real exports put around a NIP: an Excel text apostrophe and a "NIP", "NIP." or "NIP:" label
_NIP_QUOTES = " '\u2018\u2019`\t"
# whitespace spelled out (literal characters, no \s): pandas then runs these patterns in Arrow's
# regex engine instead of a Python loop over the values
_WS = " \t\r\n\f\v\u00a0"
_NIP_LABEL_RE = "^[Nn][Ii][Pp][" + _WS + "]*[.:]?[" + _WS + "]*"
_SEPARATORS_RE = "[" + _WS + ".\\-]"
_EMAIL_RE = "[^@" + _WS + "]+@[^@" + _WS + "]+\\.[A-Za-z]{2,}"
# a personal name: words of letters (any script) with dots, apostrophes or commas; one word
# is enough, since many Indonesians have a single name (Sukarno, Suharto)
_NAME_RE = re.compile(r"^(?=.*[^\W\d_]{3})[^\W\d_](?:[^\W\d_]|[.,'])*(?:\s+[^\W\d_](?:[^\W\d_]|[.,'])*)*$")
# a number as Excel writes it when a NIP column was formatted as a number: 1.98608E+17
_SCIENTIFIC_RE = r"^\d(?:[.,]\d+)?[eE]\+?\d+$"
_AS_TEXT = ("export the column as text (in Excel: select the column, Format Cells > Text, then re-enter or "
            "re-import the NIPs from the source system; or read the source with Data > From Text/CSV and set "
            "the column type to Text)")


# ----------------------------------------------------------------- identifiers
def normalize_id(values: pd.Series | pd.Index) -> pd.Index:
    """The canonical form of person identifiers, so every export form of one NIP links.

    Removes what real exports put around a NIP (an Excel text apostrophe, a ``NIP``,
    ``NIP.`` or ``NIP:`` label), then spaces, dots and dashes, and upper-cases the rest.

    Examples
    --------
    >>> normalize_id(pd.Series(["'196608011988031001", "NIP. 19660801 198803 1 001", "nip:19660801-198803-1-001",
    ...                         "s-01"])).tolist()
    ['196608011988031001', '196608011988031001', '196608011988031001', 'S01']
    """
    s = pd.Index(values).astype(str).str.strip().str.lstrip(_NIP_QUOTES)
    # Arrow's regex engine has no look-ahead: drop the label, and keep the value as it was
    # where no digit follows the label (a name such as "Nipah" is not a NIP)
    unlabelled = s.str.replace(_NIP_LABEL_RE, "", regex=True)
    s = pd.Index(np.where(np.asarray(unlabelled.str.match(r"\d"), bool), unlabelled, s), dtype="str")
    return s.str.replace(_SEPARATORS_RE, "", regex=True).str.upper()


def _identifying(uniques: pd.Index, names: bool = True, norm: pd.Index | None = None) -> np.ndarray:
    """True where a distinct value holds NIP-shaped digits, an e-mail address or (``names``) looks like a name."""
    s = pd.Index(uniques).astype(str).str.strip()
    if not len(s):
        return np.zeros(0, bool)
    pseudo = np.asarray(s.str.fullmatch(_PSEUDONYM_RE), bool)
    digits = normalize_id(s) if norm is None else norm
    nip = np.asarray(digits.str.contains(_NIP_INSIDE_RE, regex=True), bool)
    email = np.asarray(s.str.contains(_EMAIL_RE, regex=True), bool)
    name = np.asarray(s.str.fullmatch(_NAME_RE), bool) if names else np.zeros(len(s), bool)
    return ~pseudo & (nip | email | name)


def looks_identifying(values: pd.Series) -> pd.Series:
    """True where a value looks like personal data: NIP-shaped digits, an e-mail or a name.

    NIP-shaped means 18 or 9 digits once the export's decorations and separators are
    removed (:func:`normalize_id`), alone or inside a longer value; a pseudonym made by
    :func:`pseudonymize` is not identifying.

    Examples
    --------
    >>> looks_identifying(pd.Series(["NIP.196608011988031001", "pegawai-123456789", "Sukarno", "S0001"])).tolist()
    [True, True, True, False]
    """
    codes, uniques = pd.factorize(values.astype(str))
    flags = _identifying(pd.Index(uniques))
    return pd.Series(flags[codes] if len(flags) else np.zeros(len(values), bool), index=values.index, dtype=bool)


#: ids hashed between two offers of the GIL to other threads (about a quarter of a millisecond)
_GIL_CHUNK = 256


def _hash_ids(norm: pd.Index, key: bytes) -> np.ndarray:
    """``P-`` + the first 16 hex digits of HMAC-SHA256(key, id) for each distinct id.

    HMAC (RFC 2104, section 2): ``H((K ^ opad) || H((K ^ ipad) || m))`` with the key
    padded to the 64-byte block (hashed first if longer). The two keyed states are
    computed once and copied per id, which halves the cost of ``hmac.digest`` per call;
    the loop is over distinct ids, not records.
    """
    block = hashlib.sha256().block_size
    k = hashlib.sha256(key).digest() if len(key) > block else key
    k = k.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in k))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in k))
    icopy, ocopy = inner.copy, outer.copy
    digests = []
    keep = digests.append
    values = np.asarray(norm, dtype=object).tolist()
    for start in range(0, len(values), _GIL_CHUNK):
        for v in values[start:start + _GIL_CHUNK]:
            i = icopy()
            i.update(v.encode("utf-8"))
            o = ocopy()
            o.update(i.digest())
            keep(o.digest())
        # this loop holds the GIL: let a thread waiting for it (numpy work between its
        # GIL-free calls) have it now rather than at the end of the 5 ms switch interval
        time.sleep(0)
    if not digests:
        return np.array([], dtype=object)
    # the first 8 bytes of each digest as 16 hex digits, in one conversion for all ids
    head = np.frombuffer(b"".join(digests), np.uint8).reshape(-1, 32)[:, :8].tobytes().hex().encode("ascii")
    return np.char.add(PSEUDONYM_PREFIX, np.frombuffer(head, "S16").astype("U16")).astype(object)


def pseudonymize(values: pd.Series, key: bytes) -> pd.Series:
    """Replace identifiers with a keyed hash: ``P-`` + 16 hex digits of HMAC-SHA256.

    The identifier is normalized first (:func:`normalize_id`: export decorations such as
    an apostrophe or a ``NIP.`` label, spaces, dots and dashes removed, upper case), so
    ``"19660801 198803 1 001"`` and ``"NIP.196608011988031001"`` get one pseudonym; the
    same key gives the same pseudonym in every run, so periods and files can be linked.
    Each distinct value is hashed once (HMAC: Krawczyk, Bellare & Canetti 1997, RFC 2104).

    Examples
    --------
    >>> p = pseudonymize(pd.Series(["19660801 198803 1 001", "'196608011988031001"]), b"key")
    >>> p.iloc[0] == p.iloc[1], p.iloc[0][:2], len(p.iloc[0])
    (True, 'P-', 18)
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    hashed = _hash_ids(normalize_id(pd.Index(uniques)), key)
    out = np.where(codes >= 0, hashed[np.maximum(codes, 0)] if len(hashed) else None, None)
    return pd.Series(out, index=values.index, name=values.name, dtype="str")


def _excel_damage(uniques: pd.Index, codes: np.ndarray, numeric_cells: np.ndarray | None, column: str,
                  col: _Collector, norm: pd.Index | None = None) -> bool:
    """Report NIPs that Excel damaged, once per column and kind; True if any was found.

    Excel holds numbers as doubles shown with 15 significant digits: a NIP typed or
    imported as a number keeps its first 15 digits (the rest become zeros, or are cut),
    is written in scientific notation (``1.98608E+17``) when the column is narrow, and an
    XLSX numeric cell has lost the digits already. Different people then share one value,
    which would show as a flood of duplicate keys.
    """
    raw = pd.Index(uniques).astype(str)
    norm = normalize_id(raw) if norm is None else norm
    sentinel = np.r_[False]
    kinds = [
        (np.asarray(raw.str.fullmatch(_SCIENTIFIC_RE), bool),
         "value(s) are in scientific notation (Excel showed the NIPs as numbers and saved the rounded display, "
         "so their digits are lost)"),
        # NIP serial numbers start at 001: three trailing zeros are the digits Excel dropped
        (np.asarray(norm.str.fullmatch(r"\d{15}000"), bool),
         "value(s) end in 000 after 15 digits: 18-digit NIPs truncated to Excel's 15 significant digits, so "
         "different people may have merged"),
        (np.asarray(norm.str.fullmatch(r"\d{15}"), bool),
         "value(s) have 15 digits: 18-digit NIPs cut to Excel's 15-digit precision, so different people may "
         "have merged"),
    ]
    if numeric_cells is not None:
        many = np.r_[np.asarray(raw.str.count(r"\d")) >= 16, sentinel][codes]
        rows = numeric_cells & many
        if rows.any():
            i = int(np.flatnonzero(rows)[0])
            col.add(f"{int(rows.sum())} cell(s) are stored as numbers, e.g. {raw[codes[i]]}: an XLSX number keeps "
                    f"only 15 significant digits, so 18-digit NIPs lost their last digits; {_AS_TEXT}",
                    row=i, column=column)
            return True
    found = False
    for flag_u, what in kinds:
        if not flag_u.any():   # no damaged value: no pass over the records
            continue
        rows = np.r_[flag_u, sentinel][codes]
        if rows.any():
            i = int(np.flatnonzero(rows)[0])
            n = int(np.unique(codes[rows]).size)
            col.add(f"{n} {what}, e.g. '{raw[codes[i]]}': {_AS_TEXT}", row=i, column=column)
            found = True
    return found


def _load_key(cfg: dict, root: Path, file: str) -> tuple[bytes | None, str]:
    sec = cfg.get("study", {})
    env = sec.get("key_env", DEFAULT_KEY_ENV)
    if os.environ.get(env):
        return os.environ[env].strip().encode("utf-8"), f"environment variable {env}"
    kf = sec.get("key_file")
    if kf:
        p = (root / kf)
        if not p.exists():
            raise DataError(f"key_file '{kf}' named in study.toml does not exist", file=file, column="study.key_file")
        text = p.read_text(encoding="utf-8").strip()
        if not text:
            raise DataError(f"key file '{kf}' is empty", file=str(p))
        return text.encode("utf-8"), f"key file {kf}"
    return None, ""



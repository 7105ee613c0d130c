"""What every section module shares: :class:`Section` and the helpers that read a unit's ratings.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evaltools._distinct import unique_codes
from evaltools.asn import ORDINAL_ITEMS


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
        False when the section has nothing to show (no numbers then).
    tables : list of (caption, DataFrame)
    figures : list of (caption, PNG bytes)
    notes : list of str
    results : dict
        JSON-ready key figures (recorded, read by :func:`verdict` and the briefing).

    Examples
    --------
    >>> import pandas as pd
    >>> sec = Section("coverage", "Cakupan data", lead="12 pegawai dinilai.", results={"n_subjects": 12})
    >>> sec.tables.append(("Per peran", pd.DataFrame({"Peran": ["Atasan langsung"], "Penilai": [3]})))
    >>> print(sec)
    Cakupan data
    12 pegawai dinilai.
    Per peran
              Peran  Penilai
    Atasan langsung        3
    >>> sec.__jsonable__()
    {'n_subjects': 12}
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

    def __jsonable__(self) -> dict:
        # a section is recorded as its key figures
        return self.results

    def add_figure(self, caption: str, fig: Any) -> None:
        from evaltools.plots import figure_png

        self.figures.append((caption, figure_png(fig)))

    def _repr_html_(self) -> str:
        from .pages import section_html

        return section_html(self)

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


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _is_data_problem(exc: BaseException) -> bool:
    from evaltools._errors import DataError

    return isinstance(exc, (DataError, KeyError, ValueError))


def _strings(col: pd.Series) -> pd.Series:
    """``col.astype(str)``, with a categorical converted through its categories.

    A unit's 10,000 ratings name a few hundred raters: converting the categories and
    taking them by code gives the same strings without a Python pass over every row.

    Examples
    --------
    >>> s = pd.Series(pd.Categorical(["b", "a", "b"]), index=[3, 4, 5])
    >>> _strings(s).equals(s.astype(str))
    True
    """
    if not isinstance(col.dtype, pd.CategoricalDtype) or col.isna().any():
        return col.astype(str)
    cats = pd.Series(col.cat.categories).astype(str).array
    return pd.Series(cats.take(col.cat.codes.to_numpy()), index=col.index, name=col.name)


def unit_ratings(study: Any, unit: str, *, numeric_only: bool = False) -> pd.DataFrame:
    """The ratings of ``unit`` as the report sections read them, with a ``target`` column.

    The object of measurement is one employee in one period (``target`` = period | subject):
    a person rated in two periods is two objects. ``numeric_only`` keeps the items on a
    numeric scale (drops the ordinal SKP ratings, :data:`evaltools.asn.ORDINAL_ITEMS`, which
    the agreement and rater-effect tables do not average).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> ratings = pd.DataFrame({"period": ["2024-S1"] * 3, "unit": ["U1", "U1", "U2"],
    ...                         "subject": ["s1", "s1", "s9"], "item": ["Loyal", "Hasil Kerja", "Loyal"],
    ...                         "score": [4.0, 2.0, 3.0]})
    >>> unit_ratings(SimpleNamespace(ratings=ratings), "U1", numeric_only=True)[["target", "item"]]
           target   item
    0  2024-S1|s1  Loyal
    """
    r = study.ratings
    r = r[_strings(r["unit"]) == str(unit)].copy()
    r["target"] = _target(r["period"], r["subject"])
    if numeric_only:
        r = r[r["item"].isin(_numeric_items(study, r))]
    return r


# the name the section modules use
_unit_ratings = unit_ratings


def _target(period: pd.Series, subject: pd.Series) -> pd.Series:
    """``period | subject`` as a categorical with sorted categories (as ``astype("category")``).

    A categorical: the sections group, select and take by it a dozen times, and each pass
    over ten thousand strings would factorize them again. From categorical ids the labels
    are formed once per distinct (period, subject) pair, not once per rating.

    Examples
    --------
    >>> p, s = pd.Series(pd.Categorical(["P2", "P1", "P2"])), pd.Series(pd.Categorical(["b", "a", "a"]))
    >>> t = _target(p, s)
    >>> t.tolist(), t.cat.categories.tolist()
    (['P2|b', 'P1|a', 'P2|a'], ['P1|a', 'P2|a', 'P2|b'])
    """
    cat = pd.CategoricalDtype
    if not (isinstance(period.dtype, cat) and isinstance(subject.dtype, cat)) or period.isna().any() \
            or subject.isna().any():
        return (_strings(period) + "|" + _strings(subject)).astype("category")
    n_s = max(len(subject.cat.categories), 1)
    pair, codes = unique_codes(period.cat.codes.to_numpy(np.int64) * n_s + subject.cat.codes.to_numpy(np.int64),
                               max(len(period.cat.categories), 1) * n_s, return_inverse=True)
    labels = (pd.Index(period.cat.categories.astype(str)).take(pair // n_s) + "|"
              + pd.Index(subject.cat.categories.astype(str)).take(pair % n_s))
    order = np.argsort(np.asarray(labels, dtype=object), kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return pd.Series(pd.Categorical.from_codes(rank[codes], categories=labels.take(order)), index=period.index)


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


def _all_categorical(d: pd.DataFrame, cols: Sequence[str]) -> bool:
    """Every column of ``cols`` a categorical without missing values (codes are then ids)."""
    return all(isinstance(d[c].dtype, pd.CategoricalDtype) and not d[c].hasnans for c in cols)


def _rater_means(num: pd.DataFrame) -> pd.DataFrame:
    """Each (employee, rater, role)'s mean score over the items, as
    ``groupby([...], observed=True, as_index=False)["score"].mean()`` gives it (the role as
    text), from the ids' codes in one grouped sum when they are categorical."""
    cols = ["target", "rater", "rater_role"]
    if not _all_categorical(num, cols):
        comp = num.groupby(cols, observed=True, as_index=False)["score"].mean()
        comp["rater_role"] = comp["rater_role"].astype(str)
        return comp
    codes = [num[c].cat.codes.to_numpy(np.int64) for c in cols]
    sizes = [max(len(num[c].cat.categories), 1) for c in cols]
    key = (codes[0] * sizes[1] + codes[1]) * sizes[2] + codes[2]
    cell, inv = unique_codes(key, sizes[0] * sizes[1] * sizes[2], return_inverse=True)
    y = num["score"].to_numpy(dtype=float)
    ok = ~np.isnan(y)
    with np.errstate(invalid="ignore"):
        mean = np.bincount(inv[ok], y[ok], len(cell)) / np.bincount(inv[ok], minlength=len(cell))
    parts = (cell // (sizes[1] * sizes[2]), cell // sizes[2] % sizes[1], cell % sizes[2])
    out = {c: pd.Categorical.from_codes(k, dtype=num[c].dtype) for c, k in zip(cols, parts)}
    out["rater_role"] = np.asarray(num["rater_role"].cat.categories.astype(str), dtype=object)[parts[2]]
    return pd.DataFrame({**out, "score": mean})


def _item_span(num: pd.DataFrame) -> pd.DataFrame:
    """Each item's lowest and highest score (``groupby("item")["score"].agg(["min", "max"])``)."""
    if not _all_categorical(num, ["item"]):
        return num.groupby("item", observed=True)["score"].agg(["min", "max"])
    code = num["item"].cat.codes.to_numpy(np.int64)
    y = num["score"].to_numpy(dtype=float)
    n = len(num["item"].cat.categories)
    seen = np.bincount(code, minlength=n) > 0       # an item with missing scores only: nan, as groupby
    ok = ~np.isnan(y)
    lo, hi = np.full(n, np.inf), np.full(n, -np.inf)
    np.minimum.at(lo, code[ok], y[ok])
    np.maximum.at(hi, code[ok], y[ok])
    lo[np.isinf(lo)], hi[np.isinf(hi)] = np.nan, np.nan
    index = pd.CategoricalIndex(pd.Categorical.from_codes(np.flatnonzero(seen), dtype=num["item"].dtype), name="item")
    return pd.DataFrame({"min": lo[seen], "max": hi[seen]}, index=index)


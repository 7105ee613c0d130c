"""Small-cell suppression: the one rule every output (texts, tables, summary.xlsx) applies.

A count of people between 1 and ``min_cell - 1`` is never shown (primary suppression).
Where a total and its parts are shown together, a single hidden part could be recovered as
the total minus the others, so a second part is hidden too (complementary suppression; the
smallest other part, so as little as possible is lost). This is the rule of statistical
offices for frequency tables (Hundepool et al. 2012, *Statistical Disclosure Control*,
Wiley, sections 4.2 and 5.2: threshold rule with secondary suppression).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._text import text


def _small(values: Any, min_cell: int) -> np.ndarray:
    v = pd.to_numeric(pd.Series(np.ravel(np.asarray(values, dtype=object))), errors="coerce").to_numpy(float)
    return np.asarray((v > 0) & (v < min_cell)).reshape(np.shape(values))


def suppress_count(n: Any, min_cell: int = 5, lang: str = "id", *, style: str = "table") -> str:
    """A count as it may be published: ``"<5"`` (``style="table"``) or ``"kurang dari 5"``
    (``style="text"``) when it is between 1 and ``min_cell - 1``; '–' when missing.

    Examples
    --------
    >>> suppress_count(3), suppress_count(3, 5, "en", style="text"), suppress_count(12), suppress_count(0)
    ('<5', 'fewer than 5', '12', '0')
    """
    v = pd.to_numeric(pd.Series([n]), errors="coerce").iloc[0]
    if pd.isna(v):
        return "–"
    if 0 < v < min_cell:
        return text("suppressed" if style == "table" else "suppressed_text", lang, k=int(min_cell))
    return str(int(v))


def suppression_mask(counts: pd.DataFrame, min_cell: int = 5, *, totals: Sequence[tuple[str, Sequence[str]]] = (),
                     column_totals: bool = False) -> pd.DataFrame:
    """Which cells of a table of counts must be hidden: primary and complementary suppression.

    Parameters
    ----------
    counts : DataFrame
        Counts of people, one row per unit (or group).
    totals : sequence of (total column, part columns)
        Row identities shown together, ``total = sum(parts)``: a hidden total hides its
        parts; a part hidden alone hides the smallest other part.
    column_totals : bool
        A total row (sum of every column) is shown too: a column with one hidden cell hides
        the smallest other non-zero cell (or, when there is none, the caller must hide the
        total; :func:`suppress_frame` does).

    Examples
    --------
    Unit B's 3 up-moves are hidden, and so are its down-moves (else 9 - 6 gives them back):

    >>> import pandas as pd
    >>> c = pd.DataFrame({"moved": [12, 9], "up": [7, 3], "down": [5, 6]}, index=["A", "B"])
    >>> suppression_mask(c, 5, totals=[("moved", ["up", "down"])])
       moved     up   down
    A  False  False  False
    B  False   True   True
    """
    vals = np.column_stack([pd.to_numeric(counts[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                            for c in counts.columns]) if counts.shape[1] else np.zeros((len(counts), 0))
    hide = (vals > 0) & (vals < min_cell)
    col = {c: i for i, c in enumerate(counts.columns)}
    nonzero = np.nan_to_num(vals, nan=0.0) > 0
    for _ in range(len(counts.columns) + len(counts) + 2):  # until nothing changes
        before = hide.copy()
        for total, parts in totals:
            t, p = col[total], [col[c] for c in parts]
            # a hidden total: the parts would add up to it
            hide[:, p] |= hide[:, [t]] & nonzero[:, p]
            # exactly one hidden part: the total minus the shown parts gives it back
            sub = hide[:, p]
            one = sub.sum(axis=1) == 1
            if one.any():
                cand = np.where(~sub & nonzero[:, p], vals[:, p], np.inf)
                j = np.argmin(cand, axis=1)
                ok = one & np.isfinite(cand[np.arange(len(cand)), j])
                hide[np.flatnonzero(ok), np.asarray(p)[j[ok]]] = True
        if column_totals and len(counts) > 1:
            one = hide.sum(axis=0) == 1
            if one.any():
                cand = np.where(~hide & nonzero, vals, np.inf)
                i = np.argmin(cand, axis=0)
                ok = one & np.isfinite(cand[i, np.arange(cand.shape[1])])
                hide[i[ok], np.flatnonzero(ok)] = True
        if (hide == before).all():
            break
    return pd.DataFrame(hide, index=counts.index, columns=counts.columns)


def suppress_frame(df: pd.DataFrame, count_cols: Sequence[str], *, min_cell: int = 5, lang: str = "id",
                   totals: Sequence[tuple[str, Sequence[str]]] = (), total_row: str | None = None) -> pd.DataFrame:
    """``df`` with its count columns as published: hidden small cells ``"<k"``, cells hidden
    only so that a small one cannot be recomputed ``"×"``, the others whole numbers.

    ``total_row`` names the label of a total row to append (sum of each count column over
    the rows, itself hidden when a column has exactly one hidden cell that no other cell
    covers). The first column of ``df`` holds the row labels.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"unit": ["A", "B", "C"], "moved": [12, 3, 8]})
    >>> suppress_frame(df, ["moved"], lang="en", total_row="Total")
        unit moved
    0      A    12
    1      B    <5
    2      C     ×
    3  Total    23
    """
    counts = df[list(count_cols)]
    mask = suppression_mask(counts, min_cell, totals=totals, column_totals=total_row is not None)
    out = df.copy().astype(object)
    hidden = text("suppressed", lang, k=int(min_cell))
    second = text("suppressed_secondary", lang)
    for c in count_cols:
        v = pd.to_numeric(df[c], errors="coerce")
        out[c] = [("–" if pd.isna(x) else (hidden if 0 < x < min_cell else second) if m else int(x))
                  for x, m in zip(v, mask[c])]
    if total_row is not None:
        row: dict[str, Any] = {df.columns[0]: total_row}
        for c in count_cols:
            v = pd.to_numeric(df[c], errors="coerce")
            s = float(v.sum(min_count=1)) if v.notna().any() else float("nan")
            # one hidden cell left alone in its column: the total would give it back
            lonely = int(mask[c].sum()) == 1
            row[c] = "–" if np.isnan(s) else hidden if (lonely or 0 < s < min_cell) else int(s)
        out = pd.concat([out, pd.DataFrame([row])], ignore_index=True)
    return out


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
    small = pd.Series(_small(df[count_col].to_numpy(object), min_cell), index=df.index)
    out.loc[small, count_col] = text("suppressed", lang, k=min_cell)
    for c in value_cols:
        out.loc[small, c] = "–"
    return out

"""Panel helpers shared by the single-unit estimators: period order and first-treated positions."""
from __future__ import annotations

import numpy as np
import pandas as pd

from evaltools._errors import DataError


def _period_order(col: pd.Series) -> list:
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.dropna().unique())
        return [c for c in col.cat.categories if c in present]
    return sorted(col.dropna().unique())


def _first_treated_pos(ft: pd.Series, periods: list, column: str) -> pd.Series:
    """0-based position of each unit's first treated period; -1 = never treated in the panel.

    Accepts the study contract (ordered Categorical of period labels, NaN = never), plain
    labels, period values (0 / NaN = never, as R ``did``), or 1-based period indices
    (0 = never) when the periods themselves are not numeric (``first_treated_idx``).
    """
    vals = ft.astype(object)
    missing = vals.isna() | vals.map(lambda v: isinstance(v, str) and v.strip() == "")
    out = vals.map({p: i for i, p in enumerate(periods)})
    # labels written differently from the period values (e.g. 2004 vs "2004")
    rest = out.isna() & ~missing
    if rest.any():
        out[rest] = vals[rest].astype(str).map({str(p): i for i, p in enumerate(periods)})
    rest = out.isna() & ~missing
    if rest.any():
        num = pd.to_numeric(vals[rest], errors="coerce")
        never = num == 0
        out[rest[rest].index[never.to_numpy()]] = -1
        num = num[~never]
        if len(num):
            per_num = pd.to_numeric(pd.Series(periods, dtype=object), errors="coerce")
            if per_num.notna().all():
                # period values: first period at or after the value; after the panel = never
                p_arr = per_num.to_numpy(dtype=float)
                idx = np.searchsorted(p_arr, num.to_numpy(dtype=float), side="left")
                out[num.index] = np.where(idx < len(periods), idx, -1)
            else:
                is_int = num.notna() & (num == np.round(num)) & (num >= 1)
                out[num.index[is_int.to_numpy()]] = np.where(num[is_int] <= len(periods), num[is_int] - 1, -1)
    bad = out.isna() & ~missing
    if bad.any():
        u = bad[bad].index[0]
        raise DataError(f"unit {u!r}: first treated period {vals[u]!r} is not one of the periods "
                        f"({', '.join(map(str, periods))})", column=column)
    return out.where(~missing, -1).astype(int)

"""Panel helpers shared by the pilot estimators: integer codes, 0/1 and never-treated columns,
period order and first-treated positions, and the (unit, period) panel that ``did`` and
``randomization_inference`` both start from."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evaltools._errors import DataError, closest, require_columns


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


def _codes(values: Any) -> tuple[np.ndarray, int]:
    """Integer codes 0..L-1 in sorted label order (callers drop or reject missing labels first)."""
    codes, uniques = pd.factorize(pd.Series(values), sort=True)
    return codes.astype(np.int64), len(uniques)


def _binary(series: pd.Series, column: str, what: str) -> np.ndarray:
    """A 0/1 indicator from a bool / 0-1 column; anything else is a DataError naming the column."""
    s = pd.Series(series)
    if s.isna().any():
        raise DataError(f"{what} has {int(s.isna().sum())} missing value(s); it must be 0/1 or True/False",
                        column=column)
    if s.dtype == bool:
        return s.to_numpy().astype(np.float64)
    vals = pd.to_numeric(s, errors="coerce")
    bad = vals.isna() | ~vals.isin([0, 1])
    if bad.any():
        example = s[bad].iloc[0]
        raise DataError(f"{what} must be 0/1 or True/False, found {example!r}", column=column)
    return vals.to_numpy(dtype=np.float64)


def _never_mask(s: pd.Series) -> np.ndarray:
    """Never-treated coding of a first-treated column: missing or 0."""
    s = pd.Series(s)
    num = pd.to_numeric(s.astype(object).where(s.notna(), None), errors="coerce")
    return (s.isna() | (num == 0)).to_numpy()


def _period_positions(values: pd.Series) -> np.ndarray:
    """Position of each period in time order (ordered Categorical order, else sorted labels)."""
    s = pd.Series(values)
    if isinstance(s.dtype, pd.CategoricalDtype) and s.cat.ordered:
        return s.cat.codes.to_numpy().astype(np.float64)
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        codes, _ = pd.factorize(s, sort=True)
        return codes.astype(np.float64)
    codes, _ = pd.factorize(s.astype(str), sort=True)
    return codes.astype(np.float64)


def _prepare_panel(data: pd.DataFrame, outcome: str, unit: str, period: str, treated: str,
                   post: str, cluster: str | None) -> tuple[pd.DataFrame, list[str]]:
    cols = [outcome, unit, period, treated, post] + ([cluster] if cluster else [])
    require_columns(data, cols, what="data")
    d = data[list(dict.fromkeys(cols))].copy()
    notes: list[str] = []
    n0 = len(d)
    d = d[d[outcome].notna()]
    if len(d) < n0:
        notes.append(f"{n0 - len(d)} row(s) with missing '{outcome}' dropped")
    if not pd.api.types.is_numeric_dtype(d[outcome]):
        raise DataError(f"outcome must be numeric, found dtype {d[outcome].dtype}", column=outcome)
    for c in (unit, period) + ((cluster,) if cluster else ()):
        if d[c].isna().any():
            raise DataError(f"{int(d[c].isna().sum())} row(s) have no value", column=c)
    d["_treated"] = _binary(d[treated], treated, "treated")
    d["_post"] = _binary(d[post], post, "post")
    if d.groupby(unit, observed=True)["_treated"].nunique().max() > 1:
        raise DataError("treated must be constant within each unit (the treated group, not the treated "
                        "unit-periods; give the timing in 'post')", column=treated)
    if d.groupby(period, observed=True)["_post"].nunique().max() > 1:
        raise DataError("post must be constant within each period", column=post)
    dup = d.duplicated([unit, period])
    if dup.any():
        notes.append(f"{int(dup.sum())} repeated (unit, period) row(s): several observations per unit-period "
                     "(e.g. individuals within units) are kept as separate observations")
    return d, notes


def _unit_differences(d: pd.DataFrame, outcome: str, unit: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per unit: mean outcome after minus before, treated indicator, and whether both exist."""
    u, U = _codes(d[unit].to_numpy())
    y = d[outcome].to_numpy(dtype=np.float64)
    post = d["_post"].to_numpy()
    n_post = np.bincount(u, weights=post, minlength=U)
    n_pre = np.bincount(u, weights=1 - post, minlength=U)
    s_post = np.bincount(u, weights=y * post, minlength=U)
    s_pre = np.bincount(u, weights=y * (1 - post), minlength=U)
    both = (n_post > 0) & (n_pre > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = s_post / n_post - s_pre / n_pre
    z = np.bincount(u, weights=d["_treated"].to_numpy(), minlength=U) / np.bincount(u, minlength=U)
    return delta, z, both


def _locate(data: pd.DataFrame, *, unit: Any, outcomes: Sequence[str], unit_col: str, period: str,
            first_treated: str, covariates: list[str], size: str | None,
            alpha: float) -> tuple[Any, list, pd.Series, int]:
    """Check the panel for a unit's effect on ``outcomes`` and find the pilot unit: its
    label as stored, the periods in order, every unit's first-treated position and the
    pilot unit's own (``unit_effect``, once for all outcomes in ``unit_effects``)."""
    require_columns(data, [unit_col, period, first_treated, *outcomes, *covariates, *([size] if size else [])],
                    what="panel")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie in (0, 1)")
    for col in [*outcomes, *covariates, *([size] if size else [])]:
        if not pd.api.types.is_numeric_dtype(data[col]):
            raise DataError(f"column must be numeric for unit_effect (dtype {data[col].dtype})", column=col)
    dup = data.duplicated([unit_col, period])
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(f"duplicate ({unit_col}, {period}) rows: one row per unit and period expected "
                        f"(first duplicate: unit {data[unit_col].iloc[row]!r}, period {data[period].iloc[row]!r})",
                        row=row, column=period)

    units_all = pd.unique(data[unit_col])
    if unit not in set(units_all):
        as_str = {str(u): u for u in units_all}
        if str(unit) in as_str:
            unit = as_str[str(unit)]
        else:
            hint = closest(str(unit), as_str)
            raise DataError(f"unit {unit!r} not found" + (f" (did you mean {hint!r}?)" if hint else ""),
                            column=unit_col)

    periods = _period_order(data[period])
    ft_unit = data.groupby(unit_col, sort=False, observed=True)[first_treated]
    if (ft_unit.nunique(dropna=False) > 1).any():
        bad = ft_unit.nunique(dropna=False)
        u = bad[bad > 1].index[0]
        raise DataError(f"first treated period varies within unit {u!r}; it must be constant per unit",
                        column=first_treated)
    ft_pos = _first_treated_pos(ft_unit.first(), periods, first_treated)
    g = int(ft_pos.get(unit, -1))
    if g < 0:
        raise ValueError(f"unit {unit!r} has no first treated period in column '{first_treated}': "
                         "unit_effect needs a pilot unit")
    return unit, periods, ft_pos, g

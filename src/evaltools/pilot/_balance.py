"""Pre-treatment balance between pilot and control units (standardized differences, pre-trends)."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evaltools._errors import DataError, require_columns
from evaltools.pilot._panel import _binary, _codes, _period_positions

__all__ = ["balance_table"]

_SMD_FLAGS = (0.1, 0.25)


def _balance_rows(name: str, x: np.ndarray, z: np.ndarray, binary: bool) -> dict:
    x1, x0 = x[(z == 1) & np.isfinite(x)], x[(z == 0) & np.isfinite(x)]
    row: dict[str, Any] = {"variable": name, "n_treated": len(x1), "n_control": len(x0),
                           "mean_treated": x1.mean() if len(x1) else math.nan,
                           "mean_control": x0.mean() if len(x0) else math.nan}
    note = ""
    if binary:
        # Austin (2009) eq. 2: the binary SMD uses p(1-p) as the variance
        v1 = row["mean_treated"] * (1 - row["mean_treated"])
        v0 = row["mean_control"] * (1 - row["mean_control"])
    else:
        v1 = x1.var(ddof=1) if len(x1) > 1 else math.nan
        v0 = x0.var(ddof=1) if len(x0) > 1 else math.nan
    row["sd_treated"], row["sd_control"] = math.sqrt(v1) if v1 >= 0 else math.nan, math.sqrt(v0) if v0 >= 0 else math.nan
    pooled = math.sqrt((v1 + v0) / 2) if np.isfinite(v1) and np.isfinite(v0) else math.nan
    diff = row["mean_treated"] - row["mean_control"]
    if not len(x1) or not len(x0):
        smd, note = math.nan, "no observations in one arm"
    elif not np.isfinite(pooled):
        smd, note = math.nan, "fewer than 2 units in an arm: no standard deviation"
    elif pooled == 0:
        smd = 0.0 if diff == 0 else math.nan
        note = "constant in both arms" if diff == 0 else "no variation within arms: SMD undefined"
    else:
        smd = diff / pooled
    row["smd"] = smd
    if binary:
        row["variance_ratio"] = math.nan
    elif np.isfinite(v1) and np.isfinite(v0) and v0 > 0:
        row["variance_ratio"] = v1 / v0
    else:
        row["variance_ratio"] = math.nan
    a = abs(smd) if np.isfinite(smd) else math.nan
    row["flag"] = ("" if not np.isfinite(a) else
                   f"|SMD| > {_SMD_FLAGS[1]}" if a > _SMD_FLAGS[1] else
                   f"|SMD| > {_SMD_FLAGS[0]}" if a > _SMD_FLAGS[0] else "ok")
    row["note"] = note
    return row


def balance_table(units_or_panel: pd.DataFrame, *, treated: str, covariates: Sequence[str] = (),
                  unit: str | None = None, period: str | None = None,
                  outcome: str | Sequence[str] | None = None, pre: Any = None) -> pd.DataFrame:
    """Pre-treatment balance between pilot and control units.

    For every covariate: means and standard deviations by arm, the standardized mean
    difference with the pooled-SD denominator of Austin (2009, eqs. 1-2) / Imbens & Rubin
    (2015, eq. 14.2), ``(mean_t - mean_c) / sqrt((s_t^2 + s_c^2) / 2)`` (binary covariates
    use p(1-p) as variance; a categorical covariate gives one 0/1 row per level), and the
    variance ratio s_t^2 / s_c^2 (continuous covariates only; Rubin 2001 and Austin 2009
    regard 0.5-2 as acceptable). ``flag`` marks |SMD| > 0.1 (Austin's threshold) and > 0.25
    (Rubin 2001 / Stuart 2010).

    Given a panel (``unit`` and ``period``) the table is computed over units: covariates are
    averaged over each unit's pre-period rows, and for each outcome two more rows describe the
    pre-period: ``pre_level:<outcome>`` (unit mean before the pilot) and
    ``pre_trend:<outcome>`` (per-unit OLS slope of the outcome on the period index), the
    parallel-trends diagnostics of Roth, Sant'Anna, Bilinski & Poe (2023, section 4).

    Parameters
    ----------
    units_or_panel : DataFrame
        One row per unit, or a long panel (then give ``unit`` and ``period``).
    treated : str
        0/1 (or bool) pilot indicator, constant within unit.
    covariates : sequence of str
        Numeric, boolean or categorical columns.
    unit, period : str, optional
        Panel identifiers.
    outcome : str or sequence of str, optional
        Outcome(s) whose pre-period level and trend are compared (panel only).
    pre : optional
        Which rows are pre-period: a 0/1 / bool column name (1 = before the pilot), a list of
        period labels, or None (all rows: fine for time-invariant covariates; for outcome
        levels and trends give the pre-period).

    Returns
    -------
    DataFrame
        Columns ``variable, mean_treated, mean_control, sd_treated, sd_control, smd,
        variance_ratio, n_treated, n_control, flag, note``.

    References
    ----------
    Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline
    covariates between treatment groups in propensity-score matched samples. *Statistics in
    Medicine*, 28(25), 3083-3107.
    Imbens, G. W., & Rubin, D. B. (2015). *Causal Inference*, ch. 14.
    Stuart, E. A. (2010). Matching methods for causal inference. *Statistical Science*, 25(1).

    Examples
    --------
    Four pilot and four control units. Staff: means 50 and 36.25, variances 83.3 and 25.6,
    SMD = 13.75 / sqrt((83.3 + 25.6) / 2) = 1.86; the urban share (Austin's binary SMD):
    0.5 / sqrt((0.1875 + 0.1875) / 2) = 1.15:

    >>> import pandas as pd
    >>> units = pd.DataFrame({"pilot": [1, 1, 1, 1, 0, 0, 0, 0],
    ...                       "staff": [40, 55, 60, 45, 30, 42, 38, 35],
    ...                       "urban": [1, 1, 0, 1, 0, 1, 0, 0]})
    >>> tab = balance_table(units, treated="pilot", covariates=["staff", "urban"])
    >>> tab[["variable", "mean_treated", "mean_control", "smd", "flag"]].round(2)
      variable  mean_treated  mean_control   smd          flag
    0    staff         50.00         36.25  1.86  |SMD| > 0.25
    1    urban          0.75          0.25  1.15  |SMD| > 0.25
    """
    df = units_or_panel
    outcomes = [outcome] if isinstance(outcome, str) else list(outcome or [])
    covariates = list(covariates)
    panel = unit is not None and period is not None
    pre_col = pre if isinstance(pre, str) else None
    cols = [treated, *covariates, *outcomes] + ([unit, period] if panel else []) + ([pre_col] if pre_col else [])
    if unit is not None and not panel:
        cols.append(unit)
    require_columns(df, cols, what="data")
    if outcomes and not panel:
        raise ValueError("outcome levels and trends need a panel: give unit= and period=")
    d = df.copy()
    z_all = _binary(d[treated], treated, "treated")
    d["_z"] = z_all
    if pre_col is not None:
        mask = _binary(d[pre_col], pre_col, "pre").astype(bool)
    elif pre is not None:
        if not panel:
            raise ValueError("pre= as a list of periods needs period=")
        mask = d[period].isin(list(pre)).to_numpy()
        if not mask.any():
            raise DataError(f"none of the pre periods {list(pre)!r} occurs in the data", column=period)
    else:
        mask = np.ones(len(d), dtype=bool)
    d = d[mask]
    key = unit if unit is not None else None
    if key is not None:
        if d.groupby(key, observed=True)["_z"].nunique().max() > 1:
            raise DataError("treated must be constant within each unit", column=treated)
        codes, n_units = _codes(d[key].to_numpy())
    else:
        codes, n_units = np.arange(len(d)), len(d)
    cnt = np.bincount(codes, minlength=n_units).astype(np.float64)
    z = np.bincount(codes, weights=d["_z"].to_numpy(), minlength=n_units) / cnt

    def unit_mean(x: np.ndarray) -> np.ndarray:
        ok = np.isfinite(x)
        s = np.bincount(codes, weights=np.where(ok, x, 0.0), minlength=n_units)
        c = np.bincount(codes, weights=ok.astype(float), minlength=n_units)
        with np.errstate(invalid="ignore", divide="ignore"):
            return s / c

    rows = []
    for c in covariates:
        s = d[c]
        if pd.api.types.is_bool_dtype(s) or (pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype)):
            x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64)
            vals = np.unique(x[np.isfinite(x)])
            is_binary = len(vals) <= 2 and set(vals.tolist()) <= {0.0, 1.0}
            rows.append(_balance_rows(c, unit_mean(x), z, is_binary))
        else:
            levels = s.cat.categories if isinstance(s.dtype, pd.CategoricalDtype) else sorted(s.dropna().unique(), key=str)
            for lev in levels:  # one indicator per category (a handful of levels)
                x = np.where(s.isna(), np.nan, (s == lev).astype(float)).astype(np.float64)
                rows.append(_balance_rows(f"{c}={lev}", unit_mean(x), z, True))
    if outcomes:
        t = _period_positions(d[period])
        tm = unit_mean(t)
        dt = t - tm[codes]
        sxx = np.bincount(codes, weights=dt * dt, minlength=n_units)
        for o in outcomes:
            y = pd.to_numeric(d[o], errors="coerce").to_numpy(dtype=np.float64)
            lev = unit_mean(y)
            rows.append(_balance_rows(f"pre_level:{o}", lev, z, False))
            ok = np.isfinite(y)
            sxy = np.bincount(codes, weights=np.where(ok, dt * (y - lev[codes]), 0.0), minlength=n_units)
            n_pre = np.bincount(codes, weights=ok.astype(float), minlength=n_units)
            with np.errstate(invalid="ignore", divide="ignore"):
                slope = np.where((n_pre >= 2) & (sxx > 0), sxy / sxx, np.nan)
            row = _balance_rows(f"pre_trend:{o}", slope, z, False)
            if np.isnan(slope).all():
                row["note"] = "fewer than 2 pre-periods per unit: no trend"
            rows.append(row)
            if pre is None:
                for r_ in rows[-2:]:
                    r_["note"] = "; ".join(filter(None, [r_["note"], "pre= not given: all periods used"]))
    cols_out = ["variable", "mean_treated", "mean_control", "sd_treated", "sd_control", "smd",
                "variance_ratio", "n_treated", "n_control", "flag", "note"]
    return pd.DataFrame(rows, columns=cols_out)

"""A test for one pilot unit against a handful of controls that can reject.

A placebo-in-space rank p-value for one treated unit cannot fall below 1 / (N + 1) with N
control units, so with the 5-30 controls of a real pilot it never reaches 0.05 when N < 19.
Here each unit's panel is collapsed to one number, its post-period mean minus its
pre-period mean (Bertrand, Duflo & Mullainathan 2004, sec. IV.C; Donald & Lang 2007,
two-step estimator), and the pilot unit's change is compared with the controls' changes as
a *prediction of one new draw*:

    theta = D_1 - mean(D_c),   se = s_c sqrt(1 + 1/N),   t = theta / se ~ t_{N-1},

with s_c the standard deviation of the N controls' changes. If the unit-level errors
D_i - E D_i are exchangeable normal draws, t has exactly Student's t distribution with
N - 1 degrees of freedom under theta = 0 (the prediction interval of a normal sample).
Conley & Taber (2011) estimate the distribution of the treated unit's error by the
controls' residuals; this is the parametric small-N form of the same idea, and unlike the
rank it can return any p-value. The exact rank p-value is kept beside it (``pval_perm``).

Units of different size (employees or respondents behind an average) have errors of
different variance. With ``size_treated`` / ``size_controls`` the variance is modelled as
Var(D_i) = A + B / M_i (Ferman & Pinto 2019, sec. 3): A and B are fitted by least
squares of the controls' squared residuals on 1 / M_i, the controls' mean is weighted by
1 / (A + B / M_i), and the t reference takes Satterthwaite degrees of freedom for the
estimated variance. In simulation (sizes 20-400, Var = 0.05 + 10 / M) the equal-variance
test rejected a true null 22-28 % of the time at 5 % for a pilot unit of 25 and 1-2 % for
one of 380; the size-corrected test rejected 0.5-4 % in every case (conservative when the
pilot unit's size is extreme).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import optimize, special

from evaltools._notes import note as _note
from evaltools._results import Estimate
from evaltools.pilot._power import _mde_from_se

__all__ = ["unit_did_test", "unit_did_tests"]


def _size_variance(d1: float, dc: np.ndarray, m1: float, mc: np.ndarray) -> tuple[float, float, float, str]:
    """theta, se and Satterthwaite df under Var(D_i) = A + B / M_i (Ferman & Pinto 2019).

    A, B >= 0 are fitted by non-negative least squares of the controls' squared residuals
    (scaled by N / (N - 1)) on (1, 1 / M_i). The controls' mean is weighted by 1 / v_i and
    Var(theta) = g = v_1 + 1 / sum(1 / v_i). g is estimated from N squared residuals, so the
    reference is t with Satterthwaite (1946) df = 2 g^2 / Var(g), Var(g) by the delta method
    with Var(e_i^2) = 2 v_i^2 (normal errors), capped at N - 1.
    """
    N = dc.size
    X = np.column_stack([np.ones(N), 1.0 / mc])
    e2 = (dc - dc.mean()) ** 2 * N / (N - 1)
    coef, _ = optimize.nnls(X, e2)
    v = X @ coef
    if not (v > 0).all():
        return math.nan, math.nan, math.nan, _note("size_no_variance")
    w = 1.0 / v
    mu = float(w @ dc / w.sum())
    x1 = np.array([1.0, 1.0 / m1])
    g = float(x1 @ coef + 1.0 / w.sum())
    grad = x1 + (X * (w ** 2)[:, None]).sum(axis=0) / w.sum() ** 2
    XtXi = np.linalg.pinv(X.T @ X)
    cov = XtXi @ (X.T * (2 * v ** 2)) @ X @ XtXi
    df = float(min(N - 1, max(1.0, 2 * g ** 2 / float(grad @ cov @ grad))))
    note = ""
    if not mc.min() <= m1 <= mc.max():
        note = _note("size_extrapolated")
    return d1 - mu, math.sqrt(g), df, note


def unit_did_test(d_treated: float, d_controls, *, size_treated: float | None = None,
                  size_controls=None, alpha: float = 0.05, power: float = 0.8,
                  permutation: bool = True, mde: bool = True) -> Estimate:
    """Difference-in-differences test of one treated unit against few controls.

    Parameters
    ----------
    d_treated : float
        The pilot unit's post-period mean minus its pre-period mean.
    d_controls : array-like
        The same change for each control unit (N >= 2).
    size_treated, size_controls : float and array-like, optional
        Unit sizes M_i (employees, respondents) for the Ferman & Pinto (2019) variance model
        Var = A + B / M_i. Give both or neither.
    alpha : float
        Two-sided level of the test; the interval has level 1 - alpha.
    power : float
        Target power of the minimum detectable effect ``mde``.
    permutation : bool
        Also compute the exact placebo (permutation) p-value ``pval_perm``.
    mde : bool
        Also compute the minimum detectable effect (a root search on the noncentral t
        power); ``False`` leaves it ``nan`` where nobody reads it.

    Returns
    -------
    Estimate
        ``did_unit_t``: ``value`` = theta, ``se``, ``ci_low``/``ci_high`` (the t interval,
        the inversion of the test: it excludes 0 exactly when ``pval < alpha``), ``pval``;
        extras ``t, df, mde, pval_perm, s_controls, n_controls, method``.

    Notes
    -----
    Assumptions: (i) parallel trends in expectation -- E[D_1] - E[D_c] equals the effect;
    (ii) the unit-level errors are exchangeable across the pilot unit and the controls
    (the pilot unit is not chosen for an unusual trajectory) and independent (no spillover
    of the pilot to the controls, no common shock hitting only some units); (iii) they are
    normal, which makes the t reference exact for any N >= 2 and is a good approximation
    for means of many employees or respondents. Under (i)-(iii), with equal variances,
    (D_1 - mean D_c) / (s_c sqrt(1 + 1/N)) ~ t_{N-1} (Student 1908; the prediction
    interval for one new observation).

    The minimum detectable effect is the smallest |theta| the two-sided t test detects
    with probability ``power`` given this se and df (noncentral t; Bloom 1995); it shrinks
    with more periods (less noise in each D_i) and more controls.

    ``pval_perm`` = (1 + #{j : |D_j - mean(D_-j)| >= |theta|}) / (1 + N), the rank of the
    pilot unit's DiD among the controls' placebo DiDs (Conley & Taber 2011; exact under
    exchangeability, never below 1 / (N + 1)).

    References
    ----------
    Bertrand M, Duflo E, Mullainathan S (2004). Q J Econ 119(1):249-275.
    Donald SG, Lang K (2007). Rev Econ Stat 89(2):221-233.
    Conley TG, Taber CR (2011). Rev Econ Stat 93(1):113-125.
    Ferman B, Pinto C (2019). Rev Econ Stat 101(3):452-467.
    Bloom HS (1995). Evaluation Review 19(5):547-556.

    Examples
    --------
    >>> import numpy as np
    >>> controls = np.array([0.4, -0.3, 0.1, 0.6, -0.2, 0.0, 0.3, -0.5])
    >>> res = unit_did_test(3.0, controls)
    >>> round(res.value, 3), res.df, res.pval < 0.001, round(res.pval_perm, 3)
    (2.95, 7, True, 0.111)
    >>> bool(res.ci_low > 0)
    True
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie in (0, 1)")
    if not 0 < power < 1:
        raise ValueError("power must lie in (0, 1)")
    dc = np.asarray(d_controls, dtype=float).ravel()
    d1 = float(d_treated)
    N = dc.size
    extra = {"t": math.nan, "df": max(N - 1, 0), "mde": math.nan, "pval_perm": math.nan,
             "s_controls": math.nan, "n_controls": N, "method": "did_prediction_t"}
    if N < 2 or not np.isfinite(d1) or not np.isfinite(dc).all():
        return Estimate(name="did_unit_t", value=d1 - dc.mean() if N else math.nan, n_subjects=N,
                        note=_note("few_controls") if N < 2 else _note("missing_changes"),
                        extra=extra)
    notes = []
    if (size_treated is None) != (size_controls is None):
        raise ValueError("give both size_treated and size_controls, or neither")
    extra["s_controls"] = float(dc.std(ddof=1))
    if size_treated is not None:
        mc = np.asarray(size_controls, dtype=float).ravel()
        if mc.shape != dc.shape:
            raise ValueError("size_controls must have one value per control unit")
        if not (np.isfinite(mc).all() and (mc > 0).all() and np.isfinite(size_treated) and size_treated > 0):
            raise ValueError("unit sizes must be positive numbers")
        theta, se, df, why = _size_variance(d1, dc, float(size_treated), mc)
        if why:
            notes.append(why)
        extra["method"] = "did_prediction_t_size"
        extra["df"] = df
        if not np.isfinite(se):
            return Estimate(name="did_unit_t", value=theta, n_subjects=N, note="; ".join(notes), extra=extra)
    else:
        theta = d1 - float(dc.mean())
        se = extra["s_controls"] * math.sqrt(1 + 1 / N)
        df = N - 1
    if permutation:
        # placebo DiD of control j: its change against the mean change of the other controls
        pl = dc - (dc.sum() - dc) / (N - 1)
        extra["pval_perm"] = float((1 + np.sum(np.abs(pl) >= abs(d1 - dc.mean()) - 1e-12 * (1 + abs(d1))))
                                   / (1 + N))
    if not se > 1e-12 * max(1.0, abs(d1), float(np.abs(dc).max())):
        notes.append(_note("controls_constant"))
        return Estimate(name="did_unit_t", value=theta, n_subjects=N, note="; ".join(notes), extra=extra)
    t = theta / se
    q = float(special.stdtrit(df, 1 - alpha / 2))
    extra["t"] = t
    if mde:
        extra["mde"] = float(_mde_from_se(np.array([se]), alpha, power, df, "t")[0])
    return Estimate(name="did_unit_t", value=theta, se=se, ci_low=theta - q * se, ci_high=theta + q * se,
                    pval=float(2 * special.stdtr(df, -abs(t))), n_subjects=N, note="; ".join(notes), extra=extra)


def _wave_rows(pilots: list, d1: np.ndarray, dc: np.ndarray, first: Any, *, alpha: float,
               power: float) -> list[dict[str, Any]]:
    """The rows of one wave: its pilot units share the controls, so the standard error,
    df, MDE and note are those of one :func:`unit_did_test` and only theta, t, p and the
    placebo rank differ (computed for all pilot units at once, with the same arithmetic)."""
    def row(u, est):
        return {"unit": u, "first_treated": first, "effect": est.value, "se": est.se, "ci_low": est.ci_low,
                "ci_high": est.ci_high, "pval": est.pval, "df": est.df, "pval_perm": est.pval_perm,
                "mde": est.mde, "n_controls": dc.size, "note": est.note}

    ok = np.isfinite(d1)
    if not ok.any():
        return [row(u, unit_did_test(d, dc, alpha=alpha, power=power)) for u, d in zip(pilots, d1)]
    ref = unit_did_test(float(d1[ok][0]), dc, alpha=alpha, power=power)
    if not np.isfinite(ref.se):       # too few or constant controls: every unit says so on its own
        return [row(u, unit_did_test(d, dc, alpha=alpha, power=power)) for u, d in zip(pilots, d1)]
    N, se, df = dc.size, float(ref.se), ref.df
    theta = d1 - float(dc.mean())
    t = theta / se
    q = float(special.stdtrit(df, 1 - alpha / 2))
    pval = 2 * special.stdtr(df, -np.abs(t))
    pl = np.sort(np.abs(dc - (dc.sum() - dc) / (N - 1)))
    perm = (1 + N - np.searchsorted(pl, np.abs(d1 - dc.mean()) - 1e-12 * (1 + np.abs(d1)), side="left")) / (1 + N)
    out = []
    for k, u in enumerate(pilots):    # one dict per pilot unit of the wave (the result's rows)
        if not ok[k]:
            out.append(row(u, unit_did_test(d1[k], dc, alpha=alpha, power=power)))
            continue
        out.append({"unit": u, "first_treated": first, "effect": float(theta[k]), "se": se,
                    "ci_low": float(theta[k] - q * se), "ci_high": float(theta[k] + q * se), "pval": float(pval[k]),
                    "df": df, "pval_perm": float(perm[k]), "mde": ref.mde, "n_controls": N, "note": ref.note})
    return out


def _pretrend_test(y: np.ndarray, Yd: np.ndarray, pre_rows: np.ndarray, post_rows: np.ndarray, *, alpha: float,
                   power: float) -> Estimate:
    """The unit's pre-period slope minus the controls', and the DiD net of each unit's trend.

    ``y`` is the pilot unit's outcome by period, ``Yd`` the controls' (periods x controls),
    ``pre_rows`` / ``post_rows`` the positions of the observed pre- and post-periods (the
    period positions are the time axis).

    b_i = sum_t (t - tbar) y_it / sum_t (t - tbar)^2 over the unit's observed pre-periods t
    (the least-squares slope, one pass for all units); :func:`unit_did_test` compares the
    unit's b with the controls' b as it compares post-minus-pre changes. Without a
    differential trend the statistic is t_{N-1} under the DiD test's own assumptions, so the
    test has its nominal size; a unit already moving away from its controls before the pilot
    has a small p-value. The trend-adjusted DiD is the same test on each unit's change net of
    its own trend carried forward, D_i - b_i (mean post t - mean pre t): the difference in
    differences with unit-specific linear trends (Angrist & Pischke 2009, sec. 5.2), in
    ``extra`` as ``adjusted_effect, adjusted_se, adjusted_df, adjusted_ci_low,
    adjusted_ci_high, adjusted_pval``.
    """
    if len(pre_rows) < 2:
        return Estimate(name="pretrend_slope", note=_note("one_pre_period"), extra={"n_pre": len(pre_rows)})
    tc = pre_rows.astype(float) - pre_rows.mean()
    sxx = float(tc @ tc)
    b1, bd = float(tc @ y[pre_rows]) / sxx, (tc @ Yd[pre_rows]) / sxx
    test = unit_did_test(b1, bd, alpha=alpha, power=power, mde=False)
    # each unit's post-minus-pre change less its own pre-period trend carried over the gap
    span = float(post_rows.mean() - pre_rows.mean())
    adj = unit_did_test(float(np.mean(y[post_rows]) - np.mean(y[pre_rows])) - b1 * span,
                        Yd[post_rows].mean(axis=0) - Yd[pre_rows].mean(axis=0) - bd * span,
                        alpha=alpha, power=power, permutation=False, mde=False)
    return Estimate(name="pretrend_slope", value=test.value, se=test.se, ci_low=test.ci_low, ci_high=test.ci_high,
                    pval=test.pval, n_subjects=int(Yd.shape[1]), note=test.note,
                    extra={"df": test.extra["df"], "pval_perm": test.extra["pval_perm"], "n_pre": len(pre_rows),
                           "adjusted_effect": adj.value, "adjusted_se": adj.se, "adjusted_df": adj.extra["df"],
                           "adjusted_ci_low": adj.ci_low, "adjusted_ci_high": adj.ci_high,
                           "adjusted_pval": adj.pval})


def unit_did_tests(data, *, outcome: str, unit_col: str = "unit", period: str = "period",
                   first_treated: str = "first_treated", alpha: float = 0.05, power: float = 0.8):
    """:func:`unit_did_test` for every pilot unit of a panel in one pass (the headline of
    :func:`evaltools.pilot.unit_effect` without its synthetic control).

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per (unit, period), as for ``unit_effect``.
    outcome, unit_col, period, first_treated : str
        Column names (``first_treated`` as for ``unit_effect``).
    alpha, power : float
        Level of the tests and target power of ``mde``.

    Returns
    -------
    DataFrame
        One row per pilot unit: ``unit, first_treated, effect, se, ci_low, ci_high, pval, df,
        pval_perm, mde, n_controls, note``.

    Notes
    -----
    Controls are the never-treated units observed in every period (the donors of
    ``unit_effect`` over the whole post window); pilot units sharing a first period share
    their controls' changes, so one pass per wave computes them, and each unit's test is
    the closed form of :func:`unit_did_test`. Results equal ``unit_effect`` field by field.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> Y = rng.normal(size=(6, 10)) + np.arange(6)[:, None]
    >>> Y[3:, :2] += 5.0                           # units 0 and 1 start in period 3
    >>> df = pd.DataFrame({"unit": np.repeat(np.arange(10), 6), "period": np.tile(np.arange(2001, 2007), 10),
    ...                    "first_treated": np.repeat([2004, 2004] + [0] * 8, 6), "y": Y.T.ravel()})
    >>> out = unit_did_tests(df, outcome="y")
    >>> out[["unit", "n_controls"]].values.tolist(), bool((out["pval"] < 0.05).all())
    ([[0, 8], [1, 8]], True)
    """
    import pandas as pd

    from evaltools._errors import require_columns
    from evaltools.pilot._panel import _first_treated_pos, _period_order

    require_columns(data, [unit_col, period, first_treated, outcome], what="panel")
    periods = _period_order(data[period])
    ft = _first_treated_pos(data.groupby(unit_col, sort=False, observed=True)[first_treated].first(),
                            periods, first_treated)
    Y = data.pivot(index=period, columns=unit_col, values=outcome).reindex(index=periods).astype(float)
    never = [u for u in Y.columns if ft.get(u, -1) < 0 and not Y[u].isna().any()]
    Yc = Y[never].to_numpy()
    rows = []
    for g in sorted({int(v) for v in ft if v >= 0}):   # one pass per wave
        pilots = [u for u in Y.columns if ft.get(u, -1) == g]
        if g == 0:
            rows += [{"unit": u, "first_treated": periods[g], "n_controls": len(never),
                      "note": _note("treated_first")} for u in pilots]
            continue
        dc = Yc[g:].mean(axis=0) - Yc[:g].mean(axis=0)
        Yp = Y[pilots].to_numpy()
        with warnings.catch_warnings():   # a unit unobserved before (or after) its start: nan, its test says why
            warnings.simplefilter("ignore", RuntimeWarning)
            d1 = np.nanmean(Yp[g:], axis=0) - np.nanmean(Yp[:g], axis=0)
        rows += _wave_rows(pilots, d1, dc, periods[g], alpha=alpha, power=power)
    cols = ["unit", "first_treated", "effect", "se", "ci_low", "ci_high", "pval", "df", "pval_perm", "mde",
            "n_controls", "note"]
    return pd.DataFrame(rows).reindex(columns=cols)

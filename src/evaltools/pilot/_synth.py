"""The effect for one pilot unit: a 2x2 DiD with a test for few controls, and a synthetic control.

A unit report asks "did *this* unit improve, compared with units that had not started?".
The headline is the difference-in-differences of the unit against the control pool, tested
by :func:`evaltools.pilot.unit_did_test` (a prediction t test that can reject with 5-30
controls; its interval is the inverted test). The synthetic control method (Abadie,
Diamond & Hainmueller 2010) builds a weighted comparison whose pre-pilot path matches the
unit's and is reported beside it, with inference from refitting with each donor in the pilot
unit's place (placebo in space).

Why DiD is the headline: on simulated panels of 4-12 periods and 8-15 controls (two-way
fixed effects, a two-factor model, unit-specific trends; ``benchmarks/results_pilot_inference.md``)
the DiD prediction t test kept its 5 % size in every design, while a t test on the
synthetic-control gap over-rejected (up to 8 %) and had half the power: with few
pre-periods the synthetic control fits noise, and its gap is noisier than the DiD.

The weight problem, min ||A w - b||^2 over the simplex {w >= 0, sum w = 1}, is solved
exactly as a non-negative least squares problem (see :func:`_simplex_ls`), so a placebo
refit costs one Lawson-Hanson NNLS call (well under a millisecond for 200 donors).
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evaltools._errors import DataError
from evaltools._notes import note as _note
from evaltools._results import Estimate
from evaltools.pilot._inference import _pretrend_test, unit_did_test
from evaltools.pilot._panel import _locate

__all__ = ["unit_effect", "UnitEffect"]


# ---------------------------------------------------------------------------------------
# the weight problem
# ---------------------------------------------------------------------------------------

def _simplex_ls(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """argmin_w ||A w - b||^2 subject to w >= 0, sum(w) = 1.

    On the simplex A w - b = C w with C = A - b 1', so the problem is the minimum-norm point
    of the convex hull of C's columns. It equals the NNLS problem
        u* = argmin_{u >= 0} ||C u||^2 + (1'u - 1)^2,   w* = u* / 1'u*:
    writing u = t w with w on the simplex, the inner minimum over t is
    ||Cw||^2 / (1 + ||Cw||^2), increasing in ||Cw||^2, so both problems share the minimizer
    (Wolfe 1976's minimum-norm-point reduction). scipy's NNLS (Lawson & Hanson 1974) solves
    it exactly on its active set. C is rescaled first; the argmin does not depend on scale.
    """
    C = A - b[:, None]
    scale = np.max(np.abs(C))
    if not np.isfinite(scale) or scale == 0:
        return np.full(A.shape[1], 1.0 / A.shape[1])
    M = np.vstack([C / scale, np.ones((1, A.shape[1]))])
    rhs = np.zeros(M.shape[0])
    rhs[-1] = 1.0
    u, _ = optimize.nnls(M, rhs, maxiter=50 * M.shape[1])
    s = u.sum()
    if s <= 0:
        return np.full(A.shape[1], 1.0 / A.shape[1])
    return u / s


def _weights_v(P0: np.ndarray, p1: np.ndarray, v: np.ndarray) -> np.ndarray:
    sv = np.sqrt(v)[:, None]
    return _simplex_ls(sv * P0, (sv[:, 0] * p1))


def _choose_v(P0, p1, Y0pre, y1pre, seed_starts: int = 3) -> np.ndarray:
    """Predictor weights V (diagonal, on the simplex) minimizing the pre-period outcome MSPE
    of the resulting synthetic control (Abadie & Gardeazabal 2003; ADH 2010)."""
    k = P0.shape[0]
    if k == 1:
        return np.ones(1)

    def loss(theta):
        v = np.exp(theta - theta.max())
        v /= v.sum()
        w = _weights_v(P0, p1, v)
        return float(np.mean((Y0pre @ w - y1pre) ** 2))

    starts = [np.zeros(k)] + [np.eye(k)[i] * 3.0 for i in range(min(k, seed_starts))]
    best = None
    for th0 in starts:
        res = optimize.minimize(loss, th0, method="Nelder-Mead",
                                options={"maxiter": 400 * k, "xatol": 1e-6, "fatol": 1e-12})
        if best is None or res.fun < best.fun:
            best = res
    th = best.x
    v = np.exp(th - th.max())
    return v / v.sum()


# ---------------------------------------------------------------------------------------
# result object
# ---------------------------------------------------------------------------------------

@dataclasses.dataclass
class UnitEffect:
    """2x2 DiD (the headline) and synthetic-control effect for one pilot unit.

    ``effect, se, ci_low, ci_high, pval, df, mde, pval_perm, method`` read the headline
    ``did`` estimate; ``pre_rmspe, post_rmspe, rmspe_ratio`` the synthetic control.

    Attributes
    ----------
    unit, outcome : str
        The pilot unit and the outcome column.
    synth : Estimate
        ``synthetic_control``: value = average post-period gap (treated - synthetic),
        pval = placebo-in-space rank p-value of the post/pre RMSPE ratio, ci = placebo
        interval; extras ``pre_rmspe, post_rmspe, rmspe_ratio, pval_gap, n_pre, n_post,
        n_donors, top_donors`` (``pval_gap`` ranks |average post gap| among the placebos).
    did : Estimate
        ``did_2x2``: mean post-pre change of the unit minus that of the donor pool, tested by
        :func:`unit_did_test` (``se``, t interval, ``pval``; extras ``t, df, mde, pval_perm,
        s_controls, method``) and the Conley & Taber (2011) placebo interval kept as
        ``perm_ci_low, perm_ci_high``.
    weights : DataFrame
        ``unit, weight`` of every donor, largest first.
    gaps : DataFrame
        ``period, treated, synthetic, gap, post``: the per-period path (for the plot).
    placebos : DataFrame
        ``unit, pre_rmspe, post_rmspe, rmspe_ratio, effect, did`` per placebo refit.
    placebo_gaps : DataFrame
        Gap paths of the placebo refits (rows periods, columns donor units).
    predictor_weights : Series or None
        The V weights when ``covariates`` were given.
    note : str
        Warnings (poor pre-fit, few donors, dropped rows) and why a value is nan.
    did_path : DataFrame
        ``period, treated, controls, gap, ci_low, ci_high, post``: the unit minus the mean
        of the controls per period, centred on its pre-period mean (the DiD per period), with
        the per-period prediction band of the same t test (``1 - alpha``).
    pretrend : Estimate
        ``pretrend_slope``: the unit's linear trend over its observed pre-periods minus the
        controls' (outcome units per period), tested as the DiD is: :func:`unit_did_test`
        of the unit's least-squares slope against each control's own slope (a placebo test
        of parallel trends before the pilot; Angrist & Pischke 2009, sec. 5.2), with the DiD
        net of each unit's own trend in ``extra`` (``adjusted_effect``, ``adjusted_ci_low``,
        ...). ``nan`` with a note below two observed pre-periods.

    Examples
    --------
    One pilot unit (from 2004 on, 4 points higher) against 8 never-treated controls:

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> Y = 70 + rng.normal(size=(6, 9)) + np.arange(6)[:, None]
    >>> Y[3:, 0] += 4.0
    >>> df = pd.DataFrame({"unit": np.repeat([f"U{i}" for i in range(9)], 6),
    ...                    "period": np.tile(np.arange(2001, 2007), 9),
    ...                    "first_treated": np.repeat([2004] + [0] * 8, 6), "ikm": Y.T.ravel()})
    >>> ue = unit_effect(df, unit="U0", outcome="ikm")
    >>> round(ue.effect, 2), round(ue.ci_low, 2), round(ue.ci_high, 2), ue.method, ue.n_donors
    (3.66, 1.15, 6.17, 'did_prediction_t', 8)
    >>> ue.to_frame()["pval"].round(3).to_dict()   # the headline DiD test and the synthetic control
    {'synthetic_control': 0.222, 'did_2x2': 0.011}
    >>> ue.weights.round(2).head(3)
      unit  weight
    0   U1    0.49
    1   U2    0.26
    2   U6    0.24
    """

    unit: Any
    outcome: str
    synth: Estimate
    did: Estimate
    weights: pd.DataFrame
    gaps: pd.DataFrame
    placebos: pd.DataFrame
    placebo_gaps: pd.DataFrame
    predictor_weights: pd.Series | None = None
    note: str = ""
    did_path: pd.DataFrame | None = None
    pretrend: Estimate | None = None

    # the headline numbers read like attributes
    @property
    def effect(self) -> float:
        return self.did.value

    @property
    def se(self) -> float:
        return self.did.se

    @property
    def pval(self) -> float:
        return self.did.pval

    @property
    def ci_low(self) -> float:
        return self.did.ci_low

    @property
    def ci_high(self) -> float:
        return self.did.ci_high

    @property
    def df(self) -> float:
        return self.did.extra.get("df", math.nan)

    @property
    def mde(self) -> float:
        return self.did.extra.get("mde", math.nan)

    @property
    def pval_perm(self) -> float:
        return self.did.extra.get("pval_perm", math.nan)

    @property
    def method(self) -> str:
        return self.did.extra.get("method", "did_prediction_t")

    @property
    def pre_rmspe(self) -> float:
        return self.synth.extra["pre_rmspe"]

    @property
    def post_rmspe(self) -> float:
        return self.synth.extra["post_rmspe"]

    @property
    def rmspe_ratio(self) -> float:
        return self.synth.extra["rmspe_ratio"]

    @property
    def n_donors(self) -> int:
        return self.synth.n_subjects

    def to_frame(self) -> pd.DataFrame:
        """Two rows (``synthetic_control``, ``did_2x2``) with the Estimate columns."""
        return pd.concat([self.synth.to_frame(), self.did.to_frame()])

    def __str__(self) -> str:
        return f"unit_effect for unit {self.unit!r}, outcome {self.outcome!r}\n{self.synth}\n{self.did}"

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()


# ---------------------------------------------------------------------------------------
# input handling
# ---------------------------------------------------------------------------------------

def _nan_estimate(name, note, **extra) -> Estimate:
    return Estimate(name=name, note=note, extra=extra)


# ---------------------------------------------------------------------------------------
# main entry point
# ---------------------------------------------------------------------------------------

def unit_effect(data: pd.DataFrame, *, unit, outcome: str, unit_col: str = "unit",
                period: str = "period", first_treated: str = "first_treated",
                covariates: Sequence[str] | None = None, placebo: bool = True,
                alpha: float = 0.05, post_periods: int | None = None,
                poor_fit: float = 0.5, n_top: int = 5, size: str | None = None,
                power: float = 0.8) -> UnitEffect:
    """Effect of the pilot on one unit: a 2x2 DiD tested for few controls, and a synthetic control.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per (unit, period), e.g. ``study.panel()``.
    unit : str
        The pilot unit (a value of ``unit_col``).
    outcome : str
        Outcome column.
    unit_col, period, first_treated : str
        Column names. ``first_treated`` holds the unit's first pilot period (ordered
        Categorical of periods, label, period value or 1-based index; NaN/0 = never).
    covariates : list of str, optional
        Predictors averaged over the pre-period, matched together with the pre-period mean
        outcome using data-driven predictor weights V (ADH 2010). Without them
        the weights fit every pre-period outcome with equal weight.
    placebo : bool
        Refit the synthetic control with each donor as the treated unit (placebo in space)
        for its p-value and interval. The DiD test needs no refits.
    alpha : float
        Two-sided level of the tests; intervals have level 1 - alpha.
    post_periods : int, optional
        Number of post periods to evaluate (default: all from the unit's first period on).
        Shorter windows admit units treated later as not-yet-treated donors.
    poor_fit : float
        Note a poor pre-period fit when pre-RMSPE exceeds this multiple of the outcome's SD
        over all units and pre-periods (rule of thumb; Abadie 2021 advises against
        synthetic controls that do not track the pre-period path).
    n_top : int
        Number of top donors named in ``top_donors``.
    size : str, optional
        Column with each unit's size (employees, survey respondents; its mean per unit is
        used): the DiD test then models the variance of a unit's change as A + B / size
        (Ferman & Pinto 2019).
    power : float
        Target power of the minimum detectable effect ``mde``.

    Returns
    -------
    UnitEffect

    Notes
    -----
    The headline (``effect``, ``pval``, ``ci_low``/``ci_high``, ``mde``) is the 2x2 DiD of
    the unit against the donor pool, each unit collapsed to its post-period mean minus its
    pre-period mean, tested by :func:`evaltools.pilot.unit_did_test` (t with N - 1 degrees
    of freedom for N donors). It assumes parallel trends in expectation, unit-level errors
    exchangeable between the pilot unit and its donors (the unit is not picked for an
    unusual path), approximately normal, and no spillover of the pilot onto the donors.
    The interval inverts the same test, so it excludes 0 exactly when ``pval < alpha``.
    ``pval_perm`` is the exact placebo rank p-value of the same DiD, which cannot fall below
    1 / (N + 1). When the pre-period paths of unit and donors are not parallel, read the
    synthetic control (``synth``), which matches the unit's pre-period path instead.

    Donors are units never treated, or first treated after the last evaluated post period,
    so they are untreated throughout the unit's post window. Weights W minimize
    (X1 - X0 W)' V (X1 - X0 W) over the simplex (ADH 2010).

    Pre-RMSPE = sqrt(mean pre-period gap^2). The unit's post/pre RMSPE ratio is ranked among
    the placebo ratios, p = (1 + #{j: r_j >= r_unit}) / (1 + J) (ADH 2010, sec. 2.3, and
    their post/pre MSPE ratio test; Abadie 2021, on inference).

    The interval for the average gap inverts the placebo distribution of average gaps under
    a constant effect: [effect - e_(J+1-k), effect - e_(k)] with e_(k) the order statistics
    of the J placebo gaps and k = floor(alpha (J + 1) / 2) (Conley & Taber 2011), exact
    under exchangeability of the unit with its donors. With fewer than 2/alpha - 1 donors
    it spans the placebo range and a note says it under-covers. ``pval_gap`` is the
    matching rank p-value of |effect|.

    With many donors and few pre-periods most placebo units are interpolated exactly
    (pre-RMSPE 0, ratio infinite) and the ratio test loses its power; a note says so.
    With covariates, V is chosen for the pilot unit and held fixed in the placebo refits
    (for speed).

    References
    ----------
    Abadie A, Diamond A, Hainmueller J (2010). JASA 105(490):493-505.
    Abadie A (2021). J Econ Lit 59(2):391-425.
    Abadie A, Gardeazabal J (2003). Am Econ Rev 93(1):113-132.
    Conley TG, Taber CR (2011). Rev Econ Stat 93(1):113-125.
    Ferman B, Pinto C (2019). Rev Econ Stat 101(3):452-467.

    Examples
    --------
    One pilot unit (from period 3 on, 4 points higher) against 8 controls:

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> Y = 70 + rng.normal(size=(6, 9)) + np.arange(6)[:, None]
    >>> Y[3:, 0] += 4.0
    >>> df = pd.DataFrame({"unit": np.repeat([f"U{i}" for i in range(9)], 6),
    ...                    "period": np.tile(np.arange(2001, 2007), 9),
    ...                    "first_treated": np.repeat([2004] + [0] * 8, 6), "ikm": Y.T.ravel()})
    >>> ue = unit_effect(df, unit="U0", outcome="ikm")
    >>> bool(ue.pval < 0.05), bool(ue.ci_low > 0), round(ue.pval_perm, 3), ue.df
    (True, True, 0.111, 7)
    """
    covariates = list(covariates or [])
    located = _locate(data, unit=unit, outcomes=[outcome], unit_col=unit_col, period=period,
                      first_treated=first_treated, covariates=covariates, size=size, alpha=alpha)
    return _unit_effect(data, located, outcome=outcome, unit_col=unit_col, period=period, covariates=covariates,
                        placebo=placebo, alpha=alpha, post_periods=post_periods, poor_fit=poor_fit, n_top=n_top,
                        size=size, power=power)


def unit_effects(data: pd.DataFrame, *, unit, outcomes: Sequence[str], unit_col: str = "unit",
                 period: str = "period", first_treated: str = "first_treated", covariates: Sequence[str] | None = None,
                 **kw: Any) -> dict[str, UnitEffect]:
    """:func:`unit_effect` of one unit on each of ``outcomes`` (the same keywords), the panel
    checked and the unit located once for all of them.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"unit": np.repeat([f"U{i}" for i in range(9)], 6),
    ...                    "period": np.tile(np.arange(2001, 2007), 9),
    ...                    "first_treated": np.repeat([2004] + [0] * 8, 6),
    ...                    "ikm": rng.normal(70, 1, 54), "days": rng.normal(5, 1, 54)})
    >>> out = unit_effects(df, unit="U0", outcomes=["ikm", "days"])
    >>> list(out), out["ikm"].effect == unit_effect(df, unit="U0", outcome="ikm").effect
    (['ikm', 'days'], True)
    """
    covariates = list(covariates or [])
    located = _locate(data, unit=unit, outcomes=list(outcomes), unit_col=unit_col, period=period,
                      first_treated=first_treated, covariates=covariates, size=kw.get("size"),
                      alpha=kw.get("alpha", 0.05))
    outcomes = list(outcomes)
    wide = (data.pivot(index=period, columns=unit_col, values=outcomes).reindex(index=located[1]).astype(float)
            if outcomes else None)   # every outcome by period x unit on the located periods, once
    return {oc: _unit_effect(data, located, outcome=oc, unit_col=unit_col, period=period, covariates=covariates,
                             Y=wide[oc], **kw) for oc in outcomes}


def _unit_effect(data: pd.DataFrame, located: tuple, *, outcome: str, unit_col: str, period: str,
                 covariates: list[str], placebo: bool = True, alpha: float = 0.05, post_periods: int | None = None,
                 poor_fit: float = 0.5, n_top: int = 5, size: str | None = None, power: float = 0.8,
                 Y: pd.DataFrame | None = None) -> UnitEffect:
    unit, periods, ft_pos, g = located
    # Y: the outcome by period x unit (unit_effects pivots all outcomes at once)
    if Y is None:   # (unit_effects passes it on the located periods already)
        Y = data.pivot(index=period, columns=unit_col, values=outcome).reindex(index=periods).astype(float)
    notes: list[str] = []
    empty = _empty_result(unit, outcome)

    if g == 0:
        return empty(_note("no_pre_period", unit=unit, period=periods[0]))
    if post_periods is not None and post_periods < 1:
        raise ValueError("post_periods must be >= 1")
    last_post = len(periods) - 1 if post_periods is None else min(len(periods) - 1, g + int(post_periods) - 1)
    pre_idx = np.arange(0, g)
    post_idx = np.arange(g, last_post + 1)
    used = np.r_[pre_idx, post_idx]

    donors = [u for u in Y.columns if u != unit and (ft_pos.get(u, -1) < 0 or ft_pos.get(u, -1) > last_post)]
    Ym = Y.to_numpy()
    y = Ym[used, Y.columns.get_loc(unit)]
    Yd = Ym[np.ix_(used, Y.columns.get_indexer(donors))] if donors else np.empty((len(used), 0))
    complete = ~np.isnan(Yd).any(axis=0)
    if (~complete).any():
        notes.append(_note("donors_missing", n=int((~complete).sum()), outcome=outcome))
        donors = [d for d, ok in zip(donors, complete) if ok]
        Yd = Yd[:, complete]
    J = len(donors)
    if J == 0:
        return empty(_note("no_donors"))

    # the unit's own missing periods: unfit pre-periods, unreported post-periods
    pre_ok = ~np.isnan(y[: len(pre_idx)])
    post_ok = ~np.isnan(y[len(pre_idx):])
    if (~pre_ok).any() or (~post_ok).any():
        notes.append(_note("unit_missing", unit=unit, outcome=outcome, n=int((~pre_ok).sum() + (~post_ok).sum())))
    if not pre_ok.any():
        return empty(_note("no_pre_outcome", unit=unit, outcome=outcome))
    if not post_ok.any():
        return empty(_note("no_post_outcome", unit=unit, outcome=outcome))
    n_pre = len(pre_idx)
    pre_rows = np.flatnonzero(pre_ok)
    post_rows = n_pre + np.flatnonzero(post_ok)

    all_vals = np.c_[y, Yd]
    if np.nanmax(all_vals) - np.nanmin(all_vals) == 0:
        return empty(_note("constant_outcome", outcome=outcome))

    # ---- predictors and weights ---------------------------------------------------
    V = None
    if covariates:
        P, cov_names = _predictor_matrix(data, unit_col=unit_col, period=period, covariates=covariates,
                                         pre_periods=[periods[i] for i in pre_idx], members=[unit, *donors],
                                         outcome=outcome, y_pre=y[pre_rows], Yd_pre=Yd[pre_rows])
        sd = P.std(axis=1)
        keep = sd > 0
        if (~keep).any():
            notes.append(_note("constant_predictors", names=", ".join(n for n, k in zip(cov_names, keep) if not k)))
        P = P[keep] / sd[keep, None]
        cov_names = [n for n, k in zip(cov_names, keep) if k]
        if not keep.any():
            covariates = []   # nothing to match on but the outcome path itself
    if covariates:
        p1, P0 = P[:, 0], P[:, 1:]
        v = _choose_v(P0, p1, Yd[pre_rows], y[pre_rows])
        V = pd.Series(v, index=cov_names, name="v")
        w = _weights_v(P0, p1, v)
    else:
        w = _simplex_ls(Yd[pre_rows], y[pre_rows])

    synth_path = Yd @ w
    gap = y - synth_path
    pre_rmspe = float(np.sqrt(np.mean(gap[pre_rows] ** 2)))
    post_rmspe = float(np.sqrt(np.mean(gap[post_rows] ** 2)))
    effect = float(np.mean(gap[post_rows]))
    # a pre-fit at rounding level is an exact fit: its ratio is infinite, not 1e15 of noise
    tol = 1e-9 * max(1.0, float(np.nanmax(np.abs(all_vals))))
    ratio = _ratio(post_rmspe, pre_rmspe, tol)

    # the outcome's SD over all units and pre-periods: the scale a pre-fit is judged on
    pre_vals = np.r_[y[pre_rows], Yd[pre_rows].ravel()]
    sd_pre = float(np.std(pre_vals, ddof=1)) if pre_vals.size > 1 else math.nan
    if np.isfinite(sd_pre) and sd_pre > 0 and pre_rmspe > poor_fit * sd_pre:
        notes.append(_note("poor_prefit", rmspe=pre_rmspe, factor=poor_fit, outcome=outcome, sd=sd_pre))
    if len(pre_rows) < 2:
        notes.append(_note("one_pre_period"))

    # ---- 2x2 DiD against the pool --------------------------------------------------
    d_unit = np.nanmean(y[post_rows]) - np.nanmean(y[pre_rows])
    d_donor = Yd[post_rows].mean(axis=0) - Yd[pre_rows].mean(axis=0)
    sizes = _unit_sizes(data, unit_col=unit_col, size=size, members=[unit, *donors]) if size else None
    test = unit_did_test(d_unit, d_donor, size_treated=None if sizes is None else sizes[0],
                         size_controls=None if sizes is None else sizes[1:], alpha=alpha, power=power)
    if test.note:
        notes.append(test.note)
    did = float(test.value)
    used_periods = [periods[i] for i in used]
    did_path = _did_path(y, Yd, pre_rows, post_rows, n_pre, alpha, periods=used_periods)
    pretrend = _pretrend_test(y, Yd, pre_rows, post_rows, alpha=alpha, power=power)

    # ---- placebo in space -----------------------------------------------------------
    gaps_pl = np.full((len(used), J), np.nan)
    pl_pre = np.full(J, np.nan)
    pl_post = np.full(J, np.nan)
    if placebo and J >= 2:
        gaps_pl = _placebo_gaps(Yd, Yd[pre_rows] if not covariates else np.sqrt(v)[:, None] * P0)
        pl_pre = np.sqrt(np.mean(gaps_pl[pre_rows] ** 2, axis=0))
        pl_post = np.sqrt(np.mean(gaps_pl[post_rows] ** 2, axis=0))
    elif placebo:
        notes.append(_note("one_donor"))
    # placebo DiD: donor j against the mean change of the other donors
    did_pl = d_donor - (d_donor.sum() - d_donor) / (J - 1) if J >= 2 else np.full(J, np.nan)
    pl_ratio = np.array([_ratio(a, b, tol) for a, b in zip(pl_post, pl_pre)])
    pl_effect = gaps_pl[post_rows].mean(axis=0)

    pval = pval_gap = ci_lo = ci_hi = math.nan
    perm_lo = perm_hi = math.nan
    valid = ~np.isnan(pl_ratio)
    if placebo and valid.any() and not math.isnan(ratio):
        pval = float((1 + np.sum(pl_ratio[valid] >= ratio)) / (1 + valid.sum()))
        n_exact = int(np.isinf(pl_ratio).sum())
        if n_exact > valid.sum() / 4:
            notes.append(_note("exact_fit", k=n_exact, n=int(valid.sum())))
    eff_ok = ~np.isnan(pl_effect)
    if placebo and eff_ok.any():
        # the same placebo distribution read on the average gap itself (Conley & Taber 2011)
        pval_gap = float((1 + np.sum(np.abs(pl_effect[eff_ok]) >= abs(effect))) / (1 + eff_ok.sum()))
        ci_lo, ci_hi = _placebo_interval(effect, pl_effect[eff_ok], alpha)
        if 1 / (1 + eff_ok.sum()) > alpha:
            notes.append(_note("few_donors", n=int(eff_ok.sum()), pmin=1 / (1 + eff_ok.sum()), alpha=alpha))
        if 2 / alpha - 1 > eff_ok.sum():
            notes.append(_note("placebo_interval", n=math.ceil(2 / alpha - 1), level=1 - alpha))
    if placebo and J >= 2 and math.isnan(ratio):
        notes.append(_note("rmspe_zero"))
    if J >= 2:
        perm_lo, perm_hi = _placebo_interval(did, did_pl, alpha)

    # ---- summary ---------------------------------------------------------------------
    placebos = pd.DataFrame({"unit": donors, "pre_rmspe": pl_pre, "post_rmspe": pl_post,
                             "rmspe_ratio": pl_ratio, "effect": pl_effect, "did": did_pl})
    synth = Estimate(name="synthetic_control", value=effect, ci_low=ci_lo, ci_high=ci_hi, pval=pval,
                     n_subjects=J, extra={"pre_rmspe": pre_rmspe, "post_rmspe": post_rmspe,
                                          "rmspe_ratio": ratio, "pval_gap": pval_gap})
    return _summary(unit, outcome, period=period, used_periods=used_periods, n_pre=n_pre,
                    n_obs=(len(pre_rows), len(post_rows)), donors=donors, w=w, n_top=n_top,
                    paths=(y, synth_path, gap), did_path=did_path, placebos=placebos, gaps_pl=gaps_pl,
                    synth=synth, did=did, test=test, perm_ci=(perm_lo, perm_hi), V=V, notes=notes,
                    pretrend=pretrend)


def _unit_sizes(data: pd.DataFrame, *, unit_col: str, size: str, members: list) -> np.ndarray:
    """Each unit's mean size (employees, respondents), pilot unit first."""
    per_unit = data.groupby(unit_col, observed=True)[size].mean()
    sizes = per_unit.reindex(members).to_numpy(dtype=float)
    if not (np.isfinite(sizes).all() and (sizes > 0).all()):
        bad = [u for u, m in zip(members, sizes) if not (np.isfinite(m) and m > 0)]
        raise DataError(f"unit size must be a positive number for every unit; not for {bad[0]!r}",
                        column=size)
    return sizes


def _summary(unit: Any, outcome: str, *, period: str, used_periods: list, n_pre: int, n_obs: tuple[int, int],
             donors: list, w: np.ndarray, n_top: int, paths: tuple[np.ndarray, np.ndarray, np.ndarray],
             did_path: pd.DataFrame, placebos: pd.DataFrame, gaps_pl: np.ndarray, synth: Estimate, did: float,
             test: Estimate, perm_ci: tuple[float, float], V: pd.Series | None, notes: list[str],
             pretrend: Estimate | None = None) -> UnitEffect:
    """The result: donor weights, the per-period paths, the placebo tables and the two estimates
    (the headline DiD test and the synthetic control) with one column set."""
    y, synth_path, gap = paths
    J = len(donors)
    order = np.argsort(-w, kind="mergesort")
    weights = pd.DataFrame({"unit": [donors[i] for i in order], "weight": w[order]})
    top = ", ".join(f"{donors[i]} ({w[i]:.2f})" for i in order[:n_top] if w[i] > 5e-3)
    gaps = pd.DataFrame({"period": used_periods, "treated": y, "synthetic": synth_path, "gap": gap,
                         "post": np.r_[np.zeros(n_pre, bool), np.ones(len(used_periods) - n_pre, bool)]})
    placebo_gaps = pd.DataFrame(gaps_pl, index=pd.Index(used_periods, name=period), columns=donors)

    note = "; ".join(notes)
    common = dict(unit=unit, outcome=outcome, n_pre=int(n_obs[0]), n_post=int(n_obs[1]), n_donors=J)
    synth.note = note
    synth.extra = {**common, **synth.extra, "top_donors": top}
    did_est = Estimate(name="did_2x2", value=did, se=test.se, ci_low=test.ci_low, ci_high=test.ci_high,
                       pval=test.pval, n_subjects=J, note=note,
                       extra={**common, "pre_rmspe": math.nan, "post_rmspe": math.nan,
                              "rmspe_ratio": math.nan, "pval_gap": math.nan, "top_donors": "",
                              **{k: test.extra[k] for k in _TEST_FIELDS},
                              "perm_ci_low": perm_ci[0], "perm_ci_high": perm_ci[1]})
    synth.extra.update({k: math.nan for k in _TEST_FIELDS if k != "method"}, method="synthetic_control",
                       pval_perm=synth.extra["pval_gap"])
    return UnitEffect(unit=unit, outcome=outcome, synth=synth, did=did_est, weights=weights, gaps=gaps,
                      placebos=placebos, placebo_gaps=placebo_gaps, predictor_weights=V, note=note,
                      did_path=did_path, pretrend=pretrend)


def _predictor_matrix(data: pd.DataFrame, *, unit_col: str, period: str, covariates: list[str],
                      pre_periods: list, members: list, outcome: str, y_pre: np.ndarray,
                      Yd_pre: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Predictors (rows) by unit (columns, pilot unit first): each covariate's pre-period
    mean and the pre-period mean outcome (ADH 2010, X1 and X0)."""
    cov_rows = []
    cov_names = []
    sub = data[data[period].isin(pre_periods)]
    for c in covariates:
        means = sub.groupby(unit_col, observed=True)[c].mean()
        cov_rows.append(means.reindex(members).to_numpy(dtype=float))
        cov_names.append(c)
    cov_rows.append(np.r_[np.nanmean(y_pre), Yd_pre.mean(axis=0)])
    cov_names.append(f"{outcome} (pre-period mean)")
    P = np.vstack(cov_rows)
    if np.isnan(P).any():
        bad = [n for n, r in zip(cov_names, P) if np.isnan(r).any()]
        raise DataError(f"covariate has no pre-period value for some units: {', '.join(bad)}",
                        column=bad[0])
    return P, cov_names


def _placebo_gaps(Yd: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Gap paths of the placebo refits: each donor in the unit's place, its synthetic control
    fit from the remaining donors (the pilot unit excluded) on ``targets`` (the pre-period
    outcomes, or the V-weighted predictors), one NNLS per donor."""
    T, J = Yd.shape
    gaps_pl = np.full((T, J), np.nan)
    others = np.ones(J, dtype=bool)
    for j in range(J):
        others[j] = False
        wj = _simplex_ls(targets[:, others], targets[:, j])
        gaps_pl[:, j] = Yd[:, j] - Yd[:, others] @ wj
        others[j] = True
    return gaps_pl


#: the DiD test's fields carried by both estimates (so ``to_frame`` has one set of columns)
_TEST_FIELDS = ("t", "df", "mde", "pval_perm", "s_controls", "method")


def _did_path(y, Yd, pre_rows, post_rows, n_pre, alpha, *, periods: list) -> pd.DataFrame:
    """The DiD per period with the per-period band of the prediction t test.

    gap_t = (y_t - mean_c Y_ct) - mean over pre-periods of the same; each donor's own gap
    against the other donors gives the reference spread per period, so the band is
    gap_t -/+ t_{N-1} s_t sqrt(1 + 1/N) (the test of :func:`unit_did_test` applied to one
    period).
    """
    T, J = Yd.shape
    ctrl = Yd.mean(axis=1)
    raw = y - ctrl
    gap = raw - np.nanmean(raw[pre_rows])
    lo = hi = np.full(T, np.nan)
    if J >= 2:
        others = (Yd.sum(axis=1, keepdims=True) - Yd) / (J - 1)
        pl = Yd - others
        pl = pl - pl[pre_rows].mean(axis=0)
        s = pl.std(axis=1, ddof=1) * (J - 1) / J   # leave-one-out gaps are J/(J-1) times the residual
        q = float(stats.t.ppf(1 - alpha / 2, J - 1)) * s * math.sqrt(1 + 1 / J)
        lo, hi = gap - q, gap + q
    post = np.zeros(T, bool)
    post[n_pre:] = True
    return pd.DataFrame({"period": periods, "treated": y, "controls": ctrl, "gap": gap, "ci_low": lo,
                         "ci_high": hi, "post": post})


def _placebo_interval(est: float, placebo_vals: np.ndarray, alpha: float) -> tuple[float, float]:
    """Interval for a constant effect from J exchangeable placebo errors (Conley & Taber 2011).

    If the unit's error is exchangeable with the J placebo values, its rank among the J + 1
    is uniform, so [est - e_(J+1-k), est - e_(k)] with k = floor(alpha (J + 1) / 2) (order
    statistics, 1-based) covers with probability (J + 1 - 2k) / (J + 1) >= 1 - alpha.
    With k = 0 the placebo range is used (coverage (J - 1) / (J + 1); noted by the caller).
    """
    e = np.sort(placebo_vals)
    J = e.size
    k = max(1, int(math.floor(alpha * (J + 1) / 2)))
    return float(est - e[J - k]), float(est - e[k - 1])


def _ratio(post: float, pre: float, tol: float = 0.0) -> float:
    if math.isnan(post) or math.isnan(pre):
        return math.nan
    if pre <= tol:
        return math.inf if post > tol else math.nan
    return post / pre


def _empty_result(unit, outcome):
    def make(note: str) -> UnitEffect:
        extra = dict(unit=unit, outcome=outcome, n_pre=0, n_post=0, n_donors=0, pre_rmspe=math.nan,
                     post_rmspe=math.nan, rmspe_ratio=math.nan, pval_gap=math.nan, top_donors="")
        return UnitEffect(
            unit=unit, outcome=outcome,
            synth=_nan_estimate("synthetic_control", note, **extra),
            did=_nan_estimate("did_2x2", note, **extra),
            weights=pd.DataFrame({"unit": [], "weight": []}),
            gaps=pd.DataFrame({"period": [], "treated": [], "synthetic": [], "gap": [], "post": []}),
            placebos=pd.DataFrame({"unit": [], "pre_rmspe": [], "post_rmspe": [], "rmspe_ratio": [],
                                   "effect": [], "did": []}),
            placebo_gaps=pd.DataFrame(), note=note)
    return make

"""Staggered difference-in-differences: Callaway & Sant'Anna (2021) group-time
average treatment effects, their aggregations, event studies, the Wald pre-test and
randomization inference over the wave assignment.

The estimator follows the R package ``did`` (Callaway & Sant'Anna, version 2.5.0)
for balanced panels: the same comparison groups, base periods, doubly robust /
outcome-regression / inverse-probability-weighting estimators from ``DRDID``
(Sant'Anna & Zhao 2020), the same influence functions, aggregation weights
(including the term for estimated group shares) and the same multiplier bootstrap.

Computation is organised around the balanced panel pivoted once into a
units x periods matrix: each ATT(g,t) cell is a handful of array passes, and every
standard error (cells, aggregations, bootstrap) is a linear map of one influence
function matrix.

This module holds the estimator and its result; the steps live beside it: input checks
and the pivot (``_staggered_panel``), the cells and 2x2 estimators (``_attgt``), the
multiplier bootstrap (``_staggered_boot``), the aggregations (``_aggregate``) and
randomization inference over the waves (``_staggered_ri``).

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
time periods. *Journal of Econometrics* 225(2), 200-230.
Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences
estimators. *Journal of Econometrics* 219(1), 101-122.
Mammen, E. (1993). Bootstrap and wild bootstrap for high dimensional linear models.
*Annals of Statistics* 21(1), 255-285.
Roth, J. (2024). Interpreting event-studies from recent difference-in-differences
methods. arXiv:2401.12309.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaltools._notes import note as _note
from evaltools._results import Estimate
from evaltools.pilot._aggregate import AggregateResult, aggregate_att
from evaltools.pilot._attgt import _estimate, _make_cells
from evaltools.pilot._staggered_boot import _TINY_SE, _boot_stats, _mammen_products
from evaltools.pilot._staggered_panel import _prepare
from evaltools.pilot._staggered_ri import _enumerate_assignments, randomization_test  # noqa: F401 (the first: importable here as before)

__all__ = ["staggered_att", "StaggeredResult", "AggregateResult", "event_study"]


class StaggeredResult:
    """Group-time average treatment effects (Callaway & Sant'Anna 2021).

    Attributes
    ----------
    group_time : DataFrame
        One row per (group, period): ``group, period, att, se, ci_low, ci_high``
        (``cband_low, cband_high`` with the multiplier bootstrap), ``event_time,
        post, n_treated, n_control, note``.
    notes : list of str
        What was dropped or recoded and why.
    n_units : int
        Units in the balanced panel used.

    Examples
    --------
    Nine units over four periods: three never treated, waves starting in periods 3 and 4,
    an effect of 1 from the start period on (unit and period effects plus small noise):

    >>> import numpy as np, pandas as pd
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(9), 4), "period": np.tile([1, 2, 3, 4], 9),
    ...                       "first": np.repeat([0, 0, 0, 3, 3, 3, 4, 4, 4], 4)})
    >>> on = (panel["first"] > 0) & (panel["period"] >= panel["first"])
    >>> panel["y"] = panel["unit"] + 0.5 * panel["period"] + 1.0 * on + 0.2 * np.sin(np.arange(36))
    >>> res = staggered_att(panel, outcome="y", unit="unit", period="period", first_treated="first")
    >>> res.n_units, len(res.group_time), res.control
    (9, 6, 'never')
    >>> "fewer than 5 units" in res.notes[0]  # R did's group-size rule, as a note
    True
    >>> pre = res.pretrend_test()
    >>> pre.extra["df"], round(pre.pval, 2)
    (3, 1.0)
    >>> ri = res.randomization_test(n_perm=5000)
    >>> ri.extra["exact"], ri.extra["n_assignments"], round(ri.pval, 4)  # 9! / (3! 3! 3!) waves
    (True, 1680, 0.0006)
    """

    def __init__(self, *, panel, cells, att, IF, n_t, n_c, reasons, control, method, alpha,
                 n_boot, seed, base_period, anticipation, outcome):
        self._panel = panel
        self._cells = cells
        self._att = att
        self._IF = IF
        self.control = control
        self.method = method
        self.alpha = float(alpha)
        self.n_boot = int(n_boot)
        self.base_period = base_period
        self.anticipation = anticipation
        self.outcome = outcome
        self.notes = list(panel.notes)
        n = panel.Y.shape[0]
        self.n_units = n
        gvals = panel.glist
        # unit -> estimated group index (len(glist) for never / comparison-only units)
        gidx = np.searchsorted(gvals, panel.G)
        gidx = np.where((gidx < len(gvals)) & (gvals[np.minimum(gidx, len(gvals) - 1)] == panel.G), gidx,
                        len(gvals))
        self._gidx = gidx
        self._pg = np.bincount(gidx, minlength=len(gvals) + 1)[:-1] / n
        self._valid = np.isfinite(att)
        self._z = stats.norm.ppf(1 - self.alpha / 2)
        se = np.sqrt(np.einsum("ij,ij->i", IF, IF)) / n
        se[~self._valid | (se <= _TINY_SE)] = np.nan
        self._se_analytic = se.copy()
        self._boot = None
        self._crit = math.nan
        if self.n_boot > 0:
            rng = np.random.default_rng(seed)
            onehot = np.zeros((len(gvals), n))
            m = gidx < len(gvals)
            onehot[gidx[m], np.flatnonzero(m)] = 1.0
            # one pass over the multipliers serves every later aggregation: each
            # aggregated influence function is a combination of these rows
            self._boot = _mammen_products(np.vstack([IF, onehot]), self.n_boot, rng)
            ok = self._valid & np.isfinite(se)
            se_b = np.full(len(att), np.nan)
            crit = math.nan
            if ok.any():
                se_b[ok], crit = _boot_stats(self._boot[: len(att)][ok], n, self.alpha)
            se = se_b
            self._crit = self._check_crit(crit)
        self._se = se
        tv = panel.tvals
        gcol = self._labels(cells.g)
        pcol = self._labels(tv[cells.c])
        z = self._z
        df = pd.DataFrame({
            "group": gcol, "period": pcol, "att": att, "se": se,
            "ci_low": att - z * se, "ci_high": att + z * se,
        })
        if self.n_boot > 0:
            df["cband_low"] = att - self._crit * se
            df["cband_high"] = att + self._crit * se
        df["event_time"] = self._etime(tv[cells.c] - cells.g)
        df["post"] = cells.g <= tv[cells.c]
        df["n_treated"] = n_t
        df["n_control"] = n_c
        df["note"] = reasons
        self.group_time = df

    # -- helpers ------------------------------------------------------------------
    def _labels(self, v):
        labels = self._panel.labels
        v = np.asarray(v, dtype=float)
        if labels is not None:
            return pd.Categorical([labels[int(round(x)) - 1] for x in v], categories=labels, ordered=True)
        if np.all(v == np.round(v)):
            return v.astype(np.int64)
        return v

    @staticmethod
    def _etime(e):
        e = np.asarray(e, dtype=float)
        return e.astype(np.int64) if np.all(e == np.round(e)) else e

    def _check_crit(self, crit):
        z = self._z
        if not np.isfinite(crit):
            self.notes.append(_note("simultaneous_cv"))
            return z
        if crit < z:
            return z
        return crit

    # -- public -------------------------------------------------------------------
    def aggregate(self, type: str = "simple", *, min_e: float = -math.inf, max_e: float = math.inf,
                  balance_e: int | None = None) -> AggregateResult:
        """Aggregate ATT(g,t) as R did's ``aggte``.

        Parameters
        ----------
        type : {"simple", "group", "dynamic", "calendar"}
            simple: post-treatment cells weighted by group size; group: average per
            group, then across groups by size; dynamic: by event time e = t - g
            (overall = mean over e >= 0); calendar: by period (overall = mean).
            Callaway & Sant'Anna (2021), Section 3 (aggregation schemes), as R did's
            ``aggte`` (the overall dynamic and calendar effects are simple means).
        min_e, max_e : float
            Event-time window (dynamic; max_e also caps the post cells used by the others).
        balance_e : int, optional
            Dynamic only: keep groups observed for at least ``balance_e`` periods after
            treatment (a balanced event study).

        Returns
        -------
        AggregateResult
            ``value, se, ci_low, ci_high, pval`` and, except for simple, ``table``.
            SEs from the aggregated influence function (including the term for the
            estimated group shares); from the multiplier bootstrap when ``n_boot > 0``.
        """
        return aggregate_att(self, type, min_e=min_e, max_e=max_e, balance_e=balance_e)[0]

    def pretrend_test(self) -> Estimate:
        """Wald pre-test of parallel trends: all pre-treatment ATT(g,t) = 0.

        W = n * att_pre' V_pre^{-1} att_pre with V = IF'IF / n (the analytic
        influence-function covariance, as R did's ``att_gt``, even with the
        bootstrap), chi-square with df = number of pre-treatment cells
        (Callaway & Sant'Anna 2021, Section 4.1). Cells with undefined variance are
        left out; a singular covariance gives nan with the reason.
        """
        cells, tv = self._cells, self._panel.tvals
        pre = np.flatnonzero(self._valid & (cells.g - self.anticipation > tv[cells.c])
                             & np.isfinite(self._se_analytic))
        n = self.n_units
        if len(pre) == 0:
            return Estimate(name="pretrend_wald", n_subjects=n, note=_note("pretrend_none"),
                            extra={"W": math.nan, "df": 0, "p": math.nan})
        V = self._IF[pre] @ self._IF[pre].T / n
        a = self._att[pre]
        rc = 1.0 / np.linalg.cond(V, p=1)
        if not np.isfinite(rc) or rc <= np.finfo(float).eps:
            return Estimate(name="pretrend_wald", n_subjects=n,
                            note=_note("pretrend_singular"),
                            extra={"W": math.nan, "df": len(pre), "p": math.nan})
        W = float(n * a @ np.linalg.solve(V, a))
        p = float(stats.chi2.sf(W, len(pre)))
        return Estimate(name="pretrend_wald", value=W, pval=p, n_subjects=n,
                        note="" if W >= 0 else _note("wald_negative"),
                        extra={"W": W, "df": len(pre), "p": p})

    def randomization_test(self, n_perm: int = 999, seed: int | None = None,
                           aggregate: str = "simple", *, permute: str = "units") -> Estimate:
        """Randomization inference for the wave assignment (Fisher sharp null of no effect).

        The first-treated period is permuted across units (group sizes fixed) and the
        aggregated ATT recomputed for each assignment; the p-value is the share of
        assignments whose |ATT| is at least the observed one. When the number of
        distinct assignments n! / prod(n_g!) is at most ``n_perm`` they are all
        enumerated (exact p-value); otherwise ``n_perm`` random permutations give
        p = (1 + #{|ATT_perm| >= |ATT_obs|}) / (1 + n_perm).
        Without covariates the recomputation is vectorized over assignments (the
        ATTs are ratios of cohort-by-period sums); with covariates each assignment
        is re-estimated.

        ``permute="units"`` reassigns first_treated across all units (which units
        piloted); ``permute="waves"`` only among the ever-treated units, keeping the
        never-treated fixed (which wave each pilot unit joined).
        """
        return randomization_test(self, n_perm, seed, aggregate, permute=permute)

    def to_frame(self) -> pd.DataFrame:
        """The group-time table."""
        return self.group_time.copy()

    def __repr__(self) -> str:
        head = (f"StaggeredResult(outcome={self.outcome!r}, method={self.method!r}, control={self.control!r}, "
                f"units={self.n_units}, cells={len(self.group_time)})")
        if self.notes:
            head += "\nnotes: " + "; ".join(self.notes)
        return head + "\n" + self.group_time.to_string(index=False)

    def _repr_html_(self) -> str:
        return self.group_time._repr_html_()


# ----------------------------------------------------------------------------------
# public functions
# ----------------------------------------------------------------------------------
def staggered_att(data: pd.DataFrame, *, outcome: str, unit: str, period: str, first_treated: str,
                  control: str = "never", covariates: Sequence[str] | None = None, method: str = "dr",
                  n_boot: int = 0, seed: int | None = None, alpha: float = 0.05,
                  base_period: str = "varying", anticipation: float = 0) -> StaggeredResult:
    """Group-time average treatment effects with staggered adoption.

    Callaway & Sant'Anna (2021), Section 2 (Theorem 1) for the never-treated
    (``control="never"``) and not-yet-treated (``"notyet"``) comparison groups, on a
    balanced panel, as R ``did::att_gt`` (version 2.5.0) with ``panel=TRUE``; standard
    errors from the influence functions of Section 4 (Theorem 2).

    Parameters
    ----------
    data : DataFrame
        Long panel: one row per unit and period.
    outcome, unit, period, first_treated : str
        Column names. ``period`` is numeric or an ordered Categorical (mapped to its
        1-based positions); ``first_treated`` is the first treated period on the same
        scale (a Categorical / label of the periods, or its 1-based position when the
        period is categorical); 0 or missing = never treated.
    control : {"never", "notyet"}
        Comparison units: never treated, or never treated plus not yet treated
        (first treated after t + anticipation).
    covariates : list of str, optional
        Pre-treatment covariates (value at the earlier of the two periods compared).
    method : {"dr", "reg", "ipw"}
        Doubly robust (Sant'Anna & Zhao 2020 improved locally efficient estimator,
        ``DRDID::drdid_panel``), outcome regression (``reg_did_panel``) or normalized
        inverse probability weighting (``std_ipw_did_panel``). Identical without
        covariates.
    n_boot : int
        Multiplier (Mammen) bootstrap draws; 0 = analytic influence-function SEs
        (R did with ``bstrap=FALSE``). With draws, SEs are bootstrap SEs and the
        tables gain simultaneous bands ``cband_low, cband_high``.
    seed : int, optional
        Seed for the bootstrap multipliers.
    alpha : float
        1 - confidence level.
    base_period : {"varying", "universal"}
        Pre-treatment cells compare t with t-1 ("varying", R's default) or every cell
        with the period before treatment ("universal", the reference cell is 0).
    anticipation : int
        Periods of anticipation before treatment.

    Returns
    -------
    StaggeredResult

    Notes
    -----
    Event time is e = t - g in the units of ``period`` (positions for a Categorical).
    Units not observed in every period (or with a missing outcome/covariate) are
    dropped with a note, as are units treated in the first period (no pre-period);
    groups first treated after the last period count as never treated. An ATT(g,t)
    without comparison units, or whose propensity score violates overlap, is nan
    with the reason in the ``note`` column.

    With no never-treated units, the last wave serves as the comparison group and
    periods from its start on are dropped (R did, ``pre_process_did.R``). When that
    leaves no treated group (one cohort, the others always treated), R did 2.5.1 stops
    with "No valid groups"; here the input is valid and the effect is undefined, so the
    cohort's ATT(g,t) and every aggregation are nan, the cause (no comparison group) is
    in ``notes`` and each cell's ``note``, and a ``RuntimeWarning`` is issued.

    Examples
    --------
    Nine units over four periods: three never treated, waves starting in periods 3 and 4,
    an effect of 1 from the start period on (unit and period effects plus small noise):

    >>> import numpy as np, pandas as pd
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(9), 4), "period": np.tile([1, 2, 3, 4], 9),
    ...                       "first": np.repeat([0, 0, 0, 3, 3, 3, 4, 4, 4], 4)})
    >>> on = (panel["first"] > 0) & (panel["period"] >= panel["first"])
    >>> panel["y"] = panel["unit"] + 0.5 * panel["period"] + 1.0 * on + 0.2 * np.sin(np.arange(36))
    >>> res = staggered_att(panel, outcome="y", unit="unit", period="period", first_treated="first")
    >>> res.group_time[["group", "period", "att", "event_time", "n_treated", "n_control"]].round(2)
       group  period   att  event_time  n_treated  n_control
    0      3       2  0.01          -1          3          3
    1      3       3  1.01           0          3          3
    2      3       4  1.01           1          3          3
    3      4       2  0.02          -2          3          3
    4      4       3  0.02          -1          3          3
    5      4       4  1.01           0          3          3
    >>> agg = res.aggregate("simple")
    >>> round(agg.value, 2), round(agg.se, 2)
    (1.01, 0.12)
    """
    if control not in ("never", "notyet"):
        raise ValueError(f"control must be 'never' or 'notyet', got {control!r}")
    if method not in ("dr", "reg", "ipw"):
        raise ValueError(f"method must be 'dr', 'reg' or 'ipw', got {method!r}")
    if base_period not in ("varying", "universal"):
        raise ValueError(f"base_period must be 'varying' or 'universal', got {base_period!r}")
    if not (0 < alpha < 1):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if n_boot < 0:
        raise ValueError("n_boot must be >= 0")
    if anticipation < 0:
        raise ValueError("anticipation must be >= 0")
    if isinstance(covariates, str):
        covariates = [covariates]
    panel = _prepare(data, outcome, unit, period, first_treated, covariates, control, anticipation)
    cells = _make_cells(panel.tvals, panel.glist, base_period, anticipation)
    att, IF, n_t, n_c, reasons = _estimate(panel, cells, panel.G, control, method)
    if panel.undefined:
        warnings.warn(f"staggered_att: {panel.undefined}; every ATT(g,t) is nan", RuntimeWarning, stacklevel=2)
        reasons = [panel.undefined] * len(reasons)
    return StaggeredResult(panel=panel, cells=cells, att=att, IF=IF, n_t=n_t, n_c=n_c, reasons=reasons,
                           control=control, method=method, alpha=alpha, n_boot=n_boot, seed=seed,
                           base_period=base_period, anticipation=anticipation, outcome=outcome)


def event_study(result_or_data: StaggeredResult | pd.DataFrame, *, min_e: float = -math.inf,
                max_e: float = math.inf, balance_e: int | None = None, **kwargs: Any) -> pd.DataFrame:
    """Event-study table: ATT by event time e = t - g with confidence bands.

    Parameters
    ----------
    result_or_data : StaggeredResult or DataFrame
        A fitted result, or a long panel passed to :func:`staggered_att` with
        ``kwargs``. From data the default base period is "universal" so that the
        pre-period estimates are comparable with the post-period ones and e = -1
        (minus anticipation) is the reference (Roth 2024); pass
        ``base_period="varying"`` for R did's default.
    min_e, max_e, balance_e
        Event-time window and balancing, as :meth:`StaggeredResult.aggregate`.

    Returns
    -------
    DataFrame
        ``event_time, att, se, ci_low, ci_high, reference`` (``cband_low,
        cband_high`` with the bootstrap); ``reference`` marks the normalized period
        (universal base period only; its att is 0 and se nan).

    Examples
    --------
    Nine units over four periods: three never treated, waves starting in periods 3 and 4,
    an effect of 1 from the start period on (unit and period effects plus small noise):

    >>> import numpy as np, pandas as pd
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(9), 4), "period": np.tile([1, 2, 3, 4], 9),
    ...                       "first": np.repeat([0, 0, 0, 3, 3, 3, 4, 4, 4], 4)})
    >>> on = (panel["first"] > 0) & (panel["period"] >= panel["first"])
    >>> panel["y"] = panel["unit"] + 0.5 * panel["period"] + 1.0 * on + 0.2 * np.sin(np.arange(36))
    >>> event_study(panel, outcome="y", unit="unit", period="period", first_treated="first").round(2)
       event_time   att    se  ci_low  ci_high  reference
    0          -3 -0.04  0.19   -0.40     0.33      False
    1          -2 -0.02  0.08   -0.17     0.14      False
    2          -1  0.00   NaN     NaN      NaN       True
    3           0  1.01  0.09    0.83     1.19      False
    4           1  1.01  0.20    0.62     1.40      False
    """
    if isinstance(result_or_data, StaggeredResult):
        if kwargs:
            raise TypeError(f"unexpected arguments for a fitted result: {sorted(kwargs)}")
        res = result_or_data
    else:
        kwargs.setdefault("base_period", "universal")
        res = staggered_att(result_or_data, **kwargs)
    agg = res.aggregate("dynamic", min_e=min_e, max_e=max_e, balance_e=balance_e)
    tab = agg.table.rename(columns={"key": "event_time"}).copy()
    ref_e = -1 - res.anticipation
    tab["reference"] = (res.base_period == "universal") & (tab["event_time"] == ref_e)
    if tab["reference"].any():
        for col in [c for c in tab.columns if c not in ("event_time", "att", "reference")]:
            tab.loc[tab["reference"], col] = np.nan
        tab.loc[tab["reference"], "att"] = 0.0
    return tab.reset_index(drop=True)

"""Planning the next wave: power and minimum detectable effect, and multiple outcomes.

``power`` / ``mde`` answer "with this many units, employees per unit and periods, which
effect can the next wave detect?" for three designs:

* ``"cluster"`` -- parallel cluster-randomized: a share ``allocation`` of the units is
  treated, outcomes are compared over ``periods_after`` periods (Donner & Klar 2000;
  Hayes & Moulton 2017). With one period the variance is the familiar design
  effect ``1 + (m - 1) rho``.
* ``"did"`` -- the same allocation, with ``periods_before`` baseline periods, analysed as a
  difference-in-differences with unit fixed effects (what ``did`` / ``staggered_att``
  estimate). Unit effects cancel; what remains is the period-to-period cluster noise and
  the sampling noise of ``m`` employees (Teerenstra et al. 2012; Rutterford, Copas &
  Eldridge 2015).
* ``"stepped_wedge"`` -- units cross over in ``n_steps`` waves (Hussey & Hughes 2007):
  generalized least squares with period fixed effects and a random unit effect, computed
  from the cluster-period covariance matrix; with ``cac=1`` this is Hussey & Hughes'
  closed-form variance (as swCRTdesign ``swPwr`` computes it).

All designs use the cross-sectional model of Hussey & Hughes (2007) and Hooper et al.
(2016): different employees each period,

    y_ijk = mu_j + theta x_ij + c_i + s_ij + e_ijk,

with total variance ``sd**2``, ``var(c) = icc * cac * sd**2`` (the lasting unit effect),
``var(s) = icc * (1 - cac) * sd**2`` (unit-by-period shocks) and
``var(e) = (1 - icc) * sd**2``.

``adjust_pvalues`` gives Holm (1979) and Benjamini & Hochberg (1995) adjusted p-values
across the outcomes of a study.
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

# the one definition lives in evaltools._multitest; kept importable from here
from evaltools._multitest import adjust_pvalues
from evaltools._notes import note as _note

__all__ = ["power", "mde", "adjust_pvalues"]

_DESIGNS = ("cluster", "did", "stepped_wedge")

# column order of the power table (a contract: notebooks and the briefing read these names)
_COLUMNS = ["design", "n_units", "m", "icc", "cac", "sd", "periods_before", "periods_after",
            "n_steps", "allocation", "n_treated", "alpha", "dist", "df", "design_effect", "se",
            "effect", "power", "note"]


# ---------------------------------------------------------------------------------------
# variance of the treatment effect per design
# ---------------------------------------------------------------------------------------

def _var_parallel(design, n_units, m, icc, cac, sd, t0, t1, alloc):
    """Closed-form variance for the parallel designs (vectorized over rows).

    For unit i, let a = var(s_ij + mean_k e_ijk) = sd^2 (icc (1 - cac) + (1 - icc) / m),
    the part of a cluster-period mean that is independent across periods.
    ``cluster``: the unit's post-period mean has variance icc cac sd^2 + a / t1.
    ``did``: the unit's (post mean - pre mean) removes c_i and has variance
    a (1/t0 + 1/t1). The effect is a difference of arm means: var * (1/n_t + 1/n_c).
    """
    n_t = np.rint(alloc * n_units)
    n_c = n_units - n_t
    a = sd ** 2 * (icc * (1 - cac) + (1 - icc) / m)
    if design == "cluster":
        v_unit = icc * cac * sd ** 2 + a / t1
    else:
        v_unit = a * (1 / t0 + 1 / t1)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = v_unit * (1 / n_t + 1 / n_c)
    return var, n_t


def _sw_groups(n_units: int, n_steps: int) -> np.ndarray:
    # units spread as evenly as possible over the waves, earlier waves taking the remainder
    base, extra = divmod(int(n_units), int(n_steps))
    return np.array([base + (1 if g < extra else 0) for g in range(int(n_steps))], dtype=float)


def _sw_design(t0: int, t1: int, n_steps: int) -> np.ndarray:
    """Treatment indicator (wave x period): wave g starts at period t0 + g (0-based)."""
    T = t0 + t1
    X = np.zeros((n_steps, T))
    for g in range(n_steps):
        X[g, t0 + g:] = 1.0
    return X


def _var_stepped_wedge(n_units, m, icc, cac, sd, t0, t1, n_steps):
    """GLS variance of theta in a stepped-wedge design (one row).

    Model of Hussey & Hughes (2007) with period fixed effects; the covariance of a
    unit's T cluster-period means is V = a I + icc cac sd^2 J (Hooper et al. 2016).
    Var(theta) is the theta-theta element of (sum_i Z_i' V^-1 Z_i)^-1, Z_i = [I_T | x_i].
    With cac = 1 this equals the closed form of Hussey & Hughes (2007):
    I s2 (s2 + T tau2) / ((I U - W) s2 + (U^2 + I T U - T W - I V) tau2).
    """
    X = _sw_design(t0, t1, n_steps)
    n_g = _sw_groups(n_units, n_steps)
    T = X.shape[1]
    a = sd ** 2 * (icc * (1 - cac) + (1 - icc) / m)
    tau2 = icc * cac * sd ** 2
    Vinv = np.linalg.inv(a * np.eye(T) + tau2 * np.ones((T, T)))
    # information matrix accumulated over waves (units of one wave share Z_i)
    info = np.zeros((T + 1, T + 1))
    for g in range(X.shape[0]):
        Z = np.hstack([np.eye(T), X[g][:, None]])
        info += n_g[g] * Z.T @ Vinv @ Z
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.nan, n_g
    return float(cov[-1, -1]), n_g


# ---------------------------------------------------------------------------------------
# power for a given standard error
# ---------------------------------------------------------------------------------------

def _power_from_se(effect, se, alpha, df, dist, tc=None):
    """Two-sided power of a Wald test of theta = 0.

    Normal: Phi(d - z) + Phi(-d - z) with d = |effect| / se (swCRTdesign ``swPwr``).
    t: the noncentral t with df degrees of freedom and noncentrality d, as R
    ``power.t.test`` and statsmodels ``TTestIndPower`` (both tails).
    """
    d = np.abs(effect) / se
    if dist == "normal":
        z = stats.norm.ppf(1 - alpha / 2)
        return stats.norm.cdf(d - z) + stats.norm.cdf(-d - z)
    if tc is None:  # the critical value; a caller solving for the effect passes it once
        tc = special.stdtrit(df, 1 - alpha / 2)
    # both tails in one call: P(T < -tc) = P(T' > tc) with noncentrality -d; scipy returns
    # nan for some far tails (< 1e-16), where the wrong-sign rejection probability is negligible
    upper, lower = stats.nct.sf(tc, df, np.stack([d, -d]))
    lower = np.where(np.isnan(lower) & ~np.isnan(upper), 0.0, lower)
    return np.clip(upper + lower, 0.0, 1.0)


def _mde_bracket(alpha, target, df, dist):
    """The one-tail approximation of the MDE at se = 1, plus one: (z_{1-a/2} + z_{power}) + 1
    (t quantiles for the t test; Bloom 1995), the top of the root search's bracket."""
    if dist == "normal":
        return stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(target) + 1.0
    return stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(target, df) + 1.0


@functools.lru_cache(maxsize=256)
def _standard_mde(alpha: float, target: float, df: float, dist: str) -> float:
    """The MDE of a test with se = 1: the root of power(d) = target (Brent's method,
    ~10 power evaluations, from the one-tail approximation's bracket); every pilot unit
    of a study shares its (alpha, power, df)."""
    tc = None if dist == "normal" else special.stdtrit(df, 1 - alpha / 2)
    top = float(_mde_bracket(alpha, target, df, dist))
    f = lambda x: float(_power_from_se(x, 1.0, alpha, df, dist, tc)) - target  # noqa: E731
    for _ in range(60):   # heavy t tails (df 1-2) can need a wider bracket
        if f(top) > 0:
            break
        top *= 2.0
    return float(optimize.brentq(f, 0.0, top, xtol=1e-13, rtol=1e-14))


def _mde_from_se(se, alpha, target, df, dist):
    """Smallest |effect| with two-sided power ``target`` (vectorized bisection).

    Starts from the one-tail approximation (z_{1-a/2} + z_{power}) se (t quantiles for the
    t test; Bloom 1995) and solves the exact two-tailed power equation by bisection.
    """
    se = np.asarray(se, dtype=float)
    lo = np.zeros_like(se)
    hi = _mde_bracket(alpha, target, df, dist) * se
    hi = np.where(np.isfinite(hi), hi, np.nan)
    if se.size <= 8 and np.all(np.isfinite(hi)) and np.all(hi > 0) and np.all(np.asarray(target) > np.asarray(alpha)):
        # a few values (one unit's test): power depends on |effect| / se alone, so the MDE is
        # se times the root for se = 1, solved once per (alpha, power, df) by Brent's method
        a_, t_, d_ = (np.broadcast_to(np.asarray(x, dtype=float), se.shape) for x in (alpha, target, df))
        out = np.empty_like(se)
        for i in np.ndindex(se.shape):
            out[i] = se[i] * _standard_mde(float(a_[i]), float(t_[i]), float(d_[i]), dist)
        return out
    for _ in range(200):
        mid = (lo + hi) / 2
        p = _power_from_se(mid, se, alpha, df, dist)
        below = p < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
        if np.nanmax(np.abs(hi - lo) / np.maximum(se, 1e-300), initial=0.0) < 1e-12:
            break
    return (lo + hi) / 2


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------

def _table(*, effect, target_power, n_units, m, icc, sd, design, periods_before, periods_after,
           n_steps, cac, allocation, alpha, dist, df):
    if design not in _DESIGNS:
        raise ValueError(f"design must be one of {', '.join(_DESIGNS)}; got {design!r}")
    if dist not in ("t", "normal"):
        raise ValueError(f"dist must be 't' or 'normal'; got {dist!r}")
    solve_mde = effect is None
    arrays = np.broadcast_arrays(
        *[np.atleast_1d(np.asarray(x, dtype=float)) for x in
          (n_units, m, icc, sd, periods_before, periods_after,
           np.nan if n_steps is None else n_steps, cac, allocation, alpha,
           target_power if solve_mde else effect, np.nan if df is None else df)])
    (n_units, m, icc, sd, t0, t1, steps, cac, alloc, alpha, goal, df_in) = [a.ravel() for a in arrays]

    for name, val, lo, hi in (("icc", icc, 0, 1), ("cac", cac, 0, 1), ("alpha", alpha, 0, 1),
                              ("allocation", alloc, 0, 1)):
        if np.any((val < lo) | (val > hi)) or np.any(np.isnan(val)):
            raise ValueError(f"{name} must lie in [{lo}, {hi}]")
    if np.any(m < 1) or np.any(n_units < 2) or np.any(sd <= 0):
        raise ValueError("n_units must be >= 2, m >= 1 and sd > 0")
    if solve_mde and np.any((goal <= 0) | (goal >= 1)):
        raise ValueError("power must lie in (0, 1)")

    n = len(n_units)
    var = np.full(n, np.nan)
    n_t = np.full(n, np.nan)
    notes = [""] * n
    if design in ("cluster", "did"):
        if design == "did" and np.any(t0 < 1):
            raise ValueError("periods_before must be >= 1 for design='did'")
        if np.any(t1 < 1):
            raise ValueError("periods_after must be >= 1")
        var, n_t = _var_parallel(design, n_units, m, icc, cac, sd, t0, t1, alloc)
        steps = np.full(n, np.nan)
        bad = (n_t < 1) | (n_t > n_units - 1)
        for i in np.flatnonzero(bad):
            notes[i] = _note("power_allocation")
        var = np.where(bad, np.nan, var)
    else:
        steps = np.where(np.isnan(steps), t1, steps)
        if np.any(t0 < 1) or np.any(steps < 1) or np.any(steps > t1):
            raise ValueError("stepped_wedge needs periods_before >= 1 and 1 <= n_steps <= periods_after")
        alloc = np.full(n, np.nan)
        # one small GLS per table row: rows are design scenarios, not data
        for i in range(n):
            if n_units[i] < steps[i]:
                notes[i] = _note("power_empty_waves")
            var[i], groups = _var_stepped_wedge(n_units[i], m[i], icc[i], cac[i], sd[i],
                                                int(t0[i]), int(t1[i]), int(steps[i]))
            n_t[i] = groups.sum()

    se = np.sqrt(var)
    T = t1 if design == "cluster" else t0 + t1
    # design effect relative to an individually randomized 1:1 trial with the same number of
    # observations (Woertman et al. 2013): Var / (4 sd^2 / N), N = n_units m T
    design_effect = var / (4 * sd ** 2 / (n_units * m * T))
    if dist == "t":
        # cluster-level degrees of freedom (Hayes & Moulton 2017; PowerUp! cra2r2)
        dfv = np.where(np.isnan(df_in), n_units - 2, df_in)
        for i in np.flatnonzero(dfv < 1):
            notes[i] = (notes[i] + "; " if notes[i] else "") + _note("power_no_df")
        dfv = np.where(dfv < 1, np.nan, dfv)
    else:
        dfv = np.full(n, np.inf)

    if solve_mde:
        effect_col = _mde_from_se(se, alpha, goal, dfv, dist)
        power_col = goal
    else:
        effect_col = goal
        power_col = _power_from_se(goal, se, alpha, dfv, dist)

    return pd.DataFrame({
        "design": design, "n_units": n_units.astype(int), "m": m, "icc": icc, "cac": cac, "sd": sd,
        "periods_before": (t0 if design != "cluster" else np.zeros(n)).astype(int),
        "periods_after": t1.astype(int), "n_steps": steps, "allocation": alloc, "n_treated": n_t,
        "alpha": alpha, "dist": dist, "df": dfv, "design_effect": design_effect, "se": se,
        "effect": effect_col, "power": power_col, "note": notes,
    })[_COLUMNS]


def power(effect, *, n_units, m, icc, sd=1.0, design: str = "cluster", periods_before=1,
          periods_after=1, n_steps=None, cac=1.0, allocation=0.5, alpha=0.05,
          dist: str = "t", df=None) -> pd.DataFrame:
    """Power to detect ``effect`` in the next wave, one row per combination of inputs.

    Parameters
    ----------
    effect : float or array
        Effect in outcome units (standardized if ``sd=1``).
    n_units : int or array
        Number of units (clusters) in the wave, treated and control together.
    m : float or array
        Employees (or respondents) measured per unit and period.
    icc : float or array
        Intracluster correlation rho = var(unit) / total variance, within a period.
    sd : float or array
        Total standard deviation of an individual outcome.
    design : {"cluster", "did", "stepped_wedge"}
        See the module docstring.
    periods_before, periods_after : int or array
        Baseline periods (``did``, ``stepped_wedge``) and periods from the first crossover on.
    n_steps : int or array, optional
        Stepped wedge: number of waves (default ``periods_after``). Wave g (0-based) starts
        in period ``periods_before + g``; after the last wave every unit is treated for the
        remaining ``periods_after - n_steps`` periods. Units are spread over the waves as
        evenly as possible, earlier waves taking the remainder (swCRTdesign ``swDsn``
        notation: ``swDsn(c(6, 6, 6, 6))`` = 24 units, ``n_steps=4``, ``periods_before=1``,
        ``periods_after=4``).
    cac : float or array
        Cluster autocorrelation (Hooper et al. 2016): share of the unit variance that lasts
        across periods. 1 = the Hussey & Hughes model.
    allocation : float or array
        Share of units treated in ``cluster`` / ``did`` designs.
    alpha : float or array
        Two-sided significance level.
    dist : {"t", "normal"}
        ``"t"`` (default) uses a noncentral t with ``n_units - 2`` degrees of freedom, the
        small-sample correction recommended for few clusters (Hayes & Moulton 2017;
        Donner & Klar 2000); ``"normal"`` reproduces z-based tools (swCRTdesign).
    df : float or array, optional
        Override the degrees of freedom of the t test.

    Returns
    -------
    DataFrame
        Columns ``design, n_units, m, icc, cac, sd, periods_before, periods_after, n_steps,
        allocation, n_treated, alpha, dist, df, design_effect, se, effect, power, note``.

    Notes
    -----
    ``design_effect`` is Var(theta) over the variance of an individually randomized 1:1 trial
    with the same number of observations, 4 sd^2 / (n_units m T) (Woertman et al. 2013); for
    a one-period cluster design it is 1 + (m - 1) icc (Donner & Klar 2000).

    References
    ----------
    Donner A, Klar N (2000). Design and Analysis of Cluster Randomization Trials. Arnold.
    Hayes RJ, Moulton LH (2017). Cluster Randomised Trials, 2nd ed. CRC Press.
    Hussey MA, Hughes JP (2007). Contemp Clin Trials 28:182-191.
    Hooper R, Teerenstra S, de Hoop E, Eldridge S (2016). Stat Med 35:4718-4728.
    Teerenstra S, Eldridge S, Graff M, de Hoop E, Borm GF (2012). Stat Med 31:2169-2178.
    Rutterford C, Copas A, Eldridge S (2015). Int J Epidemiol 44:1051-1067.
    Woertman W et al. (2013). J Clin Epidemiol 66:752-758.

    Examples
    --------
    swCRTdesign's ``swPwr`` Example 1 (24 units in 4 waves of 6, 120 respondents per
    unit-period, proportions 0.05 -> 0.035, unit SD 0.01; normal approximation) gives
    power 0.7861896:

    >>> import math
    >>> s2 = 0.0425 * (1 - 0.0425)          # binomial variance at the mean proportion
    >>> out = power(0.035 - 0.05, n_units=24, m=120, icc=0.01 ** 2 / (0.01 ** 2 + s2),
    ...             sd=math.sqrt(0.01 ** 2 + s2), design="stepped_wedge",
    ...             periods_before=1, periods_after=4, dist="normal")
    >>> round(float(out["power"].iloc[0]), 7)
    0.7861896

    Arrays give one row per scenario: half a standard deviation in a parallel design with
    15 employees per unit and ICC 0.17:

    >>> power(0.5, n_units=[10, 20, 40], m=15, icc=0.17)[["n_units", "df", "se", "power"]].round(3)
       n_units    df     se  power
    0       10   8.0  0.300  0.312
    1       20  18.0  0.212  0.606
    2       40  38.0  0.150  0.901
    """
    return _table(effect=effect, target_power=None, n_units=n_units, m=m, icc=icc, sd=sd,
                  design=design, periods_before=periods_before, periods_after=periods_after,
                  n_steps=n_steps, cac=cac, allocation=allocation, alpha=alpha, dist=dist, df=df)


def mde(*, n_units, m, icc, sd=1.0, power=0.8, design: str = "cluster", periods_before=1,
        periods_after=1, n_steps=None, cac=1.0, allocation=0.5, alpha=0.05, dist: str = "t",
        df=None) -> pd.DataFrame:
    """Minimum detectable effect of the next wave, one row per combination of inputs.

    Same parameters as :func:`power`, with ``power`` the target power. The returned table has
    the same columns; ``effect`` holds the minimum detectable effect (also as ``mde``), the
    smallest |theta| whose two-sided test has the target power. For the t test it solves the
    noncentral-t power equation exactly; it agrees with the multiplier form
    (t_{1-a/2,df} + t_{power,df}) SE of Bloom (1995) / PowerUp! to about 1e-3 SE.

    Examples
    --------
    The PowerUpR vignette "cross_checks", ``mdes.cra2r2(power=.80, rho2=.17, n=15, J=20)``:
    MDES 0.629 with 18 degrees of freedom and standardized SE 0.212:

    >>> out = mde(n_units=20, m=15, icc=0.17, power=0.8)
    >>> out[["n_units", "df", "se", "mde"]].round(3)
       n_units    df     se    mde
    0       20  18.0  0.212  0.629
    """
    out = _table(effect=None, target_power=power, n_units=n_units, m=m, icc=icc, sd=sd,
                 design=design, periods_before=periods_before, periods_after=periods_after,
                 n_steps=n_steps, cac=cac, allocation=allocation, alpha=alpha, dist=dist, df=df)
    out.insert(out.columns.get_loc("effect") + 1, "mde", out["effect"])
    return out

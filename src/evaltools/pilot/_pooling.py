"""Partial pooling of per-unit effects: random-effects model, empirical-Bayes unit effects,
and the power of the next wave's programme-wide estimate.

Each pilot unit i has an estimated effect y_i with standard error s_i (from
:func:`evaltools.pilot.unit_effect`). The normal-normal random-effects model

    y_i | theta_i ~ N(theta_i, s_i^2),   theta_i ~ N(mu, tau^2)

gives the programme-wide mean effect mu, the spread of true unit effects tau^2 and, per unit,
the empirical-Bayes (BLUP) effect shrunk toward mu in proportion to how noisy the unit's own
estimate is (Morris 1983; Raudenbush & Bryk 1985). tau^2 is estimated by restricted maximum
likelihood with Fisher scoring (Viechtbauer 2005), as metafor ``rma(method="REML")``; the
interval of mu uses the Knapp & Hartung (2003) variance and t_{k-1}, and the unit intervals
add the uncertainty of tau^2 to the BLUP variance (Kass & Steffey 1989), so a unit is not
claimed more precisely than k units can tell.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evaltools._errors import DataError, require_columns
from evaltools._notes import note as _note
from evaltools.pilot._power import _mde_from_se, _power_from_se

__all__ = ["pooled_unit_effects", "PooledEffects", "pooled_power", "pooled_mde"]

_POOLED_COLUMNS = ["group", "k", "mu", "se", "ci_low", "ci_high", "pval", "df", "tau2", "tau2_se", "tau",
                   "i2", "h2", "q", "q_pval", "method", "test", "note"]


def _reml_tau2(y: np.ndarray, v: np.ndarray, *, tol: float = 1e-10, maxiter: int = 200) -> tuple[float, bool]:
    """REML estimate of tau^2 by Fisher scoring (Viechtbauer 2005, eq. 10-11), truncated at 0.

    With w_i = 1 / (v_i + tau^2) and P = W - W 1 1' W / sum w, the REML score is
    -tr(P)/2 + y'PPy/2 and the expected information tr(PP)/2; for an intercept-only model
    tr(P) = S1 - S2/S1, y'PPy = sum w_i^2 r_i^2 (r = y - mu_hat) and
    tr(PP) = S2 - 2 S3/S1 + S2^2/S1^2 with S_j = sum w_i^j, so each step is O(k).
    """
    k = y.size
    # DerSimonian-Laird start (metafor starts from a method-of-moments value as well)
    w0 = 1 / v
    mu0 = w0 @ y / w0.sum()
    q = w0 @ (y - mu0) ** 2
    tau2 = max(0.0, (q - (k - 1)) / (w0.sum() - (w0 ** 2).sum() / w0.sum()))
    for _ in range(maxiter):
        w = 1 / (v + tau2)
        s1, s2, s3 = w.sum(), (w ** 2).sum(), (w ** 3).sum()
        r = y - (w @ y) / s1
        score = 0.5 * ((w ** 2) @ (r ** 2) - (s1 - s2 / s1))
        info = 0.5 * (s2 - 2 * s3 / s1 + s2 ** 2 / s1 ** 2)
        step = score / info
        new = max(0.0, tau2 + step)
        if abs(new - tau2) <= tol * max(1.0, tau2):
            return new, True
        tau2 = new
    return tau2, False


def _rma(y: np.ndarray, v: np.ndarray, method: str, alpha: float, test: str) -> dict:
    """Intercept-only random-effects model: mu, its test and interval, tau^2, I^2, H^2, Q."""
    k = y.size
    out = dict(k=k, method=method, test=test, note="")
    w_fe = 1 / v
    mu_fe = w_fe @ y / w_fe.sum()
    q = float(w_fe @ (y - mu_fe) ** 2)
    if method == "REML":
        tau2, ok = _reml_tau2(y, v) if k >= 2 else (0.0, True)
        if not ok:
            out["note"] = _note("reml_not_converged")
    elif method == "DL":
        tau2 = max(0.0, (q - (k - 1)) / (w_fe.sum() - (w_fe ** 2).sum() / w_fe.sum())) if k >= 2 else 0.0
    elif method in ("FE", "EE"):
        tau2 = 0.0
    else:
        raise ValueError(f"method must be 'REML', 'DL' or 'FE'; got {method!r}")
    w = 1 / (v + tau2)
    s1, s2, s3 = w.sum(), (w ** 2).sum(), (w ** 3).sum()
    mu = float(w @ y / s1)
    var_mu = 1 / s1
    df = k - 1
    if test == "knha":
        # Knapp & Hartung (2003): scale the variance by the weighted residual mean square
        # (no truncation at 1, as metafor's default)
        var_mu *= float(w @ (y - mu) ** 2) / df if df > 0 else math.nan
        crit = float(stats.t.ppf(1 - alpha / 2, df)) if df > 0 else math.nan
        stat = mu / math.sqrt(var_mu) if var_mu > 0 else math.nan
        pval = float(2 * stats.t.sf(abs(stat), df)) if df > 0 and np.isfinite(stat) else math.nan
    elif test == "z":
        crit = float(stats.norm.ppf(1 - alpha / 2))
        stat = mu / math.sqrt(var_mu)
        pval = float(2 * stats.norm.sf(abs(stat)))
        df = math.inf
    else:
        raise ValueError(f"test must be 'knha' or 'z'; got {test!r}")
    se = math.sqrt(var_mu) if var_mu >= 0 else math.nan
    # typical sampling variance and I^2 / H^2 as metafor (Higgins & Thompson 2002, eq. 9)
    s2_typ = (k - 1) * w_fe.sum() / (w_fe.sum() ** 2 - (w_fe ** 2).sum()) if k >= 2 else math.nan
    info = 0.5 * (s2 - 2 * s3 / s1 + s2 ** 2 / s1 ** 2)
    tau2_se = math.sqrt(1 / info) if method == "REML" and info > 0 else math.nan
    out.update(mu=mu, se=se, ci_low=mu - crit * se, ci_high=mu + crit * se, pval=pval, df=df,
               tau2=float(tau2), tau2_se=tau2_se, tau=math.sqrt(tau2),
               i2=100 * tau2 / (tau2 + s2_typ) if k >= 2 else math.nan,
               h2=(tau2 + s2_typ) / s2_typ if k >= 2 else math.nan,
               q=q, q_pval=float(stats.chi2.sf(q, k - 1)) if k >= 2 else math.nan, crit=crit)
    return out


@dataclasses.dataclass
class PooledEffects:
    """Random-effects pooling of per-unit effects.

    Attributes
    ----------
    units : DataFrame
        The input rows with ``eb_effect, eb_se, eb_ci_low, eb_ci_high, shrinkage`` (the
        weight tau^2 / (tau^2 + s_i^2) on the unit's own estimate) and ``group``.
    pooled : DataFrame
        One row per group: ``group, k, mu, se, ci_low, ci_high, pval, df, tau2, tau2_se, tau,
        i2, h2, q, q_pval, method, test, note``.
    alpha : float
        1 - level of every interval.

    Examples
    --------
    Five pilot units whose effects differ more than their standard errors allow (I^2 87 %):
    each unit's empirical-Bayes effect is pulled toward the mean by ``1 - shrinkage``:

    >>> import pandas as pd
    >>> units = pd.DataFrame({"unit": ["A", "B", "C", "D", "E"],
    ...                       "estimate": [6.0, 1.0, 4.5, -1.5, 2.0], "se": [1.0, 0.8, 1.5, 1.2, 0.9]})
    >>> fit = pooled_unit_effects(units)
    >>> fit.pooled[["k", "mu", "ci_low", "ci_high", "tau2", "i2"]].round(2)
       k    mu  ci_low  ci_high  tau2     i2
    0  5  2.37   -1.26      6.0  7.27  87.33
    >>> fit.units[["unit", "estimate", "eb_effect", "shrinkage"]].round(2)
      unit  estimate  eb_effect  shrinkage
    0    A       6.0       5.56       0.88
    1    B       1.0       1.11       0.92
    2    C       4.5       4.00       0.76
    3    D      -1.5      -0.86       0.83
    4    E       2.0       2.04       0.90
    """

    units: pd.DataFrame
    pooled: pd.DataFrame
    alpha: float = 0.05

    def to_frame(self) -> pd.DataFrame:
        return self.units

    def __str__(self) -> str:
        return f"pooled_unit_effects (alpha = {self.alpha:g})\n{self.pooled.to_string(index=False)}"

    def _repr_html_(self) -> str:
        return self.pooled._repr_html_() + self.units._repr_html_()


def pooled_unit_effects(data: pd.DataFrame, *, estimate: str = "estimate", se: str = "se",
                        group: str | None = None, method: str = "REML", alpha: float = 0.05,
                        test: str = "knha", tau2_uncertainty: bool = True) -> PooledEffects:
    """Empirical-Bayes unit effects shrunk toward their group's mean by a random-effects model.

    Parameters
    ----------
    data : DataFrame
        One row per unit (and outcome, if ``group`` separates outcomes): its estimate and SE.
    estimate, se : str
        Columns with each unit's effect estimate y_i and its standard error s_i.
    group : str, optional
        Column defining separate pools (a wave, an outcome); default one pool.
    method : {"REML", "DL", "FE"}
        Estimator of tau^2: restricted maximum likelihood (default), DerSimonian & Laird
        (1986), or none (tau^2 = 0).
    alpha : float
        1 - level of the intervals.
    test : {"knha", "z"}
        Knapp & Hartung (2003) t test and interval for mu (default, with k - 1 df), or the
        normal Wald test (metafor ``test="z"``).
    tau2_uncertainty : bool
        Add the uncertainty of tau^2 to each unit's interval (Kass & Steffey 1989). With
        ``False`` the intervals are metafor's ``blup()`` intervals.

    Returns
    -------
    PooledEffects

    Notes
    -----
    With lambda_i = tau^2 / (tau^2 + s_i^2), the BLUP is mu + lambda_i (y_i - mu) with
    variance lambda_i s_i^2 + (1 - lambda_i)^2 Var(mu) (Raudenbush & Bryk 1985; metafor
    ``blup.rma.uni``). tau^2 is itself estimated from k units; its first-order contribution
    (Kass & Steffey 1989, eq. 3.3; Morris 1983, sec. 4) is (d BLUP / d tau^2)^2 Var(tau^2) =
    ((y_i - mu) s_i^2 / (tau^2 + s_i^2)^2)^2 Var(tau^2), with Var(tau^2) the inverse REML
    information (for DL and FE this term is not added). Intervals use the critical value of
    the mean's test (t_{k-1} with ``knha``). Assumes the units' true effects are exchangeable
    within a group and normal, and the s_i known.

    References
    ----------
    Morris CN (1983). JASA 78(381):47-55.
    Raudenbush SW, Bryk AS (1985). J Educ Stat 10(2):75-98.
    Kass RE, Steffey D (1989). JASA 84(407):717-726.
    Knapp G, Hartung J (2003). Stat Med 22(17):2693-2710.
    Viechtbauer W (2005). J Educ Behav Stat 30(3):261-293.
    Viechtbauer W (2010). J Stat Softw 36(3):1-48.
    Higgins JPT, Thompson SG (2002). Stat Med 21(11):1539-1558.

    Examples
    --------
    The eight schools (Rubin 1981):

    >>> import pandas as pd
    >>> schools = pd.DataFrame({"estimate": [28, 8, -3, 7, -1, 1, 18, 12],
    ...                         "se": [15, 10, 16, 11, 9, 11, 10, 18]})
    >>> fit = pooled_unit_effects(schools)
    >>> round(float(fit.pooled["mu"].iloc[0]), 2), float(fit.pooled["tau2"].iloc[0])
    (7.69, 0.0)
    >>> fit.units["eb_effect"].round(2).tolist()[:3]
    [7.69, 7.69, 7.69]
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie in (0, 1)")
    require_columns(data, [estimate, se, *([group] if group else [])], what="unit effects")
    y_all = pd.to_numeric(data[estimate], errors="coerce").to_numpy(dtype=float)
    s_all = pd.to_numeric(data[se], errors="coerce").to_numpy(dtype=float)
    bad = np.isfinite(s_all) & (s_all <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"standard errors must be positive (found {s_all[row]!r})", row=row, column=se)
    ok = np.isfinite(y_all) & np.isfinite(s_all)
    units = data.copy()
    groups = units[group].astype(object).to_numpy() if group else np.full(len(units), "all", dtype=object)
    eb = np.full((len(units), 5), np.nan)
    rows = []
    for g in pd.unique(groups):   # a handful of pools (waves, outcomes), each fitted in O(k)
        idx = np.flatnonzero((groups == g) & ok)
        if idx.size == 0:
            rows.append({"group": g, "k": 0, "method": method, "test": test, "note": _note("pool_none")})
            continue
        y, v = y_all[idx], s_all[idx] ** 2
        if idx.size < 2:
            rows.append({"group": g, "k": 1, "mu": float(y[0]), "method": method, "test": test,
                         "note": _note("pool_one")})
            eb[idx] = np.c_[y, np.sqrt(v), np.full(1, np.nan), np.full(1, np.nan), np.ones(1)]
            continue
        fit = _rma(y, v, method, alpha, test)
        tau2, mu, var_mu = fit["tau2"], fit["mu"], fit["se"] ** 2
        lam = tau2 / (tau2 + v)
        pred = mu + lam * (y - mu)
        var = lam * v + (1 - lam) ** 2 * var_mu
        if tau2_uncertainty and np.isfinite(fit["tau2_se"]):
            var = var + ((y - mu) * v / (tau2 + v) ** 2) ** 2 * fit["tau2_se"] ** 2
        half = fit.pop("crit") * np.sqrt(var)
        eb[idx] = np.c_[pred, np.sqrt(var), pred - half, pred + half, lam]
        rows.append({"group": g, **fit})
    for j, col in enumerate(["eb_effect", "eb_se", "eb_ci_low", "eb_ci_high", "shrinkage"]):
        units[col] = eb[:, j]
    units["group"] = groups if not group else units[group]
    pooled = pd.DataFrame(rows).reindex(columns=_POOLED_COLUMNS)
    pooled["note"] = pooled["note"].fillna("")
    return PooledEffects(units=units, pooled=pooled, alpha=alpha)


def _pooled_table(effect, target_power, *, tau2, se, n_units, alpha):
    arrays = np.broadcast_arrays(*[np.atleast_1d(np.asarray(x, dtype=float)) for x in
                                   (tau2, se, n_units, alpha, target_power if effect is None else effect)])
    tau2, se_u, k, alpha, goal = [a.ravel() for a in arrays]
    if np.any(tau2 < 0) or np.any(se_u <= 0) or np.any(k < 2):
        raise ValueError("tau2 must be >= 0, se > 0 and n_units >= 2")
    if np.any((alpha <= 0) | (alpha >= 1)):
        raise ValueError("alpha must lie in (0, 1)")
    se_mu = np.sqrt((se_u ** 2 + tau2) / k)
    df = k - 1
    if effect is None:
        if np.any((goal <= 0) | (goal >= 1)):
            raise ValueError("power must lie in (0, 1)")
        eff, pw = _mde_from_se(se_mu, alpha, goal, df, "t"), goal
    else:
        eff, pw = goal, _power_from_se(goal, se_mu, alpha, df, "t")
    return pd.DataFrame({"n_units": k.astype(int), "tau2": tau2, "se_unit": se_u, "alpha": alpha, "df": df,
                         "se": se_mu, "effect": eff, "power": pw})


def pooled_power(effect, *, tau2, se, n_units, alpha=0.05) -> pd.DataFrame:
    """Power of the next wave's programme-wide (random-effects mean) effect, one row per input.

    Parameters
    ----------
    effect : float or array
        Programme-wide mean effect mu to detect, in outcome units.
    tau2 : float or array
        Between-unit variance of true effects (``pooled["tau2"]`` of this wave).
    se : float or array
        Typical standard error of one unit's effect estimate (e.g. the median unit ``se``).
    n_units : int or array
        Planned number of pilot units in the next wave.
    alpha : float or array
        Two-sided level.

    Returns
    -------
    DataFrame
        ``n_units, tau2, se_unit, alpha, df, se, effect, power``.

    Notes
    -----
    With k units of equal SE s, Var(mu_hat) = (s^2 + tau^2) / k and the Knapp-Hartung test
    is the one-sample t test of the k unit estimates, so the power is the noncentral t with
    k - 1 df and noncentrality mu / sqrt((s^2 + tau^2) / k) (Hedges & Pigott 2001, eq. 20-22
    with the t reference; Jackson & Turner 2017).

    References
    ----------
    Hedges LV, Pigott TD (2001). Psychol Methods 6(3):203-217.
    Jackson D, Turner R (2017). Res Synth Methods 8(3):290-302.

    Examples
    --------
    >>> out = pooled_power(2.0, tau2=1.0, se=1.5, n_units=[6, 12])
    >>> out["power"].round(3).tolist()
    [0.59, 0.937]
    """
    return _pooled_table(effect, None, tau2=tau2, se=se, n_units=n_units, alpha=alpha)


def pooled_mde(*, tau2, se, n_units, power=0.8, alpha=0.05) -> pd.DataFrame:
    """Minimum detectable programme-wide effect of the next wave (same model as :func:`pooled_power`).

    Returns the :func:`pooled_power` columns with ``effect`` the smallest |mu| the two-sided
    Knapp-Hartung test detects with probability ``power``.

    Examples
    --------
    >>> pooled_mde(tau2=1.0, se=1.5, n_units=8)["effect"].round(3).tolist()
    [2.084]
    """
    return _pooled_table(None, power, tau2=tau2, se=se, n_units=n_units, alpha=alpha)

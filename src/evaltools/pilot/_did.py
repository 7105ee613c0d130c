"""2x2 / two-way fixed-effects difference-in-differences with few-cluster inference.

Pilots of a new appraisal system run in a handful of work units (5-40 clusters), so the
usual cluster-robust standard error is only the starting point: :func:`did` estimates the
2x2 / TWFE difference-in-differences with a CR1 cluster-robust standard error (``_ols``)
and, below 50 clusters, makes the wild cluster bootstrap (``_wild``) the headline, or
randomization inference (``_randinf``) on request. The balance table lives in ``_balance``;
the four public names are importable from here as before.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from evaltools._notes import note as _note
from evaltools._results import Estimate
from evaltools.pilot._balance import balance_table
from evaltools.pilot._ols import _absorb, _ClusteredOLS  # noqa: F401 (_absorb: importable from here as before)
from evaltools.pilot._panel import _codes, _prepare_panel
from evaltools.pilot._randinf import randomization_inference
from evaltools.pilot._wild import _rademacher_all, _wcr, wild_cluster_bootstrap  # noqa: F401 (as above)

__all__ = ["balance_table", "did", "wild_cluster_bootstrap", "randomization_inference"]


#: Below this many clusters ``inference="auto"`` makes the wild cluster bootstrap the headline
#: (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017 show CR1 t-tests over-reject there).
FEW_CLUSTERS = 50


# ----------------------------------------------------------------------------------------
# did
# ----------------------------------------------------------------------------------------
def did(data: pd.DataFrame, *, outcome: str, unit: str, period: str, treated: str, post: str,
        cluster: str | None = None, alpha: float = 0.05, inference: str = "auto", n_boot: int | None = None,
        weights: str = "rademacher", seed: int | np.random.Generator | None = None,
        n_perm: int | None = None) -> Estimate:
    """2x2 / two-way fixed-effects difference-in-differences with few-cluster inference.

    Estimates ``y_it = a_i + l_t + b * treated_i * post_t + e_it`` (TWFE; Angrist & Pischke
    2009, eq. 5.2.3) with unit and period fixed effects absorbed. When no unit is observed
    both before and after (repeated cross-sections, e.g. Wooldridge's examples 13.3 / 13.4)
    the unit effects are replaced by a treated-group dummy, the textbook 2x2 regression
    ``y = b0 + d0 treated + period effects + b * treated * post`` (Wooldridge 2020, eq. 13.11).

    Standard error: CR1 cluster-robust, clustered by ``cluster`` (default ``unit``), with the
    Stata / ``reghdfe`` small-sample factor G/(G-1)(N-1)/(N-K) where fixed effects nested in
    the clusters are not counted in K; t reference distribution with G-1 degrees of freedom.

    Few clusters (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017): with
    ``inference="auto"`` and fewer than 50 clusters, the restricted wild cluster bootstrap-t
    (see :func:`wild_cluster_bootstrap`) gives the headline p-value and confidence interval;
    the CR1 results stay in ``extra``. ``inference="cluster"`` reports CR1 only, ``"wild"``
    always bootstraps and ``"ri"`` makes the randomization-inference p-value and interval
    (:func:`randomization_inference`, permuting which units were treated) the headline.

    Parameters
    ----------
    data : DataFrame
        Long panel (one row per unit-period, or several per unit-period for individuals).
    outcome, unit, period : str
        Column names.
    treated : str
        0/1 (or bool) column, constant within unit: 1 for the pilot (treated) group.
    post : str
        0/1 (or bool) column, constant within period: 1 for periods after the pilot began.
    cluster : str, optional
        Cluster column (default: ``unit``). Must contain the treatment level for valid
        inference (Abadie et al. 2023).
    alpha : float
        1 - confidence level.
    inference : {"auto", "cluster", "wild", "ri"}
    n_boot : int, optional
        Wild bootstrap draws (default 9999; all 2^G sign vectors when that is fewer).
        Passing it with ``inference="ri"`` and no ``n_perm`` still sets the permutation
        count, with a ``DeprecationWarning``.
    weights : {"rademacher", "webb"}
    seed : int or Generator, optional
    n_perm : int, optional
        Randomization-inference assignments for ``inference="ri"`` (default 9999; all of
        them when there are fewer).

    Returns
    -------
    Estimate
        ``value`` = DiD coefficient, ``se`` = CR1 SE, ``ci_low``/``ci_high``/``pval`` from
        the headline method (named in ``extra['inference']`` and in ``note``), ``n_subjects``
        = number of units. ``extra``: ``design`` ("twfe" or "2x2 pooled"), ``n_obs``,
        ``n_units``, ``n_treated_units``, ``n_control_units``, ``n_periods``,
        ``n_clusters``, ``df``, ``t``, ``se_cr1``, ``pval_cr1``, ``ci_low_cr1``,
        ``ci_high_cr1``, ``se_iid`` (classical OLS SE), ``pval_wild``, ``ci_low_wild``,
        ``ci_high_wild``, ``wild_draws``, ``wild_enumerated``, ``pval_ri``, ``balanced``.

    References
    ----------
    Angrist, J. D., & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*, ch. 5.2.
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    *Journal of Human Resources*, 50(2), 317-372.
    MacKinnon, J. G., & Webb, M. D. (2017). Wild bootstrap inference for wildly different
    cluster sizes. *Journal of Applied Econometrics*, 32(2), 233-254.

    Examples
    --------
    Six units over four periods, units u0-u2 piloted from period 2 on with an effect of 2
    (the panel is noise-free apart from unit and period effects, so the DiD is exact):

    >>> import pandas as pd
    >>> panel = pd.DataFrame({"unit": [f"u{i}" for i in range(6) for _ in range(4)],
    ...                       "period": [0, 1, 2, 3] * 6})
    >>> panel["treated"] = (panel["unit"] < "u3").astype(int)
    >>> panel["post"] = (panel["period"] >= 2).astype(int)
    >>> panel["y"] = (10 + panel["unit"].str[1].astype(int) + 0.5 * panel["period"]
    ...               + 2.0 * panel["treated"] * panel["post"]
    ...               + [0.3, -0.1, 0.2, -0.4] * 6)
    >>> r = did(panel, outcome="y", unit="unit", period="period", treated="treated", post="post")
    >>> round(r.value, 3), r.inference, r.wild_draws, r.wild_enumerated
    (2.0, 'wild', 64, True)

    With six clusters the wild bootstrap enumerates all 2^6 sign vectors; randomization
    inference permutes which 3 of the 6 units were treated (20 assignments):

    >>> ri = did(panel, outcome="y", unit="unit", period="period", treated="treated",
    ...          post="post", inference="ri", n_perm=999)
    >>> ri.ri_assignments, ri.ri_exact, round(ri.pval, 2)
    (20, True, 0.1)
    """
    n_perm = _permutation_count(n_perm, n_boot, inference)
    n_boot = 9999 if n_boot is None else n_boot
    if inference not in ("auto", "cluster", "wild", "ri"):
        raise ValueError(f"inference must be 'auto', 'cluster', 'wild' or 'ri', got {inference!r}")
    if weights not in ("rademacher", "webb"):
        raise ValueError(f"weights must be 'rademacher' or 'webb', got {weights!r}")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    d, notes = _prepare_panel(data, outcome, unit, period, treated, post, cluster)
    cl_col = cluster or unit
    res = Estimate(name="did", n_subjects=int(d[unit].nunique()))
    res.extra = extra = _describe(d, unit, period, cl_col, inference)

    def undefined(reason: str) -> Estimate:
        res.note = "; ".join(notes + [reason])
        return res

    y = d[outcome].to_numpy(dtype=np.float64)
    why = _undefined_reason(d, y, outcome, extra)
    if why:
        return undefined(why)
    fes = _design(d, unit, period, extra, notes)
    m = _ClusteredOLS(y, (d["_treated"].to_numpy() * d["_post"].to_numpy())[:, None], fes,
                      d[cl_col].to_numpy(), ["did"])
    if not m.rank_ok:
        return undefined(_note("did_collinear"))
    res.value = float(m.beta[0])
    cr = m.cr1(0, alpha)
    res.se = cr["se"]
    extra.update({"n_clusters": m.G, "df": cr["df"], "t": cr["t"], "se_cr1": cr["se"], "pval_cr1": cr["pval"],
                  "ci_low_cr1": cr["ci_low"], "ci_high_cr1": cr["ci_high"], "se_iid": m.se_iid(0)})
    if m.G < 2:
        return undefined(_note("did_few_clusters"))
    headline = inference
    if inference == "auto":
        headline = "wild" if m.G < FEW_CLUSTERS else "cluster"
    extra["inference"] = headline
    if headline == "ri":
        _ri_headline(res, d, outcome, unit, period, cr, notes, n_perm=n_perm, seed=seed, alpha=alpha)
    elif headline == "wild":
        _wild_headline(res, m, cr, notes, requested=inference != "auto", alpha=alpha, n_boot=n_boot,
                       weights=weights, seed=seed)
    else:
        res.pval, res.ci_low, res.ci_high = cr["pval"], cr["ci_low"], cr["ci_high"]
        notes.append(_note("did_cr1", df=cr["df"], g=m.G))
    res.note = "; ".join(notes)
    return res


def _permutation_count(n_perm: int | None, n_boot: int | None, inference: str) -> int:
    """Permutations for ``inference="ri"``: ``n_perm``, or the deprecated ``n_boot`` spelling."""
    if n_perm is not None:
        return n_perm
    if inference == "ri" and n_boot is not None:
        warnings.warn("did(inference='ri'): n_boot as the permutation count is deprecated; use n_perm= "
                      "(n_boot counts wild bootstrap draws)", DeprecationWarning, stacklevel=3)
        return n_boot
    return 9999


def _describe(d: pd.DataFrame, unit: str, period: str, cl_col: str, inference: str) -> dict[str, Any]:
    """The design counts every result carries, with the inference fields still undefined."""
    unit_z = d.groupby(unit, observed=True)["_treated"].first()
    per_unit_periods = d.groupby(unit, observed=True)[period].nunique()
    n_periods = int(d[period].nunique())
    balanced = bool((per_unit_periods == n_periods).all()) and not d.duplicated([unit, period]).any()
    return {"design": "", "n_obs": len(d), "n_units": int(d[unit].nunique()),
            "n_treated_units": int((unit_z == 1).sum()), "n_control_units": int((unit_z == 0).sum()),
            "n_periods": n_periods, "n_clusters": int(d[cl_col].nunique()),
            "balanced": balanced, "inference": inference, "df": math.nan, "t": math.nan,
            "se_cr1": math.nan, "pval_cr1": math.nan, "ci_low_cr1": math.nan,
            "ci_high_cr1": math.nan, "se_iid": math.nan, "pval_wild": math.nan,
            "ci_low_wild": math.nan, "ci_high_wild": math.nan, "wild_draws": 0,
            "wild_enumerated": False, "pval_ri": math.nan}


def _undefined_reason(d: pd.DataFrame, y: np.ndarray, outcome: str, extra: dict) -> str:
    """Why the DiD cannot be estimated on these data ("" when it can)."""
    p = d["_post"].to_numpy()
    if len(d) == 0:
        return _note("did_no_outcome")
    if (p == 1).all():
        return _note("did_no_pre")
    if (p == 0).all():
        return _note("did_no_post")
    if extra["n_treated_units"] == 0:
        return _note("did_no_treated")
    if extra["n_control_units"] == 0:
        return _note("did_no_controls")
    if np.ptp(y) == 0:
        return _note("did_constant", outcome=outcome)
    return ""


def _design(d: pd.DataFrame, unit: str, period: str, extra: dict, notes: list[str]) -> list[tuple[np.ndarray, int]]:
    """Fixed effects of the regression: unit and period (TWFE), or treated group and period
    when no unit is seen both before and after (repeated cross-sections)."""
    both = (d.groupby(unit, observed=True)["_post"].nunique() == 2)
    if both.any():
        design = "twfe"
        fes = [_codes(d[unit].to_numpy()), _codes(d[period].to_numpy())]
        if not both.all():
            notes.append(_note("did_one_side", n=int((~both).sum())))
    else:
        design = "2x2 pooled"
        fes = [_codes(d["_treated"].to_numpy()), _codes(d[period].to_numpy())]
        notes.append(_note("did_cross_sections"))
    extra["design"] = design
    if not extra["balanced"] and design == "twfe":
        short = int((d.groupby(unit, observed=True)[period].nunique() < extra["n_periods"]).sum())
        notes.append(_note("did_unbalanced", k=short, n=extra["n_units"]))
    if extra["n_treated_units"] == 1:
        notes.append(_note("did_single_treated"))
    return fes


def _ri_headline(res: Estimate, d: pd.DataFrame, outcome: str, unit: str, period: str, cr: dict,
                 notes: list[str], *, n_perm: int, seed: Any, alpha: float) -> None:
    """Randomization inference (permuting which units were treated) as the headline."""
    ri = randomization_inference(d, outcome=outcome, unit=unit, period=period, treated="_treated",
                                 post="_post", n_perm=n_perm, seed=seed, alpha=alpha)
    res.extra.update({"pval_ri": ri.pval, "ci_low_ri": ri.ci_low, "ci_high_ri": ri.ci_high,
                      "ri_assignments": ri.extra.get("n_assignments"), "ri_exact": ri.extra.get("exact")})
    res.pval, res.ci_low, res.ci_high = ri.pval, ri.ci_low, ri.ci_high
    notes.append(_note("did_ri_exact" if ri.extra.get("exact") else "did_ri_sampled",
                       n=ri.extra.get("n_assignments"), p=cr["pval"]))


def _wild_headline(res: Estimate, m: _ClusteredOLS, cr: dict, notes: list[str], *, requested: bool,
                   alpha: float, n_boot: int, weights: str, seed: Any) -> None:
    """The restricted wild cluster bootstrap-t as the headline (few clusters, or asked for)."""
    extra = res.extra
    w = _wcr(m, 0, null=0.0, alpha=alpha, n_boot=n_boot, weights=weights, seed=seed)
    extra.update({"pval_wild": w["pval"], "ci_low_wild": w["ci_low"], "ci_high_wild": w["ci_high"],
                  "wild_draws": w["n_draws"], "wild_enumerated": w["enumerated"], "wild_weights": weights})
    res.pval, res.ci_low, res.ci_high = extra["pval_wild"], extra["ci_low_wild"], extra["ci_high_wild"]
    code = "did_wild_" + ("all" if extra["wild_enumerated"] else "draws") + ("_asked" if requested else "_few")
    notes.append(_note(code, n=extra["wild_draws"], weights=weights, p=cr["pval"], lo=cr["ci_low"], hi=cr["ci_high"],
                       **({} if requested else {"g": m.G, "few": FEW_CLUSTERS})))
    if extra["wild_enumerated"] and weights == "rademacher" and m.G <= 11:
        notes.append(_note("did_rademacher_few", g=m.G))
    if not math.isfinite(res.ci_low) or not math.isfinite(res.ci_high):
        notes.append(_note("did_ci_unbounded"))

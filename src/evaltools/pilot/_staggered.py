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

import dataclasses
import itertools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaltools._errors import DataError, require_columns
from evaltools._results import Estimate

__all__ = ["staggered_att", "StaggeredResult", "AggregateResult", "event_study"]

# R did: a standard error at or below sqrt(machine eps) * 10 is reported as NA
_TINY_SE = math.sqrt(np.finfo(float).eps) * 10
# Mammen (1993) two-point multipliers: mean 0, variance 1, third moment 1
_KAPPA = (math.sqrt(5.0) + 1.0) / 2.0
_MAMMEN_P = _KAPPA / math.sqrt(5.0)
_MAMMEN_LO = 1.0 - _KAPPA
_MAMMEN_HI = _KAPPA
# DRDID: controls with a propensity score at or above this are trimmed
_TRIM_LEVEL = 0.995
_AGG_TYPES = ("simple", "group", "dynamic", "calendar")


# ----------------------------------------------------------------------------------
# panel preparation
# ----------------------------------------------------------------------------------
@dataclasses.dataclass
class _Panel:
    Y: np.ndarray                 # units x periods outcome matrix (balanced)
    X: np.ndarray | None          # units x periods x covariates, or None
    G: np.ndarray                 # group (first treated period, numeric scale; 0 = never)
    tvals: np.ndarray             # sorted numeric period values
    labels: list | None           # period labels when the input was an ordered Categorical
    units: np.ndarray             # unit identifiers, in row order of Y
    glist: np.ndarray             # groups for which ATT(g,t) is estimated
    notes: list
    undefined: str = ""           # why no ATT(g,t) is identified (then every cell is nan)


def _period_codes(data: pd.DataFrame, period: str, first_treated: str):
    """Numeric period values and numeric first-treated values.

    An ordered Categorical period is mapped to 1-based positions; first_treated then
    may be a Categorical / labels of the same periods or 1-based positions
    (``first_treated_idx``), with 0 or missing meaning never treated.
    """
    pcol = data[period]
    fcol = data[first_treated]
    labels = None
    if isinstance(pcol.dtype, pd.CategoricalDtype):
        if not pcol.cat.ordered:
            raise DataError("period is an unordered Categorical; make it ordered so the period "
                            "order is known", column=period)
        codes = pcol.cat.codes.to_numpy()
        if (codes < 0).any():
            raise DataError(f"{int((codes < 0).sum())} row(s) have a missing period", column=period,
                            row=int(np.flatnonzero(codes < 0)[0]))
        labels = list(pcol.cat.categories)
        t = codes.astype(float) + 1.0
        pos = {lab: i + 1 for i, lab in enumerate(labels)}
        if isinstance(fcol.dtype, pd.CategoricalDtype) or fcol.dtype == object or pd.api.types.is_string_dtype(fcol):
            vals = fcol.astype(object)
            miss = vals.isna().to_numpy()
            unknown = ~miss & ~vals.isin(list(pos)).to_numpy()
            if unknown.any():
                bad = vals[unknown].iloc[0]
                raise DataError(f"first-treated value {bad!r} is not one of the periods "
                                f"{labels}", column=first_treated, row=int(np.flatnonzero(unknown)[0]))
            g = np.array([0.0 if m else float(pos[v]) for v, m in zip(vals, miss)]) if len(vals) else np.zeros(0)
        else:
            g = pd.to_numeric(fcol, errors="coerce").to_numpy(dtype=float)
            bad = np.isnan(g) & fcol.notna().to_numpy()
            if bad.any():
                raise DataError("first-treated value is not a number", column=first_treated,
                                row=int(np.flatnonzero(bad)[0]))
    elif pd.api.types.is_numeric_dtype(pcol) and not pd.api.types.is_bool_dtype(pcol):
        t = pcol.to_numpy(dtype=float)
        if np.isnan(t).any():
            raise DataError(f"{int(np.isnan(t).sum())} row(s) have a missing period", column=period,
                            row=int(np.flatnonzero(np.isnan(t))[0]))
        if isinstance(fcol.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(fcol):
            raise DataError("first_treated must be numeric on the same scale as the period "
                            "column (0 or missing = never treated)", column=first_treated)
        g = fcol.to_numpy(dtype=float)
    else:
        raise DataError(f"period must be numeric or an ordered Categorical, got dtype {pcol.dtype}",
                        column=period)
    g = np.where(np.isnan(g) | np.isinf(g), 0.0, g)
    if (g < 0).any():
        raise DataError("first_treated must be a period (or 0 / missing for never treated); "
                        "found a negative value", column=first_treated, row=int(np.flatnonzero(g < 0)[0]))
    return t, g, labels


def _prepare(data, outcome, unit, period, first_treated, covariates, control, anticipation) -> _Panel:
    covariates = list(covariates or [])
    require_columns(data, [outcome, unit, period, first_treated, *covariates], what="panel")
    if len(data) == 0:
        raise DataError("the panel has no rows", column=outcome)
    notes: list[str] = []
    t, g, labels = _period_codes(data, period, first_treated)
    y = pd.to_numeric(data[outcome], errors="coerce").to_numpy(dtype=float)
    if not pd.api.types.is_numeric_dtype(data[outcome]):
        raise DataError(f"outcome must be numeric, got dtype {data[outcome].dtype}", column=outcome)
    for c in covariates:
        if not (pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])):
            raise DataError("covariate must be numeric (encode categories as 0/1 columns)", column=c)

    ucode, uniq_units = pd.factorize(data[unit], sort=True)
    if (ucode < 0).any():
        raise DataError("missing unit identifier", column=unit, row=int(np.flatnonzero(ucode < 0)[0]))
    tvals = np.unique(t)
    if len(tvals) < 2:
        raise DataError("the panel needs at least two periods", column=period)
    pidx = np.searchsorted(tvals, t)
    n_all, T = len(uniq_units), len(tvals)
    flat = ucode.astype(np.int64) * T + pidx
    counts = np.bincount(flat, minlength=n_all * T)
    if (counts > 1).any():
        dup = np.flatnonzero(counts[flat] > 1)[0]
        raise DataError(f"duplicate row for unit {uniq_units[ucode[dup]]!r} in one period: the panel "
                        "must have one row per unit and period", column=unit, row=int(dup))
    gmin = np.full(n_all, np.inf)
    gmax = np.full(n_all, -np.inf)
    np.minimum.at(gmin, ucode, g)
    np.maximum.at(gmax, ucode, g)
    if (gmin != gmax).any():
        bad = np.flatnonzero(gmin != gmax)[0]
        raise DataError(f"first_treated differs across periods for unit {uniq_units[bad]!r}; it must "
                        "be constant within a unit", column=first_treated)
    G = gmin

    Y = np.full(n_all * T, np.nan)
    Y[flat] = y
    Y = Y.reshape(n_all, T)
    X = None
    if covariates:
        X = np.full((n_all * T, len(covariates)), np.nan)
        X[flat] = data[covariates].to_numpy(dtype=float)
        X = X.reshape(n_all, T, len(covariates))
    ok = ~np.isnan(Y).any(axis=1)
    if X is not None:
        ok &= ~np.isnan(X).any(axis=(1, 2))
    if not ok.all():
        nd = int((~ok).sum())
        if nd == n_all:
            raise DataError("no unit is observed with a non-missing outcome (and covariates) in every "
                            "period; the panel estimator needs a balanced panel", column=outcome)
        notes.append(f"dropped {nd} of {n_all} units not observed with a non-missing outcome"
                     f"{' and covariates' if covariates else ''} in all {T} periods (balanced panel "
                     "required)")
    keep = ok

    # groups first treated after the last period are untreated within the sample (R did)
    late = keep & (G > tvals[-1] + anticipation)
    if late.any():
        notes.append(f"{int(late.sum())} unit(s) first treated after the last period are treated "
                     "as never treated")
        G = np.where(late, 0.0, G)

    glist_all = np.unique(G[keep])
    borrowed = None          # the last wave, when it stands in for a missing never-treated group
    whole = (Y, X, tvals, G)   # the panel before the last wave is borrowed, for the undefined case
    if not (glist_all == 0).any():
        latest = glist_all.max()
        cutoff = latest - anticipation
        tk = tvals < cutoff
        if tk.sum() < 2:
            raise DataError("no never-treated units and fewer than two periods before the last wave "
                            "starts: no comparison group is available", column=first_treated)
        Y, tvals = Y[:, tk], tvals[tk]
        if X is not None:
            X = X[:, tk]
        if labels is None:
            lab = f"{latest:g}"
        else:
            lab = str(labels[int(latest) - 1])
        borrowed = lab
        if control == "never":
            G = np.where(G == latest, 0.0, G)
            notes.append(f"no never-treated units: the last wave ({lab}) serves as the never-treated "
                         "comparison group and periods from its start on are dropped")
        else:
            notes.append(f"no never-treated units: the last wave ({lab}) is used only as a not-yet-"
                         "treated comparison group and periods from its start on are dropped")

    first = keep & (G > 0) & (G <= tvals[0] + anticipation)
    if first.any():
        notes.append(f"dropped {int(first.sum())} unit(s) already treated in the first period "
                     "(no pre-treatment period)")
        keep = keep & ~first
    Y, G, units = Y[keep], G[keep], np.asarray(uniq_units)[keep]
    if X is not None:
        X = X[keep]
    if len(G) == 0:
        raise DataError("no units left after dropping incomplete and first-period-treated units",
                        column=first_treated)
    glist = np.unique(G[G > 0])
    if not (G == 0).any() and control == "notyet" and len(glist):
        glist = glist[glist < glist.max()]
    if len(glist) == 0:
        if borrowed is not None:
            # Valid input whose effect is not identified: nothing to compare the one
            # cohort with. R did stops ("No valid groups"); evaltools keeps its promise of
            # nan with the reason, on the cohort's own cells over the whole panel.
            why = (f"no comparison group: there are no never-treated units, and the only wave with "
                   f"pre-treatment periods ({borrowed}) is needed as the comparison group"
                   + (f"; the {int(first.sum())} unit(s) treated from the first period on have no "
                      "pre-treatment period" if first.any() else ""))
            Y, X, tvals, G = whole
            notes = [n for n in notes if not n.startswith("no never-treated units: the last wave")]
            notes.append(why + "; every ATT(g,t) is undefined")
            Y, G = Y[keep], G[keep]
            if X is not None:
                X = X[keep]
            return _Panel(Y=Y, X=X, G=G, tvals=tvals, labels=labels, units=units, glist=np.unique(G[G > 0]),
                          notes=notes, undefined=why)
        raise DataError("no treated group with a pre-treatment period remains", column=first_treated)
    if control == "never" and not (G == 0).any():
        raise DataError("no never-treated units: use control='notyet'", column=first_treated)
    # R did (pre_process_did.R): groups with fewer units than the number of covariates
    # + 5 get a warning, and a never-treated group that small stops att_gt when it is
    # the comparison group. With covariates we refuse as did does (the outcome
    # regression and the propensity score are fitted on those few units); without them
    # the comparison is a difference of means, which evaltools keeps for the handful of
    # controls a pilot has (with randomization inference), and the note says so.
    req = len(covariates) + 5
    n_never = int((G == 0).sum())
    small = [_label(gv, labels) for gv in glist if (G == gv).sum() < req]
    if 0 < n_never < req:
        if covariates and control == "never":
            raise DataError(f"the never-treated group ({n_never} units) is too small to serve as a reliable "
                            f"control with {len(covariates)} covariate(s) (R did needs at least covariates + 5 "
                            f"= {req}); use control='notyet' or fewer covariates", column=first_treated)
        small = ["never treated"] + small
    if small:
        notes.append(f"group(s) {', '.join(small)} have fewer than {req} units (covariates + 5, R did's "
                     "threshold): estimates may be unstable")
    sizes = {gv: int((G == gv).sum()) for gv in glist}
    singles = [gv for gv, s in sizes.items() if s == 1]
    if singles:
        names = ", ".join(_label(gv, labels) for gv in singles)
        notes.append(f"group(s) {names} have a single unit: their ATT(g,t) rests on one unit and the "
                     "standard errors are unreliable")
    if np.ptp(Y) == 0:
        notes.append(f"outcome '{outcome}' is constant: every ATT(g,t) is 0 and standard errors are "
                     "undefined")
    return _Panel(Y=Y, X=X, G=G, tvals=tvals, labels=labels, units=units, glist=glist, notes=notes)


def _label(v: float, labels: list | None):
    if labels is not None:
        i = int(round(v)) - 1
        return str(labels[i]) if 0 <= i < len(labels) else f"{v:g}"
    return f"{v:g}"


# ----------------------------------------------------------------------------------
# cell definitions: which (g, t) and which base period / comparison units
# ----------------------------------------------------------------------------------
@dataclasses.dataclass
class _Cells:
    g: np.ndarray        # group value per cell
    c: np.ndarray        # position of the period t
    b: np.ndarray        # position of the base period
    thr: np.ndarray      # not-yet-treated: controls have G > thr
    ref: np.ndarray      # universal base period reference cell (att 0 by construction)


def _make_cells(tvals, glist, base_period, anticipation) -> _Cells:
    """Cells and base periods as R did's compute.att_gt.

    Varying base: t runs over periods 2..T, pre-treatment cells compare t with t-1
    (short differences), post-treatment cells with the last period before
    g - anticipation. Universal base: every t is compared with that period.
    """
    T = len(tvals)
    rows = []
    for gv in glist:
        pre = np.flatnonzero(tvals + anticipation < gv)
        gb = int(pre[-1])
        cs = range(1, T) if base_period == "varying" else range(T)
        for c in cs:
            b = c - 1 if base_period == "varying" else gb
            if gv <= tvals[c]:
                b = gb
            thr = tvals[max(c, b)] + anticipation
            rows.append((gv, c, b, thr, base_period == "universal" and c == gb))
    g, c, b, thr, ref = (np.array(x) for x in zip(*rows))
    return _Cells(g=g.astype(float), c=c.astype(int), b=b.astype(int), thr=thr.astype(float),
                  ref=ref.astype(bool))


# ----------------------------------------------------------------------------------
# 2x2 estimators on one cell (Sant'Anna & Zhao 2020, DRDID panel estimators)
# ----------------------------------------------------------------------------------
def _logit(X: np.ndarray, d: np.ndarray, maxit: int = 50):
    """Logit MLE by Newton-Raphson (= IRLS); returns fitted probabilities and X'WX."""
    k = X.shape[1]
    beta = np.zeros(k)
    # R glm's start: mu = (y + 0.5) / 2 on the logit scale, fitted by one least-squares step
    mu0 = (d + 0.5) / 2.0
    eta0 = np.log(mu0 / (1 - mu0))
    beta = np.linalg.lstsq(X, eta0, rcond=None)[0]
    for _ in range(maxit):
        eta = np.clip(X @ beta, -35, 35)
        p = 1.0 / (1.0 + np.exp(-eta))
        W = p * (1 - p)
        H = X.T @ (X * W[:, None])
        try:
            step = np.linalg.solve(H, X.T @ (d - p))
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if np.max(np.abs(step)) < 1e-11 * (1 + np.max(np.abs(beta))):
            break
    eta = np.clip(X @ beta, -35, 35)
    p = 1.0 / (1.0 + np.exp(-eta))
    H = X.T @ (X * (p * (1 - p))[:, None])
    return p, H


def _wols(X, y, w):
    """Least-squares fit on rows with weight w (0/1); coefficients and rcond of X'WX."""
    XtX = X.T @ (X * w[:, None])
    rc = 1.0 / np.linalg.cond(XtX, p=1) if np.all(np.isfinite(XtX)) else 0.0
    if not np.isfinite(rc) or rc < np.finfo(float).eps:
        return None, XtX
    beta = np.linalg.solve(XtX, X.T @ (w * y))
    return beta, XtX


def _cell_cov(dy: np.ndarray, D: np.ndarray, X: np.ndarray, method: str, want_if: bool):
    """ATT and influence function (over the n1 units of the cell) with covariates.

    Implements DRDID's ``drdid_panel`` (improved locally efficient doubly robust,
    Sant'Anna & Zhao 2020, Section 3.1, logit propensity score and least-squares
    outcome model for the comparison units),
    ``reg_did_panel`` (Heckman, Ichimura & Todd 1997 outcome regression) and
    ``std_ipw_did_panel`` (normalized Abadie 2005 IPW). Returns (att, if, reason).
    """
    n1 = len(dy)
    Df = D.astype(float)
    if method in ("dr", "ipw"):
        ps, H = _logit(X, Df)
        rc = 1.0 / np.linalg.cond(H, p=1) if np.all(np.isfinite(H)) else 0.0
        if not np.isfinite(rc) or rc < np.finfo(float).eps:
            return math.nan, None, "propensity score model not identified (collinear covariates)"
        if ps.max() >= 0.999:
            return math.nan, None, "overlap violated: a propensity score is >= 0.999"
        ps = np.minimum(ps, 1 - 1e-6)
        trim = np.where(D, True, ps < _TRIM_LEVEL).astype(float)
    if method in ("dr", "reg"):
        beta, XtX = _wols(X, dy, 1.0 - Df)
        if beta is None:
            return math.nan, None, "not enough comparison units to fit the outcome regression"
        out = X @ beta
    if method == "dr":
        w_t = trim * Df
        w_c = trim * ps * (1 - Df) / (1 - ps)
        r = dy - out
        eta_t = np.mean(w_t * r) / np.mean(w_t)
        eta_c = np.mean(w_c * r) / np.mean(w_c)
        att = eta_t - eta_c
        if not want_if:
            return att, None, ""
        asy_ols = ((1 - Df) * r)[:, None] * X @ np.linalg.inv(XtX / n1)
        asy_ps = ((Df - ps)[:, None] * X) @ np.linalg.inv(H / n1)
        inf_t = (w_t * r - w_t * eta_t - asy_ols @ np.mean(w_t[:, None] * X, axis=0)) / np.mean(w_t)
        M2 = np.mean((w_c * (r - eta_c))[:, None] * X, axis=0)
        M3 = np.mean(w_c[:, None] * X, axis=0)
        inf_c = (w_c * r - w_c * eta_c + asy_ps @ M2 - asy_ols @ M3) / np.mean(w_c)
        return att, inf_t - inf_c, ""
    if method == "reg":
        w_t = Df
        eta_t = np.mean(w_t * dy) / np.mean(w_t)
        eta_c = np.mean(w_t * out) / np.mean(w_t)
        att = eta_t - eta_c
        if not want_if:
            return att, None, ""
        asy_ols = ((1 - Df) * (dy - out))[:, None] * X @ np.linalg.inv(XtX / n1)
        inf_t = (w_t * dy - w_t * eta_t) / np.mean(w_t)
        inf_c = (w_t * out - w_t * eta_c + asy_ols @ np.mean(w_t[:, None] * X, axis=0)) / np.mean(w_t)
        return att, inf_t - inf_c, ""
    # normalized (Hajek) IPW
    w_t = trim * Df
    w_c = trim * ps * (1 - Df) / (1 - ps)
    eta_t = np.mean(w_t * dy) / np.mean(w_t)
    eta_c = np.mean(w_c * dy) / np.mean(w_c)
    att = eta_t - eta_c
    if not want_if:
        return att, None, ""
    asy_ps = ((Df - ps)[:, None] * X) @ np.linalg.inv(H / n1)
    inf_t = (w_t * dy - w_t * eta_t) / np.mean(w_t)
    M2 = np.mean((w_c * (dy - eta_c))[:, None] * X, axis=0)
    inf_c = (w_c * dy - w_c * eta_c + asy_ps @ M2) / np.mean(w_c)
    return att, inf_t - inf_c, ""


def _estimate(panel: _Panel, cells: _Cells, G: np.ndarray, control: str, method: str,
              want_if: bool = True):
    """ATT(g,t) for every cell; influence functions as a cells x units matrix.

    Without covariates the three estimators coincide with the difference of mean
    changes, whose influence function (scaled by n/n1 as R did) is
    n * [1(G=g)(dY - m_g)/n_g - 1(C)(dY - m_C)/n_C] (Callaway & Sant'Anna 2021, Theorem 1
    with no covariates).
    """
    Y = panel.Y
    n = Y.shape[0]
    K = len(cells.g)
    att = np.full(K, np.nan)
    n_t = np.zeros(K, dtype=int)
    n_c = np.zeros(K, dtype=int)
    reasons = [""] * K
    IF = np.zeros((K, n)) if want_if else None
    gvals, gcode = np.unique(G, return_inverse=True)
    sizes = np.bincount(gcode, minlength=len(gvals)).astype(float)
    never = gvals == 0
    if panel.X is None:
        # cohort-by-period sums: every mean below is a ratio of these
        S = np.stack([np.bincount(gcode, weights=Y[:, j], minlength=len(gvals)) for j in range(Y.shape[1])],
                     axis=1)
    for k in range(K):
        gv, c, b = cells.g[k], cells.c[k], cells.b[k]
        if cells.ref[k]:
            att[k] = 0.0
            reasons[k] = "reference period"
            continue
        isg = gvals == gv
        ctl = never.copy() if control == "never" else never | ((gvals > cells.thr[k]) & ~isg)
        n_t[k] = int(sizes[isg].sum())
        n_c[k] = int(sizes[ctl].sum())
        if n_c[k] == 0:
            reasons[k] = ("no never-treated comparison units" if control == "never" else
                          "no never-treated or not-yet-treated comparison units in this period")
            continue
        if panel.X is None:
            dS = S[:, c] - S[:, b]
            mT = dS[isg].sum() / n_t[k]
            mC = dS[ctl].sum() / n_c[k]
            att[k] = mT - mC
            if want_if:
                coef = np.where(isg, n / n_t[k], np.where(ctl, -n / n_c[k], 0.0))
                m = np.where(isg, mT, np.where(ctl, mC, 0.0))
                IF[k] = coef[gcode] * ((Y[:, c] - Y[:, b]) - m[gcode])
        else:
            member = (isg | ctl)[gcode]
            idx = np.flatnonzero(member)
            dy = Y[idx, c] - Y[idx, b]
            Xk = panel.X[idx, min(c, b)]
            Xk = np.column_stack([np.ones(len(idx)), Xk])
            a, inf, why = _cell_cov(dy, isg[gcode[idx]], Xk, method, want_if)
            att[k] = a
            reasons[k] = why
            if want_if and inf is not None:
                IF[k, idx] = inf * (n / len(idx))
    return att, IF, n_t, n_c, reasons


# ----------------------------------------------------------------------------------
# multiplier bootstrap
# ----------------------------------------------------------------------------------
def _mammen_products(M: np.ndarray, n_boot: int, rng: np.random.Generator, chunk_bytes: int = 16 << 20):
    """M @ V for a units-by-draws matrix V of Mammen multipliers, built in row chunks.

    Equivalent to R did's ``run_multiplier_bootstrap``: one matrix product of the
    influence functions with the multipliers, never a loop over draws. With
    V = lo + (hi - lo) * B for B ~ Bernoulli(1 - p), M @ V = lo * M @ 1 + (hi - lo) * M @ B,
    so each chunk needs only 32 random bits and a 0/1 matrix per multiplier.
    """
    r, n = M.shape
    acc = np.zeros((n_boot, r))
    thr = np.uint32(round(_MAMMEN_P * 2.0 ** 32))
    step = max(1, chunk_bytes // (8 * max(n_boot, 1)))
    buf = np.empty((min(step, n), n_boot))
    for j0 in range(0, n, step):
        j1 = min(n, j0 + step)
        m = j1 - j0
        raw = rng.bit_generator.random_raw((m * n_boot + 1) // 2).view(np.uint32)[: m * n_boot]
        np.greater_equal(raw.reshape(m, n_boot), thr, out=buf[:m], casting="unsafe")
        acc += buf[:m].T @ M[:, j0:j1].T
    return _MAMMEN_LO * M.sum(axis=1)[:, None] + (_MAMMEN_HI - _MAMMEN_LO) * acc.T


def _boot_stats(bsum: np.ndarray, n: int, alpha: float):
    """Bootstrap SEs and the sup-t critical value, as R did's ``mboot``.

    ``bsum`` holds sum_i IF_i v_i per column and draw; R's bres = sqrt(n) * mean.
    SE is the interquartile range over 1.349 divided by sqrt(n); the simultaneous
    critical value is the 1 - alpha quantile (type 1) of max_k |bres_k / sigma_k|.
    """
    bres = bsum / math.sqrt(n)
    ok = np.isfinite(bres).all(axis=1) & ((bres ** 2).sum(axis=1) > _TINY_SE)
    q75, q25 = np.quantile(bres, [0.75, 0.25], axis=1, method="inverted_cdf")
    sigma = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    sigma = np.where(ok & (sigma > _TINY_SE), sigma, np.nan)
    se = sigma / math.sqrt(n)
    crit = math.nan
    if np.isfinite(sigma).any():
        with np.errstate(invalid="ignore", divide="ignore"):
            tmax = np.nanmax(np.abs(bres[np.isfinite(sigma)] / sigma[np.isfinite(sigma), None]), axis=0)
        tmax = tmax[np.isfinite(tmax)]
        if len(tmax):
            crit = float(np.quantile(tmax, 1 - alpha, method="inverted_cdf"))
    return se, crit


# ----------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------
@dataclasses.dataclass
class AggregateResult(Estimate):
    """An aggregated ATT (overall value, SE, CI) with its per-key table.

    ``table`` has columns ``key, att, se, ci_low, ci_high`` (plus ``cband_low,
    cband_high`` with the bootstrap) where key is the group, event time or calendar
    period; it is ``None`` for the simple aggregation.
    """

    table: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
               if f.name not in ("name", "extra", "table")}
        row.update(self.extra)
        return pd.DataFrame([row], index=pd.Index([self.name], name="statistic"))

    def __str__(self) -> str:
        s = super().__str__()
        if self.table is not None:
            s += "\n" + self.table.to_string(index=False)
        return s


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
            self.notes.append("simultaneous critical value not finite; pointwise bands reported")
            return z
        if crit < z:
            return z
        return crit

    def _lin_se(self, A: np.ndarray, Dm: np.ndarray):
        """SEs of the aggregated influence functions IF'A + 1(G=g)'Dm (one column each)."""
        n = self.n_units
        Dext = np.vstack([Dm, np.zeros((1, Dm.shape[1]))])
        inf = self._IF.T @ A + Dext[self._gidx]
        se = np.sqrt((inf ** 2).sum(axis=0)) / n
        se[~(se > _TINY_SE)] = np.nan
        crit = math.nan
        if self._boot is not None:
            K = len(self._att)
            bsum = A.T @ self._boot[:K] + Dm.T @ self._boot[K:]
            se_b, crit = _boot_stats(bsum, n, self.alpha)
            se = np.where(np.isfinite(se), se_b, np.nan)
        return se, crit

    def _wif(self, w_pg: np.ndarray, att: np.ndarray, g_of: np.ndarray):
        """Group-indicator coefficients of the estimated-weights influence term.

        R did's ``wif`` (Callaway & Sant'Anna 2021, Appendix): for weights
        pg_j / sum(pg), the term is sum_j (1(G=g_j) - pg_j) att_j / S -
        sum_j (1(G=g_j) - pg_j) * sum_j pg_j att_j / S^2; its constant part is zero.
        """
        d = np.zeros(len(self._panel.glist))
        S = w_pg.sum()
        A = (w_pg * att).sum()
        np.add.at(d, g_of, att / S - A / S ** 2)
        return d

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
        return self._aggregate(type, min_e=min_e, max_e=max_e, balance_e=balance_e)[0]

    def _aggregate(self, type, *, min_e=-math.inf, max_e=math.inf, balance_e=None, se=True):
        """The aggregate and its cell weights a (value = a . att)."""
        if type not in _AGG_TYPES:
            raise ValueError(f"type must be one of {_AGG_TYPES}, got {type!r}")
        cells, tv = self._cells, self._panel.tvals
        K = len(self._att)
        glist = self._panel.glist
        g_of = np.searchsorted(glist, cells.g)
        t = tv[cells.c]
        g = cells.g
        valid = self._valid
        att = np.where(valid, self._att, 0.0)
        pg = self._pg[g_of]
        post = (g <= t) & (t <= g + max_e)
        if not valid.any():
            return self._empty(type, "no ATT(g,t) cell is defined"
                               + (f" ({self._panel.undefined})" if self._panel.undefined else ""))
        notes = []
        if (~valid).any():
            notes.append(f"{int((~valid).sum())} ATT(g,t) cell(s) undefined and left out")
        keys, cols_a, cols_d, vals = [], [], [], []

        def add(key, which):
            w = pg[which] / pg[which].sum()
            a = np.zeros(K)
            a[which] = w
            d = self._wif(pg[which], att[which], g_of[which])
            keys.append(key)
            cols_a.append(a)
            cols_d.append(d)
            vals.append(float((w * att[which]).sum()))

        if type == "simple":
            which = np.flatnonzero(valid & post)
            if len(which) == 0:
                return self._empty(type, "no post-treatment ATT(g,t) cell is defined")
            add(None, which)
            A, Dm = np.array(cols_a).T, np.array(cols_d).T
            value = vals[0]
            a_all = A[:, 0]
        elif type == "group":
            gv_ok = []
            for j, gv in enumerate(glist):
                which = np.flatnonzero(valid & post & (g == gv))
                if len(which) == 0:
                    continue
                w = np.full(len(which), 1.0 / len(which))
                a = np.zeros(K)
                a[which] = w
                keys.append(gv)
                cols_a.append(a)
                cols_d.append(np.zeros(len(glist)))
                vals.append(float((w * att[which]).sum()))
                gv_ok.append(j)
            if not keys:
                return self._empty(type, "no post-treatment ATT(g,t) cell is defined")
            A, Dm = np.array(cols_a).T, np.array(cols_d).T
            pgg = self._pg[gv_ok]
            wg = pgg / pgg.sum()
            vg = np.array(vals)
            value = float((wg * vg).sum())
            a_all = A @ wg
            d_all = Dm @ wg + self._wif(pgg, vg, np.array(gv_ok))
        elif type == "dynamic":
            include = valid.copy()
            e_all = t - g
            tmin, tmax = tv[0], tv[-1]
            eseq = np.unique(e_all[valid])
            if balance_e is not None:
                eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - tmax + tmin)]
                include &= (tmax - g) >= balance_e
            eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
            for e in eseq:
                which = np.flatnonzero(include & (e_all == e))
                if len(which):
                    add(e, which)
            if not keys:
                return self._empty(type, "no event time has a defined ATT(g,t)")
            A, Dm = np.array(cols_a).T, np.array(cols_d).T
            epos = np.array(keys) >= 0
            if not epos.any():
                return self._empty(type, "no post-treatment event time")
            value = float(np.mean(np.array(vals)[epos]))
            a_all = A[:, epos].mean(axis=1)
            d_all = Dm[:, epos].mean(axis=1)
        else:
            tlist = np.unique(t[valid])
            tlist = tlist[tlist >= g[valid].min()]
            for t1 in tlist:
                which = np.flatnonzero(valid & post & (t == t1))
                if len(which):
                    add(t1, which)
            if not keys:
                return self._empty(type, "no post-treatment ATT(g,t) cell is defined")
            A, Dm = np.array(cols_a).T, np.array(cols_d).T
            value = float(np.mean(vals))
            a_all = A.mean(axis=1)
            d_all = Dm.mean(axis=1)

        if not se:
            return AggregateResult(name=f"att_{type}", value=value), a_all
        if type == "simple":
            se_all, _ = self._lin_se(A, Dm)
            table = None
        else:
            se_k, crit = self._lin_se(A, Dm)
            se_all, _ = self._lin_se(a_all[:, None], d_all[:, None])
            vk = np.array(vals)
            z = self._z
            if type == "dynamic":
                kcol = self._etime(np.array(keys))
            else:
                kcol = self._labels(np.array(keys))
            table = pd.DataFrame({"key": kcol, "att": vk, "se": se_k,
                                  "ci_low": vk - z * se_k, "ci_high": vk + z * se_k})
            if self._boot is not None:
                crit = self._check_crit(crit)
                table["cband_low"] = vk - crit * se_k
                table["cband_high"] = vk + crit * se_k
        se = float(se_all[0])
        z = self._z
        if self._panel.notes and any("constant" in s for s in self._panel.notes):
            notes.append("outcome is constant")
        pval = float(2 * stats.norm.sf(abs(value / se))) if np.isfinite(se) else math.nan
        if not np.isfinite(se):
            notes.append("standard error undefined (no variation in the influence function)")
        return AggregateResult(
            name=f"att_{type}", value=value, se=se, ci_low=value - z * se, ci_high=value + z * se,
            pval=pval, n_subjects=self.n_units, note="; ".join(notes),
            extra={"type": type, "se_method": "bootstrap" if self._boot is not None else "analytic"},
            table=table), a_all

    def _empty(self, type, why):
        cols = ["key", "att", "se", "ci_low", "ci_high"]
        return AggregateResult(name=f"att_{type}", n_subjects=self.n_units, note=why,
                               extra={"type": type},
                               table=None if type == "simple" else pd.DataFrame(columns=cols)), None

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
            return Estimate(name="pretrend_wald", n_subjects=n, note="no pre-treatment ATT(g,t) to test",
                            extra={"W": math.nan, "df": 0, "p": math.nan})
        V = self._IF[pre] @ self._IF[pre].T / n
        a = self._att[pre]
        rc = 1.0 / np.linalg.cond(V, p=1)
        if not np.isfinite(rc) or rc <= np.finfo(float).eps:
            return Estimate(name="pretrend_wald", n_subjects=n,
                            note="singular covariance of the pre-treatment ATT(g,t)",
                            extra={"W": math.nan, "df": len(pre), "p": math.nan})
        W = float(n * a @ np.linalg.solve(V, a))
        p = float(stats.chi2.sf(W, len(pre)))
        return Estimate(name="pretrend_wald", value=W, pval=p, n_subjects=n,
                        note="" if W >= 0 else "negative Wald statistic",
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
        if aggregate not in _AGG_TYPES:
            raise ValueError(f"aggregate must be one of {_AGG_TYPES}, got {aggregate!r}")
        if permute not in ("units", "waves"):
            raise ValueError(f"permute must be 'units' or 'waves', got {permute!r}")
        res, a = self._aggregate(aggregate, se=False)
        obs = res.value
        n = self.n_units
        G = self._panel.G
        if a is None or not np.isfinite(obs):
            return Estimate(name=f"randomization_{aggregate}", n_subjects=n,
                            note="observed aggregate is undefined")
        gvals, gcode = np.unique(G, return_inverse=True)
        movable = np.flatnonzero(G > 0) if permute == "waves" else np.arange(n)
        sub_vals, sub_code = np.unique(gcode[movable], return_inverse=True)
        counts = np.bincount(sub_code)
        exact = _n_assignments_at_most(counts, n_perm)
        if exact:
            sub = sub_vals[_enumerate_assignments(counts, len(movable))]
        else:
            rng = np.random.default_rng(seed)
            # permuting the codes keeps every group's size, as the design does
            sub = rng.permuted(np.broadcast_to(gcode[movable], (n_perm, len(movable))), axis=1)
        perms = np.broadcast_to(gcode, (len(sub), n)).copy()
        perms[:, movable] = sub
        used = a != 0
        if self._panel.X is None:
            vals = self._perm_atts(perms, gvals)[:, used] @ a[used]
        else:
            vals = np.empty(len(perms))
            for i, pc in enumerate(perms):
                att = _estimate(self._panel, self._cells, gvals[pc], self.control, self.method,
                                want_if=False)[0]
                vals[i] = att[used] @ a[used]
        ok = np.isfinite(vals)
        note = "exact enumeration of all assignments" if exact else f"{len(vals)} random permutations"
        if not ok.all():
            note += f"; {int((~ok).sum())} assignment(s) with an undefined ATT left out"
        vals = vals[ok]
        tol = 1e-10 * max(1.0, abs(obs))
        hits = np.abs(vals) >= abs(obs) - tol
        p = float(hits.mean()) if exact else float((1 + hits.sum()) / (1 + len(vals)))
        return Estimate(name=f"randomization_{aggregate}", value=obs, pval=p, n_subjects=n, note=note,
                        extra={"n_assignments": int(len(vals)), "exact": bool(exact),
                               "aggregate": aggregate, "permute": permute})

    def _perm_atts(self, perms: np.ndarray, gvals: np.ndarray) -> np.ndarray:
        """ATT(g,t) for many assignments at once from cohort-by-period sums."""
        Y = self._panel.Y
        n, T = Y.shape
        P = len(perms)
        ng = len(gvals)
        cells = self._cells
        sizes = np.bincount(perms[0], minlength=ng).astype(float)
        out = np.zeros((P, len(cells.g)))
        step = max(1, 4_000_000 // max(n, 1))
        for p0 in range(0, P, step):
            pc = perms[p0:p0 + step]
            m = len(pc)
            flat = (pc + ng * np.arange(m)[:, None]).ravel()
            S = np.stack([np.bincount(flat, weights=np.tile(Y[:, j], m), minlength=m * ng) for j in range(T)],
                         axis=1).reshape(m, ng, T)
            for k in range(len(cells.g)):
                if not self._valid[k] or cells.ref[k]:
                    continue
                isg = gvals == cells.g[k]
                ctl = (gvals == 0) if self.control == "never" else (gvals == 0) | ((gvals > cells.thr[k]) & ~isg)
                dS = S[:, :, cells.c[k]] - S[:, :, cells.b[k]]
                out[p0:p0 + m, k] = dS[:, isg].sum(axis=1) / sizes[isg].sum() - dS[:, ctl].sum(axis=1) / sizes[ctl].sum()
        return out

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


def _n_assignments_at_most(counts: np.ndarray, limit: int) -> bool:
    """Whether n! / prod(n_g!) <= limit, without forming the factorials."""
    total, left = 1, int(counts.sum())
    for cnt in counts:
        total *= math.comb(left, int(cnt))
        left -= int(cnt)
        if total > limit:
            return False
    return True


def _enumerate_assignments(counts: np.ndarray, n: int) -> np.ndarray:
    """Every distinct assignment of cohort codes with the given sizes (multiset permutations)."""
    parts = [np.full(n, -1, dtype=np.int64)]
    free = [np.arange(n)]
    for code, cnt in enumerate(counts[:-1]):
        new_parts, new_free = [], []
        for assign, avail in zip(parts, free):
            for comb in itertools.combinations(range(len(avail)), int(cnt)):
                a = assign.copy()
                a[avail[list(comb)]] = code
                mask = np.ones(len(avail), dtype=bool)
                mask[list(comb)] = False
                new_parts.append(a)
                new_free.append(avail[mask])
        parts, free = new_parts, new_free
    last = len(counts) - 1
    out = np.array(parts)
    out[out < 0] = last
    return out


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
    >>> res = staggered_att(mpdta, outcome="lemp", unit="countyreal", period="year",
    ...                     first_treated="first.treat")          # doctest: +SKIP
    >>> res.aggregate("dynamic").table                               # doctest: +SKIP
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

"""ATT(g,t) cells of Callaway & Sant'Anna (2021) and their 2x2 estimators.

Which (group, period) cells exist and which base period and comparison units each uses
(R ``did``'s ``compute.att_gt``), and the panel 2x2 estimators of ``DRDID`` (Sant'Anna &
Zhao 2020) that give each cell's ATT and influence function.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from evaltools.pilot._staggered_panel import _Panel

# DRDID: controls with a propensity score at or above this are trimmed
_TRIM_LEVEL = 0.995


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

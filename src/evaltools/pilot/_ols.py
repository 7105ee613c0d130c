"""Linear model with absorbed fixed effects and one-way cluster-robust (CR1) variance.

The regression behind :func:`~evaltools.pilot.did` and
:func:`~evaltools.pilot.wild_cluster_bootstrap`: fixed effects are partialled out by
alternating projections, sums over observations are ``np.bincount`` passes.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evaltools.pilot._panel import _codes


def _absorb(X: np.ndarray, fes: Sequence[tuple[np.ndarray, int]], *, tol: float = 1e-12,
            maxiter: int = 10_000) -> np.ndarray:
    """Partial fixed effects out of the columns of ``X`` (Frisch-Waugh-Lovell).

    Alternating projections (the method of Guimaraes & Portugal 2010 and of ``reghdfe`` /
    ``fixest``): subtract group means for each fixed effect in turn until nothing changes.
    A balanced two-way panel converges after one sweep; unbalanced panels take a few more.
    """
    X = np.array(X, dtype=np.float64, copy=True)
    if X.ndim == 1:
        X = X[:, None]
    if not fes:
        return X
    counts = [np.bincount(c, minlength=L).astype(np.float64) for c, L in fes]
    scale = max(1.0, float(np.abs(X).max(initial=0.0)))
    for _ in range(maxiter):
        delta = 0.0
        for (c, L), n in zip(fes, counts):
            for j in range(X.shape[1]):  # a handful of columns
                means = np.bincount(c, weights=X[:, j], minlength=L) / n
                X[:, j] -= means[c]
                delta = max(delta, float(np.abs(means).max(initial=0.0)))
        if len(fes) == 1 or delta <= tol * scale:
            break
    return X


def _cluster_sums(codes: np.ndarray, G: int, M: np.ndarray) -> np.ndarray:
    """Per-cluster column sums of ``M`` (n x k) -> (G x k), one bincount per column."""
    M = M if M.ndim == 2 else M[:, None]
    return np.column_stack([np.bincount(codes, weights=M[:, j], minlength=G) for j in range(M.shape[1])])


class _ClusteredOLS:
    """OLS of y on X with fixed effects absorbed and CR1 cluster-robust variance.

    The CR1 factor is G/(G-1) * (N-1)/(N-K), with K counting the regressors, the intercept
    and the fixed-effect levels of every fixed effect *not* nested within the clusters, the
    convention of Stata's ``reghdfe`` / ``xtreg, fe vce(cluster)`` (a fixed effect nested in
    the cluster variable adds nothing: Cameron & Miller 2015, section IV.A). Column 0 of
    ``X`` is the coefficient of interest; ``_wild._wcr`` bootstraps a fitted model.
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, fes: Sequence[tuple[np.ndarray, int]],
                 cluster: np.ndarray, names: Sequence[str], intercept: bool = True,
                 max_dummies: int = 2000, max_dummy_bytes: int = 256 << 20):
        self.n = len(y)
        self.names = list(names)
        self.cl, self.G = _codes(cluster)
        self.approx_fe = False
        fes = [f for f in fes if f[1] > 1]
        nested = [self._nested(c) for c, _ in fes]
        # Fixed effects nested in the clusters are absorbed. The others enter as dummy columns:
        # the wild bootstrap flips residuals cluster by cluster, and only a nested fixed effect
        # stays orthogonal to the flipped residuals (Roodman et al. 2019, section 5.2), so a
        # cross-cutting one (e.g. period effects) must be re-estimated in every draw.
        absorbed = [f for f, nst in zip(fes, nested) if nst]
        explicit = [f for f, nst in zip(fes, nested) if not nst]
        approx = []
        def too_big() -> bool:
            cols = sum(L - 1 for _, L in explicit)
            return cols > max_dummies or self.n * cols * 8 > max_dummy_bytes

        while explicit and too_big():
            big = max(range(len(explicit)), key=lambda i: explicit[i][1])
            approx.append(explicit.pop(big))
            self.approx_fe = True  # too many levels for dummies: absorbed, bootstrap approximate
        cols = [np.asarray(X, dtype=np.float64).reshape(self.n, -1)]
        for c, L in explicit:
            dm = np.zeros((self.n, L - 1))
            rows = np.flatnonzero(c > 0)
            dm[rows, c[rows] - 1] = 1.0
            cols.append(dm)
        to_absorb = absorbed + approx
        if not to_absorb and intercept:
            cols.append(np.ones((self.n, 1)))
        Xfull = np.column_stack(cols)
        Z = _absorb(np.column_stack([y, Xfull]), to_absorb)
        self.y, self.X = Z[:, 0], Z[:, 1:]
        k = self.X.shape[1]
        has_fe = 1 if to_absorb else 0
        # K for CR1: explicit columns + absorbed levels not nested in clusters (+ the intercept
        # the absorbed effects span); nested levels are free (reghdfe / fixest convention)
        self.K = k + sum(L - 1 for _, L in approx) + has_fe
        self.K_all = k + sum(L - 1 for _, L in to_absorb) + has_fe
        self.XtX = self.X.T @ self.X
        tol = 1e-10 * max(1.0, float(np.abs(self.XtX).max(initial=0.0)))
        rank = np.linalg.matrix_rank(self.XtX, tol=tol)
        rank_wo = np.linalg.matrix_rank(np.delete(np.delete(self.XtX, 0, 0), 0, 1), tol=tol) if k > 1 else 0
        # the coefficient of interest (column 0) is identified when it adds to the rank
        self.rank_ok = bool(rank > rank_wo)
        self.Q = np.linalg.pinv(self.XtX, hermitian=True)
        self.beta = self.Q @ (self.X.T @ self.y)
        self.resid = self.y - self.X @ self.beta
        if rank < k:  # nuisance columns collinear: count the rank, not the columns
            self.K -= k - rank
            self.K_all -= k - rank
        G, N = self.G, self.n
        self.ssc = (G / (G - 1) if G > 1 else math.nan) * ((N - 1) / (N - self.K) if N > self.K else math.nan)
        scores = _cluster_sums(self.cl, G, self.X * self.resid[:, None])
        self.vcov = self.ssc * self.Q @ (scores.T @ scores) @ self.Q
        dof = N - self.K_all
        sigma2 = float(self.resid @ self.resid) / dof if dof > 0 else math.nan
        self.vcov_iid = sigma2 * self.Q

    def _nested(self, fe_codes: np.ndarray) -> bool:
        """True when every level of the fixed effect lies inside one cluster."""
        pairs = pd.DataFrame({"f": fe_codes, "c": self.cl}).drop_duplicates()
        return bool(pairs["f"].is_unique)

    def se(self, j: int) -> float:
        v = self.vcov[j, j]
        return float(math.sqrt(v)) if v >= 0 else math.nan

    def se_iid(self, j: int) -> float:
        v = self.vcov_iid[j, j]
        return float(math.sqrt(v)) if v >= 0 else math.nan

    def cr1(self, j: int, alpha: float, null: float = 0.0) -> dict:
        """CR1 t-test with G-1 degrees of freedom (Stata / fixest convention)."""
        b, se, df = float(self.beta[j]), self.se(j), self.G - 1
        if not (se > 0) or df < 1:
            return {"se": se, "t": math.nan, "pval": math.nan, "ci_low": math.nan, "ci_high": math.nan, "df": df}
        t = (b - null) / se
        crit = stats.t.ppf(1 - alpha / 2, df)
        return {"se": se, "t": t, "pval": float(2 * stats.t.sf(abs(t), df)),
                "ci_low": b - crit * se, "ci_high": b + crit * se, "df": df}

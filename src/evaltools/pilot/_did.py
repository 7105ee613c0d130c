"""Balance, 2x2 / two-way fixed-effects difference-in-differences and few-cluster inference.

Pilots of a new appraisal system run in a handful of work units (5-40 clusters), so the
usual cluster-robust standard error is only the starting point:

* :func:`balance_table` compares pilot and control units before the pilot (standardized
  mean differences, variance ratios, pre-period outcome levels and trends);
* :func:`did` estimates the 2x2 / two-way fixed-effects (TWFE) difference-in-differences
  with a CR1 cluster-robust standard error and, below 50 clusters, a wild cluster
  bootstrap p-value and confidence interval as the headline;
* :func:`wild_cluster_bootstrap` is the restricted wild cluster bootstrap-t (WCR) for one
  coefficient of a linear model with absorbed fixed effects;
* :func:`randomization_inference` permutes which units (or which waves) were treated.

Everything that is a sum over observations is computed with ``np.bincount`` and matrix
products: bootstrap draws and permutations are rows of one weight / assignment matrix.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaltools._errors import DataError, require_columns
from evaltools._results import Estimate

__all__ = ["balance_table", "did", "wild_cluster_bootstrap", "randomization_inference"]

#: Below this many clusters ``inference="auto"`` makes the wild cluster bootstrap the headline
#: (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017 show CR1 t-tests over-reject there).
FEW_CLUSTERS = 50
_SMD_FLAGS = (0.1, 0.25)
_WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


# ----------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------
def _codes(values: Any) -> tuple[np.ndarray, int]:
    """Integer codes 0..L-1 in sorted label order (callers drop or reject missing labels first)."""
    codes, uniques = pd.factorize(pd.Series(values), sort=True)
    return codes.astype(np.int64), len(uniques)


def _binary(series: pd.Series, column: str, what: str) -> np.ndarray:
    """A 0/1 indicator from a bool / 0-1 column; anything else is a DataError naming the column."""
    s = pd.Series(series)
    if s.isna().any():
        raise DataError(f"{what} has {int(s.isna().sum())} missing value(s); it must be 0/1 or True/False",
                        column=column)
    if s.dtype == bool:
        return s.to_numpy().astype(np.float64)
    vals = pd.to_numeric(s, errors="coerce")
    bad = vals.isna() | ~vals.isin([0, 1])
    if bad.any():
        example = s[bad].iloc[0]
        raise DataError(f"{what} must be 0/1 or True/False, found {example!r}", column=column)
    return vals.to_numpy(dtype=np.float64)


def _never_mask(s: pd.Series) -> np.ndarray:
    """Never-treated coding of a first-treated column: missing or 0."""
    s = pd.Series(s)
    num = pd.to_numeric(s.astype(object).where(s.notna(), None), errors="coerce")
    return (s.isna() | (num == 0)).to_numpy()


def _period_order(values: pd.Series) -> np.ndarray:
    """Position of each period in time order (ordered Categorical order, else sorted labels)."""
    s = pd.Series(values)
    if isinstance(s.dtype, pd.CategoricalDtype) and s.cat.ordered:
        return s.cat.codes.to_numpy().astype(np.float64)
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        codes, _ = pd.factorize(s, sort=True)
        return codes.astype(np.float64)
    codes, _ = pd.factorize(s.astype(str), sort=True)
    return codes.astype(np.float64)


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


def _rademacher_all(G: int) -> np.ndarray:
    """All 2^G Rademacher sign vectors as rows (bits of 0..2^G-1)."""
    return ((np.arange(2 ** G, dtype=np.int64)[:, None] >> np.arange(G)) & 1) * 2.0 - 1.0


def _webb_all(G: int) -> np.ndarray:
    """All 6^G Webb six-point weight vectors as rows."""
    idx = np.indices((6,) * G).reshape(G, -1).T
    return _WEBB[idx]


def _weights(G: int, n_boot: int, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Wild bootstrap weight matrix (B x G); all distinct draws when there are at most ``n_boot``."""
    if kind == "rademacher":
        if G <= 20 and 2 ** G <= n_boot:
            return _rademacher_all(G), True
        return rng.integers(0, 2, size=(n_boot, G)).astype(np.float64) * 2.0 - 1.0, False
    if kind == "webb":
        if G <= 8 and 6 ** G <= n_boot:
            return _webb_all(G), True
        return _WEBB[rng.integers(0, 6, size=(n_boot, G))], False
    raise ValueError(f"weights must be 'rademacher' or 'webb', got {kind!r}")


def _invert(pfun: Callable[[float], float], center: float, step: float, alpha: float) -> tuple[float, float, bool]:
    """Confidence set {b : p(b) > alpha} by test inversion, as boottest does.

    Walks out from the estimate in doubling steps until the p-value drops to ``alpha`` and
    bisects the crossing (p is a step function of b, so 80 halvings pin it to rounding).
    Returns (low, high, bounded); an unbounded side is +/-inf (too few clusters / assignments
    for the level asked).
    """
    bounds = []
    bounded = True
    if not (np.isfinite(center) and np.isfinite(step) and step > 0):
        return math.nan, math.nan, False
    for sign in (-1.0, 1.0):
        inside, outside = center, None
        m = 1.0
        while m <= 2.0 ** 12:  # beyond ~4000 SEs call it unbounded (and avoid cancellation)
            b = center + sign * m * step
            if pfun(b) <= alpha:
                outside = b
                break
            inside = b
            m *= 2.0
        if outside is None:
            bounds.append(sign * math.inf)
            bounded = False
            continue
        for _ in range(80):
            mid = 0.5 * (inside + outside)
            if pfun(mid) > alpha:
                inside = mid
            else:
                outside = mid
            if abs(outside - inside) <= 1e-12 * max(1.0, abs(center), step):
                break
        bounds.append(0.5 * (inside + outside))
    return bounds[0], bounds[1], bounded


# ----------------------------------------------------------------------------------------
# linear model with absorbed fixed effects and one-way clustering
# ----------------------------------------------------------------------------------------
class _ClusteredOLS:
    """OLS of y on X with fixed effects absorbed and CR1 cluster-robust variance.

    The CR1 factor is G/(G-1) * (N-1)/(N-K), with K counting the regressors, the intercept
    and the fixed-effect levels of every fixed effect *not* nested within the clusters, the
    convention of Stata's ``reghdfe`` / ``xtreg, fe vce(cluster)`` (a fixed effect nested in
    the cluster variable adds nothing: Cameron & Miller 2015, section IV.A). Column 0 of
    ``X`` is the coefficient of interest.
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

    def wild(self, j: int, *, null: float, alpha: float, n_boot: int, weights: str,
             seed: Any, ci: bool = True, V: np.ndarray | None = None) -> dict:
        """Restricted wild cluster bootstrap-t (WCR) for coefficient ``j``.

        Cameron, Gelbach & Miller (2008, section 3.2): residuals from the model with the null
        imposed, flipped by one weight per cluster; the bootstrap t uses the CR1 variance of
        each bootstrap sample. Vectorized as in Roodman, MacKinnon, Nielsen & Webb (2019,
        section 3): with q = e_j'(X'X)^-1, S_g = X_g'u~_g, a_g = q S_g, c_g = (X'X)^-1 S_g and
        b_g = X_g'X_g q, a draw v (1 x G) gives

            numerator   = v a,
            CR1 score_g = v_g a_g - b_g . (sum_h v_h c_h),

        so all draws are two matrix products with the (B x G) weight matrix. Because u~ is
        linear in the null value b0, numerator and squared denominator are linear and
        quadratic in b0: the confidence interval by test inversion re-uses three B-vectors.
        """
        X, G = self.X, self.G
        k = X.shape[1]
        rng = np.random.default_rng(seed)
        if V is None:
            V, enumerated = _weights(G, n_boot, weights, rng)
        else:  # caller-supplied weights (benchmarks compare draw by draw)
            enumerated = False
        q = self.Q[j]
        others = [i for i in range(k) if i != j]
        xj = X[:, j]
        if others:
            Xo = X[:, others]
            Qo = np.linalg.pinv(Xo.T @ Xo)
            r0 = self.y - Xo @ (Qo @ (Xo.T @ self.y))
            r1 = xj - Xo @ (Qo @ (Xo.T @ xj))
        else:
            r0, r1 = self.y.copy(), xj.copy()
        # restricted residuals u~(b0) = r0 - b0 * r1
        S0 = _cluster_sums(self.cl, G, X * r0[:, None])
        S1 = _cluster_sums(self.cl, G, X * r1[:, None])
        Bm = _cluster_sums(self.cl, G, X * (X @ q)[:, None])  # rows b_g = X_g'X_g q
        a0, a1 = S0 @ q, S1 @ q
        C0, C1 = S0 @ self.Q, S1 @ self.Q
        T0 = V * a0 - (V @ C0) @ Bm.T
        T1 = V * a1 - (V @ C1) @ Bm.T
        num0, num1 = V @ a0, V @ a1
        d00 = np.einsum("bg,bg->b", T0, T0)
        d01 = np.einsum("bg,bg->b", T0, T1)
        d11 = np.einsum("bg,bg->b", T1, T1)
        ssc = self.ssc
        beta_j, se_j = float(self.beta[j]), self.se(j)

        def pval(b0: float) -> float:
            num = num0 - b0 * num1
            den2 = ssc * (d00 - 2 * b0 * d01 + b0 * b0 * d11)
            with np.errstate(divide="ignore", invalid="ignore"):
                tb = np.abs(num) / np.sqrt(np.maximum(den2, 0.0))
            t_obs = abs(beta_j - b0) / se_j
            # ties count as extreme, as in a randomization test: under enumeration the draws
            # v = +/-1 reproduce the sample (t* == t), so p >= 2/2^G and a 4-cluster 95% interval
            # is honestly unbounded (fwildclusterboot / wildboottest count only t* > t)
            exceed = tb >= t_obs * (1 - 1e-9)
            return float(np.mean(np.where(np.isnan(tb), False, exceed)))

        def tstar(b0: float) -> np.ndarray:
            return (num0 - b0 * num1) / np.sqrt(ssc * (d00 - 2 * b0 * d01 + b0 * b0 * d11))

        out = {"pval": pval(null) if se_j > 0 else math.nan, "n_draws": V.shape[0], "enumerated": enumerated,
               "tstar": tstar,
               "weights": weights, "ci_low": math.nan, "ci_high": math.nan, "ci_bounded": True}
        if ci and se_j > 0:
            lo, hi, bounded = _invert(pval, beta_j, se_j, alpha)
            out.update(ci_low=lo, ci_high=hi, ci_bounded=bounded)
        return out


# ----------------------------------------------------------------------------------------
# wild cluster bootstrap (public)
# ----------------------------------------------------------------------------------------
def wild_cluster_bootstrap(data: pd.DataFrame, *, outcome: str, param: str, cluster: str,
                           covariates: Sequence[str] = (), absorb: Sequence[str] = (),
                           null: float = 0.0, alpha: float = 0.05, n_boot: int = 9999,
                           weights: str = "rademacher", seed: int | np.random.Generator | None = None) -> Estimate:
    """Wild cluster restricted (WCR) bootstrap-t test and confidence interval for one coefficient.

    Model: ``outcome ~ param + covariates + FE(absorb...)`` (intercept when nothing is
    absorbed), one-way clustered by ``cluster``. The null ``param == null`` is imposed on the
    bootstrap data-generating process (Cameron, Gelbach & Miller 2008, "WCR"; Roodman,
    MacKinnon, Nielsen & Webb 2019, the Stata ``boottest`` algorithm); the p-value is the
    symmetric two-sided share of bootstrap |t| at least as large as the observed one (ties,
    such as the draw that reproduces the sample under full enumeration, count), and the
    confidence interval inverts that test. Fixed effects nested in the clusters are absorbed;
    cross-cutting ones enter the bootstrap as dummies, so each draw re-estimates them.

    Parameters
    ----------
    data : DataFrame
        Long-format data, one row per observation.
    outcome, param : str
        Dependent variable and the regressor whose coefficient is tested.
    cluster : str
        Cluster identifier (bootstrap weights are drawn per cluster).
    covariates : sequence of str
        Further regressors.
    absorb : sequence of str
        Fixed effects partialled out (e.g. ``[unit, period]``).
    null : float
        Value of the coefficient under the null hypothesis.
    alpha : float
        1 - confidence level.
    n_boot : int
        Number of draws. When the number of distinct weight vectors (2^G Rademacher, 6^G
        Webb) is at most ``n_boot``, all of them are enumerated and the result is exact.
    weights : {"rademacher", "webb"}
        Rademacher (+/-1) or Webb (2014) six-point weights (+/-sqrt(1/2), +/-1, +/-sqrt(3/2)),
        the latter advised below about 12 clusters.
    seed : int or Generator, optional

    Returns
    -------
    Estimate
        ``value`` (coefficient), ``se`` (CR1), ``pval`` / ``ci_low`` / ``ci_high`` from the
        bootstrap; ``extra``: ``t`` (CR1 t), ``pval_cr1``, ``n_clusters``, ``n_draws``,
        ``enumerated``, ``weights``.

    References
    ----------
    Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements for
    inference with clustered errors. *Review of Economics and Statistics*, 90(3), 414-427.
    Roodman, D., Nielsen, M. O., MacKinnon, J. G., & Webb, M. D. (2019). Fast and wild:
    Bootstrap inference in Stata using boottest. *Stata Journal*, 19(1), 4-60.
    Webb, M. D. (2014). Reworking wild bootstrap based inference for clustered errors.
    Queen's Economics Department Working Paper 1315.
    """
    cols = [outcome, param, cluster, *covariates, *absorb]
    require_columns(data, cols, what="data")
    if weights not in ("rademacher", "webb"):
        raise ValueError(f"weights must be 'rademacher' or 'webb', got {weights!r}")
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    d = data[list(dict.fromkeys(cols))].dropna()
    note = []
    if len(d) < len(data):
        note.append(f"{len(data) - len(d)} row(s) with missing values dropped")
    for c in (outcome, param, *covariates):
        if not (pd.api.types.is_numeric_dtype(d[c]) or pd.api.types.is_bool_dtype(d[c])):
            raise DataError(f"must be numeric, found dtype {d[c].dtype}", column=c)
    y = d[outcome].to_numpy(dtype=np.float64)
    X = np.column_stack([d[c].to_numpy(dtype=np.float64) for c in (param, *covariates)])
    fes = [_codes(d[a].to_numpy()) for a in absorb]
    res = Estimate(name="wild_cluster_bootstrap", n_subjects=int(d[cluster].nunique()))
    if len(d) == 0 or np.nanstd(y) == 0:
        res.note = "; ".join(note + [f"outcome '{outcome}' is constant or empty: the coefficient is undefined"])
        return res
    m = _ClusteredOLS(y, X, fes, d[cluster].to_numpy(), [param, *covariates])
    res.value = float(m.beta[0])
    if not m.rank_ok or m.G < 2:
        res.note = "; ".join(note + ["coefficient not identified (collinear with the fixed effects / covariates)"
                                     if not m.rank_ok else "fewer than 2 clusters: no cluster-robust inference"])
        return res
    cr = m.cr1(0, alpha, null)
    w = m.wild(0, null=null, alpha=alpha, n_boot=n_boot, weights=weights, seed=seed)
    res.se, res.pval, res.ci_low, res.ci_high = cr["se"], w["pval"], w["ci_low"], w["ci_high"]
    draws = f"all {w['n_draws']} {weights} weight vectors enumerated (exact)" if w["enumerated"] else \
        f"{w['n_draws']} {weights} draws"
    note.append(f"WCR wild cluster bootstrap-t, null imposed, {draws}, {m.G} clusters")
    if m.approx_fe:
        note.append("a fixed effect with too many levels for dummies cuts across clusters and was absorbed: "
                    "the bootstrap is then approximate (the CR1 SE is not affected)")
    if not w["ci_bounded"]:
        note.append("confidence interval unbounded: too few clusters for this level")
    res.note = "; ".join(note)
    res.extra = {"t": cr["t"], "pval_cr1": cr["pval"], "ci_low_cr1": cr["ci_low"], "ci_high_cr1": cr["ci_high"],
                 "n_clusters": m.G, "n_obs": m.n, "n_draws": w["n_draws"], "enumerated": w["enumerated"],
                 "weights": weights, "null": null}
    return res


# ----------------------------------------------------------------------------------------
# panel preparation shared by did() and randomization_inference()
# ----------------------------------------------------------------------------------------
def _prepare_panel(data: pd.DataFrame, outcome: str, unit: str, period: str, treated: str,
                   post: str, cluster: str | None) -> tuple[pd.DataFrame, list[str]]:
    cols = [outcome, unit, period, treated, post] + ([cluster] if cluster else [])
    require_columns(data, cols, what="data")
    d = data[list(dict.fromkeys(cols))].copy()
    notes: list[str] = []
    n0 = len(d)
    d = d[d[outcome].notna()]
    if len(d) < n0:
        notes.append(f"{n0 - len(d)} row(s) with missing '{outcome}' dropped")
    if not pd.api.types.is_numeric_dtype(d[outcome]):
        raise DataError(f"outcome must be numeric, found dtype {d[outcome].dtype}", column=outcome)
    for c in (unit, period) + ((cluster,) if cluster else ()):
        if d[c].isna().any():
            raise DataError(f"{int(d[c].isna().sum())} row(s) have no value", column=c)
    d["_treated"] = _binary(d[treated], treated, "treated")
    d["_post"] = _binary(d[post], post, "post")
    if d.groupby(unit, observed=True)["_treated"].nunique().max() > 1:
        raise DataError("treated must be constant within each unit (the treated group, not the treated "
                        "unit-periods; give the timing in 'post')", column=treated)
    if d.groupby(period, observed=True)["_post"].nunique().max() > 1:
        raise DataError("post must be constant within each period", column=post)
    dup = d.duplicated([unit, period])
    if dup.any():
        notes.append(f"{int(dup.sum())} repeated (unit, period) row(s): several observations per unit-period "
                     "(e.g. individuals within units) are kept as separate observations")
    return d, notes


def _unit_differences(d: pd.DataFrame, outcome: str, unit: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per unit: mean outcome after minus before, treated indicator, and whether both exist."""
    u, U = _codes(d[unit].to_numpy())
    y = d[outcome].to_numpy(dtype=np.float64)
    post = d["_post"].to_numpy()
    n_post = np.bincount(u, weights=post, minlength=U)
    n_pre = np.bincount(u, weights=1 - post, minlength=U)
    s_post = np.bincount(u, weights=y * post, minlength=U)
    s_pre = np.bincount(u, weights=y * (1 - post), minlength=U)
    both = (n_post > 0) & (n_pre > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = s_post / n_post - s_pre / n_pre
    z = np.bincount(u, weights=d["_treated"].to_numpy(), minlength=U) / np.bincount(u, minlength=U)
    return delta, z, both


# ----------------------------------------------------------------------------------------
# did
# ----------------------------------------------------------------------------------------
def did(data: pd.DataFrame, *, outcome: str, unit: str, period: str, treated: str, post: str,
        cluster: str | None = None, alpha: float = 0.05, inference: str = "auto", n_boot: int = 9999,
        weights: str = "rademacher", seed: int | np.random.Generator | None = None) -> Estimate:
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
    n_boot : int
        Wild bootstrap draws (all 2^G sign vectors when that is fewer) or RI permutations.
    weights : {"rademacher", "webb"}
    seed : int or Generator, optional

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
    """
    if inference not in ("auto", "cluster", "wild", "ri"):
        raise ValueError(f"inference must be 'auto', 'cluster', 'wild' or 'ri', got {inference!r}")
    if weights not in ("rademacher", "webb"):
        raise ValueError(f"weights must be 'rademacher' or 'webb', got {weights!r}")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    d, notes = _prepare_panel(data, outcome, unit, period, treated, post, cluster)
    cl_col = cluster or unit
    res = Estimate(name="did")
    y = d[outcome].to_numpy(dtype=np.float64)
    z = d["_treated"].to_numpy()
    p = d["_post"].to_numpy()
    n_units = int(d[unit].nunique())
    unit_z = d.groupby(unit, observed=True)["_treated"].first()
    n_tr, n_co = int((unit_z == 1).sum()), int((unit_z == 0).sum())
    per_unit_periods = d.groupby(unit, observed=True)[period].nunique()
    n_periods = int(d[period].nunique())
    balanced = bool((per_unit_periods == n_periods).all()) and not d.duplicated([unit, period]).any()
    res.n_subjects = n_units
    extra: dict[str, Any] = {"design": "", "n_obs": len(d), "n_units": n_units, "n_treated_units": n_tr,
                             "n_control_units": n_co, "n_periods": n_periods, "n_clusters": int(d[cl_col].nunique()),
                             "balanced": balanced, "inference": inference, "df": math.nan, "t": math.nan,
                             "se_cr1": math.nan, "pval_cr1": math.nan, "ci_low_cr1": math.nan,
                             "ci_high_cr1": math.nan, "se_iid": math.nan, "pval_wild": math.nan,
                             "ci_low_wild": math.nan, "ci_high_wild": math.nan, "wild_draws": 0,
                             "wild_enumerated": False, "pval_ri": math.nan}
    res.extra = extra

    def undefined(reason: str) -> Estimate:
        res.note = "; ".join(notes + [reason])
        return res

    if len(d) == 0:
        return undefined("no observations with a non-missing outcome")
    if (p == 1).all():
        return undefined("no pre-period: every observation is after the pilot began, the DiD is undefined")
    if (p == 0).all():
        return undefined("no post-period: no observation after the pilot began, the DiD is undefined")
    if n_tr == 0:
        return undefined("no treated units: the DiD is undefined")
    if n_co == 0:
        return undefined("no control units (all units treated): the DiD is undefined")
    if np.ptp(y) == 0:
        return undefined(f"outcome '{outcome}' is constant: the DiD is undefined (no variation to explain)")

    both = (d.groupby(unit, observed=True)["_post"].nunique() == 2)
    if both.any():
        design = "twfe"
        fes = [_codes(d[unit].to_numpy()), _codes(d[period].to_numpy())]
        if not both.all():
            notes.append(f"{int((~both).sum())} unit(s) observed only before or only after: they inform the "
                         "period effects only")
    else:
        design = "2x2 pooled"
        fes = [_codes(z), _codes(d[period].to_numpy())]
        notes.append("no unit observed both before and after (repeated cross-sections): treated-group dummy "
                     "instead of unit fixed effects")
    extra["design"] = design
    if not balanced and design == "twfe":
        notes.append(f"unbalanced panel ({int((per_unit_periods < n_periods).sum())} of {n_units} units miss "
                     "periods): TWFE on all observed unit-periods, fixed effects absorbed by alternating "
                     "projections; the coefficient is then not the simple difference of mean changes")
    if n_tr == 1:
        notes.append("single treated unit: cluster-robust and wild bootstrap inference rely on one treated "
                     "cluster and are unreliable (MacKinnon & Webb 2017); prefer randomization inference or "
                     "unit_effect")

    D = (z * p)[:, None]
    m = _ClusteredOLS(y, D, fes, d[cl_col].to_numpy(), ["did"])
    if not m.rank_ok:
        return undefined("treated x post is collinear with the fixed effects: the DiD is not identified")
    b = float(m.beta[0])
    res.value = b
    cr = m.cr1(0, alpha)
    res.se = cr["se"]
    extra.update({"n_clusters": m.G, "df": cr["df"], "t": cr["t"], "se_cr1": cr["se"], "pval_cr1": cr["pval"],
                  "ci_low_cr1": cr["ci_low"], "ci_high_cr1": cr["ci_high"], "se_iid": m.se_iid(0),
                  "pval_wild": math.nan, "ci_low_wild": math.nan, "ci_high_wild": math.nan,
                  "wild_draws": 0, "wild_enumerated": False, "pval_ri": math.nan})
    if m.G < 2:
        return undefined("fewer than 2 clusters: no cluster-robust inference")

    headline = inference
    if inference == "auto":
        headline = "wild" if m.G < FEW_CLUSTERS else "cluster"
    extra["inference"] = headline
    if headline == "wild":
        w = m.wild(0, null=0.0, alpha=alpha, n_boot=n_boot, weights=weights, seed=seed)
        extra.update({"pval_wild": w["pval"], "ci_low_wild": w["ci_low"], "ci_high_wild": w["ci_high"],
                      "wild_draws": w["n_draws"], "wild_enumerated": w["enumerated"], "wild_weights": weights})
    if headline == "ri":
        ri = randomization_inference(d, outcome=outcome, unit=unit, period=period, treated="_treated",
                                     post="_post", n_perm=n_boot, seed=seed, alpha=alpha)
        extra.update({"pval_ri": ri.pval, "ci_low_ri": ri.ci_low, "ci_high_ri": ri.ci_high,
                      "ri_assignments": ri.extra.get("n_assignments"), "ri_exact": ri.extra.get("exact")})
        res.pval, res.ci_low, res.ci_high = ri.pval, ri.ci_low, ri.ci_high
        notes.append(f"headline p-value and CI: randomization inference ({ri.note}); CR1 p = {cr['pval']:.4g}")
    elif headline == "wild":
        res.pval, res.ci_low, res.ci_high = extra["pval_wild"], extra["ci_low_wild"], extra["ci_high_wild"]
        how = (f"all {extra['wild_draws']} {weights} sign vectors enumerated" if extra["wild_enumerated"]
               else f"{extra['wild_draws']} {weights} draws")
        why = f"{m.G} clusters < {FEW_CLUSTERS}" if inference == "auto" else "requested"
        notes.append(f"headline p-value and CI: wild cluster bootstrap-t (WCR, null imposed, {how}; {why}); "
                     f"CR1 cluster-robust p = {cr['pval']:.4g}, CI [{cr['ci_low']:.4g}, {cr['ci_high']:.4g}]")
        if extra["wild_enumerated"] and weights == "rademacher" and m.G <= 11:
            notes.append(f"with {m.G} clusters the Rademacher p-value takes few distinct values; "
                         "weights='webb' is advised below about 12 clusters (Webb 2014)")
        if not math.isfinite(res.ci_low) or not math.isfinite(res.ci_high):
            notes.append("bootstrap confidence interval unbounded: too few clusters for this level")
    else:
        res.pval, res.ci_low, res.ci_high = cr["pval"], cr["ci_low"], cr["ci_high"]
        notes.append(f"headline: CR1 cluster-robust t-test with {cr['df']} df ({m.G} clusters)")
    res.note = "; ".join(notes)
    return res


# ----------------------------------------------------------------------------------------
# randomization inference
# ----------------------------------------------------------------------------------------
def _combination_matrix(n: int, k: int) -> np.ndarray:
    """All C(n, k) 0/1 assignment rows with k ones (itertools walks the combinations in C)."""
    combos = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), k)),
                         dtype=np.int64).reshape(-1, k)
    Z = np.zeros((len(combos), n))
    np.put_along_axis(Z, combos, 1.0, axis=1)
    return Z


def _ri_pvalue(stat_perm: np.ndarray, stat_obs: float, alternative: str, exact: bool) -> float:
    tol = 1e-9 * max(1.0, abs(stat_obs))
    if alternative == "two-sided":
        hits = np.abs(stat_perm) >= abs(stat_obs) - tol
    elif alternative == "greater":
        hits = stat_perm >= stat_obs - tol
    else:
        hits = stat_perm <= stat_obs + tol
    if exact:  # the observed assignment is one of the enumerated rows
        return float(hits.mean())
    # Monte Carlo: count the observed assignment itself (Phipson & Smyth 2010)
    return float((hits.sum() + 1) / (len(stat_perm) + 1))


def randomization_inference(data: pd.DataFrame, *, outcome: str, unit: str, period: str,
                            treated: str | None = None, post: str | None = None,
                            first_treated: str | None = None, estimator: str = "did",
                            n_perm: int = 9999, seed: int | np.random.Generator | None = None,
                            alpha: float = 0.05, alternative: str = "two-sided",
                            **staggered_kwargs: Any) -> Estimate:
    """Randomization (Fisher permutation) inference for the pilot assignment.

    Under the sharp null of no effect for any unit, the outcomes are fixed and only the
    assignment is random, so the distribution of the estimate over re-assignments is known
    (Fisher 1935; Imbens & Rubin 2015, ch. 5). We permute *which units* were treated, keeping
    the number of treated units (``estimator="did"``), or *which units belong to which wave*,
    keeping the wave sizes (``estimator="staggered"``: ``first_treated`` is permuted across
    units and the aggregated ATT of :func:`evaltools.pilot._staggered.staggered_att`
    recomputed, by its ``randomization_test``).

    For ``"did"`` the statistic is the difference between treated and control units in the
    mean change of the outcome (mean after minus mean before): for a balanced panel this is
    exactly the 2x2 / TWFE coefficient. All permutations are one matrix product of the
    (permutations x units) assignment matrix with the vector of unit-level changes. The
    confidence interval inverts the test of a constant additive effect tau (outcomes of
    treated units after the pilot shifted by tau; Imbens & Rubin 2015, section 5.7).

    Exact enumeration is used when the number of distinct assignments (C(n, n_treated), or
    the multinomial count of wave assignments) is at most ``n_perm``; the p-value is then the
    share of all assignments at least as extreme (the observed one included, so p >= 1/N).
    Otherwise ``n_perm`` random assignments and p = (1 + #extreme) / (1 + n_perm).

    Parameters
    ----------
    data : DataFrame
    outcome, unit, period : str
    treated, post : str
        For ``estimator="did"``: 0/1 treated-group (constant within unit) and post-period
        (constant within period) columns. Alternatively give ``first_treated`` with a single
        common start (units whose start is missing or 0 are controls).
    first_treated : str
        For ``estimator="staggered"``: the start period of each unit (missing / 0 = never).
    estimator : {"did", "staggered"}
    n_perm : int
    seed : int or Generator, optional
    alpha : float
    alternative : {"two-sided", "greater", "less"}
    **staggered_kwargs
        Passed to ``staggered_att`` (e.g. ``control="notyet"``), plus ``aggregate`` (the
        aggregation whose ATT is the statistic, default "simple").

    Returns
    -------
    Estimate
        ``value`` = observed statistic, ``pval``, ``ci_low``/``ci_high`` (did only);
        ``extra``: ``n_assignments`` (distinct assignments), ``n_perm`` (rows used),
        ``exact``, ``alternative``, ``n_treated_units``, ``n_units``.

    References
    ----------
    Fisher, R. A. (1935). *The Design of Experiments*, section 2 (the lady tasting tea).
    Imbens, G. W., & Rubin, D. B. (2015). *Causal Inference for Statistics, Social, and
    Biomedical Sciences*, ch. 5.
    Cunningham, S. (2021). *Causal Inference: The Mixtape*, section 4.3 (randomization inference).
    Phipson, B., & Smyth, G. K. (2010). Permutation p-values should never be zero.
    *Statistical Applications in Genetics and Molecular Biology*, 9(1).
    """
    if estimator not in ("did", "staggered"):
        raise ValueError(f"estimator must be 'did' or 'staggered', got {estimator!r}")
    if alternative not in ("two-sided", "greater", "less"):
        raise ValueError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    if n_perm < 1:
        raise ValueError("n_perm must be at least 1")
    if estimator == "staggered":
        return _ri_staggered(data, outcome=outcome, unit=unit, period=period, first_treated=first_treated,
                             n_perm=n_perm, seed=seed, alternative=alternative, **staggered_kwargs)
    rng = np.random.default_rng(seed)

    data = data.copy() if (treated is None or post is None) else data
    if treated is None or post is None:
        if first_treated is None:
            raise ValueError("estimator='did' needs treated= and post=, or first_treated= with one common start")
        require_columns(data, [first_treated, period], what="data")
        ft = data[first_treated]
        never = _never_mask(ft)
        start = ft[~never]
        if start.nunique() > 1:
            raise DataError(f"{start.nunique()} different start periods: use estimator='staggered' for waves",
                            column=first_treated)
        if start.empty:
            raise DataError("no treated unit (first_treated is empty for every unit)", column=first_treated)
        s0 = start.iloc[0]
        order = _period_order(data[period])
        start_pos = order[(data[period] == s0).to_numpy()]
        if start_pos.size == 0:
            raise DataError(f"start period {s0!r} is not one of the periods", column=first_treated)
        data["_ri_treated"] = (~never).astype(int)
        data["_ri_post"] = (order >= start_pos[0]).astype(int)
        treated, post = "_ri_treated", "_ri_post"
    d, notes = _prepare_panel(data, outcome, unit, period, treated, post, None)
    res = Estimate(name="randomization_inference")
    delta, z, both = _unit_differences(d, outcome, unit)
    if (~both).any():
        notes.append(f"{int((~both).sum())} unit(s) without both pre and post observations left out")
    delta, z = delta[both], z[both]
    n, n1 = len(z), int(z.sum())
    n0 = n - n1
    res.n_subjects = n
    res.extra = {"n_units": n, "n_treated_units": n1, "alternative": alternative, "estimator": "did"}
    if d["_post"].min() == 1 or d["_post"].max() == 0:
        res.note = "; ".join(notes + ["no pre-period or no post-period: the DiD is undefined"])
        return res
    if n1 == 0 or n0 == 0:
        res.note = "; ".join(notes + ["need treated and control units with pre and post observations"])
        return res
    if np.ptp(d[outcome].to_numpy()) == 0:
        res.note = "; ".join(notes + [f"outcome '{outcome}' is constant: nothing to test"])
        return res
    n_assign = math.comb(n, n1)
    exact = n_assign <= n_perm
    if exact:
        Z = _combination_matrix(n, n1)
    else:
        # random assignments with n1 treated: argsort of uniforms, vectorized over rows
        ranks = np.argsort(rng.random((n_perm, n)), axis=1)
        Z = (ranks < n1).astype(np.float64)
    # DiD statistic for every assignment: mean change of treated minus mean change of controls
    W = Z / n1 - (1 - Z) / n0
    s_delta = W @ delta
    s_z = W @ z  # shift of the statistic per unit of a constant effect tau
    obs = float(delta[z == 1].mean() - delta[z == 0].mean())

    def pfun(tau: float) -> float:
        # outcomes under the sharp null "effect = tau": treated changes minus tau
        return _ri_pvalue(s_delta - tau * s_z, obs - tau, alternative, exact)

    res.value = obs
    res.pval = pfun(0.0)
    spread = float(np.std(s_delta)) or 1.0
    lo, hi, bounded = _invert(lambda t: _ri_pvalue(s_delta - t * s_z, obs - t, "two-sided", exact),
                              obs, spread, alpha)
    res.ci_low, res.ci_high = lo, hi
    how = f"all {n_assign} assignments enumerated (exact)" if exact else f"{n_perm} random assignments of {n_assign}"
    notes.append(f"permuting which {n1} of {n} units were treated; {how}")
    if n1 == 1:
        notes.append("single treated unit: the p-value cannot go below 1/{}".format(n))
    if not bounded:
        notes.append("confidence interval unbounded: too few assignments for this level")
    res.note = "; ".join(notes)
    res.extra.update({"n_assignments": n_assign, "n_perm": len(Z), "exact": exact})
    return res


def _ri_staggered(data: pd.DataFrame, *, outcome: str, unit: str, period: str, first_treated: str | None,
                  n_perm: int, seed: Any, alternative: str, **kwargs: Any) -> Estimate:
    """Permute wave membership (first_treated) across units: delegates to the vectorized
    :meth:`StaggeredResult.randomization_test` of ``staggered_att`` (cohort-by-period sums for
    every assignment at once; re-estimation per assignment only with covariates)."""
    if first_treated is None:
        raise ValueError("estimator='staggered' needs first_treated=")
    if alternative != "two-sided":
        raise ValueError("estimator='staggered' supports alternative='two-sided' only")
    require_columns(data, [outcome, unit, period, first_treated], what="data")
    try:
        from evaltools.pilot._staggered import staggered_att
    except ImportError as exc:  # pragma: no cover - the sibling module ships with the package
        raise NotImplementedError("estimator='staggered' needs evaltools.pilot._staggered.staggered_att") from exc
    aggregate = kwargs.pop("aggregate", "simple")
    fit = staggered_att(data, outcome=outcome, unit=unit, period=period, first_treated=first_treated, **kwargs)
    rt = fit.randomization_test(n_perm=n_perm, seed=seed, aggregate=aggregate)
    groups = data.groupby(unit, observed=True)[first_treated].first()
    never = _never_mask(groups)
    key = ["never" if nv else str(v) for v, nv in zip(groups, never)]
    counts = pd.Series(key).value_counts()
    n_assign = math.factorial(len(key))
    for c in counts:
        n_assign //= math.factorial(int(c))
    res = Estimate(name="randomization_inference", value=rt.value, pval=rt.pval, n_subjects=rt.n_subjects)
    exact = bool(rt.extra.get("exact", False))
    how = f"all {n_assign} wave assignments enumerated (exact)" if exact else f"{n_perm} random of {n_assign}"
    res.note = (f"permuting first_treated across {len(key)} units (wave sizes kept); {how}; statistic: "
                f"{aggregate} aggregated ATT of staggered_att" + (f"; {rt.note}" if rt.note and "undefined" in rt.note else ""))
    res.extra = {"n_units": len(key), "n_assignments": n_assign, "n_perm": int(rt.extra.get("n_assignments", 0)),
                 "exact": exact, "alternative": alternative, "estimator": "staggered", "aggregate": aggregate}
    return res


# ----------------------------------------------------------------------------------------
# balance table
# ----------------------------------------------------------------------------------------
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
        t = _period_order(d[period])
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

"""Rater calibration: severity and leniency, rater errors, generalizability theory,
the PermenPANRB 6/2022 predikat rules and the calibration worklist.

Every function takes a long-format :class:`pandas.DataFrame` with the column names
passed as keywords (``subject=``, ``rater=``, ``score=``, ...) and returns a tidy
DataFrame with stable column names.

Methods
-------
* Rater severity comes from the crossed additive model
  ``score = mu + subject + rater (+ item) + e`` fitted exactly by sparse normal
  equations: subjects are absorbed (their block of the normal matrix is diagonal),
  which leaves a dense system with one row per rater (+ item). One million ratings
  by 2,000 raters solve in about a second. The same solver, with ridge terms
  ``sigma2_e / sigma2_subject`` and ``sigma2_e / sigma2_rater`` added to the
  diagonal, gives Henderson's (1950) mixed-model BLUPs. The reported severity is that
  empirical-Bayes BLUP, fitted on rater x subject cell means weighted by
  ``1 / (sigma2_subject:rater + sigma2_e / m)`` so that one impression of a person is not
  counted once per item; the fixed-effect estimate is kept as ``severity_fixed``.
* Rater drift compares a rater's per-period effects from one fit in which subjects keep
  their level, with the covariance of the two estimates, and controls the error rate
  across raters (Benjamini & Hochberg 1995 or Holm 1979).
* Variance components use Henderson's (1953) Method 1 (Brennan's 2001 "analogous
  ANOVA" for unbalanced designs): moments of uncorrected sums of squares, exact and
  unbiased for random models, and identical to the ANOVA expected-mean-square
  estimates (Brennan 2001, ch. 3) when the design is balanced. REML (``method="reml"``)
  minimizes lme4's profiled REML deviance directly (Bates, Maechler, Bolker & Walker
  2015), for small data.

References
----------
Brennan, R. L. (2001). *Generalizability Theory*. New York: Springer.
Henderson, C. R. (1953). Estimation of variance and covariance components.
    *Biometrics*, 9(2), 226-252.
Henderson, C. R. (1950/1975). Best linear unbiased estimation and prediction under a
    selection model. *Biometrics*, 31(2), 423-447.
Searle, S. R., Casella, G., & McCulloch, C. E. (1992). *Variance Components*. Wiley, ch. 7.
Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B*, 57(1), 289-300.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scand. J. Statist.*, 6, 65-70.
Shavelson, R. J., & Webb, N. M. (1991). *Generalizability Theory: A Primer*. Sage.
Bates, D., Maechler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects models
    using lme4. *Journal of Statistical Software*, 67(1), 1-48.
Cohen, J. (1968). Weighted kappa. *Psychological Bulletin*, 70(4), 213-220.
Myford, C. M., & Wolfe, E. W. (2003, 2004). Detecting and measuring rater effects using
    many-facet Rasch measurement, Parts I and II. *Journal of Applied Measurement*.
PermenPANRB 6/2022; SE MenPANRB 3/2023 (see ASN_RULES.md of the project).
"""
from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp
import scipy.stats
from scipy.sparse.csgraph import connected_components

from evaltools._errors import DataError, require_columns

__all__ = [
    "EKSPEKTASI_LEVELS",
    "PREDIKAT_LEVELS",
    "ORG_PREDIKAT_LEVELS",
    "DISTRIBUTION_PATTERN",
    "rater_effects",
    "role_effects",
    "rater_drift",
    "gstudy",
    "dstudy",
    "raters_needed",
    "adjusted_scores",
    "anchor_agreement",
    "predikat",
    "check_predikat",
    "distribution_check",
    "calibration_worklist",
]

EKSPEKTASI_LEVELS: list[str] = ["Di Bawah Ekspektasi", "Sesuai Ekspektasi", "Di Atas Ekspektasi"]
PREDIKAT_LEVELS: list[str] = ["Sangat Kurang", "Kurang/Misconduct", "Butuh Perbaikan", "Baik", "Sangat Baik"]
ORG_PREDIKAT_LEVELS: list[str] = ["Sangat Kurang", "Kurang", "Butuh Perbaikan", "Baik", "Istimewa"]

# Kuadran kinerja (PermenPANRB 6/2022): rows = Hasil Kerja, columns = Perilaku Kerja,
# both coded 0 = Di Bawah, 1 = Sesuai, 2 = Di Atas; entries index PREDIKAT_LEVELS.
_KUADRAN = np.array([
    [0, 2, 2],   # hasil Di Bawah: Sangat Kurang, Butuh Perbaikan, Butuh Perbaikan
    [1, 3, 3],   # hasil Sesuai:   Kurang/Misconduct, Baik, Baik
    [1, 3, 4],   # hasil Di Atas:  Kurang/Misconduct, Baik, Sangat Baik
])

# SE MenPANRB 3/2023 pattern (secondary source, unconfirmed: every number is a default
# the caller may replace). kind: "largest" (the category is the biggest group),
# "max"/"min" (share bound on the summed categories), "min_count" (at least k people).
DISTRIBUTION_PATTERN: dict[str, list[dict[str, Any]]] = {
    "Istimewa": [
        {"kind": "largest", "categories": ["Sangat Baik"]},
        {"kind": "max", "categories": ["Sangat Baik"], "share": 0.70},
    ],
    "Baik": [
        {"kind": "largest", "categories": ["Baik"]},
        {"kind": "max", "categories": ["Baik"], "share": 0.70},
        {"kind": "min_count", "categories": ["Butuh Perbaikan", "Kurang/Misconduct"], "count": 1},
    ],
    "Butuh Perbaikan": [
        {"kind": "min", "categories": ["Butuh Perbaikan"], "share": 0.60},
        {"kind": "max", "categories": ["Sangat Baik"], "share": 0.10},
    ],
    "Kurang": [
        {"kind": "min", "categories": ["Kurang/Misconduct"], "share": 0.60},
        {"kind": "min", "categories": ["Butuh Perbaikan"], "share": 0.10},
        {"kind": "max", "categories": ["Sangat Baik"], "share": 0.10},
    ],
    "Sangat Kurang": [
        {"kind": "min", "categories": ["Sangat Kurang"], "share": 0.60},
        {"kind": "min", "categories": ["Kurang/Misconduct", "Butuh Perbaikan"], "share": 0.10},
        {"kind": "max", "categories": ["Sangat Baik"], "share": 0.0},
    ],
}

_Z975 = float(scipy.stats.norm.ppf(0.975))


# ---------------------------------------------------------------------------
# input helpers
# ---------------------------------------------------------------------------

def _clean(data: pd.DataFrame, ids: Sequence[str | None], score: str, *, what: str = "ratings") -> pd.DataFrame:
    """Columns present, ids without gaps, score numeric; rows without a score dropped."""
    require_columns(data, [*ids, score], what=what)
    for col in ids:
        if col is not None and data[col].isna().any():
            row = int(np.flatnonzero(data[col].isna().to_numpy())[0])
            raise DataError(f"missing identifier in {what}", row=row, column=str(col))
    y = data[score]
    if not pd.api.types.is_numeric_dtype(y):
        conv = pd.to_numeric(y, errors="coerce")
        bad = conv.isna() & y.notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"non-numeric score {y.iloc[row]!r} in {what}", row=row, column=str(score))
        y = conv
    y = y.astype("float64")
    if np.isinf(y.to_numpy()).any():
        raise DataError(f"infinite score in {what}", column=str(score))
    keep = y.notna().to_numpy()
    cols = list(dict.fromkeys(c for c in ids if c is not None))
    out = data.loc[keep, cols].copy()
    out[score] = y[keep].to_numpy()
    return out.reset_index(drop=True)


def _codes(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(s, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


# ---------------------------------------------------------------------------
# the crossed additive model, solved by sparse normal equations
# ---------------------------------------------------------------------------

class _CrossedFit:
    """Exact least-squares (or BLUP) fit of ``y = subject + rater + item + e``.

    Subjects are absorbed: with ``S`` and ``X = [R | I]`` the incidence matrices,
    ``a = D_s^{-1} S'(y - X x)`` and the reduced system is
    ``(X'X + L_x - X'S D_s^{-1} S'X) x = X'y - X'S D_s^{-1} S'y`` with
    ``D_s = diag(n_s) + lam_s I`` (Searle 1971, sec. 7.2 "absorption").
    For the fixed-effect fit (``lam = 0``) the reduced matrix is singular; its null
    space is spanned by the item indicator and by the rater indicator of each
    connected component of the subject-rater graph. Adding ``C C'`` for that basis
    ``C`` gives the solution with ``C'x = 0`` (raters centred within each component,
    items centred) and ``Var(x) = s2 (A - C (C'C)^{-2} C')`` with
    ``A = (M + C C')^{-1}``.
    """

    def __init__(self, y: np.ndarray, s: np.ndarray, r: np.ndarray, i: np.ndarray,
                 n_s: int, n_r: int, n_i: int, lam_s: float = 0.0, lam_r: float = 0.0,
                 want_cov: bool = True, dense_limit: int = 6000, w: np.ndarray | None = None,
                 groups: np.ndarray | None = None):
        n = y.size
        self.n_r, self.n_i = n_r, n_i
        nx = n_r + n_i
        rows = np.arange(n)
        ones = np.ones(n)
        # w: observation weights (precisions); with w the normal equations are X'WX
        wt = ones if w is None else np.asarray(w, float)
        S = sp.csr_matrix((ones, (rows, s)), shape=(n, n_s))
        X = sp.csr_matrix((np.r_[ones, ones], (np.r_[rows, rows], np.r_[r, n_r + i])), shape=(n, nx))
        Xw = sp.csr_matrix((np.r_[wt, wt], (np.r_[rows, rows], np.r_[r, n_r + i])), shape=(n, nx))
        ns = np.bincount(s, weights=wt, minlength=n_s).astype(float)
        ds = ns + lam_s
        XtS = (Xw.T @ S).tocsr()
        Sty = np.bincount(s, weights=wt * y, minlength=n_s)
        Xty = Xw.T @ y
        K = (XtS @ sp.diags(1.0 / ds) @ XtS.T)
        XtX = (Xw.T @ X)
        lam = np.r_[np.full(n_r, lam_r), np.zeros(n_i)]
        rhs = Xty - XtS @ (Sty / ds)
        self.note = ""
        fixed = lam_s == 0.0 and lam_r == 0.0
        # null space of the reduced matrix (fixed effects): the item indicator (when
        # subjects are fixed) and the rater indicator of each connected component
        # the connected components of the subject-rater graph: with fixed effects they
        # span the null space; in every case the rater block is block-diagonal over them
        adj = sp.csr_matrix((np.ones(n), (r, s)), shape=(n_r, n_s))
        bip = sp.bmat([[None, adj], [adj.T, None]]).tocsr()
        ncomp, lab = connected_components(bip, directed=False)
        _, comp = np.unique(lab[:n_r], return_inverse=True)
        self.rater_component = comp.astype(np.int64)
        n_comp = int(comp.max()) + 1 if n_r else 0
        self.n_components = n_comp
        n_null = (n_comp if fixed else 0) + (1 if lam_s == 0.0 else 0)
        M = (XtX - K).tocsr() + sp.diags(lam)
        Mrr = M[:n_r][:, :n_r].tocsr()
        Mri = M[:n_r][:, n_r:].toarray()
        Mii = M[n_r:][:, n_r:].toarray()
        if lam_s == 0.0:
            Mii += 1.0          # + 1 1' for the item null vector
        comp_size = np.bincount(comp, minlength=n_comp)
        # centring groups of the raters (nested in components): severities are contrasts
        # with the group's mean rater, the estimable functions when a rater-level facet
        # such as a pure role is confounded with the nuisance facet
        if groups is None:
            grp = comp.astype(np.int64)
        else:
            grp = pd.factorize(np.asarray(groups).astype(np.int64) * max(n_comp, 1) + comp)[0].astype(np.int64)
        n_grp = int(grp.max()) + 1 if n_r else 0
        self.rater_group = grp
        self.n_groups = n_grp
        cov_diag = np.full(nx, np.nan)
        self._blocks: list[tuple[np.ndarray, np.ndarray]] = []
        self._W = self._Cdiag = None
        if n_r == 0 or comp_size.max() <= dense_limit:
            # Block elimination: the rater block is block-diagonal over components, so
            # each component is factored on its own (a loop over components, i.e. units),
            # and the few item effects come from the Schur complement
            # S = Mii - Mir A^-1 Mri with A = Mrr (+ 1 1' per component when fixed).
            order = np.argsort(comp, kind="stable")
            bounds = np.r_[0, np.cumsum(comp_size)]
            u = np.zeros(n_r)
            W = np.zeros((n_r, n_i))
            dA = np.zeros(n_r)
            rr_ = rhs[:n_r]
            for k in range(n_comp):
                idx = order[bounds[k]:bounds[k + 1]]
                B = Mrr[idx][:, idx].toarray()
                if fixed:
                    B += 1.0
                try:
                    cf = scipy.linalg.cho_factor(B, lower=True, check_finite=False)
                    Binv = scipy.linalg.cho_solve(cf, np.eye(len(idx)), check_finite=False)
                except np.linalg.LinAlgError:
                    Binv = np.linalg.pinv(B)
                    self.note = "normal equations rank-deficient beyond the connected components; pseudo-inverse used"
                u[idx] = Binv @ rr_[idx]
                W[idx] = Binv @ Mri[idx]
                dA[idx] = np.diag(Binv)
                self._blocks.append((idx, Binv))
            Sm = Mii - Mri.T @ W
            Sinv = np.linalg.pinv(Sm) if n_i else np.zeros((0, 0))
            # kept for refits with new scores (the normal matrix depends on the design only)
            self._W, self._Sinv, self._Mri = W, Sinv, Mri
            self._solve_parts = (wt, s, r, i, n_s, Xw, XtS, ds)
            xi = Sinv @ (rhs[n_r:] - Mri.T @ u)
            xr = u - W @ xi
            x = np.r_[xr, xi]
            if want_cov:
                # the block inverse with a generalized inverse of the Schur complement is a
                # generalized inverse of the (augmented) normal matrix, which gives the exact
                # covariance of every estimable contrast (Searle 1971, sec. 5.3)
                cov_diag[:n_r] = dA + np.einsum("ij,jk,ik->i", W, Sinv, W)
                cov_diag[n_r:] = np.diag(Sinv)
                # the rater block of that inverse, C = Binv (per component) + W Sinv W',
                # is kept for contrasts (C_rr here; the rest in ``contrast``)
                self._Cdiag = cov_diag[:n_r].copy()
                # Var(x) = s2 (Mc^-1 - C (C'C)^-2 C') for the constrained solution
                if fixed:
                    cov_diag[:n_r] -= 1.0 / comp_size[comp] ** 2
                if lam_s == 0.0 and n_i:
                    cov_diag[n_r:] -= 1.0 / n_i ** 2
        else:
            # A component too large for dense algebra: ground one rater per component and
            # one item, solve the sparse system, re-centre; no standard errors.
            import scipy.sparse.linalg as spla
            keep = np.ones(nx, dtype=bool)
            if fixed:
                last = np.zeros(n_comp, dtype=np.int64)
                last[comp] = np.arange(n_r)      # the last rater of each component
                keep[last] = False
            if lam_s == 0.0:
                keep[nx - 1] = False
            Mg = (XtX - K).tocsr() + sp.diags(lam)
            xk = spla.spsolve(Mg[keep][:, keep].tocsc(), rhs[keep])
            x = np.zeros(nx)
            x[keep] = xk
            if fixed:
                cm = np.bincount(comp, x[:n_r], n_comp) / comp_size
                x[:n_r] -= cm[comp]
            if lam_s == 0.0 and n_i:
                x[n_r:] -= x[n_r:].mean()
            self.note = f"sparse solve (a component of {comp_size.max()} raters); standard errors not computed"
        self.x = x
        self.a = (Sty - XtS.T @ x) / ds
        fitted = self.a[s] + x[r] + x[n_r + i]
        resid = y - fitted
        self.rss = float(resid @ (wt * resid))
        rank = n_s + nx - n_null
        self.df = n - rank
        self.s2 = self.rss / self.df if self.df > 0 else np.nan
        self.cov_diag = cov_diag * self.s2 if lam_s == 0 and lam_r == 0 else cov_diag
        # fixed effects: the inverse is in units of s2; mixed-model equations: PEVs already
        self._scale = self.s2 if fixed else 1.0
        self.resid = resid
        self.fitted = fitted

    @property
    def rater(self) -> np.ndarray:
        return self.x[: self.n_r]

    @property
    def item(self) -> np.ndarray:
        return self.x[self.n_r:]

    def rater_se(self) -> np.ndarray:
        return np.sqrt(np.clip(self.cov_diag[: self.n_r], 0, None))

    def fitted_for(self, y: np.ndarray) -> np.ndarray:
        """Fitted values of the same model for new scores ``y`` on the same design, from
        the factors already computed (one pass of matrix-vector products)."""
        if self._W is None:
            raise ValueError("refits need the dense solver")
        wt, s, r, i, n_s, Xw, XtS, ds = self._solve_parts
        n_r = self.n_r
        Sty = np.bincount(s, weights=wt * y, minlength=n_s)
        rhs = Xw.T @ y - XtS @ (Sty / ds)
        u = np.zeros(n_r)
        for idx, Binv in self._blocks:
            u[idx] = Binv @ rhs[idx]
        xi = self._Sinv @ (rhs[n_r:] - self._Mri.T @ u)
        x = np.r_[u - self._W @ xi, xi]
        a = (Sty - XtS.T @ x) / ds
        return a[s] + x[r] + x[n_r + i]

    def _ref_weights(self, ref: np.ndarray | None) -> np.ndarray:
        """Reference weights normalised to 1 within each group (a group without
        reference raters falls back to all of its raters)."""
        grp, ng = self.rater_group, self.n_groups
        w = np.ones(self.n_r) if ref is None else np.asarray(ref, float).copy()
        tot = np.bincount(grp, w, ng)
        w[tot[grp] <= 0] = 1.0
        return w / np.bincount(grp, w, ng)[grp]

    def contrast(self, ref: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Each rater's effect minus the mean effect of the reference raters of its
        group, and the variance of that contrast.

        ``ref`` weights (default: every rater) are normalised within each centring
        group. The contrast ``x_r - w_g'x`` is estimable whenever the group's weights sum
        to 1 (the model's null directions are constant within a group), and its variance
        is ``C_rr - 2 (C w_g)_r + w_g' C w_g`` for any generalized inverse ``C`` of the
        normal matrix (Searle 1971, sec. 5.4), times ``s2`` for the fixed-effect fit.
        """
        grp, ng, n_r = self.rater_group, self.n_groups, self.n_r
        wn = self._ref_weights(ref)
        xr = self.x[:n_r]
        val = xr - np.bincount(grp, wn * xr, ng)[grp]
        if self._Cdiag is None:
            return val, np.full(n_r, np.nan)
        cw = np.zeros(n_r)              # (C w_g(r))_r, block part
        wcw = np.zeros(ng)              # w_g' C w_g, block part
        for idx, Binv in self._blocks:  # one block per component (unit)
            gl, gu = pd.factorize(grp[idx])
            Wl = np.zeros((len(idx), len(gu)))
            Wl[np.arange(len(idx)), gl] = wn[idx]
            BW = Binv @ Wl
            cw[idx] = BW[np.arange(len(idx)), gl]
            wcw[np.asarray(gu, np.int64)] = np.einsum("jg,jg->g", Wl, BW)
        Wg = sp.csr_matrix((wn, (grp, np.arange(n_r))), shape=(ng, n_r))
        Q = (Wg @ self._W).T                     # n_i x groups: W' w_g
        SQ = self._Sinv @ Q
        cw += np.einsum("ri,ir->r", self._W, SQ[:, grp])
        wcw += np.einsum("ig,ig->g", Q, SQ)
        var = (self._Cdiag - 2 * cw + wcw[grp]) * self._scale
        return val, np.clip(var, 0, None)

    def contrast_cov(self, pa: np.ndarray, pb: np.ndarray, ref: np.ndarray | None = None) -> np.ndarray:
        """Covariance of the contrasts of :meth:`contrast` for rater pairs (``nan`` for
        pairs in different components): ``C_ab - (C w_gb)_a - (C w_ga)_b + w_ga' C w_gb``."""
        pa, pb = np.asarray(pa, np.int64), np.asarray(pb, np.int64)
        out = np.full(len(pa), np.nan)
        if self._Cdiag is None or not len(pa):
            return out
        grp, ng, n_r = self.rater_group, self.n_groups, self.n_r
        wn = self._ref_weights(ref)
        comp = self.rater_component
        Wg = sp.csr_matrix((wn, (grp, np.arange(n_r))), shape=(ng, n_r))
        Q = (Wg @ self._W).T
        SQ = self._Sinv @ Q
        WS = self._W @ self._Sinv
        pos = np.empty(n_r, dtype=np.int64)
        for idx, Binv in self._blocks:
            sel = np.flatnonzero((comp[pa] == comp[idx[0]]) & (comp[pb] == comp[idx[0]]))
            if not len(sel):
                continue
            pos[idx] = np.arange(len(idx))
            gl, gu = pd.factorize(grp[idx])
            Wl = np.zeros((len(idx), len(gu)))
            Wl[np.arange(len(idx)), gl] = wn[idx]
            BW = Binv @ Wl
            WBW = Wl.T @ BW
            a, b = pa[sel], pb[sel]
            ga, gb = gl[pos[a]], gl[pos[b]]
            c_ab = Binv[pos[a], pos[b]] + np.einsum("ki,ki->k", WS[a], self._W[b])
            cw_a = BW[pos[a], gb] + np.einsum("ki,ik->k", self._W[a], SQ[:, grp[b]])
            cw_b = BW[pos[b], ga] + np.einsum("ki,ik->k", self._W[b], SQ[:, grp[a]])
            wcw = WBW[ga, gb] + np.einsum("ik,ik->k", Q[:, grp[a]], SQ[:, grp[b]])
            out[sel] = c_ab - cw_a - cw_b + wcw
        return out * self._scale


def _grouped_sd(values: np.ndarray, codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    n = np.bincount(codes, minlength=n_groups).astype(float)
    s1 = np.bincount(codes, weights=values, minlength=n_groups)
    mean = np.divide(s1, n, out=np.full(n_groups, np.nan), where=n > 0)
    dev = values - mean[codes]
    ss = np.bincount(codes, weights=dev * dev, minlength=n_groups)
    var = np.divide(ss, n - 1, out=np.full(n_groups, np.nan), where=n > 1)
    return np.sqrt(var), n


def _halo_index(y: np.ndarray, s: np.ndarray, r: np.ndarray, n_r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean inter-item correlation per rater, as the one-way intraclass correlation of
    the rater's subjects x items table.

    Under exchangeable items the average inter-item correlation equals ICC(1) of the
    subjects x items table (Shrout & Fleiss 1979, eq. for ICC(1,1); Cronbach 1951),
    ``(MSB - MSW) / (MSB + (k - 1) MSW)``, with ``k`` the mean number of items per
    subject. It pools every item pair into one ANOVA, so it stays stable for raters
    who scored few subjects; it is computed from grouped sums in one pass. ``y`` should
    already have item difficulty removed. Returns the index, the subjects per rater and
    the item spread ratio: the rater's within-subject SD across items over the pooled one
    (a halo rater barely differentiates items within a subject).
    """
    key = r.astype(np.int64) * (int(s.max()) + 1) + s
    cell, cell_code = np.unique(key, return_inverse=True)
    cell_r = cell // (int(s.max()) + 1)
    n_cell = np.bincount(cell_code).astype(float)
    cell_mean = np.bincount(cell_code, y) / n_cell
    m = np.bincount(cell_r, minlength=n_r).astype(float)              # subjects per rater
    N = np.bincount(r, minlength=n_r).astype(float)
    grand = np.bincount(r, y, n_r) / np.maximum(N, 1)
    ssb = np.bincount(cell_r, n_cell * (cell_mean - grand[cell_r]) ** 2, n_r)
    dev = y - cell_mean[cell_code]
    ssw = np.bincount(r, dev * dev, n_r)
    with np.errstate(invalid="ignore", divide="ignore"):
        msb = ssb / (m - 1)
        msw = ssw / (N - m)
        k = N / m
        icc = (msb - msw) / (msb + (k - 1) * msw)
    # no within-subject variation at all: every item gets the same score (total halo)
    icc = np.where((N > m) & (msw <= 1e-12) & (msb > 1e-12), 1.0, icc)
    icc = np.where((m >= 2) & (N > m), icc, np.nan)
    dfw = N - m
    pooled = math.sqrt(ssw.sum() / dfw.sum()) if dfw.sum() > 0 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        isr = np.where(dfw > 0, np.sqrt(ssw / dfw) / pooled, np.nan)
    return icc, m, isr


def _rater_vc(y: np.ndarray, s: np.ndarray, r: np.ndarray) -> dict[str, float]:
    """Variance components subject, rater, subject:rater, residual of ``y`` (nuisance
    effects already removed) by Henderson's (1953) Method 1, negative estimates set to 0."""
    df = pd.DataFrame({"s": s, "r": r, "y": y})
    try:
        g = gstudy(df, subject="s", rater="r", score="y")
    except (DataError, ValueError):
        return {"subject": np.nan, "rater": np.nan, "subject:rater": 0.0, "residual": np.nan}
    v = g["variance"]
    return {"subject": float(v.get("s", 0.0)), "rater": float(v.get("r", 0.0)),
            "subject:rater": float(v.get("s:r", 0.0)), "residual": float(v.get("residual", np.nan))}


class _ZeroFit:
    """Stands in for the BLUP fit when the rater variance is 0: every severity is 0."""

    def __init__(self, n_r: int):
        self.n_r = n_r

    def contrast(self, ref: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.n_r), np.zeros(self.n_r)


def _rater_blup(y: np.ndarray, s: np.ndarray, r: np.ndarray, comp: np.ndarray, n_s: int, n_r: int,
                vc: Mapping[str, float]) -> tuple["_CrossedFit | _ZeroFit", str]:
    """Empirical-Bayes (BLUP) rater effects and their prediction error variances.

    Model for the nuisance-free scores ``y`` of rater r on subject s (rating k):
    ``y = c_comp + a_s + b_r + (ab)_sr + e`` with ``a ~ N(0, s2_subject)``,
    ``b ~ N(0, s2_rater)``, ``(ab) ~ N(0, s2_subject:rater)``, ``e ~ N(0, s2_residual)``
    and one fixed level per centring group ``comp`` (a connected component, or a role
    within it); :meth:`_CrossedFit.contrast` of the returned fit gives the BLUPs centred
    on the group's reference raters, with the PEV of that contrast. The rater x subject cell means are
    sufficient for ``b`` given the cell structure: a cell of m ratings has error variance
    ``s2_sr + s2_e / m``, so the mixed-model equations are solved on cell means with those
    precisions as weights (Henderson 1975; Searle, Casella & McCulloch 1992, sec. 7.4).
    The prediction error variance ``Var(b - b_hat)`` is the rater block of the inverse of
    the mixed-model coefficient matrix (Henderson 1975, eq. 5). Returns the fit and a note.
    """
    s2s, s2r = vc.get("subject", np.nan), vc.get("rater", np.nan)
    s2sr, s2e = max(vc.get("subject:rater", 0.0), 0.0), vc.get("residual", np.nan)
    if not (np.isfinite(s2r) and np.isfinite(s2e)) or s2r <= 0 or s2e <= 0:
        return _ZeroFit(n_r), "rater variance estimated as 0: every severity shrinks to 0"
    key = r.astype(np.int64) * n_s + s
    cell, code = np.unique(key, return_inverse=True)
    m = np.bincount(code).astype(float)
    ybar = np.bincount(code, y) / m
    cr, cs = cell // n_s, cell % n_s
    w = 1.0 / (s2sr + s2e / m)
    _, cc = np.unique(comp[cr], return_inverse=True)
    lam_s = 1.0 / max(s2s, 1e-8) if np.isfinite(s2s) else 1e8
    fit = _CrossedFit(ybar, cs, cr, cc.astype(np.int64), n_s, n_r, int(cc.max()) + 1, lam_s=lam_s,
                      lam_r=1.0 / s2r, w=w, groups=comp)
    return fit, fit.note


def _role_blocks(r: np.ndarray, g: np.ndarray, n_r: int, g_lab: pd.Index) -> tuple[np.ndarray, list[str]]:
    """Blocks of roles linked by raters who rate in more than one of them.

    With the role crossed into the nuisance facet, shifting every rating of a block of
    roles by ``c`` and every rater of that block by ``-c`` leaves the fit unchanged when
    no rater also rates in another block: the block's shift is not separable from its
    raters' mean severity, so severities are contrasts within the block. The blocks are
    the connected components of the rater-role graph. Returns each rater's block and the
    block labels (roles joined by ``+``).
    """
    n_g = len(g_lab)
    adj = sp.csr_matrix((np.ones(r.size), (r, g)), shape=(n_r, n_g))
    _, lab = connected_components(sp.bmat([[None, adj], [adj.T, None]]).tocsr(), directed=False)
    blk, uniq = pd.factorize(lab[:n_r])
    role_blk = pd.Index(uniq).get_indexer(lab[n_r:])
    names = ["+".join(str(x) for x in g_lab[role_blk == b]) for b in range(len(uniq))]
    return blk.astype(np.int64), names


def _flag_rules(sev_t: float, central_t: float, halo_t: float, isr_t: float, min_n: int) -> str:
    return (f"severe: severity >= {sev_t:g} and 95% CI above 0; lenient: severity <= -{sev_t:g} and 95% CI "
            f"below 0; central: sd_ratio < {central_t:g}; halo: halo > {halo_t:g} and item_sd_ratio < {isr_t:g}; "
            f"only raters with >= {min_n} ratings are flagged")


def rater_effects(data: pd.DataFrame, *, subject: str, rater: str, score: str, item: str | None = None,
                  role: str | None = None, period: str | None = None, severity_threshold: float = 0.5,
                  central_threshold: float = 0.65, halo_threshold: float = 0.2, halo_item_sd_ratio: float = 0.7,
                  min_ratings: int = 10, halo_min_subjects: int = 3, adjust_role: bool = True,
                  centre: str = "calibrated", alpha: float = 0.05, estimator: str = "blup",
                  variance_components: Mapping[str, float] | None = None, latent: bool = False,
                  score_range: tuple[float, float] | None = None) -> pd.DataFrame:
    """Rater severity, spread and halo from the crossed model subject + rater (+ item).

    Parameters
    ----------
    data : DataFrame
        Long format, one row per rating.
    subject, rater, score : str
        Column names of the person rated, the rater and the numeric score.
    item : str, optional
        Item column; with it the model is subject + rater + item and the halo index is
        computed.
    role : str, optional
        Rater-role column; each rater's (most frequent) role is reported.
    period : str, optional
        Period column: a subject's level may differ between periods, so the subject
        facet becomes subject x period (severity stays one number per rater).
    severity_threshold : float
        Minimum |severity| (score points; with ``estimator="blup"`` the shrunken
        severity) to flag a rater severe/lenient; the interval ``ci_low``..``ci_high``
        must also exclude 0. Shrinkage keeps raters with little information from being
        flagged on noise.
    central_threshold : float
        Flag ``central`` when ``sd_ratio`` is below this.
    halo_threshold, halo_item_sd_ratio : float
        Flag ``halo`` when the rater's mean inter-item correlation exceeds the pool's
        median by more than ``halo_threshold`` and the rater's within-subject spread
        across items is below ``halo_item_sd_ratio`` times the pool's.
    min_ratings : int
        Raters with fewer ratings are never flagged (a note says so).
    halo_min_subjects : int
        The halo index needs at least this many subjects rated by the rater (else ``nan``).
    adjust_role : bool
        With ``role``, remove role shifts (item x role is the nuisance facet), so a
        rater's severity is net of e.g. the inflation of self-ratings; severity is then
        relative to raters of the same role (see Notes).
    centre : {"calibrated", "mean", "median"}
        Which raters define severity 0 within each reference group (connected component,
        and role block when roles are adjusted). ``"calibrated"`` (default): the mean of
        the raters with ``min_ratings`` who are not themselves flagged severe or lenient,
        found by a fixed point started from the group's shorth (a trimmed mean whose
        trimming rule is the flag rule; with nobody flagged it is the mean rater), so a
        lenient clique does not make its unit's calibrated raters look severe.
        ``"mean"``: the mean rater (sum-to-zero contrasts). ``"median"``: the median rater
        among those with ``min_ratings``. Standard errors are those of the contrast with
        the reference mean (for ``"median"``, of the mean contrast).
    alpha : float
        1 - confidence level of ``ci_low``/``ci_high``.
    estimator : {"blup", "fixed"}
        ``"blup"`` (default): ``severity`` is the empirical-Bayes best linear unbiased
        predictor of the rater effect (Henderson 1975) with the variance components
        estimated from the data, ``se`` the square root of its prediction error variance;
        ``"fixed"``: ``severity`` is the fixed-effect estimate (``severity_fixed``).
    variance_components : mapping, optional
        ``subject``, ``rater``, ``subject:rater``, ``residual`` variances for the BLUP
        (default: Henderson Method 1 on the nuisance-free scores, per component centred).
    latent : bool
        Read integer scores as rounded, bounded readings of a latent normal score and fit
        the model to their expected latent values (EM for the interval-censored normal
        model, :func:`_latent_scores`): severities are then on the latent score scale,
        not compressed by the scale's ceiling or floor. Default ``False``: the scores as
        they are.
    score_range : (low, high), optional
        The scale's lowest and highest categories for ``latent`` (default: observed).

    Returns
    -------
    DataFrame indexed by rater with columns ``severity`` (positive = harsher: the
    rater's scores are lower by that much, on the score scale, than the average
    rater's for the same subjects and items; the BLUP by default), ``se`` (the root
    prediction error variance of the BLUP, or the fixed-effect ``se_fixed``), ``ci_low``,
    ``ci_high`` (``severity -+ z se``), ``severity_fixed`` (the fixed-effect estimate),
    ``se_fixed`` (its SE with the design effect of ratings clustered in rater x subject
    cells), ``se_model`` (the least-squares SE assuming independent ratings),
    ``n_ratings``, ``n_subjects``, ``mean_score``, ``sd_ratio``, ``halo``,
    ``mean_item_corr``, ``item_sd_ratio``, ``flag`` (lenient/severe/central/halo/ok),
    ``flags`` (every rule that fired, joined by ``+``), ``flag_rule`` (the rule that fired, with the
    rater's numbers, or the full rule set for ``ok``), ``role`` (when given),
    ``component`` and ``note``.

    Notes
    -----
    ``severity_fixed`` is minus the rater fixed effect of ``y = mu + subject + rater (+ item) + e``
    (the "rater severity" of Myford & Wolfe 2003, additive-model version), as a contrast
    with the reference raters (``centre``) of the rater's group: severities are only
    comparable within a connected component of the subject-rater graph.

    Identification with roles. With ``role`` and ``adjust_role`` the nuisance facet is
    item x role. When every rater of a set of roles rates in those roles only (the usual
    case: an atasan rates as atasan, a member of the public only as masyarakat), adding
    ``c`` to every rating effect of those roles and ``-c`` to every one of their raters
    leaves the fit unchanged: the role's shift and its raters' mean severity are not
    separately identified, and any split between them is arbitrary. The estimable
    contrasts are those within a *role block* (the connected components of the
    rater-role graph: roles linked by raters who rate in several of them), so severity
    is relative to raters of the same role block in the same component. A role whose
    shift is systematic (the public rates higher) therefore flags nobody; roles linked by
    multi-role raters are compared with each other, their shifts being identified. A
    rater who is the only one of their role block in a component (one atasan per unit)
    has no such contrast: severity ``nan`` with that reason (``adjust_role=False``
    compares across roles, including the role's shift). ``attrs["reference"]`` states the
    reference in words. It is estimated exactly by
    sparse normal equations with subjects absorbed (Searle 1971, ch. 7); ``se_model``
    is ``s * sqrt(diag(M^-))`` of that fit, and ``se`` multiplies it by the square root of
    Kish's (1965) design effect ``1 + (m - 1) rho`` (m ratings per rater-subject cell,
    rho the subject:rater share of the G study), because one rater's ratings of one
    person share that rater's impression of the person.

    The default ``severity`` is the BLUP of the rater effect in the mixed model
    ``y = c_component + subject + rater + subject:rater + e`` fitted to the scores with
    the nuisance (item x role) effects of the fixed fit removed, with variance components
    by Henderson's (1953) Method 1 plugged in (empirical Bayes; Henderson 1975, Searle,
    Casella & McCulloch 1992 ch. 7). A rater who scored few people, or whose ratees were
    seen by few others, is shrunk toward the component's typical rater by the share of
    their estimate that is noise; the ``subject:rater`` impression variance enters the
    weight of each rater-subject cell, so many items about one person count as one
    impression, not as many independent ratings. Raters rating many people barely move.

    Recovery on the simulated sample study (``evaltools.simulate``, ``SAMPLE_ARGS``):
    correlation with the true severities (both centred within unit) .90 for the BLUP and
    .87 for the fixed-effect estimate over every rater with >= 3 ratees.

    ``sd_ratio`` is the SD of the rater's scores (minus item effects) over the SD a
    typical rater would show on the same subjects, ``sqrt(var(fitted subject levels over
    the rater's ratings) + s2_residual)``: below 1 the rater uses a narrower range than
    the pool for the same people (central tendency / range restriction, Myford & Wolfe
    2003). ``mean_item_corr`` is the rater's mean inter-item correlation
    over the subjects they rated, estimated as the ICC(1) of their subjects x items
    table (item difficulty removed), and ``halo`` is that minus the median over raters
    (Cooper 1981; Myford & Wolfe 2004); ``item_sd_ratio`` is the rater's within-subject
    SD across items over the pooled one (the same symptom seen from the other side:
    little differentiation between items).
    """
    if estimator not in ("blup", "fixed"):
        raise ValueError("estimator must be 'blup' or 'fixed'")
    if centre not in ("calibrated", "mean", "median"):
        raise ValueError("centre must be 'calibrated', 'mean' or 'median'")
    d = _clean(data, [subject, rater, item, role, period], score)
    if d.empty:
        raise DataError("no ratings with a score", column=score)
    dz = _rater_design(d, subject=subject, rater=rater, score=score, item=item, role=role, period=period,
                       adjust_role=adjust_role)
    n_r, r, s = dz["n_r"], dz["r"], dz["s"]
    latent_note = ""
    if latent:
        dz["y"], latent_note = _latent_scores(dz["y"], s, r, dz["nu"], dz["n_s"], n_r, int(dz["nu"].max()) + 1,
                                              score_range)
    # severities are contrasts within the same role block of the same connected
    # component: the estimable rater contrasts of this model (see Notes)
    fit = _CrossedFit(dz["y"], s, r, dz["nu"], dz["n_s"], n_r, int(dz["nu"].max()) + 1, groups=dz["blk"])
    comp, grp = fit.rater_component, fit.rater_group
    n_rat = np.bincount(r, minlength=n_r)
    # nuisance-free scores: the group-level part of the rater effects is not identified
    # apart from the nuisance facet (its null direction), so it goes with it
    val0, _ = fit.contrast()
    yi = dz["y"] - fit.item[dz["nu"]] - (fit.rater - val0)[r]
    vc = _rater_variance_components(yi, s, r, comp, fit.n_components, n_rat, variance_components)
    bfit, blup_note = (_rater_blup(yi, s, r, grp, dz["n_s"], n_r, vc) if estimator == "blup" else (None, ""))
    sc = _severity_scores(fit, bfit, n_rat, alpha=alpha, centre=centre, min_ratings=min_ratings,
                          severity_threshold=severity_threshold)
    # Ratings of one subject by one rater share the rater's impression of that subject
    # (rater x subject interaction), so they are not independent: inflate the model SE
    # by Kish's (1965) design effect 1 + (m - 1) rho, m = ratings per rater-subject
    # cell, rho = s2(subject:rater) / (s2(subject:rater) + s2(residual)) from the
    # Henderson Method 1 G study of the same facets (the residuals' own intra-cell
    # correlation is biased to 0: the rater effect absorbs the cells of raters who
    # scored one subject).
    s2sr, s2e = vc["subject:rater"], vc["residual"]
    rho = s2sr / (s2sr + s2e) if np.isfinite(s2e) and s2sr + s2e > 0 else 0.0
    n_cells = np.bincount(np.unique(r.astype(np.int64) * dz["n_s"] + s) // dz["n_s"], minlength=n_r)
    se_fx = sc["se_model"] * np.sqrt(1 + (n_rat / np.maximum(n_cells, 1) - 1) * rho)
    sp_ = _spread_and_halo(yi, fit, s, r, n_r, item is not None, halo_min_subjects)
    # a rater alone in a component (or in a role block of it) has nobody to be compared with
    alone_comp = np.bincount(comp, minlength=fit.n_components)[comp] < 2
    alone = np.bincount(grp, minlength=fit.n_groups)[grp] < 2
    sev_fx = np.where(alone, np.nan, sc["severity_fixed"])
    se_fx = np.where(alone, np.nan, se_fx)
    se_model = np.where(alone, np.nan, sc["se_model"])
    if estimator == "blup":
        sev, se = np.where(alone, np.nan, sc["severity"]), np.where(alone, np.nan, sc["se"])
    else:
        sev, se = sev_fx, se_fx
    z = float(scipy.stats.norm.ppf(1 - alpha / 2))
    ci_low, ci_high = sev - z * se, sev + z * se
    fl = _flag_raters(sev, ci_low, ci_high, sp_, n_rat >= min_ratings, severity_threshold=severity_threshold,
                      central_threshold=central_threshold, halo_threshold=halo_threshold,
                      halo_item_sd_ratio=halo_item_sd_ratio, min_ratings=min_ratings)
    note = np.where(n_rat >= min_ratings, "", f"fewer than {min_ratings} ratings: not flagged").astype(object)
    if dz["blk_names"]:
        lone = alone & ~alone_comp
        note[lone] = [f"the only {dz['blk_names'][b]} rater of these subjects: severity not separable from the "
                      f"role's shift (adjust_role=False compares across roles)" for b in dz["blk"][lone]]
    note[alone_comp] = "no other rater scored these subjects: severity undefined"
    if fit.n_components > 1:
        note = np.array([(n + "; " if n else "") + f"severity relative to component {c}"
                         for n, c in zip(note, comp)], dtype=object)
    for extra in (latent_note, sc["note"], blup_note, fit.note):
        if extra:
            note = np.array([(n + "; " if n else "") + extra for n in note], dtype=object)
    out = pd.DataFrame({
        "severity": sev, "se": se, "ci_low": ci_low, "ci_high": ci_high,
        "severity_fixed": sev_fx, "se_fixed": se_fx, "se_model": se_model,
        "n_ratings": n_rat.astype(np.int64), "n_subjects": dz["n_sub"].astype(np.int64),
        "mean_score": np.bincount(r, dz["y"], n_r) / n_rat, "sd_ratio": sp_["sd_ratio"], "halo": sp_["halo"],
        "mean_item_corr": sp_["mean_item_corr"], "item_sd_ratio": sp_["item_sd_ratio"],
        "flag": fl["flag"], "flags": fl["flags"], "flag_rule": fl["why"],
        "component": comp.astype(np.int64), "note": note,
    }, index=pd.Index(dz["r_lab"], name=rater))
    if role is not None:
        modal = (pd.DataFrame({"r": r, "role": d[role].astype(str).to_numpy()}).groupby(["r", "role"]).size()
                 .sort_values(ascending=False).reset_index().drop_duplicates("r").set_index("r")["role"])
        out.insert(out.columns.get_loc("flag"), "role", modal.reindex(np.arange(n_r)).to_numpy())
    out.attrs["method"] = (("empirical-Bayes BLUP (Henderson 1975) of rater effects, variance components by "
                            "Henderson Method 1; severity_fixed: " if estimator == "blup" else "")
                           + "fixed-effects crossed model subject + rater" + (" + item" if item else "")
                           + ", sparse normal equations with subjects absorbed")
    out.attrs["reference"] = _REFERENCE_TEXT[centre] + (
        " of the same role block (" + ", ".join(dz["blk_names"]) + ")" if len(dz["blk_names"]) > 1 else "")
    out.attrs["flag_rule"] = _flag_rules(severity_threshold, central_threshold, halo_threshold, halo_item_sd_ratio,
                                         min_ratings)
    out.attrs["residual_sd"] = math.sqrt(fit.s2) if np.isfinite(fit.s2) else np.nan
    out.attrs["intracell_corr"] = rho
    out.attrs["variance_components"] = vc
    return out


_REFERENCE_TEXT = {
    "calibrated": "severity 0 = the mean of the raters with enough ratings that are not flagged severe or lenient",
    "mean": "severity 0 = the mean rater",
    "median": "severity 0 = the median rater with enough ratings",
}


def _latent_scores(y: np.ndarray, s: np.ndarray, r: np.ndarray, nu: np.ndarray, n_s: int, n_r: int, n_i: int,
                   score_range: tuple[float, float] | None, *, max_iter: int = 500,
                   tol: float = 1e-5) -> tuple[np.ndarray, str]:
    """Expected latent scores of rounded, bounded ratings under the crossed model (EM).

    A score ``k`` on an integer scale ``lo..hi`` is read as a latent normal score
    ``y* = subject + rater + nuisance + e`` rounded to the nearest category, so ``y*``
    lies in ``[k - 1/2, k + 1/2)``, open below for ``lo`` and above for ``hi`` (an
    interval-censored normal model: the additive model behind ordinal "rounded normal"
    scales; at the scale ends it is Tobin's 1958 censored regression). The EM algorithm
    (Dempster, Laird & Rubin 1977, sec. 4.1.3) replaces each score by its conditional
    mean given its interval and the current fit,
    ``mu + sigma (phi(a) - phi(b)) / (Phi(b) - Phi(a))`` with ``a, b`` the standardized
    interval ends, refits the model on the design's factors (one pass of products per
    step), and updates ``sigma^2`` from the conditional second moments. A lenient rater
    whose scores pile up at the top category is then no longer compressed toward the
    others by the ceiling. Returns the latent scores and a note.
    """
    import scipy.special

    lo_s, hi_s = (float(np.min(y)), float(np.max(y))) if score_range is None else map(float, score_range)
    if not np.allclose(y, np.round(y)) or hi_s - lo_s < 2:
        return y, "latent: scores are not on an integer scale of three or more categories; used as they are"
    # A rater (or subject) whose every score is the top category has no finite maximum
    # likelihood effect; a weak normal prior on subject and rater effects (SD = half the
    # scale's range) keeps every effect finite and barely moves the others.
    lam = float(np.var(y)) / (0.5 * (hi_s - lo_s)) ** 2
    fit = _CrossedFit(y, s, r, nu, n_s, n_r, n_i, lam_s=lam, lam_r=lam, want_cov=False)
    if fit._W is None or not y.size > n_s + n_r + n_i:
        return y, "latent: design too large or too small for the EM refits; scores used as they are"
    df = y.size - n_s - n_r - n_i
    lo = np.where(y <= lo_s, -np.inf, y - 0.5)
    hi = np.where(y >= hi_s, np.inf, y + 0.5)
    z = y.astype(float).copy()
    mu = fit.fitted
    sig = math.sqrt(max(float(np.sum((y - mu) ** 2)) / df, 1e-12))
    sq2 = math.sqrt(2.0)
    note = "latent: EM did not converge in %d steps" % max_iter
    for _ in range(max_iter):
        a, b = (lo - mu) / sig, (hi - mu) / sig
        # Phi(b) - Phi(a) without cancellation in the upper tail
        Z = np.where(a > 0, 0.5 * (scipy.special.erfc(a / sq2) - scipy.special.erfc(b / sq2)),
                     0.5 * (scipy.special.erfc(-b / sq2) - scipy.special.erfc(-a / sq2)))
        Z = np.maximum(Z, 1e-300)
        pa, pb = scipy.stats.norm.pdf(a), scipy.stats.norm.pdf(b)
        m1 = (pa - pb) / Z
        with np.errstate(invalid="ignore"):      # inf * 0 at the open ends
            ta = np.where(np.isfinite(a), a * pa, 0.0)
            tb = np.where(np.isfinite(b), b * pb, 0.0)
        z_new = mu + sig * m1
        cvar = sig * sig * np.clip(1.0 + (ta - tb) / Z - m1 * m1, 0.0, None)
        step = float(np.max(np.abs(z_new - z)))
        z = z_new
        mu = fit.fitted_for(z)
        sig = math.sqrt(max(float(np.sum((z - mu) ** 2 + cvar)) / df, 1e-12))
        if step < tol:
            note = ""
            break
    return z, note


def _rater_design(d: pd.DataFrame, *, subject: str, rater: str, score: str, item: str | None, role: str | None,
                  period: str | None, adjust_role: bool) -> dict[str, Any]:
    """Integer codes of the crossed model: subjects (x period), raters, the nuisance
    facet (items, crossed with roles when role shifts are removed: a self-rating's
    inflation is a property of the role, not of the person rating) and the role blocks."""
    y = d[score].to_numpy()
    s_person, _ = _codes(d[subject])
    if period is not None:
        s, _ = _codes(pd.Series(s_person * (len(d) + 1) + _codes(d[period].astype(str))[0]))
    else:
        s = s_person
    r, r_lab = _codes(d[rater])
    n_r = len(r_lab)
    i = _codes(d[item])[0] if item is not None else np.zeros(len(d), dtype=np.int64)
    blk_names: list[str] = []
    if role is not None and adjust_role:
        g, g_lab = _codes(d[role].astype(str))
        nu, _ = _codes(pd.Series(i * (int(g.max()) + 1) + g))
        blk, blk_names = _role_blocks(r, g, n_r, g_lab)
    else:
        nu, blk = i, np.zeros(n_r, dtype=np.int64)
    n_p = int(s_person.max()) + 1
    n_sub = np.bincount(np.unique(r * n_p + s_person) // n_p, minlength=n_r)
    return {"y": y, "s": s, "r": r, "r_lab": r_lab, "n_r": n_r, "n_s": int(s.max()) + 1, "nu": nu, "blk": blk,
            "blk_names": blk_names, "n_sub": n_sub}


def _rater_variance_components(yi: np.ndarray, s: np.ndarray, r: np.ndarray, comp: np.ndarray, n_comp: int,
                               n_rat: np.ndarray, given: Mapping[str, float] | None) -> dict[str, float]:
    """The caller's variance components, or Henderson Method 1 on the nuisance-free
    scores centred per component (a unit's level belongs to its subjects and raters alike)."""
    if given is not None:
        return {k: float(given[k]) for k in ("subject", "rater", "subject:rater", "residual")}
    if n_rat.max() <= 1:
        return {"subject": np.nan, "rater": np.nan, "subject:rater": 0.0, "residual": np.nan}
    cm = np.bincount(comp[r], yi, n_comp) / np.maximum(np.bincount(comp[r], minlength=n_comp), 1)
    return _rater_vc(yi - cm[comp[r]], s, r)


def _severity_scores(fit: "_CrossedFit", bfit: "_CrossedFit | None", n_rat: np.ndarray, *, alpha: float,
                     centre: str, min_ratings: int, severity_threshold: float) -> dict[str, Any]:
    """Severities (fixed and BLUP) as contrasts with the reference raters of each group.

    ``centre="calibrated"`` finds the reference by a fixed point: start from the raters
    with ``min_ratings`` who are not flagged severe/lenient against the group's shorth
    (:func:`_shorth_shift`), flag against the mean of that reference, drop the flagged raters from it,
    repeat until the reference set stops changing (a trimmed mean whose trimming rule is
    the flag rule). A lenient third of a unit then no
    longer makes its calibrated raters look severe, and with no biased rater the result
    is the plain mean contrast.
    """
    use = n_rat >= min_ratings
    z = float(scipy.stats.norm.ppf(1 - alpha / 2))
    grp, ng = fit.rater_group, fit.n_groups

    def median_shift(v: np.ndarray) -> np.ndarray:
        # each group's median rater among those with enough ratings (else any rater)
        med = pd.Series(np.where(use, v, np.nan)).groupby(grp).median()
        med_all = pd.Series(v).groupby(grp).median()
        return med.fillna(med_all).reindex(np.arange(ng)).to_numpy()[grp]

    def scores(ref: np.ndarray | None) -> tuple[np.ndarray, ...]:
        x_fx, v_fx = fit.contrast(ref)
        if bfit is None:
            return -x_fx, np.sqrt(v_fx), -x_fx, np.sqrt(v_fx)
        b, pev = bfit.contrast(ref)
        return -x_fx, np.sqrt(v_fx), -b, np.sqrt(pev)

    note = ""
    sev_fx, se_model, sev, se = scores(None if centre == "mean" else use)
    if centre == "median":
        sev_fx = sev_fx - median_shift(sev_fx)
        sev = sev - median_shift(sev) if bfit is not None else sev_fx
    elif centre == "calibrated":
        # the first reference leaves out the raters flagged against the median rater,
        # later ones those flagged against the mean of the previous reference
        def off(v: np.ndarray, e: np.ndarray) -> np.ndarray:
            return (np.abs(v) >= severity_threshold) & (np.abs(v) > z * e)

        ref = use & ~off(sev - _shorth_shift(sev, grp, ng, use), se)
        for _ in range(25):
            sev_fx, se_model, sev, se = scores(ref)
            new_ref = use & ~off(sev, se)
            if np.array_equal(new_ref, ref):
                break
            ref = new_ref
        else:
            note = "reference raters did not settle in 25 steps: severities relative to the last reference"
    return {"severity_fixed": sev_fx, "se_model": se_model, "severity": sev, "se": se, "note": note}


def _shorth_shift(v: np.ndarray, grp: np.ndarray, ng: int, use: np.ndarray) -> np.ndarray:
    """Each group's shorth: the mean of the shortest half of its values (among ``use``;
    Andrews et al. 1972; Rousseeuw & Leroy 1987, sec. 4.2), repeated for its members.

    Unlike the median, it stays inside the majority cluster when a large minority of a
    unit's raters shares one bias (a 40 % lenient clique moves the median a third of the
    way toward the clique; it moves the shorth little).
    """
    ok = use & np.isfinite(v)
    order = np.lexsort((v, grp))
    order = order[ok[order]]
    gs, vs = grp[order], v[order]
    loc = pd.Series(v).groupby(grp).median().reindex(np.arange(ng)).to_numpy().copy()
    starts = np.searchsorted(gs, np.arange(ng))
    counts = np.bincount(gs, minlength=ng)
    cs = np.r_[0.0, np.cumsum(vs)]
    for g in np.flatnonzero(counts >= 3):          # one pass per unit x role block
        a, m = starts[g], counts[g]
        h = m // 2 + 1
        w = vs[a + h - 1:a + m] - vs[a:a + m - h + 1]
        j = a + int(np.argmin(w))
        loc[g] = (cs[j + h] - cs[j]) / h
    return loc[grp]


def _spread_and_halo(yi: np.ndarray, fit: "_CrossedFit", s: np.ndarray, r: np.ndarray, n_r: int, has_item: bool,
                     halo_min_subjects: int) -> dict[str, np.ndarray]:
    """Central tendency (``sd_ratio``) and halo (``mean_item_corr``, ``halo``, ``item_sd_ratio``)."""
    # spread after removing item difficulty, so a rater who scores only hard items
    # is not mistaken for a narrow one
    sd_r, _ = _grouped_sd(yi, r, n_r)
    # the spread a typical rater would show on this rater's subjects: the variance of
    # the subjects' fitted levels over the rater's ratings plus the residual variance
    sd_lvl, _ = _grouped_sd(fit.a[s], r, n_r)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd_ratio = sd_r / np.sqrt(sd_lvl ** 2 + fit.s2)
    if has_item:
        mic, m_sub, item_sd_ratio = _halo_index(yi, s, r, n_r)
        mic = np.where(m_sub >= halo_min_subjects, mic, np.nan)
    else:
        mic = item_sd_ratio = np.full(n_r, np.nan)
    pool_mic = np.nanmedian(mic) if np.isfinite(mic).any() else np.nan
    return {"sd_ratio": sd_ratio, "mean_item_corr": mic, "halo": mic - pool_mic, "item_sd_ratio": item_sd_ratio}


def _flag_raters(sev: np.ndarray, ci_low: np.ndarray, ci_high: np.ndarray, sp_: Mapping[str, np.ndarray],
                 enough: np.ndarray, *, severity_threshold: float, central_threshold: float, halo_threshold: float,
                 halo_item_sd_ratio: float, min_ratings: int) -> dict[str, np.ndarray]:
    """The primary flag, every flag that fired, and the rule that fired with the rater's numbers."""
    sd_ratio, halo, isr = sp_["sd_ratio"], sp_["halo"], sp_["item_sd_ratio"]
    is_sev = enough & (sev >= severity_threshold) & (ci_low > 0)
    is_len = enough & (sev <= -severity_threshold) & (ci_high < 0)
    is_cen = enough & (sd_ratio < central_threshold)
    is_halo = enough & (halo > halo_threshold) & (isr < halo_item_sd_ratio)
    n_r = sev.size
    flags = np.full(n_r, "", dtype=object)
    flag = np.full(n_r, "ok", dtype=object)
    why = np.full(n_r, _flag_rules(severity_threshold, central_threshold, halo_threshold, halo_item_sd_ratio,
                                   min_ratings), dtype=object)
    # later assignments win for the primary flag: severity first, then central, halo
    for mask, name, fmt in [
        (is_halo, "halo", lambda k: f"halo: halo {halo[k]:.2f} > {halo_threshold:g} and item_sd_ratio "
                                    f"{isr[k]:.2f} < {halo_item_sd_ratio:g}"),
        (is_cen, "central", lambda k: f"central: sd_ratio {sd_ratio[k]:.2f} < {central_threshold:g}"),
        (is_len, "lenient", lambda k: f"lenient: severity {sev[k]:.2f} <= -{severity_threshold:g} "
                                      f"and CI [{ci_low[k]:.2f}, {ci_high[k]:.2f}] below 0"),
        (is_sev, "severe", lambda k: f"severe: severity {sev[k]:.2f} >= {severity_threshold:g} "
                                     f"and CI [{ci_low[k]:.2f}, {ci_high[k]:.2f}] above 0"),
    ]:
        idx = np.flatnonzero(mask)
        flag[idx] = name
        flags[idx] = [name + ("+" + f if f else "") for f in flags[idx]]
        why[idx] = [fmt(k) for k in idx]
    return {"flag": flag, "flags": np.array([f if f else "ok" for f in flags], dtype=object), "why": why}


def role_effects(data: pd.DataFrame, *, subject: str, role: str, score: str, item: str | None = None,
                 rater: str | None = None, reference: str | None = "atasan", alpha: float = 0.05) -> pd.DataFrame:
    """Severity of each rater role (self vs atasan vs rekan kerja vs ...) for the same subjects.

    Fits ``score = subject + role (+ item) + e`` with the exact crossed solver of
    :func:`rater_effects` (the role takes the place of the rater), so a role's effect
    compares ratings of the *same* subjects.

    Returns
    -------
    DataFrame indexed by role: ``severity`` (positive = harsher than the average role),
    ``se``, ``ci_low``, ``ci_high``, ``vs_reference`` (severity minus the reference
    role's; ``nan`` when the reference is absent), ``n_ratings``, ``n_subjects``,
    ``n_raters`` (when ``rater`` is given), ``mean_score``.
    """
    d = _clean(data, [subject, role, item, rater], score)
    y = d[score].to_numpy()
    s, _ = _codes(d[subject])
    g, g_lab = _codes(d[role].astype(str))
    i = _codes(d[item])[0] if item is not None else np.zeros(len(d), dtype=np.int64)
    n_s, n_g, n_i = int(s.max()) + 1, len(g_lab), int(i.max()) + 1
    fit = _CrossedFit(y, s, g, i, n_s, n_g, n_i)
    sev = -fit.rater
    se = fit.rater_se()
    z = float(scipy.stats.norm.ppf(1 - alpha / 2))
    n_rat = np.bincount(g, minlength=n_g)
    out = pd.DataFrame({
        "severity": sev, "se": se, "ci_low": sev - z * se, "ci_high": sev + z * se,
        "n_ratings": n_rat, "n_subjects": np.bincount(np.unique(g * n_s + s) // n_s, minlength=n_g),
        "mean_score": np.bincount(g, y, n_g) / n_rat,
    }, index=pd.Index(g_lab, name=role))
    ref = out.loc[reference, "severity"] if reference is not None and reference in out.index else np.nan
    out.insert(4, "vs_reference", out["severity"] - ref)
    if rater is not None:
        out["n_raters"] = d.groupby(d[role].astype(str))[rater].nunique().reindex(out.index).to_numpy()
    out.attrs["reference"] = reference
    return out


def _p_adjust(p: np.ndarray, method: str) -> np.ndarray:
    """Holm (1979) or Benjamini & Hochberg (1995) adjusted p-values (``nan`` entries left
    out, as R's ``p.adjust``), by :func:`evaltools.pilot.adjust_pvalues`; ``"none"`` keeps them."""
    if method == "none":
        return np.asarray(p, dtype=float).copy()
    if method not in ("holm", "bh", "fdr"):
        raise ValueError("adjust must be 'holm', 'bh' or 'none'")
    from .pilot._power import adjust_pvalues

    return np.asarray(adjust_pvalues(np.asarray(p, dtype=float), method=method), dtype=float)


def rater_drift(data: pd.DataFrame, *, subject: str, rater: str, score: str, period: str,
                item: str | None = None, role: str | None = None, drift_threshold: float = 0.5,
                alpha: float = 0.05, adjust: str = "bh", min_ratings: int = 5,
                subject_by_period: bool = False) -> pd.DataFrame:
    """Rater severity per period and its change over periods.

    Each period is fitted separately with the fixed-effect crossed model of
    :func:`rater_effects` (subjects may change between periods), so a severity is
    relative to the raters of the same period; fixed-effect (not shrunken) estimates
    are used because a change between two BLUPs is biased toward 0 by different amounts.

    A rater drifts when the change from the first to the last rated period is larger
    than ``drift_threshold`` in absolute value **and** significant after a multiplicity
    correction over all raters tested: ``z = change / se``, ``se = sqrt(se_first^2 +
    se_last^2)`` (the per-period SEs with the rater x subject design effect, independent
    periods), two-sided p-values adjusted by Holm (1979, family-wise error) or Benjamini
    & Hochberg (1995, false discovery rate). With hundreds of raters an unadjusted 95 %
    interval would flag several of them by chance alone.

    Parameters
    ----------
    drift_threshold : float
        Minimum |change| (score points).
    alpha : float
        Level of the adjusted test (and 1 - confidence of ``ci_low``/``ci_high``).
    adjust : {"holm", "bh", "none"}
        Multiplicity correction across raters.
    min_ratings : int
        A period counts for a rater only with at least this many ratings in it.

    Returns
    -------
    DataFrame indexed by (rater, period) with ``severity``, ``se``, ``ci_low``,
    ``ci_high``, ``n_ratings``, ``change`` (severity minus the rater's first rated
    period), ``slope`` (the rater's inverse-variance weighted least-squares trend of
    severity per period step, repeated on each row), ``change_se``, ``pval``,
    ``pval_adj`` (of the first-to-last change, repeated on each row) and ``drift``.
    """
    if adjust not in ("holm", "bh", "fdr", "none"):
        raise ValueError("adjust must be 'holm', 'bh' or 'none'")
    d = _clean(data, [subject, rater, item, period, role], score)
    per = d[period]
    order = list(per.cat.categories) if isinstance(per.dtype, pd.CategoricalDtype) else sorted(per.unique())
    present = [p for p in order if (per == p).any()]
    tpos = {p: t for t, p in enumerate(present)}
    if subject_by_period:
        parts = []
        for t, p in enumerate(present):   # a handful of periods
            sub = d[per == p]
            fx = rater_effects(sub, subject=subject, rater=rater, score=score, item=item, role=role, alpha=alpha,
                               estimator="fixed", centre="mean")
            part = fx[["severity", "se", "ci_low", "ci_high", "n_ratings"]].copy()
            part[period] = p
            part["t"] = t
            parts.append(part.reset_index())
        long = pd.concat(parts, ignore_index=True)
    else:
        # one fit over all periods: a subject keeps one level, each rater gets one effect
        # per period, and the nuisance facet (item x role) is crossed with period so that a
        # period-wide shift is nobody's drift
        ps = per.astype(str)
        rp = d[rater].astype(str) + "\x1f" + ps
        nuis = ps if role is None else d[role].astype(str) + "\x1f" + ps
        dd = pd.DataFrame({"_s": d[subject].to_numpy(), "_rp": rp.to_numpy(), "_n": nuis.to_numpy(),
                           "_y": d[score].to_numpy()})
        if item is not None:
            dd["_i"] = d[item].to_numpy()
        fx = rater_effects(dd, subject="_s", rater="_rp", score="_y", item="_i" if item is not None else None,
                           role="_n", alpha=alpha, estimator="fixed", centre="mean")
        sp_ = fx.index.to_series().str.split("\x1f", n=1, expand=True)
        long = fx[["severity", "se", "ci_low", "ci_high", "n_ratings"]].reset_index(drop=True)
        long.insert(0, rater, sp_[0].to_numpy())
        long[period] = sp_[1].to_numpy()
        long["t"] = long[period].map(tpos).to_numpy()
        # the covariance of a rater's first and last period effects (they share subjects):
        # the same least-squares system, with the pair covariances of its inverse,
        # scaled like the reported SEs (correlation of the model fit, times se x se)
        s_c, _ = _codes(dd["_s"])
        r_c, r_lab = _codes(dd["_rp"])
        i_c = _codes(dd["_i"])[0] if item is not None else np.zeros(len(dd), dtype=np.int64)
        g_c, g_lab = _codes(dd["_n"])
        nu_c, _ = _codes(pd.Series(i_c * (int(g_c.max()) + 1) + g_c))
        blk_c, _ = _role_blocks(r_c, g_c, len(r_lab), g_lab)
        lr = long.reset_index(drop=True)
        ok_rows = lr["severity"].notna() & (lr["n_ratings"] >= min_ratings)
        firsts = lr[ok_rows].sort_values("t").groupby(rater, sort=False).head(1)
        lasts = lr[ok_rows].sort_values("t").groupby(rater, sort=False).tail(1)
        fl = firsts[[rater]].assign(a=firsts.index).merge(lasts[[rater]].assign(b=lasts.index), on=rater)
        fl = fl[fl["a"] != fl["b"]]
        pr = np.column_stack([fl["a"].to_numpy(), fl["b"].to_numpy()]).astype(np.int64)
        mfit = _CrossedFit(dd["_y"].to_numpy(float), s_c, r_c, nu_c, int(s_c.max()) + 1, len(r_lab),
                           int(nu_c.max()) + 1, groups=blk_c)
        # the covariance of the two period contrasts (each against its role block's mean)
        cov_m = mfit.contrast_cov(pr[:, 0], pr[:, 1]) if len(pr) else np.zeros(0)
        se_m = fx["se_model"].to_numpy()
        se_r = fx["se"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = cov_m / (se_m[pr[:, 0]] * se_m[pr[:, 1]]) * se_r[pr[:, 0]] * se_r[pr[:, 1]] if len(pr) else cov_m
        pair_cov = pd.Series(cov, index=fl[rater].to_numpy())
        if not isinstance(d[rater].dtype, pd.CategoricalDtype) and pd.api.types.is_numeric_dtype(d[rater]):
            long[rater] = long[rater].astype(d[rater].dtype)
            pair_cov.index = pair_cov.index.astype(d[rater].dtype)
    long = long[(long["n_ratings"] >= min_ratings) & long["severity"].notna()]
    long = long.sort_values([rater, "t"], kind="stable").reset_index(drop=True)
    grp = long.groupby(rater, sort=False)
    first = grp["severity"].transform("first")
    first_se = grp["se"].transform("first")
    long["change"] = long["severity"] - first
    w = 1.0 / np.clip(long["se"].to_numpy(), 1e-9, None) ** 2
    w = np.where(np.isfinite(w), w, 0.0)
    tt = long["t"].to_numpy(float)
    yv = long["severity"].to_numpy()
    gk, _ = pd.factorize(long[rater].to_numpy())
    sw, swt, swy = (np.bincount(gk, w), np.bincount(gk, w * tt), np.bincount(gk, w * yv))
    swtt, swty = np.bincount(gk, w * tt * tt), np.bincount(gk, w * tt * yv)
    den = sw * swtt - swt ** 2
    slope = np.divide(sw * swty - swt * swy, den, out=np.full(len(sw), np.nan), where=den > 1e-12)
    long["slope"] = slope[gk]
    last = grp["change"].transform("last")
    n_per = grp["t"].transform("size").to_numpy()
    cov_fl = np.zeros(len(long)) if subject_by_period else \
        long[rater].map(pair_cov).fillna(0.0).to_numpy()
    last_se = np.sqrt(np.clip(grp["se"].transform("last") ** 2 + first_se ** 2 - 2 * cov_fl, 0, None)).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        zst = np.where(n_per >= 2, last.to_numpy() / last_se, np.nan)
    pv = 2 * scipy.stats.norm.sf(np.abs(zst))
    # one test per rater (the first row of each), adjusted across raters
    one = ~long[rater].duplicated().to_numpy()
    padj_r = _p_adjust(pv[one], adjust)
    padj = padj_r[gk]
    long["change_se"] = np.where(n_per >= 2, last_se, np.nan)
    long["pval"] = pv
    long["pval_adj"] = padj
    long["drift"] = (last.abs().to_numpy() > drift_threshold) & (padj < alpha)
    out = long.drop(columns="t").set_index([rater, period])
    out.attrs["rule"] = (f"drift: |change first->last| > {drift_threshold:g} and {adjust}-adjusted p < {alpha:g} "
                         f"across {int(np.isfinite(pv[one]).sum())} raters")
    return out


# ---------------------------------------------------------------------------
# generalizability theory
# ---------------------------------------------------------------------------

def _term_codes(codes: dict[str, np.ndarray], sizes: dict[str, int], term: tuple[str, ...]) -> tuple[np.ndarray, int]:
    key = np.zeros(len(next(iter(codes.values()))), dtype=np.int64)
    for f in term:
        key = key * sizes[f] + codes[f]
    c, u = pd.factorize(key)
    return c.astype(np.int64), len(u)


def _henderson1(y: np.ndarray, terms: list[tuple[str, ...]], tcodes: dict[tuple, tuple[np.ndarray, int]],
                union_code: Callable[[tuple], tuple[np.ndarray, int]]) -> tuple[np.ndarray, str]:
    """Henderson (1953) Method 1 for a random model with the given effect terms.

    Equations: for each term a, ``T_a = sum_levels (level total)^2 / n_level`` has
    expectation ``N mu^2 + sum_b k_ab s2_b + (#levels of a) s2_e`` with
    ``k_ab = sum_{cells of a u b} n_cell^2 / n_{level of a}`` (Henderson 1953, eq. for
    Method 1; Brennan 2001, sec. 7.1.1), plus ``T_mu = (sum y)^2/N`` and
    ``T_total = sum y^2``. Solved exactly for (mu^2, s2_b..., s2_e).
    """
    n = y.size
    m = len(terms)
    A = np.zeros((m + 2, m + 2))
    T = np.zeros(m + 2)
    A[:, 0] = n
    for ia, a in enumerate(terms):
        ca, na = tcodes[a]
        cnt_a = np.bincount(ca, minlength=na).astype(float)
        tot = np.bincount(ca, y, na)
        T[ia] = np.sum(tot ** 2 / cnt_a)
        for ib, b in enumerate(terms):
            cu, nu = union_code(tuple(sorted(set(a) | set(b))))
            cnt_u = np.bincount(cu, minlength=nu).astype(float)
            a_of_u = np.empty(nu, dtype=np.int64)
            a_of_u[cu] = ca
            A[ia, 1 + ib] = np.sum(cnt_u ** 2 / cnt_a[a_of_u])
        A[ia, m + 1] = na
    # mean
    T[m] = y.sum() ** 2 / n
    for ib, b in enumerate(terms):
        cb, nb = tcodes[b]
        A[m, 1 + ib] = np.sum(np.bincount(cb, minlength=nb).astype(float) ** 2) / n
    A[m, m + 1] = 1.0
    # total
    T[m + 1] = float(y @ y)
    A[m + 1, 1:] = n
    note = ""
    try:
        sol = np.linalg.solve(A, T)
    except np.linalg.LinAlgError:
        sol, *_ = np.linalg.lstsq(A, T, rcond=None)
        note = "moment equations singular: least-squares solution"
    return sol[1:], note


def _reml_deviance(theta: np.ndarray, q_of: np.ndarray, ZtZ: np.ndarray, Zty: np.ndarray, Zt1: np.ndarray,
                   n: int, yty: float, y1: float) -> float:
    """Profiled REML deviance ``-2 log L_R`` of ``y = mu + sum_k Z_k u_k + e`` at relative
    standard deviations ``theta_k = sigma_k / sigma_e`` (lme4's parametrization; Bates,
    Maechler, Bolker & Walker 2015, *J. Stat. Softw.* 67(1), eqs. 34 and 41).

    With ``D = diag(theta of each random level)``, ``L L' = I + D Z'Z D`` and Woodbury's
    identity ``a'H^-1 b = a'b - (D Z'a)' (L L')^-1 (D Z'b)`` for ``H = I + Z D^2 Z'``:
    ``-2 log L_R = log|L L'| + log(1'H^-1 1) + (n - 1) (1 + log(2 pi r'H^-1 r / (n - 1)))``.
    """
    d = theta[q_of]
    A = d[:, None] * ZtZ * d[None, :]
    A[np.diag_indices_from(A)] += 1.0
    try:
        cf = scipy.linalg.cho_factor(A, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return np.inf
    logdet = 2.0 * np.log(np.diag(cf[0])).sum()
    by, b1 = d * Zty, d * Zt1
    sy, s1 = scipy.linalg.cho_solve(cf, by, check_finite=False), scipy.linalg.cho_solve(cf, b1, check_finite=False)
    q11 = n - b1 @ s1
    q1y = y1 - b1 @ sy
    qyy = yty - by @ sy
    rss = qyy - q1y * q1y / q11
    if not (rss > 0 and q11 > 0):
        return np.inf
    return float(logdet + np.log(q11) + (n - 1) * (1.0 + np.log(2.0 * np.pi * rss / (n - 1))))


def _gstudy_reml(y: np.ndarray, terms: list[tuple[str, ...]], tcodes: dict[tuple, tuple[np.ndarray, int]],
                 start: np.ndarray) -> tuple[np.ndarray, float, str]:
    """REML variance components of the random model by direct optimization of the profiled
    REML deviance (:func:`_reml_deviance`) over ``theta >= 0`` (bounded L-BFGS-B), from the
    Henderson Method 1 solution and from two neutral starts; the best optimum is kept and
    restarted once. The likelihood depends on the design only through ``Z'Z``, so the result does
    not depend on how levels are labelled or rows ordered; a component at the boundary is
    exactly 0. Returns the components (terms..., residual), the REML log-likelihood
    (as lme4's ``logLik(REML = TRUE)``) and a note (empty when converged).
    """
    import scipy.optimize

    n = y.size
    tss = float(((y - y.mean()) ** 2).sum())
    if not tss > 0 or start[-1] <= 1e-12 * tss / n:
        # no residual variation: the REML likelihood grows without bound as sigma_e -> 0
        return (np.clip(np.asarray(start, float), 0, None), np.nan,
                "residual variance 0: REML likelihood unbounded; Henderson Method 1 components reported")
    blocks, q_of = [], []
    for k, t in enumerate(terms):
        c, m = tcodes[t]
        blocks.append(c + sum(tcodes[u][1] for u in terms[:k]))
        q_of.append(np.full(m, k))
    q = sum(tcodes[t][1] for t in terms)
    q_of = np.concatenate(q_of) if terms else np.zeros(0, dtype=np.int64)
    rows = np.repeat(np.arange(n), len(terms))
    cols = np.column_stack(blocks).ravel() if terms else np.zeros(0, dtype=np.int64)
    Z = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, q))
    ZtZ = (Z.T @ Z).toarray()
    # centre y: the intercept is profiled out, and centring only improves the arithmetic
    yc = y - y.mean()
    Zty, Zt1 = Z.T @ yc, np.asarray(Z.sum(axis=0)).ravel()
    yty, y1 = float(yc @ yc), float(yc.sum())
    f = lambda th: _reml_deviance(np.abs(th), q_of, ZtZ, Zty, Zt1, n, yty, y1)  # noqa: E731
    s2e0 = max(float(start[-1]), 1e-8 * max(yty / n, 1e-300))
    th0 = np.sqrt(np.clip(np.asarray(start[:-1], float), 0, None) / s2e0)
    starts = [th0, np.full(len(terms), 0.5), np.full(len(terms), 1.0)]
    bounds = [(0.0, None)] * len(terms)
    opts = {"ftol": 1e-15, "gtol": 1e-9, "maxiter": 1000}
    best = None
    with warnings.catch_warnings():
        # trial points where the deviance is infinite make finite differences inf - inf
        warnings.simplefilter("ignore", RuntimeWarning)
        for th in starts:
            res = scipy.optimize.minimize(f, th, method="L-BFGS-B", bounds=bounds, options=opts)
            if best is None or res.fun < best.fun:
                best = res
        # restart from the best point: L-BFGS-B's finite-difference gradient can stop
        # early on flat ridges
        res = scipy.optimize.minimize(f, best.x, method="L-BFGS-B", bounds=bounds, options=opts)
    th = res.x if res.fun <= best.fun else best.x
    th = np.where(th < 1e-7, 0.0, th)
    dev = f(th)
    # the residual variance at theta: the profiled sigma^2 = r'H^-1 r / (n - 1)
    d = th[q_of]
    A = d[:, None] * ZtZ * d[None, :]
    A[np.diag_indices_from(A)] += 1.0
    cf = scipy.linalg.cho_factor(A, lower=True)
    by, b1 = d * Zty, d * Zt1
    sy, s1 = scipy.linalg.cho_solve(cf, by), scipy.linalg.cho_solve(cf, b1)
    q11, q1y, qyy = n - b1 @ s1, y1 - b1 @ sy, yty - by @ sy
    s2 = (qyy - q1y * q1y / q11) / (n - 1)
    note = ""
    # convergence: no coordinate direction (inward at a boundary) lowers the deviance
    h = 1e-5
    for k in range(len(terms)):
        for step in (h, -h):
            t2 = th.copy()
            t2[k] += step
            if t2[k] < 0:
                continue
            if f(t2) < dev - 1e-7:
                note = "REML optimizer did not converge: the reported components are not the optimum"
    if not np.isfinite(dev):
        note = "REML deviance not finite: components not estimable"
    return np.r_[th ** 2 * s2, s2], -dev / 2.0, note


def gstudy(data: pd.DataFrame, *, subject: str, rater: str, score: str, item: str | None = None,
           method: str = "anova") -> pd.DataFrame:
    """G-study variance components for subject x rater (x item), crossed or nested.

    Parameters
    ----------
    data : DataFrame
        Long format ratings.
    subject, rater, score : str
        Columns of the object of measurement, the rater facet and the score.
    item : str, optional
        Second facet (items, tasks, occasions).
    method : {"anova", "reml"}
        ``"anova"``: Henderson's (1953) Method 1, which Brennan (2001, ch. 7) calls the
        analogous-ANOVA procedure; for balanced data it equals the ANOVA expected
        mean-square solution (Brennan 2001, sec. 3.4). Fast at any size.
        ``"reml"``: restricted maximum likelihood with one variance component per
        effect, by direct minimization of the profiled REML deviance of lme4 (Bates et
        al. 2015, eqs. 34 and 41) over the relative standard deviations, bounded at 0
        (small data: one dense Cholesky factor per evaluation, of the size of the
        number of random levels). ``attrs["reml_loglik"]`` is the REML log-likelihood
        (lme4's ``logLik(REML = TRUE)``); a ``note`` says when the optimizer did not
        reach a point that no coordinate step improves.

    Returns
    -------
    DataFrame indexed by effect, named with the caller's column names joined by
    ``:`` (``subject``, ``rater``, ``item``, ``subject:rater``, ..., ``residual``),
    with columns ``variance`` (negative estimates set to 0, Brennan 2001 sec. 3.4.4),
    ``variance_raw``, ``share`` (of the total variance), ``n_levels`` and ``note``.

    Notes
    -----
    The design is read from the data: an effect whose levels coincide with those of
    a larger effect is confounded with it (e.g. raters nested in subjects: ``rater``
    merges into ``subject:rater``, Brennan's r:p), and the highest interaction is
    confounded with error when each cell holds one rating, so it is reported as
    ``residual``. ``DataFrame.attrs`` records the facet roles, the sample sizes, whether
    the design is balanced, and the method, for :func:`dstudy`.
    """
    if method not in ("anova", "reml"):
        raise ValueError(f"method must be 'anova' or 'reml', got {method!r}")
    facets = [f for f in (subject, rater, item) if f is not None]
    if len(set(facets)) != len(facets):
        raise ValueError("subject, rater and item must be different columns")
    d = _clean(data, facets, score)
    y = d[score].to_numpy()
    n = y.size
    if n < 2:
        raise DataError("need at least two ratings for a G study", column=score)
    codes, sizes = {}, {}
    for f in facets:
        c, lab = _codes(d[f])
        codes[f], sizes[f] = c, len(lab)
    cache: dict[tuple, tuple[np.ndarray, int]] = {}

    def tc(term: tuple) -> tuple[np.ndarray, int]:
        term = tuple(f for f in facets if f in term)
        if term not in cache:
            cache[term] = _term_codes(codes, sizes, term)
        return cache[term]

    all_terms = [t for k in range(1, len(facets) + 1) for t in itertools.combinations(facets, k)]
    nlev = {t: tc(t)[1] for t in all_terms}
    # confounding: a term whose partition equals a bigger term's is absorbed into it
    kept = []
    for t in all_terms:
        bigger = [u for u in all_terms if set(t) < set(u) and nlev[u] == nlev[t]]
        if not bigger:
            kept.append(t)
    full = tuple(facets)
    residual_confounded = nlev[full] == n and full in kept
    terms = [t for t in kept if not (residual_confounded and t == full)]
    names = [":".join(t) for t in terms]
    notes = {}
    for t in terms:
        absorbed = [u for u in all_terms if set(u) < set(t) and nlev[u] == nlev[t]]
        if absorbed:
            notes[":".join(t)] = "includes " + ", ".join(":".join(u) for u in absorbed) + " (nested design)"
    # balanced: every cell of the full crossing of the kept structure has the same count
    cf, ncf = tc(full)
    cell_n = np.bincount(cf, minlength=ncf)
    per_level_ok = all(np.unique(np.bincount(tc(t)[0])).size == 1 for t in terms)
    balanced = bool(np.unique(cell_n).size == 1 and per_level_ok)
    est, mnote = _henderson1(y, terms, {t: tc(t) for t in terms}, tc)
    how = ("ANOVA expected mean squares (balanced design; Brennan 2001 sec. 3.4)" if balanced else
           "Henderson (1953) Method 1 / analogous ANOVA (unbalanced design; Brennan 2001 ch. 7)")
    loglik = np.nan
    if method == "reml":
        est, loglik, mnote = _gstudy_reml(y, terms, {t: tc(t) for t in terms}, np.asarray(est, float))
        how = "REML (profiled REML deviance minimized directly, as lme4)"
    res_name = "residual"
    idx = names + [res_name]
    if residual_confounded:
        notes[res_name] = ":".join(full) + " interaction confounded with error (one rating per cell)"
    raw = np.asarray(est, float)
    var = np.clip(raw, 0.0, None)
    tot = var.sum()
    out = pd.DataFrame({
        "variance": var, "variance_raw": raw,
        "share": var / tot if tot > 0 else np.full(var.size, np.nan),
        "n_levels": [nlev[t] for t in terms] + [n],
        "note": [notes.get(nm, "") for nm in idx],
    }, index=pd.Index(idx, name="effect"))
    neg = raw < 0
    out.loc[neg, "note"] = [((x + "; ") if x else "") + "negative estimate set to 0" for x in out.loc[neg, "note"]]
    if mnote:
        out["note"] = [((x + "; ") if x else "") + mnote for x in out["note"]]
    # facet sample sizes for the D study: raters per subject (per item when nested)
    n_sub = sizes[subject]
    rater_obs = np.unique(codes[rater] * n_sub + codes[subject]).size / n_sub
    item_obs = (np.unique(codes[item] * n_sub + codes[subject]).size / n_sub) if item is not None else 1.0
    out.attrs.update({
        "subject": subject, "rater": rater, "item": item, "method": how, "balanced": balanced,
        "n_subjects": n_sub, "n_raters": float(rater_obs), "n_items": float(item_obs),
        "n_ratings": n, "components": {nm: list(t) for nm, t in zip(names, terms)},
        "residual_facets": list(full), "reml_loglik": loglik,
    })
    return out


def _dstudy_errors(g: pd.DataFrame, n_r: np.ndarray, n_i: np.ndarray,
                   subject: str, rater: str, item: str | None) -> tuple[float, np.ndarray, np.ndarray]:
    comps = g.attrs.get("components")
    if comps is None:
        comps = {nm: nm.split(":") for nm in g.index if nm != "residual"}
    res_f = g.attrs.get("residual_facets", [subject, rater] + ([item] if item else []))
    s2p = float(g.loc[subject, "variance"]) if subject in g.index else np.nan
    rel = np.zeros_like(n_r, dtype=float)
    ab = np.zeros_like(n_r, dtype=float)
    for nm in g.index:
        facets = comps.get(nm, []) if nm != "residual" else res_f
        if nm == subject:
            continue
        v = float(g.loc[nm, "variance"])
        div = np.ones_like(rel)
        if rater in facets:
            div = div * n_r
        if item is not None and item in facets:
            div = div * n_i
        if nm == "residual" and (item is None or item not in facets):
            # replications within subject x rater cells (items not named) average too
            div = div * (n_i if item is None else 1)
        ab += v / div
        if subject in facets:
            rel += v / div
    return s2p, rel, ab


def dstudy(g: pd.DataFrame, n_raters: Iterable[float] | float = (1, 2, 3, 4, 5),
           n_items: Iterable[float] | float | None = None,
           *, subject: str | None = None, rater: str | None = None, item: str | None = None) -> pd.DataFrame:
    """D-study: generalizability and dependability for other numbers of raters and items.

    Parameters
    ----------
    g : DataFrame
        Output of :func:`gstudy` (its ``attrs`` name the facets).
    n_raters, n_items : iterable of numbers
        D-study sample sizes; every combination is evaluated. ``n_items`` defaults to
        the G study's items per subject (1 without an item facet). In a nested design
        (raters within items) ``n_raters`` counts raters per item.
    subject, rater, item : str, optional
        Override the facet names recorded in ``g.attrs``.

    Returns
    -------
    DataFrame with ``n_raters, n_items, g_coef, phi, rel_error, abs_error``.

    Notes
    -----
    Brennan (2001, sec. 4.1, eqs. 4.1-4.4; Shavelson & Webb 1991, ch. 6): with each
    component divided by the product of the D-study sizes of the random facets it
    contains, ``rel_error`` sums the components that contain the subject and a facet,
    ``abs_error`` sums every component except the subject's;
    ``g_coef = s2_p / (s2_p + rel_error)`` (E rho^2) and
    ``phi = s2_p / (s2_p + abs_error)`` (Phi).
    """
    subject = subject or g.attrs.get("subject", "subject")
    rater = rater or g.attrs.get("rater", "rater")
    item = item if item is not None else g.attrs.get("item")
    nr = np.atleast_1d(np.asarray(list(n_raters) if not np.isscalar(n_raters) else [n_raters], float))
    if n_items is None:
        n_items = [g.attrs.get("n_items", 1.0)]
    ni = np.atleast_1d(np.asarray(list(n_items) if not np.isscalar(n_items) else [n_items], float))
    if (nr <= 0).any() or (ni <= 0).any():
        raise ValueError("n_raters and n_items must be positive")
    R, I = np.meshgrid(nr, ni, indexing="ij")
    R, I = R.ravel(), I.ravel()
    s2p, rel, ab = _dstudy_errors(g, R, I, subject, rater, item)
    with np.errstate(invalid="ignore", divide="ignore"):
        gc = s2p / (s2p + rel)
        phi = s2p / (s2p + ab)
    return pd.DataFrame({"n_raters": R, "n_items": I, "g_coef": gc, "phi": phi,
                         "rel_error": rel, "abs_error": ab})


def raters_needed(g: pd.DataFrame, target: float = 0.8, *, n_items: float | None = None,
                  coef: str = "g_coef", subject: str | None = None, rater: str | None = None,
                  item: str | None = None) -> int:
    """Smallest number of raters for which the D-study coefficient reaches ``target``.

    Solves ``s2_p / (s2_p + A + B / n_r) >= target`` in closed form, where ``B`` are
    the error components that contain the rater facet (divided by n_r) and ``A`` the
    others, at ``n_items`` (default: the G study's). Returns ``-1`` when no number of
    raters reaches the target (the item-only error, or a zero subject variance, caps
    the coefficient below it).
    """
    if not 0 < target < 1:
        raise ValueError("target must be between 0 and 1")
    if coef not in ("g_coef", "phi"):
        raise ValueError("coef must be 'g_coef' or 'phi'")
    subject = subject or g.attrs.get("subject", "subject")
    rater = rater or g.attrs.get("rater", "rater")
    item = item if item is not None else g.attrs.get("item")
    ni = np.array([n_items if n_items is not None else g.attrs.get("n_items", 1.0)], float)
    # error at n_r = 1 and n_r -> infinity give A + B and A
    s2p, rel1, ab1 = _dstudy_errors(g, np.array([1.0]), ni, subject, rater, item)
    _, relinf, abinf = _dstudy_errors(g, np.array([1e12]), ni, subject, rater, item)
    e1, einf = (rel1[0], relinf[0]) if coef == "g_coef" else (ab1[0], abinf[0])
    B = e1 - einf
    room = s2p * (1 - target) / target - einf
    if not np.isfinite(s2p) or s2p <= 0 or room <= 0:
        return -1
    if B <= 0:
        return 1
    need = max(1, int(math.ceil(B / room - 1e-9)))
    # guard the rounding of B / room at an exact integer: one fewer may already do
    if need > 1 and s2p / (s2p + einf + B / (need - 1)) >= target - 1e-12:
        need -= 1
    return need


# ---------------------------------------------------------------------------
# predikat (PermenPANRB 6/2022) and the distribution pattern (SE MenPANRB 3/2023)
# ---------------------------------------------------------------------------

_EKSP_ALIASES = {
    "di bawah ekspektasi": 0, "di bawah": 0, "dibawah ekspektasi": 0, "dibawah": 0,
    "sesuai ekspektasi": 1, "sesuai": 1,
    "di atas ekspektasi": 2, "di atas": 2, "diatas ekspektasi": 2, "diatas": 2,
}
_PRED_ALIASES = {p.lower(): k for k, p in enumerate(PREDIKAT_LEVELS)}
_PRED_ALIASES.update({"kurang": 1, "misconduct": 1, "kurang / misconduct": 1})


def _as_series(x: Any, name: str) -> pd.Series:
    if isinstance(x, pd.Series):
        return x
    if np.isscalar(x) or x is None:
        return pd.Series([x], name=name)
    return pd.Series(list(x), name=name)


def _ekspektasi_codes(x: pd.Series, argname: str) -> np.ndarray:
    """0/1/2 codes (Di Bawah/Sesuai/Di Atas) or -1 for missing; labels or 1..3 codes."""
    vals = x.astype(object).to_numpy()
    out = np.full(len(vals), -1, dtype=np.int64)
    for k, v in enumerate(vals):   # label parsing; predikat arrays are per-unit sized
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            continue
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            if float(v) in (1.0, 2.0, 3.0):
                out[k] = int(v) - 1
                continue
        elif isinstance(v, str) and v.strip().lower() in _EKSP_ALIASES:
            out[k] = _EKSP_ALIASES[v.strip().lower()]
            continue
        elif isinstance(v, str) and v.strip() in ("1", "2", "3"):
            out[k] = int(v.strip()) - 1
            continue
        raise ValueError(f"{argname}: unknown rating {v!r} at position {k}; expected one of "
                         f"{EKSPEKTASI_LEVELS} or the codes 1..3 (1 = Di Bawah Ekspektasi)")
    return out


def _fast_eksp_codes(x: pd.Series, argname: str) -> np.ndarray:
    # map unique values once, then broadcast: vectorised over large Series
    if isinstance(x.dtype, pd.CategoricalDtype):
        cats = pd.Series(x.cat.categories)
        cc = _ekspektasi_codes(cats, argname)
        codes = x.cat.codes.to_numpy()
        return np.where(codes >= 0, cc[np.clip(codes, 0, None)], -1)
    codes, uniq = pd.factorize(x, use_na_sentinel=True)
    uc = _ekspektasi_codes(pd.Series(uniq, dtype=object), argname)
    return np.where(codes >= 0, uc[np.clip(codes, 0, None)] if uc.size else -1, -1)


def predikat(hasil_kerja: Any, perilaku_kerja: Any) -> pd.Series:
    """Predikat Kinerja Pegawai from the kuadran kinerja of PermenPANRB 6/2022.

    Parameters
    ----------
    hasil_kerja, perilaku_kerja : Series (or array-like / scalar)
        Ratings ``Di Bawah Ekspektasi`` / ``Sesuai Ekspektasi`` / ``Di Atas Ekspektasi``
        (case-insensitive, "Ekspektasi" may be omitted) or the study's ordinal codes
        1..3 with 1 = Di Bawah Ekspektasi. Missing values give a missing predikat.

    Returns
    -------
    Series of an ordered Categorical ``Sangat Kurang < Kurang/Misconduct <
    Butuh Perbaikan < Baik < Sangat Baik`` (index of ``hasil_kerja`` when a Series).

    Notes
    -----
    The 3 x 3 matrix (rows Hasil, columns Perilaku, Di Bawah/Sesuai/Di Atas)::

        Di Atas : Kurang/Misconduct  Baik             Sangat Baik
        Sesuai  : Kurang/Misconduct  Baik             Baik
        Di Bawah: Sangat Kurang      Butuh Perbaikan  Butuh Perbaikan
    """
    h = _as_series(hasil_kerja, "hasil_kerja")
    p = _as_series(perilaku_kerja, "perilaku_kerja")
    if len(h) != len(p):
        raise ValueError(f"hasil_kerja and perilaku_kerja differ in length ({len(h)} vs {len(p)})")
    hc = _fast_eksp_codes(h, "hasil_kerja")
    pc = _fast_eksp_codes(p, "perilaku_kerja")
    ok = (hc >= 0) & (pc >= 0)
    codes = np.where(ok, _KUADRAN[np.clip(hc, 0, 2), np.clip(pc, 0, 2)], -1)
    cat = pd.Categorical.from_codes(codes, categories=PREDIKAT_LEVELS, ordered=True)
    return pd.Series(cat, index=h.index, name="predikat")


def _predikat_codes(x: pd.Series, argname: str) -> np.ndarray:
    codes, uniq = pd.factorize(x.astype(object), use_na_sentinel=True)
    uc = np.empty(len(uniq), dtype=np.int64)
    for k, v in enumerate(uniq):
        key = str(v).strip().lower()
        if key not in _PRED_ALIASES:
            raise ValueError(f"{argname}: unknown predikat {v!r}; expected one of {PREDIKAT_LEVELS}")
        uc[k] = _PRED_ALIASES[key]
    return np.where(codes >= 0, uc[np.clip(codes, 0, None)] if uc.size else -1, -1)


def check_predikat(stored: Any, hasil: Any, perilaku: Any) -> pd.DataFrame:
    """Flag stored predikat values that disagree with the kuadran matrix.

    Returns
    -------
    DataFrame (index of ``stored``) with ``stored``, ``expected`` (from
    :func:`predikat`), ``agrees`` (bool; ``False`` also when the stored value is
    missing but the ratings are not) and ``difference`` (stored minus expected, in
    predikat steps; positive = stored more favourable).
    """
    st = _as_series(stored, "stored")
    h = _as_series(hasil, "hasil")
    p = _as_series(perilaku, "perilaku")
    if not (len(st) == len(h) == len(p)):
        raise ValueError("stored, hasil and perilaku must have the same length")
    h.index = st.index
    p.index = st.index
    exp = predikat(h, p)
    sc = _predikat_codes(st, "stored")
    ec = exp.cat.codes.to_numpy()
    agrees = (sc == ec)
    diff = np.where((sc >= 0) & (ec >= 0), sc - ec, np.nan)
    return pd.DataFrame({
        "stored": pd.Categorical.from_codes(sc, categories=PREDIKAT_LEVELS, ordered=True),
        "expected": exp.to_numpy(), "agrees": agrees, "difference": diff,
    }, index=st.index)


def _exact_multinomial_p(obs: np.ndarray, probs: np.ndarray) -> float:
    """Exact multinomial goodness-of-fit p-value: the probability of every outcome no
    more likely than the observed one (Read & Cressie 1988, sec. 8.1; R package EMT),
    by enumerating all compositions of n into k cells (vectorised)."""
    n, k = int(obs.sum()), len(obs)
    # compositions via stars and bars: choose k-1 bar positions among n+k-1 slots
    bars = np.array(list(itertools.combinations(range(n + k - 1), k - 1)), dtype=np.int64)
    if bars.size == 0:
        return 1.0
    ext = np.column_stack([np.full(len(bars), -1), bars, np.full(len(bars), n + k - 1)])
    counts = np.diff(ext, axis=1) - 1
    with np.errstate(divide="ignore"):
        logp = scipy.stats.multinomial.logpmf(counts, n, probs)
        lobs = scipy.stats.multinomial.logpmf(obs, n, probs)
    return float(np.clip(np.exp(logp[logp <= lobs + 1e-7]).sum(), 0, 1))


def distribution_check(predikat: Any, org_predikat: str, *, pattern: Mapping[str, list[dict]] | None = None,
                       tolerance: float = 0.0, rounding: str = "nearest",
                       reference: Mapping[str, float] | None = None, exact_max_n: int = 40,
                       small_unit: int = 10) -> pd.DataFrame:
    """A unit's predikat distribution against the SE MenPANRB 3/2023 pattern.

    Parameters
    ----------
    predikat : Series or array-like
        The unit's employee predikat labels (missing values ignored).
    org_predikat : str
        Predikat Kinerja Organisasi: Istimewa, Baik, Butuh Perbaikan, Kurang, Sangat Kurang.
    pattern : mapping, optional
        Replaces :data:`DISTRIBUTION_PATTERN` (same structure).
    tolerance : float
        Soft bound in share points: maxima are raised and minima lowered by it
        (0 = strict).
    rounding : {"nearest", "lenient", "strict"}
        How a share bound becomes a head count: ``nearest`` rounds ``share x n``
        half up; ``lenient`` rounds in the unit's favour (maxima up, minima down);
        ``strict`` the other way. Small units are where this matters.
    reference : mapping predikat -> share, optional
        Reference distribution for a goodness-of-fit test: exact multinomial when
        ``n <= exact_max_n``, Pearson chi-square otherwise.
    small_unit : int
        Units below this size get a note that the pattern is advisory.

    Returns
    -------
    DataFrame, one row per rule (plus ``goodness_of_fit`` when ``reference`` is given):
    ``rule``, ``predikat``, ``limit_share``, ``limit_count``, ``observed_count``,
    ``observed_share``, ``ok``, ``deviation`` (people beyond the bound, 0 when ok),
    ``pval``, ``message``. ``attrs`` carries ``n`` and the observed counts.
    """
    if rounding not in ("nearest", "lenient", "strict"):
        raise ValueError("rounding must be 'nearest', 'lenient' or 'strict'")
    pat = dict(pattern) if pattern is not None else DISTRIBUTION_PATTERN
    org = str(org_predikat).strip()
    lookup = {k.lower(): k for k in pat}
    if org.lower() not in lookup:
        raise ValueError(f"org_predikat: unknown organisation predikat {org_predikat!r}; expected one of {list(pat)}")
    rules = pat[lookup[org.lower()]]
    ps = _as_series(predikat, "predikat")
    pc = _predikat_codes(ps, "predikat")
    pc = pc[pc >= 0]
    n = int(pc.size)
    counts = np.bincount(pc, minlength=5)
    cnt = dict(zip(PREDIKAT_LEVELS, counts.tolist()))
    rows = []

    def to_count(share: float, kind: str) -> int:
        x = share * n
        if rounding == "nearest":
            return int(math.floor(x + 0.5 + 1e-9))
        up = (kind == "max") == (rounding == "lenient")
        return int(math.ceil(x - 1e-9)) if up else int(math.floor(x + 1e-9))

    for rule in rules:
        kind = rule["kind"]
        cats = list(rule["categories"])
        for c in cats:
            if c not in PREDIKAT_LEVELS:
                raise ValueError(f"pattern: unknown predikat {c!r} in rule {rule}")
        obs = int(sum(cnt[c] for c in cats))
        label = " + ".join(cats)
        share = rule.get("share", np.nan)
        if kind == "max":
            lim_share = min(1.0, share + tolerance)
            lim = to_count(lim_share, "max")
            ok = obs <= lim
            dev = max(0, obs - lim)
            msg = f"{label}: {obs} of {n} ({(obs / n if n else 0):.0%}), at most {lim} allowed ({lim_share:.0%})"
        elif kind == "min":
            lim_share = max(0.0, share - tolerance)
            lim = to_count(lim_share, "min")
            ok = obs >= lim
            dev = max(0, lim - obs)
            msg = f"{label}: {obs} of {n} ({(obs / n if n else 0):.0%}), at least {lim} expected ({lim_share:.0%})"
        elif kind == "min_count":
            lim_share = np.nan
            lim = int(rule.get("count", 1))
            ok = obs >= lim
            dev = max(0, lim - obs)
            msg = f"{label}: {obs} of {n}, at least {lim} expected"
        elif kind == "largest":
            lim_share = np.nan
            others = max(cnt[c] for c in PREDIKAT_LEVELS if c not in cats)
            lim = others
            ok = obs >= others
            dev = max(0, others - obs)
            msg = f"{label}: {obs} of {n}, should be the largest group (largest other group: {others})"
        else:
            raise ValueError(f"pattern: unknown rule kind {kind!r}")
        if n == 0:
            ok, msg = False, "no predikat values"
        rows.append({"rule": kind, "predikat": label, "limit_share": lim_share, "limit_count": lim,
                     "observed_count": obs, "observed_share": obs / n if n else np.nan, "ok": bool(ok),
                     "deviation": int(dev), "pval": np.nan,
                     "message": ("" if ok else "deviation: ") + msg +
                                (f"; small unit (n={n} < {small_unit}): advisory" if 0 < n < small_unit else "")})
    if reference is not None:
        probs = np.array([float(reference.get(c, 0.0)) for c in PREDIKAT_LEVELS])
        unknown = set(reference) - set(PREDIKAT_LEVELS)
        if unknown:
            raise ValueError(f"reference: unknown predikat {sorted(unknown)}")
        if not np.isclose(probs.sum(), 1.0, atol=1e-6):
            raise ValueError(f"reference shares must sum to 1 (they sum to {probs.sum():.4f})")
        if n == 0:
            pval, how = np.nan, "no predikat values"
        elif np.any((probs == 0) & (counts > 0)):
            pval, how = 0.0, "a predikat with reference share 0 was observed"
        elif n <= exact_max_n:
            keep = probs > 0
            pval = _exact_multinomial_p(counts[keep], probs[keep])
            how = "exact multinomial test"
        else:
            keep = probs > 0
            exp_c = probs[keep] * n
            stat = float(((counts[keep] - exp_c) ** 2 / exp_c).sum())
            pval = float(scipy.stats.chi2.sf(stat, keep.sum() - 1))
            how = f"Pearson chi-square {stat:.3f} on {keep.sum() - 1} df" + \
                  ("; some expected counts < 5" if (exp_c < 5).any() else "")
        rows.append({"rule": "goodness_of_fit", "predikat": "all", "limit_share": np.nan, "limit_count": np.nan,
                     "observed_count": n, "observed_share": 1.0 if n else np.nan,
                     "ok": bool(pval >= 0.05) if np.isfinite(pval) else False, "deviation": 0,
                     "pval": pval, "message": how})
    out = pd.DataFrame(rows)
    out.attrs.update({"n": n, "counts": cnt, "org_predikat": lookup[org.lower()]})
    return out


# ---------------------------------------------------------------------------
# adjusted scores, anchor agreement, worklist
# ---------------------------------------------------------------------------

def _deciles(x: np.ndarray) -> np.ndarray:
    ranks = pd.Series(x).rank(method="first").to_numpy()
    n = np.isfinite(x).sum()
    return np.where(np.isfinite(x), np.ceil(ranks / max(n, 1) * 10).clip(1, 10), np.nan)


def adjusted_scores(data: pd.DataFrame, *, subject: str, rater: str, score: str, item: str | None = None,
                    method: str = "blup", hasil_item: str | None = "Hasil Kerja",
                    perilaku_item: str | None = "Perilaku Kerja", effects: pd.DataFrame | None = None,
                    ordinal_scale: float | str = "sd") -> pd.DataFrame:
    """Subject scores corrected for rater severity, and who changes decile or predikat.

    Parameters
    ----------
    data : DataFrame
        Ratings; rows of ``hasil_item``/``perilaku_item`` (ordinal codes 1..3, when the
        item column has them) are kept apart from the numeric items.
    method : {"blup", "fixed"}
        ``blup`` (default): Henderson's (1975) mixed-model equations with random subjects
        and raters and fixed items, variance ratios from :func:`gstudy`; the severity of
        a rater with few ratings shrinks toward 0. ``fixed``: the fixed-effect severities
        of :func:`rater_effects`. On simulated units the fixed correction over-corrects
        (the noise of severities estimated from 3-5 subjects enters every score they
        gave) and correlates less with the true scores than the raw mean does; the BLUP
        correction does not.
    effects : DataFrame, optional
        A precomputed :func:`rater_effects` table (its ``severity`` is used).
    ordinal_scale : "sd" or float
        How a severity on the numeric scale maps onto the 1..3 predikat scale:
        ``"sd"`` multiplies by SD(ordinal codes) / SD(numeric scores); a number is used
        as the factor.

    Returns
    -------
    DataFrame indexed by subject: ``raw_score`` (mean of the numeric ratings),
    ``adjusted_score`` (mean of score + severity of its rater), ``shift``,
    ``n_ratings``, ``raw_decile``, ``adjusted_decile``, ``decile_changed``, and when the
    two predikat items are present ``predikat_raw``, ``predikat_adjusted``,
    ``predikat_changed`` (plus ``hasil_adjusted``, ``perilaku_adjusted``).
    ``attrs["summary"]`` has ``n_subjects``, ``n_decile_changed``,
    ``n_predikat_changed`` and the method.
    """
    if method not in ("fixed", "blup"):
        raise ValueError("method must be 'fixed' or 'blup'")
    d = _clean(data, [subject, rater, item], score)
    ordinal_items = [x for x in (hasil_item, perilaku_item) if x is not None]
    if item is not None and ordinal_items:
        is_ord = d[item].isin(ordinal_items).to_numpy()
    else:
        is_ord = np.zeros(len(d), dtype=bool)
    num = d[~is_ord].reset_index(drop=True)
    ordd = d[is_ord].reset_index(drop=True)
    if num.empty:
        raise DataError("no numeric ratings to estimate rater severity", column=score)
    if effects is not None:
        sev_map = effects["severity_fixed" if method == "fixed" and "severity_fixed" in effects else "severity"]
    elif method == "fixed":
        sev_map = rater_effects(num, subject=subject, rater=rater, score=score, item=item)["severity_fixed"]
    else:
        g = gstudy(num, subject=subject, rater=rater, score=score, item=item)
        s2e = float(g.loc["residual", "variance"])
        s2s = float(g.loc[subject, "variance"]) if subject in g.index else 0.0
        s2r = float(g.loc[rater, "variance"]) if rater in g.index else 0.0
        y = num[score].to_numpy()
        s, _ = _codes(num[subject])
        r, r_lab = _codes(num[rater])
        i = _codes(num[item])[0] if item is not None else np.zeros(len(num), dtype=np.int64)
        if s2s <= 0 or s2r <= 0:
            sev_map = pd.Series(0.0, index=r_lab)
        else:
            fit = _CrossedFit(y, s, r, i, int(s.max()) + 1, len(r_lab), int(i.max()) + 1,
                              lam_s=s2e / s2s, lam_r=s2e / s2r, want_cov=False)
            sev_map = pd.Series(-fit.rater, index=r_lab)
    sev_num = num[rater].map(sev_map).fillna(0.0).to_numpy()
    grp = num.groupby(subject, sort=True)
    raw = grp[score].mean()
    adj = pd.Series(num[score].to_numpy() + sev_num, index=num.index).groupby(num[subject]).mean()
    out = pd.DataFrame({"raw_score": raw, "adjusted_score": adj.reindex(raw.index)})
    out.index.name = subject
    out["shift"] = out["adjusted_score"] - out["raw_score"]
    out["n_ratings"] = grp.size().reindex(out.index).to_numpy()
    out["raw_decile"] = _deciles(out["raw_score"].to_numpy())
    out["adjusted_decile"] = _deciles(out["adjusted_score"].to_numpy())
    out["decile_changed"] = out["raw_decile"] != out["adjusted_decile"]
    n_pred = 0
    if len(ordd) and item is not None and hasil_item is not None and perilaku_item is not None:
        if ordinal_scale == "sd":
            sd_num = float(np.std(num[score].to_numpy(), ddof=1))
            sd_ord = float(np.std(ordd[score].to_numpy(), ddof=1)) if len(ordd) > 1 else 0.0
            factor = sd_ord / sd_num if sd_num > 0 else 0.0
        else:
            factor = float(ordinal_scale)
        o_sev = ordd[rater].map(sev_map).fillna(0.0).to_numpy() * factor
        ordd = ordd.assign(_adj=np.clip(np.rint(ordd[score].to_numpy() + o_sev), 1, 3))
        # one Hasil and one Perilaku rating per subject: the atasan's (mean if several)
        wide_raw = ordd.pivot_table(index=subject, columns=item, values=score, aggfunc="mean")
        wide_adj = ordd.pivot_table(index=subject, columns=item, values="_adj", aggfunc="mean")
        if hasil_item in wide_raw and perilaku_item in wide_raw:
            hr, pr = np.rint(wide_raw[hasil_item]), np.rint(wide_raw[perilaku_item])
            ha, pa = np.rint(wide_adj[hasil_item]), np.rint(wide_adj[perilaku_item])
            p_raw = predikat(hr, pr)
            p_adj = predikat(ha, pa)
            pred = pd.DataFrame({"predikat_raw": p_raw, "predikat_adjusted": p_adj,
                                 "hasil_adjusted": ha, "perilaku_adjusted": pa})
            out = out.join(pred, how="outer")
            out["predikat_changed"] = (out["predikat_raw"].astype(object) != out["predikat_adjusted"].astype(object)) \
                & out["predikat_raw"].notna() & out["predikat_adjusted"].notna()
            n_pred = int(out["predikat_changed"].sum())
    out.attrs["summary"] = {"n_subjects": int(len(out)), "n_decile_changed": int(out["decile_changed"].sum()),
                            "n_predikat_changed": n_pred, "method": method}
    return out


def _weighted_kappa_by_group(a: np.ndarray, b: np.ndarray, g: np.ndarray, n_groups: int, cats: np.ndarray,
                             weights: str) -> np.ndarray:
    """Cohen's (1968) weighted kappa of (a, b) pairs per group, one bincount pass.

    ``kappa_w = 1 - sum(v * O) / sum(v * E)`` with disagreement weights
    ``v_jk = |x_j - x_k|`` (linear) or ``(x_j - x_k)^2`` (quadratic) on the category
    values (any weighting :func:`evaltools.reliability.weight_matrix` knows), ``O`` the
    observed and ``E`` the chance (product of margins) proportions.
    """
    from .reliability import weight_matrix

    k = len(cats)
    ia = np.searchsorted(cats, a)
    ib = np.searchsorted(cats, b)
    tab = np.bincount((g * k + ia) * k + ib, minlength=n_groups * k * k).reshape(n_groups, k, k).astype(float)
    # disagreement = 1 - agreement weight; kappa_w is invariant to the weights' scale, so the
    # reliability module's weights (normalized by the category span) give Cohen's kappa_w
    v = 1.0 - weight_matrix(None if weights in ("none", "unweighted") else weights, cats)
    n = tab.sum(axis=(1, 2))
    obs = np.einsum("gjk,jk->g", tab, v)
    exp = np.einsum("gj,gk,jk->g", tab.sum(axis=2), tab.sum(axis=1), v)
    with np.errstate(invalid="ignore", divide="ignore"):
        kap = 1 - obs / (exp / n)
    return np.where((n > 0) & (exp > 0), kap, np.nan)


def anchor_agreement(data: pd.DataFrame, gold: pd.DataFrame, *, subject: str, rater: str, score: str,
                     item: str | None = None, gold_score: str | None = None, categories: Sequence[float] | None = None,
                     weights: str = "quadratic", max_bias: float = 0.5, max_mae: float = 0.75,
                     min_kappa: float = 0.6) -> pd.DataFrame:
    """Each rater against expert (gold) ratings of a common calibration set.

    Parameters
    ----------
    data : DataFrame
        The raters' ratings of the calibration subjects.
    gold : DataFrame
        Expert-panel ratings with the ``subject`` (and ``item``) columns and
        ``gold_score`` (default: the same name as ``score``).
    categories : sequence of numbers, optional
        The scale's category values for kappa (default: values seen in either table).
    weights : {"quadratic", "linear", "unweighted"}
        Kappa disagreement weights (Cohen 1968).
    max_bias, max_mae, min_kappa : float
        Pass thresholds: ``|bias| <= max_bias``, ``mae <= max_mae``, ``kappa >= min_kappa``.

    Returns
    -------
    DataFrame indexed by rater: ``n``, ``bias`` (mean rater - gold; negative = harsher),
    ``mae``, ``kappa_w``, ``pass``, ``reason`` (thresholds missed).
    """
    gold_score = gold_score or score
    keys = [subject] + ([item] if item is not None else [])
    d = _clean(data, [rater, *keys], score)
    gd = _clean(gold, keys, gold_score, what="gold")
    if gd.duplicated(keys).any():
        row = int(np.flatnonzero(gd.duplicated(keys).to_numpy())[0])
        raise DataError("duplicate gold rating for the same " + "/".join(keys), row=row, column=subject)
    gd = gd.rename(columns={gold_score: "_gold"})
    m = d.merge(gd, on=keys, how="inner")
    r_all = pd.Index(sorted(d[rater].unique()), name=rater)
    if m.empty:
        out = pd.DataFrame(index=r_all, columns=["n", "bias", "mae", "kappa_w", "pass", "reason"])
        out["reason"] = "no ratings of gold-rated subjects"
        return out
    r = r_all.get_indexer(m[rater])
    a = m[score].to_numpy(float)
    b = m["_gold"].to_numpy(float)
    n_r = len(r_all)
    cats = np.unique(np.r_[a, b]) if categories is None else np.asarray(sorted(categories), float)
    unknown = ~np.isin(np.r_[a, b], cats)
    if unknown.any():
        raise DataError(f"score {np.r_[a, b][unknown][0]!r} is not one of the categories {list(cats)}", column=score)
    n = np.bincount(r, minlength=n_r).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        bias = np.bincount(r, a - b, n_r) / n
        mae = np.bincount(r, np.abs(a - b), n_r) / n
    kap = _weighted_kappa_by_group(a, b, r, n_r, cats, weights)
    ok_b, ok_m, ok_k = np.abs(bias) <= max_bias, mae <= max_mae, kap >= min_kappa
    # the reasons as text, column-wise (string building, not a per-rater loop)
    parts = pd.DataFrame({
        "b": np.where(ok_b, "", pd.Series(np.abs(bias)).map(lambda v: f"|bias| {v:.2f} > {max_bias:g}")),
        "m": np.where(ok_m, "", pd.Series(mae).map(lambda v: f"MAE {v:.2f} > {max_mae:g}")),
        "k": np.where(ok_k, "", np.where(np.isfinite(kap),
                                         pd.Series(kap).map(lambda v: f"kappa {v:.2f} < {min_kappa:g}"),
                                         "kappa undefined (no variance)")),
    })
    reason = parts.apply(lambda c: c.where(c == "", c + "; ")).sum(axis=1).str.rstrip("; ")
    reason = np.where(n == 0, "no ratings of gold-rated subjects", reason)
    return pd.DataFrame({"n": n.astype(np.int64), "bias": bias, "mae": mae, "kappa_w": kap,
                         "pass": ok_b & ok_m & ok_k, "reason": reason}, index=r_all)


def calibration_worklist(data: pd.DataFrame, *, subject: str, rater: str, score: str, item: str | None = None,
                         unit: str | None = None, role: str | None = None, period: str | None = None,
                         hasil_item: str | None = "Hasil Kerja",
                         perilaku_item: str | None = "Perilaku Kerja", method: str = "blup",
                         max_subjects: int | None = 50, effects: pd.DataFrame | None = None,
                         **thresholds: Any) -> pd.DataFrame:
    """What a calibration meeting should look at first, per unit, ordered by impact.

    For each unit: raters flagged by :func:`rater_effects` (with the rule that fired
    as evidence; impact = |severity| x subjects rated for severe/lenient raters,
    (1 - sd_ratio) x subjects for central, halo x subjects for halo), and subjects
    whose predikat changes after severity adjustment (:func:`adjusted_scores`; impact =
    predikat steps moved x 1, then |score shift|). Subject identifiers are the study's
    pseudonyms (the data contract pseudonymizes at load); no names are used.

    Parameters
    ----------
    unit : str, optional
        Unit column (one worklist block per unit); without it the whole table is one unit.
    role, period : str, optional
        Passed to :func:`rater_effects` (role shifts removed; subject levels per period).
        For the predikat changes give one period's ratings (one Hasil/Perilaku pair per
        subject).
    max_subjects : int, optional
        Keep at most this many subject rows per unit (the highest impact ones).
    effects : DataFrame, optional
        A :func:`rater_effects` table already computed on the same ratings (e.g. by the
        report), used instead of refitting; each unit block uses the rows of its raters.
    **thresholds
        Passed to :func:`rater_effects` (``severity_threshold``, ``central_threshold``,
        ``halo_threshold``, ``min_ratings``).

    Returns
    -------
    DataFrame with ``unit``, ``priority`` (1 = first, within unit), ``kind``
    (``rater``/``subject``), ``id``, ``issue``, ``evidence``, ``impact``.
    """
    d = _clean(data, [subject, rater, item, unit, role, period], score)
    units = [None] if unit is None else list(pd.unique(d[unit]))
    ordinal_items = [x for x in (hasil_item, perilaku_item) if x is not None]
    blocks = []
    for u in units:   # one block per unit, as the unit notebooks are
        du = d if u is None else d[d[unit] == u]
        is_ord = du[item].isin(ordinal_items).to_numpy() if item is not None else np.zeros(len(du), bool)
        num = du[~is_ord]
        rows = []
        fx = None
        if effects is not None:
            fx = effects[effects.index.isin(pd.unique(num[rater]))]
        elif len(num) and num[rater].nunique() >= 2:
            fx = rater_effects(num, subject=subject, rater=rater, score=score, item=item, role=role, period=period,
                               **thresholds)
        if fx is not None:
            flagged = fx[fx["flag"] != "ok"]
            for rid, fr in flagged.iterrows():
                fl = fr["flag"]
                if fl in ("severe", "lenient"):
                    imp = abs(fr["severity"]) * fr["n_subjects"]
                elif fl == "central":
                    imp = (1 - fr["sd_ratio"]) * fr["n_subjects"]
                else:
                    imp = fr["halo"] * fr["n_subjects"]
                ev = (f"{fr['flag_rule']}; severity {fr['severity']:+.2f} (SE {fr['se']:.2f}), "
                      f"sd_ratio {fr['sd_ratio']:.2f}, halo {fr['halo']:+.2f}, "
                      f"{int(fr['n_ratings'])} ratings of {int(fr['n_subjects'])} subjects")
                rows.append({"kind": "rater", "id": rid, "issue": fr["flags"], "evidence": ev, "impact": float(imp)})
        if fx is not None:
            adj = adjusted_scores(du, subject=subject, rater=rater, score=score, item=item, method=method,
                                  hasil_item=hasil_item, perilaku_item=perilaku_item,
                                  effects=fx if method == "fixed" else None)
            if "predikat_changed" in adj:
                ch = adj[adj["predikat_changed"]]
                steps = (ch["predikat_adjusted"].cat.codes - ch["predikat_raw"].cat.codes).to_numpy()
                sub_rows = pd.DataFrame({
                    "kind": "subject", "id": ch.index.to_numpy(),
                    "issue": [f"predikat {a} -> {b} after severity adjustment"
                              for a, b in zip(ch["predikat_raw"], ch["predikat_adjusted"])],
                    "evidence": [f"score {r:.2f} -> {s:.2f} (shift {t:+.2f}); {k} predikat step(s)"
                                 for r, s, t, k in zip(ch["raw_score"], ch["adjusted_score"], ch["shift"], steps)],
                    "impact": np.abs(steps) + np.abs(ch["shift"].fillna(0).to_numpy()) / 10,
                })
                sub_rows = sub_rows.sort_values("impact", ascending=False)
                if max_subjects is not None:
                    sub_rows = sub_rows.head(max_subjects)
                rows.extend(sub_rows.to_dict("records"))
        block = pd.DataFrame(rows, columns=["kind", "id", "issue", "evidence", "impact"])
        block = block.sort_values("impact", ascending=False, kind="stable").reset_index(drop=True)
        block.insert(0, "priority", np.arange(1, len(block) + 1))
        block.insert(0, "unit", u)
        blocks.append(block)
    out = pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame(
        columns=["unit", "priority", "kind", "id", "issue", "evidence", "impact"])
    return out

"""Input cleaning and the crossed additive model solved by sparse normal equations."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from evaltools._distinct import unique_codes
from evaltools._errors import DataError, require_columns
from evaltools._notes import note as _note


# input helpers
# ---------------------------------------------------------------------------

def _clean(data: pd.DataFrame, ids: Sequence[str | None], score: str, *, what: str = "ratings") -> pd.DataFrame:
    """Columns present, ids without gaps, score numeric; rows without a score dropped."""
    require_columns(data, [*ids, score], what=what)
    cols = list(dict.fromkeys(c for c in ids if c is not None))
    columns = {c: data[c] for c in cols}   # each column taken once
    for col, values in columns.items():
        if values.hasnans:
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
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
    if keep.all():  # the usual case: the columns as they are, in a new frame
        return pd.DataFrame({**{c: v.array for c, v in columns.items()}, score: y.to_numpy()}, copy=False)
    out = data.loc[keep, cols].copy()
    out[score] = y[keep].to_numpy()
    return out.reset_index(drop=True)


def _codes(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(s, sort=True)``: codes in the order of the sorted levels, and the levels."""
    if isinstance(s.dtype, pd.CategoricalDtype) and not s.hasnans:
        # a categorical's codes ranked among the categories present (no hashing)
        cc = s.cat.codes.to_numpy(np.int64)
        present, codes = unique_codes(cc, len(s.cat.categories), return_inverse=True)
        return codes.astype(np.int64, copy=False), pd.CategoricalIndex(pd.Categorical.from_codes(present,
                                                                                                  dtype=s.dtype))
    codes, uniques = pd.factorize(s, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def _text_codes(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``_codes(s.astype(str))``: for a categorical, from its categories' text (a unit's
    ratings name four roles; converting 10,000 rows to text to find them is the cost)."""
    if not isinstance(s.dtype, pd.CategoricalDtype) or s.hasnans:
        return _codes(s.astype(str))
    codes, levels = _codes(s)                 # the categories present, in category order
    labels = np.asarray(levels.astype(str), dtype=object)
    if len(set(labels)) < len(labels):        # two categories with one text: as the text says
        return _codes(s.astype(str))
    order = np.argsort(labels, kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank[codes], pd.Index(labels[order])


# ---------------------------------------------------------------------------
# the crossed additive model, solved by sparse normal equations
# ---------------------------------------------------------------------------

#: designs with at most this many (rater + item) x subject cells form their cross products
#: densely (a unit: about 240 x 160); larger ones (a national pass) stay sparse
_DENSE_CROSS = 4_000_000


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

    ``lam_s`` and ``lam_r`` are ridge penalties on the subject and rater effects (BLUP,
    or a weak prior); ``lam_i`` penalizes the item effects' deviations from their mean,
    ``lam_i * sum (x_i - mean x)^2``, which leaves the grand mean free.
    """

    def __init__(self, y: np.ndarray, s: np.ndarray, r: np.ndarray, i: np.ndarray,
                 n_s: int, n_r: int, n_i: int, lam_s: float = 0.0, lam_r: float = 0.0,
                 want_cov: bool = True, dense_limit: int = 6000, w: np.ndarray | None = None,
                 groups: np.ndarray | None = None, lam_i: float = 0.0):
        n = y.size
        self.n_r, self.n_i = n_r, n_i
        nx = n_r + n_i
        # w: observation weights (precisions); with w the normal equations are X'WX
        wt = np.ones(n) if w is None else np.asarray(w, float)
        ns = np.bincount(s, weights=wt, minlength=n_s).astype(float)
        ds = ns + lam_s
        Sty = np.bincount(s, weights=wt * y, minlength=n_s)
        lam = np.r_[np.full(n_r, lam_r), np.zeros(n_i)]
        # the cross products as grouped sums: X'S (raters and items x subjects), X'X
        # (rater and item counts, rater x item counts); dense for a unit-sized design,
        # sparse for a national one
        dense = nx * n_s <= _DENSE_CROSS
        if dense:
            XtS = np.r_[np.bincount(r * n_s + s, wt, n_r * n_s),
                        np.bincount(i * n_s + s, wt, n_i * n_s)].reshape(nx, n_s)
            A = XtS / np.sqrt(ds)
            K = A @ A.T          # A A' is a symmetric rank update (syrk): half the products of a gemm
            M = -K
            M[:n_r, n_r:] += np.bincount(r * n_i + i, wt, n_r * n_i).reshape(n_r, n_i)
            M[n_r:, :n_r] = M[:n_r, n_r:].T
            M[np.diag_indices(nx)] += np.r_[np.bincount(r, wt, n_r), np.bincount(i, wt, n_i)] + lam
            if lam_i:
                M[n_r:, n_r:] += lam_i * (np.eye(n_i) - 1.0 / n_i)
            Mrr = M[:n_r, :n_r]
            Mri = M[:n_r, n_r:].copy()
            Mii = M[n_r:, n_r:].copy()
        else:
            rows = np.arange(n)
            ones = np.ones(n)
            S = sp.csr_matrix((ones, (rows, s)), shape=(n, n_s))
            X = sp.csr_matrix((np.r_[ones, ones], (np.r_[rows, rows], np.r_[r, n_r + i])), shape=(n, nx))
            Xw = sp.csr_matrix((np.r_[wt, wt], (np.r_[rows, rows], np.r_[r, n_r + i])), shape=(n, nx))
            XtS = (Xw.T @ S).tocsr()
            K = (XtS @ sp.diags(1.0 / ds) @ XtS.T)
            M = ((Xw.T @ X) - K).tocsr() + sp.diags(lam)
            if lam_i:
                M = M + sp.block_diag([sp.csr_matrix((n_r, n_r)),
                                       lam_i * (np.eye(n_i) - 1.0 / n_i)]).tocsr()
            Mrr = M[:n_r][:, :n_r].tocsr()
            Mri = M[:n_r][:, n_r:].toarray()
            Mii = M[n_r:][:, n_r:].toarray()
        self._dense = dense
        Xty = np.r_[np.bincount(r, wt * y, n_r), np.bincount(i, wt * y, n_i)]
        rhs = Xty - XtS @ (Sty / ds)
        self.note = ""
        fixed = lam_s == 0.0 and lam_r == 0.0
        # null space of the reduced matrix (fixed effects): the item indicator (when
        # subjects are fixed) and the rater indicator of each connected component
        # the connected components of the subject-rater graph: with fixed effects they
        # span the null space; in every case the rater block is block-diagonal over them
        bip = sp.csr_matrix((np.ones(n), (r, n_r + s)), shape=(n_r + n_s, n_r + n_s))
        ncomp, lab = connected_components(bip, directed=False)
        _, comp = unique_codes(lab[:n_r], ncomp, return_inverse=True)
        self.rater_component = comp.astype(np.int64)
        n_comp = int(comp.max()) + 1 if n_r else 0
        self.n_components = n_comp
        n_null = (n_comp if fixed else 0) + (1 if lam_s == 0.0 else 0)
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
        self._design: tuple | None = None   # built by the first refit (fitted_for)
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
                B = Mrr[np.ix_(idx, idx)] if dense else Mrr[idx][:, idx].toarray()
                if fixed:
                    B += 1.0
                try:
                    cf = scipy.linalg.cho_factor(B, lower=True, check_finite=False)
                    Binv = scipy.linalg.cho_solve(cf, np.eye(len(idx)), check_finite=False)
                except np.linalg.LinAlgError:
                    Binv = np.linalg.pinv(B)
                    self.note = _note("crossed_pinv")
                u[idx] = Binv @ rr_[idx]
                W[idx] = Binv @ Mri[idx]
                dA[idx] = np.diag(Binv)
                self._blocks.append((idx, Binv))
            Sm = Mii - Mri.T @ W
            Sinv = np.linalg.pinv(Sm) if n_i else np.zeros((0, 0))
            # kept for refits with new scores (the normal matrix depends on the design only)
            self._W, self._Sinv, self._Mri = W, Sinv, Mri
            self._solve_parts = (None if w is None else wt, s, r, i, n_s, XtS, ds)   # None: unweighted
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
            Mg = sp.csr_matrix(M) if dense else M
            xk = spla.spsolve(Mg[keep][:, keep].tocsc(), rhs[keep])
            x = np.zeros(nx)
            x[keep] = xk
            if fixed:
                cm = np.bincount(comp, x[:n_r], n_comp) / comp_size
                x[:n_r] -= cm[comp]
            if lam_s == 0.0 and n_i:
                x[n_r:] -= x[n_r:].mean()
            self.note = _note("crossed_sparse", n=int(comp_size.max()))
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

    def add_residual_variance(self, v: float) -> None:
        """Add ``v`` to the residual variance (fixed-effect fit: every variance scales with it)."""
        if self._scale == self.s2 and np.isfinite(self.s2):
            ratio = (self.s2 + v) / self.s2 if self.s2 > 0 else np.nan
            self.cov_diag = self.cov_diag * ratio
            self.s2 = self.s2 + v
            self._scale = self.s2

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
        wt, s, r, i, n_s, XtS, ds = self._solve_parts
        n_r = self.n_r
        if self._design is None:
            # the incidence matrix [S | R | I] (three ones per row) and its weighted transpose:
            # a refit is then two sparse products instead of three grouped sums and three gathers
            n = s.size
            X = sp.csr_matrix((np.ones(3 * n), np.c_[s, n_s + r, n_s + n_r + i].ravel(), np.arange(0, 3 * n + 1, 3)),
                              shape=(n, n_s + n_r + self.n_i))
            Xt = X.T.tocsr() if wt is None else sp.csr_matrix(
                (np.repeat(wt, 3), X.indices, X.indptr), shape=X.shape).T.tocsr()
            self._design = (X, Xt)
        X, Xt = self._design
        full = Xt @ y
        Sty = full[:n_s]
        rhs = full[n_s:] - XtS @ (Sty / ds)
        u = np.zeros(n_r)
        for idx, Binv in self._blocks:
            u[idx] = Binv @ rhs[idx]
        xi = self._Sinv @ (rhs[n_r:] - self._Mri.T @ u)
        x = np.r_[u - self._W @ xi, xi]
        a = (Sty - XtS.T @ x) / ds
        return X @ np.r_[a, x]

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
        if ng * n_r <= 1 << 20:   # a unit's few groups: the weights as a dense matrix
            Wg = np.zeros((ng, n_r))
            Wg[grp, np.arange(n_r)] = wn
        else:
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

"""Krippendorff's alpha with the Hayes & Krippendorff and subject bootstraps."""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from evaltools._notes import note as _note
from evaltools._results import Estimate

from ._coding import (LEVELS, _Coded, _DENSE_V, _add_note, _code, _codes, _conf_level, _gsum, _n_raters, _notes,
                      _value_codes)
from ._cac import _estimate, _missing_note


# ---------------------------------------------------------------------------
# Krippendorff's alpha
# ---------------------------------------------------------------------------

def _alpha_core(cd: _Coded, level: str, need_cells: bool = True) -> dict[str, Any]:
    """Grouped Krippendorff's alpha (Krippendorff 2011, 'Computing Krippendorff's alpha-reliability').

    ``alpha = 1 - (n - 1) sum_ck o_ck d_ck / sum_ck n_c n_k d_ck`` over the
    coincidence matrix ``o_ck = sum_u (n_uc n_uk - [c=k] n_uc) / (m_u - 1)`` of the
    pairable values (units with ``m_u >= 2``). Identities used for speed:
    interval: ``sum_{i!=j in u} (x_i-x_j)^2 = 2 (m_u S2_u - S1_u^2)``, so no value
    pairs are formed; ordinal: the ordinal metric (Krippendorff 2011, p. 6) is the
    squared difference of mid-ranks ``M_c = sum_{g<=c} n_g - n_c / 2``, so ordinal
    alpha is interval alpha on mid-ranks; nominal: ``sum_{c!=k} o_ck = sum_u (m_u^2
    - sum_c n_uc^2)/(m_u - 1)``. Ratio (and the bootstrap) use the coincidence matrix.
    """
    G = cd.G
    m_all = np.bincount(cd.u, minlength=cd.U)
    ug = cd.ug

    def pairable_ratings(*arrays):
        # ratings of units with two or more values (the others are not pairable)
        keep = m_all[cd.u] >= 2
        return arrays if keep.all() else tuple(a[keep] for a in arrays)

    m = m_all.astype(float)
    pu = m >= 2
    n = _gsum(ug[pu], m[pu], G)                            # pairable values per group
    M = _gsum(ug[pu], (m * (m - 1) / 2)[pu], G)            # pairs of values per group
    inv = 1.0 / np.where(m >= 2, m - 1.0, 1.0)
    if level == "interval" and not need_cells:
        # moments need no value coding
        u, vals_raw = pairable_ratings(cd.u, cd.x)
        g_r = ug[u] if G > 1 else None
        out: dict[str, Any] = dict(n=n, M=M, V=-1, vals=None)
        Do, De = _interval_moments(vals_raw, u, g_r, ug, m, pu, inv, n, G, cd.U)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = 1.0 - (n - 1.0) * Do / De
        out.update(alpha=alpha, Do=Do / np.where(n > 0, n, np.nan),
                   De=De / np.where(n > 1, n * (n - 1.0), np.nan))
        return out
    shared = _shared_counts(cd)
    if shared is not None:
        N_shared, vals = shared
        vcodes = None
    else:
        vcodes, vals = _value_codes(cd.x)
    V = len(vals)
    out = dict(n=n, M=M, V=V, vals=vals)
    dense = V <= _DENSE_V and (need_cells or level in ("nominal", "ratio"))
    if not dense:
        if vcodes is None:
            vcodes, _ = _value_codes(cd.x)
        u, vcodes = pairable_ratings(cd.u, vcodes)
        if G > 1:
            g_r = ug[u]
        elif level == "nominal":
            g_r = np.zeros(u.size, dtype=np.int64)
        else:
            g_r = None                  # single group: no per-rating group codes needed
    if dense:
        # dense unit x value table: every level from the coincidence matrix; units with a
        # single value get weight 0 below, so they need not be dropped first
        if shared is not None:
            N = N_shared
        else:
            key = cd.u * V
            key += vcodes
            N = np.bincount(key, minlength=cd.U * V).reshape(cd.U, V).astype(float)
            del key
        O = _coincidences(N, inv * pu, ug, G)
        nc = O.sum(2)
        delta = _delta(level, vals, nc)
        Do = (O * delta).sum((1, 2))
        De = np.einsum("gc,gck,gk->g", nc, delta, nc)
        out.update(O=O, delta=delta)
    elif level in ("interval", "ordinal"):
        if level == "ordinal" and G == 1:
            nc = np.bincount(vcodes, minlength=V).astype(float)
            xv = (np.cumsum(nc) - nc / 2.0)[vcodes]
        elif level == "ordinal":
            key, K = _codes(g_r * V + vcodes)
            cnt = np.bincount(key, minlength=K).astype(float)
            kg = np.zeros(K, dtype=np.int64)
            kv = np.zeros(K, dtype=np.int64)
            kg[key] = g_r
            kv[key] = vcodes
            order = np.lexsort((kv, kg))
            cs = np.cumsum(cnt[order])
            start = np.r_[0, np.flatnonzero(np.diff(kg[order])) + 1]
            offs = np.repeat(cs[start] - cnt[order][start], np.diff(np.r_[start, K]))
            mid = np.empty(K)
            mid[order] = cs - offs - cnt[order] / 2.0
            xv = mid[key]
        else:
            xv = vals[vcodes]
        Do, De = _interval_moments(xv, u, g_r, ug, m, pu, inv, n, G, cd.U)
    elif level == "nominal":
        key, K = _codes(u * V + vcodes)
        cnt = np.bincount(key, minlength=K).astype(float)
        ku = np.zeros(K, dtype=np.int64)
        ku[key] = u
        sq = np.bincount(ku, weights=cnt * cnt, minlength=cd.U)
        Do = _gsum(ug, np.where(pu, (m * m - sq) * inv, 0.0), G)
        gk, K2 = _codes(g_r * V + vcodes)
        c2 = np.bincount(gk, minlength=K2).astype(float)
        kgg = np.zeros(K2, dtype=np.int64)
        kgg[gk] = g_r
        De = n * n - _gsum(kgg, c2 * c2, G)
    else:  # ratio with many distinct values: sparse coincidences, one group only
        if G > 1:
            raise ValueError(f"level='ratio' with {V} distinct score values is supported without by= only; "
                             "round the scores or use level='interval'")
        Nsp = sparse.csr_matrix((np.ones(len(u)), (u, vcodes)), shape=(cd.U, V))
        Osp = (Nsp.T @ sparse.diags(inv * pu) @ Nsp).tocoo()
        nc = np.asarray(Nsp.sum(0)).ravel()
        d = _delta("ratio", vals[Osp.row], None, vals[Osp.col])
        Do = np.array([(Osp.data * d).sum()])  # the diagonal correction has zero difference
        De = np.array([sum(float((nc[i] * nc * _delta("ratio", vals[i], None, vals)).sum()) for i in range(V))])
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1.0) * Do / De
    out.update(alpha=alpha, Do=Do / np.where(n > 0, n, np.nan),
               De=De / np.where(n > 1, n * (n - 1.0), np.nan))
    return out


def _shared_counts(cd: _Coded) -> tuple[np.ndarray, np.ndarray] | None:
    """The unit x value counts and the distinct values, taken from the kappa family's
    unit x category counts when those are computed already and are the same table: every
    score is its category's value (``x_is_category``), the categories are increasing
    numbers and each is used. None otherwise (the table is then counted here)."""
    if "counts" not in cd.cache or not cd.cache.get("x_is_category") or not cd.categories:
        return None
    if not all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
               for v in cd.categories):
        return None
    vals = np.asarray(cd.categories, dtype=float)
    N = cd.cache["counts"][0]
    if not (np.all(np.isfinite(vals)) and np.all(np.diff(vals) > 0) and bool((N.sum(0) > 0).all())):
        return None
    return N, vals


def _interval_moments(xv, u, g_r, ug, m, pu, inv, n, G, U) -> tuple[np.ndarray, np.ndarray]:
    """``sum_ck o_ck (c-k)^2`` and ``sum_ck n_c n_k (c-k)^2`` from per-unit moments.

    Within a unit ``sum_{i != j} (x_i - x_j)^2 = 2 (m S2 - S1^2)``; over all pairable
    values ``sum_{c,k} n_c n_k (c - k)^2 = 2 (n S2 - S1^2)``. Values are centred per
    group first so the differences of large sums do not cancel.
    """
    if G == 1:
        xc = xv - (xv.sum() / n[0] if n[0] > 0 else 0.0)
        sq = xc * xc
        S1, S2 = np.array([xc.sum()]), np.array([sq.sum()])
    else:
        mu = _gsum(g_r, xv, G) / np.where(n > 0, n, 1)
        xc = xv - mu[g_r]
        sq = xc * xc
        S1, S2 = _gsum(g_r, xc, G), _gsum(g_r, sq, G)
    S1u = np.bincount(u, weights=xc, minlength=U)
    S2u = np.bincount(u, weights=sq, minlength=U)
    within = np.where(pu, 2 * (m * S2u - S1u**2) * inv, 0.0)
    return _gsum(ug, within, G), 2 * (n * S2 - S1**2)


def _coincidences(N: np.ndarray, winv: np.ndarray, ug: np.ndarray, G: int) -> np.ndarray:
    V = N.shape[1]
    if G == 1:
        O = (N * winv[:, None]).T @ N
        O[np.diag_indices(V)] -= (N * winv[:, None]).sum(0)
        return O[None]
    O = np.zeros((G, V, V))
    Nw = N * winv[:, None]
    for k in range(V):
        for l in range(k, V):
            s = _gsum(ug, Nw[:, k] * N[:, l], G)
            if k == l:
                s = s - _gsum(ug, Nw[:, k], G)
            O[:, k, l] = s
            O[:, l, k] = s
    return O


def _delta(level: str, vals: np.ndarray, nc: np.ndarray | None, vals2: np.ndarray | None = None) -> np.ndarray:
    """Squared metric differences (Krippendorff 2011, pp. 5-7)."""
    if vals2 is not None:  # elementwise (ratio, sparse path)
        s = vals + vals2
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(s != 0, ((vals - vals2) / s) ** 2, 0.0)
    V = len(vals)
    if level == "nominal":
        return np.broadcast_to(1.0 - np.eye(V), (nc.shape[0], V, V))
    if level == "interval":
        return np.broadcast_to((vals[:, None] - vals[None, :]) ** 2, (nc.shape[0], V, V))
    if level == "ratio":
        s = vals[:, None] + vals[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(s != 0, ((vals[:, None] - vals[None, :]) / s) ** 2, 0.0)
        return np.broadcast_to(d, (nc.shape[0], V, V))
    if level == "ordinal":
        mid = np.cumsum(nc, axis=1) - nc / 2.0
        return (mid[:, :, None] - mid[:, None, :]) ** 2
    raise ValueError(f"unknown level {level!r}; use one of {LEVELS}")


def _hayes_bootstrap(core: dict[str, Any], n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Hayes & Krippendorff (2007) bootstrap of alpha, all groups at once.

    Krippendorff's algorithm ('Algorithm for bootstrapping a distribution of alpha',
    2006, rev. 2011; the KALPHA macro of Hayes & Krippendorff 2007, p. 87): draw
    ``M`` pairs of values with replacement from the coincidence cells with
    probabilities ``o_ck / n..``, where ``M = min(25 q, (m - 1) n.. / 2)``, ``q`` the
    number of non-empty coincidence cells and ``m`` the number of raters (the
    algorithm's practical cap); ``alpha* = 1 - mean(d*) / D_e`` with ``D_e`` kept from
    the data; values below -1 are set to -1. The draw counts of a replicate are
    multinomial, so a replicate is one weighted sum ``counts . d / M`` over the cells.
    """
    O, delta, n, De = core["O"], core["delta"], core["n"], core["De"]
    M = _hayes_m(np.count_nonzero(O > 1e-12, axis=(1, 2)), core["raters"], n)
    G, V = O.shape[0], O.shape[1]
    if V == 0:
        return np.full((n_boot, G), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (O / n[:, None, None]).reshape(G, V * V)
    d = np.ascontiguousarray(delta).reshape(G, V * V)
    ok = (n >= 2) & np.isfinite(De) & (De > 0) & (M >= 1)
    p = np.where(ok[:, None], np.clip(p, 0, None), 0.0)
    p[~ok, 0] = 1.0
    p = p / p.sum(1, keepdims=True)
    Mi = np.where(ok, M, 1).astype(np.int64)
    out = np.full((n_boot, G), np.nan)
    chunk = max(1, min(n_boot, 20_000_000 // max(1, G * V * V)))
    for b0 in range(0, n_boot, chunk):
        b1 = min(n_boot, b0 + chunk)
        draws = rng.multinomial(Mi, p, size=(b1 - b0, G))
        Do = (draws * d[None]).sum(2) / Mi[None]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[b0:b1] = np.maximum(-1.0, 1.0 - Do / De[None])
    out[:, ~ok] = np.nan
    return out


def _hayes_m(q: np.ndarray, raters: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Krippendorff's number of draws per replicate: ``min(25 q, (m - 1) n.. / 2)``."""
    return np.floor(np.minimum(25.0 * q, (raters - 1.0) * n / 2.0))


def _subject_bootstrap(cd: _Coded, core: dict[str, Any], level: str, n_boot: int,
                       rng: np.random.Generator) -> np.ndarray:
    """Bootstrap over subjects (units) as weighted sums: one group only.

    A replicate draws U units with replacement; its counts ``w_u`` weight the per-unit
    coincidences, ``O* = sum_u w_u O_u``, and alpha* follows from ``O*`` (expected
    disagreement re-estimated from the replicate's marginals). Replicates are processed
    in chunks as one matrix product ``W @ O_u``.
    """
    V = core["V"]
    m_all = np.bincount(cd.u, minlength=cd.U)
    keep = m_all[cd.u] >= 2
    u = cd.u[keep]
    vcodes = np.searchsorted(core["vals"], cd.x[keep])
    units = np.flatnonzero(m_all >= 2)
    if units.size == 0:
        return np.full((n_boot, 1), np.nan)
    remap = np.full(cd.U, -1)
    remap[units] = np.arange(units.size)
    uu = remap[u]
    Up = units.size
    inv = 1.0 / (m_all[units] - 1.0)
    if V <= _DENSE_V:
        N = np.bincount(uu * V + vcodes, minlength=Up * V).reshape(Up, V).astype(float)
        Ou = (N[:, :, None] * N[:, None, :] * inv[:, None, None])
        Ou[:, np.arange(V), np.arange(V)] -= N * inv[:, None]
        Ou = Ou.reshape(Up, V * V)
        stat_cols = Ou
    elif level == "interval":
        x = core["vals"][vcodes]
        x = x - x.mean()
        m = m_all[units].astype(float)
        S1u = np.bincount(uu, weights=x, minlength=Up)
        S2u = np.bincount(uu, weights=x * x, minlength=Up)
        stat_cols = np.column_stack([2 * (m * S2u - S1u**2) * inv, m, S1u, S2u])
    else:
        raise ValueError(f"bootstrap='subjects' supports level='{level}' with at most {_DENSE_V} distinct values; "
                         "use bootstrap='hayes'")
    out = np.empty(n_boot)
    chunk = max(1, min(n_boot, 10_000_000 // Up))
    for b0 in range(0, n_boot, chunk):
        b1 = min(n_boot, b0 + chunk)
        b = b1 - b0
        idx = rng.integers(0, Up, size=(b, Up))
        Wt = np.bincount((idx + (np.arange(b) * Up)[:, None]).ravel(), minlength=b * Up).reshape(b, Up)
        S = Wt.astype(float) @ stat_cols
        if V <= _DENSE_V:
            O = S.reshape(b, V, V)
            nc = O.sum(2)
            delta = _delta(level, core["vals"], nc) if level == "ordinal" else _delta(level, core["vals"], nc[:1])[0][None]
            nn = nc.sum(1)
            Do = (O * delta).sum((1, 2))
            De = np.einsum("bc,bck,bk->b", nc, np.broadcast_to(delta, (b, V, V)), nc)
        else:
            Do, nn, S1, S2 = S.T
            De = 2 * (nn * S2 - S1**2)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[b0:b1] = 1.0 - (nn - 1.0) * Do / De
    return out[:, None]


def _alpha_result(cd: _Coded, level: str, conf: float, n_boot: int, seed, bootstrap: str) -> dict[str, np.ndarray]:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    core = _alpha_core(cd, level, need_cells=bool(n_boot and n_boot > 0))
    core["raters"] = _n_raters(cd).astype(float)
    G = cd.G
    alpha = core["alpha"]
    notes = _notes(G)
    n = core["n"]
    _add_note(notes, n < 2, _note("no_pair"))
    nodis = (n >= 2) & ~(core["De"] > 0)
    _add_note(notes, nodis, _note("no_disagreement"))
    alpha = np.where(nodis | (n < 2), np.nan, alpha)
    se = np.full(G, np.nan)
    lo = np.full(G, np.nan)
    hi = np.full(G, np.nan)
    extra: dict[str, np.ndarray] = {}
    if n_boot and n_boot > 0:
        rng = np.random.default_rng(seed)
        if bootstrap == "hayes":
            if "O" not in core:
                if G > 1:
                    raise ValueError(_note("hayes_by", n=_DENSE_V))
                boot = _hayes_sparse(cd, core, level, n_boot, rng)
            else:
                boot = _hayes_bootstrap(core, n_boot, rng)
        elif bootstrap == "subjects":
            if G > 1:
                raise ValueError("bootstrap='subjects' is available without by=; use bootstrap='hayes' per group")
            boot = _subject_bootstrap(cd, core, level, n_boot, rng)
        else:
            raise ValueError("bootstrap must be 'hayes' or 'subjects'")
        a = 0.5 - conf / 2
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # groups without a defined alpha
            se = np.nanstd(boot, axis=0, ddof=1) if n_boot > 1 else se
            lo = np.nanquantile(boot, a, axis=0)
            hi = np.nanquantile(boot, 1 - a, axis=0)
            extra["p_below_0.667"] = np.nanmean(boot < 0.667, axis=0)
            extra["p_below_0.800"] = np.nanmean(boot < 0.800, axis=0)
        bad = ~np.isfinite(alpha)
        for arr in (se, lo, hi, *extra.values()):
            arr[bad] = np.nan
    return dict(value=alpha, se=se, ci_low=lo, ci_high=hi, pval=np.full(G, np.nan),
                n_subjects=_gsum(cd.ug, (np.bincount(cd.u, minlength=cd.U) >= 2).astype(float), G).astype(int),
                note=notes, Do=core["Do"], De=core["De"], n_pairable=n.astype(int), **extra)


def _hayes_sparse(cd: _Coded, core: dict[str, Any], level: str, n_boot: int, rng) -> np.ndarray:
    """Hayes-Krippendorff bootstrap for one group with many distinct values.

    Cells with equal metric difference are exchangeable in the resampling, so the
    coincidence cells are collapsed by their difference value before drawing.
    """
    m_all = np.bincount(cd.u, minlength=cd.U)
    keep = m_all[cd.u] >= 2
    u = cd.u[keep]
    vals = core["vals"]
    vcodes = np.searchsorted(vals, cd.x[keep])
    inv = np.where(m_all >= 2, 1.0 / np.maximum(m_all - 1.0, 1.0), 0.0)
    Nsp = sparse.csr_matrix((np.ones(len(u)), (u, vcodes)), shape=(cd.U, len(vals)))
    O = (Nsp.T @ sparse.diags(inv) @ Nsp).tocoo()
    diag = np.asarray((sparse.diags(inv) @ Nsp).sum(0)).ravel()
    data = O.data - np.where(O.row == O.col, diag[O.row], 0.0)
    if level == "ordinal":
        nc = np.asarray(Nsp.sum(0)).ravel()
        mid = np.cumsum(nc) - nc / 2
        d = (mid[O.row] - mid[O.col]) ** 2
    elif level == "interval":
        d = (vals[O.row] - vals[O.col]) ** 2
    elif level == "nominal":
        d = (O.row != O.col).astype(float)
    else:
        d = _delta("ratio", vals[O.row], None, vals[O.col])
    dv, dinv = np.unique(d, return_inverse=True)
    p = np.bincount(dinv, weights=data, minlength=len(dv))
    p = np.clip(p, 0, None)
    p = p / p.sum()
    Mi = int(_hayes_m(np.array([np.count_nonzero(data > 1e-12)]), core["raters"], core["n"])[0])
    draws = rng.multinomial(Mi, p, size=n_boot)
    Do = draws @ dv / Mi
    return np.maximum(-1.0, 1.0 - Do / core["De"][0])[:, None]


def krippendorff_alpha(data: pd.DataFrame, *, subject: str, rater: str, score: str, level: str = "nominal",
                       categories: Sequence[Any] | None = None, alpha: float = 0.05, ci: float | None = None,
                       n_boot: int = 1000, seed: int | np.random.Generator | None = None,
                       bootstrap: str = "hayes") -> Estimate:
    """Krippendorff's alpha for any number of raters, missing ratings and four levels.

    ``alpha = 1 - D_o / D_e`` from the coincidence matrix of pairable values
    (Krippendorff 2011, 'Computing Krippendorff's alpha-reliability', eqs. for
    nominal, ordinal, interval and ratio metrics). Subjects with a single rating are
    not pairable and do not count.

    Parameters
    ----------
    level : {"nominal", "ordinal", "interval", "ratio"}
    categories : sequence, optional
        For nominal/ordinal data given as labels: the ordered levels (a score outside
        them is an error). Numeric scores are used as they are.
    n_boot : int
        Bootstrap replicates for ``se``, ``ci_low``, ``ci_high`` and the extras
        ``p_below_0.667`` / ``p_below_0.800`` (Hayes & Krippendorff's q: the
        probability that alpha falls short of the threshold). 0 skips the bootstrap.
    alpha : float
        Significance level: the interval has level ``1 - alpha``. ``ci=`` (the level itself,
        e.g. 0.95) is a deprecated alias that warns.
    bootstrap : {"hayes", "subjects"}
        ``"hayes"``: Hayes & Krippendorff (2007) resampling of value pairs from the
        coincidence matrix (Krippendorff's algorithm behind their KALPHA macro). It
        draws ``M = min(25 q, (m - 1) n.. / 2)`` pairs per replicate (``q`` non-empty
        coincidence cells, ``m`` raters, ``n..`` pairable values), so its interval
        does not narrow beyond that cap however many subjects there are.
        ``"subjects"``: resampling of subjects (Efron's bootstrap over units, as
        weighted sums), whose interval reflects the sample size; for levels with at
        most 16 distinct values and for interval data.

    ``pval`` is nan: alpha has no null distribution to test against; judge it by the
    interval and the ``p_below_*`` probabilities.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "r": ["A", "B"] * 6,
    ...                   "x": [1, 1, 2, 2, 3, 2, 1, 1, 3, 3, 2, 1]})
    >>> round(krippendorff_alpha(d, subject="s", rater="r", score="x", level="ordinal", n_boot=0).value, 4)
    0.7636
    """
    conf = _conf_level(alpha, ci, "krippendorff_alpha")
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    cd = _alpha_coded(data, subject, rater, score, level, categories, by=None)
    res = _alpha_result(cd, level, conf, n_boot, seed, bootstrap)
    note = _missing_note(cd)
    if n_boot and n_boot > 0:
        res["bootstrap"] = np.array([f"{bootstrap}, {n_boot} replicates"], dtype=object)
    est = _estimate("krippendorff_alpha", res, 0, _n_raters(cd)[0],
                    extra_keys=("Do", "De", "n_pairable", "p_below_0.667", "p_below_0.800", "bootstrap"), note=note)
    est.extra["level"] = level
    return est


def _alpha_coded(data, subject, rater, score, level, categories, by) -> _Coded:
    s = data[score] if score in data.columns else None
    labels = s is not None and (isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype))
    if level in ("nominal", "ordinal") and (categories is not None or labels):
        cd = _code(data, subject, rater, score, by=by, categorical=True, categories=categories)
        # the ordinal metric uses ranks only and the nominal one identity only, so the
        # positions 1..q of the declared order stand in for the labels
        cd.x = np.arange(1.0, len(cd.categories) + 1)[cd.c]
        return cd
    return _code(data, subject, rater, score, by=by, numeric=True)

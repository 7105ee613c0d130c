"""Chance-corrected agreement: percent agreement, Fleiss, Conger, Scott, Brennan-Prediger, Gwet, Cohen."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats

from evaltools._notes import note as _note
from evaltools._results import Estimate

from ._coding import (_Coded, _add_note, _code, _codes, _conf_level, _gsum, _n_raters, _notes, _rater_pairs,
                      _rating_groups, weight_matrix)


# ---------------------------------------------------------------------------
# Chance-corrected agreement in Gwet's (2014) framework
# ---------------------------------------------------------------------------

_CAC_NAMES = {
    "percent": "percent_agreement",
    "fleiss": "fleiss_kappa",
    "scott": "scott_pi",
    "conger": "conger_kappa",
    "bp": "brennan_prediger",
    "ac": "gwet_ac",
}


def _cac(cd: _Coded, kind: str, W: np.ndarray, conf: float) -> dict[str, np.ndarray]:
    """Grouped chance-corrected coefficients and Gwet's (2014) linearised variance.

    ``r_ik`` = raters classifying subject i into k, ``r_i`` = raters of i, ``n`` =
    subjects rated at least once, ``n2`` = subjects rated at least twice.
    Gwet (2014, eq. 2.9 / 5.1-5.6): ``p_a = mean over n2 of sum_k r_ik (r*_ik - 1) /
    (r_i (r_i - 1))`` with ``r*_ik = sum_l w_kl r_il``; ``pi_k = mean over n of
    r_ik / r_i``. Chance agreement: Fleiss ``sum w_kl pi_k pi_l``; AC1/AC2
    ``T_w / (q (q-1)) sum pi_k (1 - pi_k)``; Brennan-Prediger ``T_w / q^2``;
    Conger ``sum w_kl (pbar_k pbar_l - s2_kl / r)`` over per-rater marginals.
    Variance: ``v = (1/(n(n-1))) sum_i (c*_i - c)^2`` with the influence terms of
    irrCAC's ``*.raw`` functions (Gwet 2014, eq. 5.7 ff.).
    """
    G, q = cd.G, len(cd.categories)
    ug = cd.ug
    N, ri, two, n, n2, pi = _cac_counts(cd)
    key = ("pa", W.tobytes())
    if key not in cd.cache:
        # sum_k r_ik (r*_ik - 1) as row dot products (no U x q temporaries); the identity
        # (percent agreement) needs no product at all
        # a contiguous W.T: numpy's product with the transposed view skips BLAS (10x slower)
        NW = N if np.array_equal(W, np.eye(q)) else N @ np.ascontiguousarray(W.T)
        sumq = np.einsum("uk,uk->u", N, NW) - ri
        pa_i = np.where(two, sumq / np.where(two, ri * (ri - 1.0), 1.0), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            cd.cache[key] = (pa_i, _gsum(ug, pa_i, G) / n2)
    pa_i, pa = cd.cache[key]
    Tw = W.sum()
    notes = _notes(G)
    pe_i = None
    if kind == "percent":
        pe = np.zeros(G)
    elif kind in ("fleiss", "scott"):
        pe = np.einsum("gk,kl,gl->g", pi, W, pi)
        piw = (pi @ W.T + pi @ W) / 2.0
        pe_i = np.einsum("uk,uk->u", N, piw[ug]) / np.where(ri > 0, ri, 1.0)
    elif kind == "ac":
        if q >= 2:
            pe = Tw / (q * (q - 1.0)) * (pi * (1.0 - pi)).sum(1)
            pe_i = Tw / (q * (q - 1.0)) * (ri - np.einsum("uk,uk->u", N, pi[ug])) / np.where(ri > 0, ri, 1.0)
        else:
            pe = np.full(G, np.nan)
    elif kind == "bp":
        pe = np.full(G, Tw / q**2 if q >= 1 else np.nan)
    elif kind == "conger":
        pe, pe_i = _conger_pe(cd, W, N, n)
    else:  # pragma: no cover
        raise ValueError(kind)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = pa if kind == "percent" else (pa - pe) / (1.0 - pe)
        # influence terms (irrCAC agree.coeff3.raw.r)
        scale = (n / n2)[ug]
        if kind == "percent":
            ci_ = scale * pa_i
        else:
            ci_ = scale * (pa_i - pe[ug] * two) / (1.0 - pe[ug])
            if pe_i is not None:
                ci_ = ci_ - 2.0 * (1.0 - value[ug]) * (pe_i - pe[ug]) / (1.0 - pe[ug])
        var = _gsum(ug, (ci_ - value[ug]) ** 2, G) / (n * (n - 1.0))
        se = np.sqrt(var)
    if q < 2:
        _add_note(notes, np.ones(G, bool), _note("one_category"))
        value = np.where(kind == "percent", value, np.nan)
    _add_note(notes, n2 == 0, _note("no_pair"))
    const = (np.abs(1.0 - pe) < 1e-12) & (n2 > 0)
    if kind != "percent":
        _add_note(notes, const, _note("same_category"))
        value = np.where(const, np.nan, value)
    _add_note(notes, (n == 1) & (n2 > 0), _note("one_subject"))
    se = np.where(np.isfinite(value) & (n > 1), se, np.nan)
    df = n - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        tq = stats.t.ppf(0.5 + conf / 2.0, np.where(df > 0, df, np.nan))
        lo = value - tq * se
        hi = np.minimum(1.0, value + tq * se)
        tstat = value / se
        pval = 2.0 * stats.t.sf(np.abs(tstat), np.where(df > 0, df, np.nan))
    pval = np.where(se > 0, pval, np.nan)
    return dict(value=value, se=se, ci_low=lo, ci_high=hi, pval=pval, n_subjects=n.astype(int),
                note=notes, pa=pa, pe=pe, N=N, ri=ri)


def _cac_counts(cd: _Coded) -> tuple[np.ndarray, ...]:
    """Subject x category counts and the marginal shares shared by the kappa family (cached)."""
    if "counts" not in cd.cache:
        G, U, q = cd.G, cd.U, len(cd.categories)
        key = cd.u * q
        key += cd.c
        N = np.bincount(key, minlength=U * q).reshape(U, q).astype(float)
        del key
        ri = N.sum(1)
        two = ri >= 2
        n = _gsum(cd.ug, None, G)
        n2 = _gsum(cd.ug, two.astype(float), G)
        with np.errstate(divide="ignore", invalid="ignore"):
            Nr = N / np.where(ri > 0, ri, 1.0)[:, None]
            pi = _gsum(cd.ug, Nr, G) / n[:, None]
        cd.cache["counts"] = (N, ri, two, n, n2, pi)
    return cd.cache["counts"]


def _conger_pe(cd: _Coded, W: np.ndarray, N: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Conger's (1980) chance agreement and its per-subject influence term.

    Per group with ``r`` raters and per-rater marginals ``p_gk`` (Gwet 2014, eq. 5.4):
    ``pe = sum_kl w_kl (pbar_k pbar_l - s2_kl / r)``. The influence term follows
    irrCAC's ``conger.kappa.raw``; cells a rater left empty contribute the constant
    ``C_g = sum_k (r pbar_k - p_gk)(W p_g)_k``, so the sum over the subject x rater
    table reduces to a sum over the observed ratings plus ``sum_g C_g``.
    """
    G, q = cd.G, W.shape[0]
    gr = _rating_groups(cd)
    pair, pg = _rater_pairs(cd)                      # (group, rater) pairs
    P = pg.size
    r = np.bincount(pg, minlength=G).astype(float)   # raters per group
    # sparse rater x category shares: one entry per (pair, category) used; when every
    # (group, rater) pair has a single rating (raters nested in subjects) the ratings are the entries
    if P == pair.size:
        ekey, E = pair, P
    else:
        ekey, E = _codes(pair * q + cd.c)
    cnt = np.bincount(ekey, minlength=E).astype(float)
    pe_ = np.zeros(E, dtype=np.int64)
    ce = np.zeros(E, dtype=np.int64)
    pe_[ekey] = pair
    ce[ekey] = cd.c
    ng = np.bincount(pe_, weights=cnt, minlength=P)
    p = cnt / ng[pe_]
    ge = pg[pe_]
    with np.errstate(divide="ignore", invalid="ignore"):
        pbar = np.bincount(ge * q + ce, weights=p, minlength=G * q).reshape(G, q) / r[:, None]
        pbW = pbar @ W                                   # (pbar_g W)_c
        Pm = sparse.csr_matrix((p, (pe_, ce)), shape=(P, q))
        Wp = (Pm @ W.T)[pe_, ce]                         # (W p_pair)_{c_e}
        # (W' p_pair)_c at each rating: the rating's own entry
        WTp = Wp[ekey] if np.array_equal(W, W.T) else (Pm @ W)[pe_, ce][ekey]
        quad = np.bincount(pe_, weights=p * Wp, minlength=P)          # p' W p per pair
        lin = np.bincount(pe_, weights=p * pbW[ge, ce], minlength=P)  # pbar' W p per pair
        pWp = np.einsum("gk,kl,gl->g", pbar, W, pbar)
        # sum_kl w_kl s2_kl = (sum_pairs p'Wp - r pbar'W pbar) / (r - 1)
        pe = pWp - (_gsum(pg, quad, G) - r * pWp) / (r * (r - 1.0))
        C = r[pg] * lin - quad                           # sum_k A_gk (W p_g)_k
        AW = r[gr] * pbW[gr, cd.c] - WTp                 # (A_g W)_c at each rating
        term = (n[gr] / ng[pair]) * (AW - C[pair])
        lam = np.bincount(cd.u, weights=term, minlength=cd.U) + _gsum(pg, C, G)[cd.ug]
        rg = r[cd.ug]
        pe_i = lam / (rg * (rg - 1.0))
    return pe, pe_i


def _estimate(name: str, res: dict[str, np.ndarray], i: int, n_raters: int, extra_keys=(), note: str = "") -> Estimate:
    extra = {k: _py(res[k][i]) for k in extra_keys if k in res}
    nt = res["note"][i]
    if note:
        nt = note if not nt else nt + "; " + note
    return Estimate(name=name, value=float(res["value"][i]), se=float(res["se"][i]),
                    ci_low=float(res["ci_low"][i]), ci_high=float(res["ci_high"][i]),
                    pval=float(res["pval"][i]), n_subjects=int(res["n_subjects"][i]), n_raters=int(n_raters),
                    note=str(nt), extra=extra)


def _py(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def _missing_note(cd: _Coded) -> str:
    return _note("missing_scores", n=int(cd.n_missing)) if cd.n_missing else ""


def _cac_public(name: str, kind: str, data, subject, rater, score, weights, categories, conf) -> Estimate:
    cd = _code(data, subject, rater, score, categorical=True, categories=categories)
    W = weight_matrix(weights, cd.categories)
    res = _cac(cd, kind, W, conf)
    res["pa"], res["pe"] = np.asarray(res["pa"]), np.broadcast_to(res["pe"], res["pa"].shape)
    est = _estimate(name, res, 0, _n_raters(cd)[0], extra_keys=("pa", "pe"), note=_missing_note(cd))
    est.extra["weights"] = _weights_name(weights)
    return est


def _weights_name(weights) -> str:
    if weights is None:
        return "unweighted"
    return weights if isinstance(weights, str) else "custom"


def percent_agreement(data: pd.DataFrame, *, subject: str, rater: str, score: str,
                      categories: Sequence[Any] | None = None, weights: str | np.ndarray | None = None,
                      all_raters: bool = False, tolerance: float = 0.0, alpha: float = 0.05,
                      ci: float | None = None) -> Estimate:
    """Percent agreement.

    Default (``all_raters=False``): Gwet's (2014, eq. 2.9) pairwise agreement, the
    share of agreeing rater pairs averaged over subjects rated at least twice --
    the ``p_a`` of every chance-corrected coefficient here -- with Gwet's variance
    (t interval, two-sided t test against 0, as irrCAC's documented output).

    ``all_raters=True``: the share of subjects on which all their raters agree
    within ``tolerance`` (R irr's ``agree``), over subjects rated at least twice,
    with a Wilson interval. irr drops subjects with any missing rating; here every
    subject with two or more ratings counts.

    ``alpha`` is the significance level: the interval has level ``1 - alpha`` (``ci=``, the level
    itself, is a deprecated alias).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "r": ["A", "B"] * 6,
    ...                   "x": [1, 1, 2, 2, 3, 2, 1, 1, 3, 3, 2, 1]})
    >>> round(percent_agreement(d, subject="s", rater="r", score="x").value, 4)
    0.6667
    """
    conf = _conf_level(alpha, ci, "percent_agreement")
    if not all_raters:
        return _cac_public("percent_agreement", "percent", data, subject, rater, score, weights, categories, conf)
    cd = _code(data, subject, rater, score, numeric=tolerance > 0, categorical=tolerance == 0,
               categories=categories)
    val = cd.x if tolerance > 0 else cd.c.astype(float)
    m = np.bincount(cd.u, minlength=cd.U)
    hi = np.full(cd.U, -np.inf)
    lo = np.full(cd.U, np.inf)
    np.maximum.at(hi, cd.u, val)
    np.minimum.at(lo, cd.u, val)
    ok = m >= 2
    n = int(ok.sum())
    agree = int(((hi - lo) <= tolerance + 1e-12)[ok].sum())
    note = _missing_note(cd)
    if n == 0:
        return Estimate("percent_agreement", n_subjects=0, n_raters=int(_n_raters(cd)[0]),
                        note=_note("no_pair"))
    p = agree / n
    z = stats.norm.ppf(0.5 + conf / 2)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Estimate("percent_agreement", value=p, se=math.sqrt(p * (1 - p) / n), ci_low=centre - half,
                    ci_high=centre + half, n_subjects=n, n_raters=int(_n_raters(cd)[0]), note=note,
                    extra={"method": "all raters agree", "tolerance": tolerance, "n_agree": agree})


def fleiss_kappa(data: pd.DataFrame, *, subject: str, rater: str, score: str,
                 categories: Sequence[Any] | None = None, weights: str | np.ndarray | None = None,
                 alpha: float = 0.05, ci: float | None = None) -> Estimate:
    """Fleiss' (1971) kappa for any number of raters, with missing ratings as in Gwet (2014).

    ``kappa = (p_a - p_e) / (1 - p_e)`` with ``p_e = sum_kl w_kl pi_k pi_l`` (Fleiss
    1971, eq. 2-9; weighted and missing-data form: Gwet 2014, eq. 5.3). With every
    subject rated by the same number of raters it is exactly Fleiss' kappa.

    Uncertainty
    -----------
    ``se``, ``ci_low``, ``ci_high``: Gwet's (2014) linearised non-null variance (t
    interval, as irrCAC's ``fleiss.kappa.raw``). ``se0``, ``z`` and ``pval``: the
    test of kappa = 0 with the null standard error of Fleiss, Nee & Landis (1979,
    eq. 12), two-sided as R irr's ``kappam.fleiss``; it requires the same number of
    raters per subject, so with unequal numbers ``pval`` falls back to Gwet's
    t test (see ``note``).

    ``alpha`` is the significance level: the interval has level ``1 - alpha`` (``ci=``, the level
    itself, is a deprecated alias).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "r": ["A", "B"] * 6,
    ...                   "x": [1, 1, 2, 2, 3, 2, 1, 1, 3, 3, 2, 1]})
    >>> round(fleiss_kappa(d, subject="s", rater="r", score="x").value, 4)
    0.4894
    """
    conf = _conf_level(alpha, ci, "fleiss_kappa")
    est = _cac_public("fleiss_kappa", "fleiss", data, subject, rater, score, weights, categories, conf)
    cd = _code(data, subject, rater, score, categorical=True, categories=categories)
    se0, z, p, why = _fnl_test(cd, est.value, weights)
    est.extra.update(se0=se0, z=z)
    if why:
        est.note = est.note + ("; " if est.note else "") + why
    else:
        est.pval = p
    return est


def _fnl_test(cd: _Coded, kappa: float, weights) -> tuple[float, float, float, str]:
    """Fleiss, Nee & Landis (1979) null SE of Fleiss' unweighted kappa."""
    if weights is not None and not (isinstance(weights, str) and weights in ("identity", "unweighted")):
        return math.nan, math.nan, math.nan, _note("fnl_weighted")
    m = np.bincount(cd.u, minlength=cd.U)
    m = m[m > 0]
    if m.size == 0 or m.min() != m.max() or m[0] < 2 or not np.isfinite(kappa):
        return math.nan, math.nan, math.nan, _note("fnl_unequal") if m.size and np.isfinite(kappa) else ""
    n, k = m.size, int(m[0])
    q = len(cd.categories)
    p = np.bincount(cd.c, minlength=q) / (n * k)
    pq = p * (1 - p)
    s = pq.sum()
    var0 = 2.0 / (s**2 * n * k * (k - 1)) * (s**2 - (pq * (1 - 2 * p)).sum())
    se0 = math.sqrt(var0)
    z = kappa / se0
    return se0, z, 2 * stats.norm.sf(abs(z)), ""


def scott_pi(data: pd.DataFrame, *, subject: str, rater: str, score: str,
             categories: Sequence[Any] | None = None, weights: str | np.ndarray | None = None,
             alpha: float = 0.05, ci: float | None = None) -> Estimate:
    """Scott's (1955) pi: chance agreement from the raters' pooled marginals.

    ``pi = (p_a - p_e) / (1 - p_e)``, ``p_e = sum_k pbar_k^2`` with ``pbar`` the
    pooled category shares (Scott 1955, eq. 2). For more than two raters this is
    Fleiss' (1971) generalisation; missing ratings and weights as in Gwet (2014,
    ch. 5). SE: Gwet's linearised variance (irrCAC ``scott2.table`` for two raters).

    ``alpha`` is the significance level: the interval has level ``1 - alpha`` (``ci=``, the level
    itself, is a deprecated alias).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "r": ["A", "B"] * 6,
    ...                   "x": [1, 1, 2, 2, 3, 2, 1, 1, 3, 3, 2, 1]})
    >>> round(scott_pi(d, subject="s", rater="r", score="x").value, 4)
    0.4894
    """
    conf = _conf_level(alpha, ci, "scott_pi")
    return _cac_public("scott_pi", "scott", data, subject, rater, score, weights, categories, conf)


def conger_kappa(data: pd.DataFrame, *, subject: str, rater: str, score: str,
                 categories: Sequence[Any] | None = None, weights: str | np.ndarray | None = None,
                 alpha: float = 0.05, ci: float | None = None) -> Estimate:
    """Conger's (1980) kappa: Cohen's kappa generalised to several raters.

    Chance agreement from each rater's own marginals ``p_gk``:
    ``p_e = sum_kl w_kl (pbar_k pbar_l - s2_kl / r)`` (Conger 1980; Gwet 2014, eq.
    5.4), with missing ratings and variance as in Gwet (2014) / irrCAC's
    ``conger.kappa.raw``. For two raters with complete data it equals Cohen's kappa.

    ``alpha`` is the significance level: the interval has level ``1 - alpha`` (``ci=``, the level
    itself, is a deprecated alias).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "r": ["A", "B"] * 6,
    ...                   "x": [1, 1, 2, 2, 3, 2, 1, 1, 3, 3, 2, 1]})
    >>> round(conger_kappa(d, subject="s", rater="r", score="x").value, 4)
    0.5
    """
    conf = _conf_level(alpha, ci, "conger_kappa")
    est = _cac_public("conger_kappa", "conger", data, subject, rater, score, weights, categories, conf)
    n_ratings = data[score].notna().sum()
    if est.n_raters and n_ratings / est.n_raters < 2:
        est.note = (est.note + "; " if est.note else "") + _note("conger_few")
    return est


def brennan_prediger(data: pd.DataFrame, *, subject: str, rater: str, score: str,
                     categories: Sequence[Any] | None = None, weights: str | np.ndarray | None = None,
                     alpha: float = 0.05, ci: float | None = None) -> Estimate:
    """Brennan & Prediger's (1981) coefficient: uniform chance agreement ``T_w / q^2``.

    Depends on the number of declared categories ``q``: pass ``categories`` (the
    scale's full list) so that unused levels count. Variance: Gwet (2014, ch. 5).

    ``alpha`` is the significance level: the interval has level ``1 - alpha`` (``ci=``, the level
    itself, is a deprecated alias).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "r": ["A", "B"] * 6,
    ...                   "x": [1, 1, 2, 2, 3, 2, 1, 1, 3, 3, 2, 1]})
    >>> round(brennan_prediger(d, subject="s", rater="r", score="x").value, 4)
    0.5
    """
    conf = _conf_level(alpha, ci, "brennan_prediger")
    return _cac_public("brennan_prediger", "bp", data, subject, rater, score, weights, categories, conf)


def gwet_ac(data: pd.DataFrame, *, subject: str, rater: str, score: str,
            categories: Sequence[Any] | None = None, weights: str | np.ndarray | None = None,
            alpha: float = 0.05, ci: float | None = None) -> Estimate:
    """Gwet's AC1 (unweighted) / AC2 (weighted) agreement coefficient.

    ``p_e = T_w / (q (q-1)) sum_k pi_k (1 - pi_k)`` (Gwet 2008, eq. 14; 2014, eq.
    5.5), ``T_w`` the sum of the weights. Missing ratings and the linearised
    variance as in Gwet (2014) / irrCAC's ``gwet.ac1.raw``: t interval with n-1
    df, upper limit capped at 1, two-sided t test against 0 (irrCAC's documented output). Pass the scale's
    ``categories`` so that unused levels count in ``q``.

    ``alpha`` is the significance level: the interval has level ``1 - alpha`` (``ci=``, the level
    itself, is a deprecated alias).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "r": ["A", "B"] * 6,
    ...                   "x": [1, 1, 2, 2, 3, 2, 1, 1, 3, 3, 2, 1]})
    >>> round(gwet_ac(d, subject="s", rater="r", score="x").value, 4)
    0.5052
    """
    conf = _conf_level(alpha, ci, "gwet_ac")
    est = _cac_public("gwet_ac", "ac", data, subject, rater, score, weights, categories, conf)
    est.name = "gwet_ac1" if _weights_name(weights) == "unweighted" else "gwet_ac2"
    return est


# ---------------------------------------------------------------------------
# Cohen's kappa (two raters), Fleiss, Cohen & Everitt (1969) standard errors
# ---------------------------------------------------------------------------

def _cohen(cd: _Coded, W: np.ndarray, conf: float) -> dict[str, np.ndarray]:
    G, q = cd.G, len(cd.categories)
    gr = _rating_groups(cd)
    # the two raters of each group: position 0 = smaller rater code
    rmin = np.full(G, np.iinfo(np.int64).max)
    np.minimum.at(rmin, gr, cd.r)
    pos = (cd.r != rmin[gr]).astype(np.int64)
    m = np.bincount(cd.u, minlength=cd.U)
    both = m[cd.u] == 2
    first = np.full(cd.U, -1)
    second = np.full(cd.U, -1)
    first[cd.u[both & (pos == 0)]] = cd.c[both & (pos == 0)]
    second[cd.u[both & (pos == 1)]] = cd.c[both & (pos == 1)]
    ok = (first >= 0) & (second >= 0)
    T = np.bincount(cd.ug[ok] * q * q + first[ok] * q + second[ok], minlength=G * q * q).reshape(G, q, q)
    T = T.astype(float)
    n = T.sum((1, 2))
    notes = _notes(G)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = T / n[:, None, None]
        pr, pc = p.sum(2), p.sum(1)
        po = (W[None] * p).sum((1, 2))
        pe = np.einsum("gi,ij,gj->g", pr, W, pc)
        kappa = (po - pe) / (1 - pe)
        wi = pc @ W.T                  # wbar_i. = sum_j p_.j w_ij
        wj = pr @ W                    # wbar_.j = sum_i p_i. w_ij
        s = wi[:, :, None] + wj[:, None, :]
        # Fleiss, Cohen & Everitt (1969), eqs. 13 and 14
        var = ((p * (W[None] - s * (1 - kappa)[:, None, None]) ** 2).sum((1, 2))
               - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
        var0 = ((pr[:, :, None] * pc[:, None, :] * (W[None] - s) ** 2).sum((1, 2)) - pe**2) / (n * (1 - pe) ** 2)
        # every pair in a cell of full agreement weight: kappa is 1 and its variance is
        # exactly 0 (the formula's two terms then cancel only up to roundoff)
        perfect = (n > 0) & ((T * (W[None] < 1)).sum((1, 2)) == 0)
        var = np.where(perfect, 0.0, var)
        se = np.sqrt(np.maximum(var, 0))
        se0 = np.sqrt(np.maximum(var0, 0))
        z = kappa / se0
    const = np.abs(1 - pe) < 1e-12
    _add_note(notes, n == 0, _note("no_pair_both"))
    _add_note(notes, const & (n > 0), _note("same_category"))
    kappa = np.where(const, np.nan, kappa)
    zq = stats.norm.ppf(0.5 + conf / 2)
    pval = np.where(np.isfinite(z), 2 * stats.norm.sf(np.abs(z)), np.nan)
    return dict(value=kappa, se=np.where(np.isfinite(kappa), se, np.nan), ci_low=kappa - zq * se,
                ci_high=kappa + zq * se, pval=pval, n_subjects=n.astype(int), note=notes, se0=se0, z=z,
                po=po, pe=pe)


def cohen_kappa(data: pd.DataFrame, *, subject: str, rater: str, score: str,
                categories: Sequence[Any] | None = None, weights: str | np.ndarray | None = None,
                alpha: float = 0.05, ci: float | None = None) -> Estimate:
    """Cohen's (1960) kappa and weighted kappa (Cohen 1968) for two raters.

    Uses the subjects rated by both raters. ``weights``: None, "linear",
    "quadratic" (see :func:`weight_matrix`) or a q x q agreement-weight matrix
    (1 = full agreement).

    Uncertainty (Fleiss, Cohen & Everitt 1969, eqs. 13-14): ``se`` is the large-sample
    standard error used for the normal confidence interval; ``se0`` the standard error
    under kappa = 0, with ``z = kappa / se0`` and a two-sided ``pval`` (as SAS PROC
    FREQ and R irr's ``kappa2``).

    ``alpha`` is the significance level: the interval has level ``1 - alpha`` (``ci=``, the level
    itself, is a deprecated alias).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "r": ["A", "B"] * 6,
    ...                   "x": [1, 1, 2, 2, 3, 2, 1, 1, 3, 3, 2, 1]})
    >>> est = cohen_kappa(d, subject="s", rater="r", score="x")
    >>> round(est.value, 4), round(est.se, 4)
    (0.5, 0.2732)
    """
    conf = _conf_level(alpha, ci, "cohen_kappa")
    cd = _code(data, subject, rater, score, categorical=True, categories=categories)
    nr = int(_n_raters(cd)[0])
    if nr != 2:
        if nr < 2:
            return Estimate("cohen_kappa", n_raters=nr, note=_note("cohen_one_rater"))
        raise ValueError(f"cohen_kappa needs exactly two raters in column {rater!r}, found {nr}; use "
                         "conger_kappa or fleiss_kappa for more")
    W = weight_matrix(weights, cd.categories)
    res = _cohen(cd, W, conf)
    cd_note = _missing_note(cd)
    m = np.bincount(cd.u, minlength=cd.U)
    single = int((m == 1).sum())
    if single:
        cd_note = (cd_note + "; " if cd_note else "") + _note("cohen_single", n=single)
    est = _estimate("cohen_kappa", res, 0, nr, extra_keys=("se0", "z", "po", "pe"), note=cd_note)
    est.extra["weights"] = _weights_name(weights)
    return est

"""Intraclass correlations (Shrout & Fleiss 1979; McGraw & Wong 1996)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evaltools._notes import note as _note

from ._coding import (ICC_DESCRIPTIONS, ICC_TYPES, _Coded, _add_note, _code, _codes, _conf_level, _gsum, _n_raters,
                      _notes, _rating_groups)
from ._cac import _missing_note


# ---------------------------------------------------------------------------
# Intraclass correlations
# ---------------------------------------------------------------------------

# a sum of squares below this share of the total sum of squares is roundoff of an exact 0
_ZERO_SS = 1e-12


def _icc_oneway(cd: _Coded, xc: np.ndarray, m: np.ndarray, has: np.ndarray, Nn: np.ndarray,
                a: float) -> dict[str, np.ndarray]:
    """One-way ANOVA per group (every subject, unequal numbers of ratings) and its
    ICC1 / ICC1k with their F limits (Shrout & Fleiss 1979, k0 of Searle et al. 1992)."""
    G, u, ug = cd.G, cd.u, cd.ug
    gr = _rating_groups(cd)
    n1 = _gsum(ug, has.astype(float), G)
    S1u = np.bincount(u, weights=xc, minlength=cd.U)
    S2 = _gsum(gr, xc * xc, G)
    between = _gsum(ug, np.where(has, S1u**2 / np.where(has, m, 1), 0.0), G)
    S1 = _gsum(gr, xc, G)
    with np.errstate(divide="ignore", invalid="ignore"):
        ssb = between - S1**2 / Nn
        ssw = S2 - between
        # a within-subject sum of squares at roundoff level of the total is exactly 0
        # (every subject's ratings agree): F = inf, p = 0, limits (1, 1) below
        w0 = ssw <= _ZERO_SS * S2
        ssw = np.where(w0, 0.0, ssw)
        df_b, df_w = n1 - 1, Nn - n1
        msb, msw = ssb / df_b, ssw / df_w
        k0 = (Nn - _gsum(ug, m * m, G) / Nn) / df_b
        icc1 = (msb - msw) / (msb + (k0 - 1) * msw)
        icc1k = (msb - msw) / msb
        F1 = np.where(w0 & (msb > 0), np.inf, msb / msw)
        p1 = stats.f.sf(F1, df_b, df_w)
        # one-way limits with k0 (equals k when balanced)
        f1l = F1 / stats.f.ppf(1 - a, df_b, df_w)
        f1u = F1 * stats.f.ppf(1 - a, df_w, df_b)
        l1, u1 = (f1l - 1) / (f1l + k0 - 1), (f1u - 1) / (f1u + k0 - 1)
        l1k, u1k = 1 - 1 / f1l, 1 - 1 / f1u
    # with a zero error mean square the F-based limits degenerate to (1, 1)
    l1, u1, l1k, u1k = (np.where(w0 & (msb > 0), 1.0, t) for t in (l1, u1, l1k, u1k))
    return {"icc1": icc1, "icc1k": icc1k, "F": F1, "p": p1, "l1": l1, "u1": u1, "l1k": l1k, "u1k": u1k,
            "df_b": df_b, "df_w": df_w, "msb": msb, "msw": msw, "w0": w0, "n1": n1, "k0": k0}


def _icc_twoway(cd: _Coded, xc: np.ndarray, m: np.ndarray, has: np.ndarray, a: float) -> dict[str, np.ndarray]:
    """Two-way ANOVA per group on the complete blocks (subjects rated by all raters) and
    its ICC2 / ICC3 / ICC2k / ICC3k with their limits (Shrout & Fleiss 1979, Table 4 and
    eq. 13; McGraw & Wong 1996, Table 7)."""
    G, u, ug = cd.G, cd.u, cd.ug
    nr = _n_raters(cd).astype(float)
    full = has & (m == nr[ug]) & (m >= 2)
    keep = full[u]
    u2, r2, x2 = u[keep], cd.r[keep], xc[keep]
    g2 = ug[u2]
    n = _gsum(ug, full.astype(float), G)
    k = nr
    NN = n * k
    with np.errstate(divide="ignore", invalid="ignore"):
        mean2 = _gsum(g2, x2, G) / NN
        y = x2 - mean2[g2]
        rowsum = np.bincount(u2, weights=y, minlength=cd.U)
        ssr = _gsum(ug, np.where(full, rowsum**2, 0.0), G) / k
        pair, P = _codes(g2 * cd.R + r2)
        colsum = np.bincount(pair, weights=y, minlength=P)
        pg = np.zeros(P, dtype=np.int64)
        pg[pair] = g2
        ssc = _gsum(pg, colsum**2, G) / n
        sst = _gsum(g2, y * y, G)
        sse = sst - ssr - ssc
        # additive scores (each rater a constant offset from the others): error SS 0
        e0 = sse <= _ZERO_SS * sst
        sse = np.where(e0, 0.0, sse)
        dfr, dfc, dfe = n - 1, k - 1, (n - 1) * (k - 1)
        MSB, MSJ, MSE = ssr / dfr, ssc / dfc, sse / dfe
        icc2 = (MSB - MSE) / (MSB + (k - 1) * MSE + k * (MSJ - MSE) / n)
        icc3 = (MSB - MSE) / (MSB + (k - 1) * MSE)
        icc2k = (MSB - MSE) / (MSB + (MSJ - MSE) / n)
        icc3k = (MSB - MSE) / MSB
        F3 = np.where(e0 & (MSB > 0), np.inf, MSB / MSE)
        p3 = stats.f.sf(F3, dfr, dfe)
        f3l = F3 / stats.f.ppf(1 - a, dfr, dfe)
        f3u = F3 * stats.f.ppf(1 - a, dfe, dfr)
        l3, u3 = (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)
        l3k, u3k = 1 - 1 / f3l, 1 - 1 / f3u
        fj = MSJ / MSE
        vn = dfe * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        vd = dfr * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        # Satterthwaite's df as MSE -> 0 (fj -> inf): dfe / dfr when MSJ > 0; with MSJ = 0
        # too the limits below are exactly 1 for any df
        v = np.where(e0, np.where(MSJ > 0, dfe / dfr, 1.0), vn / vd)
        f2u = stats.f.ppf(1 - a, dfr, v)
        f2l = stats.f.ppf(1 - a, v, dfr)
        l2 = n * (MSB - f2u * MSE) / (f2u * (k * MSJ + (k * n - k - n) * MSE) + n * MSB)
        u2_ = n * (f2l * MSB - MSE) / (k * MSJ + (k * n - k - n) * MSE + n * f2l * MSB)
        l2k, u2k = l2 * k / (1 + l2 * (k - 1)), u2_ * k / (1 + u2_ * (k - 1))
    # with a zero error mean square the F-based limits of ICC3 degenerate to (1, 1) ...
    l3, u3, l3k, u3k = (np.where(e0 & (MSB > 0), 1.0, t) for t in (l3, u3, l3k, u3k))
    # ... and of ICC2 too when the raters' mean square is 0 as well (perfect agreement)
    j0 = e0 & (MSB > 0) & (ssc <= _ZERO_SS * sst)
    l2, u2_, l2k, u2k = (np.where(j0, 1.0, t) for t in (l2, u2_, l2k, u2k))
    return {"icc2": icc2, "icc3": icc3, "icc2k": icc2k, "icc3k": icc3k, "F": F3, "p": p3,
            "l2": l2, "u2": u2_, "l2k": l2k, "u2k": u2k, "l3": l3, "u3": u3, "l3k": l3k, "u3k": u3k,
            "dfr": dfr, "dfe": dfe, "MSB": MSB, "MSE": MSE, "e0": e0, "n": n, "k": k}


def _icc_core(cd: _Coded, conf: float) -> dict[str, np.ndarray]:
    """Grouped Shrout & Fleiss (1979) ICCs.

    One-way (ICC1, ICC1k) from every subject, allowing unequal numbers of ratings:
    ``MSB = SSB / (n-1)``, ``MSW = SSW / (N-n)``, and in place of k the average
    group size ``k0 = (N - sum m_i^2 / N) / (n - 1)`` (Searle, Casella & McCulloch
    1992, eq. 3.26); with equal numbers this is exactly Shrout & Fleiss' ICC(1,1) and
    ICC(1,k). Two-way (ICC2, ICC3, ICC2k, ICC3k) from the subjects rated by all
    raters of the group (complete blocks of the subjects x raters table); the note
    says how many subjects that leaves out. Confidence intervals: Shrout & Fleiss
    (1979, Table 4 and eq. 13) / McGraw & Wong (1996, Table 7), as psych and pingouin.
    """
    G = cd.G
    x, u, ug = cd.x, cd.u, cd.ug
    gr = _rating_groups(cd)
    m = np.bincount(u, minlength=cd.U).astype(float)
    has = m > 0
    Nn = _gsum(gr, None, G)
    mu = _gsum(gr, x, G) / np.where(Nn > 0, Nn, 1)
    xc = x - mu[gr]                                     # centred: no cancellation
    a = 0.5 - conf / 2
    o = _icc_oneway(cd, xc, m, has, Nn, a)
    t = _icc_twoway(cd, xc, m, has, a)
    icc1, icc1k, F1, p1, l1, u1, l1k, u1k = (o[k] for k in ("icc1", "icc1k", "F", "p", "l1", "u1", "l1k", "u1k"))
    df_b, df_w, msb, msw, w0, n1, k0 = (o[k] for k in ("df_b", "df_w", "msb", "msw", "w0", "n1", "k0"))
    icc2, icc3, icc2k, icc3k, F3, p3 = (t[k] for k in ("icc2", "icc3", "icc2k", "icc3k", "F", "p"))
    l2, u2_, l2k, u2k, l3, u3, l3k, u3k = (t[k] for k in ("l2", "u2", "l2k", "u2k", "l3", "u3", "l3k", "u3k"))
    dfr, dfe, MSB, MSE, e0, n, k = (t[k] for k in ("dfr", "dfe", "MSB", "MSE", "e0", "n", "k"))
    notes1, notes2 = _notes(G), _notes(G)
    _add_note(notes1, n1 < 2, _note("few_subjects"))
    _add_note(notes1, (df_w > 0) & (df_b > 0) & ~(msb + msw > 0), _note("no_variance"))
    dropped = n1 - n
    mmax = np.zeros(G)
    mmin = np.full(G, np.inf)
    np.maximum.at(mmax, ug[has], m[has])
    np.minimum.at(mmin, ug[has], m[has])
    for i in range(G):   # groups (items, roles), not subjects
        if n[i] < 2 or k[i] < 2:
            notes2[i] = _note("icc_not_crossed", k=int(k[i]), n=int(n[i]), n_all=int(n1[i]))
        elif dropped[i] > 0:
            notes2[i] = _note("icc_complete", n=int(n[i]), n_all=int(n1[i]), k=int(k[i]), dropped=int(dropped[i]))
        if n1[i] >= 2 and df_w[i] <= 0:
            # one rating per subject: no within-subject variance, and the one-way design says so
            notes1[i] = _note("icc_one_rater", n=int(n1[i]))
        elif (mmax[i] != mmin[i] or dropped[i] > 0) and np.isfinite(k0[i]) and n1[i] >= 2:
            t = (_note("icc_unbalanced", n=int(n1[i]), lo=int(mmin[i]), hi=int(mmax[i]), k0=k0[i])
                 if mmax[i] != mmin[i] else _note("icc_oneway", n=int(n1[i]), m=int(mmax[i])))
            notes1[i] = t if not notes1[i] else notes1[i] + "; " + t
    _add_note(notes1, w0 & (msb > 0) & (n1 >= 2) & (df_w > 0),
              _note("icc_within_zero"))
    _add_note(notes2, e0 & (MSB > 0) & (n >= 2) & (k >= 2),
              _note("icc_error_zero"))
    ok2 = (n >= 2) & (k >= 2) & (MSB + MSE > 0)
    _add_note(notes2, (n >= 2) & (k >= 2) & ~(MSB + MSE > 0), _note("no_variance"))
    ok1 = (n1 >= 2) & (df_w > 0) & (msb + msw > 0)

    def w(arr, ok):
        return np.where(ok, arr, np.nan)

    rows = {
        "ICC1": (icc1, F1, df_b, df_w, p1, l1, u1, ok1, notes1, n1),
        "ICC2": (icc2, F3, dfr, dfe, p3, l2, u2_, ok2, notes2, n),
        "ICC3": (icc3, F3, dfr, dfe, p3, l3, u3, ok2, notes2, n),
        "ICC1k": (icc1k, F1, df_b, df_w, p1, l1k, u1k, ok1, notes1, n1),
        "ICC2k": (icc2k, F3, dfr, dfe, p3, l2k, u2k, ok2, notes2, n),
        "ICC3k": (icc3k, F3, dfr, dfe, p3, l3k, u3k, ok2, notes2, n),
    }
    return {name: dict(value=w(v, ok), F=w(F, ok), df1=w(d1, ok), df2=w(d2, ok), pval=w(p, ok),
                       ci_low=w(lo, ok), ci_high=w(hi, ok), se=np.full(G, np.nan), note=nt.copy(),
                       n_subjects=nsub.astype(int), n_raters=k.astype(int))
            for name, (v, F, d1, d2, p, lo, hi, ok, nt, nsub) in rows.items()}


def icc(data: pd.DataFrame, *, subject: str, rater: str, score: str, alpha: float = 0.05,
        ci: float | None = None) -> pd.DataFrame:
    """Intraclass correlation coefficients ICC1 ... ICC3k (Shrout & Fleiss 1979).

    Returns
    -------
    DataFrame indexed ``ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k`` with columns
    ``icc, F, df1, df2, pval, ci_low, ci_high, description`` (Shrout & Fleiss and
    McGraw & Wong 1996 names) and ``n_subjects, n_raters, note``.

    Notes
    -----
    ICC1/ICC1k: ``(MSB - MSW) / (MSB + (k-1) MSW)`` and ``(MSB - MSW) / MSB``;
    ICC2/ICC2k: ``(MSB - MSE) / (MSB + (k-1) MSE + k (MSJ - MSE) / n)`` and
    ``(MSB - MSE) / (MSB + (MSJ - MSE) / n)``; ICC3/ICC3k: ``(MSB - MSE) / (MSB +
    (k-1) MSE)`` and ``(MSB - MSE) / MSB`` (Shrout & Fleiss 1979, Table 3). F tests
    and confidence limits as in psych::ICC and pingouin (Shrout & Fleiss 1979, eqs.
    6-13; McGraw & Wong 1996).

    Missing ratings / unbalanced designs: the one-way ICCs use every subject with
    the one-way random-effects ANOVA for unequal group sizes (``k0`` in place of
    ``k``; Searle et al. 1992); the two-way ICCs need a complete subjects x raters
    table and use the subjects rated by all raters. ``note`` states how many subjects
    each uses. When raters are nested in subjects (each employee rated by their own
    peers), only ICC1/ICC1k are defined and the two-way rows are nan with that reason.

    ``alpha`` is the significance level: the interval has level ``1 - alpha`` (``ci=``, the level
    itself, is a deprecated alias).

    Examples
    --------
    >>> import pandas as pd
    >>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> d = pd.DataFrame([(i, j, x) for i, row in enumerate(sf) for j, x in enumerate(row)],
    ...                  columns=["s", "r", "x"])
    >>> icc(d, subject="s", rater="r", score="x")["icc"].round(2).tolist()   # Shrout & Fleiss (1979) Table 2
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    conf = _conf_level(alpha, ci, "icc")
    cd = _code(data, subject, rater, score, numeric=True)
    core = _icc_core(cd, conf)
    rows = []
    for name in ICC_TYPES:
        r = core[name]
        note = r["note"][0]
        if cd.n_missing:
            note = (note + "; " if note else "") + _missing_note(cd)
        rows.append(dict(icc=r["value"][0], F=r["F"][0], df1=r["df1"][0], df2=r["df2"][0], pval=r["pval"][0],
                         ci_low=r["ci_low"][0], ci_high=r["ci_high"][0], description=ICC_DESCRIPTIONS[name],
                         n_subjects=int(r["n_subjects"][0]), n_raters=int(r["n_raters"][0]), note=note))
    return pd.DataFrame(rows, index=pd.Index(ICC_TYPES, name="type"))

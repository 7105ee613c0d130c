"""Inter-rater reliability: are the raters of an appraisal instrument consistent?

Every function takes a long-format table (one row per rating) and the names of the
``subject`` (person rated), ``rater`` and ``score`` columns, as pingouin does. Missing
ratings are rows that are absent or have a missing score; they are handled as each
coefficient's literature prescribes (see each docstring).

Coefficients
------------
- :func:`icc` -- the six intraclass correlations of Shrout & Fleiss (1979).
- :func:`krippendorff_alpha` -- nominal / ordinal / interval / ratio, with the
  Hayes & Krippendorff (2007) bootstrap or a bootstrap over subjects.
- :func:`cohen_kappa` -- two raters, (un)weighted, Fleiss-Cohen-Everitt (1969) SEs.
- :func:`fleiss_kappa`, :func:`scott_pi`, :func:`conger_kappa`,
  :func:`brennan_prediger`, :func:`gwet_ac`, :func:`percent_agreement` -- the
  chance-corrected family in Gwet's (2014) framework for any number of raters and
  missing ratings, with Gwet's linearised variances.
- :func:`kendall_w` -- Kendall's coefficient of concordance with tie correction.
- :func:`agreement` -- all of the above that suit a level of measurement, per group
  (item, rater role, ...) in one vectorized pass, with interpretation labels in
  Indonesian and English.

Implementation: ratings are coded once into integer arrays (unit = subject within
group, rater, category); every statistic is then a set of grouped sums computed
with ``np.bincount`` or small matrix products, so a table of tens of millions of
ratings takes seconds and bootstrap replicates are weighted sums, not loops.
"""
from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats

from ._errors import DataError, require_columns
from ._results import Estimate

__all__ = [
    "icc",
    "krippendorff_alpha",
    "cohen_kappa",
    "fleiss_kappa",
    "scott_pi",
    "conger_kappa",
    "brennan_prediger",
    "gwet_ac",
    "percent_agreement",
    "kendall_w",
    "agreement",
    "interpret",
    "weight_matrix",
]

LEVELS = ("nominal", "ordinal", "interval", "ratio")
# dense per-unit x value tables are used up to this many distinct values
_DENSE_V = 16

ICC_DESCRIPTIONS = {
    "ICC1": "ICC(1,1) Shrout & Fleiss; ICC(1) McGraw & Wong: one-way random, single rater, absolute agreement",
    "ICC2": "ICC(2,1) Shrout & Fleiss; ICC(A,1) McGraw & Wong: two-way random, single rater, absolute agreement",
    "ICC3": "ICC(3,1) Shrout & Fleiss; ICC(C,1) McGraw & Wong: two-way mixed, single rater, consistency",
    "ICC1k": "ICC(1,k) Shrout & Fleiss; ICC(k) McGraw & Wong: one-way random, mean of k raters, absolute agreement",
    "ICC2k": "ICC(2,k) Shrout & Fleiss; ICC(A,k) McGraw & Wong: two-way random, mean of k raters, absolute agreement",
    "ICC3k": "ICC(3,k) Shrout & Fleiss; ICC(C,k) McGraw & Wong: two-way mixed, mean of k raters, consistency",
}
ICC_TYPES = tuple(ICC_DESCRIPTIONS)


# ---------------------------------------------------------------------------
# Interpretation labels
# ---------------------------------------------------------------------------

_LANDIS_KOCH = [  # Landis & Koch (1977), Biometrics 33:159-174, p. 165
    (0.0, "buruk", "poor"),
    (0.20, "sangat lemah", "slight"),
    (0.40, "lemah", "fair"),
    (0.60, "sedang", "moderate"),
    (0.80, "kuat", "substantial"),
    (math.inf, "hampir sempurna", "almost perfect"),
]
_KOO_LI = [  # Koo & Li (2016), J Chiropr Med 15:155-163, p. 158
    (0.50, "buruk", "poor"),
    (0.75, "sedang", "moderate"),
    (0.90, "baik", "good"),
    (math.inf, "sangat baik", "excellent"),
]
_KRIPPENDORFF = [  # Krippendorff (2004), Content Analysis 2nd ed., p. 241
    (0.667, "tidak andal", "unreliable"),
    (0.800, "andal untuk kesimpulan sementara", "tentatively reliable"),
    (math.inf, "andal", "reliable"),
]
_SCALES = {
    "landis_koch": ("Landis & Koch (1977)", _LANDIS_KOCH, False),
    "koo_li": ("Koo & Li (2016)", _KOO_LI, True),
    "krippendorff": ("Krippendorff (2004): 0.667 / 0.800", _KRIPPENDORFF, True),
}


def interpret(value: float, scale: str) -> tuple[str, str]:
    """Interpretation label of a reliability coefficient, in Indonesian and English.

    Parameters
    ----------
    value : float
        The coefficient.
    scale : {"landis_koch", "koo_li", "krippendorff"}
        ``"landis_koch"``: Landis & Koch (1977) bands for kappa-type coefficients
        (< 0 poor, 0-.20 slight, .21-.40 fair, .41-.60 moderate, .61-.80
        substantial, .81-1 almost perfect); ``"koo_li"``: Koo & Li (2016) bands for
        ICCs (< .5 poor, .5-.75 moderate, .75-.9 good, > .9 excellent);
        ``"krippendorff"``: alpha >= .800 reliable, .667 <= alpha < .800 tentative
        conclusions only, below unreliable (Krippendorff 2004, p. 241).

    Returns
    -------
    (label_id, label_en) : tuple of str
        Empty strings when ``value`` is nan.
    """
    if scale not in _SCALES:
        raise ValueError(f"unknown interpretation scale {scale!r}; use one of {sorted(_SCALES)}")
    if value is None or not np.isfinite(value):
        return "", ""
    _, bands, lower_closed = _SCALES[scale]
    for upper, lab_id, lab_en in bands:
        # Landis & Koch bands are closed above (.20 is 'slight'); Koo & Li and
        # Krippendorff thresholds are 'at least' cut-offs (.667 is tentative)
        if (value < upper) if lower_closed else (value <= upper):
            if scale == "landis_koch" and upper == 0.0 and value == 0.0:
                continue
            return lab_id, lab_en
    return bands[-1][1], bands[-1][2]


# ---------------------------------------------------------------------------
# Weights (Gwet 2014, ch. 3; irrCAC weights.gen.r)
# ---------------------------------------------------------------------------

def weight_matrix(weights: str | np.ndarray | None, categories: Sequence[Any]) -> np.ndarray:
    """Agreement weights ``w[k, l]`` (1 on the diagonal) for the given categories.

    Parameters
    ----------
    weights : None, "identity", "linear", "quadratic", "ordinal", "ratio", "radical" or array
        ``None``/"identity": unweighted. "linear": ``1 - |x_k - x_l| / (x_max - x_min)``;
        "quadratic": ``1 - (x_k - x_l)^2 / (x_max - x_min)^2`` (Cohen 1968;
        Fleiss & Cohen 1973), with ``x`` the numeric category values (positions
        1..q when categories are not numbers), as in Gwet (2014) and irrCAC;
        "ordinal": ``1 - C(|k-l|+1, 2) / C(q, 2)`` on positions; "radical" and
        "ratio" as in Gwet (2014, Table 3.6). An array is used as given (q x q).
    categories : sequence
        The ordered categories.
    """
    q = len(categories)
    if weights is None or (isinstance(weights, str) and weights in ("identity", "unweighted")):
        return np.eye(q)
    if not isinstance(weights, str):
        w = np.asarray(weights, dtype=float)
        if w.shape != (q, q):
            raise ValueError(f"weights matrix must be {q} x {q} (one row and column per category), got {w.shape}")
        return w
    x = _category_values(categories)
    d = np.abs(x[:, None] - x[None, :])
    span = x.max() - x.min() if q > 1 else 1.0
    span = span or 1.0
    if weights == "linear":
        return 1.0 - d / span
    if weights == "quadratic":
        return 1.0 - d**2 / span**2
    if weights == "radical":
        return 1.0 - np.sqrt(d) / math.sqrt(span)
    if weights == "ratio":
        s = x[:, None] + x[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(s != 0, (x[:, None] - x[None, :]) / s, 0.0) ** 2
        ref = ((x.max() - x.min()) / (x.max() + x.min())) ** 2
        return 1.0 - r / ref
    if weights == "ordinal":
        pos = np.arange(q)
        nkl = np.abs(pos[:, None] - pos[None, :]) + 1.0
        w = nkl * (nkl - 1) / 2
        return 1.0 - w / w.max() if w.max() > 0 else np.ones((q, q))
    raise ValueError(f"unknown weights {weights!r}; use None, 'linear', 'quadratic', 'ordinal', "
                     "'radical', 'ratio' or a q x q matrix")


def _category_values(categories: Sequence[Any]) -> np.ndarray:
    try:
        x = np.asarray(categories, dtype=float)
        if np.all(np.isfinite(x)):
            return x
    except (TypeError, ValueError):
        pass
    return np.arange(1, len(categories) + 1, dtype=float)


# ---------------------------------------------------------------------------
# Coding the long table into integer arrays
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class _Coded:
    u: np.ndarray            # unit (subject within group) per rating
    r: np.ndarray            # rater code per rating
    ug: np.ndarray           # group per unit
    G: int
    U: int
    R: int
    x: np.ndarray | None     # numeric score per rating
    c: np.ndarray | None     # category code per rating
    categories: list | None
    groups: pd.DataFrame | None  # by-column values per group code
    n_missing: int
    missing_by_group: np.ndarray | None = None   # missing scores per group (with by=)
    cache: dict = dataclasses.field(default_factory=dict)


def _codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, int]:
    """Dense integer codes 0..K-1 (fast path for compact integer ids)."""
    if isinstance(values, pd.Series) and not pd.api.types.is_integer_dtype(values.dtype):
        # strings and other labels: factorize natively (no conversion to Python objects)
        codes, uniq = pd.factorize(values)
        return codes.astype(np.int64, copy=False), len(uniq)
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.dtype.kind in "iu" and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo < 4 * arr.size + 1024:
            # compact integer ids: offset + relabel present ids without hashing
            off = (arr - lo).astype(np.int64)
            present = np.bincount(off, minlength=hi - lo + 1) > 0
            remap = np.cumsum(present) - 1
            return remap[off], int(present.sum())
    codes, uniq = pd.factorize(values if isinstance(values, pd.Series) else arr)
    return codes.astype(np.int64, copy=False), len(uniq)


def _numeric_scores(s: pd.Series, score: str) -> np.ndarray:
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories
        if pd.api.types.is_numeric_dtype(cats.dtype):
            return s.astype(float).to_numpy()
        raise DataError(f"scores are category labels ({list(cats[:3])}...); interval/ratio coefficients need "
                        "numeric scores (pass the numeric score column, e.g. the level code)", column=score)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype(float).to_numpy()
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=float, na_value=np.nan)
    conv = pd.to_numeric(s, errors="coerce")
    bad = s.notna().to_numpy() & conv.isna().to_numpy()
    if bad.any():
        examples = ", ".join(repr(v) for v in pd.unique(s[bad])[:3])
        raise DataError(f"non-numeric scores ({examples}); interval/ratio coefficients need numbers",
                        column=score, row=int(np.flatnonzero(bad)[0]))
    return conv.to_numpy(dtype=float, na_value=np.nan)


def _code(data: pd.DataFrame, subject: str, rater: str, score: str, *, by: Sequence[str] | None = None,
          numeric: bool = False, categorical: bool = False, categories: Sequence[Any] | None = None) -> _Coded:
    by = [by] if isinstance(by, str) else list(by or [])
    require_columns(data, [subject, rater, score, *by], what="ratings")
    s = data[score]
    if categorical:
        if categories is not None:
            cats = list(categories)
            if len(set(cats)) != len(cats):
                raise ValueError("categories contain duplicates")
            idx = pd.Index(cats)
            c_all = idx.get_indexer(s.astype(object) if isinstance(s.dtype, pd.CategoricalDtype) else s)
            bad = (c_all < 0) & s.notna().to_numpy()
            if bad.any():
                examples = ", ".join(repr(v) for v in pd.unique(s[bad])[:5])
                raise DataError(f"score(s) outside the declared categories {cats}: {examples}",
                                column=score, row=int(np.flatnonzero(bad)[0]))
        else:
            if isinstance(s.dtype, pd.CategoricalDtype):
                cats = list(s.cat.categories)
                c_all = s.cat.codes.to_numpy().astype(np.int64)
            else:
                codes, uniq = pd.factorize(s, sort=False)
                order = np.argsort(np.asarray(uniq), kind="stable") if len(uniq) else np.array([], int)
                rank = np.empty(len(uniq), dtype=np.int64)
                rank[order] = np.arange(len(uniq))
                cats = list(np.asarray(uniq)[order])
                c_all = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
        keep = c_all >= 0
    else:
        cats = None
        c_all = None
        keep = None
    x_all = _numeric_scores(s, score) if numeric else None
    if x_all is not None:
        k2 = np.isfinite(x_all)
        keep = k2 if keep is None else keep & k2
    n_missing = int(len(data) - keep.sum())
    for col in (subject, rater, *by):
        if data[col].isna().any():
            row = int(np.flatnonzero(data[col].isna().to_numpy())[0])
            raise DataError("missing identifier (every rating needs a subject, a rater and its group)",
                            column=col, row=row)
    cols = {col: data[col] for col in (subject, rater, *by)}
    if n_missing:
        cols = {col: v[keep] for col, v in cols.items()}
    sub = _Columns(cols, np.flatnonzero(keep) if n_missing else None)
    x = x_all[keep] if x_all is not None and n_missing else x_all
    c = c_all[keep] if c_all is not None and n_missing else c_all
    # groups: one code per combination of the by-columns
    groups = None
    if by:
        if len(by) == 1:
            gcodes, guniq = pd.factorize(sub[by[0]], sort=True)
            groups = pd.DataFrame({by[0]: np.asarray(guniq)})
            g = gcodes.astype(np.int64)
        else:
            gb = pd.DataFrame({b: sub[b] for b in by}).groupby(by, sort=True, observed=True)
            g = gb.ngroup().to_numpy().astype(np.int64)
            groups = gb.size().reset_index()[by]
        G = len(groups)
    else:
        g = None
        G = 1
    scode, nS = _codes(sub[subject])
    rcode, R = _codes(sub[rater])
    if g is not None and G > 1:
        u, U = _codes(g * nS + scode)
    else:
        u, U = scode, nS
    # one rating per (unit, rater): a repeat is a data error, not a statistic
    key = u * R + rcode
    if U * R <= 4 * key.size + 1_000_000:
        dup_mask = None
        cnt = np.bincount(key, minlength=U * R)
        if cnt.max(initial=0) > 1:
            dup_mask = cnt[key] > 1
    else:
        # sorting is much faster than hashing here; the mask is only built on failure
        srt = np.sort(key)
        dup_mask = pd.Series(key).duplicated(keep=False).to_numpy() if (srt[1:] == srt[:-1]).any() else None
        del srt
    if dup_mask is not None:
        first = int(np.flatnonzero(dup_mask)[0])
        n_dup = int(dup_mask.sum())
        raise DataError(
            f"{n_dup} ratings repeat a (subject, rater) pair, e.g. subject {sub[subject].iloc[first]!r} "
            f"rated by {sub[rater].iloc[first]!r} more than once; split them with by=[...] (e.g. item or "
            "period) or aggregate first", column=rater, row=sub.row(first))
    ug = np.zeros(U, dtype=np.int64)
    if g is not None and G > 1:
        ug[u] = g
    miss_g = None
    if by and n_missing:
        # count each group's own missing scores (a group whose scores are all missing
        # has no row to carry the count)
        dropped = data[by].iloc[np.flatnonzero(~keep)]
        if len(by) == 1:
            gi = pd.Index(groups[by[0]]).get_indexer(dropped[by[0]])
        else:
            gi = pd.MultiIndex.from_frame(groups).get_indexer(pd.MultiIndex.from_frame(dropped))
        miss_g = np.bincount(gi[gi >= 0], minlength=G)
    return _Coded(u=u, r=rcode, ug=ug, G=G, U=U, R=R, x=x, c=c, categories=cats, groups=groups,
                  n_missing=n_missing, missing_by_group=miss_g)


class _Columns:
    """The identifier columns of the kept ratings (no DataFrame copy)."""

    def __init__(self, cols: dict[str, pd.Series], rows: np.ndarray | None):
        self._cols = cols
        self._rows = rows

    def __getitem__(self, name: str) -> pd.Series:
        return self._cols[name]

    def row(self, i: int) -> int:
        return int(self._rows[i]) if self._rows is not None else int(i)


def _value_codes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the sorted distinct values of ``x`` (fast path for small integer scales)."""
    if x.size:
        lo, hi = x.min(), x.max()
        if hi - lo < 10_000 and lo == math.floor(lo):
            off = x - lo
            xi = off.astype(np.int64)
            if np.array_equal(xi, off):
                present = np.bincount(xi, minlength=int(hi - lo) + 1) > 0
                remap = np.cumsum(present) - 1
                return remap[xi], np.flatnonzero(present) + lo
    codes, uniq = pd.factorize(x, sort=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniq, dtype=float)


def _gsum(ug: np.ndarray, w: np.ndarray | None, G: int) -> np.ndarray:
    """Sum of ``w`` (count when None) per group ``ug``."""
    if G == 1:
        return np.array([float(ug.size) if w is None else float(np.sum(w))])
    return np.bincount(ug, weights=w, minlength=G)[:G].astype(float)


def _n_raters(cd: _Coded) -> np.ndarray:
    """Distinct raters per group."""
    if cd.G == 1:
        # rater codes are dense over the kept ratings: R is the count
        return np.array([cd.R if cd.r.size else 0])
    _, pg = _rater_pairs(cd)
    return np.bincount(pg, minlength=cd.G)[: cd.G]


def _rater_pairs(cd: _Coded) -> tuple[np.ndarray, np.ndarray]:
    """(group, rater) pair code per rating and the group of each pair (cached)."""
    if "pairs" not in cd.cache:
        gr = cd.ug[cd.u]
        pair, P = _codes(gr * cd.R + cd.r)
        pg = np.zeros(P, dtype=np.int64)
        pg[pair] = gr
        cd.cache["pairs"] = (pair, pg)
    return cd.cache["pairs"]


def _notes(G: int) -> np.ndarray:
    return np.full(G, "", dtype=object)


def _add_note(notes: np.ndarray, mask: np.ndarray, text: str) -> None:
    for i in np.flatnonzero(mask):
        notes[i] = text if not notes[i] else notes[i] + "; " + text


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


def _cac(cd: _Coded, kind: str, W: np.ndarray, ci: float) -> dict[str, np.ndarray]:
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
        sumq = (N * (N @ W.T - 1.0)).sum(1)
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
        pe_i = (N * piw[ug]).sum(1) / np.where(ri > 0, ri, 1.0)
    elif kind == "ac":
        if q >= 2:
            pe = Tw / (q * (q - 1.0)) * (pi * (1.0 - pi)).sum(1)
            pe_i = Tw / (q * (q - 1.0)) * (N * (1.0 - pi[ug])).sum(1) / np.where(ri > 0, ri, 1.0)
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
        _add_note(notes, np.ones(G, bool), "no variance in scores: only one category (pass the scale's categories=)")
        value = np.where(kind == "percent", value, np.nan)
    _add_note(notes, n2 == 0, "no subject was rated by two or more raters")
    const = (np.abs(1.0 - pe) < 1e-12) & (n2 > 0)
    if kind != "percent":
        _add_note(notes, const, "no variance in scores: every rating falls in the same category")
        value = np.where(const, np.nan, value)
    _add_note(notes, (n == 1) & (n2 > 0), "one subject: no standard error")
    se = np.where(np.isfinite(value) & (n > 1), se, np.nan)
    df = n - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        tq = stats.t.ppf(0.5 + ci / 2.0, np.where(df > 0, df, np.nan))
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
        N = np.bincount(cd.u * q + cd.c, minlength=U * q).reshape(U, q).astype(float)
        ri = N.sum(1)
        two = ri >= 2
        n = _gsum(cd.ug, None, G)
        n2 = _gsum(cd.ug, two.astype(float), G)
        with np.errstate(divide="ignore", invalid="ignore"):
            Nr = N / np.where(ri > 0, ri, 1.0)[:, None]
            pi = np.column_stack([_gsum(cd.ug, Nr[:, k], G) for k in range(q)]) / n[:, None]
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
    gr = cd.ug[cd.u]
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
    return f"{cd.n_missing} rows with a missing score ignored" if cd.n_missing else ""


def _cac_public(name: str, kind: str, data, subject, rater, score, weights, categories, ci) -> Estimate:
    cd = _code(data, subject, rater, score, categorical=True, categories=categories)
    W = weight_matrix(weights, cd.categories)
    res = _cac(cd, kind, W, ci)
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
                      all_raters: bool = False, tolerance: float = 0.0, ci: float = 0.95) -> Estimate:
    """Percent agreement.

    Default (``all_raters=False``): Gwet's (2014, eq. 2.9) pairwise agreement, the
    share of agreeing rater pairs averaged over subjects rated at least twice --
    the ``p_a`` of every chance-corrected coefficient here -- with Gwet's variance
    (t interval, two-sided t test against 0, as irrCAC's documented output).

    ``all_raters=True``: the share of subjects on which all their raters agree
    within ``tolerance`` (R irr's ``agree``), over subjects rated at least twice,
    with a Wilson interval. irr drops subjects with any missing rating; here every
    subject with two or more ratings counts.
    """
    if not all_raters:
        return _cac_public("percent_agreement", "percent", data, subject, rater, score, weights, categories, ci)
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
                        note="no subject was rated by two or more raters")
    p = agree / n
    z = stats.norm.ppf(0.5 + ci / 2)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Estimate("percent_agreement", value=p, se=math.sqrt(p * (1 - p) / n), ci_low=centre - half,
                    ci_high=centre + half, n_subjects=n, n_raters=int(_n_raters(cd)[0]), note=note,
                    extra={"method": "all raters agree", "tolerance": tolerance, "n_agree": agree})


def fleiss_kappa(data: pd.DataFrame, *, subject: str, rater: str, score: str,
                 categories: Sequence[Any] | None = None, weights: str | np.ndarray | None = None,
                 ci: float = 0.95) -> Estimate:
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
    """
    est = _cac_public("fleiss_kappa", "fleiss", data, subject, rater, score, weights, categories, ci)
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
        return math.nan, math.nan, math.nan, "Fleiss-Nee-Landis null test is for unweighted kappa; p-value from Gwet's t test"
    m = np.bincount(cd.u, minlength=cd.U)
    m = m[m > 0]
    if m.size == 0 or m.min() != m.max() or m[0] < 2 or not np.isfinite(kappa):
        return math.nan, math.nan, math.nan, ("Fleiss-Nee-Landis null test needs the same number of raters per "
                                              "subject; p-value from Gwet's t test") if m.size and np.isfinite(kappa) else ""
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
             ci: float = 0.95) -> Estimate:
    """Scott's (1955) pi: chance agreement from the raters' pooled marginals.

    ``pi = (p_a - p_e) / (1 - p_e)``, ``p_e = sum_k pbar_k^2`` with ``pbar`` the
    pooled category shares (Scott 1955, eq. 2). For more than two raters this is
    Fleiss' (1971) generalisation; missing ratings and weights as in Gwet (2014,
    ch. 5). SE: Gwet's linearised variance (irrCAC ``scott2.table`` for two raters).
    """
    return _cac_public("scott_pi", "scott", data, subject, rater, score, weights, categories, ci)


def conger_kappa(data: pd.DataFrame, *, subject: str, rater: str, score: str,
                 categories: Sequence[Any] | None = None, weights: str | np.ndarray | None = None,
                 ci: float = 0.95) -> Estimate:
    """Conger's (1980) kappa: Cohen's kappa generalised to several raters.

    Chance agreement from each rater's own marginals ``p_gk``:
    ``p_e = sum_kl w_kl (pbar_k pbar_l - s2_kl / r)`` (Conger 1980; Gwet 2014, eq.
    5.4), with missing ratings and variance as in Gwet (2014) / irrCAC's
    ``conger.kappa.raw``. For two raters with complete data it equals Cohen's kappa.
    """
    est = _cac_public("conger_kappa", "conger", data, subject, rater, score, weights, categories, ci)
    n_ratings = data[score].notna().sum()
    if est.n_raters and n_ratings / est.n_raters < 2:
        est.note = (est.note + "; " if est.note else "") + ("raters rate fewer than two subjects each: "
                                                            "per-rater chance agreement is poorly estimated")
    return est


def brennan_prediger(data: pd.DataFrame, *, subject: str, rater: str, score: str,
                     categories: Sequence[Any] | None = None, weights: str | np.ndarray | None = None,
                     ci: float = 0.95) -> Estimate:
    """Brennan & Prediger's (1981) coefficient: uniform chance agreement ``T_w / q^2``.

    Depends on the number of declared categories ``q``: pass ``categories`` (the
    scale's full list) so that unused levels count. Variance: Gwet (2014, ch. 5).
    """
    return _cac_public("brennan_prediger", "bp", data, subject, rater, score, weights, categories, ci)


def gwet_ac(data: pd.DataFrame, *, subject: str, rater: str, score: str,
            categories: Sequence[Any] | None = None, weights: str | np.ndarray | None = None,
            ci: float = 0.95) -> Estimate:
    """Gwet's AC1 (unweighted) / AC2 (weighted) agreement coefficient.

    ``p_e = T_w / (q (q-1)) sum_k pi_k (1 - pi_k)`` (Gwet 2008, eq. 14; 2014, eq.
    5.5), ``T_w`` the sum of the weights. Missing ratings and the linearised
    variance as in Gwet (2014) / irrCAC's ``gwet.ac1.raw``: t interval with n-1
    df, upper limit capped at 1, two-sided t test against 0 (irrCAC's documented output). Pass the scale's
    ``categories`` so that unused levels count in ``q``.
    """
    est = _cac_public("gwet_ac", "ac", data, subject, rater, score, weights, categories, ci)
    est.name = "gwet_ac1" if _weights_name(weights) == "unweighted" else "gwet_ac2"
    return est


# ---------------------------------------------------------------------------
# Cohen's kappa (two raters), Fleiss, Cohen & Everitt (1969) standard errors
# ---------------------------------------------------------------------------

def _cohen(cd: _Coded, W: np.ndarray, ci: float) -> dict[str, np.ndarray]:
    G, q = cd.G, len(cd.categories)
    gr = cd.ug[cd.u]
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
    _add_note(notes, n == 0, "no subject was rated by both raters")
    _add_note(notes, const & (n > 0), "no variance in scores: every rating falls in the same category")
    kappa = np.where(const, np.nan, kappa)
    zq = stats.norm.ppf(0.5 + ci / 2)
    pval = np.where(np.isfinite(z), 2 * stats.norm.sf(np.abs(z)), np.nan)
    return dict(value=kappa, se=np.where(np.isfinite(kappa), se, np.nan), ci_low=kappa - zq * se,
                ci_high=kappa + zq * se, pval=pval, n_subjects=n.astype(int), note=notes, se0=se0, z=z,
                po=po, pe=pe)


def cohen_kappa(data: pd.DataFrame, *, subject: str, rater: str, score: str,
                categories: Sequence[Any] | None = None, weights: str | np.ndarray | None = None,
                ci: float = 0.95) -> Estimate:
    """Cohen's (1960) kappa and weighted kappa (Cohen 1968) for two raters.

    Uses the subjects rated by both raters. ``weights``: None, "linear",
    "quadratic" (see :func:`weight_matrix`) or a q x q agreement-weight matrix
    (1 = full agreement).

    Uncertainty (Fleiss, Cohen & Everitt 1969, eqs. 13-14): ``se`` is the large-sample
    standard error used for the normal confidence interval; ``se0`` the standard error
    under kappa = 0, with ``z = kappa / se0`` and a two-sided ``pval`` (as SAS PROC
    FREQ and R irr's ``kappa2``).
    """
    cd = _code(data, subject, rater, score, categorical=True, categories=categories)
    nr = int(_n_raters(cd)[0])
    if nr != 2:
        if nr < 2:
            return Estimate("cohen_kappa", n_raters=nr, note="Cohen's kappa needs two raters; found one")
        raise ValueError(f"cohen_kappa needs exactly two raters in column {rater!r}, found {nr}; use "
                         "conger_kappa or fleiss_kappa for more")
    W = weight_matrix(weights, cd.categories)
    res = _cohen(cd, W, ci)
    cd_note = _missing_note(cd)
    m = np.bincount(cd.u, minlength=cd.U)
    single = int((m == 1).sum())
    if single:
        cd_note = (cd_note + "; " if cd_note else "") + f"{single} subjects rated by one rater only were left out"
    est = _estimate("cohen_kappa", res, 0, nr, extra_keys=("se0", "z", "po", "pe"), note=cd_note)
    est.extra["weights"] = _weights_name(weights)
    return est


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
    vcodes, vals = _value_codes(cd.x)
    V = len(vals)
    out = dict(n=n, M=M, V=V, vals=vals)
    dense = V <= _DENSE_V and (need_cells or level in ("nominal", "ratio"))
    if not dense:
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
        N = np.bincount(cd.u * V + vcodes, minlength=cd.U * V).reshape(cd.U, V).astype(float)
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


def _alpha_result(cd: _Coded, level: str, ci: float, n_boot: int, seed, bootstrap: str) -> dict[str, np.ndarray]:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    core = _alpha_core(cd, level, need_cells=bool(n_boot and n_boot > 0))
    core["raters"] = _n_raters(cd).astype(float)
    G = cd.G
    alpha = core["alpha"]
    notes = _notes(G)
    n = core["n"]
    _add_note(notes, n < 2, "no subject was rated by two or more raters")
    nodis = (n >= 2) & ~(core["De"] > 0)
    _add_note(notes, nodis, "no variance in scores: expected disagreement is zero")
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
                    raise ValueError(f"bootstrap='hayes' with by= needs at most {_DENSE_V} distinct score values")
                boot = _hayes_sparse(cd, core, level, n_boot, rng)
            else:
                boot = _hayes_bootstrap(core, n_boot, rng)
        elif bootstrap == "subjects":
            if G > 1:
                raise ValueError("bootstrap='subjects' is available without by=; use bootstrap='hayes' per group")
            boot = _subject_bootstrap(cd, core, level, n_boot, rng)
        else:
            raise ValueError("bootstrap must be 'hayes' or 'subjects'")
        a = 0.5 - ci / 2
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
                       categories: Sequence[Any] | None = None, ci: float = 0.95, n_boot: int = 1000,
                       seed: int | np.random.Generator | None = None, bootstrap: str = "hayes") -> Estimate:
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
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    cd = _alpha_coded(data, subject, rater, score, level, categories, by=None)
    res = _alpha_result(cd, level, ci, n_boot, seed, bootstrap)
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


# ---------------------------------------------------------------------------
# Intraclass correlations
# ---------------------------------------------------------------------------

# a sum of squares below this share of the total sum of squares is roundoff of an exact 0
_ZERO_SS = 1e-12


def _icc_core(cd: _Coded, ci: float) -> dict[str, np.ndarray]:
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
    gr = ug[u]
    m = np.bincount(u, minlength=cd.U).astype(float)
    has = m > 0
    Nn = _gsum(gr, None, G)
    n1 = _gsum(ug, has.astype(float), G)
    mu = _gsum(gr, x, G) / np.where(Nn > 0, Nn, 1)
    xc = x - mu[gr]                                     # centred: no cancellation
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
    # two-way on complete blocks
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
        a = 0.5 - ci / 2
        # one-way limits with k0 (equals k when balanced)
        f1l = F1 / stats.f.ppf(1 - a, df_b, df_w)
        f1u = F1 * stats.f.ppf(1 - a, df_w, df_b)
        l1, u1 = (f1l - 1) / (f1l + k0 - 1), (f1u - 1) / (f1u + k0 - 1)
        l1k, u1k = 1 - 1 / f1l, 1 - 1 / f1u
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
        # with a zero error mean square the F-based limits of ICC1/ICC3 degenerate to (1, 1)
        l1, u1, l1k, u1k = (np.where(w0 & (msb > 0), 1.0, t) for t in (l1, u1, l1k, u1k))
        l3, u3, l3k, u3k = (np.where(e0 & (MSB > 0), 1.0, t) for t in (l3, u3, l3k, u3k))
        # ... and of ICC2 too when the raters' mean square is 0 as well (perfect agreement)
        j0 = e0 & (MSB > 0) & (ssc <= _ZERO_SS * sst)
        l2, u2_, l2k, u2k = (np.where(j0, 1.0, t) for t in (l2, u2_, l2k, u2k))
    notes1, notes2 = _notes(G), _notes(G)
    _add_note(notes1, n1 < 2, "fewer than two subjects")
    _add_note(notes1, (n1 >= 2) & (df_w <= 0), "no subject was rated by two or more raters")
    _add_note(notes1, (df_w > 0) & (df_b > 0) & ~(msb + msw > 0), "no variance in scores")
    dropped = n1 - n
    mmax = np.zeros(G)
    mmin = np.full(G, np.inf)
    np.maximum.at(mmax, ug[has], m[has])
    np.minimum.at(mmin, ug[has], m[has])
    for i in range(G):
        if n[i] < 2 or k[i] < 2:
            notes2[i] = (f"two-way ICCs need subjects rated by all {int(k[i])} raters; {int(n[i])} of "
                         f"{int(n1[i])} subjects are (raters are not crossed with subjects)")
        elif dropped[i] > 0:
            notes2[i] = (f"two-way ICCs use the {int(n[i])} of {int(n1[i])} subjects rated by all "
                         f"{int(k[i])} raters ({int(dropped[i])} left out)")
        if (mmax[i] != mmin[i] or dropped[i] > 0) and np.isfinite(k0[i]) and n1[i] >= 2:
            t = (f"one-way ICCs use all {int(n1[i])} subjects with unequal numbers of ratings "
                 f"({int(mmin[i])} to {int(mmax[i])}; k0 = {k0[i]:.3g})" if mmax[i] != mmin[i] else
                 f"one-way ICCs use all {int(n1[i])} subjects ({int(mmax[i])} ratings each)")
            notes1[i] = t if not notes1[i] else notes1[i] + "; " + t
    _add_note(notes1, w0 & (msb > 0) & (n1 >= 2) & (df_w > 0),
              "within-subject mean square is 0 (every subject's ratings agree): F = inf, p = 0, CI (1, 1)")
    _add_note(notes2, e0 & (MSB > 0) & (n >= 2) & (k >= 2),
              "error mean square is 0 (raters differ at most by a constant): F = inf, p = 0, ICC3 CI (1, 1)")
    ok2 = (n >= 2) & (k >= 2) & (MSB + MSE > 0)
    _add_note(notes2, (n >= 2) & (k >= 2) & ~(MSB + MSE > 0), "no variance in scores")
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


def icc(data: pd.DataFrame, *, subject: str, rater: str, score: str, ci: float = 0.95) -> pd.DataFrame:
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
    """
    cd = _code(data, subject, rater, score, numeric=True)
    core = _icc_core(cd, ci)
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


# ---------------------------------------------------------------------------
# Kendall's W
# ---------------------------------------------------------------------------

def _kendall_core(cd: _Coded, correct_ties: bool) -> dict[str, np.ndarray]:
    """Kendall & Babington Smith (1939) W, tie-corrected (Kendall 1948, eq. 6.20).

    Subjects rated by every rater of the group only (listwise, as R irr's
    ``kendall``). Each rater's scores are ranked across subjects (mid-ranks);
    ``W = 12 S / (m^2 (n^3 - n) - m T)``, ``S = sum_i (R_i - Rbar)^2``,
    ``T = sum_raters sum_ties (t^3 - t) / m`` (0 without correction);
    ``chi2 = m (n - 1) W`` on n - 1 df.
    """
    G = cd.G
    m_u = np.bincount(cd.u, minlength=cd.U)
    nr = _n_raters(cd)
    full = (m_u == nr[cd.ug]) & (m_u >= 2)
    keep = full[cd.u]
    u, r, x = cd.u[keep], cd.r[keep], cd.x[keep]
    gr = cd.ug[u]
    n = _gsum(cd.ug, full.astype(float), G)
    mm = nr.astype(float)
    gkey, _ = _codes(gr * cd.R + r)
    ranks = pd.Series(x).groupby(gkey).rank(method="average").to_numpy()
    Ri = np.bincount(u, weights=ranks, minlength=cd.U)
    Rbar = mm * (n + 1) / 2
    S = _gsum(cd.ug, np.where(full, (Ri - Rbar[cd.ug]) ** 2, 0.0), G)
    T = np.zeros(G)
    if correct_ties and x.size:
        vc, _ = pd.factorize(x)
        tie, Kt = _codes(gkey * (vc.max(initial=0) + 1) + vc)
        t = np.bincount(tie, minlength=Kt).astype(float)
        tg = np.zeros(Kt, dtype=np.int64)
        tg[tie] = gr
        T = _gsum(tg, t**3 - t, G)
    with np.errstate(divide="ignore", invalid="ignore"):
        W = 12 * S / (mm**2 * (n**3 - n) - mm * T)
        chi2 = mm * (n - 1) * W
        p = stats.chi2.sf(chi2, n - 1)
    notes = _notes(G)
    n_all = _gsum(cd.ug, (m_u > 0).astype(float), G)
    for i in np.flatnonzero((n < n_all) & (n >= 2)):
        notes[i] = f"{int(n_all[i] - n[i])} of {int(n_all[i])} subjects not rated by every rater were left out"
    _add_note(notes, n < 2, "fewer than two subjects rated by all raters (raters not crossed with subjects)")
    _add_note(notes, (n >= 2) & (mm < 2), "fewer than two raters")
    nov = (n >= 2) & (mm >= 2) & ~np.isfinite(W)
    _add_note(notes, nov, "no variance in scores")
    ok = (n >= 2) & (mm >= 2) & np.isfinite(W)
    nan = np.full(G, np.nan)
    return dict(value=np.where(ok, W, np.nan), se=nan, ci_low=nan.copy(), ci_high=nan.copy(),
                pval=np.where(ok, p, np.nan), n_subjects=n.astype(int), note=notes,
                chi2=np.where(ok, chi2, np.nan), df=np.where(ok, n - 1, np.nan), ties=T)


def kendall_w(data: pd.DataFrame, *, subject: str, rater: str, score: str, correct_ties: bool = True) -> Estimate:
    """Kendall's coefficient of concordance W with its chi-square test.

    See :func:`_kendall_core` for the formula (Kendall 1948; tie correction as R
    irr's ``kendall(correct=TRUE)``). Subjects not rated by every rater are dropped
    (noted). Extras: ``chi2``, ``df``.
    """
    cd = _code(data, subject, rater, score, numeric=True)
    res = _kendall_core(cd, correct_ties)
    return _estimate("kendall_w", res, 0, _n_raters(cd)[0], extra_keys=("chi2", "df"), note=_missing_note(cd))


# ---------------------------------------------------------------------------
# agreement(): every suitable coefficient, per group, one pass
# ---------------------------------------------------------------------------

_NESTED_NOTE = ("raters rate fewer than two subjects each (raters nested in subjects): Conger's "
                "per-rater chance agreement is not estimable; see Fleiss' kappa")
_LEVEL_WEIGHTS = {"nominal": None, "ordinal": "linear", "interval": "quadratic", "ratio": "quadratic"}
_MAX_CATEGORIES = 50


def agreement(data: pd.DataFrame, *, subject: str, rater: str, score: str, level: str = "nominal",
              by: str | Sequence[str] | None = None, categories: Sequence[Any] | None = None,
              ci: float = 0.95, n_boot: int = 1000, seed: int | None = 0,
              weights: str | np.ndarray | None = "auto") -> pd.DataFrame:
    """Every agreement coefficient that suits the level of measurement, per group.

    Parameters
    ----------
    level : {"nominal", "ordinal", "interval", "ratio"}
        Nominal: percent agreement, Fleiss' kappa, Conger's kappa, Brennan-Prediger,
        Gwet's AC1, Krippendorff's alpha (and Cohen's kappa when every group has
        exactly two raters). Conger's kappa is reported as not estimable (nan, with the
        reason) in groups whose raters rate fewer than two subjects each on average
        (raters nested in subjects, as peers and the public in 360-degree ratings). Ordinal adds Kendall's W and uses linear weights for
        the kappa family (AC2); interval and ratio use quadratic weights and add the
        six ICCs. ``weights`` overrides the level's default weights.
    by : column name or list, optional
        Groups (e.g. ``["item"]`` or ``["rater_role"]``): computed for all groups in
        one vectorized pass (subjects are coded within groups, every sum is a
        grouped sum).
    categories : sequence, optional
        The scale's full ordered list of levels (needed when a level is never used).
        Without it, the observed values; with more than 50 distinct values the
        categorical coefficients are reported as nan with a note.
    n_boot, seed : int
        Bootstrap replicates for Krippendorff's alpha (Hayes & Krippendorff 2007),
        drawn for all groups at once; the fixed default seed keeps reports
        reproducible. ``n_boot=0`` reports alpha without an interval. That bootstrap
        caps its draws at ``25 q`` value pairs (see :func:`krippendorff_alpha`), so
        for large groups its interval is wider than the sampling error; use
        ``krippendorff_alpha(..., bootstrap="subjects")`` for one group when that matters.

    Returns
    -------
    DataFrame with one row per group and coefficient: the ``by`` columns,
    ``coefficient, weights, value, se, ci_low, ci_high, pval, n_subjects,
    n_raters, n_ratings, scale, label_id, label_en, note``. ``scale`` names the
    interpretation benchmark (Landis & Koch 1977 for kappa-type coefficients, Koo &
    Li 2016 for ICCs, Krippendorff's 0.667 / 0.800 for alpha); ``label_id`` /
    ``label_en`` the band in Indonesian / English.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    by_list = [by] if isinstance(by, str) else list(by or [])
    require_columns(data, [subject, rater, score, *by_list], what="ratings")
    wts = _LEVEL_WEIGHTS[level] if isinstance(weights, str) and weights == "auto" else weights
    wname = _weights_name(wts)
    sc = data[score]
    is_num = pd.api.types.is_numeric_dtype(sc.dtype) and not isinstance(sc.dtype, pd.CategoricalDtype)
    frames: list[pd.DataFrame] = []
    cat_note = ""
    # one coding of the table serves every coefficient
    if level in ("interval", "ratio") or (is_num and categories is None):
        base = _code(data, subject, rater, score, by=by_list, numeric=True,
                     categorical=categories is not None, categories=categories)
        if base.c is None:
            vc, vals = _value_codes(base.x)
            if len(vals) <= _MAX_CATEGORIES:
                base.c, base.categories = vc, [_py(v) for v in vals]
            else:
                cat_note = (f"{len(vals)} distinct scores: categorical coefficients need a categorical "
                            "scale (pass categories=)")
    else:
        base = _code(data, subject, rater, score, by=by_list, categorical=True, categories=categories)
        vals = _category_values(base.categories)
        # ordinal alpha and Kendall's W use ranks only; label scales are coded 1..q
        base.x = (np.arange(1.0, len(base.categories) + 1) if level == "ordinal" else vals)[base.c]
    cdc = base if base.c is not None else None
    G = base.G
    nr = _n_raters(base)
    m_u = np.bincount(base.u, minlength=base.U)
    n_ratings = _gsum(base.ug, m_u.astype(float), G).astype(int)
    groups = base.groups if base.groups is not None else pd.DataFrame(index=range(1))

    def emit(name: str, res: dict[str, np.ndarray], scale: str | None, weights_label: str = "",
             n_raters: np.ndarray | None = None) -> None:
        df = groups.copy().reset_index(drop=True)
        df["coefficient"] = name
        df["weights"] = weights_label
        for col in ("value", "se", "ci_low", "ci_high", "pval"):
            df[col] = np.asarray(res[col], dtype=float)
        df["n_subjects"] = np.asarray(res["n_subjects"], dtype=int)
        df["n_raters"] = (nr if n_raters is None else n_raters).astype(int)
        df["n_ratings"] = n_ratings
        if scale:
            labs = [interpret(v, scale) for v in df["value"]]
            df["scale"] = _SCALES[scale][0]
            df["label_id"] = [a for a, _ in labs]
            df["label_en"] = [b for _, b in labs]
        else:
            df["scale"] = ""
            df["label_id"] = ""
            df["label_en"] = ""
        df["note"] = list(res["note"])
        frames.append(df)

    def nan_rows(name: str, note: str, scale: str | None, weights_label: str = "") -> None:
        nan = np.full(G, np.nan)
        emit(name, dict(value=nan, se=nan, ci_low=nan, ci_high=nan, pval=nan,
                        n_subjects=np.zeros(G, int), note=np.full(G, note, dtype=object)), scale, weights_label)

    # kappa family
    kinds = [("percent", "percent_agreement", None), ("fleiss", "fleiss_kappa", "landis_koch"),
             ("conger", "conger_kappa", "landis_koch"), ("bp", "brennan_prediger", "landis_koch"),
             ("ac", "gwet_ac1" if wname == "unweighted" else "gwet_ac2", "landis_koch")]
    if cdc is not None:
        W = weight_matrix(wts, cdc.categories)
        # Conger's chance agreement rests on each rater's own distribution of scores; when
        # raters rate fewer than two subjects each on average (raters nested in subjects,
        # as peers and the public in 360-degree ratings) it is not estimable
        per_rater = n_ratings / np.maximum(nr, 1)
        nested = per_rater < 2
        for kind, name, scale in kinds:
            if kind == "conger" and nested.all():
                nan_rows(name, _NESTED_NOTE, scale, wname)
                continue
            res = _cac(cdc, kind, np.eye(len(cdc.categories)) if kind == "percent" else W, ci)
            if kind == "conger" and nested.any():
                for key in ("value", "se", "ci_low", "ci_high", "pval"):
                    res[key] = np.where(nested, np.nan, res[key])
                _add_note(res["note"], nested, _NESTED_NOTE)
            emit(name, res, scale, "unweighted" if kind == "percent" else wname)
        if np.all(nr == 2):
            emit("cohen_kappa", _cohen(cdc, W, ci), "landis_koch", wname)
    else:
        for kind, name, scale in kinds:
            nan_rows(name, cat_note, scale, "unweighted" if kind == "percent" else wname)
    # Krippendorff's alpha
    try:
        res = _alpha_result(base, level, ci, n_boot, seed, "hayes")
    except ValueError as exc:
        res = _alpha_result(base, level, ci, 0, seed, "hayes")
        _add_note(res["note"], np.ones(G, bool), str(exc))
    emit("krippendorff_alpha", res, "krippendorff", level)
    if level != "nominal":
        emit("kendall_w", _kendall_core(base, True), None, "")
    if level in ("interval", "ratio"):
        core = _icc_core(base, ci)
        for name in ICC_TYPES:
            emit(name, core[name], "koo_li", "")
    out = pd.concat(frames, ignore_index=True)
    if base.n_missing:
        # every frame holds the G groups in group order
        per_group = (base.missing_by_group if base.missing_by_group is not None
                     else np.full(G, base.n_missing))[np.tile(np.arange(G), len(frames))]
        out["note"] = [n_ if not k else (n_ + "; " if n_ else "") + f"{k} rows with a missing score ignored"
                       for n_, k in zip(out["note"], per_group)]
    return out.reset_index(drop=True)

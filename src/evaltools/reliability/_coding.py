"""Coding of long-format ratings into grouped integer arrays; weights and interpretation scales."""
from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evaltools._errors import DataError, require_columns


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


def _conf_level(alpha: float, ci: float | None, func: str) -> float:
    """The confidence level ``1 - alpha`` of an interval; ``ci=`` (the level itself) is the
    deprecated spelling, used as given so results do not move by a rounding."""
    if ci is not None:
        warnings.warn(f"{func}(ci=...) is deprecated: pass alpha={1 - ci:g} (the significance level) instead",
                      DeprecationWarning, stacklevel=3)
        conf = float(ci)
    else:
        conf = 1.0 - float(alpha)
    if not 0 < conf < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {1 - conf:g}")
    return conf


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

    Examples
    --------
    >>> interpret(0.72, "landis_koch")
    ('kuat', 'substantial')
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

    Examples
    --------
    >>> weight_matrix("linear", [1, 2, 3])
    array([[1. , 0.5, 0. ],
           [0.5, 1. , 0.5],
           [0. , 0.5, 1. ]])
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


def _codes(values: pd.Series | np.ndarray, owned: bool = False) -> tuple[np.ndarray, int]:
    """Dense integer codes 0..K-1 (fast path for compact integer ids).

    ``owned``: ``values`` is a scratch array of the caller, which may come back as the codes.
    """
    if isinstance(values, pd.Series) and not pd.api.types.is_integer_dtype(values.dtype):
        # strings and other labels: factorize natively (no conversion to Python objects)
        codes, uniq = pd.factorize(values)
        return codes.astype(np.int64, copy=False), len(uniq)
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.dtype.kind in "iu" and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo < 4 * arr.size + 1024:
            # compact integer ids: offset + relabel present ids without hashing
            off = arr.astype(np.int64, copy=False) if lo == 0 else (arr - lo).astype(np.int64, copy=False)
            present = np.bincount(off, minlength=hi - lo + 1) > 0
            if present.all():   # every id in the range occurs: the offsets are the codes
                return (off.copy() if off is arr and not owned else off), int(present.size)
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
    x_all = None
    if categorical:
        if categories is not None:
            cats = list(categories)
            if len(set(cats)) != len(cats):
                raise ValueError("categories contain duplicates")
            if numeric and pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
                x_all = _numeric_scores(s, score)   # numbers already: the lookup below reads them too
            c_all = _small_int_lookup(s, cats, x_all)
            if c_all is None:
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
    if numeric and x_all is None:
        x_all = _numeric_scores(s, score)
    if x_all is not None:
        k2 = np.isfinite(x_all)
        keep = k2 if keep is None else keep & k2
    n_missing = int(len(data) - keep.sum())
    for col in (subject, rater, *by):
        if data[col].isna().any():
            row = int(np.flatnonzero(data[col].isna().to_numpy())[0])
            raise DataError("missing identifier (every rating needs a subject, a rater and its group)",
                            column=col, row=row)
    sub = _Columns(data, keep if n_missing else None)
    x = x_all[keep] if x_all is not None and n_missing else x_all
    c = c_all[keep] if c_all is not None and n_missing else c_all
    # groups: one code per combination of the by-columns
    groups = None
    if by:
        if len(by) == 1 and isinstance(data[by[0]].dtype, pd.CategoricalDtype):
            # categorical groups: dense codes in category order, the order factorize(sort=True) gives
            g, present = _cat_codes(data[by[0]], sub.keep)
            groups = pd.DataFrame({by[0]: np.asarray(data[by[0]].cat.categories[present])})
        elif len(by) == 1:
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
    scode, nS = sub.codes(subject)
    rcode, R = sub.codes(rater)
    if g is not None and G > 1:
        u = g * nS
        u += scode
        u, U = _codes(u, owned=True)
    else:
        u, U = scode, nS
    # one rating per (unit, rater): a repeat is a data error, not a statistic
    key = u * R
    key += rcode
    if U * R <= 4 * key.size + 1_000_000:
        dup_mask = None
        cnt = np.bincount(key, minlength=U * R)
        if cnt.max(initial=0) > 1:
            dup_mask = cnt[key] > 1
    else:
        # sorting is much faster than hashing here (in place: the key is rebuilt on failure,
        # where the mask is built)
        key.sort()
        dup_mask = None
        if (key[1:] == key[:-1]).any():
            key = u * R + rcode
            dup_mask = pd.Series(key).duplicated(keep=False).to_numpy()
    del key
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
    out = _Coded(u=u, r=rcode, ug=ug, G=G, U=U, R=R, x=x, c=c, categories=cats, groups=groups,
                 n_missing=n_missing, missing_by_group=miss_g)
    if g is not None and G > 1:
        out.cache["group"] = g   # each rating's group (= ug[u]), kept: the rater pairs need it
    return out


def _small_int_lookup(s: pd.Series, cats: list, x: np.ndarray | None = None) -> np.ndarray | None:
    """Position of each numeric score in ``cats`` (-1: missing or not a category) by table
    lookup, when the categories are distinct whole numbers in a short range (a rating
    scale such as 1..5); None otherwise. Equal to ``pd.Index(cats).get_indexer(s)``
    without hashing every score. ``x``: the scores as floats, when the caller has them.
    """
    if not (pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
            and not isinstance(s.dtype, pd.CategoricalDtype)):
        return None
    if not cats or not all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
                           and math.isfinite(v) and float(v).is_integer() for v in cats):
        return None
    ints = np.array([int(v) for v in cats], dtype=np.int64)
    lo, span = int(ints.min()), int(ints.max() - ints.min())
    if span > 10_000:
        return None
    table = np.full(span + 2, -1, np.int64)        # the last slot: a score that is not a category
    table[ints - lo] = np.arange(len(ints))
    x = s.to_numpy(dtype=float, na_value=np.nan) if x is None else x
    # one integer array for the whole pass (a large temporary costs its page faults):
    # the scores in range, cast, then compared with the floats in the ufunc's buffered chunks
    slot = np.full(x.shape, lo + span + 1, np.int64)   # the sentinel slot: no category (nan too)
    np.copyto(slot, x, casting="unsafe", where=(x >= lo) & (x <= lo + span))
    slot[x != slot] = lo + span + 1                # 2.5 is no category of a 1..5 scale
    slot -= lo
    return np.take(table, slot, out=slot)


def _cat_codes(s: pd.Series, keep: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Dense 0..K-1 codes of a categorical column over the ``keep`` mask (None: all)
    and the positions of the categories present, in category order; the categorical's
    own codes are relabelled without hashing its labels."""
    codes = s.cat.codes.to_numpy()
    codes = (codes if keep is None else codes[keep]).astype(np.int64)
    present = np.bincount(codes, minlength=len(s.cat.categories)) > 0
    if present.all():
        return codes, np.arange(present.size)
    remap = np.cumsum(present) - 1
    return remap[codes], np.flatnonzero(present)


class _Columns:
    """The identifier columns of the kept ratings (no DataFrame copy: masked on use)."""

    def __init__(self, data: pd.DataFrame, keep: np.ndarray | None):
        self._data = data
        self.keep = keep
        self._rows: np.ndarray | None = None

    @property
    def rows(self) -> np.ndarray | None:
        """Positions of the kept ratings (built on first use: categorical ids need only the mask)."""
        if self._rows is None and self.keep is not None:
            self._rows = np.flatnonzero(self.keep)
        return self._rows

    def __getitem__(self, name: str) -> pd.Series:
        col = self._data[name]
        return col if self.rows is None else col.iloc[self.rows]

    def codes(self, name: str) -> tuple[np.ndarray, int]:
        """Dense codes of a column over the kept ratings and their number."""
        col = self._data[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            # ids as load_study gives them: the codes are already dense over the categories
            codes, present = _cat_codes(col, self.keep)
            return codes, int(present.size)
        return _codes(self[name])

    def row(self, i: int) -> int:
        return int(self.rows[i]) if self.rows is not None else int(i)


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
    """Sum of ``w`` (count when None; a 2-D ``w`` sums each column) per group ``ug``.

    Subjects are coded group by group, so ``ug`` is usually sorted with every group
    present: then the sums are contiguous segments (``np.add.reduceat``, all columns in
    one pass) instead of a scattered ``np.bincount``.
    """
    if G == 1:
        if w is None:
            return np.array([float(ug.size)])
        return np.array([float(np.sum(w))]) if w.ndim == 1 else w.sum(0)[None, :].astype(float)
    if w is None:
        return np.bincount(ug, minlength=G)[:G].astype(float)
    if ug.size and ug[0] == 0 and ug[-1] == G - 1 and bool(np.all(ug[1:] >= ug[:-1])):
        starts = np.searchsorted(ug, np.arange(G))
        if np.all(starts[1:] > starts[:-1]):
            return np.add.reduceat(w, starts, axis=0).astype(float, copy=False)
    if w.ndim == 2:
        return np.column_stack([np.bincount(ug, weights=w[:, k], minlength=G)[:G] for k in range(w.shape[1])])
    return np.bincount(ug, weights=w, minlength=G)[:G].astype(float)


def _n_raters(cd: _Coded) -> np.ndarray:
    """Distinct raters per group."""
    if cd.G == 1:
        # rater codes are dense over the kept ratings: R is the count
        return np.array([cd.R if cd.r.size else 0])
    _, pg = _rater_pairs(cd)
    return np.bincount(pg, minlength=cd.G)[: cd.G]


def _rating_groups(cd: _Coded) -> np.ndarray:
    """The group of each rating (``ug[u]``; kept from the coding when it had groups)."""
    return cd.cache["group"] if "group" in cd.cache else cd.ug[cd.u]


def _rater_pairs(cd: _Coded) -> tuple[np.ndarray, np.ndarray]:
    """(group, rater) pair code per rating and the group of each pair (cached)."""
    if "pairs" not in cd.cache:
        gr = _rating_groups(cd)
        key = gr * cd.R
        key += cd.r
        pair, P = _codes(key, owned=True)
        pg = np.zeros(P, dtype=np.int64)
        pg[pair] = gr
        cd.cache["pairs"] = (pair, pg)
    return cd.cache["pairs"]


def _notes(G: int) -> np.ndarray:
    return np.full(G, "", dtype=object)


def _add_note(notes: np.ndarray, mask: np.ndarray, text: str) -> None:
    for i in np.flatnonzero(mask):
        notes[i] = text if not notes[i] else notes[i] + "; " + text

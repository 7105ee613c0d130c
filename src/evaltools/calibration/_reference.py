"""Severities as contrasts with reference raters: the calibrated reference (a fixed point from
the shorth) and the split-half check of the standard errors."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats

from evaltools._distinct import unique_codes

from ._crossed import _CrossedFit


def _severity_scores(fit: "_CrossedFit", bfit: "_CrossedFit | None", n_rat: np.ndarray, *, alpha: float,
                     centre: str, min_ratings: int, severity_threshold: float,
                     se_scale: float = 1.0) -> dict[str, Any]:
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
            return -x_fx, np.sqrt(v_fx), -x_fx, se_scale * np.sqrt(v_fx)
        b, pev = bfit.contrast(ref)
        return -x_fx, np.sqrt(v_fx), -b, se_scale * np.sqrt(pev)

    note = ""
    ref = None if centre == "mean" else use
    sev_fx, se_model, sev, se = scores(ref)
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
    return {"severity_fixed": sev_fx, "se_model": se_model, "severity": sev, "se": se, "note": note,
            "ref": np.ones(fit.n_r, bool) if ref is None else np.asarray(ref, bool)}


def _split_half_factor(y: np.ndarray, s: np.ndarray, r: np.ndarray, nu: np.ndarray, n_r: int, groups: np.ndarray,
                       ref: np.ndarray, rho: float, use: np.ndarray) -> float:
    """How far the model's standard errors understate the rater estimates' real noise.

    The subjects are split in two halves; each half gives every rater a fixed-effect
    severity against the same reference raters. The true severity cancels in the
    difference of the two, so ``d = est_A - est_B`` has variance ``v_A + v_B`` when the
    model's variances are right: the factor is ``sqrt(sum d^2 / sum (v_A + v_B))`` over
    the raters with enough ratings in both halves (the split-half check of stated
    precision; cf. the Birge ratio, Birge 1932). Returns ``nan`` when fewer than 10
    raters can be compared.

    The halves are drawn from the data, not from the subjects' labels (:func:`_data_halves`):
    the labels are pseudonyms, and a split that followed their order made the factor, and
    with it the flags, change with the pseudonymization key.
    """
    half = _data_halves(y, s, r)
    est = np.full((2, n_r), np.nan)
    var = np.full((2, n_r), np.nan)
    nh = np.zeros((2, n_r))
    for h in (0, 1):
        m = half == h
        if not m.any():
            return math.nan
        r_lab, rh = unique_codes(r[m], n_r, return_inverse=True)
        _, sh = unique_codes(s[m], int(s.max()) + 1, return_inverse=True)
        _, nuh = unique_codes(nu[m], int(nu.max()) + 1, return_inverse=True)
        fit = _CrossedFit(y[m], sh, rh, nuh, int(sh.max()) + 1, len(r_lab), int(nuh.max()) + 1,
                          groups=groups[r_lab])
        x, v = fit.contrast(ref[r_lab])
        n_h = np.bincount(rh, minlength=len(r_lab))
        cells = np.bincount(unique_codes(rh.astype(np.int64) * (int(sh.max()) + 1) + sh,
                                         len(r_lab) * (int(sh.max()) + 1)) // (int(sh.max()) + 1),
                            minlength=len(r_lab))
        est[h, r_lab], nh[h, r_lab] = -x, n_h
        var[h, r_lab] = v * (1 + (n_h / np.maximum(cells, 1) - 1) * rho)
    ok = use & (nh.min(axis=0) >= 5) & np.isfinite(est).all(axis=0) & np.isfinite(var).all(axis=0)
    ok &= var.sum(axis=0) > 0
    if ok.sum() < 10:
        return math.nan
    d = est[0, ok] - est[1, ok]
    return math.sqrt(float(np.sum(d * d)) / float(np.sum(var[:, ok])))


def _data_halves(y: np.ndarray, s: np.ndarray, r: np.ndarray) -> np.ndarray:
    """0/1 per record: the half of its subject, alternating along an order of the subjects read from their data.

    Subjects are ranked by how many ratings they have, the sum and the sum of squares of
    their scores, and the scores weighted by each rating rater's number of ratings (each
    rounded to 9 significant digits, so that summation order cannot reorder equal sums);
    every other subject in that order forms one half. The split is therefore the same
    whatever the subjects and raters are called; only subjects equal on all four keys are
    told apart by their codes.

    Examples
    --------
    >>> y = np.array([1., 2, 3, 4, 5, 1, 2, 3])
    >>> s = np.array([0, 0, 1, 1, 2, 2, 3, 3]); r = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    >>> _data_halves(y, s, r).tolist() == _data_halves(y, 3 - s, 1 - r).tolist()
    True
    """
    n_s = int(s.max()) + 1 if len(s) else 0
    n_rat = np.bincount(r).astype(float)

    def key(w: np.ndarray | None) -> np.ndarray:
        v = np.bincount(s, weights=w, minlength=n_s)
        with np.errstate(divide="ignore", invalid="ignore"):
            mag = np.where(v != 0, 10.0 ** (np.floor(np.log10(np.abs(v))) - 8), 1.0)
        return np.round(v / mag) * mag

    order = np.lexsort((np.arange(n_s), key(y * n_rat[r]), key(y * y), key(y), key(None)))
    rank = np.empty(n_s, np.int64)
    rank[order] = np.arange(n_s)
    return (rank & 1)[s]


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


_REFERENCE_TEXT = {
    "calibrated": "severity 0 = the mean of the raters with enough ratings that are not flagged severe or lenient",
    "mean": "severity 0 = the mean rater",
    "median": "severity 0 = the median rater with enough ratings",
}

"""Central tendency and halo of raters from grouped sums."""
from __future__ import annotations

import math

import numpy as np

from evaltools._distinct import unique_codes

from ._crossed import _CrossedFit


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
    cell, cell_code = unique_codes(key, (int(r.max()) + 1) * (int(s.max()) + 1), return_inverse=True)
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


def _spread_and_halo(yi: np.ndarray, fit: "_CrossedFit", s: np.ndarray, r: np.ndarray, n_r: int, has_item: bool,
                     halo_min_subjects: int, s2: float) -> dict[str, np.ndarray]:
    """Central tendency (``sd_ratio``) and halo (``mean_item_corr``, ``halo``, ``item_sd_ratio``)."""
    # spread after removing item difficulty, so a rater who scores only hard items
    # is not mistaken for a narrow one
    sd_r, _ = _grouped_sd(yi, r, n_r)
    # the spread a typical rater would show on this rater's subjects: the variance of
    # the subjects' fitted levels over the rater's ratings plus the residual variance
    sd_lvl, _ = _grouped_sd(fit.a[s], r, n_r)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd_ratio = sd_r / np.sqrt(sd_lvl ** 2 + s2)
    if has_item:
        mic, m_sub, item_sd_ratio = _halo_index(yi, s, r, n_r)
        mic = np.where(m_sub >= halo_min_subjects, mic, np.nan)
    else:
        mic = item_sd_ratio = np.full(n_r, np.nan)
    pool_mic = np.nanmedian(mic) if np.isfinite(mic).any() else np.nan
    return {"sd_ratio": sd_ratio, "mean_item_corr": mic, "halo": mic - pool_mic, "item_sd_ratio": item_sd_ratio}

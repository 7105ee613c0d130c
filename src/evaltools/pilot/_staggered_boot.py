"""Multiplier bootstrap of the staggered DiD (R ``did``'s ``mboot``): Mammen (1993) weights
applied to the influence-function matrix in one matrix product per chunk."""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

# R did: a standard error at or below sqrt(machine eps) * 10 is reported as NA
_TINY_SE = math.sqrt(np.finfo(float).eps) * 10
# Mammen (1993) two-point multipliers: mean 0, variance 1, third moment 1
_KAPPA = (math.sqrt(5.0) + 1.0) / 2.0
_MAMMEN_P = _KAPPA / math.sqrt(5.0)
_MAMMEN_LO = 1.0 - _KAPPA
_MAMMEN_HI = _KAPPA


def _mammen_products(M: np.ndarray, n_boot: int, rng: np.random.Generator, chunk_bytes: int = 16 << 20):
    """M @ V for a units-by-draws matrix V of Mammen multipliers, built in row chunks.

    Equivalent to R did's ``run_multiplier_bootstrap``: one matrix product of the
    influence functions with the multipliers, never a loop over draws. With
    V = lo + (hi - lo) * B for B ~ Bernoulli(1 - p), M @ V = lo * M @ 1 + (hi - lo) * M @ B,
    so each chunk needs only 32 random bits and a 0/1 matrix per multiplier.
    """
    r, n = M.shape
    acc = np.zeros((n_boot, r))
    thr = np.uint32(round(_MAMMEN_P * 2.0 ** 32))
    step = max(1, chunk_bytes // (8 * max(n_boot, 1)))
    buf = np.empty((min(step, n), n_boot))
    for j0 in range(0, n, step):
        j1 = min(n, j0 + step)
        m = j1 - j0
        raw = rng.bit_generator.random_raw((m * n_boot + 1) // 2).view(np.uint32)[: m * n_boot]
        np.greater_equal(raw.reshape(m, n_boot), thr, out=buf[:m], casting="unsafe")
        acc += buf[:m].T @ M[:, j0:j1].T
    return _MAMMEN_LO * M.sum(axis=1)[:, None] + (_MAMMEN_HI - _MAMMEN_LO) * acc.T


def _boot_stats(bsum: np.ndarray, n: int, alpha: float):
    """Bootstrap SEs and the sup-t critical value, as R did's ``mboot``.

    ``bsum`` holds sum_i IF_i v_i per column and draw; R's bres = sqrt(n) * mean.
    SE is the interquartile range over 1.349 divided by sqrt(n); the simultaneous
    critical value is the 1 - alpha quantile (type 1) of max_k |bres_k / sigma_k|.
    """
    bres = bsum / math.sqrt(n)
    ok = np.isfinite(bres).all(axis=1) & ((bres ** 2).sum(axis=1) > _TINY_SE)
    q75, q25 = np.quantile(bres, [0.75, 0.25], axis=1, method="inverted_cdf")
    sigma = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    sigma = np.where(ok & (sigma > _TINY_SE), sigma, np.nan)
    se = sigma / math.sqrt(n)
    crit = math.nan
    if np.isfinite(sigma).any():
        with np.errstate(invalid="ignore", divide="ignore"):
            tmax = np.nanmax(np.abs(bres[np.isfinite(sigma)] / sigma[np.isfinite(sigma), None]), axis=0)
        tmax = tmax[np.isfinite(tmax)]
        if len(tmax):
            crit = float(np.quantile(tmax, 1 - alpha, method="inverted_cdf"))
    return se, crit

"""Rater severity per period and its change (rater_drift)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.stats

from evaltools._multitest import adjust_pvalues

from ._crossed import _CrossedFit, _clean, _codes
from ._effects import _role_blocks, rater_effects

# drift compares one rater's periods on the score scale with model SEs (its own z test
# is calibrated by simulation), so none of the cross-sectional refinements apply
_AS_SCORED = {"latent": False, "by_role": False, "calibrate_se": False, "flag_level": 0.5}


def _p_adjust(p: np.ndarray, method: str) -> np.ndarray:
    """Holm (1979) or Benjamini & Hochberg (1995) adjusted p-values (``nan`` entries left
    out, as R's ``p.adjust``), by :func:`evaltools._multitest.adjust_pvalues`; ``"none"`` keeps them."""
    if method == "none":
        return np.asarray(p, dtype=float).copy()
    if method not in ("holm", "bh", "fdr"):
        raise ValueError("adjust must be 'holm', 'bh' or 'none'")
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

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> s, r = np.repeat(np.arange(60), 4), np.tile(np.arange(8), 30)   # 8 raters, 4 per subject
    >>> d = pd.concat([pd.DataFrame({"s": s, "r": r, "p": p, "y": rng.normal(0, 1, 60)[s] + rng.normal(0, 0.3, s.size)
    ...                              - np.where((r == 0) & (p == 2), 1.5, 0.0)})       # rater 0 harsher in period 2
    ...                for p in (1, 2)])
    >>> dr = rater_drift(d, subject="s", rater="r", score="y", period="p")
    >>> dr.groupby(level="r")["drift"].any().pipe(lambda f: f[f].index.tolist())
    [0]
    >>> bool(dr.xs(0, level="r")["change"].iloc[-1] > 1.0)    # its change from period 1 to 2
    True
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
                               estimator="fixed", centre="mean", **_AS_SCORED)
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
                           role="_n", alpha=alpha, estimator="fixed", centre="mean", **_AS_SCORED)
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

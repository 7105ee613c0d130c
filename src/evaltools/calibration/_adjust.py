"""Severity-adjusted scores and agreement with expert (gold) ratings."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaltools._errors import DataError
from evaltools.reliability import weight_matrix

from ._crossed import _CrossedFit, _clean, _codes
from ._gtheory import gstudy
from ._effects import rater_effects
from ._predikat import predikat


# ---------------------------------------------------------------------------
# adjusted scores, anchor agreement, worklist
# ---------------------------------------------------------------------------

def _deciles(x: np.ndarray) -> np.ndarray:
    ranks = pd.Series(x).rank(method="first").to_numpy()
    n = np.isfinite(x).sum()
    return np.where(np.isfinite(x), np.ceil(ranks / max(n, 1) * 10).clip(1, 10), np.nan)


def adjusted_scores(data: pd.DataFrame, *, subject: str, rater: str, score: str, item: str | None = None,
                    method: str = "blup", hasil_item: str | None = "Hasil Kerja",
                    perilaku_item: str | None = "Perilaku Kerja", effects: pd.DataFrame | None = None,
                    ordinal_scale: float | str = "sd") -> pd.DataFrame:
    """Subject scores corrected for rater severity, and who changes decile or predikat.

    Parameters
    ----------
    data : DataFrame
        Ratings; rows of ``hasil_item``/``perilaku_item`` (ordinal codes 1..3, when the
        item column has them) are kept apart from the numeric items.
    method : {"blup", "fixed"}
        ``blup`` (default): Henderson's (1975) mixed-model equations with random subjects
        and raters and fixed items, variance ratios from :func:`gstudy`; the severity of
        a rater with few ratings shrinks toward 0. ``fixed``: the fixed-effect severities
        of :func:`rater_effects`. On simulated units the fixed correction over-corrects
        (the noise of severities estimated from 3-5 subjects enters every score they
        gave) and correlates less with the true scores than the raw mean does; the BLUP
        correction does not.
    effects : DataFrame, optional
        A precomputed :func:`rater_effects` table (its ``severity`` is used).
    ordinal_scale : "sd" or float
        How a severity on the numeric scale maps onto the 1..3 predikat scale:
        ``"sd"`` multiplies by SD(ordinal codes) / SD(numeric scores); a number is used
        as the factor.

    Returns
    -------
    DataFrame indexed by subject: ``raw_score`` (mean of the numeric ratings),
    ``adjusted_score`` (mean of score + severity of its rater), ``shift``,
    ``n_ratings``, ``raw_decile``, ``adjusted_decile``, ``decile_changed``, and when the
    two predikat items are present ``predikat_raw``, ``predikat_adjusted``,
    ``predikat_changed`` (plus ``hasil_adjusted``, ``perilaku_adjusted``).
    ``attrs["summary"]`` has ``n_subjects``, ``n_decile_changed``,
    ``n_predikat_changed`` and the method.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> s, r = np.repeat(np.arange(60), 4), np.tile(np.arange(8), 30)   # 8 raters, 4 per subject
    >>> y = rng.normal(0, 1, 60)[s] - np.where(r == 0, 1.0, 0.0) + rng.normal(0, 0.3, s.size)
    >>> adj = adjusted_scores(pd.DataFrame({"s": s, "r": r, "y": y}), subject="s", rater="r", score="y",
    ...                       method="fixed")
    >>> by0 = np.unique(s[r == 0])          # one of their 4 ratings came from the harsh rater 0
    >>> round(float(adj.loc[by0, "shift"].mean()), 2), round(float(adj.drop(by0)["shift"].abs().mean()), 2)
    (0.25, 0.0)
    """
    num, ordd, sev_map = _split_and_severities(data, subject=subject, rater=rater, score=score, item=item,
                                               method=method, hasil_item=hasil_item, perilaku_item=perilaku_item,
                                               effects=effects)
    sev_num = num[rater].map(sev_map).fillna(0.0).to_numpy()
    grp = num.groupby(subject, sort=True)
    raw = grp[score].mean()
    adj = pd.Series(num[score].to_numpy() + sev_num, index=num.index).groupby(num[subject]).mean()
    out = pd.DataFrame({"raw_score": raw, "adjusted_score": adj.reindex(raw.index)})
    out.index.name = subject
    out["shift"] = out["adjusted_score"] - out["raw_score"]
    out["n_ratings"] = grp.size().reindex(out.index).to_numpy()
    out["raw_decile"] = _deciles(out["raw_score"].to_numpy())
    out["adjusted_decile"] = _deciles(out["adjusted_score"].to_numpy())
    out["decile_changed"] = out["raw_decile"] != out["adjusted_decile"]
    n_pred = 0
    pred = _adjusted_predikat(num, ordd, sev_map, subject=subject, rater=rater, score=score, item=item,
                              hasil_item=hasil_item, perilaku_item=perilaku_item, ordinal_scale=ordinal_scale)
    if pred is not None:
        out = out.join(pred, how="outer")
        out["predikat_changed"] = (out["predikat_raw"].astype(object) != out["predikat_adjusted"].astype(object)) \
            & out["predikat_raw"].notna() & out["predikat_adjusted"].notna()
        n_pred = int(out["predikat_changed"].sum())
    out.attrs["summary"] = {"n_subjects": int(len(out)), "n_decile_changed": int(out["decile_changed"].sum()),
                            "n_predikat_changed": n_pred, "method": method}
    return out


def _split_and_severities(data: pd.DataFrame, *, subject: str, rater: str, score: str, item: str | None,
                          method: str, hasil_item: str | None, perilaku_item: str | None,
                          effects: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """The numeric and the ordinal ratings, and each rater's severity (``adjusted_scores``)."""
    if method not in ("fixed", "blup"):
        raise ValueError("method must be 'fixed' or 'blup'")
    d = _clean(data, [subject, rater, item], score)
    ordinal_items = [x for x in (hasil_item, perilaku_item) if x is not None]
    if item is not None and ordinal_items:
        is_ord = d[item].isin(ordinal_items).to_numpy()
    else:
        is_ord = np.zeros(len(d), dtype=bool)
    num = d[~is_ord].reset_index(drop=True)
    ordd = d[is_ord].reset_index(drop=True)
    if num.empty:
        raise DataError("no numeric ratings to estimate rater severity", column=score)
    if effects is not None:
        sev_map = effects["severity_fixed" if method == "fixed" and "severity_fixed" in effects else "severity"]
    elif method == "fixed":
        # corrections are in score points: the scores as they are, not the latent scale
        sev_map = rater_effects(num, subject=subject, rater=rater, score=score, item=item,
                                latent=False)["severity_fixed"]
    else:
        g = gstudy(num, subject=subject, rater=rater, score=score, item=item)
        s2e = float(g.loc["residual", "variance"])
        s2s = float(g.loc[subject, "variance"]) if subject in g.index else 0.0
        s2r = float(g.loc[rater, "variance"]) if rater in g.index else 0.0
        y = num[score].to_numpy()
        s, _ = _codes(num[subject])
        r, r_lab = _codes(num[rater])
        i = _codes(num[item])[0] if item is not None else np.zeros(len(num), dtype=np.int64)
        if s2s <= 0 or s2r <= 0:
            sev_map = pd.Series(0.0, index=r_lab)
        else:
            fit = _CrossedFit(y, s, r, i, int(s.max()) + 1, len(r_lab), int(i.max()) + 1,
                              lam_s=s2e / s2s, lam_r=s2e / s2r, want_cov=False)
            sev_map = pd.Series(-fit.rater, index=r_lab)
    return num, ordd, sev_map


def _adjusted_predikat(num: pd.DataFrame, ordd: pd.DataFrame, sev_map: pd.Series, *, subject: str, rater: str,
                       score: str, item: str | None, hasil_item: str | None, perilaku_item: str | None,
                       ordinal_scale: float | str) -> pd.DataFrame | None:
    """Each subject's predikat as rated and with the Hasil and Perilaku ratings corrected by
    their rater's severity (``adjusted_scores``); None without both ordinal items."""
    if not (len(ordd) and item is not None and hasil_item is not None and perilaku_item is not None):
        return None
    if ordinal_scale == "sd":
        sd_num = float(np.std(num[score].to_numpy(), ddof=1))
        sd_ord = float(np.std(ordd[score].to_numpy(), ddof=1)) if len(ordd) > 1 else 0.0
        factor = sd_ord / sd_num if sd_num > 0 else 0.0
    else:
        factor = float(ordinal_scale)
    o_sev = ordd[rater].map(sev_map).fillna(0.0).to_numpy() * factor
    y = ordd[score].to_numpy(dtype=float)
    adj = np.clip(np.rint(y + o_sev), 1, 3)
    is_h, is_p = (ordd[item] == hasil_item).to_numpy(), (ordd[item] == perilaku_item).to_numpy()
    if not (is_h.any() and is_p.any()):
        return None
    # one Hasil and one Perilaku rating per subject: the atasan's (mean if several), as grouped
    # sums over the subjects' codes (sorted as a groupby sorts them)
    s, s_lab = _codes(ordd[subject])
    n_s = len(s_lab)
    index = s_lab.rename(subject)

    def per_subject(mask: np.ndarray, v: np.ndarray) -> pd.Series:
        n = np.bincount(s[mask], minlength=n_s)
        with np.errstate(invalid="ignore", divide="ignore"):
            return pd.Series(np.rint(np.bincount(s[mask], v[mask], n_s) / n), index=index)

    hr, pr = per_subject(is_h, y), per_subject(is_p, y)
    ha, pa = per_subject(is_h, adj), per_subject(is_p, adj)
    return pd.DataFrame({"predikat_raw": predikat(hr, pr), "predikat_adjusted": predikat(ha, pa),
                         "hasil_adjusted": ha, "perilaku_adjusted": pa})


def adjusted_predikat(data: pd.DataFrame, *, subject: str, rater: str, score: str, item: str = "item",
                      method: str = "blup", hasil_item: str = "Hasil Kerja", perilaku_item: str = "Perilaku Kerja",
                      effects: pd.DataFrame | None = None, ordinal_scale: float | str = "sd") -> pd.DataFrame:
    """The predikat part of :func:`adjusted_scores` alone: each subject's predikat as rated
    and after the severity correction, without the numeric scores and deciles.

    The same severities and the same correction as :func:`adjusted_scores` (same
    parameters); for a report that only counts whose predikat would move.

    Returns
    -------
    DataFrame indexed by subject with ``predikat_raw``, ``predikat_adjusted``,
    ``hasil_adjusted``, ``perilaku_adjusted`` (no rows without both ordinal items).

    Examples
    --------
    Rater A scores every employee one point below rater B and gave the Hasil and
    Perilaku ratings; corrected by A's severity, the "Di Bawah" ratings move up:

    >>> import numpy as np, pandas as pd
    >>> s, r = np.repeat(np.arange(6), 2), np.tile(["A", "B"], 6)
    >>> loyal = pd.DataFrame({"s": s, "r": r, "item": "Loyal",
    ...                       "y": np.array([3.0, 4.0] * 3)[s] - (r == "A")})
    >>> skp = pd.DataFrame({"s": np.tile(np.arange(6), 2), "r": "A",
    ...                     "item": ["Hasil Kerja"] * 6 + ["Perilaku Kerja"] * 6, "y": [1.0, 2.0] * 6})
    >>> p = adjusted_predikat(pd.concat([loyal, skp]), subject="s", rater="r", score="y", method="fixed",
    ...                       ordinal_scale=1.0)
    >>> p["predikat_raw"].tolist()[:2], p["predikat_adjusted"].tolist()[:2]
    (['Sangat Kurang', 'Baik'], ['Baik', 'Baik'])
    """
    num, ordd, sev_map = _split_and_severities(data, subject=subject, rater=rater, score=score, item=item,
                                               method=method, hasil_item=hasil_item, perilaku_item=perilaku_item,
                                               effects=effects)
    pred = _adjusted_predikat(num, ordd, sev_map, subject=subject, rater=rater, score=score, item=item,
                              hasil_item=hasil_item, perilaku_item=perilaku_item, ordinal_scale=ordinal_scale)
    if pred is None:
        return pd.DataFrame({"predikat_raw": pd.Series(dtype="category"),
                             "predikat_adjusted": pd.Series(dtype="category"),
                             "hasil_adjusted": pd.Series(dtype=float), "perilaku_adjusted": pd.Series(dtype=float)})
    pred.index.name = subject
    return pred


def _weighted_kappa_by_group(a: np.ndarray, b: np.ndarray, g: np.ndarray, n_groups: int, cats: np.ndarray,
                             weights: str) -> np.ndarray:
    """Cohen's (1968) weighted kappa of (a, b) pairs per group, one bincount pass.

    ``kappa_w = 1 - sum(v * O) / sum(v * E)`` with disagreement weights
    ``v_jk = |x_j - x_k|`` (linear) or ``(x_j - x_k)^2`` (quadratic) on the category
    values (any weighting :func:`evaltools.reliability.weight_matrix` knows), ``O`` the
    observed and ``E`` the chance (product of margins) proportions.
    """
    k = len(cats)
    ia = np.searchsorted(cats, a)
    ib = np.searchsorted(cats, b)
    tab = np.bincount((g * k + ia) * k + ib, minlength=n_groups * k * k).reshape(n_groups, k, k).astype(float)
    # disagreement = 1 - agreement weight; kappa_w is invariant to the weights' scale, so the
    # reliability module's weights (normalized by the category span) give Cohen's kappa_w
    v = 1.0 - weight_matrix(None if weights in ("none", "unweighted") else weights, cats)
    n = tab.sum(axis=(1, 2))
    obs = np.einsum("gjk,jk->g", tab, v)
    exp = np.einsum("gj,gk,jk->g", tab.sum(axis=2), tab.sum(axis=1), v)
    with np.errstate(invalid="ignore", divide="ignore"):
        kap = 1 - obs / (exp / n)
    return np.where((n > 0) & (exp > 0), kap, np.nan)


def anchor_agreement(data: pd.DataFrame, gold: pd.DataFrame, *, subject: str, rater: str, score: str,
                     item: str | None = None, gold_score: str | None = None, categories: Sequence[float] | None = None,
                     weights: str = "quadratic", max_bias: float = 0.5, max_mae: float = 0.75,
                     min_kappa: float = 0.6) -> pd.DataFrame:
    """Each rater against expert (gold) ratings of a common calibration set.

    Parameters
    ----------
    data : DataFrame
        The raters' ratings of the calibration subjects.
    gold : DataFrame
        Expert-panel ratings with the ``subject`` (and ``item``) columns and
        ``gold_score`` (default: the same name as ``score``).
    categories : sequence of numbers, optional
        The scale's category values for kappa (default: values seen in either table).
    weights : {"quadratic", "linear", "unweighted"}
        Kappa disagreement weights (Cohen 1968).
    max_bias, max_mae, min_kappa : float
        Pass thresholds: ``|bias| <= max_bias``, ``mae <= max_mae``, ``kappa >= min_kappa``.

    Returns
    -------
    DataFrame indexed by rater: ``n``, ``bias`` (mean rater - gold; negative = harsher),
    ``mae``, ``kappa_w``, ``pass``, ``reason`` (thresholds missed).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "r": ["A", "B"] * 6,
    ...                   "x": [1, 1, 2, 2, 3, 2, 1, 1, 3, 3, 2, 1]})
    >>> gold = pd.DataFrame({"s": [1, 2, 3, 4, 5, 6], "x": [1, 2, 3, 1, 3, 2]})
    >>> anchor_agreement(d, gold, subject="s", rater="r", score="x")["bias"].round(3).tolist()
    [0.0, -0.333]
    """
    gold_score = gold_score or score
    keys = [subject] + ([item] if item is not None else [])
    d = _clean(data, [rater, *keys], score)
    gd = _clean(gold, keys, gold_score, what="gold")
    if gd.duplicated(keys).any():
        row = int(np.flatnonzero(gd.duplicated(keys).to_numpy())[0])
        raise DataError("duplicate gold rating for the same " + "/".join(keys), row=row, column=subject)
    gd = gd.rename(columns={gold_score: "_gold"})
    m = d.merge(gd, on=keys, how="inner")
    r_all = pd.Index(sorted(d[rater].unique()), name=rater)
    if m.empty:
        out = pd.DataFrame(index=r_all, columns=["n", "bias", "mae", "kappa_w", "pass", "reason"])
        out["reason"] = "no ratings of gold-rated subjects"
        return out
    r = r_all.get_indexer(m[rater])
    a = m[score].to_numpy(float)
    b = m["_gold"].to_numpy(float)
    n_r = len(r_all)
    cats = np.unique(np.r_[a, b]) if categories is None else np.asarray(sorted(categories), float)
    unknown = ~np.isin(np.r_[a, b], cats)
    if unknown.any():
        raise DataError(f"score {np.r_[a, b][unknown][0]!r} is not one of the categories {list(cats)}", column=score)
    n = np.bincount(r, minlength=n_r).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        bias = np.bincount(r, a - b, n_r) / n
        mae = np.bincount(r, np.abs(a - b), n_r) / n
    kap = _weighted_kappa_by_group(a, b, r, n_r, cats, weights)
    ok_b, ok_m, ok_k = np.abs(bias) <= max_bias, mae <= max_mae, kap >= min_kappa
    # the reasons as text, column-wise (string building, not a per-rater loop)
    parts = pd.DataFrame({
        "b": np.where(ok_b, "", pd.Series(np.abs(bias)).map(lambda v: f"|bias| {v:.2f} > {max_bias:g}")),
        "m": np.where(ok_m, "", pd.Series(mae).map(lambda v: f"MAE {v:.2f} > {max_mae:g}")),
        "k": np.where(ok_k, "", np.where(np.isfinite(kap),
                                         pd.Series(kap).map(lambda v: f"kappa {v:.2f} < {min_kappa:g}"),
                                         "kappa undefined (no variance)")),
    })
    reason = parts.apply(lambda c: c.where(c == "", c + "; ")).sum(axis=1).str.rstrip("; ")
    reason = np.where(n == 0, "no ratings of gold-rated subjects", reason)
    return pd.DataFrame({"n": n.astype(np.int64), "bias": bias, "mae": mae, "kappa_w": kap,
                         "pass": ok_b & ok_m & ok_k, "reason": reason}, index=r_all)

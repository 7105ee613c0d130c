"""Aggregations of ATT(g,t) (R ``did``'s ``aggte``): simple, by group, by event time
(the event study) and by calendar period, each with the influence-function standard error
including the term for estimated group shares (Callaway & Sant'Anna 2021, section 4)."""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaltools._results import Estimate
from evaltools.pilot._staggered_boot import _TINY_SE, _boot_stats

_AGG_TYPES = ("simple", "group", "dynamic", "calendar")


@dataclasses.dataclass
class AggregateResult(Estimate):
    """An aggregated ATT (overall value, SE, CI) with its per-key table.

    ``table`` has columns ``key, att, se, ci_low, ci_high`` (plus ``cband_low,
    cband_high`` with the bootstrap) where key is the group, event time or calendar
    period; it is ``None`` for the simple aggregation.
    """

    table: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
               if f.name not in ("name", "extra", "table")}
        row.update(self.extra)
        return pd.DataFrame([row], index=pd.Index([self.name], name="statistic"))

    def __str__(self) -> str:
        s = super().__str__()
        if self.table is not None:
            s += "\n" + self.table.to_string(index=False)
        return s


def aggregate_att(fit: Any, type: str, *, min_e: float = -math.inf, max_e: float = math.inf,
                  balance_e: int | None = None, se: bool = True) -> tuple[AggregateResult, np.ndarray | None]:
    """The aggregate and its cell weights a (value = a . att)."""
    if type not in _AGG_TYPES:
        raise ValueError(f"type must be one of {_AGG_TYPES}, got {type!r}")
    cells, tv = fit._cells, fit._panel.tvals
    K = len(fit._att)
    glist = fit._panel.glist
    g_of = np.searchsorted(glist, cells.g)
    t = tv[cells.c]
    g = cells.g
    valid = fit._valid
    att = np.where(valid, fit._att, 0.0)
    pg = fit._pg[g_of]
    post = (g <= t) & (t <= g + max_e)
    if not valid.any():
        return _empty(fit, type, "no ATT(g,t) cell is defined"
                           + (f" ({fit._panel.undefined})" if fit._panel.undefined else ""))
    notes = []
    if (~valid).any():
        notes.append(f"{int((~valid).sum())} ATT(g,t) cell(s) undefined and left out")
    keys, cols_a, cols_d, vals = [], [], [], []

    def add(key, which):
        w = pg[which] / pg[which].sum()
        a = np.zeros(K)
        a[which] = w
        d = _wif(fit, pg[which], att[which], g_of[which])
        keys.append(key)
        cols_a.append(a)
        cols_d.append(d)
        vals.append(float((w * att[which]).sum()))

    if type == "simple":
        which = np.flatnonzero(valid & post)
        if len(which) == 0:
            return _empty(fit, type, "no post-treatment ATT(g,t) cell is defined")
        add(None, which)
        A, Dm = np.array(cols_a).T, np.array(cols_d).T
        value = vals[0]
        a_all = A[:, 0]
    elif type == "group":
        gv_ok = []
        for j, gv in enumerate(glist):
            which = np.flatnonzero(valid & post & (g == gv))
            if len(which) == 0:
                continue
            w = np.full(len(which), 1.0 / len(which))
            a = np.zeros(K)
            a[which] = w
            keys.append(gv)
            cols_a.append(a)
            cols_d.append(np.zeros(len(glist)))
            vals.append(float((w * att[which]).sum()))
            gv_ok.append(j)
        if not keys:
            return _empty(fit, type, "no post-treatment ATT(g,t) cell is defined")
        A, Dm = np.array(cols_a).T, np.array(cols_d).T
        pgg = fit._pg[gv_ok]
        wg = pgg / pgg.sum()
        vg = np.array(vals)
        value = float((wg * vg).sum())
        a_all = A @ wg
        d_all = Dm @ wg + _wif(fit, pgg, vg, np.array(gv_ok))
    elif type == "dynamic":
        include = valid.copy()
        e_all = t - g
        tmin, tmax = tv[0], tv[-1]
        eseq = np.unique(e_all[valid])
        if balance_e is not None:
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - tmax + tmin)]
            include &= (tmax - g) >= balance_e
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        for e in eseq:
            which = np.flatnonzero(include & (e_all == e))
            if len(which):
                add(e, which)
        if not keys:
            return _empty(fit, type, "no event time has a defined ATT(g,t)")
        A, Dm = np.array(cols_a).T, np.array(cols_d).T
        epos = np.array(keys) >= 0
        if not epos.any():
            return _empty(fit, type, "no post-treatment event time")
        value = float(np.mean(np.array(vals)[epos]))
        a_all = A[:, epos].mean(axis=1)
        d_all = Dm[:, epos].mean(axis=1)
    else:
        tlist = np.unique(t[valid])
        tlist = tlist[tlist >= g[valid].min()]
        for t1 in tlist:
            which = np.flatnonzero(valid & post & (t == t1))
            if len(which):
                add(t1, which)
        if not keys:
            return _empty(fit, type, "no post-treatment ATT(g,t) cell is defined")
        A, Dm = np.array(cols_a).T, np.array(cols_d).T
        value = float(np.mean(vals))
        a_all = A.mean(axis=1)
        d_all = Dm.mean(axis=1)

    if not se:
        return AggregateResult(name=f"att_{type}", value=value), a_all
    if type == "simple":
        se_all, _ = _lin_se(fit, A, Dm)
        table = None
    else:
        se_k, crit = _lin_se(fit, A, Dm)
        se_all, _ = _lin_se(fit, a_all[:, None], d_all[:, None])
        vk = np.array(vals)
        z = fit._z
        if type == "dynamic":
            kcol = fit._etime(np.array(keys))
        else:
            kcol = fit._labels(np.array(keys))
        table = pd.DataFrame({"key": kcol, "att": vk, "se": se_k,
                              "ci_low": vk - z * se_k, "ci_high": vk + z * se_k})
        if fit._boot is not None:
            crit = fit._check_crit(crit)
            table["cband_low"] = vk - crit * se_k
            table["cband_high"] = vk + crit * se_k
    se = float(se_all[0])
    z = fit._z
    if fit._panel.notes and any("constant" in s for s in fit._panel.notes):
        notes.append("outcome is constant")
    pval = float(2 * stats.norm.sf(abs(value / se))) if np.isfinite(se) else math.nan
    if not np.isfinite(se):
        notes.append("standard error undefined (no variation in the influence function)")
    return AggregateResult(
        name=f"att_{type}", value=value, se=se, ci_low=value - z * se, ci_high=value + z * se,
        pval=pval, n_subjects=fit.n_units, note="; ".join(notes),
        extra={"type": type, "se_method": "bootstrap" if fit._boot is not None else "analytic"},
        table=table), a_all


def _empty(fit: Any, type: str, why: str) -> tuple[AggregateResult, None]:
    cols = ["key", "att", "se", "ci_low", "ci_high"]
    return AggregateResult(name=f"att_{type}", n_subjects=fit.n_units, note=why,
                           extra={"type": type},
                           table=None if type == "simple" else pd.DataFrame(columns=cols)), None


def _lin_se(fit: Any, A: np.ndarray, Dm: np.ndarray) -> tuple[np.ndarray, float]:
    """SEs of the aggregated influence functions IF'A + 1(G=g)'Dm (one column each)."""
    n = fit.n_units
    Dext = np.vstack([Dm, np.zeros((1, Dm.shape[1]))])
    inf = fit._IF.T @ A + Dext[fit._gidx]
    se = np.sqrt((inf ** 2).sum(axis=0)) / n
    se[~(se > _TINY_SE)] = np.nan
    crit = math.nan
    if fit._boot is not None:
        K = len(fit._att)
        bsum = A.T @ fit._boot[:K] + Dm.T @ fit._boot[K:]
        se_b, crit = _boot_stats(bsum, n, fit.alpha)
        se = np.where(np.isfinite(se), se_b, np.nan)
    return se, crit

def _wif(fit: Any, w_pg: np.ndarray, att: np.ndarray, g_of: np.ndarray) -> np.ndarray:
    """Group-indicator coefficients of the estimated-weights influence term.

    R did's ``wif`` (Callaway & Sant'Anna 2021, Appendix): for weights
    pg_j / sum(pg), the term is sum_j (1(G=g_j) - pg_j) att_j / S -
    sum_j (1(G=g_j) - pg_j) * sum_j pg_j att_j / S^2; its constant part is zero.
    """
    d = np.zeros(len(fit._panel.glist))
    S = w_pg.sum()
    A = (w_pg * att).sum()
    np.add.at(d, g_of, att / S - A / S ** 2)
    return d


def _wif(fit: Any, w_pg: np.ndarray, att: np.ndarray, g_of: np.ndarray) -> np.ndarray:
    """Group-indicator coefficients of the estimated-weights influence term.

    R did's ``wif`` (Callaway & Sant'Anna 2021, Appendix): for weights
    pg_j / sum(pg), the term is sum_j (1(G=g_j) - pg_j) att_j / S -
    sum_j (1(G=g_j) - pg_j) * sum_j pg_j att_j / S^2; its constant part is zero.
    """
    d = np.zeros(len(fit._panel.glist))
    S = w_pg.sum()
    A = (w_pg * att).sum()
    np.add.at(d, g_of, att / S - A / S ** 2)
    return d

"""Aggregations of ATT(g,t) (R ``did``'s ``aggte``): simple, by group, by event time
(the event study) and by calendar period, each with the influence-function standard error
including the term for estimated group shares (Callaway & Sant'Anna 2021, section 4)."""
from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace
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

    Examples
    --------
    Nine units over four periods: three never treated, waves starting in periods 3 and 4,
    an effect of 1 from the start period on (unit and period effects plus small noise):

    >>> import numpy as np, pandas as pd
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(9), 4), "period": np.tile([1, 2, 3, 4], 9),
    ...                       "first": np.repeat([0, 0, 0, 3, 3, 3, 4, 4, 4], 4)})
    >>> on = (panel["first"] > 0) & (panel["period"] >= panel["first"])
    >>> panel["y"] = panel["unit"] + 0.5 * panel["period"] + 1.0 * on + 0.2 * np.sin(np.arange(36))
    >>> from evaltools.pilot import staggered_att
    >>> res = staggered_att(panel, outcome="y", unit="unit", period="period", first_treated="first")
    >>> by_wave = res.aggregate("group")
    >>> round(by_wave.value, 2), by_wave.extra["se_method"]
    (1.01, 'analytic')
    >>> by_wave.table.round(2)
       key   att    se  ci_low  ci_high
    0    3  1.01  0.15    0.72     1.30
    1    4  1.01  0.11    0.78     1.23
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
    """:meth:`StaggeredResult.aggregate` on a fitted result, with its cell weights ``a``
    (value = a . att; None when the aggregate is undefined)."""
    if type not in _AGG_TYPES:
        raise ValueError(f"type must be one of {_AGG_TYPES}, got {type!r}")
    valid = fit._valid
    if not valid.any():
        return _empty(fit, type, "no ATT(g,t) cell is defined"
                      + (f" ({fit._panel.undefined})" if fit._panel.undefined else ""))
    notes = []
    if (~valid).any():
        notes.append(f"{int((~valid).sum())} ATT(g,t) cell(s) undefined and left out")
    c = _cell_terms(fit, max_e)
    parts = _BUILDERS[type](fit, c, min_e=min_e, max_e=max_e, balance_e=balance_e)
    if isinstance(parts, str):
        return _empty(fit, type, parts)
    keys, A, Dm, vals, value, a_all, d_all = parts
    if not se:
        return AggregateResult(name=f"att_{type}", value=value), a_all
    if type == "simple":
        se_all, _ = _lin_se(fit, A, Dm)
        table = None
    else:
        se_k, crit = _lin_se(fit, A, Dm)
        se_all, _ = _lin_se(fit, a_all[:, None], d_all[:, None])
        table = _key_table(fit, type, keys, np.array(vals), se_k, crit)
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


def _cell_terms(fit: Any, max_e: float) -> SimpleNamespace:
    """Per ATT(g,t) cell: group, period, group share, and whether it is a post cell in the window."""
    cells, tv = fit._cells, fit._panel.tvals
    g_of = np.searchsorted(fit._panel.glist, cells.g)
    t, g = tv[cells.c], cells.g
    return SimpleNamespace(K=len(fit._att), g_of=g_of, t=t, g=g, tv=tv, valid=fit._valid,
                           att=np.where(fit._valid, fit._att, 0.0), pg=fit._pg[g_of],
                           post=(g <= t) & (t <= g + max_e))


def _share_weighted(fit: Any, c: SimpleNamespace, pairs) -> tuple[list, np.ndarray, np.ndarray, list]:
    """For each (key, cells) pair: the cells weighted by group share (R did's ``aggte``), the
    estimated-share influence term, and the value."""
    keys, cols_a, cols_d, vals = [], [], [], []
    for key, which in pairs:
        w = c.pg[which] / c.pg[which].sum()
        a = np.zeros(c.K)
        a[which] = w
        keys.append(key)
        cols_a.append(a)
        cols_d.append(_wif(fit, c.pg[which], c.att[which], c.g_of[which]))
        vals.append(float((w * c.att[which]).sum()))
    return keys, np.array(cols_a).T, np.array(cols_d).T, vals


def _simple(fit: Any, c: SimpleNamespace, **window: Any):
    which = np.flatnonzero(c.valid & c.post)
    if len(which) == 0:
        return "no post-treatment ATT(g,t) cell is defined"
    keys, A, Dm, vals = _share_weighted(fit, c, [(None, which)])
    return keys, A, Dm, vals, vals[0], A[:, 0], None


def _group(fit: Any, c: SimpleNamespace, **window: Any):
    """Average over each group's post cells, then across groups by group share."""
    glist = fit._panel.glist
    keys, cols_a, vals, gv_ok = [], [], [], []
    for j, gv in enumerate(glist):
        which = np.flatnonzero(c.valid & c.post & (c.g == gv))
        if len(which) == 0:
            continue
        w = np.full(len(which), 1.0 / len(which))
        a = np.zeros(c.K)
        a[which] = w
        keys.append(gv)
        cols_a.append(a)
        vals.append(float((w * c.att[which]).sum()))
        gv_ok.append(j)
    if not keys:
        return "no post-treatment ATT(g,t) cell is defined"
    A, Dm = np.array(cols_a).T, np.zeros((len(glist), len(keys)))
    pgg = fit._pg[gv_ok]
    wg = pgg / pgg.sum()
    vg = np.array(vals)
    return keys, A, Dm, vals, float((wg * vg).sum()), A @ wg, Dm @ wg + _wif(fit, pgg, vg, np.array(gv_ok))


def _dynamic(fit: Any, c: SimpleNamespace, *, min_e: float, max_e: float, balance_e: int | None):
    """By event time e = t - g; the overall effect is the mean over e >= 0."""
    include = c.valid.copy()
    e_all = c.t - c.g
    tmin, tmax = c.tv[0], c.tv[-1]
    eseq = np.unique(e_all[c.valid])
    if balance_e is not None:
        eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - tmax + tmin)]
        include &= (tmax - c.g) >= balance_e
    eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
    pairs = [(e, w) for e in eseq if len(w := np.flatnonzero(include & (e_all == e)))]
    if not pairs:
        return "no event time has a defined ATT(g,t)"
    keys, A, Dm, vals = _share_weighted(fit, c, pairs)
    epos = np.array(keys) >= 0
    if not epos.any():
        return "no post-treatment event time"
    return (keys, A, Dm, vals, float(np.mean(np.array(vals)[epos])), A[:, epos].mean(axis=1),
            Dm[:, epos].mean(axis=1))


def _calendar(fit: Any, c: SimpleNamespace, **window: Any):
    """By calendar period from the first treatment on; the overall effect is the mean."""
    tlist = np.unique(c.t[c.valid])
    tlist = tlist[tlist >= c.g[c.valid].min()]
    pairs = [(t1, w) for t1 in tlist if len(w := np.flatnonzero(c.valid & c.post & (c.t == t1)))]
    if not pairs:
        return "no post-treatment ATT(g,t) cell is defined"
    keys, A, Dm, vals = _share_weighted(fit, c, pairs)
    return keys, A, Dm, vals, float(np.mean(vals)), A.mean(axis=1), Dm.mean(axis=1)


_BUILDERS = {"simple": _simple, "group": _group, "dynamic": _dynamic, "calendar": _calendar}


def _key_table(fit: Any, type: str, keys: list, vk: np.ndarray, se_k: np.ndarray, crit: float) -> pd.DataFrame:
    """The per-key table (group, event time or period) with pointwise and simultaneous bands."""
    z = fit._z
    kcol = fit._etime(np.array(keys)) if type == "dynamic" else fit._labels(np.array(keys))
    table = pd.DataFrame({"key": kcol, "att": vk, "se": se_k, "ci_low": vk - z * se_k, "ci_high": vk + z * se_k})
    if fit._boot is not None:
        crit = fit._check_crit(crit)
        table["cband_low"] = vk - crit * se_k
        table["cband_high"] = vk + crit * se_k
    return table


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

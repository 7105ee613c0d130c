"""Staggered DiD input: the long panel pivoted once into a balanced units x periods matrix.

Checks and recodings follow R ``did``'s ``pre_process_did.R`` (Callaway & Sant'Anna,
version 2.5.0): balanced panel, units treated in the first period dropped, groups first
treated after the last period counted as never treated, the last wave as comparison
group when no unit is never treated, and the group-size rule (covariates + 5).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from evaltools._errors import DataError, require_columns
from evaltools._notes import note as _note


@dataclasses.dataclass
class _Panel:
    Y: np.ndarray                 # units x periods outcome matrix (balanced)
    X: np.ndarray | None          # units x periods x covariates, or None
    G: np.ndarray                 # group (first treated period, numeric scale; 0 = never)
    tvals: np.ndarray             # sorted numeric period values
    labels: list | None           # period labels when the input was an ordered Categorical
    units: np.ndarray             # unit identifiers, in row order of Y
    glist: np.ndarray             # groups for which ATT(g,t) is estimated
    notes: list
    undefined: str = ""           # why no ATT(g,t) is identified (then every cell is nan)


def _period_codes(data: pd.DataFrame, period: str, first_treated: str):
    """Numeric period values and numeric first-treated values.

    An ordered Categorical period is mapped to 1-based positions; first_treated then
    may be a Categorical / labels of the same periods or 1-based positions
    (``first_treated_idx``), with 0 or missing meaning never treated.
    """
    pcol = data[period]
    fcol = data[first_treated]
    labels = None
    if isinstance(pcol.dtype, pd.CategoricalDtype):
        if not pcol.cat.ordered:
            raise DataError("period is an unordered Categorical; make it ordered so the period "
                            "order is known", column=period)
        codes = pcol.cat.codes.to_numpy()
        if (codes < 0).any():
            raise DataError(f"{int((codes < 0).sum())} row(s) have a missing period", column=period,
                            row=int(np.flatnonzero(codes < 0)[0]))
        labels = list(pcol.cat.categories)
        t = codes.astype(float) + 1.0
        pos = {lab: i + 1 for i, lab in enumerate(labels)}
        if isinstance(fcol.dtype, pd.CategoricalDtype) or fcol.dtype == object or pd.api.types.is_string_dtype(fcol):
            vals = fcol.astype(object)
            miss = vals.isna().to_numpy()
            unknown = ~miss & ~vals.isin(list(pos)).to_numpy()
            if unknown.any():
                bad = vals[unknown].iloc[0]
                raise DataError(f"first-treated value {bad!r} is not one of the periods "
                                f"{labels}", column=first_treated, row=int(np.flatnonzero(unknown)[0]))
            g = np.array([0.0 if m else float(pos[v]) for v, m in zip(vals, miss)]) if len(vals) else np.zeros(0)
        else:
            g = pd.to_numeric(fcol, errors="coerce").to_numpy(dtype=float)
            bad = np.isnan(g) & fcol.notna().to_numpy()
            if bad.any():
                raise DataError("first-treated value is not a number", column=first_treated,
                                row=int(np.flatnonzero(bad)[0]))
    elif pd.api.types.is_numeric_dtype(pcol) and not pd.api.types.is_bool_dtype(pcol):
        t = pcol.to_numpy(dtype=float)
        if np.isnan(t).any():
            raise DataError(f"{int(np.isnan(t).sum())} row(s) have a missing period", column=period,
                            row=int(np.flatnonzero(np.isnan(t))[0]))
        if isinstance(fcol.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(fcol):
            raise DataError("first_treated must be numeric on the same scale as the period "
                            "column (0 or missing = never treated)", column=first_treated)
        g = fcol.to_numpy(dtype=float)
    else:
        raise DataError(f"period must be numeric or an ordered Categorical, got dtype {pcol.dtype}",
                        column=period)
    g = np.where(np.isnan(g) | np.isinf(g), 0.0, g)
    if (g < 0).any():
        raise DataError("first_treated must be a period (or 0 / missing for never treated); "
                        "found a negative value", column=first_treated, row=int(np.flatnonzero(g < 0)[0]))
    return t, g, labels


def _prepare(data, outcome, unit, period, first_treated, covariates, control, anticipation) -> _Panel:
    """The balanced panel ``staggered_att`` estimates on, with every recoding in ``notes``."""
    covariates = list(covariates or [])
    Y, X, G, tvals, labels, units, keep, notes = _pivot(data, outcome, unit, period, first_treated, covariates)

    # groups first treated after the last period are untreated within the sample (R did)
    late = keep & (G > tvals[-1] + anticipation)
    if late.any():
        notes.append(_note("late_treated", n=int(late.sum())))
        G = np.where(late, 0.0, G)

    whole = (Y, X, tvals, G)   # the panel before the last wave is borrowed, for the undefined case
    borrowed = None            # the last wave, when it stands in for a missing never-treated group
    if not (G[keep] == 0).any():
        Y, X, tvals, G, borrowed = _borrow_last_wave(Y, X, tvals, G, labels, keep, control, anticipation,
                                                     notes, first_treated)

    first = keep & (G > 0) & (G <= tvals[0] + anticipation)
    if first.any():
        notes.append(_note("first_treated_dropped", n=int(first.sum())))
        keep = keep & ~first
    Y, G, units = Y[keep], G[keep], units[keep]
    if X is not None:
        X = X[keep]
    if len(G) == 0:
        raise DataError("no units left after dropping incomplete and first-period-treated units",
                        column=first_treated)
    glist = np.unique(G[G > 0])
    if not (G == 0).any() and control == "notyet" and len(glist):
        glist = glist[glist < glist.max()]
    if len(glist) == 0:
        if borrowed is not None:
            # Valid input whose effect is not identified: nothing to compare the one
            # cohort with. R did stops ("No valid groups"); evaltools keeps its promise of
            # nan with the reason, on the cohort's own cells over the whole panel.
            why = (_note("no_comparison_group", wave=borrowed)
                   + ("; " + _note("first_no_pre", n=int(first.sum())) if first.any() else ""))
            Y, X, tvals, G = whole
            notes = [n for n in notes if not n.startswith("no never-treated units: the last wave")]
            notes.append(why + "; " + _note("att_undefined"))
            Y, G = Y[keep], G[keep]
            if X is not None:
                X = X[keep]
            return _Panel(Y=Y, X=X, G=G, tvals=tvals, labels=labels, units=units, glist=np.unique(G[G > 0]),
                          notes=notes, undefined=why)
        raise DataError("no treated group with a pre-treatment period remains", column=first_treated)
    if control == "never" and not (G == 0).any():
        raise DataError("no never-treated units: use control='notyet'", column=first_treated)
    _group_size_rules(G, glist, labels, covariates, control, notes, first_treated)
    if np.ptp(Y) == 0:
        notes.append(_note("staggered_constant", outcome=outcome))
    return _Panel(Y=Y, X=X, G=G, tvals=tvals, labels=labels, units=units, glist=glist, notes=notes)


def _pivot(data, outcome, unit, period, first_treated, covariates):
    """Validate the long panel and pivot it to units x periods (x covariates).

    Returns ``Y, X, G, tvals, labels, units, keep, notes``: ``keep`` marks the units
    observed with an outcome (and covariates) in every period.
    """
    require_columns(data, [outcome, unit, period, first_treated, *covariates], what="panel")
    if len(data) == 0:
        raise DataError("the panel has no rows", column=outcome)
    notes: list[str] = []
    t, g, labels = _period_codes(data, period, first_treated)
    y = pd.to_numeric(data[outcome], errors="coerce").to_numpy(dtype=float)
    if not pd.api.types.is_numeric_dtype(data[outcome]):
        raise DataError(f"outcome must be numeric, got dtype {data[outcome].dtype}", column=outcome)
    for c in covariates:
        if not (pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])):
            raise DataError("covariate must be numeric (encode categories as 0/1 columns)", column=c)

    ucode, uniq_units = pd.factorize(data[unit], sort=True)
    if (ucode < 0).any():
        raise DataError("missing unit identifier", column=unit, row=int(np.flatnonzero(ucode < 0)[0]))
    tvals = np.unique(t)
    if len(tvals) < 2:
        raise DataError("the panel needs at least two periods", column=period)
    pidx = np.searchsorted(tvals, t)
    n_all, T = len(uniq_units), len(tvals)
    flat = ucode.astype(np.int64) * T + pidx
    counts = np.bincount(flat, minlength=n_all * T)
    if (counts > 1).any():
        dup = np.flatnonzero(counts[flat] > 1)[0]
        raise DataError(f"duplicate row for unit {uniq_units[ucode[dup]]!r} in one period: the panel "
                        "must have one row per unit and period", column=unit, row=int(dup))
    gmin = np.full(n_all, np.inf)
    gmax = np.full(n_all, -np.inf)
    np.minimum.at(gmin, ucode, g)
    np.maximum.at(gmax, ucode, g)
    if (gmin != gmax).any():
        bad = np.flatnonzero(gmin != gmax)[0]
        raise DataError(f"first_treated differs across periods for unit {uniq_units[bad]!r}; it must "
                        "be constant within a unit", column=first_treated)

    Y = np.full(n_all * T, np.nan)
    Y[flat] = y
    Y = Y.reshape(n_all, T)
    X = None
    if covariates:
        X = np.full((n_all * T, len(covariates)), np.nan)
        X[flat] = data[covariates].to_numpy(dtype=float)
        X = X.reshape(n_all, T, len(covariates))
    ok = ~np.isnan(Y).any(axis=1)
    if X is not None:
        ok &= ~np.isnan(X).any(axis=(1, 2))
    if not ok.all():
        nd = int((~ok).sum())
        if nd == n_all:
            raise DataError("no unit is observed with a non-missing outcome (and covariates) in every "
                            "period; the panel estimator needs a balanced panel", column=outcome)
        notes.append(_note("unbalanced_dropped_cov" if covariates else "unbalanced_dropped", k=nd, n=n_all, t=T))
    return Y, X, gmin, tvals, labels, np.asarray(uniq_units), ok, notes


def _borrow_last_wave(Y, X, tvals, G, labels, keep, control, anticipation, notes, first_treated):
    """No never-treated units: the last wave becomes the comparison group and the periods
    from its start on are dropped (R did, ``pre_process_did.R``)."""
    latest = np.unique(G[keep]).max()
    tk = tvals < latest - anticipation
    if tk.sum() < 2:
        raise DataError("no never-treated units and fewer than two periods before the last wave "
                        "starts: no comparison group is available", column=first_treated)
    Y, tvals = Y[:, tk], tvals[tk]
    if X is not None:
        X = X[:, tk]
    if labels is None:
        lab = f"{latest:g}"
    else:
        lab = str(labels[int(latest) - 1])
    if control == "never":
        G = np.where(G == latest, 0.0, G)
        notes.append(_note("last_wave_never", wave=lab))
    else:
        notes.append(_note("last_wave_notyet", wave=lab))
    return Y, X, tvals, G, lab


def _group_size_rules(G, glist, labels, covariates, control, notes, first_treated) -> None:
    """R did's group-size rule (``pre_process_did.R``), and single-unit groups.

    Groups with fewer units than the number of covariates + 5 get a warning, and a
    never-treated group that small stops ``att_gt`` when it is the comparison group. With
    covariates we refuse as did does (the outcome regression and the propensity score are
    fitted on those few units); without them the comparison is a difference of means,
    which evaltools keeps for the handful of controls a pilot has (with randomization
    inference), and the note says so.
    """
    req = len(covariates) + 5
    n_never = int((G == 0).sum())
    small = [_label(gv, labels) for gv in glist if (G == gv).sum() < req]
    if 0 < n_never < req:
        if covariates and control == "never":
            raise DataError(f"the never-treated group ({n_never} units) is too small to serve as a reliable "
                            f"control with {len(covariates)} covariate(s) (R did needs at least covariates + 5 "
                            f"= {req}); use control='notyet' or fewer covariates", column=first_treated)
        small = ["never treated"] + small
    if small:
        notes.append(_note("small_groups", groups=", ".join(small), n=req))
    sizes = {gv: int((G == gv).sum()) for gv in glist}
    singles = [gv for gv, s in sizes.items() if s == 1]
    if singles:
        names = ", ".join(_label(gv, labels) for gv in singles)
        notes.append(_note("single_unit_groups", groups=names))


def _label(v: float, labels: list | None):
    if labels is not None:
        i = int(round(v)) - 1
        return str(labels[i]) if 0 <= i < len(labels) else f"{v:g}"
    return f"{v:g}"

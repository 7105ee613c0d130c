"""Randomization (Fisher permutation) inference for which units, or which waves, piloted.

Every assignment is a row of one (assignments x units) matrix, so all permutations are one
matrix product; the interval inverts the test of a constant effect.
"""
from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd

from evaltools._errors import DataError, require_columns
from evaltools._results import Estimate
from evaltools.pilot._panel import _never_mask, _period_positions, _prepare_panel, _unit_differences
from evaltools.pilot._wild import _invert

__all__ = ["randomization_inference"]


def _combination_matrix(n: int, k: int) -> np.ndarray:
    """All C(n, k) 0/1 assignment rows with k ones (itertools walks the combinations in C)."""
    combos = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), k)),
                         dtype=np.int64).reshape(-1, k)
    Z = np.zeros((len(combos), n))
    np.put_along_axis(Z, combos, 1.0, axis=1)
    return Z


def _ri_pvalue(stat_perm: np.ndarray, stat_obs: float, alternative: str, exact: bool) -> float:
    tol = 1e-9 * max(1.0, abs(stat_obs))
    if alternative == "two-sided":
        hits = np.abs(stat_perm) >= abs(stat_obs) - tol
    elif alternative == "greater":
        hits = stat_perm >= stat_obs - tol
    else:
        hits = stat_perm <= stat_obs + tol
    if exact:  # the observed assignment is one of the enumerated rows
        return float(hits.mean())
    # Monte Carlo: count the observed assignment itself (Phipson & Smyth 2010)
    return float((hits.sum() + 1) / (len(stat_perm) + 1))


def randomization_inference(data: pd.DataFrame, *, outcome: str, unit: str, period: str,
                            treated: str | None = None, post: str | None = None,
                            first_treated: str | None = None, estimator: str = "did",
                            n_perm: int = 9999, seed: int | np.random.Generator | None = None,
                            alpha: float = 0.05, alternative: str = "two-sided",
                            **staggered_kwargs: Any) -> Estimate:
    """Randomization (Fisher permutation) inference for the pilot assignment.

    Under the sharp null of no effect for any unit, the outcomes are fixed and only the
    assignment is random, so the distribution of the estimate over re-assignments is known
    (Fisher 1935; Imbens & Rubin 2015, ch. 5). We permute *which units* were treated, keeping
    the number of treated units (``estimator="did"``), or *which units belong to which wave*,
    keeping the wave sizes (``estimator="staggered"``: ``first_treated`` is permuted across
    units and the aggregated ATT of :func:`evaltools.pilot._staggered.staggered_att`
    recomputed, by its ``randomization_test``).

    For ``"did"`` the statistic is the difference between treated and control units in the
    mean change of the outcome (mean after minus mean before): for a balanced panel this is
    exactly the 2x2 / TWFE coefficient. All permutations are one matrix product of the
    (permutations x units) assignment matrix with the vector of unit-level changes. The
    confidence interval inverts the test of a constant additive effect tau (outcomes of
    treated units after the pilot shifted by tau; Imbens & Rubin 2015, section 5.7).

    Exact enumeration is used when the number of distinct assignments (C(n, n_treated), or
    the multinomial count of wave assignments) is at most ``n_perm``; the p-value is then the
    share of all assignments at least as extreme (the observed one included, so p >= 1/N).
    Otherwise ``n_perm`` random assignments and p = (1 + #extreme) / (1 + n_perm).

    Parameters
    ----------
    data : DataFrame
    outcome, unit, period : str
    treated, post : str
        For ``estimator="did"``: 0/1 treated-group (constant within unit) and post-period
        (constant within period) columns. Alternatively give ``first_treated`` with a single
        common start (units whose start is missing or 0 are controls).
    first_treated : str
        For ``estimator="staggered"``: the start period of each unit (missing / 0 = never).
    estimator : {"did", "staggered"}
    n_perm : int
    seed : int or Generator, optional
    alpha : float
    alternative : {"two-sided", "greater", "less"}
    **staggered_kwargs
        Passed to ``staggered_att`` (e.g. ``control="notyet"``), plus ``aggregate`` (the
        aggregation whose ATT is the statistic, default "simple").

    Returns
    -------
    Estimate
        ``value`` = observed statistic, ``pval``, ``ci_low``/``ci_high`` (did only);
        ``extra``: ``n_assignments`` (distinct assignments), ``n_perm`` (rows used),
        ``exact``, ``alternative``, ``n_treated_units``, ``n_units``.

    References
    ----------
    Fisher, R. A. (1935). *The Design of Experiments*, section 2 (the lady tasting tea).
    Imbens, G. W., & Rubin, D. B. (2015). *Causal Inference for Statistics, Social, and
    Biomedical Sciences*, ch. 5.
    Cunningham, S. (2021). *Causal Inference: The Mixtape*, section 4.3 (randomization inference).
    Phipson, B., & Smyth, G. K. (2010). Permutation p-values should never be zero.
    *Statistical Applications in Genetics and Molecular Biology*, 9(1).

    Examples
    --------
    Eight units over two periods; the three pilot units gained 2 points, the controls
    about nothing. All C(8, 3) = 56 assignments are enumerated, and only the observed one
    is as extreme, so p = 1/56:

    >>> import pandas as pd
    >>> change = [2.1, 1.8, 2.3, 0.2, -0.1, 0.3, -0.2, 0.1]
    >>> panel = pd.DataFrame({"unit": list(range(8)) * 2, "post": [0] * 8 + [1] * 8,
    ...                       "treated": [1, 1, 1, 0, 0, 0, 0, 0] * 2,
    ...                       "y": [5.0] * 8 + [5.0 + c for c in change]})
    >>> r = randomization_inference(panel, outcome="y", unit="unit", period="post",
    ...                             treated="treated", post="post")
    >>> round(r.value, 2), r.n_assignments, r.exact, round(r.pval, 4)
    (2.01, 56, True, 0.0179)
    """
    if estimator not in ("did", "staggered"):
        raise ValueError(f"estimator must be 'did' or 'staggered', got {estimator!r}")
    if alternative not in ("two-sided", "greater", "less"):
        raise ValueError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    if n_perm < 1:
        raise ValueError("n_perm must be at least 1")
    if estimator == "staggered":
        return _ri_staggered(data, outcome=outcome, unit=unit, period=period, first_treated=first_treated,
                             n_perm=n_perm, seed=seed, alternative=alternative, **staggered_kwargs)
    if treated is None or post is None:
        data, treated, post = _common_start(data, period=period, first_treated=first_treated)
    d, notes = _prepare_panel(data, outcome, unit, period, treated, post, None)
    res = Estimate(name="randomization_inference")
    delta, z, both = _unit_differences(d, outcome, unit)
    if (~both).any():
        notes.append(f"{int((~both).sum())} unit(s) without both pre and post observations left out")
    delta, z = delta[both], z[both]
    n, n1 = len(z), int(z.sum())
    res.n_subjects = n
    res.extra = {"n_units": n, "n_treated_units": n1, "alternative": alternative, "estimator": "did"}
    if d["_post"].min() == 1 or d["_post"].max() == 0:
        res.note = "; ".join(notes + ["no pre-period or no post-period: the DiD is undefined"])
        return res
    if n1 == 0 or n1 == n:
        res.note = "; ".join(notes + ["need treated and control units with pre and post observations"])
        return res
    if np.ptp(d[outcome].to_numpy()) == 0:
        res.note = "; ".join(notes + [f"outcome '{outcome}' is constant: nothing to test"])
        return res
    n_assign = math.comb(n, n1)
    exact = n_assign <= n_perm
    Z = _combination_matrix(n, n1) if exact else _random_assignments(n, n1, n_perm, seed)
    # DiD statistic for every assignment: mean change of treated minus mean change of controls
    W = Z / n1 - (1 - Z) / (n - n1)
    s_delta = W @ delta
    s_z = W @ z  # shift of the statistic per unit of a constant effect tau
    obs = float(delta[z == 1].mean() - delta[z == 0].mean())
    res.value = obs
    # outcomes under the sharp null "effect = tau": treated changes minus tau
    res.pval = _ri_pvalue(s_delta, obs, alternative, exact)
    spread = float(np.std(s_delta)) or 1.0
    lo, hi, bounded = _invert(lambda t: _ri_pvalue(s_delta - t * s_z, obs - t, "two-sided", exact),
                              obs, spread, alpha)
    res.ci_low, res.ci_high = lo, hi
    how = f"all {n_assign} assignments enumerated (exact)" if exact else f"{n_perm} random assignments of {n_assign}"
    notes.append(f"permuting which {n1} of {n} units were treated; {how}")
    if n1 == 1:
        notes.append("single treated unit: the p-value cannot go below 1/{}".format(n))
    if not bounded:
        notes.append("confidence interval unbounded: too few assignments for this level")
    res.note = "; ".join(notes)
    res.extra.update({"n_assignments": n_assign, "n_perm": len(Z), "exact": exact})
    return res


def _common_start(data: pd.DataFrame, *, period: str, first_treated: str | None) -> tuple[pd.DataFrame, str, str]:
    """Treated-group and post-period columns from a first-treated column with one common start."""
    if first_treated is None:
        raise ValueError("estimator='did' needs treated= and post=, or first_treated= with one common start")
    require_columns(data, [first_treated, period], what="data")
    data = data.copy()
    ft = data[first_treated]
    never = _never_mask(ft)
    start = ft[~never]
    if start.nunique() > 1:
        raise DataError(f"{start.nunique()} different start periods: use estimator='staggered' for waves",
                        column=first_treated)
    if start.empty:
        raise DataError("no treated unit (first_treated is empty for every unit)", column=first_treated)
    s0 = start.iloc[0]
    order = _period_positions(data[period])
    start_pos = order[(data[period] == s0).to_numpy()]
    if start_pos.size == 0:
        raise DataError(f"start period {s0!r} is not one of the periods", column=first_treated)
    data["_ri_treated"] = (~never).astype(int)
    data["_ri_post"] = (order >= start_pos[0]).astype(int)
    return data, "_ri_treated", "_ri_post"


def _random_assignments(n: int, n1: int, n_perm: int, seed: Any) -> np.ndarray:
    """``n_perm`` random 0/1 assignment rows with ``n1`` ones: argsort of uniforms, one pass."""
    ranks = np.argsort(np.random.default_rng(seed).random((n_perm, n)), axis=1)
    return (ranks < n1).astype(np.float64)


def _ri_staggered(data: pd.DataFrame, *, outcome: str, unit: str, period: str, first_treated: str | None,
                  n_perm: int, seed: Any, alternative: str, **kwargs: Any) -> Estimate:
    """Permute wave membership (first_treated) across units: delegates to the vectorized
    :meth:`StaggeredResult.randomization_test` of ``staggered_att`` (cohort-by-period sums for
    every assignment at once; re-estimation per assignment only with covariates)."""
    if first_treated is None:
        raise ValueError("estimator='staggered' needs first_treated=")
    if alternative != "two-sided":
        raise ValueError("estimator='staggered' supports alternative='two-sided' only")
    require_columns(data, [outcome, unit, period, first_treated], what="data")
    from evaltools.pilot._staggered import staggered_att  # imported on use: a did-only notebook skips it
    aggregate = kwargs.pop("aggregate", "simple")
    fit = staggered_att(data, outcome=outcome, unit=unit, period=period, first_treated=first_treated, **kwargs)
    rt = fit.randomization_test(n_perm=n_perm, seed=seed, aggregate=aggregate)
    groups = data.groupby(unit, observed=True)[first_treated].first()
    never = _never_mask(groups)
    key = ["never" if nv else str(v) for v, nv in zip(groups, never)]
    counts = pd.Series(key).value_counts()
    n_assign = math.factorial(len(key))
    for c in counts:
        n_assign //= math.factorial(int(c))
    res = Estimate(name="randomization_inference", value=rt.value, pval=rt.pval, n_subjects=rt.n_subjects)
    exact = bool(rt.extra.get("exact", False))
    how = f"all {n_assign} wave assignments enumerated (exact)" if exact else f"{n_perm} random of {n_assign}"
    res.note = (f"permuting first_treated across {len(key)} units (wave sizes kept); {how}; statistic: "
                f"{aggregate} aggregated ATT of staggered_att" + (f"; {rt.note}" if rt.note and "undefined" in rt.note else ""))
    res.extra = {"n_units": len(key), "n_assignments": n_assign, "n_perm": int(rt.extra.get("n_assignments", 0)),
                 "exact": exact, "alternative": alternative, "estimator": "staggered", "aggregate": aggregate}
    return res

"""Generalizability theory: G-study variance components, D-study, raters needed."""
from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp

from evaltools._distinct import dense_space, unique_codes
from evaltools._errors import DataError
from evaltools._notes import note as _note

from ._crossed import _clean, _codes


# ---------------------------------------------------------------------------
# generalizability theory
# ---------------------------------------------------------------------------

def _term_codes(codes: dict[str, np.ndarray], sizes: dict[str, int], term: tuple[str, ...],
                dense: bool = True) -> tuple[np.ndarray, int]:
    """Codes of a term's levels (its facets' cells) and their number; ``dense=False`` keeps
    the levels in order of appearance (the REML optimizer's path depends on that order)."""
    key = np.zeros(len(next(iter(codes.values()))), dtype=np.int64)
    size = 1
    for f in term:
        key = key * sizes[f] + codes[f]
        size *= sizes[f]
    if dense and dense_space(key.size, size):   # a unit's terms: a mask over the cells, no hashing
        u, c = unique_codes(key, size, return_inverse=True)
    else:
        c, u = pd.factorize(key)
    return c.astype(np.int64), len(u)


def _henderson1(y: np.ndarray, terms: list[tuple[str, ...]], tcodes: dict[tuple, tuple[np.ndarray, int]],
                union_code: Callable[[tuple], tuple[np.ndarray, int]]) -> tuple[np.ndarray, str]:
    """Henderson (1953) Method 1 for a random model with the given effect terms.

    Equations: for each term a, ``T_a = sum_levels (level total)^2 / n_level`` has
    expectation ``N mu^2 + sum_b k_ab s2_b + (#levels of a) s2_e`` with
    ``k_ab = sum_{cells of a u b} n_cell^2 / n_{level of a}`` (Henderson 1953, eq. for
    Method 1; Brennan 2001, sec. 7.1.1), plus ``T_mu = (sum y)^2/N`` and
    ``T_total = sum y^2``. Solved exactly for (mu^2, s2_b..., s2_e).
    """
    n = y.size
    m = len(terms)
    A = np.zeros((m + 2, m + 2))
    T = np.zeros(m + 2)
    A[:, 0] = n
    counts: dict[tuple, np.ndarray] = {}   # squared cell counts of each union of terms
    for ia, a in enumerate(terms):
        ca, na = tcodes[a]
        cnt_a = np.bincount(ca, minlength=na).astype(float)
        tot = np.bincount(ca, y, na)
        T[ia] = np.sum(tot ** 2 / cnt_a)
        for ib, b in enumerate(terms):
            key = tuple(sorted(set(a) | set(b)))
            cu, nu = union_code(key)
            if key not in counts:
                counts[key] = np.bincount(cu, minlength=nu).astype(float) ** 2
            cnt_u2 = counts[key]
            a_of_u = np.empty(nu, dtype=np.int64)
            a_of_u[cu] = ca
            A[ia, 1 + ib] = np.sum(cnt_u2 / cnt_a[a_of_u])
        A[ia, m + 1] = na
    # mean
    T[m] = y.sum() ** 2 / n
    for ib, b in enumerate(terms):
        cb, nb = tcodes[b]
        A[m, 1 + ib] = np.sum(np.bincount(cb, minlength=nb).astype(float) ** 2) / n
    A[m, m + 1] = 1.0
    # total
    T[m + 1] = float(y @ y)
    A[m + 1, 1:] = n
    note = ""
    try:
        sol = np.linalg.solve(A, T)
    except np.linalg.LinAlgError:
        sol, *_ = np.linalg.lstsq(A, T, rcond=None)
        note = _note("gt_singular")
    return sol[1:], note


def _reml_deviance(theta: np.ndarray, q_of: np.ndarray, ZtZ: np.ndarray, Zty: np.ndarray, Zt1: np.ndarray,
                   n: int, yty: float, y1: float) -> float:
    """Profiled REML deviance ``-2 log L_R`` of ``y = mu + sum_k Z_k u_k + e`` at relative
    standard deviations ``theta_k = sigma_k / sigma_e`` (lme4's parametrization; Bates,
    Maechler, Bolker & Walker 2015, *J. Stat. Softw.* 67(1), eqs. 34 and 41).

    With ``D = diag(theta of each random level)``, ``L L' = I + D Z'Z D`` and Woodbury's
    identity ``a'H^-1 b = a'b - (D Z'a)' (L L')^-1 (D Z'b)`` for ``H = I + Z D^2 Z'``:
    ``-2 log L_R = log|L L'| + log(1'H^-1 1) + (n - 1) (1 + log(2 pi r'H^-1 r / (n - 1)))``.
    """
    d = theta[q_of]
    A = d[:, None] * ZtZ * d[None, :]
    A[np.diag_indices_from(A)] += 1.0
    try:
        cf = scipy.linalg.cho_factor(A, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return np.inf
    logdet = 2.0 * np.log(np.diag(cf[0])).sum()
    by, b1 = d * Zty, d * Zt1
    sy, s1 = scipy.linalg.cho_solve(cf, by, check_finite=False), scipy.linalg.cho_solve(cf, b1, check_finite=False)
    q11 = n - b1 @ s1
    q1y = y1 - b1 @ sy
    qyy = yty - by @ sy
    rss = qyy - q1y * q1y / q11
    if not (rss > 0 and q11 > 0):
        return np.inf
    return float(logdet + np.log(q11) + (n - 1) * (1.0 + np.log(2.0 * np.pi * rss / (n - 1))))


def _gstudy_reml(y: np.ndarray, terms: list[tuple[str, ...]], tcodes: dict[tuple, tuple[np.ndarray, int]],
                 start: np.ndarray) -> tuple[np.ndarray, float, str]:
    """REML variance components of the random model by direct optimization of the profiled
    REML deviance (:func:`_reml_deviance`) over ``theta >= 0`` (bounded L-BFGS-B), from the
    Henderson Method 1 solution and from two neutral starts; the best optimum is kept and
    restarted once. The likelihood depends on the design only through ``Z'Z``, so the result does
    not depend on how levels are labelled or rows ordered; a component at the boundary is
    exactly 0. Returns the components (terms..., residual), the REML log-likelihood
    (as lme4's ``logLik(REML = TRUE)``) and a note (empty when converged).
    """
    import scipy.optimize

    n = y.size
    tss = float(((y - y.mean()) ** 2).sum())
    if not tss > 0 or start[-1] <= 1e-12 * tss / n:
        # no residual variation: the REML likelihood grows without bound as sigma_e -> 0
        return (np.clip(np.asarray(start, float), 0, None), np.nan,
                "residual variance 0: REML likelihood unbounded; Henderson Method 1 components reported")
    blocks, q_of = [], []
    for k, t in enumerate(terms):
        c, m = tcodes[t]
        blocks.append(c + sum(tcodes[u][1] for u in terms[:k]))
        q_of.append(np.full(m, k))
    q = sum(tcodes[t][1] for t in terms)
    q_of = np.concatenate(q_of) if terms else np.zeros(0, dtype=np.int64)
    rows = np.repeat(np.arange(n), len(terms))
    cols = np.column_stack(blocks).ravel() if terms else np.zeros(0, dtype=np.int64)
    Z = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, q))
    ZtZ = (Z.T @ Z).toarray()
    # centre y: the intercept is profiled out, and centring only improves the arithmetic
    yc = y - y.mean()
    Zty, Zt1 = Z.T @ yc, np.asarray(Z.sum(axis=0)).ravel()
    yty, y1 = float(yc @ yc), float(yc.sum())
    f = lambda th: _reml_deviance(np.abs(th), q_of, ZtZ, Zty, Zt1, n, yty, y1)  # noqa: E731
    s2e0 = max(float(start[-1]), 1e-8 * max(yty / n, 1e-300))
    th0 = np.sqrt(np.clip(np.asarray(start[:-1], float), 0, None) / s2e0)
    starts = [th0, np.full(len(terms), 0.5), np.full(len(terms), 1.0)]
    bounds = [(0.0, None)] * len(terms)
    opts = {"ftol": 1e-15, "gtol": 1e-9, "maxiter": 1000}
    best = None
    with warnings.catch_warnings():
        # trial points where the deviance is infinite make finite differences inf - inf
        warnings.simplefilter("ignore", RuntimeWarning)
        for th in starts:
            res = scipy.optimize.minimize(f, th, method="L-BFGS-B", bounds=bounds, options=opts)
            if best is None or res.fun < best.fun:
                best = res
        # restart from the best point: L-BFGS-B's finite-difference gradient can stop
        # early on flat ridges
        res = scipy.optimize.minimize(f, best.x, method="L-BFGS-B", bounds=bounds, options=opts)
    th = res.x if res.fun <= best.fun else best.x
    th = np.where(th < 1e-7, 0.0, th)
    dev = f(th)
    # the residual variance at theta: the profiled sigma^2 = r'H^-1 r / (n - 1)
    d = th[q_of]
    A = d[:, None] * ZtZ * d[None, :]
    A[np.diag_indices_from(A)] += 1.0
    cf = scipy.linalg.cho_factor(A, lower=True)
    by, b1 = d * Zty, d * Zt1
    sy, s1 = scipy.linalg.cho_solve(cf, by), scipy.linalg.cho_solve(cf, b1)
    q11, q1y, qyy = n - b1 @ s1, y1 - b1 @ sy, yty - by @ sy
    s2 = (qyy - q1y * q1y / q11) / (n - 1)
    note = ""
    # convergence: no coordinate direction (inward at a boundary) lowers the deviance
    h = 1e-5
    for k in range(len(terms)):
        for step in (h, -h):
            t2 = th.copy()
            t2[k] += step
            if t2[k] < 0:
                continue
            if f(t2) < dev - 1e-7:
                note = _note("gt_not_converged")
    if not np.isfinite(dev):
        note = _note("gt_not_finite")
    return np.r_[th ** 2 * s2, s2], -dev / 2.0, note


def gstudy(data: pd.DataFrame, *, subject: str, rater: str, score: str, item: str | None = None,
           method: str = "anova") -> pd.DataFrame:
    """G-study variance components for subject x rater (x item), crossed or nested.

    Parameters
    ----------
    data : DataFrame
        Long format ratings.
    subject, rater, score : str
        Columns of the object of measurement, the rater facet and the score.
    item : str, optional
        Second facet (items, tasks, occasions).
    method : {"anova", "reml"}
        ``"anova"``: Henderson's (1953) Method 1, which Brennan (2001, ch. 7) calls the
        analogous-ANOVA procedure; for balanced data it equals the ANOVA expected
        mean-square solution (Brennan 2001, sec. 3.4). Fast at any size.
        ``"reml"``: restricted maximum likelihood with one variance component per
        effect, by direct minimization of the profiled REML deviance of lme4 (Bates et
        al. 2015, eqs. 34 and 41) over the relative standard deviations, bounded at 0
        (small data: one dense Cholesky factor per evaluation, of the size of the
        number of random levels). ``attrs["reml_loglik"]`` is the REML log-likelihood
        (lme4's ``logLik(REML = TRUE)``); a ``note`` says when the optimizer did not
        reach a point that no coordinate step improves.

    Returns
    -------
    DataFrame indexed by effect, named with the caller's column names joined by
    ``:`` (``subject``, ``rater``, ``item``, ``subject:rater``, ..., ``residual``),
    with columns ``variance`` (negative estimates set to 0, Brennan 2001 sec. 3.4.4),
    ``variance_raw``, ``share`` (of the total variance), ``n_levels`` and ``note``.

    Notes
    -----
    The design is read from the data: an effect whose levels coincide with those of
    a larger effect is confounded with it (e.g. raters nested in subjects: ``rater``
    merges into ``subject:rater``, Brennan's r:p), and the highest interaction is
    confounded with error when each cell holds one rating, so it is reported as
    ``residual``. ``DataFrame.attrs`` records the facet roles, the sample sizes, whether
    the design is balanced, and the method, for :func:`dstudy`.

    Examples
    --------
    >>> import pandas as pd
    >>> a00 = [2.2, 1.4, 1.8, 0.7, 2.2, 3.3, 1.3, 1.5, 2.7, 3.2, 0.4, 2.9, 3.2, 3.2, 2.5]
    >>> a01 = [1.7, 2.7, 1.4, 1.1, 2.4, 3.0, 0.5, 1.2, 0.6, 3.5, 0.3, 2.6, 3.5, 2.2, 3.4]
    >>> d = pd.DataFrame({"p": list(range(15)) * 2, "r": ["A00"] * 15 + ["A01"] * 15, "y": a00 + a01})
    >>> gstudy(d, subject="p", rater="r", score="y", method="reml")["variance"].round(4).tolist()  # lme4
    [0.7505, 0.0, 0.3207]
    """
    if method not in ("anova", "reml"):
        raise ValueError(f"method must be 'anova' or 'reml', got {method!r}")
    facets = [f for f in (subject, rater, item) if f is not None]
    if len(set(facets)) != len(facets):
        raise ValueError("subject, rater and item must be different columns")
    d = _clean(data, facets, score)
    y = d[score].to_numpy()
    n = y.size
    if n < 2:
        raise DataError("need at least two ratings for a G study", column=score)
    codes, sizes = {}, {}
    for f in facets:
        c, lab = _codes(d[f])
        codes[f], sizes[f] = c, len(lab)
    cache: dict[tuple, tuple[np.ndarray, int]] = {}

    def tc(term: tuple) -> tuple[np.ndarray, int]:
        term = tuple(f for f in facets if f in term)
        if term not in cache:
            cache[term] = _term_codes(codes, sizes, term, dense=method == "anova")
        return cache[term]

    all_terms = [t for k in range(1, len(facets) + 1) for t in itertools.combinations(facets, k)]
    nlev = {t: tc(t)[1] for t in all_terms}
    # confounding: a term whose partition equals a bigger term's is absorbed into it
    kept = []
    for t in all_terms:
        bigger = [u for u in all_terms if set(t) < set(u) and nlev[u] == nlev[t]]
        if not bigger:
            kept.append(t)
    full = tuple(facets)
    residual_confounded = nlev[full] == n and full in kept
    terms = [t for t in kept if not (residual_confounded and t == full)]
    names = [":".join(t) for t in terms]
    notes = {}
    for t in terms:
        absorbed = [u for u in all_terms if set(u) < set(t) and nlev[u] == nlev[t]]
        if absorbed:
            notes[":".join(t)] = _note("gt_nested", effects=", ".join(":".join(u) for u in absorbed))
    # balanced: every cell of the full crossing of the kept structure has the same count
    cf, ncf = tc(full)
    cell_n = np.bincount(cf, minlength=ncf)
    per_level_ok = all(np.unique(np.bincount(tc(t)[0])).size == 1 for t in terms)
    balanced = bool(np.unique(cell_n).size == 1 and per_level_ok)
    est, mnote = _henderson1(y, terms, {t: tc(t) for t in terms}, tc)
    how = ("ANOVA expected mean squares (balanced design; Brennan 2001 sec. 3.4)" if balanced else
           "Henderson (1953) Method 1 / analogous ANOVA (unbalanced design; Brennan 2001 ch. 7)")
    loglik = np.nan
    if method == "reml":
        est, loglik, mnote = _gstudy_reml(y, terms, {t: tc(t) for t in terms}, np.asarray(est, float))
        how = "REML (profiled REML deviance minimized directly, as lme4)"
    res_name = "residual"
    idx = names + [res_name]
    if residual_confounded:
        notes[res_name] = _note("gt_confounded", effect=":".join(full))
    raw = np.asarray(est, float)
    var = np.clip(raw, 0.0, None)
    tot = var.sum()
    out = pd.DataFrame({
        "variance": var, "variance_raw": raw,
        "share": var / tot if tot > 0 else np.full(var.size, np.nan),
        "n_levels": [nlev[t] for t in terms] + [n],
        "note": [notes.get(nm, "") for nm in idx],
    }, index=pd.Index(idx, name="effect"))
    neg = raw < 0
    if neg.any():
        out.loc[neg, "note"] = [((x + "; ") if x else "") + _note("gt_negative") for x in out.loc[neg, "note"]]
    if mnote:
        out["note"] = [((x + "; ") if x else "") + mnote for x in out["note"]]
    # facet sample sizes for the D study: raters per subject (per item when nested)
    n_sub = sizes[subject]
    rater_obs = unique_codes(codes[rater] * n_sub + codes[subject], sizes[rater] * n_sub).size / n_sub
    item_obs = (unique_codes(codes[item] * n_sub + codes[subject], sizes[item] * n_sub).size / n_sub
                if item is not None else 1.0)
    out.attrs.update({
        "subject": subject, "rater": rater, "item": item, "method": how, "balanced": balanced,
        "n_subjects": n_sub, "n_raters": float(rater_obs), "n_items": float(item_obs),
        "n_ratings": n, "components": {nm: list(t) for nm, t in zip(names, terms)},
        "residual_facets": list(full), "reml_loglik": loglik,
    })
    return out


def _dstudy_errors(g: pd.DataFrame, n_r: np.ndarray, n_i: np.ndarray,
                   subject: str, rater: str, item: str | None) -> tuple[float, np.ndarray, np.ndarray]:
    comps = g.attrs.get("components")
    if comps is None:
        comps = {nm: nm.split(":") for nm in g.index if nm != "residual"}
    res_f = g.attrs.get("residual_facets", [subject, rater] + ([item] if item else []))
    variance = dict(zip(g.index, g["variance"].to_numpy(dtype=float)))   # one pass, not a lookup per term
    s2p = float(variance.get(subject, np.nan))
    rel = np.zeros_like(n_r, dtype=float)
    ab = np.zeros_like(n_r, dtype=float)
    for nm, v in variance.items():
        facets = comps.get(nm, []) if nm != "residual" else res_f
        if nm == subject:
            continue
        div = np.ones_like(rel)
        if rater in facets:
            div = div * n_r
        if item is not None and item in facets:
            div = div * n_i
        if nm == "residual" and (item is None or item not in facets):
            # replications within subject x rater cells (items not named) average too
            div = div * (n_i if item is None else 1)
        ab += v / div
        if subject in facets:
            rel += v / div
    return s2p, rel, ab


def dstudy(g: pd.DataFrame, n_raters: Iterable[float] | float = (1, 2, 3, 4, 5),
           n_items: Iterable[float] | float | None = None,
           *, subject: str | None = None, rater: str | None = None, item: str | None = None) -> pd.DataFrame:
    """D-study: generalizability and dependability for other numbers of raters and items.

    Parameters
    ----------
    g : DataFrame
        Output of :func:`gstudy` (its ``attrs`` name the facets).
    n_raters, n_items : iterable of numbers
        D-study sample sizes; every combination is evaluated. ``n_items`` defaults to
        the G study's items per subject (1 without an item facet). In a nested design
        (raters within items) ``n_raters`` counts raters per item.
    subject, rater, item : str, optional
        Override the facet names recorded in ``g.attrs``.

    Returns
    -------
    DataFrame with ``n_raters, n_items, g_coef, phi, rel_error, abs_error``.

    Notes
    -----
    Brennan (2001, sec. 4.1, eqs. 4.1-4.4; Shavelson & Webb 1991, ch. 6): with each
    component divided by the product of the D-study sizes of the random facets it
    contains, ``rel_error`` sums the components that contain the subject and a facet,
    ``abs_error`` sums every component except the subject's;
    ``g_coef = s2_p / (s2_p + rel_error)`` (E rho^2) and
    ``phi = s2_p / (s2_p + abs_error)`` (Phi).

    Examples
    --------
    >>> import pandas as pd
    >>> a00 = [2.2, 1.4, 1.8, 0.7, 2.2, 3.3, 1.3, 1.5, 2.7, 3.2, 0.4, 2.9, 3.2, 3.2, 2.5]
    >>> a01 = [1.7, 2.7, 1.4, 1.1, 2.4, 3.0, 0.5, 1.2, 0.6, 3.5, 0.3, 2.6, 3.5, 2.2, 3.4]
    >>> d = pd.DataFrame({"p": list(range(15)) * 2, "r": ["A00"] * 15 + ["A01"] * 15, "y": a00 + a01})
    >>> g = gstudy(d, subject="p", rater="r", score="y")
    >>> dstudy(g, n_raters=[1, 2, 4])["g_coef"].round(3).tolist()
    [0.693, 0.819, 0.9]
    """
    subject = subject or g.attrs.get("subject", "subject")
    rater = rater or g.attrs.get("rater", "rater")
    item = item if item is not None else g.attrs.get("item")
    nr = np.atleast_1d(np.asarray(list(n_raters) if not np.isscalar(n_raters) else [n_raters], float))
    if n_items is None:
        n_items = [g.attrs.get("n_items", 1.0)]
    ni = np.atleast_1d(np.asarray(list(n_items) if not np.isscalar(n_items) else [n_items], float))
    if (nr <= 0).any() or (ni <= 0).any():
        raise ValueError("n_raters and n_items must be positive")
    R, I = np.meshgrid(nr, ni, indexing="ij")
    R, I = R.ravel(), I.ravel()
    s2p, rel, ab = _dstudy_errors(g, R, I, subject, rater, item)
    with np.errstate(invalid="ignore", divide="ignore"):
        gc = s2p / (s2p + rel)
        phi = s2p / (s2p + ab)
    return pd.DataFrame({"n_raters": R, "n_items": I, "g_coef": gc, "phi": phi,
                         "rel_error": rel, "abs_error": ab})


def raters_needed(g: pd.DataFrame, target: float = 0.8, *, n_items: float | None = None,
                  coef: str = "g_coef", subject: str | None = None, rater: str | None = None,
                  item: str | None = None) -> int:
    """Smallest number of raters for which the D-study coefficient reaches ``target``.

    Solves ``s2_p / (s2_p + A + B / n_r) >= target`` in closed form, where ``B`` are
    the error components that contain the rater facet (divided by n_r) and ``A`` the
    others, at ``n_items`` (default: the G study's). Returns ``-1`` when no number of
    raters reaches the target (the item-only error, or a zero subject variance, caps
    the coefficient below it).

    Examples
    --------
    >>> import pandas as pd
    >>> a00 = [2.2, 1.4, 1.8, 0.7, 2.2, 3.3, 1.3, 1.5, 2.7, 3.2, 0.4, 2.9, 3.2, 3.2, 2.5]
    >>> a01 = [1.7, 2.7, 1.4, 1.1, 2.4, 3.0, 0.5, 1.2, 0.6, 3.5, 0.3, 2.6, 3.5, 2.2, 3.4]
    >>> d = pd.DataFrame({"p": list(range(15)) * 2, "r": ["A00"] * 15 + ["A01"] * 15, "y": a00 + a01})
    >>> raters_needed(gstudy(d, subject="p", rater="r", score="y"), target=0.9)
    4
    """
    if not 0 < target < 1:
        raise ValueError("target must be between 0 and 1")
    if coef not in ("g_coef", "phi"):
        raise ValueError("coef must be 'g_coef' or 'phi'")
    subject = subject or g.attrs.get("subject", "subject")
    rater = rater or g.attrs.get("rater", "rater")
    item = item if item is not None else g.attrs.get("item")
    ni = np.array([n_items if n_items is not None else g.attrs.get("n_items", 1.0)], float)
    # error at n_r = 1 and n_r -> infinity give A + B and A
    s2p, rel1, ab1 = _dstudy_errors(g, np.array([1.0]), ni, subject, rater, item)
    _, relinf, abinf = _dstudy_errors(g, np.array([1e12]), ni, subject, rater, item)
    e1, einf = (rel1[0], relinf[0]) if coef == "g_coef" else (ab1[0], abinf[0])
    B = e1 - einf
    room = s2p * (1 - target) / target - einf
    if not np.isfinite(s2p) or s2p <= 0 or room <= 0:
        return -1
    if B <= 0:
        return 1
    need = max(1, int(math.ceil(B / room - 1e-9)))

    def reached(n: int) -> bool:   # the D-study coefficient at n raters, as dstudy computes it
        _, rel, ab = _dstudy_errors(g, np.array([float(n)]), ni, subject, rater, item)
        return s2p / (s2p + (rel[0] if coef == "g_coef" else ab[0])) >= target - 1e-12

    # the closed form's error at "infinitely many" raters (n = 1e12) and its rounding at an exact
    # integer can put it one off: settle on the smallest n the D study itself says reaches it
    while need > 1 and reached(need - 1):
        need -= 1
    while not reached(need):
        need += 1
    return need

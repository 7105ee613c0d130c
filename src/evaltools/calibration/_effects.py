"""Rater severity, spread and halo (rater_effects) and role severity (role_effects)."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.stats
from scipy.sparse.csgraph import connected_components

from evaltools._distinct import unique_codes
from evaltools._errors import DataError
from evaltools._notes import note as _note

from ._crossed import _CrossedFit, _clean, _codes, _text_codes
from ._latent import _ceiling_matters, _latent_scores
from ._reference import _REFERENCE_TEXT, _severity_scores, _split_half_factor
from ._spread import _spread_and_halo
from ._gtheory import gstudy


def _rater_vc(y: np.ndarray, s: np.ndarray, r: np.ndarray) -> dict[str, float]:
    """Variance components subject, rater, subject:rater, residual of ``y`` (nuisance
    effects already removed) by Henderson's (1953) Method 1, negative estimates set to 0."""
    df = pd.DataFrame({"s": s, "r": r, "y": y})
    try:
        g = gstudy(df, subject="s", rater="r", score="y")
    except (DataError, ValueError):
        return {"subject": np.nan, "rater": np.nan, "subject:rater": 0.0, "residual": np.nan}
    v = g["variance"]
    return {"subject": float(v.get("s", 0.0)), "rater": float(v.get("r", 0.0)),
            "subject:rater": float(v.get("s:r", 0.0)), "residual": float(v.get("residual", np.nan))}


class _ZeroFit:
    """Stands in for the BLUP fit when the rater variance is 0: every severity is 0."""

    def __init__(self, n_r: int):
        self.n_r = n_r

    def contrast(self, ref: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.n_r), np.zeros(self.n_r)


def _rater_blup(y: np.ndarray, s: np.ndarray, r: np.ndarray, comp: np.ndarray, n_s: int, n_r: int,
                vc: Mapping[str, float]) -> tuple["_CrossedFit | _ZeroFit", str]:
    """Empirical-Bayes (BLUP) rater effects and their prediction error variances.

    Model for the nuisance-free scores ``y`` of rater r on subject s (rating k):
    ``y = c_comp + a_s + b_r + (ab)_sr + e`` with ``a ~ N(0, s2_subject)``,
    ``b ~ N(0, s2_rater)``, ``(ab) ~ N(0, s2_subject:rater)``, ``e ~ N(0, s2_residual)``
    and one fixed level per centring group ``comp`` (a connected component, or a role
    within it); :meth:`_CrossedFit.contrast` of the returned fit gives the BLUPs centred
    on the group's reference raters, with the PEV of that contrast. The rater x subject cell means are
    sufficient for ``b`` given the cell structure: a cell of m ratings has error variance
    ``s2_sr + s2_e / m``, so the mixed-model equations are solved on cell means with those
    precisions as weights (Henderson 1975; Searle, Casella & McCulloch 1992, sec. 7.4).
    The prediction error variance ``Var(b - b_hat)`` is the rater block of the inverse of
    the mixed-model coefficient matrix (Henderson 1975, eq. 5). Returns the fit and a note.
    """
    s2s, s2r = vc.get("subject", np.nan), vc.get("rater", np.nan)
    s2sr, s2e = max(vc.get("subject:rater", 0.0), 0.0), vc.get("residual", np.nan)
    if not (np.isfinite(s2r) and np.isfinite(s2e)) or s2r <= 0 or s2e <= 0:
        return _ZeroFit(n_r), _note("rater_var_zero")
    key = r.astype(np.int64) * n_s + s
    cell, code = unique_codes(key, n_r * n_s, return_inverse=True)
    m = np.bincount(code).astype(float)
    ybar = np.bincount(code, y) / m
    cr, cs = cell // n_s, cell % n_s
    w = 1.0 / (s2sr + s2e / m)
    _, cc = unique_codes(comp[cr], int(comp.max()) + 1, return_inverse=True)
    lam_s = 1.0 / max(s2s, 1e-8) if np.isfinite(s2s) else 1e8
    fit = _CrossedFit(ybar, cs, cr, cc.astype(np.int64), n_s, n_r, int(cc.max()) + 1, lam_s=lam_s,
                      lam_r=1.0 / s2r, w=w, groups=comp)
    return fit, fit.note


def _bipartite_components(a: np.ndarray, b: np.ndarray, n_a: int, n_b: int) -> tuple[int, np.ndarray]:
    """Connected components of the graph with an edge a_k -- b_k (nodes a first, then b);
    one edge per pair is enough for the undirected search."""
    n = n_a + n_b
    adj = sp.csr_matrix((np.ones(a.size), (a, n_a + b)), shape=(n, n))
    return connected_components(adj, directed=False)


def _role_blocks(r: np.ndarray, g: np.ndarray, n_r: int, g_lab: pd.Index) -> tuple[np.ndarray, list[str]]:
    """Blocks of roles linked by raters who rate in more than one of them.

    With the role crossed into the nuisance facet, shifting every rating of a block of
    roles by ``c`` and every rater of that block by ``-c`` leaves the fit unchanged when
    no rater also rates in another block: the block's shift is not separable from its
    raters' mean severity, so severities are contrasts within the block. The blocks are
    the connected components of the rater-role graph. Returns each rater's block and the
    block labels (roles joined by ``+``).
    """
    n_g = len(g_lab)
    _, lab = _bipartite_components(r, g, n_r, n_g)
    blk, uniq = pd.factorize(lab[:n_r])
    role_blk = pd.Index(uniq).get_indexer(lab[n_r:])
    names = ["+".join(str(x) for x in g_lab[role_blk == b]) for b in range(len(uniq))]
    return blk.astype(np.int64), names


def _flag_rules(sev_t: float, central_t: float, halo_t: float, isr_t: float, min_n: int,
                flag_level: float = 0.5) -> str:
    if flag_level > 0.5:
        q = float(scipy.stats.norm.ppf(flag_level))
        sev = (f"severe: severity - {q:.2f} se >= {sev_t:g} (beyond the tolerance with {flag_level:.0%} "
               f"confidence) and 95% CI above 0; lenient: severity + {q:.2f} se <= -{sev_t:g} and 95% CI below 0")
    else:
        sev = (f"severe: severity >= {sev_t:g} and 95% CI above 0; lenient: severity <= -{sev_t:g} and 95% CI "
               "below 0")
    return (f"{sev}; central: sd_ratio < {central_t:g}; halo: halo > {halo_t:g} and item_sd_ratio < {isr_t:g}; "
            f"only raters with >= {min_n} ratings are flagged")


def rater_effects(data: pd.DataFrame, *, subject: str, rater: str, score: str, item: str | None = None,
                  role: str | None = None, period: str | None = None, severity_threshold: float = 0.5,
                  central_threshold: float = 0.65, halo_threshold: float = 0.2, halo_item_sd_ratio: float = 0.7,
                  min_ratings: int = 10, halo_min_subjects: int = 3, adjust_role: bool = True,
                  centre: str = "calibrated", alpha: float = 0.05, estimator: str = "blup",
                  variance_components: Mapping[str, float] | None = None, latent: bool | str = "auto",
                  score_range: tuple[float, float] | None = None, by_role: bool = True,
                  calibrate_se: bool = True, flag_level: float = 0.8) -> pd.DataFrame:
    """Rater severity, spread and halo from the crossed model subject + rater (+ item).

    Parameters
    ----------
    data : DataFrame
        Long format, one row per rating.
    subject, rater, score : str
        Column names of the person rated, the rater and the numeric score.
    item : str, optional
        Item column; with it the model is subject + rater + item and the halo index is
        computed.
    role : str, optional
        Rater-role column; each rater's (most frequent) role is reported.
    period : str, optional
        Period column: a subject's level may differ between periods, so the subject
        facet becomes subject x period (severity stays one number per rater).
    severity_threshold : float
        The tolerance: a rater is flagged severe/lenient when their severity lies beyond
        it with ``flag_level`` confidence (score points; with ``estimator="blup"`` the
        shrunken severity); the interval ``ci_low``..``ci_high`` must also exclude 0.
        Shrinkage keeps raters with little information from being flagged on noise.
    flag_level : float
        Confidence that the severity lies beyond the tolerance: flagged severe when
        ``severity - q se >= severity_threshold`` with ``q = Phi^-1(flag_level)``
        (lenient alike). With the BLUP and its prediction error variance this is the
        posterior probability of a normal-prior model. ``0.5``: the estimate itself
        beyond the tolerance (the rule before; see Notes for what each gives).
    central_threshold : float
        Flag ``central`` when ``sd_ratio`` is below this.
    halo_threshold, halo_item_sd_ratio : float
        Flag ``halo`` when the rater's mean inter-item correlation exceeds the pool's
        median by more than ``halo_threshold`` and the rater's within-subject spread
        across items is below ``halo_item_sd_ratio`` times the pool's.
    min_ratings : int
        Raters with fewer ratings are never flagged (a note says so).
    halo_min_subjects : int
        The halo index needs at least this many subjects rated by the rater (else ``nan``).
    adjust_role : bool
        With ``role``, remove role shifts (item x role is the nuisance facet), so a
        rater's severity is net of e.g. the inflation of self-ratings; severity is then
        relative to raters of the same role (see Notes).
    by_role : bool
        With roles adjusted, the reference raters of a rater are those of the same
        (most frequent) role in the same role block and component (default), so an
        atasan is compared with atasan even where self-ratings or multi-role raters link
        the roles; ``False``: the whole role block (see Notes).
    calibrate_se : bool
        Check the model's standard errors against the data by split halves of the
        subjects and widen them by the factor found when it exceeds 1
        (:func:`_split_half_factor`; ``attrs["se_factor"]``).
    centre : {"calibrated", "mean", "median"}
        Which raters define severity 0 within each reference group (connected component,
        and role block when roles are adjusted). ``"calibrated"`` (default): the mean of
        the raters with ``min_ratings`` who are not themselves flagged severe or lenient,
        found by a fixed point started from the group's shorth (a trimmed mean whose
        trimming rule is the flag rule; with nobody flagged it is the mean rater), so a
        lenient clique does not make its unit's calibrated raters look severe.
        ``"mean"``: the mean rater (sum-to-zero contrasts). ``"median"``: the median rater
        among those with ``min_ratings``. Standard errors are those of the contrast with
        the reference mean (for ``"median"``, of the mean contrast).
    alpha : float
        1 - confidence level of ``ci_low``/``ci_high``.
    estimator : {"blup", "fixed"}
        ``"blup"`` (default): ``severity`` is the empirical-Bayes best linear unbiased
        predictor of the rater effect (Henderson 1975) with the variance components
        estimated from the data, ``se`` the square root of its prediction error variance;
        ``"fixed"``: ``severity`` is the fixed-effect estimate (``severity_fixed``).
    variance_components : mapping, optional
        ``subject``, ``rater``, ``subject:rater``, ``residual`` variances for the BLUP
        (default: Henderson Method 1 on the nuisance-free scores, per component centred).
    latent : bool or "auto"
        Read integer scores as rounded, bounded readings of a latent normal score and fit
        the model to their expected latent values (EM for the interval-censored normal
        model, :func:`_latent_scores`): severities are then on the latent score scale,
        not compressed by the scale's ceiling or floor. ``"auto"`` (default): when the
        scores are on an integer scale of three or more categories and at least 5 % of
        them sit at its lowest or highest category (a ceiling compresses exactly the
        lenient raters a calibration meeting is for); ``False``: the scores as they are.
    score_range : (low, high), optional
        The scale's lowest and highest categories for ``latent`` (default: observed).

    Returns
    -------
    DataFrame indexed by rater with columns ``severity`` (positive = harsher: the
    rater's scores are lower by that much, on the score scale, than the average
    rater's for the same subjects and items; the BLUP by default), ``se`` (the root
    prediction error variance of the BLUP, or the fixed-effect ``se_fixed``), ``ci_low``,
    ``ci_high`` (``severity -+ z se``), ``severity_fixed`` (the fixed-effect estimate),
    ``se_fixed`` (its SE with the design effect of ratings clustered in rater x subject
    cells), ``se_model`` (the least-squares SE assuming independent ratings),
    ``n_ratings``, ``n_subjects``, ``mean_score``, ``sd_ratio``, ``halo``,
    ``mean_item_corr``, ``item_sd_ratio``, ``flag`` (lenient/severe/central/halo/ok),
    ``flags`` (every rule that fired, joined by ``+``), ``flag_rule`` (the rule that fired, with the
    rater's numbers; ``ok`` when none did, the rules being in ``attrs["flag_rule"]``), ``role`` (when given),
    ``component`` and ``note``.

    Notes
    -----
    ``severity_fixed`` is minus the rater fixed effect of ``y = mu + subject + rater (+ item) + e``
    (the "rater severity" of Myford & Wolfe 2003, additive-model version), as a contrast
    with the reference raters (``centre``) of the rater's group: severities are only
    comparable within a connected component of the subject-rater graph.

    Identification with roles. With ``role`` and ``adjust_role`` the nuisance facet is
    item x role. When every rater of a set of roles rates in those roles only (the usual
    case: an atasan rates as atasan, a member of the public only as masyarakat), adding
    ``c`` to every rating effect of those roles and ``-c`` to every one of their raters
    leaves the fit unchanged: the role's shift and its raters' mean severity are not
    separately identified, and any split between them is arbitrary. The estimable
    contrasts are those within a *role block* (the connected components of the
    rater-role graph: roles linked by raters who rate in several of them), so severity
    is relative to raters of the same role block in the same component. A role whose
    shift is systematic (the public rates higher) therefore flags nobody; roles linked by
    multi-role raters are compared with each other, their shifts being identified. A
    rater who is the only one of their role block in a component (one atasan per unit)
    has no such contrast: severity ``nan`` with that reason (``adjust_role=False``
    compares across roles, including the role's shift). ``attrs["reference"]`` states the
    reference in words.

    Within a role block the contrast across roles rests on the raters who rate in
    several of them, most often through self-ratings, which sit near the scale's ceiling
    where the additive model holds least: on the sample study (``evaltools.simulate``)
    that link moved every atasan of a calibrated unit by 0.1-0.3 points against the
    simulated truth. With ``by_role`` (default) the reference raters of each rater are
    those of their own most frequent role in the block, so every role's calibrated raters
    average 0 and a rater is compared with raters of the same role; a role's systematic
    shift is never a rater's severity. A role with fewer than five assessable raters in
    its block (three atasan in a small unit) cannot calibrate itself and is compared with
    the block's largest role (:func:`_role_groups`).

    Standard errors. The model treats the rater x subject impression and the residual as
    the only noise, but raters also differ in spread, in halo and in how they use the
    scale's ends, and that misfit is noise for the severity too. With ``calibrate_se``
    the subjects are split in two fixed halves, each half gives every rater a severity
    against the same reference, and the spread of the differences against their model
    variances gives the factor by which the SEs understate the noise (1.0-1.7 on the
    sample's units, median about 1.2); ``se``, ``se_fixed`` and the intervals are widened
    by it (never narrowed), ``se_model`` is left as the model gives it.

    What the flags can reach. On the sample's design (10-20 ratees per rater, the
    calibrated raters' own severities spread with SD 0.25) a rater's severity is known to
    about +-0.15 points, and a rule that knew the true distribution of severities would
    reach precision 0.9 only at recall about 0.5 against the raters truly beyond 0.5
    (``benchmarks/RESULTS.md``). ``flag_level=0.8`` is chosen for the names on a
    calibration list to be right and for the unit decision: over four simulated studies
    every lenient or severe clique unit had at least 10 % of its raters flagged and no
    other unit did. It is estimated exactly by
    sparse normal equations with subjects absorbed (Searle 1971, ch. 7); ``se_model``
    is ``s * sqrt(diag(M^-))`` of that fit, and ``se`` multiplies it by the square root of
    Kish's (1965) design effect ``1 + (m - 1) rho`` (m ratings per rater-subject cell,
    rho the subject:rater share of the G study), because one rater's ratings of one
    person share that rater's impression of the person.

    The default ``severity`` is the BLUP of the rater effect in the mixed model
    ``y = c_component + subject + rater + subject:rater + e`` fitted to the scores with
    the nuisance (item x role) effects of the fixed fit removed, with variance components
    by Henderson's (1953) Method 1 plugged in (empirical Bayes; Henderson 1975, Searle,
    Casella & McCulloch 1992 ch. 7). A rater who scored few people, or whose ratees were
    seen by few others, is shrunk toward the component's typical rater by the share of
    their estimate that is noise; the ``subject:rater`` impression variance enters the
    weight of each rater-subject cell, so many items about one person count as one
    impression, not as many independent ratings. Raters rating many people barely move.

    Recovery on the simulated sample study (``evaltools.simulate``, ``SAMPLE_ARGS``):
    correlation with the true severities (both centred within unit) .90 for the BLUP and
    .87 for the fixed-effect estimate over every rater with >= 3 ratees.

    ``sd_ratio`` is the SD of the rater's scores (minus item effects) over the SD a
    typical rater would show on the same subjects, ``sqrt(var(fitted subject levels over
    the rater's ratings) + s2_residual)``: below 1 the rater uses a narrower range than
    the pool for the same people (central tendency / range restriction, Myford & Wolfe
    2003). ``mean_item_corr`` is the rater's mean inter-item correlation
    over the subjects they rated, estimated as the ICC(1) of their subjects x items
    table (item difficulty removed), and ``halo`` is that minus the median over raters
    (Cooper 1981; Myford & Wolfe 2004); ``item_sd_ratio`` is the rater's within-subject
    SD across items over the pooled one (the same symptom seen from the other side:
    little differentiation between items).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> s, r = np.repeat(np.arange(60), 4), np.tile(np.arange(8), 30)          # 8 raters, 4 per subject
    >>> y = rng.normal(0, 1, 60)[s] - np.where(r == 0, 1.0, 0.0) + rng.normal(0, 0.3, s.size)
    >>> fx = rater_effects(pd.DataFrame({"s": s, "r": r, "y": y}), subject="s", rater="r", score="y")
    >>> fx.loc[0, "flag"], bool(fx.loc[0, "severity"] > 0.8)                 # rater 0 is 1 point harsher
    ('severe', True)
    """
    if estimator not in ("blup", "fixed"):
        raise ValueError("estimator must be 'blup' or 'fixed'")
    if centre not in ("calibrated", "mean", "median"):
        raise ValueError("centre must be 'calibrated', 'mean' or 'median'")
    d = _clean(data, [subject, rater, item, role, period], score)
    if d.empty:
        raise DataError("no ratings with a score", column=score)
    dz = _rater_design(d, subject=subject, rater=rater, score=score, item=item, role=role, period=period,
                       adjust_role=adjust_role, by_role=by_role, min_ratings=min_ratings)
    ft = _fit_severities(dz, estimator=estimator, latent=latent, score_range=score_range,
                         variance_components=variance_components, alpha=alpha, centre=centre,
                         min_ratings=min_ratings, severity_threshold=severity_threshold, calibrate_se=calibrate_se)
    fit, sc, n_r, r = ft["fit"], ft["scores"], dz["n_r"], dz["r"]
    comp, grp = fit.rater_component, fit.rater_group
    n_rat = ft["n_rat"]
    sp_ = _spread_and_halo(ft["yi"], fit, dz["s"], r, n_r, item is not None, halo_min_subjects, ft["s2_scores"])
    # a rater alone in a component (or in a role block of it) has nobody to be compared with
    alone_comp = np.bincount(comp, minlength=fit.n_components)[comp] < 2
    alone = np.bincount(grp, minlength=fit.n_groups)[grp] < 2
    sev_fx = np.where(alone, np.nan, sc["severity_fixed"])
    se_fx = np.where(alone, np.nan, ft["se_fixed"])
    se_model = np.where(alone, np.nan, sc["se_model"])
    if estimator == "blup":
        sev, se = np.where(alone, np.nan, sc["severity"]), np.where(alone, np.nan, sc["se"])
    else:
        sev, se = sev_fx, se_fx
    z = float(scipy.stats.norm.ppf(1 - alpha / 2))
    ci_low, ci_high = sev - z * se, sev + z * se
    fl = _flag_raters(sev, se, ci_low, ci_high, sp_, n_rat >= min_ratings, flag_level=flag_level,
                      severity_threshold=severity_threshold,
                      central_threshold=central_threshold, halo_threshold=halo_threshold,
                      halo_item_sd_ratio=halo_item_sd_ratio, min_ratings=min_ratings)
    note = _rater_notes(dz, fit, n_rat >= min_ratings, alone, alone_comp, min_ratings,
                        [ft["latent_note"], sc["note"], ft["blup_note"], fit.note])
    out = pd.DataFrame({
        "severity": sev, "se": se, "ci_low": ci_low, "ci_high": ci_high,
        "severity_fixed": sev_fx, "se_fixed": se_fx, "se_model": se_model,
        "n_ratings": n_rat.astype(np.int64), "n_subjects": dz["n_sub"].astype(np.int64),
        "mean_score": np.bincount(r, dz["y"], n_r) / n_rat, "sd_ratio": sp_["sd_ratio"], "halo": sp_["halo"],
        "mean_item_corr": sp_["mean_item_corr"], "item_sd_ratio": sp_["item_sd_ratio"],
        "flag": fl["flag"], "flags": fl["flags"], "flag_rule": fl["why"],
        "component": comp.astype(np.int64), "note": note,
    }, index=pd.Index(dz["r_lab"], name=rater))
    if role is not None:
        # each rater's most frequent role (ties: the first in sorted order)
        g, g_lab = _codes(d[role])
        n_g = len(g_lab)
        modal = np.bincount(r * n_g + g, minlength=n_r * n_g).reshape(n_r, n_g).argmax(axis=1)
        out.insert(out.columns.get_loc("flag"), "role", np.asarray(g_lab.astype(str), dtype=object)[modal])
    out.attrs["method"] = (("empirical-Bayes BLUP (Henderson 1975) of rater effects, variance components by "
                            "Henderson Method 1; severity_fixed: " if estimator == "blup" else "")
                           + "fixed-effects crossed model subject + rater" + (" + item" if item else "")
                           + ", sparse normal equations with subjects absorbed")
    names = list(dict.fromkeys(dz["blk_names"]))
    out.attrs["reference"] = _REFERENCE_TEXT[centre] + (
        f" of the same {'role' if dz['by_role'] else 'role block'} (" + ", ".join(names) + ")"
        if len(names) > 1 else "")
    out.attrs["flag_rule"] = _flag_rules(severity_threshold, central_threshold, halo_threshold, halo_item_sd_ratio,
                                         min_ratings, flag_level)
    out.attrs["residual_sd"] = math.sqrt(fit.s2) if np.isfinite(fit.s2) else np.nan
    out.attrs["intracell_corr"] = ft["rho"]
    out.attrs["se_factor"] = ft["se_factor"]
    out.attrs["variance_components"] = ft["vc"]
    return out


def _fit_severities(dz: Mapping[str, Any], *, estimator: str, latent: bool | str,
                    score_range: tuple[float, float] | None, variance_components: Mapping[str, float] | None,
                    alpha: float, centre: str, min_ratings: int, severity_threshold: float,
                    calibrate_se: bool) -> dict[str, Any]:
    """The fits behind :func:`rater_effects`: the scores (latent where asked), the fixed
    crossed fit, the variance components, the BLUP, the reference raters' contrasts and
    the standard errors with the design effect and the split-half check."""
    n_r, r, s = dz["n_r"], dz["r"], dz["s"]
    y = dz["y"]
    latent_note, cvar = "", 0.0
    if latent == "auto":
        latent = _ceiling_matters(y, score_range)
    if latent:
        y, latent_note, cvar = _latent_scores(y, s, r, dz["nu"], dz["n_s"], n_r, int(dz["nu"].max()) + 1,
                                              score_range)
    # severities are contrasts within the same role block of the same connected
    # component: the estimable rater contrasts of this model (see Notes)
    fit = _CrossedFit(y, s, r, dz["nu"], dz["n_s"], n_r, int(dz["nu"].max()) + 1, groups=dz["blk"])
    s2_scores = fit.s2          # the spread a rater's scores are compared with (sd_ratio)
    if cvar > 0:
        # the conditional means vary less than the latent scores they stand for:
        # Var(y*) = Var(E[y* | score]) + E[Var(y* | score)], so the residual variance of
        # the latent model adds the mean conditional variance (Louis 1982)
        fit.add_residual_variance(cvar)
    n_rat = np.bincount(r, minlength=n_r)
    # nuisance-free scores: the group-level part of the rater effects is not identified
    # apart from the nuisance facet (its null direction), so it goes with it
    val0, _ = fit.contrast()
    yi = y - fit.item[dz["nu"]] - (fit.rater - val0)[r]
    vc = _rater_variance_components(yi, s, r, fit.rater_component, fit.n_components, n_rat, variance_components)
    if cvar > 0 and variance_components is None:
        vc["residual"] = vc["residual"] + cvar
    bfit, blup_note = (_rater_blup(yi, s, r, fit.rater_group, dz["n_s"], n_r, vc) if estimator == "blup"
                       else (None, ""))
    kw = dict(alpha=alpha, centre=centre, min_ratings=min_ratings, severity_threshold=severity_threshold)
    sc = _severity_scores(fit, bfit, n_rat, **kw)
    # Ratings of one subject by one rater share the rater's impression of that subject
    # (rater x subject interaction), so they are not independent: inflate the model SE
    # by Kish's (1965) design effect 1 + (m - 1) rho, m = ratings per rater-subject
    # cell, rho = s2(subject:rater) / (s2(subject:rater) + s2(residual)) from the
    # Henderson Method 1 G study of the same facets (the residuals' own intra-cell
    # correlation is biased to 0: the rater effect absorbs the cells of raters who
    # scored one subject).
    s2sr, s2e = vc["subject:rater"], vc["residual"]
    rho = s2sr / (s2sr + s2e) if np.isfinite(s2e) and s2sr + s2e > 0 else 0.0
    n_cells = np.bincount(unique_codes(r.astype(np.int64) * dz["n_s"] + s, n_r * dz["n_s"]) // dz["n_s"],
                          minlength=n_r)
    deff = 1 + (n_rat / np.maximum(n_cells, 1) - 1) * rho
    k_se = 1.0
    if calibrate_se:
        k_se = _split_half_factor(y, s, r, dz["nu"], n_r, dz["blk"], sc["ref"], rho, n_rat >= min_ratings)
        k_se = max(k_se, 1.0) if np.isfinite(k_se) else 1.0
        if k_se > 1.0:
            sc = _severity_scores(fit, bfit, n_rat, se_scale=k_se, **kw)
    return {"fit": fit, "scores": sc, "yi": yi, "vc": vc, "rho": rho, "n_rat": n_rat, "s2_scores": s2_scores,
            "se_fixed": sc["se_model"] * np.sqrt(deff) * k_se, "se_factor": k_se,
            "latent_note": latent_note, "blup_note": blup_note}


def _rater_notes(dz: Mapping[str, Any], fit: "_CrossedFit", enough: np.ndarray, alone: np.ndarray,
                 alone_comp: np.ndarray, min_ratings: int, extras: list[str]) -> np.ndarray:
    """Each rater's note: too few ratings, no comparison, the component, the fit's notes."""
    note = np.where(enough, "", _note("few_ratings", n=min_ratings)).astype(object)
    if dz["blk_names"]:
        lone = alone & ~alone_comp
        note[lone] = [_note("lone_role_rater", role=dz["blk_names"][b]) for b in dz["blk"][lone]]
    note[alone_comp] = _note("no_comparison_rater")
    if fit.n_components > 1:
        note = np.array([(n + "; " if n else "") + _note("component_relative", c=c)
                         for n, c in zip(note, fit.rater_component)], dtype=object)
    for extra in extras:
        if extra:
            note = np.array([(n + "; " if n else "") + extra for n in note], dtype=object)
    return note


def _rater_design(d: pd.DataFrame, *, subject: str, rater: str, score: str, item: str | None, role: str | None,
                  period: str | None, adjust_role: bool, by_role: bool = False,
                  min_ratings: int = 10) -> dict[str, Any]:
    """Integer codes of the crossed model: subjects (x period), raters, the nuisance
    facet (items, crossed with roles when role shifts are removed: a self-rating's
    inflation is a property of the role, not of the person rating) and the role blocks."""
    y = d[score].to_numpy()
    s_person, _ = _codes(d[subject])
    if period is not None:
        s, _ = _codes(pd.Series(s_person * (len(d) + 1) + _codes(d[period].astype(str))[0]))
    else:
        s = s_person
    r, r_lab = _codes(d[rater])
    n_r = len(r_lab)
    i = _codes(d[item])[0] if item is not None else np.zeros(len(d), dtype=np.int64)
    blk_names: list[str] = []
    if role is not None and adjust_role:
        g, g_lab = _text_codes(d[role])
        nu, _ = _codes(pd.Series(i * (int(g.max()) + 1) + g))
        # a rating links its rater's roles only when someone else rated the same subject
        # (a self-rating of a person nobody else rated says nothing about the role's shift)
        n_sr = np.bincount(unique_codes(s.astype(np.int64) * n_r + r, (int(s.max()) + 1) * n_r) // n_r,
                           minlength=int(s.max()) + 1)
        seen = n_sr[s] >= 2
        blk, blk_names = _role_blocks(r[seen], g[seen], n_r, g_lab)
        if by_role:
            blk, blk_names = _role_groups(r, s, g, g_lab, blk, n_r, min_ratings)
    else:
        nu, blk = i, np.zeros(n_r, dtype=np.int64)
    n_p = int(s_person.max()) + 1
    n_sub = np.bincount(unique_codes(r * n_p + s_person, n_r * n_p) // n_p, minlength=n_r)
    return {"y": y, "s": s, "r": r, "r_lab": r_lab, "n_r": n_r, "n_s": int(s.max()) + 1, "nu": nu, "blk": blk,
            "blk_names": blk_names, "n_sub": n_sub, "by_role": bool(role is not None and adjust_role and by_role)}


#: a role with fewer assessable raters than this in a role block has no reference of its own
MIN_ROLE_RATERS = 5


def _role_groups(r: np.ndarray, s: np.ndarray, g: np.ndarray, g_lab: pd.Index, blk: np.ndarray, n_r: int,
                 min_ratings: int) -> tuple[np.ndarray, list[str]]:
    """Reference groups by role within each role block (and connected component).

    A rater's role is their most frequent one (ties: the first in sort order). A role with
    fewer than :data:`MIN_ROLE_RATERS` raters of ``min_ratings`` in its block is compared
    with the block's largest role instead: three atasan cannot calibrate each other (one
    lenient atasan moves the others' reference by a third of their bias), while the
    cross-role link, biased by 0.1-0.3 points through the self-ratings, is the smaller
    error there. Returns each rater's group code and the group names.
    """
    n_g = len(g_lab)
    cnt = np.bincount(r * n_g + g, minlength=n_r * n_g).reshape(n_r, n_g)
    prim = cnt.argmax(axis=1)
    n_s = int(s.max()) + 1
    _, lab = _bipartite_components(r, s, n_r, n_s)
    kb = pd.factorize(lab[:n_r].astype(np.int64) * (int(blk.max()) + 1) + blk)[0]
    n_kb = int(kb.max()) + 1
    usable = np.zeros((n_kb, n_g))
    np.add.at(usable, (kb, prim), (cnt.sum(axis=1) >= min_ratings).astype(float))
    small = usable[kb, prim] < MIN_ROLE_RATERS
    role = np.where(small, usable.argmax(axis=1)[kb], prim)
    code, first = pd.factorize(blk * n_g + role)
    names = [str(g_lab[k % n_g]) for k in np.asarray(first, np.int64)]
    return code.astype(np.int64), names


def _rater_variance_components(yi: np.ndarray, s: np.ndarray, r: np.ndarray, comp: np.ndarray, n_comp: int,
                               n_rat: np.ndarray, given: Mapping[str, float] | None) -> dict[str, float]:
    """The caller's variance components, or Henderson Method 1 on the nuisance-free
    scores centred per component (a unit's level belongs to its subjects and raters alike)."""
    if given is not None:
        return {k: float(given[k]) for k in ("subject", "rater", "subject:rater", "residual")}
    if n_rat.max() <= 1:
        return {"subject": np.nan, "rater": np.nan, "subject:rater": 0.0, "residual": np.nan}
    cm = np.bincount(comp[r], yi, n_comp) / np.maximum(np.bincount(comp[r], minlength=n_comp), 1)
    return _rater_vc(yi - cm[comp[r]], s, r)


def _flag_raters(sev: np.ndarray, se: np.ndarray, ci_low: np.ndarray, ci_high: np.ndarray,
                 sp_: Mapping[str, np.ndarray], enough: np.ndarray, *, flag_level: float, severity_threshold: float, central_threshold: float, halo_threshold: float,
                 halo_item_sd_ratio: float, min_ratings: int) -> dict[str, np.ndarray]:
    """The primary flag, every flag that fired, and the rule that fired with the rater's numbers."""
    sd_ratio, halo, isr = sp_["sd_ratio"], sp_["halo"], sp_["item_sd_ratio"]
    # beyond the tolerance with flag_level confidence: the one-sided flag_level bound
    # lies beyond the threshold (flag_level 0.5: the estimate itself)
    q = max(float(scipy.stats.norm.ppf(flag_level)), 0.0)
    with np.errstate(invalid="ignore"):
        is_sev = enough & (sev - q * se >= severity_threshold) & (ci_low > 0)
        is_len = enough & (sev + q * se <= -severity_threshold) & (ci_high < 0)
    is_cen = enough & (sd_ratio < central_threshold)
    is_halo = enough & (halo > halo_threshold) & (isr < halo_item_sd_ratio)
    n_r = sev.size
    flags = np.full(n_r, "", dtype=object)
    flag = np.full(n_r, "ok", dtype=object)
    # the full rule set is in attrs["flag_rule"], not repeated in every row
    why = np.full(n_r, "ok", dtype=object)
    # later assignments win for the primary flag: severity first, then central, halo
    for mask, name, fmt in [
        (is_halo, "halo", lambda k: f"halo: halo {halo[k]:.2f} > {halo_threshold:g} and item_sd_ratio "
                                    f"{isr[k]:.2f} < {halo_item_sd_ratio:g}"),
        (is_cen, "central", lambda k: f"central: sd_ratio {sd_ratio[k]:.2f} < {central_threshold:g}"),
        (is_len, "lenient", lambda k: f"lenient: severity {sev[k]:.2f}" + (
            f" + {q:.2f} x se {se[k]:.2f} = {sev[k] + q * se[k]:.2f}" if q else "")
            + f" <= -{severity_threshold:g} and CI [{ci_low[k]:.2f}, {ci_high[k]:.2f}] below 0"),
        (is_sev, "severe", lambda k: f"severe: severity {sev[k]:.2f}" + (
            f" - {q:.2f} x se {se[k]:.2f} = {sev[k] - q * se[k]:.2f}" if q else "")
            + f" >= {severity_threshold:g} and CI [{ci_low[k]:.2f}, {ci_high[k]:.2f}] above 0"),
    ]:
        idx = np.flatnonzero(mask)
        flag[idx] = name
        flags[idx] = [name + ("+" + f if f else "") for f in flags[idx]]
        why[idx] = [fmt(k) for k in idx]
    return {"flag": flag, "flags": np.array([f if f else "ok" for f in flags], dtype=object), "why": why}


def role_effects(data: pd.DataFrame, *, subject: str, role: str, score: str, item: str | None = None,
                 rater: str | None = None, reference: str | None = "atasan", alpha: float = 0.05) -> pd.DataFrame:
    """Severity of each rater role (self vs atasan vs rekan kerja vs ...) for the same subjects.

    Fits ``score = subject + role (+ item) + e`` with the exact crossed solver of
    :func:`rater_effects` (the role takes the place of the rater), so a role's effect
    compares ratings of the *same* subjects.

    Returns
    -------
    DataFrame indexed by role: ``severity`` (positive = harsher than the average role),
    ``se``, ``ci_low``, ``ci_high``, ``vs_reference`` (severity minus the reference
    role's; ``nan`` when the reference is absent), ``n_ratings``, ``n_subjects``,
    ``n_raters`` (when ``rater`` is given), ``mean_score``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> s = np.repeat(np.arange(40), 3)                     # 40 employees, three roles each
    >>> role = np.tile(["atasan", "rekan_kerja", "diri_sendiri"], 40)
    >>> y = (rng.normal(3, 0.7, 40)[s] + np.where(role == "diri_sendiri", 0.6, 0.0)   # self-ratings 0.6 higher
    ...      + rng.normal(0, 0.3, s.size))
    >>> fx = role_effects(pd.DataFrame({"s": s, "role": role, "y": y}), subject="s", role="role", score="y")
    >>> fx["vs_reference"].round(1).abs().to_dict()          # against the atasan: self is lenient
    {'atasan': 0.0, 'diri_sendiri': 0.5, 'rekan_kerja': 0.0}
    >>> bool(fx.loc["diri_sendiri", "vs_reference"] < 0)
    True
    """
    d = _clean(data, [subject, role, item, rater], score)
    y = d[score].to_numpy()
    s, _ = _codes(d[subject])
    g, g_lab = _codes(d[role].astype(str))
    i = _codes(d[item])[0] if item is not None else np.zeros(len(d), dtype=np.int64)
    n_s, n_g, n_i = int(s.max()) + 1, len(g_lab), int(i.max()) + 1
    fit = _CrossedFit(y, s, g, i, n_s, n_g, n_i)
    sev = -fit.rater
    se = fit.rater_se()
    z = float(scipy.stats.norm.ppf(1 - alpha / 2))
    n_rat = np.bincount(g, minlength=n_g)
    out = pd.DataFrame({
        "severity": sev, "se": se, "ci_low": sev - z * se, "ci_high": sev + z * se,
        "n_ratings": n_rat, "n_subjects": np.bincount(unique_codes(g * n_s + s, n_g * n_s) // n_s, minlength=n_g),
        "mean_score": np.bincount(g, y, n_g) / n_rat,
    }, index=pd.Index(g_lab, name=role))
    ref = out.loc[reference, "severity"] if reference is not None and reference in out.index else np.nan
    out.insert(4, "vs_reference", out["severity"] - ref)
    if rater is not None:
        out["n_raters"] = d.groupby(d[role].astype(str))[rater].nunique().reindex(out.index).to_numpy()
    out.attrs["reference"] = reference
    return out

"""The notes of the statistics, by stable code: one English template per code.

A statistic that is undefined, or computed in a way worth knowing, says so in its ``note``
(an English sentence; several join with "; "). Each sentence is written here, from its
code and parameters (:func:`note`), and read back the same way (:func:`parse`), so a report
shows a note in its reader's language from the message catalog (``note.<code>``) without a
second definition of the wording.

A template is a ``str.format`` string. Its placeholders decide how a note is read back:
``{name}`` is any text without "; " (a number in it comes back as int or float),
``{name:.3g}``, ``{name:g}``, ``{name:.2f}`` a number, ``{name:.0%}`` a share (``"25%"``
comes back as 0.25) and ``{name!r}`` a quoted name (``'Dinas A'`` comes back as
``Dinas A``). A code may list further templates after the first: they are read, never
written (the wording a note had before).

Examples
--------
>>> note("few_donors", n=8, pmin=1 / 9, alpha=0.05)
'only 8 placebo donors: the smallest attainable p-value is 0.111 > alpha = 0.05'
>>> parse("no variance in scores; 3 rows with a missing score ignored")
[('no_variance', {}), ('missing_scores', {'n': 3})]
"""
from __future__ import annotations

import ast
import re
import string
from typing import Any

__all__ = ["NOTES", "fields", "note", "parse"]

#: code -> English templates; the first is the one written (see the module docstring)
NOTES: dict[str, tuple[str, ...]] = {
    # --- reliability: who rated whom -----------------------------------------------------
    "few_subjects": ("fewer than two subjects",),
    "few_subjects_crossed": ("fewer than two subjects rated by all raters (raters not crossed with subjects)",),
    "few_raters": ("fewer than two raters",),
    "one_subject": ("one subject: no standard error",),
    "no_pair": ("no subject was rated by two or more raters",),
    "no_pair_both": ("no subject was rated by both raters",),
    "cohen_one_rater": ("Cohen's kappa needs two raters; found one",),
    "cohen_single": ("{n} subjects rated by one rater only were left out",),
    "missing_scores": ("{n} rows with a missing score ignored",),
    # --- reliability: no variance ----------------------------------------------------------
    "no_variance": ("no variance in scores",),
    "no_disagreement": ("no variance in scores: expected disagreement is zero",),
    "same_category": ("no variance in scores: every rating falls in the same category",),
    "one_category": ("no variance in scores: only one category (pass the scale's categories=)",),
    "many_values": ("{n} distinct scores: categorical coefficients need a categorical scale (pass categories=)",),
    # --- reliability: the kappa family -----------------------------------------------------
    "conger_nested": ("raters rate fewer than two subjects each (raters nested in subjects): Conger's per-rater "
                      "chance agreement is not estimable; see Fleiss' kappa",),
    "conger_few": ("raters rate fewer than two subjects each: per-rater chance agreement is poorly estimated",),
    "fnl_weighted": ("Fleiss-Nee-Landis null test is for unweighted kappa; p-value from Gwet's t test",),
    "fnl_unequal": ("Fleiss-Nee-Landis null test needs the same number of raters per subject; p-value from "
                    "Gwet's t test",),
    "hayes_by": ("bootstrap='hayes' with by= needs at most {n} distinct score values",),
    # --- reliability: ICCs and Kendall's W --------------------------------------------------
    "icc_one_rater": ("no subject was rated by two or more raters; one-way ICCs use all {n} subjects "
                      "(1 ratings each)",),
    "icc_oneway": ("one-way ICCs use all {n} subjects ({m} ratings each)",),
    "icc_unbalanced": ("one-way ICCs use all {n} subjects with unequal numbers of ratings ({lo} to {hi}; "
                       "k0 = {k0:.3g})",),
    "icc_not_crossed": ("two-way ICCs need subjects rated by all {k} raters; {n} of {n_all} subjects are "
                        "(raters are not crossed with subjects)",),
    "icc_complete": ("two-way ICCs use the {n} of {n_all} subjects rated by all {k} raters ({dropped} left out)",),
    "icc_within_zero": ("within-subject mean square is 0 (every subject's ratings agree): F = inf, p = 0, "
                        "CI (1, 1)",),
    "icc_error_zero": ("error mean square is 0 (raters differ at most by a constant): F = inf, p = 0, "
                       "ICC3 CI (1, 1)",),
    "kendall_incomplete": ("{k} of {n} subjects not rated by every rater were left out",),
    # --- calibration: the distribution pattern (SE MenPANRB 3/2023) --------------------------
    "dist_max": ("deviation: {group}: {k} of {n} ({share:.0%}), at most {need} allowed ({need_share:.0%})",),
    "dist_min": ("deviation: {group}: {k} of {n} ({share:.0%}), at least {need} expected ({need_share:.0%})",),
    "dist_min_count": ("deviation: {group}: {k} of {n}, at least {need} expected",),
    "dist_largest": ("deviation: {group}: {k} of {n}, should be the largest group (largest other group: {other})",),
    "rule_max": ("{group}: {k} of {n} ({share:.0%}), at most {need} allowed ({need_share:.0%})",),
    "rule_min": ("{group}: {k} of {n} ({share:.0%}), at least {need} expected ({need_share:.0%})",),
    "rule_min_count": ("{group}: {k} of {n}, at least {need} expected",),
    "rule_largest": ("{group}: {k} of {n}, should be the largest group (largest other group: {other})",),
    "small_unit": ("small unit (n={n} < {min_n}): advisory",),
    "no_predikat": ("no predikat values",),
    "gof_exact": ("exact multinomial test",),
    "gof_chi2": ("Pearson chi-square {stat:.3f} on {df} df",),
    "gof_small_expected": ("some expected counts < 5",),
    "gof_zero_share": ("a predikat with reference share 0 was observed",),
    # --- calibration: G study ------------------------------------------------------------------
    "gt_singular": ("moment equations singular: least-squares solution",),
    "gt_not_converged": ("REML optimizer did not converge: the reported components are not the optimum",),
    "gt_not_finite": ("REML deviance not finite: components not estimable",),
    "gt_nested": ("includes {effects} (nested design)",),
    "gt_confounded": ("{effect} interaction confounded with error (one rating per cell)",),
    "gt_negative": ("negative estimate set to 0",),
    # --- pilot: one unit against few controls ------------------------------------------------
    "few_controls": ("fewer than two control units: no test",),
    "missing_changes": ("missing change values",),
    "controls_constant": ("the control units' changes do not vary: the test is undefined",),
    "size_extrapolated": ("the pilot unit's size lies outside the controls' sizes: its variance is extrapolated",),
    "size_no_variance": ("unit sizes leave a control unit with no variance",),
    "treated_first": ("treated from the first period: no pre-period",),
    # --- pilot: synthetic control ----------------------------------------------------------------
    "no_pre_period": ("unit {unit!r} is treated from the first period ({period}): no pre-period to fit",),
    "no_donors": ("no never-treated or not-yet-treated donor units left for the unit's post-period",),
    "donors_missing": ("{n} donor unit(s) dropped for missing {outcome} values",),
    "unit_missing": ("unit {unit!r} lacks {outcome} in {n} period(s)",),
    "no_pre_outcome": ("unit {unit!r} has no observed pre-period {outcome}",),
    "no_post_outcome": ("unit {unit!r} has no observed post-period {outcome}",),
    "constant_outcome": ("outcome {outcome!r} is constant: no effect can be estimated",),
    "constant_predictors": ("constant predictor(s) ignored: {names}",),
    "poor_prefit": ("poor pre-period fit: pre-RMSPE {rmspe:.3g} exceeds {factor:g} x the SD of pre-period "
                    "{outcome} ({sd:.3g}); the unit may lie outside the donors' range, read the synthetic-control "
                    "estimate with care",),
    "one_pre_period": ("only one pre-period: the pre-period fit cannot be judged",),
    "one_donor": ("one donor only: no placebo refits, so no p-value or interval",),
    "exact_fit": ("{k} of {n} placebo units fit exactly in the pre-period (many donors, few pre-periods): the "
                  "RMSPE-ratio p-value has little power; compare pval_gap, the placebo interval and the DiD",),
    "few_donors": ("only {n} placebo donors: the smallest attainable p-value is {pmin:.3g} > alpha = {alpha:g}",),
    "placebo_interval": ("fewer than {n} placebos: the placebo intervals span the placebo range and cover less "
                         "than {level:.0%}",),
    "rmspe_zero": ("pre- and post-period RMSPE both zero: the RMSPE ratio is undefined",),
    # --- calibration: rater effects ------------------------------------------------------------
    "rater_var_zero": ("rater variance estimated as 0: every severity shrinks to 0",),
    "few_ratings": ("fewer than {n} ratings: not flagged",),
    "lone_role_rater": ("the only {role} rater of these subjects: severity not separable from the role's shift "
                        "(adjust_role=False compares across roles)",),
    "no_comparison_rater": ("no other rater scored these subjects: severity undefined",),
    "component_relative": ("severity relative to component {c}",),
    "crossed_pinv": ("normal equations rank-deficient beyond the connected components; pseudo-inverse used",),
    "crossed_sparse": ("sparse solve (a component of {n} raters); standard errors not computed",),
    # notes their modules still write as text (the same wording): read back by their code
    "latent_not_converged": ("latent: EM did not converge in {n} steps",),
    "reference_not_settled": ("reference raters did not settle in {n} steps: severities relative to the last "
                              "reference",),
    "cell_reference": ("reference period",),
    "cell_no_never": ("no never-treated comparison units",),
    "cell_no_comparison": ("no never-treated or not-yet-treated comparison units in this period",),
    # --- pilot: difference-in-differences ------------------------------------------------------
    "did_no_outcome": ("no observations with a non-missing outcome",),
    "did_no_pre": ("no pre-period: every observation is after the pilot began, the DiD is undefined",),
    "did_no_post": ("no post-period: no observation after the pilot began, the DiD is undefined",),
    "did_no_treated": ("no treated units: the DiD is undefined",),
    "did_no_controls": ("no control units (all units treated): the DiD is undefined",),
    "did_constant": ("outcome {outcome!r} is constant: the DiD is undefined (no variation to explain)",),
    "did_collinear": ("treated x post is collinear with the fixed effects: the DiD is not identified",),
    "did_few_clusters": ("fewer than 2 clusters: no cluster-robust inference",),
    "did_one_side": ("{n} unit(s) observed only before or only after: they inform the period effects only",),
    "did_cross_sections": ("no unit observed both before and after (repeated cross-sections): treated-group dummy instead "
                           "of unit fixed effects",),
    "did_unbalanced": ("unbalanced panel ({k} of {n} units miss periods): TWFE on all observed unit-periods, fixed "
                       "effects absorbed by alternating projections; the coefficient is then not the simple difference "
                       "of mean changes",),
    "did_single_treated": ("single treated unit: cluster-robust and wild bootstrap inference rely on one treated cluster "
                           "and are unreliable (MacKinnon & Webb 2017); prefer randomization inference or unit_effect",),
    "did_cr1": ("headline: CR1 cluster-robust t-test with {df} df ({g} clusters)",),
    "did_ri_exact": ("headline p-value and CI: randomization inference (all {n} assignments enumerated); CR1 p = "
                     "{p:.4g}",),
    "did_ri_sampled": ("headline p-value and CI: randomization inference ({n} random assignments); CR1 p = {p:.4g}",),
    "did_wild_all_asked": ("headline p-value and CI: wild cluster bootstrap-t (WCR, null imposed, all {n} {weights} sign "
                           "vectors enumerated; requested); CR1 cluster-robust p = {p:.4g}, CI [{lo:.4g}, {hi:.4g}]",),
    "did_wild_all_few": ("headline p-value and CI: wild cluster bootstrap-t (WCR, null imposed, all {n} {weights} sign "
                         "vectors enumerated; {g} clusters < {few}); CR1 cluster-robust p = {p:.4g}, CI [{lo:.4g}, "
                         "{hi:.4g}]",),
    "did_wild_draws_asked": ("headline p-value and CI: wild cluster bootstrap-t (WCR, null imposed, {n} {weights} draws; "
                             "requested); CR1 cluster-robust p = {p:.4g}, CI [{lo:.4g}, {hi:.4g}]",),
    "did_wild_draws_few": ("headline p-value and CI: wild cluster bootstrap-t (WCR, null imposed, {n} {weights} draws; {g} "
                           "clusters < {few}); CR1 cluster-robust p = {p:.4g}, CI [{lo:.4g}, {hi:.4g}]",),
    "did_rademacher_few": ("with {g} clusters the Rademacher p-value takes few distinct values; weights='webb' is advised "
                           "below about 12 clusters (Webb 2014)",),
    "did_ci_unbounded": ("bootstrap confidence interval unbounded: too few clusters for this level",),
    # --- pilot: staggered adoption (Callaway & Sant'Anna) --------------------------------------
    "late_treated": ("{n} unit(s) first treated after the last period are treated as never treated",),
    "first_treated_dropped": ("dropped {n} unit(s) already treated in the first period (no pre-treatment period)",),
    "no_comparison_group": ("no comparison group: there are no never-treated units, and the only wave with pre-treatment "
                            "periods ({wave}) is needed as the comparison group",),
    "first_no_pre": ("the {n} unit(s) treated from the first period on have no pre-treatment period",),
    "att_undefined": ("every ATT(g,t) is undefined",),
    "staggered_constant": ("outcome {outcome!r} is constant: every ATT(g,t) is 0 and standard errors are undefined",),
    "unbalanced_dropped": ("dropped {k} of {n} units not observed with a non-missing outcome in all {t} periods (balanced "
                           "panel required)",),
    "unbalanced_dropped_cov": ("dropped {k} of {n} units not observed with a non-missing outcome and covariates in all {t} "
                               "periods (balanced panel required)",),
    "last_wave_never": ("no never-treated units: the last wave ({wave}) serves as the never-treated comparison group and "
                        "periods from its start on are dropped",),
    "last_wave_notyet": ("no never-treated units: the last wave ({wave}) is used only as a not-yet-treated comparison "
                         "group and periods from its start on are dropped",),
    "small_groups": ("group(s) {groups} have fewer than {n} units (covariates + 5, R did's threshold): estimates may "
                     "be unstable",),
    "single_unit_groups": ("group(s) {groups} have a single unit: their ATT(g,t) rests on one unit and the standard errors "
                           "are unreliable",),
    "simultaneous_cv": ("simultaneous critical value not finite; pointwise bands reported",),
    "pretrend_none": ("no pre-treatment ATT(g,t) to test",),
    "pretrend_singular": ("singular covariance of the pre-treatment ATT(g,t)",),
    "wald_negative": ("negative Wald statistic",),
    "ri_undefined": ("observed aggregate is undefined",),
    "ri_exact": ("exact enumeration of all assignments",),
    "ri_random": ("{n} random permutations",),
    "ri_left_out": ("{n} assignment(s) with an undefined ATT left out",),
    # --- pilot: pooling and power --------------------------------------------------------------
    "reml_not_converged": ("REML did not converge; tau2 is the last iterate",),
    "pool_none": ("no unit with an estimate",),
    "pool_one": ("one unit only: nothing to pool",),
    "power_allocation": ("allocation leaves no treated or no control unit",),
    "power_empty_waves": ("fewer units than steps: some waves are empty",),
    "power_no_df": ("no degrees of freedom left for a t test",),
}

_FMT = string.Formatter()
_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|[-+]?inf|nan"
# a free-text parameter never spans the separator of a note's parts
_TEXT = r"(?:(?!; ).)+?"
_QUOTED = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""


def fields(code: str) -> set[str]:
    """The parameter names of note ``code`` (of its written template).

    Examples
    --------
    >>> sorted(fields("few_donors"))
    ['alpha', 'n', 'pmin']
    """
    return {f for _, f, _, _ in _FMT.parse(NOTES[code][0]) if f}


def note(code: str, /, **params: Any) -> str:
    """The English note of ``code``, its template filled with ``params``.

    Raises ``KeyError`` for an unknown code and ``TypeError`` when the parameters are not
    exactly the template's (a misspelt parameter would otherwise be lost silently).

    Examples
    --------
    >>> note("missing_scores", n=3)
    '3 rows with a missing score ignored'
    >>> note("placebo_interval", n=39, level=0.95)
    'fewer than 39 placebos: the placebo intervals span the placebo range and cover less than 95%'
    """
    want = fields(code)
    if set(params) != want:
        raise TypeError(f"note {code!r} takes {sorted(want)}, got {sorted(params)}")
    return NOTES[code][0].format(**params)


def _value(text: str, spec: str, conversion: str | None) -> Any:
    if conversion == "r":
        return ast.literal_eval(text)
    if spec.endswith("%"):
        return float(text) / 100.0
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    if re.fullmatch(_NUM, text):
        return float(text)
    return text


def _compile(template: str) -> tuple[re.Pattern, dict[str, tuple[str, str | None]]]:
    """A template's regular expression, and per parameter its format spec and conversion."""
    out, kinds = [], {}
    for literal, name, spec, conv in _FMT.parse(template):
        out.append(re.escape(literal))
        if name is None:
            continue
        if name in kinds:   # the same parameter twice: the same text twice
            out.append(f"(?P={name})")
            continue
        kinds[name] = (spec or "", conv)
        if conv == "r":
            pat = _QUOTED
        elif spec and spec[-1] in "%eEfFgGd":
            pat = _NUM
        else:
            pat = _TEXT
        out.append(f"(?P<{name}>{pat})" + ("%" if spec and spec.endswith("%") else ""))
    return re.compile("".join(out)), kinds


_PATTERNS: tuple[tuple[str, re.Pattern, dict], ...] = tuple(
    (code, *_compile(t)) for code, templates in NOTES.items() for t in templates)


def _match(text: str) -> tuple[str, dict[str, Any]] | None:
    for code, pat, kinds in _PATTERNS:
        m = pat.fullmatch(text)
        if m:
            return code, {k: _value(v, *kinds[k]) for k, v in m.groupdict().items()}
    return None


def parse(text: str) -> list[tuple[str | None, dict[str, Any]]]:
    """The parts of a note as ``(code, params)``; a part no template reads is ``(None, {"text": part})``.

    Parts are joined by "; " and some parts hold "; " themselves, so the longest run of
    pieces that reads as one note is taken first.

    Examples
    --------
    >>> parse("one subject: no standard error; something else")
    [('one_subject', {}), (None, {'text': 'something else'})]
    >>> parse("deviation: Baik: 58 of 80 (72%), at most 56 allowed (70%)")[0][1]["share"]
    0.72
    >>> parse("")
    []
    """
    pieces = str(text).strip().split("; ") if str(text).strip() else []
    parts, i = [], 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):
            found = _match("; ".join(pieces[i:j]))
            if found:
                parts.append(found)
                i = j
                break
        else:
            parts.append((None, {"text": pieces[i]}))
            i += 1
    return parts

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

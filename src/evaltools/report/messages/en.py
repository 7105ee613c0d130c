"""English: the same codes and parameters as :mod:`.id` (the catalog test checks both)."""
from __future__ import annotations

MESSAGES: dict[str, str] = {
    # headings
    "report_title": "Performance appraisal pilot report",
    "coverage": "Data coverage",
    "consistency": "Agreement between raters",
    "calibration": "Rater calibration",
    "impact": "Pilot impact against control units",
    "verdict": "Verdict",
    "briefing_title": "Policy briefing: readiness of the pilot units",
    "verdict_per_unit": "Verdict per unit",
    "verdict_groups": "Units by verdict",
    "pooled": "Pooled pilot effect (staggered waves)",
    "balance": "Balance of pilot and control units before the pilot",
    "blockers": "What holds back the units that are not ready",
    "actions": "Recommended actions",
    "power": "Planning the next wave: statistical power",
    "failures": "Units that could not be processed",
    "calibration_moves": "What calibration would change",
    "annex": "Annex: methods and glossary",
    "unit_annex": "Annex: method notes",
    "methods": "Methods",
    "glossary": "Glossary",
    "todo": "What this unit must do",
    "not_computable": "Cannot be computed for this unit: {why}",
    # verdict words
    "SIAP": "READY",
    "PERBAIKI DULU": "FIX FIRST",
    "TUNDA": "HOLD",
    "BELUM TERBUKTI": "NOT SHOWN",
    "verdict_lead": "Verdict for {unit}: {label}.",
    "no_reasons": "Every check passed.",
    "because": "Reasons:",
    "notes_head": "Notes:",
    "failed": "not processed",
    # table headings
    "unit": "Unit",
    "region": "Region",
    "pilot_start": "Pilot start",
    "n_subjects": "Employees rated",
    "n_raters": "Raters",
    "n_ratings": "Ratings",
    "raters_per_subject": "Raters per employee (median)",
    "missing_share": "360° ratings missing",
    "agreement": "Reliability (median item)",
    "flagged": "Raters flagged",
    "flagged_share": "Share of raters flagged",
    "effect": "Effect",
    "interval": "95% interval",
    "pvalue": "p-value",
    "pvalue_ri": "Randomization p",
    "pvalue_holm": "Holm p",
    "pvalue_pretrend": "Pre-trend p",
    "status": "Status",
    "reason": "Main reason",
    "role": "Rater role",
    "item": "Item",
    "value": "Value",
    "label": "Meaning",
    "outcome": "Outcome",
    "suppressed": "<{k}",
    "suppressed_secondary": "×",
    "suppressed_text": "fewer than {k}",
    "error": "Details",
    "worklist": "Calibration meeting list (raters, by priority)",
    "priority": "Priority",
    "issue": "Issue",
    "evidence": "Evidence",
    "n_targets": "Employee × period",
    "primary_effect": "Effect on primary outcomes (95% interval)",
    "owner": "Who acts",
    "deadline": "By when",
    "page": "Unit page",
    "action": "Action",
    "term": "Term",
    "meaning": "Meaning",
    "n_moved": "Employees whose predikat would change",
    "n_up": "Up",
    "n_down": "Down",
    "total": "Total",
    "predikat": "Predikat",
    "period": "Period",
    # rater roles
    "role.atasan": "Direct superior",
    "role.rekan_kerja": "Peer",
    "role.bawahan": "Subordinate",
    "role.masyarakat": "Public (service users)",
    "role.diri_sendiri": "Self",
    # rater flags
    "flag.severe": "too severe",
    "flag.lenient": "too lenient",
    "flag.central": "central tendency",
    "flag.halo": "halo",
    "flag.ok": "ok",
    # briefing: first page
    "meta.line": ("Ratings period: {ratings_period} · outcomes period: {outcomes_period} · made {made} · "
                  "evaltools {version} · run {run_id}"),
    "summary.counts": ("Of {n} pilot units, {n_siap} may proceed (READY), {n_fix} must fix their appraisal first "
                       "(FIX FIRST), {n_hold} are on hold (HOLD) and {n_not_shown} have not shown a benefit "
                       "(NOT SHOWN)."),
    "summary.failed": "Not processed, and so not judged: {n} units; the details are in the run log.",
    "summary.fix": "What most often needs fixing: {what}.",
    "summary.hold": "Held because: {what}.",
    "summary.none_held": "No unit is on hold.",
    "summary.not_shown": ("{n_not_shown} units have not shown a clear benefit; for {n_small} of them the design is "
                          "too small to see an effect of the size sought."),
    "summary.not_shown.ruled_out": ("{n_not_shown} units have not shown a clear benefit; for {n_ruled} of them the "
                                    "results exclude the benefit sought."),
    "summary.not_shown.both": ("{n_not_shown} units have not shown a clear benefit; for {n_small} of them the design "
                               "is too small to see an effect of the size sought, and for {n_ruled} the results "
                               "exclude it."),
    "summary.effect": ("Across the programme, {outcome} {direction} {size} (95% interval {ci_low} to {ci_high}) "
                       "in pilot units against control units{verdict}."),
    "summary.effect_none": "The pooled pilot effect could not be computed.",
    "summary.effect_sure": "; this change is statistically significant",
    "summary.effect_unsure": "; this change cannot yet be told apart from zero",
    "summary.risk": "Main risk: {risk}.",
    "summary.risk_none": "Main risk: the decision rests on few control units, so small effects are hard to see.",
    "summary.moves": ("If scores were corrected for rater severity, the predikat of {n} employees in {units} units "
                      "would change; this is material for calibration meetings, not a decision on predikat."),
    "direction.up": "rose by",
    "direction.down": "fell by",
    "direction.flat": "did not change:",
    # short names of reason codes
    "short.few_subjects": "too few employees rated",
    "short.agreement_poor": "very low rating reliability",
    "short.agreement_low": "items rated inconsistently",
    "short.few_raters": "too few raters per employee",
    "short.missing_360": "many 360° ratings missing",
    "short.raters_flagged": "raters too severe or too lenient",
    "short.predikat_pattern": "predikat distribution off the pattern",
    "short.no_variation": "ratings do not tell employees apart",
    "short.outcome_worse": "service got worse",
    "short.harm": "service got worse",
    "short.no_benefit": "no benefit seen yet",
    "short.benefit_not_shown": "no benefit seen yet",
    "short.too_small_to_see": "unit too small to judge",
    "short.count": "{what} ({n} units)",
    "risk.harm": "service got worse after the pilot in {n} pilot units; extending without a fix may lower service",
    "risk.pretrend": "pilot and control units were already moving apart before the pilot (pre-trend p {p}), so the pooled effect may be biased",
    "flags.lenient": "{n} raters score on average {points} points above their peers (lenient)",
    "flags.severe": "{n} raters score on average {points} points below their peers (severe)",
    "flags.any": "{n} raters flagged",
    "chart.weakest_item": "Weakest item",
    "chart.raters": "Raters/employee",
    "chart.flagged": "Severe/lenient",
    "chart.missing": "360° missing",
    "chart.rules": "Verdict rules per unit: passed or not",
    "chart.multiples": "Key figures relative to their thresholds (1 = at the threshold)",
    "chart.by_region": "Units per verdict and region",
    "overview.lead": "Table: each unit's verdict and its main reason. Cells describing fewer than {k} people are hidden.",
    # verdict groups
    "group.TUNDA": "HOLD: do not extend yet",
    "group.PERBAIKI DULU": "FIX FIRST: fix the appraisal before going on",
    "group.BELUM TERBUKTI": "NOT SHOWN: no benefit seen yet",
    "group.SIAP": "READY: may go on to the next wave",
    "group.failed": "Not processed",
    "groups.lead": ("Order: units on hold first, then those that must fix, those whose benefit is not shown, and "
                    "those that are ready. Cells describing fewer than {k} people are hidden."),
    "effect.cell": "{outcome}: {effect} ({ci_low} to {ci_high})",
    "effect.none": "–",
    "reason.ready": "every check passed",
    "reason.failed": "not processed; see the run log",
    # who acts
    "owner.few_subjects": "Head of the OPD with the BKPSDM",
    "owner.agreement_poor": "BKPSDM (instrument owner)",
    "owner.agreement_low": "Performance appraisal team",
    "owner.few_raters": "Head of the OPD",
    "owner.missing_360": "Head of the OPD",
    "owner.raters_flagged": "Performance appraisal team",
    "owner.predikat_pattern": "Head of the OPD",
    "owner.no_variation": "Performance appraisal team",
    "owner.outcome_worse": "Head of the OPD and the BKPSDM",
    "owner.harm": "Head of the OPD and the BKPSDM",
    "owner.no_benefit": "BKPSDM (evaluation team)",
    "owner.benefit_not_shown": "BKPSDM (evaluation team)",
    "owner.too_small_to_see": "BKPSDM (evaluation team)",
    "owner.ready": "BKPSDM",
    "owner.default": "BKPSDM",
    "deadline.default": "before the next wave starts",
    "deadline.ready": "next wave",
    # what to do
    "action.few_subjects": "Widen the pilot's coverage or wait for the next period before judging this unit.",
    "action.agreement_poor": "Revise the instrument before use: its reliability is too low for personnel decisions.",
    "action.agreement_low": "Clarify the behaviour indicators of the weak items and train raters on worked cases.",
    "action.few_raters": "Add raters per employee (peers, subordinates) up to the number needed for {target:d2} reliability.",
    "action.missing_360": "Complete the 360° ratings: remind raters who have not rated and simplify the form.",
    "action.raters_flagged": ("Hold rater training and a calibration meeting: go through the calibration meeting "
                              "list with the raters' superiors before predikat are set."),
    "action.predikat_pattern": "Review the predikat distribution with the unit head (SE MenPANRB 3/2023).",
    "action.no_variation": ("Re-rate with behaviour anchors for each score and a calibration meeting: every "
                            "employee got the same score, so the appraisal distinguishes no one."),
    "action.outcome_worse": "Hold the rollout in this unit and find out why service got worse.",
    "action.harm": "Hold the rollout in this unit and find out why service got worse.",
    "action.no_benefit": "Observe one more period or widen the coverage before deciding on the rollout.",
    "action.no_benefit.ruled_out": ("Review how the pilot was carried out in this unit before extending it: its "
                                    "results already exclude the benefit sought, so more periods are unlikely to "
                                    "show it."),
    "action.no_benefit.one_control": ("Keep at least two comparable units out of the pilot (control units) for the "
                                      "periods after its start, so that its effect can be tested."),
    "action.benefit_not_shown": "Observe one more period or widen the coverage before deciding on the rollout.",
    "action.too_small_to_see": "Pool the evidence with other units or observe more periods: this unit is too small to see its effect alone.",
    "action.ready": "Go on to the next wave; keep the calibration meeting before predikat are set.",
    "action.raters_plan": ("Plan at least {n} raters per employee in the next wave (the most any pilot unit needed "
                           "for {target:d2} reliability)."),
    "action.proceed": "Proceed with the next wave.",
    "blockers.none": "Nothing: every unit is ready.",
    "failures.none": "Every unit was processed.",
    "failures.one": "This unit could not be processed; the technical details are in the run log ({log}).",
    # verdict reasons
    "reason.few_subjects": "only {value:d0} employees rated (minimum {threshold})",
    "reason.few_subjects.none": "no employee of this unit was rated: the ratings file holds no ratings for it",
    "reason.few_subjects.suppressed": "fewer than {k} employees rated (minimum {threshold})",
    "reason.agreement_poor": "rating reliability is very low (median item {value:d2}, limit {threshold:d2})",
    "reason.agreement_low": "{n_items} item(s) with reliability below {threshold:d2} (lowest {value:d2}): {items}",
    "reason.agreement_outlying": ("item(s) {items} are rated far less consistently than the others ({value:d2}, "
                                  "median item {median:d2})"),
    "reason.few_raters": "median {value:d0} raters per employee (minimum {threshold})",
    "reason.missing_360": "{value:pct} of the 360° ratings are missing (at most {threshold:pct})",
    "reason.raters_flagged": "{n} raters ({value:pct}) are too severe or too lenient (at most {threshold:pct})",
    "reason.raters_flagged.suppressed": "fewer than {k} raters are too severe or too lenient",
    "reason.predikat_pattern": "the predikat distribution deviates from the SE MenPANRB 3/2023 pattern",
    "reason.no_variation": ("every one of the {value:d0} items got one and the same score for every employee: "
                            "the ratings do not tell employees apart, so their reliability cannot be checked"),
    "reason.outcome_worse": "{outcome} got worse after the pilot: effect {effect:d2}, p-value {pval:p}",
    "reason.outcome_worse.ci": "{outcome} got worse after the pilot: {effect:d2} (95% interval {ci_low:d2} to {ci_high:d2})",
    "reason.harm": "{outcome} got worse after the pilot: {effect:d2} (95% interval {ci_low:d2} to {ci_high:d2})",
    "reason.no_benefit": "no primary outcome shows a benefit yet",
    "reason.no_benefit.not_estimable": "the impact on public service cannot be estimated yet: {why}",
    "reason.no_benefit.ruled_out": ("no primary outcome shows the benefit sought: it lies outside the 95% "
                                    "interval of {outcomes}"),
    "reason.no_benefit.pretrend": ("no primary outcome shows a benefit yet: {outcomes} already moved that way "
                                   "before the pilot, faster than the control units"),
    "impact.no_data": "the outcomes table holds no data for this unit",
    "impact.not_yet_window": ("Measured over the first {k:d0} pilot period(s), {start} to {end}, against the {n:d0} "
                              "units that had not started the pilot by then: no unit stays out of the pilot for "
                              "long enough to compare the later periods with."),
    "impact.pretrend": ("{outcome}: the unit was already moving this way before the pilot, {slope:d2} per "
                        "period against the control units (p {p:p}); net of each unit's own trend the change is "
                        "{adjusted:d2} (95% interval {lo:d2} to {hi:d2}), so the benefit is not counted."),
    "reason.benefit_not_shown": "no primary outcome shows a benefit yet",
    "reason.too_small_to_see": "the unit is too small to see an effect of the size sought (smallest detectable effect {mde:d2})",
    # level words
    "level.TUNDA": "HOLD",
    "level.PERBAIKI DULU": "FIX FIRST",
    "level.BELUM TERBUKTI": "NOT SHOWN",
    # unit sections
    "why.few_raters": "fewer than two raters",
    "why.one_subject": "only one employee rated",
    "why.few_subjects": "fewer than two employees rated",
    "why.no_numeric": "no 360° item ratings",
    "why.data": "this unit's data are not enough for this calculation (technical details in the run log)",
    "why.one_control": ("only one control unit is left for the periods after the pilot, and a test needs at least "
                        "two"),
    "why.no_interval": "the effect's uncertainty cannot be estimated from these data",
    "why.no_units": "fewer than 4 units left for the next wave",
    "header.lead": "{study} · Region: {region} · Pilot start: {start}",
    "coverage.lead": ("{n_subjects} employees were rated by {n_raters} raters ({n_ratings} ratings over {n_periods} "
                      "periods); the median employee had {rps:d0} raters per period, and {missing:pct} of the 360° "
                      "item ratings are missing (items a rater skipped among those their role rates)."),
    "consistency.lead": ("Reliability of the 360° score (median item, {coef}) is {median:d2}; {n_below} of "
                         "{n_items} items fall below the limit {threshold:d2}."),
    "consistency.lead.no_variation": ("Every one of the {n_items} items got one and the same score for every "
                                      "employee: there is no difference between employees whose reliability could "
                                      "be measured, and the ratings distinguish no one."),
    "calibration.lead": ("{n_sev} of the {n_assess} raters with at least {min_ratings} ratings ({share:pct}) rate "
                         "more than {severity:d1} points away from the other raters of the same employees (too "
                         "severe or too lenient); {n_other} more show central tendency or halo."),
    "calibration.caterpillar": "Raters with at least {min_ratings} ratings; red = flagged",
    "calibration.raters_needed": "Raters needed per employee for reliability {target:d2}: {n}.",
    "calibration.raters_needed.none": ("No number of raters per employee reaches reliability {target:d2} here: "
                                       "the employees' scores hardly differ, or the items' own error caps it."),
    "calibration.moves": ("If the scores of period {period} were corrected for rater severity or leniency, the "
                          "predikat of {n_moved} of {n_rated} employees would change ({n_up} up, {n_down} down). "
                          "This is an estimate for the calibration meeting, not a decision on predikat."),
    "calibration.moves_none": ("If the scores of period {period} were corrected for rater severity or leniency, no "
                               "predikat of the {n_rated} employees would change."),
    "calibration.moves_suppressed": ("If the scores of period {period} were corrected for rater severity or "
                                     "leniency, the predikat of fewer than {k} employees would change. This is an "
                                     "estimate for the calibration meeting, not a decision on predikat."),
    "calibration.predikat_table": "Predikat in period {period} (the unit's organisational predikat: {org})",
    "calibration.evidence": ("{rule}; severity {severity:d2} points (standard error {se:d2}), spread {sd_ratio:d2} × "
                             "the peers' spread, halo index {halo:d2}; {n_ratings} ratings of {n_subjects} employees"),
    "calibration.rule.severe": "more severe than peers",
    "calibration.rule.lenient": "more lenient than peers",
    "calibration.rule.central": "scores bunch in the middle",
    "calibration.rule.halo": "every item rated alike",
    "moves.lead": ("How many employees' predikat would change if scores were corrected for rater severity (latest "
                   "period). Predikat set the performance allowance and careers: this is what calibration is about. "
                   "Counts below {k} are hidden (<{k}); × marks a count hidden as well so that a small one cannot be "
                   "recomputed from the totals."),
    "moves.none": "No unit has calibration data.",
    # annex
    "methods.text": ("Reliability: ICC(1,k) per item (Shrout & Fleiss 1979), the mean score of several raters. "
                     "Rater severity: how far a rater's scores lie from those of the other raters of the same "
                     "employee and item, compared with raters of the same role; a rater is named severe or lenient "
                     "only when at least 80% sure to lie beyond the tolerance (its standard error checked on two "
                     "halves of the employees). Impact: the pilot unit's change from before to after minus the "
                     "control units' mean change (difference in differences), tested against the spread of the "
                     "control units' own changes; a synthetic control is shown beside it. Pooled effect: "
                     "Callaway & Sant'Anna (2021) for staggered waves."),
    "term.ICC": "ICC (intraclass correlation)",
    "def.ICC": "reliability: how much of the score differences reflect employees rather than raters (0 to 1; 0.80 and above is good)",
    "term.alpha": "Krippendorff's alpha",
    "def.alpha": "agreement between raters that tolerates missing ratings (0 to 1)",
    "term.p": "p-value",
    "def.p": "the chance of a difference this large if the pilot had no effect; the smaller, the stronger the evidence",
    "term.interval": "95% interval",
    "def.interval": "the range of values consistent with the data; when it excludes zero the effect is shown at the 5% level",
    "term.DiD": "DiD (difference in differences)",
    "def.DiD": "the change in the pilot unit minus the change in the control units over the same periods",
    "term.MDE": "minimum detectable effect",
    "def.MDE": "the smallest effect this design sees with 80% chance; smaller effects may exist unseen",
    "term.EB": "pooled estimate (empirical Bayes)",
    "def.EB": "one unit's effect drawn toward the mean of all pilot units, as far as its uncertainty warrants",
    "term.RMSPE": "RMSPE",
    "def.RMSPE": "how far the unit lay from its synthetic control before the pilot; the smaller, the better the comparison",
    "term.synthetic": "synthetic control",
    "def.synthetic": "a weighted mix of control units that moved most like the pilot unit before the pilot",
    "term.severity": "rater severity",
    "def.severity": "how far a rater scores below (severe) or above (lenient) the other raters of the same employee",
    "term.halo": "halo",
    "def.halo": "a rater gives every item the same score, so the items are not told apart",
    "term.central": "central tendency",
    "def.central": "a rater avoids low and high scores, so employees are hard to tell apart",
    "term.power": "power",
    "def.power": "the chance that the design finds an effect that is really there",
    "term.control": "control unit",
    "def.control": "a unit that has not piloted yet, used for comparison",
    # library notes (note.<code>): the statistics' notes by code (evaltools._notes)
    "note.few_subjects": "fewer than two employees rated",
    "note.few_subjects_crossed": "fewer than two employees rated by all raters (raters do not rate the same employees)",
    "note.few_raters": "fewer than two raters",
    "note.one_subject": "one employee only: no standard error",
    "note.no_pair": "no employee was rated by two or more raters",
    "note.no_pair_both": "no employee was rated by both raters",
    "note.cohen_one_rater": "Cohen's kappa needs two raters; there is one",
    "note.cohen_single": "{n} employees rated by one rater only were left out",
    "note.missing_scores": "{n} rows without a score ignored",
    "note.no_variance": "no variance in scores: every score is the same",
    "note.no_disagreement": "no variance in scores: every score is the same",
    "note.same_category": "no variance in scores: every rating falls in the same category",
    "note.one_category": "no variance in scores: only one category (declare the scale's categories)",
    "note.many_values": "{n} distinct scores: categorical coefficients need a scale with categories",
    "note.conger_nested": ("each rater rates fewer than two employees (raters nested in employees): Conger's "
                           "per-rater chance agreement cannot be estimated; see Fleiss' kappa"),
    "note.conger_few": "each rater rates fewer than two employees: per-rater chance agreement is poorly estimated",
    "note.fnl_weighted": "the Fleiss-Nee-Landis null test is for unweighted kappa; p-value from Gwet's t test",
    "note.fnl_unequal": ("the Fleiss-Nee-Landis null test needs the same number of raters per employee; p-value from "
                         "Gwet's t test"),
    "note.hayes_by": "the Hayes bootstrap by group needs at most {n} distinct score values",
    "note.icc_one_rater": ("every employee was rated by one rater only in this role ({n} employees), so agreement "
                           "between raters cannot be computed"),
    "note.icc_oneway": "one-way ICCs use all {n} employees ({m} ratings each)",
    "note.icc_unbalanced": ("one-way ICCs use all {n} employees with unequal numbers of ratings ({lo} to {hi}; "
                            "k0 = {k0:d2})"),
    "note.icc_not_crossed": ("two-way ICCs need employees rated by all {k} raters; {n} of {n_all} employees are "
                             "(raters do not rate the same employees)"),
    "note.icc_complete": "two-way ICCs use the {n} of {n_all} employees rated by all {k} raters ({dropped} left out)",
    "note.icc_within_zero": "every employee's ratings agree: F = inf, p = 0, interval (1, 1)",
    "note.icc_error_zero": "raters differ at most by a constant: F = inf, p = 0, ICC3 interval (1, 1)",
    "note.kendall_incomplete": "{k} of {n} employees not rated by every rater were left out",
    "note.dist_max": "deviation: {group}: {k} of {n} ({share:pct}), at most {need} allowed ({need_share:pct})",
    "note.dist_min": "deviation: {group}: {k} of {n} ({share:pct}), at least {need} expected ({need_share:pct})",
    "note.dist_min_count": "deviation: {group}: {k} of {n}, at least {need} expected",
    "note.dist_largest": "deviation: {group}: {k} of {n}, should be the largest group (largest other group: {other})",
    "note.rule_max": "{group}: {k} of {n} ({share:pct}), at most {need} allowed ({need_share:pct})",
    "note.rule_min": "{group}: {k} of {n} ({share:pct}), at least {need} expected ({need_share:pct})",
    "note.rule_min_count": "{group}: {k} of {n}, at least {need} expected",
    "note.rule_largest": "{group}: {k} of {n}, should be the largest group (largest other group: {other})",
    "note.small_unit": "small unit ({n} employees, fewer than {min_n}): the pattern is guidance only",
    "note.no_predikat": "no predikat values",
    "note.gof_exact": "exact multinomial test",
    "note.gof_chi2": "Pearson chi-square {stat:d3} on {df} degrees of freedom",
    "note.gof_small_expected": "some expected counts below 5",
    "note.gof_zero_share": "a predikat with reference share 0 was observed",
    "note.gt_singular": "moment equations singular: least-squares solution",
    "note.gt_not_converged": "the REML optimizer did not converge: the reported components are not the optimum",
    "note.gt_not_finite": "REML deviance not finite: components cannot be estimated",
    "note.gt_nested": "includes {effects} (nested design)",
    "note.gt_confounded": "the {effect} interaction is confounded with error (one rating per cell)",
    "note.gt_negative": "negative estimate set to 0",
    "note.few_controls": "fewer than two control units: no test",
    "note.missing_changes": "missing change values: no test",
    "note.controls_constant": "the control units' changes do not vary: the test is undefined",
    "note.size_extrapolated": "the pilot unit's size lies outside the control units' sizes: its variance is extrapolated",
    "note.size_no_variance": "unit sizes leave a control unit with no variance",
    "note.treated_first": "piloting from the first period: no period before the pilot",
    "note.no_pre_period": "unit {unit} pilots from the first period ({period}): no period before the pilot to fit",
    "note.no_donors": "no control units (never or not yet piloting) left for the periods after the pilot",
    "note.donors_missing": "{n} control unit(s) left out for missing {outcome} values",
    "note.unit_missing": "unit {unit} lacks {outcome} in {n} period(s)",
    "note.no_pre_outcome": "unit {unit} has no {outcome} before the pilot",
    "note.no_post_outcome": "unit {unit} has no {outcome} after the pilot",
    "note.constant_outcome": "{outcome} never changes: no effect can be estimated",
    "note.constant_predictors": "constant matching variables ignored: {names}",
    "note.poor_prefit": ("poor fit before the pilot (RMSPE {rmspe:d3} above {factor:d1} × the SD of {outcome} before "
                         "the pilot, {sd:d3}): the unit may lie outside the control units' range, read the "
                         "synthetic-control estimate with care"),
    "note.one_pre_period": "only one period before the pilot: the fit before the pilot cannot be judged",
    "note.one_donor": "one control unit only: no placebo refits, so no p-value or interval",
    "note.exact_fit": ("{k} of {n} placebo units fit exactly before the pilot (many control units, few periods): the "
                       "RMSPE-ratio p-value has little power; compare the placebo interval and the DiD"),
    "note.few_donors": "only {n} control units: the smallest attainable p-value is {pmin:d3}, above the limit {alpha:d2}",
    "note.placebo_interval": ("fewer than {n} placebos: the placebo interval spans the placebo range and covers less "
                              "than {level:pct}"),
    "note.rmspe_zero": "RMSPE before and after the pilot both zero: the RMSPE ratio is undefined",
    # calibration: rater effects
    "note.rater_var_zero": "rater variance estimated as 0: every severity shrinks to 0",
    "note.few_ratings": "fewer than {n} ratings: not flagged",
    "note.lone_role_rater": "the only {role} rater of these employees: severity cannot be told apart from the role's shift",
    "note.no_comparison_rater": "no other rater scored these employees: severity undefined",
    "note.component_relative": "severity compared within rater group {c}",
    "note.crossed_pinv": "normal equations rank-deficient: pseudo-inverse used",
    "note.crossed_sparse": "sparse solve (a group of {n} raters): standard errors not computed",
    "note.latent_not_converged": "latent model: EM did not converge in {n} steps",
    "note.reference_not_settled": ("reference raters did not settle in {n} steps: severities relative to the last "
                                   "reference"),
    "note.cell_reference": "reference period",
    "note.cell_no_never": "no never-treated comparison units",
    "note.cell_no_comparison": "no never-treated or not-yet-treated comparison unit in this period",
    # pilot: difference-in-differences
    "note.did_no_outcome": "no observation with an outcome value",
    "note.did_no_pre": "no period before the pilot: the difference-in-differences is undefined",
    "note.did_no_post": "no period after the pilot: the difference-in-differences is undefined",
    "note.did_no_treated": "no pilot unit: the difference-in-differences is undefined",
    "note.did_no_controls": "no control unit (every unit piloted): the difference-in-differences is undefined",
    "note.did_constant": "{outcome} never changes: the difference-in-differences is undefined",
    "note.did_collinear": ("pilot × post-period coincides with the fixed effects: the difference-in-differences is not "
                           "identified"),
    "note.did_few_clusters": "fewer than 2 clusters: no cluster-robust inference",
    "note.did_one_side": "{n} unit(s) observed only before or only after the pilot: used for the period effects only",
    "note.did_cross_sections": ("no unit observed both before and after the pilot: a pilot-group indicator replaces the unit "
                                "fixed effects"),
    "note.did_unbalanced": ("unbalanced panel ({k} of {n} units miss periods): the coefficient is not the simple difference "
                            "of mean changes"),
    "note.did_single_treated": ("a single pilot unit: cluster-robust and wild bootstrap inference rest on one cluster and are "
                                "unreliable (MacKinnon & Webb 2017)"),
    "note.did_cr1": "headline test: CR1 cluster-robust t test with {df} degrees of freedom ({g} clusters)",
    "note.did_ri_exact": "headline p-value and interval: randomization inference (all {n} assignments); CR1 p {p:p}",
    "note.did_ri_sampled": "headline p-value and interval: randomization inference ({n} random assignments); CR1 p {p:p}",
    "note.did_wild_all_asked": ("headline p-value and interval: wild cluster bootstrap-t (WCR, null imposed, all {n} {weights} "
                                "sign vectors; as requested); CR1 cluster-robust p {p:p}, interval {lo:d3} – {hi:d3}"),
    "note.did_wild_all_few": ("headline p-value and interval: wild cluster bootstrap-t (WCR, null imposed, all {n} {weights} "
                              "sign vectors; {g} clusters, fewer than {few}); CR1 cluster-robust p {p:p}, interval {lo:d3} – "
                              "{hi:d3}"),
    "note.did_wild_draws_asked": ("headline p-value and interval: wild cluster bootstrap-t (WCR, null imposed, {n} {weights} "
                                  "draws; as requested); CR1 cluster-robust p {p:p}, interval {lo:d3} – {hi:d3}"),
    "note.did_wild_draws_few": ("headline p-value and interval: wild cluster bootstrap-t (WCR, null imposed, {n} {weights} "
                                "draws; {g} clusters, fewer than {few}); CR1 cluster-robust p {p:p}, interval {lo:d3} – {hi:d3}"),
    "note.did_rademacher_few": ("with {g} clusters the Rademacher p-value takes few distinct values; Webb weights are advised "
                                "below about 12 clusters (Webb 2014)"),
    "note.did_ci_unbounded": "bootstrap interval unbounded: too few clusters for this confidence level",
    # pilot: staggered adoption (Callaway & Sant'Anna)
    "note.late_treated": "{n} unit(s) starting the pilot after the last period count as never-treated controls",
    "note.first_treated_dropped": "{n} unit(s) piloting from the first period left out (no period before the pilot)",
    "note.no_comparison_group": ("no comparison group: there is no never-treated unit, and the only wave with periods before the "
                                 "pilot ({wave}) is needed as the comparison"),
    "note.first_no_pre": "the {n} unit(s) piloting from the first period have no period before the pilot",
    "note.att_undefined": "every effect by wave and period is undefined",
    "note.staggered_constant": "{outcome} never changes: every effect is 0 and its standard errors are undefined",
    "note.unbalanced_dropped": ("{k} of {n} units without a complete outcome in all {t} periods left out (a balanced panel is "
                                "needed)"),
    "note.unbalanced_dropped_cov": ("{k} of {n} units without a complete outcome and covariates in all {t} periods left out (a "
                                    "balanced panel is needed)"),
    "note.last_wave_never": ("no never-treated unit: the last wave ({wave}) is the comparison group and periods from its "
                             "start are left out"),
    "note.last_wave_notyet": ("no never-treated unit: the last wave ({wave}) is a comparison only before it starts, and "
                              "periods from its start are left out"),
    "note.small_groups": "group(s) {groups} have fewer than {n} units (the R did threshold): estimates may be unstable",
    "note.single_unit_groups": ("group(s) {groups} have a single unit: their effect rests on one unit and its standard errors "
                                "are unreliable"),
    "note.simultaneous_cv": "simultaneous critical value not finite: pointwise bands reported",
    "note.pretrend_none": "no effect before the pilot to test",
    "note.pretrend_singular": "singular covariance of the effects before the pilot: no pre-trend test",
    "note.wald_negative": "negative Wald statistic",
    "note.ri_undefined": "the observed pooled effect is undefined",
    "note.ri_exact": "every placement of the pilot enumerated",
    "note.ri_random": "{n} random placements",
    "note.ri_left_out": "{n} placement(s) with an undefined effect left out",
    # pilot: pooling and power
    "note.reml_not_converged": "REML did not converge: tau² is the last iterate",
    "note.pool_none": "no unit with an estimate",
    "note.pool_one": "one unit only: nothing to pool",
    "note.power_allocation": "the allocation leaves no pilot or no control unit",
    "note.power_empty_waves": "fewer units than steps: some waves are empty",
    "note.power_no_df": "no degrees of freedom left for a t test",
}

"""Report building blocks: sections, verdicts, recorded results, briefing tables.

The notebooks stay thin: each cell calls one function here and shows what it returns.
A *section* (:class:`Section`) bundles a heading, a plain-language lead, tables, charts,
notes and the key figures the verdict and the briefing need.

The package has one module per job (see ``ARCHITECTURE.md``): ``_text`` (languages),
``thresholds``, ``sections`` (unit sections), ``impact``, ``verdict``, ``records`` (the
recorded JSON and the run manifest), ``briefing``, ``pooled`` (pooled effect, balance,
power), ``summary`` (Excel / Markdown) and ``pages`` (HTML export). Every name is
re-exported here; note that ``evaltools.report.verdict``, ``.impact`` and ``.thresholds``
are the functions: import the modules as ``from evaltools.report.verdict import ...``.

Verdict thresholds
------------------
Read from the ``[thresholds]`` table of ``study.toml``; any key left out takes the default
below (:data:`DEFAULT_THRESHOLDS`). The verdict is

* **TUNDA** (hold) when any *hold* rule fires (harm on any outcome is one),
* otherwise **PERBAIKI DULU** (fix first) when any *fix* rule fires,
* otherwise **BELUM TERBUKTI** (not shown) when ``require_benefit`` and no primary outcome
  shows a benefit,
* otherwise **SIAP** (ready): the instrument checks pass and a benefit is shown.

============================ ======== ========================================================
key                          default  rule
============================ ======== ========================================================
``min_subjects``             10       hold: fewer rated employees than this (too little data)
``hold_agreement``           0.50     hold: the median item's reliability is poor (Koo & Li
                                      2016: below 0.5 is poor)
``min_agreement``            0.50     fix: any item's reliability is poor (below this)
(no threshold)                        fix (``no_variation``): every item got one score for every
                                      employee, so no reliability can be computed
``max_item_gap``             0.20     fix: an item more than this below the unit's median item,
                                      with its 95% interval wholly below the median (raters
                                      read that item differently: clarify it)
``min_raters_per_subject``   3        fix: median distinct raters per employee and period
``max_missing_share``        0.20     fix: share of item ratings a rater skipped (among the
                                      items their role rates in the unit)
``max_flagged_share``        0.10     fix: share of the assessable raters (at least
                                      ``min_ratings`` ratings) flagged severe or lenient ...
``min_flagged_raters``       3        ... and at least this many of them (one or two outliers
                                      are a conversation, not a calibration problem)
``severity_threshold``       0.5      points of severity a rater must exceed to be flagged
                                      (passed to ``calibration.rater_effects``)
``min_ratings``              10       ratings a rater needs before being judged
``distribution_blocks``      false    fix: predikat distribution off the SE MenPANRB 3/2023
                                      pattern (advisory by default: reported, not blocking)
``harm_alpha``               0.05     hold: an outcome is worse after the pilot, Holm-adjusted
                                      p (across all outcomes) of the unit's DiD test below this
``require_benefit``          true     not shown: SIAP needs a benefit on a primary outcome
``benefit_alpha``            0.05     a benefit: the unit's interval beyond ``min_effect`` (0
                                      if not declared) on a primary outcome, Holm-adjusted p
                                      across the primary outcomes below this
``pretrend_alpha``           0.05     a benefit is not counted when the unit was already moving
                                      that way before the pilot (its pre-period slope against
                                      the controls' has p below this) and the DiD net of each
                                      unit's own trend shows no benefit
``mde_power``                0.80     power of the minimum detectable effect shown per outcome
``target_reliability``       0.80     reliability the "raters needed" figure aims for
``min_cell``                 5        briefing cells describing fewer people are suppressed
============================ ======== ========================================================

"Reliability" is the one-way ICC of the raters' mean, ICC(1,k) (Shrout & Fleiss 1979, case 1:
a 360° score averages raters who differ from employee to employee), per item, from
``reliability.agreement``; Krippendorff's alpha is the fallback when no ICC is available.
Impact is the unit's difference-in-differences against the never-treated units with a test
built for a handful of controls (``pilot.unit_did_test``: it can reject with 5-30 controls,
where a placebo rank p-value cannot fall below 1/(controls + 1)). Outcomes are declared in
``[outcomes.NAME]`` with ``primary = true`` (when none is, every outcome is primary),
``min_effect`` (the smallest change that matters, in outcome units, read in the better
direction) and ``unit`` (a word for the reason text). Holm's adjustment across primary
outcomes (benefit) and across all outcomes (harm) keeps a unit where the pilot changed
nothing from SIAP with probability at least 1 - ``benefit_alpha``/2, however many outcomes
it has. ``too_small_to_see`` marks an outcome whose ``min_effect`` (else the programme-wide
pooled effect) is below the unit's minimum detectable effect, where the unit's interval
does not rule that benefit out (a clear harm is seen, whatever the MDE).

References
----------
Shrout PE, Fleiss JL (1979). Intraclass correlations: uses in assessing rater reliability.
*Psychol Bull* 86(2):420-428.
Krippendorff K (2004). *Content Analysis: An Introduction to Its Methodology*, 2nd ed., p. 241.
Koo TK, Li MY (2016). A guideline of selecting and reporting intraclass correlation
coefficients for reliability research. *J Chiropr Med* 15(2):155-163.
"""
from __future__ import annotations

from evaltools.asn import ORDINAL_ITEMS

from ._base import Section, unit_ratings
from ._text import _TEXT, _ci, _esc, _localize, fmt, reason_text, role_label, text
from .briefing import (actions, annex, blockers, briefing_header, calibration_consequences, failures,
                       verdict_groups, verdict_overview, verdict_table)
from .disclosure import suppress, suppress_count, suppress_frame, suppression_mask
from .impact import _gaps_as_event_study, impact
from .pages import export_html
from .pooled import balance, pooled_effect, power_section
from .records import collect, read_manifest, record, unit_record, write_failed_record, write_manifest
from .sections import calibration, consistency, coverage, unit_annex, unit_header, unit_sections, verdict_section
from .summary import data_summary, summary_table, write_data_summary, write_summary
from .thresholds import DEFAULT_THRESHOLDS, MAX_PANELS, PRIMARY_COEFFICIENTS, thresholds
from .verdict import VERDICT_EN, VERDICT_LABELS_EN, VERDICTS, Verdict, verdict

__all__ = [
    "DEFAULT_THRESHOLDS",
    "Section",
    "Verdict",
    "VERDICTS",
    "actions",
    "annex",
    "blockers",
    "briefing_header",
    "calibration",
    "calibration_consequences",
    "collect",
    "consistency",
    "coverage",
    "data_summary",
    "failures",
    "fmt",
    "impact",
    "pooled_effect",
    "power_section",
    "reason_text",
    "record",
    "role_label",
    "suppress",
    "suppress_count",
    "suppress_frame",
    "suppression_mask",
    "summary_table",
    "text",
    "thresholds",
    "unit_annex",
    "unit_header",
    "unit_ratings",
    "unit_record",
    "unit_sections",
    "verdict",
    "verdict_groups",
    "verdict_overview",
    "verdict_section",
    "verdict_table",
    "write_data_summary",
    "write_summary",
]

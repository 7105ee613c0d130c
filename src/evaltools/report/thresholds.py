"""Verdict thresholds: the documented defaults and the study's ``[thresholds]`` table.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any


DEFAULT_THRESHOLDS: dict[str, Any] = {
    "min_subjects": 10,
    "hold_agreement": 0.50,
    "min_agreement": 0.50,
    "max_item_gap": 0.20,
    "min_raters_per_subject": 3,
    "max_missing_share": 0.20,
    "max_flagged_share": 0.10,
    "min_flagged_raters": 3,
    "severity_threshold": 0.5,
    "min_ratings": 10,
    "distribution_blocks": False,
    "harm_alpha": 0.05,
    "require_benefit": True,
    "benefit_alpha": 0.05,
    "pretrend_alpha": 0.05,
    "mde_power": 0.80,
    "target_reliability": 0.80,
    "min_cell": 5,
}


#: above this many units the briefing charts verdicts by region instead of one panel per unit
MAX_PANELS = 36


#: the coefficient a verdict reads, first available wins. A 360° score is the mean of several
#: raters who differ from employee to employee, so the one-way ICC of the k-rater mean
#: (Shrout & Fleiss 1979, ICC(1,k)) is the reliability of the score actually used;
#: Krippendorff's alpha (single rater, any missing pattern) is the fallback.
PRIMARY_COEFFICIENTS = ("ICC1k", "krippendorff_alpha", "ICC1", "gwet_ac2")


def thresholds(config: Mapping[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """Verdict thresholds: :data:`DEFAULT_THRESHOLDS` updated by ``config["thresholds"]``.

    ``config`` is the study's raw ``study.toml`` dict (``study.config``) or directly a
    thresholds mapping. Unknown keys are ignored with a warning naming them.

    Examples
    --------
    >>> th = thresholds({"thresholds": {"min_subjects": 20}})
    >>> th["min_subjects"], th["min_agreement"]
    (20, 0.5)
    """
    if not config:
        given: dict[str, Any] = {}
    elif "thresholds" in config:
        given = dict(config["thresholds"] or {})
    elif "study" in config or "files" in config:  # a study.toml without a [thresholds] table
        given = {}
    else:
        given = dict(config)
    given.update(overrides)
    unknown = sorted(set(given) - set(DEFAULT_THRESHOLDS))
    if unknown:
        # a misspelt threshold must not pass unnoticed, nor stop a whole run
        warnings.warn(f"ignoring unknown threshold(s) in [thresholds]: {', '.join(unknown)}; "
                      f"known: {', '.join(DEFAULT_THRESHOLDS)}", stacklevel=2)
        given = {k: v for k, v in given.items() if k in DEFAULT_THRESHOLDS}
    out = dict(DEFAULT_THRESHOLDS)
    for k, v in given.items():
        default = DEFAULT_THRESHOLDS[k]
        if isinstance(default, bool):
            out[k] = bool(v)
        elif isinstance(default, int):
            out[k] = int(v)
        else:
            out[k] = float(v)
    return out

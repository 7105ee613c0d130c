"""Rater calibration: severity and leniency, rater errors, generalizability theory,
the PermenPANRB 6/2022 predikat rules and the calibration worklist.

Every function takes a long-format :class:`pandas.DataFrame` with the column names
passed as keywords (``subject=``, ``rater=``, ``score=``, ...) and returns a tidy
DataFrame with stable column names.

Methods
-------
* Rater severity comes from the crossed additive model
  ``score = mu + subject + rater (+ item) + e`` fitted exactly by sparse normal
  equations: subjects are absorbed (their block of the normal matrix is diagonal),
  which leaves a dense system with one row per rater (+ item). One million ratings
  by 2,000 raters solve in about a second. The same solver, with ridge terms
  ``sigma2_e / sigma2_subject`` and ``sigma2_e / sigma2_rater`` added to the
  diagonal, gives Henderson's (1950) mixed-model BLUPs. The reported severity is that
  empirical-Bayes BLUP, fitted on rater x subject cell means weighted by
  ``1 / (sigma2_subject:rater + sigma2_e / m)`` so that one impression of a person is not
  counted once per item; the fixed-effect estimate is kept as ``severity_fixed``.
* Rater drift compares a rater's per-period effects from one fit in which subjects keep
  their level, with the covariance of the two estimates, and controls the error rate
  across raters (Benjamini & Hochberg 1995 or Holm 1979).
* Variance components use Henderson's (1953) Method 1 (Brennan's 2001 "analogous
  ANOVA" for unbalanced designs): moments of uncorrected sums of squares, exact and
  unbiased for random models, and identical to the ANOVA expected-mean-square
  estimates (Brennan 2001, ch. 3) when the design is balanced. REML (``method="reml"``)
  minimizes lme4's profiled REML deviance directly (Bates, Maechler, Bolker & Walker
  2015), for small data.

References
----------
Brennan, R. L. (2001). *Generalizability Theory*. New York: Springer.
Henderson, C. R. (1953). Estimation of variance and covariance components.
    *Biometrics*, 9(2), 226-252.
Henderson, C. R. (1950/1975). Best linear unbiased estimation and prediction under a
    selection model. *Biometrics*, 31(2), 423-447.
Searle, S. R., Casella, G., & McCulloch, C. E. (1992). *Variance Components*. Wiley, ch. 7.
Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B*, 57(1), 289-300.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scand. J. Statist.*, 6, 65-70.
Shavelson, R. J., & Webb, N. M. (1991). *Generalizability Theory: A Primer*. Sage.
Bates, D., Maechler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects models
    using lme4. *Journal of Statistical Software*, 67(1), 1-48.
Cohen, J. (1968). Weighted kappa. *Psychological Bulletin*, 70(4), 213-220.
Myford, C. M., & Wolfe, E. W. (2003, 2004). Detecting and measuring rater effects using
    many-facet Rasch measurement, Parts I and II. *Journal of Applied Measurement*.
PermenPANRB 6/2022; SE MenPANRB 3/2023 (see ASN_RULES.md of the project).
"""
from __future__ import annotations

from ._adjust import adjusted_predikat, adjusted_scores, anchor_agreement
from ._crossed import _CrossedFit
from ._drift import _p_adjust, rater_drift
from ._effects import rater_effects, role_effects
from ._gtheory import dstudy, gstudy, raters_needed
from ._predikat import (DISTRIBUTION_PATTERN, EKSPEKTASI_LEVELS, ORG_PREDIKAT_LEVELS, PREDIKAT_LEVELS,
                        _exact_multinomial_p, check_predikat, distribution_check, predikat)
from ._worklist import calibration_worklist

__all__ = [
    "EKSPEKTASI_LEVELS",
    "PREDIKAT_LEVELS",
    "ORG_PREDIKAT_LEVELS",
    "DISTRIBUTION_PATTERN",
    "rater_effects",
    "role_effects",
    "rater_drift",
    "gstudy",
    "dstudy",
    "raters_needed",
    "adjusted_scores",
    "adjusted_predikat",
    "anchor_agreement",
    "predikat",
    "check_predikat",
    "distribution_check",
    "calibration_worklist",
]

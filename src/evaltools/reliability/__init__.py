"""Inter-rater reliability: are the raters of an appraisal instrument consistent?

Every function takes a long-format table (one row per rating) and the names of the
``subject`` (person rated), ``rater`` and ``score`` columns, as pingouin does. Missing
ratings are rows that are absent or have a missing score; they are handled as each
coefficient's literature prescribes (see each docstring).

Coefficients
------------
- :func:`icc` -- the six intraclass correlations of Shrout & Fleiss (1979).
- :func:`krippendorff_alpha` -- nominal / ordinal / interval / ratio, with the
  Hayes & Krippendorff (2007) bootstrap or a bootstrap over subjects.
- :func:`cohen_kappa` -- two raters, (un)weighted, Fleiss-Cohen-Everitt (1969) SEs.
- :func:`fleiss_kappa`, :func:`scott_pi`, :func:`conger_kappa`,
  :func:`brennan_prediger`, :func:`gwet_ac`, :func:`percent_agreement` -- the
  chance-corrected family in Gwet's (2014) framework for any number of raters and
  missing ratings, with Gwet's linearised variances.
- :func:`kendall_w` -- Kendall's coefficient of concordance with tie correction.
- :func:`agreement` -- all of the above that suit a level of measurement, per group
  (item, rater role, ...) in one vectorized pass, with interpretation labels in
  Indonesian and English.

Implementation: ratings are coded once into integer arrays (unit = subject within
group, rater, category); every statistic is then a set of grouped sums computed
with ``np.bincount`` or small matrix products, so a table of tens of millions of
ratings takes seconds and bootstrap replicates are weighted sums, not loops.
"""
from __future__ import annotations

from ._agreement import agreement
from ._alpha import _alpha_core, _alpha_result, _subject_bootstrap, krippendorff_alpha
from ._cac import (_cac, _cohen, brennan_prediger, cohen_kappa, conger_kappa, fleiss_kappa, gwet_ac, percent_agreement,
                   scott_pi)
from ._coding import ICC_DESCRIPTIONS, ICC_TYPES, LEVELS, _Coded, _DENSE_V, _code, _codes, interpret, weight_matrix
from ._icc import _icc_core, icc
from ._kendall import _kendall_core, kendall_w

__all__ = [
    "icc",
    "krippendorff_alpha",
    "cohen_kappa",
    "fleiss_kappa",
    "scott_pi",
    "conger_kappa",
    "brennan_prediger",
    "gwet_ac",
    "percent_agreement",
    "kendall_w",
    "agreement",
    "interpret",
    "weight_matrix",
]

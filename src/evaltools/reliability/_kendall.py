"""Kendall's coefficient of concordance W."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evaltools._notes import note as _note
from evaltools._results import Estimate

from ._coding import _Coded, _add_note, _code, _codes, _gsum, _n_raters, _notes
from ._cac import _estimate, _missing_note


# ---------------------------------------------------------------------------
# Kendall's W
# ---------------------------------------------------------------------------

def _kendall_core(cd: _Coded, correct_ties: bool) -> dict[str, np.ndarray]:
    """Kendall & Babington Smith (1939) W, tie-corrected (Kendall 1948, eq. 6.20).

    Subjects rated by every rater of the group only (listwise, as R irr's
    ``kendall``). Each rater's scores are ranked across subjects (mid-ranks);
    ``W = 12 S / (m^2 (n^3 - n) - m T)``, ``S = sum_i (R_i - Rbar)^2``,
    ``T = sum_raters sum_ties (t^3 - t) / m`` (0 without correction);
    ``chi2 = m (n - 1) W`` on n - 1 df.
    """
    G = cd.G
    m_u = np.bincount(cd.u, minlength=cd.U)
    nr = _n_raters(cd)
    full = (m_u == nr[cd.ug]) & (m_u >= 2)
    keep = full[cd.u]
    u, r, x = cd.u[keep], cd.r[keep], cd.x[keep]
    gr = cd.ug[u]
    n = _gsum(cd.ug, full.astype(float), G)
    mm = nr.astype(float)
    gkey, _ = _codes(gr * cd.R + r)
    ranks = pd.Series(x).groupby(gkey).rank(method="average").to_numpy()
    Ri = np.bincount(u, weights=ranks, minlength=cd.U)
    Rbar = mm * (n + 1) / 2
    S = _gsum(cd.ug, np.where(full, (Ri - Rbar[cd.ug]) ** 2, 0.0), G)
    T = np.zeros(G)
    if correct_ties and x.size:
        vc, _ = pd.factorize(x)
        tie, Kt = _codes(gkey * (vc.max(initial=0) + 1) + vc)
        t = np.bincount(tie, minlength=Kt).astype(float)
        tg = np.zeros(Kt, dtype=np.int64)
        tg[tie] = gr
        T = _gsum(tg, t**3 - t, G)
    with np.errstate(divide="ignore", invalid="ignore"):
        W = 12 * S / (mm**2 * (n**3 - n) - mm * T)
        chi2 = mm * (n - 1) * W
        p = stats.chi2.sf(chi2, n - 1)
    notes = _notes(G)
    n_all = _gsum(cd.ug, (m_u > 0).astype(float), G)
    for i in np.flatnonzero((n < n_all) & (n >= 2)):
        notes[i] = _note("kendall_incomplete", k=int(n_all[i] - n[i]), n=int(n_all[i]))
    _add_note(notes, n < 2, _note("few_subjects_crossed"))
    _add_note(notes, (n >= 2) & (mm < 2), _note("few_raters"))
    nov = (n >= 2) & (mm >= 2) & ~np.isfinite(W)
    _add_note(notes, nov, _note("no_variance"))
    ok = (n >= 2) & (mm >= 2) & np.isfinite(W)
    nan = np.full(G, np.nan)
    return dict(value=np.where(ok, W, np.nan), se=nan, ci_low=nan.copy(), ci_high=nan.copy(),
                pval=np.where(ok, p, np.nan), n_subjects=n.astype(int), note=notes,
                chi2=np.where(ok, chi2, np.nan), df=np.where(ok, n - 1, np.nan), ties=T)


def kendall_w(data: pd.DataFrame, *, subject: str, rater: str, score: str, correct_ties: bool = True) -> Estimate:
    """Kendall's coefficient of concordance W with its chi-square test.

    See :func:`_kendall_core` for the formula (Kendall 1948; tie correction as R
    irr's ``kendall(correct=TRUE)``). Subjects not rated by every rater are dropped
    (noted). Extras: ``chi2``, ``df``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "r": ["A", "B"] * 6,
    ...                   "x": [1, 1, 2, 2, 3, 2, 1, 1, 3, 3, 2, 1]})
    >>> round(kendall_w(d, subject="s", rater="r", score="x").value, 4)
    0.9194
    """
    cd = _code(data, subject, rater, score, numeric=True)
    res = _kendall_core(cd, correct_ties)
    return _estimate("kendall_w", res, 0, _n_raters(cd)[0], extra_keys=("chi2", "df"), note=_missing_note(cd))

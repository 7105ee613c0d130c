"""Multiple testing: adjusted p-values across the outcomes (or raters) of a study.

One definition shared by ``evaltools.pilot`` (which re-exports it) and the statistics that
adjust a family of tests.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["adjust_pvalues"]


def adjust_pvalues(pvals, method: str = "holm"):
    """Adjusted p-values across several outcomes (family-wise or false discovery rate).

    Parameters
    ----------
    pvals : array-like or Series
        Raw p-values; NaN entries stay NaN and do not count as tests (as R ``p.adjust``).
    method : {"holm", "bh"}
        ``"holm"``: Holm (1979) step-down, p~_(i) = max_{k<=i} min(1, (n - k + 1) p_(k)),
        controls the family-wise error rate under any dependence.
        ``"bh"``: Benjamini & Hochberg (1995) step-up, p~_(i) = min_{k>=i} min(1, n p_(k) / k),
        controls the false discovery rate for independent or positively dependent tests.

    Returns
    -------
    ndarray or Series
        Same shape (and index, for a Series) as ``pvals``.

    References
    ----------
    Holm S (1979). Scand J Stat 6:65-70.
    Benjamini Y, Hochberg Y (1995). J R Stat Soc B 57:289-300.

    Examples
    --------
    Four p-values, adjusted by hand: Holm multiplies the sorted values by 4, 3, 2, 1 and
    keeps the running maximum; Benjamini-Hochberg takes n p / rank and the running minimum
    from the top:

    >>> from evaltools.pilot import adjust_pvalues
    >>> adjust_pvalues([0.01, 0.04, 0.03, 0.005]).round(3).tolist()
    [0.03, 0.06, 0.06, 0.02]
    >>> adjust_pvalues([0.01, 0.04, 0.03, 0.005], method="bh").round(3).tolist()
    [0.02, 0.04, 0.04, 0.02]
    """
    key = str(method).lower()
    aliases = {"holm": "holm", "bh": "bh", "fdr": "bh", "fdr_bh": "bh"}
    if key not in aliases:
        raise ValueError(f"method must be 'holm' or 'bh'; got {method!r}")
    key = aliases[key]
    index = pvals.index if isinstance(pvals, pd.Series) else None
    name = pvals.name if isinstance(pvals, pd.Series) else None
    p = np.asarray(pvals, dtype=float)
    shape = p.shape
    p = p.ravel()
    ok = ~np.isnan(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    out = np.full(p.shape, np.nan)
    q = p[ok]
    n = q.size
    if n:
        order = np.argsort(q, kind="mergesort")
        ps = q[order]
        k = np.arange(1, n + 1)
        if key == "holm":
            adj = np.maximum.accumulate(np.minimum(1.0, (n - k + 1) * ps))
        else:
            adj = np.minimum.accumulate(np.minimum(1.0, n * ps / k)[::-1])[::-1]
        res = np.empty(n)
        res[order] = adj
        out[ok] = res
    out = out.reshape(shape)
    if index is not None:
        return pd.Series(out, index=index, name=name)
    return out

"""Distinct values of integer codes (cell keys such as ``rater * n_subjects + subject``)."""
from __future__ import annotations

import numpy as np

#: a code space at most this many times the number of codes (or below the floor) is
#: scanned as a mask: one scatter and one pass over the space, where ``np.unique`` hashes
#: (or sorts) every code
_DENSE_FACTOR, _DENSE_FLOOR = 8, 1 << 15


def dense_space(n: int, size: int) -> bool:
    """Whether ``n`` codes below ``size`` are cheaper to scan as a mask than to hash."""
    return size <= max(_DENSE_FACTOR * n, _DENSE_FLOOR)


def unique_codes(key: np.ndarray, size: int, *, return_inverse: bool = False,
                 return_counts: bool = False):
    """``np.unique(key, return_inverse=, return_counts=)`` for non-negative integer codes
    below ``size``; the same arrays (sorted values in ``key``'s dtype, inverse and counts
    as ``intp``).

    A unit's cell keys live in a small code space (199 raters x 164 subjects), where a mask
    over the space costs a tenth of hashing each code; a national one does not, and goes
    to ``np.unique``.

    Examples
    --------
    >>> unique_codes(np.array([5, 1, 5, 3]), 8, return_inverse=True, return_counts=True)
    (array([1, 3, 5]), array([2, 0, 2, 1]), array([1, 1, 2]))
    """
    key = np.asarray(key)
    if (key.ndim != 1 or key.size == 0 or not dense_space(key.size, size)
            or key.min() < 0 or key.max() >= size):   # outside the space (a missing code): as numpy does
        return np.unique(key, return_inverse=return_inverse, return_counts=return_counts)
    if return_counts:
        cnt = np.bincount(key, minlength=size)
        seen = cnt > 0
    else:
        seen = np.zeros(size, dtype=bool)
        seen[key] = True
    values = np.flatnonzero(seen)
    out = [values.astype(key.dtype, copy=False)]
    if return_inverse:
        rank = np.cumsum(seen, dtype=np.intp)
        rank -= 1
        out.append(rank[key])
    if return_counts:
        out.append(cnt[values])
    return out[0] if len(out) == 1 else tuple(out)

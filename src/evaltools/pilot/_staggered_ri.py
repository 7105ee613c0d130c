"""Randomization inference over the wave assignment of a staggered rollout: first-treated
periods permuted across units, the aggregated ATT recomputed for every assignment from
cohort-by-period sums (one pass per chunk of assignments)."""
from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from evaltools._notes import note as _note
from evaltools._results import Estimate
from evaltools.pilot._aggregate import _AGG_TYPES, aggregate_att
from evaltools.pilot._attgt import _estimate


def randomization_test(fit: Any, n_perm: int = 999, seed: int | None = None,
                       aggregate: str = "simple", *, permute: str = "units") -> Estimate:
    """:meth:`StaggeredResult.randomization_test` on a fitted result ``fit``."""
    if aggregate not in _AGG_TYPES:
        raise ValueError(f"aggregate must be one of {_AGG_TYPES}, got {aggregate!r}")
    if permute not in ("units", "waves"):
        raise ValueError(f"permute must be 'units' or 'waves', got {permute!r}")
    agg, a = aggregate_att(fit, aggregate, se=False)
    obs = agg.value
    n = fit.n_units
    G = fit._panel.G
    if a is None or not np.isfinite(obs):
        return Estimate(name=f"randomization_{aggregate}", n_subjects=n,
                        note=_note("ri_undefined"))
    gvals, gcode = np.unique(G, return_inverse=True)
    movable = np.flatnonzero(G > 0) if permute == "waves" else np.arange(n)
    sub_vals, sub_code = np.unique(gcode[movable], return_inverse=True)
    counts = np.bincount(sub_code)
    exact = _n_assignments_at_most(counts, n_perm)
    if exact:
        sub = sub_vals[_enumerate_assignments(counts, len(movable))]
    else:
        rng = np.random.default_rng(seed)
        # permuting the codes keeps every group's size, as the design does
        sub = rng.permuted(np.broadcast_to(gcode[movable], (n_perm, len(movable))), axis=1)
    perms = np.broadcast_to(gcode, (len(sub), n)).copy()
    perms[:, movable] = sub
    used = a != 0
    if fit._panel.X is None:
        vals = _perm_atts(fit, perms, gvals)[:, used] @ a[used]
    else:
        vals = np.empty(len(perms))
        for i, pc in enumerate(perms):
            att = _estimate(fit._panel, fit._cells, gvals[pc], fit.control, fit.method,
                            want_if=False)[0]
            vals[i] = att[used] @ a[used]
    ok = np.isfinite(vals)
    note = _note("ri_exact") if exact else _note("ri_random", n=len(vals))
    if not ok.all():
        note += "; " + _note("ri_left_out", n=int((~ok).sum()))
    vals = vals[ok]
    tol = 1e-10 * max(1.0, abs(obs))
    hits = np.abs(vals) >= abs(obs) - tol
    p = float(hits.mean()) if exact else float((1 + hits.sum()) / (1 + len(vals)))
    return Estimate(name=f"randomization_{aggregate}", value=obs, pval=p, n_subjects=n, note=note,
                    extra={"n_assignments": int(len(vals)), "exact": bool(exact),
                           "aggregate": aggregate, "permute": permute})


def _perm_atts(fit: Any, perms: np.ndarray, gvals: np.ndarray) -> np.ndarray:
    """ATT(g,t) for many assignments at once from cohort-by-period sums."""
    Y = fit._panel.Y
    n, T = Y.shape
    P = len(perms)
    ng = len(gvals)
    cells = fit._cells
    sizes = np.bincount(perms[0], minlength=ng).astype(float)
    out = np.zeros((P, len(cells.g)))
    step = max(1, 4_000_000 // max(n, 1))
    for p0 in range(0, P, step):
        pc = perms[p0:p0 + step]
        m = len(pc)
        flat = (pc + ng * np.arange(m)[:, None]).ravel()
        S = np.stack([np.bincount(flat, weights=np.tile(Y[:, j], m), minlength=m * ng) for j in range(T)],
                     axis=1).reshape(m, ng, T)
        for k in range(len(cells.g)):
            if not fit._valid[k] or cells.ref[k]:
                continue
            isg = gvals == cells.g[k]
            ctl = (gvals == 0) if fit.control == "never" else (gvals == 0) | ((gvals > cells.thr[k]) & ~isg)
            dS = S[:, :, cells.c[k]] - S[:, :, cells.b[k]]
            out[p0:p0 + m, k] = dS[:, isg].sum(axis=1) / sizes[isg].sum() - dS[:, ctl].sum(axis=1) / sizes[ctl].sum()
    return out


def _n_assignments_at_most(counts: np.ndarray, limit: int) -> bool:
    """Whether n! / prod(n_g!) <= limit, without forming the factorials."""
    total, left = 1, int(counts.sum())
    for cnt in counts:
        total *= math.comb(left, int(cnt))
        left -= int(cnt)
        if total > limit:
            return False
    return True


def _enumerate_assignments(counts: np.ndarray, n: int) -> np.ndarray:
    """Every distinct assignment of cohort codes with the given sizes (multiset permutations)."""
    parts = [np.full(n, -1, dtype=np.int64)]
    free = [np.arange(n)]
    for code, cnt in enumerate(counts[:-1]):
        new_parts, new_free = [], []
        for assign, avail in zip(parts, free):
            for comb in itertools.combinations(range(len(avail)), int(cnt)):
                a = assign.copy()
                a[avail[list(comb)]] = code
                mask = np.ones(len(avail), dtype=bool)
                mask[list(comb)] = False
                new_parts.append(a)
                new_free.append(avail[mask])
        parts, free = new_parts, new_free
    last = len(counts) - 1
    out = np.array(parts)
    out[out < 0] = last
    return out

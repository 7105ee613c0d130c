"""Expected latent scores of rounded, bounded ratings (EM for the interval-censored normal model)."""
from __future__ import annotations

import math

import numpy as np
import scipy.stats

from ._crossed import _CrossedFit


def _latent_scores(y: np.ndarray, s: np.ndarray, r: np.ndarray, nu: np.ndarray, n_s: int, n_r: int, n_i: int,
                   score_range: tuple[float, float] | None, *, max_iter: int = 500,
                   tol: float = 1e-5) -> tuple[np.ndarray, str]:
    """Expected latent scores of rounded, bounded ratings under the crossed model (EM).

    A score ``k`` on an integer scale ``lo..hi`` is read as a latent normal score
    ``y* = subject + rater + nuisance + e`` rounded to the nearest category, so ``y*``
    lies in ``[k - 1/2, k + 1/2)``, open below for ``lo`` and above for ``hi`` (an
    interval-censored normal model: the additive model behind ordinal "rounded normal"
    scales; at the scale ends it is Tobin's 1958 censored regression). The EM algorithm
    (Dempster, Laird & Rubin 1977, sec. 4.1.3) replaces each score by its conditional
    mean given its interval and the current fit,
    ``mu + sigma (phi(a) - phi(b)) / (Phi(b) - Phi(a))`` with ``a, b`` the standardized
    interval ends, refits the model on the design's factors (one pass of products per
    step), and updates ``sigma^2`` from the conditional second moments. A lenient rater
    whose scores pile up at the top category is then no longer compressed toward the
    others by the ceiling. Returns the latent scores and a note.
    """
    import scipy.special

    lo_s, hi_s = (float(np.min(y)), float(np.max(y))) if score_range is None else map(float, score_range)
    if not np.allclose(y, np.round(y)) or hi_s - lo_s < 2:
        return y, "latent: scores are not on an integer scale of three or more categories; used as they are", 0.0
    # A rater (or subject) whose every score is the top category has no finite maximum
    # likelihood effect; a weak normal prior on subject and rater effects (SD = half the
    # scale's range) keeps every effect finite and barely moves the others.
    lam = float(np.var(y)) / (0.5 * (hi_s - lo_s)) ** 2
    fit = _CrossedFit(y, s, r, nu, n_s, n_r, n_i, lam_s=lam, lam_r=lam, want_cov=False)
    if fit._W is None or not y.size > n_s + n_r + n_i:
        return y, "latent: design too large or too small for the EM refits; scores used as they are", 0.0
    df = y.size - n_s - n_r - n_i
    lo = np.where(y <= lo_s, -np.inf, y - 0.5)
    hi = np.where(y >= hi_s, np.inf, y + 0.5)
    z = y.astype(float).copy()
    mu = fit.fitted
    sig = math.sqrt(max(float(np.sum((y - mu) ** 2)) / df, 1e-12))
    sq2 = math.sqrt(2.0)
    note = "latent: EM did not converge in %d steps" % max_iter
    for _ in range(max_iter):
        a, b = (lo - mu) / sig, (hi - mu) / sig
        # Phi(b) - Phi(a) without cancellation in the upper tail
        Z = np.where(a > 0, 0.5 * (scipy.special.erfc(a / sq2) - scipy.special.erfc(b / sq2)),
                     0.5 * (scipy.special.erfc(-b / sq2) - scipy.special.erfc(-a / sq2)))
        Z = np.maximum(Z, 1e-300)
        pa, pb = scipy.stats.norm.pdf(a), scipy.stats.norm.pdf(b)
        m1 = (pa - pb) / Z
        with np.errstate(invalid="ignore"):      # inf * 0 at the open ends
            ta = np.where(np.isfinite(a), a * pa, 0.0)
            tb = np.where(np.isfinite(b), b * pb, 0.0)
        z_new = mu + sig * m1
        cvar = sig * sig * np.clip(1.0 + (ta - tb) / Z - m1 * m1, 0.0, None)
        step = float(np.max(np.abs(z_new - z)))
        z = z_new
        mu = fit.fitted_for(z)
        sig = math.sqrt(max(float(np.sum((z - mu) ** 2 + cvar)) / df, 1e-12))
        if step < tol:
            note = ""
            break
    return z, note, float(np.mean(cvar))


def _ceiling_matters(y: np.ndarray, score_range: tuple[float, float] | None) -> bool:
    """Integer scores of three or more categories with >= 5 % at the scale's ends."""
    if y.size == 0 or not np.allclose(y, np.round(y)):
        return False
    lo, hi = (float(np.min(y)), float(np.max(y))) if score_range is None else map(float, score_range)
    return hi - lo >= 2 and float(np.mean((y <= lo) | (y >= hi))) >= 0.05

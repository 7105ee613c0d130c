"""Unit outcomes with a known pilot effect (or harm), and the true effects they imply.

Two-way fixed effects with no pre-trend (package docstring): a baseline per unit (tied to
its org predikat), a common period path, and the unit's effect ``delta_u`` in every period
from its first_treated on. ``delta_u`` = wave 1 effect x wave factor x profile factor
(0 for ``no_effect``, negative for ``harm``) x a unit-level heterogeneity.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ._model import OUTCOMES, PROFILES
from ._people import Units


@dataclasses.dataclass
class Outcomes:
    """The outcomes table and, per outcome, the true effect, baseline and period path."""

    frame: pd.DataFrame
    effects: dict[str, np.ndarray]
    baselines: dict[str, np.ndarray]
    period_effects: dict[str, np.ndarray]


def draw_outcomes(rng: np.random.Generator, m: dict, units: Units) -> Outcomes:
    """One row per (unit, period): ``unit``, ``period`` and the outcomes of ``m["outcome_model"]``."""
    U, periods, ft0, unit_wave, prof_code = units.n, units.periods, units.ft0, units.wave, units.profile
    n_per = len(periods)
    t = np.arange(n_per)
    post = (ft0[:, None] >= 0) & (t[None, :] >= ft0[:, None])
    wf = np.array(m["wave_effect_factor"], dtype=float)
    wave_factor = np.where(unit_wave > 0, wf[np.clip(unit_wave - 1, 0, len(wf) - 1)], 0.0)
    pf = np.array([m["profile_effect_factor"][p] for p in PROFILES])
    prof_factor = np.where(prof_code >= 0, pf[np.maximum(prof_code, 0)], 0.0)
    het = 1 + rng.normal(0, m["effect_heterogeneity_sd"], U)
    org_z = (units.org - 3) / 1.0                            # Baik = 0
    data = {"unit": np.repeat(units.names.astype(object), n_per),
            "period": np.tile(np.array(periods, dtype=object), U)}
    effects, baselines, period_effects = {}, {}, {}
    for o, spec in m["outcome_model"].items():              # four outcomes
        sign = 1.0 if OUTCOMES[o]["higher_is_better"] else -1.0
        base = spec["base"] + spec["base_sd"] * (0.8 * rng.standard_normal(U) + 0.3 * sign * org_z)
        lam = spec["trend"] * t + 0.25 * spec["noise"] * rng.standard_normal(n_per)
        lam -= lam[0]
        delta = spec["effect"] * wave_factor * prof_factor * het
        y = base[:, None] + lam[None, :] + delta[:, None] * post + spec["noise"] * rng.standard_normal((U, n_per))
        y = np.clip(y, spec["lo"] if spec["lo"] is not None else -np.inf,
                    spec["hi"] if spec["hi"] is not None else np.inf)
        data[o] = np.round(y, spec["digits"]).ravel()
        effects[o], baselines[o], period_effects[o] = delta, base, lam
    return Outcomes(frame=pd.DataFrame(data), effects=effects, baselines=baselines, period_effects=period_effects)


def effect_summary(units: Units, effects: dict[str, np.ndarray]) -> dict:
    """True ATT by wave, over treated unit-periods and over treated units (``truth["effects"]``)."""
    periods, waves, unit_wave, ft0 = units.periods, units.waves, units.wave, units.ft0
    treated = unit_wave > 0
    by_wave = {}
    for w in range(1, len(waves) + 1):
        sel = unit_wave == w
        by_wave[waves[w - 1]] = {o: (round(float(effects[o][sel].mean()), 6) if sel.any() else None)
                                 for o in OUTCOMES}
    post_cells = np.where(treated, len(periods) - np.maximum(ft0, 0), 0)
    overall = {o: (round(float(np.average(effects[o][treated], weights=post_cells[treated])), 6)
                   if treated.any() else None) for o in OUTCOMES}
    unit_mean = {o: (round(float(effects[o][treated].mean()), 6) if treated.any() else None) for o in OUTCOMES}
    return {"by_wave": by_wave, "overall_unit_period": overall, "overall_unit": unit_mean,
            "note": "true_effect is constant over post periods; overall_unit_period weights units by "
                    "their number of post periods (the simple ATT over treated unit-periods)"}

"""control_window: the post window of a pilot unit that leaves control units, later waves included.

The estimate over the window is unit_effect's 2x2 DiD (tested against R did's mpdta and a
two-way fixed-effects regression in test_pilot_synth); here the window is checked on
constructed rollouts, the DiD over it against an OLS of the same changes on mpdta (R did's
example panel) without its never-treated counties, and the test over a window of
not-yet-treated controls for its size and coverage by simulation.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evaltools.pilot import control_window, unit_effect

REF = Path(__file__).resolve().parents[2] / "shared" / "reference" / "did"


def _rollout(first, T=6):
    """Long panel of units U0.. with first treated period position ``first`` (-1 = never)."""
    periods = [f"{2020 + t // 2}-S{t % 2 + 1}" for t in range(T)]
    ft = [periods[f] if f >= 0 else None for f in first]
    df = pd.DataFrame({"unit": np.repeat([f"U{i}" for i in range(len(first))], T),
                       "period": np.tile(periods, len(first)), "first_treated": np.repeat(ft, T), "y": 0.0})
    df["period"] = pd.Categorical(df["period"], categories=periods, ordered=True)
    df["first_treated"] = pd.Categorical(df["first_treated"], categories=periods, ordered=True)
    return df, periods


@pytest.mark.parametrize("first, unit, expected", [
    # two never-treated units: the whole post period, against them
    ([2, -1, -1, 4], "U0", (None, 2, "never", 5)),
    # one never-treated unit and later waves: the window before the second wave starts
    ([2, -1, 4, 4], "U0", (2, 3, "not_yet", 3)),
    # no unit stays out: the first wave against the later ones until the third starts
    ([1, 2, 3, 3, 5], "U0", (2, 3, "not_yet", 2)),
    # the last wave: nobody left after it starts
    ([1, 2, 3, 3, 5], "U4", (None, 0, "never", 5)),
    # short of two controls in every window: the longest with one (an estimate without a test)
    ([1, 2, 3, 4], "U2", (1, 1, "not_yet", 3)),
    ([2, -1, 2], "U0", (None, 1, "never", 5)),
    ([1, 2, 3, 4, 4], "U1", (2, 2, "not_yet", 3)),
    ([2, 3, 5], "U1", (2, 1, "not_yet", 4)),
])
def test_window_rules(first, unit, expected):
    df, periods = _rollout(first)
    w = control_window(df, unit=unit)
    assert (w.post_periods, w.n_controls, w.controls) == expected[:3]
    assert w.last_period == periods[expected[3]]
    assert w.first_period == periods[first[int(unit[1:])]]
    assert list(w.to_frame().columns) == ["post_periods", "n_controls", "controls", "first_period", "last_period"]


def test_window_needs_a_pilot_unit():
    df, _ = _rollout([2, -1, -1])
    with pytest.raises(ValueError, match="first treated"):
        control_window(df, unit="U1")


def test_did_over_the_window_equals_ols_on_mpdta_without_never_treated():
    """mpdta (R did's example data) without its never-treated counties: a county treated in
    2004 is measured over 2004-2006, against the counties starting in 2007 (the longest window
    with controls left); its DiD is the OLS coefficient of the change (window mean minus
    2003) on the county's dummy."""
    path = REF / "mpdta.csv"
    if not path.exists():
        pytest.skip("../shared/reference/did/mpdta.csv not available")
    mp = pd.read_csv(path)
    mp = mp[mp["first.treat"] > 0]
    target = int(mp.loc[mp["first.treat"] == 2004, "countyreal"].iloc[0])
    w = control_window(mp, unit=target, unit_col="countyreal", period="year", first_treated="first.treat")
    assert (w.post_periods, w.controls, w.first_period, w.last_period) == (3, "not_yet", 2004, 2006)
    res = unit_effect(mp, unit=target, outcome="lemp", unit_col="countyreal", period="year",
                      first_treated="first.treat", placebo=False, post_periods=w.post_periods)
    pool = mp[(mp["first.treat"] > 2006) | (mp["countyreal"] == target)]
    assert w.n_controls == res.n_donors == pool["countyreal"].nunique() - 1
    win = pool[pool["year"] <= 2006].assign(post=lambda d: (d["year"] >= 2004).astype(int))
    means = win.pivot_table(index="countyreal", columns="post", values="lemp", aggfunc="mean")
    chg = pd.DataFrame({"dy": means[1] - means[0], "d": (means.index == target).astype(float)})
    fit = smf.ols("dy ~ d", data=chg).fit()
    assert res.did.value == pytest.approx(fit.params["d"], abs=1e-10)


def test_not_yet_window_test_has_its_size_and_coverage_by_simulation():
    """A rollout with no unit left out (3 waves of 4 units, 7 periods; unit and period effects,
    iid noise): the first wave's units, tested over their window against the later waves,
    reject a zero effect at about 5 % and cover a true effect of 1 at about 95 % (1,200
    tests each from 300 panels, fixed seed: 0.033 .. 0.067 and 0.933 .. 0.967; this draw
    gives 0.051 and 0.949)."""
    rng = np.random.default_rng(3)
    first = [2] * 4 + [4] * 4 + [6] * 4
    df, _ = _rollout(first, T=7)
    w = control_window(df, unit="U0")
    assert (w.post_periods, w.n_controls, w.controls) == (4, 4, "not_yet")   # until the third wave
    reject = cover = n = 0
    for _ in range(300):
        Y = rng.normal(70, 3, 12)[None, :] + rng.normal(0, 2, 7)[:, None] + rng.normal(0, 1, (7, 12))
        for effect in (0.0, 1.0):
            Yt = Y.copy()
            Yt[2:, :4] += effect
            panel = df.assign(y=Yt.T.ravel())
            for u in ("U0", "U1", "U2", "U3"):
                ue = unit_effect(panel, unit=u, outcome="y", placebo=False, post_periods=w.post_periods)
                if effect == 0.0:
                    reject += ue.pval < 0.05
                    n += 1
                else:
                    cover += ue.ci_low <= 1.0 <= ue.ci_high
    assert 0.033 <= reject / n <= 0.067 and 0.933 <= cover / n <= 0.967

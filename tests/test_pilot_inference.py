"""unit_did_test and the headline of unit_effect: a per-unit test that can reject with few controls.

References used here:
* The prediction t test of one new draw against N controls is the pooled two-sample t test
  with a sample of one (Student 1908): scipy.stats.ttest_ind([d1], d_controls) gives the
  same t, df = N - 1, p-value and interval (scipy is the reference implementation).
* Its minimum detectable effect is the noncentral-t solution of statsmodels
  TTestIndPower(nobs1=1, ratio=N), times the controls' SD (Bloom 1995).
* Size, coverage and power are checked by simulation here (small, fast) and in
  benchmarks/bench_pilot_inference.py (>= 500 panels per design, table in RESULTS.md).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from evaltools.pilot import unit_did_test, unit_effect


def _panel(Y, g, periods=None):
    """Long panel from a (periods x units) matrix; unit 0 starts its pilot at position g."""
    T, N = Y.shape
    periods = periods or [f"P{t:02d}" for t in range(T)]
    units = [f"U{i:03d}" for i in range(N)]
    ft = [periods[g]] + [None] * (N - 1)
    df = pd.DataFrame({"unit": np.repeat(units, T), "period": np.tile(periods, N),
                       "first_treated": np.repeat(ft, T), "ikm": Y.T.ravel()})
    df["period"] = pd.Categorical(df["period"], categories=periods, ordered=True)
    df["first_treated"] = pd.Categorical(df["first_treated"], categories=periods, ordered=True)
    return df


def _twfe(rng, N, T, g, effect=0.0, noise=1.0):
    """Two-way fixed effects panel with iid unit-period noise (the simulator's model)."""
    Y = rng.normal(70, 4, N + 1)[None, :] + np.cumsum(rng.normal(0.5, 0.3, T))[:, None] \
        + rng.normal(0, noise, (T, N + 1))
    Y[g:, 0] += effect
    return Y


def test_equals_two_sample_t_with_a_sample_of_one():
    rng = np.random.default_rng(1)
    for N in (5, 8, 15, 30):
        dc = rng.normal(0, 1.3, N)
        d1 = 2.5
        ours = unit_did_test(d1, dc, alpha=0.1)
        ref = stats.ttest_ind([d1], dc, equal_var=True)
        assert ours.t == pytest.approx(ref.statistic, rel=1e-12)
        assert ours.pval == pytest.approx(ref.pvalue, rel=1e-10)
        assert ours.df == ref.df == N - 1
        ci = ref.confidence_interval(0.9)
        assert (ours.ci_low, ours.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)


def test_mde_is_the_noncentral_t_solution():
    rng = np.random.default_rng(2)
    for N in (5, 8, 15):
        dc = rng.normal(0, 2.0, N)
        res = unit_did_test(0.0, dc, power=0.8)
        d = TTestIndPower().solve_power(nobs1=1, ratio=N, alpha=0.05, power=0.8, alternative="two-sided")
        assert res.mde == pytest.approx(d * dc.std(ddof=1), rel=1e-4)
        assert unit_did_test(0.0, dc, power=0.9).mde > res.mde


def test_can_reject_below_the_placebo_floor():
    # 8 controls: no placebo p-value can go below 1/9; the prediction t test can
    rng = np.random.default_rng(3)
    Y = _twfe(rng, 8, 6, 3, effect=6.0, noise=1.0)
    res = unit_effect(_panel(Y, 3), unit="U000", outcome="ikm")
    assert res.pval_perm == pytest.approx(1 / 9)
    assert res.pval < 0.01 and res.ci_low > 0
    assert res.method == "did_prediction_t" and res.df == 7
    assert res.mde < 6.0
    assert res.did_path.columns.tolist() == ["period", "treated", "controls", "gap", "ci_low", "ci_high", "post"]
    assert res.did_path.loc[res.did_path.post, "gap"].mean() == pytest.approx(res.effect)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1), n=st.integers(2, 30), shift=st.floats(-5, 5),
       alpha=st.sampled_from([0.01, 0.05, 0.1, 0.2]))
def test_interval_excludes_zero_exactly_when_p_below_alpha(seed, n, shift, alpha):
    rng = np.random.default_rng(seed)
    dc = rng.normal(0, rng.uniform(0.1, 3), n)
    res = unit_did_test(shift + rng.normal(), dc, alpha=alpha)
    excludes = res.ci_low > 0 or res.ci_high < 0
    assert excludes == (res.pval < alpha)
    # and the interval is the set of effects the test does not reject
    for b in (res.ci_low, res.ci_high):
        shifted = unit_did_test(shift + 0.0, dc, alpha=alpha)  # same controls
        assert shifted.df == res.df
        assert 2 * stats.t.sf(abs((res.value - b) / res.se), res.df) == pytest.approx(alpha, rel=1e-6)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), effect=st.floats(-4, 4))
def test_unit_effect_interval_agrees_with_p(seed, effect):
    rng = np.random.default_rng(seed)
    res = unit_effect(_panel(_twfe(rng, 8, 6, 3, effect=effect), 3), unit="U000", outcome="ikm",
                      placebo=False)
    assert (res.ci_low > 0 or res.ci_high < 0) == (res.pval < 0.05)


def test_size_and_coverage_small_simulation():
    """200 panels, 8 controls, 6 periods (3 before): 5 % size and 95 % coverage within two
    binomial SDs (1.5 points each); power at 2 noise SDs near its noncentral-t value. The full
    table (>= 500 panels per design) is in benchmarks/RESULTS.md."""
    from evaltools.pilot._power import _power_from_se

    rng = np.random.default_rng(99)
    reps, N, T, g, effect = 200, 8, 6, 3, 2.0
    reject = cover = power = 0
    for _ in range(reps):
        Y = _twfe(rng, N, T, g)
        r0 = unit_effect(_panel(Y, g), unit="U000", outcome="ikm", placebo=False)
        reject += r0.pval < 0.05
        Y[g:, 0] += effect
        r1 = unit_effect(_panel(Y, g), unit="U000", outcome="ikm", placebo=False)
        cover += r1.ci_low <= effect <= r1.ci_high
        power += r1.pval < 0.05
    assert 0.02 <= reject / reps <= 0.08
    assert 0.92 <= cover / reps <= 0.98
    # effect = 2 noise SDs; a unit's change has SD sqrt(1/3 + 1/3), the test's se
    # sqrt(2/3) sqrt(1 + 1/8): noncentral-t power ~0.48 with 7 df (binomial sd 3.5 points)
    expected = float(_power_from_se(effect, math.sqrt(2 / 3 * (1 + 1 / N)), 0.05, N - 1, "t"))
    assert abs(power / reps - expected) < 0.08


def test_size_correction_for_small_pilot_units():
    """Var(D_i) = 0.05 + 10 / M_i, controls of 20-400, a pilot unit of 25: the equal-variance
    test over-rejects, the Ferman & Pinto size model keeps the 5 % level."""
    rng = np.random.default_rng(5)
    reps, N = 600, 15
    plain = sized = 0
    for _ in range(reps):
        M = np.r_[25.0, rng.integers(20, 400, N)]
        d = rng.normal(0, np.sqrt(0.05 + 10 / M))
        plain += unit_did_test(d[0], d[1:]).pval < 0.05
        sized += unit_did_test(d[0], d[1:], size_treated=M[0], size_controls=M[1:]).pval < 0.05
    assert plain / reps > 0.15
    assert sized / reps <= 0.07


def test_size_column_in_unit_effect_and_errors():
    rng = np.random.default_rng(6)
    df = _panel(_twfe(rng, 10, 6, 3, effect=1.0), 3)
    df["n_employees"] = np.repeat(rng.integers(20, 300, 11), 6).astype(float)
    res = unit_effect(df, unit="U000", outcome="ikm", size="n_employees")
    assert res.method == "did_prediction_t_size" and 1 <= res.df <= 9
    assert (res.ci_low > 0 or res.ci_high < 0) == (res.pval < 0.05)
    df.loc[df.unit == "U004", "n_employees"] = 0.0
    from evaltools._errors import DataError
    with pytest.raises(DataError, match="n_employees"):
        unit_effect(df, unit="U000", outcome="ikm", size="n_employees")
    with pytest.raises(DataError, match="n_employes"):
        unit_effect(df, unit="U000", outcome="ikm", size="n_employes")


def test_undefined_cases():
    one = unit_did_test(1.0, [0.5])
    assert math.isnan(one.pval) and "fewer than two" in one.note
    flat = unit_did_test(1.0, [0.5, 0.5, 0.5])
    assert math.isnan(flat.pval) and "do not vary" in flat.note
    with pytest.raises(ValueError):
        unit_did_test(1.0, [0.1, 0.2], size_treated=10)
    with pytest.raises(ValueError):
        unit_did_test(1.0, [0.1, 0.2], alpha=0)


def test_unit_did_tests_equal_unit_effect_on_the_simulator():
    simulate = pytest.importorskip("evaltools.simulate")
    from evaltools.pilot import unit_did_tests

    s = simulate.simulate_study(seed=3, n_units=24, subjects_per_unit=(3, 4))
    panel = s.outcomes.merge(s.units[["unit", "first_treated"]], on="unit")
    table = unit_did_tests(panel, outcome="ikm").set_index("unit")
    pilots = [u for u, i in s.truth["units"].items() if i.get("first_treated") is not None]
    assert sorted(table.index) == sorted(pilots)
    for u in pilots[:6]:
        ue = unit_effect(panel, unit=u, outcome="ikm", placebo=False)
        row = table.loc[u]
        for a, b in [(ue.effect, row.effect), (ue.se, row.se), (ue.pval, row.pval), (ue.ci_low, row.ci_low),
                     (ue.mde, row.mde), (ue.pval_perm, row.pval_perm)]:
            assert a == pytest.approx(b, rel=1e-12)


def test_unit_did_test_without_mde_is_the_same_test():
    controls = np.array([0.4, -0.3, 0.1, 0.6, -0.2, 0.0, 0.3, -0.5])
    full, bare = unit_did_test(3.0, controls), unit_did_test(3.0, controls, mde=False)
    assert math.isnan(bare.mde) and full.mde > 0
    assert (bare.value, bare.se, bare.pval, bare.ci_low, bare.ci_high, bare.pval_perm) == \
        (full.value, full.se, full.pval, full.ci_low, full.ci_high, full.pval_perm)

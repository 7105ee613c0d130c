"""pooled_unit_effects / pooled_power: random-effects pooling against metafor's published output.

Published values:
* metafor README / Viechtbauer (2010), J Stat Softw 36(3), BCG vaccine data (Colditz et al.
  1994, 13 trials): ``rma(yi, vi, data=dat)`` (REML) -> tau^2 = 0.3132 (SE = 0.1664),
  tau = 0.5597, I^2 = 92.22 %, H^2 = 12.86, Q(df = 12) = 152.2330; estimate -0.7145,
  se 0.1798, z -3.9744, CI [-1.0669, -0.3622]; with ``test="knha"``: se 0.1808,
  t -3.9522, df 12, p 0.0019, CI [-1.1084, -0.3206].
* metafor's own test suite (tests/testthat/test_misc_handling_nas.r): yi = 3, 2, 5, 4, 6 with
  vi = 1 (REML) -> ``blup(res)$pred`` = 3.4, 2.8, 4.6, 4.0, 5.2.
* Eight schools (Rubin 1981; Gelman et al., Bayesian Data Analysis 3rd ed., sec. 5.5):
  complete pooling gives 7.7 with standard error 4.1, and the between-school variance is
  estimated at 0 (Q = 4.7 on 7 df).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.power import TTestPower

from evaltools._errors import DataError
from evaltools.pilot import pooled_mde, pooled_power, pooled_unit_effects

# Colditz et al. (1994) as metafor's dat.bcg: tpos, tneg, cpos, cneg per trial
BCG = np.array([
    [4, 119, 11, 128], [6, 300, 29, 274], [3, 228, 11, 209], [62, 13536, 248, 12619],
    [33, 5036, 47, 5761], [180, 1361, 372, 1079], [8, 2537, 10, 619], [505, 87886, 499, 87892],
    [29, 7470, 45, 7232], [17, 1699, 65, 1600], [186, 50448, 141, 27197], [5, 2493, 3, 2338],
    [27, 16886, 29, 17825]], dtype=float)


def _bcg() -> pd.DataFrame:
    # escalc(measure="RR"): yi = log((a/n1) / (c/n2)), vi = 1/a - 1/n1 + 1/c - 1/n2
    a, b, c, d = BCG.T
    yi = np.log((a / (a + b)) / (c / (c + d)))
    vi = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    return pd.DataFrame({"trial": np.arange(1, 14), "yi": yi, "sei": np.sqrt(vi)})


def test_escalc_values_as_printed_by_metafor():
    dat = _bcg()
    assert dat["yi"].round(4).tolist()[:3] == [-0.8893, -1.5854, -1.3481]
    assert (dat["sei"] ** 2).round(4).tolist()[-3:] == [0.0124, 0.5325, 0.0714]


def test_reml_matches_metafor_bcg():
    fit = pooled_unit_effects(_bcg(), estimate="yi", se="sei", test="z").pooled.iloc[0]
    assert fit["tau2"] == pytest.approx(0.3132, abs=5e-5)
    assert fit["tau2_se"] == pytest.approx(0.1664, abs=5e-5)
    assert fit["tau"] == pytest.approx(0.5597, abs=5e-5)
    assert fit["i2"] == pytest.approx(92.22, abs=5e-3)
    assert fit["h2"] == pytest.approx(12.86, abs=5e-3)
    assert fit["q"] == pytest.approx(152.2330, abs=5e-5)
    assert fit["mu"] == pytest.approx(-0.7145, abs=5e-5)
    assert fit["se"] == pytest.approx(0.1798, abs=5e-5)
    assert fit["mu"] / fit["se"] == pytest.approx(-3.9744, abs=5e-4)
    assert (fit["ci_low"], fit["ci_high"]) == pytest.approx((-1.0669, -0.3622), abs=5e-5)


def test_knapp_hartung_matches_metafor_bcg():
    fit = pooled_unit_effects(_bcg(), estimate="yi", se="sei").pooled.iloc[0]
    assert fit["test"] == "knha" and fit["df"] == 12
    assert fit["se"] == pytest.approx(0.1808, abs=5e-5)
    assert fit["mu"] / fit["se"] == pytest.approx(-3.9522, abs=5e-4)
    assert fit["pval"] == pytest.approx(0.0019, abs=5e-5)
    assert (fit["ci_low"], fit["ci_high"]) == pytest.approx((-1.1084, -0.3206), abs=5e-5)


def test_blup_matches_metafor_testsuite():
    dat = pd.DataFrame({"estimate": [3, 2, 5, 4, 6.0], "se": 1.0})
    fit = pooled_unit_effects(dat, tau2_uncertainty=False)
    assert fit.pooled["tau2"].iloc[0] == pytest.approx(1.5)
    assert fit.units["eb_effect"].tolist() == pytest.approx([3.4, 2.8, 4.6, 4.0, 5.2])
    # metafor blup.rma.uni: se = sqrt(lambda vi + (1 - lambda)^2 vb), crit = qt(.975, k - 1)
    lam, vb = 0.6, fit.pooled["se"].iloc[0] ** 2
    assert fit.units["eb_se"].to_numpy() == pytest.approx(np.sqrt(lam + (1 - lam) ** 2 * vb))
    assert fit.units["shrinkage"].to_numpy() == pytest.approx(0.6)


def test_tau2_uncertainty_widens_unit_intervals_only_off_the_mean():
    dat = pd.DataFrame({"estimate": [3, 2, 5, 4, 6.0], "se": 1.0})
    plain = pooled_unit_effects(dat, tau2_uncertainty=False).units
    ks = pooled_unit_effects(dat).units
    wider = ks["eb_se"] - plain["eb_se"]
    assert wider.iloc[3] == pytest.approx(0, abs=1e-12)          # y_i = mu: no first-order term
    assert (wider.drop(index=3) > 0).all()
    assert wider.iloc[4] > wider.iloc[0]                          # further from mu, wider


def test_eight_schools_complete_pooling():
    schools = pd.DataFrame({"school": list("ABCDEFGH"), "estimate": [28, 8, -3, 7, -1, 1, 18, 12],
                            "se": [15, 10, 16, 11, 9, 11, 10, 18]})
    fit = pooled_unit_effects(schools, test="z")
    row = fit.pooled.iloc[0]
    assert row["tau2"] == 0.0 and row["q"] == pytest.approx(4.7, abs=0.05)
    assert round(row["mu"], 1) == 7.7 and round(row["se"], 1) == 4.1
    # tau^2 = 0: every school is shrunk all the way to the pooled mean
    assert fit.units["eb_effect"].to_numpy() == pytest.approx(row["mu"])
    assert list(fit.units["school"]) == list("ABCDEFGH")


def test_groups_are_pooled_separately_and_bad_input():
    dat = pd.concat([_bcg().assign(wave=1), pd.DataFrame({"yi": [3, 2, 5, 4, 6.0], "sei": 1.0, "wave": 2})])
    fit = pooled_unit_effects(dat, estimate="yi", se="sei", group="wave")
    assert fit.pooled["k"].tolist() == [13, 5]
    assert fit.pooled["tau2"].iloc[1] == pytest.approx(1.5)
    dat.iloc[2, dat.columns.get_loc("sei")] = -1
    with pytest.raises(DataError, match="positive"):
        pooled_unit_effects(dat, estimate="yi", se="sei")
    with pytest.raises(DataError, match="estimat"):
        pooled_unit_effects(dat, estimate="estimat", se="sei")
    one = pooled_unit_effects(pd.DataFrame({"estimate": [1.0, np.nan], "se": [0.5, 0.5]}))
    assert one.pooled["k"].iloc[0] == 1 and "one unit" in one.pooled["note"].iloc[0]


def test_coverage_of_mean_and_unit_intervals_by_simulation():
    """k = 10 units, tau = 1, unit SEs 0.5-1.5: the Knapp-Hartung interval for mu and the
    empirical-Bayes intervals for each unit's true effect cover about 95 %."""
    rng = np.random.default_rng(20240)
    reps, k = 400, 10
    cover_mu = cover_units = 0
    for _ in range(reps):
        s = rng.uniform(0.5, 1.5, k)
        theta = 2.0 + rng.normal(0, 1.0, k)
        y = theta + rng.normal(0, s)
        fit = pooled_unit_effects(pd.DataFrame({"estimate": y, "se": s}))
        p = fit.pooled.iloc[0]
        cover_mu += p["ci_low"] <= 2.0 <= p["ci_high"]
        u = fit.units
        cover_units += int(((u["eb_ci_low"] <= theta) & (theta <= u["eb_ci_high"])).sum())
    # binomial sd at 95 %: 1.1 points for 400 fits; units are 4000 (correlated within a fit)
    assert 0.92 <= cover_mu / reps <= 0.98
    assert 0.93 <= cover_units / (reps * k) <= 0.98


def test_pooled_power_matches_one_sample_t_power():
    # equal unit SEs: the Knapp-Hartung test is the one-sample t test of the k estimates, each
    # with variance se^2 + tau^2 (statsmodels TTestPower is the reference)
    se, tau2 = 1.5, 1.0
    for k in (4, 8, 20):
        ours = pooled_power(2.0, tau2=tau2, se=se, n_units=k)["power"].iloc[0]
        ref = TTestPower().power(effect_size=2.0 / math.sqrt(se ** 2 + tau2), nobs=k, alpha=0.05,
                                 alternative="two-sided")
        assert ours == pytest.approx(ref, abs=1e-6)
        m = pooled_mde(tau2=tau2, se=se, n_units=k)["effect"].iloc[0]
        ref_m = TTestPower().solve_power(nobs=k, alpha=0.05, power=0.8) * math.sqrt(se ** 2 + tau2)
        assert m == pytest.approx(ref_m, rel=1e-4)
    with pytest.raises(ValueError):
        pooled_power(1.0, tau2=-1, se=1, n_units=5)

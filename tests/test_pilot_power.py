"""Rollout power / MDE and multiple-outcome adjustment, against published worked examples."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower, TTestIndPower

from evaltools.pilot import adjust_pvalues, mde, power


# ---------------------------------------------------------------------------------------
# stepped wedge
# ---------------------------------------------------------------------------------------

def _swcrt_binomial(mu0, mu1, tau):
    """swCRTdesign's binomial parameterization: sigma^2 = mubar (1 - mubar), tau = SD of the
    random unit intercept; here as total SD and ICC."""
    mubar = (mu0 + mu1) / 2
    s2 = mubar * (1 - mubar)
    return math.sqrt(tau ** 2 + s2), tau ** 2 / (tau ** 2 + s2)


def test_stepped_wedge_swcrtdesign_readme():
    # swCRTdesign 4.1 README / ?swPwr Example 1 (J. Hughes): 24 clusters in 4 waves of 6,
    # 5 periods, n = 120 per cluster-period, mu0 = 0.05, mu1 = 0.035, tau = 0.01 ->
    # documented power 0.7861896 (normal approximation, cross-sectional design).
    sd, icc = _swcrt_binomial(0.05, 0.035, 0.01)
    out = power(0.035 - 0.05, n_units=24, m=120, icc=icc, sd=sd, design="stepped_wedge",
                periods_before=1, periods_after=4, dist="normal")
    assert out["power"].iloc[0] == pytest.approx(0.7861896, abs=5e-7)
    assert out["n_treated"].iloc[0] == 24


def _hh_closed_form(X, s2, tau2):
    """Hussey & Hughes (2007), Contemp Clin Trials 28:182-191, closed-form variance of theta
    (the formula swCRTdesign::swPwr evaluates as var.theta.CLOSED):
    Var = I s2 (s2 + T tau2) / ((I U - W) s2 + (U^2 + I T U - T W - I V) tau2),
    U = sum X_ij, W = sum_j (sum_i X_ij)^2, V = sum_i (sum_j X_ij)^2, s2 = sigma_e^2 / m."""
    I, T = X.shape
    U = X.sum()
    W = (X.sum(axis=0) ** 2).sum()
    V = (X.sum(axis=1) ** 2).sum()
    return I * s2 * (s2 + T * tau2) / ((I * U - W) * s2 + (U ** 2 + I * T * U - T * W - I * V) * tau2)


@pytest.mark.parametrize("n_units,steps,t0,t1,m,icc", [
    (24, 4, 1, 4, 120, 0.05), (10, 5, 1, 5, 20, 0.1), (13, 3, 2, 4, 8, 0.02), (6, 2, 1, 3, 50, 0.3),
])
def test_stepped_wedge_gls_equals_hussey_hughes_closed_form(n_units, steps, t0, t1, m, icc):
    sd = 2.0
    out = power(1.0, n_units=n_units, m=m, icc=icc, sd=sd, design="stepped_wedge",
                periods_before=t0, periods_after=t1, n_steps=steps, dist="normal")
    # the same design as an explicit unit x period indicator matrix
    base, extra = divmod(n_units, steps)
    rows = []
    for g in range(steps):
        x = np.zeros(t0 + t1)
        x[t0 + g:] = 1
        rows += [x] * (base + (1 if g < extra else 0))
    X = np.array(rows)
    var = _hh_closed_form(X, (1 - icc) * sd ** 2 / m, icc * sd ** 2)
    assert out["se"].iloc[0] ** 2 == pytest.approx(var, rel=1e-10)


def test_stepped_wedge_cac_below_one_loses_precision():
    kw = dict(n_units=12, m=30, icc=0.05, design="stepped_wedge", periods_before=1, periods_after=3)
    se1 = mde(**kw, cac=1.0)["se"].iloc[0]
    se08 = mde(**kw, cac=0.8)["se"].iloc[0]
    assert se08 > se1


# ---------------------------------------------------------------------------------------
# parallel cluster design
# ---------------------------------------------------------------------------------------

def test_cluster_mdes_powerupr_cross_checks_vignette():
    # PowerUpR (Bulus & Dong) vignette "cross_checks": mdes.cra2r2(power=.80, rho2=.17,
    # n=15, J=20) -> "MDES is 0.629 ... Degrees of freedom: 18, Standardized standard
    # error: 0.212"; power.cra2r2(es=0.629, ...) -> 80 % power.
    out = mde(n_units=20, m=15, icc=0.17, power=0.8, design="cluster")
    assert out["mde"].iloc[0] == pytest.approx(0.629, abs=5e-4)
    assert out["df"].iloc[0] == 18
    assert out["se"].iloc[0] == pytest.approx(0.212, abs=5e-4)
    back = power(out["mde"].iloc[0], n_units=20, m=15, icc=0.17)
    assert back["power"].iloc[0] == pytest.approx(0.80, abs=1e-9)


def test_cluster_design_effect_killip_2004_table():
    # Killip, Mahfoud & Pearce (2004), Ann Fam Med 2:204-208, table of 4 physicians
    # (clusters) with rho = 0.017: DE = 1.153, 1.323, 1.663, 2.343 for m = 10, 20, 40, 80;
    # power of a 2-sample t test for effect size 0.5 on the effective sample size
    # (ESS = 34, 60, 96, 136): 29, 47, 67, 82 %. Printed percentages are truncated and
    # computed from the integer ESS, hence the tolerance of 0.015.
    m = np.array([10, 20, 40, 80])
    ess = np.array([34, 60, 96, 136])
    out = power(0.5, n_units=4, m=m, icc=0.017, design="cluster", df=ess - 2)
    assert np.allclose(out["design_effect"], [1.153, 1.323, 1.663, 2.343], atol=5e-4)
    assert np.allclose(out["power"], [0.29, 0.47, 0.67, 0.82], atol=0.015)
    # the honest few-cluster answer (df = clusters - 2 = 2) is far lower
    assert (power(0.5, n_units=4, m=m, icc=0.017)["power"] < out["power"]).all()


@pytest.mark.parametrize("n,d,alpha,alloc", [(40, 0.5, 0.05, 0.5), (64, 0.3, 0.01, 0.5), (30, 0.8, 0.05, 0.4)])
def test_two_sample_case_matches_statsmodels(n, d, alpha, alloc):
    # m = 1 employee per unit and icc = 0: the individually randomized two-sample t test
    n1 = round(alloc * n)
    ratio = (n - n1) / n1
    ref_t = TTestIndPower().power(d, nobs1=n1, alpha=alpha, ratio=ratio)
    ref_z = NormalIndPower().power(d, nobs1=n1, alpha=alpha, ratio=ratio)
    ours_t = power(d, n_units=n, m=1, icc=0.0, allocation=alloc, alpha=alpha)
    ours_z = power(d, n_units=n, m=1, icc=0.0, allocation=alloc, alpha=alpha, dist="normal")
    assert ours_t["power"].iloc[0] == pytest.approx(ref_t, abs=1e-10)
    assert ours_z["power"].iloc[0] == pytest.approx(ref_z, abs=1e-10)
    es = TTestIndPower().solve_power(nobs1=n1, alpha=alpha, power=0.8, ratio=ratio)
    assert mde(n_units=n, m=1, icc=0.0, allocation=alloc, alpha=alpha)["mde"].iloc[0] == pytest.approx(es, abs=1e-6)


def test_donner_klar_design_effect_single_period():
    # Donner & Klar (2000): variance inflation 1 + (m - 1) rho for one period
    out = mde(n_units=[10, 20], m=[25, 50], icc=0.05)
    assert np.allclose(out["design_effect"], 1 + (out["m"] - 1) * 0.05)


# ---------------------------------------------------------------------------------------
# difference in differences
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("m,icc,cac", [(20, 0.05, 1.0), (50, 0.1, 0.7), (5, 0.2, 0.3)])
def test_did_design_effect_teerenstra_2012(m, icc, cac):
    # Teerenstra et al. (2012), Stat Med 31:2169-2178 (cross-sectional, one baseline
    # and one follow-up): the analysis of change has design effect
    # (1 + (m - 1) rho) * 2 (1 - r), r = m rho cac / (1 + (m - 1) rho) the correlation of a
    # cluster's baseline and follow-up means (also Rutterford et al. 2015).
    n_units, sd = 16, 1.5
    out = power(0.3, n_units=n_units, m=m, icc=icc, cac=cac, sd=sd, design="did",
                periods_before=1, periods_after=1)
    r = m * icc * cac / (1 + (m - 1) * icc)
    de = (1 + (m - 1) * icc) * 2 * (1 - r)
    var_ref = de * sd ** 2 / m * (1 / 8 + 1 / 8)
    assert out["se"].iloc[0] ** 2 == pytest.approx(var_ref, rel=1e-12)


def test_did_more_periods_reduce_mde():
    out = mde(n_units=20, m=30, icc=0.05, design="did", periods_before=[1, 2, 3], periods_after=[1, 2, 3])
    assert out["mde"].is_monotonic_decreasing


# ---------------------------------------------------------------------------------------
# table shape, inverses, bad input
# ---------------------------------------------------------------------------------------

def test_power_table_vectorized_rows():
    out = mde(n_units=np.arange(6, 42, 4), m=30, icc=0.05, design="did", periods_before=2, periods_after=2)
    assert len(out) == 9
    assert list(out.columns[:3]) == ["design", "n_units", "m"]
    assert {"mde", "power", "se", "design_effect", "df"} <= set(out.columns)
    assert out["mde"].is_monotonic_decreasing


@settings(max_examples=40, deadline=None)
@given(n_units=st.integers(4, 60), m=st.integers(1, 200), icc=st.floats(0.0, 0.5),
       design=st.sampled_from(["cluster", "did", "stepped_wedge"]), target=st.floats(0.3, 0.95),
       dist=st.sampled_from(["t", "normal"]))
def test_mde_inverts_power(n_units, m, icc, design, target, dist):
    kw = dict(n_units=n_units, m=m, icc=icc, design=design, periods_before=1, periods_after=2, dist=dist)
    d = mde(power=target, **kw)["mde"].iloc[0]
    assert power(d, **kw)["power"].iloc[0] == pytest.approx(target, abs=1e-7)
    # power grows with the effect and with the number of units
    assert power(d * 1.2, **kw)["power"].iloc[0] > target
    kw2 = dict(kw, n_units=n_units + 4)
    assert power(d, **kw2)["power"].iloc[0] > target - 1e-12


def test_bad_inputs():
    with pytest.raises(ValueError, match="design"):
        power(0.2, n_units=10, m=5, icc=0.1, design="crossover")
    with pytest.raises(ValueError, match="icc"):
        power(0.2, n_units=10, m=5, icc=1.5)
    with pytest.raises(ValueError, match="n_steps"):
        power(0.2, n_units=10, m=5, icc=0.1, design="stepped_wedge", periods_after=2, n_steps=3)
    out = power(0.2, n_units=10, m=5, icc=0.1, allocation=0.01)
    assert math.isnan(out["power"].iloc[0]) and "no treated" in out["note"].iloc[0]


# ---------------------------------------------------------------------------------------
# multiple outcomes
# ---------------------------------------------------------------------------------------

# Benjamini & Hochberg (1995), J R Stat Soc B 57:289-300, worked example: the 15 p-values of the
# myocardial infarction trial (Neuhaus et al. 1992). At q = 0.05 the FDR procedure rejects
# the four hypotheses with p <= 0.0095, the Bonferroni-type procedures only three.
BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
           0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000]


def test_bh_1995_example():
    bh = adjust_pvalues(BH_1995, method="bh")
    holm = adjust_pvalues(BH_1995, method="holm")
    assert (bh <= 0.05).sum() == 4
    assert (holm <= 0.05).sum() == 3
    assert bh[3] == pytest.approx(0.0095 * 15 / 4)


def test_documented_padjust_values():
    # stdlib-js @stdlib/stats/padjust documentation (R p.adjust semantics):
    # bh([0.008, 0.03, 0.123, 0.6, 0.2]) = [0.04, 0.075, ~0.205, 0.6, 0.25]
    # holm([0.319, 0.201, 0.4, 0.374, 0.113]) = [~0.957, 0.804, 0.957, ~0.957, 0.565]
    assert np.allclose(adjust_pvalues([0.008, 0.03, 0.123, 0.6, 0.2], "bh"),
                       [0.04, 0.075, 0.205, 0.6, 0.25])
    assert np.allclose(adjust_pvalues([0.319, 0.201, 0.4, 0.374, 0.113], "holm"),
                       [0.957, 0.804, 0.957, 0.957, 0.565])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.sampled_from(["holm", "bh"]))
def test_matches_statsmodels_multipletests(p, method):
    ref = multipletests(p, method={"holm": "holm", "bh": "fdr_bh"}[method])[1]
    ours = adjust_pvalues(p, method=method)
    assert np.allclose(ours, ref, atol=1e-12)
    assert (ours >= np.asarray(p) - 1e-15).all() and (ours <= 1).all()


def test_series_nan_and_errors():
    s = pd.Series([0.01, np.nan, 0.04, 0.03], index=["ikm", "service_days", "cases_resolved", "target"])
    out = adjust_pvalues(s, method="bh")
    assert list(out.index) == list(s.index) and math.isnan(out["service_days"])
    # R p.adjust: NAs are dropped from n
    assert np.allclose(out.dropna(), adjust_pvalues([0.01, 0.04, 0.03], "bh"))
    with pytest.raises(ValueError, match="method"):
        adjust_pvalues([0.1], method="bonferroni")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust_pvalues([0.1, 1.2])


@pytest.mark.parametrize("design,t0,t1,cac", [("did", 2, 3, 1.0), ("did", 1, 2, 0.6), ("cluster", 0, 3, 0.5)])
def test_variance_matches_monte_carlo_of_the_estimator(design, t0, t1, cac):
    """The closed forms against the estimator they describe, simulated from the model
    y_ijk = c_i + s_ij + e_ijk (Hooper et al. 2016): difference of arm means of the unit's
    post mean (cluster) or post-minus-pre change (did)."""
    rng = np.random.default_rng(42)
    reps, n_units, m, icc, sd = 20000, 12, 6, 0.1, 2.0
    T = t0 + t1
    c = rng.normal(0, sd * math.sqrt(icc * cac), (reps, n_units, 1))
    s = rng.normal(0, sd * math.sqrt(icc * (1 - cac)), (reps, n_units, T))
    e = rng.normal(0, sd * math.sqrt((1 - icc) / m), (reps, n_units, T))  # mean of m errors
    ybar = c + s + e
    unit_stat = ybar[:, :, t0:].mean(axis=2) - (ybar[:, :, :t0].mean(axis=2) if design == "did" else 0)
    est = unit_stat[:, : n_units // 2].mean(axis=1) - unit_stat[:, n_units // 2:].mean(axis=1)
    se = power(0.1, n_units=n_units, m=m, icc=icc, sd=sd, cac=cac, design=design,
               periods_before=max(t0, 1), periods_after=t1)["se"].iloc[0]
    # the sampling SD of a variance estimate from 20000 draws is ~1 %
    assert est.var() == pytest.approx(se ** 2, rel=0.04)


def test_power_finite_for_large_noncentrality_few_df():
    # scipy's noncentral t returns nan in some far lower tails (df = 2, ncp ~ 7.7): the
    # wrong-sign rejection probability must count as ~0, not poison the power
    out = power([5.47, 20.0, 200.0], n_units=4, m=1, icc=0.0, periods_after=2)
    assert np.isfinite(out["power"]).all()
    assert out["power"].is_monotonic_increasing and out["power"].iloc[-1] == pytest.approx(1.0)

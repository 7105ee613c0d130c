"""Tests for evaltools.pilot staggered difference-in-differences (Callaway & Sant'Anna 2021).

Reference results:
- R ``did`` 2.5.0 (Callaway & Sant'Anna) ``att_gt`` / ``aggte`` on its ``mpdta`` data with
  analytic standard errors (``bstrap=FALSE``), stored in ../shared/reference/did/csdid_r_ref_*.csv.
- The ``did`` README (version 2.5.0, "A short example"): ATT(g,t) printed to 4 decimals,
  "P-value for pre-test of parallel trends assumption: 0.16812", the dynamic overall
  ATT -0.0772 and the group aggregation (-0.031; groups -0.0797, -0.0229, -0.0261).
- The Python ``csdid`` port (cross-check with covariates, not-yet-treated controls, the
  universal base period and anticipation).
"""
from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaltools._errors import DataError
from evaltools.pilot import StaggeredResult, event_study, staggered_att

REF = Path(__file__).resolve().parents[2] / "shared" / "reference" / "did"
MPDTA = REF / "mpdta.csv"

needs_ref = pytest.mark.skipif(not (REF / "csdid_r_ref_attgt.csv").exists(),
                               reason="../shared/reference/did (R did reference output) not available")

SCENARIOS = {
    "mpdta_nev_dr": dict(control="never", method="dr"),
    "mpdta_nyt_dr": dict(control="notyet", method="dr"),
    "mpdta_nev_reg_cov": dict(control="never", method="reg", covariates=["lpop"]),
    "mpdta_nev_ipw": dict(control="never", method="ipw"),
}
KW = dict(outcome="lemp", unit="countyreal", period="year", first_treated="first.treat")


@pytest.fixture(scope="module")
def mpdta():
    if not MPDTA.exists():
        pytest.skip("../shared/reference/did/mpdta.csv not available")
    return pd.read_csv(MPDTA)


@pytest.fixture(scope="module")
def fits(mpdta):
    return {name: staggered_att(mpdta, **KW, **kw) for name, kw in SCENARIOS.items()}


# --------------------------------------------------------------------------- R did 2.5.0
@needs_ref
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_attgt_matches_r_did(fits, scenario):
    ref = pd.read_csv(REF / "csdid_r_ref_attgt.csv")
    ref = ref[ref.scenario == scenario]
    gt = fits[scenario].group_time
    m = gt.merge(ref, left_on=["group", "period"], right_on=["group", "t"], suffixes=("", "_r"))
    assert len(m) == len(ref) == len(gt) == 12
    np.testing.assert_allclose(m.att, m.att_r, atol=1e-9)
    np.testing.assert_allclose(m.se, m.se_r, atol=1e-9)
    assert list(gt.columns[:6]) == ["group", "period", "att", "se", "ci_low", "ci_high"]
    np.testing.assert_allclose(gt.ci_high - gt.att, 1.959963984540054 * gt.se)


@needs_ref
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_aggte_matches_r_did(fits, scenario, kind):
    ref = pd.read_csv(REF / "csdid_r_ref_aggte.csv")
    ref = ref[(ref.scenario == scenario) & (ref.type == kind)]
    agg = fits[scenario].aggregate(kind)
    assert agg.value == pytest.approx(ref.overall_att.iloc[0], abs=1e-9)
    assert agg.se == pytest.approx(ref.overall_se.iloc[0], abs=1e-9)
    assert agg.ci_low == pytest.approx(agg.value - 1.959963984540054 * agg.se)
    if kind == "simple":
        assert agg.table is None
        return
    assert list(agg.table.columns) == ["key", "att", "se", "ci_low", "ci_high"]
    m = agg.table.merge(ref, left_on="key", right_on="egt")
    assert len(m) == len(ref) == len(agg.table)
    np.testing.assert_allclose(m.att, m.att_egt, atol=1e-9)
    np.testing.assert_allclose(m.se, m.se_egt, atol=1e-9)
    frame = agg.to_frame()
    assert frame.loc[f"att_{kind}", "value"] == agg.value


@needs_ref
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_pretest_matches_r_did(fits, scenario):
    ref = pd.read_csv(REF / "csdid_r_ref_pretest.csv").set_index("scenario").loc[scenario]
    pt = fits[scenario].pretrend_test()
    assert pt.W == pytest.approx(ref.W, abs=1e-8)
    assert pt.df == 5  # 2 pre-periods for g=2006 + 3 for g=2007
    # R rounds the p-value to 5 decimals
    assert pt.pval == pytest.approx(ref.Wpval, abs=5e-6)
    assert pt.p == pt.pval


def test_did_readme_example(mpdta):
    """did 2.5.0 README, 'A short example': est_method='reg', xformla=~1 (bootstrap SEs there,
    so only estimates and the pre-test p-value are compared)."""
    res = staggered_att(mpdta, **KW, method="reg")
    readme_att = [-0.0105, -0.0704, -0.1373, -0.1008, 0.0065, -0.0028, -0.0046, -0.0412,
                  0.0305, -0.0027, -0.0311, -0.0261]
    np.testing.assert_allclose(res.group_time.att.round(4), readme_att, atol=1e-12)
    assert round(res.pretrend_test().pval, 5) == 0.16812
    assert round(res.aggregate("dynamic").value, 4) == -0.0772
    grp = res.aggregate("group")
    assert round(grp.value, 3) == -0.031
    np.testing.assert_allclose(grp.table.att.round(4), [-0.0797, -0.0229, -0.0261], atol=1e-12)
    np.testing.assert_allclose(res.aggregate("dynamic").table.att.round(4),
                               [0.0305, -0.0006, -0.0245, -0.0199, -0.0510, -0.1373, -0.1008], atol=1e-12)


# --------------------------------------------------------------------------- csdid cross-check
@pytest.mark.parametrize("method", ["dr", "ipw"])
@pytest.mark.parametrize("control", ["never", "notyet"])
def test_matches_csdid_with_covariates(mpdta, method, control):
    """Covariate DR / IPW (logit propensity score) against the csdid port of R did."""
    csdid = pytest.importorskip("csdid.att_gt")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = csdid.ATTgt(yname="lemp", gname="first.treat", idname="countyreal", tname="year", data=mpdta,
                         xformla="lemp~lpop",
                         control_group=["nevertreated" if control == "never" else "notyettreated"]
                         ).fit(est_method=method, bstrap=False)
        cs.aggte(typec="dynamic")
    res = staggered_att(mpdta, **KW, covariates=["lpop"], method=method, control=control)
    np.testing.assert_allclose(res.group_time.att, cs.results["att"], atol=1e-9)
    np.testing.assert_allclose(res.group_time.se, cs.results["se"], atol=1e-9)
    assert res.pretrend_test().W == pytest.approx(cs.MP["W"], abs=1e-7)
    dyn = res.aggregate("dynamic")
    assert dyn.value == pytest.approx(cs.atte["overall_att"], abs=1e-9)
    assert dyn.se == pytest.approx(cs.atte["overall_se"], abs=1e-9)
    np.testing.assert_allclose(dyn.table.se, cs.atte["se_egt"], atol=1e-9)


def test_matches_csdid_universal_base_anticipation(mpdta):
    csdid = pytest.importorskip("csdid.att_gt")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = csdid.ATTgt(yname="lemp", gname="first.treat", idname="countyreal", tname="year", data=mpdta,
                         control_group=["notyettreated"], anticipation=1
                         ).fit(est_method="dr", base_period="universal", bstrap=False)
        cs.aggte(typec="dynamic")
    res = staggered_att(mpdta, **KW, control="notyet", base_period="universal", anticipation=1)
    gt = res.group_time
    np.testing.assert_allclose(gt.att, cs.results["att"], atol=1e-9)
    np.testing.assert_allclose(gt.se, np.asarray(cs.results["se"], float), atol=1e-9, equal_nan=True)
    assert (gt.note == "reference period").sum() == 2
    np.testing.assert_allclose(res.aggregate("dynamic").table.att, cs.atte["att_egt"], atol=1e-9)
    es = event_study(res)
    assert es.loc[es.reference, "event_time"].tolist() == [-2]
    assert es.loc[es.reference, "att"].tolist() == [0.0] and es.loc[es.reference, "se"].isna().all()


# --------------------------------------------------------------------------- bootstrap
def test_multiplier_bootstrap(mpdta):
    a = staggered_att(mpdta, **KW, n_boot=999, seed=3)
    b = staggered_att(mpdta, **KW, n_boot=999, seed=3)
    an = staggered_att(mpdta, **KW)
    gt = a.group_time
    pd.testing.assert_frame_equal(gt, b.group_time)
    assert {"cband_low", "cband_high"} <= set(gt.columns)
    # bootstrap SEs estimate the same variance as the analytic ones (Monte Carlo error ~5%)
    ratio = gt.se / an.group_time.se
    assert ratio.between(0.8, 1.25).all(), ratio
    # a simultaneous band over 12 cells is wider than the pointwise interval
    assert ((gt.cband_high - gt.att) > (gt.ci_high - gt.att)).all()
    dyn = a.aggregate("dynamic")
    assert {"cband_low", "cband_high"} <= set(dyn.table.columns)
    assert dyn.se / an.aggregate("dynamic").se == pytest.approx(1.0, abs=0.2)
    assert dyn.extra["se_method"] == "bootstrap"


# --------------------------------------------------------------------------- simulation / coverage
def simulate(n=120, T=5, waves=(3, 4), effect=1.0, seed=0, share_never=0.4):
    """Balanced panel with unit and period effects, an effect growing with exposure."""
    rng = np.random.default_rng(seed)
    p = [share_never] + [(1 - share_never) / len(waves)] * len(waves)
    g = rng.choice(np.array((0, *waves)), size=n, p=p)
    t = np.arange(1, T + 1)
    post = (g[:, None] > 0) & (t[None, :] >= g[:, None])
    e = t[None, :] - g[:, None]
    tau = np.where(post, effect * (1 + 0.5 * e), 0.0)
    y = rng.normal(size=n)[:, None] + 0.3 * t[None, :] + rng.normal(size=(n, T)) + tau
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), T), "t": np.tile(t, n), "g": np.repeat(g, T),
                       "y": y.ravel()})
    return df, g, tau


def test_coverage_of_simple_att():
    """True simple ATT inside the 95 % CI at about the nominal rate (200 simulated panels).

    With 200 replications the binomial SD of the coverage is 1.5 points: the band
    [0.90, 0.99] holds a correct procedure and rejects SEs that are 20 % too small
    (coverage ~0.89).
    """
    hits, cell_hits, cells = 0, 0, 0
    for rep in range(200):
        df, g, tau = simulate(seed=rep)
        res = staggered_att(df, outcome="y", unit="unit", period="t", first_treated="g")
        agg = res.aggregate("simple")
        # the estimand: post-treatment cells weighted by group size
        gt = res.group_time[res.group_time.post]
        T = 5
        true_cells = np.array([tau[g == gv, per - 1].mean() for gv, per in zip(gt.group, gt.period)])
        sizes = np.array([(g == gv).sum() for gv in gt.group])
        truth = (true_cells * sizes).sum() / sizes.sum()
        hits += agg.ci_low <= truth <= agg.ci_high
        cell_hits += ((gt.ci_low <= true_cells) & (true_cells <= gt.ci_high)).sum()
        cells += len(gt)
        assert T == 5
    assert 0.90 <= hits / 200 <= 0.99
    assert 0.92 <= cell_hits / cells <= 0.975


# --------------------------------------------------------------------------- invariances
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), scale=st.floats(0.1, 50), shift=st.floats(-100, 100),
       control=st.sampled_from(["never", "notyet"]))
def test_invariances(seed, scale, shift, control):
    df, _, _ = simulate(n=40, T=4, waves=(2, 3), seed=seed)
    base = staggered_att(df, outcome="y", unit="unit", period="t", first_treated="g", control=control)
    rng = np.random.default_rng(seed)
    # unit and period fixed effects difference out of every ATT(g,t) and its SE
    fe = df.assign(y=df.y + shift + rng.normal(size=40)[df.unit] * 7 + np.array([0, 3, -2, 9, 1])[df.t])
    r_fe = staggered_att(fe, outcome="y", unit="unit", period="t", first_treated="g", control=control)
    np.testing.assert_allclose(r_fe.group_time.att, base.group_time.att, atol=1e-9)
    np.testing.assert_allclose(r_fe.group_time.se, base.group_time.se, atol=1e-9)
    # scale equivariance of estimates and SEs
    sc = staggered_att(df.assign(y=df.y * scale), outcome="y", unit="unit", period="t", first_treated="g",
                       control=control)
    np.testing.assert_allclose(sc.group_time.att, base.group_time.att * scale, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sc.aggregate("dynamic").se, base.aggregate("dynamic").se * scale, rtol=1e-9)
    # row order and unit labels do not matter
    sh = df.sample(frac=1.0, random_state=seed).assign(unit=lambda d: "u" + d.unit.astype(str))
    r_sh = staggered_att(sh, outcome="y", unit="unit", period="t", first_treated="g", control=control)
    pd.testing.assert_frame_equal(r_sh.group_time, base.group_time)


# --------------------------------------------------------------------------- input handling
def test_ordered_categorical_periods(mpdta):
    labels = [f"Y{y}" for y in range(2003, 2008)]
    cat = pd.CategoricalDtype(labels, ordered=True)
    d = mpdta.assign(per=("Y" + mpdta.year.astype(str)).astype(cat),
                     ft=mpdta["first.treat"].map(lambda v: f"Y{v}" if v else np.nan).astype(cat),
                     ft_idx=mpdta["first.treat"].map(lambda v: v - 2002 if v else 0))
    num = staggered_att(mpdta, **KW)
    c1 = staggered_att(d, outcome="lemp", unit="countyreal", period="per", first_treated="ft")
    c2 = staggered_att(d, outcome="lemp", unit="countyreal", period="per", first_treated="ft_idx")
    np.testing.assert_allclose(c1.group_time.att, num.group_time.att)
    np.testing.assert_allclose(c2.group_time.se, num.group_time.se)
    assert list(c1.group_time.period.iloc[:4]) == ["Y2004", "Y2005", "Y2006", "Y2007"]
    assert list(c1.aggregate("group").table.key) == ["Y2004", "Y2006", "Y2007"]
    assert c1.aggregate("dynamic").table.key.tolist() == [-3, -2, -1, 0, 1, 2, 3]


def test_missing_and_bad_columns(mpdta):
    with pytest.raises(DataError, match="first.treat"):
        staggered_att(mpdta, outcome="lemp", unit="countyreal", period="year", first_treated="first_treat")
    with pytest.raises(DataError, match="year"):
        staggered_att(mpdta.assign(year=mpdta.year.astype(str)), **KW)
    with pytest.raises(DataError, match="duplicate"):
        staggered_att(pd.concat([mpdta, mpdta.iloc[:1]]), **KW)
    bad = mpdta.copy()
    bad.loc[0, "first.treat"] = 2006
    with pytest.raises(DataError, match="constant within a unit"):
        staggered_att(bad, **KW)
    with pytest.raises(DataError, match="unordered"):
        staggered_att(mpdta.assign(year=mpdta.year.astype("category")), **KW)
    with pytest.raises(ValueError, match="control"):
        staggered_att(mpdta, **KW, control="later")


def test_unbalanced_panel_drops_units_with_note(mpdta):
    d = mpdta.drop(index=mpdta.index[(mpdta.countyreal.isin([8001, 8019])) & (mpdta.year == 2005)])
    res = staggered_att(d, **KW)
    assert res.n_units == 498
    assert any("dropped 2 of 500 units" in s for s in res.notes)
    full = staggered_att(mpdta[~mpdta.countyreal.isin([8001, 8019])], **KW)
    np.testing.assert_allclose(res.group_time.att, full.group_time.att)


def test_first_period_treated_and_late_units():
    df, g, _ = simulate(n=60, T=5, waves=(3,), seed=1)
    df.loc[df.unit == 0, "g"] = 1        # treated in the first period: no pre-period
    df.loc[df.unit == 1, "g"] = 9        # treated after the panel ends: never treated in-sample
    res = staggered_att(df, outcome="y", unit="unit", period="t", first_treated="g")
    assert any("already treated in the first period" in s for s in res.notes)
    assert any("after the last period" in s for s in res.notes)
    assert res.n_units == 59
    assert set(res.group_time.group) == {3}


def test_single_unit_group_and_no_never_treated():
    df, g, _ = simulate(n=50, T=5, waves=(3, 4), seed=2)
    lone = df.unit == df.unit[df.g == 3].iloc[0]
    d1 = df[(df.g != 3) | lone]
    res = staggered_att(d1, outcome="y", unit="unit", period="t", first_treated="g")
    assert any("single unit" in s for s in res.notes)
    assert res.group_time.loc[res.group_time.group == 3, "n_treated"].eq(1).all()
    # no never-treated: the last wave becomes the comparison group, later periods dropped (as R did)
    d2 = df[df.g > 0]
    r2 = staggered_att(d2, outcome="y", unit="unit", period="t", first_treated="g", control="never")
    assert any("no never-treated units" in s for s in r2.notes)
    assert set(r2.group_time.group) == {3} and r2.group_time.period.max() == 3
    r3 = staggered_att(d2, outcome="y", unit="unit", period="t", first_treated="g", control="notyet")
    assert set(r3.group_time.group) == {3} and r3.group_time.n_control.gt(0).all()


def test_small_never_treated_group_with_covariates_is_refused_as_r_did_does():
    """R did (pre_process_did.R, bcallaway11/did at 71ba8a5): groups with fewer units than
    the number of covariates + 5 are warned about, and att_gt stops ("The never-treated
    group is too small to serve as a reliable control") when that group is the
    never-treated comparison group. Issue 10: three never-treated units and two covariates
    gave ten ATT(g,t) without a warning."""
    df, g, _ = simulate(n=40, T=4, waves=(3,), seed=4, share_never=0.1)
    rng = np.random.default_rng(0)
    df["x1"] = rng.normal(size=len(df))
    df["x2"] = rng.normal(size=len(df))
    keep_never = df.unit.isin(df.unit[df.g == 0].unique()[:3])
    d = df[(df.g > 0) | keep_never]
    with pytest.raises(DataError, match="too small to serve as a reliable control"):
        staggered_att(d, outcome="y", unit="unit", period="t", first_treated="g", method="reg",
                      covariates=["x1", "x2"])
    # without covariates the difference of means stays available, with did's warning as a note
    res = staggered_att(d, outcome="y", unit="unit", period="t", first_treated="g")
    assert any("fewer than 5 units" in n and "never treated" in n for n in res.notes)
    assert res.group_time.att.notna().all()


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_no_comparison_group_is_nan_with_the_real_cause(control):
    """Issue 10: only always-treated units and one cohort, no never-treated group. The
    cohort is the only possible comparison group, so nothing is left to compare. R did
    2.5.1 stops here (pre_process_did.R: "No valid groups"); the input is valid, so
    evaltools reports the undefined effect as nan with the cause (the missing comparison
    group, not missing pre-periods) in the notes and a warning."""
    df, _, _ = simulate(n=30, T=5, waves=(3,), seed=6, share_never=0.0)
    always = df.unit.isin(df.unit.unique()[:10])
    d = df.assign(g=np.where(always, 1, 3))
    with pytest.warns(RuntimeWarning, match="no comparison group: there are no never-treated units"):
        res = staggered_att(d, outcome="y", unit="unit", period="t", first_treated="g", control=control)
    gt = res.group_time
    assert len(gt) == 4 and (gt.group == 3).all() and gt.att.isna().all() and gt.se.isna().all()
    assert gt.note.str.contains("no comparison group").all()
    why = [n for n in res.notes if n.startswith("no comparison group")]
    assert len(why) == 1 and "treated from the first period on" in why[0]
    assert not any("serves as the never-treated" in n for n in res.notes)
    for kind in ("simple", "dynamic", "group", "calendar"):
        agg = res.aggregate(kind)
        assert math.isnan(agg.value) and "no comparison group" in agg.note
    # genuinely bad input keeps raising: the same panel with a duplicated unit-period row
    with pytest.raises(DataError, match="duplicate row"):
        staggered_att(pd.concat([d, d.iloc[[5]]]), outcome="y", unit="unit", period="t", first_treated="g")


def test_constant_outcome():
    df, _, _ = simulate(n=30, T=4, waves=(3,), seed=5)
    res = staggered_att(df.assign(y=2.0), outcome="y", unit="unit", period="t", first_treated="g")
    assert (res.group_time.att == 0).all() and res.group_time.se.isna().all()
    assert any("constant" in s for s in res.notes)
    agg = res.aggregate("simple")
    assert agg.value == 0 and math.isnan(agg.se) and "undefined" in agg.note
    assert math.isnan(res.pretrend_test().W)


# --------------------------------------------------------------------------- event study
@needs_ref
def test_event_study_table(mpdta):
    ref = pd.read_csv(REF / "csdid_r_ref_aggte.csv")
    ref = ref[(ref.scenario == "mpdta_nev_dr") & (ref.type == "dynamic")]
    es = event_study(staggered_att(mpdta, **KW))
    assert list(es.columns) == ["event_time", "att", "se", "ci_low", "ci_high", "reference"]
    np.testing.assert_allclose(es.att, ref.att_egt, atol=1e-9)
    assert not es.reference.any()  # varying base: no normalized period
    es_u = event_study(mpdta, **KW)   # from data: universal base period
    assert es_u.loc[es_u.reference, "event_time"].tolist() == [-1]
    post = es_u[es_u.event_time >= 0].reset_index(drop=True)
    np.testing.assert_allclose(post.att, ref.att_egt[ref.egt >= 0], atol=1e-9)
    es_b = event_study(mpdta, **KW, n_boot=199, seed=1, min_e=-2, max_e=2)
    assert es_b.event_time.tolist() == [-3 + 1, -1, 0, 1, 2]
    assert {"cband_low", "cband_high"} <= set(es_b.columns)


# --------------------------------------------------------------------------- randomization inference
def _brute_force_p(df, assignments, stat, **kw):
    units = np.sort(df.unit.unique())
    vals = []
    for a in assignments:
        gmap = dict(zip(units, a))
        r = staggered_att(df.assign(g=df.unit.map(gmap)), outcome="y", unit="unit", period="t",
                          first_treated="g", **kw)
        vals.append(r.aggregate(stat).value)
    vals = np.array(vals)
    return np.mean(np.abs(vals) >= abs(vals[0]) - 1e-12), len(vals)


def test_randomization_exact_mixtape_example():
    """The 8-unit example of Cunningham, *Causal Inference: The Mixtape* (randomization
    inference): 4 treated of 8 gives C(8,4) = 70 assignments; with a zero pre-period the
    ATT is the difference in means 8.5 - 7.5 = 1."""
    y = np.array([10, 5, 16, 3, 5, 7, 8, 10.0])
    d = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    df = pd.DataFrame({"unit": np.repeat(np.arange(8), 2), "t": np.tile([1, 2], 8),
                       "g": np.repeat(np.where(d == 1, 2, 0), 2),
                       "y": np.column_stack([np.zeros(8), y]).ravel()})
    res = staggered_att(df, outcome="y", unit="unit", period="t", first_treated="g")
    ri = res.randomization_test(n_perm=1000)
    assert ri.value == pytest.approx(1.0)
    assert ri.exact and ri.n_assignments == 70
    # independent enumeration of the difference in means over all 70 splits
    diffs = []
    for s in itertools.combinations(range(8), 4):
        m = np.zeros(8, bool)
        m[list(s)] = True
        diffs.append(y[m].mean() - y[~m].mean())
    assert ri.pval == pytest.approx(np.mean(np.abs(diffs) >= 1 - 1e-12))
    assert ri.pval == pytest.approx(60 / 70)


@pytest.mark.parametrize("covariates", [None, ["x"]])
def test_randomization_exact_matches_refitting(covariates):
    df, g, _ = simulate(n=7, T=4, waves=(3,), seed=11, share_never=0.5)
    while len(np.unique(g)) < 2:  # pragma: no cover - depends on the seed
        df, g, _ = simulate(n=7, T=4, waves=(3,), seed=12, share_never=0.5)
    df["x"] = np.random.default_rng(1).normal(size=7)[df.unit]
    # with a covariate, 3-4 never-treated units are below R did's covariates + 5 rule for the
    # never-treated comparison group; the not-yet-treated comparison is allowed
    kw = dict(covariates=covariates, method="reg", control="notyet") if covariates else {}
    res = staggered_att(df, outcome="y", unit="unit", period="t", first_treated="g", **kw)
    ri = res.randomization_test(n_perm=10_000, aggregate="dynamic")
    counts = np.bincount(np.unique(g, return_inverse=True)[1])
    from evaltools.pilot._staggered import _enumerate_assignments
    perms = _enumerate_assignments(counts, 7)
    gv = np.unique(g)
    # the first enumerated assignment is not the observed one: put the observed first
    assigns = [g] + [gv[p] for p in perms if not np.array_equal(gv[p], g)]
    p, n = _brute_force_p(df, assigns, "dynamic", **kw)
    assert ri.n_assignments == n == math.comb(7, int(counts[1]))
    assert ri.pval == pytest.approx(p)


def test_randomization_sampled(mpdta):
    res = staggered_att(mpdta, **KW)
    ri = res.randomization_test(n_perm=199, seed=7)
    ri2 = res.randomization_test(n_perm=199, seed=7)
    assert not ri.exact and ri.n_assignments == 199
    assert ri.pval == ri2.pval
    assert 1 / 200 <= ri.pval <= 1
    assert ri.value == pytest.approx(res.aggregate("simple").value)


def test_result_objects(mpdta):
    res = staggered_att(mpdta, **KW)
    assert isinstance(res, StaggeredResult)
    assert "StaggeredResult" in repr(res)
    assert res.to_frame().shape[0] == 12
    s = str(res.aggregate("group"))
    assert "att_group" in s and "key" in s
    with pytest.raises(ValueError, match="type"):
        res.aggregate("cohort")


def test_never_treated_coded_nan_or_zero(mpdta):
    nan_coded = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, np.nan)})
    a = staggered_att(mpdta, **KW)
    b = staggered_att(nan_coded, **KW)
    pd.testing.assert_frame_equal(a.group_time, b.group_time)


def test_large_design_uses_sampled_permutations():
    df, _, _ = simulate(n=300, T=4, waves=(3,), seed=3)
    res = staggered_att(df, outcome="y", unit="unit", period="t", first_treated="g")
    ri = res.randomization_test(n_perm=99, seed=0, aggregate="group")
    assert not ri.exact and ri.n_assignments == 99


def test_collinear_covariates_give_nan_with_reason():
    df, _, _ = simulate(n=40, T=4, waves=(3,), seed=6)
    df["x"] = 1.0   # collinear with the intercept
    res = staggered_att(df, outcome="y", unit="unit", period="t", first_treated="g", covariates=["x"])
    assert res.group_time.att.isna().all()
    assert res.group_time.note.str.contains("not identified|regression").all()


def test_constant_outcome_with_bootstrap():
    df, _, _ = simulate(n=30, T=4, waves=(3,), seed=5)
    res = staggered_att(df.assign(y=2.0), outcome="y", unit="unit", period="t", first_treated="g",
                        n_boot=99, seed=0)
    assert res.group_time.se.isna().all() and (res.group_time.att == 0).all()
    assert math.isnan(res.aggregate("dynamic").se)


def test_randomization_permuting_waves_only():
    """Permuting wave timing among the 6 pilot units of 2 waves (3 + 3): C(6,3) = 20
    assignments, checked against refitting each permuted panel."""
    rng = np.random.default_rng(8)
    g = np.array([0] * 6 + [3] * 3 + [4] * 3)
    T = 5
    t = np.arange(1, T + 1)
    y = rng.normal(size=(12, T)) + np.where((g[:, None] > 0) & (t >= g[:, None]), 0.8, 0.0)
    df = pd.DataFrame({"unit": np.repeat(np.arange(12), T), "t": np.tile(t, 12), "g": np.repeat(g, T),
                       "y": y.ravel()})
    res = staggered_att(df, outcome="y", unit="unit", period="t", first_treated="g")
    ri = res.randomization_test(n_perm=1000, aggregate="calendar", permute="waves")
    assert ri.exact and ri.n_assignments == 20
    assigns = [g]
    for s in itertools.combinations(range(6, 12), 3):
        a = g.copy()
        a[6:] = 4
        a[list(s)] = 3
        if not np.array_equal(a, g):
            assigns.append(a)
    p, n = _brute_force_p(df, assigns, "calendar")
    assert n == 20 and ri.pval == pytest.approx(p)


@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_all_cells_undefined_aggregates_are_nan(kind):
    df, _, _ = simulate(n=40, T=4, waves=(3,), seed=6)
    res = staggered_att(df.assign(x=1.0), outcome="y", unit="unit", period="t", first_treated="g",
                        covariates=["x"])
    agg = res.aggregate(kind)
    assert math.isnan(agg.value) and "no ATT(g,t)" in agg.note
    assert math.isnan(res.pretrend_test().W)
    assert math.isnan(res.randomization_test(n_perm=9, seed=0).pval)

"""Rater calibration: G theory against Brennan (2001), the crossed severity model against
statsmodels, the kuadran matrix cell by cell, the distribution pattern, and recovery of
known rater effects on simulated studies."""
from __future__ import annotations

import importlib.util
import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
from hypothesis import example, given, settings, strategies as st

from evaltools._errors import DataError
from evaltools.calibration import (
    DISTRIBUTION_PATTERN,
    EKSPEKTASI_LEVELS,
    PREDIKAT_LEVELS,
    _CrossedFit,
    _exact_multinomial_p,
    adjusted_predikat,
    adjusted_scores,
    anchor_agreement,
    calibration_worklist,
    check_predikat,
    distribution_check,
    dstudy,
    gstudy,
    predikat,
    rater_drift,
    rater_effects,
    raters_needed,
    role_effects,
)

# ---------------------------------------------------------------------------
# published G-theory data (typed from the sources cited)
# ---------------------------------------------------------------------------

# Brennan (2001), Generalizability Theory, Synthetic Data Set No. 1: p x i design,
# 10 persons x 12 dichotomous items (ch. 2). Published: s2(p) = .0574, s2(i) = .0754,
# s2(pi,e) = .1269; for n'_i = 12, E rho^2 = .844 and Phi = .773.
SYN1 = [
    [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0],
    [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    [1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
    [1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0],
    [1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0],
    [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
    [1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0],
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
]

# Brennan (2001), Synthetic Data Set No. 3: p x i x o design, 10 persons, 4 items,
# 2 occasions (ch. 3-4). Published components: p .5528, i .4417, o .0074, pi .5750,
# po .1009, io .1565, pio,e .9352; for n'_i = 4, n'_o = 2: E rho^2 = .64, Phi = .55.
SYN3 = {
    ("o1", "i1"): [2, 4, 5, 5, 4, 4, 2, 3, 0, 6], ("o1", "i2"): [6, 5, 5, 9, 3, 4, 6, 4, 5, 8],
    ("o1", "i3"): [7, 6, 4, 8, 5, 4, 6, 4, 4, 7], ("o1", "i4"): [5, 7, 6, 6, 6, 7, 5, 5, 5, 6],
    ("o2", "i1"): [2, 6, 5, 5, 4, 6, 2, 6, 5, 6], ("o2", "i2"): [5, 7, 4, 7, 5, 4, 7, 6, 5, 8],
    ("o2", "i3"): [5, 5, 5, 7, 6, 7, 7, 6, 5, 8], ("o2", "i4"): [5, 7, 5, 6, 4, 8, 5, 4, 3, 6],
}

# Brennan (2001), Synthetic Data Set No. 4, Table 3.2 p. 73: p x (r:t) design, 10 persons,
# 3 tasks, 4 raters nested in each task (the same data the R package gt4ireval ships as
# `synthetic4`). Published components: p .4731, t .3252, r:t .6475, pt .5596,
# pr:t,e 2.3802; for n'_t = 3, n'_r = 4: E rho^2 = .55, Phi = .46.
SYN4 = {
    ("t1", "r1"): [5, 9, 3, 7, 9, 3, 7, 5, 9, 4], ("t1", "r2"): [6, 3, 4, 5, 2, 4, 3, 8, 9, 4],
    ("t1", "r3"): [5, 7, 3, 5, 9, 3, 7, 5, 8, 4], ("t1", "r4"): [5, 7, 3, 3, 7, 5, 7, 7, 8, 3],
    ("t2", "r5"): [5, 7, 5, 3, 7, 3, 7, 7, 6, 3], ("t2", "r6"): [3, 5, 3, 1, 7, 3, 5, 5, 6, 5],
    ("t2", "r7"): [4, 5, 3, 4, 3, 6, 5, 5, 6, 6], ("t2", "r8"): [5, 5, 5, 3, 7, 3, 7, 4, 5, 5],
    ("t3", "r9"): [6, 7, 6, 5, 2, 4, 5, 3, 5, 5], ("t3", "r10"): [7, 7, 5, 3, 7, 5, 5, 2, 8, 7],
    ("t3", "r11"): [3, 5, 1, 3, 5, 1, 5, 1, 1, 1], ("t3", "r12"): [3, 2, 6, 5, 3, 2, 4, 1, 1, 1],
}

# Brennan (2001), ch. 7 (unbalanced random-effects designs): synthetic unbalanced p x (i:h)
# data, 8 persons, 3 item sets with 2, 4 and 2 items; analogous-ANOVA (Henderson Method 1)
# estimates p 1.2014, h 2.9161, i:h .2946, ph .9913, pi:h .8429. (Values as reproduced in
# the test suite of the GeneralizIT package, Smith & Kline 2025.)
UNB = {
    ("h1", "i1"): [4, 2, 2, 1, 3, 1, 3, 0], ("h1", "i2"): [5, 1, 4, 3, 3, 2, 5, 1],
    ("h2", "i3"): [3, 2, 4, 5, 6, 5, 6, 1], ("h2", "i4"): [3, 3, 7, 4, 7, 6, 8, 2],
    ("h2", "i5"): [5, 1, 6, 5, 5, 4, 6, 0], ("h2", "i6"): [4, 4, 5, 5, 7, 4, 7, 4],
    ("h3", "i7"): [5, 4, 8, 4, 8, 5, 7, 7], ("h3", "i8"): [7, 6, 7, 5, 9, 6, 8, 8],
}


def _long(table: dict, names: tuple[str, str]) -> pd.DataFrame:
    rows = [(f"P{p:02d}", k[0], k[1], float(v)) for k, col in table.items() for p, v in enumerate(col)]
    return pd.DataFrame(rows, columns=["person", names[0], names[1], "x"])


def syn1() -> pd.DataFrame:
    return pd.DataFrame([(f"P{p:02d}", f"I{i:02d}", float(SYN1[p][i])) for p in range(10) for i in range(12)],
                        columns=["person", "item", "x"])


# ---------------------------------------------------------------------------
# G study / D study against Brennan (2001)
# ---------------------------------------------------------------------------

def test_gstudy_brennan_synthetic1_p_x_i():
    g = gstudy(syn1(), subject="person", rater="item", score="x")
    assert list(g.index) == ["person", "item", "residual"]
    np.testing.assert_allclose(g["variance"], [0.0574, 0.0754, 0.1269], atol=6e-5)
    assert g.attrs["balanced"] and "ANOVA" in g.attrs["method"]
    d = dstudy(g, n_raters=[12])
    assert d.loc[0, "g_coef"] == pytest.approx(0.844, abs=6e-4)
    assert d.loc[0, "phi"] == pytest.approx(0.773, abs=6e-4)
    assert g["share"].sum() == pytest.approx(1.0)


def test_gstudy_brennan_synthetic3_p_x_i_x_o_anova_and_reml():
    df = _long(SYN3, ("occasion", "item"))
    expected = {"person": 0.5528, "item": 0.4417, "occasion": 0.0074, "person:item": 0.5750,
                "person:occasion": 0.1009, "item:occasion": 0.1565, "residual": 0.9352}
    g = gstudy(df, subject="person", rater="item", item="occasion", score="x")
    assert set(g.index) == set(expected)
    for k, v in expected.items():
        assert g.loc[k, "variance"] == pytest.approx(v, abs=6e-5), k
    d = dstudy(g, n_raters=[4], n_items=[2])
    assert round(d.loc[0, "g_coef"], 2) == 0.64
    assert round(d.loc[0, "phi"], 2) == 0.55
    # REML equals ANOVA on balanced data with no negative estimate
    gr = gstudy(df, subject="person", rater="item", item="occasion", score="x", method="reml")
    for k, v in expected.items():
        assert gr.loc[k, "variance"] == pytest.approx(v, abs=2e-3), k
    assert "REML" in gr.attrs["method"]


def test_gstudy_brennan_synthetic4_nested_p_x_r_in_t():
    df = _long(SYN4, ("task", "rater"))
    g = gstudy(df, subject="person", rater="rater", item="task", score="x")
    expected = {"person": 0.4731, "task": 0.3252, "rater:task": 0.6475, "person:task": 0.5596, "residual": 2.3802}
    assert set(g.index) == set(expected)
    for k, v in expected.items():
        assert g.loc[k, "variance"] == pytest.approx(v, abs=6e-5), k
    assert "nested" in g.loc["rater:task", "note"]
    d = dstudy(g, n_raters=[4], n_items=[3])
    assert round(d.loc[0, "g_coef"], 2) == 0.55
    assert round(d.loc[0, "phi"], 2) == 0.46
    # with three tasks, E rho^2 tends to .4731 / (.4731 + .5596/3) = .717 < .80: unreachable
    assert raters_needed(g, 0.8, n_items=3) == -1
    assert raters_needed(g, 0.7, n_items=3) == int(np.ceil((2.3802 / 3) / (0.4731 * 0.3 / 0.7 - 0.5596 / 3)))


def test_gstudy_brennan_unbalanced_p_x_i_in_h_henderson():
    df = _long(UNB, ("set", "item"))
    g = gstudy(df, subject="person", rater="item", item="set", score="x")
    assert not g.attrs["balanced"] and "Henderson" in g.attrs["method"]
    expected = {"person": 1.2014, "set": 2.9161, "item:set": 0.2946, "person:set": 0.9913, "residual": 0.8429}
    for k, v in expected.items():
        # ph is printed .9913 where the exact solution is .991429 (last-digit truncation)
        assert g.loc[k, "variance"] == pytest.approx(v, abs=1.5e-4), k


def test_gstudy_raters_nested_in_subjects():
    """r:p design: each subject has their own raters; rater merges into subject:rater."""
    rng = np.random.default_rng(3)
    n_p, n_r = 300, 4
    p = np.repeat(np.arange(n_p), n_r)
    r = np.arange(n_p * n_r)
    y = rng.normal(0, 1.0, n_p)[p] + rng.normal(0, 0.7, p.size)
    df = pd.DataFrame({"s": p, "r": r, "y": y})
    g = gstudy(df, subject="s", rater="r", score="y")
    assert list(g.index) == ["s", "residual"]   # r:p confounded with error (one rating per rater)
    assert g.loc["s", "variance"] == pytest.approx(1.0, abs=0.25)
    assert g.loc["residual", "variance"] == pytest.approx(0.49, abs=0.1)


def test_gstudy_matches_mixedlm_reml_on_unbalanced_crossed_data():
    """Henderson Method 1 and REML (statsmodels MixedLM) agree within sampling noise."""
    df, _ = simulate_local(n_s=40, n_r=8, n_i=1, k=3, seed=11, kinds=False, sd_e=0.8)
    df = df.sample(frac=0.8, random_state=1)            # unbalanced: 20 % of ratings missing
    g1 = gstudy(df, subject="subject", rater="rater", score="score")
    g2 = gstudy(df, subject="subject", rater="rater", score="score", method="reml")
    assert not g1.attrs["balanced"]
    for k in ["subject", "rater", "residual"]:
        assert g1.loc[k, "variance"] == pytest.approx(g2.loc[k, "variance"], rel=0.25, abs=0.03), k


def test_gstudy_bad_input():
    df = syn1()
    with pytest.raises(DataError, match="persn|person"):
        gstudy(df, subject="persn", rater="item", score="x")
    with pytest.raises(ValueError, match="method"):
        gstudy(df, subject="person", rater="item", score="x", method="mle")
    bad = df.assign(x=df["x"].astype(object))
    bad.loc[3, "x"] = "high"
    with pytest.raises(DataError, match="'x'"):
        gstudy(bad, subject="person", rater="item", score="x")


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.integers(4, 8), st.integers(2, 4), st.integers(2, 4))
def test_gstudy_balanced_equals_ems_from_statsmodels_anova(seed, n_p, n_r, n_i):
    """Balanced p x r x i: Henderson Method 1 reduces to the expected-mean-square
    solution (Brennan 2001, Table 3.3 formulas) computed from statsmodels' anova_lm."""
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm
    rng = np.random.default_rng(seed)
    p, r, i = (a.ravel() for a in np.meshgrid(np.arange(n_p), np.arange(n_r), np.arange(n_i), indexing="ij"))
    y = rng.normal(0, 1, n_p)[p] + rng.normal(0, 0.5, n_r)[r] + rng.normal(0, 0.7, p.size)
    df = pd.DataFrame({"p": p, "r": r, "i": i, "y": y})
    tab = anova_lm(smf.ols("y ~ C(p) + C(r) + C(i) + C(p):C(r) + C(p):C(i) + C(r):C(i)", df).fit())
    ms = tab["mean_sq"]
    m = {k: ms[f"C({k})"] for k in "pri"}
    m.update({"pr": ms["C(p):C(r)"], "pi": ms["C(p):C(i)"], "ri": ms["C(r):C(i)"], "e": ms["Residual"]})
    ems = {"residual": m["e"], "p:r": (m["pr"] - m["e"]) / n_i, "p:i": (m["pi"] - m["e"]) / n_r,
           "r:i": (m["ri"] - m["e"]) / n_p, "p": (m["p"] - m["pr"] - m["pi"] + m["e"]) / (n_r * n_i),
           "r": (m["r"] - m["pr"] - m["ri"] + m["e"]) / (n_p * n_i),
           "i": (m["i"] - m["pi"] - m["ri"] + m["e"]) / (n_p * n_r)}
    g = gstudy(df, subject="p", rater="r", item="i", score="y")
    assert g.attrs["balanced"]
    for k, v in ems.items():
        assert g.loc[k, "variance_raw"] == pytest.approx(v, abs=1e-9), k


@settings(max_examples=25, deadline=None)
@given(st.floats(0.01, 3), st.floats(0.01, 3), st.floats(0.01, 3),
       st.lists(st.integers(1, 20), min_size=1, max_size=4))
# found by a clean-checkout run: 64 raters give exactly 0.8, the closed form said 65
@example(0.0625, 1.0, 1.0, [1])
def test_dstudy_properties(sp_, si_, se_, ns):
    g = pd.DataFrame({"variance": [sp_, si_, se_]}, index=["p", "r", "residual"])
    g.attrs.update(subject="p", rater="r", item=None, components={"p": ["p"], "r": ["r"]},
                   residual_facets=["p", "r"], n_items=1.0)
    d = dstudy(g, n_raters=sorted(set(ns)))
    assert (d["phi"] <= d["g_coef"] + 1e-12).all()                 # absolute error >= relative
    assert np.all(np.diff(d["g_coef"].to_numpy()) >= -1e-12)       # more raters, more reliable
    need = raters_needed(g, 0.8)
    got = dstudy(g, n_raters=[need])["g_coef"].iloc[0]
    assert got >= 0.8 - 1e-9
    if need > 1:
        assert dstudy(g, n_raters=[need - 1])["g_coef"].iloc[0] < 0.8 - 1e-12


# ---------------------------------------------------------------------------
# a small local simulator with known rater kinds
# ---------------------------------------------------------------------------

def simulate_local(n_s=400, n_r=40, n_i=6, k=4, seed=0, kinds=True, sd_s=0.7, sd_i=0.3, sd_e=0.5,
                   frac=0.1, shift=0.9):
    """Ratings y = 3 + subject + item - severity + e; lenient/severe raters shift by
    `shift`, central raters compress to 35 % of the spread, halo raters give every item
    the same impression of the subject. Each subject has k distinct raters."""
    rng = np.random.default_rng(seed)
    a = rng.normal(0, sd_s, n_s)
    c = rng.normal(0, sd_i, n_i)
    kind = np.array(["ok"] * n_r, dtype=object)
    sev = rng.normal(0, 0.1, n_r)
    if kinds:
        m = max(1, int(frac * n_r))
        perm = rng.permutation(n_r)
        for j, kd in enumerate(["lenient", "severe", "central", "halo"]):
            kind[perm[j * m:(j + 1) * m]] = kd
        sev[kind == "lenient"] = -shift
        sev[kind == "severe"] = shift
    rr = np.argsort(rng.random((n_s, n_r)), axis=1)[:, :k]
    s = np.repeat(np.arange(n_s), k * n_i)
    r = np.repeat(rr.ravel(), n_i)
    i = np.tile(np.arange(n_i), n_s * k)
    e = rng.normal(0, sd_e, s.size)
    y = 3 + a[s] + c[i] - sev[r] + e
    cen = kind[r] == "central"
    y[cen] = 3 + 0.35 * (y[cen] - 3)
    hal = kind[r] == "halo"
    # one impression per (rater, subject): the same noise on every item
    imp = rng.normal(0, sd_e, (n_r, n_s))
    y[hal] = 3 + a[s[hal]] - sev[r[hal]] + imp[r[hal], s[hal]] + 0.05 * rng.normal(size=hal.sum())
    df = pd.DataFrame({"subject": [f"S{x:04d}" for x in s], "rater": [f"R{x:03d}" for x in r],
                       "item": [f"I{x}" for x in i], "score": y, "true_level": 3 + a[s]})
    truth = pd.DataFrame({"severity": sev, "kind": kind}, index=[f"R{x:03d}" for x in range(n_r)])
    return df, truth


# ---------------------------------------------------------------------------
# rater_effects: exact against statsmodels, recovery on the local simulator
# ---------------------------------------------------------------------------

def test_rater_effects_equals_ols_with_sum_contrasts():
    """The sparse solver is exact: statsmodels OLS with dummy subjects and sum-to-zero
    rater/item contrasts gives the same centred rater effects (``severity_fixed``, and
    ``severity`` with ``estimator="fixed"``) and standard errors."""
    import statsmodels.formula.api as smf
    df, _ = simulate_local(n_s=50, n_r=8, n_i=3, k=3, seed=5)
    # centre="mean": sum-to-zero contrasts (the default reference leaves flagged raters out)
    fx = rater_effects(df, subject="subject", rater="rater", score="score", item="item", centre="mean")
    fxf = rater_effects(df, subject="subject", rater="rater", score="score", item="item", estimator="fixed",
                        centre="mean")
    ols = smf.ols("score ~ C(subject) + C(rater, Sum) + C(item, Sum)", df).fit()
    raters = sorted(df["rater"].unique())
    for j, rid in enumerate(raters[:-1]):
        name = f"C(rater, Sum)[S.{rid}]"
        assert fx.loc[rid, "severity_fixed"] == pytest.approx(-ols.params[name], abs=1e-9)
        assert fxf.loc[rid, "severity"] == pytest.approx(-ols.params[name], abs=1e-9)
        assert fx.loc[rid, "se_model"] == pytest.approx(ols.bse[name], rel=1e-7)
    # the reported SE adds Kish's design effect for ratings clustered in rater x subject cells
    assert (fx["se_fixed"] >= fx["se_model"] - 1e-12).all()
    assert (fxf["se"] == fx["se_fixed"]).all()
    assert fx["severity_fixed"].sum() == pytest.approx(0.0, abs=1e-9)
    # the BLUP shrinks: never further from 0 than the fixed estimate
    assert (fx["severity"].abs() <= fx["severity_fixed"].abs() + 1e-9).all()
    assert (fx["se"] > 0).all()
    assert fx.attrs["residual_sd"] == pytest.approx(np.sqrt(ols.scale), rel=1e-9)


def test_crossed_blup_equals_mixedlm_random_effects():
    """With MixedLM's REML variance ratios plugged in, the same solver reproduces
    statsmodels' BLUPs of crossed subject and rater effects (Henderson's MME)."""
    import statsmodels.formula.api as smf
    df, _ = simulate_local(n_s=40, n_r=8, n_i=2, k=3, seed=8, kinds=False)
    df["g"] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = smf.mixedlm("score ~ 0 + C(item)", df, groups="g", re_formula="0",
                        vc_formula={"r": "0 + C(rater)", "s": "0 + C(subject)"})
        res = m.fit(reml=True)
    vc = dict(zip(m.exog_vc.names, res.vcomp))
    re_ = res.random_effects[1]
    blup_r = re_[[k for k in re_.index if k.startswith("r[")]].to_numpy()
    s_codes, _ = pd.factorize(df["subject"], sort=True)
    r_codes, r_lab = pd.factorize(df["rater"], sort=True)
    i_codes, _ = pd.factorize(df["item"], sort=True)
    fit = _CrossedFit(df["score"].to_numpy(), s_codes, r_codes, i_codes, s_codes.max() + 1, len(r_lab),
                      i_codes.max() + 1, lam_s=res.scale / vc["s"], lam_r=res.scale / vc["r"], want_cov=False)
    np.testing.assert_allclose(fit.rater, blup_r, atol=2e-4)
    # fixed-effect severities and MixedLM BLUPs rank raters alike
    fx = rater_effects(df, subject="subject", rater="rater", score="score", item="item")
    assert np.corrcoef(fx["severity_fixed"], -blup_r)[0, 1] > 0.95


def test_rater_blup_equals_mixedlm_with_impressions():
    """The default severity is the BLUP of the crossed model with subject, rater and
    subject:rater random effects and fixed items (Henderson 1975): with statsmodels
    MixedLM's REML variance components passed in, rater_effects reproduces MixedLM's
    predicted rater effects (every rater-subject cell has every item, so removing the
    item effects first is exact) and its prediction SEs are the conditional SDs."""
    import statsmodels.formula.api as smf
    df, _ = simulate_local(n_s=40, n_r=8, n_i=3, k=3, seed=21, kinds=False)
    rng = np.random.default_rng(3)
    imp = {c: v for c, v in zip(df[["rater", "subject"]].drop_duplicates().itertuples(index=False),
                                rng.normal(0, 0.3, 10 ** 4))}
    df["score"] += [imp[(a, b)] for a, b in zip(df["rater"], df["subject"])]
    df["sr"] = df["subject"] + ":" + df["rater"]
    df["g"] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = smf.mixedlm("score ~ 0 + C(item)", df, groups="g", re_formula="0",
                        vc_formula={"r": "0 + C(rater)", "s": "0 + C(subject)", "sr": "0 + C(sr)"})
        res = m.fit(reml=True)
    vc = dict(zip(m.exog_vc.names, res.vcomp))
    re_ = res.random_effects[1]
    blup_r = re_[[k for k in re_.index if k.startswith("r[")]].to_numpy()
    fx = rater_effects(df, subject="subject", rater="rater", score="score", item="item",
                       variance_components={"subject": vc["s"], "rater": vc["r"], "subject:rater": vc["sr"],
                                            "residual": res.scale})
    # severities are contrasts with the mean rater: the centred BLUPs
    np.testing.assert_allclose(fx["severity"].to_numpy(), -(blup_r - blup_r.mean()), atol=2e-4)
    assert fx.attrs["variance_components"]["rater"] == pytest.approx(vc["r"])
    # the default estimates the components by Henderson Method 1: same ranking
    fx2 = rater_effects(df, subject="subject", rater="rater", score="score", item="item")
    assert np.corrcoef(fx2["severity"], -blup_r)[0, 1] > 0.98


def test_rater_effects_recovers_local_simulation():
    df, truth = simulate_local(n_s=600, n_r=40, n_i=6, k=4, seed=2)
    fx = rater_effects(df, subject="subject", rater="rater", score="score", item="item")
    t = truth.loc[fx.index]
    norm = t["kind"].isin(["ok", "lenient", "severe"])
    assert np.corrcoef(fx.loc[norm, "severity"], t.loc[norm, "severity"])[0, 1] >= 0.95
    flagged = fx["flag"] != "ok"
    bad = t["kind"] != "ok"
    tp = (flagged & bad).sum()
    precision, recall = tp / max(flagged.sum(), 1), tp / max(bad.sum(), 1)
    msg = f"precision {precision:.2f}, recall {recall:.2f}\n{pd.concat([fx[['severity', 'sd_ratio', 'halo', 'flag']], t], axis=1)}"
    assert precision >= 0.8 and recall >= 0.8, msg
    agree = (fx.loc[bad, "flag"] == t.loc[bad, "kind"]).mean()
    assert agree >= 0.8, msg
    assert set(fx.columns) >= {"severity", "se", "ci_low", "ci_high", "n_ratings", "n_subjects", "sd_ratio",
                               "halo", "flag", "flag_rule"}
    assert fx.index.name == "rater"
    assert (fx["ci_low"] < fx["severity"]).all() and (fx["severity"] < fx["ci_high"]).all()
    sev_row = fx[fx["flag"] == "severe"].iloc[0]
    assert sev_row["flag_rule"].startswith("severe: severity")


def test_rater_effects_thresholds_and_min_ratings_configurable():
    df, _ = simulate_local(n_s=300, n_r=30, n_i=4, k=3, seed=4)
    loose = rater_effects(df, subject="subject", rater="rater", score="score", item="item", severity_threshold=0.1)
    strict = rater_effects(df, subject="subject", rater="rater", score="score", item="item", severity_threshold=5)
    assert (strict["flag"].isin(["severe", "lenient"])).sum() == 0
    assert (loose["flag"].isin(["severe", "lenient"])).sum() >= 6
    none = rater_effects(df, subject="subject", rater="rater", score="score", item="item", min_ratings=10**6)
    assert (none["flag"] == "ok").all() and none["note"].str.contains("not flagged").all()


def test_rater_effects_disconnected_components_and_errors():
    df, _ = simulate_local(n_s=40, n_r=6, n_i=2, k=2, seed=9, kinds=False)
    df2 = df.assign(subject="B" + df["subject"], rater="B" + df["rater"])   # a second, unlinked panel
    fx = rater_effects(pd.concat([df, df2]), subject="subject", rater="rater", score="score", item="item")
    assert fx["component"].nunique() == 2
    assert fx.groupby("component")["severity"].sum().abs().max() < 1e-9
    assert fx["note"].str.contains("component").all()
    lone = pd.DataFrame({"subject": ["Z1", "Z1", "Z2"], "rater": "Rlone", "item": ["I0", "I1", "I0"], "score": 3.0})
    fx2 = rater_effects(pd.concat([df, lone]), subject="subject", rater="rater", score="score", item="item")
    assert np.isnan(fx2.loc["Rlone", "severity"]) and "undefined" in fx2.loc["Rlone", "note"]
    with pytest.raises(DataError, match="ratr|rater"):
        rater_effects(df, subject="subject", rater="ratr", score="score")
    gap = df.copy()
    gap.loc[5, "rater"] = None
    with pytest.raises(DataError, match="rater"):
        rater_effects(gap, subject="subject", rater="rater", score="score")


@settings(max_examples=15, deadline=None)
@given(st.floats(-3, 3), st.integers(0, 10_000))
def test_rater_effects_shift_invariance(c, seed):
    """Adding a constant to every score leaves severities (BLUP) unchanged; adding it to one
    rater's scores makes that rater exactly c more lenient relative to the rest (fixed
    effects; the BLUP moves less, by its shrinkage)."""
    df, _ = simulate_local(n_s=30, n_r=6, n_i=2, k=3, seed=seed, kinds=False)
    base = rater_effects(df, subject="subject", rater="rater", score="score", item="item")["severity"]
    moved = rater_effects(df.assign(score=df["score"] + c), subject="subject", rater="rater", score="score",
                          item="item")["severity"]
    np.testing.assert_allclose(base, moved, atol=1e-8)
    one = df["rater"] == "R000"
    bumped = rater_effects(df.assign(score=df["score"] + c * one), subject="subject", rater="rater",
                           score="score", item="item")["severity_fixed"]
    base_fx = rater_effects(df, subject="subject", rater="rater", score="score", item="item",
                            estimator="fixed")["severity"]
    diff = (bumped - base_fx)
    assert diff["R000"] - diff.drop("R000").mean() == pytest.approx(-c, abs=1e-8)


def test_role_effects_and_drift():
    df, _ = simulate_local(n_s=200, n_r=20, n_i=3, k=3, seed=6, kinds=False)
    roles = np.where(df["rater"].str[-1].astype(int) % 2 == 0, "atasan", "rekan_kerja")
    df["role"] = roles
    df.loc[df["role"] == "atasan", "score"] -= 0.5      # atasan harsher by 0.5
    re_ = role_effects(df, subject="subject", role="role", score="score", item="item", rater="rater")
    assert re_.loc["rekan_kerja", "vs_reference"] == pytest.approx(-0.5, abs=0.1)
    assert re_.loc["atasan", "vs_reference"] == 0.0
    assert re_["n_raters"].sum() == 20
    # drift: rater R000 becomes 1 point harsher in the second period
    d2 = df.copy()
    d2["period"] = "2025-S1"
    df["period"] = "2024-S2"
    d2.loc[d2["rater"] == "R000", "score"] -= 1.0
    dr = rater_drift(pd.concat([df, d2]), subject="subject", rater="rater", score="score", period="period",
                     item="item")
    assert dr.loc[("R000", "2025-S1"), "change"] == pytest.approx(1.0 + 1.0 / 19, abs=0.2)
    assert bool(dr.loc[("R000", "2025-S1"), "drift"])
    assert dr["drift"].groupby(level=0).any().sum() == 1


# ---------------------------------------------------------------------------
# predikat: the kuadran matrix of PermenPANRB 6/2022, cell by cell (ASN_RULES.md)
# ---------------------------------------------------------------------------

BAWAH, SESUAI, ATAS = EKSPEKTASI_LEVELS
KUADRAN = {
    (ATAS, BAWAH): "Kurang/Misconduct", (ATAS, SESUAI): "Baik", (ATAS, ATAS): "Sangat Baik",
    (SESUAI, BAWAH): "Kurang/Misconduct", (SESUAI, SESUAI): "Baik", (SESUAI, ATAS): "Baik",
    (BAWAH, BAWAH): "Sangat Kurang", (BAWAH, SESUAI): "Butuh Perbaikan", (BAWAH, ATAS): "Butuh Perbaikan",
}


@pytest.mark.parametrize("hasil,perilaku", list(KUADRAN))
def test_predikat_cell(hasil, perilaku):
    out = predikat(pd.Series([hasil]), pd.Series([perilaku]))
    assert out.iloc[0] == KUADRAN[(hasil, perilaku)]
    code = {BAWAH: 1, SESUAI: 2, ATAS: 3}
    assert predikat(pd.Series([code[hasil]]), pd.Series([code[perilaku]])).iloc[0] == KUADRAN[(hasil, perilaku)]


def test_predikat_vectorized_ordered_and_missing():
    h = pd.Series([ATAS, SESUAI, None, "di bawah", 3.0], index=list("abcde"))
    p = pd.Series([ATAS, BAWAH, SESUAI, "Sesuai Ekspektasi", np.nan], index=list("abcde"))
    out = predikat(h, p)
    assert list(out.index) == list("abcde")
    assert out.cat.ordered and list(out.cat.categories) == PREDIKAT_LEVELS
    assert out["a"] == "Sangat Baik" and out["b"] == "Kurang/Misconduct" and out["d"] == "Butuh Perbaikan"
    assert pd.isna(out["c"]) and pd.isna(out["e"])
    codes = out.cat.codes
    assert codes["a"] > codes["d"] > codes["b"]
    with pytest.raises(ValueError, match="hasil_kerja"):
        predikat(pd.Series(["Luar Biasa"]), pd.Series([SESUAI]))
    with pytest.raises(ValueError, match="perilaku_kerja"):
        predikat(pd.Series([SESUAI]), pd.Series([4]))
    cat = pd.Series(pd.Categorical([BAWAH, ATAS], categories=EKSPEKTASI_LEVELS, ordered=True))
    assert list(predikat(cat, cat)) == ["Sangat Kurang", "Sangat Baik"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=30))
def test_predikat_monotone(pairs):
    """Raising Perilaku never lowers the predikat; raising Hasil never lowers it either."""
    h = pd.Series([a for a, _ in pairs])
    p = pd.Series([b for _, b in pairs])
    base = predikat(h, p).cat.codes
    assert (predikat(h, (p + 1).clip(upper=3)).cat.codes >= base).all()
    assert (predikat((h + 1).clip(upper=3), p).cat.codes >= base).all()


def test_check_predikat_flags_disagreement():
    h = pd.Series([ATAS, BAWAH, SESUAI])
    p = pd.Series([BAWAH, ATAS, ATAS])
    # the max(hasil, perilaku) rule of one public client would store Sangat Baik / ... here
    stored = pd.Series(["Sangat Baik", "Butuh Perbaikan", "Baik"])
    out = check_predikat(stored, h, p)
    assert list(out["agrees"]) == [False, True, True]
    assert out.loc[0, "difference"] == 3     # Sangat Baik vs Kurang/Misconduct
    assert check_predikat(pd.Series(["Kurang"]), pd.Series([SESUAI]), pd.Series([BAWAH]))["agrees"].all()


# ---------------------------------------------------------------------------
# distribution pattern (SE MenPANRB 3/2023, ASN_RULES.md)
# ---------------------------------------------------------------------------

def _pred(counts: dict) -> pd.Series:
    return pd.Series([k for k, v in counts.items() for _ in range(v)])


def test_distribution_check_baik_pattern():
    ok = distribution_check(_pred({"Baik": 6, "Sangat Baik": 3, "Butuh Perbaikan": 1}), "Baik")
    assert ok["ok"].all(), ok
    bad = distribution_check(_pred({"Baik": 9, "Sangat Baik": 1}), "Baik")
    assert list(bad["ok"]) == [True, False, False]
    assert bad.loc[1, "deviation"] == 2 and bad.loc[1, "limit_count"] == 7
    assert "Butuh Perbaikan + Kurang/Misconduct" in bad.loc[2, "message"]


def test_distribution_check_each_org_predikat_and_tolerance():
    sk = distribution_check(_pred({"Sangat Kurang": 6, "Kurang/Misconduct": 2, "Butuh Perbaikan": 1, "Sangat Baik": 1}),
                            "Sangat Kurang")
    assert list(sk["ok"]) == [True, True, False]     # no Sangat Baik allowed
    ist = distribution_check(_pred({"Sangat Baik": 8, "Baik": 2}), "Istimewa")
    assert list(ist["ok"]) == [True, False]
    soft = distribution_check(_pred({"Sangat Baik": 8, "Baik": 2}), "Istimewa", tolerance=0.1)
    assert soft["ok"].all()
    bp = distribution_check(_pred({"Butuh Perbaikan": 5, "Baik": 4, "Sangat Baik": 1}), "butuh perbaikan")
    assert list(bp["ok"]) == [False, True]
    kur = distribution_check(_pred({"Kurang/Misconduct": 6, "Butuh Perbaikan": 1, "Baik": 3}), "Kurang")
    assert list(kur["ok"]) == [True, True, True]
    assert set(DISTRIBUTION_PATTERN) == {"Istimewa", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang"}
    with pytest.raises(ValueError, match="org_predikat"):
        distribution_check(_pred({"Baik": 1}), "Luar Biasa")


def test_distribution_check_small_unit_rounding():
    # 3 people, Istimewa: at most 70 % Sangat Baik = 2.1 people
    p = _pred({"Sangat Baik": 2, "Baik": 1})
    assert distribution_check(p, "Istimewa", rounding="nearest").loc[1, "limit_count"] == 2
    assert distribution_check(p, "Istimewa", rounding="lenient").loc[1, "limit_count"] == 3
    assert distribution_check(p, "Istimewa", rounding="strict").loc[1, "limit_count"] == 2
    assert "advisory" in distribution_check(p, "Istimewa").loc[0, "message"]


def test_exact_multinomial_matches_brute_force_and_chisq():
    """Exact multinomial test (Read & Cressie 1988; R package EMT's multinomial.test,
    'probability' statistic): brute force over all outcomes as the reference."""
    from scipy.stats import multinomial
    obs = np.array([3, 0, 1, 2])
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    n = obs.sum()
    p_obs = multinomial.pmf(obs, n, probs)
    tot = sum(multinomial.pmf(c, n, probs) for c in itertools.product(range(n + 1), repeat=4)
              if sum(c) == n and multinomial.pmf(c, n, probs) <= p_obs * (1 + 1e-7))
    assert _exact_multinomial_p(obs, probs) == pytest.approx(tot, rel=1e-9)
    # binomial special case: exact two-sided binomial test (scipy)
    from scipy.stats import binomtest
    assert _exact_multinomial_p(np.array([8, 2]), np.array([0.5, 0.5])) == pytest.approx(
        binomtest(8, 10, 0.5).pvalue, rel=1e-9)
    ref = {"Sangat Baik": 0.2, "Baik": 0.6, "Butuh Perbaikan": 0.15, "Kurang/Misconduct": 0.05}
    small = distribution_check(_pred({"Baik": 6, "Sangat Baik": 3, "Butuh Perbaikan": 1}), "Baik", reference=ref)
    row = small.iloc[-1]
    assert row["rule"] == "goodness_of_fit" and "exact" in row["message"] and 0 < row["pval"] <= 1
    big = distribution_check(_pred({"Baik": 60, "Sangat Baik": 30, "Butuh Perbaikan": 10}), "Baik", reference=ref)
    from scipy.stats import chisquare
    exp = np.array([0.05, 0.15, 0.6, 0.2]) * 100
    assert big.iloc[-1]["pval"] == pytest.approx(chisquare([0, 10, 60, 30], exp).pvalue, rel=1e-9)


# ---------------------------------------------------------------------------
# anchor agreement: weighted kappa against irrCAC's published example
# ---------------------------------------------------------------------------

def test_anchor_agreement_weighted_kappa_irrcac_example():
    """irrCAC (Gwet) dataset cont3x3abstractors: [[13,0,0],[0,20,7],[0,4,56]]; the package
    documentation reports Cohen's kappa 0.7964094 and quadratic-weighted 0.8921569."""
    table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    pairs = [(a + 1, b + 1) for a in range(3) for b in range(3) for _ in range(table[a][b])]
    subj = [f"s{k}" for k in range(len(pairs))]
    data = pd.DataFrame({"subject": subj, "rater": "A", "score": [a for a, _ in pairs]})
    gold = pd.DataFrame({"subject": subj, "score": [b for _, b in pairs]})
    q = anchor_agreement(data, gold, subject="subject", rater="rater", score="score", weights="quadratic")
    u = anchor_agreement(data, gold, subject="subject", rater="rater", score="score", weights="unweighted")
    assert q.loc["A", "kappa_w"] == pytest.approx(0.8921569, abs=1e-7)
    assert u.loc["A", "kappa_w"] == pytest.approx(0.7964094, abs=1e-7)
    # cross-check with statsmodels' cohens_kappa on the same table, linear weights
    from statsmodels.stats.inter_rater import cohens_kappa
    lin = anchor_agreement(data, gold, subject="subject", rater="rater", score="score", weights="linear")
    assert lin.loc["A", "kappa_w"] == pytest.approx(cohens_kappa(np.array(table), wt="linear").kappa, abs=1e-10)
    assert q.loc["A", "n"] == 100
    assert q.loc["A", "bias"] == pytest.approx((4 - 7) / 100)   # rater minus gold


def test_anchor_agreement_per_rater_pass_fail():
    rng = np.random.default_rng(1)
    gold = pd.DataFrame({"subject": [f"s{k}" for k in range(30)], "item": "I1", "score": rng.integers(1, 6, 30)})
    good = gold.assign(rater="good")
    harsh = gold.assign(rater="harsh", score=(gold["score"] - 1).clip(lower=1))
    out = anchor_agreement(pd.concat([good, harsh]), gold, subject="subject", rater="rater", score="score",
                           item="item", categories=[1, 2, 3, 4, 5], max_bias=0.3)
    assert out.loc["good", "pass"] and out.loc["good", "kappa_w"] == pytest.approx(1.0)
    assert not out.loc["harsh", "pass"] and "bias" in out.loc["harsh", "reason"]
    with pytest.raises(DataError, match="categories"):
        anchor_agreement(good.assign(score=9), gold, subject="subject", rater="rater", score="score",
                         item="item", categories=[1, 2, 3, 4, 5])


# ---------------------------------------------------------------------------
# adjusted scores and the worklist
# ---------------------------------------------------------------------------

def _with_predikat(df: pd.DataFrame, truth: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Add an atasan (the subject's first rater) Hasil/Perilaku rating on the 1..3 scale,
    shifted by the atasan's severity."""
    rng = np.random.default_rng(seed)
    first = df.drop_duplicates("subject")[["subject", "rater"]]
    subj_mean = df.groupby("subject")["score"].mean()
    lat = (subj_mean.loc[first["subject"]].to_numpy() - 3) / 0.6 + 2 + truth.loc[first["rater"], "severity"].to_numpy() * 0
    rows = []
    for it in ("Hasil Kerja", "Perilaku Kerja"):
        val = np.clip(np.rint(lat - truth.loc[first["rater"], "severity"].to_numpy() * 1.2
                              + rng.normal(0, 0.3, len(first))), 1, 3)
        rows.append(pd.DataFrame({"subject": first["subject"].to_numpy(), "rater": first["rater"].to_numpy(),
                                  "item": it, "score": val}))
    return pd.concat([df, *rows], ignore_index=True)


def test_adjusted_scores_fixed_and_blup():
    df, truth = simulate_local(n_s=300, n_r=30, n_i=4, k=3, seed=12)
    true_level = df.groupby("subject")["true_level"].first()
    full = _with_predikat(df, truth)
    fixed = adjusted_scores(full, subject="subject", rater="rater", score="score", item="item", method="fixed")
    blup = adjusted_scores(full, subject="subject", rater="rater", score="score", item="item")
    for adj in (fixed, blup):
        assert {"raw_score", "adjusted_score", "decile_changed", "predikat_raw", "predikat_adjusted",
                "predikat_changed"} <= set(adj.columns)
        s = adj.attrs["summary"]
        assert s["n_subjects"] == 300 and 0 < s["n_decile_changed"] < 300 and s["n_predikat_changed"] > 0
        # correction moves subjects rated by severe raters up
        hit = df[df["rater"].isin(truth.index[truth["kind"] == "severe"])]["subject"].unique()
        assert adj.loc[hit, "shift"].mean() > 0.1
        # the corrected score tracks the true subject level better than the raw mean
        t = true_level.loc[adj.index]
        assert np.corrcoef(adj["adjusted_score"], t)[0, 1] > np.corrcoef(adj["raw_score"], t)[0, 1]
    assert blup.attrs["summary"]["method"] == "blup" and fixed.attrs["summary"]["method"] == "fixed"
    assert blup["shift"].abs().mean() <= fixed["shift"].abs().mean() + 1e-9    # shrinkage
    with pytest.raises(ValueError, match="method"):
        adjusted_scores(full, subject="subject", rater="rater", score="score", item="item", method="ols")


def test_adjusted_predikat_is_the_predikat_part_of_adjusted_scores():
    """``adjusted_predikat`` (what the unit report counts) gives the predikat columns of
    ``adjusted_scores`` for every subject that has a predikat, by both methods, and an empty
    frame without the ordinal items."""
    for seed in (12, 14):
        df, truth = simulate_local(n_s=120, n_r=20, n_i=4, k=3, seed=seed)
        full = _with_predikat(df, truth)
        for method in ("blup", "fixed"):
            a = adjusted_scores(full, subject="subject", rater="rater", score="score", item="item", method=method)
            p = adjusted_predikat(full, subject="subject", rater="rater", score="score", item="item", method=method)
            cols = ["predikat_raw", "predikat_adjusted", "hasil_adjusted", "perilaku_adjusted"]
            want = a.loc[a["predikat_raw"].notna() | a["predikat_adjusted"].notna(), cols]
            pd.testing.assert_frame_equal(p.loc[want.index], want)
            assert len(p) == len(want) and (p["predikat_raw"] != p["predikat_adjusted"]).sum() \
                == a.attrs["summary"]["n_predikat_changed"] > 0
        # the rated predikat against its plain pandas formulation (mean per subject and item, rounded)
        ordd = full[full["item"].isin(["Hasil Kerja", "Perilaku Kerja"])]
        wide = ordd.groupby(["subject", "item"], observed=True, sort=True)["score"].mean().unstack("item")
        pd.testing.assert_series_equal(p["predikat_raw"], predikat(np.rint(wide["Hasil Kerja"]),
                                                                   np.rint(wide["Perilaku Kerja"])), check_names=False)
    none = adjusted_predikat(df, subject="subject", rater="rater", score="score", item="item")
    assert none.empty and list(none.columns) == cols


def test_calibration_worklist_orders_by_impact():
    df, truth = simulate_local(n_s=300, n_r=30, n_i=4, k=3, seed=13)
    full = _with_predikat(df, truth)
    full["unit"] = np.where(full["subject"] < "S0150", "U1", "U2")
    wl = calibration_worklist(full, subject="subject", rater="rater", score="score", item="item", unit="unit")
    assert list(wl.columns) == ["unit", "priority", "kind", "id", "issue", "evidence", "impact"]
    assert set(wl["unit"]) == {"U1", "U2"}
    for _, blk in wl.groupby("unit"):
        assert (np.diff(blk["impact"].to_numpy()) <= 1e-12).all()
        assert list(blk["priority"]) == list(range(1, len(blk) + 1))
    raters = wl[wl["kind"] == "rater"]
    assert raters["id"].isin(truth.index[truth["kind"] != "ok"]).mean() >= 0.7
    assert (wl["kind"] == "subject").any()


# ---------------------------------------------------------------------------
# recovery on evaltools.simulate (the study simulator), when present
# ---------------------------------------------------------------------------

HAVE_SIM = importlib.util.find_spec("evaltools.simulate") is not None


@pytest.fixture(scope="module")
def sample_study():
    if not HAVE_SIM:
        pytest.skip("evaltools.simulate not available")
    from evaltools.simulate import SAMPLE_ARGS, simulate_study
    st_ = simulate_study(**SAMPLE_ARGS)
    r = st_.ratings
    r = r.assign(**{c: r[c].astype(str) for c in ["unit", "subject", "rater", "rater_role", "item", "period"]})
    raters = pd.DataFrame(st_.truth["raters"]).assign(rater=lambda x: x["rater"].astype(str),
                                                      unit=lambda x: x["unit"].astype(str)).set_index("rater")
    units = pd.DataFrame(st_.truth["units"]).T
    return st_, r, raters, units


def _numeric(r: pd.DataFrame) -> pd.DataFrame:
    return r[~r["item"].isin(["Hasil Kerja", "Perilaku Kerja"])]


def _pr(flagged: pd.Series, bad: pd.Series) -> tuple[float, float]:
    tp = int((flagged & bad).sum())
    return tp / max(int(flagged.sum()), 1), tp / max(int(bad.sum()), 1)


@pytest.mark.parametrize("latent", [False, True])
def test_simulated_study_severity_r_ge_090_raters_with_3_ratees_and_flags(sample_study, latent):
    """Recovery on the sample study (evaltools.simulate, SAMPLE_ARGS), as issue 4 asks.

    Correlation >= 0.9 between the estimated severity (the empirical-Bayes BLUP) and the
    simulated severity, over every rater with a defined severity who rated >= 3 different
    people (1794 raters; measured .90, the fixed-effect estimate .87). Severity is
    identified only up to a constant per connected component (unit), so both sides are
    centred within unit over the raters compared. Restriction: the ~4000 anonymous SKM
    respondents (masyarakat) and self-only raters rate one person once; their severity is
    confounded with their impression of that one person (Brennan 2001: the rater facet is
    nested in the person), so no estimator can recover it (r ~ .6 over all raters).

    Flags among raters with >= 10 ratings (the flaggable ones): precision and recall
    against the simulated lenient/severe/central/halo raters are in the message."""
    _, r, truth, units = sample_study
    fx = rater_effects(_numeric(r), subject="subject", rater="rater", score="score", item="item",
                       role="rater_role", period="period", latent=latent)
    j = fx.join(truth[["severity", "kind", "unit", "drift"]].rename(columns=lambda c: c + "_true"))
    # a drifting rater's simulated severity holds in the first period only: use the average
    per_share = 0.5
    j["true"] = j["severity_true"] + per_share * j["drift_true"]
    base = j[(j["n_subjects"] >= 3) & j["severity"].notna()].copy()
    for c in ("severity", "severity_fixed", "true"):
        base[c + "_w"] = base[c] - base.groupby("unit_true")[c].transform("mean")
    r_blup = np.corrcoef(base["severity_w"], base["true_w"])[0, 1]
    r_fixed = np.corrcoef(base["severity_fixed_w"], base["true_w"])[0, 1]
    allr = j[j["severity"].notna()]
    r_all = np.corrcoef(allr["severity"], allr["true"] - allr.groupby("unit_true")["true"].transform("mean"))[0, 1]
    big = j[j["n_ratings"] >= 10]
    precision, recall = _pr(big["flag"] != "ok", big["kind_true"] != "ok")
    per_kind = {k: tuple(round(v, 2) for v in _pr(big["flag"] == k, big["kind_true"] == k))
                for k in ["lenient", "severe", "central", "halo"]}
    msg = (f"severity r = {r_blup:.3f} (BLUP) / {r_fixed:.3f} (fixed) over {len(base)} raters with >= 3 ratees, "
           f"{r_all:.3f} over all {len(allr)} raters; flags: precision {precision:.2f}, recall {recall:.2f}; "
           f"per kind (precision, recall) {per_kind}\n{pd.crosstab(big['kind_true'], big['flag'])}")
    print(msg)
    assert len(base) >= 1500, msg
    assert r_blup >= 0.9 and r_blup > r_fixed, msg
    # measured with the defaults (severity relative to the calibrated raters of the same
    # role, SEs checked by split halves, flagged when beyond the tolerance with 80 %
    # confidence, flag_level=0.8): score scale .67 / .22, latent scale .72 / .36
    # (precision / recall).
    # The old rule (the estimate beyond the tolerance, flag_level=0.5) gave .61 / .34 and
    # .61 / .56: the flags now name fewer raters and more of them rightly. The bound on
    # what any rule can reach here is in benchmarks/RESULTS.md (each rater's severity is
    # known to about +-0.15 from 10-20 ratees, the ok raters' own spread is 0.25).
    if latent:
        assert precision >= 0.68 and recall >= 0.32, msg
        assert per_kind["lenient"][0] >= 0.55 and per_kind["lenient"][1] >= 0.33, msg
    else:
        assert precision >= 0.62 and recall >= 0.18, msg
    assert per_kind["central"][1] >= 0.5 and per_kind["halo"][1] >= 0.25, msg


def test_simulated_study_drift_precision_recall(sample_study):
    """rater_drift against the simulated drift (truth["raters"]["drift"]: about 3 % of the
    internal raters change severity by +-0.8 in the second rated period). Measured on the
    sample: precision 1.00, recall .56 (BH) / .31 (Holm); z-statistics of non-drifting
    raters have SD ~.98 (calibrated SEs), and with no drift simulated nothing is flagged."""
    from evaltools.simulate import SAMPLE_ARGS, simulate_study
    _, r, truth, _ = sample_study
    num = _numeric(r)
    dr = rater_drift(num, subject="subject", rater="rater", score="score", period="period", item="item",
                     role="rater_role")
    per = dr.groupby(level=0).agg(drift=("drift", "any"), change=("change", "last"), se=("change_se", "first"))
    per = per.join(truth["drift"].rename("true"))
    tested = per["se"].notna()
    precision, recall = _pr(per["drift"], per["true"].abs() > 0)
    z = (per["change"] / per["se"])[tested & (per["true"] == 0)]
    msg = (f"drift: precision {precision:.2f}, recall {recall:.2f} ({int(per['drift'].sum())} flagged, "
           f"{int((per['true'] != 0).sum())} simulated); z SD without drift {z.std():.2f}")
    print(msg)
    assert precision >= 0.9 and recall >= 0.4, msg
    assert 0.85 <= z.std() <= 1.15, msg
    # the estimated change tracks the simulated one
    t = per[tested & (per["true"] != 0)]
    assert np.corrcoef(t["change"], t["true"])[0, 1] >= 0.8, msg
    # no drift simulated: no (or almost no) rater flagged
    st0 = simulate_study(**{**SAMPLE_ARGS, "model": {"drift_share": 0.0}})
    r0 = st0.ratings.astype({c: str for c in ["unit", "subject", "rater", "rater_role", "item"]})
    dr0 = rater_drift(_numeric(r0), subject="subject", rater="rater", score="score", period="period",
                      item="item", role="rater_role")
    n0 = int(dr0["drift"].groupby(level=0).any().sum())
    assert n0 <= 2, f"{n0} raters flagged without simulated drift"


def test_simulated_study_gstudy_components(sample_study):
    """G study per calibrated unit (atasan + rekan kerja, one period) against the simulator's
    variance components: subject .3025, rater .0225, item .0228, subject x rater .04,
    subject x item .04, residual .2025 plus the 1/12 of rounding to integers."""
    st_, r, _, units = sample_study
    vc = st_.truth["variance_components"]
    cal = units.index[units["profile"] == "calibrated"]
    sub = _numeric(r)
    sub = sub[sub["unit"].isin(cal) & sub["rater_role"].isin(["atasan", "rekan_kerja"]) & (sub["period"] == "2025-S2")]
    est = pd.DataFrame({u: gstudy(g, subject="subject", rater="rater", item="item", score="score")["variance"]
                        for u, g in sub.groupby("unit")}).T.mean()
    expected = {"subject": vc["subject"], "rater": vc["rater"], "item": vc["item"],
                "subject:rater": vc["rater_subject"], "subject:item": vc["subject_item"],
                "residual": vc["residual"] + 1 / 12}
    tol = {"subject": 0.06, "rater": 0.015, "item": 0.01, "subject:rater": 0.02, "subject:item": 0.015,
           "residual": 0.03}
    for k, v in expected.items():
        assert est[k] == pytest.approx(v, abs=tol[k]), f"{k}: estimated {est[k]:.4f}, simulated {v:.4f}\n{est}"


def test_simulated_unit_done_means(sample_study):
    """Per unit: rater table with flags, G/D study with raters needed for .80, predikat
    distribution check, calibration worklist - all DataFrames."""
    st_, r, truth, units = sample_study
    unit = units.index[units["profile"] == "severe_clique"][0]
    d = r[r["unit"] == unit]
    fx = rater_effects(_numeric(d), subject="subject", rater="rater", score="score", item="item",
                       role="rater_role", period="period")
    assert (fx["flag"] == "severe").sum() >= 3
    g = gstudy(_numeric(d[d["rater_role"].isin(["atasan", "rekan_kerja"])]), subject="subject", rater="rater",
               item="item", score="score")
    need = raters_needed(g, 0.8)
    assert need >= 1
    assert dstudy(g, n_raters=[need])["g_coef"].iloc[0] >= 0.8
    last = d[d["period"] == "2025-S2"]
    w = last[last["item"].isin(["Hasil Kerja", "Perilaku Kerja"])].pivot_table(
        index="subject", columns="item", values="score", aggfunc="first")
    pk = predikat(w["Hasil Kerja"], w["Perilaku Kerja"])
    org = st_.units.set_index(st_.units["unit"].astype(str)).loc[unit, "org_predikat"]
    dc = distribution_check(pk, str(org))
    assert len(dc) >= 2 and dc["observed_count"].iloc[0] <= len(pk)
    wl = calibration_worklist(last, subject="subject", rater="rater", score="score", item="item", unit="unit",
                              role="rater_role")
    assert (wl["kind"] == "rater").any()
    assert wl["id"].isin(truth.index[truth["kind"] == "severe"]).any()


def test_simulated_adjusted_scores_track_true_scores_and_predikat(sample_study):
    """BLUP-adjusted subject scores against the simulated truth (2025-S2): in the clique
    units they correlate with the true scores at least as well as the raw means (measured
    mean r .941 raw vs .951 adjusted); the adjusted predikat agrees with the simulated
    rater-free predikat (truth["subjects"]["true_predikat"]) at least as often as the raw
    one over the pilot units (measured 1055 vs 1063 of 1772 subjects), and predikat
    changes are about five times as frequent in severe-clique units as in calibrated ones."""
    st_, r, _, units = sample_study
    true = pd.DataFrame(st_.truth["subjects"]).assign(subject=lambda x: x["subject"].astype(str)).set_index("subject")
    raw_r, adj_r, changed, n_sub, agree = [], [], {}, {}, [0, 0, 0]
    for u in units.index[units["profile"] != "control"]:
        d = r[(r["unit"] == u) & (r["period"] == "2025-S2")]
        if d.empty:
            continue
        a = adjusted_scores(d, subject="subject", rater="rater", score="score", item="item")
        t = true.loc[a.index]
        prof = units.loc[u, "profile"]
        changed[prof] = changed.get(prof, 0) + a.attrs["summary"]["n_predikat_changed"]
        n_sub[prof] = n_sub.get(prof, 0) + len(a)
        tp = t["true_predikat"].astype(str)
        agree[0] += int((a["predikat_raw"].astype(str) == tp).sum())
        agree[1] += int((a["predikat_adjusted"].astype(str) == tp).sum())
        agree[2] += len(a)
        if prof in ("lenient_clique", "severe_clique"):
            raw_r.append(np.corrcoef(a["raw_score"], t["true_score"])[0, 1])
            adj_r.append(np.corrcoef(a["adjusted_score"], t["true_score"])[0, 1])
    share = {p: changed[p] / n_sub[p] for p in changed}
    msg = (f"raw {np.mean(raw_r):.3f}, adjusted {np.mean(adj_r):.3f}; predikat = truth raw {agree[0]} vs "
           f"adjusted {agree[1]} of {agree[2]}; predikat changes by profile {changed} of {n_sub}")
    print(msg)
    assert np.mean(adj_r) >= np.mean(raw_r) - 0.002, msg
    assert agree[1] >= agree[0], msg
    assert share["severe_clique"] >= 3 * share["calibrated"] and changed["severe_clique"] >= 5, msg


def test_simulated_role_effects_match_role_shifts(sample_study):
    """Role effects against the simulator's role shifts (self-ratings inflated by .6,
    bawahan .25, masyarakat .2, rekan kerja .05, atasan 0): vs_reference (atasan) equals
    minus the shift, on the 1-5 scale after rounding (self-ratings: attenuated by the
    ceiling)."""
    st_, r, _, _ = sample_study
    re_ = role_effects(_numeric(r), subject="subject", role="rater_role", score="score", item="item", rater="rater")
    for role, info in st_.truth["roles"].items():
        if role == "diri_sendiri":
            # +.6 on top of a 3.5 mean meets the ceiling of 5: the observed shift is
            # attenuated (measured .53), never inflated
            assert -0.6 - 0.02 <= re_.loc[role, "vs_reference"] <= -0.45, (role, re_)
        else:
            assert re_.loc[role, "vs_reference"] == pytest.approx(-info["shift"], abs=0.06), (role, re_)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=40))
def test_p_adjust_matches_statsmodels_multipletests(ps):
    """Holm (1979) and Benjamini-Hochberg (1995) adjusted p-values used by rater_drift
    equal statsmodels.stats.multitest.multipletests ('holm', 'fdr_bh')."""
    from statsmodels.stats.multitest import multipletests
    from evaltools.calibration import _p_adjust
    p = np.array(ps)
    for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh")):
        np.testing.assert_allclose(_p_adjust(p, ours), multipletests(p, method=theirs)[1], atol=1e-12)
    with_nan = np.r_[p, np.nan]
    assert np.isnan(_p_adjust(with_nan, "bh")[-1])


# ---------------------------------------------------------------------------
# gstudy(method="reml") against lme4 (tests/reference/lme4_gstudy.R)
# ---------------------------------------------------------------------------

REF = __import__("pathlib").Path(__file__).with_name("reference")


def _lme4_reference():
    data = pd.read_csv(REF / "lme4_gstudy_data.csv", dtype={"subject": str, "rater": str, "item": str})
    return data, pd.read_csv(REF / "lme4_gstudy.csv")


def test_gstudy_reml_reaches_lme4_optimum_on_random_crossed_designs():
    """lme4::lmer(REML = TRUE) on 39 random crossed designs with missing cells (30
    subject x rater, 6 subject x rater x item with every interaction, 2 with no rater
    variance) and the 15-subject example of issue 10 (tests/reference/lme4_gstudy.R):
    our REML log-likelihood is never below lme4's (lme4 stops within its tolerance of the
    optimum, so we may be a little higher), and the components agree to 5e-4."""
    data, ref = _lme4_reference()
    for name, d in data.groupby("design"):
        item = "item" if d["item"].notna().any() else None
        g = gstudy(d, subject="subject", rater="rater", item=item, score="score", method="reml")
        r = ref[ref["design"] == name].set_index("effect")
        assert g.attrs["reml_loglik"] >= r["loglik_reml"].iloc[0] - 1e-7, name
        np.testing.assert_allclose(g["variance"].to_numpy(), r["variance"].reindex(g.index).to_numpy(),
                                   atol=5e-4, err_msg=name)
        assert not g["note"].str.contains("converge").any(), name


def test_gstudy_reml_issue_example_is_label_independent_and_keeps_the_boundary():
    """Issue 10: 15 subjects P000-P014, raters A00/A01; lme4 gives 0.7505 / 0 / 0.3207
    (tests/reference/lme4_gstudy.csv). Relabelling the subjects (integers, shuffled
    names) or reordering the rows gives the same answer; the rater variance is exactly 0."""
    data, ref = _lme4_reference()
    d = data[data["design"] == "issue10_15subjects"]
    g = gstudy(d, subject="subject", rater="rater", score="score", method="reml")
    np.testing.assert_allclose(g["variance"], [0.7505, 0.0, 0.3207], atol=5e-5)
    assert g.loc["rater", "variance"] == 0.0
    rng = np.random.default_rng(4)
    names = {k: f"Z{v}" for k, v in zip(sorted(d["subject"].unique()), rng.permutation(15))}
    for dd in (d.assign(subject=d["subject"].str[1:].astype(int)), d.assign(subject=d["subject"].map(names)),
               d.sample(frac=1.0, random_state=3)):
        g2 = gstudy(dd, subject="subject", rater="rater", score="score", method="reml")
        np.testing.assert_allclose(g2["variance"], g["variance"], atol=1e-9)


def test_gstudy_reml_degenerate_and_non_convergence_notes(monkeypatch):
    """No residual variation (perfect agreement): the REML likelihood is unbounded, so the
    Method 1 components are reported with that reason; an optimizer that stops early is
    named in the note."""
    d = pd.DataFrame([(i, j, x) for i, x in enumerate([4, 4, 3, 3, 5]) for j in range(3)], columns=["s", "r", "x"])
    g = gstudy(d, subject="s", rater="r", score="x", method="reml")
    assert g.loc["residual", "variance"] == 0.0 and "unbounded" in g.loc["s", "note"]
    import scipy.optimize

    real = scipy.optimize.minimize

    def one_step(fun, x0, **kw):
        kw.setdefault("options", {})
        kw["options"] = {**kw["options"], "maxiter": 1}
        return real(fun, x0, **kw)

    data, _ = _lme4_reference()
    dd = data[data["design"] == "pxr_05"]
    monkeypatch.setattr(scipy.optimize, "minimize", one_step)
    g = gstudy(dd, subject="subject", rater="rater", score="score", method="reml")
    assert g["note"].str.contains("did not converge").all()


def test_calibration_worklist_accepts_precomputed_effects():
    """The report computes rater_effects once and passes it (effects=): the worklist is
    the same as when it refits."""
    df, truth = simulate_local(n_s=200, n_r=20, n_i=4, k=3, seed=17)
    full = _with_predikat(df, truth)
    wl = calibration_worklist(full, subject="subject", rater="rater", score="score", item="item")
    num = full[~full["item"].isin(["Hasil Kerja", "Perilaku Kerja"])]
    fx = rater_effects(num, subject="subject", rater="rater", score="score", item="item")
    wl2 = calibration_worklist(full, subject="subject", rater="rater", score="score", item="item", effects=fx)
    pd.testing.assert_frame_equal(wl, wl2)
    assert (wl["kind"] == "rater").any()


@pytest.mark.parametrize("kw", [{}, {"lam_s": 0.3, "lam_r": 0.5}, {"lam_s": 0.3, "lam_r": 0.5, "lam_i": 0.4},
                                {"weighted": True}, {"grouped": True}])
def test_crossed_fit_dense_and_sparse_cross_products_agree(monkeypatch, kw):
    # a unit-sized design forms X'S and X'X densely by grouped sums, a national one by sparse
    # products: the same normal equations, so the same solution, variances and refits
    import evaltools.calibration._crossed as C

    rng = np.random.default_rng(5)
    n_s, n_r, n_i, n = 60, 25, 4, 900
    s, r, i = rng.integers(0, n_s, n), rng.integers(0, n_r, n), rng.integers(0, n_i, n)
    y = rng.normal(0, 1, n_s)[s] + rng.normal(0, 0.5, n_r)[r] + rng.normal(0, 1, n)
    opts = {k: v for k, v in kw.items() if k in ("lam_s", "lam_r", "lam_i")}
    if kw.get("weighted"):
        opts["w"] = rng.uniform(0.5, 2.0, n)
    if kw.get("grouped"):
        opts["groups"] = rng.integers(0, 3, n_r)
    fits = []
    for limit in (C._DENSE_CROSS, 0):
        monkeypatch.setattr(C, "_DENSE_CROSS", limit)
        fits.append(C._CrossedFit(y, s, r, i, n_s, n_r, n_i, **opts))
    a, b = fits
    assert a._dense and not b._dense
    np.testing.assert_allclose(a.x, b.x, atol=1e-11)
    np.testing.assert_allclose(a.cov_diag, b.cov_diag, atol=1e-12)
    np.testing.assert_allclose(a.fitted_for(y ** 2), b.fitted_for(y ** 2), atol=1e-11)
    np.testing.assert_allclose(a.contrast()[1], b.contrast()[1], atol=1e-12)


def test_crossed_fit_item_penalty_is_the_ridge_on_item_deviations():
    # lam_i penalizes sum (x_i - mean x)^2 and leaves the grand mean free: the fit equals the
    # least-squares solution of the design stacked on the penalty rows sqrt(lam) P, with
    # P = I - J/n_i for the items (P'P = P), computed here by numpy's lstsq
    rng = np.random.default_rng(8)
    n_s, n_r, n_i, n = 30, 12, 5, 400
    s, r, i = rng.integers(0, n_s, n), rng.integers(0, n_r, n), rng.integers(0, n_i, n)
    y = 3 + rng.normal(0, 1, n_s)[s] + rng.normal(0, 0.5, n_r)[r] + rng.normal(0, 1, n_i)[i] + rng.normal(0, 1, n)
    lam_s, lam_r, lam_i = 0.3, 0.5, 2.0
    fit = _CrossedFit(y, s, r, i, n_s, n_r, n_i, lam_s=lam_s, lam_r=lam_r, lam_i=lam_i, want_cov=False)
    X = np.zeros((n, n_s + n_r + n_i))
    X[np.arange(n), s] = X[np.arange(n), n_s + r] = X[np.arange(n), n_s + n_r + i] = 1.0
    pen = scipy.linalg.block_diag(np.sqrt(lam_s) * np.eye(n_s), np.sqrt(lam_r) * np.eye(n_r),
                                  np.sqrt(lam_i) * (np.eye(n_i) - 1.0 / n_i))
    beta = np.linalg.lstsq(np.r_[X, pen], np.r_[y, np.zeros(len(pen))], rcond=None)[0]
    np.testing.assert_allclose(fit.fitted, X @ beta, atol=1e-10)
    np.testing.assert_allclose(fit.fitted_for(y ** 2), X @ np.linalg.lstsq(np.r_[X, pen], np.r_[y ** 2, np.zeros(len(pen))],
                                                                       rcond=None)[0], atol=1e-9)
    # without the item penalty the item deviations are larger (the penalty binds)
    free = _CrossedFit(y, s, r, i, n_s, n_r, n_i, lam_s=lam_s, lam_r=lam_r, want_cov=False)
    assert np.ptp(fit.item) < np.ptp(free.item)

"""unit_effect: synthetic control (ADH 2010) with placebo inference and the 2x2 DiD cross-check.

No published synthetic-control example small enough to type in is available here (the
Basque / California Prop 99 data are not in ../shared/reference), so the weight solver is
checked against a brute-force SLSQP solution, planted weights are recovered exactly from
noiseless data, and the placebo inference is checked for nominal behaviour on simulated
factor-model data where the truth is known. The DiD cross-check is compared with a
two-way fixed-effects regression (statsmodels) on the published mpdta panel.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from evaltools._errors import DataError
from evaltools.pilot import unit_effect
from evaltools.pilot._synth import _simplex_ls

REF = Path(__file__).resolve().parents[2] / "shared" / "reference" / "did"


def _slsqp(A, b):
    """Brute-force reference: SLSQP on the simplex-constrained least squares problem."""
    J = A.shape[1]
    res = optimize.minimize(lambda w: np.sum((A @ w - b) ** 2), np.full(J, 1 / J),
                            jac=lambda w: 2 * A.T @ (A @ w - b), method="SLSQP",
                            bounds=[(0, 1)] * J, constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
                            options={"ftol": 1e-12, "maxiter": 300})
    return res.x


def _panel(Y, first, periods=None):
    """Long panel from a (periods x units) matrix; ``first`` = first treated position or -1."""
    T, N = Y.shape
    periods = periods or [f"{2019 + t // 2}-S{t % 2 + 1}" for t in range(T)]
    units = [f"U{i:03d}" for i in range(N)]
    ft = [periods[f] if f >= 0 else None for f in first]
    df = pd.DataFrame({
        "unit": np.repeat(units, T), "period": np.tile(periods, N),
        "first_treated": np.repeat(ft, T), "ikm": Y.T.ravel(),
    })
    df["period"] = pd.Categorical(df["period"], categories=periods, ordered=True)
    df["first_treated"] = pd.Categorical(df["first_treated"], categories=periods, ordered=True)
    return df


def _factor_data(rng, J, T, g, effect=0.0, noise=0.3, k=3):
    F = rng.normal(size=(T, k)).cumsum(axis=0)
    L = rng.uniform(0, 1, size=(J + 1, k))
    Y = F @ L.T + rng.normal(scale=noise, size=(T, J + 1)) + 70
    Y[g:, 0] += effect
    return Y


# ---------------------------------------------------------------------------------------
# the weight solver
# ---------------------------------------------------------------------------------------

@settings(max_examples=12, deadline=None)
@given(T=st.integers(2, 12), J=st.integers(2, 20), seed=st.integers(0, 2 ** 31 - 1))
def test_simplex_ls_matches_slsqp(T, J, seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(T, J)) * 10 + 50
    b = rng.normal(size=T) * 10 + 50
    w = _simplex_ls(A, b)
    assert np.all(w >= 0) and w.sum() == pytest.approx(1, abs=1e-12)
    ref = _slsqp(A, b)
    ref = np.clip(ref, 0, None) / np.clip(ref, 0, None).sum()  # SLSQP meets sum(w)=1 only to ~1e-8
    f_ours = np.sum((A @ w - b) ** 2)
    f_ref = np.sum((A @ ref - b) ** 2)
    assert f_ours <= f_ref + 1e-9 * max(1.0, f_ref)
    # KKT conditions of the simplex problem: the gradient is equal (= -lambda) on the support
    # and no smaller off it
    grad = 2 * A.T @ (A @ w - b)
    on = w > 1e-12
    lam = -grad[on].mean()
    scale = np.abs(grad).max() + 1.0
    assert np.allclose(grad[on], -lam, atol=1e-7 * scale)
    assert np.all(grad[~on] >= -lam - 1e-7 * scale)
    if T > J:  # strictly convex: the minimizer is unique
        assert np.allclose(w, ref, atol=1e-4)


def test_exact_recovery_of_planted_weights():
    rng = np.random.default_rng(7)
    T, g, J = 12, 8, 10
    Y = rng.normal(size=(T, J + 1)) * 5 + 60
    w_true = np.zeros(J)
    w_true[[1, 4, 7]] = [0.5, 0.3, 0.2]
    Y[:, 0] = Y[:, 1:] @ w_true
    Y[g:, 0] += 3.0  # planted effect
    res = unit_effect(_panel(Y, [g] + [-1] * J), unit="U000", outcome="ikm")
    got = res.weights.set_index("unit")["weight"]
    for j, wt in zip([1, 4, 7], [0.5, 0.3, 0.2]):
        assert got[f"U{j + 1:03d}"] == pytest.approx(wt, abs=1e-9)
    assert got.sum() == pytest.approx(1, abs=1e-12)
    assert res.pre_rmspe == pytest.approx(0, abs=1e-9)
    assert res.synth.value == pytest.approx(3.0, abs=1e-9)
    assert np.allclose(res.gaps.loc[res.gaps.post, "gap"], 3.0)
    assert res.gaps.columns.tolist() == ["period", "treated", "synthetic", "gap", "post"]
    assert res.synth.extra["top_donors"].startswith("U002 (0.50)")


def test_placebo_fits_match_slsqp_loop_and_rank_pvalue():
    rng = np.random.default_rng(3)
    T, g, J = 10, 6, 15
    Y = _factor_data(rng, J, T, g, effect=2.0)
    res = unit_effect(_panel(Y, [g] + [-1] * J), unit="U000", outcome="ikm")
    pre = slice(0, g)
    # naive reference: each donor refit by SLSQP from the other donors (treated unit excluded)
    ratios = []
    for j in range(1, J + 1):
        others = [k for k in range(1, J + 1) if k != j]
        w = _slsqp(Y[pre][:, others], Y[pre, j])
        gap = Y[:, j] - Y[:, others] @ w
        r = np.sqrt(np.mean(gap[g:] ** 2)) / np.sqrt(np.mean(gap[:g] ** 2))
        ratios.append(r)
    assert np.allclose(res.placebos["rmspe_ratio"], ratios, rtol=1e-3)
    # ADH (2010) sec. 2.3 / Abadie (2021): share of units whose ratio is >= the unit's
    r0 = res.rmspe_ratio
    expected = (1 + sum(r >= r0 for r in res.placebos["rmspe_ratio"])) / (1 + J)
    assert res.synth.pval == pytest.approx(expected)
    assert res.rmspe_ratio == pytest.approx(res.post_rmspe / res.pre_rmspe)


# ---------------------------------------------------------------------------------------
# recovery on simulated factor-model data
# ---------------------------------------------------------------------------------------

def test_placebo_inference_nominal_on_factor_model():
    """Treated unit exchangeable with the donors: the rank p-value is valid (rejection rate
    <= alpha up to binomial noise) and the placebo interval covers the constant effect."""
    rng = np.random.default_rng(2024)
    reps, J, T, g, effect = 80, 19, 10, 7, 1.5
    reject = cover = cover_did = 0
    for _ in range(reps):
        Y = _factor_data(rng, J, T, g, effect=effect, noise=0.5)
        null = Y.copy()
        null[g:, 0] -= effect
        r0 = unit_effect(_panel(null, [g] + [-1] * J), unit="U000", outcome="ikm", alpha=0.1)
        reject += r0.synth.pval <= 0.1
        r1 = unit_effect(_panel(Y, [g] + [-1] * J), unit="U000", outcome="ikm", alpha=0.1)
        cover += r1.synth.ci_low <= effect <= r1.synth.ci_high
        cover_did += r1.did.ci_low <= effect <= r1.did.ci_high
    # binomial(80, 0.1): sd 2.7 rejections; allow 3 sd around nominal
    assert reject / reps <= 0.1 + 3 * math.sqrt(0.09 / reps)
    assert cover / reps >= 0.9 - 3 * math.sqrt(0.09 / reps)
    assert cover_did / reps >= 0.9 - 3 * math.sqrt(0.09 / reps)


def test_large_effect_detected():
    # enough pre-periods for the donors not to interpolate every placebo exactly
    rng = np.random.default_rng(11)
    Y = _factor_data(rng, 39, 40, 30, effect=6.0, noise=0.3)
    res = unit_effect(_panel(Y, [30] + [-1] * 39), unit="U000", outcome="ikm")
    assert res.synth.pval == pytest.approx(1 / 40)
    assert res.synth.extra["pval_gap"] == pytest.approx(1 / 40)
    assert res.synth.ci_low > 0 and abs(res.synth.value - 6.0) < 1.0
    # with long pre-periods and a factor structure the controls' DiDs spread widely: the
    # headline DiD test stays valid (its interval covers) but is far less sharp than here
    assert res.ci_low <= 6.0 <= res.ci_high and res.mde > 3 * (res.synth.ci_high - res.synth.ci_low) / 4
    assert "poor pre-period fit" not in res.note


# ---------------------------------------------------------------------------------------
# the 2x2 DiD cross-check
# ---------------------------------------------------------------------------------------

def _mpdta_unit():
    """mpdta (R did's example data), its first county treated in 2006, and that county's unit_effect."""
    path = REF / "mpdta.csv"
    if not path.exists():
        pytest.skip("../shared/reference/did/mpdta.csv not available")
    mp = pd.read_csv(path)
    # R did's convention: first.treat is the first treated year, 0 = never treated
    target = int(mp.loc[mp["first.treat"] == 2006, "countyreal"].iloc[0])
    res = unit_effect(mp, unit=target, outcome="lemp", unit_col="countyreal", period="year",
                      first_treated="first.treat", placebo=False)
    return mp, target, res


def test_did_equals_twfe_regression_on_mpdta():
    mp, target, res = _mpdta_unit()
    pool = mp[(mp["first.treat"] == 0) | (mp["countyreal"] == target)].copy()
    # two periods (pre/post means per county): the unit-FE DiD is OLS of the change on the
    # treatment dummy
    pool["post"] = (pool["year"] >= 2006).astype(int)
    means = pool.pivot_table(index="countyreal", columns="post", values="lemp", aggfunc="mean")
    chg = pd.DataFrame({"dy": means[1] - means[0], "d": (means.index == target).astype(float)})
    fit = smf.ols("dy ~ d", data=chg).fit()
    assert res.did.value == pytest.approx(fit.params["d"], abs=1e-10)
    assert res.n_donors == int((mp.groupby("countyreal")["first.treat"].first() == 0).sum())
    assert res.synth.extra["n_pre"] == 3 and res.synth.extra["n_post"] == 2


def test_conley_taber_placebo_did():
    rng = np.random.default_rng(5)
    T, g, J = 6, 3, 9
    Y = rng.normal(size=(T, J + 1)) + 10
    res = unit_effect(_panel(Y, [g] + [-1] * J), unit="U000", outcome="ikm", alpha=0.2)
    d = Y[g:].mean(axis=0) - Y[:g].mean(axis=0)
    did = d[0] - d[1:].mean()
    assert res.did.value == pytest.approx(did)
    pl = np.array([d[j] - np.delete(d[1:], j - 1).mean() for j in range(1, J + 1)])
    assert np.allclose(res.placebos["did"], pl)
    assert res.pval_perm == pytest.approx((1 + np.sum(np.abs(pl) >= abs(did))) / (1 + J))
    # alpha = 0.2, J = 9: k = floor(0.2 * 10 / 2) = 1 -> the extreme order statistics
    assert (res.did.perm_ci_low, res.did.perm_ci_high) == pytest.approx((did - pl.max(), did - pl.min()))


# ---------------------------------------------------------------------------------------
# covariates (ADH V weights)
# ---------------------------------------------------------------------------------------

def test_covariates_v_weights_and_inner_problem():
    rng = np.random.default_rng(9)
    T, g, J = 8, 5, 12
    Y = _factor_data(rng, J, T, g, effect=1.0)
    df = _panel(Y, [g] + [-1] * J)
    df["n_employees"] = np.repeat(rng.integers(20, 200, J + 1), T).astype(float)
    df["budget"] = np.repeat(rng.normal(size=J + 1), T)
    res = unit_effect(df, unit="U000", outcome="ikm", covariates=["n_employees", "budget"])
    v = res.predictor_weights
    assert list(v.index) == ["n_employees", "budget", "ikm (pre-period mean)"]
    assert v.sum() == pytest.approx(1) and (v >= 0).all()
    w = res.weights.set_index("unit")["weight"].reindex([f"U{j:03d}" for j in range(1, J + 1)]).to_numpy()
    assert w.sum() == pytest.approx(1) and (w >= 0).all()
    # given V, the weights solve the ADH inner problem (checked against SLSQP's objective)
    units = df.groupby("unit")[["n_employees", "budget"]].first().to_numpy().T
    pre_mean = Y[:g].mean(axis=0)
    P = np.vstack([units, pre_mean])
    P = P / P.std(axis=1, keepdims=True)
    sv = np.sqrt(v.to_numpy())[:, None]
    A, b = sv * P[:, 1:], sv[:, 0] * P[:, 0]
    ref = _slsqp(A, b)
    assert np.sum((A @ w - b) ** 2) <= np.sum((A @ ref - b) ** 2) + 1e-8
    assert len(res.placebos) == J and res.placebos["rmspe_ratio"].notna().all()


# ---------------------------------------------------------------------------------------
# invariants
# ---------------------------------------------------------------------------------------

@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.floats(-50, 50), scale=st.floats(0.1, 10))
def test_affine_equivariance(seed, shift, scale):
    rng = np.random.default_rng(seed)
    T, g, J = 8, 5, 8
    Y = _factor_data(rng, J, T, g, effect=1.0)
    a = unit_effect(_panel(Y, [g] + [-1] * J), unit="U000", outcome="ikm")
    b = unit_effect(_panel(Y * scale + shift, [g] + [-1] * J), unit="U000", outcome="ikm")
    assert b.synth.value == pytest.approx(a.synth.value * scale, rel=1e-6, abs=1e-8)
    assert b.did.value == pytest.approx(a.did.value * scale, rel=1e-9, abs=1e-9)
    assert b.pre_rmspe == pytest.approx(a.pre_rmspe * scale, rel=1e-6, abs=1e-8)
    assert b.synth.pval == pytest.approx(a.synth.pval)
    assert b.pval == pytest.approx(a.pval, rel=1e-9)
    assert b.mde == pytest.approx(a.mde * scale, rel=1e-6)
    assert np.allclose(b.weights.set_index("unit")["weight"].sort_index(),
                       a.weights.set_index("unit")["weight"].sort_index(), atol=1e-6)


# ---------------------------------------------------------------------------------------
# input handling and undefined cases
# ---------------------------------------------------------------------------------------

@pytest.fixture
def small():
    rng = np.random.default_rng(1)
    Y = _factor_data(rng, 6, 6, 3, effect=1.0)
    return Y, _panel(Y, [3, -1, -1, -1, 4, -1, -1])


def test_missing_column_named(small):
    _, df = small
    with pytest.raises(DataError, match="ikmm"):
        unit_effect(df, unit="U000", outcome="ikmm")
    with pytest.raises(DataError, match="first_treat"):
        unit_effect(df.drop(columns="first_treated"), unit="U000", outcome="ikm")


def test_duplicates_and_unknown_unit(small):
    _, df = small
    with pytest.raises(DataError, match="duplicate"):
        unit_effect(pd.concat([df, df.iloc[:1]]), unit="U000", outcome="ikm")
    with pytest.raises(DataError, match="not found .did you mean"):
        unit_effect(df, unit="U00O", outcome="ikm")
    with pytest.raises(ValueError, match="pilot unit"):
        unit_effect(df, unit="U001", outcome="ikm")


def test_not_yet_treated_donors_and_post_window(small):
    _, df = small
    # U004 starts one period after U000: not a donor over the full window...
    full = unit_effect(df, unit="U000", outcome="ikm")
    assert "U004" not in set(full.weights["unit"]) and full.n_donors == 5
    # ...but a not-yet-treated donor when only the first post period is evaluated
    one = unit_effect(df, unit="U000", outcome="ikm", post_periods=1)
    assert "U004" in set(one.weights["unit"]) and one.n_donors == 6
    assert one.synth.extra["n_post"] == 1


def test_undefined_cases_are_nan_with_note(small):
    Y, df = small
    first = unit_effect(_panel(Y, [0, -1, -1, -1, -1, -1, -1]), unit="U000", outcome="ikm")
    assert math.isnan(first.effect) and "no pre-period" in first.note
    assert math.isnan(first.pval) and math.isnan(first.mde) and math.isnan(first.pval_perm)
    nodon = unit_effect(_panel(Y, [3, 2, 2, 2, 2, 2, 2]), unit="U000", outcome="ikm")
    assert math.isnan(nodon.effect) and "donor" in nodon.note
    const = unit_effect(_panel(np.full_like(Y, 5.0), [3] + [-1] * 6), unit="U000", outcome="ikm")
    assert math.isnan(const.effect) and "constant" in const.note
    assert set(const.to_frame().index) == {"synthetic_control", "did_2x2"}


def test_unbalanced_panel_and_few_donors_notes(small):
    Y, df = small
    holed = df.drop(index=df.index[(df.unit == "U002") & (df.period == df.period.cat.categories[1])])
    res = unit_effect(holed, unit="U000", outcome="ikm")
    assert "dropped for missing" in res.note and res.n_donors == 4
    assert "smallest attainable p-value" in res.note
    assert np.isfinite(res.effect)


def test_exact_placebo_fits_are_flagged():
    # more donors than pre-periods: most placebo units are interpolated exactly, their
    # RMSPE ratio is infinite and the ratio test has no power; say so
    rng = np.random.default_rng(12)
    Y = _factor_data(rng, 30, 6, 3, effect=5.0, noise=0.3)
    res = unit_effect(_panel(Y, [3] + [-1] * 30), unit="U000", outcome="ikm")
    assert np.isinf(res.placebos["rmspe_ratio"]).sum() > 10
    assert "fit exactly" in res.note
    assert 0 < res.synth.extra["pval_gap"] <= 1


def test_poor_fit_note():
    rng = np.random.default_rng(4)
    Y = _factor_data(rng, 10, 8, 5)
    Y[:, 0] = Y[:, 1:].max(axis=1) + 25  # above every donor: outside the convex hull
    res = unit_effect(_panel(Y, [5] + [-1] * 10), unit="U000", outcome="ikm")
    assert "poor pre-period fit" in res.note


def test_first_treated_formats():
    rng = np.random.default_rng(2)
    Y = _factor_data(rng, 5, 6, 3, effect=1.0)
    lab = unit_effect(_panel(Y, [3] + [-1] * 5), unit="U000", outcome="ikm")
    df = _panel(Y, [3] + [-1] * 5)
    # 1-based index (the study's first_treated_idx, 0 = never)
    df["ft_idx"] = np.where(df["unit"] == "U000", 4, 0)
    idx = unit_effect(df, unit="U000", outcome="ikm", first_treated="ft_idx")
    assert idx.effect == pytest.approx(lab.effect)
    # numeric periods with 0 = never (R did's first.treat)
    df["year"] = df["period"].cat.codes.astype(int) + 2000
    df["ft_year"] = np.where(df["unit"] == "U000", 2003, 0)
    yr = unit_effect(df, unit="U000", outcome="ikm", period="year", first_treated="ft_year")
    assert yr.effect == pytest.approx(lab.effect)
    df["bad"] = np.where(df["unit"] == "U000", "2030-S1", None)
    with pytest.raises(DataError, match="bad"):
        unit_effect(df, unit="U000", outcome="ikm", first_treated="bad")


def test_to_frame_columns(small):
    _, df = small
    out = unit_effect(df, unit="U000", outcome="ikm").to_frame()
    assert list(out.index) == ["synthetic_control", "did_2x2"]
    for col in ["value", "se", "ci_low", "ci_high", "pval", "n_subjects", "note", "unit", "outcome",
                "pre_rmspe", "post_rmspe", "rmspe_ratio", "n_pre", "n_post", "n_donors", "top_donors",
                "t", "df", "mde", "pval_perm", "method", "perm_ci_low", "perm_ci_high"]:
        assert col in out.columns


# ---------------------------------------------------------------------------------------
# recovery on the study simulator (two-way fixed effects outcomes, known unit effects)
# ---------------------------------------------------------------------------------------

def test_recovery_on_simulated_study():
    simulate = pytest.importorskip("evaltools.simulate")
    errs_sc, errs_did, cover_did, n = [], [], 0, 0
    for seed in (1, 2, 3, 4):
        s = simulate.simulate_study(seed=seed, n_units=40, subjects_per_unit=(3, 4), control_share=0.5)
        panel = s.outcomes.merge(s.units[["unit", "first_treated"]], on="unit")
        for u, info in s.truth["units"].items():
            if info.get("first_treated") is None:
                continue
            r = unit_effect(panel, unit=u, outcome="ikm")
            truth = info["true_effect"]["ikm"]
            errs_sc.append(r.effect - truth)
            errs_did.append(r.did.value - truth)
            cover_did += r.did.ci_low <= truth <= r.did.ci_high
            n += 1
    assert n >= 60
    # the simulator's outcomes follow parallel trends: the DiD cross-check is unbiased and its
    # placebo interval (nominal 95 %, 20 donors -> spans the placebo range, ~90 %) covers.
    # Units of one study share the donors' post-period noise, so the mean error per study
    # has SD ~0.7 (ikm noise SD 1.5); over four studies ~0.35
    assert abs(np.mean(errs_did)) < 0.75
    assert cover_did / n >= 0.8
    # with 2-4 pre-periods and 20 donors the synthetic control interpolates noise; it is
    # still centred on the truth across units
    assert abs(np.mean(errs_sc)) < 0.75


def test_unit_effects_equal_unit_effect_per_outcome():
    # the batch checks the panel and pivots once; each outcome's result is unit_effect's, exactly
    from evaltools.pilot import unit_effect, unit_effects

    rng = np.random.default_rng(4)
    n_u, n_t = 12, 6
    df = pd.DataFrame({"unit": np.repeat([f"U{i:02d}" for i in range(n_u)], n_t),
                       "period": np.tile(np.arange(2001, 2001 + n_t), n_u),
                       "first_treated": np.repeat([2004, 2005] + [0] * (n_u - 2), n_t),
                       "a": rng.normal(70, 2, n_u * n_t), "b": rng.normal(5, 1, n_u * n_t)})
    both = unit_effects(df, unit="U01", outcomes=["a", "b"], post_periods=1)
    for oc in ("a", "b"):
        one = unit_effect(df, unit="U01", outcome=oc, post_periods=1)
        pd.testing.assert_frame_equal(both[oc].to_frame(), one.to_frame())
        pd.testing.assert_frame_equal(both[oc].gaps, one.gaps)
        assert both[oc].note == one.note


# ---------------------------------------------------------------------------------------
# the pre-trend test and the DiD net of each unit's trend
# ---------------------------------------------------------------------------------------

def test_pretrend_slope_and_trend_adjusted_did_match_ols_on_mpdta():
    """On mpdta (R did's example data): the pre-trend value is the OLS slope (statsmodels) of
    the target county's difference from the mean control over the pre-years, its test is the
    DiD test of the counties' own slopes (numpy polyfit), and the trend-adjusted DiD is the
    mean post-period residual of that difference from its extrapolated pre-period line."""
    from evaltools.pilot import unit_did_test

    mp, target, res = _mpdta_unit()
    wide = mp[(mp["first.treat"] == 0) | (mp["countyreal"] == target)].pivot(index="year", columns="countyreal",
                                                                              values="lemp")
    controls = wide.drop(columns=target)
    diff = pd.DataFrame({"year": wide.index.to_numpy(float), "d": (wide[target] - controls.mean(axis=1)).to_numpy()})
    pre, post = diff[diff["year"] < 2006], diff[diff["year"] >= 2006]
    fit = smf.ols("d ~ year", data=pre).fit()
    pt = res.pretrend
    assert pt.name == "pretrend_slope" and pt.n_pre == 3
    assert pt.value == pytest.approx(fit.params["year"], abs=1e-12)
    slopes = np.polyfit(pre["year"], wide.loc[pre["year"].astype(int)].to_numpy(), 1)[0]
    ref = unit_did_test(slopes[list(wide.columns).index(target)], np.delete(slopes, list(wide.columns).index(target)))
    assert pt.pval == pytest.approx(ref.pval, rel=1e-9) and pt.se == pytest.approx(ref.se, rel=1e-9)
    resid = post["d"].to_numpy() - fit.predict(post)
    assert pt.adjusted_effect == pytest.approx(resid.mean(), abs=1e-12)


def _trend_matrix(rng, *, J=8, T=7, g=4, trend=0.0, jump=0.0, noise=1.0):
    """Periods x units: unit and period effects plus noise; the first unit adds ``trend`` per
    period from the start and ``jump`` from period ``g`` on."""
    Y = rng.normal(70, 3, J + 1)[None, :] + rng.normal(0, 2, T)[:, None] + rng.normal(0, noise, (T, J + 1))
    Y[:, 0] += trend * np.arange(T)
    Y[g:, 0] += jump
    return Y


def _pretrend_of(Y, g=4):
    # the test unit_effect runs (tested end to end on mpdta above), on the matrix itself
    from evaltools.pilot._inference import _pretrend_test

    T = Y.shape[0]
    return _pretrend_test(Y[:, 0], Y[:, 1:], np.arange(g), np.arange(g, T), alpha=0.05, power=0.8)


def test_pretrend_test_has_its_size_and_power_by_simulation():
    """Parallel trends (unit and period effects, iid noise; 8 controls, 4 pre-periods): the
    pre-trend test rejects at about its 5 % level (4,000 panels: 0.04 .. 0.06, about 3 SE); a
    unit drifting 2 noise SDs per period away from its controls (its slope's prediction SE is
    about 0.47 SD) is caught most of the time. unit_effect runs this test on its panel."""
    rng = np.random.default_rng(1)
    null = np.array([_pretrend_of(_trend_matrix(rng)).pval for _ in range(4000)])
    assert 0.04 <= np.mean(null < 0.05) <= 0.06
    drift = np.array([_pretrend_of(_trend_matrix(rng, trend=2.0)).pval for _ in range(400)])
    assert np.mean(drift < 0.05) >= 0.85
    Y = _trend_matrix(rng, trend=2.0)
    ue = unit_effect(_panel(Y, [4] + [-1] * 8), unit="U000", outcome="ikm", placebo=False)
    assert ue.pretrend.pval == pytest.approx(_pretrend_of(Y).pval, rel=1e-12)


def test_trend_adjusted_did_covers_the_jump_when_the_unit_trends_by_simulation():
    """A unit drifting 0.8 per period that also jumps by 2 at the pilot: the plain DiD mixes
    the drift into the effect (its interval misses 2 most of the time), the DiD net of each
    unit's trend covers 2 at about 95 % (2,000 panels: 0.935 .. 0.965)."""
    from evaltools.pilot import unit_did_test

    rng = np.random.default_rng(7)
    cover = plain = 0
    n = 2000
    for _ in range(n):
        Y = _trend_matrix(rng, trend=0.8, jump=2.0, noise=0.5)
        pt = _pretrend_of(Y)
        cover += pt.adjusted_ci_low <= 2.0 <= pt.adjusted_ci_high
        d = Y[4:].mean(axis=0) - Y[:4].mean(axis=0)
        did = unit_did_test(d[0], d[1:], permutation=False, mde=False)
        plain += did.ci_low <= 2.0 <= did.ci_high
    assert 0.935 <= cover / n <= 0.965 and plain / n < 0.5


def test_pretrend_needs_two_pre_periods():
    rng = np.random.default_rng(3)
    ue = unit_effect(_panel(_trend_matrix(rng, T=4, g=1), [1] + [-1] * 8), unit="U000", outcome="ikm",
                     placebo=False)
    from evaltools._notes import note

    assert math.isnan(ue.pretrend.value) and ue.pretrend.note == note("one_pre_period")

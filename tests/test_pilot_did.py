"""Balance, 2x2 / TWFE difference-in-differences and few-cluster inference (evaltools.pilot: _did, _ols,
_wild, _randinf, _balance).

Reference numbers are the published ones (source named at each test); the data files are
read from ../shared/reference/did and the tests skip when that folder is absent.
"""
from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import HealthCheck, given, settings, strategies as st

from evaltools import DataError
from evaltools.pilot import balance_table, did, randomization_inference, wild_cluster_bootstrap

REF = Path(__file__).resolve().parents[2] / "shared" / "reference" / "did"


def _read(name: str) -> pd.DataFrame:
    path = REF / name
    if not path.exists():
        pytest.skip(f"reference data {path} not available (shared/reference is outside the repository)")
    return pd.read_csv(path)


def _panel(n_units=12, n_periods=4, n_treated=5, effect=1.0, seed=0, start=2, cluster_size=1):
    """Balanced panel with unit and period effects and a treatment effect after ``start``."""
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(n_periods), n_units)
    treated = (u < n_treated).astype(int)
    post = (t >= start).astype(int)
    y = rng.normal(size=n_units)[u] + 0.5 * t + effect * treated * post + rng.normal(size=u.size)
    return pd.DataFrame({"unit": [f"u{i:03d}" for i in u], "period": t, "treated": treated, "post": post,
                         "y": y, "cluster": u // cluster_size})


# --------------------------------------------------------------------------------------
# published 2x2 examples
# --------------------------------------------------------------------------------------
def _card_krueger_balanced() -> pd.DataFrame:
    ck = _read("card_krueger_mhe.csv")
    ck = ck.dropna(subset=["fte"])
    return ck[ck.groupby("id")["fte"].transform("size") == 2]


def test_card_krueger_balanced_did():
    """Card & Krueger (1994, AER 84(4), Table 3 row 4, balanced sample of stores): change in
    mean FTE employment NJ 0.47 (0.48), PA -2.28 (1.25), difference-in-differences 2.75 (1.34).
    With store fixed effects and store clusters the TWFE coefficient is that difference and the
    CR1 SE reproduces the published two-sample SE to the reported precision."""
    ck = _card_krueger_balanced()
    assert ck["id"].nunique() == 384
    r = did(ck, outcome="fte", unit="id", period="d", treated="nj", post="d", inference="cluster")
    assert r.value == pytest.approx(2.75, abs=0.005)
    assert r.se == pytest.approx(1.34, abs=0.005)
    assert r.n_clusters == 384 and r.design == "twfe"
    assert r.pval == pytest.approx(r.pval_cr1)
    # 384 store clusters >= 50: auto keeps CR1 as the headline
    auto = did(ck, outcome="fte", unit="id", period="d", treated="nj", post="d")
    assert auto.inference == "cluster" and math.isnan(auto.pval_wild)


def test_card_krueger_unbalanced_uses_stores_seen_twice():
    """TWFE with store effects: a store observed in one wave only cannot inform the
    within-store change, so the full extract gives the balanced-sample 2.75 (CK Table 3 row 4),
    not the difference of wave means 2.76 (row 3), and says the panel is unbalanced."""
    ck = _read("card_krueger_mhe.csv")
    r = did(ck, outcome="fte", unit="id", period="d", treated="nj", post="d", inference="cluster")
    assert r.value == pytest.approx(2.75, abs=0.005)
    assert "unbalanced" in r.note and "missing 'fte' dropped" in r.note
    assert not r.balanced


def test_card_krueger_wave1_balance_table():
    """Card & Krueger (1994, Table 2): store types NJ / PA (%) Burger King 41.1 / 44.3,
    KFC 20.5 / 15.2, Roy Rogers 24.8 / 21.5, Wendy's 13.6 / 19.0, company-owned 34.1 / 35.4;
    wave-1 FTE employment 20.4 (0.51) / 23.3 (1.35). The SMD is Austin's (2009) pooled-SD one."""
    ck = _read("card_krueger_mhe.csv")
    tab = balance_table(ck, treated="nj", covariates=["bk", "kfc", "roys", "wendys", "co_owned", "fte"],
                        unit="id", period="d", pre=[0]).set_index("variable")
    published = {"bk": (41.1, 44.3), "kfc": (20.5, 15.2), "roys": (24.8, 21.5), "wendys": (13.6, 19.0),
                 "co_owned": (34.1, 35.4)}
    for v, (nj, pa) in published.items():
        assert 100 * tab.loc[v, "mean_treated"] == pytest.approx(nj, abs=0.05)
        assert 100 * tab.loc[v, "mean_control"] == pytest.approx(pa, abs=0.05)
        p1, p0 = tab.loc[v, "mean_treated"], tab.loc[v, "mean_control"]
        assert tab.loc[v, "smd"] == pytest.approx((p1 - p0) / math.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2))
        assert math.isnan(tab.loc[v, "variance_ratio"])
    fte = tab.loc["fte"]
    assert fte["mean_treated"] == pytest.approx(20.4, abs=0.05)
    assert fte["mean_control"] == pytest.approx(23.3, abs=0.05)
    assert fte["sd_treated"] / math.sqrt(fte["n_treated"]) == pytest.approx(0.51, abs=0.005)
    assert fte["sd_control"] / math.sqrt(fte["n_control"]) == pytest.approx(1.35, abs=0.005)
    smd = (fte["mean_treated"] - fte["mean_control"]) / math.sqrt((fte["sd_treated"] ** 2 + fte["sd_control"] ** 2) / 2)
    assert fte["smd"] == pytest.approx(smd)
    assert fte["variance_ratio"] == pytest.approx(fte["sd_treated"] ** 2 / fte["sd_control"] ** 2)
    assert fte["flag"] == "|SMD| > 0.25" and tab.loc["kfc", "flag"] == "|SMD| > 0.1" and tab.loc["bk", "flag"] == "ok"


def test_wooldridge_kielmc_example_13_3():
    """Wooldridge, Introductory Econometrics, Example 13.3 (eq. 13.7): rprice on y81, nearinc,
    y81*nearinc: delta1 = -11,863.9 (SE 7,456.65), n = 321. Repeated cross-sections, so the
    treated-group dummy replaces unit effects; ``se_iid`` is the textbook OLS SE and the CR1
    SE with one-observation clusters is statsmodels' HC1."""
    k = _read("wooldridge_kielmc.csv")
    k["house"] = np.arange(len(k))
    r = did(k, outcome="rprice", unit="house", period="year", treated="nearinc", post="y81")
    assert r.design == "2x2 pooled"
    assert r.value == pytest.approx(-11863.9, abs=0.05)
    assert r.se_iid == pytest.approx(7456.65, abs=0.01)
    hc1 = smf.ols("rprice ~ y81 + nearinc + y81nrinc", k).fit(cov_type="HC1").bse["y81nrinc"]
    assert r.se == pytest.approx(hc1, rel=1e-9)


def test_wooldridge_injury_example_13_4():
    """Wooldridge, Example 13.4 (Meyer, Viscusi & Durbin 1995), Kentucky: log(durat) on afchnge,
    highearn, afchnge*highearn: .191 (SE .069), n = 5,626."""
    inj = _read("wooldridge_injury.csv")
    ky = inj[inj["ky"] == 1].copy()
    ky["worker"] = np.arange(len(ky))
    r = did(ky, outcome="ldurat", unit="worker", period="afchnge", treated="highearn", post="afchnge")
    assert r.n_obs == 5626
    assert r.value == pytest.approx(0.191, abs=0.0005)
    assert r.se_iid == pytest.approx(0.069, abs=0.0005)


def _organ() -> pd.DataFrame:
    od = _read("organ_donations.csv")
    od["california"] = (od["State"] == "California").astype(int)
    od["after"] = od["Quarter"].isin(["Q32011", "Q42011", "Q12012"]).astype(int)
    return od


def test_organ_donations_reghdfe():
    """Huntington-Klein, The Effect, ch. 18 (organ donations, Kessler & Roth 2014): Stata
    ``reghdfe rate Treated, a(state quarter) vce(cluster state)``: -.022459 (SE .0061312),
    t = -3.66, 95% CI [-.0350619, -.0098561], 27 clusters (state effects nested in clusters
    are not counted in the small-sample factor)."""
    od = _organ()
    r = did(od, outcome="Rate", unit="State", period="Quarter", treated="california", post="after",
            inference="cluster")
    assert r.value == pytest.approx(-0.022459, abs=5e-7)
    assert r.se == pytest.approx(0.0061312, abs=5e-8)
    assert r.t == pytest.approx(-3.66, abs=0.005)
    assert r.ci_low == pytest.approx(-0.0350619, abs=1e-7)
    assert r.ci_high == pytest.approx(-0.0098561, abs=1e-7)
    assert r.n_clusters == 27 and r.df == 26
    assert "single treated unit" in r.note


def test_organ_donations_few_clusters_headline_is_wild():
    od = _organ()
    r = did(od, outcome="Rate", unit="State", period="Quarter", treated="california", post="after",
            seed=1, n_boot=1999)
    assert r.inference == "wild"
    assert "headline p-value and CI: wild cluster bootstrap" in r.note and "CR1 cluster-robust p" in r.note
    assert r.pval == r.pval_wild and r.ci_low == r.ci_low_wild
    assert r.pval_cr1 == pytest.approx(0.0011, abs=5e-5)
    # one treated cluster: the bootstrap is far less confident than CR1 (MacKinnon & Webb 2017)
    assert r.pval > r.pval_cr1 and r.ci_high - r.ci_low > r.ci_high_cr1 - r.ci_low_cr1


def test_petersen_clustered_se():
    """Petersen (2009) test data (sandwich::PetersenCL; sandwich README): y ~ x, coefficient
    1.0348, OLS SE 0.0286, firm-clustered SE 0.0506 (t 20.45), year-clustered SE 0.0334.
    The wildboottest README reports t = 20.453, p = 0.000 for the firm-clustered WCR test."""
    p = _read("petersen_cl.csv")
    firm = wild_cluster_bootstrap(p, outcome="y", param="x", cluster="firm", n_boot=999, seed=3)
    assert firm.value == pytest.approx(1.0348, abs=5e-5)
    assert firm.se == pytest.approx(0.0506, abs=5e-5)
    assert firm.t == pytest.approx(20.453, abs=5e-4)
    assert firm.pval == 0.0 and firm.n_clusters == 500
    year = wild_cluster_bootstrap(p, outcome="y", param="x", cluster="year", n_boot=9999, seed=3)
    assert year.se == pytest.approx(0.0334, abs=5e-5)
    assert year.enumerated and year.n_draws == 2 ** 10
    # statsmodels' own one-way cluster SE (same CR1 factor without fixed effects)
    ols = sm.OLS(p["y"], sm.add_constant(p["x"]))
    for col, res in (("firm", firm), ("year", year)):
        sm_se = ols.fit(cov_type="cluster", cov_kwds={"groups": p[col]}).bse["x"]
        assert res.se == pytest.approx(sm_se, rel=1e-10)
    assert ols.fit().bse["x"] == pytest.approx(0.0286, abs=5e-5)


# --------------------------------------------------------------------------------------
# cluster-robust SE against statsmodels with explicit dummies
# --------------------------------------------------------------------------------------
def test_twfe_matches_statsmodels_dummies_unbalanced():
    """Absorbed unit/period effects (alternating projections) give statsmodels' dummy-variable
    coefficient; its cluster SE, rescaled from its K (all dummies) to ours (fixed effects
    nested in clusters not counted, as Stata), is ours."""
    d = _panel(n_units=30, n_periods=5, n_treated=12, seed=4, cluster_size=3)
    d = d.drop(index=[3, 17, 40, 41, 77, 120]).reset_index(drop=True)  # unbalanced
    r = did(d, outcome="y", unit="unit", period="period", treated="treated", post="post", cluster="cluster",
            inference="cluster")
    d["D"] = d["treated"] * d["post"]
    fit = smf.ols("y ~ D + C(unit) + C(period)", d).fit(cov_type="cluster", cov_kwds={"groups": d["cluster"]})
    assert r.value == pytest.approx(fit.params["D"], rel=1e-10)
    n, k_sm = len(d), len(fit.params)
    k_ours = 1 + (5 - 1) + 1  # D, period effects, intercept; unit effects nested in clusters
    assert r.se == pytest.approx(fit.bse["D"] * math.sqrt((n - k_sm) / (n - k_ours)), rel=1e-8)
    assert r.se_iid == pytest.approx(smf.ols("y ~ D + C(unit) + C(period)", d).fit().bse["D"], rel=1e-8)
    assert "unbalanced" in r.note


# --------------------------------------------------------------------------------------
# wild cluster bootstrap against a loop reference (each draw refitted by least squares)
# --------------------------------------------------------------------------------------
def _wcr_loop(y, X, cluster, j, fe_dummies, null=0.0):
    """Textbook WCR (Cameron, Gelbach & Miller 2008, sec. 3.2; MacKinnon, Nielsen & Webb 2023,
    WCR-C): impose the null, flip restricted residuals by cluster, refit, CR1 t. One Python
    iteration per draw: the slow reference the vectorized code must equal."""
    Xf = np.column_stack([X, fe_dummies])
    codes, G = pd.factorize(cluster)[0], len(np.unique(cluster))
    n, kf = Xf.shape

    def cr1_t(yy):
        b, *_ = np.linalg.lstsq(Xf, yy, rcond=None)
        e = yy - Xf @ b
        XtXi = np.linalg.pinv(Xf.T @ Xf)
        S = np.zeros((G, kf))
        np.add.at(S, codes, Xf * e[:, None])
        return b[j], S, XtXi, e

    b, S, XtXi, _ = cr1_t(y)
    rank = np.linalg.matrix_rank(Xf)
    k_cl = rank  # here: no fixed effect nested in clusters, so K = rank
    ssc = G / (G - 1) * (n - 1) / (n - k_cl)
    se = math.sqrt(ssc * (XtXi @ S.T @ S @ XtXi)[j, j])
    t_obs = (b - null) / se
    Xr = np.delete(Xf, j, axis=1)
    yr = y - null * Xf[:, j]
    br, *_ = np.linalg.lstsq(Xr, yr, rcond=None)
    u = yr - Xr @ br
    fitted = y - u
    ts = []
    for v in itertools.product([-1.0, 1.0], repeat=G):
        ystar = fitted + u * np.asarray(v)[codes]
        bs, Ss, _, _ = cr1_t(ystar)
        ses = math.sqrt(ssc * (XtXi @ Ss.T @ Ss @ XtXi)[j, j])
        ts.append((bs - null) / ses)
    ts = np.abs(np.array(ts))
    return float(np.mean(ts >= abs(t_obs) * (1 - 1e-9))), t_obs


def test_wild_bootstrap_equals_loop_reference_enumerated():
    """All 2^8 Rademacher draws: the matrix-product bootstrap equals refitting every draw."""
    rng = np.random.default_rng(11)
    n, G = 160, 8
    cl = rng.integers(0, G, n)
    x1 = rng.normal(size=n) + 0.3 * cl
    x2 = rng.normal(size=n)
    grp = rng.integers(0, 3, n)  # a fixed effect that cuts across clusters
    y = 0.15 * x1 - 0.4 * x2 + 0.3 * grp + rng.normal(size=n) + rng.normal(size=G)[cl]
    df = pd.DataFrame({"y": y, "x1": x1, "x2": x2, "cl": cl, "grp": grp})
    dummies = pd.get_dummies(df["grp"]).to_numpy(dtype=float)
    for null in (0.0, 0.1):
        ours = wild_cluster_bootstrap(df, outcome="y", param="x1", covariates=["x2"], absorb=["grp"],
                                      cluster="cl", null=null, n_boot=9999)
        assert ours.enumerated and ours.n_draws == 256
        p_loop, t_loop = _wcr_loop(y, np.column_stack([x1, x2]), cl, 0, dummies, null=null)
        assert ours.pval == pytest.approx(p_loop, abs=1e-12)
        assert (ours.value - null) / ours.se == pytest.approx(t_loop, rel=1e-9)


def test_wild_bootstrap_ci_is_test_inversion():
    """The interval ends are where the bootstrap p-value crosses alpha (boottest's definition)."""
    d = _panel(n_units=12, n_periods=4, n_treated=5, seed=5)
    r = did(d, outcome="y", unit="unit", period="period", treated="treated", post="post", inference="wild",
            n_boot=9999)
    assert r.wild_enumerated and r.wild_draws == 2 ** 12
    d["D"] = d["treated"] * d["post"]
    eps = 1e-6 * r.se
    for end, inside in ((r.ci_low, r.ci_low + eps), (r.ci_high, r.ci_high - eps)):
        p_in = wild_cluster_bootstrap(d, outcome="y", param="D", cluster="unit", absorb=["unit", "period"],
                                      null=inside).pval
        p_out = wild_cluster_bootstrap(d, outcome="y", param="D", cluster="unit", absorb=["unit", "period"],
                                       null=2 * end - inside).pval
        assert p_in > 0.05 >= p_out
    assert r.ci_low < r.value < r.ci_high


def test_wild_webb_and_unbounded_ci():
    """Webb weights with 4 clusters: all 6^4 = 1296 vectors are enumerated; Rademacher with 4
    clusters has 16 draws, so p >= 2/16 and the 95% interval cannot be bounded."""
    d = _panel(n_units=4, n_periods=4, n_treated=2, seed=6)
    w = did(d, outcome="y", unit="unit", period="period", treated="treated", post="post", weights="webb")
    assert w.wild_enumerated and w.wild_draws == 6 ** 4
    r = did(d, outcome="y", unit="unit", period="period", treated="treated", post="post")
    assert r.wild_draws == 16
    assert math.isinf(r.ci_low) and math.isinf(r.ci_high) and "unbounded" in r.note
    assert r.pval * 16 == pytest.approx(round(r.pval * 16))


# --------------------------------------------------------------------------------------
# randomization inference
# --------------------------------------------------------------------------------------
def _zero_baseline(df: pd.DataFrame, y: str) -> pd.DataFrame:
    """A cross-section as a two-period panel with outcome 0 before: the DiD is then the
    post-period difference in means, so published cross-sectional Fisher tests apply."""
    pre = df.assign(t=0, post=0, **{y: 0.0})
    return pd.concat([pre, df.assign(t=1, post=1)], ignore_index=True)


def test_mixtape_fisher_exact():
    """Cunningham, Causal Inference: The Mixtape, sec. 4.3 (ri.do / ri.py): 8 units, 4 treated,
    simple difference in means 1.0, all 70 assignments enumerated; the published rank-based
    p-value 0.6 (= 42/70) lies in the tie band of the observed statistic: 40/70 assignments
    below 1 and 46/70 at or below 1."""
    mx = _read("mixtape_ri.csv")
    pan = _zero_baseline(mx, "y")
    two = randomization_inference(pan, outcome="y", unit="name", period="t", treated="d", post="post")
    assert two.value == pytest.approx(1.0)
    assert two.exact and two.n_assignments == 70 and two.n_perm == 70
    assert two.pval == pytest.approx(60 / 70)
    less = randomization_inference(pan, outcome="y", unit="name", period="t", treated="d", post="post",
                                   alternative="less")
    greater = randomization_inference(pan, outcome="y", unit="name", period="t", treated="d", post="post",
                                      alternative="greater")
    assert less.pval == pytest.approx(46 / 70)
    assert 1 - greater.pval == pytest.approx(40 / 70)  # share strictly below the observed 1.0
    assert 1 - greater.pval <= 0.6 <= less.pval


def test_lady_tasting_tea():
    """Fisher (1935), The Design of Experiments, sec. 2; Mixtape tea.py: 8 cups, 4 with milk
    first; identifying all four correctly has probability 1/70 = 0.0143."""
    cups = pd.DataFrame({"cup": range(8), "milk_first": [1, 1, 1, 1, 0, 0, 0, 0],
                         "guess": [1.0, 1, 1, 1, 0, 0, 0, 0]})
    pan = _zero_baseline(cups, "guess")
    r = randomization_inference(pan, outcome="guess", unit="cup", period="t", treated="milk_first", post="post",
                                alternative="greater")
    assert r.pval == pytest.approx(1 / 70)


def test_ri_matches_twfe_and_first_treated_interface():
    d = _panel(n_units=10, n_periods=4, n_treated=4, seed=8, effect=2.0)
    r = did(d, outcome="y", unit="unit", period="period", treated="treated", post="post", inference="ri")
    ri = randomization_inference(d, outcome="y", unit="unit", period="period", treated="treated", post="post")
    assert ri.value == pytest.approx(r.value, rel=1e-10)  # balanced: RI statistic == TWFE coefficient
    assert ri.exact and ri.n_assignments == math.comb(10, 4)
    assert r.inference == "ri" and r.pval == ri.pval and r.ci_low == ri.ci_low
    d["first"] = np.where(d["treated"] == 1, 2, np.nan)
    alt = randomization_inference(d, outcome="y", unit="unit", period="period", first_treated="first")
    assert alt.pval == ri.pval and alt.value == pytest.approx(ri.value)
    # the RI interval inverts the constant-effect test: p just inside the ends exceeds alpha
    shift = d["y"] - (ri.ci_low + 1e-7) * d["treated"] * d["post"]
    inside = randomization_inference(d.assign(y=shift), outcome="y", unit="unit", period="period",
                                     treated="treated", post="post")
    assert inside.pval > 0.05


def test_did_n_perm_counts_permutations_and_n_boot_is_its_deprecated_alias():
    """One name per concept: ``n_perm`` counts the assignments of ``inference="ri"``; the old
    spelling ``n_boot`` still sets it, with a DeprecationWarning, and gives the same result."""
    import warnings

    d = _panel(n_units=14, n_periods=3, n_treated=6, seed=12, effect=1.0)  # C(14, 6) = 3003 assignments
    kw = dict(outcome="y", unit="unit", period="period", treated="treated", post="post", inference="ri", seed=5)
    new = did(d, n_perm=999, **kw)
    with pytest.warns(DeprecationWarning, match="n_perm"):
        old = did(d, n_boot=999, **kw)
    assert not new.ri_exact and new.ri_assignments == 3003  # 999 < 3003: Monte Carlo
    assert old.pval == new.pval and (old.ci_low, old.ci_high) == (new.ci_low, new.ci_high)
    # the default enumerates all 3003: the count passed really is the one used
    assert did(d, **kw).ri_exact
    # n_boot keeps its own meaning for the wild bootstrap, without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        w = did(d, outcome="y", unit="unit", period="period", treated="treated", post="post",
                inference="wild", n_boot=99, seed=5)
    assert w.wild_draws == 99


def test_ri_monte_carlo_when_too_many_assignments():
    d = _panel(n_units=30, n_periods=3, n_treated=10, seed=9)
    r = randomization_inference(d, outcome="y", unit="unit", period="period", treated="treated", post="post",
                                n_perm=499, seed=1)
    assert not r.exact and r.n_perm == 499
    assert 1 / 500 <= r.pval <= 1
    again = randomization_inference(d, outcome="y", unit="unit", period="period", treated="treated", post="post",
                                    n_perm=499, seed=1)
    assert again.pval == r.pval


def test_ri_staggered_permutes_waves():
    stag = pytest.importorskip("evaltools.pilot._staggered")
    if not hasattr(stag, "staggered_att"):
        pytest.skip("staggered_att not available")
    rng = np.random.default_rng(2)
    units = np.arange(6)
    first = np.array([3, 3, 4, 0, 0, 0])
    rows = []
    for u in units:
        for t in range(1, 6):
            eff = 1.0 if first[u] and t >= first[u] else 0.0
            rows.append((u, t, first[u], rng.normal() + 0.2 * t + eff))
    d = pd.DataFrame(rows, columns=["unit", "period", "first", "y"])
    r = randomization_inference(d, outcome="y", unit="unit", period="period", first_treated="first",
                                estimator="staggered", n_perm=1000)
    assert r.exact and r.n_assignments == math.factorial(6) // (2 * 1 * 6)
    assert 1 / r.n_assignments <= r.pval <= 1


# --------------------------------------------------------------------------------------
# balance table on a panel: pre-period levels and trends
# --------------------------------------------------------------------------------------
def test_balance_pre_trends():
    rows = []
    for u in range(6):
        tr = int(u < 3)
        for t in range(5):
            slope = 2.0 if tr else 1.0
            rows.append({"unit": u, "period": t, "treated": tr, "y": 10 + u + slope * t,
                         "size": 100 + 10 * u, "pred": ["Baik", "Istimewa"][u % 2], "pre": int(t < 3)})
    d = pd.DataFrame(rows)
    tab = balance_table(d, treated="treated", covariates=["size", "pred"], unit="unit", period="period",
                        outcome="y", pre="pre").set_index("variable")
    assert tab.loc["pre_trend:y", "mean_treated"] == pytest.approx(2.0)
    assert tab.loc["pre_trend:y", "mean_control"] == pytest.approx(1.0)
    assert tab.loc["pre_trend:y", "note"] == "no variation within arms: SMD undefined"
    assert math.isnan(tab.loc["pre_trend:y", "smd"])
    assert tab.loc["pre_level:y", "mean_treated"] == pytest.approx(10 + 1 + 2 * 1)  # units 0-2, t 0-2
    assert tab.loc["size", "smd"] == pytest.approx(-30 / 10)  # means 110 vs 140, both SDs 10
    assert tab.loc["size", "variance_ratio"] == pytest.approx(1.0)
    assert {"pred=Baik", "pred=Istimewa"} <= set(tab.index)
    assert list(tab.columns) == ["mean_treated", "mean_control", "sd_treated", "sd_control", "smd",
                                 "variance_ratio", "n_treated", "n_control", "flag", "note"]


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------
def test_bad_input_messages():
    d = _panel()
    with pytest.raises(DataError, match="outcom"):
        did(d, outcome="outcom", unit="unit", period="period", treated="treated", post="post")
    bad = d.assign(treated=d["treated"] * 2)
    with pytest.raises(DataError) as e:
        did(bad, outcome="y", unit="unit", period="period", treated="treated", post="post")
    assert e.value.column == "treated"
    varying = d.assign(treated=d["treated"] * d["post"])
    with pytest.raises(DataError, match="constant within each unit"):
        did(varying, outcome="y", unit="unit", period="period", treated="treated", post="post")
    with pytest.raises(ValueError, match="inference"):
        did(d, outcome="y", unit="unit", period="period", treated="treated", post="post", inference="boot")


@pytest.mark.parametrize("mutate, reason", [
    (lambda d: d.assign(post=1), "no pre-period"),
    (lambda d: d.assign(post=0), "no post-period"),
    (lambda d: d.assign(treated=1), "no control units"),
    (lambda d: d.assign(treated=0), "no treated units"),
    (lambda d: d.assign(y=3.0), "is constant"),
])
def test_undefined_is_nan_with_reason(mutate, reason):
    r = did(mutate(_panel()), outcome="y", unit="unit", period="period", treated="treated", post="post")
    assert math.isnan(r.value) and math.isnan(r.pval) and reason in r.note
    ri = randomization_inference(mutate(_panel()), outcome="y", unit="unit", period="period", treated="treated",
                                 post="post")
    assert math.isnan(ri.pval) and ri.note


def test_single_treated_unit_note():
    r = did(_panel(n_treated=1), outcome="y", unit="unit", period="period", treated="treated", post="post")
    assert np.isfinite(r.value) and "single treated unit" in r.note


# --------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), shift=st.floats(-50, 50), perm_seed=st.integers(0, 100))
def test_did_invariant_to_unit_labels_and_fixed_effects(seed, shift, perm_seed):
    d = _panel(n_units=9, n_periods=3, n_treated=4, seed=seed, start=1)
    base = did(d, outcome="y", unit="unit", period="period", treated="treated", post="post")
    rng = np.random.default_rng(perm_seed)
    labels = dict(zip(d["unit"].unique(), rng.permutation([f"z{i}" for i in range(9)])))
    unit_shift = {u: shift * (i + 1) for i, u in enumerate(d["unit"].unique())}
    e = d.assign(unit=d["unit"].map(labels), y=d["y"] + d["unit"].map(unit_shift) + shift * d["period"])
    e = e.sample(frac=1.0, random_state=perm_seed)
    other = did(e, outcome="y", unit="unit", period="period", treated="treated", post="post")
    assert other.value == pytest.approx(base.value, abs=1e-8)
    assert other.se == pytest.approx(base.se, rel=1e-6)
    # all 2^9 sign vectors enumerated: the bootstrap p-value cannot depend on cluster order
    assert base.wild_enumerated and other.pval_wild == pytest.approx(base.pval_wild, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 9), data=st.data())
def test_ri_pvalue_bounds(n, data):
    n1 = data.draw(st.integers(1, n - 1))
    seed = data.draw(st.integers(0, 1000))
    d = _panel(n_units=n, n_periods=2, n_treated=n1, seed=seed, start=1)
    r = randomization_inference(d, outcome="y", unit="unit", period="period", treated="treated", post="post")
    N = math.comb(n, n1)
    assert r.exact and r.n_assignments == N
    assert 1 / N - 1e-12 <= r.pval <= 1
    assert r.pval * N == pytest.approx(round(r.pval * N))
    assert r.ci_low <= r.value <= r.ci_high


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), G=st.integers(3, 10))
def test_wild_enumerated_pvalue_is_multiple_of_draws(seed, G):
    d = _panel(n_units=G, n_periods=3, n_treated=max(1, G // 2), seed=seed, start=1)
    r = did(d, outcome="y", unit="unit", period="period", treated="treated", post="post")
    assert r.wild_enumerated and r.wild_draws == 2 ** G
    assert 0 <= r.pval <= 1 and r.pval * 2 ** G == pytest.approx(round(r.pval * 2 ** G))


# --------------------------------------------------------------------------------------
# small coverage study
# --------------------------------------------------------------------------------------
def test_coverage_small_study():
    """20 clusters of 3 units, cluster-level shocks, true effect 1: the CR1 and wild intervals
    cover it at about the nominal 95% (80 replications; binomial SD ~2.4 points)."""
    cover_cr1 = cover_wild = 0
    reps = 80
    for s in range(reps):
        rng = np.random.default_rng(1000 + s)
        d = _panel(n_units=60, n_periods=4, n_treated=24, seed=s, cluster_size=3, effect=1.0)
        d["y"] += rng.normal(scale=1.0, size=20)[d["cluster"]] * d["post"]  # cluster-period shock
        r = did(d, outcome="y", unit="unit", period="period", treated="treated", post="post", cluster="cluster",
                n_boot=399, seed=s)
        cover_cr1 += r.ci_low_cr1 <= 1.0 <= r.ci_high_cr1
        cover_wild += r.ci_low_wild <= 1.0 <= r.ci_high_wild
    assert 0.85 <= cover_cr1 / reps <= 1.0
    assert 0.85 <= cover_wild / reps <= 1.0


def test_did_wild_equals_loop_reference_with_period_effects():
    """In did() the unit effects are nested in the unit clusters but the period effects cut
    across them: every draw must re-estimate the period effects, as the loop reference does."""
    d = _panel(n_units=8, n_periods=4, n_treated=3, seed=21)
    r = did(d, outcome="y", unit="unit", period="period", treated="treated", post="post")
    assert r.wild_enumerated and r.wild_draws == 256
    dummies = np.column_stack([pd.get_dummies(d["unit"]).to_numpy(float),
                               pd.get_dummies(d["period"]).to_numpy(float)[:, 1:]])
    D = (d["treated"] * d["post"]).to_numpy(float)[:, None]
    p_loop, _ = _wcr_loop(d["y"].to_numpy(), D, d["unit"].to_numpy(), 0, dummies)
    assert r.pval_wild == pytest.approx(p_loop, abs=1e-12)


def test_ri_staggered_single_wave_two_periods_equals_did_ri():
    """With one wave and two periods the Callaway-Sant'Anna ATT is the 2x2 DiD, so permuting
    first_treated must give exactly the did permutation distribution and p-value."""
    pytest.importorskip("evaltools.pilot._staggered")
    d = _panel(n_units=9, n_periods=2, n_treated=4, seed=31, start=1, effect=1.5)
    d["period"] = d["period"] + 1
    d["first"] = np.where(d["treated"] == 1, 2, 0)
    a = randomization_inference(d, outcome="y", unit="unit", period="period", treated="treated", post="post")
    b = randomization_inference(d, outcome="y", unit="unit", period="period", first_treated="first",
                                estimator="staggered", n_perm=1000)
    assert b.exact and b.n_assignments == a.n_assignments == math.comb(9, 4)
    assert b.value == pytest.approx(a.value, rel=1e-10)
    assert b.pval == pytest.approx(a.pval)


def test_balance_bad_input_and_cross_section():
    units = pd.DataFrame({"unit": list("abcdef"), "pilot": [1, 1, 1, 0, 0, 0], "size": [1.0, 2, 3, 2, 3, 4]})
    tab = balance_table(units, treated="pilot", covariates=["size"])
    assert tab.loc[0, "smd"] == pytest.approx(-1.0)  # means 2 vs 3, both SDs 1 (Austin 2009 eq. 1)
    with pytest.raises(DataError, match="siz"):
        balance_table(units, treated="pilot", covariates=["siz"])
    with pytest.raises(ValueError, match="panel"):
        balance_table(units, treated="pilot", covariates=["size"], outcome="size")
    with pytest.raises(DataError) as e:
        balance_table(units.assign(pilot=[2, 1, 1, 0, 0, 0]), treated="pilot", covariates=["size"])
    assert e.value.column == "pilot"


def test_inference_modes():
    d = _panel(n_units=60, n_periods=3, n_treated=20, seed=41, start=1)
    auto = did(d, outcome="y", unit="unit", period="period", treated="treated", post="post")
    assert auto.inference == "cluster" and auto.n_clusters == 60 and math.isnan(auto.pval_wild)
    wild = did(d, outcome="y", unit="unit", period="period", treated="treated", post="post", inference="wild",
               n_boot=999, seed=2)
    assert wild.inference == "wild" and wild.wild_draws == 999 and not wild.wild_enumerated
    assert wild.pval == wild.pval_wild and wild.pval_cr1 == pytest.approx(auto.pval)
    assert wild.ci_low < wild.value < wild.ci_high
    small = did(d[(d["unit"] < "u005") | (d["unit"] > "u049")], outcome="y", unit="unit", period="period", treated="treated", post="post",
                inference="cluster")
    assert small.inference == "cluster" and small.n_clusters == 15 and math.isnan(small.pval_wild)
    empty = did(d.assign(treated=1), outcome="y", unit="unit", period="period", treated="treated", post="post")
    assert set(auto.extra) <= set(empty.extra) and math.isnan(empty.pval_cr1)  # same keys when undefined

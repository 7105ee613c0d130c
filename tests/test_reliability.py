"""Tests of evaltools.reliability against published worked examples and peer packages.

Every expected number below is typed from a published source, named next to it:
papers (Shrout & Fleiss 1979; Fleiss 1971; Krippendorff 2011; Fleiss, Cohen & Everitt
1969 via SAS), R package documentation (psych, irr, irrCAC, DescTools) and pingouin's
documented output. Peer packages installed here (pingouin, krippendorff, statsmodels,
scipy) are cross-checked on random data.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools import reliability as rl
from evaltools._errors import DataError

KW = dict(subject="s", rater="r", score="x")
nan = np.nan


def long(mat, drop_missing: bool = True) -> pd.DataFrame:
    """subjects x raters matrix -> long table (s, r, x)."""
    mat = np.asarray(mat, dtype=float)
    n, m = mat.shape
    df = pd.DataFrame({"s": np.repeat(np.arange(n), m), "r": np.tile(np.arange(m), n), "x": mat.ravel()})
    return df[df.x.notna()].reset_index(drop=True) if drop_missing else df


def from_table(table) -> pd.DataFrame:
    """Two-rater contingency table -> long table (categories 1..q)."""
    table = np.asarray(table)
    rows = [(i + 1, j + 1) for i in range(table.shape[0]) for j in range(table.shape[1]) for _ in range(table[i, j])]
    return long(np.array(rows))


# ---------------------------------------------------------------------------
# Published data
# ---------------------------------------------------------------------------

# Shrout & Fleiss (1979), Psychological Bulletin 86(2), Table 2: 6 targets x 4 judges
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])

# Krippendorff (2011) 'Computing Krippendorff's alpha-reliability', p. 3 (reliability data with
# missing values; 4 observers x 12 units) = irrCAC's cac.raw4raters (transposed)
KRIPP = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
])
RAW4 = KRIPP.T

# Fleiss (1971) psychiatric diagnoses, 30 patients x 6 raters (R irr `diagnoses`, as typed in
# statsmodels' test_inter_rater.py)
DIAGNOSES = np.array([
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
])

# R irr `anxiety` data (20 subjects x 3 raters), as printed in the DescTools KendallW docs
ANXIETY = np.array([
    [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3],
    [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4],
    [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2],
]).T

# irrCAC README: cont3x3abstractors (2 raters, Ectopic / AIU / NIU)
CONT3X3 = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]

# SAS PROC FREQ example table as kept in statsmodels' test_inter_rater.py (table10)
SAS_TABLE = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]


# ---------------------------------------------------------------------------
# ICC
# ---------------------------------------------------------------------------

def test_icc_shrout_fleiss_table2():
    """Shrout & Fleiss (1979) p. 423: ICC(1,1)=.17, (2,1)=.29, (3,1)=.71, (1,k)=.44, (2,k)=.62, (3,k)=.91.

    F, df and 95% limits: psych::ICC documented output on the same data (psych manual,
    ICC example `ICC(sf)`): ICC1 F=1.8 (5,18) p=.16 [-.133, .72]; ICC2/3 F=11 (5,15)
    p=.00013; ICC2 [.019, .76]; ICC3 [.342, .95]; ICC1k [-.884, .91]; ICC2k [.071, .93];
    ICC3k [.676, .99]. S&F Table 2 mean squares: BMS 11.24, WMS 6.26, EMS 1.02.
    """
    res = rl.icc(long(SHROUT_FLEISS), **KW)
    assert list(res.index) == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    for col in ("icc", "F", "df1", "df2", "pval", "ci_low", "ci_high", "description"):
        assert col in res.columns
    np.testing.assert_allclose(res.icc.round(2), [0.17, 0.29, 0.71, 0.44, 0.62, 0.91])
    assert res.loc["ICC1", "F"] == pytest.approx(11.24 / 6.26, abs=0.005)
    assert res.loc["ICC3", "F"] == pytest.approx(11.24 / 1.02, abs=0.03)
    assert tuple(res.loc["ICC1", ["df1", "df2"]]) == (5, 18)
    assert tuple(res.loc["ICC2", ["df1", "df2"]]) == (5, 15)
    assert res.loc["ICC1", "pval"] == pytest.approx(0.16477, abs=5e-6)
    assert res.loc["ICC2", "pval"] == pytest.approx(0.00013, abs=5e-6)
    psych_ci = {"ICC1": (-0.133, 0.72), "ICC2": (0.019, 0.76), "ICC3": (0.342, 0.95),
                "ICC1k": (-0.884, 0.91), "ICC2k": (0.071, 0.93), "ICC3k": (0.676, 0.99)}
    for name, (lo, hi) in psych_ci.items():
        assert round(res.loc[name, "ci_low"], 3) == pytest.approx(lo, abs=1e-9), name
        assert round(res.loc[name, "ci_high"], 2) == pytest.approx(hi, abs=1e-9), name
    assert "McGraw & Wong" in res.loc["ICC2", "description"] and "ICC(A,1)" in res.loc["ICC2", "description"]
    assert (res.note == "").all()


def test_icc_pingouin_documented_wine_example():
    """pingouin.intraclass_corr docstring: wine data (8 wines x 4 judges), rounded to 3 decimals."""
    pg = pytest.importorskip("pingouin")
    data = pg.read_dataset("icc")
    res = rl.icc(data, subject="Wine", rater="Judge", score="Scores")
    np.testing.assert_allclose(res.icc.round(3), [0.728, 0.728, 0.729, 0.914, 0.914, 0.915])
    np.testing.assert_allclose(res.F.round(3), [11.680, 11.787, 11.787, 11.680, 11.787, 11.787])
    assert list(res.df2) == [24, 21, 21, 24, 21, 21]
    np.testing.assert_allclose(res.ci_low.round(2), [0.43, 0.43, 0.43, 0.75, 0.75, 0.75])
    np.testing.assert_allclose(res.ci_high.round(2), [0.93, 0.93, 0.93, 0.98, 0.98, 0.98])


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside pingouin
def test_icc_matches_pingouin_on_random_data():
    pg = pytest.importorskip("pingouin")
    rng = np.random.default_rng(3)
    n, k = 40, 5
    X = rng.normal(size=(n, 1)) + rng.normal(size=(1, k)) * 0.5 + rng.normal(size=(n, k))
    df = long(X)
    ours = rl.icc(df, **KW)
    ref = pg.intraclass_corr(df, targets="s", raters="r", ratings="x")
    np.testing.assert_allclose(ours.icc.to_numpy(), ref.ICC.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(ours.F.to_numpy(), ref.F.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(ours.pval.to_numpy(), ref.pval.to_numpy(), atol=1e-9)
    ci = np.vstack(ref.CI95.to_numpy())
    # pingouin rounds its interval to 2 decimals
    np.testing.assert_allclose(ours.ci_low.to_numpy(), ci[:, 0], atol=0.0051)
    np.testing.assert_allclose(ours.ci_high.to_numpy(), ci[:, 1], atol=0.0051)


def test_icc_unbalanced_is_documented_in_note():
    X = SHROUT_FLEISS.astype(float).copy()
    X[0, 1] = nan
    X[3, 2] = nan
    res = rl.icc(long(X), **KW)
    assert res.loc["ICC2", "n_subjects"] == 4 and res.loc["ICC1", "n_subjects"] == 6
    assert "4 of 6 subjects" in res.loc["ICC2", "note"] and "2 left out" in res.loc["ICC2", "note"]
    assert "all 6 subjects" in res.loc["ICC1", "note"]
    # one-way ANOVA for unequal group sizes (k0), computed here directly
    df = long(X)
    N, n = len(df), 6
    gm = df.groupby("s").x.agg(["mean", "size"])
    ssb = (gm["size"] * (gm["mean"] - df.x.mean()) ** 2).sum()
    ssw = ((df.x - df.s.map(gm["mean"])) ** 2).sum()
    msb, msw = ssb / (n - 1), ssw / (N - n)
    k0 = (N - (gm["size"] ** 2).sum() / N) / (n - 1)
    assert res.loc["ICC1", "icc"] == pytest.approx((msb - msw) / (msb + (k0 - 1) * msw), rel=1e-12)
    # the two-way rows equal the complete-case analysis
    full = rl.icc(long(np.delete(SHROUT_FLEISS, [0, 3], axis=0)), **KW)
    np.testing.assert_allclose(res.loc[["ICC2", "ICC3", "ICC2k", "ICC3k"], "icc"],
                               full.loc[["ICC2", "ICC3", "ICC2k", "ICC3k"], "icc"], rtol=1e-12)


def test_icc_nested_raters_gives_one_way_only():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"s": np.repeat(np.arange(30), 3), "r": np.arange(90), "x": rng.normal(size=90)})
    res = rl.icc(df, **KW)
    assert np.isfinite(res.loc["ICC1", "icc"])
    assert np.isnan(res.loc["ICC2", "icc"]) and "not crossed" in res.loc["ICC2", "note"]


# ---------------------------------------------------------------------------
# Krippendorff's alpha
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("level,expected", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849),
                                            ("ratio", 0.797)])
def test_alpha_krippendorff_2011_example(level, expected):
    """Krippendorff (2011), 'Computing Krippendorff's alpha-reliability', pp. 3-7."""
    krippendorff = pytest.importorskip("krippendorff")
    est = rl.krippendorff_alpha(long(RAW4), level=level, n_boot=0, **KW)
    assert round(est.value, 3) == expected
    assert est.value == pytest.approx(krippendorff.alpha(KRIPP, level_of_measurement=level), abs=1e-12)
    assert est.n_subjects == 11  # unit 12 has a single value: not pairable


def test_alpha_two_rater_table_irrcac():
    """irrCAC README: krippen2.table(cont3x3abstractors) = 0.7972585."""
    assert rl.krippendorff_alpha(from_table(CONT3X3), n_boot=0, **KW).value == pytest.approx(0.7972585, abs=5e-8)


@pytest.mark.parametrize("level", rl.LEVELS)
def test_alpha_matches_krippendorff_package_random(level, monkeypatch):
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(7)
    X = np.clip(rng.integers(1, 6, (200, 1)) + rng.integers(-1, 2, (200, 5)), 1, 5).astype(float)
    X[rng.random(X.shape) < 0.2] = nan
    ref = krippendorff.alpha(X.T, level_of_measurement=level)
    assert rl.krippendorff_alpha(long(X), level=level, n_boot=0, **KW).value == pytest.approx(ref, abs=1e-12)
    # the many-values paths (moments, mid-ranks, sparse coincidences) agree with the dense one
    monkeypatch.setattr(rl._alpha, "_DENSE_V", 0)
    assert rl.krippendorff_alpha(long(X), level=level, n_boot=0, **KW).value == pytest.approx(ref, abs=1e-12)


def test_alpha_continuous_scores_interval():
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 1)) + rng.normal(scale=0.7, size=(50, 3))
    X[rng.random(X.shape) < 0.1] = nan
    for level in ("interval", "ordinal", "ratio"):
        Y = X + 10 if level == "ratio" else X
        ours = rl.krippendorff_alpha(long(Y), level=level, n_boot=0, **KW).value
        assert ours == pytest.approx(krippendorff.alpha(Y.T, level_of_measurement=level), abs=1e-9), level


def test_alpha_labels_with_declared_categories():
    levels = ["low", "mid", "high", "top", "max"]
    df = long(RAW4)
    df["x"] = pd.Categorical.from_codes(df.x.astype(int) - 1, levels, ordered=True)
    est = rl.krippendorff_alpha(df, level="ordinal", n_boot=0, **KW)
    assert round(est.value, 3) == 0.815
    df2 = df.assign(x=df.x.astype(str))
    assert rl.krippendorff_alpha(df2, level="ordinal", categories=levels, n_boot=0, **KW).value == \
        pytest.approx(est.value, abs=1e-12)


def test_alpha_hayes_krippendorff_bootstrap():
    df = long(RAW4)
    a = rl.krippendorff_alpha(df, level="interval", n_boot=2000, seed=5, **KW)
    b = rl.krippendorff_alpha(df, level="interval", n_boot=2000, seed=5, **KW)
    assert (a.ci_low, a.ci_high, a.se) == (b.ci_low, b.ci_high, b.se)
    assert a.ci_low < a.value < a.ci_high <= 1
    assert 0 < a.se < 0.2
    assert 0 <= a.extra["p_below_0.667"] <= a.extra["p_below_0.800"] <= 1
    # the resampled disagreement is unbiased: the replicates centre on alpha
    assert (a.ci_low + a.ci_high) / 2 == pytest.approx(a.value, abs=0.06)


def test_alpha_subject_bootstrap_weighted_sums_match_explicit_resampling():
    """The weighted-sum replicate equals alpha computed on the explicitly resampled units."""
    rng = np.random.default_rng(11)
    X = np.clip(rng.integers(1, 6, (60, 1)) + rng.integers(-1, 2, (60, 4)), 1, 5).astype(float)
    df = long(X)
    cd = rl._code(df, "s", "r", "x", numeric=True)
    core = rl._alpha_core(cd, "ordinal")
    boot = rl._subject_bootstrap(cd, core, "ordinal", 3, np.random.default_rng(0))
    idx = np.random.default_rng(0).integers(0, 60, size=(3, 60))
    for b in range(3):
        Xb = X[idx[b]]
        ref = rl.krippendorff_alpha(long(Xb), level="ordinal", n_boot=0, **KW).value
        assert boot[b, 0] == pytest.approx(ref, abs=1e-12)
    est = rl.krippendorff_alpha(df, level="ordinal", n_boot=300, seed=1, bootstrap="subjects", **KW)
    assert est.ci_low < est.value < est.ci_high


# ---------------------------------------------------------------------------
# Fleiss, Conger, Scott, Brennan-Prediger, Gwet, percent agreement (irrCAC)
# ---------------------------------------------------------------------------

def test_fleiss_1971_diagnoses_irr():
    """Fleiss (1971): kappa = .430; R irr kappam.fleiss(diagnoses): 0.4302445, z = 17.65183
    (z from the Fleiss, Nee & Landis 1979 null SE; values as recorded in statsmodels' tests)."""
    est = rl.fleiss_kappa(long(DIAGNOSES), **KW)
    assert est.value == pytest.approx(0.4302445, abs=5e-8)
    assert est.z == pytest.approx(17.65183, abs=5e-5)
    assert est.pval < 1e-60
    assert est.n_subjects == 30 and est.n_raters == 6


def test_fleiss_matches_statsmodels_random():
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
    rng = np.random.default_rng(4)
    X = np.clip(rng.integers(1, 5, (80, 1)) + rng.integers(-1, 2, (80, 6)), 1, 4)
    table, _ = aggregate_raters(X)
    assert rl.fleiss_kappa(long(X), **KW).value == pytest.approx(fleiss_kappa(table), abs=1e-12)
    assert rl.scott_pi(long(X), **KW).value == pytest.approx(fleiss_kappa(table), abs=1e-12)


# irrCAC README (Gwet's cac.raw4raters, 12 subjects x 4 raters with missing ratings):
# coefficient, value, se, two-sided p, CI lower (upper capped at 1)
IRRCAC_RAW4 = {
    "percent_agreement": (0.8181818, 0.12561, 4.345373e-05, 0.542),
    "gwet_ac": (0.77544, 0.14295, 0.000208721, 0.461),
    "fleiss_kappa": (0.76117, 0.15302, 0.000419173, 0.424),
    "brennan_prediger": (0.77273, 0.14472, 0.0002375609, 0.454),
}


@pytest.mark.parametrize("name", list(IRRCAC_RAW4))
def test_irrcac_raw4raters(name):
    value, se, p, lo = IRRCAC_RAW4[name]
    est = getattr(rl, name)(long(RAW4), categories=[1, 2, 3, 4, 5], **KW)
    assert est.value == pytest.approx(value, abs=5e-6)
    assert est.se == pytest.approx(se, abs=5e-6)
    assert est.ci_low == pytest.approx(lo, abs=5e-4)
    assert est.ci_high == 1.0
    if name != "fleiss_kappa":  # fleiss' p-value is the FNL z test when balanced, Gwet's t test otherwise
        assert est.pval == pytest.approx(p, rel=1e-3)
    else:
        assert est.pval == pytest.approx(p, rel=1e-3) and "Fleiss-Nee-Landis" in est.note
    assert est.n_subjects == 12 and est.n_raters == 4


def test_conger_raw4raters_is_mean_pairwise_cohen_chance():
    """Conger (1980): chance agreement = mean over rater pairs of sum_k p_gk p_hk.

    irrCAC's README prints 0.76282 (p_e = 0.2334252) for conger.kappa.raw(cac.raw4raters);
    the formula in irrCAC's source (p_e = sum w (pbar pbar' - s2/r)) gives p_e = 0.2358433 on
    these data, which equals Conger's definition computed here from the raters' marginals.
    """
    cats = [1, 2, 3, 4, 5]
    p = np.array([[np.sum(KRIPP[g] == c) for c in cats] / np.sum(~np.isnan(KRIPP[g])) for g in range(4)])
    pe = np.mean([p[a] @ p[b] for a in range(4) for b in range(a + 1, 4)])
    pa = 0.8181818181818182  # irrCAC README, pa of cac.raw4raters
    est = rl.conger_kappa(long(RAW4), **KW)
    assert est.pe == pytest.approx(pe, abs=1e-12)
    assert est.value == pytest.approx((pa - pe) / (1 - pe), abs=1e-12)
    assert 0 < est.se < 0.3


def test_two_rater_table_irrcac_readme():
    """irrCAC README, cont3x3abstractors: Cohen 0.7964094 (se 0.05891072), Scott 0.7962397,
    AC1 0.8493305 (se 0.04321747), BP 0.835 (se 0.04693346), PA 0.89 (se 0.03128898).

    The *.table functions divide the variance by n^2, the raw-data functions (used here) by
    n (n - 1): our SEs are the table SEs times sqrt(n / (n - 1)).
    """
    df = from_table(CONT3X3)
    f = math.sqrt(100 / 99)
    ck = rl.cohen_kappa(df, **KW)
    assert ck.value == pytest.approx(0.7964094, abs=5e-8) and ck.se == pytest.approx(0.05891072, abs=5e-8)
    assert rl.conger_kappa(df, **KW).value == pytest.approx(0.7964094, abs=5e-8)  # = Cohen for 2 raters
    assert rl.scott_pi(df, **KW).value == pytest.approx(0.7962397, abs=5e-8)
    ac = rl.gwet_ac(df, **KW)
    assert ac.value == pytest.approx(0.8493305, abs=5e-8) and ac.se == pytest.approx(0.04321747 * f, abs=5e-8)
    bp = rl.brennan_prediger(df, **KW)
    assert bp.value == pytest.approx(0.835, abs=1e-12) and bp.se == pytest.approx(0.04693346 * f, abs=5e-8)
    pa = rl.percent_agreement(df, **KW)
    assert pa.value == pytest.approx(0.89, abs=1e-12) and pa.se == pytest.approx(0.03128898 * f, abs=5e-8)


def test_weighted_ac2_and_unused_category():
    """AC2 with quadratic weights (Gwet 2014, eq. 5.5) computed by hand on a tiny table; the
    declared-but-unused category 4 changes q, T_w and hence p_e."""
    X = np.array([[1, 1], [2, 2], [3, 2], [1, 2]])
    df = long(X)
    cats = [1, 2, 3, 4]
    W = rl.weight_matrix("quadratic", cats)
    # by hand: pa = mean over subjects of w(x1, x2); pi from pooled marginals
    pa = np.mean([W[a - 1, b - 1] for a, b in X])
    pi = np.bincount(X.ravel() - 1, minlength=4) / 8
    pe = W.sum() / (4 * 3) * np.sum(pi * (1 - pi))
    est = rl.gwet_ac(df, categories=cats, weights="quadratic", **KW)
    assert est.name == "gwet_ac2"
    assert est.value == pytest.approx((pa - pe) / (1 - pe), abs=1e-12)
    assert rl.gwet_ac(df, weights="quadratic", **KW).value != pytest.approx(est.value)


def test_percent_all_raters_agree_diagnoses():
    # subjects on which all 6 psychiatrists agree (irr::agree, tolerance 0): rows 1, 4, 10, 21 and 30
    est = rl.percent_agreement(long(DIAGNOSES), all_raters=True, **KW)
    rows = int(np.sum(DIAGNOSES.min(1) == DIAGNOSES.max(1)))
    assert rows == 5 and est.value == pytest.approx(5 / 30)
    assert est.extra["n_agree"] == rows and est.ci_low < est.value < est.ci_high


# ---------------------------------------------------------------------------
# Cohen's kappa
# ---------------------------------------------------------------------------

def test_cohen_sas_example_fleiss_cohen_everitt():
    """SAS PROC FREQ output (recorded in statsmodels' test_inter_rater.py): simple kappa
    0.4842, ASE 0.1380, CI [0.2137, 0.7547], ASE under H0 0.1484, Z 3.2626; weighted
    (Cicchetti-Allison = linear) kappa 0.4701, ASE 0.1457, CI [0.1845, 0.7558],
    ASE0 0.1426, Z 3.2971. ASEs are the Fleiss, Cohen & Everitt (1969) formulas."""
    df = from_table(SAS_TABLE)
    for weights, ref in [(None, (0.4842, 0.1380, 0.2137, 0.7547, 0.1484, 3.2626, 0.0011)),
                         ("linear", (0.4701, 0.1457, 0.1845, 0.7558, 0.1426, 3.2971, 0.0010))]:
        e = rl.cohen_kappa(df, weights=weights, **KW)
        got = (e.value, e.se, e.ci_low, e.ci_high, e.se0, e.z, e.pval)
        np.testing.assert_allclose(got, ref, atol=5e-5)


def test_cohen_irr_anxiety_weights():
    """R irr kappa2(anxiety[,2:3], ...) as recorded in statsmodels' tests: unweighted
    -0.006289308 (z -0.0604067, p 0.9518317), 'equal' 0.1459075 (z 1.282472, p 0.1996772),
    'squared' 0.2520325 (z 1.437451, p 0.1505898). irr builds the weights on the positions of
    the observed levels {1,2,3,4,6}; we pass those matrices."""
    df = long(ANXIETY[:, 1:])
    pos = np.arange(5)
    lin = 1 - np.abs(pos[:, None] - pos[None]) / 4
    quad = 1 - (pos[:, None] - pos[None]) ** 2 / 16
    for w, ref in [(None, (-0.006289308, -0.0604067, 0.9518317)), (lin, (0.1459075, 1.282472, 0.1996772)),
                   (quad, (0.2520325, 1.437451, 0.1505898))]:
        e = rl.cohen_kappa(df, weights=w, **KW)
        np.testing.assert_allclose((e.value, e.z, e.pval), ref, atol=5e-7)


def test_cohen_matches_statsmodels_random():
    from statsmodels.stats.inter_rater import cohens_kappa, to_table
    rng = np.random.default_rng(9)
    X = np.clip(rng.integers(1, 6, (150, 1)) + rng.integers(-1, 2, (150, 2)), 1, 5)
    table = to_table(X - 1, 5)[0]
    for weights, wt in [(None, None), ("linear", "linear"), ("quadratic", "quadratic")]:
        ref = cohens_kappa(table, wt=wt) if wt else cohens_kappa(table)
        e = rl.cohen_kappa(long(X), categories=[1, 2, 3, 4, 5], weights=weights, **KW)
        assert e.value == pytest.approx(ref.kappa, abs=1e-12)
        assert e.se == pytest.approx(ref.std_kappa, abs=1e-12)
        assert e.se0 == pytest.approx(ref.std_kappa0, abs=1e-12)


def test_cohen_needs_two_raters():
    with pytest.raises(ValueError, match="exactly two raters in column 'r'"):
        rl.cohen_kappa(long(DIAGNOSES), **KW)
    one = rl.cohen_kappa(long(DIAGNOSES[:, :1]), **KW)
    assert np.isnan(one.value) and "two raters" in one.note


# ---------------------------------------------------------------------------
# Kendall's W
# ---------------------------------------------------------------------------

def test_kendall_w_anxiety_desctools():
    """DescTools KendallW(anxiety, TRUE) documented output: 0.5396569 (= irr::kendall, correct=TRUE)."""
    e = rl.kendall_w(long(ANXIETY), **KW)
    assert e.value == pytest.approx(0.5396569, abs=5e-8)
    assert e.chi2 == pytest.approx(3 * 19 * 0.5396569, abs=5e-6) and e.df == 19
    from scipy import stats
    # Kendall's W is Friedman's statistic rescaled (both tie-corrected)
    fr = stats.friedmanchisquare(*ANXIETY)  # subjects are the 'treatments'
    assert e.chi2 == pytest.approx(fr.statistic, rel=1e-12)
    assert e.pval == pytest.approx(fr.pvalue, rel=1e-9)
    uncorrected = rl.kendall_w(long(ANXIETY), correct_ties=False, **KW)
    assert uncorrected.value < e.value


# ---------------------------------------------------------------------------
# Errors and undefined statistics
# ---------------------------------------------------------------------------

def test_missing_column_is_named():
    df = long(RAW4).rename(columns={"x": "score"})
    with pytest.raises(DataError) as ei:
        rl.fleiss_kappa(df, subject="s", rater="r", score="skor")
    assert "skor" in str(ei.value) and "score" in str(ei.value)


def test_non_numeric_interval_scores_error_names_column():
    df = long(RAW4).assign(x=lambda d: d.x.map({1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}))
    with pytest.raises(DataError, match="column 'x'.*non-numeric"):
        rl.krippendorff_alpha(df, level="interval", **KW)
    with pytest.raises(DataError, match="column 'x'"):
        rl.icc(df, **KW)


def test_score_outside_categories():
    with pytest.raises(DataError, match="outside the declared categories"):
        rl.gwet_ac(long(RAW4), categories=[1, 2, 3, 4], **KW)


def test_duplicate_ratings_are_an_error():
    df = pd.concat([long(RAW4), long(RAW4).iloc[:1]])
    with pytest.raises(DataError, match="repeat a \\(subject, rater\\) pair"):
        rl.fleiss_kappa(df, **KW)


def test_undefined_is_nan_with_reason():
    const = long(np.full((5, 3), 2.0))
    for f in (rl.fleiss_kappa, rl.conger_kappa, rl.gwet_ac):
        e = f(const, **KW)
        assert np.isnan(e.value) and "no variance" in e.note, f
    assert rl.percent_agreement(const, **KW).value == 1.0
    assert np.isnan(rl.krippendorff_alpha(const, n_boot=10, **KW).value)
    one_rater = long(np.arange(5.0)[:, None])
    e = rl.fleiss_kappa(one_rater, **KW)
    assert np.isnan(e.value) and "two or more raters" in e.note
    assert "two or more raters" in rl.krippendorff_alpha(one_rater, **KW).note
    one_subject = long([[1.0, 2.0, 1.0]])
    e = rl.gwet_ac(one_subject, **KW)
    assert np.isnan(e.se) and "one subject" in e.note
    assert np.isnan(rl.icc(one_subject, **KW).loc["ICC1", "icc"])


# ---------------------------------------------------------------------------
# agreement()
# ---------------------------------------------------------------------------

def _two_items(seed=0):
    rng = np.random.default_rng(seed)
    parts = []
    for item, noise in [("Akuntabel", 0.4), ("Kompeten", 1.2)]:
        X = np.clip(np.rint(rng.normal(3, 1, (40, 1)) + rng.normal(0, noise, (40, 4))), 1, 5)
        X[rng.random(X.shape) < 0.1] = nan
        parts.append(long(X).assign(item=item, s=lambda d: "P-" + d.s.astype(str), r=lambda d: "R" + d.r.astype(str)))
    return pd.concat(parts, ignore_index=True)


def test_agreement_by_item_equals_per_item_functions():
    df = _two_items()
    out = rl.agreement(df, level="interval", by="item", categories=[1, 2, 3, 4, 5], **KW)
    need = ["item", "coefficient", "value", "se", "ci_low", "ci_high", "pval", "n_subjects", "n_raters",
            "note", "label_id", "label_en"]
    assert all(c in out.columns for c in need)
    cats = dict(categories=[1, 2, 3, 4, 5], **KW)
    for item, sub in df.groupby("item"):
        row = out[out.item == item].set_index("coefficient")
        checks = {
            "percent_agreement": rl.percent_agreement(sub, **cats),
            "fleiss_kappa": rl.fleiss_kappa(sub, weights="quadratic", **cats),
            "conger_kappa": rl.conger_kappa(sub, weights="quadratic", **cats),
            "brennan_prediger": rl.brennan_prediger(sub, weights="quadratic", **cats),
            "gwet_ac2": rl.gwet_ac(sub, weights="quadratic", **cats),
            "krippendorff_alpha": rl.krippendorff_alpha(sub, level="interval", n_boot=0, **KW),
            "kendall_w": rl.kendall_w(sub, **KW),
        }
        for name, est in checks.items():
            assert row.loc[name, "value"] == pytest.approx(est.value, abs=1e-12), (item, name)
            if np.isfinite(est.se):
                assert row.loc[name, "se"] == pytest.approx(est.se, abs=1e-12), (item, name)
            assert row.loc[name, "n_subjects"] == est.n_subjects
        icc = rl.icc(sub, **KW)
        for t in rl.ICC_TYPES:
            assert row.loc[t, "value"] == pytest.approx(icc.loc[t, "icc"], nan_ok=True, abs=1e-12)
            assert row.loc[t, "ci_low"] == pytest.approx(icc.loc[t, "ci_low"], nan_ok=True, abs=1e-12)
    alpha = out[out.coefficient == "krippendorff_alpha"].iloc[0]
    assert alpha.scale.startswith("Krippendorff") and alpha.label_en in ("reliable", "tentatively reliable",
                                                                          "unreliable")
    assert out[out.coefficient == "ICC1"].scale.iloc[0] == "Koo & Li (2016)"


def test_agreement_coefficients_gives_the_same_rows_of_the_asked_ones_only():
    """``coefficients=`` (what the unit report asks: ICC(1,k)) computes the asked
    coefficients only, with the values, intervals and notes of the full table."""
    df = _two_items()
    full = rl.agreement(df, level="interval", by="item", categories=[1, 2, 3, 4, 5], **KW)
    for ask in (["ICC1k"], ["gwet_ac2", "ICC1", "krippendorff_alpha"], ["kendall_w", "fleiss_kappa"]):
        some = rl.agreement(df, level="interval", by="item", categories=[1, 2, 3, 4, 5], coefficients=ask, **KW)
        assert set(some["coefficient"]) == set(ask)
        want = full[full["coefficient"].isin(ask)].sort_values(["coefficient", "item"]).reset_index(drop=True)
        got = some.sort_values(["coefficient", "item"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want)
    # a coefficient the level does not have: no rows; a name that is none: an error
    assert rl.agreement(df, level="nominal", by="item", coefficients=["ICC1k"], **KW).empty
    with pytest.raises(ValueError, match="unknown coefficient"):
        rl.agreement(df, level="interval", coefficients=["ICC(1,k)"], **KW)


def test_agreement_nominal_two_raters_has_cohen_and_bootstrap():
    df = long(ANXIETY[:, :2]).assign(role=lambda d: np.where(d.s < 10, "atasan", "rekan_kerja"))
    out = rl.agreement(df, level="nominal", by=["role"], n_boot=200, seed=1, **KW)
    assert set(out.coefficient) >= {"cohen_kappa", "fleiss_kappa", "gwet_ac1", "krippendorff_alpha"}
    assert "kendall_w" not in set(out.coefficient)
    ka = out[out.coefficient == "krippendorff_alpha"]
    assert np.isfinite(ka.ci_low).all()
    again = rl.agreement(df, level="nominal", by=["role"], n_boot=200, seed=1, **KW)
    pd.testing.assert_frame_equal(out, again)
    for role, sub in df.groupby("role"):
        row = out[(out.role == role) & (out.coefficient == "cohen_kappa")].iloc[0]
        assert row.value == pytest.approx(rl.cohen_kappa(sub, **KW).value, abs=1e-12)


def test_agreement_labels():
    assert rl.interpret(0.85, "landis_koch") == ("hampir sempurna", "almost perfect")
    assert rl.interpret(0.20, "landis_koch") == ("sangat lemah", "slight")
    assert rl.interpret(-0.1, "landis_koch") == ("buruk", "poor")
    assert rl.interpret(0.75, "koo_li") == ("baik", "good")
    assert rl.interpret(0.667, "krippendorff")[1] == "tentatively reliable"
    assert rl.interpret(0.8, "krippendorff")[1] == "reliable"
    assert rl.interpret(nan, "koo_li") == ("", "")


# ---------------------------------------------------------------------------
# Properties (hypothesis)
# ---------------------------------------------------------------------------

ratings_matrix = st.integers(min_value=3, max_value=25).flatmap(
    lambda n: st.integers(min_value=2, max_value=5).flatmap(
        lambda m: st.lists(st.lists(st.integers(1, 4), min_size=m, max_size=m), min_size=n, max_size=n)))


@settings(max_examples=30, deadline=None)
@given(ratings_matrix, st.randoms(use_true_random=False))
def test_relabelling_raters_and_subjects_changes_nothing(mat, rnd):
    X = np.array(mat, dtype=float)
    df = long(X)
    out = rl.agreement(df, level="ordinal", categories=[1, 2, 3, 4], n_boot=0, **KW)
    sp = list(range(X.shape[0]))
    rp = list(range(X.shape[1]))
    rnd.shuffle(sp)
    rnd.shuffle(rp)
    df2 = df.assign(s=df.s.map(lambda i: f"S{sp[i]}"), r=df.r.map(lambda j: f"R{rp[j]}")).sample(
        frac=1, random_state=rnd.randint(0, 10**6))
    out2 = rl.agreement(df2, level="ordinal", categories=[1, 2, 3, 4], n_boot=0, **KW)
    np.testing.assert_allclose(out.value, out2.value, atol=1e-10, equal_nan=True)
    np.testing.assert_allclose(out.se, out2.se, atol=1e-10, equal_nan=True)


@settings(max_examples=30, deadline=None)
@given(ratings_matrix)
def test_bounds(mat):
    df = long(np.array(mat, dtype=float))
    out = rl.agreement(df, level="nominal", categories=[1, 2, 3, 4], n_boot=0, **KW).set_index("coefficient")
    pa = out.loc["percent_agreement", "value"]
    assert 0 <= pa <= 1
    for name in ("fleiss_kappa", "conger_kappa", "brennan_prediger", "gwet_ac1", "krippendorff_alpha"):
        v = out.loc[name, "value"]
        assert np.isnan(v) or -1.5 <= v <= 1 + 1e-12
        assert np.isnan(out.loc[name, "ci_high"]) or out.loc[name, "ci_high"] <= 1 + 1e-12


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=3, max_size=40).filter(lambda v: len(set(v)) > 1),
       st.integers(2, 5))
def test_identical_raters_agree_perfectly(values, m):
    X = np.repeat(np.array(values, dtype=float)[:, None], m, axis=1)
    df = long(X)
    for f in (rl.percent_agreement, rl.fleiss_kappa, rl.conger_kappa, rl.gwet_ac, rl.brennan_prediger):
        assert f(df, categories=[1, 2, 3, 4, 5], **KW).value == pytest.approx(1.0)
    for level in rl.LEVELS:
        assert rl.krippendorff_alpha(df, level=level, n_boot=0, **KW).value == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4)), min_size=3, max_size=60))
def test_nominal_alpha_scott_pi_identity(pairs):
    """Two raters, no missing data: 1 - alpha = (1 - 1/(2n)) (1 - pi) exactly
    (Krippendorff 2011: alpha corrects Scott's pi for sample size), so alpha -> pi as n grows."""
    X = np.array(pairs, dtype=float)
    df = long(X)
    pi = rl.scott_pi(df, **KW).value
    alpha = rl.krippendorff_alpha(df, n_boot=0, **KW).value
    if np.isnan(pi):
        assert np.isnan(alpha)
    else:
        n = len(pairs)
        assert 1 - alpha == pytest.approx((1 - 1 / (2 * n)) * (1 - pi), abs=1e-12)


def test_agreement_nested_raters_and_two_by_columns():
    """360-degree design: every subject has its own raters. Conger's kappa (per-rater
    marginals) and the two-way ICCs are then undefined and say why; one-way ICC1 and
    the subject-based coefficients remain."""
    rng = np.random.default_rng(5)
    n = 60
    rows = []
    for period in ("2024-S1", "2024-S2"):
        for item in ("Akuntabel", "Adaptif"):
            true = rng.normal(3, 1, n)
            for s_ in range(n):
                for j in range(3):
                    rows.append((period, item, f"P-{s_}", f"R-{period}-{s_}-{j}",
                                 float(np.clip(np.rint(true[s_] + rng.normal(0, 0.7)), 1, 5))))
    df = pd.DataFrame(rows, columns=["period", "item", "s", "r", "x"])
    out = rl.agreement(df, level="interval", by=["period", "item"], categories=[1, 2, 3, 4, 5], **KW)
    assert len(out[["period", "item"]].drop_duplicates()) == 4
    conger = out[out.coefficient == "conger_kappa"]
    assert conger.value.isna().all() and conger.note.str.contains("nested").all()
    icc2 = out[out.coefficient == "ICC2"]
    assert icc2.value.isna().all() and icc2.note.str.contains("not crossed").all()
    icc1 = out[out.coefficient == "ICC1"]
    assert icc1.value.notna().all() and icc1.label_en.isin(["poor", "moderate", "good", "excellent"]).all()
    sub = df[(df.period == "2024-S2") & (df.item == "Adaptif")]
    row = out[(out.period == "2024-S2") & (out.item == "Adaptif")].set_index("coefficient")
    assert row.loc["fleiss_kappa", "value"] == pytest.approx(
        rl.fleiss_kappa(sub, categories=[1, 2, 3, 4, 5], weights="quadratic", **KW).value, abs=1e-12)
    assert row.loc["ICC1", "value"] == pytest.approx(rl.icc(sub, **KW).loc["ICC1", "icc"], abs=1e-12)


def test_hayes_krippendorff_draws_follow_krippendorff_algorithm():
    """Krippendorff's bootstrap algorithm (2006/2011; KALPHA, Hayes & Krippendorff 2007):
    M = min(25 q, (m - 1) n.. / 2) pairs per replicate. For nominal data a replicate's
    disagreement is Binomial(M, D_o) / M, so SE(alpha*) = sqrt(D_o (1 - D_o) / M) / D_e."""
    df = long(RAW4)
    est = rl.krippendorff_alpha(df, level="nominal", n_boot=20000, seed=3, **KW)
    # coincidences by hand (Krippendorff 2011, p. 3): units with m_u >= 2
    o = np.zeros((5, 5))
    for row in RAW4:
        v = row[~np.isnan(row)].astype(int) - 1
        if len(v) < 2:
            continue
        for i in range(len(v)):
            for j in range(len(v)):
                if i != j:
                    o[v[i], v[j]] += 1 / (len(v) - 1)
    n = o.sum()
    q = np.count_nonzero(o)
    M = min(25 * q, (4 - 1) * n / 2)
    Do = (o.sum() - np.trace(o)) / n
    nc = o.sum(1)
    De = (n * n - (nc**2).sum()) / (n * (n - 1))
    assert est.Do == pytest.approx(Do) and est.De == pytest.approx(De)
    assert est.se == pytest.approx(math.sqrt(Do * (1 - Do) / M) / De, rel=0.03)


# ---------------------------------------------------------------------------
# psych::ICC on random and degenerate designs (tests/reference/psych_icc.R)
# ---------------------------------------------------------------------------

REF = __import__("pathlib").Path(__file__).with_name("reference")


def test_icc_matches_psych_on_random_unbalanced_and_degenerate_designs():
    """psych::ICC (lmer = FALSE) on the Shrout & Fleiss table, 12 random designs (2-6
    raters, 5-30 subjects, continuous or 1-5 scores, a tenth of the cells missing in every
    third) and the two degenerate designs of issue 10 (tests/reference/psych_icc.R).
    psych uses the complete subjects, so the six ICCs are compared on those; on the
    designs with missing cells the one-way ICC over every subject is compared with R's
    aov() and the k0 of unequal group sizes. Where the error mean square is exactly 0
    psych prints F ~ 1e30 (roundoff) and p ~ 1e-120: we report F = inf, p = 0 and the same
    limits."""
    data = pd.read_csv(REF / "psych_icc_data.csv")
    ref = pd.read_csv(REF / "psych_icc.csv")
    for name, d in data.groupby("design"):
        r = ref[ref["design"] == name].set_index("type")
        complete = d[d.groupby("subject")["rater"].transform("size") == d["rater"].nunique()]
        res = rl.icc(complete, subject="subject", rater="rater", score="score")
        for t in rl.ICC_TYPES:
            assert res.loc[t, "icc"] == pytest.approx(r.loc[t, "icc"], abs=1e-10), (name, t)
            assert res.loc[t, "ci_low"] == pytest.approx(r.loc[t, "lower"], abs=1e-8), (name, t)
            assert res.loc[t, "ci_high"] == pytest.approx(r.loc[t, "upper"], abs=1e-8), (name, t)
            assert (res.loc[t, "df1"], res.loc[t, "df2"]) == (r.loc[t, "df1"], r.loc[t, "df2"]), (name, t)
            if r.loc[t, "F"] > 1e20:
                assert res.loc[t, "F"] == np.inf and res.loc[t, "pval"] == 0.0, (name, t)
                assert "mean square is 0" in res.loc[t, "note"], (name, t)
            else:
                assert res.loc[t, "F"] == pytest.approx(r.loc[t, "F"], rel=1e-10), (name, t)
                assert res.loc[t, "pval"] == pytest.approx(r.loc[t, "p"], rel=1e-7, abs=1e-300), (name, t)
        if "ICC1_unbalanced" in r.index:
            one = rl.icc(d, subject="subject", rater="rater", score="score").loc["ICC1"]
            u = r.loc["ICC1_unbalanced"]
            assert one["icc"] == pytest.approx(u["icc"], abs=1e-10), name
            assert one["F"] == pytest.approx(u["F"], rel=1e-10), name
            assert (one["df1"], one["df2"]) == (u["df1"], u["df2"]), name


def test_degenerate_icc_inside_agreement_and_missing_notes_per_group():
    """Issue 10: perfect agreement inside agreement() gives the same F = inf, p = 0 and
    CI (1, 1) as icc(); with by="item", a missing score of item b is counted in item b's
    note only."""
    d = pd.DataFrame([(i, j, x) for i, x in enumerate([4, 4, 3, 3, 5]) for j in range(3)], columns=["s", "r", "x"])
    two = pd.concat([d.assign(item="a"), d.assign(item="b")], ignore_index=True)
    out = rl.agreement(two, level="interval", by="item", n_boot=0, **KW)
    for t in rl.ICC_TYPES:
        rows = out[out["coefficient"] == t]
        assert (rows["value"] == 1).all() and (rows["pval"] == 0).all(), t
        assert (rows["ci_low"] == 1).all() and (rows["ci_high"] == 1).all(), t
    two.loc[(two["item"] == "b") & (two["s"] == 0) & (two["r"] == 2), "x"] = np.nan
    out = rl.agreement(two, level="interval", by="item", n_boot=0, **KW)
    assert not out.loc[out["item"] == "a", "note"].str.contains("missing score").any()
    assert out.loc[out["item"] == "b", "note"].str.contains("1 rows with a missing score ignored").all()


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_se_is_exactly_zero_on_perfect_agreement(weights):
    """Fleiss, Cohen & Everitt (1969) eq. 13 is 0 when every pair agrees; roundoff left
    1.7e-8 / 3.5e-8 for the weighted kappas."""
    d = pd.DataFrame([(i, j, x) for i, x in enumerate([4, 4, 3, 3, 5, 1]) for j in range(2)], columns=["s", "r", "x"])
    est = rl.cohen_kappa(d, weights=weights, **KW)
    assert est.value == 1.0 and est.se == 0.0


# ---------------------------------------------------------------------------
# The significance level is alpha= (ci=, the level, is a deprecated alias)
# ---------------------------------------------------------------------------

_LEVEL_FUNCS = [
    ("percent_agreement", {}), ("percent_agreement", {"all_raters": True}), ("fleiss_kappa", {}), ("scott_pi", {}),
    ("conger_kappa", {}), ("brennan_prediger", {}), ("gwet_ac", {}),
    ("krippendorff_alpha", {"level": "interval", "n_boot": 200, "seed": 3}), ("icc", {}),
    ("agreement", {"level": "interval", "n_boot": 200}),
]


def _intervals(res) -> np.ndarray:
    if isinstance(res, pd.DataFrame):
        return res[["ci_low", "ci_high"]].to_numpy(float)
    return np.array([[res.ci_low, res.ci_high]])


@pytest.mark.parametrize("name, kw", _LEVEL_FUNCS)
def test_alpha_sets_the_interval_level_and_ci_is_a_deprecated_alias(name, kw):
    f = getattr(rl, name)
    d = long(KRIPP.T)       # Krippendorff (2011) reliability data, 4 raters with missing values
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)   # the new spelling does not warn
        default = _intervals(f(d, **KW, **kw))
        np.testing.assert_array_equal(_intervals(f(d, **KW, alpha=0.05, **kw)), default)
    with pytest.warns(DeprecationWarning, match=rf"{name}\(ci=\.\.\.\) is deprecated: pass alpha=0\.1"):
        old = _intervals(f(d, **KW, ci=0.9, **kw))
    wide, narrow = default, _intervals(f(d, **KW, alpha=0.1, **kw))
    np.testing.assert_array_equal(old, narrow)
    ok = np.isfinite(wide).all(1) & np.isfinite(narrow).all(1) & (wide[:, 1] > wide[:, 0])
    assert ok.any()
    # a 90% interval lies inside the 95% one (the upper limit may be capped at 1 in both)
    assert (narrow[ok, 0] > wide[ok, 0]).all() and (narrow[ok, 1] <= wide[ok, 1]).all()
    with pytest.raises(ValueError, match="alpha must lie in"):
        f(d, **KW, alpha=1.5, **kw)


def test_cohen_interval_at_alpha_matches_statsmodels():
    # statsmodels' KappaResults(alpha=a / 2) gives kappa -/+ z_{1-a/2} std_kappa (Fleiss, Cohen & Everitt 1969)
    from statsmodels.stats.inter_rater import KappaResults, cohens_kappa, to_table
    rng = np.random.default_rng(9)
    X = np.clip(rng.integers(1, 6, (150, 1)) + rng.integers(-1, 2, (150, 2)), 1, 5)
    table = to_table(X - 1, 5)[0]
    fit = cohens_kappa(table)
    for a in (0.05, 0.1, 0.2):
        ref = KappaResults(**{k: fit[k] for k in ("kind", "kappa", "kappa_max", "weights", "var_kappa", "var_kappa0")},
                           alpha=a / 2)
        e = rl.cohen_kappa(long(X), categories=[1, 2, 3, 4, 5], alpha=a, **KW)
        assert (e.ci_low, e.ci_high) == pytest.approx((ref.kappa_low, ref.kappa_upp), abs=1e-12)
    with pytest.warns(DeprecationWarning):
        old = rl.cohen_kappa(long(X), categories=[1, 2, 3, 4, 5], ci=0.8, **KW)
    assert (old.ci_low, old.ci_high) == pytest.approx((ref.kappa_low, ref.kappa_upp), abs=1e-12)


def test_whole_number_scale_lookup_equals_index_lookup():
    """The table lookup of scores on a whole-number scale gives pandas' Index.get_indexer positions:
    -1 for a missing score, one off the scale or between its points (the lookup must not change a coefficient)."""
    from evaltools.reliability._coding import _small_int_lookup

    rng = np.random.default_rng(3)
    x = rng.integers(-2, 9, 5000).astype(float)
    x[rng.random(x.size) < 0.1] = np.nan
    x[rng.random(x.size) < 0.05] += 0.5
    x[:4] = [np.inf, -np.inf, 1e300, -0.0]
    for cats in ([1, 2, 3, 4, 5], [5, 3, 1], [0.0, 2.0, 7.0], [-2, 0, 4]):
        for s in (pd.Series(x), pd.Series(pd.array(np.where(np.isfinite(x) & (x == np.round(x)), x, np.nan))
                                          .astype("Int64"))):
            got = _small_int_lookup(s, cats)
            np.testing.assert_array_equal(got, pd.Index(cats).get_indexer(s.astype(float)))
    assert _small_int_lookup(pd.Series(x), [1, 2.5]) is None          # not whole numbers: the hash lookup
    assert _small_int_lookup(pd.Series(["1", "2"]), [1, 2]) is None     # text scores

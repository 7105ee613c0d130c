"""Properties of rater_effects under the 360-degree designs of issue 10.

The generator builds one pilot unit as a user meets it: every employee has one atasan
(several atasan per unit, or one), is rated by 3-8 of the unit's peers (rekan kerja) and by
one-off members of the public (masyarakat), in one or several periods, on 1-5 items; a
subject in a period is one object of measurement (``target`` = period|subject), as
``report.calibration`` calls it. Roles may differ systematically (the public rates higher)
while no rater has a bias of their own.
"""
from __future__ import annotations

import numpy as np
import pytest
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaltools.calibration import rater_effects


def unit_design(seed: int, *, n_emp: int, n_atasan: int, peers: tuple[int, int], n_peer: int, n_pub: int,
                n_per: int, n_items: int = 7, role_shift: dict[str, float] | None = None,
                severity_sd: float = 0.0) -> tuple[pd.DataFrame, pd.Series]:
    """Ratings of one unit; score = round(level + item + impression + noise - severity + role shift)."""
    rng = np.random.default_rng(seed)
    role_shift = role_shift or {}
    level = rng.normal(3.2, 0.6, n_emp)
    item_d = rng.normal(0, 0.2, n_items)
    boss = rng.integers(0, n_atasan, n_emp)
    names = [f"A{k}" for k in range(n_atasan)] + [f"R{k:02d}" for k in range(n_peer)]
    sev = pd.Series(rng.normal(0, severity_sd, len(names)), index=names)
    blocks = []
    pub = 0
    for t in range(n_per):
        lv = level + rng.normal(0, 0.2, n_emp)
        k = rng.integers(peers[0], peers[1] + 1, n_emp)
        # peers: each employee draws k distinct colleagues (ranks of random keys)
        pick = np.argsort(rng.random((n_emp, n_peer)), axis=1)
        pe = np.repeat(np.arange(n_emp), k)
        pr = pick[np.arange(n_emp).repeat(k), np.concatenate([np.arange(m) for m in k])]
        emp = np.r_[np.arange(n_emp), pe, np.repeat(np.arange(n_emp), n_pub)]
        rat = np.r_[[f"A{b}" for b in boss], [f"R{p:02d}" for p in pr],
                    [f"M{t}-{pub + j:05d}" for j in range(n_emp * n_pub)]].astype(object)
        pub += n_emp * n_pub
        role = np.r_[np.full(n_emp, "atasan"), np.full(pe.size, "rekan_kerja"),
                     np.full(n_emp * n_pub, "masyarakat")].astype(object)
        b = sev.reindex(rat).fillna(0.0).to_numpy()
        shift = pd.Series(role).map(role_shift).fillna(0.0).to_numpy()
        imp = rng.normal(0, 0.3, emp.size)
        y = (lv[emp][:, None] + item_d[None, :] + imp[:, None] + rng.normal(0, 0.5, (emp.size, n_items))
             - b[:, None] + shift[:, None])
        blocks.append(pd.DataFrame({
            "period": f"S{t}", "subject": np.repeat([f"E{e:03d}" for e in emp], n_items),
            "rater": np.repeat(rat, n_items), "rater_role": np.repeat(role, n_items),
            "item": np.tile([f"I{i}" for i in range(n_items)], emp.size),
            "score": np.clip(np.rint(y), 1, 5).ravel()}))
    d = pd.concat(blocks, ignore_index=True)
    d["target"] = d["period"] + "|" + d["subject"]
    return d, sev


DESIGNS = st.fixed_dictionaries({
    "seed": st.integers(0, 10_000),
    "n_emp": st.integers(25, 70),
    "n_atasan": st.sampled_from([1, 2, 5]),
    "peers": st.sampled_from([(3, 3), (3, 8), (4, 4), (6, 8)]),
    "n_peer": st.integers(10, 25),
    "n_pub": st.sampled_from([0, 1, 2]),
    "n_per": st.integers(1, 3),
    "role_shift": st.sampled_from([{}, {"masyarakat": 0.3, "rekan_kerja": 0.1}, {"atasan": -0.4}]),
})


def _fit(d: pd.DataFrame) -> pd.DataFrame:
    # the call report.calibration makes
    return rater_effects(d, subject="target", rater="rater", score="score", item="item", role="rater_role")


def test_issue_design_flags_nobody():
    """Issue 10, part 1: 67 employees, 5 atasan, 4 of 22 peers and 2 one-off public raters
    per employee and semester, three semesters, 7 items, no rater bias (roles differ):
    15 of 27 assessable raters were flagged "too lenient" (severities -0.43 to -0.97).
    Severities are now contrasts within a role; nobody is flagged and |severity| stays
    below 0.2."""
    d, _ = unit_design(5, n_emp=67, n_atasan=5, peers=(4, 4), n_peer=22, n_pub=2, n_per=3,
                       role_shift={"masyarakat": 0.3, "rekan_kerja": 0.1})
    fx = _fit(d)
    assess = fx[fx["n_ratings"] >= 10]
    assert len(assess) == 27
    assert not assess["flag"].isin(["lenient", "severe"]).any()
    assert assess["severity"].abs().max() < 0.2
    # the role means are 0 by construction: severity is relative to the same role
    assert assess.groupby("role")["severity"].mean().abs().max() < 0.05
    assert "of the same role (" in fx.attrs["reference"]


# statistical claims over random designs: the designs are drawn the same way in every run
# (derandomize), so the suite does not fail on a draw at the edge of sampling variation;
# a fresh draw found r = 0.8996 for seed 0, 25 employees, 5 atasan, 3 peers, 11 peer raters
_STAT = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@settings(max_examples=12, **_STAT)
@given(DESIGNS)
def test_no_planted_effect_flags_at_most_the_nominal_share(design):
    """With no rater bias, under every design the generator draws (one or several atasan,
    peers rating 3-8 colleagues, one-off public raters, one to three periods, systematic
    role shifts), at most alpha = 5 % of the assessable raters are flagged severe or
    lenient (the flag needs the severity beyond 0.5 with 80 % confidence and a 95 %
    interval excluding 0)."""
    d, _ = unit_design(**design)
    fx = _fit(d)
    assess = fx[fx["n_ratings"] >= 10]
    n_flag = int(assess["flag"].isin(["lenient", "severe"]).sum())
    assert n_flag <= 0.05 * len(assess), (n_flag, len(assess), design)
    # a lone atasan (one per unit) is not separable from the atasan role's shift
    if design["n_atasan"] == 1:
        assert np.isnan(fx.loc["A0", "severity"]) and "only atasan" in fx.loc["A0", "note"]


@settings(max_examples=8, **_STAT)
@given(DESIGNS)
def test_planted_severities_are_recovered(design):
    """Planted severities (SD 0.4 for atasan and peers) are recovered: r >= 0.9 between the
    estimated and the true severity, both centred within role, over the raters with at
    least 20 ratings (severity is identified within a role block only). Two or three
    periods: in a single period with 3 peers per employee a peer's 21 ratings are of 3
    people, whose impressions (SD 0.3) do not average out (measured r = .88 there)."""
    design = {**design, "n_atasan": max(design["n_atasan"], 2), "n_per": max(design["n_per"], 2)}
    d, sev = unit_design(**design, severity_sd=0.4)
    fx = _fit(d)
    big = fx[(fx["n_ratings"] >= 20) & fx["severity"].notna()].copy()
    big["true"] = sev.reindex(big.index).to_numpy()
    for c in ("severity", "true"):
        big[c] = big[c] - big.groupby("role")[c].transform("mean")
    if len(big) >= 8:
        assert np.corrcoef(big["severity"], big["true"])[0, 1] >= 0.9, design


def _with_self_ratings(d: pd.DataFrame, seed: int, shift: float = 0.6) -> pd.DataFrame:
    """Add self-ratings (diri_sendiri, inflated by ``shift``) by the atasan and peers of
    the unit about themselves, so every internal role is linked to the others through
    people who rate in two roles (one role block), as in a real 360-degree round."""
    rng = np.random.default_rng(seed)
    raters = d.loc[d["rater_role"] != "masyarakat", ["rater", "period"]].drop_duplicates()
    items = d["item"].unique()
    n = len(raters) * len(items)
    level = rng.normal(3.2, 0.6, len(raters))
    y = np.repeat(level, len(items)) + shift + rng.normal(0, 0.5, n)
    self_ = pd.DataFrame({"period": np.repeat(raters["period"].to_numpy(), len(items)),
                          "subject": np.repeat(raters["rater"].to_numpy(), len(items)),
                          "rater": np.repeat(raters["rater"].to_numpy(), len(items)),
                          "rater_role": "diri_sendiri", "item": np.tile(items, len(raters)),
                          "score": np.clip(np.rint(y), 1, 5)})
    self_["target"] = self_["period"] + "|" + self_["subject"]
    return pd.concat([d, self_], ignore_index=True)


@settings(max_examples=6, **_STAT)
@given(DESIGNS)
def test_roles_linked_by_self_ratings_keep_each_role_centred(design):
    """Self-ratings link the atasan with the peers (one role block), and the link runs
    through the scale's ceiling (self-ratings sit 0.6 higher), where the additive model
    does not hold: a contrast across roles then moved every atasan of a calibrated unit by
    0.1-0.3 (measured on the sample study). Severity is relative to raters of the same
    role, so each role's calibrated raters average 0 and nobody is flagged beyond the
    nominal share."""
    design = {**design, "n_atasan": max(design["n_atasan"], 3)}
    d, _ = unit_design(**design)
    d = _with_self_ratings(d, design["seed"])
    fx = _fit(d)
    assess = fx[(fx["n_ratings"] >= 10) & fx["severity"].notna()]
    n_flag = int(assess["flag"].isin(["lenient", "severe"]).sum())
    assert n_flag <= 0.05 * len(assess), (n_flag, len(assess), design)
    means = assess[assess["flag"] == "ok"].groupby("role")["severity"].mean()
    assert means.abs().max() < 0.05, (means, design)


def test_mean_score_is_the_raters_own_mean_on_the_latent_scale_too():
    """``mean_score`` is what the rater gave (a reader compares it with the scale), also
    when severities are estimated on the latent scale (a 1-5 scale with a ceiling)."""
    d, _ = unit_design(2, n_emp=40, n_atasan=3, peers=(3, 5), n_peer=15, n_pub=1, n_per=2,
                       role_shift={"masyarakat": 0.8})
    fx = _fit(d)
    assert fx.attrs["variance_components"] and (d["score"] == 5).mean() >= 0.05     # latent="auto" applies
    own = d.groupby("rater")["score"].mean()
    assert np.allclose(fx["mean_score"], own.reindex(fx.index))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), relabel=st.integers(0, 10_000))
def test_results_do_not_depend_on_the_names_of_subjects_and_raters(seed, relabel):
    """Ids are pseudonyms: another key renames every subject and rater (and so reorders them).
    The estimates, their standard errors and the flags must stay the same. Found by a
    verdict that changed with the key: the subjects' split-half check of the standard
    errors followed the subjects' codes, so a lenient clique was flagged under one key
    and not under another."""
    d, _ = unit_design(seed, n_emp=16, n_atasan=2, peers=(4, 7), n_peer=14, n_pub=1, n_per=1, severity_sd=0.5)
    rng = np.random.default_rng(relabel)

    def rename(col: pd.Series) -> pd.Series:
        u = col.unique()
        return col.map(dict(zip(u, [f"P-{v:016x}" for v in rng.integers(0, 2 ** 62, len(u))])))

    e = d.assign(target=rename(d["target"]), rater=rename(d["rater"]))
    kw = dict(subject="target", rater="rater", score="score", item="item", role="rater_role", min_ratings=10)
    a = rater_effects(d, **kw)
    b = rater_effects(e, **kw)
    back = dict(zip(e["rater"], d["rater"]))
    b.index = [back[x] for x in b.index]
    b = b.loc[a.index]
    for c in ("severity", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(b[c].to_numpy(float), a[c].to_numpy(float), rtol=1e-8, atol=1e-10, err_msg=c)
    assert (b["flag"].astype(str).to_numpy() == a["flag"].astype(str).to_numpy()).all()
    assert a.attrs["se_factor"] == pytest.approx(b.attrs["se_factor"], rel=1e-9)


@pytest.mark.parametrize("seed", [3, 11])
def test_latent_scores_converge_when_an_item_is_scored_top_by_everyone(seed):
    """An item every rater scores 5 has no finite maximum likelihood effect on the latent
    scale. Found on a simulated unit of 1,076 ratings where two of 38 item-periods were
    all 5: the EM drifted for 3,000 steps (each step moved some conditional means by
    1e-5 .. 1e-3) and the severities depended on where it stopped. A weak prior on the
    items' deviations from their mean, as on subjects and raters, gives a fixed point."""
    d, _ = unit_design(seed, n_emp=24, n_atasan=2, peers=(3, 5), n_peer=12, n_pub=1, n_per=1, severity_sd=0.3)
    d.loc[d["item"] == d["item"].iloc[0], "score"] = 5
    fx = rater_effects(d, subject="target", rater="rater", score="score", item="item", role="rater_role",
                       latent=True)
    notes = " ".join(fx["note"].astype(str))
    assert "did not converge" not in notes
    assert np.isfinite(fx["severity_fixed"]).all()
    # the other items' severities barely move: the same fit without the all-5 item
    rest = rater_effects(d[d["item"] != d["item"].iloc[0]], subject="target", rater="rater", score="score",
                         item="item", role="rater_role", latent=True)
    both = fx["severity_fixed"].reindex(rest.index)
    assert np.corrcoef(both, rest["severity_fixed"])[0, 1] > 0.95


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["atasan", "rekan_kerja", "bawahan", "diri_sendiri", "10", "9"]), min_size=1,
                max_size=40), st.booleans())
def test_text_codes_of_a_categorical_are_those_of_its_text(values, extra_category):
    """_text_codes(s) is _codes(s.astype(str)): the same codes and labels, from the categories."""
    from evaltools.calibration._crossed import _codes, _text_codes
    cats = sorted(set(values)) + (["unused"] if extra_category else [])
    s = pd.Series(pd.Categorical(values, categories=cats[::-1]))
    (a, la), (b, lb) = _codes(s.astype(str)), _text_codes(s)
    assert np.array_equal(a, b) and la.equals(lb)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 7), min_size=1, max_size=40), st.permutations(list(range(8))), st.booleans())
def test_codes_of_a_categorical_are_factorize_sorted(values, order, ordered):
    """_codes on a categorical (from its codes) is pd.factorize(sort=True): codes and levels."""
    from evaltools.calibration._crossed import _codes
    cats = [f"c{i}" for i in order]
    s = pd.Series(pd.Categorical([f"c{v}" for v in values], categories=cats, ordered=ordered))
    codes, levels = pd.factorize(s, sort=True)
    ours, our_levels = _codes(s)
    assert np.array_equal(codes, ours) and pd.Index(levels).equals(our_levels)
    assert type(pd.Index(levels)) is type(our_levels)

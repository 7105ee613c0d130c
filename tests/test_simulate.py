"""Tests of the study simulator: determinism, layout, truth consistency, writing, round trip.

The simulator has no published worked example to reproduce; its checks are (a) the
identifier layout of BKN's NIP (birth date YYYYMMDD + CPNS appointment YYYYMM + sex digit +
3-digit serial, e.g. ``19660801 198803 1 001``), (b) the PermenPANRB 6/2022 ekspektasi scale,
(c) that the data carry what the truth says (a lenient rater's scores sit above the true
scores, a severe one's below; the model ICC matches the one-way ANOVA ICC(1) of
McGraw & Wong 1996, Psychological Methods 1(1), Table 4, computed on the simulated data;
the two-way DiD of each wave recovers its true effect), and (d) the data contract of
``evaltools.load_study``.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaltools import simulate as sm
from evaltools.simulate import (BERAKHLAK, EKSPEKTASI, EXPORT_COLUMNS, KPI_ITEMS, ORDINAL_ITEMS, ROLES,
                                SimulatedStudy, simulate_study, write_study)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
RATING_COLS = ["period", "unit", "subject", "subject_name", "rater", "rater_name", "rater_role", "item", "score",
               "score_label"]
KEY = ("period", "unit", "subject", "rater", "item")
SMALL = dict(n_units=8, subjects_per_unit=(10, 20))


@pytest.fixture(scope="module")
def sim() -> SimulatedStudy:
    return simulate_study(seed=11)


@pytest.fixture(scope="module")
def big() -> SimulatedStudy:
    # enough units for the outcome and reliability checks to have power, still ~1 s
    return simulate_study(seed=5, n_units=150, subjects_per_unit=(25, 40))


def _load(path, monkeypatch):
    from evaltools.data import load_study

    monkeypatch.delenv("EVALTOOLS_KEY", raising=False)
    return load_study(path)


# ----------------------------------------------------------------- determinism
def test_same_seed_same_study():
    a, b = simulate_study(seed=3, **SMALL), simulate_study(seed=3, **SMALL)
    pd.testing.assert_frame_equal(a.ratings, b.ratings)
    pd.testing.assert_frame_equal(a.units, b.units)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    assert json.dumps(a.truth, sort_keys=True) == json.dumps(b.truth, sort_keys=True)
    c = simulate_study(seed=4, **SMALL)
    assert not c.ratings["score"].equals(a.ratings["score"]) or len(c.ratings) != len(a.ratings)


def test_same_seed_same_files(tmp_path):
    a = write_study(tmp_path / "a", seed=3, key="k" * 32, **SMALL)
    write_study(tmp_path / "b", seed=3, key="k" * 32, **SMALL)
    for f in ("study.toml", "ratings.csv.gz", "units.csv", "outcomes.csv", "truth.json", "demo.key"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert isinstance(a, SimulatedStudy)


# ---------------------------------------------------------------- shapes, layout
def test_tables_and_columns(sim):
    r, u, o = sim.ratings, sim.units, sim.outcomes
    assert list(r.columns) == RATING_COLS
    assert list(u.columns[:5]) == ["unit", "region", "first_treated", "n_employees", "org_predikat"]
    assert list(o.columns) == ["unit", "period", "ikm", "service_days", "cases_resolved", "target_achievement"]
    assert len(u) == 30 and u["unit"].is_unique and u["region"].nunique() == 4
    assert len(o) == 30 * 6 and not o.duplicated(["unit", "period"]).any()
    assert list(r["period"].cat.categories) == list(sm.DEFAULT_PERIODS) and r["period"].cat.ordered
    assert set(r["rater_role"].unique()) == set(ROLES)
    assert set(r["item"].unique()) == set(BERAKHLAK + KPI_ITEMS + ORDINAL_ITEMS)
    assert not r.duplicated(list(KEY)).any()
    # waves and controls as the issue asks
    ft = u["first_treated"]
    assert set(ft.dropna()) == set(sm.DEFAULT_WAVES) and ft.isna().sum() >= 4
    for name in ("Dinas Kesehatan Kota Binjai", "Dinas Pendidikan Kota Semarang", "Disdukcapil Kota Lhokseumawe",
                 "Kecamatan Lubuk Begalung (Padang)"):
        assert name in set(u["unit"])
    assert 1500 <= r["subject"].nunique() <= 3000   # "a few thousand subjects" with controls


def test_scores_on_declared_scales(sim):
    r = sim.ratings
    ordinal = r["item"].isin(ORDINAL_ITEMS).to_numpy()
    num = r.loc[~ordinal, "score"].to_numpy()
    assert np.isin(num, [1, 2, 3, 4, 5]).all()
    assert r.loc[~ordinal, "score_label"].isna().all()
    lab = r.loc[ordinal, "score_label"]
    assert list(lab.cat.categories) == list(EKSPEKTASI) and lab.cat.ordered
    assert (lab.cat.codes.to_numpy() + 1 == r.loc[ordinal, "score"].to_numpy()).all()
    assert set(r.loc[ordinal, "rater_role"]) == {"atasan"}
    # every level of every scale occurs
    assert set(np.unique(num)) == {1, 2, 3, 4, 5} and set(lab) == set(EKSPEKTASI)


def test_ratings_only_in_pilot_units_from_first_treated(sim):
    r, u = sim.ratings, sim.units
    ft = u.set_index("unit")["first_treated"]
    assert set(r["unit"].astype(str)) == set(ft.dropna().index)
    per_idx = r["period"].cat.codes.to_numpy()
    ft_idx = ft.reindex(r["unit"].astype(str)).map(list(sm.DEFAULT_PERIODS).index).to_numpy()
    assert (per_idx >= ft_idx).all()
    assert set(r["period"].astype(str)) == {"2025-S1", "2025-S2"}   # rating_periods=2


def test_360_design(sim):
    r = sim.ratings
    pairs = r.drop_duplicates(["period", "subject", "rater", "rater_role"])
    atasan = pairs[pairs["rater_role"] == "atasan"].groupby(["period", "subject"], observed=True).size()
    assert atasan.max() == 1                                    # one atasan per subject
    self_ = pairs[pairs["rater_role"] == "diri_sendiri"]
    assert (self_["rater"].astype(str) == self_["subject"].astype(str)).all()
    others = pairs[pairs["rater_role"] != "diri_sendiri"]
    assert (others["rater"].astype(str) != others["subject"].astype(str)).all()
    # the atasan rates a whole team: most atasan rate several subjects
    team = pairs[pairs["rater_role"] == "atasan"].groupby(["period", "rater"], observed=True).size()
    assert team.median() >= 4
    # coverage is incomplete: not every subject has every role, nor every item
    per_subject = pairs.groupby(["period", "subject"], observed=True)["rater_role"].nunique()
    assert per_subject.min() < per_subject.max()
    cells = r.groupby(["period", "subject", "rater"], observed=True).size()
    assert cells.nunique() > 1
    # public respondents are anonymous survey ids, each rating once
    pub = pairs[pairs["rater_role"] == "masyarakat"]
    assert pub["rater"].astype(str).str.fullmatch(r"SKM-\d{8}").all() and pub["rater"].is_unique
    assert r.loc[r["rater_role"] == "masyarakat", "rater_name"].isna().all()


def _nip_parts(nips: pd.Series) -> pd.DataFrame:
    s = nips.astype(str)
    return pd.DataFrame({"birth": s.str[:8], "appt": s.str[8:14], "sex": s.str[14], "serial": s.str[15:18]})


def test_nip_layout(sim):
    r = sim.ratings
    ids = pd.Series(pd.unique(pd.concat([r["subject"].astype(str),
                                         r.loc[r["rater_role"] != "masyarakat", "rater"].astype(str)])))
    assert ids.str.fullmatch(r"\d{18}").all()
    p = _nip_parts(ids)
    birth = pd.to_datetime(p["birth"], format="%Y%m%d", errors="coerce")
    assert birth.notna().all()
    appt = pd.to_datetime(p["appt"] + "01", format="%Y%m%d", errors="coerce")
    assert appt.notna().all()
    age_at_appt = (appt - birth).dt.days / 365.25
    assert (age_at_appt >= 18).all() and (appt <= pd.Timestamp("2023-12-31")).all()
    assert birth.dt.year.between(1960, 2005).all()
    assert p["sex"].isin(["1", "2"]).all()
    assert p["serial"].astype(int).between(1, 999).all()
    # one name per NIP, and the NIP's sex digit fits the name pool it was drawn from
    staff = r["rater_role"] != "masyarakat"
    names = pd.concat([r[["subject", "subject_name"]].set_axis(["id", "name"], axis=1),
                       r.loc[staff, ["rater", "rater_name"]].set_axis(["id", "name"], axis=1)])
    assert (names.astype(str).drop_duplicates().groupby("id").size() == 1).all()
    first = names.drop_duplicates("id")
    female_first = {n for pools in sm._FIRST_NAMES.values() for n in pools[2]} - \
        {n for pools in sm._FIRST_NAMES.values() for n in pools[1]}
    is_f = first["name"].astype(str).str.split().str[0].isin(female_first)
    assert (first.loc[is_f, "id"].astype(str).str[14] == "2").all()


def test_units_and_outcomes_values(sim):
    u, o = sim.units, sim.outcomes
    assert set(u["org_predikat"]) <= set(sm.ORG_PREDIKAT)
    assert (u["n_employees"] > 0).all()
    assert o["ikm"].between(0, 100).all() and o["cases_resolved"].between(0, 1).all()
    assert (o["service_days"] > 0).all() and (o["target_achievement"] > 0).all()


# ------------------------------------------------------------- truth consistency
_RES: dict[int, pd.DataFrame] = {}


def _residuals(s: SimulatedStudy) -> pd.DataFrame:
    if id(s) not in _RES:
        _RES[id(s)] = _make_residuals(s)
    return _RES[id(s)]


def _make_residuals(s: SimulatedStudy) -> pd.DataFrame:
    r = s.ratings[s.ratings["score_label"].isna()]
    rt = s.truth_frames["raters"].set_index("rater")
    st_ = s.truth_frames["subjects"].set_index("subject")
    return pd.DataFrame({
        "res": r["score"].to_numpy() - st_["true_score"].reindex(r["subject"].astype(str)).to_numpy(),
        "kind": rt["kind"].reindex(r["rater"].astype(str)).to_numpy(),
        "severity": rt["severity"].reindex(r["rater"].astype(str)).to_numpy(),
        "role": r["rater_role"].astype(str).to_numpy(), "rater": r["rater"].astype(str).to_numpy(),
        "subject": r["subject"].astype(str).to_numpy(), "item": r["item"].astype(str).to_numpy(),
        "unit": r["unit"].astype(str).to_numpy(), "period": r["period"].astype(str).to_numpy(),
        "score": r["score"].to_numpy()})


def test_truth_speaks_the_report_verdict_codes(sim):
    """One verdict vocabulary: the truth's expected_code is a report verdict code, and it says
    what the older expected_verdict (go / fix-first / stop) says."""
    from evaltools.report import VERDICTS

    # the older "stop" covered both a hold (harm) and a pilot that showed no benefit
    old_to_code = {"go": {"SIAP"}, "fix-first": {"PERBAIKI DULU"}, "stop": {"TUNDA", "BELUM TERBUKTI"},
                   None: {None}}
    for v in sim.truth["units"].values():
        assert v["expected_code"] in (*VERDICTS, None)
        assert v["expected_code"] in old_to_code[v["expected_verdict"]]
    assert {v["expected_code"] for v in sim.truth["units"].values()} >= {"SIAP", "PERBAIKI DULU"}
    # every profile's code, including the two that the old vocabulary merged into "stop"
    assert set(sm.EXPECTED_CODE) == {*sm.PROFILES, "control"}
    assert set(sm.EXPECTED_CODE.values()) == {*VERDICTS, None}
    assert sm.EXPECTED_CODE["no_effect"] == "BELUM TERBUKTI" and sm.EXPECTED_CODE["harm"] == "TUNDA"
    for p, code in sm.EXPECTED_CODE.items():  # the deprecated alias says the same thing
        assert code in old_to_code[sm.EXPECTED_VERDICT[p]]


def test_truth_records_cover_the_data(sim):
    t = sim.truth
    rt = pd.DataFrame(t["raters"])
    assert set(rt.columns) >= {"rater", "unit", "role", "severity", "spread", "halo", "kind"}
    assert set(rt["kind"]) == {"ok", "lenient", "severe", "central", "halo"}
    assert set(rt["rater"]) == set(sim.ratings["rater"].astype(str)) and rt["rater"].is_unique
    subj = pd.DataFrame(t["subjects"])
    assert set(subj["subject"]) == set(sim.ratings["subject"].astype(str))
    assert set(t["units"]) == set(sim.units["unit"])
    for u, v in t["units"].items():
        assert set(v["true_effect"]) == set(sm.OUTCOMES)
        if v["profile"] in ("control", "no_effect"):
            assert all(x == 0 for x in v["true_effect"].values())
        elif v["profile"] == "harm":
            assert v["true_effect"]["ikm"] < 0 and v["true_effect"]["service_days"] > 0
        else:
            assert v["true_effect"]["ikm"] > 0 and v["true_effect"]["service_days"] < 0
    profiles = {v["profile"] for v in t["units"].values()}
    assert profiles == {"control", "calibrated", "lenient_clique", "severe_clique", "low_agreement", "no_effect",
                        "harm"}
    vc = t["variance_components"]
    assert {"subject", "rater", "item", "residual"} <= set(vc)
    assert set(t["reliability"]) == set(sim.units.loc[sim.units["first_treated"].notna(), "unit"])
    json.dumps(t, allow_nan=False)                                   # JSON-able


def test_lenient_above_ok_above_severe(sim):
    d = _residuals(sim)
    d = d[d["role"] != "diri_sendiri"]
    m = d.groupby("kind")["res"].mean()
    assert m["lenient"] > m["ok"] + 0.4 > m["severe"] + 0.8
    # per rater: the mean residual tracks -severity (a rater's scores are lower by severity)
    per = d[d["role"].isin(["atasan", "rekan_kerja"])].groupby("rater").agg(res=("res", "mean"),
                                                                             sev=("severity", "first"),
                                                                             n=("res", "size"))
    per = per[per["n"] >= 10]
    assert np.corrcoef(per["res"], -per["sev"])[0, 1] > 0.6


def test_self_ratings_inflated_and_central_raters_narrow(sim):
    d = _residuals(sim)
    m = d.groupby("role")["res"].mean()
    assert m["diri_sendiri"] > m["rekan_kerja"] + 0.4
    sd = d[d["role"] != "diri_sendiri"].groupby(["kind", "rater"])["score"].std().groupby("kind").mean()
    assert sd["central"] < 0.8 * sd["ok"]


def test_halo_raters_do_not_differentiate_items(sim):
    d = _residuals(sim)
    d = d[d["item"].isin(BERAKHLAK) & (d["role"] != "masyarakat")]
    # spread of one rater's scores over the items of one subject: small under halo
    within = d.groupby(["kind", "rater", "subject", "period"])["score"].std().groupby("kind").mean()
    assert within["halo"] < 0.8 * within["ok"]


def _icc1(d: pd.DataFrame) -> float:
    """One-way random-effects ICC(1) (McGraw & Wong 1996, Table 4, case 1) from long data."""
    g = d.groupby("target")["score"]
    n_i = g.size().to_numpy()
    means = g.mean().to_numpy()
    k = len(n_i)
    N = n_i.sum()
    grand = d["score"].mean()
    msb = (n_i * (means - grand) ** 2).sum() / (k - 1)
    msw = ((d["score"] - d["target"].map(g.mean())) ** 2).sum() / (N - k)
    k0 = (N - (n_i ** 2).sum() / N) / (k - 1)        # unequal group sizes (Snedecor & Cochran)
    return (msb - msw) / (msb + (k0 - 1) * msw)


def test_model_reliability_matches_data(big):
    """The truth's model ICC(1) agrees with the ANOVA ICC(1) of the simulated scores."""
    t = big.truth
    d = _residuals(big)
    d = d[d["role"].isin(["atasan", "rekan_kerja", "bawahan"])]
    for profile in ("calibrated", "severe_clique"):
        units = [u for u, v in t["units"].items() if v["profile"] == profile]
        for item in ("Kompeten", "Harmonis"):
            x = d[d["unit"].isin(units) & (d["item"] == item)].copy()
            # subjects are nested in units with their own mean: centre per unit, as the model ICC is within unit
            x["score"] = x["score"] - x.groupby("unit")["score"].transform("mean")
            x["target"] = x["subject"] + "|" + x["period"]
            est = _icc1(x)
            model = np.mean([t["reliability"][u]["icc_single_by_item"][item] for u in units])
            # rounding to integers attenuates the latent ICC a little
            assert model - 0.12 < est < model + 0.04, (profile, item, est, model)
    # the low-agreement items are the least reliable items of their units
    for u, v in t["units"].items():
        if v["profile"] == "low_agreement":
            by = t["reliability"][u]["icc_single_by_item"]
            low = v["low_agreement_items"]
            assert len(low) == 2 and max(by[i] for i in low) < min(by[i] for i in BERAKHLAK if i not in low)


def test_outcomes_recover_true_effects(big):
    """2x2 DiD per wave against never-treated units recovers the wave's mean true effect."""
    t = big.truth
    o = big.outcomes.merge(big.units[["unit", "first_treated"]], on="unit")
    periods = list(sm.DEFAULT_PERIODS)
    o["t"] = o["period"].map(periods.index)
    ctrl = o[o["first_treated"].isna()]
    for wave in sm.DEFAULT_WAVES:
        g = periods.index(wave)
        for out in ("ikm", "target_achievement", "service_days", "cases_resolved"):
            def change(df):   # per unit: mean over post periods minus the last pre period
                post = df[df["t"] >= g].groupby("unit")[out].mean()
                return post - df[df["t"] == g - 1].set_index("unit")[out].reindex(post.index)
            dtr, dc = change(o[o["first_treated"] == wave]), change(ctrl)
            did = dtr.mean() - dc.mean()
            se = np.sqrt(dtr.var() / len(dtr) + dc.var() / len(dc))
            truth = t["effects"]["by_wave"][wave][out]
            assert abs(did - truth) < 4 * se, (wave, out, did, truth, se)
            if out == "ikm":
                assert 4 * se < abs(truth)      # the check has power: a zero effect would fail
    # no pre-trend: before 2024-S1 treated and control units move alike
    pre = o[o["t"] <= 1].pivot_table(index="unit", columns="t", values="ikm")
    g = (pre[1] - pre[0]).groupby(big.units.set_index("unit")["first_treated"].notna())
    se = np.sqrt((g.var() / g.size()).sum())
    assert abs(g.mean()[True] - g.mean()[False]) < 3 * se


# --------------------------------------------------------------------- writing
def test_toml_parses_to_config_and_export_mapping(tmp_path):
    import tomllib

    s = simulate_study(seed=2, **SMALL)
    s.write(tmp_path / "e", key="x" * 32)
    cfg = tomllib.loads((tmp_path / "e" / "study.toml").read_text(encoding="utf-8"))
    assert cfg["columns"]["ratings"] == EXPORT_COLUMNS
    assert cfg["study"]["key_file"] == "demo.key" and cfg["study"]["periods"] == list(sm.DEFAULT_PERIODS)
    assert cfg["scales"]["ekspektasi"]["levels"] == list(EKSPEKTASI)
    assert cfg["items"] == {"default": "skala_1_5", "Hasil Kerja": "ekspektasi", "Perilaku Kerja": "ekspektasi"}
    assert cfg["outcomes"]["service_days"]["higher_is_better"] is False
    assert "thresholds" in cfg
    assert "DEMO ONLY" in (tmp_path / "e" / "study.toml").read_text(encoding="utf-8")
    with gzip.open(tmp_path / "e" / "ratings.csv.gz", "rt", encoding="utf-8") as fh:
        assert fh.readline().strip().split(",") == list(EXPORT_COLUMNS.values())
    s.write(tmp_path / "i", export_style=False, key="x" * 32)
    cfg = tomllib.loads((tmp_path / "i" / "study.toml").read_text(encoding="utf-8"))
    assert cfg["columns"]["ratings"] == {c: c for c in EXPORT_COLUMNS}
    assert (tmp_path / "e" / "demo.key").read_text().strip() == "x" * 32


def test_write_is_atomic_and_keeps_other_files(tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    (out / "README.md").write_text("keep me")
    (out / "demo.key").write_text("existing-key\n")
    s = simulate_study(seed=2, **SMALL)
    s.write(out)
    assert (out / "README.md").read_text() == "keep me"
    assert (out / "demo.key").read_text().strip() == "existing-key"   # reused, not replaced
    assert not [p for p in out.iterdir() if p.name.startswith(".")]   # no temp files left
    with pytest.raises(ValueError, match="format"):
        s.write(out, format="json")


def test_truth_json_has_no_names_or_raw_ids(tmp_path):
    s = simulate_study(seed=2, **SMALL)
    s.write(tmp_path / "s", key="y" * 32)
    text = (tmp_path / "s" / "truth.json").read_text(encoding="utf-8")
    assert not re.search(r"\d{18}", text)
    raw = set(s.ratings["subject"].astype(str)) | set(s.ratings["rater"].astype(str))
    assert not [i for i in raw if i in text]
    names = set(s.ratings["subject_name"].dropna().astype(str)) | set(s.ratings["rater_name"].dropna().astype(str))
    assert not [n for n in names if n in text]
    truth = json.loads(text)
    assert all(r["rater"].startswith("P-") for r in truth["raters"])
    assert all(r["subject"].startswith("P-") for r in truth["subjects"])


# ------------------------------------------------------------------ round trip
@pytest.mark.parametrize("fmt", ["csv", "plain-csv", "parquet", "xlsx"])
def test_round_trip_load_study(tmp_path, monkeypatch, fmt):
    # XLSX reading and writing is slow: a smaller study there
    size = dict(n_units=4, subjects_per_unit=(5, 7)) if fmt == "xlsx" else dict(n_units=6, subjects_per_unit=(8, 12))
    s = simulate_study(seed=7, **size)
    s.write(tmp_path / fmt, format=fmt, key="z" * 40)
    study = _load(tmp_path / fmt, monkeypatch)
    r = study.ratings
    assert len(r) == len(s.ratings)
    assert list(r.columns[:8]) == ["period", "unit", "subject", "rater", "rater_role", "item", "score", "score_label"]
    assert not {"subject_name", "rater_name"} & set(r.columns)
    raw = set(s.ratings["subject"].astype(str)) | set(s.ratings["rater"].astype(str))
    for frame in (study.ratings, study.units, study.outcomes):
        for c in frame.columns:
            vals = set(frame[c].dropna().astype(str))
            assert not vals & raw, c
    assert r["subject"].str.fullmatch(r"P-[0-9a-f]{16}").all()
    # same data: join through the truth's pseudonym mapping
    truth = json.loads((tmp_path / fmt / "truth.json").read_text())
    assert {x["rater"] for x in truth["raters"]} == set(r["rater"])
    assert {x["subject"] for x in truth["subjects"]} == set(r["subject"])
    pmap = dict(zip([x["rater"] for x in s.truth["raters"]], [x["rater"] for x in truth["raters"]]))
    pmap.update(zip([x["subject"] for x in s.truth["subjects"]], [x["subject"] for x in truth["subjects"]]))
    mine = s.ratings.assign(subject=s.ratings["subject"].astype(str).map(pmap),
                            rater=s.ratings["rater"].astype(str).map(pmap))
    cols = ["period", "unit", "subject", "rater", "rater_role", "item"]
    a = mine[cols + ["score"]].astype({c: str for c in cols}).sort_values(cols).reset_index(drop=True)
    b = r[cols + ["score"]].astype({c: str for c in cols}).sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    lab = r.loc[r["item"].isin(ORDINAL_ITEMS), "score_label"]
    assert set(lab.astype(str)) <= set(EKSPEKTASI)
    # units and outcomes
    u = study.units.set_index("unit")
    ft = s.units.set_index("unit")["first_treated"]
    assert (u["first_treated"].astype(object).reindex(ft.index).isna() == ft.isna()).all()
    assert (u.loc[ft.dropna().index, "first_treated"].astype(str) == ft.dropna()).all()
    om = study.outcomes.assign(period=study.outcomes["period"].astype(str)).set_index(["unit", "period"])
    so = s.outcomes.set_index(["unit", "period"])
    np.testing.assert_allclose(om.loc[so.index, "ikm"].to_numpy(), so["ikm"].to_numpy())


def test_round_trip_with_environment_key(tmp_path, monkeypatch):
    from evaltools.data import load_study

    s = simulate_study(seed=8, n_units=4, subjects_per_unit=(6, 8))
    s.write(tmp_path / "s", key="env-key-123", key_file=None)
    assert not (tmp_path / "s" / "demo.key").exists()
    monkeypatch.setenv("EVALTOOLS_KEY", "env-key-123")
    study = load_study(tmp_path / "s")
    truth = json.loads((tmp_path / "s" / "truth.json").read_text())
    assert {x["rater"] for x in truth["raters"]} == set(study.ratings["rater"])
    with pytest.raises(ValueError, match="key"):
        s.write(tmp_path / "t", key_file=None)


# --------------------------------------------------------------- committed sample
def test_committed_sample_loads_and_regenerates(tmp_path, monkeypatch):
    if not (SAMPLE / "study.toml").exists():
        pytest.skip("data/sample is not there")
    total = sum(p.stat().st_size for p in SAMPLE.iterdir())
    assert total < 4_000_000
    assert re.fullmatch(r"[0-9a-f]{64}", (SAMPLE / "demo.key").read_text().strip())
    study = _load(SAMPLE, monkeypatch)
    truth = json.loads((SAMPLE / "truth.json").read_text())
    assert {x["rater"] for x in truth["raters"]} == set(study.ratings["rater"])
    assert not re.search(r"\d{18}", (SAMPLE / "truth.json").read_text())
    # the committed files are what the generator writes (ratings compared as text, which is
    # what a reader sees; the other files byte for byte)
    regen = simulate_study(**sm.SAMPLE_ARGS)
    cfg = sm._study_config(regen.config, files=study.config["files"], export_style=True, key_file="demo.key")
    assert sm._render_toml(cfg) == (SAMPLE / "study.toml").read_text(encoding="utf-8")
    key = (SAMPLE / "demo.key").read_text().strip().encode()
    from evaltools.data import pseudonymize
    assert sm._dump_truth(sm._pseudonymize_truth(regen.truth, key, pseudonymize)) == \
        (SAMPLE / "truth.json").read_text(encoding="utf-8")
    mine = sm._file_ratings(regen.ratings, EXPORT_COLUMNS).astype(str).fillna("")
    committed = pd.read_csv(SAMPLE / "ratings.csv.gz", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(mine, committed, check_dtype=False)
    units = pd.read_csv(SAMPLE / "units.csv", dtype=str, keep_default_na=False)
    assert list(units["unit"]) == list(regen.units["unit"])
    assert list(units["first_treated"]) == [x if isinstance(x, str) else "" for x in regen.units["first_treated"]]


def test_write_sample_rewrites_the_committed_files_byte_for_byte(tmp_path):
    """write_sample with the committed demo key gives the committed files, byte for byte
    (the split of the generator into steps, or any change to it, must not move one byte)."""
    if not (SAMPLE / "study.toml").exists():
        pytest.skip("data/sample is not there")
    (tmp_path / "demo.key").write_bytes((SAMPLE / "demo.key").read_bytes())
    sm.write_sample(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["demo.key", "outcomes.csv", "ratings.csv.gz", "study.toml", "truth.json", "units.csv"]
    for name in written:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def test_same_study_same_bytes_in_every_format(tmp_path):
    """Repeated writes of one study with one key give identical files, the partitioned
    Parquet folder included (its rows keep the frame's order, not the order the writer's
    threads finish: at the sample's size, without ``preserve_order`` a few of its 24 unit
    files differ between two writes)."""
    small = simulate_study(seed=2, **SMALL)
    sample_size = simulate_study(seed=2, n_units=30, subjects_per_unit=(40, 120))
    for fmt, s, n_writes in (("csv", small, 2), ("plain-csv", small, 2), ("parquet", small, 2),
                             ("parquet-dataset", sample_size, 2)):
        dirs = [tmp_path / f"{fmt}-{k}" for k in range(n_writes)]
        for d in dirs:
            s.write(d, format=fmt, key="k" * 64)
        files = sorted(p.relative_to(dirs[0]) for p in dirs[0].rglob("*") if p.is_file())
        assert len(files) >= 5
        for d in dirs[1:]:
            assert files == sorted(p.relative_to(d) for p in d.rglob("*") if p.is_file())
            for f in files:
                assert (dirs[0] / f).read_bytes() == (d / f).read_bytes(), (fmt, f)


# ------------------------------------------------------------------- arguments
@pytest.mark.parametrize("kwargs, word", [
    ({"subjects_per_unit": (2, 5)}, "subjects_per_unit"),
    ({"waves": ["2030-S1"]}, "waves"),
    ({"waves": ["2023-S1"]}, "waves"),
    ({"periods": ["2023-S1"]}, "periods"),
    ({"profiles": ["friendly"]}, "profiles"),
    ({"control_share": 1.0}, "control_share"),
    ({"rating_periods": 0}, "rating_periods"),
    ({"model": {"sd_subjects": 1.0}}, "model"),
])
def test_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        simulate_study(**kwargs)


def test_custom_periods_and_all_rated_periods():
    periods = [f"2024-{m:02d}" for m in range(1, 13)]
    s = simulate_study(seed=1, n_units=6, subjects_per_unit=(5, 8), periods=periods, rating_periods=None)
    ft = s.units["first_treated"].dropna()
    assert set(ft) <= set(periods[4:7])
    first_rated = s.ratings.groupby("unit", observed=True)["period"].min().astype(str)
    assert (first_rated == s.units.set_index("unit")["first_treated"].reindex(first_rated.index)).all()
    assert list(s.outcomes["period"].unique()) == periods


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_units=st.integers(1, 7), lo=st.integers(3, 12), extra=st.integers(0, 10),
       rating_periods=st.sampled_from([1, 2, 3, None]), control_share=st.sampled_from([0.0, 0.25, 0.5]))
def test_invariants(seed, n_units, lo, extra, rating_periods, control_share):
    s = simulate_study(seed=seed, n_units=n_units, subjects_per_unit=(lo, lo + extra),
                       rating_periods=rating_periods, control_share=control_share)
    r = s.ratings
    assert not r.duplicated(list(KEY)).any()
    num = r["score_label"].isna().to_numpy()
    assert np.isin(r["score"].to_numpy()[num], [1, 2, 3, 4, 5]).all()
    assert np.isin(r["score"].to_numpy()[~num], [1, 2, 3]).all()
    assert len(s.outcomes) == n_units * len(sm.DEFAULT_PERIODS)
    assert set(r["unit"].astype(str)) <= set(s.units.loc[s.units["first_treated"].notna(), "unit"])
    truth_raters = {x["rater"] for x in s.truth["raters"]}
    assert set(r["rater"].astype(str)) == truth_raters
    emp = s.units.set_index("unit")["n_employees"]
    per_unit = r.groupby("unit", observed=True)["subject"].nunique()
    assert (per_unit <= emp.reindex(per_unit.index) - 1).all()


def test_peers_rate_a_team_of_colleagues(sim):
    """A rekan kerja rates ~6 teammates per period (360 programmes ask each peer to rate
    their team), not 2-3."""
    r = sim.ratings[sim.ratings["rater_role"] == "rekan_kerja"]
    per = r.groupby(["rater", "period"], observed=True)["subject"].nunique()
    assert 4.5 <= per.median() <= 8, per.describe()


def test_true_drift_is_in_the_data(sim):
    """truth["raters"]["drift"]: a few internal raters of units rated in two periods change
    severity from the first rated period on; their (role-free) mean score moves by about
    -drift, the other raters' does not."""
    tr = sim.truth_frames["raters"].assign(rater=lambda x: x["rater"].astype(str)).set_index("rater")
    drifting = tr[tr["drift"] != 0]
    internal = tr[tr["role"] != "masyarakat"]
    assert 0.01 <= len(drifting) / len(internal) <= 0.06
    assert (drifting["role"] != "masyarakat").all()
    assert drifting["drift"].abs().between(0.4, 1.2).all()
    r = sim.ratings.astype({"rater": str, "subject": str, "item": str})
    r = r[~r["item"].isin(ORDINAL_ITEMS)]
    # rater's change of mean score minus the change of the mean score of the same subjects
    lvl = r.groupby(["subject", "period"], observed=True)["score"].transform("mean")
    r = r.assign(dev=r["score"] - lvl)
    m = r.groupby(["rater", "period"], observed=True)["dev"].mean().unstack()
    periods = [p for p in m.columns if m[p].notna().any()]
    ch = (m[periods[-1]] - m[periods[0]]).dropna()
    d = ch.reindex(drifting.index).dropna()
    assert len(d) >= 0.8 * len(drifting)
    assert np.corrcoef(d, -drifting.loc[d.index, "drift"])[0, 1] >= 0.8
    others = ch.drop(drifting.index, errors="ignore")
    assert abs(others.mean()) < 0.05


def test_true_predikat_follows_the_kuadran(sim):
    """truth["subjects"] carries the rater-free Hasil/Perilaku level and the predikat the
    kuadran matrix of PermenPANRB 6/2022 gives for them (checked against
    evaltools.calibration.predikat), and the level follows the true score through the cuts."""
    from evaltools.calibration import predikat
    ts = sim.truth_frames["subjects"]
    exp = predikat(ts["true_hasil"].astype(str), ts["true_perilaku"].astype(str))
    assert (exp.astype(str).to_numpy() == ts["true_predikat"].astype(str).to_numpy()).all()
    c1, c2 = sim.truth["ordinal_cuts"]
    lvl = 1 + (ts["true_score"] > c1).astype(int) + (ts["true_score"] > c2).astype(int)
    assert (ts["true_hasil"].cat.codes.to_numpy() + 1 == lvl.to_numpy()).all()

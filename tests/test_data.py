"""The study data contract: loading, validation messages, pseudonymization."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import evaltools
from evaltools import DataError, load_study
from evaltools.data import looks_identifying, normalize_id, pseudonymize

TOML = """
[study]
name = "mini"
periods = ["2024-S1", "2024-S2", "2025-S1"]
rater_roles = ["atasan", "rekan_kerja", "diri_sendiri"]
key_env = "EVALTOOLS_TEST_KEY"

[files]
ratings = "ratings.{ext}"
units = "units.{ext}"
outcomes = "outcomes.{ext}"

[columns.ratings]
period = "periode"
unit = "unit_kerja"
subject = "nip"
subject_name = "nama"
rater = "nip_penilai"
rater_name = "nama_penilai"
rater_role = "peran"
item = "indikator"
score = "nilai"

[scales.likert]
kind = "numeric"
min = 1
max = 5

[scales.ekspektasi]
kind = "ordinal"
levels = ["Di Bawah Ekspektasi", "Sesuai Ekspektasi", "Di Atas Ekspektasi"]

[items]
default = "likert"
"Hasil Kerja" = "ekspektasi"

[outcomes.ikm]
label = "IKM"
higher_is_better = true
[outcomes.service_days]
higher_is_better = false
"""

NIPS = ["196608011988031001", "197502142000122003", "198811302015031002", "199001012019032001"]
NAMES = ["Siti Rahmawati", "Budi Santoso", "Agus Salim", "Dewi Lestari"]


def _ratings() -> pd.DataFrame:
    rows = []
    for period in ["2024-S2", "2025-S1"]:
        for unit in ["Dinas Kesehatan Kota Binjai", "Disdukcapil Kota Lhokseumawe"]:
            for s in range(2):
                for r, role in [(2, "atasan"), (3, "rekan_kerja")]:
                    for item in ["Akuntabel", "Hasil Kerja"]:
                        score = str(3 + s) if item == "Akuntabel" else ["Sesuai Ekspektasi", "Di Atas Ekspektasi"][s]
                        rows.append([period, unit, NIPS[s], NAMES[s], NIPS[r], NAMES[r], role, item, score])
    return pd.DataFrame(rows, columns=["periode", "unit_kerja", "nip", "nama", "nip_penilai", "nama_penilai",
                                       "peran", "indikator", "nilai"])


def _units() -> pd.DataFrame:
    return pd.DataFrame({"unit": ["Dinas Kesehatan Kota Binjai", "Disdukcapil Kota Lhokseumawe", "Kecamatan Lubuk Begalung"],
                         "region": ["Kota Binjai", "Kota Lhokseumawe", "Kota Padang"],
                         "first_treated": ["2024-S2", "2025-S1", ""],
                         "n_employees": ["40", "55", "31"]})


def _outcomes() -> pd.DataFrame:
    u = _units()["unit"].tolist()
    per = ["2024-S1", "2024-S2", "2025-S1"]
    return pd.DataFrame({"unit": np.repeat(u, 3), "period": per * 3,
                         "ikm": ["80.5", "81", "83,5"] * 3, "service_days": ["5", "4", "4"] * 3})


def write_study(folder: Path, ext: str = "csv", ratings=None, units=None, outcomes=None, toml=TOML) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.toml").write_text(toml.replace("{ext}", ext), encoding="utf-8")
    for name, df in (("ratings", _ratings() if ratings is None else ratings),
                     ("units", _units() if units is None else units),
                     ("outcomes", _outcomes() if outcomes is None else outcomes)):
        path = folder / f"{name}.{ext}"
        if ext == "csv":
            df.to_csv(path, index=False)
        elif ext == "parquet":
            df.to_parquet(path, index=False)
        else:
            df.to_excel(path, index=False)
    return folder


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("EVALTOOLS_TEST_KEY", "test-key-not-secret")


def _snapshot(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.mark.parametrize("ext", ["csv", "parquet", "xlsx"])
def test_load_valid_study_all_formats(tmp_path, ext):
    folder = write_study(tmp_path / ext, ext)
    before = _snapshot(folder)
    study = load_study(folder)
    assert _snapshot(folder) == before, "input files must never be modified"
    r = study.ratings
    assert list(r.columns[:8]) == ["period", "unit", "subject", "rater", "rater_role", "item", "score", "score_label"]
    assert isinstance(r["period"].dtype, pd.CategoricalDtype) and r["period"].cat.ordered
    assert list(r["period"].cat.categories) == study.periods
    assert r["score"].dtype == np.float64
    hk = r[r["item"] == "Hasil Kerja"]
    assert set(hk["score"]) == {2.0, 3.0}
    assert r["score_label"].cat.ordered and hk["score_label"].iloc[0] in ("Sesuai Ekspektasi", "Di Atas Ekspektasi")
    assert r.loc[r["item"] == "Akuntabel", "score_label"].isna().all()
    assert study.units["first_treated_idx"].tolist() == [2, 3, 0]
    assert study.units["n_employees"].dtype.kind in "if"
    assert study.outcomes["ikm"].tolist()[:3] == [80.5, 81.0, 83.5], "decimal comma is read"
    assert study.outcomes["t"].tolist()[:3] == [1, 2, 3]
    assert study.outcome_info["service_days"]["higher_is_better"] is False
    assert study.scale_for("Hasil Kerja").categories == [1.0, 2.0, 3.0]
    assert study.scale_for("Akuntabel").categories == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert study.pilot_units == ["Dinas Kesehatan Kota Binjai", "Disdukcapil Kota Lhokseumawe"]


def test_no_raw_identifier_in_study(tmp_path):
    study = load_study(write_study(tmp_path / "s"))
    text = "\n".join(df.to_csv() for df in (study.ratings, study.units, study.outcomes))
    for raw in NIPS + NAMES:
        assert raw not in text
    assert "nama" not in study.ratings.columns and "subject_name" not in study.ratings.columns
    assert study.ratings["subject"].str.fullmatch(r"P-[0-9a-f]{16}").all()
    assert "test-key-not-secret" not in repr(study.config)


def test_pseudonyms_stable_and_keyed(tmp_path, monkeypatch):
    a = load_study(write_study(tmp_path / "a")).ratings["subject"]
    b = load_study(write_study(tmp_path / "b")).ratings["subject"]
    assert a.equals(b), "same key, same pseudonyms across runs"
    monkeypatch.setenv("EVALTOOLS_TEST_KEY", "another-key")
    c = load_study(write_study(tmp_path / "c")).ratings["subject"]
    assert not set(a) & set(c)


def test_nip_written_with_spaces_links_to_same_pseudonym():
    s = pd.Series(["19660801 198803 1 001", "196608011988031001"])
    out = pseudonymize(s, b"k")
    assert out.iloc[0] == out.iloc[1]


def test_missing_key_with_raw_identifiers_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALTOOLS_TEST_KEY")
    with pytest.raises(DataError) as e:
        load_study(write_study(tmp_path / "s"))
    assert "EVALTOOLS_TEST_KEY" in str(e.value) and e.value.column == "subject" and e.value.row == 2


def test_key_file(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALTOOLS_TEST_KEY")
    folder = write_study(tmp_path / "s", toml=TOML.replace('key_env = "EVALTOOLS_TEST_KEY"',
                                                           'key_env = "EVALTOOLS_TEST_KEY"\nkey_file = "demo.key"'))
    (folder / "demo.key").write_text("0123456789abcdef\n")
    assert load_study(folder).ratings["rater"].str.startswith("P-").all()


def test_a_key_file_problem_comes_after_the_tables_problems(tmp_path, monkeypatch):
    # the key is read before validation (the identifiers are hashed while the duplicate keys
    # are checked), but the tables' problems are still what a user sees first
    monkeypatch.delenv("EVALTOOLS_TEST_KEY")
    toml = TOML.replace('key_env = "EVALTOOLS_TEST_KEY"', 'key_env = "EVALTOOLS_TEST_KEY"\nkey_file = "absent.key"')
    bad = _ratings()
    bad.loc[2, "nilai"] = "9"
    err = _load_error(tmp_path, toml=toml, ratings=bad)
    assert _find(err, "nilai") and not [p for p in err.problems if p.column == "study.key_file"]
    err = _load_error(tmp_path / "valid", toml=toml)
    assert err.column == "study.key_file" and "does not exist" in str(err)


def test_pseudonyms_hashed_during_validation_are_pseudonymize(tmp_path):
    study = load_study(write_study(tmp_path / "s"))
    raw = _ratings()
    key = os.environ["EVALTOOLS_TEST_KEY"].encode()
    for column, source in (("subject", "nip"), ("rater", "nip_penilai")):
        assert set(study.ratings[column].astype(str)) == set(pseudonymize(raw[source].astype(str), key))


def test_identifier_detection():
    s = pd.Series(["196608011988031001", "1966 0801 198803 1 001", "123456789", "Siti Rahmawati", "Sukarno",
                   "Ir. H. Joko Widodo", "Budi Santoso, S.Kom.", "S0001", "rater_12", "P-0123456789abcdef"])
    assert looks_identifying(s).tolist() == [True] * 7 + [False] * 3


# ---------------------------------------------------------------- bad input
def _load_error(tmp_path, **kw) -> DataError:
    folder = write_study(tmp_path / "bad", **kw)
    with pytest.raises(DataError) as e:
        load_study(folder)
    return e.value


def _find(err: DataError, column: str) -> list:
    return [p for p in err.problems if p.column == column]


def test_misspelled_column_suggests_closest(tmp_path):
    err = _load_error(tmp_path, ratings=_ratings().rename(columns={"nilai": "nilia"}))
    (p,) = _find(err, "nilai")
    assert "did you mean 'nilia'" in p.message and p.file.endswith("ratings.csv")


def test_missing_contract_column_without_mapping(tmp_path):
    err = _load_error(tmp_path, units=_units().rename(columns={"region": "regoin"}))
    (p,) = _find(err, "region")
    assert "regoin" in p.message and p.file.endswith("units.csv")


def test_unknown_category_label(tmp_path):
    r = _ratings()
    r.loc[3, "nilai"] = "Sesuai Ekspektasii"
    err = _load_error(tmp_path, ratings=r)
    (p,) = _find(err, "nilai")
    assert p.row == 5 and "unknown category" in p.message and "Sesuai Ekspektasi" in p.message


def test_score_out_of_scale_and_non_numeric(tmp_path):
    r = _ratings()
    r.loc[0, "nilai"] = "9"
    r.loc[2, "nilai"] = "baik"
    err = _load_error(tmp_path, ratings=r)
    rows = {p.row: p.message for p in _find(err, "nilai")}
    assert "outside the scale" in rows[2] and "1-5" in rows[2]
    assert "not a number" in rows[4]


def test_duplicate_key(tmp_path):
    r = _ratings()
    r = pd.concat([r, r.iloc[[5]]], ignore_index=True)
    err = _load_error(tmp_path, ratings=r)
    (p,) = [p for p in err.problems if "duplicate" in p.message]
    assert p.row == len(r) + 1 and "first seen at row 7" in p.message
    assert p.column == "periode,unit_kerja,nip,nip_penilai,indikator"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=0, max_size=60), st.sampled_from(["as drawn", "sorted", "reversed"]))
def test_any_repeat_is_a_repeated_value(values, order):
    """The sort-based repeat test agrees with counting the distinct values, in any record order."""
    from evaltools.data._validate import _any_repeat

    gid = np.asarray(values, np.int64)
    gid = {"as drawn": gid, "sorted": np.sort(gid), "reversed": np.sort(gid)[::-1].copy()}[order]
    assert _any_repeat(gid) == (len(set(values)) < len(values))


def test_unit_missing_from_units(tmp_path):
    r = _ratings()
    r.loc[1, "unit_kerja"] = "Dinas Kesehatan Kota Binjal"
    err = _load_error(tmp_path, ratings=r)
    (p,) = _find(err, "unit_kerja")
    assert p.row == 3 and "not in the units table" in p.message and "Dinas Kesehatan Kota Binjai" in p.message


def test_undeclared_period(tmp_path):
    r = _ratings()
    r.loc[0, "periode"] = "2026-S1"
    o = _outcomes()
    o.loc[4, "period"] = "2024-S3"
    err = _load_error(tmp_path, ratings=r, outcomes=o)
    assert [p.row for p in _find(err, "periode")] == [2]
    assert [p.row for p in _find(err, "period")] == [6]


def test_first_treated_not_a_period(tmp_path):
    u = _units()
    u.loc[1, "first_treated"] = "2025-1"
    err = _load_error(tmp_path, units=u)
    (p,) = _find(err, "first_treated")
    assert p.row == 3 and "not a declared period" in p.message


def test_empty_table(tmp_path):
    err = _load_error(tmp_path, ratings=_ratings().iloc[:0])
    assert any("empty" in p.message and p.file.endswith("ratings.csv") for p in err.problems)


def test_unknown_role_and_non_numeric_outcome(tmp_path):
    r = _ratings()
    r.loc[2, "peran"] = "atasn"
    o = _outcomes()
    o.loc[0, "ikm"] = "n/a"
    err = _load_error(tmp_path, ratings=r, outcomes=o)
    assert "did you mean 'atasan'" in _find(err, "peran")[0].message
    assert _find(err, "ikm")[0].row == 2


def test_corrupt_copy_lists_all_problems_at_once(tmp_path):
    """The issue's acceptance case: misspelled column, a 9 on 1-5, a duplicate and an unknown unit."""
    r = _ratings().rename(columns={"peran": "peran_"})
    r.loc[0, "nilai"] = "9"
    r.loc[1, "unit_kerja"] = "Dinas Entah"
    r = pd.concat([r, r.iloc[[4]]], ignore_index=True)
    err = _load_error(tmp_path, ratings=r)
    msg = str(err)
    assert "peran" in msg and "did you mean 'peran_'" in msg
    assert "outside the scale" in msg and "Dinas Entah" in msg and "duplicate" in msg
    assert len(err.problems) >= 4


def test_problem_list_is_capped(tmp_path):
    r = _ratings()
    r["nilai"] = r["nilai"].where(r["indikator"] != "Akuntabel", "99")
    r = pd.concat([r] * 1, ignore_index=True)
    big = pd.concat([r.assign(periode="2024-S2", nip=f"1990010120190320{i:02d}") for i in range(10)], ignore_index=True)
    err = _load_error(tmp_path, ratings=big)
    assert len(err.problems) == 50 and err.truncated > 0 and "more" in str(err)


def test_bad_toml(tmp_path):
    folder = write_study(tmp_path / "s", toml=TOML.replace('kind = "numeric"', 'kind = "interval"'))
    with pytest.raises(DataError) as e:
        load_study(folder)
    assert "unknown kind 'interval'" in str(e.value) and e.value.file.endswith("study.toml")


# ---------------------------------------------------------------- partitions
def test_partition_round_trip(tmp_path):
    study = load_study(write_study(tmp_path / "s"))
    part = study.save(tmp_path / "part", units=["Dinas Kesehatan Kota Binjai"])
    back = load_study(part)
    assert set(back.units["unit"]) == {"Dinas Kesehatan Kota Binjai"}
    pd.testing.assert_frame_equal(back.ratings, study.subset(["Dinas Kesehatan Kota Binjai"]).ratings)
    assert back.scale_for("Hasil Kerja") == study.scale_for("Hasil Kerja")
    assert not list(tmp_path.glob(".part.*")), "no temporary folder left behind"


def test_summary_has_no_individual_rows(tmp_path):
    study = load_study(write_study(tmp_path / "s"))
    summ = study.summary()
    u = summ["units"].set_index("unit")
    assert u.loc["Dinas Kesehatan Kota Binjai", "n_subjects"] == 2
    assert u.loc["Kecamatan Lubuk Begalung", "n_ratings"] == 0
    assert u.loc["Dinas Kesehatan Kota Binjai", "raters_per_subject_item"] == 2
    assert abs(u.loc["Dinas Kesehatan Kota Binjai", "share_roles_missing"] - 1 / 3) < 1e-12
    for df in summ.values():
        assert "subject" not in df.columns and "rater" not in df.columns


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=30))
def test_pseudonymize_is_injective_on_normalized_ids(values):
    s = pd.Series(values)
    out = pseudonymize(s, b"key")
    norm = normalize_id(s)
    # equal normalized ids <=> equal pseudonyms (HMAC collisions on 64 bits are negligible)
    for i in range(len(s)):
        for j in range(len(s)):
            assert (out[i] == out[j]) == (norm[i] == norm[j])


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def test_corrupt_copy_of_the_sample_fails_with_one_error_listing_all(tmp_path, monkeypatch):
    """Issue acceptance: a copy of data/sample with a misspelled column, a score of 9 on the 1-5
    scale, a duplicated row and an unknown unit fails once, naming each problem."""
    import shutil

    monkeypatch.delenv("EVALTOOLS_KEY", raising=False)
    copy = tmp_path / "sample"
    shutil.copytree(SAMPLE, copy)
    r = pd.read_csv(copy / "ratings.csv.gz", dtype=str, keep_default_na=False)
    numeric = r.index[r["indikator"] == "Akuntabel"]
    r.loc[numeric[0], "nilai"] = "9"
    r.loc[numeric[1], "unit_kerja"] = "Dinas Pariwisata Kota Sabang"
    r = pd.concat([r, r.iloc[[numeric[2]]]], ignore_index=True)
    r = r.rename(columns={"peran_penilai": "peran_penilia"})
    r.to_csv(copy / "ratings.csv.gz", index=False)
    before = _snapshot(copy)
    with pytest.raises(DataError) as e:
        load_study(copy)
    assert _snapshot(copy) == before
    msg = str(e.value)
    by_col = {p.column: p for p in e.value.problems}
    assert "did you mean 'peran_penilia'" in by_col["peran_penilai"].message
    assert by_col["nilai"].row == numeric[0] + 2 and "outside the scale" in by_col["nilai"].message
    assert by_col["unit_kerja"].row == numeric[1] + 2 and "Dinas Pariwisata Kota Sabang" in msg
    dup = [p for p in e.value.problems if "duplicate" in p.message]
    assert len(dup) == 1 and dup[0].row == len(r) + 1 and f"first seen at row {numeric[2] + 2}" in dup[0].message
    assert all(p.file.endswith("ratings.csv.gz") for p in e.value.problems)


def test_sample_study_loads_pseudonymized():
    study = load_study(SAMPLE)
    raw = pd.read_csv(SAMPLE / "ratings.csv.gz", dtype=str, usecols=["nip", "nip_penilai"])
    assert not set(raw["nip"]) & set(study.ratings["subject"])
    assert study.ratings["subject"].str.fullmatch(r"P-[0-9a-f]{16}").all()
    assert len(study.pilot_units) >= 3 and (study.units["first_treated_idx"] == 0).any()


def test_unit_treated_in_first_period_is_a_note_not_an_error(tmp_path):
    u = _units()
    u.loc[2, "first_treated"] = "2024-S1"
    study = load_study(write_study(tmp_path / "s", units=u))
    assert study.units["first_treated_idx"].tolist() == [2, 3, 1]
    assert any("first period" in n for n in study.notes)


def test_problems_keep_their_order_when_files_are_read_side_by_side(tmp_path):
    """The units and outcomes tables are read while Arrow reads the ratings: which error the user
    sees first must not change (units table, then the ratings file, then the outcomes file)."""
    folder = write_study(tmp_path / "order")
    (folder / "units.csv").unlink()
    (folder / "ratings.csv").unlink()
    with pytest.raises(DataError) as e:
        load_study(folder)
    assert "units.csv" in str(e.value) and "ratings.csv" not in str(e.value)
    folder = write_study(tmp_path / "order2")
    (folder / "ratings.csv").write_bytes(b"")   # unreadable ratings, unreadable outcomes
    (folder / "outcomes.csv").unlink()
    with pytest.raises(DataError) as e:
        load_study(folder)
    assert "ratings.csv" in str(e.value) and "outcomes.csv" not in str(e.value)
    r = _ratings()
    r.loc[0, "nilai"] = "9"                       # a ratings problem, and no outcomes file
    folder = write_study(tmp_path / "order3", ratings=r)
    (folder / "outcomes.csv").unlink()
    with pytest.raises(DataError) as e:
        load_study(folder)
    assert "outcomes.csv" in str(e.value) and "outside the scale" not in str(e.value)


def test_a_unit_rated_by_one_person_is_noted_whatever_form_the_nip_takes(tmp_path):
    # one rater for the second unit, written plain in one period and as Excel text in the
    # other: one person, so a single-rater unit (agreement undefined there)
    r = _ratings()
    lone = r["unit_kerja"] == "Disdukcapil Kota Lhokseumawe"
    r = r[~lone | (r["peran"] == "atasan")].copy()
    later = (r["unit_kerja"] == "Disdukcapil Kota Lhokseumawe") & (r["periode"] == "2025-S1")
    r.loc[later, "nip_penilai"] = "'" + r.loc[later, "nip_penilai"]
    st = load_study(write_study(tmp_path / "s", ratings=r))
    assert "1 unit(s) have a single rater: agreement is undefined there" in st.notes
    assert st.ratings.groupby("unit", observed=True)["rater"].nunique().tolist() == [2, 1]


def test_panel_is_the_left_join_and_a_new_frame():
    """Study.panel: the outcomes left-joined with the units table (pandas merge, one row per
    unit and period); writing into it leaves the study's tables as they were."""
    study = load_study(SAMPLE)
    for st in (study, study.subset(study.pilot_units[:3])):
        p = st.panel()
        pd.testing.assert_frame_equal(p, st.outcomes.merge(st.units, on="unit", how="left", validate="many_to_one"),
                                      check_exact=True)
        ikm, region = st.outcomes["ikm"].iloc[0], st.units["region"].iloc[0]
        p.loc[0, "ikm"] = -999.0
        p.loc[:, "region"] = "elsewhere"
        assert st.outcomes["ikm"].iloc[0] == ikm and st.units["region"].iloc[0] == region


def test_first_treated_after_the_last_period_is_a_planned_start(tmp_path):
    """The next wave's units, listed with their planned start after the data, are control units
    (not yet piloting) with a note; a label no period could be (2025-S3) or one before the
    data stays an error."""
    u = _units()
    u.loc[2, "first_treated"] = "2026-S1"
    study = load_study(write_study(tmp_path / "s", units=u))
    assert study.units["first_treated_idx"].tolist() == [2, 3, 0]
    assert "Kecamatan Lubuk Begalung" not in study.pilot_units
    assert any("after the study's last period (2025-S1: 2026-S1)" in n for n in study.notes)
    for label in ("2025-S3", "2023-S2"):
        u.loc[2, "first_treated"] = label
        (p,) = _find(_load_error(tmp_path / label, units=u), "first_treated")
        assert p.row == 4 and "not a declared period" in p.message

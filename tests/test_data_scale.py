"""National-scale input (issue 14, items 1-3): categorical ids, partitioned ratings, one unit's read."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pytest

from evaltools import DataError, load_study
from evaltools.data import CATEGORICAL_COLUMNS
from test_data import TOML, _ratings, write_study

UNITS = ["Dinas Kesehatan Kota Binjai", "Disdukcapil Kota Lhokseumawe"]


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("EVALTOOLS_TEST_KEY", "test-key-not-secret")


@pytest.mark.parametrize("ext", ["csv", "parquet", "xlsx"])
def test_ids_are_categoricals_of_strings(tmp_path, ext):
    r = load_study(write_study(tmp_path / ext, ext)).ratings
    for c in CATEGORICAL_COLUMNS:
        assert isinstance(r[c].dtype, pd.CategoricalDtype), c
        assert all(isinstance(x, str) for x in r[c].cat.categories), c
    assert list(r["unit"].cat.categories) == sorted(UNITS), "only units with ratings, sorted like strings"
    assert list(r["rater_role"].cat.categories) == ["atasan", "rekan_kerja", "diri_sendiri"], "declared roles"
    assert (r["unit"] == UNITS[0]).sum() == len(r) // 2, "compares with strings as before"


def test_subset_drops_unused_categories(tmp_path):
    study = load_study(write_study(tmp_path / "s"))
    sub = study.subset([UNITS[0]]).ratings
    assert list(sub["unit"].cat.categories) == [UNITS[0]]
    full = study.ratings
    assert set(sub["subject"].cat.categories) == set(full.loc[full["unit"] == UNITS[0], "subject"].astype(str))
    assert list(sub["rater_role"].cat.categories) == study.roles, "declared categories stay"


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_one_unit_of_a_flat_file_carries_only_its_own_ids(tmp_path, ext):
    """The file is read dictionary-encoded, so the dictionaries hold every unit's values; a
    unit's load keeps only what its own records hold (no other unit's pseudonyms or items)."""
    ratings = _ratings()
    other = ratings["unit_kerja"] == UNITS[1]
    ratings.loc[other & (ratings["indikator"] == "Akuntabel"), "indikator"] = "Kolaboratif"   # only the other unit's
    ratings.loc[other & (ratings["nip"] == ratings["nip"].iloc[0]), "nip"] = "198001012005011002"   # likewise a person
    folder = write_study(tmp_path / ext, ext, ratings=ratings)
    full, one = load_study(folder).ratings, load_study(folder, units=[UNITS[0]]).ratings
    own = full[full["unit"] == UNITS[0]]
    for c in ("unit", "subject", "rater", "item"):
        assert list(one[c].cat.categories) == sorted(set(own[c].astype(str))), c
    assert "Kolaboratif" not in one["item"].cat.categories
    pd.testing.assert_frame_equal(one, own.reset_index(drop=True).assign(
        **{c: lambda d, c=c: d[c].cat.remove_unused_categories() for c in ("unit", "subject", "rater", "item")}))


def test_groupby_matches_string_ids(tmp_path):
    r = load_study(write_study(tmp_path / "s")).ratings
    as_str = r.astype({c: str for c in CATEGORICAL_COLUMNS})
    a = r.groupby(["unit", "item"], observed=True)["score"].mean()
    b = as_str.groupby(["unit", "item"])["score"].mean()
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy())
    assert [tuple(map(str, k)) for k in a.index] == list(b.index)


def _write_dataset(folder, ratings: pd.DataFrame, partition_column: str = "unit_kerja") -> None:
    pads.write_dataset(pa.Table.from_pandas(ratings, preserve_index=False), folder, format="parquet",
                       partitioning=[partition_column], partitioning_flavor="hive")


def _dataset_study(tmp_path, ratings=None):
    folder = write_study(tmp_path / "ds", toml=TOML.replace('ratings = "ratings.{ext}"', 'ratings = "ratings"'))
    _write_dataset(folder / "ratings", _ratings() if ratings is None else ratings)
    return folder


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    out = df.astype({c: str for c in CATEGORICAL_COLUMNS + ("period",)})
    return out.sort_values(["period", "unit", "subject", "rater", "item"]).reset_index(drop=True)


def test_partitioned_ratings_equal_the_flat_file(tmp_path):
    flat = load_study(write_study(tmp_path / "flat"))
    ds = load_study(_dataset_study(tmp_path))
    pd.testing.assert_frame_equal(_sorted(ds.ratings), _sorted(flat.ratings), check_categorical=False)


def test_one_unit_reads_only_its_partition(tmp_path):
    folder = _dataset_study(tmp_path)
    one = load_study(folder, units=[UNITS[1]])
    assert set(one.ratings["unit"].astype(str)) == {UNITS[1]}
    assert list(one.ratings["unit"].cat.categories) == [UNITS[1]]
    full = load_study(folder)
    pd.testing.assert_frame_equal(_sorted(one.ratings), _sorted(full.subset([UNITS[1]]).ratings),
                                  check_categorical=False)
    assert len(one.units) == len(full.units), "units and outcomes stay whole (control pools)"


def test_one_unit_of_a_flat_file_keeps_file_rows(tmp_path):
    r = _ratings()
    second = np.flatnonzero(r["unit_kerja"] == UNITS[1])
    r.loc[second[2], "nilai"] = "9"
    folder = write_study(tmp_path / "s", ratings=r)
    one = load_study(folder, units=[UNITS[0]]).ratings
    assert len(one) == (r["unit_kerja"] == UNITS[0]).sum() and list(one["unit"].cat.categories) == [UNITS[0]]
    with pytest.raises(DataError) as e:
        load_study(folder, units=[UNITS[1]])
    assert e.value.row == second[2] + 2 and e.value.column == "nilai"


def test_problem_in_a_partition_names_its_file_and_record(tmp_path):
    r = _ratings()
    r.loc[r["unit_kerja"] == UNITS[1], "nilai"] = r.loc[r["unit_kerja"] == UNITS[1], "nilai"]
    idx = np.flatnonzero((r["unit_kerja"] == UNITS[1]) & (r["indikator"] == "Akuntabel"))[1]
    r.loc[idx, "nilai"] = "7"
    with pytest.raises(DataError) as e:
        load_study(_dataset_study(tmp_path, r))
    (p,) = [p for p in e.value.problems if p.column == "nilai"]
    part = r[r["unit_kerja"] == UNITS[1]].reset_index(drop=True)
    assert "unit_kerja=" in p.file and p.file.endswith(".parquet")
    assert p.row == int(np.flatnonzero((part["indikator"] == "Akuntabel") & (part["nilai"] == "7"))[0]) + 1


def test_unknown_unit_asked_for(tmp_path):
    with pytest.raises(DataError) as e:
        load_study(_dataset_study(tmp_path), units=["Dinas Kesehatan Kota Binjal"])
    assert "Dinas Kesehatan Kota Binjai" in str(e.value)


def test_saved_partition_reads_one_unit(tmp_path):
    study = load_study(write_study(tmp_path / "s"))
    part = study.save(tmp_path / "part")
    one = load_study(part, units=[UNITS[0]])
    assert set(one.ratings["unit"].astype(str)) == {UNITS[0]}

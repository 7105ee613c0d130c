"""Real exports at load: NIP forms, Excel-mangled NIPs, unmapped columns, off-step scores,
``;``-CSV with decimal commas, cp1252 files and typos in study.toml.

Each case reproduces one failure of the fault trial recorded in issue 12 (items 1, 3, 9-13).
"""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from evaltools import DataError, load_study
from evaltools.data import looks_identifying, normalize_id, pseudonymize
from test_data import NIPS, TOML, _outcomes, _ratings, _units, write_study


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("EVALTOOLS_TEST_KEY", "test-key-not-secret")


def _error(folder) -> DataError:
    with pytest.raises(DataError) as e:
        load_study(folder)
    return e.value


# ------------------------------------------------------------- 12.1 NIP forms
FORMS = ["198612072010121001", "'198612072010121001", "NIP.198612072010121001", "NIP 1986 1207 2010 12 1 001",
         "NIP: 19861207-201012-1-001", "nip. 19861207.201012.1.001", "\u2019198612072010121001"]


def test_nip_forms_link_to_one_pseudonym():
    out = pseudonymize(pd.Series(FORMS), b"k")
    assert out.nunique() == 1, "every export form of one NIP gets the same pseudonym"
    assert looks_identifying(pd.Series(FORMS)).all()


def test_prefixed_nips_without_key_are_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALTOOLS_TEST_KEY")
    r = _ratings()
    r["nip"] = "NIP." + r["nip"]
    r["nip_penilai"] = "'" + r["nip_penilai"]
    err = _error(write_study(tmp_path / "s", ratings=r))
    assert err.column == "subject" and err.row == 2 and "EVALTOOLS_TEST_KEY" in str(err)


def test_nip_shaped_digits_inside_an_id_are_refused_without_key(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALTOOLS_TEST_KEY")
    r = _ratings()
    codes = {n: f"S{i:03d}" for i, n in enumerate(NIPS)}
    r["nip"] = r["nip"].map(codes)
    r["nip_penilai"] = "pegawai-" + r["nip_penilai"]
    err = _error(write_study(tmp_path / "s", ratings=r))
    assert err.column == "rater" and "EVALTOOLS_TEST_KEY" in str(err)


def test_plain_codes_load_without_key(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALTOOLS_TEST_KEY")
    r = _ratings()
    codes = {n: f"S{i:03d}" for i, n in enumerate(NIPS)}
    r["nip"], r["nip_penilai"] = r["nip"].map(codes), r["nip_penilai"].map(codes)
    study = load_study(write_study(tmp_path / "s", ratings=r))
    assert set(study.ratings["subject"].astype(str)) == {"S000", "S001"}


def test_forms_of_one_nip_are_one_subject_after_load(tmp_path):
    r = _ratings()
    plain = load_study(write_study(tmp_path / "a", ratings=r)).ratings
    r2 = r.copy()
    r2["nip"] = r2["nip"].where(r2.index % 2 == 0, "NIP. " + r2["nip"].str[:8] + " " + r2["nip"].str[8:14]
                                + " " + r2["nip"].str[14] + " " + r2["nip"].str[15:])
    mixed = load_study(write_study(tmp_path / "b", ratings=r2)).ratings
    assert mixed["subject"].astype(str).tolist() == plain["subject"].astype(str).tolist()


# ---------------------------------------------------- 12.10 Excel-mangled NIPs
def _no_duplicate_flood(err: DataError) -> None:
    assert not [p for p in err.problems if "duplicate" in p.message], "mangled ids must not flood duplicate errors"


def test_nips_truncated_to_15_significant_digits(tmp_path):
    r = _ratings()
    r["nip"] = r["nip"].str[:15] + "000"   # what Excel keeps of an 18-digit number
    err = _error(write_study(tmp_path / "s", ratings=r))
    (p,) = [p for p in err.problems if p.column == "nip"]
    assert "15" in p.message and "Text" in p.message and p.row == 2
    _no_duplicate_flood(err)


def test_nips_cut_to_15_digits(tmp_path):
    r = _ratings()
    r["nip_penilai"] = r["nip_penilai"].str[:15]
    err = _error(write_study(tmp_path / "s", ratings=r))
    (p,) = [p for p in err.problems if p.column == "nip_penilai"]
    assert "15 digits" in p.message and "Text" in p.message


def test_nips_in_scientific_notation(tmp_path):
    r = _ratings()
    r["nip"] = r["nip"].map(lambda s: f"{float(s):.5E}".replace("E+", "E+"))
    assert r["nip"].iloc[0] == "1.96608E+17"
    err = _error(write_study(tmp_path / "s", ratings=r))
    (p,) = [p for p in err.problems if p.column == "nip"]
    assert "scientific notation" in p.message and "1.96608E+17" in p.message and "Text" in p.message
    _no_duplicate_flood(err)
    assert len(err.problems) == 1


def test_xlsx_numeric_nips_lose_precision(tmp_path):
    r = _ratings()
    r["nip"] = r["nip"].astype(float)      # Excel stores a typed-in NIP as a double
    err = _error(write_study(tmp_path / "s", ext="xlsx", ratings=r))
    (p,) = [p for p in err.problems if p.column == "nip"]
    assert "stored as numbers" in p.message and "Text" in p.message and p.file.endswith("ratings.xlsx")
    _no_duplicate_flood(err)


def test_xlsx_text_nips_and_numeric_scores_load(tmp_path):
    r = _ratings()
    r["nilai"] = pd.to_numeric(r["nilai"], errors="coerce").astype(object).where(r["indikator"] == "Akuntabel",
                                                                                  r["nilai"])
    study = load_study(write_study(tmp_path / "s", ext="xlsx", ratings=r))
    assert set(study.ratings.loc[study.ratings["item"] == "Akuntabel", "score"]) == {3.0, 4.0}


# ------------------------------------------------- 12.3 unmapped columns at load
def test_unmapped_columns_are_dropped_with_a_note(tmp_path):
    r = _ratings()
    r["email"] = r["nip"] + "@bkd.go.id"
    r["jabatan"] = "Analis"
    study = load_study(write_study(tmp_path / "s", ratings=r))
    assert "email" not in study.ratings.columns and "jabatan" not in study.ratings.columns
    assert any("email" in n and "jabatan" in n for n in study.notes)
    part = study.save(tmp_path / "part")
    for f in part.glob("*.parquet"):
        text = pd.read_parquet(f).astype(str).to_csv()
        assert not any(n in text for n in NIPS), f"raw NIP in {f.name}"


def test_identifying_unit_covariate_is_pseudonymized(tmp_path):
    u = _units()
    u["nip_kepala"] = NIPS[:3]
    u["email_kepala"] = [f"kepala{i}@pemda.go.id" for i in range(3)]
    study = load_study(write_study(tmp_path / "s", units=u))
    assert study.units["nip_kepala"].astype(str).str.fullmatch(r"P-[0-9a-f]{16}").all()
    assert study.units["email_kepala"].astype(str).str.fullmatch(r"P-[0-9a-f]{16}").all()
    assert study.units["n_employees"].tolist() == [40, 55, 31], "ordinary covariates stay"
    assert any("nip_kepala" in n and "pseudonymized" in n for n in study.notes)


def test_undeclared_outcome_columns_are_dropped(tmp_path):
    o = _outcomes()
    o["petugas"] = "Budi Santoso"
    study = load_study(write_study(tmp_path / "s", outcomes=o))
    assert "petugas" not in study.outcomes.columns
    assert any("petugas" in n for n in study.notes)


# ------------------------------------------------------------ 12.9 off-step scores
def test_off_step_score_is_reported_with_the_file_row(tmp_path):
    r = _ratings()
    r.loc[4, "nilai"] = "3,5"
    err = _error(write_study(tmp_path / "s", ratings=r))
    (p,) = [p for p in err.problems if p.column == "nilai"]
    assert p.row == 6 and "step" in p.message and "3,5" in p.message


def test_declared_step_accepts_half_points(tmp_path):
    r = _ratings()
    r.loc[4, "nilai"] = "3,5"
    toml = TOML.replace("min = 1\nmax = 5", "min = 1\nmax = 5\nstep = 0.5")
    study = load_study(write_study(tmp_path / "s", ratings=r, toml=toml))
    assert study.ratings["score"].iloc[4] == 3.5
    assert study.scale_for("Akuntabel").categories[:3] == [1.0, 1.5, 2.0]


def test_continuous_scale_with_step_zero(tmp_path):
    r = _ratings()
    r.loc[4, "nilai"] = "3.27"
    toml = TOML.replace("min = 1\nmax = 5", "min = 1\nmax = 5\nstep = 0")
    assert load_study(write_study(tmp_path / "s", ratings=r, toml=toml)).ratings["score"].iloc[4] == 3.27


# ------------------------------------------------ 12.11 ;-CSV with decimal commas
def _write_semicolon(folder, toml=TOML, **kw):
    folder = write_study(folder, **kw, toml=toml)
    r = _ratings()
    r.loc[4, "nilai"] = "3,5"
    r.to_csv(folder / "ratings.csv", sep=";", index=False)
    _outcomes().to_csv(folder / "outcomes.csv", sep=";", index=False)
    _units().to_csv(folder / "units.csv", sep=";", index=False)
    return folder


def test_semicolon_csv_with_decimal_commas_is_sniffed(tmp_path):
    toml = TOML.replace("min = 1\nmax = 5", "min = 1\nmax = 5\nstep = 0.5")
    study = load_study(_write_semicolon(tmp_path / "s", toml=toml))
    assert study.ratings["score"].iloc[4] == 3.5
    assert study.outcomes["ikm"].tolist()[:3] == [80.5, 81.0, 83.5]


def test_declared_delimiter_and_decimal(tmp_path):
    toml = TOML.replace("[files]", '[files]\ndelimiter = ";"\ndecimal = ","').replace(
        "min = 1\nmax = 5", "min = 1\nmax = 5\nstep = 0.5")
    study = load_study(_write_semicolon(tmp_path / "s", toml=toml))
    assert study.ratings["score"].iloc[4] == 3.5


def test_wrong_declared_delimiter_is_named_in_the_error(tmp_path):
    toml = TOML.replace("[files]", '[files]\ndelimiter = ","')
    err = _error(_write_semicolon(tmp_path / "s", toml=toml))
    p = [p for p in err.problems if p.file.endswith("ratings.csv")][0]
    assert "delimiter ','" in p.message and "';'" in p.message


# ----------------------------------------------------------- 12.12 cp1252 files
def _write_cp1252(folder, toml=TOML):
    folder = write_study(folder, toml=toml)
    u = _units()
    u.loc[2, "region"] = "Kota Padang \u00e9"
    u.to_csv(folder / "units.csv", index=False, encoding="cp1252")
    return folder


def test_cp1252_file_names_row_and_column(tmp_path):
    err = _error(_write_cp1252(tmp_path / "s"))
    assert err.file.endswith("units.csv") and err.row == 4 and err.column == "region"
    assert "UTF-8" in str(err) and "encoding" in str(err)


def test_declared_encoding_is_read(tmp_path):
    study = load_study(_write_cp1252(tmp_path / "s", toml=TOML.replace("[files]", '[files]\nencoding = "cp1252"')))
    assert study.units["region"].tolist()[2] == "Kota Padang \u00e9"


def _bad_byte_in(folder, column):
    r = _ratings().astype(str)
    r.loc[4, column] = r.loc[4, column] + "\u00e9"
    text = r.to_csv(index=False)
    (folder / "ratings.csv").write_bytes(text.encode("utf-8").replace("\u00e9".encode("utf-8"), b"\xe9"))
    return folder


@pytest.mark.parametrize("column", ["nip", "nilai", "periode"])
def test_a_bad_byte_in_any_ratings_column_is_found(tmp_path, column):
    # the ratings' text is checked for UTF-8 on its distinct values: a value seen once is still found
    err = _error(_bad_byte_in(write_study(tmp_path / "s"), column))
    assert err.file.endswith("ratings.csv") and err.row == 6 and err.column == column and "UTF-8" in str(err)


def test_a_bad_byte_in_a_name_column_does_not_stop_the_load(tmp_path):
    # names are never read (nor reported): a cp1252 name is no reason to refuse the study
    study = load_study(_bad_byte_in(write_study(tmp_path / "s"), "nama"))
    assert "subject_name" not in study.ratings.columns and len(study.ratings) == len(_ratings())


def test_cp1252_in_gzipped_ratings(tmp_path):
    import gzip

    folder = write_study(tmp_path / "s", toml=TOML.replace('ratings = "ratings.{ext}"', 'ratings = "ratings.csv.gz"'))
    r = _ratings()
    r.loc[3, "indikator"] = "Akuntabel\u00e9"
    with gzip.open(folder / "ratings.csv.gz", "wb") as fh:
        fh.write(r.to_csv(index=False).encode("cp1252"))
    err = _error(folder)
    assert err.row == 5 and err.column == "indikator" and "UTF-8" in str(err)


# ------------------------------------------------------ 12.13 typos in study.toml
@pytest.mark.parametrize("old,new,where,hint", [
    ("[columns.ratings]", "[colums.ratings]", "colums", "columns"),
    ('key_env = "EVALTOOLS_TEST_KEY"', 'key_env = "EVALTOOLS_TEST_KEY"\nkey_fille = "x.key"', "study.key_fille",
     "key_file"),
    ("min = 1\nmax = 5", "min = 1\nmax = 5\nstpe = 1", "scales.likert.stpe", "step"),
    ('subject = "nip"', 'subjcet = "nip"', "columns.ratings.subjcet", "subject"),
    ("higher_is_better = false", "higher_is_beter = false", "outcomes.service_days.higher_is_beter",
     "higher_is_better"),
    ('[files]', '[files]\ndelimeter = ";"', "files.delimeter", "delimiter"),
])
def test_unknown_toml_section_or_key(tmp_path, old, new, where, hint):
    err = _error(write_study(tmp_path / "s", toml=TOML.replace(old, new)))
    (p,) = [p for p in err.problems if p.column == where]
    assert p.file.endswith("study.toml") and f"did you mean '{hint}'" in p.message


def test_every_consumer_section_is_accepted(tmp_path):
    toml = TOML.replace("higher_is_better = true\n", "higher_is_better = true\nprimary = true\nmin_effect = 2.0\n", 1)
    toml += ('\n[thresholds]\nmin_cell = 10\nanything_report_reads = 1\n'
             '\n[simulation]\ngenerator = "evaltools.simulate"\nseed = 1\ntruth = "truth.json"\n'
             '\n[briefing]\ndeadline = "2026-03-01"\nowners = ["BKD"]\nplanned_units = 12\n')
    study = load_study(write_study(tmp_path / "s", toml=toml))
    assert study.outcome_info["ikm"]["primary"] is True and study.outcome_info["ikm"]["min_effect"] == 2.0


@settings(max_examples=200, deadline=None)
@given(st.text("0123456789", min_size=18, max_size=18), st.sampled_from(["", "'", "\u2019", " '"]),
       st.sampled_from(["", "NIP", "NIP.", "NIP:", "nip. ", "NIP "]), st.sampled_from(["", " ", ".", "-"]))
def test_every_export_form_normalizes_to_the_digits(nip, quote, label, sep):
    written = quote + label + sep.join([nip[:8], nip[8:14], nip[14], nip[15:]])
    assert normalize_id(pd.Series([written])).tolist() == [nip]


@pytest.mark.parametrize("key,message,expected", [
    # RFC 4231 (HMAC-SHA256 test vectors), test cases 1, 2 and 6 (a key longer than the block)
    (b"\x0b" * 20, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 131, "Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
])
def test_pseudonym_is_hmac_sha256(key, message, expected):
    from evaltools.data import _hash_ids

    assert _hash_ids(pd.Index([message]), key).tolist() == ["P-" + expected[:16]]

"""summary.xlsx read back with openpyxl: typed cells, frozen header, filter, widths, verdict colours,
suppression, and no formula a hostile unit name could plant (issue 11.6, issue 12.2 and 12.4)."""
from __future__ import annotations

import json

import openpyxl
import pytest

from evaltools import report

HOSTILE = ['=HYPERLINK("http://example.invalid","klik")', "+62 811", "-1+2", "@SUM(A1)", "\tTab", "\rCR"]


def _rec(unit, code="SIAP", n=40, reasons=(), moves=None):
    return {"unit": unit, "status": "ok", "region": "Aceh", "first_treated": "2024-S2",
            "verdict": {"code": code, "reasons": list(reasons)},
            "coverage": {"n_subjects": n, "raters_per_subject": 6.0, "missing_share": 0.031},
            "consistency": {"agreement_median": 0.8234, "agreement_min": 0.71},
            "calibration": {"flagged_share": 0.25, "raters_needed": 3.0, "n_subjects_predikat_moves": moves},
            "impact": {"outcomes": {"ikm": {"effect": 1.8069, "ci_low": -4.47, "ci_high": 4.71, "pval": 0.111}}}}


@pytest.fixture()
def run_dir(tmp_path):
    recs = [_rec("Dinas A", "PERBAIKI DULU", reasons=[{"code": "raters_flagged", "level": "PERBAIKI DULU",
                                                      "value": 0.25, "threshold": 0.1,
                                                      "text": "16 penilai (25%) terlalu ketat atau longgar"}],
                 moves=7),
            _rec("Dinas B", "TUNDA", n=3, reasons=[{"code": "few_subjects", "level": "TUNDA", "value": 3,
                                                   "threshold": 10, "text": "hanya 3 pegawai dinilai (minimal 10)"}],
                 moves=2),
            _rec("Dinas C", moves=3)]
    recs += [_rec(name, moves=0) for name in HOSTILE]
    (tmp_path / "units").mkdir()
    for i, r in enumerate(recs):
        (tmp_path / "units" / f"u{i}.json").write_text(json.dumps(r), encoding="utf-8")
    (tmp_path / "pooled.json").write_text(json.dumps({"ikm": {"att": 2.51, "ci_low": 1.0, "ci_high": 4.0,
                                                              "pval": 0.004, "pval_ri": 0.01}}))
    return tmp_path


def _header(ws):
    return [c.value for c in ws[1]]


def _col(ws, header):
    j = _header(ws).index(header)
    return [row[j] for row in ws.iter_rows(min_row=2)]


def test_sheets_typed_frozen_filtered(run_dir):
    wb = openpyxl.load_workbook(report.write_summary(run_dir, lang="id"))
    assert wb.sheetnames == ["README", "Putusan", "Alasan", "Angka kunci", "Efek gabungan", "Konsekuensi kalibrasi"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert all(ws.column_dimensions[c.column_letter].width >= 8 for c in ws[1]), ws.title
    ws = wb["Putusan"]
    assert _header(ws)[:5] == ["Unit", "Wilayah", "Mulai uji coba", "Putusan", "Pegawai dinilai"]
    agr = [c for c in _col(ws, "Kesepakatan penilai (median butir)") if c.value is not None]
    assert agr and all(c.data_type == "n" and isinstance(c.value, float) for c in agr)
    assert agr[0].value == pytest.approx(0.8234) and agr[0].number_format == "0.00"
    share = [c for c in _col(ws, "Porsi penilai terlalu ketat/longgar") if c.value is not None]
    assert share[0].value == 0.25 and share[0].number_format == "0%"
    n = [c for c in _col(ws, "Pegawai dinilai") if c.value != "<5"]
    assert all(c.data_type == "n" and c.number_format == "0" for c in n)
    keys = wb["Angka kunci"]
    assert _header(keys) == ["Unit", "Indikator hasil", "Kode indikator", "Satuan", "Efek", "Batas bawah 95%",
                             "Batas atas 95%", "Nilai p"]
    assert _col(keys, "Nilai p")[0].number_format == "0.000"
    pooled = wb["Efek gabungan"]
    # one row per unit and outcome; the outcome's study-wide figures on each of its rows
    assert pooled.max_row - 1 == keys.max_row - 1 == 3 + len(HOSTILE)
    assert [c.value for c in _col(pooled, "Efek rata-rata semua gelombang")] == [2.51] * (3 + len(HOSTILE))


def test_verdict_cells_coloured_by_conditional_formatting(run_dir):
    wb = openpyxl.load_workbook(report.write_summary(run_dir, lang="en"))
    ws = wb["Verdicts"]
    col = openpyxl.utils.get_column_letter(_header(ws).index("Verdict") + 1)
    rules = {str(rng.sqref): [r.formula[0] for r in rng.rules] for rng in ws.conditional_formatting}
    assert f"{col}2:{col}{ws.max_row}" in rules
    formulas = rules[f"{col}2:{col}{ws.max_row}"]
    assert {f'EXACT({col}2,"{v}")' for v in ("READY", "FIX FIRST", "HOLD", "NOT SHOWN")} <= set(formulas)
    verdicts = dict(zip([c.value for c in _col(ws, "Unit")], [c.value for c in _col(ws, "Verdict")]))
    assert [verdicts[u] for u in ("Dinas A", "Dinas B", "Dinas C")] == ["FIX FIRST", "HOLD", "READY"]


def test_small_cells_suppressed_like_the_briefing(run_dir):
    wb = openpyxl.load_workbook(report.write_summary(run_dir, lang="id", min_cell=5))
    ws = wb["Putusan"]
    row = {h: c.value for h, c in zip(_header(ws), next(r for r in ws.iter_rows(min_row=2) if r[0].value == "Dinas B"))}
    assert row["Pegawai dinilai"] == "<5" and row["Kesepakatan penilai (median butir)"] is None
    # the reason states the suppressed count as the briefing does ("kurang dari 5"), never the 3 it hides
    assert "3" not in row["Alasan utama"] and "kurang dari 5" in row["Alasan utama"]
    reasons = wb["Alasan"]
    b = next(r for r in reasons.iter_rows(min_row=2) if r[0].value == "Dinas B")
    assert all("3 pegawai" not in str(c.value) for c in b) and any(c.value == "<5" for c in b)
    cal = wb["Konsekuensi kalibrasi"]
    j = _header(cal).index("Pegawai yang predikatnya berubah")
    moved = {r[0].value: r[j].value for r in cal.iter_rows(min_row=2)}
    assert moved["Dinas A"] == 7 and moved["Dinas C"] == "<5" and moved["Dinas B"] == "<5"
    assert moved[HOSTILE[1]] == 0  # nobody moving describes nobody
    # the study's min_cell is used, not the default
    wb10 = openpyxl.load_workbook(report.write_summary(run_dir, lang="id", min_cell=10))
    moved10 = {r[0].value: r[j].value for r in wb10["Konsekuensi kalibrasi"].iter_rows(min_row=2)}
    assert moved10["Dinas A"] == "<10"
    # nothing in any sheet states a hidden count
    for sheet in wb10.worksheets:
        for r in sheet.iter_rows(min_row=2):
            if r[0].value == "Dinas B":
                assert all("3" not in str(c.value) for c in r if isinstance(c.value, str) and "pegawai" in c.value)


def test_formula_injection_neutralised_on_every_sheet(run_dir):
    path = report.write_summary(run_dir, lang="id")
    wb = openpyxl.load_workbook(path)
    seen = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                # XML reads a CR back as LF: "\rCR" returns as "\nCR"
                if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@", "\t", "\r", "\n")):
                    assert c.data_type == "s" and c.quotePrefix, (ws.title, c.coordinate, c.value)
                    seen += 1
                assert c.data_type != "f", (ws.title, c.coordinate)
    assert seen >= 3 * len(HOSTILE)  # Putusan, Angka kunci and Konsekuensi kalibrasi name every unit
    # the raw XML holds no formula element at all
    import zipfile

    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)
    # and the unit names read back exactly as written
    names = {c.value for c in _col(wb["Putusan"], "Unit")}
    assert {h.replace("\r", "\n") for h in HOSTILE} <= names


def test_readme_defines_the_columns(run_dir):
    wb = openpyxl.load_workbook(report.write_summary(run_dir, lang="en"))
    ws = wb["README"]
    assert _header(ws) == ["Sheet", "Column", "Definition"]
    text = " ".join(str(c.value) for row in ws.iter_rows(min_row=2) for c in row)
    for term in ("ICC(1,k)", "READY", "Cells describing fewer than 5 people", "Calibration consequences"):
        assert term in text


def test_pooled_sheet_reads_the_pooled_json_the_briefing_records(tmp_path):
    """The briefing records ``pooled_effect(...).results`` (``{"available", "outcomes"}``) as
    pooled.json: the pooled sheet holds one row per unit and outcome from it, not one row
    named "outcomes" (the bug of a fixture that wrote the bare outcome mapping)."""
    from evaltools.report._examples import example_study

    study = example_study(n_units=12, subjects_per_unit=(6, 6), control_share=0.5, seed=1)
    sec = report.pooled_effect(study, outcomes=["ikm", "service_days"], n_perm=99)
    report.record(sec.results, tmp_path / "pooled.json")
    (tmp_path / "units").mkdir()
    for i, u in enumerate(("Dinas A", "Dinas B", "Dinas C")):
        rec = _rec(u, n=40 if i else 3)
        rec["impact"]["outcomes"] = {oc: {"effect": 1.0 + i, "eb_effect": 0.5 + i, "eb_ci_low": -1.0,
                                          "eb_ci_high": 2.0 + i, "label": f"Label {oc}", "unit": "poin"}
                                     for oc in ("ikm", "service_days")}
        (tmp_path / "units" / f"u{i}.json").write_text(json.dumps(rec), encoding="utf-8")
    wb = openpyxl.load_workbook(report.write_summary(tmp_path, lang="id"))
    ws = wb["Efek gabungan"]
    rows = [dict(zip(_header(ws), [c.value for c in row])) for row in ws.iter_rows(min_row=2)]
    assert len(rows) == 3 * 2
    assert {(r["Unit"], r["Kode indikator"]) for r in rows} == {(u, oc) for u in ("Dinas A", "Dinas B", "Dinas C")
                                                                for oc in ("ikm", "service_days")}
    res = sec.results["outcomes"]
    for r in rows:
        oc = r["Kode indikator"]
        assert r["Indikator hasil"] == f"Label {oc}" and r["Satuan"] == "poin"
        assert r["Efek rata-rata semua gelombang"] == pytest.approx(res[oc]["att"])
        assert r["Nilai p acak"] == pytest.approx(res[oc]["pval_ri"])
        assert r["Efek seluruh program"] == pytest.approx(res[oc]["programme_effect"])
        # a unit with fewer than min_cell employees shows none of its own figures
        assert (r["Efek unit, digabung dengan unit lain"] is None) == (r["Unit"] == "Dinas A")


def test_calibration_sheet_reads_the_recorded_predikat_moves(tmp_path):
    """The unit record keeps the predikat moves under calibration.predikat_moves (as the
    briefing reads them): the sheet shows that period, its rated count and the ups and downs."""
    (tmp_path / "units").mkdir()
    rec = _rec("Dinas A", n=63)
    rec["calibration"]["predikat_moves"] = {"period": "2025-S2", "n_rated": 60, "n_moved": 12, "n_up": 7, "n_down": 5}
    (tmp_path / "units" / "u0.json").write_text(json.dumps(rec), encoding="utf-8")
    ws = openpyxl.load_workbook(report.write_summary(tmp_path, lang="en"))["Calibration consequences"]
    assert _header(ws) == ["Unit", "Period", "Employees rated", "Employees whose predikat would change", "Up", "Down"]
    assert [c.value for c in ws[2]] == ["Dinas A", "2025-S2", 60, 12, 7, 5]

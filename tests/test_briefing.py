"""The briefing a BKD head acts on (issue 11 part 1), the unit page order (part 2), one
suppression rule everywhere (issue 12.2) and degenerate units (issue 12.8)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools import report

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _rec(unit, code, reasons=(), n=40, effect=1.0, lo=-0.5, hi=2.5, moves=None, file=None):
    return {"unit": unit, "status": "ok", "file": file or unit.replace(" ", "_"),
            "coverage": {"n_subjects": n, "raters_per_subject": 5, "missing_share": 0.02,
                         "period_first": "2024-S1", "period_last": "2024-S2"},
            "consistency": {"agreement_median": 0.8, "items_below": ["Loyal"], "agreement_min": 0.4},
            "calibration": {"flagged_share": 0.2, "n_severity_flagged": 3, "n_lenient": 3, "n_severe": 0,
                            "mean_severity_lenient": -0.7, "raters_needed": 4,
                            "predikat_moves": moves or {"period": "2024-S2", "n_rated": n, "n_moved": 0,
                                                        "n_up": 0, "n_down": 0}},
            "impact": {"outcomes": {"ikm": {"effect": effect, "ci_low": lo, "ci_high": hi}}},
            "verdict": {"code": code, "reasons": list(reasons)}}


FEW = {"code": "few_subjects", "level": "TUNDA", "value": 3, "threshold": 10, "text": "hanya 3 pegawai dinilai"}
FLAG = {"code": "raters_flagged", "level": "PERBAIKI DULU", "value": 0.2, "threshold": 0.1, "text": "3 penilai"}


def _records():
    return [_rec("Dinas A", "SIAP"), _rec("Dinas B", "TUNDA", [FEW], n=3),
            _rec("Dinas C", "PERBAIKI DULU", [FLAG], moves={"period": "2024-S2", "n_rated": 40, "n_moved": 9,
                                                          "n_up": 6, "n_down": 3}),
            {"unit": "Dinas D", "status": "failed", "file": "Dinas_D", "error": "Traceback\nValueError: boom"}]


class _Study:
    name = "Studi"
    periods = ["2023-S2", "2024-S1", "2024-S2"]
    config = {"briefing": {"deadline": "30 Juni 2026", "owners": {"raters_flagged": "Sekretaris Dinas"}}}
    outcome_info = {"ikm": {"label": "IKM", "label_en": "IKM", "primary": True}}
    outcomes = pd.DataFrame({"unit": ["x", "x"], "period": ["2023-S2", "2024-S2"], "ikm": [70.0, 71.0]})


POOLED = {"outcomes": {"ikm": {"att": 3.01, "ci_low": 1.72, "ci_high": 4.29, "pval_pretrend": 0.75}}}


# --------------------------------------------------------------------------------- first page
def test_first_page_says_what_to_decide_in_plain_sentences():
    h = report.briefing_header(_records(), study=_Study(), pooled=POOLED, run_id="/tmp/reports/sample")
    s = h.results["summary"]
    assert 4 <= len(s) <= 6
    assert s[0].startswith("Dari 3 unit uji coba, 1 boleh dilanjutkan (SIAP), 1 harus memperbaiki")
    assert "1 unit gagal diproses" in s[0] and "log" in s[0]
    assert any(x.startswith("Ditunda karena: Dinas B (kurang dari 5 pegawai dinilai") for x in s)
    assert any("penilai terlalu ketat atau terlalu longgar (1 unit)" in x for x in s)
    assert any("IKM naik 3,01 (interval 95% 1,72 s.d. 4,29)" in x and "bermakna" in x for x in s)
    assert any(x.startswith("Risiko utama:") for x in s)
    meta = h.results["meta"]
    assert meta["ratings_period"] == ["2024-S1", "2024-S2"] and meta["outcomes_period"] == ["2023-S2", "2024-S2"]
    assert meta["run_id"] == "sample" and meta["library_version"] and re.match(r"\d{4}-\d\d-\d\d", meta["made"])
    assert "2024-S1 s.d. 2024-S2" in h.notes[0] and "sample" in h.notes[0]
    en = report.briefing_header(_records(), study=_Study(), pooled=POOLED, lang="en").results["summary"]
    assert any("IKM rose by 3.01 (95% interval 1.72 to 4.29)" in x for x in en)


def test_units_grouped_by_verdict_with_who_acts_and_by_when():
    g = report.verdict_groups(_records(), study=_Study())
    assert g.results["order"] == ["TUNDA", "PERBAIKI DULU", "SIAP", "failed"]
    tunda, fix, siap, failed = g.results["groups"]
    row = fix["rows"][0]
    assert row["href"] == "units/Dinas_C.html" and row["owner"] == "Sekretaris Dinas"  # [briefing.owners]
    assert row["deadline"] == "30 Juni 2026" and row["effect"] == "IKM: 1,00 (\u22120,50 s.d. 2,50)"
    assert tunda["rows"][0]["owner"] == "Kepala OPD bersama BKPSDM"  # the catalog default by reason code
    assert siap["rows"][0]["reason"] == "semua pemeriksaan terpenuhi"
    assert failed["rows"][0]["href"] is None
    cap, df = g.tables[1]
    assert cap.startswith("PERBAIKI DULU") and df.attrs["links"]["Unit"] == ["units/Dinas_C.html"]
    assert list(df.columns) == ["Unit", "Putusan", "Efek pada indikator utama (interval 95%)", "Alasan utama",
                                "Siapa bertindak", "Batas waktu"]


def test_deadline_defaults_and_per_code_table():
    assert report.verdict_groups(_records()).results["groups"][0]["rows"][0]["deadline"] == \
        "sebelum gelombang berikutnya dimulai"
    cfg = {"briefing": {"deadline": {"few_subjects": "Maret 2026", "default": "Juni 2026"}}}
    rows = {r["unit"]: r for g in report.verdict_groups(_records(), config=cfg).results["groups"] for r in g["rows"]}
    assert rows["Dinas B"]["deadline"] == "Maret 2026" and rows["Dinas C"]["deadline"] == "Juni 2026"


# ------------------------------------------------------------------------ suppression (12.2)
@pytest.mark.parametrize("min_cell, hidden", [(5, "3"), (10, "7")])
def test_no_reason_text_reveals_a_suppressed_count(min_cell, hidden):
    few = {**FEW, "value": int(hidden)}
    recs = [_rec("Dinas B", "TUNDA", [few], n=int(hidden))]
    th = {"min_cell": min_cell}
    texts = [report.verdict_table(recs, min_cell=min_cell).iloc[0, -1],
             report.blockers(recs, min_cell=min_cell).tables[0][1].iloc[0, 0],
             report.verdict_groups(recs, thresholds=th).results["groups"][0]["rows"][0]["reason"],
             *report.briefing_header(recs, thresholds=th).results["summary"]]
    for t in texts:
        assert not re.search(rf"\b{hidden}\b", t), t
    assert f"kurang dari {min_cell} pegawai" in texts[0]


def test_the_summary_tells_too_small_to_see_from_a_benefit_ruled_out():
    # three units not shown to benefit: one whose design is too small, one whose every primary
    # interval excludes the benefit sought, one too small on a secondary outcome only
    def nb(unit, outcomes, primary, ruled=False):
        reason = {"code": "no_benefit", "level": "BELUM TERBUKTI", "value": 1, "threshold": 0.05, "text": "x",
                  **({"ruled_out": ["IKM"]} if ruled else {})}
        r = _rec(unit, "BELUM TERBUKTI", [reason])
        r["impact"] = {"primary": primary, "outcomes": outcomes}
        return r
    small = {"effect": 1.0, "ci_low": -2.0, "ci_high": 4.0, "too_small_to_see": True}
    clear = {"effect": -1.0, "ci_low": -4.0, "ci_high": 1.0, "too_small_to_see": False, "rules_out_sought": True}
    recs = [nb("Dinas A", {"ikm": small}, ["ikm"]),
            nb("Dinas B", {"ikm": clear, "cases": small}, ["ikm"], ruled=True),
            nb("Dinas C", {"ikm": {**clear, "rules_out_sought": False}, "cases": small}, ["ikm"])]
    summary = report.briefing_header(recs, lang="en").results["summary"]
    assert ("3 units have not shown a clear benefit; for 1 of them the design is too small to see an effect of the "
            "size sought, and for 1 the results exclude it.") in summary
    assert "pada 1 hasilnya menutup kemungkinan manfaat itu." in " ".join(
        report.briefing_header(recs).results["summary"])
    only_ruled = report.briefing_header(recs[1:2], lang="en").results["summary"]
    assert "1 unit has not shown a clear benefit; for 1 of them the results exclude the benefit sought." in only_ruled


def test_a_unit_too_small_to_show_shows_no_effect_in_the_verdict_groups_either():
    # summary.xlsx hides the own figures of a unit with fewer than min_cell rated employees; the
    # briefing's verdict groups showed its effect on the primary outcomes all the same
    rows = {r["unit"]: r for g in report.verdict_groups(_records(), study=_Study()).results["groups"]
            for r in g["rows"]}
    assert rows["Dinas B"]["effect"] == "\u2013" and "1" in rows["Dinas A"]["effect"]
    sheet = report.summary_table(_records())["Angka kunci"]
    assert sheet.loc[sheet["unit"] == "Dinas B", "effect"].isna().all()


def test_calibration_consequences_hide_small_counts_and_their_complements():
    sec = report.calibration_consequences(_records(), min_cell=5)
    df = sec.tables[0][1]
    c = df[df["Unit"] == "Dinas C"].iloc[0]
    # 6 up, 3 down: the 3 is hidden and so is the 6 (else 9 - 6 gives it back)
    assert c["Pegawai yang predikatnya berubah"] == 9 and c["Turun"] == "<5" and c["Naik"] == "×"
    assert sec.results["total"]["n_moved"] == 9
    assert "Dinas B" in set(df["Unit"]) and df[df["Unit"] == "Dinas B"].iloc[0]["Pegawai dinilai"] == "<5"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=8), st.integers(2, 10))
def test_suppression_leaves_no_lone_hidden_cell(parts, k):
    """Whatever the counts: no row (total shown) and no column (total row shown) holds exactly
    one hidden cell beside others that could be subtracted from the total."""
    df = pd.DataFrame(parts, columns=["up", "down"])
    df.insert(0, "moved", df["up"] + df["down"])
    m = report.suppression_mask(df, k, totals=[("moved", ["up", "down"])], column_totals=True).to_numpy()
    v = df.to_numpy()
    assert (m | ~((v > 0) & (v < k))).all()  # every small cell is hidden
    parts_m = m[:, 1:]
    lone = (parts_m.sum(axis=1) == 1) & ((v[:, 1:] > 0).sum(axis=1) == 2)
    assert not lone.any()
    assert not (m[:, 0] & ~(parts_m | (v[:, 1:] == 0)).all(axis=1)).any()  # a hidden total hides its parts
    if len(df) > 1:
        for j in range(3):
            if m[:, j].sum() == 1:  # a lone hidden cell in a column: no other non-zero cell to hide
                assert (v[~m[:, j], j] == 0).all()


def test_suppress_count_forms():
    assert report.suppress_count(3, 5) == "<5" and report.suppress_count(3, 10, style="text") == "kurang dari 10"
    assert report.suppress_count(12, 5) == "12" and report.suppress_count(None) == "–"


def test_failures_are_one_plain_sentence_pointing_to_the_log():
    recs = [{"unit": "Dinas D", "status": "failed", "file": "Dinas_D", "log": "units/Dinas_D.log",
             "error": "Traceback (most recent call last):\\n  File ...\\nValueError: set_xlim(nan)"}]
    f = report.failures(recs)
    sentence = f.tables[0][1].iloc[0, 1]
    assert sentence == "Unit ini tidak dapat diproses; rincian teknis ada di log proses (units/Dinas_D.log)."
    assert "Traceback" not in sentence and "\\n" not in sentence


# ------------------------------------------------------------------------- the unit page (11.2)
def test_unit_page_leads_with_the_verdict_then_evidence_then_annex():
    nb = nbformat.read(NOTEBOOKS / "unit_report.ipynb", as_version=4)
    src = [c.source for c in nb.cells if c.cell_type == "code"]
    where = {key: next(i for i, s in enumerate(src) if key in s) for key in
             ("report.unit_sections", "report.unit_header", "report.verdict_section", 'sections["coverage"]',
              'sections["impact"]', "report.unit_annex")}
    assert where["report.unit_sections"] < where["report.unit_header"] < where["report.verdict_section"] \
        < where['sections["coverage"]'] < where['sections["impact"]'] < where["report.unit_annex"]
    # the cell that computes the sections shows nothing
    tree = ast.parse(src[where["report.unit_sections"]])
    assert all(isinstance(n, ast.Assign) for n in tree.body)


def test_verdict_box_says_what_the_unit_must_do():
    v = report.Verdict("TUNDA", [FEW, FLAG])
    s = report.verdict_section(v, {"calibration": {"n_severity_flagged": 3}}, config=_Study.config)
    assert [t["owner"] for t in s.results["todo"]] == ["Kepala OPD bersama BKPSDM", "Sekretaris Dinas"]
    assert s.results["reasons"][0]["text"] == "kurang dari 5 pegawai dinilai (minimal 10)"
    # the one suppression rule holds on unit pages too: 3 raters < min_cell 5
    assert s.results["reasons"][1]["text"] == "kurang dari 5 penilai terlalu ketat atau terlalu longgar"
    s3 = report.verdict_section(v, {"calibration": {"n_severity_flagged": 3}}, thresholds={"min_cell": 3})
    assert s3.results["reasons"][1]["text"] == "3 penilai (20%) terlalu ketat atau terlalu longgar (paling banyak 10%)"
    ready = report.verdict_section(report.Verdict("SIAP", []), lang="en")
    assert ready.results["todo"][0]["text"].startswith("Go on to the next wave")


# ----------------------------------------------------------------------- degenerate units (12.8)
@pytest.fixture(scope="module")
def one_employee_study(tmp_path_factory):
    import evaltools
    from evaltools.simulate import simulate_study

    sim = simulate_study(seed=3, n_units=4, n_regions=1, subjects_per_unit=(10, 12), waves=["2024-S1"],
                         control_share=0.5)
    path = tmp_path_factory.mktemp("one") / "studi"
    sim.write(path)
    study = evaltools.load_study(path)
    unit = study.pilot_units[0]
    r = study.ratings
    keep = r["subject"].astype(str) == str(r.loc[r["unit"].astype(str) == unit, "subject"].astype(str).iloc[0])
    study.ratings = r[(r["unit"].astype(str) != unit) | keep].reset_index(drop=True)
    return study, unit


def test_one_rated_employee_renders_not_computable_with_a_reason(one_employee_study):
    study, unit = one_employee_study
    th = report.thresholds()
    secs = report.unit_sections(study, unit, thresholds=th)
    assert secs["coverage"].results["n_subjects"] == 1
    for key in ("consistency", "calibration"):
        assert secs[key].lead.startswith("Tidak dapat dihitung untuk unit ini: ")
        assert not secs[key].figures
    v = report.verdict(secs, th)
    assert v.code == "TUNDA" and "few_subjects" in [r["code"] for r in v.reasons]
    box = report.verdict_section(v, secs, thresholds=th)
    assert "1 pegawai" not in " ".join(r["text"] for r in box.results["reasons"])
    assert "kurang dari 5 pegawai dinilai" in secs["coverage"].lead


def test_run_id_from_a_relative_run_folder(tmp_path, monkeypatch):
    # the runner executes the briefing inside its run folder with run_dir="."
    (tmp_path / "sample").mkdir()
    monkeypatch.chdir(tmp_path / "sample")
    assert report.briefing_header(_records(), run_id=".").results["meta"]["run_id"] == "sample"

"""The message catalog: every code in both languages with the same parameters, every code the
report modules use exists, and an Indonesian page carries no English (issue 11, part 5); every
library note has a catalog text and reaches the page in the reader's language (issue 13)."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from evaltools import _notes, report
from evaltools.report import messages

ROOT = Path(__file__).resolve().parents[1]
REPORT_SRC = ROOT / "src" / "evaltools" / "report"


def _fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f}


def test_every_code_has_both_languages_with_the_same_parameters():
    ids, ens = messages.CATALOGS["id"], messages.CATALOGS["en"]
    assert set(ids) == set(ens), set(ids) ^ set(ens)
    for code in ids:
        assert ids[code].strip() and ens[code].strip(), code
        assert _fields(ids[code]) == _fields(ens[code]), code


def test_every_literal_code_the_report_uses_is_in_the_catalog():
    used = set()
    for f in REPORT_SRC.glob("*.py"):
        used |= set(re.findall(r"\btext\(\s*\"([^\"{}]+)\"", f.read_text(encoding="utf-8")))
    missing = sorted(c for c in used if not messages.has(c))
    assert not missing, missing


def test_reason_codes_of_the_verdict_have_catalog_texts():
    # the reason codes verdict() emits today; a new code falls back to the reason's own text
    for code in ("few_subjects", "agreement_poor", "agreement_low", "no_variation", "few_raters", "missing_360",
                 "raters_flagged", "predikat_pattern", "outcome_worse"):
        for prefix in ("reason", "action", "owner", "short"):
            assert messages.has(f"{prefix}.{code}"), f"{prefix}.{code}"
    unknown = {"code": "something_new", "level": "TUNDA", "text": "own text"}
    assert report.reason_text(unknown) == "own text"


def test_numbers_follow_the_language():
    p = {"value": 0.8123, "threshold": 0.5}
    assert report.reason_text({"code": "agreement_poor", **p}) == \
        "reliabilitas penilaian sangat rendah (median butir 0,81, batas 0,50)"
    assert report.reason_text({"code": "agreement_poor", **p}, "en") == \
        "rating reliability is very low (median item 0.81, limit 0.50)"


def test_role_codes_read_as_words():
    assert [report.role_label(r) for r in ("atasan", "rekan_kerja", "bawahan", "masyarakat", "diri_sendiri")] == \
        ["Atasan langsung", "Rekan kerja", "Bawahan", "Masyarakat pengguna layanan", "Diri sendiri"]


# ------------------------------------------------------------------ the sample's Indonesian pages
SAMPLE = ROOT / "data" / "sample"
# words that would mean English (or code names) reached an Indonesian page
ENGLISH = {"the", "and", "of", "with", "raters", "rater", "ratings", "employees", "items", "item(s)", "severity",
           "lenient", "severe", "subjects", "subject", "worklist", "vs", "org", "flagged", "evidence", "placebo",
           "donors", "fewer", "than", "only", "would", "change", "after", "before", "ready", "hold", "fix",
           "rekan_kerja", "diri_sendiri", "sd_ratio", "antarbutir", "none", "nan", "true", "false"}
BANNED_PHRASES = ("daftar kerja", "kesepakatan antarbutir")


def _page_text(sections) -> list[str]:
    out = []
    for s in sections:
        out += [s.title, s.lead, *map(str, s.notes), *map(str, s.raw.get("method_notes", []))]
        for caption, df in s.tables:
            out.append(str(caption))
            out += [str(c) for c in df.columns]
            out += [str(v) for v in df.astype(str).to_numpy().ravel()]
    return [t for t in out if t]


@pytest.fixture(scope="module")
def sample_pages():
    if not (SAMPLE / "study.toml").exists():
        pytest.skip("data/sample is not there")
    import evaltools

    study = evaltools.load_study(SAMPLE)
    th = report.thresholds(study.config)
    pages, records = [], []
    for i, unit in enumerate(study.pilot_units[:2]):
        secs = report.unit_sections(study, unit, thresholds=th, lang="id")
        v = report.verdict(secs, th, lang="id")
        header = report.unit_header(study, unit, lang="id")
        box = report.verdict_section(v, secs, config=study.config, thresholds=th, lang="id")
        pages.append([header, box, *secs.values(), report.unit_annex(secs, lang="id")])
        rec = report.unit_record(unit, secs, v, header=header, lang="id")
        rec["file"] = f"u{i}"
        records.append(rec)
    records.append({"unit": "Unit gagal", "status": "failed", "error": "Traceback: ValueError x"})
    briefing = [report.briefing_header(records, study=study, run_id="reports/sample", thresholds=th),
                report.verdict_groups(records, study=study, thresholds=th),
                report.calibration_consequences(records, thresholds=th),
                report.verdict_overview(records, thresholds=th),
                report.actions(records, config=study.config, thresholds=th),
                report.blockers(records, min_cell=th["min_cell"]),
                report.failures(records), report.annex()]
    return pages + [briefing]


def test_no_english_leaks_into_the_indonesian_pages(sample_pages):
    leaks = []
    for page in sample_pages:
        for t in _page_text(page):
            words = set(re.findall(r"[A-Za-z_()]+", t.lower()))
            bad = (words & ENGLISH) | {p for p in BANNED_PHRASES if p in t.lower()}
            if bad:
                leaks.append((sorted(bad), t[:120]))
    assert not leaks, leaks[:10]


def test_decimal_comma_everywhere_in_indonesian(sample_pages):
    bad = []
    for page in sample_pages:
        for t in _page_text(page):
            if t.startswith("Periode penilaian:"):  # the meta line carries the library version (x.y.z)
                continue
            if re.search(r"\d\.\d", t):
                bad.append(t[:120])
    assert not bad, bad[:10]


def test_calibration_consequence_is_stated_as_an_estimate(sample_pages):
    # "7 pegawai akan berganti predikat …" even for SIAP units: now period, base and direction are named
    notes = [n for page in sample_pages[:-1] for s in page if s.key == "calibration" for n in s.notes]
    moves = [n for n in notes if "predikat" in n and "dikoreksi" in n]
    assert len(moves) == 2
    for n in moves:
        assert "periode" in n and "pegawai" in n
        assert "tidak ada predikat" in n or ("naik" in n and "bukan penetapan predikat" in n) or "kurang dari" in n


# ------------------------------------------------------------------ library notes by code
def _sample_params(code: str) -> dict:
    """A value for each parameter of a note, of the kind its placeholder reads back."""
    out = {}
    for _, name, spec, conv in string.Formatter().parse(_notes.NOTES[code][0]):
        if name is None:
            continue
        out[name] = "Dinas A" if conv == "r" else 0.25 if (spec or "").endswith("%") else 1.5 if spec else 7
    return out


def test_every_note_code_has_both_catalog_texts_with_its_parameters():
    for code in _notes.NOTES:
        for lang in messages.LANGS:
            key = f"note.{code}"
            assert messages.has(key, lang), (lang, key)
            assert _fields(messages.CATALOGS[lang][key]) == _notes.fields(code), (lang, key)
    orphans = {k for k in messages.CATALOGS["id"] if k.startswith("note.")} - {f"note.{c}" for c in _notes.NOTES}
    assert not orphans, orphans


@pytest.mark.parametrize("code", sorted(_notes.NOTES))
def test_every_note_reads_back_and_reads_in_indonesian(code):
    params = _sample_params(code)
    en = _notes.note(code, **params)
    # read back as itself (no other template shadows it), alone and as a part of a longer note
    assert _notes.parse(en) == [(code, params)]
    assert _notes.parse(f"{en}; something else") == [(code, params), (None, {"text": "something else"})]
    idn = report._localize(f"{en}; {_notes.note('missing_scores', n=2)}", "id")
    words = set(re.findall(r"[A-Za-z_()]+", idn.lower()))
    assert not words & ENGLISH, (code, idn)
    assert idn.endswith("; 2 baris tanpa nilai diabaikan"), idn


def test_note_takes_exactly_its_parameters():
    with pytest.raises(TypeError, match="few_donors"):
        _notes.note("few_donors", n=8, pmin=0.1)
    with pytest.raises(KeyError):
        _notes.note("no_such_note")


def test_no_library_note_reaches_the_indonesian_pages_in_english(sample_pages):
    # every English template, searched (not matched whole) in every text of the pages
    patterns = [(code, pat) for code, pat, _ in _notes._PATTERNS]
    found = [(code, t[:120]) for page in sample_pages for t in _page_text(page)
             for part in t.split("; ") for code, pat in patterns if pat.search(part)]
    assert not found, found[:10]


def _parts_without_code(notes) -> list:
    """The parts of the notes no template reads (each note split by "; ")."""
    return [(n, p["text"]) for n in notes if n for code, p in _notes.parse(str(n)) if code is None]


def test_statistics_notes_are_codes_and_read_in_indonesian():
    # notes of the rater-effect, DiD, staggered, pooling and power code paths, on data that
    # trigger them: every part reads back as a note code, and its Indonesian has no English
    import numpy as np
    import pandas as pd

    from evaltools import calibration, pilot

    rng = np.random.default_rng(3)
    notes = []
    # DiD with 6 clusters and one treated unit: single treated unit, wild bootstrap headline
    p = pd.DataFrame([(u, t) for u in range(6) for t in range(4)], columns=["u", "t"])
    p = p.assign(tr=(p.u == 0).astype(int), post=(p.t >= 2).astype(int), y=rng.normal(size=len(p)))
    for inference in ("auto", "wild", "cluster", "ri"):
        notes.append(pilot.did(p, outcome="y", unit="u", period="t", treated="tr", post="post", inference=inference,
                               n_boot=99, n_perm=99, seed=1).note)
    notes.append(pilot.did(p.assign(y=1.0), outcome="y", unit="u", period="t", treated="tr", post="post").note)
    # staggered: a unit treated from the first period, one after the last, a single-unit wave
    g = np.r_[1, 9, 3, 4, 4, 4, np.zeros(8)]
    sp = pd.DataFrame([(u, t, g[u]) for u in range(len(g)) for t in range(1, 6)], columns=["u", "t", "g"])
    sp["y"] = rng.normal(size=len(sp))
    fit = pilot.staggered_att(sp, outcome="y", unit="u", period="t", first_treated="g")
    notes += list(fit.notes) + [fit.randomization_test(n_perm=19, seed=1).note]
    # rater effects with too few ratings to flag anyone
    r = pd.DataFrame({"subject": np.repeat(np.arange(30), 4), "rater": rng.integers(0, 8, 120),
                      "item": "a", "score": rng.integers(1, 6, 120).astype(float)})
    notes += list(calibration.rater_effects(r, subject="subject", rater="rater", score="score", item="item",
                                            min_ratings=10**6)["note"])
    notes += list(pilot.pooled_unit_effects(pd.DataFrame({"estimate": [1.0, np.nan], "se": [0.5, 0.5]}))
                  .pooled["note"])
    codes = {c for n in notes if n for c, _ in _notes.parse(str(n))}
    assert {"did_single_treated", "did_cr1", "few_ratings", "pool_one", "first_treated_dropped", "late_treated",
            "single_unit_groups", "did_constant"} <= codes, codes
    assert any(c.startswith("did_wild_") for c in codes) and any(c.startswith("did_ri_") for c in codes), codes
    assert not _parts_without_code(notes), _parts_without_code(notes)
    for n in notes:
        words = set(re.findall(r"[A-Za-z_()]+", report._localize(str(n), "id").lower()))
        assert not words & ENGLISH, (n, report._localize(str(n), "id"))


def test_negative_numbers_use_the_minus_sign_everywhere(sample_pages):
    # one way for a negative number on every page (fmt's U+2212, as the figures' axes): never a
    # hyphen before a digit ("-1,78"), which a range such as "0-100" or "2025-S1" is not
    hyphen = [t[:120] for page in sample_pages for t in _page_text(page) if re.search(r"(?<![\w.,])-\d", t)]
    assert not hyphen, hyphen[:10]
    assert any("\u2212" in t for page in sample_pages for t in _page_text(page))

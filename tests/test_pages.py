"""How pages render (issue 11.3/11.4): the package's nbconvert template, offline pages, A4 print rules,
sections and verdict boxes from Jinja fragments, grey-print verdict cues, links that stay local."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from evaltools.report import Section, pages
from evaltools.report.verdict import Verdict

ROOT = Path(__file__).resolve().parents[1]
CSS = (pages.TEMPLATE_DIR / "evaltools" / "static" / "page.css").read_text(encoding="utf-8")


def _page(tmp_path, *outputs_html, lang="id"):
    nb = nbformat.v4.new_notebook()
    cells = []
    for html in outputs_html:
        c = nbformat.v4.new_code_cell("x")
        c.outputs = [nbformat.v4.new_output("execute_result", data={"text/html": html, "text/plain": "x"},
                                            execution_count=1)]
        cells.append(c)
    err = nbformat.v4.new_code_cell("warn")
    err.outputs = [nbformat.v4.new_output("stream", name="stderr", text="DeprecationWarning: internal detail")]
    js = nbformat.v4.new_code_cell("js")
    js.outputs = [nbformat.v4.new_output("display_data", data={"application/javascript": "alert(1)"})]
    nb.cells = cells + [err, js]
    nb.metadata["papermill"] = {"parameters": {"lang": lang}}
    return pages.export_html(nb, tmp_path / "p.html", title="Unit A").read_text(encoding="utf-8")


def test_page_is_built_by_the_package_template_and_loads_nothing(tmp_path):
    html = _page(tmp_path, pages.section_html(Section("coverage", "Cakupan", lead="x")))
    assert "<script" not in html.lower()  # no require.js, MathJax, mermaid or widget loader
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", html, re.I)
    assert "mathjax" not in html.lower() and "require" not in html.lower()
    assert '<html lang="id">' in html and 'class="evt-page"' in html
    assert "@page { size: A4" in html  # the print stylesheet is inlined
    assert "internal detail" not in html  # stderr is for the log, not the reader
    assert "alert(1)" not in html
    assert '<html lang="en">' in _page(tmp_path, "<p>x</p>", lang="en")


def test_template_directory_ships_as_package_data():
    import tomllib

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = conf["tool"]["setuptools"]["package-data"]["evaltools.report"]
    base = pages.TEMPLATE_DIR.parent
    shipped = {p for pat in patterns for p in base.glob(pat)}
    every = {p for p in pages.TEMPLATE_DIR.rglob("*") if p.is_file()}
    assert every and every <= shipped


def test_print_rules():
    assert re.search(r"@page\s*\{[^}]*size:\s*A4", CSS)
    media = CSS[CSS.index("@media print"):]
    # page breaks before the annex, never inside a table row or a figure; header rows repeat
    assert re.search(r"\.annex[^{]*\{[^}]*break-before:\s*page", media)
    assert re.search(r"tr,[^{]*\{[^}]*break-inside:\s*avoid", media)
    assert "thead { display: table-header-group" in media
    # no forced break before the first thing on a page: only the annex and sections asking for it break
    forced = re.findall(r"([^{}]+)\{[^}]*break-before:\s*page", media)
    assert [s.strip() for s in forced] == [".evt-break, .annex"]
    # tables fit: full width, long words wrap instead of being cut
    assert re.search(r"\.evt-table \{[^}]*max-width: 100%", CSS) and "overflow-wrap: break-word" in CSS
    assert re.search(r"img, svg \{ max-width: 100%", CSS)
    # no web font
    assert "@font-face" not in CSS and "url(" not in CSS


@pytest.mark.parametrize("slug", sorted(set(pages.VERDICT_SLUGS.values())))
def test_each_verdict_has_a_cue_beside_colour(slug):
    # an icon before the label and a border style of its own: a grey print still tells them apart
    assert re.search(rf"\.evt-v-{slug}::before \{{ content: \"[^\"]+\"; \}}", CSS)
    rule = re.search(rf"\.evt-v-{slug} \{{([^}}]*)\}}", CSS).group(1)
    assert "border" in rule
    icons = re.findall(r"\.evt-v-(\w+)::before \{ content: \"([^\"]+)\"", CSS)
    assert len({i for _, i in icons}) == len(icons)  # one icon per verdict
    borders = {s: re.search(r"border[^;]*(solid|dashed|double|dotted)", r).group(1)
               for s, r in re.findall(r"\.evt-v-(\w+) \{([^}]*)\}", CSS)}
    assert len(set(borders.values())) == len(borders)


def test_section_html_escapes_and_marks_verdicts():
    df = pd.DataFrame({"Unit": ["<b>A</b>", "B", "C"], "Putusan": ["SIAP", "BELUM TERBUKTI", "FIX FIRST"],
                       "Nilai": [0.8123, float("nan"), 3], "Jumlah": [12, 3, 4]})
    s = Section("verdict_per_unit", "Putusan <per> unit", lead="Satu.\n\nDua.", tables=[("Tabel", df)],
                notes=["<i>n</i>"])
    html = pages.section_html(s)
    assert "<b>A</b>" not in html and "&lt;b&gt;A&lt;/b&gt;" in html and "<i>n</i>" not in html
    assert html.count('class="evt-lead"') == 2
    assert '<span class="evt-badge evt-v-siap">SIAP</span>' in html
    assert '<span class="evt-badge evt-v-notshown">BELUM TERBUKTI</span>' in html
    assert '<span class="evt-badge evt-v-fix">FIX FIRST</span>' in html
    cells = re.findall(r'<td( class="evt-n")?>([^<]*)</td>', html)
    assert ("class=\"evt-n\"", "0,81") in [(a.strip(), b) for a, b in cells]
    assert "0.81" not in pages.section_html(s, lang="id") and "0.81" in pages.section_html(s, lang="en")
    assert "<thead>" in html and '<th scope="col">Putusan</th>' in html


def test_links_stay_inside_the_run_folder():
    df = pd.DataFrame({"Unit": ["A", "B", "C", "D"], "x": [1, 2, 3, 4]})
    df.attrs["links"] = {"Unit": ["units/A-1.html", "javascript:alert(1)", "https://example.invalid/x", None]}
    html = pages.section_html(Section("t", "T", tables=[("", df)]))
    assert '<a href="units/A-1.html">A</a>' in html
    assert "javascript" not in html and "example.invalid" not in html
    assert ">B<" in html and ">C<" in html and ">D<" in html
    # DECISION's grouped verdict tables give each row's href in the results
    g = Section("verdict_groups", "G", tables=[("TUNDA", pd.DataFrame({"Unit": ["X"]})),
                                                ("SIAP", pd.DataFrame({"Unit": ["Y"]}))],
                results={"groups": [{"rows": [{"href": "units/X.html"}]}, {"rows": [{"href": "//evil/y"}]}]})
    html = pages.section_html(g)
    assert '<a href="units/X.html">X</a>' in html and "evil" not in html


def test_annex_summary_and_heading_marks():
    assert 'class="evt-sec evt-key-annex annex"' in pages.section_html(Section("annex", "Lampiran"))
    s = Section("notes", "Catatan metode")
    s.annex = True
    assert " annex" in pages.section_html(s)
    head = pages.section_html(Section("briefing_header", "Ringkasan"))
    assert "evt-summary" in head and "<h1>Ringkasan</h1>" in head
    assert "evt-summary" not in pages.section_html(Section("coverage", "Cakupan"))
    na = pages.section_html(Section("impact", "Dampak", lead="tidak dapat dihitung", available=False))
    assert '<p class="evt-na">tidak dapat dihitung</p>' in na
    box = pages.section_html(Section("verdict", "Putusan", results={"code": "TUNDA"}))
    assert "evt-verdict evt-v-box-tunda" in box and '<span class="evt-badge evt-v-tunda">TUNDA</span>' in box


def test_figures_are_shown_at_their_pixel_size():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evaltools import plots

    fig = plt.figure(figsize=(3, 2))
    s = Section("c", "C")
    s.add_figure("cap", fig)
    html = pages.section_html(s)
    w, h = (int(x) for x in re.search(r'width="(\d+)" height="(\d+)"', html).groups())
    assert (w, h) == (3 * 96, 2 * 96)
    assert plots.figure_png is not None


def test_verdict_box_lists_reasons_and_actions():
    v = Verdict("PERBAIKI DULU", [{"level": "PERBAIKI DULU", "text": "3 butir <lemah>"}], lang="en")
    v.actions = ["Clarify the items"]
    html = pages.verdict_html(v)
    assert "evt-v-box-fix" in html and '<span class="evt-badge evt-v-fix">FIX FIRST</span>' in html
    assert "3 butir &lt;lemah&gt;" in html and "Clarify the items" in html
    assert v._repr_html_() == html
    new = pages.verdict_html(Verdict("BELUM TERBUKTI", [], lang="en"))
    assert '<span class="evt-badge evt-v-notshown">NOT SHOWN</span>' in new
    assert Section("a", "A")._repr_html_() == pages.section_html(Section("a", "A"))


def test_unit_verdict_box_states_its_label_once():
    """The unit page's verdict section: the badge carries the label; neither the lead nor a
    reasons column whose every level is the verdict's repeats it. Reasons at another level
    keep their level."""
    from evaltools.report import verdict_section

    for lang, label in (("id", "PERBAIKI DULU"), ("en", "FIX FIRST")):
        sec = verdict_section({"code": "PERBAIKI DULU", "reasons": [
            {"code": "raters_flagged", "level": "PERBAIKI DULU", "value": 0.19, "threshold": 0.1, "n": 12}]},
            {}, lang=lang)
        # as the unit notebook shows it: the section alone, without a lang argument
        html = sec._repr_html_()
        assert html.count(label) == 1, html
        assert f'<span class="evt-badge evt-v-fix">{label}</span>' in html
        assert "12 " in html and "19%" in html  # the reason itself stays in the box
    mixed = verdict_section({"code": "TUNDA", "reasons": [
        {"code": "few_subjects", "level": "TUNDA", "value": 3, "threshold": 10},
        {"code": "raters_flagged", "level": "PERBAIKI DULU", "value": 0.19, "threshold": 0.1, "n": 12}]}, {})
    html = pages.section_html(mixed)
    assert html.count("PERBAIKI DULU") == 1 and html.count(">TUNDA<") == 2


def test_rule_table_from_records():
    recs = [{"unit": "A", "verdict": {"code": "PERBAIKI DULU", "reasons": [{"code": "raters_flagged"}]},
             "coverage": {"n_subjects": 40, "raters_per_subject": 5, "missing_share": 0.1},
             "consistency": {"agreement_median": 0.8}, "calibration": {"flagged_share": 0.3, "predikat_ok": True},
             "impact": {"outcomes": {"ikm": {"effect": 1.0}}}},
            {"unit": "B", "status": "failed"}]
    t = pages.rule_table(recs)
    assert t["unit"].tolist() == ["A"]
    row = t.iloc[0].to_dict()
    assert row["raters_flagged"] is False and row["few_subjects"] is True and row["outcome_worse"] is True
    assert "benefit_not_shown" not in t
    recs[0]["impact"]["outcomes"]["ikm"]["benefit"] = False
    assert pages.rule_table(recs).iloc[0]["benefit_not_shown"] is True


def test_period_labels_do_not_break_at_their_hyphen():
    html = pages.section_html(Section("header", "T", lead="Mulai uji coba: 2024-S2 · indeks (0-100)"))
    assert "2024\u2011S2" in html and "(0-100)" in html

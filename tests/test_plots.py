"""Charts: each one draws what its input says and marks the reference a reader needs."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from evaltools import plots  # noqa: E402


def _colors(coll) -> list[str]:
    return [mcolors.to_hex(c) for c in coll.get_facecolors()]


def test_severity_caterpillar_sorts_and_highlights_flags():
    fx = pd.DataFrame({"severity": [0.9, -0.1, 0.2, -0.8], "ci_low": [0.6, -0.3, 0.0, -1.0],
                       "ci_high": [1.2, 0.1, 0.4, -0.6], "flag": ["severe", "ok", "ok", "lenient"]},
                      index=pd.Index(["P-a", "P-b", "P-c", "P-d"], name="rater"))
    fig = plots.severity_caterpillar(fx)
    ax = fig.axes[0]
    pts = ax.collections[-1]
    xs = pts.get_offsets()[:, 0]
    assert list(xs) == sorted(fx["severity"])  # sorted, one point per rater
    cols = _colors(pts)
    assert cols[0] == cols[-1] == plots._FLAG and cols[1] == cols[2] != plots._FLAG
    # pseudonyms are not printed unless asked for
    assert [t.get_text() for t in ax.get_yticklabels()] == []
    fig2 = plots.severity_caterpillar(fx, label_raters=True)
    assert [t.get_text() for t in fig2.axes[0].get_yticklabels()] == ["P-d", "P-b", "P-c", "P-a"]


def test_event_study_marks_reference_period():
    es = pd.DataFrame({"event_time": [-3, -2, -1, 0, 1], "att": [0.1, -0.2, 0.0, 1.5, 2.0],
                       "ci_low": [-0.5, -0.8, np.nan, 0.9, 1.2], "ci_high": [0.7, 0.4, np.nan, 2.1, 2.8],
                       "reference": [False, False, True, False, False]})
    fig = plots.event_study_plot(es, lang="en")
    ax = fig.axes[0]
    ref = [c for c in ax.collections if c.get_label() == "reference period"]
    assert len(ref) == 1 and tuple(ref[0].get_offsets()[0]) == (-1.0, 0.0)
    assert mcolors.to_hex(ref[0].get_facecolors()[0]) == "#ffffff"  # open marker
    # the pilot start boundary and the zero line
    assert any(np.allclose(l.get_xdata(), -0.5) for l in ax.lines)
    assert any(np.allclose(l.get_ydata(), 0.0) for l in ax.lines)


def test_agreement_by_item_threshold_and_colors():
    agr = pd.DataFrame({"item": ["Loyal", "Adaptif", "Kompeten"], "value": [0.3, 0.8, 0.6],
                        "ci_low": [0.1, 0.7, 0.5], "ci_high": [0.5, 0.9, 0.7]})
    fig = plots.agreement_by_item(agr, threshold=0.5)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Loyal", "Kompeten", "Adaptif"]
    cols = _colors(ax.collections[-1])
    assert cols[0] == plots._FLAG and cols[1] != plots._FLAG
    assert any(np.allclose(l.get_xdata(), 0.5) for l in ax.lines)


def _matrix_table():
    return pd.DataFrame({"unit": ["A", "B", "C", "D"], "verdict": ["SIAP", "PERBAIKI DULU", "TUNDA", "BELUM TERBUKTI"],
                         "few_subjects": [True, True, False, True], "raters_flagged": [True, False, True, None],
                         "benefit_not_shown": [True, True, True, False]})


def test_rule_matrix_marks_every_cell_by_state():
    fig = plots.rule_matrix(_matrix_table(), lang="en")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Verdict", "Enough employees rated", "Raters calibrated",
                                                           "Benefit shown"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A  [READY]", "B  [FIX FIRST]", "C  [HOLD]",
                                                           "D  [NOT SHOWN]"]
    mesh = ax.collections[0]
    grid = np.asarray(mesh.get_array()).reshape(4, 4)
    # column 0: the verdict's own colour; then pass 0, fail by level (1 hold, 2 fix, 3 not shown), 4 not checked
    assert grid[:, 1:].tolist() == [[0, 0, 0], [0, 2, 0], [1, 0, 0], [0, 4, 3]]
    cmap = mesh.get_cmap()
    assert [mcolors.to_hex(cmap(int(v))) for v in grid[:, 0]] == [plots.VERDICT_COLORS[v] for v in
                                                                  ["SIAP", "PERBAIKI DULU", "TUNDA", "BELUM TERBUKTI"]]
    # one marker collection per state shown: passes (8 cells) and one failed cell per level
    sizes = sorted(len(c.get_offsets()) for c in ax.collections[1:])
    assert sizes == [1, 1, 1, 8]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["passed", "failed: HOLD", "failed: FIX FIRST", "failed: NOT SHOWN", "not checked"]


def test_rule_matrix_speaks_the_report_language():
    fig = plots.rule_matrix(_matrix_table(), lang="id")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["Putusan", "Pegawai dinilai cukup"]
    assert ax.get_yticklabels()[1].get_text() == "B  [PERBAIKI DULU]"
    assert "tidak terpenuhi: TUNDA" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_verdict_multiples_is_a_deprecated_rule_matrix():
    t = pd.DataFrame({"unit": ["A", "B", "C"], "verdict": ["SIAP", "PERBAIKI DULU", "TUNDA"],
                      "agreement": [0.8, 0.4, np.nan], "flagged_share": [0.0, 0.3, 0.1]})
    measures = {"agreement": ("agr", 0.5, True), "flagged_share": ("flag", 0.1, False)}
    with pytest.warns(DeprecationWarning, match="rule_matrix"):
        fig = plots.verdict_multiples(t, measures=measures, ncols=2)
    grid = np.asarray(fig.axes[0].collections[0].get_array()).reshape(3, 3)
    # agreement: 0.8 >= 0.5 passes, 0.4 fails, nan not checked; flagged share: <= 0.1 passes (0.1 is at the line)
    assert grid[:, 1:].tolist() == [[0, 0], [2, 2], [4, 0]]


def _tick_texts(fig, axis="x"):
    import matplotlib.pyplot as plt

    fig.canvas.draw()
    ax = fig.axes[0]
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    plt.close(fig)
    return [t.get_text() for t in labels if t.get_text()]


def test_numbers_in_charts_follow_the_language():
    agr = pd.DataFrame({"item": ["Loyal", "Adaptif"], "value": [0.35, 0.8], "ci_low": [0.2, 0.7],
                        "ci_high": [0.5, 0.9]})
    ticks_id = _tick_texts(plots.agreement_by_item(agr, threshold=0.5, lang="id"))
    ticks_en = _tick_texts(plots.agreement_by_item(agr, threshold=0.5, lang="en"))
    assert any("," in t for t in ticks_id) and not any("." in t for t in ticks_id)
    assert any("." in t for t in ticks_en) and not any("," in t for t in ticks_en)
    fig = plots.agreement_by_item(agr, threshold=0.5, lang="id")
    assert [t.get_text() for t in fig.axes[0].texts] == [" ambang 0,5"]
    es = pd.DataFrame({"event_time": [-1, 0, 1], "att": [0.0, 0.25, -0.15], "ci_low": [np.nan, 0.1, -0.3],
                       "ci_high": [np.nan, 0.4, 0.0], "reference": [True, False, False]})
    y_id = _tick_texts(plots.event_study_plot(es, lang="id"), "y")
    assert any("," in t for t in y_id) and not any("." in t for t in y_id)
    assert any(t.startswith("\u2212") for t in y_id)  # a true minus sign, as matplotlib writes it


def test_chart_labels_are_english_in_the_english_report():
    fx = pd.DataFrame({"severity": [0.9, -0.1], "ci_low": [0.6, -0.3], "ci_high": [1.2, 0.1],
                       "flag": ["severe", "ok"]})
    fig = plots.severity_caterpillar(fx, lang="en")
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("Severity") and ax.get_title(loc="left").startswith("Rater severity")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["flagged", "within range"]
    t = pd.DataFrame({"region": ["Aceh", "Bali"], "verdict": ["PERBAIKI DULU", "BELUM TERBUKTI"]})
    fig = plots.verdict_by_region(t, lang="en")
    assert [x.get_text() for x in fig.axes[0].get_legend().get_texts()] == ["FIX FIRST", "NOT SHOWN"]
    assert fig.axes[0].get_xlabel() == "Units"


@pytest.mark.parametrize("agr", [
    # one rated employee: every coefficient undefined (issue 12.8 crashed on set_xlim(nan))
    pd.DataFrame({"item": ["Loyal", "Adaptif"], "value": [np.nan, np.nan], "ci_low": [np.nan, np.nan],
                  "ci_high": [np.nan, np.nan]}),
    # defined values with undefined or infinite interval ends
    pd.DataFrame({"item": ["Loyal", "Adaptif"], "value": [0.4, 0.9], "ci_low": [np.nan, -np.inf],
                  "ci_high": [np.nan, np.inf]}),
    pd.DataFrame({"item": ["Loyal"], "value": [None], "ci_low": [None], "ci_high": [None]}),
    pd.DataFrame(columns=["item", "value", "ci_low", "ci_high"]),
])
def test_agreement_by_item_survives_undefined_values(agr):
    fig = plots.agreement_by_item(agr, threshold=0.5)
    png = plots.figure_png(fig)  # drawing is where a nan limit would fail
    assert png[:4] == b"\x89PNG"
    lo, hi = fig.axes[0].get_xlim()
    assert np.isfinite(lo) and np.isfinite(hi)


def test_figures_share_one_style_and_leave_rcparams_alone():
    import matplotlib as mpl

    before = mpl.rcParams["font.size"]
    fig = plots.severity_caterpillar(pd.DataFrame({"severity": [0.1], "ci_low": [0.0], "ci_high": [0.2],
                                                   "flag": ["ok"]}))
    ax = fig.axes[0]
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    assert ax.title.get_fontsize() == plots.STYLE["axes.titlesize"]
    assert mpl.rcParams["font.size"] == before


def test_empty_inputs_draw_a_note():
    empty = pd.DataFrame(columns=["severity", "ci_low", "ci_high", "flag"])
    fig = plots.severity_caterpillar(empty)
    assert any("tidak ada data" in t.get_text() for t in fig.axes[0].texts)


def test_figure_png_closes_figure():
    import matplotlib.pyplot as plt

    fig = plots.event_study_plot(pd.DataFrame({"event_time": [0], "att": [1.0], "ci_low": [0.5], "ci_high": [1.5],
                                               "reference": [False]}))
    png = plots.figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig.number not in plt.get_fignums()


def test_verdict_by_region_counts():
    t = pd.DataFrame({"region": ["Aceh", "Aceh", "Jawa Tengah"], "verdict": ["SIAP", "TUNDA", "SIAP"]})
    fig = plots.verdict_by_region(t)
    ax = fig.axes[0]
    assert [x.get_text() for x in ax.get_yticklabels()] == ["Jawa Tengah", "Aceh"]
    widths = {(round(p.get_y(), 2), round(p.get_x())): p.get_width() for p in ax.patches if p.get_width()}
    assert sum(widths.values()) == 3


# --- the unit report's charts as inline SVG -------------------------------------------------

def _svg_tree(svg):
    import xml.etree.ElementTree as ET

    root = ET.fromstring(str(svg))  # well-formed XML, or this raises
    ns = "{http://www.w3.org/2000/svg}"
    circles = [(float(c.get("cx")), float(c.get("cy")), g.get("fill")) for g in root.iter(f"{ns}g")
               for c in g.findall(f"{ns}circle")]
    texts = [t.text for t in root.iter(f"{ns}text")]
    return root, circles, texts


def test_severity_caterpillar_svg_sorts_highlights_and_names_nobody():
    fx = pd.DataFrame({"severity": [0.9, -0.1, 0.2, -0.8], "ci_low": [0.6, -0.3, 0.0, -1.0],
                       "ci_high": [1.2, 0.1, 0.4, -0.6], "flag": ["severe", "ok", "ok", "lenient"]},
                      index=pd.Index(["P-a", "P-b", "P-c", "P-d"], name="rater"))
    svg = plots.severity_caterpillar_svg(fx)
    root, circles, texts = _svg_tree(svg)
    pts = sorted(circles[:-2], key=lambda c: -c[1])  # the legend's two dots come last; bottom row first
    xs = [c[0] for c in pts]
    assert len(pts) == 4 and xs == sorted(xs)  # lowest severity at the bottom, one point per rater
    fills = [c[2] for c in pts]
    assert fills[0] == fills[-1] == plots._FLAG and fills[1] == fills[2] == plots._OK
    assert not any(t and t.startswith("P-") for t in texts)  # no pseudonym on the chart
    assert "ditandai" in texts and "wajar" in texts
    assert (svg.width, int(root.get("width"))) == (672, 672)


def test_agreement_by_item_svg_escapes_item_names_and_marks_threshold():
    agr = pd.DataFrame({"item": ["<b>Loyal</b> & co", "Adaptif"], "value": [0.42, 0.81], "ci_low": [0.2, 0.7],
                        "ci_high": [0.6, 0.9]})
    svg = plots.agreement_by_item_svg(agr, threshold=0.5, lang="en")
    assert "<b>" not in svg and "&lt;b&gt;Loyal&lt;/b&gt; &amp; co" in svg
    _root, circles, texts = _svg_tree(svg)
    red = [c for c in circles if c[2] == plots._FLAG]
    blue = [c for c in circles if c[2] == "#2166ac"]
    assert len(red) == 1 and len(blue) == 1 and red[0][0] < blue[0][0]  # 0.42 left of 0.81, below the threshold
    assert "threshold 0.5" in texts and "0.8" in texts


@pytest.mark.parametrize("agr", [
    pd.DataFrame({"item": ["Loyal", "Adaptif"], "value": [np.nan, np.nan], "ci_low": [np.nan, np.nan],
                  "ci_high": [np.nan, np.nan]}),
    pd.DataFrame({"item": ["Loyal", "Adaptif"], "value": [0.4, 0.9], "ci_low": [np.nan, -np.inf],
                  "ci_high": [np.nan, np.inf]}),
    pd.DataFrame(columns=["item", "value", "ci_low", "ci_high"]),
])
def test_agreement_by_item_svg_survives_undefined_values(agr):
    svg = plots.agreement_by_item_svg(agr, threshold=0.5)
    _root, circles, texts = _svg_tree(svg)
    import re

    assert not re.search(r"\b(nan|inf)\b", svg)  # no coordinate or label written from an undefined value
    assert len(circles) == int(pd.to_numeric(agr["value"], errors="coerce").notna().sum())
    if not circles:
        assert "tidak ada data" in texts


def test_event_study_grid_svg_colours_before_and_after_and_writes_decimal_commas():
    es = pd.DataFrame({"event_time": [-2, -1, 0, 1], "att": [0.01, -0.02, 0.05, 0.07],
                       "ci_low": [-0.02, -0.05, 0.02, 0.03], "ci_high": [0.04, 0.01, 0.08, 0.11],
                       "reference": [False] * 4})
    svg = plots.event_study_grid_svg([("Proporsi", es), ("Hari", es.assign(att=es["att"] * 100))])
    _root, circles, texts = _svg_tree(svg)
    assert len(circles) == 8
    assert sum(c[2] == "#737373" for c in circles) == 4 and sum(c[2] == "#2166ac" for c in circles) == 4
    assert "0,05" in texts and "\u22121" in texts and not any(t and "." in t for t in texts)
    assert texts.count("Proporsi") == 1 and "Periode relatif terhadap awal uji coba" in texts

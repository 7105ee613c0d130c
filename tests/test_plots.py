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


def test_verdict_multiples_one_panel_per_unit():
    t = pd.DataFrame({"unit": ["A", "B", "C"], "verdict": ["SIAP", "PERBAIKI DULU", "TUNDA"],
                      "agreement": [0.8, 0.4, 0.2], "flagged_share": [0.0, 0.3, 0.1]})
    measures = {"agreement": ("agr", 0.5, True), "flagged_share": ("flag", 0.1, False)}
    fig = plots.verdict_multiples(t, measures=measures, ncols=2)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == 3
    titles = [ax.get_title(loc="left") for ax in visible]
    assert titles == ["A\nSIAP", "B\nPERBAIKI DULU", "C\nTUNDA"]
    assert mcolors.to_hex(visible[2]._left_title.get_color()) == \
        plots.VERDICT_COLORS["TUNDA"]
    # bars scaled to thresholds: B's agreement 0.4 / 0.5
    widths = [p.get_width() for p in visible[1].patches]
    assert widths == pytest.approx([0.8, 2.0])  # 3x the threshold, drawn at the 2x cap


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

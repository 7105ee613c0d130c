"""Charts for the unit reports and the briefing.

Each function takes a tidy result (the DataFrames the statistics modules return) and
returns a matplotlib ``Figure``; none of them computes a statistic. Labels are Indonesian
by default and English with ``lang="en"``, and every number on an axis follows the report's
language (decimal comma in Indonesian). Every chart marks what a reader needs to judge
the number: the interval, the reference line (zero effect, the agreement threshold, the
reference period of an event study).

All charts share one style (:data:`STYLE`: small fonts, no top/right spines, few ticks) and
fixed margins in inches rather than a layout engine; :func:`figure_png` writes them at 96
dpi, the size a page shows them at (one PNG pixel per CSS pixel).

The unit pages' three dot-and-interval charts are also written directly as inline SVG
(:func:`agreement_by_item_svg`, :func:`severity_caterpillar_svg`, :func:`event_study_grid_svg`,
in :mod:`evaltools.plots._svg`): the same marks and labels at about a hundredth of the cost
of drawing them with matplotlib and encoding a PNG, and vector-sharp in print.
"""
from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "RULES",
    "STYLE",
    "VERDICT_COLORS",
    "agreement_by_item",
    "agreement_by_item_svg",
    "event_study_grid",
    "event_study_grid_svg",
    "event_study_plot",
    "figure_png",
    "number_formatter",
    "rule_matrix",
    "severity_caterpillar",
    "severity_caterpillar_svg",
    "verdict_by_region",
    "verdict_multiples",
]

#: colours of the verdicts (dark green / amber / dark red / slate); the pages add a non-colour cue
VERDICT_COLORS = {"SIAP": "#1b7837", "PERBAIKI DULU": "#e08214", "TUNDA": "#b2182b", "BELUM TERBUKTI": "#5e5e8f"}
_VERDICT_EN = {"SIAP": "READY", "PERBAIKI DULU": "FIX FIRST", "TUNDA": "HOLD", "BELUM TERBUKTI": "NOT SHOWN"}
_FLAG = "#b2182b"
_OK = "#4d4d4d"

#: the one style of every chart (matplotlib rcParams, applied around each drawing)
STYLE = {
    "font.size": 8, "axes.titlesize": 10, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
    "legend.fontsize": 8, "legend.frameon": False, "axes.spines.top": False, "axes.spines.right": False,
    "axes.linewidth": 0.6, "xtick.major.width": 0.6, "ytick.major.width": 0.6, "xtick.minor.visible": False,
    "ytick.minor.visible": False, "axes.axisbelow": True, "figure.dpi": 96, "savefig.dpi": 96,
    "axes.formatter.use_mathtext": False,
}

#: the verdict rules a unit is checked against, in reading order: code -> (level, Indonesian, English).
#: A rule's level is the verdict it leads to when it fires.
RULES: dict[str, tuple[str, str, str]] = {
    "few_subjects": ("TUNDA", "Pegawai dinilai cukup", "Enough employees rated"),
    "agreement_poor": ("TUNDA", "Kesepakatan penilai memadai", "Rater agreement adequate"),
    "outcome_worse": ("TUNDA", "Tidak ada hasil memburuk", "No outcome worse"),
    "agreement_low": ("PERBAIKI DULU", "Setiap butir konsisten", "Every item consistent"),
    "no_variation": ("PERBAIKI DULU", "Nilai membedakan pegawai", "Scores tell employees apart"),
    "few_raters": ("PERBAIKI DULU", "Penilai per pegawai cukup", "Enough raters per employee"),
    "missing_360": ("PERBAIKI DULU", "Penilaian 360° lengkap", "360° ratings complete"),
    "raters_flagged": ("PERBAIKI DULU", "Penilai terkalibrasi", "Raters calibrated"),
    "predikat_pattern": ("PERBAIKI DULU", "Sebaran predikat sesuai pola", "Predikat pattern followed"),
    "benefit_not_shown": ("BELUM TERBUKTI", "Manfaat terbukti", "Benefit shown"),
}

_T = {
    "severity": {"id": "Keketatan (poin; + = lebih ketat dari rekan kerja)",
                 "en": "Severity (points; + = harsher than peers)"},
    "raters": {"id": "Penilai", "en": "Raters"},
    "flagged": {"id": "ditandai", "en": "flagged"},
    "not_flagged": {"id": "wajar", "en": "within range"},
    "sev_title": {"id": "Keketatan penilai (interval 95%)", "en": "Rater severity (95% interval)"},
    "event_time": {"id": "Periode relatif terhadap awal uji coba", "en": "Periods relative to pilot start"},
    "effect": {"id": "Efek (selisih dengan kontrol)", "en": "Effect (difference from controls)"},
    "reference": {"id": "periode acuan", "en": "reference period"},
    "es_title": {"id": "Studi peristiwa", "en": "Event study"},
    "agreement": {"id": "Kesepakatan antarpenilai", "en": "Inter-rater agreement"},
    "threshold": {"id": "ambang", "en": "threshold"},
    "verdict_title": {"id": "Putusan per unit", "en": "Verdict per unit"},
    "no_data": {"id": "tidak ada data", "en": "no data"},
    "units": {"id": "Unit", "en": "Units"},
    "matrix_title": {"id": "Pemeriksaan per unit", "en": "Checks per unit"},
    "passed": {"id": "terpenuhi", "en": "passed"},
    "fails_tunda": {"id": "tidak terpenuhi: TUNDA", "en": "failed: HOLD"},
    "fails_fix": {"id": "tidak terpenuhi: PERBAIKI DULU", "en": "failed: FIX FIRST"},
    "fails_notshown": {"id": "tidak terpenuhi: BELUM TERBUKTI", "en": "failed: NOT SHOWN"},
    "not_checked": {"id": "tidak dapat diperiksa", "en": "not checked"},
}


def _styled(fn):
    """Draw inside the shared style (and leave the caller's rcParams as they were)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import matplotlib as mpl

        with mpl.rc_context(STYLE):
            return fn(*args, **kwargs)
    return wrapper


def _tick(x: float, lang: str) -> str:
    if not np.isfinite(x):
        return ""
    s = f"{x:.6g}"
    if "e" in s:
        s = f"{x:.2e}"
    if s in ("-0", "-0.0"):
        s = "0"
    s = s.replace("-", "\u2212")
    return s.replace(".", ",") if lang != "en" else s


def number_formatter(lang: str = "id"):
    """A matplotlib tick formatter writing numbers as the report does (decimal comma in Indonesian).

    Examples
    --------
    >>> f = number_formatter("id")
    >>> f(0.25, 0), f(-1.5, 0), f(1000, 0), number_formatter("en")(0.25, 0)
    ('0,25', '\u22121,5', '1000', '0.25')
    """
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, pos=None: _tick(x, lang))


def _localize_axes(fig, lang: str) -> None:
    from matplotlib.ticker import ScalarFormatter

    # only axes with numeric ticks: categorical labels (units, items) keep their fixed formatter
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_formatter(), ScalarFormatter):
                axis.set_major_formatter(number_formatter(lang))


def _num_text(x: float, lang: str) -> str:
    return _tick(float(x), lang)


def _t(key: str, lang: str) -> str:
    return _T[key].get(lang, _T[key]["id"])


def _new_fig(height: float, width: float = 7.0, ax=None, left: float = 0.9):
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    # fixed margins in inches: a layout engine costs more than the whole drawing
    fig, ax = plt.subplots(figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=1 - 0.2 / width, bottom=0.6 / height, top=1 - 0.4 / height)
    return fig, ax


def _empty(ax, lang: str) -> None:
    ax.text(0.5, 0.5, _t("no_data", lang), ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def _flagged(flag: pd.Series) -> np.ndarray:
    """Boolean flags, or ``rater_effects``' labels where anything but "ok" is a flag."""
    if flag.dtype == bool:
        return flag.to_numpy()
    return flag.fillna("ok").astype(str).ne("ok").to_numpy() & flag.astype(str).ne("False").to_numpy()


@_styled
def severity_caterpillar(effects: pd.DataFrame, *, lang: str = "id", ax=None, label_raters: bool = False,
                         title: str | None = None):
    """Caterpillar plot of rater severity with intervals, flagged raters highlighted.

    Parameters
    ----------
    effects : DataFrame
        ``calibration.rater_effects`` output: indexed by rater with ``severity``,
        ``ci_low``, ``ci_high`` and ``flag`` ("ok" or the rule that fired; or bool).
    label_raters : bool
        Print the rater codes on the axis (pseudonyms only; off by default, since the
        briefing must not single out individuals).
    """
    n = len(effects)
    fig, ax = _new_fig(max(2.2, min(0.18 * n + 1.2, 9)), ax=ax)
    if n == 0:
        _empty(ax, lang)
        return fig
    d = effects.sort_values("severity")
    y = np.arange(n)
    flag = _flagged(d["flag"]) if "flag" in d else np.zeros(n, bool)
    lo = d["ci_low"].to_numpy(float) if "ci_low" in d else d["severity"].to_numpy(float)
    hi = d["ci_high"].to_numpy(float) if "ci_high" in d else d["severity"].to_numpy(float)
    sev = d["severity"].to_numpy(float)
    colors = np.where(flag, _FLAG, _OK)
    ax.hlines(y, lo, hi, colors=colors, lw=1.2)
    ax.scatter(sev, y, c=colors, s=14, zorder=3)
    ax.axvline(0, color="0.6", lw=0.8, ls="--")
    ax.set_xlabel(_t("severity", lang))
    ax.set_ylabel(_t("raters", lang))
    if label_raters:
        ax.set_yticks(y, [str(i) for i in d.index], fontsize=7)
    else:
        ax.set_yticks([])
    from matplotlib.lines import Line2D

    ax.legend(handles=[Line2D([], [], color=_FLAG, marker="o", lw=1.2, label=_t("flagged", lang)),
                       Line2D([], [], color=_OK, marker="o", lw=1.2, label=_t("not_flagged", lang))],
              loc="lower right")
    ax.set_title(title or _t("sev_title", lang), loc="left")
    _localize_axes(fig, lang)
    return fig


@_styled
def event_study_plot(es: pd.DataFrame, *, lang: str = "id", ax=None, title: str | None = None,
                     ylabel: str | None = None):
    """Event-study coefficients with intervals; the reference period is marked.

    Parameters
    ----------
    es : DataFrame
        ``pilot.event_study`` output: ``event_time``, ``att``, ``ci_low``, ``ci_high`` and
        ``reference`` (bool: the normalised period, drawn as an open marker at zero).
    """
    fig, ax = _new_fig(3.2, ax=ax)
    d = es.dropna(subset=["event_time"]).sort_values("event_time")
    if d.empty:
        _empty(ax, lang)
        return fig
    t = d["event_time"].to_numpy(float)
    att = d["att"].to_numpy(float)
    ref = d["reference"].fillna(False).astype(bool).to_numpy() if "reference" in d else np.zeros(len(d), bool)
    lo = d["ci_low"].to_numpy(float) if "ci_low" in d else att
    hi = d["ci_high"].to_numpy(float) if "ci_high" in d else att
    post = t >= 0
    for mask, color in ((~post & ~ref, "0.45"), (post & ~ref, "#2166ac")):
        ax.vlines(t[mask], lo[mask], hi[mask], color=color, lw=1.4)
        ax.scatter(t[mask], att[mask], color=color, s=22, zorder=3)
    if ref.any():
        ax.scatter(t[ref], np.where(np.isnan(att[ref]), 0.0, att[ref]), facecolors="white", edgecolors="black",
                   s=36, zorder=4, label=_t("reference", lang))
        ax.legend(loc="upper left")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(-0.5, color="0.6", lw=0.8, ls="--")
    ax.set_xticks(np.unique(t))
    ax.set_xlabel(_t("event_time", lang))
    ax.set_ylabel(_t("effect", lang) if ylabel is None else ylabel)  # "" = no label (grid panels)
    ax.set_title(title or _t("es_title", lang), loc="left")
    _localize_axes(fig, lang)
    return fig


@_styled
def event_study_grid(paths, *, lang: str = "id", ncols: int = 2):
    """Several event-study panels side by side: ``paths`` is a list of (title, frame)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    n = max(1, len(paths))
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols + 0.4, 2.4 * nrows + 0.5), squeeze=False)
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.12, top=0.9, wspace=0.3, hspace=0.75)
    for k, ax in enumerate(axes.flat):
        if k >= len(paths):
            ax.axis("off")
            continue
        title, es = paths[k]
        event_study_plot(es, lang=lang, ax=ax, title=title, ylabel="")
        # four labelled y ticks are enough in a small panel; every tick is several artists to draw
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.set_xlabel("")
        ax.title.set_fontsize(8)
        ax.tick_params(labelsize=7)
    fig.supxlabel(_t("event_time", lang), fontsize=8)
    _localize_axes(fig, lang)
    return fig


@_styled
def agreement_by_item(agr: pd.DataFrame, *, item: str = "item", threshold: float | None = None,
                      lang: str = "id", ax=None, title: str | None = None):
    """Agreement per item (point and interval), with the threshold line.

    ``agr`` has one row per item (column ``item``) with ``value``, ``ci_low``, ``ci_high``.
    Items below ``threshold`` are drawn in red. Items whose value is undefined (``nan``: one
    rated employee, a constant item) are left out; with none left the chart says "no data".

    Examples
    --------
    >>> import pandas as pd
    >>> agr = pd.DataFrame({"item": ["Loyal", "Adaptif"], "value": [0.42, 0.81],
    ...                     "ci_low": [0.2, 0.7], "ci_high": [0.6, 0.9]})
    >>> fig = agreement_by_item(agr, threshold=0.5)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['Loyal', 'Adaptif']
    >>> fig = agreement_by_item(agr.assign(value=float("nan"), ci_low=float("nan")), threshold=0.5)
    >>> fig.axes[0].texts[0].get_text()
    'tidak ada data'
    """
    v_all = pd.to_numeric(agr["value"], errors="coerce") if "value" in agr else pd.Series(dtype=float)
    d = agr.assign(value=v_all)
    d = d[np.isfinite(d["value"].to_numpy(float))].sort_values("value")
    fig, ax = _new_fig(max(2.0, 0.32 * len(d) + 1.0), ax=ax, left=2.3)
    if d.empty:
        _empty(ax, lang)
        return fig
    y = np.arange(len(d))
    v = d["value"].to_numpy(float)
    lo = pd.to_numeric(d["ci_low"], errors="coerce").to_numpy(float) if "ci_low" in d else v
    hi = pd.to_numeric(d["ci_high"], errors="coerce").to_numpy(float) if "ci_high" in d else v
    below = v < threshold if threshold is not None else np.zeros(len(d), bool)
    colors = np.where(below, _FLAG, "#2166ac")
    ax.hlines(y, lo, hi, colors=colors, lw=1.4)
    ax.scatter(v, y, c=colors, s=22, zorder=3)
    if threshold is not None:
        ax.axvline(threshold, color="0.5", ls="--", lw=0.9)
        ax.text(threshold, len(d) - 0.4, f" {_t('threshold', lang)} {_num_text(threshold, lang)}", fontsize=8,
                color="0.35", va="bottom")
    ax.set_yticks(y, [str(s) for s in d[item]], fontsize=8)
    # the axis reaches the lowest finite bound (an undefined interval end draws nothing), at most down to -1
    ends = np.r_[lo, v, 0.0 if threshold is None else threshold]
    lo_lim = float(np.min(ends[np.isfinite(ends)]))
    ax.set_xlim(max(-1.0, min(0.0, lo_lim - 0.05)), 1.0)
    ax.set_xlabel(_t("agreement", lang))
    ax.set_title(title or _t("agreement", lang), loc="left")
    _localize_axes(fig, lang)
    return fig


_HATCH = {"SIAP": "", "PERBAIKI DULU": "////", "TUNDA": "xxx", "BELUM TERBUKTI": "..."}
# cell states of the rule matrix, in colormap order
_PASS, _FAIL_TUNDA, _FAIL_FIX, _FAIL_NOTSHOWN, _NA = range(5)
_STATE_COLORS = ["#e6f2e8", "#f4c7c3", "#fde2b8", "#dedef0", "#f0f0f0"]
_FAIL_OF = {"TUNDA": _FAIL_TUNDA, "PERBAIKI DULU": _FAIL_FIX, "BELUM TERBUKTI": _FAIL_NOTSHOWN}
# a failed rule's mark: its shape is the non-colour cue of the level (cross, warning triangle, question mark)
_MARK = {_FAIL_TUNDA: ("X", _FLAG, "fails_tunda"), _FAIL_FIX: ("^", "#8c4a00", "fails_fix"),
         _FAIL_NOTSHOWN: ("$?$", "#2e2e5c", "fails_notshown")}


def _verdict_label(code: str, lang: str) -> str:
    return _VERDICT_EN.get(code, code) if lang == "en" else code


def _short(s: str, n: int = 38) -> str:
    return s if len(s) <= n else s[: n - 1] + "\u2026"


@_styled
def rule_matrix(table: pd.DataFrame, *, rules: Mapping[str, str] | Sequence[str] | None = None,
                levels: Mapping[str, str] | None = None, unit: str = "unit", verdict: str = "verdict",
                lang: str = "id", title: str | None = None):
    """Unit x rule matrix: which verdict rule each unit passes, fails or could not be checked on.

    Parameters
    ----------
    table : DataFrame
        One row per unit, drawn in the given order, with the ``unit`` and ``verdict`` columns and
        one column per rule: True = passed, False = failed, missing (None/NaN) = not checked.
    rules : mapping or sequence, optional
        The rule columns to draw, in order: column -> label, or codes of :data:`RULES` (labelled in
        the report's language). Default: every :data:`RULES` code that is a column of ``table``.
    levels : mapping, optional
        Column -> the verdict a failure leads to (TUNDA, PERBAIKI DULU, BELUM TERBUKTI); sets the
        colour and the shape of the mark. Default: the level in :data:`RULES`, else PERBAIKI DULU.

    Notes
    -----
    The first column shows each unit's verdict in its colour; a failed rule is marked by a shape
    per level (cross = hold, triangle = fix first, question mark = benefit not shown) so the chart
    reads in grey print. One mesh and a few marker collections are drawn, whatever the size.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"unit": ["A", "B"], "verdict": ["SIAP", "TUNDA"],
    ...                   "few_subjects": [True, False], "raters_flagged": [True, None]})
    >>> fig = rule_matrix(t, lang="en")
    >>> [x.get_text() for x in fig.axes[0].get_xticklabels()]
    ['Verdict', 'Enough employees rated', 'Raters calibrated']
    >>> [y.get_text() for y in fig.axes[0].get_yticklabels()]
    ['A  [READY]', 'B  [HOLD]']
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    en = lang == "en"
    if rules is None:
        rules = [c for c in RULES if c in table.columns]
    if not isinstance(rules, Mapping):
        rules = {c: (RULES[c][2] if en else RULES[c][1]) if c in RULES else str(c) for c in rules}
    cols = list(rules)
    lev = {c: (levels or {}).get(c) or (RULES[c][0] if c in RULES else "PERBAIKI DULU") for c in cols}
    n, m = len(table), len(cols)
    labels = [_short(str(u)) for u in table[unit]] if n else []
    codes = [str(v) for v in table[verdict]] if n else []
    ylabels = [f"{u}  [{_verdict_label(c, lang)}]" for u, c in zip(labels, codes)]
    left = 0.35 + 0.056 * max([len(y) for y in ylabels] or [8])
    # the rule labels run up and to the right of their column: room above and right of the grid
    right = 1.4
    width = max(left + 0.42 * (m + 1) + right, 4.5)
    top, bottom = 1.7, 0.75
    height = top + bottom + 0.21 * max(n, 1)
    fig, ax = plt.subplots(figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height)
    if n == 0 or m == 0:
        _empty(ax, lang)
        return fig
    # states: pass / fail by level / not checked, one integer grid drawn as one mesh
    vals = table[cols].astype(object).where(table[cols].notna(), None).to_numpy()
    passed = np.vectorize(lambda x: x is True or x is np.True_ or x == 1, otypes=[bool])(vals)
    failed = np.vectorize(lambda x: x is False or x is np.False_ or x == 0, otypes=[bool])(vals) & ~passed
    fail_code = np.array([_FAIL_OF.get(lev[c], _FAIL_FIX) for c in cols])
    state = np.full((n, m), _NA)
    state[passed] = _PASS
    state = np.where(failed, fail_code[None, :], state)
    # verdict column: its own colours after the five states
    vcodes = list(VERDICT_COLORS)
    vstate = np.array([5 + vcodes.index(c) if c in VERDICT_COLORS else _NA for c in codes])
    grid = np.column_stack([vstate, state])
    cmap = ListedColormap(_STATE_COLORS + [VERDICT_COLORS[c] for c in vcodes])
    ax.pcolormesh(grid, cmap=cmap, vmin=-0.5, vmax=len(cmap.colors) - 0.5, edgecolors="white", linewidth=1.0)
    yy, xx = np.nonzero(state == _PASS)
    ax.scatter(xx + 1.5, yy + 0.5, marker="o", s=9, color="#1b7837", linewidths=0)
    shown = []
    for code, (marker, color, key) in _MARK.items():
        yy, xx = np.nonzero(state == code)
        if len(yy):
            ax.scatter(xx + 1.5, yy + 0.5, marker=marker, s=34, color=color, linewidths=0)
            shown.append(Line2D([], [], ls="", marker=marker, color=color, markersize=6, label=_t(key, lang)))
    ax.set_xlim(0, m + 1)
    ax.set_ylim(n, 0)
    ax.set_yticks(np.arange(n) + 0.5, ylabels)
    ax.set_xticks(np.arange(m + 1) + 0.5, ["Verdict" if en else "Putusan"] + [str(rules[c]) for c in cols],
                  rotation=40, ha="left", rotation_mode="anchor")
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)
    handles = [Line2D([], [], ls="", marker="o", color="#1b7837", markersize=4, label=_t("passed", lang))] + shown
    if (state == _NA).any():
        handles.append(Patch(facecolor=_STATE_COLORS[_NA], edgecolor="0.7", label=_t("not_checked", lang)))
    fig.legend(handles=handles, loc="lower left", ncol=min(len(handles), 3), bbox_to_anchor=(0.01, 0.005))
    if title:
        fig.suptitle(title, x=0.01, ha="left")
    return fig


def verdict_multiples(table: pd.DataFrame, *, measures: Mapping[str, tuple[str, float | None, bool]],
                      unit: str = "unit", verdict: str = "verdict", lang: str = "id", ncols: int = 4,
                      title: str | None = None):
    """Deprecated: use :func:`rule_matrix`. Key figures against their thresholds, as a rule matrix.

    Each measure (column -> (label, threshold, higher_is_better)) becomes one column of the
    matrix: passed when the value is on the good side of its threshold, failed otherwise, not
    checked when missing. ``ncols`` is ignored (it laid out the former small multiples).

    Examples
    --------
    >>> import pandas as pd, warnings
    >>> t = pd.DataFrame({"unit": ["A"], "verdict": ["SIAP"], "agreement": [0.8]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fig = verdict_multiples(t, measures={"agreement": ("Agreement", 0.5, True)}, lang="en")
    >>> [x.get_text() for x in fig.axes[0].get_xticklabels()]
    ['Verdict', 'Agreement']
    """
    warnings.warn("plots.verdict_multiples is deprecated; use plots.rule_matrix", DeprecationWarning, stacklevel=2)
    conv = table[[unit, verdict]].copy()
    for c, (_label, thr, higher) in measures.items():
        x = pd.to_numeric(table.get(c), errors="coerce")
        ok = (x >= thr) if higher else (x <= thr)
        conv[c] = ok.astype(object).where(x.notna() & (thr is not None), None)
    return rule_matrix(conv, rules={c: spec[0] for c, spec in measures.items()},
                       levels={c: "PERBAIKI DULU" for c in measures}, unit=unit, verdict=verdict, lang=lang,
                       title=title)


@_styled
def verdict_by_region(table: pd.DataFrame, *, region: str = "region", verdict: str = "verdict",
                      lang: str = "id", title: str | None = None):
    """Verdict counts per region as stacked horizontal bars (for more units than a matrix fits).

    Each verdict has its colour and a hatch pattern (readable in grey print); the legend is in the
    report's language.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"region": ["Aceh", "Aceh", "Bali"], "verdict": ["SIAP", "TUNDA", "SIAP"]})
    >>> fig = verdict_by_region(t, lang="en")
    >>> [x.get_text() for x in fig.axes[0].get_legend().get_texts()]
    ['READY', 'HOLD']
    """
    counts = pd.crosstab(table[region].fillna("–").astype(str), table[verdict].astype(str))
    order = [v for v in VERDICT_COLORS if v in counts.columns]
    counts = counts.reindex(columns=order, fill_value=0).sort_index(ascending=False)
    fig, ax = _new_fig(max(2.0, 0.3 * len(counts) + 1.2), ax=None, left=2.0)
    left = np.zeros(len(counts))
    for v in order:
        ax.barh(np.arange(len(counts)), counts[v].to_numpy(), left=left, color=VERDICT_COLORS[v],
                label=_verdict_label(v, lang), height=0.7, hatch=_HATCH.get(v, ""), edgecolor="white", lw=0)
        left += counts[v].to_numpy()
    ax.set_yticks(np.arange(len(counts)), counts.index.tolist(), fontsize=8)
    ax.set_xlabel(_t("units", lang))
    ax.legend(loc="lower right")
    ax.set_title(title or _t("verdict_title", lang), loc="left")
    _localize_axes(fig, lang)
    return fig


def figure_png(fig, *, dpi: int = 96) -> bytes:
    """PNG bytes of ``fig`` (then closed, so a notebook does not show it twice).

    At the default 96 dpi one PNG pixel is one CSS pixel: the page shows the image at its own
    size (``report.pages`` writes its width and height), neither blurred nor downscaled.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plt.figure(figsize=(2, 1))
    >>> figure_png(fig)[:4]
    b'\\x89PNG'
    """
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


# the unit pages' charts as inline SVG (the same marks, a hundredth of the cost); imported last,
# since that module reads this one's labels, colours and number format
from ._svg import agreement_by_item_svg, event_study_grid_svg, severity_caterpillar_svg  # noqa: E402

"""Charts for the unit reports and the briefing.

Each function takes a tidy result (the DataFrames the statistics modules return) and
returns a matplotlib ``Figure``; none of them computes a statistic. Labels are Indonesian
by default and English with ``lang="en"``. Every chart marks what a reader needs to judge
the number: the interval, the reference line (zero effect, the agreement threshold, the
reference period of an event study).
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "VERDICT_COLORS",
    "agreement_by_item",
    "event_study_grid",
    "event_study_plot",
    "figure_png",
    "severity_caterpillar",
    "verdict_by_region",
    "verdict_multiples",
]

#: colours of the three verdicts (green / amber / red, readable in grey print too)
VERDICT_COLORS = {"SIAP": "#1b7837", "PERBAIKI DULU": "#e08214", "BELUM TERBUKTI": "#5e6a71", "TUNDA": "#b2182b"}
_FLAG = "#b2182b"
_OK = "#4d4d4d"

_T = {
    "severity": {"id": "Keketatan (poin; + = lebih ketat dari rekan)", "en": "Severity (points; + = harsher than peers)"},
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
}


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
              loc="lower right", fontsize=8, frameon=False)
    ax.set_title(title or _t("sev_title", lang), fontsize=10, loc="left")
    return fig


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
        ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(-0.5, color="0.6", lw=0.8, ls="--")
    ax.set_xticks(np.unique(t))
    ax.set_xlabel(_t("event_time", lang))
    ax.set_ylabel(_t("effect", lang) if ylabel is None else ylabel)  # "" = no label (grid panels)
    ax.set_title(title or _t("es_title", lang), fontsize=10, loc="left")
    return fig


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
    return fig


def agreement_by_item(agr: pd.DataFrame, *, item: str = "item", threshold: float | None = None,
                      lang: str = "id", ax=None, title: str | None = None):
    """Agreement per item (point and interval), with the threshold line.

    ``agr`` has one row per item (column ``item``) with ``value``, ``ci_low``, ``ci_high``.
    Items below ``threshold`` are drawn in red.
    """
    d = agr.dropna(subset=["value"]).sort_values("value")
    fig, ax = _new_fig(max(2.0, 0.32 * len(d) + 1.0), ax=ax, left=2.3)
    if d.empty:
        _empty(ax, lang)
        return fig
    y = np.arange(len(d))
    v = d["value"].to_numpy(float)
    lo = d["ci_low"].to_numpy(float) if "ci_low" in d else v
    hi = d["ci_high"].to_numpy(float) if "ci_high" in d else v
    below = v < threshold if threshold is not None else np.zeros(len(d), bool)
    colors = np.where(below, _FLAG, "#2166ac")
    ax.hlines(y, lo, hi, colors=colors, lw=1.4)
    ax.scatter(v, y, c=colors, s=22, zorder=3)
    if threshold is not None:
        ax.axvline(threshold, color="0.5", ls="--", lw=0.9)
        ax.text(threshold, len(d) - 0.4, f" {_t('threshold', lang)} {threshold:g}", fontsize=8, color="0.35",
                va="bottom")
    ax.set_yticks(y, [str(s) for s in d[item]], fontsize=8)
    lo_lim = np.nanmin(np.r_[lo, v, 0.0 if threshold is None else threshold])
    ax.set_xlim(min(0.0, lo_lim - 0.05), 1.0)
    ax.set_xlabel(_t("agreement", lang))
    ax.set_title(title or _t("agreement", lang), fontsize=10, loc="left")
    return fig


def verdict_multiples(table: pd.DataFrame, *, measures: Mapping[str, tuple[str, float | None, bool]],
                      unit: str = "unit", verdict: str = "verdict", lang: str = "id", ncols: int = 4,
                      title: str | None = None):
    """Small multiples: one panel per unit, its key figures against their thresholds.

    Parameters
    ----------
    table : DataFrame
        One row per unit with the ``unit`` and ``verdict`` columns and one column per measure.
    measures : mapping
        column -> (label, threshold, higher_is_better). Each panel draws one bar per measure
        scaled to its threshold (1 = at the threshold), so bars of different units compare.
    """
    import textwrap

    import matplotlib.pyplot as plt

    n = len(table)
    ncols = max(1, min(ncols, n or 1))
    nrows = max(1, math.ceil(n / ncols))
    label_w, panel_w, panel_h = 1.5, 1.9, 1.25
    width = label_w + ncols * panel_w + (ncols - 1) * 0.35 + 0.2
    height = nrows * (panel_h + 0.75) + 0.5
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False, sharex=True, sharey=True)
    fig.subplots_adjust(left=label_w / width, right=1 - 0.2 / width, bottom=0.35 / height, top=1 - 0.5 / height,
                        wspace=0.35 / panel_w, hspace=0.75 / panel_h)
    cols = list(measures)
    y = np.arange(len(cols))
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.axis("off")
            continue
        row = table.iloc[k]
        v = str(row[verdict])
        color = VERDICT_COLORS.get(v, "0.5")
        ratios = []
        for c in cols:
            _, thr, _higher = measures[c]
            x = pd.to_numeric(row.get(c), errors="coerce")
            ratios.append(np.nan if thr in (None, 0) or pd.isna(x) else float(x) / float(thr))
        r = np.array(ratios, float)
        good = np.array([(rr >= 1) if measures[c][2] else (rr <= 1) for rr, c in zip(r, cols)])
        # bars beyond twice the threshold are drawn at 2: the side of the line is what matters
        ax.barh(y, np.clip(np.nan_to_num(r), 0, 2.0), color=np.where(good, "#9ecae1", "#fdae6b"), height=0.6)
        ax.axvline(1.0, color="0.3", lw=0.8, ls="--")
        ax.set_xlim(0, 2.05)
        ax.set_yticks(y, [measures[c][0] for c in cols], fontsize=7)
        name = "\n".join(textwrap.wrap(str(row[unit]), 26)[:2])
        ax.set_title(f"{name}\n{v}", fontsize=7, color=color, loc="left", fontweight="bold")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="x", labelsize=7)
    axes.flat[0].invert_yaxis()
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def verdict_by_region(table: pd.DataFrame, *, region: str = "region", verdict: str = "verdict",
                      lang: str = "id", title: str | None = None):
    """Verdict counts per region as stacked horizontal bars (for more units than panels fit)."""
    counts = pd.crosstab(table[region].fillna("–").astype(str), table[verdict].astype(str))
    order = [v for v in VERDICT_COLORS if v in counts.columns]
    counts = counts.reindex(columns=order, fill_value=0).sort_index(ascending=False)
    fig, ax = _new_fig(max(2.0, 0.3 * len(counts) + 1.2), ax=None, left=2.0)
    left = np.zeros(len(counts))
    for v in order:
        ax.barh(np.arange(len(counts)), counts[v].to_numpy(), left=left, color=VERDICT_COLORS[v], label=v,
                height=0.7)
        left += counts[v].to_numpy()
    ax.set_yticks(np.arange(len(counts)), counts.index.tolist(), fontsize=8)
    ax.set_xlabel("Units" if lang == "en" else "Unit")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_title(title or _t("verdict_title", lang), fontsize=10, loc="left")
    return fig


def figure_png(fig, *, dpi: int = 96) -> bytes:
    """PNG bytes of ``fig`` (then closed, so a notebook does not show it twice)."""
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


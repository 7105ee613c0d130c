"""The unit report's dot-and-interval charts as inline SVG.

A unit page shows three charts made of nothing but points, interval lines, a reference line,
ticks and labels. Writing them as SVG markup costs about a millisecond each, where drawing the
same chart with matplotlib and encoding a PNG costs about 0.1 s; the page embeds the markup
(no image request, text stays selectable, print is vector-sharp at any zoom).

:class:`SvgFigure` is the markup (a ``str``) with its size; :class:`Canvas` collects elements
in pixel coordinates (1 px = 1 CSS px); :class:`LinearScale` maps data to pixels and picks
round tick values (1, 2, 2.5, 5 x 10^k steps, as matplotlib's ``MaxNLocator`` does). Every
text is XML-escaped here, so item names from the data cannot inject markup.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np
import pandas as pd

from . import _FLAG, _OK, _flagged, _num_text, _t, _tick

__all__ = ["Canvas", "LinearScale", "SvgFigure", "agreement_by_item_svg", "event_study_grid_svg", "nice_ticks",
           "severity_caterpillar_svg", "text_width"]

#: the page's font stack (the CSS of report pages uses the same family)
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
#: matplotlib's STYLE sizes in CSS px at 96 dpi (8 pt = 10.7 px, 7 pt = 9.3 px, 10 pt = 13.3 px)
SIZE_LABEL, SIZE_TICK, SIZE_TITLE = 10.7, 9.3, 13.3


class SvgFigure(str):
    """SVG markup of one chart; ``width`` and ``height`` in CSS px.

    Examples
    --------
    >>> f = SvgFigure("<svg/>", 10, 5)
    >>> f.width, f.height, f._repr_svg_()
    (10, 5, '<svg/>')
    """

    width: int
    height: int

    def __new__(cls, markup: str, width: int, height: int) -> "SvgFigure":
        obj = super().__new__(cls, markup)
        obj.width, obj.height = int(width), int(height)
        return obj

    def _repr_svg_(self) -> str:
        return str(self)


def text_width(s: str, size: float) -> float:
    """Approximate rendered width (px) of ``s`` in the page's sans-serif at ``size`` px.

    DejaVu Sans averages about 0.6 em per character of mixed text; used only to size margins.

    Examples
    --------
    >>> round(text_width("Loyal", 10))
    30
    """
    return 0.6 * size * len(s)


def nice_ticks(lo: float, hi: float, nbins: int = 5) -> np.ndarray:
    """Round tick values covering [lo, hi], at most about ``nbins`` intervals.

    Steps are 1, 2, 2.5 or 5 times a power of ten (the steps of matplotlib's ``MaxNLocator``).

    Examples
    --------
    >>> nice_ticks(0.0, 1.0).tolist()
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    >>> nice_ticks(-4.7, 9.6, nbins=4).tolist()
    [-5.0, 0.0, 5.0, 10.0]
    """
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return np.array([])
    if hi <= lo:
        return np.array([lo])
    raw = (hi - lo) / max(nbins, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))
    start = math.floor(lo / step + 1e-9) * step
    n = int(math.ceil((hi - start) / step - 1e-9)) + 1
    ticks = start + step * np.arange(n)
    # round away float noise (0.30000000000000004) so labels print as the value they stand for
    return np.round(ticks, max(0, -int(math.floor(math.log10(step))) + 2))


class LinearScale:
    """Data interval [d0, d1] to pixel interval [p0, p1] (p1 < p0 for a y axis drawn upwards).

    Examples
    --------
    >>> s = LinearScale(0, 1, 100, 300)
    >>> float(s(0.5)), s(np.array([0.0, 1.0])).tolist()
    (200.0, [100.0, 300.0])
    """

    def __init__(self, d0: float, d1: float, p0: float, p1: float):
        if not d1 > d0:
            d0, d1 = d0 - 0.5, d0 + 0.5
        self.d0, self.d1, self.p0, self.p1 = float(d0), float(d1), float(p0), float(p1)

    def __call__(self, x):
        return self.p0 + (np.asarray(x, dtype=float) - self.d0) * (self.p1 - self.p0) / (self.d1 - self.d0)


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


class Canvas:
    """SVG elements in pixel coordinates; :meth:`figure` closes the document.

    Examples
    --------
    >>> c = Canvas(40, 20, title="a <b>")
    >>> c.line(0, 10, 40, 10)
    >>> c.text(2, 8, "x & y")
    >>> svg = c.figure()
    >>> svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"'), "x &amp; y" in svg, "a &lt;b&gt;" in svg
    (True, True, True)
    """

    def __init__(self, width: float, height: float, *, title: str = ""):
        self.width, self.height = int(math.ceil(width)), int(math.ceil(height))
        self.parts: list[str] = [f"<title>{escape(title)}</title>"] if title else []

    def line(self, x1: float, y1: float, x2: float, y2: float, *, color: str = "#000", width: float = 0.8,
             dash: str = "") -> None:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" stroke="{color}" '
                          f'stroke-width="{width}"{d}/>')

    def segments(self, x1, y1, x2, y2, *, color: str, width: float = 1.4) -> None:
        """Many line segments of one colour as one path (one element, however many intervals)."""
        x1, y1, x2, y2 = (np.broadcast_to(np.asarray(v, float), np.shape(x1) or np.shape(y1)) for v in (x1, y1, x2, y2))
        ok = np.isfinite(x1) & np.isfinite(y1) & np.isfinite(x2) & np.isfinite(y2)
        if not ok.any():
            return
        d = "".join(f"M{_f(a)} {_f(b)}L{_f(c)} {_f(e)}" for a, b, c, e in zip(x1[ok], y1[ok], x2[ok], y2[ok]))
        self.parts.append(f'<path d="{d}" stroke="{color}" stroke-width="{width}" fill="none"/>')

    def dots(self, x, y, *, color: str, r: float = 2.6, fill: str | None = None, stroke: float = 0.0) -> None:
        """Circles of one colour as one group (``fill`` other than ``color`` draws an open ring)."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            return
        sw = f' stroke="{color}" stroke-width="{stroke}"' if stroke else ""
        circles = "".join(f'<circle cx="{_f(a)}" cy="{_f(b)}" r="{r}"/>' for a, b in zip(x[ok], y[ok]))
        self.parts.append(f'<g fill="{fill or color}"{sw}>{circles}</g>')

    def text(self, x: float, y: float, s: str, *, size: float = SIZE_LABEL, anchor: str = "start",
             color: str = "#000", baseline: str = "auto", rotate: float = 0.0, weight: str = "") -> None:
        rot = f' transform="rotate({_f(rotate)} {_f(x)} {_f(y)})"' if rotate else ""
        base = f' dominant-baseline="{baseline}"' if baseline != "auto" else ""
        w = f' font-weight="{weight}"' if weight else ""
        self.parts.append(f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size}" text-anchor="{anchor}" '
                          f'fill="{color}"{base}{rot}{w}>{escape(str(s))}</text>')

    def texts(self, xs: Sequence[float], ys: Sequence[float], labels: Sequence[str], *, size: float = SIZE_TICK,
              anchor: str = "middle", color: str = "#000", baseline: str = "auto") -> None:
        """Several labels sharing one style, as one group."""
        base = f' dominant-baseline="{baseline}"' if baseline != "auto" else ""
        inner = "".join(f'<text x="{_f(x)}" y="{_f(y)}">{escape(str(s))}</text>' for x, y, s in zip(xs, ys, labels))
        if inner:
            self.parts.append(f'<g font-size="{size}" text-anchor="{anchor}" fill="{color}"{base}>{inner}</g>')

    def figure(self) -> SvgFigure:
        w, h = self.width, self.height
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
                f'font-family="{FONT}" role="img">')
        return SvgFigure(head + "".join(self.parts) + "</svg>", w, h)


# ---------------------------------------------------------------------------------------
# the charts
# ---------------------------------------------------------------------------------------

_PRE, _POST = "#737373", "#2166ac"
_REF_LINE = "#999999"


def _x_axis(c, sx, ticks, y0: float, x_left: float, x_right: float, lang: str, label: str) -> None:
    """Bottom spine, ticks, tick labels and the axis label of a horizontal chart."""
    c.line(x_left, y0, x_right, y0, width=0.6)
    px = sx(ticks)
    c.segments(px, np.full(len(px), y0), px, np.full(len(px), y0 + 3.5), color="#000", width=0.6)
    c.texts(px, np.full(len(px), y0 + 5.5), [_tick(t, lang) for t in ticks], baseline="hanging")
    c.text((x_left + x_right) / 2, y0 + 32, label, anchor="middle", size=SIZE_LABEL)


def _dot_interval_rows(v, lo, hi, colors, *, labels, title: str, xlabel: str, xlim, lang: str, pitch: float,
                       ref: float | None, ref_text: str = "", legend=None, ylabel: str = ""):
    """Rows of point + interval, bottom row first (row 0 at the bottom, as matplotlib draws them)."""
    n = len(v)
    lab_w = max([text_width(s, SIZE_LABEL) for s in labels] or [0.0])
    left = max(86.0, lab_w + 16.0) if labels else 86.0
    width, right, top, bottom = 672.0, 19.0, 38.0, 58.0
    height = top + bottom + pitch * max(n, 1)
    c = Canvas(width, height, title=title)
    x0, x1, y_axis = left, width - right, height - bottom
    sx = LinearScale(xlim[0], xlim[1], x0, x1)
    # row k's centre: half a row of padding at both ends
    ys = y_axis - pitch * (np.arange(n) + 0.5)
    c.text(x0, top - 10, title, size=SIZE_TITLE)
    c.line(x0, top, x0, y_axis, width=0.6)  # left spine
    ticks = nice_ticks(xlim[0], xlim[1])
    ticks = ticks[(ticks >= xlim[0] - 1e-9) & (ticks <= xlim[1] + 1e-9)]
    _x_axis(c, sx, ticks, y_axis, x0, x1, lang, xlabel)
    if ref is not None:
        c.line(sx(ref), top, sx(ref), y_axis, color=_REF_LINE, width=0.9, dash="4 2.5")
        if ref_text:
            c.text(sx(ref) + 3, top + 2, ref_text, size=SIZE_LABEL, color="#595959", baseline="hanging")
    if labels:
        c.segments(np.full(n, x0 - 3.5), ys, np.full(n, x0), ys, color="#000", width=0.6)
        c.texts(np.full(n, x0 - 6), ys, labels, size=SIZE_LABEL, anchor="end", baseline="central")
    if ylabel:
        c.text(x0 - 12, (top + y_axis) / 2, ylabel, anchor="middle", rotate=-90)
    # an undefined or infinite interval end draws no line; the point still shows
    clip = lambda a: np.clip(a, xlim[0], xlim[1])  # noqa: E731
    for color in dict.fromkeys(colors):
        m = colors == color
        c.segments(sx(clip(lo[m])), ys[m], sx(clip(hi[m])), ys[m], color=color, width=1.4)
        c.dots(sx(v[m]), ys[m], color=color, r=2.6 if pitch >= 12 else 2.1)
    if legend:
        lx, ly = x1 - 70, y_axis - 10 - 15 * (len(legend) - 1)
        for k, (color, lab) in enumerate(legend):
            yy = ly + 15 * k
            c.line(lx, yy, lx + 20, yy, color=color, width=1.2)
            c.dots([lx + 10], [yy], color=color, r=2.6)
            c.text(lx + 26, yy, lab, baseline="central")
    return c.figure()


def agreement_by_item_svg(agr: pd.DataFrame, *, item: str = "item", threshold: float | None = None,
                          lang: str = "id", title: str | None = None):
    """:func:`agreement_by_item` as inline SVG (an :class:`SvgFigure`).

    Same marks: point and interval per item sorted by value, items below ``threshold`` in
    red, the threshold as a dashed line; undefined values are left out ("no data" when
    none is left).

    Examples
    --------
    >>> import pandas as pd
    >>> agr = pd.DataFrame({"item": ["Loyal", "Adaptif"], "value": [0.42, 0.81],
    ...                     "ci_low": [0.2, 0.7], "ci_high": [0.6, 0.9]})
    >>> svg = agreement_by_item_svg(agr, threshold=0.5)
    >>> svg.count("<circle"), "ambang 0,5" in svg, svg.index("Adaptif") > svg.index("Loyal")
    (2, True, True)
    """
    v_all = pd.to_numeric(agr["value"], errors="coerce") if "value" in agr else pd.Series(dtype=float)
    d = agr.assign(value=v_all)
    d = d[np.isfinite(d["value"].to_numpy(float))].sort_values("value")
    ttl = title or _t("agreement", lang)
    if d.empty:
        return _svg_empty(ttl, lang)
    v = d["value"].to_numpy(float)
    lo = pd.to_numeric(d["ci_low"], errors="coerce").to_numpy(float) if "ci_low" in d else v
    hi = pd.to_numeric(d["ci_high"], errors="coerce").to_numpy(float) if "ci_high" in d else v
    below = v < threshold if threshold is not None else np.zeros(len(d), bool)
    colors = np.where(below, _FLAG, "#2166ac")
    ends = np.r_[lo, v, 0.0 if threshold is None else threshold]
    lo_lim = float(np.min(ends[np.isfinite(ends)]))
    xlim = (max(-1.0, min(0.0, lo_lim - 0.05)), 1.0)
    ref_text = f"{_t('threshold', lang)} {_num_text(threshold, lang)}" if threshold is not None else ""
    return _dot_interval_rows(v, lo, hi, colors, labels=[str(s) for s in d[item]], title=ttl,
                              xlabel=_t("agreement", lang), xlim=xlim, lang=lang, pitch=30.7, ref=threshold,
                              ref_text=ref_text)


def severity_caterpillar_svg(effects: pd.DataFrame, *, lang: str = "id", title: str | None = None):
    """:func:`severity_caterpillar` as inline SVG: rater severity with intervals, flagged in red.

    No rater is named (the pseudonyms stay off the chart).

    Examples
    --------
    >>> import pandas as pd
    >>> fx = pd.DataFrame({"severity": [0.6, -0.1], "ci_low": [0.4, -0.3], "ci_high": [0.8, 0.1],
    ...                    "flag": ["severe", "ok"]}, index=["P-1", "P-2"])
    >>> svg = severity_caterpillar_svg(fx, lang="en")
    >>> svg.count("<circle"), "P-1" in svg, "flagged" in svg
    (4, False, True)
    """
    n = len(effects)
    ttl = title or _t("sev_title", lang)
    if n == 0:
        return _svg_empty(ttl, lang)
    d = effects.sort_values("severity")
    flag = _flagged(d["flag"]) if "flag" in d else np.zeros(n, bool)
    sev = d["severity"].to_numpy(float)
    lo = d["ci_low"].to_numpy(float) if "ci_low" in d else sev
    hi = d["ci_high"].to_numpy(float) if "ci_high" in d else sev
    ends = np.r_[lo, hi, sev, 0.0]
    ends = ends[np.isfinite(ends)]
    pad = 0.05 * (ends.max() - ends.min() or 1.0)
    # the matplotlib chart's height: 0.18 in a rater, 2.2 to 9 in in all
    pitch = (max(2.2, min(0.18 * n + 1.2, 9)) * 96 - 96) / n
    return _dot_interval_rows(sev, lo, hi, np.where(flag, _FLAG, _OK), labels=[], title=ttl,
                              xlabel=_t("severity", lang), xlim=(ends.min() - pad, ends.max() + pad), lang=lang,
                              pitch=pitch, ref=0.0, ylabel=_t("raters", lang),
                              legend=[(_FLAG, _t("flagged", lang)), (_OK, _t("not_flagged", lang))])


def event_study_grid_svg(paths, *, lang: str = "id", ncols: int = 2):
    """:func:`event_study_grid` as inline SVG: one event-study panel per (title, frame).

    Each panel: the estimate per event time with its interval (before the pilot grey, after
    blue), zero as a line, the pilot start as a dashed line at -0.5, the reference period as
    an open marker.

    Examples
    --------
    >>> import pandas as pd
    >>> es = pd.DataFrame({"event_time": [-1, 0, 1], "att": [0.0, 1.5, 2.0], "ci_low": [-1, 0.5, 1.0],
    ...                    "ci_high": [1, 2.5, 3.0], "reference": [False] * 3})
    >>> svg = event_study_grid_svg([("IKM", es), ("Hari", es)])
    >>> svg.count("<circle"), svg.count(">IKM<"), "\u22121" in svg
    (6, 1, True)
    """
    n = max(1, len(paths))
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    pw, ph = 345.6, 230.4  # 3.6 x 2.4 in per panel
    width, height = pw * ncols + 38.4, ph * nrows + 48.0
    c = Canvas(width, height, title=_t("es_title", lang))
    for k, (ttl, es) in enumerate(paths):
        r_, q = divmod(k, ncols)
        x0, y0 = 48.0 + q * (pw + 14.0), 28.0 + r_ * ph
        _event_panel(c, es, x0, y0, pw - 62.0, ph - 76.0, str(ttl), lang)
    c.text(width / 2, height - 12, _t("event_time", lang), anchor="middle", size=SIZE_LABEL)
    return c.figure()


def _event_panel(c, es: pd.DataFrame, x0: float, y0: float, w: float, h: float, title: str, lang: str) -> None:
    c.text(x0, y0 - 8, title, size=SIZE_LABEL)
    t = es["event_time"].to_numpy(float)
    # the periods with an event time, in event-time order (a stable sort, as sort_values)
    rows = np.flatnonzero(~np.isnan(t))
    rows = rows[np.argsort(t[rows], kind="stable")]
    y_axis = y0 + h
    if not rows.size:
        c.text(x0 + w / 2, y0 + h / 2, _t("no_data", lang), anchor="middle", color="#666666")
        return
    t = t[rows]
    att = es["att"].to_numpy(float)[rows]
    ref = (es["reference"].fillna(False).astype(bool).to_numpy()[rows] if "reference" in es
           else np.zeros(rows.size, bool))
    lo = es["ci_low"].to_numpy(float)[rows] if "ci_low" in es else att
    hi = es["ci_high"].to_numpy(float)[rows] if "ci_high" in es else att
    ends = np.r_[lo, hi, att, 0.0]
    ends = ends[np.isfinite(ends)]
    span = ends.max() - ends.min() or 1.0
    ylim = (ends.min() - 0.05 * span, ends.max() + 0.05 * span)
    tpad = max(0.3, 0.05 * (t.max() - t.min()))
    sx = LinearScale(t.min() - tpad, t.max() + tpad, x0, x0 + w)
    sy = LinearScale(ylim[0], ylim[1], y_axis, y0)
    c.line(x0, y0, x0, y_axis, width=0.6)
    c.line(x0, y_axis, x0 + w, y_axis, width=0.6)
    xt = np.unique(t)
    px = sx(xt)
    c.segments(px, np.full(len(px), y_axis), px, np.full(len(px), y_axis + 3.5), color="#000", width=0.6)
    c.texts(px, np.full(len(px), y_axis + 5.5), [_tick(x, lang) for x in xt], baseline="hanging")
    yt = nice_ticks(*ylim, nbins=4)
    yt = yt[(yt >= ylim[0]) & (yt <= ylim[1])]
    py = sy(yt)
    c.segments(np.full(len(py), x0 - 3.5), py, np.full(len(py), x0), py, color="#000", width=0.6)
    c.texts(np.full(len(py), x0 - 5.5), py, [_tick(y, lang) for y in yt], anchor="end", baseline="central")
    c.line(x0, sy(0.0), x0 + w, sy(0.0), color=_REF_LINE, width=0.8)
    c.line(sx(-0.5), y0, sx(-0.5), y_axis, color=_REF_LINE, width=0.8, dash="4 2.5")
    post = t >= 0
    for mask, color in ((~post & ~ref, _PRE), (post & ~ref, _POST)):
        c.segments(sx(t[mask]), sy(lo[mask]), sx(t[mask]), sy(hi[mask]), color=color, width=1.4)
        c.dots(sx(t[mask]), sy(att[mask]), color=color, r=2.6)
    if ref.any():
        c.dots(sx(t[ref]), sy(np.where(np.isnan(att[ref]), 0.0, att[ref])), color="#000", r=3.4, fill="#fff",
               stroke=1.0)


def _svg_empty(title: str, lang: str):
    c = Canvas(672, 192, title=title)
    c.text(86, 28, title, size=SIZE_TITLE)
    c.text(336, 100, _t("no_data", lang), anchor="middle", color="#666666")
    return c.figure()

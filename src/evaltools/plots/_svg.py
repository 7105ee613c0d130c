"""Inline SVG for the unit report's dot-and-interval charts.

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

__all__ = ["Canvas", "LinearScale", "SvgFigure", "nice_ticks", "text_width"]

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

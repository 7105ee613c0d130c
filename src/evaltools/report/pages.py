"""HTML pages: how sections, verdicts and whole reports look on screen and on A4 paper.

Page structure and CSS live in the package's nbconvert template directory
(``report/templates/evaltools/``: ``conf.json``, ``index.html.j2``, ``static/page.css``);
sections and verdict boxes are Jinja fragments of the same directory (``fragments/``), so no
markup is assembled in Python strings and every text is escaped by the template engine.
A page loads nothing from the network: no script, font or stylesheet (the template drops
nbconvert's require.js, MathJax, mermaid and widget loaders).
"""
from __future__ import annotations

import base64
import os
import re
import struct
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from evaltools._io import atomic_write

from ._text import fmt, text

__all__ = ["TEMPLATE_DIR", "VERDICT_SLUGS", "export_html", "rule_table", "section_html", "verdict_html"]

#: the package's nbconvert template root; the page template is its ``evaltools`` folder
TEMPLATE_DIR = Path(__file__).with_name("templates")
_TEMPLATE = "evaltools"

#: CSS class suffix of each verdict code (badge ``evt-v-<slug>``, box ``evt-v-box-<slug>``)
VERDICT_SLUGS = {"SIAP": "siap", "PERBAIKI DULU": "fix", "TUNDA": "tunda", "BELUM TERBUKTI": "notshown"}
_LABELS_EN = {"SIAP": "READY", "PERBAIKI DULU": "FIX FIRST", "TUNDA": "HOLD", "BELUM TERBUKTI": "NOT SHOWN"}
# a table cell holding any of these words is a verdict and is drawn as a badge
_BADGE_OF = {**{c: s for c, s in VERDICT_SLUGS.items()}, **{_LABELS_EN[c]: s for c, s in VERDICT_SLUGS.items()}}
_HEADER_KEYS = {"briefing_header", "header", "unit_header"}
_SUMMARY_KEYS = {"briefing_header", "executive_summary", "summary", "verdict"}
_ANNEX_PREFIXES = ("annex", "methods", "glossary")
# a formatted number as the sections write them: "0,81", "25%", "<5", "1.234", "–"
_NUMERIC = re.compile(r"^[<>≤≥~+\-−]?\s?\d[\d.,\s]*%?$|^–$|^[\-−]?\d[\d.,]*%? – [\-−]?\d[\d.,]*%?$")
# a link may only point inside the run folder: no scheme (http:, javascript:, data:) and no //host
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*:|//|\\\\)")

_LOCAL = threading.local()


def _env():
    env = getattr(_LOCAL, "env", None)
    if env is None:
        import jinja2

        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR / _TEMPLATE / "fragments")),
                                 autoescape=True, trim_blocks=False, lstrip_blocks=False)
        _LOCAL.env = env
    return env


def _label(code: str, lang: str) -> str:
    try:
        return text(code, lang)
    except KeyError:  # a code the catalog does not know yet still reads as its own label
        return _LABELS_EN.get(code, code) if lang == "en" else code


def _cell(v: Any, lang: str, href: Any = None) -> dict:
    if isinstance(v, bool):
        s = str(v)
    elif isinstance(v, int) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") in "iu"):
        s = str(int(v))
    elif isinstance(v, float) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") == "f"):
        s = fmt(float(v), lang)
    elif v is None or (not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v)):
        s = "–"
    else:
        s = str(v)
    cell = {"text": s, "cls": "evt-n" if _NUMERIC.match(s) else "", "badge": "", "href": ""}
    slug = _BADGE_OF.get(s.strip())
    if slug:
        cell["badge"] = f"evt-v-{slug}"
    if isinstance(href, str) and href and not _SCHEME.match(href):
        cell["href"] = href
    return cell


def _table(df: pd.DataFrame, lang: str, row_links: Sequence | None = None) -> dict:
    links: Mapping[str, Sequence] = dict(df.attrs.get("links") or {})
    if row_links is not None and len(df.columns) and df.columns[0] not in links:
        links[df.columns[0]] = list(row_links)
    cols = list(df.columns)
    columns = [df[c].tolist() for c in cols] if len(cols) == len(set(cols)) else \
        [df.iloc[:, j].tolist() for j in range(len(cols))]
    hrefs = [list(links.get(c) or []) for c in cols]
    rows = []
    for i in range(len(df)):
        rows.append([_cell(col[i], lang, h[i] if i < len(h) else None) for col, h in zip(columns, hrefs)])
    return {"head": [str(c) for c in cols], "rows": rows}


def _png_size(png: bytes) -> tuple[int, int] | None:
    # IHDR: width and height are the first two big-endian uint32 after the 16-byte preamble
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        return None
    return struct.unpack(">II", png[16:24])


def _figure(caption: str, png: bytes | str, dpi: float = 96.0) -> dict:
    if isinstance(png, str):
        # inline SVG markup from evaltools.plots (its texts escaped there): embedded as it is
        return {"caption": caption, "svg": png, "b64": "", "width": getattr(png, "width", None),
                "height": getattr(png, "height", None)}
    size = _png_size(png)
    # a PNG drawn at 96 dpi is shown at its own pixel size (1 CSS px = 1/96 in): no rescaling blur
    w, h = (round(size[0] * 96.0 / dpi), round(size[1] * 96.0 / dpi)) if size else (None, None)
    return {"caption": caption, "b64": base64.b64encode(png).decode("ascii"), "width": w, "height": h}


def _row_links(sec: Any) -> list:
    """Per table, the hrefs of its rows from ``results["groups"][i]["rows"]`` (one group per table)."""
    groups = (getattr(sec, "results", None) or {}).get("groups") if isinstance(getattr(sec, "results", None),
                                                                                Mapping) else None
    tables = getattr(sec, "tables", [])
    if not isinstance(groups, Sequence) or len(groups) != len(tables):
        return [None] * len(tables)
    return [[(r or {}).get("href") for r in (g or {}).get("rows", [])] if isinstance(g, Mapping) else None
            for g in groups]


def _is_annex(sec: Any) -> bool:
    return bool(getattr(sec, "annex", False)) or str(getattr(sec, "key", "")).startswith(_ANNEX_PREFIXES)


# a period label ("2024-S2", "2024-06") never breaks at its hyphen: a non-breaking hyphen (U+2011)
_PERIOD_HYPHEN = re.compile(r"(?<=\b\d{4})-(?=[A-Z]?\d{1,2}\b)")


def _without_label(df: Any, labels: set[str]) -> Any:
    """A verdict box's table without the columns that only repeat the box's verdict (the level
    of reasons that all stand at the verdict's level): the badge already says it."""
    if not isinstance(df, pd.DataFrame) or df.shape[1] < 2 or not len(df):
        return df
    same = [c for c in df.columns if df[c].astype(str).isin(labels).all()]
    return df.drop(columns=same) if same and len(same) < df.shape[1] else df


def section_html(sec: Any, *, lang: str | None = None) -> str:
    """HTML of a report :class:`~evaltools.report.Section` (its ``_repr_html_``).

    Reads ``key``, ``title``, ``lead`` (paragraphs split at blank lines), ``available``,
    ``tables`` (caption, DataFrame), ``figures`` (caption, PNG bytes or the inline SVG markup
    of ``evaltools.plots.*_svg``) and ``notes``; the optional attributes ``annex`` (printed
    after a page break, counted as annex),
    ``summary`` (the part a reader must see first), ``page_break`` and ``lang``. Table cells
    holding a verdict code or label become badges (a unit's verdict section, key ``verdict``
    with ``results["code"]``, is drawn as the verdict box: its badge states the label once, so
    a lead or a reasons column that only repeats it is not drawn); a DataFrame's ``attrs["links"]``
    (column -> one relative href per row) turns that column's cells into links. Floats are
    written in the report's language (decimal comma in Indonesian).

    Examples
    --------
    >>> import pandas as pd
    >>> from evaltools.report import Section
    >>> s = Section("coverage", "Cakupan <data>", lead="Dua unit.",
    ...             tables=[("", pd.DataFrame({"Unit": ["A"], "Putusan": ["SIAP"], "Nilai": [0.8123]}))])
    >>> html = section_html(s)
    >>> "Cakupan &lt;data&gt;" in html, '<span class="evt-badge evt-v-siap">SIAP</span>' in html, "0,81" in html
    (True, True, True)
    """
    lang = lang or getattr(sec, "lang", None) or "id"
    key = re.sub(r"[^A-Za-z0-9_-]", "-", str(getattr(sec, "key", "section")))
    lead = str(getattr(sec, "lead", "") or "")
    res = (getattr(sec, "results", None) or {}) if key == "verdict" else {}
    code = res.get("code")
    box = code in VERDICT_SLUGS  # a unit's verdict section is drawn as the verdict box
    # the label in the section's own language (verdict_section records it), whatever lang says
    label = str(res.get("label") or _label(code, lang)) if box else ""
    tables = [(c, _without_label(df, {label, str(code)}) if box else df) for c, df in getattr(sec, "tables", [])]
    ctx = {
        "key": key,
        "h": "h1" if key in _HEADER_KEYS else "h2",
        "title": str(getattr(sec, "title", "")),
        "lead": lead,
        "paragraphs": [_PERIOD_HYPHEN.sub("\u2011", p.strip()) for p in re.split(r"\n\s*\n", lead) if p.strip()],
        "available": bool(getattr(sec, "available", True)),
        "summary": bool(getattr(sec, "summary", False)) or key in _SUMMARY_KEYS,
        "annex": _is_annex(sec),
        "page_break": bool(getattr(sec, "page_break", False)),
        "tables": [(str(c or ""), _table(df, lang, links)) for (c, df), links in zip(tables, _row_links(sec))],
        "figures": [_figure(str(c or ""), png) for c, png in getattr(sec, "figures", [])],
        "notes": [str(n) for n in getattr(sec, "notes", [])],
        "badge": None,
    }
    if box:
        ctx["badge"] = {"slug": VERDICT_SLUGS[code], "label": label}
        # the badge states the verdict: a lead that only repeats its label is not drawn again
        ctx["paragraphs"] = [p for p in ctx["paragraphs"] if p.casefold() not in {label.casefold(),
                                                                                   str(code).casefold()}]
    return _env().get_template("section.html.j2").render(s=ctx)


def verdict_html(v: Any) -> str:
    """HTML of a unit's :class:`~evaltools.report.verdict.Verdict` box (its ``_repr_html_``).

    The badge carries the label, an icon and a border pattern per code, so the verdict reads
    in grey print; the box lists the reasons and, when the verdict has ``actions``, what the
    unit must do.

    Examples
    --------
    >>> from evaltools.report.verdict import Verdict
    >>> html = verdict_html(Verdict("TUNDA", [{"level": "TUNDA", "text": "hanya 4 pegawai dinilai"}]))
    >>> 'class="evt-badge evt-v-tunda">TUNDA<' in html, "hanya 4 pegawai dinilai" in html
    (True, True)
    """
    lang = getattr(v, "lang", "id") or "id"
    code = str(getattr(v, "code", ""))
    reasons = [{"level": _label(str(r.get("level", "")), lang), "text": str(r.get("text", ""))}
               for r in (getattr(v, "reasons", None) or [])]
    ctx = {
        "slug": VERDICT_SLUGS.get(code, "none"),
        "heading": text("verdict", lang),
        "label": _label(code, lang),
        "because": text("because", lang),
        "no_reasons": text("no_reasons", lang),
        "reasons": reasons,
        "actions": [str(a) for a in (getattr(v, "actions", None) or [])],
        "actions_heading": text("actions", lang),
    }
    return _env().get_template("verdict.html.j2").render(v=ctx)


# the recorded key figure each verdict rule reads: a rule whose input is missing was not checked
_RULE_INPUT = {
    "few_subjects": ("coverage", "n_subjects"),
    "agreement_poor": ("consistency", "agreement_median"),
    "outcome_worse": ("impact", "outcomes"),
    "agreement_low": ("consistency", "agreement_median"),
    "no_variation": ("consistency", "n_items_constant"),
    "few_raters": ("coverage", "raters_per_subject"),
    "missing_360": ("coverage", "missing_share"),
    "raters_flagged": ("calibration", "flagged_share"),
    "predikat_pattern": ("calibration", "predikat_ok"),
    "benefit_not_shown": ("impact", "outcomes"),
}


def rule_table(records: Sequence[Mapping], *, rules: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per processed unit: its verdict and, per verdict rule, passed / failed / not checked.

    The input of :func:`evaltools.plots.rule_matrix`. A rule failed when the unit's recorded
    verdict gives it as a reason, passed when its key figure was recorded and it did not fire,
    and was not checked (``None``) when the figure is missing (a section that could not be
    computed). ``benefit_not_shown`` is drawn only when some unit's verdict uses it or its
    record carries the per-outcome ``benefit`` flag. Rows keep the records' order.

    Examples
    --------
    >>> recs = [{"unit": "A", "verdict": {"code": "TUNDA", "reasons": [{"code": "few_subjects"}]},
    ...          "coverage": {"n_subjects": 4, "raters_per_subject": 3}},
    ...         {"unit": "B", "verdict": {"code": "SIAP", "reasons": []}, "coverage": {"n_subjects": 40}}]
    >>> rule_table(recs)[["unit", "verdict", "few_subjects", "few_raters", "raters_flagged"]]
      unit verdict few_subjects few_raters raters_flagged
    0    A   TUNDA        False       True           None
    1    B    SIAP         True       None           None
    """
    ok = [r for r in records if r.get("status", "ok") == "ok"]
    codes = list(rules) if rules is not None else list(_RULE_INPUT)
    uses_benefit = any(rs.get("code") == "benefit_not_shown" for r in ok
                       for rs in (r.get("verdict") or {}).get("reasons", [])) or \
        any(isinstance(e, Mapping) and "benefit" in e for r in ok
            for e in ((r.get("impact") or {}).get("outcomes") or {}).values())
    if rules is None and not uses_benefit:
        codes.remove("benefit_not_shown")
    rows = []
    for r in ok:
        fired = {rs.get("code") for rs in (r.get("verdict") or {}).get("reasons", [])}
        row = {"unit": r.get("unit"), "verdict": (r.get("verdict") or {}).get("code")}
        for c in codes:
            sec, key = _RULE_INPUT.get(c, (None, None))
            present = sec is None or (r.get(sec) or {}).get(key) not in (None, {}, [])
            row[c] = False if c in fired else (True if present else None)
        rows.append(row)
    return pd.DataFrame(rows, columns=["unit", "verdict", *codes]).astype(object)


def _page_exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PageExporter(HTMLExporter):
        """nbconvert's HTML exporter without its BeautifulSoup pass over the finished page.

        That pass parses and re-serialises the whole page to add ``alt`` to images that lack
        one and ``tabindex`` to code and output areas; our template writes every image's
        ``alt`` and the pages show no code. It cost about 70 % of exporting a unit page.
        """

        def _validate_preprocessor(self, nbc, preprocessor):
            # nbconvert checks the whole notebook against the JSON schema after each of its
            # preprocessors (about a dozen passes, 40 % of a unit page's export); ours only drop
            # tagged cells, and the runner validates the notebook once when it writes it
            return None

        def from_notebook_node(self, nb, resources=None, **kw):
            # HTMLExporter.from_notebook_node up to the soup (nbconvert 7)
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return PageExporter


def _exporter():
    exporter = getattr(_LOCAL, "exporter", None)
    if exporter is None:
        from traitlets.config import Config

        c = Config()
        c.TagRemovePreprocessor.remove_cell_tags = {"remove_cell"}
        c.TagRemovePreprocessor.enabled = True
        # building the exporter loads the templates; one per thread, since a worker renders many pages
        exporter = _page_exporter_class()(config=c, template_name=_TEMPLATE,
                                          extra_template_basedirs=[str(TEMPLATE_DIR)], exclude_input=True,
                                          exclude_input_prompt=True, exclude_output_prompt=True)
        exporter.register_preprocessor("nbconvert.preprocessors.TagRemovePreprocessor", enabled=True)
        _LOCAL.exporter = exporter
    return exporter


def export_html(nb: Any, path: str | os.PathLike, *, title: str, lang: str | None = None) -> Path:
    """Render an executed notebook to an offline HTML page without code, atomically.

    Cells tagged ``remove_cell`` are dropped (notes meant for notebook readers only).
    ``title`` becomes the page title (escaped by the template: a unit name never becomes
    markup). ``lang`` sets the page's ``<html lang>``; by default the notebook's papermill
    parameter ``lang``.

    Examples
    --------
    >>> import nbformat, tempfile, pathlib
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Ringkasan")])
    >>> p = export_html(nb, pathlib.Path(tempfile.mkdtemp()) / "u.html", title="Unit <A>")
    >>> html = p.read_text()
    >>> "Ringkasan" in html, "<title>Unit &lt;A&gt;</title>" in html, "<script" in html
    (True, True, False)
    """
    import nbformat

    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(str(nb), as_version=4)
    if lang is None:
        lang = str(((nb.metadata.get("papermill") or {}).get("parameters") or {}).get("lang") or "id")
    return atomic_write(path, _render_page(nb, title, lang))


def _render_page(nb: Any, title: str, lang: str) -> str:
    """The page of notebook ``nb`` as HTML text (what :func:`export_html` writes)."""
    exporter = _exporter()
    # the page title is the unit (the template prefers the notebook's own title and escapes it;
    # the end-to-end test checks that a unit name with markup stays inert)
    saved = nb.metadata.get("title")
    nb.metadata["title"] = title
    try:
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title},
                                                             "evt_lang": "en" if lang == "en" else "id"})
    finally:
        if saved is None:
            nb.metadata.pop("title", None)
        else:
            nb.metadata["title"] = saved
    return body

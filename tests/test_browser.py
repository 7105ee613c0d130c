"""The sample's briefing and a unit page in headless Chromium (issue 11, "Tests"): the verdict is on the
first 1280x800 screen, nothing is wider than the page on screen or on A4, the briefing prints on at most
four A4 pages before its annex, and no request leaves the machine.

Screenshots and printed pages are kept under ``reports/browser-test/`` (git-ignored) for a person to look at.
Skips with the reason when no Chromium is installed (Debian package ``chromium``; ``.ci/run`` installs it
where apt can) or poppler-utils (``pdfinfo``/``pdftotext``) is missing.
"""
from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "reports" / "browser-test"
CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
POPPLER = all(shutil.which(n) for n in ("pdfinfo", "pdftotext"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no headless browser: install the Debian package `chromium`"),
    pytest.mark.skipif(not POPPLER, reason="pdfinfo/pdftotext missing: install the Debian package `poppler-utils`"),
]

VIEW_W, VIEW_H = 1280, 800
# A4 minus the @page margins of page.css (12 mm left and right) in CSS pixels (96 per inch)
A4_CONTENT_W = round((210 - 24) / 25.4 * 96)

# written into a copy of the page: measures the layout and writes the result into the DOM for --dump-dom
MEASURE = """<script>
(function () {
  var vw = document.documentElement.clientWidth, wide = [];
  document.querySelectorAll('body *').forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.width > 0 && (r.right > vw + 1 || r.left < -1)) wide.push(e.tagName + '.' + e.className + ' ' + Math.round(r.right));
  });
  function box(sel) { var e = document.querySelector(sel); if (!e) return null;
    var r = e.getBoundingClientRect(); return [r.top + window.scrollY, r.bottom + window.scrollY]; }
  var out = {vw: vw, scroll_w: document.documentElement.scrollWidth, wide: wide.slice(0, 20),
             summary: box('.evt-summary'), summary_p: box('.evt-summary p'), verdict_badge: box('.evt-verdict .evt-badge'),
             annex: (document.querySelector('.annex h2, .annex h1') || {}).textContent || null,
             resources: performance.getEntriesByType('resource').map(function (x) { return x.name; })};
  var pre = document.createElement('pre'); pre.id = 'evt-measure'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def _chrome(tmp: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           # every request that is not a local file goes to a proxy that refuses it, loopback included
           "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
           f"--user-data-dir={tmp / 'profile'}", *args, url]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=True)
    except (OSError, subprocess.SubprocessError) as exc:  # a browser that cannot start here
        pytest.skip(f"headless Chromium could not run: {exc}")


def _measure(page: Path, tmp: Path, *, width: int, print_rules: bool = False) -> dict:
    text = page.read_text(encoding="utf-8")
    if print_rules:
        # lay the page out as it prints: the print rules on screen, at the A4 content width
        text = text.replace("@media print", "@media all")
    copy = tmp / f"measure-{page.stem}-{width}.html"
    copy.write_text(text.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = _chrome(tmp, copy.as_uri(), f"--window-size={width},{VIEW_H}", "--virtual-time-budget=3000",
                  "--dump-dom").stdout
    m = re.search(r'<pre id="evt-measure">(.*?)</pre>', dom, re.S)
    assert m, "the measuring script did not run"
    return json.loads(htmllib.unescape(m.group(1)))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from evaltools import runner

    out = tmp_path_factory.mktemp("browser")
    res_id = runner.run(ROOT / "data" / "sample", out / "id", jobs=2, lang="id", progress=False)
    first = sorted(res_id.manifest["units"])[:3]
    res_en = runner.run(ROOT / "data" / "sample", out / "en", jobs=2, lang="en", units=first, progress=False)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return {"id": res_id, "en": res_en}


def _pages(res) -> dict[str, Path]:
    unit = sorted(res.manifest["units"].values(), key=lambda e: e["file"])[0]
    return {"briefing": res.run_dir / "briefing.html", "unit": res.run_dir / "units" / f"{unit['file']}.html"}


def _verdict_after_evidence_in_template() -> bool:
    nb = json.loads((ROOT / "notebooks" / "unit_report.ipynb").read_text(encoding="utf-8"))
    src = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    show_v = [i for i, s in enumerate(src) if re.search(r"^\s*v\s*$|verdict_section\(", s, re.M)]
    show_cov = [i for i, s in enumerate(src) if re.search(r"^\s*(cov|sections\[.coverage.\])\s*$", s, re.M)]
    return bool(show_v and show_cov and show_v[0] > show_cov[0])


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("kind", ["briefing", "unit"])
def test_first_screen_and_widths(runs, tmp_path, lang, kind):
    page = _pages(runs[lang])[kind]
    assert runs[lang].ok, runs[lang].manifest
    _chrome(tmp_path, page.as_uri(), f"--window-size={VIEW_W},{VIEW_H}",
            f"--screenshot={SHOTS / f'{kind}-{lang}-first-screen.png'}")
    m = _measure(page, tmp_path, width=VIEW_W)
    assert not m["wide"] and m["scroll_w"] <= m["vw"], m["wide"]
    a4 = _measure(page, tmp_path, width=A4_CONTENT_W, print_rules=True)
    assert not a4["wide"] and a4["scroll_w"] <= a4["vw"], a4["wide"]
    # only the page itself and its inline images were loaded
    assert all(r.startswith(("file:", "data:")) for r in m["resources"]), m["resources"]
    if kind == "briefing":
        assert m["summary_p"] and m["summary_p"][1] <= VIEW_H, m["summary_p"]
    else:
        if m["verdict_badge"] is None or m["verdict_badge"][1] > VIEW_H:
            if _verdict_after_evidence_in_template():
                pytest.xfail("notebooks/unit_report.ipynb still shows the verdict after the evidence")
        assert m["verdict_badge"] and m["verdict_badge"][1] <= VIEW_H, m["verdict_badge"]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_briefing_prints_on_four_a4_pages_before_the_annex(runs, tmp_path, lang):
    page = _pages(runs[lang])["briefing"]
    pdf = SHOTS / f"briefing-{lang}.pdf"
    _chrome(tmp_path, page.as_uri(), "--no-pdf-header-footer", "--print-to-pdf-no-header",
            f"--print-to-pdf={pdf}")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    n_pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert "(A4)" in info, info
    texts = [subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), "-layout", str(pdf), "-"],
                            capture_output=True, text=True, check=True).stdout for p in range(1, n_pages + 1)]
    # no blank first page: the title and the decision are on page 1
    assert texts[0].strip() and re.search(r"SIAP|READY", texts[0]), texts[0][:300]
    annex = _measure(page, tmp_path, width=VIEW_W)["annex"]
    before = n_pages
    if annex:
        title = " ".join(annex.split())
        before = next((i for i, t in enumerate(texts) if title in " ".join(t.split())), n_pages)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(SHOTS / f"briefing-{lang}-page")], check=True)
    limit = 4
    assert before <= limit, f"{before} printed pages before the annex ({n_pages} in all)"


def test_no_request_leaves_the_machine(runs, tmp_path):
    for lang in ("id", "en"):
        for page in _pages(runs[lang]).values():
            text = page.read_text(encoding="utf-8")
            # nothing the browser would fetch from another host: scripts, styles, fonts, images, frames
            assert "<script" not in text.lower()
            fetch = re.findall(r"""<(?:img|link|iframe|source|video|audio|embed|object)\b[^>]*?"""
                               r"""(?:src|href|data)\s*=\s*["']?([^"' >]+)""", text, re.I)
            assert all(not re.match(r"(https?:)?//", u, re.I) for u in fetch), fetch
            assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", text, re.I)
            # every link a reader can follow stays inside the run folder
            hrefs = re.findall(r"""<a\b[^>]*href\s*=\s*["']([^"']+)""", text, re.I)
            assert all(not re.match(r"[a-z][a-z0-9+.-]*:|//", h, re.I) for h in hrefs), hrefs
            # behind a proxy that refuses everything the page still renders in full
            dom = _chrome(tmp_path, page.as_uri(), f"--window-size={VIEW_W},{VIEW_H}", "--dump-dom").stdout
            assert 'class="evt-page"' in dom and "evt-summary" in dom

"""Headless Chromium for tests: find it, read a page's DOM after its scripts ran, screenshot it.

Every test that needs a browser calls ``require_browser()``, which skips the test (with the
reason) where no Chromium or Chrome is installed. The browser is started per call with a
profile of its own in a temporary folder and a timeout; on timeout its whole process group is
stopped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WIDTH = 900  # px: the notebook-ish width the pictures must be readable at
MIN_TEXT_PX = 8.0
TIMEOUT = 90.0  # s of real time per browser run (a cold start on a busy 2-core machine is ~5 s)


def find_browser() -> str | None:
    """The path of the first Chromium or Chrome on PATH (or Debian's /usr/bin), else None."""
    for name in BROWSERS:
        found = shutil.which(name) or shutil.which(name, path="/usr/bin")
        if found:
            return found
    return None


def require_browser() -> str:
    """The browser's path; skips the calling test where none is installed."""
    found = find_browser()
    if found is None:
        pytest.skip(f"no headless browser: none of {', '.join(BROWSERS)} is installed")
    return found


def run_browser(page: Path, *flags: str, height: int = 1200, budget_ms: int = 10_000) -> str:
    """Open ``page`` headless at ``WIDTH`` × ``height`` with ``flags``; return its stdout.

    ``budget_ms`` is virtual time: timers and animations run that far ahead without waiting.
    """
    browser = require_browser()
    with tempfile.TemporaryDirectory(prefix="chaingrad-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            "--mute-audio",
            f"--user-data-dir={profile}",
            f"--window-size={WIDTH},{height}",
            f"--virtual-time-budget={budget_ms}",
            *flags,
            Path(page).resolve().as_uri(),
        ]
        child = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own group: a timeout stops every helper process
        )
        try:
            stdout, stderr = child.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            pytest.fail(f"{Path(browser).name} did not finish {page.name} within {TIMEOUT:g} s")
    if child.returncode != 0:
        last = (stderr.strip().splitlines() or ["(no message)"])[-1]
        pytest.fail(f"{Path(browser).name} exited with {child.returncode} on {page.name}: {last}")
    return stdout


def dump_dom(page: Path, budget_ms: int = 10_000) -> str:
    """The page's DOM, serialised after its scripts ran for ``budget_ms`` of virtual time."""
    return run_browser(page, "--dump-dom", budget_ms=budget_ms)


def screenshot(page: Path, out: Path, height: int = 1200) -> Path:
    """A PNG screenshot of ``page`` at ``WIDTH`` × ``height`` px written to ``out``."""
    run_browser(page, f"--screenshot={out}", height=height)
    assert out.is_file() and out.stat().st_size > 0, f"no screenshot of {page.name} written"
    return out


def report(dom: str, element_id: str) -> object:
    """The JSON a test page wrote into ``<pre id=element_id>`` (its results)."""
    found = re.search(rf'<pre id="{element_id}">(.*?)</pre>', dom, re.S)
    assert found, f"the page wrote no #{element_id}: its script did not finish"
    import html

    return json.loads(html.unescape(found.group(1)))


def ink(png: Path) -> tuple[float, float]:
    """(fraction of pixels not near-white, fraction that are dark) in a screenshot."""
    from PIL import Image  # Pillow, which matplotlib depends on

    counts = Image.open(png).convert("L").histogram()  # pixels per grey level 0..255
    total = sum(counts)
    return sum(counts[:240]) / total, sum(counts[:100]) / total


def svg_font_sizes(svg: str) -> list[float]:
    """The font size of every non-empty ``<text>`` of an SVG, in the SVG's user units."""
    found = re.findall(r'<text\b[^>]*font-size="([\d.]+)"[^>]*>\s*[^<\s]', svg)
    return [float(size) for size in found]


def svg_viewbox_width(svg: str) -> float:
    """The width of the root ``<svg>`` element's viewBox (user units)."""
    root = re.search(r"<svg\b[^>]*>", svg)
    assert root, "not an SVG"
    box = re.search(r'viewBox="([^"]+)"', root.group())
    assert box, "the SVG has no viewBox, so it cannot scale to the page"
    return float(box.group(1).split()[2])


# Appended to a page: measures each <svg>'s rendered width and its texts' rendered heights.
MEASURE_SCRIPT = """<script>
window.addEventListener("load", function () {
  var out = [];
  document.querySelectorAll("svg").forEach(function (svg) {
    var heights = [];
    svg.querySelectorAll("text").forEach(function (t) {
      if (t.textContent.trim()) heights.push(t.getBoundingClientRect().height);
    });
    out.push({width: svg.getBoundingClientRect().width, heights: heights});
  });
  var pre = document.createElement("pre");
  pre.id = "measure";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def graph_page(svg: str, folder: Path, name: str = "graph") -> Path:
    """An HTML page showing ``svg`` as a notebook would: scaled to at most the page's width."""
    start = svg.find("<svg")
    page = folder / f"{name}.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        "<style>body{margin:8px;background:white}svg{max-width:100%;height:auto}</style>"
        f"</head><body>{svg[start:]}{MEASURE_SCRIPT}</body></html>",
        encoding="utf-8",
    )
    return page

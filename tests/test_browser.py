"""The replay's HTML, graph pictures and the gallery in a real browser (headless Chromium).

Each test starts the browser itself and skips cleanly where none is installed. A replay is
driven by a small script appended to its page, which writes what it saw into ``<pre
id="log">``; ``--dump-dom`` returns the page after the scripts ran (in virtual time, so a
replay playing at one frame a second takes no real seconds).
"""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from pathlib import Path

import pytest

from chaingrad.autograd import Value
from chaingrad.autograd.animation import html_slider
from tests.browser import (
    MIN_TEXT_PX,
    WIDTH,
    dump_dom,
    graph_page,
    ink,
    report,
    require_browser,
    screenshot,
    svg_font_sizes,
    svg_viewbox_width,
)
from tests.helpers import REPO_ROOT

# Drives the replay number IDX on the page: waits until its player is set up, moves the slider
# to 0, presses ▶ (next), then play, and logs the caption, visible frame and slider after each.
DRIVER = """<script>
(function () {
  var IDX = %d, log = [], waited = 0;
  function replay() { return document.querySelectorAll(".chaingrad-replay")[IDX]; }
  function note(tag) {
    var r = replay(), s = r.querySelector(".cg-slider"), p = r.querySelector(".cg-play");
    log.push({tag: tag, caption: r.querySelector(".cg-caption").textContent,
              frame: r.querySelector(".cg-frame").textContent.replace(/\\s+/g, " ").trim(),
              slider: s ? +s.value : null, max: s ? +s.max : null,
              play: p ? p.textContent : null});
  }
  function done() {
    var pre = document.createElement("pre"); pre.id = "log";
    pre.textContent = JSON.stringify(log); document.body.appendChild(pre);
  }
  function when(ready, then) {
    if (ready()) { then(); return; }
    if (waited++ > 2400) { log.push({tag: "gave up waiting"}); done(); return; }
    setTimeout(function () { when(ready, then); }, 50);
  }
  when(function () { return replay().getAttribute("data-ready") === "1"; }, function () {
    var r = replay(), s = r.querySelector(".cg-slider");
    note("ready");
    s.value = 0; s.dispatchEvent(new Event("input")); note("slider to 0");
    r.querySelector(".cg-next").click(); note("next");
    r.querySelector(".cg-play").click(); note("playing");
    when(function () { return r.querySelector(".cg-play").textContent === "play"; },
         function () {
           note("played"); r.querySelector(".cg-prev").click(); note("prev"); done();
         });
  });
})();
</script>"""


def _frame_svg(k: int, width: int) -> str:
    """A hand-written SVG frame, as Graphviz writes one (prolog, pt size, viewBox)."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        f'<svg width="{width}pt" height="80pt" viewBox="0.00 0.00 {width}.00 80.00" '
        'xmlns="http://www.w3.org/2000/svg">\n'
        '<g id="graph0" class="graph">\n'
        f'<rect x="4" y="4" width="{width - 8}" height="72" fill="none" stroke="black"/>\n'
        f'<text x="20" y="45" font-family="Helvetica,sans-Serif" font-size="14.00">'
        f"frame {k}</text>\n</g>\n</svg>\n"
    )


FRAMES = [_frame_svg(k, 300 + 10 * k) for k in range(6)]
TITLES = [f"step {k} of 5: tanh — upstream g = {k / 10:.1f}" for k in range(6)]


def _page(folder: Path, body: str, name: str = "replay.html", head: str = "") -> Path:
    page = folder / name
    page.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head><body>{body}</body></html>',
        encoding="utf-8",
    )
    return page


# as GitHub's notebook view: no script runs (a Content-Security-Policy that allows none)
NO_SCRIPTS = """<meta http-equiv="Content-Security-Policy" content="script-src 'none'">"""


def _check_driven(log: list[dict], titles: list[str], frames: list[str] | None = None) -> None:
    """The log of DRIVER: the slider, ◀ ▶ and play each showed the frame they should."""
    last = len(titles) - 1
    by_tag = {entry["tag"]: entry for entry in log}
    assert "gave up waiting" not in by_tag, log
    expected = {"ready": last, "slider to 0": 0, "next": 1, "played": last, "prev": last - 1}
    for tag, k in expected.items():
        assert by_tag[tag]["caption"] == titles[k], (tag, by_tag[tag])
        assert by_tag[tag]["slider"] == k, (tag, by_tag[tag])
        if frames is not None:
            assert by_tag[tag]["frame"] == frames[k], (tag, by_tag[tag])
    assert by_tag["ready"]["max"] == last
    assert by_tag["playing"]["play"] == "pause"
    assert by_tag["played"]["play"] == "play"  # playing stops at the last frame


def test_replay_slider_moves_to_the_last_frame(tmp_path):
    require_browser()
    page = _page(tmp_path, html_slider(FRAMES, TITLES) + DRIVER % 0)
    log = report(dump_dom(page, budget_ms=30_000), "log")
    _check_driven(log, TITLES, [f"frame {k}" for k in range(len(FRAMES))])


def test_two_replays_on_one_page_are_independent(tmp_path):
    require_browser()
    other = [_frame_svg(k, 200) for k in range(3)]
    other_titles = [f"other {k}" for k in range(3)]
    body = html_slider(other, other_titles) + html_slider(FRAMES, TITLES) + DRIVER % 1
    dom = dump_dom(_page(tmp_path, body), budget_ms=30_000)
    _check_driven(report(dom, "log"), TITLES)
    # the first replay was set up too, and still shows its own last frame
    first = dom.split('class="chaingrad-replay"')[1]
    assert 'data-ready="1"' in dom.split('class="chaingrad-replay"')[0] + first[:80]
    assert ">other 2</div>" in first and "frame 2" in first and "step 5" not in first


def test_replay_without_scripts_shows_the_last_frame_and_caption(tmp_path):
    require_browser()
    page = _page(tmp_path, html_slider(FRAMES, TITLES), head=NO_SCRIPTS)
    dom = dump_dom(page)
    assert TITLES[-1] in dom and "frame 5" in dom
    shown = re.sub(r"<script\b.*?</script>", "", dom, flags=re.S)
    assert "data-ready" not in shown and "<input" not in shown  # no dead controls
    shot = screenshot(page, tmp_path / "static.png", height=400)
    not_white, dark = ink(shot)
    assert not_white > 0.002 and dark > 0.0005, (not_white, dark)


def test_saved_backward_replay_opens_and_its_slider_reaches_the_last_frame(tmp_path):
    require_browser()
    from chaingrad.nn.app.demo import two_layer_example

    replay = two_layer_example().loss.backward_replay()
    saved = tmp_path / "replay.html"
    replay.save(saved)
    page = _page(tmp_path, saved.read_text(encoding="utf-8") + DRIVER % 0, "driven.html")
    log = report(dump_dom(page, budget_ms=10_000 + 1_500 * len(replay)), "log")
    steps = len(replay)  # frames 0 (no gradients yet) to steps (after the last step)
    assert log[0]["max"] == steps, log[0]
    by_tag = {entry["tag"]: entry for entry in log}
    assert by_tag["played"]["slider"] == steps, by_tag["played"]
    assert by_tag["played"]["caption"] == by_tag["ready"]["caption"]  # the last frame's
    assert by_tag["slider to 0"]["caption"] != by_tag["played"]["caption"]


def _legible(svg: str, folder: Path, name: str) -> None:
    """Shown at 900 px, the SVG's smallest text is ≥ 8 px high and the screenshot has ink."""
    page = graph_page(svg, folder, name)
    measured = report(dump_dom(page), "measure")
    assert len(measured) == 1, measured
    rendered = measured[0]["width"]
    assert 0 < rendered <= WIDTH
    smallest = min(svg_font_sizes(svg)) * rendered / svg_viewbox_width(svg)
    assert smallest >= MIN_TEXT_PX, f"{name}: smallest text {smallest:.1f} px at {rendered} px"
    # the browser's own boxes agree (a text's box is about 1.15 × its font size)
    assert min(measured[0]["heights"]) >= MIN_TEXT_PX, measured[0]["heights"]
    not_white, dark = ink(screenshot(page, folder / f"{name}.png"))
    assert not_white > 0.005 and dark > 0.001, f"{name}: the screenshot is blank"


def test_a_small_graph_is_legible_at_900_px(tmp_path):
    require_browser()
    a, b, c = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c")
    e = a * b
    e.label = "e"
    d = (e + c).tanh()
    d.label = "d"
    d.backward()
    _legible(d.draw().svg, tmp_path, "small")


def test_the_lecture_network_is_legible_at_900_px(tmp_path):
    require_browser()
    from chaingrad.nn.app.demo import two_layer_example

    _legible(two_layer_example().loss.draw().svg, tmp_path, "lecture")


# --------------------------------------------------------------------------------- gallery

DRAW_BOUND = 60.0  # s per picture: generous beside the 5 s target, for a busy shared machine
LARGE = ("scalar_2000", "reused_input")  # drawn collapsed or with reused leaves split


def _gallery_module():
    spec = importlib.util.spec_from_file_location(
        "make_gallery", REPO_ROOT / "docs" / "gallery" / "make_gallery.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    """The gallery built into a temporary folder: (folder, results, seconds per picture)."""
    require_browser()
    module = _gallery_module()
    names = [p.name for p in module.PICTURES]
    out = tmp_path_factory.mktemp("gallery")
    start = time.perf_counter()
    results = module.build_gallery(out, names, timeout=DRAW_BOUND)
    return out, results, (time.perf_counter() - start) / len(names)


GALLERY_CHECK = """<script>
window.addEventListener("load", function () {
  var out = [];
  document.querySelectorAll("img").forEach(function (img) {
    out.push({src: img.getAttribute("src"), loaded: img.complete && img.naturalWidth > 0,
              shown: img.getBoundingClientRect().width, natural: img.naturalWidth});
  });
  var pre = document.createElement("pre"); pre.id = "images";
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>"""


def test_the_gallery_draws_every_picture_and_opens_in_the_browser(gallery):
    out, results, _ = gallery
    for result in results:
        assert result.error is None, f"{result.name}: {result.error}"
        assert result.svg_seconds < DRAW_BOUND, (result.name, result.svg_seconds)
        assert (out / f"{result.name}.svg").read_text(encoding="utf-8").lstrip().startswith("<")
        assert (out / f"{result.name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    readme = (out / "README.md").read_text(encoding="utf-8")
    for result in results:
        assert f"({result.name}.png)]({result.name}.svg)" in readme
        assert f"drawn in {result.svg_seconds:.2f} s" in readme
    page = out / "checked.html"
    page.write_text((out / "index.html").read_text(encoding="utf-8") + GALLERY_CHECK, "utf-8")
    images = report(dump_dom(page), "images")
    assert [i["src"] for i in images] == [f"{r.name}.svg" for r in results]
    for image in images:
        assert image["loaded"], image
        assert 0 < image["shown"] <= WIDTH, image  # scaled to the page, never wider
    not_white, dark = ink(screenshot(page, out / "gallery.png", height=2000))
    assert not_white > 0.01 and dark > 0.001, (not_white, dark)


def test_every_gallery_picture_is_legible_at_900_px(gallery, tmp_path):
    out, results, _ = gallery
    assert {r.name for r in results} >= set(LARGE)  # the large graphs were drawn, in time
    for result in results:
        assert result.svg_seconds < DRAW_BOUND, (result.name, result.svg_seconds)
        _legible((out / f"{result.name}.svg").read_text(encoding="utf-8"), tmp_path, result.name)

"""Frames to animations without a browser: the HTML slider's content and size, the GIF's frames.

(The slider's behaviour in a real browser is in tests/test_browser.py.)
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import re

import pytest
from PIL import Image

from chaingrad.autograd import Value
from chaingrad.autograd.animation import gif, html_slider
from chaingrad.autograd.engine import topological_order


def _svg(k: int, width: int = 200) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<svg width="{width}pt" height="50pt" viewBox="0 0 {width} 50" '
        f'xmlns="http://www.w3.org/2000/svg">\n<text x="5" y="20" font-size="12">frame {k}</text>'
        f'\n<text x="5" y="40" font-size="12">shared</text>\n</svg>\n'
    )


def _unpack(page: str) -> tuple[list[str], list[str]]:
    """Decode the slider's frames and captions as its script does."""
    data = re.search(r'Z="([A-Za-z0-9+/=]*)"', page).group(1)
    pieces, runs = json.loads(gzip.decompress(base64.b64decode(data)))
    frames = []
    for run in runs:
        frames.append(
            "".join(pieces[run[i] + j] for i in range(0, len(run), 2) for j in range(run[i + 1]))
        )
    captions = json.loads(re.search(r",C=(\[.*?\]),MS=", page, re.S).group(1))
    return frames, captions


def _static(page: str) -> str:
    """What a viewer that strips scripts and styles shows."""
    return re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)


def test_the_last_frame_and_caption_show_without_scripts():
    svgs = [_svg(k) for k in range(4)]
    titles = [f"step {k} of 3: tanh — upstream g = {k}" for k in range(4)]
    shown = _static(html_slider(svgs, titles))
    assert "frame 3" in shown and titles[3] in shown
    assert "frame 0" not in shown and "frame 2" not in shown
    assert "<?xml" not in shown  # the prolog has no place inside HTML
    assert "<input" not in shown and "<button" not in shown  # controls come from the script


def test_every_frame_decodes_to_its_svg_and_caption():
    svgs = [_svg(k, 200 + k) for k in range(7)]
    titles = [f"step {k}" for k in range(7)]
    frames, captions = _unpack(html_slider(svgs, titles))
    assert frames == [s[s.index("<svg") :].strip() for s in svgs]
    assert captions == titles


def test_each_replay_has_its_own_id_and_does_not_rely_on_current_script():
    one, two = html_slider([_svg(0)], ["a"]), html_slider([_svg(0)], ["a"])
    id_one = re.search(r'<div id="([\w-]+)"', one).group(1)
    id_two = re.search(r'<div id="([\w-]+)"', two).group(1)
    assert id_one != id_two
    assert json.dumps(id_one) in one and "currentScript" not in one
    assert f"#{id_one} .cg-frame svg{{max-width:100%" in one  # scales to the cell's width


def test_the_page_needs_no_network():
    page = html_slider([_svg(0), _svg(1)], ["a", "b"])
    assert not re.search(r"<(script|img|link|iframe)\b[^>]*\b(src|href)=", page)
    assert "@import" not in page and "url(" not in page


def test_script_and_markup_in_captions_and_frames_cannot_end_the_script():
    nasty = 'x </script><script>alert(1)</script> <!-- & "'
    page = html_slider([_svg(0) + f"<!-- {nasty} -->"], [nasty])
    script = page[page.index("<script>(function") :]
    assert script.count("</script>") == 1 and script.endswith("</script></div>")
    assert "<!--" not in script
    assert "&lt;/script&gt;" in _static(page)  # the static caption is escaped text
    _, captions = _unpack(page.replace("<\\/", "</").replace("<\\u0021--", "<!--"))
    assert captions == [nasty]


def _replay_frames(steps: int = 30) -> list[str]:
    """Frames as a replay makes them: a 21-node graph whose gradients fill in step by step."""
    xs = [Value(0.1 * i, f"x{i}") for i in range(5)]
    h = xs[0]
    for i, x in enumerate(xs[1:]):
        h = (h * x + Value(0.5, f"b{i}")).tanh()
    nodes = topological_order(h)
    for node in nodes:
        node.grad = 0.0
    frames = []
    for k in range(steps):
        if k < len(nodes):
            nodes[-1 - k].grad = 0.1 * k + 1.0
        frames.append(h.draw().svg)
    return frames


def test_a_30_frame_replay_costs_a_few_frames_not_thirty():
    frames = _replay_frames()
    assert len(set(frames)) > 15  # the frames really differ (layout shifts with the text)
    page = html_slider(frames, [f"step {k}" for k in range(len(frames))])
    one = len(frames[-1])
    # measured: 32 kB a frame, 74 kB the page (stored naively: 31 frames, 1 MB)
    assert len(page) < 4 * one, (len(page), one)


@pytest.mark.parametrize(
    ("svgs", "titles", "message"),
    [
        ([], [], "html_slider: no frames"),
        (["<svg/>", "<svg/>"], ["a"], "html_slider: 2 frames but 1 titles"),
    ],
)
def test_html_slider_errors(svgs, titles, message):
    with pytest.raises(ValueError, match=message):
        html_slider(svgs, titles)


def test_html_slider_rejects_a_bad_frame_time():
    with pytest.raises(ValueError, match="html_slider: seconds_per_frame must be a positive"):
        html_slider(["<svg/>"], ["a"], seconds_per_frame=0)


def _png(width: int, height: int, colour: tuple[int, int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def test_gif_pads_frames_onto_white_and_holds_the_last():
    frames = [
        _png(40, 30, (255, 0, 0, 255)),
        _png(50, 20, (0, 0, 255, 255)),
        _png(30, 36, (0, 0, 0, 0)),  # transparent: shows as white
    ]
    data = gif(frames, seconds_per_frame=0.5)
    assert data.startswith(b"GIF89a")
    image = Image.open(io.BytesIO(data))
    assert image.n_frames == 3 and image.size == (50, 36)
    assert image.info.get("loop") == 0
    durations, colours = [], []
    for k in range(3):
        image.seek(k)
        durations.append(image.info["duration"])
        rgb = image.convert("RGB")
        colours.append((rgb.getpixel((25, 18)), rgb.getpixel((0, 0))))
    assert durations[:2] == [500, 500] and durations[2] >= 3000
    assert colours[0] == ((255, 0, 0), (255, 255, 255))  # centred, padding white
    assert colours[1] == ((0, 0, 255), (255, 255, 255))
    assert colours[2] == ((255, 255, 255), (255, 255, 255))


def test_gif_of_real_graph_frames():
    from chaingrad.autograd.draw import render

    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = (a * b).tanh()
    pngs = [render(c.draw().source, "png")]
    c.backward()
    pngs.append(render(c.draw().source, "png"))
    image = Image.open(io.BytesIO(gif(pngs)))
    assert image.n_frames == 2
    sizes = [Image.open(io.BytesIO(p)).size for p in pngs]
    assert image.size == (max(w for w, _ in sizes), max(h for _, h in sizes))


@pytest.mark.parametrize(
    ("frames", "seconds", "message"),
    [
        ([], 1.0, "gif: no frames"),
        ([b"not a png"], 1.0, "gif: frame 0 is not a readable image"),
        ([_png(2, 2, (0, 0, 0, 255))], -1.0, "gif: seconds_per_frame must be a positive"),
        ([_png(2, 2, (0, 0, 0, 255))], float("nan"), "gif: seconds_per_frame must be a positive"),
    ],
)
def test_gif_errors(frames, seconds, message):
    with pytest.raises(ValueError, match=message):
        gif(frames, seconds)

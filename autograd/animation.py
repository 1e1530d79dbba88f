"""Frames to animations: an HTML page with a slider (SVG frames) and an animated GIF."""

from __future__ import annotations

import html
import io
import json
from collections.abc import Sequence


def html_slider(svgs: Sequence[str], titles: Sequence[str]) -> str:
    """A self-contained HTML fragment: the last frame shown statically, a slider to step through."""
    frames = json.dumps(list(svgs))
    captions = json.dumps([html.escape(t) for t in titles])
    last = len(svgs) - 1
    return (
        f'<div class="chaingrad-replay"><input type="range" min="0" max="{last}" value="{last}">'
        f"<div class=caption>{html.escape(titles[last])}</div><div class=frame>{svgs[last]}</div>"
        f"<script>(function(){{const root=document.currentScript.parentElement;"
        f"const f={frames},c={captions};const s=root.querySelector('input');"
        f"s.oninput=()=>{{root.querySelector('.frame').innerHTML=f[s.value];"
        f"root.querySelector('.caption').innerHTML=c[s.value];}};}})();</script></div>"
    )


def gif(pngs: Sequence[bytes], seconds_per_frame: float = 1.0) -> bytes:
    """An animated GIF of PNG frames (Pillow, which matplotlib already depends on)."""
    from PIL import Image

    images = [Image.open(io.BytesIO(p)).convert("RGB") for p in pngs]
    out = io.BytesIO()
    images[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=int(seconds_per_frame * 1000),
        loop=0,
    )
    return out.getvalue()

"""Re-encode the figures of executed notebooks as 256-colour PNGs, about a third of the bytes.

Run after executing a notebook, before committing it::

    python notebooks/shrink_figures.py                  # every notebook here and in solutions/
    python notebooks/shrink_figures.py notebooks/10_cnn_architectures.ipynb

Line plots and heat maps at ~100 dpi use far fewer than 256 colours, so a palette PNG
(median-cut palette, no dithering, transparent pixels on white) looks the same and keeps all
the notebooks together under the course's 5 MB. A figure already in palette form is left as it
is, so running the script twice changes nothing (`tests/test_notebooks.py` checks that every
committed figure is a palette PNG).
"""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import nbformat
from PIL import Image

HERE = Path(__file__).resolve().parent
COLOURS = 256


def shrink_png(raw: bytes) -> bytes:
    """The PNG re-encoded with a 256-colour palette (unchanged if it already has one)."""
    image = Image.open(io.BytesIO(raw))
    if image.mode == "P":
        return raw
    rgba = image.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat.alpha_composite(rgba)
    palette = flat.convert("RGB").quantize(
        colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def shrink_notebook(path: Path) -> tuple[int, int]:
    """Shrink every PNG output of one notebook in place; (bytes before, bytes after) of the file."""
    before = path.stat().st_size
    notebook = nbformat.read(path, as_version=4)
    changed = False
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" not in data:
                continue
            raw = base64.b64decode(data["image/png"])
            small = shrink_png(raw)
            if small != raw:
                data["image/png"] = base64.b64encode(small).decode("ascii")
                changed = True
    if changed:
        tmp = path.with_suffix(".ipynb.tmp")
        nbformat.write(notebook, tmp)
        tmp.replace(path)  # atomic: a crash leaves the old notebook, never half a new one
    return before, path.stat().st_size


def main(argv: list[str]) -> int:
    """Shrink the notebooks named on the command line, or all of them; print the savings."""
    paths = [Path(a) for a in argv] or sorted(HERE.glob("*.ipynb")) + sorted(
        (HERE / "solutions").glob("*.ipynb")
    )
    total_before = total_after = 0
    for path in paths:
        before, after = shrink_notebook(path)
        total_before, total_after = total_before + before, total_after + after
        if after != before:
            print(f"{path.name}: {before / 1e3:.0f} kB -> {after / 1e3:.0f} kB")
    print(f"all: {total_before / 1e6:.2f} MB -> {total_after / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Rendering DOT: the program, a time bound, and the output formats (SVG, PNG, PDF, DOT).

The program is Graphviz's ``dot`` when it is on PATH, else ``graphviz-pure`` (a pip dependency:
SVG and PNG work on a fresh machine). graphviz-pure has no PDF, so a PDF is a page of the
graph's own size in points holding a 200-dpi PNG of it, written by matplotlib (already a
dependency): real ``%PDF`` bytes, printable, with no system Graphviz.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

FORMATS = ("svg", "png", "pdf", "dot")
SUFFIXES = {f".{f}": f for f in FORMATS}
PDF_DPI = 200
MAX_PDF_PIXELS = 60_000_000  # a bigger page is rasterised at a lower resolution


class RendererNotFoundError(RuntimeError):
    """Neither Graphviz's ``dot`` nor ``graphviz-pure`` could be found."""


class LayoutTimeoutError(RuntimeError):
    """The layout program did not finish within the time bound."""


def find_renderer() -> str:
    """Return the path of the program that renders DOT: ``dot`` first, then ``graphviz-pure``."""
    found = shutil.which("dot") or shutil.which("graphviz-pure")
    if found:
        return found
    # a Jupyter kernel started from a venv's python may not have the venv's bin on PATH
    beside_python = Path(sys.executable).parent / "graphviz-pure"
    if beside_python.exists() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    raise RendererNotFoundError(
        "cannot render the graph: neither Graphviz's `dot` nor `graphviz-pure` is on PATH. "
        "Install one with `pip install graphviz-pure` (or your system's graphviz package); "
        "the DOT text is still available as `.source`."
    )


def render(
    source: str,
    format: str = "svg",  # noqa: A002
    timeout: float | None = None,
    dpi: float | None = None,
) -> bytes:
    """Lay out and render DOT ``source`` as "svg" or "png"; past ``timeout`` s, a timeout error."""
    program = find_renderer()
    command = [program, f"-T{format}"] + ([f"-Gdpi={dpi:g}"] if dpi else [])
    try:
        result = subprocess.run(
            command, input=source.encode(), capture_output=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:  # run() has killed the program
        raise LayoutTimeoutError(f"draw: the layout took longer than {timeout:g} s") from None
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"draw: {Path(program).name} failed to render the graph: {message}")
    return result.stdout


def resolve_format(path: str | os.PathLike[str] | None, format: str | None) -> str:  # noqa: A002
    """The output format: ``format`` if given, else the path's suffix, else SVG.

    A format that is unknown, or that contradicts the path's suffix, is a one-line error.
    """
    if format is not None and format not in FORMATS:
        raise ValueError(f"draw: format must be one of {FORMATS}, got {format!r}")
    suffix = Path(path).suffix.lower() if path is not None else ""
    from_suffix = SUFFIXES.get(suffix)
    if suffix and from_suffix is None and format is None:
        raise ValueError(
            f"draw: cannot tell the format from the suffix {suffix!r} of {str(path)!r}; "
            f"use one of {tuple(SUFFIXES)} or pass format="
        )
    if format is not None and from_suffix is not None and from_suffix != format:
        raise ValueError(
            f"draw: format={format!r} contradicts the suffix {suffix!r} of {str(path)!r}"
        )
    return format or from_suffix or "svg"


def pdf_from_png(png: bytes, width_pt: float, height_pt: float) -> bytes:
    """A one-page PDF of the graph's size in points, the PNG placed on it edge to edge."""
    from matplotlib.figure import Figure  # imported here: `import chaingrad` stays light
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    figure = Figure(figsize=(max(width_pt, 1.0) / 72.0, max(height_pt, 1.0) / 72.0))
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axes.set_axis_off()
    # 'none': vector backends embed the image's own pixels, unresampled
    axes.imshow(image, interpolation="none", aspect="auto")
    out = io.BytesIO()
    figure.savefig(out, format="pdf", dpi=PDF_DPI)
    return out.getvalue()


def pdf_dpi(width_pt: float, height_pt: float) -> float:
    """The PNG resolution for a PDF page: 200 dpi, lower for a page that would be huge."""
    pixels = (width_pt / 72.0 * PDF_DPI) * (height_pt / 72.0 * PDF_DPI)
    if pixels <= MAX_PDF_PIXELS:
        return PDF_DPI
    return max(36.0, PDF_DPI * (MAX_PDF_PIXELS / pixels) ** 0.5)

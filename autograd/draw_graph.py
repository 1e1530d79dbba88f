"""``GraphDrawing``: a drawn graph's DOT source, rendered lazily, with a time bound and formats.

Rendering is bounded: past ``LAYOUT_SECONDS`` the layout program is stopped and the drawing
falls back to its collapsed form (a warning says so, and a note in the picture), so a large
graph never means a silent multi-minute wait.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path

from chaingrad.autograd.draw_render import (
    LayoutTimeoutError,
    pdf_dpi,
    pdf_from_png,
    render,
    resolve_format,
)
from chaingrad.autograd.draw_text import FONT, SVG_FONT_FAMILY, png_text
from chaingrad.autograd.files import write_bytes, write_text

LAYOUT_SECONDS = 3.0  # the layout program's time bound before the collapsed fallback


class GraphDrawing:
    """A drawn graph: ``.svg``, ``.png``, ``.source`` (DOT), ``.save(path)``; inline in Jupyter.

    In Jupyter it shows as SVG only (``inline = "svg"``): a notebook stores every
    representation it is given, so a PNG would double its size for nothing. Set
    ``inline = "png"`` (or ``"both"``) on a drawing or on the class to get ``_repr_png_``.
    """

    inline = "svg"

    def __init__(
        self,
        source: str,
        num_nodes: int,
        collapse: Callable[[str], str] | None = None,
        timeout: float | None = None,
    ) -> None:
        self.source = source
        self.num_nodes = num_nodes
        self.collapsed = False  # True once the drawing fell back to its rolled-up form
        self._collapse = collapse
        self._timeout = LAYOUT_SECONDS if timeout is None else timeout
        self._svg: str | None = None
        self._png: bytes | None = None

    def _render(self, format: str, dpi: float | None = None) -> bytes:  # noqa: A002
        """Render ``self.source``; on a layout timeout collapse once and render that."""
        for _ in range(2):
            source = self.source if format == "svg" else png_text(self.source)
            try:
                return render(source, format, timeout=self._timeout, dpi=dpi)
            except LayoutTimeoutError:
                if self._collapse is None or self.collapsed:
                    raise
                self._fall_back(f"too large to lay out in {self._timeout:g} s")
                continue
        raise AssertionError("unreachable")  # pragma: no cover

    def _fall_back(self, why: str) -> None:
        note = f"{self.num_nodes:,} nodes, {why}: collapsed by op (draw a smaller part to see each)"
        warnings.warn(f"draw: the graph has {note}", RuntimeWarning, stacklevel=4)
        assert self._collapse is not None
        self.source = self._collapse(note)
        self.collapsed = True
        self._timeout = None  # a graph of op kinds is a few dozen nodes: it lays out at once
        self._svg = self._png = None

    @property
    def svg(self) -> str:
        """The SVG text (rendered on first use); fonts fall back to Verdana, then sans-serif."""
        if self._svg is None:
            text = self._render("svg").decode()
            self._svg = text.replace(f'font-family="{FONT}"', f'font-family="{SVG_FONT_FAMILY}"')
        return self._svg

    @property
    def png(self) -> bytes:
        """The PNG bytes (96 dpi, rendered on first use, by graphviz-pure without a Graphviz)."""
        if self._png is None:
            self._png = self._render("png")
        return self._png

    @property
    def pdf(self) -> bytes:
        """A one-page PDF of the graph's size: a 200-dpi PNG placed on the page."""
        width, height = self.size_pt
        png = self._render("png", dpi=pdf_dpi(width, height))
        return pdf_from_png(png, width, height)

    @property
    def size_pt(self) -> tuple[float, float]:
        """The drawing's (width, height) in points, read from its SVG."""
        found = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', self.svg)
        if found is None:
            raise RuntimeError("draw: the rendered SVG has no width and height in points")
        return float(found.group(1)), float(found.group(2))

    def _repr_svg_(self) -> str | None:
        return self.svg if self.inline in ("svg", "both") else None

    def _repr_png_(self) -> bytes | None:
        return self.png if self.inline in ("png", "both") else None

    def save(self, path: str | os.PathLike[str], format: str | None = None) -> Path:  # noqa: A002
        """Write the graph as svg, png, pdf or dot: ``format``, else the path's suffix, else svg.

        A path without a suffix gets the format's; a format contradicting the suffix is an error.
        """
        chosen = resolve_format(path, format)
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(f".{chosen}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if chosen == "dot":
            write_text(path, self.source)
        elif chosen == "svg":
            write_text(path, self.svg)
        elif chosen == "png":
            write_bytes(path, self.png)
        else:
            write_bytes(path, self.pdf)
        return path

    def __repr__(self) -> str:
        rolled = ", collapsed" if self.collapsed else ""
        return f"GraphDrawing({self.num_nodes} nodes{rolled}; .svg, .png, .source, .save(path))"

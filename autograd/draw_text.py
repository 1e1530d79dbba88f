"""Text in drawings: the font, how wide its text is, numbers, escaping and truncation.

One font family everywhere: **DejaVu Sans**, the usual Linux sans-serif (and a width-alike of
Verdana elsewhere). Boxes are sized for it: graphviz-pure's own estimate for DejaVu Sans is
exact for ASCII but counts a non-ASCII character as one space per UTF-8 byte, too narrow for
``×`` or ``Σ``; so every label with non-ASCII text gets an explicit width from the advance
widths below (read from matplotlib's copy of DejaVuSans.ttf; a test checks them against it).

PNG is rendered by graphviz-pure itself, which has no DejaVu but bundles Arimo (metric-equal
to Arial): PNG sources name ``Arial`` and swap the few glyphs Arimo lacks (``⊙`` and friends).
"""

from __future__ import annotations

import html
import math

FONT = "DejaVu Sans"
SVG_FONT_FAMILY = "DejaVu Sans,Verdana,sans-serif"  # what browsers without DejaVu fall back to
PNG_FONT = "Arial"  # graphviz-pure renders it with its bundled Arimo, same metrics as Arial
FONT_SIZE = 12.0  # points, node text
SMALL_FONT_SIZE = 10.0  # points, gradient text in the input cells

_CHARS = (
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz"
    "{|}~‖⊙−Σᵀ²³×÷·…→←∂αβγδεηθλμσφψωΔ∇∑√≈≤≥±°ⁱ⁻¹⁰ⁿ₀₁₂₃ₜ⋅∘⊗‹›«»–—’“”éΘŷ"
)
# advance widths in 1/1000 em, rounded up, in the order of _CHARS
_WIDTHS = (
    318, 401, 460, 838, 637, 951, 780, 275, 391, 391, 500, 838, 318, 361, 318, 337, 637, 637,
    637, 637, 637, 637, 637, 637, 637, 637, 337, 337, 838, 838, 838, 531, 1000, 685, 687, 699,
    771, 632, 576, 775, 752, 295, 295, 656, 558, 863, 749, 788, 604, 788, 695, 635, 611, 732,
    685, 989, 686, 611, 686, 391, 337, 391, 838, 500, 500, 613, 635, 550, 635, 616, 353, 635,
    634, 278, 278, 580, 278, 975, 634, 612, 635, 635, 412, 521, 393, 634, 592, 818, 592, 592,
    525, 637, 337, 637, 838, 500, 838, 838, 632, 385, 401, 401, 838, 838, 318, 1000, 838, 838,
    518, 660, 639, 592, 612, 541, 634, 612, 592, 637, 634, 660, 660, 838, 685, 669, 674, 638,
    838, 838, 838, 838, 500, 179, 528, 401, 401, 399, 401, 401, 401, 401, 295, 318, 626, 838,
    400, 400, 612, 612, 500, 1000, 318, 519, 519, 616, 788, 592,
)  # fmt: skip
ADVANCE = dict(zip(_CHARS, _WIDTHS, strict=True))
UNKNOWN_ADVANCE = 1000  # a character not in the table: as wide as the widest (M-dash, CJK-ish)

# glyphs graphviz-pure's bundled Arimo does not have, and what PNGs show instead
_PNG_SWAPS = str.maketrans({"⊙": "·", "⋅": "·", "∘": "°", "⊗": "×", "∇": "grad ", "△": "Δ"})


def text_width(text: str, fontsize: float = FONT_SIZE) -> float:
    """The width of one line of ``text`` in DejaVu Sans at ``fontsize``, in points."""
    return sum(ADVANCE.get(c, UNKNOWN_ADVANCE) for c in text) * fontsize / 1000.0


def graphviz_estimate(text: str, fontsize: float = FONT_SIZE) -> float:
    """graphviz-pure's width estimate for DejaVu Sans: exact ASCII, a space per non-ASCII byte."""
    space = ADVANCE[" "]
    units = sum(ADVANCE.get(c, space) if c.isascii() else space * len(c.encode()) for c in text)
    return units * fontsize / 1000.0


def needs_width(text: str) -> bool:
    """Whether graphviz-pure would size ``text`` too narrow (only non-ASCII text can be)."""
    return not text.isascii()


def fmt(x: float) -> str:
    """A number as a picture wants it: four significant digits."""
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return f"{x:.4g}"


def truncate(text: str, max_label: int | None) -> str:
    """``text`` cut to ``max_label`` characters per line, ending in "…" where it was cut."""
    if max_label is None:
        return text
    if max_label < 2:
        raise ValueError(f"draw: max_label must be at least 2 characters, got {max_label}")
    lines = text.split("\n")
    return "\n".join(
        line if len(line) <= max_label else line[: max_label - 1] + "…" for line in lines
    )


def html_text(text: str) -> str:
    """Escape ``text`` for a Graphviz HTML-like label (lines become ``<BR/>``)."""
    return "<BR/>".join(html.escape(line, quote=True) for line in text.split("\n"))


def png_text(source: str) -> str:
    """A DOT source for graphviz-pure's PNG: the Arial font and glyphs its Arimo has."""
    return source.replace(f'"{FONT}"', PNG_FONT).translate(_PNG_SWAPS)

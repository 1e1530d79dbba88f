"""Layout decisions made before Graphviz runs: the direction, and a collapsed fallback.

Direction: Jupyter scales an SVG down to the cell's width (about 900 px), so what decides
whether text stays readable is the drawing's *width*. Ranks are estimated as Graphviz's layout
makes them (a node's distance from the output), and the graph goes left-to-right when that is
at most ``READABLE_WIDTH`` points wide (10 pt text stays >= 8 px at 900 px), else the narrower
direction (a long chain top-to-bottom: it scrolls down instead of shrinking).

Time order: Graphviz's ranking only minimises total edge length, so an op fed by a shared
weight and by a value used once (``W_xh @ x_t`` in an unrolled RNN) is as short either at the
top, beside the weight, or beside the step that uses it: every ``x_t`` of a 4-step RNN landed
in the first rank, in no particular order. Two attributes fix that, measured with graphviz-pure
on the notes' "hello" RNN: an edge whose tail feeds nothing else gets ``weight=2``
(``chain_edges``), so a value used once sits beside its use and the inputs appear step by step
down the main axis; and, in tensor graphs of up to 300 drawn nodes, ``ordering=in``
keeps each node's in-edges in the order of its input cells, so the four score vectors stacked
into one loss arrive in time order, uncrossed. (On Value graphs ``ordering=in`` only moved the
lecture network's crossings elsewhere, so they keep dot's own order; the weights leave that
picture as it was and straighten the main path of the gallery's ResNet block.)

Collapse: a graph too large to lay out in time is drawn as its ops rolled up, one box per op
kind with its count ("tanh × 1,250") and the edges between kinds, under a one-line note.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence

from chaingrad.autograd.draw_text import FONT, FONT_SIZE, SMALL_FONT_SIZE, html_text

DISPLAY_PX = 900.0  # a notebook cell's width
MIN_TEXT_PX = 8.0
# points: the widest drawing whose smallest text (the 10 pt rules in the input cells) stays
# >= 8 px at 900 px; Graphviz's layout comes out up to ~5 % wider than the estimate below
READABLE_WIDTH = SMALL_FONT_SIZE * DISPLAY_PX / MIN_TEXT_PX / 1.05
RANKSEP = 36.0  # points, Graphviz's default 0.5 in between ranks
NODESEP = 18.0  # points, Graphviz's default 0.25 in between nodes of a rank
CHAIN_WEIGHT = 2  # an edge from a value used once pulls twice as hard as one from a shared value


def chain_edges(tails: Sequence[Hashable]) -> list[bool]:
    """For each edge (given by its tail), whether its tail has no other out-edge.

    Those edges get ``weight=CHAIN_WEIGHT``: the layout keeps a value used once beside the op
    that uses it, instead of beside a shared weight that also feeds that op.
    """
    uses = Counter(tails)
    return [uses[tail] == 1 for tail in tails]


def ranks_from_output(parents: Sequence[Sequence[int]], order: Sequence[int]) -> list[int]:
    """Each node's rank as the layout tends to place it: its longest distance from the output.

    ``parents[i]`` lists node ``i``'s parents; ``order`` has every node after its parents.
    """
    rank = [0] * len(parents)
    for i in reversed(order):
        for p in parents[i]:
            if rank[i] + 1 > rank[p]:
                rank[p] = rank[i] + 1
    return rank


def extents(ranks: Sequence[int], widths: Sequence[float], heights: Sequence[float]) -> dict:
    """Estimated (width, height) in points of the drawing left-to-right and top-to-bottom."""
    count = max(ranks, default=0) + 1
    max_w, max_h = [0.0] * count, [0.0] * count
    sum_w, sum_h = [0.0] * count, [0.0] * count
    for r, w, h in zip(ranks, widths, heights):
        max_w[r] = max(max_w[r], w)
        max_h[r] = max(max_h[r], h)
        sum_w[r] += w + NODESEP
        sum_h[r] += h + NODESEP
    between = RANKSEP * (count - 1)
    return {
        "LR": (sum(max_w) + between, max(sum_h, default=0.0)),
        "TB": (max(sum_w, default=0.0), sum(max_h) + between),
    }


def choose_rankdir(ranks: Sequence[int], widths: Sequence[float], heights: Sequence[float]) -> str:
    """ "LR" when the left-to-right drawing keeps text readable at 900 px, else the narrower."""
    sizes = extents(ranks, widths, heights)
    if sizes["LR"][0] <= READABLE_WIDTH:
        return "LR"
    return "TB" if sizes["TB"][0] < sizes["LR"][0] else "LR"


def collapsed_source(
    ops: Sequence[str], parents: Sequence[Sequence[int]], note: str, rankdir: str
) -> str:
    """A DOT graph of op kinds: one box per kind with its count, edges between kinds, a note."""
    counts = Counter(ops)
    names = {op: f"k{i}" for i, op in enumerate(counts)}
    edges: Counter[tuple[str, str]] = Counter()
    for i, ps in enumerate(parents):
        for p in ps:
            edges[(names[ops[p]], names[ops[i]])] += 1
    lines = [
        "digraph {",
        f'\tgraph [rankdir={rankdir} labelloc=t fontname="{FONT}" fontsize=12 '
        f"label=<{html_text(note)}>]",
        f'\tnode [shape=box style="rounded,filled" fillcolor=gray96 fontname="{FONT}" '
        f"fontsize={FONT_SIZE:g}]",
        f'\tedge [fontname="{FONT}" fontsize=10 arrowsize=0.6]',
    ]
    for op, name in names.items():
        label = f"{op} × {counts[op]:,}" if counts[op] > 1 else op
        lines.append(f"\t{name} [label=<{html_text(label)}>]")
    for (a, b), n in edges.items():
        extra = f" label=<{n:,}>" if n > 1 else ""
        lines.append(f"\t{a} -> {b} [{extra.strip()}]")
    lines.append("}")
    return "\n".join(lines) + "\n"

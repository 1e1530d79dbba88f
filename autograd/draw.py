"""Draw computation graphs: DOT text built here, laid out and rendered by a program.

The renderer is Graphviz's ``dot`` when it is on PATH, else the ``graphviz-pure`` program (a pip
dependency, so SVG and PNG work without a system Graphviz; PDF is a PNG on a page, see
``draw_render``). The DOT source is always available, renderer or not.

What a drawing shows:

- **Value graphs**: one box per Value (label, data, grad). A computed Value's box starts with
  one cell per input holding the local gradient ``× ∂out/∂input``, and the input's edge enters
  *that* cell (a port), so converging edges cannot be mismatched; then the op.
- **Names**: a computed Value's ``label`` is a cell of its box; a computed Tensor's ``name``
  heads its op box ("h2 = tanh"). Set it after the op, ``h.name = "h2"``: the name stays on
  that object through ``retain_grad`` and in-place ops (after ``h += 1`` it names the sum).
- **Tensor graphs**: op boxes with the output's shape, leaves with names, shapes and gradient
  norms; each op's input cells hold the vector-Jacobian rule the op applies to that input
  (``gradient_rules.local_rule``) and, where that input's gradient is known, its shape and norm.
- **Replay** (``step=k``): the graph after the engine's first ``k`` backward steps: the node
  being processed highlighted, the upstream gradient it got, each local gradient ``→`` the
  product it hands that parent, gradients known so far (partial sums marked "so far").

Readable at any size, within a time bound (measured with graphviz-pure): the direction is chosen
from the graph's shape (``draw_layout``); boxes are sized for DejaVu Sans (``draw_text``); an
edge label in the middle of an edge doubles the layout's ranks (a 150-node graph took 20 s), so
labels live in ports instead; time order (a value used once sits beside its use, in-edges in
input order, see ``draw_layout``) keeps an unrolled loop's steps in sequence; a leaf used by
many ops (one ``x`` in 1,250 products) is drawn once per use, marked "(used 1,250×)", so no
edge crosses every rank; ``nslimit`` bounds the network-simplex passes of large graphs; a
layout still past ``LAYOUT_SECONDS`` is stopped and the graph drawn rolled up by op, with a
note and a warning.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from chaingrad.autograd.draw_graph import LAYOUT_SECONDS, GraphDrawing
from chaingrad.autograd.draw_layout import (
    CHAIN_WEIGHT,
    READABLE_WIDTH,
    chain_edges,
    choose_rankdir,
    collapsed_source,
    extents,
    ranks_from_output,
)
from chaingrad.autograd.draw_render import (
    FORMATS,
    RendererNotFoundError,
    find_renderer,
    render,
    resolve_format,
)
from chaingrad.autograd.draw_replay import (
    BackwardReplay,
    Recording,
    check_step,
    record_backward,
)
from chaingrad.autograd.draw_text import (
    FONT,
    FONT_SIZE,
    SMALL_FONT_SIZE,
    fmt,
    html_text,
    text_width,
    truncate,
)
from chaingrad.autograd.engine import topological_order
from chaingrad.autograd.gradient_rules import local_rule

if TYPE_CHECKING:
    from chaingrad.autograd.tensor import Tensor
    from chaingrad.autograd.value import Value

__all__ = [
    "FORMATS",
    "LAYOUT_SECONDS",
    "BackwardReplay",
    "GraphDrawing",
    "RendererNotFoundError",
    "draw_tensor_graph",
    "draw_value_graph",
    "find_renderer",
    "fmt",
    "record_text",
    "render",
    "replay_tensor_graph",
    "replay_value_graph",
]

LARGE_GRAPH = 300  # drawn nodes; above this, bound the layout's network-simplex passes
COLLAPSE_ABOVE = 4_000  # drawn nodes; above this the layout cannot finish in seconds: roll up
REUSED = 4  # a leaf used by more ops than this is drawn once per use
DEFAULT_MAX_LABEL = 40  # characters per label line

PAD = 3  # cell padding, points
CURRENT = "#ffe082"  # the node the engine is processing
DONE = "#e8f5e9"  # nodes whose gradient is complete
INPUT_CELL = "#eef3fb"  # local-gradient cells
HOT_EDGE = "#d84315"  # the products the current step hands on

# ---------------------------------------------------------------------------- shared helpers


def record_text(text: str) -> str:
    """Escape the characters that structure a DOT record label."""
    for special in "\\{}|<>":
        text = text.replace(special, "\\" + special)
    return text


def _check_options(rankdir: str | None, size: Any, max_label: int | None) -> str | None:
    """Validate the drawing options; return ``size`` as Graphviz's "w,h" (inches) or None."""
    if rankdir is not None and rankdir not in ("LR", "TB"):
        raise ValueError(f'draw: rankdir must be "LR" or "TB", got {rankdir!r}')
    if max_label is not None and (isinstance(max_label, bool) or not isinstance(max_label, int)):
        raise TypeError(f"draw: max_label must be an int or None, got {type(max_label).__name__}")
    truncate("", max_label)  # checks the bound
    if size is None:
        return None
    if isinstance(size, str):
        return size
    if isinstance(size, int | float) and not isinstance(size, bool) and size > 0:
        return f"{size:g},{size:g}"
    if (
        isinstance(size, tuple | list)
        and len(size) == 2
        and all(isinstance(s, int | float) and s > 0 for s in size)
    ):
        return f"{size[0]:g},{size[1]:g}"
    raise ValueError(
        f'draw: size must be inches (w, h), one number or a "w,h" string, got {size!r}'
    )


def _cell(
    text: str, port: str | None = None, span: str = "", size: float = FONT_SIZE, **attrs: str
) -> str:
    """One HTML-like table cell, wide enough for ``text`` in DejaVu Sans (non-ASCII included)."""
    lines = text.split("\n")
    width = max(text_width(line, size) for line in lines) + 2 * PAD + 4
    extra = "".join(f' {k.upper()}="{v}"' for k, v in attrs.items() if v)
    port_attr = f' PORT="{port}"' if port else ""
    body = html_text(text)
    if size != FONT_SIZE and body:  # an empty <FONT></FONT> is a syntax error to Graphviz
        body = f'<FONT POINT-SIZE="{size:g}">{body}</FONT>'
    return f'<TD{port_attr}{span}{extra} WIDTH="{math.ceil(width)}">{body}</TD>'


def _table(rows: list[str], bgcolor: str = "", border: int = 0) -> str:
    color = f' BGCOLOR="{bgcolor}"' if bgcolor else ""
    return (
        f'<<TABLE BORDER="{border}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="{PAD}"{color}>'
        + "".join(f"<TR>{row}</TR>" for row in rows)
        + "</TABLE>>"
    )


def _node_table(
    inputs: list[str], body: list[tuple[str, dict[str, str]]], rankdir: str, **style: Any
) -> tuple[str, float, float]:
    """A node as a table: input cells (ports i0, i1, ...) on the side edges come from, then body.

    Left to right the inputs are a column on the left and the body cells follow in one row;
    top to bottom the inputs are a row on top and the body cells are stacked under it.
    Returns the label and the estimated (width, height) in points.
    """
    n = len(inputs)
    row_h = FONT_SIZE * 1.25 + 2 * PAD + 2
    in_cells = [
        _cell(text, f"i{k}", bgcolor=INPUT_CELL, size=SMALL_FONT_SIZE)
        for k, text in enumerate(inputs)
    ]
    in_w = max((text_width(t.split("\n")[0], SMALL_FONT_SIZE) for t in inputs), default=0.0)
    body_ws = [max(text_width(line) for line in text.split("\n")) + 2 * PAD + 4 for text, _ in body]
    lines = max((text.count("\n") + 1 for text, _ in body), default=1)
    if rankdir == "LR":
        span = f' ROWSPAN="{n}"' if n > 1 else ""
        cells = "".join(_cell(text, span=span, **attrs) for text, attrs in body)
        rows = [(in_cells[0] if n else "") + cells, *in_cells[1:]]
        width = in_w + 2 * PAD + 4 + sum(body_ws)
        height = max(n * row_h, lines * row_h)
    else:
        span = f' COLSPAN="{n}"' if n > 1 else ""
        rows = (["".join(in_cells)] if n else []) + [
            _cell(text, span=span, **attrs) for text, attrs in body
        ]
        width = max(n * (in_w + 2 * PAD + 4), max(body_ws, default=0.0))
        height = (len(body) + (1 if n else 0)) * row_h
    return _table(rows, **style), width, height


def _box(text: str, **attrs: str) -> tuple[str, float, float]:
    """A plain box node's attributes (a quoted DOT label) and its (width, height) in points.

    Its width is set from DejaVu Sans's advances (graphviz-pure under-sizes non-ASCII text).
    """
    width = max(text_width(line) for line in text.split("\n")) + 16  # margin 0.11 in each side
    height = (text.count("\n") + 1) * FONT_SIZE * 1.2 + 8
    quoted = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    extra = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    shape = "" if "shape" in attrs else "shape=box "
    return f'label="{quoted}" {shape}{extra} width={max(width, 54) / 72:.3f}', width, height


def _head(tail: str, head: str, port: int | None, rankdir: str, **attrs: str) -> str:
    """An edge line; into input cell ``port`` from the side the layout brings edges in."""
    side = "w" if rankdir == "LR" else "n"
    target = f"{head}:i{port}:{side}" if port is not None else head
    extra = " ".join(f'{k}="{v}"' for k, v in attrs.items() if v)
    return f"\t{tail} -> {target}" + (f" [{extra}]" if extra else "")


def _edge_lines(edges: list[tuple[str, str, int | None, bool]], rankdir: str) -> list[str]:
    """DOT lines of (tail, head, input port, hot) edges; one from a value used once is tight."""
    lines = []
    for (tail, head, port, hot), tight in zip(edges, chain_edges([e[0] for e in edges])):
        attrs = {"color": HOT_EDGE, "penwidth": "2"} if hot else {}
        if tight:
            attrs["weight"] = str(CHAIN_WEIGHT)
        lines.append(_head(tail, head, port, rankdir, **attrs))
    return lines


def _header(rankdir: str, size: str | None, drawn: int, ordered: bool = False) -> list[str]:
    graph = [f"rankdir={rankdir}", f'fontname="{FONT}"']
    if size:
        graph.append(f'size="{size}"')
    if drawn > LARGE_GRAPH:
        # bound the network-simplex and crossing-minimisation passes: seconds, not minutes
        graph += ["nslimit=1", "mclimit=0.1"]
    elif ordered:
        # each node's in-edges arrive in the order of its input cells (draw_layout); it costs
        # up to half again the layout time, so only graphs that lay out in a blink get it
        graph.append("ordering=in")
    return [
        "digraph {",
        "\tgraph [" + " ".join(graph) + "]",
        f'\tnode [shape=plain fontname="{FONT}" fontsize={FONT_SIZE:g}]',
        f'\tedge [fontname="{FONT}" fontsize={SMALL_FONT_SIZE:g} arrowsize=0.6]',
    ]


def _estimate(
    drawn: list[tuple[int, float, float]], edges: list[tuple[int, int]], rankdir: str | None
) -> tuple[str, float]:
    """(direction, estimated width in points of the drawing in that direction)."""
    parents: list[list[int]] = [[] for _ in drawn]
    for tail, head in edges:
        parents[head].append(tail)
    order = _order_of(parents)
    ranks = ranks_from_output(parents, order)
    widths, heights = [w for _, w, _ in drawn], [h for _, _, h in drawn]
    chosen = rankdir or choose_rankdir(ranks, widths, heights)
    return chosen, extents(ranks, widths, heights)[chosen][0]


def _unreadable(drawn: list[Any], width: float, rankdir: str | None) -> bool:
    """A large graph (chosen direction, not asked for) too wide to read at 900 px: roll it up."""
    return rankdir is None and len(drawn) > LARGE_GRAPH and width > READABLE_WIDTH


def _order_of(parents: list[list[int]]) -> list[int]:
    """A topological order of drawn nodes (parents first), iteratively."""
    seen = [False] * len(parents)
    order: list[int] = []
    for start in range(len(parents)):
        if seen[start]:
            continue
        seen[start] = True
        stack = [(start, iter(parents[start]))]
        while stack:
            node, it = stack[-1]
            for p in it:
                if not seen[p]:
                    seen[p] = True
                    stack.append((p, iter(parents[p])))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _finish(
    drawing: GraphDrawing, path: str | os.PathLike[str] | None, chosen: str
) -> GraphDrawing:
    if path is not None:
        drawing.save(path, chosen)
    return drawing


def _collapse_for(nodes: list[Any], kind: Any, rankdir: str) -> Any:
    """A function making the rolled-up DOT of ``nodes`` (op kinds) under a note."""
    index = {id(n): i for i, n in enumerate(nodes)}
    parents = [[index[id(p)] for p in n._parents] for n in nodes]
    ops = [kind(n) for n in nodes]
    return lambda note: collapsed_source(ops, parents, note, rankdir)


# ---------------------------------------------------------------------------- Value graphs


def draw_value_graph(
    root: Value,
    path: str | os.PathLike[str] | None = None,
    format: str | None = None,  # noqa: A002
    *,
    rankdir: str | None = None,
    size: Any = None,
    max_label: int | None = DEFAULT_MAX_LABEL,
    step: int | None = None,
    recording: Recording | None = None,
) -> GraphDrawing:
    """Draw a Value graph (see the module docstring); ``step=k`` draws backward's k-th step."""
    chosen = resolve_format(path, format)
    size_attr = _check_options(rankdir, size, max_label)
    nodes = topological_order(root)
    state = _ReplayState.of(root, step, recording, lambda _: 1.0)
    index = {id(n): i for i, n in enumerate(nodes)}
    uses = Counter(index[id(p)] for n in nodes for p in n._parents)
    copied = {i for i, n in enumerate(nodes) if not n._parents and uses[i] > REUSED}

    def grad_text(node: Value) -> str:
        if state is None:
            return f"grad {fmt(node.grad)}"
        return state.grad_text(node, lambda g: fmt(float(g)))

    def body(node: Value, title: str) -> list[tuple[str, dict[str, str]]]:
        cells = [(title, {})] if title else []
        return [*cells, (f"data {fmt(node.data)}", {}), (grad_text(node), {})]

    drawn: list[tuple[int, float, float]] = []  # (node index, width, height) per drawn box
    labels: list[tuple[str, str]] = []  # (name, label)
    edges: list[tuple[int, int]] = []  # drawn tail -> drawn head
    edge_info: list[tuple[int, int, int | None, bool]] = []
    box_of: dict[int, int] = {}
    rankdir_final = rankdir or "LR"
    for rankdir_pass in ("estimate", "final"):
        direction = "LR" if rankdir_pass == "estimate" else rankdir_final
        drawn, labels, edges, edge_info, box_of = [], [], [], [], {}
        for i, node in enumerate(nodes):
            if i in copied:
                continue
            style = state.style(node) if state is not None else {}
            title = truncate(node.label, max_label)
            inputs: list[str] = []
            if node._parents:
                products = state.products(node) if state is not None else None
                for k, local in enumerate(node._local):
                    text = f"× {fmt(local)}"
                    if products is not None:
                        text += f" → {fmt(float(products[k]))}"
                    inputs.append(text)
                op = (node._op, {"bgcolor": "#fff8e1"})
                cells = [op, *body(node, title)]
            else:
                cells = body(node, title or "")
            if node is root and state is None:
                style = {"border": 2}
            label, w, h = _node_table(inputs, cells, direction, **style)
            box_of[i] = len(drawn)
            drawn.append((i, w, h))
            labels.append((f"v{i}", label))
        for i, node in enumerate(nodes):
            hot = state is not None and state.is_current(node)
            for k, parent in enumerate(node._parents):
                p = index[id(parent)]
                if p in copied:  # a copy of the reused leaf beside this use
                    name = f"v{p}_{i}_{k}"
                    title = truncate(
                        f"{parent.label or fmt(parent.data)} (used {uses[p]:,}×)", max_label
                    )
                    style = state.style(parent) if state is not None else {}
                    label, w, h = _node_table([], body(parent, title), direction, **style)
                    box_of_copy = len(drawn)
                    drawn.append((p, w, h))
                    labels.append((name, label))
                    edges.append((box_of_copy, box_of[i]))
                    edge_info.append((box_of_copy, box_of[i], k, hot))
                else:
                    edges.append((box_of[p], box_of[i]))
                    edge_info.append((box_of[p], box_of[i], k, hot))
        if rankdir_pass == "estimate":
            rankdir_final, width = _estimate(drawn, edges, rankdir)
    lines = _header(rankdir_final, size_attr, len(drawn))
    lines += [f"\t{name} [label={label}]" for name, label in labels]
    names = [name for name, _ in labels]
    lines += _edge_lines(
        [(names[t], names[h], port, hot) for t, h, port, hot in edge_info], rankdir_final
    )
    lines.append("}")
    source = "\n".join(lines) + "\n"
    drawing = GraphDrawing(
        source,
        len(drawn),
        collapse=_collapse_for(
            nodes, lambda n: n._op or ("input" if n.label else "constant"), rankdir_final
        ),
    )
    if len(drawn) > COLLAPSE_ABOVE:
        drawing._fall_back(f"more than the {COLLAPSE_ABOVE:,} a layout finishes in seconds")
    elif _unreadable(drawn, width, rankdir):
        drawing._fall_back(f"about {width:,.0f} pt wide, too wide to read at 900 px")
    return _finish(drawing, path, chosen)


def replay_value_graph(root: Value, **options: Any) -> BackwardReplay:
    """The backward pass from ``root`` as a replay of drawings (``Value.backward_replay``)."""
    recording = record_backward(root, 1.0)
    titles = _titles(recording, lambda n: n.label or n._op or fmt(n.data), lambda g: fmt(float(g)))
    return BackwardReplay(
        lambda k: draw_value_graph(root, step=k, recording=recording, **options),
        len(recording.steps),
        titles,
    )


# ---------------------------------------------------------------------------- replay state


class _ReplayState:
    """What a replay frame shows: gradients known after ``step`` steps, the current node."""

    def __init__(self, recording: Recording, step: int) -> None:
        self.step = step
        self.known = recording.state(step)
        self.partial = recording.partial(step)
        self.current = recording.steps[step - 1].node if step else None
        self.handed = {id(s.node): s.parent_grads for s in recording.steps[:step]}

    @classmethod
    def of(
        cls, root: Any, step: int | None, recording: Recording | None, seed: Any
    ) -> _ReplayState | None:
        """The state for ``step`` (None without a step); ``seed(root)`` starts a new recording."""
        if step is None:
            return None
        recording = recording if recording is not None else record_backward(root, seed(root))
        check_step(step, recording)
        return cls(recording, step)

    def is_current(self, node: Any) -> bool:
        return node is self.current

    def style(self, node: Any) -> dict[str, Any]:
        if node is self.current:
            return {"bgcolor": CURRENT, "border": 2}
        if id(node) in self.known:
            return {"bgcolor": DONE}
        return {}

    def products(self, node: Any) -> tuple[Any, ...] | None:
        return self.handed.get(id(node))

    def grad_text(self, node: Any, show: Any) -> str:
        if id(node) in self.known:
            text = f"grad {show(self.known[id(node)])}"
            return text + " (upstream)" if node is self.current and node._parents else text
        if id(node) in self.partial:
            return f"grad {show(self.partial[id(node)])} so far"
        return "grad ?"


def _titles(recording: Recording, name: Any, show: Any) -> list[str]:
    """One caption per picture: before the pass, then what each step did."""
    n = len(recording.steps)
    titles = [f"step 0 of {n}: before the backward pass, no gradients"]
    for k, s in enumerate(recording.steps, start=1):
        what = (
            "adds it to its grad (a leaf)"
            if not s.node._parents
            else "hands grad × local to its inputs"
        )
        titles.append(f"step {k} of {n}: {name(s.node)} gets grad {show(s.grad)} and {what}")
    return titles


# ---------------------------------------------------------------------------- Tensor graphs


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _norm(grad: Any) -> float:
    array = grad.numpy() if hasattr(grad, "numpy") else np.asarray(grad)
    return float(np.linalg.norm(array))


def _grad_text(tensor: Tensor) -> str:
    if tensor.grad is None:
        return ""
    return f"\n‖grad‖ {fmt(_norm(tensor.grad))}"


def draw_tensor_graph(
    root: Tensor,
    path: str | os.PathLike[str] | None = None,
    format: str | None = None,  # noqa: A002
    groups: dict[int, str] | None = None,
    *,
    rankdir: str | None = None,
    size: Any = None,
    max_label: int | None = DEFAULT_MAX_LABEL,
    step: int | None = None,
    recording: Recording | None = None,
    group_style: dict[str, dict[str, str]] | None = None,
    group_parent: dict[str, str] | None = None,
    group_edges: list[tuple[str, str]] | None = None,
) -> GraphDrawing:
    """Draw a Tensor graph: ops with output shapes; leaves with names, shapes and grad norms.

    Each edge into an op enters the op's cell for that input, which holds the op's
    vector-Jacobian rule for it and, where the input's gradient is known, its shape and norm.
    ``groups`` maps ``id(tensor)`` to a label: every tensor of one group is drawn as a single
    box with that label (a module, say), so a large network stays readable. ``group_style``
    gives graphviz attributes per label (a heat colour); a label found only there is a box
    with no tensors (a legend, an input). ``group_parent`` draws a label inside the cluster of
    another (nested modules); ``group_edges`` joins two labels.
    """
    chosen = resolve_format(path, format)
    size_attr = _check_options(rankdir, size, max_label)
    nodes = topological_order(root)
    groups = groups or {}
    state = _ReplayState.of(root, step, recording, _tensor_seed)
    group_style = group_style or {}
    group_parent = group_parent or {}
    clusters = set(group_parent.values())  # labels that enclose others are clusters, not boxes
    group_labels = [g for g in dict.fromkeys([*groups.values(), *group_style]) if g not in clusters]
    group_names = {label: f"g{i}" for i, label in enumerate(group_labels)}

    def known_grad(t: Tensor) -> Any:
        if state is not None:
            return state.known.get(id(t))
        return t.grad

    def leaf_text(t: Tensor, what: str) -> str:
        dtype = "" if t.dtype == np.float32 else f" {t.dtype}"
        text = f"{truncate(t.name or what, max_label)}\n{_shape_text(t.shape)}{dtype}"
        if state is not None:
            return text + (
                "\n" + state.grad_text(t, lambda g: f"‖{fmt(_norm(g))}‖") if t.requires_grad else ""
            )
        return text + (_grad_text(t) if t.requires_grad else "")

    def source_of(t: Tensor) -> str:
        return group_names[groups[id(t)]] if id(t) in groups else f"t{index[id(t)]}"

    index = {id(n): i for i, n in enumerate(nodes)}
    state_current = state.current if state is not None else None
    rankdir_final = rankdir or "LR"
    for direction_pass in ("estimate", "final"):
        direction = "LR" if direction_pass == "estimate" else rankdir_final
        boxes: dict[str, tuple[str, float, float]] = {}  # name -> (label or attrs, w, h)
        edges: list[tuple[str, str, int | None, bool]] = []
        seen_edges: set[tuple[str, str]] = set()
        for label, name in group_names.items():
            text = truncate(label.replace("\\n", "\n"), max_label)
            look = {"shape": "box3d", "style": "filled", "fillcolor": "lightyellow"}
            boxes[name] = _box(text, **{**look, **group_style.get(label, {})})
        for source, target in group_edges or ():
            pair = (group_names[source], group_names[target])
            if pair not in seen_edges:
                seen_edges.add(pair)
                edges.append((*pair, None, False))
        for node in nodes:
            if id(node) in groups:
                target = group_names[groups[id(node)]]
                for parent in node._parents:
                    source = source_of(parent)
                    if source != target and (source, target) not in seen_edges:
                        seen_edges.add((source, target))
                        edges.append((source, target, None, False))
                continue
            name = f"t{index[id(node)]}"
            dtype = "" if node.dtype == np.float32 else f" {node.dtype}"
            if node._parents:
                style = (
                    state.style(node)
                    if state is not None
                    else ({"border": 2} if node is root else {})
                )
                handed = state.products(node) if state is not None else None
                inputs = []
                for k, parent in enumerate(node._parents):
                    rule = local_rule(node._op, k, len(node._parents))
                    if handed is not None:
                        g = handed[k] if k < len(handed) else None
                    else:
                        g = known_grad(parent)
                    info = (
                        f"{_shape_text(tuple(parent.shape))} ‖{fmt(_norm(g))}‖"
                        if g is not None
                        else ""
                    )
                    arrow = "→ " if handed is not None and info else ""
                    inputs.append("\n".join(t for t in (rule, arrow + info) if t))
                if not any(inputs):
                    inputs = []
                # a named result shows its name before the op ("h2 = tanh"), as code reads
                what = f"{node.name} = {node._op}" if node.name else node._op
                text = f"{truncate(what, max_label)}\n{_shape_text(node.shape)}{dtype}"
                if state is not None:
                    if id(node) in state.known or id(node) in state.partial:
                        text += "\n" + state.grad_text(node, lambda g: f"‖{fmt(_norm(g))}‖")
                else:
                    text += _grad_text(node)
                label, w, h = _node_table(
                    inputs, [(text, {"bgcolor": "#fff8e1"})], direction, **style
                )
                boxes[name] = (f"label={label}", w, h)
                hot = state is not None and state.is_current(node)
                for k, parent in enumerate(node._parents):
                    source = source_of(parent)
                    if (source, f"{name}:{k}") not in seen_edges:
                        seen_edges.add((source, f"{name}:{k}"))
                        edges.append((source, name, k if inputs else None, hot))
            else:
                what = "tensor" if node.requires_grad else "const"
                fill = "lightblue" if node.requires_grad else "gray92"
                style = state.style(node) if state is not None else {}
                colors = {"fillcolor": style.get("bgcolor", fill)}
                if not node.requires_grad:
                    colors["fontcolor"] = "gray30"
                if node is state_current:
                    colors["penwidth"] = "2"
                boxes[name] = _box(leaf_text(node, what), style="filled", **colors)
        names = list(boxes)
        position = {n: i for i, n in enumerate(names)}
        if direction_pass == "estimate":
            drawn = [(i, boxes[n][1], boxes[n][2]) for i, n in enumerate(names)]
            pairs = [
                (position[t], position[h])
                for t, h, _, _ in edges
                if t in position and h in position
            ]
            rankdir_final, width = _estimate(drawn, pairs, rankdir)
    lines = _header(rankdir_final, size_attr, len(boxes), ordered=True)
    enclosing = {group_names[g]: group_parent[g] for g in group_names if g in group_parent}
    lines += [
        f"\t{name} [{attrs}]" for name, (attrs, _, _) in boxes.items() if name not in enclosing
    ]
    lines += _clusters(boxes, enclosing, group_parent, group_style)
    lines += _edge_lines(edges, rankdir_final)
    lines.append("}")
    drawing = GraphDrawing(
        "\n".join(lines) + "\n",
        len(boxes),
        collapse=_collapse_for(
            nodes,
            lambda n: n._op or (n.name or ("parameter" if n.requires_grad else "constant")),
            rankdir_final,
        ),
    )
    if len(boxes) > COLLAPSE_ABOVE:
        drawing._fall_back(f"more than the {COLLAPSE_ABOVE:,} a layout finishes in seconds")
    elif _unreadable(list(boxes), width, rankdir):
        drawing._fall_back(f"about {width:,.0f} pt wide, too wide to read at 900 px")
    return _finish(drawing, path, chosen)


def _clusters(
    boxes: dict[str, tuple[str, float, float]],
    enclosing: dict[str, str],
    group_parent: dict[str, str],
    group_style: dict[str, dict[str, str]],
) -> list[str]:
    """DOT lines of the module clusters: each holds its boxes and its nested clusters."""
    members: dict[str | None, list[str]] = {}
    for name, label in enclosing.items():
        members.setdefault(label, []).append(name)
    children: dict[str | None, list[str]] = {}
    for label in dict.fromkeys(group_parent.values()):
        children.setdefault(group_parent.get(label), []).append(label)
    lines: list[str] = []

    def declare(label: str, depth: int) -> None:
        indent = "\t" * depth
        quoted = label.replace("\\n", "\n").replace("\\", "\\\\").replace('"', '\\"')
        quoted = quoted.replace("\n", "\\n")
        look = {"style": "rounded,filled", "fillcolor": "lightyellow", **group_style.get(label, {})}
        lines.append(f"{indent}subgraph cluster_{len(lines)} {{")
        lines.append(f'{indent}\tlabel="{quoted}"')
        lines.extend(f'{indent}\t{k}="{v}"' for k, v in look.items())
        lines.extend(f"{indent}\t{name} [{boxes[name][0]}]" for name in members.get(label, ()))
        for child in children.get(label, ()):
            declare(child, depth + 1)
        lines.append(f"{indent}}}")

    for top in children.get(None, ()):
        declare(top, 1)
    return lines


def replay_tensor_graph(root: Tensor, **options: Any) -> BackwardReplay:
    """The backward pass from a one-element ``root`` as a replay (``Tensor.backward_replay``)."""
    recording = record_backward(root, _tensor_seed(root))
    show = lambda g: f"‖{fmt(_norm(g))}‖"  # noqa: E731
    titles = _titles(recording, lambda t: t.name or t._op or "tensor", show)
    return BackwardReplay(
        lambda k: draw_tensor_graph(root, step=k, recording=recording, **options),
        len(recording.steps),
        titles,
    )


def _tensor_seed(root: Tensor) -> np.ndarray:
    """The seed ``backward()`` uses: ones, for an output of one element that requires grad."""
    if not root.requires_grad:
        raise RuntimeError(
            "draw: this tensor does not require grad, so it has no backward pass to replay"
        )
    if root.numel() != 1:
        raise RuntimeError(
            "draw: a replay starts from a one-element output; this one has shape "
            f"{tuple(root.shape)} (reduce it first, e.g. .sum())"
        )
    return np.ones_like(root.numpy())

"""Draw computation graphs as SVG: DOT built with the ``graphviz`` package, rendered by a program.

The renderer is Graphviz's ``dot`` when it is on PATH, else the ``graphviz-pure`` program (a pip
dependency, so SVG works on a fresh machine without a system Graphviz). The DOT source is always
available, renderer or not.

Layout notes, measured with graphviz-pure: an edge label in the middle of an edge doubles the
layout's ranks and made a 150-node graph take 20 s, so a local gradient is written as the
edge's *head* label, next to the op that recorded it; ``nslimit`` bounds the network-simplex
passes for large graphs. Graphs of a few thousand nodes then render in seconds; a single input
reused by hundreds of ops far apart (long edges across every rank) is still slow to lay out.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chaingrad.autograd.engine import topological_order
from chaingrad.autograd.files import write_bytes, write_text

if TYPE_CHECKING:
    from chaingrad.autograd.tensor import Tensor
    from chaingrad.autograd.value import Value

FORMATS = ("svg", "png", "dot")
LARGE_GRAPH = 300  # nodes; above this, bound the layout's network-simplex passes
MAX_NODES = 20_000  # beyond this a picture is unreadable and layout takes minutes


class RendererNotFoundError(RuntimeError):
    """Neither Graphviz's ``dot`` nor ``graphviz-pure`` could be found."""


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


def render(source: str, format: str = "svg") -> bytes:  # noqa: A002
    """Lay out and render DOT ``source`` into ``format`` ("svg" or "png") bytes."""
    program = find_renderer()
    result = subprocess.run(
        [program, f"-T{format}"], input=source.encode(), capture_output=True, check=False
    )
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"draw: {Path(program).name} failed to render the graph: {message}")
    return result.stdout


class GraphDrawing:
    """A drawn graph: shows inline in Jupyter, ``.svg`` is the picture, ``.source`` the DOT."""

    def __init__(self, source: str, num_nodes: int) -> None:
        self.source = source
        self.num_nodes = num_nodes
        self._svg: str | None = None

    @property
    def svg(self) -> str:
        """The SVG text (rendered on first use)."""
        if self._svg is None:
            self._svg = render(self.source, "svg").decode()
        return self._svg

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | os.PathLike[str], format: str = "svg") -> Path:  # noqa: A002
        """Write the graph as ``format`` (svg, png or dot); a missing suffix is added."""
        _check_format(format)
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(f".{format}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if format == "dot":
            write_text(path, self.source)
        elif format == "svg":
            write_text(path, self.svg)
        else:
            write_bytes(path, render(self.source, format))
        return path

    def __repr__(self) -> str:
        return f"GraphDrawing({self.num_nodes} nodes; .svg, .source, .save(path))"


def _check_format(format: str) -> None:  # noqa: A002
    if format not in FORMATS:
        raise ValueError(f"draw: format must be one of {FORMATS}, got {format!r}")


def fmt(x: float) -> str:
    """A number as a picture wants it: four significant digits."""
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return f"{x:.4g}"


def record_text(text: str) -> str:
    """Escape the characters that structure a DOT record label."""
    for special in "\\{}|<>":
        text = text.replace(special, "\\" + special)
    return text


def new_digraph(num_nodes: int) -> Any:
    """A left-to-right ``graphviz.Digraph`` with the layout bounds a graph this size needs."""
    import graphviz  # imported here: `import autograd` stays light

    if num_nodes > MAX_NODES:
        raise ValueError(
            f"draw: the graph has {num_nodes} nodes, more than the {MAX_NODES} a picture can "
            "show; draw a smaller part of it"
        )
    graph_attr = {"rankdir": "LR"}
    if num_nodes > LARGE_GRAPH:
        graph_attr["nslimit"] = "1"
    return graphviz.Digraph(
        graph_attr=graph_attr,
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        # head labels (local gradients) sit beside the arrowhead, not on it
        edge_attr={
            "fontname": "Helvetica",
            "fontsize": "10",
            "arrowsize": "0.6",
            "labeldistance": "2.5",
            "labelangle": "25",
        },
    )


def finish(graph: Any, num_nodes: int, path: str | None, format: str) -> GraphDrawing:  # noqa: A002
    """Wrap a built digraph as a ``GraphDrawing`` and write it to ``path`` when one is given."""
    _check_format(format)
    drawing = GraphDrawing(graph.source, num_nodes)
    if path is not None:
        drawing.save(path, format)
    return drawing


def draw_value_graph(root: Value, path: str | None = None, format: str = "svg") -> GraphDrawing:  # noqa: A002
    """Draw a Value graph: records (label | data | grad), op nodes, local gradients on edges."""
    nodes = topological_order(root)
    graph = new_digraph(2 * len(nodes))
    names = {id(node): f"v{i}" for i, node in enumerate(nodes)}
    for node in nodes:
        name = names[id(node)]
        label = f"{{ {record_text(node.label)} | data {fmt(node.data)} | grad {fmt(node.grad)} }}"
        style = {"penwidth": "2"} if node is root else {}
        graph.node(name, label=label, shape="record", **style)
        if node._parents:
            op_name = f"{name}_op"
            graph.node(op_name, label=node._op, shape="ellipse")
            graph.edge(op_name, name)
            for parent, local in zip(node._parents, node._local):
                # the edge carries ∂node/∂parent, recorded by the op in the forward pass
                graph.edge(names[id(parent)], op_name, headlabel=fmt(local), fontcolor="blue")
    return finish(graph, 2 * len(nodes), path, format)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _grad_text(tensor: Tensor) -> str:
    if tensor.grad is None:
        return ""
    return f"\\n‖grad‖ {fmt(float(np.linalg.norm(tensor.grad.numpy())))}"


def draw_tensor_graph(
    root: Tensor,
    path: str | None = None,
    format: str = "svg",  # noqa: A002
    groups: dict[int, str] | None = None,
    group_style: dict[str, dict[str, str]] | None = None,
    group_parent: dict[str, str] | None = None,
    group_edges: list[tuple[str, str]] | None = None,
) -> GraphDrawing:
    """Draw a Tensor graph: ops with output shapes; leaves with names, shapes and grad norms.

    ``groups`` maps ``id(tensor)`` to a label: every tensor of one group is drawn as a single
    box with that label (a module, say), so a large network stays readable. ``group_style``
    gives graphviz attributes per label (a heat colour); a label found only there is a box
    with no tensors (a legend, an input). ``group_parent`` draws a label inside the cluster of
    another (nested modules); ``group_edges`` joins two labels.
    """
    nodes = topological_order(root)
    groups = groups or {}
    graph = new_digraph(len(nodes))
    names = {id(node): f"t{i}" for i, node in enumerate(nodes)}
    group_names = _draw_groups(graph, groups, group_style or {}, group_parent or {})
    edges: set[tuple[str, str]] = set()
    for source, target in group_edges or ():
        if (group_names[source], group_names[target]) not in edges:
            edges.add((group_names[source], group_names[target]))
            graph.edge(group_names[source], group_names[target])
    for node in nodes:
        if id(node) in groups:
            target = group_names[groups[id(node)]]
            for parent in node._parents:
                source = (
                    group_names[groups[id(parent)]] if id(parent) in groups else names[id(parent)]
                )
                if source != target and (source, target) not in edges:
                    edges.add((source, target))
                    graph.edge(source, target)
            continue
        name = names[id(node)]
        shape = _shape_text(node.shape)
        dtype = "" if node.dtype == np.float32 else f" {node.dtype}"
        if node._parents:
            label = f"{node._op}\\n{shape}{dtype}{_grad_text(node)}"
            graph.node(name, label=label, shape="box", style="rounded", **_root_style(node, root))
            for parent in node._parents:
                source = (
                    group_names[groups[id(parent)]] if id(parent) in groups else names[id(parent)]
                )
                if (source, name) not in edges:
                    edges.add((source, name))
                    graph.edge(source, name)
        elif node.requires_grad:  # a parameter or an input we differentiate w.r.t.
            label = f"{node.name or 'tensor'}\\n{shape}{dtype}{_grad_text(node)}"
            graph.node(name, label=label, shape="box", style="filled", fillcolor="lightblue")
        else:  # data or a constant
            label = f"{node.name or 'const'}\\n{shape}{dtype}"
            graph.node(
                name,
                label=label,
                shape="box",
                style="filled",
                fillcolor="gray92",
                fontcolor="gray30",
            )
    return finish(graph, len(nodes), path, format)


def _draw_groups(
    graph: Any,
    groups: dict[int, str],
    style: dict[str, dict[str, str]],
    parent: dict[str, str],
) -> dict[str, str]:
    """Declare the group boxes, each inside the (nested) cluster of its parent label; return
    the DOT node name of every box."""
    clusters = set(parent.values())
    labels = [g for g in dict.fromkeys([*groups.values(), *style]) if g not in clusters]
    box_names = {label: f"g{i}" for i, label in enumerate(labels)}
    inside: dict[str | None, list[str]] = {}
    for label in [*labels, *(c for c in dict.fromkeys(parent.values()))]:
        inside.setdefault(parent.get(label), []).append(label)

    def declare(where: Any, enclosing: str | None) -> None:
        for label in inside.get(enclosing, ()):
            attrs = style.get(label, {})
            if label in box_names:
                box = {"shape": "box3d", "style": "filled", "fillcolor": "lightyellow", **attrs}
                where.node(box_names[label], label=label, **box)
                continue
            with where.subgraph(name=f"cluster_{len(box_names) + len(declared)}") as cluster:
                declared.append(label)
                cluster.attr(
                    **{
                        "label": label,
                        "style": "rounded,filled",
                        "fillcolor": "lightyellow",
                        **attrs,
                    }
                )
                declare(cluster, label)

    declared: list[str] = []
    declare(graph, None)
    return box_names


def _root_style(node: Tensor, root: Tensor) -> dict[str, str]:
    return {"penwidth": "2"} if node is root else {}

"""A tensor graph grouped by the module that produced each node: ``loss.draw(model=m, depth=k)``.

Every tensor carries the module call that made it (``autograd.scopes``, stamped when the
tensor is made). Here a node's box is the innermost module of ``m``'s tree in that chain,
named as ``m.named_modules()`` names it and cut to ``depth`` parts: at depth 1 one box per child
of ``m``, at depth 2 one box per grandchild drawn inside a cluster for its parent. Each box says
``name: Type``, its output shape(s), its parameter count and, after backward, the gradient norm
of its parameters, and is filled by that norm on a log scale (a legend gives the range), so a
vanishing gradient shows at a glance. A module called many times (an RNN cell unrolled over 50
steps, a block applied repeatedly) is one box "× 50 steps": its calls share one name.

Parameters join their module's box; the model's inputs, the loss and ops of ``m``'s own
``forward`` stay individual nodes; integer inputs that are not graph nodes (token ids fed to an
embedding) get an input box of their own. The model is anything with ``named_modules()`` and
``named_parameters()`` (an ``nn.Module``): the engine never imports ``nn``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from chaingrad.autograd.engine import topological_order
from chaingrad.autograd.scopes import Scope

if TYPE_CHECKING:
    from chaingrad.autograd.tensor import Tensor

# the heat scale, cold (smallest gradient norm) to hot; light enough for black text, red rising
# and blue falling along it so the order reads the same in colour and in the numbers
HEAT = ((165, 200, 240), (245, 240, 200), (250, 140, 110))
NO_GRADIENT = "lightyellow"  # a box whose parameters have no gradient (yet)


@dataclass
class ModuleGrouping:
    """What ``draw_tensor_graph`` needs to draw a graph by module.

    ``groups`` maps ``id(tensor)`` to its box's label; ``style`` holds graphviz attributes per
    label (heat colour; boxes with no tensors: the legend, input boxes); ``parent`` puts a box
    or cluster inside the cluster of another label; ``edges`` join boxes that share no tensor
    (an input box to the module that read it). ``norms`` is each module's gradient norm by
    dotted name (None before backward), ``calls`` how many calls each box rolls up.
    """

    groups: dict[int, str] = field(default_factory=dict)
    style: dict[str, dict[str, str]] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # dotted name -> box/cluster label
    norms: dict[str, float | None] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``draw_tensor_graph``."""
        return {
            "groups": self.groups,
            "group_style": self.style,
            "group_parent": self.parent,
            "group_edges": self.edges,
        }


def group_by_module(root: Tensor, model: Any, depth: int = 1) -> ModuleGrouping:
    """Group the graph ending at ``root`` by the modules of ``model``, nested ``depth`` deep."""
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        raise ValueError(f"draw: depth must be a whole number >= 1, got {depth!r}")
    if not (hasattr(model, "named_modules") and hasattr(model, "named_parameters")):
        raise TypeError(
            f"draw: model must be a module (with named_modules() and named_parameters()), "
            f"got {type(model).__name__}"
        )
    modules = dict(model.named_modules())
    name_of = {id(m): name for name, m in modules.items()}
    owner = {
        id(p): name.rpartition(".")[0] for name, p in model.named_parameters() if p is not None
    }
    nodes = topological_order(root)
    consumers: dict[int, list[Tensor]] = {}
    for node in nodes:
        for p in node._parents:
            consumers.setdefault(id(p), []).append(node)

    def cut(name: str) -> str:
        return ".".join(name.split(".")[:depth])

    keys: dict[int, str] = {}  # id(node) -> dotted name of its box ("" is not a box)
    calls: dict[str, set[int]] = {}  # box name -> the distinct calls of its module
    # tensors handed to a drawn module's call -> (tensor, innermost box, handed to the model)
    arguments: dict[int, tuple[Tensor, str, bool]] = {}
    scope_keys: dict[int, str] = {}
    for node in nodes:
        scope = node._scope
        if scope is None:
            continue
        if id(scope) not in scope_keys:
            scope_keys[id(scope)] = _scope_key(scope, name_of, cut, calls, arguments)
        if scope_keys[id(scope)]:
            keys[id(node)] = scope_keys[id(scope)]
    in_graph = {id(n) for n in nodes}
    for node in nodes:  # leaves: parameters join their module, inner constants their user
        if node._parents or id(node) in keys:
            continue
        users = {keys.get(id(c), "") for c in consumers.get(id(node), ())}
        if id(node) in owner and owner[id(node)]:
            keys[id(node)] = cut(owner[id(node)])
        elif (
            len(users) == 1 and "" not in users and (id(node) in owner or id(node) not in arguments)
        ):
            keys[id(node)] = users.pop()

    grouping = ModuleGrouping()
    order = {name: i for i, name in enumerate(modules)}
    names = sorted(set(keys.values()), key=order.__getitem__)
    # a box "a.b" is drawn inside a cluster for "a" (and "a" inside one for its own parent)
    clusters = sorted(
        _with_ancestors({n.rpartition(".")[0] for n in names if "." in n}), key=order.__getitem__
    )
    grouping.norms = {n: _grad_norm(modules[n]) for n in (*names, *clusters)}
    scale = _log_scale([v for v in grouping.norms.values() if v is not None])
    for name in clusters:
        members = [n for n in nodes if _within(keys.get(id(n)), name)]
        label = _label(name, modules[name], members, consumers, root, calls)
        grouping.labels[name] = label
        grouping.style[label] = {"style": "rounded,filled", **_fill(grouping.norms[name], scale)}
        grouping.calls[name] = len(calls.get(name, ()))
        if "." in name:
            grouping.parent[label] = grouping.labels[name.rpartition(".")[0]]
    for name in names:
        members = [n for n in nodes if keys.get(id(n)) == name]
        if name in clusters:  # ops of the module's own forward, beside its children's boxes
            label = _label(name, modules[name], members, consumers, root, calls, own=True)
            grouping.labels[f"{name} (own)"] = label
            grouping.style[label] = {}
            grouping.parent[label] = grouping.labels[name]
        else:
            label = _label(name, modules[name], members, consumers, root, calls)
            grouping.labels[name] = label
            grouping.style[label] = _fill(grouping.norms[name], scale)
            grouping.calls[name] = len(calls.get(name, ()))
            if "." in name:
                grouping.parent[label] = grouping.labels[name.rpartition(".")[0]]
        for n in members:
            grouping.groups[id(n)] = label
    _input_boxes(grouping, arguments, in_graph)
    _root_box(grouping, root)
    if scale is not None:
        low, high = scale
        legend = "heat: ‖grad‖ of each module's parameters\\n" + (
            f"log scale, {_fmt(10**low)} (blue) … {_fmt(10**high)} (red)"
            if high > low
            else f"{_fmt(10**low)} for every module"
        )
        grouping.style[legend] = {"shape": "plaintext", "style": "", "fillcolor": "white"}
    return grouping


def _scope_key(
    scope: Scope,
    name_of: dict[int, str],
    cut: Any,
    calls: dict[str, set[int]],
    arguments: dict[int, tuple[Any, str, bool]],
) -> str:
    """The box of the nodes a call made: its innermost module in the model's tree, cut to the
    drawn depth. On the way, note which calls each drawn module made (its "× n steps") and
    which tensors it was handed (the innermost drawn module that read a tensor wins)."""
    key = None
    for s in scope.chain():
        name = name_of.get(id(s.module))
        if name is None:
            continue
        if key is None:
            key = cut(name)
        if cut(name) != name:  # deeper than the drawing goes
            continue
        if name:
            calls.setdefault(name, set()).add(id(s))
        for a in s.args:
            if not hasattr(a, "_parents"):
                continue
            seen = arguments.get(id(a))
            if seen is None or not seen[1]:
                arguments[id(a)] = (a, name, not name or (seen is not None and seen[2]))
            elif not name:
                arguments[id(a)] = (*seen[:2], True)
    return key or ""


def _within(key: str | None, name: str) -> bool:
    return key is not None and (key == name or key.startswith(name + "."))


def _with_ancestors(names: set[str]) -> set[str]:
    out = set()
    for n in names:
        parts = n.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return out


def _grad_norm(module: Any, recurse: bool = True) -> float | None:
    """The 2-norm of every gradient the module's parameters hold (None: no gradient yet)."""
    total, seen = 0.0, False
    for _, p in module.named_parameters(recurse=recurse):
        if p is not None and p.grad is not None:
            g = p.grad.numpy()
            total += float(np.dot(g.ravel().astype(np.float64), g.ravel().astype(np.float64)))
            seen = True
    return math.sqrt(total) if seen else None


def _log_scale(norms: list[float]) -> tuple[float, float] | None:
    """(log10 of the smallest positive norm, log10 of the largest), or None with no norms."""
    positive = [n for n in norms if n > 0 and math.isfinite(n)]
    if not positive:
        return None
    return math.log10(min(positive)), math.log10(max(positive))


def heat_colour(t: float) -> str:
    """The colour at ``t`` in [0, 1] along the heat scale (0 cold, 1 hot), as ``#rrggbb``."""
    t = min(1.0, max(0.0, t))
    i = min(int(t * (len(HEAT) - 1)), len(HEAT) - 2)
    f = t * (len(HEAT) - 1) - i
    rgb = [round(a + (b - a) * f) for a, b in zip(HEAT[i], HEAT[i + 1])]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _fill(norm: float | None, scale: tuple[float, float] | None) -> dict[str, str]:
    if norm is None or scale is None:
        return {"fillcolor": NO_GRADIENT}
    low, high = scale
    if norm <= 0 or not math.isfinite(norm):
        return {"fillcolor": heat_colour(0.0 if norm <= 0 else 1.0)}
    t = 0.5 if high == low else (math.log10(norm) - low) / (high - low)
    return {"fillcolor": heat_colour(t)}


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _label(
    name: str,
    module: Any,
    members: list[Any],
    consumers: dict[int, list[Any]],
    root: Any,
    calls: dict[str, set[int]],
    own: bool = False,
) -> str:
    """``name: Type × n steps`` / output shapes / parameters / ‖grad‖ (DOT line breaks)."""
    inside = {id(n) for n in members}
    shapes: dict[str, None] = {}
    for n in members:
        if not n._parents and n.requires_grad:  # a parameter, not a result
            continue
        if n is root or any(id(c) not in inside for c in consumers.get(id(n), ())):
            shapes[_shape(tuple(n.shape))] = None
    count = sum(p.numel() for _, p in module.named_parameters(recurse=not own) if p is not None)
    steps = len(calls.get(name, ()))
    title = f"{name}: {type(module).__name__}" + (f" × {steps} steps" if steps > 1 else "")
    if own:
        title = f"{name}: own ops"
    lines = [title]
    if shapes:
        lines.append(" ".join(shapes))
    if count or not own:
        lines.append(f"{count:,} parameters")
    norm = _grad_norm(module, recurse=not own)
    if norm is not None:
        lines.append(f"‖grad‖ {_fmt(norm)}")
    return "\\n".join(lines)


def _input_boxes(
    grouping: ModuleGrouping, arguments: dict[int, tuple[Any, str, bool]], in_graph: set[int]
) -> None:
    """A box for each input that is not a graph node, with an edge into the box of the drawn
    module that read it: integer tensors (token ids read by an embedding) and the model's own
    inputs when the first module's result is a constant (a Flatten of the data)."""
    for tensor, name, to_model in arguments.values():
        if id(tensor) in in_graph or not name or not (to_model or tensor.dtype.kind in "iu"):
            continue
        target = grouping.labels.get(f"{name} (own)") or grouping.labels.get(name)
        if target is None:
            continue
        what = ": token ids" if tensor.dtype.kind in "iu" else ""
        dtype = "" if tensor.dtype == np.float32 else f" {tensor.dtype}"
        label = f"{tensor.name or 'input'}{what}\\n{_shape(tuple(tensor.shape))}{dtype}"
        grouping.style[label] = {
            "shape": "box",
            "style": "filled",
            "fillcolor": "gray92",
            "fontcolor": "gray30",
        }
        if (label, target) not in grouping.edges:
            grouping.edges.append((label, target))


def _root_box(grouping: ModuleGrouping, root: Any) -> None:
    """A scalar root outside every module (the loss) shows its value: ``loss 2.31``."""
    if id(root) in grouping.groups or root.numel() != 1 or not root._parents:
        return
    label = f"{root.op}\\nloss {float(root.numpy().reshape(())):.4g}"
    grouping.groups[id(root)] = label
    grouping.style[label] = {
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": "mistyrose",
        "penwidth": "2",
    }

"""The graph of one training step, drawn with each module collapsed into one box."""

from __future__ import annotations

from typing import Any

from chaingrad.autograd import Tensor
from chaingrad.autograd.draw import GraphDrawing, draw_tensor_graph
from chaingrad.nn.module import Module, register_module_forward_hook


def _tensors(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, tuple | list):
        return [t for v in value for t in _tensors(v)]
    return []


def module_groups(
    model: Module, calls: list[tuple[Module, tuple[Any, ...], Any]]
) -> dict[int, str]:
    """Assign every graph node a module computed to that module's label (top-level children).

    A call's nodes are those reached walking back from its output until its inputs.
    """
    children = {id(m): name for name, m in model.named_children()}
    groups: dict[int, str] = {}
    for module, inputs, output in calls:
        if id(module) not in children:
            continue
        outputs = _tensors(output)
        count = sum(p.numel() for p in module.parameters())
        shape = " ".join(str(tuple(t.shape)) for t in outputs)
        label = f"{children[id(module)]}: {type(module).__name__}\\n{shape}\\n{count:,} parameters"
        stop = {id(t) for t in _tensors(inputs)}
        stack = list(outputs)
        while stack:
            node = stack.pop()
            if id(node) in stop or id(node) in groups:
                continue
            groups[id(node)] = label
            stack.extend(node.parents)
    return groups


def step_graph(
    model: Module,
    loss_fn: Any,
    *batch: Any,
    path: str | None = None,
    format: str = "svg",  # noqa: A002
) -> GraphDrawing:
    """Run forward, loss and backward on one batch and draw the step, one box per module.

    The boxes are the model's direct children (its top-level modules): build the model as one
    ``Sequential`` of its layers to get a box per layer.

    ``batch`` is (inputs..., target): the model gets every element but the last.
    """
    for t in _tensors(batch[:-1]):
        t.name = t.name or "input"
    calls: list[tuple[Module, tuple[Any, ...], Any]] = []

    def record(module: Module, inputs: tuple[Any, ...], output: Any) -> None:
        calls.append((module, inputs, output))

    with register_module_forward_hook(record):
        output = model(*batch[:-1])
    loss = loss_fn(output, batch[-1])
    loss.backward()
    model.zero_grad()
    return draw_tensor_graph(loss, path=path, format=format, groups=module_groups(model, calls))

"""The graph of one training step, drawn with each module collapsed into one box."""

from __future__ import annotations

from typing import Any

import numpy as np

from chaingrad.autograd import Tensor
from chaingrad.autograd.draw import GraphDrawing
from chaingrad.nn.module import Module


def _tensors(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, tuple | list):
        return [t for v in value for t in _tensors(v)]
    return []


def step_graph(
    model: Module,
    loss_fn: Any,
    *batch: Any,
    path: str | None = None,
    format: str = "svg",  # noqa: A002
    depth: int = 1,
) -> GraphDrawing:
    """Run forward, loss and backward on one batch and draw the step, one box per module.

    The boxes are the model's children (``depth=2``: their children, inside a cluster for
    each child), each with ``name: Type``, output shape, parameter count and the gradient norm
    of its parameters (heat-coloured); the input (token ids for a text model) and the loss with
    its value are boxes of their own. Draw it on a batch of the size training uses: the shapes
    in the picture are the shapes training sees. ``batch`` is (inputs..., target): the model
    gets every element but the last. The step leaves no gradients behind.
    """
    inputs = tuple(Tensor(x) if isinstance(x, np.ndarray) else x for x in batch[:-1])
    for t in _tensors(inputs):
        t.name = t.name or "input"
    output = model(*inputs)
    loss = loss_fn(output, batch[-1])
    loss.backward()
    try:
        return loss.draw(path=path, format=format, model=model, depth=depth)
    finally:
        model.zero_grad()

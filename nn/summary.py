"""``nn.summary``: a table of a model's layers, their output shapes and parameter counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chaingrad.autograd import Tensor, no_grad
from chaingrad.nn.module import Module, register_module_forward_hook


def _shape_of(output: Any) -> str:
    if isinstance(output, Tensor):
        return str(tuple(output.shape))
    if isinstance(output, tuple | list):
        return ", ".join(_shape_of(o) for o in output)
    return type(output).__name__


def summary(
    model: Module, input_shape: Sequence[int], dtype: Any = np.float32, print_table: bool = True
) -> str:
    """Run one forward pass on zeros of ``input_shape`` and tabulate every layer's output.

    Prints the table (unless ``print_table=False``) and returns it as a string. Parameters
    are counted once per module that owns them; the totals count shared ones once.
    """
    named = list(model.named_modules())
    names = {id(m): name for name, m in named}
    position = {id(m): i for i, (_, m) in enumerate(named)}
    rows: list[tuple[int, str, str, int]] = []

    def record(module: Module, inputs: tuple[Any, ...], output: Any) -> None:
        if module is model or id(module) not in names:
            return
        own = sum(p.numel() for p in module.parameters(recurse=False))
        label = f"{names[id(module)]} ({type(module).__name__})"
        rows.append((position[id(module)], label, _shape_of(output), own))

    was_training = model.training
    model.eval()
    try:
        with register_module_forward_hook(record), no_grad():
            output = model(Tensor(np.zeros(tuple(input_shape), dtype=dtype)))
    finally:
        model.train(was_training)
    rows.sort(key=lambda row: row[0])  # definition order: a block before what is inside it
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    widths = [
        max([len("Layer")] + [len(r[1]) for r in rows]),
        max([len("Output shape")] + [len(r[2]) for r in rows]),
        max(len("Params"), len(f"{total:,}")),
    ]
    header = f"{'Layer':<{widths[0]}}  {'Output shape':<{widths[1]}}  {'Params':>{widths[2]}}"
    rule = "=" * len(header)
    lines = [f"{type(model).__name__} on input {tuple(input_shape)}", rule, header, rule]
    for _, label, shape, count in rows:
        lines.append(f"{label:<{widths[0]}}  {shape:<{widths[1]}}  {count:>{widths[2]},}")
    lines += [
        rule,
        f"Output: {_shape_of(output)}",
        f"Total parameters: {total:,}",
        f"Trainable parameters: {trainable:,}",
    ]
    table = "\n".join(lines)
    if print_table:
        print(table)
    return table

"""``nn.summary`` / ``Module.summary``: a table of a model's layers, their output shapes,
parameter counts, multiply-adds and output memory.

The result is a ``ModelSummary``: a ``str`` (the table, so code that treated the old return
value as text keeps working) that Jupyter displays once, as an HTML table (``_repr_html_``);
creating it prints nothing. Multiply-adds are those of the matrix products (the convention of
PyTorch's profilers, one multiply-add = 2 FLOPs): a Linear layer's ``batch · in · out``, a
convolution's ``output elements · in/groups · kh · kw``, a recurrent layer's
``steps · batch · Σ (weight_ih + weight_hh sizes)``; bias additions, activations, gates'
elementwise products, pooling and normalisation are not counted.

This module imports no other ``nn`` module (``Module.summary`` imports it): layers are
recognised by class name and their weights' shapes, and each module's output is seen through
its own ``register_forward_hook``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chaingrad.autograd import Tensor, no_grad

LINEAR = ("Linear",)
CONVOLUTIONS = ("Conv1d", "Conv2d")
RECURRENT = ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell")


@dataclass
class LayerRow:
    """One module's line of the table."""

    name: str
    kind: str
    output_shape: str
    parameters: int
    mult_adds: int
    output_bytes: int


class ModelSummary(str):
    """The summary table: ``str()`` is the text, Jupyter shows it once as an HTML table.

    ``rows`` (one ``LayerRow`` per module, definition order), ``total_parameters``,
    ``trainable_parameters``, ``mult_adds`` (the total), ``output`` (the model's output shape).
    """

    rows: list[LayerRow]
    title: str
    output: str
    total_parameters: int
    trainable_parameters: int
    mult_adds: int
    output_bytes: int

    def __new__(cls, table: str, **fields: Any) -> ModelSummary:
        summary = super().__new__(cls, table)
        summary.__dict__.update(fields)
        return summary

    def __repr__(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:
        return str.__str__(self)

    def _repr_html_(self) -> str:
        """The table as HTML: what Jupyter shows (once) for a summary."""
        head = ["Layer", "Output shape", "Params", "Mult-adds", "Output memory"]
        cells = "".join(f"<th>{h}</th>" for h in head)
        body = []
        for r in self.rows:
            values = [
                f"{r.name} ({r.kind})",
                r.output_shape,
                f"{r.parameters:,}",
                _mult_adds_text(r.mult_adds),
                _bytes_text(r.output_bytes),
            ]
            tds = "".join(
                f'<td style="text-align:{"left" if i < 2 else "right"}">{html.escape(v)}</td>'
                for i, v in enumerate(values)
            )
            body.append(f"<tr>{tds}</tr>")
        footer = "<br>".join(html.escape(line) for line in _footer(self.__dict__))
        return (
            f"<div><b>{html.escape(self.title)}</b><table><thead><tr>{cells}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>{footer}</div>"
        )


def summary(
    model: Any,
    input_or_shape: Any,
    dtype: Any = np.float32,
    print_table: bool = False,
) -> ModelSummary:
    """Run one forward pass (evaluation mode, no graph) and tabulate every module's output.

    ``input_or_shape``: an example input (a Tensor or ndarray, e.g. token ids for an LSTM, or
    a tuple of them for a model of several inputs), or a shape (a tuple of ints) for zeros of
    ``dtype``. Returns a ``ModelSummary`` (a ``str`` that Jupyter shows once as a table);
    ``print_table=True`` also prints it. Parameters are counted once per module that owns
    them; the totals count shared ones once.
    """
    inputs, described = _example_inputs(model, input_or_shape, dtype)
    named = list(model.named_modules())
    position = {id(m): i for i, (_, m) in enumerate(named)}
    rows: list[tuple[int, LayerRow, list[Tensor]]] = []

    def hook_for(name: str) -> Any:
        def record(module: Any, args: tuple[Any, ...], output: Any) -> None:
            outputs = _tensors(output)
            own = sum(p.numel() for p in module.parameters(recurse=False))
            row = LayerRow(
                name,
                type(module).__name__,
                _shape_of(output),
                own,
                layer_mult_adds(module, args, output),
                sum(t.numpy().nbytes for t in outputs),
            )
            rows.append((position[id(module)], row, outputs))

        return record

    # every module below the model (a model of no submodules is its own one row)
    below = [(name, m) for name, m in named if m is not model] or [(type(model).__name__, model)]
    handles = [m.register_forward_hook(hook_for(name)) for name, m in below]
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            output = model(*inputs)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    rows.sort(key=lambda row: row[0])  # definition order: a block before what is inside it
    seen: dict[int, int] = {}
    for _, _, outputs in rows:
        for t in outputs:
            seen[id(t)] = t.numpy().nbytes
    layer_rows = [row for _, row, _ in rows]
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    fields = {
        "rows": layer_rows,
        "title": f"{type(model).__name__} on input {described}",
        "output": _shape_of(output),
        "total_parameters": total,
        "trainable_parameters": trainable,
        "mult_adds": sum(r.mult_adds for r in layer_rows),
        "output_bytes": sum(seen.values()),
    }
    result = ModelSummary(_table(fields), **fields)
    if print_table:
        print(result)
    return result


def layer_mult_adds(module: Any, args: tuple[Any, ...], output: Any) -> int:
    """Multiply-adds of one call of a Linear, convolution or recurrent layer (0 otherwise)."""
    kinds = {c.__name__ for c in type(module).__mro__}
    weight = getattr(module, "weight", None)
    if kinds & set(CONVOLUTIONS) and isinstance(weight, Tensor):
        outputs = _tensors(output)
        # every output element is one dot product over in/groups × kernel positions
        return outputs[0].numel() * int(np.prod(weight.shape[1:])) if outputs else 0
    inputs = _tensors(args[:1])
    if not inputs:
        return 0
    rows = int(np.prod(inputs[0].shape[:-1]))  # batch (× steps): one vector per row
    if kinds & set(LINEAR) and isinstance(weight, Tensor):
        return rows * weight.numel()
    if kinds & set(RECURRENT):
        # per step and batch element, every layer and direction multiplies by its W_ih and W_hh
        matrices = sum(
            p.numel() for name, p in module.named_parameters() if name.startswith("weight_")
        )
        return rows * matrices
    return 0


def _example_inputs(model: Any, given: Any, dtype: Any) -> tuple[tuple[Tensor, ...], str]:
    """The forward pass's arguments and how the title describes them."""
    if isinstance(given, Sequence) and given and all(_is_int(n) for n in given):
        shape = tuple(int(n) for n in given)
        if any(n < 0 for n in shape):
            raise ValueError(f"summary: a shape needs sizes >= 0, got {shape}")
        return (Tensor(np.zeros(shape, dtype=dtype)),), str(shape)
    items = tuple(given) if isinstance(given, tuple | list) else (given,)
    if not items:
        raise ValueError("summary: give an example input or its shape, got an empty sequence")
    inputs = []
    for item in items:
        if isinstance(item, Tensor):
            inputs.append(item)
        elif isinstance(item, np.ndarray):
            inputs.append(Tensor(item))
        else:
            raise TypeError(
                f"summary: {type(model).__name__} needs an example input (a Tensor, an ndarray "
                f"or a tuple of them) or a shape (a tuple of ints), got {type(item).__name__}"
            )
    return tuple(inputs), ", ".join(_describe(t) for t in inputs)


def _is_int(n: Any) -> bool:
    return isinstance(n, int | np.integer) and not isinstance(n, bool)


def _describe(t: Tensor) -> str:
    shape = str(tuple(t.shape))
    return shape if t.dtype == np.float32 else f"{shape} {t.dtype}"


def _tensors(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, tuple | list):
        return [t for v in value for t in _tensors(v)]
    return []


def _shape_of(output: Any) -> str:
    if isinstance(output, Tensor):
        return str(tuple(output.shape))
    if isinstance(output, tuple | list):
        return ", ".join(_shape_of(o) for o in output)
    return type(output).__name__


def _mult_adds_text(n: int) -> str:
    return f"{n:,}" if n else "–"


def _bytes_text(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024**2:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024**2:.1f} MiB"


def _table(fields: dict[str, Any]) -> str:
    rows: list[LayerRow] = fields["rows"]
    cells = [
        [
            f"{r.name} ({r.kind})",
            r.output_shape,
            f"{r.parameters:,}",
            _mult_adds_text(r.mult_adds),
            _bytes_text(r.output_bytes),
        ]
        for r in rows
    ]
    head = ["Layer", "Output shape", "Params", "Mult-adds", "Output memory"]
    totals = ["", "", f"{fields['total_parameters']:,}", f"{fields['mult_adds']:,}", ""]
    widths = [max(len(c[i]) for c in [head, totals, *cells]) for i in range(len(head))]

    def line(values: list[str]) -> str:
        left = [f"{v:<{w}}" for v, w in zip(values[:2], widths)]
        right = [f"{v:>{w}}" for v, w in zip(values[2:], widths[2:])]
        return "  ".join(left + right).rstrip()

    rule = "=" * len(line(head))
    lines = [fields["title"], rule, line(head), rule, *(line(c) for c in cells), rule]
    return "\n".join(lines + _footer(fields))


def _footer(fields: dict[str, Any]) -> list[str]:
    return [
        f"Output: {fields['output']}",
        f"Total parameters: {fields['total_parameters']:,}",
        f"Trainable parameters: {fields['trainable_parameters']:,}",
        f"Mult-adds: {fields['mult_adds']:,}",
        f"Output memory of the layers: {_bytes_text(fields['output_bytes'])}",
    ]

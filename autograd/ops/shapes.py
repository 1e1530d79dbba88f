"""Shape ops: the same numbers rearranged, so each backward rearranges the gradient back."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from chaingrad.autograd.ops.axes import normalize_axes, normalize_axis
from chaingrad.autograd.ops.record import record
from chaingrad.autograd.tensor import Tensor, as_tensor


def _shape_argument(shape: tuple[Any, ...], op: str) -> tuple[int, ...]:
    """Accept f(2, 3), f((2, 3)) and f([2, 3])."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"{op}: sizes must be ints, got {shape}")
    return tuple(int(n) for n in shape)


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape; one size may be -1 (inferred)."""
    new_shape = _shape_argument(shape, "reshape")
    try:
        out = x._data.reshape(new_shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x._data.size} elements) "
            f"into {new_shape}"
        ) from None
    old = x._data.shape
    return record("reshape", out, (x,), lambda g: (g.reshape(old),), view=True)


def flatten(x: Tensor, start_axis: int = 0, end_axis: int = -1) -> Tensor:
    """Merge the axes from ``start_axis`` to ``end_axis`` (inclusive) into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    start = normalize_axis(start_axis, x.ndim, "flatten")
    end = normalize_axis(end_axis, x.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_axis {start_axis} comes after end_axis {end_axis}")
    merged = math.prod(x.shape[start : end + 1])
    return reshape(x, *x.shape[:start], merged, *x.shape[end + 1 :])


def permute(x: Tensor, *axes: Any) -> Tensor:
    """Reorder the axes: output axis i is input axis ``axes[i]``."""
    order = _shape_argument(axes, "permute")
    if sorted(normalize_axis(a, x.ndim, "permute") for a in order) != list(range(x.ndim)):
        raise ValueError(f"permute: {order} is not an ordering of the {x.ndim} axes of {x.shape}")
    out = np.transpose(x._data, order)
    inverse = tuple(np.argsort([a % x.ndim for a in order]))
    return record("permute", out, (x,), lambda g: (np.transpose(g, inverse),), view=True)


def transpose(x: Tensor, axis0: int, axis1: int) -> Tensor:
    """Swap two axes."""
    a = normalize_axis(axis0, x.ndim, "transpose")
    b = normalize_axis(axis1, x.ndim, "transpose")
    out = np.swapaxes(x._data, a, b)
    return record("transpose", out, (x,), lambda g: (np.swapaxes(g, a, b),), view=True)


def squeeze(x: Tensor, axis: Any = None) -> Tensor:
    """Drop size-1 axes: all of them, or those named (a named axis of another size stays)."""
    named = normalize_axes(axis, x.ndim, "squeeze")
    return reshape(x, *[n for i, n in enumerate(x.shape) if not (i in named and n == 1)])


def unsqueeze(x: Tensor, axis: int) -> Tensor:
    """Insert a size-1 axis so that it is axis ``axis`` of the result."""
    position = normalize_axis(axis, x.ndim + 1, "unsqueeze")
    return reshape(x, *x.shape[:position], 1, *x.shape[position:])


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """Broadcast x to ``sizes`` (PyTorch's ``expand``; -1 keeps an axis); a read-only view whose
    gradient is summed back over the stretched axes."""
    target = list(_shape_argument(sizes, "expand"))
    offset = len(target) - x.ndim
    if offset < 0:
        raise ValueError(f"expand: cannot expand shape {x.shape} to fewer axes {tuple(target)}")
    for i, n in enumerate(x.shape):
        if target[offset + i] == -1:
            target[offset + i] = n
    try:
        out = np.broadcast_to(x._data, tuple(target))
    except ValueError:
        raise ValueError(f"expand: shape {x.shape} cannot be expanded to {tuple(sizes)}") from None
    # the engine's unbroadcast sums the gradient back to x's shape
    return record("expand", out, (x,), lambda g: (g,), view=True)


def pad(x: Tensor, pad_width: Any) -> Tensor:
    """Zero padding: ((before, after), ...) per axis, or one pair / int for all, as numpy.pad."""
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit a tensor with {x.ndim} axes "
            "(give ((before, after), ...) per axis)"
        ) from None
    if (widths < 0).any():
        raise ValueError(f"pad: widths must be non-negative, got {pad_width!r}")
    out = np.pad(x._data, widths)
    inside = tuple(slice(b, b + n) for (b, _), n in zip(widths.tolist(), x.shape))
    return record("pad", out, (x,), lambda g: (g[inside],))


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; the gradient is split back into the pieces."""
    parts = [as_tensor(t) for t in tensors]
    if not parts:
        raise ValueError("concatenate: needs at least one tensor")
    ax = normalize_axis(axis, parts[0].ndim, "concatenate") if parts[0].ndim else 0
    first = parts[0].shape
    for i, t in enumerate(parts[1:], start=1):
        if t.ndim != len(first) or any(
            a != b for j, (a, b) in enumerate(zip(t.shape, first)) if j != ax
        ):
            raise ValueError(
                f"concatenate: tensor {i} has shape {t.shape}, which does not match tensor 0's "
                f"{first} on every axis but {axis}"
            )
    out = np.concatenate([t._data for t in parts], axis=ax)
    cuts = np.cumsum([t.shape[ax] for t in parts])[:-1]
    return record("concatenate", out, tuple(parts), lambda g: np.split(g, cuts, axis=ax))


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis; each gets its slice of the gradient back."""
    parts = [as_tensor(t) for t in tensors]
    if not parts:
        raise ValueError("stack: needs at least one tensor")
    for i, t in enumerate(parts[1:], start=1):
        if t.shape != parts[0].shape:
            raise ValueError(
                f"stack: tensor {i} has shape {t.shape}, tensor 0 has {parts[0].shape}; "
                "stacked tensors must have one shape"
            )
    ax = normalize_axis(axis, parts[0].ndim + 1, "stack")
    out = np.stack([t._data for t in parts], axis=ax)
    return record("stack", out, tuple(parts), lambda g: list(np.moveaxis(g, ax, 0)))

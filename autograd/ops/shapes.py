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
    # a view of g (or a copy of it): the engine's if g was
    return record("reshape", out, (x,), lambda g: (g.reshape(old),), view=True, fresh=True)


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
    return record(
        "permute", out, (x,), lambda g: (np.transpose(g, inverse),), view=True, fresh=True
    )


def transpose(x: Tensor, axis0: int, axis1: int) -> Tensor:
    """Swap two axes."""
    a = normalize_axis(axis0, x.ndim, "transpose")
    b = normalize_axis(axis1, x.ndim, "transpose")
    out = np.swapaxes(x._data, a, b)
    return record("transpose", out, (x,), lambda g: (np.swapaxes(g, a, b),), view=True, fresh=True)


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


# ---------------------------------------------------------------------------- PyTorch lessons
# Appended ops: they read inputs only through ``x.numpy()`` and make every result with
# ``record``, so they do not depend on how a Tensor stores its array.
from chaingrad.autograd.ops.record import EVERYTHING  # noqa: E402


def repeat(x: Any, *sizes: Any) -> Tensor:
    """torch.Tensor.repeat (np.tile's semantics): ``sizes`` copies along each axis."""
    x = as_tensor(x)
    a = x.numpy()
    reps = _shape_argument(sizes, "repeat")
    if len(reps) < a.ndim:
        raise ValueError(
            f"repeat: {len(reps)} repeat counts {reps} for a tensor of shape {a.shape}; give at "
            f"least {a.ndim}"
        )
    if any(r < 0 for r in reps):
        raise ValueError(f"repeat: repeat counts must be non-negative, got {reps}")
    base = (1,) * (len(reps) - a.ndim) + a.shape  # missing leading axes count as size 1
    out = np.tile(a.reshape(base), reps)
    shape = a.shape

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        # view each output axis as (copy, position) and sum over the copies
        split = [n for pair in zip(reps, base) for n in pair]
        return (g.reshape(split).sum(axis=tuple(range(0, 2 * len(reps), 2))).reshape(shape),)

    return record("repeat", out, (x,), backward, saved=EVERYTHING)


def flip(x: Any, axes: Any) -> Tensor:
    """Reverse the order along ``axes`` (an int or a tuple; torch.flip requires them)."""
    x = as_tensor(x)
    a = x.numpy()
    named = normalize_axes(axes, a.ndim, "flip") if axes is not None else None
    if named is None:
        raise TypeError("flip: give the axes to reverse (torch.flip requires dims)")
    out = np.flip(a, named)
    return record("flip", out, (x,), lambda g: (np.flip(g, named),), saved=EVERYTHING)


def roll(x: Any, shifts: Any, axes: Any = None) -> Tensor:
    """Shift elements cyclically along ``axes`` (flattened when None), as torch.roll/np.roll."""
    x = as_tensor(x)
    a = x.numpy()
    if axes is None:
        if not isinstance(shifts, numbers.Integral):
            raise ValueError(f"roll: without axes, shifts must be one int, got {shifts!r}")
        out = np.roll(a, shifts)
        return record("roll", out, (x,), lambda g: (np.roll(g, -int(shifts)),), saved=EVERYTHING)
    many = isinstance(shifts, tuple | list)
    if many != isinstance(axes, tuple | list) or (many and len(shifts) != len(axes)):
        raise ValueError(f"roll: shifts {shifts!r} and axes {axes!r} must pair up one to one")
    shift_list = list(shifts) if many else [shifts]
    axis_list = [normalize_axis(ax, a.ndim, "roll") for ax in (axes if many else [axes])]
    out = np.roll(a, shift_list, axis_list)
    back = [-int(s) for s in shift_list]
    # rolling the gradient back by the opposite shifts returns each share to its source
    return record("roll", out, (x,), lambda g: (np.roll(g, back, axis_list),), saved=EVERYTHING)


def _piece(x: Tensor, ax: int, start: int, stop: int, op: str) -> Tensor:
    """``x[start:stop]`` along ``ax``; its gradient fills that slab of a zero array."""
    a = x.numpy()
    where = (slice(None),) * ax + (slice(start, stop),)
    shape = a.shape

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        full = np.zeros(shape, dtype=g.dtype)
        full[where] = g
        return (full,)

    return record(op, a[where], (x,), backward, saved=EVERYTHING)


def split(x: Any, size_or_sizes: Any, axis: int = 0) -> tuple[Tensor, ...]:
    """torch.split: pieces of one size (the last may be smaller) or of the listed sizes."""
    x = as_tensor(x)
    a = x.numpy()
    if a.ndim == 0:
        raise ValueError("split: cannot split a 0-d tensor")
    ax = normalize_axis(axis, a.ndim, "split")
    n = a.shape[ax]
    if isinstance(size_or_sizes, numbers.Integral) and not isinstance(size_or_sizes, bool):
        step = int(size_or_sizes)
        if step <= 0 and not (step == 0 and n == 0):
            raise ValueError(f"split: the piece size must be positive, got {step}")
        sizes = [min(step, n - s) for s in range(0, n, step)] if n else [0]
    else:
        sizes = [int(s) for s in size_or_sizes]
        if any(s < 0 for s in sizes) or np.sum(sizes) != n:
            raise ValueError(
                f"split: sizes {sizes} do not add up to {n}, the size of axis {axis} of "
                f"shape {a.shape}"
            )
    stops = np.cumsum(sizes).astype(int).tolist()
    return tuple(_piece(x, ax, e - s, e, "split") for s, e in zip(sizes, stops))


def chunk(x: Any, chunks: int, axis: int = 0) -> tuple[Tensor, ...]:
    """torch.chunk: at most ``chunks`` pieces of ceil(n / chunks) (the last may be smaller)."""
    x = as_tensor(x)
    a = x.numpy()
    if not isinstance(chunks, numbers.Integral) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    if a.ndim == 0:
        raise ValueError("chunk: cannot chunk a 0-d tensor")
    n = a.shape[normalize_axis(axis, a.ndim, "chunk")]
    return split(x, max(-(-n // int(chunks)), 1), axis)


def _triangle(x: Any, diagonal: int, keep: Any, op: str) -> Tensor:
    x = as_tensor(x)
    a = x.numpy()
    if a.ndim < 2:
        raise ValueError(f"{op}: needs a tensor with at least 2 axes, got shape {a.shape}")
    if not isinstance(diagonal, numbers.Integral):
        raise TypeError(f"{op}: diagonal must be an int, got {diagonal!r}")
    out = keep(a, int(diagonal))
    # the kept triangle passes its gradient through; the zeroed part had none
    return record(op, out, (x,), lambda g: (keep(g, int(diagonal)),), saved=EVERYTHING)


def tril(x: Any, diagonal: int = 0) -> Tensor:
    """Lower triangle of the last two axes (on and below ``diagonal``), as torch.tril."""
    return _triangle(x, diagonal, np.tril, "tril")


def triu(x: Any, diagonal: int = 0) -> Tensor:
    """Upper triangle of the last two axes (on and above ``diagonal``), as torch.triu."""
    return _triangle(x, diagonal, np.triu, "triu")


def movedim(x: Any, source: Any, destination: Any) -> Tensor:
    """Move axes ``source`` to positions ``destination`` (ints or tuples), as torch.movedim."""
    x = as_tensor(x)
    a = x.numpy()
    src = source if isinstance(source, tuple | list) else (source,)
    dst = destination if isinstance(destination, tuple | list) else (destination,)
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source!r} and destination {destination!r} differ")
    src_n = [normalize_axis(s, a.ndim, "movedim") for s in src]
    dst_n = [normalize_axis(d, a.ndim, "movedim") for d in dst]
    if len(set(src_n)) != len(src_n) or len(set(dst_n)) != len(dst_n):
        raise ValueError(f"movedim: source {source!r} or destination {destination!r} repeats")
    out = np.moveaxis(a, src_n, dst_n)
    return record("movedim", out, (x,), lambda g: (np.moveaxis(g, dst_n, src_n),), saved=EVERYTHING)

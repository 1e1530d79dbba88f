"""Reductions: sum, mean, var, max, min (differentiable) and argmax (not)."""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np

from chaingrad.autograd.ops.axes import kept_shape, normalize_axes
from chaingrad.autograd.ops.record import record
from chaingrad.autograd.tensor import Tensor


def _spread(g: np.ndarray, shape: tuple[int, ...], kept: tuple[int, ...]) -> np.ndarray:
    """The upstream gradient of a reduction copied back over the reduced axes."""
    return np.broadcast_to(g.reshape(kept), shape)


def sum(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (int, tuple or None); every input element gets the upstream gradient."""
    axes = normalize_axes(axis, x.ndim, "sum")
    out = x._data.sum(axis=axes, keepdims=keepdims)
    shape, kept = x._data.shape, kept_shape(x._data.shape, axes)
    return record("sum", out, (x,), lambda g: (_spread(g, shape, kept),))


def mean(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis``; each element's local gradient is 1/n."""
    axes = normalize_axes(axis, x.ndim, "mean")
    count = math.prod(x._data.shape[a] for a in axes)
    out = x._data.mean(axis=axes, keepdims=keepdims)
    shape, kept = x._data.shape, kept_shape(x._data.shape, axes)
    return record("mean", out, (x,), lambda g: (_spread(g / count, shape, kept),))


def var(x: Tensor, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance Σ(x - mean)² / (n - ddof) over ``axis``; ddof=0 is the biased estimate."""
    axes = normalize_axes(axis, x.ndim, "var")
    count = math.prod(x._data.shape[a] for a in axes)
    centered = x._data - x._data.mean(axis=axes, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (centered * centered).sum(axis=axes, keepdims=keepdims) / (count - ddof)
    shape, kept = x._data.shape, kept_shape(x._data.shape, axes)
    # d var / dxᵢ = 2(xᵢ - mean)/(n - ddof): the mean's own dependence on xᵢ sums to zero
    scale = 2.0 / (count - ddof) if count != ddof else np.nan
    return record("var", out, (x,), lambda g: (_spread(g, shape, kept) * (centered * scale),))


def _extreme(x: Tensor, axis: Any, keepdims: bool, reduce: Any, op: str) -> Tensor:
    axes = normalize_axes(axis, x.ndim, op)
    data = x._data
    if data.size == 0:
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape {data.shape}")
    peak = reduce(data, axis=axes, keepdims=True)  # kept dims: it broadcasts against x below
    out = peak if keepdims else peak.reshape([n for i, n in enumerate(data.shape) if i not in axes])
    shape, kept = data.shape, kept_shape(data.shape, axes)
    # the gradient goes to the extreme element; tied elements share it evenly (like torch.amax)
    winners = data == peak
    local = winners / winners.sum(axis=axes, keepdims=True).astype(data.dtype)
    return record(op, out, (x,), lambda g: (_spread(g, shape, kept) * local,))


def max(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis``; tied maxima share the gradient evenly."""
    return _extreme(x, axis, keepdims, np.max, "max")


def min(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over ``axis``; tied minima share the gradient evenly."""
    return _extreme(x, axis, keepdims, np.min, "min")


MaxMin = namedtuple("MaxMin", ["values", "indices"])  # what t.max(dim) returns, as torch's


def _along(x: Tensor, dim: Any, keepdim: bool, pick: Any, op: str) -> MaxMin:
    """Values and indices of the extreme along one axis; the gradient goes to that index only
    (the first on a tie, as PyTorch's ``max(dim)``), unlike the even split of ``max(axis=)``."""
    data = x._data
    (ax,) = normalize_axes(dim, data.ndim, op) if data.ndim else (0,)
    if data.size == 0:
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape {data.shape}")
    if data.ndim == 0:
        return MaxMin(
            record(op, data.copy(), (x,), lambda g: (g,)), record(op, np.int64(0), (), None)
        )
    index = np.expand_dims(pick(data, axis=ax), ax)
    values = np.take_along_axis(data, index, axis=ax)
    shape = data.shape

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        full = np.zeros(shape, dtype=g.dtype)
        np.put_along_axis(full, index, g.reshape(index.shape), axis=ax)
        return (full,)

    indices = index if keepdim else index.squeeze(ax)
    values = values if keepdim else values.squeeze(ax)
    return MaxMin(
        record(op, values, (x,), backward), record(op, indices.astype(np.int64), (), None)
    )


def max_along(x: Tensor, dim: Any, keepdim: bool = False) -> MaxMin:
    """``x.max(dim)``: (values, indices) along ``dim``; the gradient goes to the index."""
    return _along(x, dim, keepdim, np.argmax, "max")


def min_along(x: Tensor, dim: Any, keepdim: bool = False) -> MaxMin:
    """``x.min(dim)``: (values, indices) along ``dim``; the gradient goes to the index."""
    return _along(x, dim, keepdim, np.argmin, "min")


def argmax(x: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor when ``axis`` is None)."""
    data = x._data
    if data.size == 0:
        raise ValueError(f"argmax: cannot take the argmax of an empty tensor of shape {data.shape}")
    if axis is not None:
        (axis,) = normalize_axes(axis, data.ndim, "argmax") or (None,)
    return record("argmax", np.argmax(data, axis=axis, keepdims=keepdims), (), None)

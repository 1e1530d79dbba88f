"""Reductions: sum, mean, var, max, min (differentiable) and argmax (not)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chaingrad.autograd.ops.axes import kept_shape, normalize_axes
from chaingrad.autograd.tensor import Tensor, recording


def _spread(g: np.ndarray, shape: tuple[int, ...], kept: tuple[int, ...]) -> np.ndarray:
    """The upstream gradient of a reduction copied back over the reduced axes."""
    return np.broadcast_to(g.reshape(kept), shape)


def sum(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (int, tuple or None); every input element gets the upstream gradient."""
    axes = normalize_axes(axis, x.ndim, "sum")
    out = np.asarray(x.data.sum(axis=axes, keepdims=keepdims))
    if not recording(x):
        return Tensor._constant(out)
    shape, kept = x.shape, kept_shape(x.shape, axes)
    return Tensor._node(out, (x,), lambda g: (_spread(g, shape, kept),), "sum")


def mean(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis``; each element's local gradient is 1/n."""
    axes = normalize_axes(axis, x.ndim, "mean")
    count = math.prod(x.shape[a] for a in axes)
    out = np.asarray(x.data.mean(axis=axes, keepdims=keepdims))
    if not recording(x):
        return Tensor._constant(out)
    shape, kept = x.shape, kept_shape(x.shape, axes)
    return Tensor._node(out, (x,), lambda g: (_spread(g / count, shape, kept),), "mean")


def var(x: Tensor, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance Σ(x - mean)² / (n - ddof) over ``axis``; ddof=0 is the biased estimate."""
    axes = normalize_axes(axis, x.ndim, "var")
    count = math.prod(x.shape[a] for a in axes)
    centered = x.data - x.data.mean(axis=axes, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray((centered * centered).sum(axis=axes, keepdims=keepdims) / (count - ddof))
    if not recording(x):
        return Tensor._constant(out)
    shape, kept = x.shape, kept_shape(x.shape, axes)
    # d var / dxᵢ = 2(xᵢ - mean)/(n - ddof): the mean's own dependence on xᵢ sums to zero
    local = centered * (2.0 / (count - ddof)) if count != ddof else centered * np.nan
    return Tensor._node(out, (x,), lambda g: (_spread(g, shape, kept) * local,), "var")


def _extreme(x: Tensor, axis: Any, keepdims: bool, reduce: Any, op: str) -> Tensor:
    axes = normalize_axes(axis, x.ndim, op)
    if x.size == 0:
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape {x.shape}")
    peak = reduce(x.data, axis=axes, keepdims=True)  # kept dims: it broadcasts against x below
    out = peak if keepdims else peak.reshape([n for i, n in enumerate(x.shape) if i not in axes])
    if not recording(x):
        return Tensor._constant(out)
    # the gradient goes to the extreme element; tied elements share it evenly (like torch.amax)
    winners = x.data == peak
    local = winners / winners.sum(axis=axes, keepdims=True).astype(x.dtype)
    shape, kept = x.shape, kept_shape(x.shape, axes)
    return Tensor._node(out, (x,), lambda g: (_spread(g, shape, kept) * local,), op)


def max(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis``; tied maxima share the gradient evenly."""
    return _extreme(x, axis, keepdims, np.max, "max")


def min(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over ``axis``; tied minima share the gradient evenly."""
    return _extreme(x, axis, keepdims, np.min, "min")


def argmax(x: Tensor, axis: int | None = None) -> Tensor:
    """Index of the largest element (of the flattened tensor when ``axis`` is None)."""
    if x.size == 0:
        raise ValueError(f"argmax: cannot take the argmax of an empty tensor of shape {x.shape}")
    if axis is not None:
        (axis,) = normalize_axes(axis, x.ndim, "argmax")
    return Tensor._constant(np.asarray(np.argmax(x.data, axis=axis)))

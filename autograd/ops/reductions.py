"""Reductions: sum, mean, var, max, min (differentiable) and argmax (not)."""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np

from chaingrad.autograd.ops.axes import kept_shape, normalize_axes
from chaingrad.autograd.ops.record import record
from chaingrad.autograd.tensor import Tensor, as_tensor


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
    """Variance Σ(x - mean)² / max(n - ddof, 0) over ``axis``; ddof=0 is the biased estimate.

    With ddof ≥ n the divisor is 0 and the result inf (nan where the sum is 0), as NumPy and
    PyTorch; never a negative variance.
    """
    axes = normalize_axes(axis, x.ndim, "var")
    count = math.prod(x._data.shape[a] for a in axes)
    divisor = _dof(count, ddof)
    with np.errstate(divide="ignore", invalid="ignore"):
        centered = x._data - x._data.mean(axis=axes, keepdims=True)
        out = (centered * centered).sum(axis=axes, keepdims=keepdims) / divisor
    shape, kept = x._data.shape, kept_shape(x._data.shape, axes)
    # d var / dxᵢ = 2(xᵢ - mean)/(n - ddof): the mean's own dependence on xᵢ sums to zero;
    # a zero divisor gives ±inf (nan at the mean), as torch
    with np.errstate(divide="ignore"):
        scale = np.divide(2.0, divisor, dtype=np.float64)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        with np.errstate(invalid="ignore"):
            return (_spread(g, shape, kept) * (centered * scale).astype(centered.dtype),)

    return record("var", out, (x,), backward)


def _dof(count: int, ddof: Any) -> float:
    """The variance divisor n - ddof, clamped at 0 as NumPy does (so ddof ≥ n gives inf)."""
    return float(count - ddof) if count > ddof else 0.0  # (this module shadows max)


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
    x = as_tensor(x)
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


# ---------------------------------------------------------------------------- PyTorch lessons
# Appended ops: they read inputs only through ``x.numpy()`` and make every result with
# ``record``, so they do not depend on how a Tensor stores its array.
from chaingrad.autograd.ops.axes import normalize_axis  # noqa: E402
from chaingrad.autograd.ops.record import EVERYTHING  # noqa: E402


def _squeezed(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` without the reduced ``axes`` (what keepdims=False gives)."""
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis`` (NumPy's axis/keepdims; torch.prod); exact gradients with zeros."""
    x = as_tensor(x)
    a = x.numpy()
    axes = normalize_axes(axis, a.ndim, "prod")
    out = np.asarray(np.prod(a, axis=axes, keepdims=keepdims))
    shape, kept = a.shape, kept_shape(a.shape, axes)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        # ∂/∂xᵢ Π x = Π_{j≠i} xⱼ, computed without dividing by a zero: with no zero in the
        # slice it is prod/xᵢ; with exactly one zero only that element gets the product of the
        # others; with two or more zeros every partial product holds a zero.
        zero = a == 0
        safe = np.where(zero, 1, a)
        others = np.prod(safe, axis=axes, keepdims=True)
        zeros = zero.sum(axis=axes, keepdims=True)
        local = np.where(zeros == 0, others / safe, np.where((zeros == 1) & zero, others, 0))
        return (_spread(g, shape, kept) * local,)

    return record("prod", out, (x,), backward, saved=EVERYTHING)


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Standard deviation √var over ``axis``; ddof=0 as NumPy (torch.std's default is ddof=1)."""
    x = as_tensor(x)
    a = x.numpy()
    axes = normalize_axes(axis, a.ndim, "std")
    count = math.prod(a.shape[i] for i in axes)
    divisor = _dof(count, ddof)
    with np.errstate(divide="ignore", invalid="ignore"):
        centered = a - a.mean(axis=axes, keepdims=True)
        deviation = np.sqrt((centered * centered).sum(axis=axes, keepdims=True) / divisor)
    out = deviation if keepdims else deviation.reshape(_squeezed(a.shape, axes))
    shape, kept = a.shape, kept_shape(a.shape, axes)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        # d√v = dv / 2√v and dv/dxᵢ = 2(xᵢ - mean)/(n - ddof): (xᵢ - mean) / ((n - ddof)·std);
        # nan where std = 0, as torch.std
        with np.errstate(divide="ignore", invalid="ignore"):
            local = centered / (divisor * deviation)
        return (_spread(g, shape, kept) * local,)

    return record("std", np.asarray(out), (x,), backward, saved=EVERYTHING)


def amax(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis`` (torch.amax / np.amax); tied maxima share the gradient evenly."""
    return max(as_tensor(x), axis, keepdims)


def amin(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis`` (torch.amin / np.amin); tied minima share the gradient evenly."""
    return min(as_tensor(x), axis, keepdims)


def _arg_extreme(x: Any, axis: Any, keepdims: bool, pick: Any, op: str) -> Tensor:
    """int64 index of the first extreme element, flat when ``axis`` is None (not differentiable)."""
    a = as_tensor(x).numpy()
    if a.size == 0:
        raise ValueError(f"{op}: cannot take the {op} of an empty tensor of shape {a.shape}")
    if axis is None:
        flat = np.int64(pick(a))
        out = np.full((1,) * a.ndim, flat) if keepdims else np.asarray(flat)
    elif a.ndim == 0:
        normalize_axes(axis, 0, op)  # only 0 and -1 name the one "axis" of a 0-d tensor
        out = np.zeros((), dtype=np.int64)
    else:
        ax = normalize_axis(axis, a.ndim, op)
        out = np.asarray(pick(a, axis=ax, keepdims=keepdims)).astype(np.int64, copy=False)
    return record(op, out, (), lambda g: ())


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the smallest element (torch.argmin: the first one on ties, flat if axis=None)."""
    return _arg_extreme(x, axis, keepdims, np.argmin, "argmin")


def argmax_keepdims(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """``argmax`` with torch.argmax's keepdim (the first maximum on ties, flat if axis=None)."""
    return _arg_extreme(x, axis, keepdims, np.argmax, "argmax")


def _scan_axis(a: np.ndarray, axis: Any, op: str) -> int | None:
    """The axis of a cumulative op (None for a 0-d tensor, which the scan leaves unchanged)."""
    if axis is None:
        raise TypeError(f"{op}: give the axis to accumulate along (torch requires dim)")
    if a.ndim == 0:
        normalize_axes(axis, 0, op)
        return None
    return normalize_axis(axis, a.ndim, op)


def _reverse_cumsum(g: np.ndarray, axis: int) -> np.ndarray:
    """Σ_{j ≥ i} gⱼ along ``axis``."""
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def cumsum(x: Any, axis: int) -> Tensor:
    """Running sum along ``axis`` (torch.cumsum; ``axis`` is required, as torch's dim)."""
    x = as_tensor(x)
    a = x.numpy()
    ax = _scan_axis(a, axis, "cumsum")
    if ax is None:
        return record("cumsum", a.copy(), (x,), lambda g: (g,), saved=EVERYTHING)
    out = np.cumsum(a, axis=ax)
    # yⱼ = Σ_{i ≤ j} xᵢ, so xᵢ collects the gradient of every yⱼ with j ≥ i
    return record("cumsum", out, (x,), lambda g: (_reverse_cumsum(g, ax),), saved=EVERYTHING)


def cumprod(x: Any, axis: int) -> Tensor:
    """Running product along ``axis`` (torch.cumprod); exact gradients with zeros in the input."""
    x = as_tensor(x)
    a = x.numpy()
    ax = _scan_axis(a, axis, "cumprod")
    if ax is None:
        return record("cumprod", a.copy(), (x,), lambda g: (g,), saved=EVERYTHING)
    out = np.cumprod(a, axis=ax)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        xs, ys, gs = (np.moveaxis(v, ax, -1) for v in (a, out, g))
        position = np.arange(xs.shape[-1])
        zero = xs == 0
        has_zero = zero.any(axis=-1, keepdims=True)
        first = np.argmax(zero, axis=-1, keepdims=True)  # the first zero (0 when none)
        # before the first zero: ∂yⱼ/∂xᵢ = yⱼ/xᵢ for j ≥ i, so the gradient is Σ_{j≥i} gⱼyⱼ / xᵢ
        grad = _reverse_cumsum(gs * ys, -1) / np.where(zero, 1, xs)
        # after the first zero every yⱼ with j ≥ i holds that zero besides xᵢ: no gradient
        grad = np.where(has_zero & (position > first), 0, grad)
        # at the first zero z: ∂yⱼ/∂x_z = y_{z-1} · Π_{z<k≤j} x_k for j ≥ z
        before = np.where(first > 0, np.take_along_axis(ys, np.maximum(first - 1, 0), axis=-1), 1)
        after = np.cumprod(np.where(position <= first, 1, xs), axis=-1)
        at_zero = before * (gs * after * (position >= first)).sum(axis=-1, keepdims=True)
        grad = np.where(has_zero & (position == first), at_zero, grad)
        return (np.moveaxis(grad, -1, ax),)

    return record("cumprod", out, (x,), backward, saved=EVERYTHING)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """True where every element over ``axis`` is nonzero (torch.all); a bool tensor, no grad."""
    a = as_tensor(x).numpy()
    axes = normalize_axes(axis, a.ndim, "all")
    return record("all", np.asarray(np.all(a, axis=axes, keepdims=keepdims)), (), lambda g: ())


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """True where some element over ``axis`` is nonzero (torch.any); a bool tensor, no grad."""
    a = as_tensor(x).numpy()
    axes = normalize_axes(axis, a.ndim, "any")
    return record("any", np.asarray(np.any(a, axis=axes, keepdims=keepdims)), (), lambda g: ())


def norm(x: Any, p: Any = 2, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Vector p-norm over ``axis`` (all elements if None), as torch.linalg.vector_norm.

    ``p`` is a number >= 1, ``inf``/``-inf`` (max/min of |x|) or "fro" (= 2). At the zero
    vector the gradient is 0, PyTorch's subgradient.
    """
    x = as_tensor(x)
    a = x.numpy()
    if p == "fro":
        p = 2
    if isinstance(p, str) or not (p >= 1 or p in (math.inf, -math.inf)):
        raise ValueError(f"norm: p must be a number >= 1, inf, -inf or 'fro', got {p!r}")
    axes = normalize_axes(axis, a.ndim, "norm")
    magnitude = np.abs(a)
    if p in (math.inf, -math.inf):
        if a.size == 0:
            raise ValueError(f"norm: the {p}-norm of an empty tensor of shape {a.shape}")
        peak = (np.max if p > 0 else np.min)(magnitude, axis=axes, keepdims=True)
        result = peak
    elif p == 1:
        result = magnitude.sum(axis=axes, keepdims=True)
    elif p == 2:
        result = np.sqrt((a * a).sum(axis=axes, keepdims=True))
    else:
        result = (magnitude**p).sum(axis=axes, keepdims=True) ** (1.0 / p)
    out = result if keepdims else result.reshape(_squeezed(a.shape, axes))
    shape, kept = a.shape, kept_shape(a.shape, axes)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        if p in (math.inf, -math.inf):
            # |x| at the extreme moves the norm: tied extremes share it evenly, with x's sign
            winners = magnitude == peak
            local = np.sign(a) * winners / winners.sum(axis=axes, keepdims=True)
        elif p == 1:
            local = np.sign(a)  # d|x|/dx, 0 at 0
        else:
            # ∂‖x‖ₚ/∂xᵢ = sign(xᵢ)|xᵢ|^(p-1) / ‖x‖ₚ^(p-1); 0 where the norm is 0
            safe = np.where(result == 0, 1, result)
            local = np.where(result == 0, 0, np.sign(a) * (magnitude / safe) ** (p - 1))
        return (_spread(g, shape, kept) * local,)

    return record("norm", np.asarray(out), (x,), backward, saved=EVERYTHING)

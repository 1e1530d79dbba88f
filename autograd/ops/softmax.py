"""The softmax family: softmax, log_softmax, logsumexp — stable for logits of ±1e4.

Each subtracts the maximum before exponentiating, so exp never overflows; the local gradient
kept for backward is the softmax y itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chaingrad.autograd.ops.axes import kept_shape, normalize_axes, normalize_axis
from chaingrad.autograd.ops.record import OUT, record
from chaingrad.autograd.tensor import Tensor


def _shifted(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """x minus its maximum over ``axes`` (kept dims), and that maximum (0 where not finite)."""
    peak = np.max(x, axis=axes, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0).astype(x.dtype, copy=False)
    return x - peak, peak


def _empty(op: str, x: Tensor) -> Tensor:
    """softmax/log_softmax of a tensor with no elements: an empty result of the same shape, as
    PyTorch (there is nothing to normalise, even when the softmax axis itself has length 0)."""
    return record(op, np.empty_like(x._data), (x,), lambda g: (np.zeros_like(g),))


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / Σ exp(x) along ``axis``; an empty tensor gives an empty result, as PyTorch."""
    ax = normalize_axis(axis, x.ndim, "softmax")
    if x._data.size == 0:
        return _empty("softmax", x)
    shifted, _ = _shifted(x._data, (ax,))
    e = np.exp(shifted)
    y = e / e.sum(axis=ax, keepdims=True)
    # d softmax: y * (g - Σ g·y)  (the Jacobian diag(y) - y yᵀ applied to g, never formed)
    return record(
        "softmax",
        y,
        (x,),
        lambda g: (y * (g - (g * y).sum(axis=ax, keepdims=True)),),
        saved=(OUT,),
        fresh=True,
    )


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis``; an empty tensor gives an empty result, as PyTorch."""
    ax = normalize_axis(axis, x.ndim, "log_softmax")
    if x._data.size == 0:
        return _empty("log_softmax", x)
    shifted, _ = _shifted(x._data, (ax,))
    y = shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True))
    # d log_softmax: g - softmax · Σ g
    return record(
        "log_softmax",
        y,
        (x,),
        lambda g: (g - np.exp(y) * g.sum(axis=ax, keepdims=True),),
        saved=(OUT,),
        fresh=True,
    )


def logsumexp(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log Σ exp(x) over ``axis`` (int, tuple or None)."""
    axes = normalize_axes(axis, x.ndim, "logsumexp")
    shifted, peak = _shifted(x._data, axes)
    with np.errstate(divide="ignore"):
        y_kept = peak + np.log(np.exp(shifted).sum(axis=axes, keepdims=True))
    kept = kept_shape(x.shape, axes)
    y = y_kept if keepdims else y_kept.reshape([n for i, n in enumerate(x.shape) if i not in axes])
    data = x._data

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        # the local gradient of logsumexp is softmax(x) = exp(x - y)
        with np.errstate(invalid="ignore"):
            return (g.reshape(kept) * np.exp(data - y_kept),)

    return record("logsumexp", y, (x,), backward, saved=(x,))

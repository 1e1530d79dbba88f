"""The softmax family: softmax, log_softmax, logsumexp — stable for logits of ±1e4.

Each subtracts the maximum before exponentiating, so exp never overflows; the local gradient
kept for backward is the softmax y itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chaingrad.autograd.ops.axes import kept_shape, normalize_axes, normalize_axis
from chaingrad.autograd.tensor import Tensor, recording


def _shifted(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """x minus its maximum over ``axes`` (kept dims), and that maximum (0 where not finite)."""
    peak = np.max(x, axis=axes, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0).astype(x.dtype, copy=False)
    return x - peak, peak


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / Σ exp(x) along ``axis``."""
    ax = normalize_axis(axis, x.ndim, "softmax")
    shifted, _ = _shifted(x.data, (ax,))
    e = np.exp(shifted)
    y = e / e.sum(axis=ax, keepdims=True)
    if not recording(x):
        return Tensor._constant(y)
    # d softmax: y * (g - Σ g·y)  (the Jacobian diag(y) - y yᵀ applied to g, never formed)
    return Tensor._node(
        y, (x,), lambda g: (y * (g - (g * y).sum(axis=ax, keepdims=True)),), "softmax"
    )


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis``."""
    ax = normalize_axis(axis, x.ndim, "log_softmax")
    shifted, _ = _shifted(x.data, (ax,))
    y = shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True))
    if not recording(x):
        return Tensor._constant(y)
    # d log_softmax: g - softmax · Σ g
    return Tensor._node(
        y, (x,), lambda g: (g - np.exp(y) * g.sum(axis=ax, keepdims=True),), "log_softmax"
    )


def logsumexp(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log Σ exp(x) over ``axis`` (int, tuple or None)."""
    axes = normalize_axes(axis, x.ndim, "logsumexp")
    shifted, peak = _shifted(x.data, axes)
    with np.errstate(divide="ignore"):
        y_kept = peak + np.log(np.exp(shifted).sum(axis=axes, keepdims=True))
    kept = kept_shape(x.shape, axes)
    y = y_kept if keepdims else y_kept.reshape([n for i, n in enumerate(x.shape) if i not in axes])
    if not recording(x):
        return Tensor._constant(y)
    # the local gradient of logsumexp is softmax(x) = exp(x - y)
    with np.errstate(invalid="ignore"):
        local = np.exp(x.data - y_kept)
    return Tensor._node(y, (x,), lambda g: (g.reshape(kept) * local,), "logsumexp")

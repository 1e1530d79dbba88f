"""Batch normalisation as one op, with the textbook backward.

Training: x̂ = (x - μ_B) / √(σ²_B + eps) with the batch's mean and biased variance over every
axis but the channel axis 1; y = γ x̂ + β. Evaluation uses given (running) statistics, so the op
is affine in x. The node keeps x̂ and 1/√(σ² + eps), which is all its backward needs.
"""

from __future__ import annotations

import numpy as np

from chaingrad.autograd.ops.record import OUT, record
from chaingrad.autograd.tensor import Tensor


def _channel_view(a: np.ndarray, ndim: int) -> np.ndarray:
    """A per-channel vector (C,) shaped to broadcast against (N, C, ...)."""
    return a.reshape((1, -1) + (1,) * (ndim - 2))


def batch_norm(
    x: Tensor,
    mean: np.ndarray,
    var: np.ndarray,
    weight: Tensor | None,
    bias: Tensor | None,
    eps: float,
    batch_statistics: bool,
) -> Tensor:
    """Normalise x over (N, ...) per channel; ``mean``/``var`` are the statistics to use.

    With ``batch_statistics`` the statistics came from this batch and the gradient flows
    through them; otherwise they are constants (running statistics in evaluation).
    """
    axes = (0, *range(2, x.ndim))
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x._data - _channel_view(mean, x.ndim)) * _channel_view(inv_std, x.ndim)
    out = x_hat
    if weight is not None:
        out = out * _channel_view(weight._data, x.ndim)
    if bias is not None:
        out = out + _channel_view(bias._data, x.ndim)
    out = out.astype(x.dtype, copy=False)
    parents = tuple(t for t in (x, weight, bias) if t is not None)
    gamma = _channel_view(weight._data, x.ndim) if weight is not None else 1.0
    scale = _channel_view(inv_std, x.ndim)

    def backward(g: np.ndarray) -> list[np.ndarray | None]:
        g_hat = g * gamma
        if batch_statistics:
            # ∂L/∂x = (1/√(σ²+eps)) (g_hat - mean(g_hat) - x̂ · mean(g_hat · x̂))
            mean_g = g_hat.mean(axis=axes, keepdims=True)
            mean_gx = (g_hat * x_hat).mean(axis=axes, keepdims=True)
            gx = scale * (g_hat - mean_g - x_hat * mean_gx)
        else:
            gx = g_hat * scale  # statistics are constants: the op is affine in x
        grads: list[np.ndarray | None] = [gx if x.requires_grad else None]
        if weight is not None:
            grads.append((g * x_hat).sum(axis=axes) if weight.requires_grad else None)
        if bias is not None:
            grads.append(g.sum(axis=axes) if bias.requires_grad else None)
        return grads

    # without weight and bias the output array is x̂ itself, which backward reads
    saved = (weight,) if weight is not None else (OUT,) if bias is None else ()
    return record("batch_norm", out, parents, backward, saved=saved)

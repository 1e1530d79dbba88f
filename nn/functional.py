"""``nn.functional``: the layers' computations as functions, with PyTorch's argument order."""

from __future__ import annotations

from typing import Any

import numpy as np

from chaingrad.autograd import Tensor
from chaingrad.autograd.ops import elementwise
from chaingrad.autograd.ops.conv import avg_pool2d, conv1d, conv2d, max_pool2d
from chaingrad.autograd.ops.linalg import linear
from chaingrad.autograd.ops.losses import (
    REDUCTIONS,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    nll_loss,
)
from chaingrad.autograd.ops.normalization import batch_norm as _batch_norm
from chaingrad.autograd.tensor import as_tensor
from chaingrad.nn.init import generator

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "relu",
    "selu",
    "sigmoid",
    "softmax",
    "tanh",
]


def relu(x: Tensor) -> Tensor:
    """max(0, x)."""
    return elementwise.relu(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope·x."""
    return elementwise.leaky_relu(x, negative_slope)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return elementwise.tanh(x)


def sigmoid(x: Tensor) -> Tensor:
    """Logistic sigmoid."""
    return elementwise.sigmoid(x)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else alpha·(eˣ - 1)."""
    return elementwise.elu(x, alpha)


def selu(x: Tensor) -> Tensor:
    """Scaled ELU with the self-normalising constants."""
    return elementwise.selu(x)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / Σ exp(x) along ``axis``, stable for large logits."""
    return x.softmax(axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis``, stable for large logits."""
    return x.log_softmax(axis)


def dropout(x: Tensor, p: float = 0.5, training: bool = True, seed: Any = None) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p).

    The expected value is unchanged, so evaluation (``training=False``) is the identity.
    ``seed`` is an int or a NumPy Generator (default: nn.init's generator).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = generator(seed).random(x.shape) >= p
    # the mask, scaled, is the local gradient: kept elements pass g / (1 - p), dropped ones 0
    return x * (keep * (1.0 / (1.0 - p))).astype(x.dtype)


def batch_norm(
    x: Tensor,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (axis 1) of (N, C, ...) input, as ``torch.nn.functional.batch_norm``.

    Training uses the batch's mean and biased variance and updates the running statistics in
    place: running = (1 - momentum)·running + momentum·batch, with the *unbiased* variance.
    Evaluation uses the running statistics.
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C, ...), got shape {x.shape}")
    channels = x.shape[1]
    for label, t in (
        ("weight", weight),
        ("bias", bias),
        ("running_mean", running_mean),
        ("running_var", running_var),
    ):
        if t is not None and np.shape(t) != (channels,):
            raise ValueError(
                f"batch_norm: {label} of shape {np.shape(t)} does not fit {channels} channels"
            )
    axes = (0, *range(2, x.ndim))
    if training:
        count = x.numel() // channels
        if count <= 1:
            raise ValueError(
                f"batch_norm: training needs more than one value per channel, got input {x.shape}"
            )
        mean = x.numpy().mean(axis=axes)
        var = x.numpy().var(axis=axes)
        if running_mean is not None:
            running_mean *= 1.0 - momentum
            running_mean += momentum * mean
        if running_var is not None:
            running_var *= 1.0 - momentum
            running_var += momentum * var * (count / (count - 1))  # unbiased, as PyTorch
        return _batch_norm(x, mean, var, weight, bias, eps, batch_statistics=True)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: evaluation needs running_mean and running_var")
    mean = running_mean.astype(x.dtype, copy=False)
    var = running_var.astype(x.dtype, copy=False)
    return _batch_norm(x, mean, var, weight, bias, eps, batch_statistics=False)


def embedding(indices: Any, weight: Tensor) -> Tensor:
    """Rows of ``weight`` picked by integer ``indices``; repeated indices accumulate gradient."""
    idx = indices.numpy() if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got {idx.dtype}")
    count = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= count):
        bad = int(idx.min() if idx.min() < 0 else idx.max())
        raise IndexError(f"embedding: index {bad} is out of range for {count} embeddings")
    return weight[idx]


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error (x - t)², reduced by "mean", "sum" or "none"."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"mse_loss: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    target = as_tensor(target, input)
    if target.shape != input.shape:
        raise ValueError(
            f"mse_loss: target of shape {target.shape} differs from input of shape {input.shape} "
            "(no silent broadcasting: reshape one of them)"
        )
    diff = input - target
    squared = diff * diff
    if reduction == "none":
        return squared
    return squared.sum() if reduction == "sum" else squared.mean()

"""Fused loss ops: each records the gradient of the per-element loss in the forward pass.

Fusing keeps them exact and stable where a composite of ops would not be: softmax + cross-entropy
records ŷ - y (the famous local gradient); binary cross-entropy clamps its logs at -100 and
divides by max(p(1 - p), 1e-12) as PyTorch does, so saturated probabilities of exactly 0 or 1
give finite losses and gradients; the logits form never exponentiates a large positive number.
Targets are data: they get no gradient.
"""

from __future__ import annotations

import numpy as np

from chaingrad.autograd.ops.record import record
from chaingrad.autograd.tensor import Tensor, as_tensor

REDUCTIONS = ("mean", "sum", "none")
LOG_CLAMP = -100.0  # PyTorch's floor for log p in binary cross-entropy
BCE_EPS = 1e-12  # PyTorch's floor for p(1 - p) in its gradient


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduced(
    op: str, per_element: np.ndarray, local: np.ndarray, parent: Tensor, reduction: str
) -> Tensor:
    """Apply the reduction to per-element losses; backward spreads g over ``local`` (∂loss_i/∂x)."""
    if reduction == "none":
        out = per_element
    elif reduction == "sum":
        out = np.asarray(per_element.sum())
    else:
        out = (
            np.asarray(per_element.mean())
            if per_element.size
            else np.asarray(np.nan, per_element.dtype)
        )
    count = max(per_element.size, 1)
    extra = local.ndim - per_element.ndim  # the class axis when the loss summed over classes

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        if reduction == "mean":
            return (local * (g / count),)
        if reduction == "sum":
            return (local * g,)
        return (local * np.expand_dims(g, 1) if extra else local * g,)

    return record(op, out, (parent,), backward, fresh=True)


def _class_targets(op: str, scores: Tensor, target: object) -> np.ndarray:
    """Integer class indices of shape (N, d1, ...) for scores (N, C, d1, ...), validated."""
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got {t.dtype}")
    if scores.ndim < 1 or scores.ndim == 1:
        raise ValueError(f"{op}: input must be (N, C) or (N, C, d1, ...), got shape {scores.shape}")
    expected = scores.shape[:1] + scores.shape[2:]
    if t.shape != expected:
        raise ValueError(
            f"{op}: target of shape {t.shape} does not fit input {scores.shape} "
            f"(expected {expected})"
        )
    classes = scores.shape[1]
    if t.size:
        lo, hi = t.min(), t.max()
        if lo < 0 or hi >= classes:
            bad = lo if lo < 0 else hi
            raise IndexError(f"{op}: target {int(bad)} is out of range for {classes} classes")
    return t


def _one_hot(t: np.ndarray, classes: int, dtype: np.dtype) -> np.ndarray:
    """One-hot along axis 1: (N, d1, ...) indices → (N, C, d1, ...)."""
    hot = np.zeros((t.shape[0], classes, *t.shape[1:]), dtype=dtype)
    np.put_along_axis(hot, np.expand_dims(t, 1), 1, axis=1)
    return hot


def cross_entropy(logits: Tensor, target: object, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of (N, C, ...) logits against integer class targets."""
    _check_reduction("cross_entropy", reduction)
    t = _class_targets("cross_entropy", logits, target)
    x = logits._data
    with np.errstate(invalid="ignore"):  # inf - inf: that row's loss is NaN, as PyTorch's
        shifted = x - x.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    if x.ndim == 2:  # (N, C): plain indexing, several times cheaper than the along-axis calls
        rows = np.arange(x.shape[0])
        per_element = np.log(total[:, 0]) - shifted[rows, t]  # logsumexp(x) - x[target]
        local = np.divide(exp, total, out=exp)  # ŷ, in the buffer of e^x (its last use)
        local[rows, t] -= 1  # ŷ - y: y is one-hot, so only the target column changes
    else:
        picked = np.take_along_axis(shifted, np.expand_dims(t, 1), axis=1)
        per_element = (np.log(total) - picked).squeeze(1)  # logsumexp(x) - x[target]
        local = exp / total - _one_hot(t, x.shape[1], x.dtype)  # ŷ - y
    return _reduced("cross_entropy", per_element, local, logits, reduction)


def nll_loss(log_probs: Tensor, target: object, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -log_probs[n, target[n], ...]."""
    _check_reduction("nll_loss", reduction)
    t = _class_targets("nll_loss", log_probs, target)
    per_element = -np.take_along_axis(log_probs._data, np.expand_dims(t, 1), axis=1).squeeze(1)
    local = -_one_hot(t, log_probs.shape[1], log_probs.dtype)  # -1 at the target class
    return _reduced("nll_loss", per_element, local, log_probs, reduction)


def _same_shape_target(op: str, input: Tensor, target: object) -> np.ndarray:  # noqa: A002
    t = as_tensor(target, input)._data
    if t.shape != input.shape:
        raise ValueError(
            f"{op}: target of shape {t.shape} differs from input of shape {input.shape} "
            "(no silent broadcasting: reshape one of them)"
        )
    return t.astype(input.dtype, copy=False)


def binary_cross_entropy(probs: Tensor, target: object, reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) with the logs clamped at -100, as PyTorch."""
    _check_reduction("binary_cross_entropy", reduction)
    t = _same_shape_target("binary_cross_entropy", probs, target)
    p = probs._data
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1]")
    if t.size and not ((t >= 0) & (t <= 1)).all():  # nan targets are refused too, as torch
        bad = t[~((t >= 0) & (t <= 1))].flat[0]
        raise ValueError(
            f"binary_cross_entropy: all elements of target should be between 0 and 1, got {bad}"
        )
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), LOG_CLAMP)
        log_q = np.maximum(np.log1p(-p), LOG_CLAMP)
    per_element = -(t * log_p + (1 - t) * log_q)
    local = (p - t) / np.maximum(p * (1 - p), BCE_EPS)  # d/dp, finite at p = 0 and p = 1
    return _reduced(
        "binary_cross_entropy", per_element, local.astype(p.dtype, copy=False), probs, reduction
    )


def binary_cross_entropy_with_logits(
    logits: Tensor, target: object, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy of sigmoid(logits), computed stably from the logits."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    t = _same_shape_target("binary_cross_entropy_with_logits", logits, target)
    x = logits._data
    # max(x, 0) - x t + log(1 + e^-|x|): never exponentiates a large positive number
    per_element = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    with np.errstate(over="ignore"):
        sigmoid = (1.0 / (1.0 + np.exp(-x))).astype(x.dtype, copy=False)
    return _reduced("binary_cross_entropy_with_logits", per_element, sigmoid - t, logits, reduction)

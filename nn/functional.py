"""``nn.functional``: the layers' computations as functions, with PyTorch's argument order."""

from __future__ import annotations

from typing import Any

import numpy as np

from chaingrad.autograd import Tensor
from chaingrad.autograd import functional as ops
from chaingrad.autograd.functional import (
    REDUCTIONS,
    as_tensor,
    avg_pool2d,
    conv1d,
    conv2d,
    linear,
    max_pool2d,
)
from chaingrad.autograd.functional import batch_norm as _batch_norm
from chaingrad.nn import init as _init

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
    "l1_loss",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "relu",
    "selu",
    "sigmoid",
    "softmax",
    "tanh",
]


_MISSING: Any = object()


def _no_inplace(op: str, inplace: bool) -> None:
    if inplace:
        raise ValueError(f"{op}: inplace=True is not supported; use the returned tensor")


def _dim(op: str, dim: Any, axis: Any, default: Any = -1) -> Any:
    """PyTorch's ``dim`` or NumPy's ``axis`` (not both)."""
    if dim is not _MISSING and axis is not _MISSING:
        raise TypeError(f"{op}: pass dim= or axis=, not both")
    if dim is not _MISSING and dim is not None:
        return dim
    return default if axis is _MISSING else axis


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x)."""
    _no_inplace("relu", inplace)
    return ops.relu(x)


def leaky_relu(
    x: Tensor, negative_slope: float = 0.01, inplace: bool = False, *, slope: float | None = None
) -> Tensor:
    """x where x > 0, else negative_slope·x (``slope=`` is the NumPy-style alias)."""
    _no_inplace("leaky_relu", inplace)
    return ops.leaky_relu(x, negative_slope if slope is None else slope)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return ops.tanh(x)


def sigmoid(x: Tensor) -> Tensor:
    """Logistic sigmoid."""
    return ops.sigmoid(x)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else alpha·(eˣ - 1)."""
    return ops.elu(x, alpha)


def selu(x: Tensor) -> Tensor:
    """Scaled ELU with the self-normalising constants."""
    return ops.selu(x)


def softmax(x: Tensor, dim: Any = _MISSING, dtype: Any = None, *, axis: Any = _MISSING) -> Tensor:
    """exp(x) / Σ exp(x) along ``dim`` (or ``axis``; default -1, where PyTorch warns and guesses),
    stable for large logits."""
    x = x if dtype is None else x.to(dtype)
    return x.softmax(_dim("softmax", dim, axis))


def log_softmax(
    x: Tensor, dim: Any = _MISSING, dtype: Any = None, *, axis: Any = _MISSING
) -> Tensor:
    """x - logsumexp(x) along ``dim`` (or ``axis``; default -1), stable for large logits."""
    x = x if dtype is None else x.to(dtype)
    return x.log_softmax(_dim("log_softmax", dim, axis))


def dropout(
    x: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    seed: Any = None,
    generator: Any = None,
) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p).

    The expected value is unchanged, so evaluation (``training=False``) is the identity.
    The mask comes from ``seed``/``generator`` (an int, a NumPy or chaingrad Generator), else
    from the default stream that ``chaingrad.manual_seed`` resets.
    """
    _no_inplace("dropout", inplace)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = _init.generator(seed, generator).random(x.shape) >= p
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
    # running statistics are updated in place in their own memory (Tensor buffers or arrays)
    running_mean = running_mean.numpy() if isinstance(running_mean, Tensor) else running_mean
    running_var = running_var.numpy() if isinstance(running_var, Tensor) else running_var
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


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer class indices (any shape) as int64 one-hot vectors along a new last axis;
    ``num_classes=-1`` means max index + 1, as PyTorch."""
    idx = tensor.numpy() if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be integers, got {idx.dtype}")
    if num_classes == -1:
        if idx.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(idx.max()) + 1
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        bad = int(idx.min() if idx.min() < 0 else idx.max())
        raise ValueError(f"one_hot: class index {bad} is out of range for {num_classes} classes")
    return Tensor((idx[..., None] == np.arange(num_classes)).astype(np.int64))


def _reduce(op: str, loss: Tensor, reduction: str) -> Tensor:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _same_shape(op: str, input: Tensor, target: Any) -> Tensor:  # noqa: A002
    target = as_tensor(target, input)
    if target.shape != input.shape:
        raise ValueError(
            f"{op}: target of shape {target.shape} differs from input of shape {input.shape} "
            "(no silent broadcasting: reshape one of them)"
        )
    return target


def _weight_reduction(op: str, weight: Any, reduction: str) -> tuple[Any, str]:
    """Older chaingrad code passed ``reduction`` third, where PyTorch has ``weight``: a string
    there can only mean a reduction."""
    if isinstance(weight, str):
        return None, weight
    return weight, reduction


def cross_entropy(
    input: Tensor,  # noqa: A002
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits (N, C, ...) against integer class indices (N, ...), as
    ``torch.nn.functional.cross_entropy``: ``weight`` (C,) rescales classes (the mean is then
    weighted by the targets' weights) and targets equal to ``ignore_index`` count for nothing."""
    weight, reduction = _weight_reduction("cross_entropy", weight, reduction)
    if label_smoothing:
        raise ValueError("cross_entropy: label_smoothing is not supported (use 0.0)")
    return _class_loss(
        "cross_entropy", ops.cross_entropy, input, target, weight, ignore_index, reduction
    )


def nll_loss(
    input: Tensor,  # noqa: A002
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C, ...) against integer class indices,
    with ``weight`` and ``ignore_index`` as ``torch.nn.functional.nll_loss``."""
    weight, reduction = _weight_reduction("nll_loss", weight, reduction)
    return _class_loss("nll_loss", ops.nll_loss, input, target, weight, ignore_index, reduction)


def _class_loss(
    op: str,
    fused: Any,
    input: Tensor,  # noqa: A002
    target: Any,
    weight: Any,
    ignore_index: int,
    reduction: str,
) -> Tensor:
    t = target.numpy() if isinstance(target, Tensor) else np.asarray(target)
    ignored = t == ignore_index if t.dtype.kind in "iu" else np.zeros(t.shape, bool)
    if weight is None and not ignored.any():
        return fused(input, target, reduction)  # the fused op, exact and fast
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    safe = np.where(ignored, 0, t)  # any valid class: the ignored losses get weight 0 below
    per_example = fused(input, safe, "none")
    w = np.ones(t.shape, input.dtype)
    if weight is not None:
        wv = weight.numpy() if isinstance(weight, Tensor) else np.asarray(weight)
        if wv.shape != (input.shape[1],):
            raise ValueError(
                f"{op}: weight of shape {wv.shape} does not fit {input.shape[1]} classes"
            )
        w = wv[safe].astype(input.dtype)
    w = np.where(ignored, 0, w).astype(input.dtype)
    weighted = per_example * w
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / w.sum()  # PyTorch's weighted mean: Σ wᵢ lᵢ / Σ wᵢ


def binary_cross_entropy(
    input: Tensor,  # noqa: A002
    target: Any,
    weight: Any = None,
    *,
    reduction: str = "mean",
) -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) on probabilities, logs clamped at -100 as PyTorch;
    ``weight`` (broadcasting to the input) rescales each element's loss."""
    weight, reduction = _weight_reduction("binary_cross_entropy", weight, reduction)
    if weight is None:
        return ops.binary_cross_entropy(input, target, reduction)
    per_element = ops.binary_cross_entropy(input, target, "none") * as_tensor(weight, input)
    return _reduce("binary_cross_entropy", per_element, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Any,
    weight: Any = None,
    *,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Binary cross-entropy of sigmoid(logits), computed stably from the logits; ``weight``
    rescales each element's loss (``pos_weight`` is not supported)."""
    weight, reduction = _weight_reduction("binary_cross_entropy_with_logits", weight, reduction)
    if pos_weight is not None:
        raise ValueError("binary_cross_entropy_with_logits: pos_weight is not supported")
    if weight is None:
        return ops.binary_cross_entropy_with_logits(input, target, reduction)
    per_element = ops.binary_cross_entropy_with_logits(input, target, "none")
    return _reduce(
        "binary_cross_entropy_with_logits", per_element * as_tensor(weight, input), reduction
    )


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean absolute error |x - t| (PyTorch's gradient: sign(x - t), 0 where they are equal)."""
    target = _same_shape("l1_loss", input, target)
    return _reduce("l1_loss", (input - target).abs(), reduction)


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


# ---------------------------------------------------------------------------- recurrences
# PyTorch keeps these inside (torch._VF.rnn_tanh, lstm, gru); chaingrad makes them public so a
# custom recurrent layer can run the fused whole-sequence op that nn.RNN/LSTM/GRU use.
def rnn(
    input: Tensor,  # noqa: A002
    hx: Tensor | None,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
) -> tuple[Tensor, Tensor]:
    """One Elman RNN layer over time-major ``input`` (T, B, I): ``(output (T, B, H), h_n (B, H))``.

    ``hx`` (B, H) is the first hidden state (zeros when None); the weights are shaped as
    ``nn.RNN``'s ``weight_ih_l0`` (H, I) and ``weight_hh_l0`` (H, H).
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return ops.rnn(input, hx, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity)


def lstm(
    input: Tensor,  # noqa: A002
    hx: tuple[Tensor, Tensor] | None,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """One LSTM layer over time-major ``input`` (T, B, I): ``(output, (h_n, c_n))`` as nn.LSTM.

    ``hx`` is ``(h_0, c_0)``, each (B, H), or None for zeros; gates are [i, f, g, o] as in
    PyTorch, so ``weight_ih`` is (4H, I) and ``weight_hh`` (4H, H).
    """
    h0, c0 = (None, None) if hx is None else hx
    out, h_n, c_n = ops.lstm(input, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)
    return out, (h_n, c_n)


def gru(
    input: Tensor,  # noqa: A002
    hx: Tensor | None,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One GRU layer over time-major ``input`` (T, B, I): ``(output (T, B, H), h_n (B, H))``.

    Gates are [r, z, n] as in PyTorch, so ``weight_ih`` is (3H, I) and ``weight_hh`` (3H, H).
    """
    return ops.gru(input, hx, weight_ih, weight_hh, bias_ih, bias_hh)


__all__ += ["gru", "lstm", "rnn"]

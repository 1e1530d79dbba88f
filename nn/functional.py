"""``nn.functional``: the layers' computations as functions, with PyTorch's argument order."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chaingrad.autograd import Tensor
from chaingrad.autograd import functional as ops
from chaingrad.autograd import stack as _stack
from chaingrad.autograd import where as _where
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


# ---------------------------------------------------------------------------- breadth (issue 12)
# The layers PyTorch tutorials use beyond the basics. Most compose differentiable Tensor ops, so
# their gradients are the engine's; the activations call the fused ops of autograd.functional.
def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` axes (biased variance), then scale by
    ``weight`` and shift by ``bias``, as ``torch.nn.functional.layer_norm``."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or input.shape[input.ndim - len(shape) :] != shape or len(shape) > input.ndim:
        raise ValueError(
            f"layer_norm: normalized_shape {shape} does not match the trailing axes of input "
            f"of shape {input.shape}"
        )
    for label, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(
                f"layer_norm: {label} of shape {tuple(t.shape)} differs from normalized_shape "
                f"{shape}"
            )
    axes = tuple(range(-len(shape), 0))
    centred = input - input.mean(axes, keepdim=True)
    var = (centred * centred).mean(axes, keepdim=True)
    out = centred * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(
    input: Tensor,  # noqa: A002
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise (N, C, ...) input over groups of C/num_groups channels and the spatial axes,
    then an affine map per channel, as ``torch.nn.functional.group_norm``."""
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise ValueError(
            f"group_norm: input of shape {input.shape} has no channel axis divisible into "
            f"{num_groups} groups"
        )
    n, c = input.shape[:2]
    grouped = layer_norm(
        input.reshape(n, num_groups, -1),
        ((c // num_groups) * math.prod(input.shape[2:]),),
        eps=eps,
    ).reshape(input.shape)
    per_channel = (c,) + (1,) * (input.ndim - 2)  # weight (C,) broadcast over the spatial axes
    if weight is not None:
        grouped = grouped * weight.reshape(per_channel)
    if bias is not None:
        grouped = grouped + bias.reshape(per_channel)
    return grouped


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """x·Φ(x) with the exact erf, or the tanh approximation when ``approximate="tanh"``."""
    return ops.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x·σ(x) (swish)."""
    _no_inplace("silu", inplace)
    return ops.silu(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """log(1 + e^(βx))/β, the identity where βx > threshold."""
    return ops.softplus(input, beta, threshold)


def hardtanh(
    input: Tensor,  # noqa: A002
    min_val: float = -1.0,
    max_val: float = 1.0,
    inplace: bool = False,
) -> Tensor:
    """Clamp to [min_val, max_val] (gradient 0 on the edges, as PyTorch)."""
    _no_inplace("hardtanh", inplace)
    return ops.hardtanh(input, min_val, max_val)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """log σ(x), stable for large |x|."""
    return ops.log_sigmoid(input)


def softmin(
    input: Tensor,  # noqa: A002
    dim: Any = _MISSING,
    dtype: Any = None,
    *,
    axis: Any = _MISSING,
) -> Tensor:
    """softmax(-x) along ``dim`` (default -1, where PyTorch warns and guesses)."""
    return softmax(-input, dim, dtype, axis=axis)


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """Gated linear unit: a·σ(b) where a, b are the two halves of ``input`` along ``dim``."""
    size = input.shape[dim]
    if size % 2:
        raise ValueError(f"glu: dimension {dim} of input {input.shape} has odd size {size}")
    a, b = input.chunk(2, dim)
    return a * ops.sigmoid(b)


def _output_size(op: str, output_size: Any, spatial: tuple[int, ...]) -> tuple[int, ...]:
    """An int or a tuple with None for "keep that size", as PyTorch's adaptive pools."""
    sizes = (output_size,) * len(spatial) if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != len(spatial):
        raise ValueError(f"{op}: output_size {output_size!r} needs {len(spatial)} entries")
    sizes = tuple(s if o is None else o for o, s in zip(sizes, spatial))
    if any(not isinstance(o, int | np.integer) or o < 1 for o in sizes):
        raise ValueError(f"{op}: output_size must hold positive ints or None, got {output_size!r}")
    return tuple(int(o) for o in sizes)


def _windows(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive windows: [floor(i·size/out), ceil((i+1)·size/out))."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _pool_input(op: str, input: Tensor) -> Tensor:  # noqa: A002
    if input.ndim not in (3, 4):
        raise ValueError(f"{op}: expected (N, C, H, W) or (C, H, W) input, got shape {input.shape}")
    return input


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Average over PyTorch's adaptive windows so the output is ``output_size`` (an int, a
    pair, None keeping that size); (1, 1) is global average pooling."""
    x = _pool_input("adaptive_avg_pool2d", input)
    (h, w), (oh, ow) = x.shape[-2:], _output_size("adaptive_avg_pool2d", output_size, x.shape[-2:])
    if (oh, ow) == (1, 1):
        return x.mean((-2, -1), keepdim=True)
    # The windows are rectangles, so their mean is separable: rows then columns, as two matmuls
    # with averaging matrices (whose transposes route the gradient back evenly over each window).
    rows = np.zeros((oh, h), x.dtype)
    for i, (a, b) in enumerate(_windows(h, oh)):
        rows[i, a:b] = 1.0 / (b - a)
    cols = np.zeros((w, ow), x.dtype)
    for j, (a, b) in enumerate(_windows(w, ow)):
        cols[a:b, j] = 1.0 / (b - a)
    return Tensor(rows) @ x @ Tensor(cols)


def adaptive_max_pool2d(
    input: Tensor,  # noqa: A002
    output_size: Any,
    return_indices: bool = False,
) -> Tensor:
    """Maximum over PyTorch's adaptive windows; on ties the gradient is shared evenly among the
    tied elements (PyTorch sends it to one)."""
    if return_indices:
        raise ValueError("adaptive_max_pool2d: return_indices=True is not supported")
    x = _pool_input("adaptive_max_pool2d", input)
    (h, w), (oh, ow) = x.shape[-2:], _output_size("adaptive_max_pool2d", output_size, x.shape[-2:])
    rows = [
        _stack([x[..., a:b, c:d].amax((-2, -1)) for c, d in _windows(w, ow)], -1)
        for a, b in _windows(h, oh)
    ]
    return _stack(rows, -2)


def dropout2d(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    seed: Any = None,
    generator: Any = None,
) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability p and scale the
    rest by 1/(1-p); the identity when not training. Masks come from the default stream."""
    _no_inplace("dropout2d", inplace)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: p must be in [0, 1], got {p}")
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected (N, C, H, W) or (C, H, W) input, got {input.shape}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = _init.generator(seed, generator).random((*input.shape[:-2], 1, 1)) >= p
    # one mask entry per channel, broadcast over H and W: kept channels pass g / (1 - p)
    return input * (keep * (1.0 / (1.0 - p))).astype(input.dtype)


_PAD_MODES = {"constant": None, "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(
    input: Tensor,  # noqa: A002
    pad: Any,
    mode: str = "constant",
    value: float | None = None,
) -> Tensor:
    """Pad the last len(pad)/2 axes, last axis first: ``(left, right, top, bottom, ...)`` as
    PyTorch (not NumPy's per-axis pairs); modes "constant" (negative widths crop), "reflect",
    "replicate" and "circular"."""
    widths = [int(w) for w in pad]
    if len(widths) % 2 or len(widths) // 2 > input.ndim:
        raise ValueError(f"pad: {tuple(pad)} is not pairs for at most {input.ndim} axes")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {sorted(_PAD_MODES)}, got {mode!r}")
    pairs = [(0, 0)] * input.ndim
    for k in range(len(widths) // 2):
        pairs[input.ndim - 1 - k] = (widths[2 * k], widths[2 * k + 1])
    if mode != "constant":
        if value not in (None, 0):
            raise ValueError(f"pad: value is only for mode 'constant', got mode {mode!r}")
        out = input
        for ax, (before, after) in enumerate(pairs):
            if before == after == 0:
                continue
            n = input.shape[ax]
            if before < 0 or after < 0 or (mode == "reflect" and max(before, after) >= n):
                raise ValueError(
                    f"pad: {mode} padding ({before}, {after}) does not fit axis {ax} of size {n}"
                )
            # gathering by index: repeated indices (the mirrored/edge elements) sum their grads
            index = np.pad(np.arange(n), (before, after), mode=_PAD_MODES[mode])
            out = out.index_select(ax, index)
        return out
    crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for (b, a), n in zip(pairs, input.shape))
    out = input[crop] if any(b < 0 or a < 0 for b, a in pairs) else input
    grow = [(max(b, 0), max(a, 0)) for b, a in pairs]
    if not any(b or a for b, a in grow):
        return out
    inner = out.shape
    out = ops.pad_width(out, grow)
    if value:
        # the border is a constant: add it where the zero padding went (no gradient there)
        border = np.pad(np.zeros(inner, out.dtype), grow, constant_values=1)
        out = out + (border * value).astype(out.dtype)
    return out


def normalize(
    input: Tensor,  # noqa: A002
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
) -> Tensor:
    """x / max(‖x‖_p, eps) along ``dim``, as ``torch.nn.functional.normalize``."""
    return input / input.norm(p, dim, keepdim=True).clip(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ x1·x2 / (max(‖x1‖, eps)·max(‖x2‖, eps)) along ``dim``; the inputs broadcast."""
    x2 = as_tensor(x2, x1)
    try:
        np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(
            f"cosine_similarity: shapes {x1.shape} and {x2.shape} do not broadcast"
        ) from None
    a = x1 / x1.norm(2, dim, keepdim=True).clip(min=eps)
    b = x2 / x2.norm(2, dim, keepdim=True).clip(min=eps)
    return (a * b).sum(dim)


def smooth_l1_loss(
    input: Tensor,  # noqa: A002
    target: Any,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5·d²/beta where |d| < beta, else |d| - 0.5·beta (d = x - t); beta = 0 is the L1 loss."""
    target = _same_shape("smooth_l1_loss", input, target)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = (input - target).abs()
    if beta == 0:
        return _reduce("smooth_l1_loss", d, reduction)
    # where() sends the gradient to the branch it took: d/beta inside, sign(d) outside
    loss = _where((d < beta).numpy(), d * d * (0.5 / beta), d - 0.5 * beta)
    return _reduce("smooth_l1_loss", loss, reduction)


def huber_loss(
    input: Tensor,  # noqa: A002
    target: Any,
    reduction: str = "mean",
    delta: float = 1.0,
) -> Tensor:
    """0.5·d² where |d| < delta, else delta·(|d| - 0.5·delta): smooth_l1 scaled by delta."""
    target = _same_shape("huber_loss", input, target)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = (input - target).abs()
    loss = _where((d < delta).numpy(), d * d * 0.5, (d - 0.5 * delta) * delta)
    return _reduce("huber_loss", loss, reduction)


def kl_div(
    input: Tensor,  # noqa: A002
    target: Any,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Pointwise target·(log target - input) for log-probabilities ``input`` (0 where target is
    0); "batchmean" divides the sum by the batch size (the true KL divergence), "mean" by the
    number of elements, as PyTorch."""
    target = _same_shape("kl_div", input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = (target > 0).numpy()
        # xlogy: t·log t with 0·log 0 = 0; the safe log keeps NaN out of the unused branch
        safe = _where(positive, target, 1.0)
        loss = _where(positive, target * safe.log(), 0.0) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce("kl_div", loss, reduction)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(q·kᵀ·scale + mask)·v over (..., L, E) queries and (..., S, E) keys; a bool mask
    marks with True the pairs that take part, a float mask is added; ``is_causal`` keeps
    key j ≤ query i; ``scale`` defaults to 1/√E. Dropout on the weights when dropout_p > 0."""
    if enable_gqa:
        raise ValueError("scaled_dot_product_attention: enable_gqa=True is not supported")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"scaled_dot_product_attention: query {query.shape}, key {key.shape} and value "
            f"{value.shape} do not fit (..., L, E), (..., S, E), (..., S, Ev)"
        )
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: pass attn_mask or is_causal, not both")
    L, S = query.shape[-2], key.shape[-2]  # noqa: N806 - PyTorch's names
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        attn_mask = np.tril(np.ones((L, S), bool))
    if attn_mask is not None:
        mask = attn_mask.numpy() if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        if mask.dtype == bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask.astype(scores.dtype)
    weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights @ value


__all__ += [
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "cosine_similarity",
    "dropout2d",
    "gelu",
    "glu",
    "group_norm",
    "hardtanh",
    "huber_loss",
    "kl_div",
    "layer_norm",
    "logsigmoid",
    "normalize",
    "pad",
    "scaled_dot_product_attention",
    "silu",
    "smooth_l1_loss",
    "softmin",
    "softplus",
]

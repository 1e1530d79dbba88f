"""Convolution and pooling as engine ops; the loops are numba kernels in ``kernels/``.

Like every op, each records what its backward needs in the forward pass: a convolution keeps
its input and weights (its backward is the same convolution machinery run the other way),
max pooling keeps the argmax of each window (the gradient is routed there), average pooling
only the shapes (the gradient is shared equally over each window).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from chaingrad.autograd.ops.record import record
from chaingrad.autograd.tensor import Tensor
from chaingrad.kernels.conv import conv1d_backward, conv1d_forward, conv2d_backward, conv2d_forward
from chaingrad.kernels.pool import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward_compact,
    max_pool2d_forward_compact,
)


def _pair(value: Any, name: str, op: str) -> tuple[int, int]:
    """An int or a pair of ints as a pair."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value), int(value))
    if (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(isinstance(v, numbers.Integral) for v in value)
    ):
        return (int(value[0]), int(value[1]))
    raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


def _renamed(error: Exception, kernel: str, op: str) -> Exception:
    """A kernel's error, worded with the op name the user called."""
    return type(error)(str(error).replace(f"{kernel}:", f"{op}:"))


def _common_dtype(*tensors: Tensor | None) -> np.dtype:
    dtype = np.result_type(*(t._data for t in tensors if t is not None))
    if dtype.kind != "f":
        raise TypeError(f"convolution needs floating-point tensors, got {dtype}")
    return dtype


def _convolution(
    op: str,
    forward: Any,
    backward_kernel: Any,
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
) -> Tensor:
    """A convolution node: the kernels compute; the node keeps the input and the weights."""
    dtype = _common_dtype(x, weight, bias)
    if weight.ndim >= 1 and weight.shape[0] == 0:  # PyTorch refuses this too
        raise ValueError(
            f"{op}: weight {weight.shape} has 0 output channels; a convolution needs at least 1"
        )
    xs, ws = x._data.astype(dtype, copy=False), weight._data.astype(dtype, copy=False)
    bs = None if bias is None else bias._data.astype(dtype, copy=False)
    try:
        out = forward(xs, ws, bs, stride, padding)
    except (ValueError, TypeError) as error:
        raise _renamed(error, f"{op}_forward", op) from None
    parents = (x, weight) if bias is None else (x, weight, bias)
    need = [t.requires_grad for t in parents] + [False]

    def backward(g: np.ndarray) -> list[np.ndarray | None]:
        # the backward of a convolution is convolutions too: upstream ⋆ flipped weights for
        # the input, input ⋆ upstream for the weights, Σ upstream for the bias
        gx, gw, gb = backward_kernel(g, xs, ws, stride, padding, need[0], need[1], need[2])
        return [gx, gw] if bias is None else [gx, gw, gb]

    return record(op, out, parents, backward, saved=(x, weight), fresh=True)


def conv2d(
    x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0
) -> Tensor:
    """2-D cross-correlation of x (N, C, H, W) with weight (O, C, kh, kw), plus bias (O,)."""
    stride, padding = _pair(stride, "stride", "conv2d"), _pair(padding, "padding", "conv2d")
    return _convolution(
        "conv2d",
        conv2d_forward,
        conv2d_backward,
        x,
        weight,
        bias,
        stride,
        padding,
    )


def conv1d(
    x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1, padding: int = 0
) -> Tensor:
    """1-D cross-correlation of x (N, C, L) with weight (O, C, k), plus bias (O,)."""
    return _convolution(
        "conv1d",
        conv1d_forward,
        conv1d_backward,
        x,
        weight,
        bias,
        stride,
        padding,
    )


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """The maximum of each window; the gradient goes to that maximum (the first, on a tie)."""
    kernel = _pair(kernel_size, "kernel_size", "max_pool2d")
    steps = kernel if stride is None else _pair(stride, "stride", "max_pool2d")
    pads = _pair(padding, "padding", "max_pool2d")
    try:
        out, where = max_pool2d_forward_compact(x._data, kernel, steps, pads)
    except (ValueError, TypeError) as error:
        raise _renamed(error, "max_pool2d_forward_compact", "max_pool2d") from None
    shape = x.shape
    # the local gradient: 1 at each window's argmax, 0 elsewhere, kept as the argmax itself
    # (its offset in the window, one byte per output for windows of up to 255 elements)
    return record(
        "max_pool2d",
        out,
        (x,),
        lambda g: (max_pool2d_backward_compact(g, where, shape, kernel, steps, pads),),
        fresh=True,
    )


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """The mean of each window, zero padding counted (PyTorch's count_include_pad=True)."""
    kernel = _pair(kernel_size, "kernel_size", "avg_pool2d")
    steps = kernel if stride is None else _pair(stride, "stride", "avg_pool2d")
    pads = _pair(padding, "padding", "avg_pool2d")
    try:
        out = avg_pool2d_forward(x._data, kernel, steps, pads)
    except (ValueError, TypeError) as error:
        raise _renamed(error, "avg_pool2d_forward", "avg_pool2d") from None
    shape = x.shape
    # every cell of a window gets 1/(kh·kw) of the window's gradient
    return record(
        "avg_pool2d",
        out,
        (x,),
        lambda g: (avg_pool2d_backward(g, shape, kernel, steps, pads),),
        fresh=True,
    )

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
from numpy.lib.stride_tricks import sliding_window_view

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


def _groups(value: Any, x: Tensor, weight: Tensor) -> int:
    """``groups`` checked against the shapes: C_in, C_out divisible by it, weight (O, C/g, ·, ·)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {value!r}")
    g = int(value)
    if g == 1 or x.ndim != 4 or weight.ndim != 4:
        return g  # ungrouped, or the wrong ranks: the kernel's checks say what is wrong
    c_in, c_out = x.shape[1], weight.shape[0]
    if c_in % g or c_out % g:
        raise ValueError(
            f"conv2d: groups={g} needs in_channels and out_channels divisible by {g}, got "
            f"input {x.shape} ({c_in} channels) and weight {weight.shape} ({c_out} channels)"
        )
    if weight.shape[1] != c_in // g:
        raise ValueError(
            f"conv2d: input {x.shape} with groups={g} needs weight (O, {c_in // g}, kh, kw) "
            f"(in_channels / groups), got weight {weight.shape}"
        )
    return g


def _grouped(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: tuple[int, int],
    padding: tuple[int, int],
    groups: int,
) -> Tensor:
    """A grouped convolution node: group i convolves input channels i·C/g … (i+1)·C/g - 1 with
    output channels i·O/g … (i+1)·O/g - 1 only.

    All groups in one NumPy ``einsum`` over the input's windows (im2col as a strided view):
    measured, this is many times faster than one kernel call per group when the groups are
    many and small (a depth-wise convolution), where per-call overhead dominates.
    """
    dtype = _common_dtype(x, weight, bias)
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(
            f"conv2d: bias must have shape ({weight.shape[0]},) for weight {weight.shape}, "
            f"got {bias.shape}"
        )
    n, c, h, wd = x.shape
    o, cg, kh, kw = weight.shape
    (sh, sw), (ph, pw) = stride, padding
    if min(sh, sw) < 1 or min(ph, pw) < 0:
        raise ValueError(f"conv2d: stride {stride} must be >= 1 and padding {padding} >= 0")
    if h + 2 * ph < kh or wd + 2 * pw < kw:
        raise ValueError(
            f"conv2d: input {x.shape} padded by {padding} is smaller than the kernel "
            f"{(kh, kw)} of weight {weight.shape}"
        )
    ho, wo = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    xp = np.pad(x._data.astype(dtype, copy=False), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    # windows[n, g, c, i, j, u, v] = xp[n, g·C/g + c, i·sh + u, j·sw + v]: a view, no copy
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    windows = windows.reshape(n, groups, cg, ho, wo, kh, kw)
    wg = weight._data.astype(dtype, copy=False).reshape(groups, o // groups, cg, kh, kw)
    out = np.einsum("ngchwuv,gocuv->ngohw", windows, wg, optimize=True).reshape(n, o, ho, wo)
    if bias is not None:
        out = out + bias._data.astype(dtype, copy=False)[:, None, None]
    parents = (x, weight) if bias is None else (x, weight, bias)

    def backward(g: np.ndarray) -> list[np.ndarray | None]:
        # per group, an ordinary convolution's gradients: the weight's is the upstream
        # correlated with the input's windows, the bias's Σ upstream over N, H, W, and the
        # input's is every window's upstream × weight added back where the window lies (col2im)
        gg = g.reshape(n, groups, o // groups, ho, wo)
        grads: list[np.ndarray | None] = [None, None, None]
        if x.requires_grad:
            columns = np.einsum("ngohw,gocuv->ngchwuv", gg, wg, optimize=True)
            columns = columns.reshape(n, c, ho, wo, kh, kw)
            gxp = np.zeros(xp.shape, dtype)
            for u in range(kh):
                for v in range(kw):
                    gxp[:, :, u : u + sh * ho : sh, v : v + sw * wo : sw] += columns[..., u, v]
            grads[0] = gxp[:, :, ph : ph + h, pw : pw + wd]
        if weight.requires_grad:
            gw = np.einsum("ngohw,ngchwuv->gocuv", gg, windows, optimize=True)
            grads[1] = gw.reshape(weight.shape)
        if bias is not None and bias.requires_grad:
            grads[2] = g.sum(axis=(0, 2, 3))
        return grads[:2] if bias is None else grads

    return record("conv2d", out.astype(dtype, copy=False), parents, backward, saved=(x, weight))


def conv2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of x (N, C, H, W) with weight (O, C/groups, kh, kw), plus bias (O,).

    Arguments and ``groups`` as PyTorch (``groups=C`` is a depthwise convolution); a grouped
    convolution runs as one NumPy einsum over all groups (not the numba kernel, whose per-call
    cost dominates for many small groups). ``dilation`` other than 1 is not supported.
    """
    stride, padding = _pair(stride, "stride", "conv2d"), _pair(padding, "padding", "conv2d")
    if _pair(dilation, "dilation", "conv2d") != (1, 1):
        raise ValueError(f"conv2d: dilation={dilation!r} is not supported (only 1)")
    g = _groups(groups, x, weight)
    if g > 1:
        return _grouped(x, weight, bias, stride, padding, g)
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

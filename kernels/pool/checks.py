"""Argument checks of the pooling ops: shapes, window sizes, strides and padding."""

from __future__ import annotations

import numpy as np

from chaingrad.kernels.checks import int_pair
from chaingrad.kernels.conv.checks import conv_output_size


def pool_args(
    fn: str, x_shape: tuple[int, ...], kernel: object, stride: object, padding: object
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Validate kernel, stride (None = kernel) and padding; return them and the output size."""
    kh, kw = int_pair(fn, "kernel", kernel, 1)
    sh, sw = (kh, kw) if stride is None else int_pair(fn, "stride", stride, 1)
    ph, pw = int_pair(fn, "padding", padding, 0)
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(
            f"{fn}: padding {(ph, pw)} must be at most half the kernel {(kh, kw)} "
            "(as in PyTorch), so that every window holds an input element"
        )
    try:
        ho = conv_output_size(x_shape[2], kh, sh, ph)
        wo = conv_output_size(x_shape[3], kw, sw, pw)
    except ValueError as err:
        raise ValueError(f"{fn}: x {tuple(x_shape)}, kernel {(kh, kw)}: {err}") from None
    return (kh, kw), (sh, sw), (ph, pw), (ho, wo)


def check_x_shape(fn: str, x_shape: object) -> tuple[int, int, int, int]:
    """x_shape as four ints: N, C >= 0 and H, W >= 1 (PyTorch refuses empty planes too)."""
    try:
        shape = tuple(x_shape)  # type: ignore[call-overload]
    except TypeError:
        shape = ()
    if len(shape) != 4 or not all(isinstance(s, int | np.integer) for s in shape):
        raise ValueError(f"{fn}: x_shape must be four ints (N, C, H, W), got {x_shape!r}")
    check_sizes(fn, "x_shape", tuple(int(s) for s in shape))
    return tuple(int(s) for s in shape)  # type: ignore[return-value]


def check_sizes(fn: str, name: str, shape: tuple[int, ...]) -> None:
    """N and C may be 0 (an empty result); a plane of zero height or width has no windows."""
    if min(shape[:2]) < 0 or min(shape[2:]) < 1:
        raise ValueError(
            f"{fn}: {name} {shape} needs N, C >= 0 and H, W >= 1 (an empty plane has no windows)"
        )

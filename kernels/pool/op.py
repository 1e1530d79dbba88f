"""2-D max and average pooling over NCHW arrays: forward and backward, stride and padding.

Max pooling pads with -inf and records, for each output, the flat index ``ih * W + iw`` of its
maximum within the input plane; ties go to the first maximum in row-major window order and a
NaN counts as a maximum (as in PyTorch). Average pooling counts the zero padding in the
divisor (PyTorch's default ``count_include_pad=True``). Both parallelise over (image, channel)
planes, which are independent.
"""

from __future__ import annotations

import numpy as np

from chaingrad.kernels.checks import as_array, canonical, check_rank, float_dtype
from chaingrad.kernels.pool.checks import check_sizes, check_x_shape, pool_args
from chaingrad.kernels.pool.fast import (
    avg_pool_backward_kernel,
    avg_pool_forward_kernel,
    max_pool_backward_kernel,
    max_pool_forward_2x2_kernel,
    max_pool_forward_kernel,
)
from chaingrad.kernels.runtime import run_parallel


def max_pool2d_forward(
    x: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int] | None,
    padding: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """(y, argmax): each window's maximum and its flat index ih * W + iw in the input plane."""
    fn = "max_pool2d_forward"
    x = as_array(x)
    check_rank(fn, "x", x, 4, "(N, C, H, W)")
    check_sizes(fn, "x", x.shape)
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = pool_args(fn, x.shape, kernel, stride, padding)
    x = canonical(x, float_dtype(fn, x))
    y = np.empty((*x.shape[:2], ho, wo), dtype=x.dtype)
    arg = np.empty(y.shape, dtype=np.int64)
    if y.size == 0:  # N or C is 0: nothing to scan
        return y, arg
    if (kh, kw, sh, sw, ph, pw) == (2, 2, 2, 2, 0, 0):
        run_parallel(max_pool_forward_2x2_kernel, x, y, arg)
    else:
        run_parallel(max_pool_forward_kernel, x, kh, kw, sh, sw, ph, pw, y, arg)
    return y, arg


def max_pool2d_backward(
    gy: np.ndarray, argmax: np.ndarray, x_shape: tuple[int, int, int, int]
) -> np.ndarray:
    """Route each output gradient to its window's maximum, adding where windows overlap."""
    fn = "max_pool2d_backward"
    gy, argmax = as_array(gy), as_array(argmax)
    shape = check_x_shape(fn, x_shape)
    check_rank(fn, "gy", gy, 4, "(N, C, Ho, Wo)")
    if argmax.shape != gy.shape or gy.shape[:2] != shape[:2]:
        raise ValueError(
            f"{fn}: gy {gy.shape} and argmax {argmax.shape} must match each other and the "
            f"(N, C) of x_shape {shape}"
        )
    if argmax.dtype.kind not in "iu":
        raise TypeError(f"{fn}: argmax must hold integer indices, got {argmax.dtype}")
    gy = canonical(gy, float_dtype(fn, gy))
    if gy.size == 0:
        return np.zeros(shape, dtype=gy.dtype)
    # the kernel adds at argmax without a bounds check: every index must lie in the H x W plane
    # (checked on the caller's array, before a cast to int64 could wrap a huge unsigned value)
    plane = shape[2] * shape[3]
    lo, hi = argmax.min(), argmax.max()
    if lo < 0 or hi >= plane:
        raise ValueError(
            f"{fn}: argmax must be flat indices in [0, {plane}) for the {shape[2]} x {shape[3]} "
            f"plane of x_shape {shape}, got values from {lo} to {hi}"
        )
    gx = np.empty(shape, dtype=gy.dtype)
    run_parallel(max_pool_backward_kernel, gy, canonical(argmax, np.int64), gx)
    return gx


def avg_pool2d_forward(
    x: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int] | None,
    padding: tuple[int, int],
) -> np.ndarray:
    """The mean of each window, zero padding included in the count (count_include_pad=True)."""
    fn = "avg_pool2d_forward"
    x = as_array(x)
    check_rank(fn, "x", x, 4, "(N, C, H, W)")
    check_sizes(fn, "x", x.shape)
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = pool_args(fn, x.shape, kernel, stride, padding)
    x = canonical(x, float_dtype(fn, x))
    y = np.empty((*x.shape[:2], ho, wo), dtype=x.dtype)
    if y.size:
        run_parallel(avg_pool_forward_kernel, x, kh, kw, sh, sw, ph, pw, y)
    return y


def avg_pool2d_backward(
    gy: np.ndarray,
    x_shape: tuple[int, int, int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int] | None,
    padding: tuple[int, int],
) -> np.ndarray:
    """Share each output gradient equally among the kh * kw cells of its window."""
    fn = "avg_pool2d_backward"
    gy = as_array(gy)
    shape = check_x_shape(fn, x_shape)
    check_rank(fn, "gy", gy, 4, "(N, C, Ho, Wo)")
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = pool_args(fn, shape, kernel, stride, padding)
    if gy.shape != (*shape[:2], ho, wo):
        raise ValueError(
            f"{fn}: gy must have the output shape {(*shape[:2], ho, wo)} for x_shape {shape}, "
            f"got {gy.shape}"
        )
    gy = canonical(gy, float_dtype(fn, gy))
    if gy.size == 0:
        return np.zeros(shape, dtype=gy.dtype)
    gx = np.empty(shape, dtype=gy.dtype)
    run_parallel(avg_pool_backward_kernel, gy, kh, kw, sh, sw, ph, pw, gx)
    return gx

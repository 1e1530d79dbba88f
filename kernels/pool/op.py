"""2-D max and average pooling over NCHW arrays: forward and backward, stride and padding.

Max pooling pads with -inf and records, for each output, the flat index ``ih * W + iw`` of its
maximum within the input plane (PyTorch's ``return_indices``, int64); ties go to the first
maximum in row-major window order and a NaN counts as a maximum (as in PyTorch). The
``*_compact`` pair keeps what backward needs in the least memory: the maximum's offset within
its window as a uint8 when the window holds at most 255 elements (1 byte per output instead of
8), else the flat index as an int32 (``compact_argmax_dtype``). Average pooling counts the
zero padding in the divisor (PyTorch's default ``count_include_pad=True``). Both parallelise
over (image, channel) planes, which are independent.
"""

from __future__ import annotations

import numpy as np

from chaingrad.kernels.checks import as_array, canonical, check_rank, float_dtype
from chaingrad.kernels.pool import numpy_path
from chaingrad.kernels.pool.checks import check_sizes, check_x_shape, pool_args
from chaingrad.kernels.pool.fast import (
    avg_pool_backward_kernel,
    avg_pool_forward_kernel,
    max_pool_backward_kernel,
    max_pool_backward_offsets_kernel,
    max_pool_forward_2x2_kernel,
    max_pool_forward_kernel,
)
from chaingrad.kernels.runtime import run_parallel, threads_for, use_numba

WINDOW_OFFSETS_MAX = 255  # windows of up to this many elements keep uint8 offsets


def compact_argmax_dtype(kernel: tuple[int, int], plane: int) -> np.dtype:
    """uint8 (window offsets) for windows of at most 255 elements; else int32 flat indices
    (int64 for planes of 2**31 elements or more)."""
    if kernel[0] * kernel[1] <= WINDOW_OFFSETS_MAX:
        return np.dtype(np.uint8)
    return np.dtype(np.int32 if plane <= np.iinfo(np.int32).max else np.int64)


def _max_pool_forward(
    fn: str, x: np.ndarray, kernel: object, stride: object, padding: object, compact: bool
) -> tuple[np.ndarray, np.ndarray]:
    x = as_array(x)
    check_rank(fn, "x", x, 4, "(N, C, H, W)")
    check_sizes(fn, "x", x.shape)
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = pool_args(fn, x.shape, kernel, stride, padding)
    x = canonical(x, float_dtype(fn, x))
    y = np.empty((*x.shape[:2], ho, wo), dtype=x.dtype)
    dtype = compact_argmax_dtype((kh, kw), x.shape[2] * x.shape[3]) if compact else np.int64
    arg = np.empty(y.shape, dtype=dtype)
    offsets = arg.dtype == np.uint8
    if y.size == 0:  # N or C is 0: nothing to scan
        return y, arg
    if not use_numba("pool"):  # the kernels compile in the background: NumPy meanwhile
        numpy_path.max_pool2d_forward(x, (kh, kw), (sh, sw), (ph, pw), y, arg, offsets)
    elif (kh, kw, sh, sw, ph, pw) == (2, 2, 2, 2, 0, 0):
        run_parallel(max_pool_forward_2x2_kernel, x, y, arg, offsets, threads=threads_for(x.size))
    else:
        run_parallel(
            max_pool_forward_kernel, x, kh, kw, sh, sw, ph, pw, y, arg, offsets,
            threads=threads_for(y.size * kh * kw),
        )  # fmt: skip
    return y, arg


def max_pool2d_forward(
    x: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int] | None,
    padding: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """(y, argmax): each window's maximum and its flat index ih * W + iw in the input plane."""
    return _max_pool_forward("max_pool2d_forward", x, kernel, stride, padding, compact=False)


def max_pool2d_forward_compact(
    x: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int] | None,
    padding: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """(y, where): ``where`` is the maximum's offset in its window, (ih - oh*sh + ph) * kw +
    (iw - ow*sw + pw), as uint8 for windows of <= 255 elements, else an int32 flat index."""
    fn = "max_pool2d_forward_compact"
    return _max_pool_forward(fn, x, kernel, stride, padding, compact=True)


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
    # an int32 argmax (the compact form of wide windows) is read as it is: no int64 copy
    index = np.int32 if argmax.dtype == np.int32 else np.int64
    if use_numba("pool"):
        run_parallel(
            max_pool_backward_kernel, gy, canonical(argmax, index), gx,
            threads=threads_for(gx.size),
        )  # fmt: skip
    else:
        numpy_path.max_pool2d_backward(gy, canonical(argmax, index), gx)
    return gx


def max_pool2d_backward_compact(
    gy: np.ndarray,
    where: np.ndarray,
    x_shape: tuple[int, int, int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int] | None,
    padding: tuple[int, int],
) -> np.ndarray:
    """The backward of ``max_pool2d_forward_compact``: window offsets or wide flat indices."""
    fn = "max_pool2d_backward_compact"
    gy, where = as_array(gy), as_array(where)
    shape = check_x_shape(fn, x_shape)
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = pool_args(fn, shape, kernel, stride, padding)
    expected = compact_argmax_dtype((kh, kw), shape[2] * shape[3])
    if expected != np.uint8:  # a wide window: flat indices, checked by the plain backward
        if where.dtype != expected:
            raise TypeError(
                f"{fn}: a {kh} x {kw} window keeps {expected} flat indices, got {where.dtype}"
            )
        return max_pool2d_backward(gy, where, shape)
    check_rank(fn, "gy", gy, 4, "(N, C, Ho, Wo)")
    if gy.shape != (*shape[:2], ho, wo) or where.shape != gy.shape:
        raise ValueError(
            f"{fn}: gy {gy.shape} and where {where.shape} must both have the output shape "
            f"{(*shape[:2], ho, wo)} of x_shape {shape}"
        )
    if where.dtype != np.uint8:
        raise TypeError(f"{fn}: a {kh} x {kw} window keeps uint8 offsets, got {where.dtype}")
    gy = canonical(gy, float_dtype(fn, gy))
    if gy.size == 0:
        return np.zeros(shape, dtype=gy.dtype)
    top = int(where.max())
    if top >= kh * kw:
        raise ValueError(
            f"{fn}: window offsets must lie in [0, {kh * kw}) for a {kh} x {kw} window, got {top}"
        )
    gx = np.empty(shape, dtype=gy.dtype)
    where = canonical(where, np.uint8)
    if use_numba("pool"):
        outside = run_parallel(
            max_pool_backward_offsets_kernel, gy, where, kw, sh, sw, ph, pw, gx,
            threads=threads_for(gx.size),
        )  # fmt: skip
    else:
        window = ((kh, kw), (sh, sw), (ph, pw))
        outside = numpy_path.max_pool2d_backward_offsets(gy, where, *window, gx)
    if outside:
        raise ValueError(
            f"{fn}: {outside} window offsets point into the padding, outside the "
            f"{shape[2]} x {shape[3]} plane of x_shape {shape}"
        )
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
    if y.size and use_numba("pool"):
        run_parallel(
            avg_pool_forward_kernel, x, kh, kw, sh, sw, ph, pw, y,
            threads=threads_for(y.size * kh * kw),
        )  # fmt: skip
    elif y.size:  # the kernels compile in the background: NumPy meanwhile
        numpy_path.avg_pool2d_forward(x, (kh, kw), (sh, sw), (ph, pw), y)
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
    if use_numba("pool"):
        run_parallel(
            avg_pool_backward_kernel, gy, kh, kw, sh, sw, ph, pw, gx,
            threads=threads_for(gy.size * kh * kw),
        )  # fmt: skip
    else:
        numpy_path.avg_pool2d_backward(gy, (kh, kw), (sh, sw), (ph, pw), gx)
    return gx

"""2-D max and average pooling over NCHW arrays: forward and backward, stride and padding.

Max pooling pads with -inf and records, for each output, the flat index ``ih * W + iw`` of its
maximum within the input plane; ties go to the first maximum in row-major window order and a
NaN counts as a maximum (as in PyTorch). Average pooling counts the zero padding in the
divisor (PyTorch's default ``count_include_pad=True``). Both parallelise over (image, channel)
planes, which are independent.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from chaingrad.kernels.checks import as_array, canonical, check_rank, float_dtype, int_pair
from chaingrad.kernels.conv import conv_output_size
from chaingrad.kernels.runtime import kernel, run_parallel


@kernel("pool", parallel=True)
def _max_pool_forward(
    x: np.ndarray, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int, y: np.ndarray,
    arg: np.ndarray
) -> None:  # fmt: skip
    n_img, n_ch, h, w = x.shape
    ho, wo = y.shape[2], y.shape[3]
    # output columns whose window lies wholly inside the row need no clipping
    in_lo = min(wo, (pw + sw - 1) // sw)
    in_hi = max(in_lo, min(wo, (w - kw + pw) // sw + 1))
    for plane in prange(n_img * n_ch):
        n, c = plane // n_ch, plane % n_ch
        xp = x[n, c]
        for oh in range(ho):
            ih0 = oh * sh - ph
            i_lo, i_hi = max(ih0, 0), min(ih0 + kh, h)
            y_row, arg_row = y[n, c, oh], arg[n, c, oh]
            for ow in range(wo):
                j_lo = ow * sw - pw
                j_hi = j_lo + kw
                if ow < in_lo or ow >= in_hi:
                    j_lo, j_hi = max(j_lo, 0), min(j_hi, w)
                best = xp[i_lo, j_lo]  # the first element inside the input starts the scan
                where = i_lo * w + j_lo
                for ih in range(i_lo, i_hi):
                    row = xp[ih]
                    for iw in range(j_lo, j_hi):
                        v = row[iw]
                        take = (v > best) | (v != v)  # strict: ties keep the first; NaN wins
                        best = v if take else best
                        where = ih * w + iw if take else where
                y_row[ow] = best
                arg_row[ow] = where


@kernel("pool", parallel=True)
def _max_pool_forward_2x2(x: np.ndarray, y: np.ndarray, arg: np.ndarray) -> None:
    """The common 2x2, stride 2, no padding case with the window unrolled: 3x faster here."""
    n_img, n_ch, w = x.shape[0], x.shape[1], x.shape[3]
    ho, wo = y.shape[2], y.shape[3]
    for plane in prange(n_img * n_ch):
        n, c = plane // n_ch, plane % n_ch
        for oh in range(ho):
            top, bottom = x[n, c, 2 * oh], x[n, c, 2 * oh + 1]
            y_row, arg_row = y[n, c, oh], arg[n, c, oh]
            k0 = 2 * oh * w  # flat index of the window's top-left element
            for ow in range(wo):
                k = k0 + 2 * ow
                best, where = top[2 * ow], k  # then right, below, below-right: row-major
                v = top[2 * ow + 1]
                take = (v > best) | (v != v)
                best, where = (v, k + 1) if take else (best, where)
                v = bottom[2 * ow]
                take = (v > best) | (v != v)
                best, where = (v, k + w) if take else (best, where)
                v = bottom[2 * ow + 1]
                take = (v > best) | (v != v)
                best, where = (v, k + w + 1) if take else (best, where)
                y_row[ow] = best
                arg_row[ow] = where


@kernel("pool", parallel=True)
def _max_pool_backward(gy: np.ndarray, arg: np.ndarray, gx: np.ndarray) -> None:
    n_img, n_ch, ho, wo = gy.shape
    plane_size = gx.shape[2] * gx.shape[3]
    gx_flat = gx.reshape(gx.size)  # argmax is a flat index within the plane: no division
    for plane in prange(n_img * n_ch):
        n, c = plane // n_ch, plane % n_ch
        g_plane = gx_flat[plane * plane_size : (plane + 1) * plane_size]
        g_plane[:] = 0
        for oh in range(ho):
            g_row, arg_row = gy[n, c, oh], arg[n, c, oh]
            for ow in range(wo):
                g_plane[arg_row[ow]] += g_row[ow]  # overlapping windows accumulate


@kernel("pool", parallel=True)
def _avg_pool_forward(
    x: np.ndarray, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int, y: np.ndarray
) -> None:
    n_img, n_ch, h, w = x.shape
    ho, wo = y.shape[2], y.shape[3]
    area = x.dtype.type(kh * kw)  # padding counts: the divisor is always the window size
    for plane in prange(n_img * n_ch):
        n, c = plane // n_ch, plane % n_ch
        for oh in range(ho):
            ih0 = oh * sh - ph
            for ow in range(wo):
                iw0 = ow * sw - pw
                total = x.dtype.type(0)
                for ih in range(max(ih0, 0), min(ih0 + kh, h)):
                    for iw in range(max(iw0, 0), min(iw0 + kw, w)):
                        total += x[n, c, ih, iw]
                y[n, c, oh, ow] = total / area  # divided as PyTorch does, not scaled


@kernel("pool", parallel=True)
def _avg_pool_backward(
    gy: np.ndarray, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int, gx: np.ndarray
) -> None:
    n_img, n_ch, ho, wo = gy.shape
    h, w = gx.shape[2], gx.shape[3]
    area = gy.dtype.type(kh * kw)
    for plane in prange(n_img * n_ch):
        n, c = plane // n_ch, plane % n_ch
        gx[n, c] = 0
        for oh in range(ho):
            ih0 = oh * sh - ph
            for ow in range(wo):
                iw0 = ow * sw - pw
                g = gy[n, c, oh, ow] / area
                for ih in range(max(ih0, 0), min(ih0 + kh, h)):
                    for iw in range(max(iw0, 0), min(iw0 + kw, w)):
                        gx[n, c, ih, iw] += g


def _pool_args(
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


def _check_x_shape(fn: str, x_shape: object) -> tuple[int, int, int, int]:
    """x_shape as four ints: N, C >= 0 and H, W >= 1 (PyTorch refuses empty planes too)."""
    try:
        shape = tuple(x_shape)  # type: ignore[call-overload]
    except TypeError:
        shape = ()
    if len(shape) != 4 or not all(isinstance(s, int | np.integer) for s in shape):
        raise ValueError(f"{fn}: x_shape must be four ints (N, C, H, W), got {x_shape!r}")
    _check_sizes(fn, "x_shape", tuple(int(s) for s in shape))
    return tuple(int(s) for s in shape)  # type: ignore[return-value]


def _check_sizes(fn: str, name: str, shape: tuple[int, ...]) -> None:
    """N and C may be 0 (an empty result); a plane of zero height or width has no windows."""
    if min(shape[:2]) < 0 or min(shape[2:]) < 1:
        raise ValueError(
            f"{fn}: {name} {shape} needs N, C >= 0 and H, W >= 1 (an empty plane has no windows)"
        )


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
    _check_sizes(fn, "x", x.shape)
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = _pool_args(fn, x.shape, kernel, stride, padding)
    x = canonical(x, float_dtype(fn, x))
    y = np.empty((*x.shape[:2], ho, wo), dtype=x.dtype)
    arg = np.empty(y.shape, dtype=np.int64)
    if y.size == 0:  # N or C is 0: nothing to scan
        return y, arg
    if (kh, kw, sh, sw, ph, pw) == (2, 2, 2, 2, 0, 0):
        run_parallel(_max_pool_forward_2x2, x, y, arg)
    else:
        run_parallel(_max_pool_forward, x, kh, kw, sh, sw, ph, pw, y, arg)
    return y, arg


def max_pool2d_backward(
    gy: np.ndarray, argmax: np.ndarray, x_shape: tuple[int, int, int, int]
) -> np.ndarray:
    """Route each output gradient to its window's maximum, adding where windows overlap."""
    fn = "max_pool2d_backward"
    gy, argmax = as_array(gy), as_array(argmax)
    shape = _check_x_shape(fn, x_shape)
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
    run_parallel(_max_pool_backward, gy, canonical(argmax, np.int64), gx)
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
    _check_sizes(fn, "x", x.shape)
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = _pool_args(fn, x.shape, kernel, stride, padding)
    x = canonical(x, float_dtype(fn, x))
    y = np.empty((*x.shape[:2], ho, wo), dtype=x.dtype)
    if y.size:
        run_parallel(_avg_pool_forward, x, kh, kw, sh, sw, ph, pw, y)
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
    shape = _check_x_shape(fn, x_shape)
    check_rank(fn, "gy", gy, 4, "(N, C, Ho, Wo)")
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = _pool_args(fn, shape, kernel, stride, padding)
    if gy.shape != (*shape[:2], ho, wo):
        raise ValueError(
            f"{fn}: gy must have the output shape {(*shape[:2], ho, wo)} for x_shape {shape}, "
            f"got {gy.shape}"
        )
    gy = canonical(gy, float_dtype(fn, gy))
    if gy.size == 0:
        return np.zeros(shape, dtype=gy.dtype)
    gx = np.empty(shape, dtype=gy.dtype)
    run_parallel(_avg_pool_backward, gy, kh, kw, sh, sw, ph, pw, gx)
    return gx

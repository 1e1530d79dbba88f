"""Convolution as im2col + one matrix product, in vectorised NumPy (DeZero's functions_conv.py
is the model): what the ops run while numba compiles the fast kernels in the background.

Every output pixel of a convolution is a dot product of the weights with one window of the
zero-padded input. Laid out as columns (im2col: one row per tap (c, i, j), one column per output
pixel) the whole convolution is one matrix product ``W (O, C·kh·kw) @ cols (C·kh·kw, Ho·Wo)``
per image. Small column arrays are filled tap by tap: tap (i, j) is one strided slice of the
input, copied into the outputs that read inside the plane (the rest stay zero: no padded copy
of x). Large ones copy the windows of ``sliding_window_view`` over a zero-padded x in one pass
(``TAP_COPY_MAX`` says why). The input gradient is the transpose: ``Wᵀ @ gy`` gives each tap's
contribution and col2im adds each tap's slice back onto the input it was read from. The weight
gradient is ``gy @ colsᵀ`` summed over the images, and the bias gradient the sum of gy.

These functions trust their arguments: the public functions in ``op.py`` validate and lay out
first (C-contiguous arrays of one float dtype, non-empty batch and channels). Arithmetic runs
in the arrays' dtype, as in the numba kernels. ``reference.py`` is the slower, loop-by-loop
oracle; the tests hold both to it.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from chaingrad.kernels.conv.checks import conv_output_size

# Column arrays of up to this many elements are filled tap by tap, larger ones by one copy of
# the windows. A/B per call, one thread, 3x3 pad 1: tap by tap 25 vs 58 us at x (32, 1, 8, 8),
# 79 vs 168 at (32, 16, 4, 4) (the CNN recipe's convs), 332 vs 462 at (32, 16, 14, 14) (3.6 MB
# of columns); 4.1 vs 1.9 ms at (64, 16, 28, 28) (29 MB: kh·kw passes over memory out of cache).
TAP_COPY_MAX = 1 << 20


def _span(i: int, s: int, p: int, n_in: int, n_out: int) -> tuple[slice, slice] | None:
    """(outputs, inputs): the outputs o whose tap i reads inside the input, o·s + i - p in
    [0, n_in), and the inputs they read; None if every read falls in the padding."""
    lo = max(0, -(-(p - i) // s))  # the first o with o·s + i - p >= 0
    hi = min(n_out, (n_in - 1 + p - i) // s + 1)  # past the last o with o·s + i - p < n_in
    if hi <= lo:
        return None
    return slice(lo, hi), slice(lo * s + i - p, (hi - 1) * s + i - p + 1, s)


@functools.lru_cache(maxsize=256)  # a network calls with a handful of shapes, many times
def _tap_slices(
    kh: int, kw: int, sh: int, sw: int, ph: int, pw: int, h: int, w: int, ho: int, wo: int
) -> tuple[tuple[int, int, slice, slice, slice, slice], ...]:
    """(i, j, out rows, out cols, in rows, in cols) of every tap that reads inside the input."""
    rows = [_span(i, sh, ph, h, ho) for i in range(kh)]
    cols = [_span(j, sw, pw, w, wo) for j in range(kw)]
    return tuple(
        (i, j, r[0], c[0], r[1], c[1])
        for i, r in enumerate(rows)
        for j, c in enumerate(cols)
        if r is not None and c is not None
    )


def _taps(
    kh: int, kw: int, stride: tuple[int, int], padding: tuple[int, int],
    in_hw: tuple[int, int], out_hw: tuple[int, int],
) -> tuple[tuple[int, int, slice, slice, slice, slice], ...]:  # fmt: skip
    """``_tap_slices`` of a convolution's geometry (as plain ints: the cache's key)."""
    (sh, sw), (ph, pw), (h, w), (ho, wo) = stride, padding, in_hw, out_hw
    return _tap_slices(*map(int, (kh, kw, sh, sw, ph, pw, h, w, ho, wo)))


def columns(
    x: np.ndarray, kh: int, kw: int, stride: tuple[int, int], padding: tuple[int, int],
    out_hw: tuple[int, int],
) -> np.ndarray:  # fmt: skip
    """im2col: x (N, C, H, W) as (N, C·kh·kw, Ho·Wo); row (c, i, j) holds that tap per pixel."""
    (sh, sw), (ph, pw) = stride, padding
    n, c, h, w = x.shape
    ho, wo = out_hw
    if n * c * kh * kw * ho * wo <= TAP_COPY_MAX:
        shape = (n, c, kh, kw, ho, wo)
        cols = np.zeros(shape, x.dtype) if ph or pw else np.empty(shape, x.dtype)
        for i, j, out_r, out_c, in_r, in_c in _taps(kh, kw, stride, padding, (h, w), out_hw):
            cols[:, :, i, j, out_r, out_c] = x[:, :, in_r, in_c]  # the reads inside the plane
        return cols.reshape(n, c * kh * kw, ho * wo)
    if ph or pw:  # a zero buffer with x copied in: cheaper than np.pad
        xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), x.dtype)
        xp[:, :, ph : ph + h, pw : pw + w] = x
        x = xp
    # windows[n, c, oh, ow, i, j] = xpad[n, c, oh*sh + i, ow*sw + j]: a view, nothing copied yet
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    # the one copy: taps to the rows, pixels to the columns
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, ho * wo)


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    stride: tuple[int, int],
    padding: tuple[int, int],
) -> np.ndarray:
    """y = conv2d(x, w) + b as W @ im2col(x) per image; x (N, C, H, W), w (O, C, kh, kw)."""
    o, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    ho = conv_output_size(x.shape[2], kh, sh, ph)
    wo = conv_output_size(x.shape[3], kw, sw, pw)
    cols = columns(x, kh, kw, stride, padding, (ho, wo))
    n = x.shape[0]
    y = np.matmul(w.reshape(o, -1), cols)  # (O, K) @ (N, K, P) -> (N, O, P), C-contiguous
    if b is not None:
        y += b[:, None]
    return y.reshape(n, o, ho, wo)


def conv2d_backward(
    gy: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    stride: tuple[int, int],
    padding: tuple[int, int],
    need_input: bool,
    need_weight: bool,
    need_bias: bool,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(gx, gw, gb) of conv2d for the upstream gy (N, O, Ho, Wo); None where not needed."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    g = gy.reshape(n, o, -1)  # (N, O, P)
    gw = gx = gb = None
    if need_bias:
        gb = g.sum(axis=2).sum(axis=0)  # the contiguous axis first: 21 -> 7 us at (32, 32, 16)
    if need_weight:
        # y = W @ cols, so dW = sum over images of gy @ colsᵀ: one product per image, summed
        # (np.tensordot's single product over all N·P pixels first copies cols transposed,
        # and measured 2-70x slower on a small CNN's shapes)
        cols = columns(x, kh, kw, stride, padding, gy.shape[2:])
        gw = np.matmul(g, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
        # freed before the input gradient allocates as much again: kept alive, the two
        # products and col2im took 1.9 ms instead of 0.7 at x (32, 16, 8, 8), w (32, 16, 3, 3)
        del cols
    if need_input:
        # d cols = Wᵀ @ gy; each column entry goes back to the input element it was read from
        gcols = np.matmul(w.reshape(o, -1).T, g)  # (K, O) @ (N, O, P) -> (N, K, P)
        gx = col2im(gcols, (n, c, h, wd), kh, kw, stride, padding, gy.shape[2:])
    return gx, gw, gb


def col2im(
    gcols: np.ndarray,
    x_shape: tuple[int, int, int, int],
    kh: int,
    kw: int,
    stride: tuple[int, int],
    padding: tuple[int, int],
    out_hw: tuple[int, int],
) -> np.ndarray:
    """The adjoint of ``columns``: add each tap's (Ho, Wo) map onto the inputs it read."""
    n, c, h, wd = x_shape
    ho, wo = out_hw
    taps = gcols.reshape(n, c, kh, kw, ho, wo)
    # rows/cols past the last window (when the stride does not divide) receive nothing; reads
    # of the padding are dropped (no padded buffer to crop afterwards)
    gx = np.zeros(x_shape, dtype=gcols.dtype)
    for i, j, out_r, out_c, in_r, in_c in _taps(kh, kw, stride, padding, (h, wd), out_hw):
        gx[:, :, in_r, in_c] += taps[:, :, i, j, out_r, out_c]
    return gx

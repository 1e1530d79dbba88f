"""Convolution as im2col + one matrix product, in vectorised NumPy (DeZero's functions_conv.py
is the model): what the ops run while numba compiles the fast kernels in the background.

Every output pixel of a convolution is a dot product of the weights with one window of the
zero-padded input. ``sliding_window_view`` gives all the windows as a strided view (no copy);
laid out as columns (im2col: one row per tap (c, i, j), one column per output pixel) the whole
convolution is one matrix product ``W (O, C·kh·kw) @ cols (C·kh·kw, Ho·Wo)`` per image. The
input gradient is the transpose: ``Wᵀ @ gy`` gives each tap's contribution and col2im adds
the kh·kw shifted slices back onto the padded image. The weight gradient is ``gy @ colsᵀ``
summed over the images, and the bias gradient the sum of gy.

These functions trust their arguments: the public functions in ``op.py`` validate and lay out
first (C-contiguous arrays of one float dtype, non-empty batch and channels). Arithmetic runs
in the arrays' dtype, as in the numba kernels. ``reference.py`` is the slower, loop-by-loop
oracle; the tests hold both to it.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from chaingrad.kernels.conv.checks import conv_output_size


def columns(
    x: np.ndarray, kh: int, kw: int, stride: tuple[int, int], padding: tuple[int, int]
) -> np.ndarray:
    """im2col: x (N, C, H, W) as (N, C·kh·kw, Ho·Wo); row (c, i, j) holds that tap per pixel."""
    (sh, sw), (ph, pw) = stride, padding
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    # windows[n, c, oh, ow, i, j] = xpad[n, c, oh*sh + i, ow*sw + j]: a view, nothing copied yet
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    n, c, ho, wo = windows.shape[:4]
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
    cols = columns(x, kh, kw, stride, padding)
    (sh, sw), (ph, pw) = stride, padding
    ho = conv_output_size(x.shape[2], kh, sh, ph)
    wo = conv_output_size(x.shape[3], kw, sw, pw)
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
        gb = g.sum(axis=(0, 2))
    if need_weight:
        # y = W @ cols, so dW = sum over images of gy @ colsᵀ: one product per image, summed
        # (np.tensordot's single product over all N·P pixels first copies cols transposed,
        # and measured 2-70x slower on a small CNN's shapes)
        cols = columns(x, kh, kw, stride, padding)
        gw = np.matmul(g, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
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
    """The adjoint of ``columns``: add each tap's (Ho, Wo) map onto its shifted, strided slice."""
    (sh, sw), (ph, pw) = stride, padding
    n, c, h, wd = x_shape
    ho, wo = out_hw
    taps = gcols.reshape(n, c, kh, kw, ho, wo)
    # rows/cols past the last window (when the stride does not divide) receive nothing
    gxp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=gcols.dtype)
    for i in range(kh):
        for j in range(kw):  # tap (i, j) read xpad[oh*sh + i, ow*sw + j]: add it back there
            gxp[:, :, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw] += taps[
                :, :, i, j
            ]
    return np.ascontiguousarray(gxp[:, :, ph : ph + h, pw : pw + wd])

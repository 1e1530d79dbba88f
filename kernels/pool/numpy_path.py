"""Max and average pooling in vectorised NumPy: what the ops run while numba compiles the fast
kernels in the background.

Pooling looks at every kh × kw window of the padded plane. ``sliding_window_view`` gives the
windows as a strided view; a window's maximum and its position are one ``max`` and one
``argmax`` over the window's flattened kh·kw elements. An average is the sum of the kh·kw
shifted, strided slices of the zero-padded input (one slice per window cell), divided by kh·kw,
and its backward adds gy / (kh·kw) back onto the same slices. A max-pool backward sends each
output's gradient to one input element: ``np.bincount`` adds them where windows overlap.

Same results and conventions as the numba kernels in ``fast.py``: the argmax is the offset of
the maximum within its padded window, (ih - oh·sh + ph)·kw + (iw - ow·sw + pw), or the flat index
ih·W + iw in the plane; ties go to the first maximum in row-major order, a NaN wins (the last
NaN of the window, as the kernels' scan leaves it) and padding is never the maximum. These
functions trust their arguments: ``op.py`` validates first and hands over C-contiguous arrays
and a non-empty output. ``reference.py`` is the loop-by-loop oracle.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _cells(
    kernel: tuple[int, int], stride: tuple[int, int], out_hw: tuple[int, int]
) -> list[tuple[slice, slice]]:
    """For each window cell (i, j): the slice of the padded plane it reads for every output."""
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, out_hw
    return [
        (slice(i, i + sh * (ho - 1) + 1, sh), slice(j, j + sw * (wo - 1) + 1, sw))
        for i in range(kh)
        for j in range(kw)
    ]


def max_pool2d_forward(
    x: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    y: np.ndarray,
    arg: np.ndarray,
    offsets: bool,
) -> None:
    """y = each window's maximum; arg = its window offset (``offsets``) or flat plane index."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, _, w = x.shape
    ho, wo = y.shape[2:]
    xp = x
    if ph or pw:  # -inf padding is never the maximum (a window of all -inf is fixed below)
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    flat = windows.reshape(n, c, ho, wo, kh * kw)  # the one copy: each window's elements in a row
    where = flat.argmax(axis=-1)  # row-major order: ties go to the first maximum
    y[...] = np.take_along_axis(flat, where[..., None], axis=-1)[..., 0]
    if np.isnan(y).any():  # the kernels' scan keeps the last NaN of a window; argmax the first
        nan = np.isnan(flat)
        last = kh * kw - 1 - nan[..., ::-1].argmax(axis=-1)
        where = np.where(nan.any(axis=-1), last, where)
    top = np.arange(ho)[:, None] * sh - ph  # each window's first row and column in the plane
    left = np.arange(wo)[None, :] * sw - pw
    if (ph or pw) and np.isneginf(y).any():
        # every element inside is -inf: the kernels keep the first one inside the plane, not
        # the -inf padding that argmax found first
        first = np.maximum(-top, 0) * kw + np.maximum(-left, 0)
        where = np.where(np.isneginf(y), first, where)
    if offsets:
        arg[...] = where
    else:
        arg[...] = (top + where // kw) * w + left + where % kw


def max_pool2d_backward(gy: np.ndarray, arg: np.ndarray, gx: np.ndarray) -> None:
    """gx = each output's gradient added at its flat plane index ``arg`` (windows may overlap)."""
    n, c, h, w = gx.shape
    planes = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)  # where each plane starts in gx
    index = (planes + arg).ravel()
    # bincount adds the gradients of repeated indices (in float64), as overlapping windows need
    gx.reshape(-1)[:] = np.bincount(index, weights=gy.ravel(), minlength=gx.size)


def max_pool2d_backward_offsets(
    gy: np.ndarray,
    arg: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    gx: np.ndarray,
) -> int:
    """The backward of window offsets; returns how many point outside the plane (skipped)."""
    (_, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    ho, wo = gy.shape[2:]
    h, w = gx.shape[2:]
    off = arg.astype(np.int64)
    ih = np.arange(ho)[:, None] * sh - ph + off // kw  # the window's corner plus the offset
    iw = np.arange(wo)[None, :] * sw - pw + off % kw
    inside = (ih >= 0) & (ih < h) & (iw >= 0) & (iw < w)
    outside = int(inside.size - np.count_nonzero(inside))
    flat = np.where(inside, ih * w + iw, 0)
    max_pool2d_backward(np.where(inside, gy, 0).astype(gy.dtype, copy=False), flat, gx)
    return outside


def avg_pool2d_forward(
    x: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    y: np.ndarray,
) -> None:
    """y = the sum of each zero-padded window / (kh·kw): the padding counts in the divisor."""
    (kh, kw), (ph, pw) = kernel, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    y[...] = 0
    for rows, cols in _cells(kernel, stride, y.shape[2:]):
        y += xp[:, :, rows, cols]
    y /= y.dtype.type(kh * kw)  # divided as the kernels (and PyTorch) do, not scaled


def avg_pool2d_backward(
    gy: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    gx: np.ndarray,
) -> None:
    """gx = gy / (kh·kw) added back onto every cell of its window, padding cropped."""
    (kh, kw), (ph, pw) = kernel, padding
    n, c, h, w = gx.shape
    g = gy / gy.dtype.type(kh * kw)
    gxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=gy.dtype)
    for rows, cols in _cells(kernel, stride, gy.shape[2:]):
        gxp[:, :, rows, cols] += g
    gx[...] = gxp[:, :, ph : ph + h, pw : pw + w]

"""Max and average pooling in vectorised NumPy: what the ops run while numba compiles the fast
kernels in the background.

Pooling looks at every kh × kw window of the padded plane. Window cell (i, j) of every output
is one strided slice of the plane (``_cells``). A max-pool with at most ``CELL_SCAN_MAX``
cells (padded with -inf) scans its cells in row-major order as the kernels do, all windows at
once: a cell takes over the window where it is strictly greater than every cell before it (a
few elementwise passes over the output instead of a copy of every window). Other max-pools take
the windows of ``sliding_window_view`` copied to rows, one ``argmax`` each. An average is the
sum of the kh·kw cells of the zero-padded input divided by kh·kw, and its backward adds
gy / (kh·kw) back onto the same slices. A max-pool backward sends each output's gradient to one
input element: where windows do not overlap (stride >= kernel, no padding) each input receives
at most one, scattered to it; elsewhere ``np.bincount`` adds them up.

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


# Max-pools whose windows have at most this many cells scan the cells; larger windows copy
# them to rows for argmax (a pass per cell stops paying as the cells multiply).
CELL_SCAN_MAX = 16


def _has_negative_zero(x: np.ndarray) -> bool:
    """Whether x holds a -0.0 (its bit pattern: the sign bit alone)."""
    bits = x.view(np.int32 if x.dtype == np.float32 else np.int64)
    return bool((bits == np.iinfo(bits.dtype).min).any())


def _scan_cells(
    x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], y: np.ndarray
) -> np.ndarray:
    """y = each window's maximum; returns its offset in the window, scanning all windows' cells
    at once in row-major order as the kernels do (x already padded)."""
    cells = _cells(kernel, stride, y.shape[2:])
    # np.maximum (6x faster than np.where's select) returns the scan's maximum bit for bit,
    # except that it may keep a later NaN or a later zero of the other sign: x holding either
    # takes the select
    select = bool(np.isnan(x).any()) or _has_negative_zero(x)
    rows, cols = cells[0]
    best = x[:, :, rows, cols]
    where = np.zeros(y.shape, np.uint8)
    for k, (rows, cols) in enumerate(cells[1:], 1):
        cell = np.ascontiguousarray(x[:, :, rows, cols])  # read twice: one strided pass
        more = cell > best  # strictly greater: on a tie the earlier cell stays
        best = np.where(more, cell, best) if select else np.maximum(best, cell)
        # the window's offset is the last k whose cell was greater than all before it: the
        # largest such k, as k grows
        np.maximum(where, more * np.uint8(k), out=where)
    if select:  # a NaN is never greater, yet wins: the last NaN of its window
        for k, (rows, cols) in enumerate(cells):
            nan = np.isnan(x[:, :, rows, cols])
            best = np.where(nan, x[:, :, rows, cols], best)
            where = np.where(nan, np.uint8(k), where)
    y[...] = best
    return where


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
    n, c, h, w = x.shape
    ho, wo = y.shape[2:]
    top = np.arange(ho)[:, None] * sh - ph  # each window's first row and column in the plane
    left = np.arange(wo)[None, :] * sw - pw
    xp = x
    if ph or pw:  # -inf padding is never the maximum (a window of all -inf is fixed below)
        xp = np.full((n, c, h + 2 * ph, w + 2 * pw), -np.inf, x.dtype)
        xp[:, :, ph : ph + h, pw : pw + w] = x
    if kh * kw <= CELL_SCAN_MAX:
        where = _scan_cells(xp, kernel, stride, y)
    else:
        windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
        flat = windows.reshape(n, c, ho, wo, kh * kw)  # a copy: each window's elements in a row
        where = flat.argmax(axis=-1)  # row-major order: ties go to the first maximum
        y[...] = np.take_along_axis(flat, where[..., None], axis=-1)[..., 0]
        if np.isnan(y).any():  # the kernels' scan keeps the last NaN of a window; argmax the first
            nan = np.isnan(flat)
            last = kh * kw - 1 - nan[..., ::-1].argmax(axis=-1)
            where = np.where(nan.any(axis=-1), last, where)
    if (ph or pw) and np.isneginf(y).any():
        # every element inside is -inf: the kernels keep the first one inside the plane, not
        # the -inf padding that the scan or argmax found first
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
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    ho, wo = gy.shape[2:]
    h, w = gx.shape[2:]
    if not (ph or pw) and sh >= kh and sw >= kw:
        # windows that neither overlap nor reach into padding: each input element receives at
        # most one gradient, so a plain scatter replaces bincount's sum
        n, c = gx.shape[:2]
        cell = np.arange(kh * kw)
        step = (cell // kw) * w + cell % kw  # offset k's distance from its window's corner
        corner = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)  # each plane's start in gx
        corner = corner + (np.arange(ho)[:, None] * sh * w + np.arange(wo) * sw)
        gx[...] = 0  # what no window covers, and the window cells that were not the maximum
        gx.reshape(-1)[(corner + step[arg]).ravel()] = gy.ravel()
        return 0
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

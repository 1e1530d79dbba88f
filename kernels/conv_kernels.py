"""Parallel conv2d drivers: per image, build a flat source buffer, then sum taps over it.

Two source layouts, chosen by the wrapper in ``conv.py``:

- stride 1: the zero-padded image itself, (C, Hp, Wp) flattened. Output pixel (oh, ow) sits at
  q = oh * Wp + ow and tap (c, i, j) at offset (c * Hp + i) * Wp + j, so every tap is one
  contiguous slice. The Wp - Wo columns past each output row are computed and dropped.
- any other stride: the image's im2col matrix (C*kh*kw, Ho*Wo) flattened; tap t is row t.

Work is split over images (``prange``), each worker keeping its buffers in its own cache; the
weight and bias gradients are summed per chunk of images and the chunks added at the end.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from kernels.taps import FMA, tap_dot4x4, tap_row1, tap_rows8


@njit(cache=True)
def fill_source(
    xn: np.ndarray, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int, src: np.ndarray
) -> None:
    """Write one image (C, H, W) into ``src`` in the layout its stride calls for (see above)."""
    n_ch, h, w = xn.shape
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    if sh == 1 and sw == 1:
        hp, wp = h + 2 * ph, w + 2 * pw
        src[:] = 0
        for c in range(n_ch):
            for ih in range(h):
                base = (c * hp + ih + ph) * wp + pw
                for iw in range(w):
                    src[base + iw] = xn[c, ih, iw]
        return
    n_pix = ho * wo
    zero = src.dtype.type(0)
    for c in range(n_ch):
        for i in range(kh):
            for j in range(kw):
                row = ((c * kh + i) * kw + j) * n_pix
                for oh in range(ho):
                    ih = oh * sh + i - ph
                    for ow in range(wo):
                        iw = ow * sw + j - pw
                        inside = 0 <= ih < h and 0 <= iw < w
                        src[row + oh * wo + ow] = xn[c, ih, iw] if inside else zero


@njit(cache=True, fastmath=FMA)
def accumulate_rows(
    src: np.ndarray, offs: np.ndarray, wm: np.ndarray, r0: int, n_q: int, acc: np.ndarray
) -> int:
    """Zero ``acc`` and sum the taps of up to 8 rows from r0; return how many rows it did."""
    rows = min(8, wm.shape[0] - r0)
    acc[:rows, :n_q] = 0
    if rows == 8:
        tap_rows8(src, offs, wm, r0, n_q, acc)
    else:  # fewer than 8 output rows left: one at a time, 8 taps per pass
        for r in range(rows):
            tap_row1(src, offs, wm, r0 + r, n_q, acc[r])
    return rows


@njit(cache=True, parallel=True)
def conv2d_forward_kernel(
    x: np.ndarray,
    wm: np.ndarray,
    b: np.ndarray,
    offs: np.ndarray,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    ph: int,
    pw: int,
    src_len: int,
    pitch: int,
    splits: int,
    y: np.ndarray,
) -> None:
    """y[n, o] = b[o] + sum_t wm[o, t] * tap t of image n; (image, block of rows) per task."""
    n_img = x.shape[0]
    n_out = wm.shape[0]
    ho, wo = y.shape[2], y.shape[3]
    n_q = (ho - 1) * pitch + wo
    n_blocks = (n_out + 7) // 8
    for task in prange(n_img * splits):  # splits > 1 only for small batches
        n = task // splits
        src = np.empty(src_len, dtype=x.dtype)
        fill_source(x[n], kh, kw, sh, sw, ph, pw, src)
        acc = np.empty((8, n_q), dtype=x.dtype)
        for blk in range(task % splits, n_blocks, splits):
            r0 = blk * 8
            rows = accumulate_rows(src, offs, wm, r0, n_q, acc)
            for r in range(rows):  # drop the junk columns and add the bias on the way out
                bias = b[r0 + r]
                for oh in range(ho):
                    for ow in range(wo):
                        y[n, r0 + r, oh, ow] = acc[r, oh * pitch + ow] + bias


@njit(cache=True)
def _input_grad_stride1(
    gyn: np.ndarray, wflip: np.ndarray, offs_g: np.ndarray, kh: int, kw: int, ph: int,
    pw: int, gxn: np.ndarray
) -> None:  # fmt: skip
    """gx of one image for stride 1: a correlation of the padded gy with the flipped kernel."""
    n_out, ho, wo = gyn.shape
    n_ch, h, w = gxn.shape
    hb, pb = h + kh - 1, w + kw - 1
    top, left = kh - 1 - ph, kw - 1 - pw  # where gy starts in the buffer (cropped if < 0)
    buf = np.zeros(n_out * hb * pb, dtype=gyn.dtype)
    for o in range(n_out):
        for u in range(max(0, top), min(hb, ho + top)):
            base = (o * hb + u) * pb
            for v in range(max(0, left), min(pb, wo + left)):
                buf[base + v] = gyn[o, u - top, v - left]
    n_q = (h - 1) * pb + w
    acc = np.empty((8, n_q), dtype=gyn.dtype)
    for r0 in range(0, n_ch, 8):
        rows = accumulate_rows(buf, offs_g, wflip, r0, n_q, acc)
        for r in range(rows):
            for ih in range(h):
                for iw in range(w):
                    gxn[r0 + r, ih, iw] = acc[r, ih * pb + iw]


@njit(cache=True)
def _input_grad_strided(
    gyn: np.ndarray, wt: np.ndarray, offs_o: np.ndarray, kh: int, kw: int, sh: int, sw: int,
    ph: int, pw: int, gxn: np.ndarray
) -> None:  # fmt: skip
    """gx of one image for stride > 1: the columns W^T gy, scatter-added back (col2im)."""
    n_out, ho, wo = gyn.shape
    h, w = gxn.shape[1], gxn.shape[2]
    n_pix = ho * wo
    src = gyn.reshape(n_out * n_pix)  # tap o of the columns is row o of gy
    acc = np.empty((8, n_pix), dtype=gyn.dtype)
    gxn[:] = 0
    for r0 in range(0, wt.shape[0], 8):
        rows = accumulate_rows(src, offs_o, wt, r0, n_pix, acc)
        for r in range(rows):  # column row (c, i, j) goes back to x[c, oh*sh + i - ph, ...]
            c, ij = divmod(r0 + r, kh * kw)
            i, j = divmod(ij, kw)
            for oh in range(ho):
                ih = oh * sh + i - ph
                if ih < 0 or ih >= h:
                    continue
                for ow in range(wo):
                    iw = ow * sw + j - pw
                    if 0 <= iw < w:
                        gxn[c, ih, iw] += acc[r, oh * wo + ow]


@njit(cache=True, parallel=True)
def conv2d_backward_kernel(
    gy: np.ndarray,
    x: np.ndarray,
    wm: np.ndarray,
    wgx: np.ndarray,
    offs: np.ndarray,
    offs_gx: np.ndarray,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    ph: int,
    pw: int,
    src_len: int,
    pitch: int,
    need_input: bool,
    need_weight: bool,
    need_bias: bool,
    gx: np.ndarray,
    gw_parts: np.ndarray,
    gb_parts: np.ndarray,
) -> None:
    """Per chunk of images: gx of each image, and partial sums of gw and gb for the chunk.

    The chunk count is ``gb_parts.shape[0]`` (one per thread); ``gw_parts`` has as many rows.

    ``wgx`` is the kernel the input gradient runs: the flipped kernel as (C, O*kh*kw) for
    stride 1, W^T as (C*kh*kw, O) otherwise; ``offs_gx`` its tap offsets. ``offs`` is padded
    to a multiple of 4 taps and ``gw_parts`` to multiples of 4 rows and taps.
    """
    n_img, n_out, ho, wo = gy.shape
    n_chunks = gb_parts.shape[0]
    n_q = (ho - 1) * pitch + wo
    o4, t4 = gw_parts.shape[1], gw_parts.shape[2]
    stride1 = sh == 1 and sw == 1
    for chunk in prange(n_chunks):
        lo = chunk * n_img // n_chunks
        hi = (chunk + 1) * n_img // n_chunks
        src = np.empty(src_len if need_weight else 0, dtype=x.dtype)
        g1 = np.zeros((o4, n_q) if need_weight else (0, 0), dtype=x.dtype)
        for n in range(lo, hi):
            if need_bias:
                for o in range(n_out):
                    gb_parts[chunk, o] += gy[n, o].sum()
            if need_weight:
                fill_source(x[n], kh, kw, sh, sw, ph, pw, src)
                for o in range(n_out):  # gy on the source's output grid (junk columns stay 0)
                    for oh in range(ho):
                        for ow in range(wo):
                            g1[o, oh * pitch + ow] = gy[n, o, oh, ow]
                for o0 in range(0, o4, 4):
                    for t0 in range(0, t4, 4):
                        tap_dot4x4(g1, o0, src, offs, t0, n_q, gw_parts[chunk])
            if need_input:
                if stride1:
                    _input_grad_stride1(gy[n], wgx, offs_gx, kh, kw, ph, pw, gx[n])
                else:
                    _input_grad_strided(gy[n], wgx, offs_gx, kh, kw, sh, sw, ph, pw, gx[n])

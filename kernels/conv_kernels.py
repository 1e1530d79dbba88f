"""Parallel conv2d drivers: per image, lay the data out on a flat grid, then sum taps over it.

Two source layouts, chosen by the wrapper in ``conv.py``:

- stride 1: the zero-padded image itself, (C, Hp, P) flattened. Output pixel (oh, ow) sits at
  q = oh * P + ow and tap (c, i, j) at offset (c * Hp + i) * P + j, so every tap is one
  contiguous slice. The P - Wo columns past each output row are computed and dropped. Rows
  share their zero padding: a row is pw zeros then W values (P = W + pw), the zeros serving
  as this row's left padding and the previous row's right padding (P = W + 2pw when the
  padding is wider than the kernel).
- any other stride: the image's im2col matrix (C*kh*kw, Ho*Wo) flattened; tap t is row t.

The input gradient is the same sum over a grid of the upstream gradient: for stride 1, gy
zero-padded by k - 1 - p and the flipped kernel; otherwise the columns W^T gy, scatter-added
back to the image (col2im). The weight gradient is the adjoint: a dot product of gy with each
tap of the source.

Loops run over ``n_q`` rounded up to LANES, so the vector loops have no scalar remainder; the
buffers carry LANES zeros of slack for it and the extra outputs are dropped. Work is split over
images (``prange``), each worker keeping its buffers in its own cache; the weight and bias
gradients are summed per chunk of images and the chunks added by the caller.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from kernels.taps import FMA_REASSOC, tap_dot4x4, tap_row1, tap_rows8

LANES = 16  # one 64-byte vector of float32; a multiple of the float64 vector too


@njit(cache=True)
def round_up(n: int) -> int:
    """n rounded up to a multiple of LANES."""
    return (n + LANES - 1) // LANES * LANES


@njit(cache=True)
def aligned_rows(rows: int, cols: int, like: np.ndarray) -> np.ndarray:
    """An uninitialised (rows, round_up(cols)) array of like's dtype, rows 64-byte aligned.

    Unaligned 64-byte vector stores split across two cache lines: aligning the accumulator
    rows made the tap loop ~10% faster here.
    """
    stride = round_up(cols)
    lanes = 64 // like.itemsize
    raw = np.empty(rows * stride + lanes, dtype=like.dtype)
    shift = (lanes - (raw.ctypes.data // like.itemsize) % lanes) % lanes
    return raw[shift : shift + rows * stride].reshape(rows, stride)


@njit(cache=True)
def to_grid(img: np.ndarray, gp: int, top: int, left: int, grid: np.ndarray, lead: int = 0) -> None:
    """grid[r, lead + u*gp + v] = img[r, u - top, v - left] where that exists, else 0 (all of it).

    ``grid`` is (R', L) with R' >= R rows; everything not copied, rows past R included, is
    zeroed. A memset and one copy per image row: 5x faster here than writing the margins
    element by element (short loops of runtime length vectorise badly).
    """
    n_rows, h, w = img.shape
    grid[:] = 0
    gh = (grid.shape[1] - lead) // gp
    u_lo, u_hi = max(0, top), min(gh, h + top)
    v_lo, v_hi = max(0, left), min(gp, w + left)
    for r in range(n_rows):
        for u in range(u_lo, u_hi):
            dst = grid[r, lead + u * gp + v_lo : lead + u * gp + v_hi]
            row = img[r, u - top, v_lo - left : v_hi - left]
            for v in range(v_hi - v_lo):
                dst[v] = row[v]


@njit(cache=True)
def from_grid(acc_row: np.ndarray, pitch: int, bias: float, out: np.ndarray) -> None:
    """out[i, j] = acc_row[i * pitch + j] + bias: drop the junk columns of a grid row."""
    h, w = out.shape
    for i in range(h):
        src = acc_row[i * pitch : i * pitch + w]
        dst = out[i]
        for j in range(w):
            dst[j] = src[j] + bias


@njit(cache=True)
def fill_source(
    xn: np.ndarray, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int, pitch: int,
    src: np.ndarray
) -> None:  # fmt: skip
    """Write one image (C, H, W) into ``src`` in the layout its stride calls for (see above)."""
    n_ch, h, w = xn.shape
    if sh == 1 and sw == 1:
        hp = h + 2 * ph
        src[n_ch * hp * pitch :] = 0  # the slack
        to_grid(xn, pitch, ph, pw, src[: n_ch * hp * pitch].reshape(n_ch, hp * pitch))
        return
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    n_pix = ho * wo
    src[:] = 0
    for c in range(n_ch):
        for i in range(kh):
            for j in range(kw):
                row = src[((c * kh + i) * kw + j) * n_pix :]
                ow_lo = max(0, (pw - j + sw - 1) // sw)  # the columns that fall inside x
                ow_hi = min(wo, (w - 1 + pw - j) // sw + 1)
                for oh in range(ho):
                    ih = oh * sh + i - ph
                    if 0 <= ih < h:
                        line = xn[c, ih]
                        for ow in range(ow_lo, ow_hi):
                            row[oh * wo + ow] = line[ow * sw + j - pw]


@njit(cache=True, fastmath=FMA_REASSOC)
def total(a: np.ndarray) -> float:
    """The sum of a 1-D array in its own dtype, in vector lanes (a plain loop adds serially)."""
    s = a.dtype.type(0)
    for i in range(a.shape[0]):
        s += a[i]
    return s


@njit(cache=True)
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
    ho = y.shape[2]
    n_q = round_up((ho - 1) * pitch + y.shape[3])
    n_blocks = (n_out + 7) // 8
    for task in prange(n_img * splits):  # splits > 1 only for small batches
        n = task // splits
        src = np.empty(src_len + LANES, dtype=x.dtype)
        fill_source(x[n], kh, kw, sh, sw, ph, pw, pitch, src)
        acc = aligned_rows(8, n_q, x)
        for blk in range(task % splits, n_blocks, splits):
            r0 = blk * 8
            rows = accumulate_rows(src, offs, wm, r0, n_q, acc)
            for r in range(rows):  # drop the junk columns and add the bias on the way out
                from_grid(acc[r], pitch, b[r0 + r], y[n, r0 + r])


@njit(cache=True)
def _col2im_rows(
    acc: np.ndarray, r0: int, rows: int, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int,
    ho: int, wo: int, gxn: np.ndarray
) -> None:  # fmt: skip
    """Scatter-add column rows r0.. (each an (Ho, Wo) map of tap (c, i, j)) into gx (C, H, W)."""
    h, w = gxn.shape[1], gxn.shape[2]
    for r in range(rows):
        c, ij = divmod(r0 + r, kh * kw)
        i, j = divmod(ij, kw)
        ow_lo = max(0, (pw - j + sw - 1) // sw)
        ow_hi = min(wo, (w - 1 + pw - j) // sw + 1)
        for oh in range(ho):
            ih = oh * sh + i - ph
            if 0 <= ih < h:
                line = gxn[c, ih]
                col = acc[r, oh * wo : (oh + 1) * wo]
                for ow in range(ow_lo, ow_hi):
                    line[ow * sw + j - pw] += col[ow]


@njit(cache=True, parallel=True)
def conv2d_backward_kernel(
    gy: np.ndarray,
    x: np.ndarray,
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
    pb: int,
    g_stride: int,
    lead: int,
    splits: int,
    need_input: bool,
    need_weight: bool,
    need_bias: bool,
    gx: np.ndarray,
    gw_parts: np.ndarray,
    gb_parts: np.ndarray,
) -> None:
    """Per chunk of images: gx of each image, and the chunk's partial sums of gw and gb.

    One buffer per image holds gy on a grid (rows of ``g_stride``, starting ``lead`` zeros
    in, zero elsewhere) and serves both gradients.

    - Stride 1: gy padded by (kh-1-ph, kw-1-pw) with pitch ``pb``, for the input gradient
      with the flipped kernel ``wgx`` (C, O*kh*kw). The weight gradient reads the same
      buffer when ``pb`` equals the source's pitch (padding at most kernel - 1), else a copy
      of gy on the source's pitch.
    - Other strides: gy's rows as they are, for the columns W^T gy (``wgx`` = W^T, shape
      (C*kh*kw, O)) and for the weight gradient alike.

    ``offs`` is padded to a multiple of 4 taps and ``gw_parts`` (chunks, O4, T4) to multiples
    of 4; there is one chunk per ``gb_parts`` row. With fewer images than threads, each
    image's channel blocks are split ``splits`` ways.
    """
    n_img, n_out, ho, wo = gy.shape
    h, w = x.shape[2], x.shape[3]
    n_chunks = gb_parts.shape[0]
    o4, t4 = gw_parts.shape[1], gw_parts.shape[2]
    stride1 = sh == 1 and sw == 1
    n_q = round_up((ho - 1) * pitch + wo)  # weight gradient: the source's output grid
    if stride1:
        top, left = kh - 1 - ph, kw - 1 - pw
        n_qx = round_up((h - 1) * pb + w)
        shared = pb == pitch and top >= 0 and left >= 0
        g_base = lead + top * pb + left if shared else 0
    else:
        top, left, n_qx, shared, g_base = 0, 0, round_up(ho * wo), True, 0
    for task in prange(n_chunks * splits):  # splits > 1 only when images are fewer than threads
        chunk, part = task // splits, task % splits
        src = np.empty(src_len + LANES if need_weight else 0, dtype=x.dtype)
        gbuf = aligned_rows(o4, g_stride, x)
        g1 = aligned_rows(o4 if need_weight and not shared else 0, ho * pitch + LANES, x)
        acc = aligned_rows(8, n_qx, x)
        flat = gbuf.reshape(gbuf.size)
        for n in range(chunk * n_img // n_chunks, (chunk + 1) * n_img // n_chunks):
            if need_bias and part == 0:
                planes = gy[n].reshape(n_out, ho * wo)
                for o in range(n_out):
                    gb_parts[chunk, o] += total(planes[o])
            if not (need_weight or need_input):
                continue
            to_grid(gy[n], pb, top, left, gbuf, lead)
            if need_weight:  # this part's blocks of 4 output channels
                fill_source(x[n], kh, kw, sh, sw, ph, pw, pitch, src)
                g, g_row, start = flat, gbuf.shape[1], g_base
                if not shared:  # gy again, on the source's pitch (junk columns 0)
                    to_grid(gy[n], pitch, 0, 0, g1)
                    g, g_row, start = g1.reshape(g1.size), g1.shape[1], 0
                for o0 in range(4 * part, o4, 4 * splits):
                    for t0 in range(0, t4, 4):
                        tap_dot4x4(g, start, g_row, o0, src, offs, t0, n_q, gw_parts[chunk])
            if need_input and (stride1 or part == 0):
                # stride 1: rows are input channels, split over the parts; col2im adds
                # several rows into one channel, so one part does all of them
                step = 8 * splits if stride1 else 8
                if not stride1:
                    gx[n] = 0
                zero = x.dtype.type(0)
                for r0 in range(8 * part, wgx.shape[0], step):
                    rows = accumulate_rows(flat, offs_gx, wgx, r0, n_qx, acc)
                    if stride1:
                        for r in range(rows):
                            from_grid(acc[r], pb, zero, gx[n, r0 + r])
                    else:
                        _col2im_rows(acc, r0, rows, kh, kw, sh, sw, ph, pw, ho, wo, gx[n])

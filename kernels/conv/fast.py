"""Parallel conv2d drivers: lay a stack of images out on a flat grid, then sum taps over it.

The wrapper in ``op.py`` picks the layout and how many images go into one stack:

- stride 1: the zero-padded images themselves. Channel plane c holds the stack's images one
  below the other, ``vp`` rows apart, each row ``pitch`` wide. Output pixel (oh, ow) of
  stacked image k sits at q = (k * vp + oh) * pitch + ow and tap (c, i, j) at offset
  (c * Hs + i) * pitch + j (Hs: the rows of a plane), so every tap is one contiguous slice
  over the whole stack. Padding is shared where it can be: a row is pw zeros then W values
  (the zeros are also the previous row's right padding) and an image's ph zero rows are also
  the previous image's bottom padding, as long as the padding is at most kernel - 1. The grid
  positions between valid outputs are computed and dropped.
- any other stride: the input split by phases (polyphase). Write kernel row i as sh*a + pi
  (pi < sh); source row (pi, c, j) holds xpad[k, c, sh*t + pi, sw*ow + j] at
  (k * vr + t) * wo + ow, rows exactly wo wide, so output (k, oh, ow) sits at
  q = (k * vr + oh) * wo + ow and tap (c, i, j) is row (pi, c, j) read at q + a * wo: again one
  contiguous slice per tap. Each row is one phase of the input shifted by j columns: min(sh,
  kh) * kw copies of the input where im2col wrote kh * kw (a third fewer for 3x3 stride 2).
  Images are ``vr`` rows apart, sharing padding rows where ``phase_layout`` finds them zero
  for every phase; the rows between are computed and dropped.

Stacking small images makes the tap loops long enough to run at full speed (a pass over 64
positions ran at 90 GFLOP/s here, over 512-1024 at ~200). The input gradient is the same
sum over a grid of the upstream gradient: for stride 1, gy zero-padded by k - 1 - p with the
flipped kernel; otherwise the forward's adjoint, the gradient of each phase-shifted source row
(taps of gy shifted back by a * wo), added back to the pixels it was read from. The weight
gradient is the adjoint: a dot product of gy, laid out on the forward's output grid,
with each tap of the source.

Loops run over ``n_q`` rounded up to LANES, so the vector loops have no scalar remainder; the
buffers carry zeros of slack for it and the extra outputs are dropped. Stacks are split over
the threads (``prange``); the weight and bias gradients are summed per chunk of stacks and the
chunks added by the caller.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from chaingrad.kernels.conv.taps import FMA_REASSOC, tap_dot4x4, tap_row1, tap_rows8
from chaingrad.kernels.runtime import kernel

LANES = 16  # one 64-byte vector of float32; a multiple of the float64 vector too


@kernel("conv")
def round_up(n: int) -> int:
    """n rounded up to a multiple of LANES."""
    return (n + LANES - 1) // LANES * LANES


@kernel("conv")
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


@kernel("conv")
def place(
    img: np.ndarray, gp: int, top: int, left: int, grid: np.ndarray, lead: int
) -> None:  # fmt: skip
    """grid[r, lead + (u + top) * gp + v + left] = img[r, u, v], cropped to the grid's rows.

    Writes the values only: zero ``grid`` first. One vectorised copy per image row (copying
    element by element with the margins was 5x slower here: short loops of runtime length).
    """
    n_rows, h, w = img.shape
    gh = (grid.shape[1] - lead) // gp
    u_lo, u_hi = max(0, -top), min(h, gh - top)
    v_lo, v_hi = max(0, -left), min(w, gp - left)
    for r in range(n_rows):
        for u in range(u_lo, u_hi):
            start = lead + (u + top) * gp + left
            dst = grid[r, start + v_lo : start + v_hi]
            row = img[r, u, v_lo:v_hi]
            for v in range(v_hi - v_lo):
                dst[v] = row[v]


@kernel("conv")
def from_grid(acc_row: np.ndarray, pitch: int, bias: float, out: np.ndarray) -> None:
    """out[i, j] = acc_row[i * pitch + j] + bias: the valid outputs of one image's grid."""
    h, w = out.shape
    for i in range(h):
        src = acc_row[i * pitch : i * pitch + w]
        dst = out[i]
        for j in range(w):
            dst[j] = src[j] + bias


@kernel("conv")
def stack_layout(
    n_ch: int, h: int, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int, ho: int,
    wo: int, pitch: int, vp: int, nb: int, n_offs: int,
) -> tuple[np.ndarray, int, int, int, int]:  # fmt: skip
    """For a stack of nb images: (tap offsets, zero padded to n_offs; source length;
    positions per tap pass; distance between the images' outputs; output row pitch)."""
    offs = np.zeros(n_offs, np.int64)  # extra taps read offset 0; their sums are dropped
    if sh == 1 and sw == 1:
        hs = (nb - 1) * vp + h + 2 * ph
        for c in range(n_ch):
            for i in range(kh):
                for j in range(kw):
                    offs[(c * kh + i) * kw + j] = (c * hs + i) * pitch + j
        n_q = round_up(((nb - 1) * vp + ho - 1) * pitch + wo)
        # the last row's right padding reaches pw past the grid, then n_q's rounding
        return offs, n_ch * hs * pitch + pw + LANES, n_q, vp * pitch, pitch
    # other strides: the phase-shifted source (fill_phases); ``vp`` is phase_layout's vr
    n_pi = min(sh, kh)
    row_len = round_up(((nb - 1) * vp + ho + (kh - 1) // sh) * wo)
    for c in range(n_ch):
        for i in range(kh):
            a, pi = divmod(i, sh)
            for j in range(kw):
                offs[(c * kh + i) * kw + j] = ((pi * n_ch + c) * kw + j) * row_len + a * wo
    n_q = round_up(((nb - 1) * vp + ho) * wo)
    return offs, n_pi * n_ch * kw * row_len + LANES, n_q, vp * wo, wo


@kernel("conv")
def fill_source(
    x: np.ndarray, n0: int, nb: int, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int,
    pitch: int, vp: int, src: np.ndarray,
) -> None:  # fmt: skip
    """Images n0 .. n0 + nb - 1 of x into ``src``, laid out as their stride calls for."""
    n_ch, h, w = x.shape[1], x.shape[2], x.shape[3]
    src[:] = 0
    if sh == 1 and sw == 1:  # the padded grid: the phase layout of one phase and one shift
        n_pi, shifts, row_w = 1, 1, pitch
        row_len = ((nb - 1) * vp + h + 2 * ph) * pitch
    else:
        ho = (h + 2 * ph - kh) // sh + 1
        n_pi, shifts, row_w = min(sh, kh), kw, (w + 2 * pw - kw) // sw + 1
        row_len = round_up(((nb - 1) * vp + ho + (kh - 1) // sh) * row_w)  # as in stack_layout
    n_rows = n_pi * n_ch * shifts
    grid = src[: n_rows * row_len].reshape(n_rows, row_len)
    fill_phases(x, n0, nb, shifts, sh, sw, ph, pw, row_w, vp, n_pi, grid)


def phase_layout(h: int, kh: int, sh: int, ph: int, ho: int) -> tuple[int, int]:
    """(vr, rows): plane rows from one image to the next, and the rows one image's taps read.

    Images share padding rows (vr = ceil((ph + h) / sh) < rows) when the rows an image's taps
    read past vr are, for every phase, the next image's top padding (and its outputs end
    before the next image's start: vr >= ho); else vr = rows.
    """
    rows = ho + (kh - 1) // sh
    vr = -(-(ph + h) // sh)
    reach = rows - vr  # rows of the next image that the taps read
    if vr >= ho and reach > 0 and sh * (reach - 1) + min(sh, kh) - 1 < ph:
        return vr, rows
    return rows, rows


@kernel("conv")
def fill_phases(
    x: np.ndarray, n0: int, nb: int, kw: int, sh: int, sw: int, ph: int, pw: int, wo: int,
    vr: int, n_pi: int, src: np.ndarray,
) -> None:  # fmt: skip
    """src[(pi*C + c)*kw + j, (k*vr + t)*wo + ow] = xpad[n0 + k, c, sh*t + pi, sw*ow + j].

    Writes the values inside x only: zero ``src`` first.
    """
    n_ch, h, w = x.shape[1], x.shape[2], x.shape[3]
    for pi in range(n_pi):
        t_lo = max(0, -((pi - ph) // sh))  # plane rows that fall inside x
        t_hi = min(vr, (h - 1 + ph - pi) // sh + 1)
        for c in range(n_ch):
            for j in range(kw):
                row = src[(pi * n_ch + c) * kw + j]
                ow_lo = max(0, (pw - j + sw - 1) // sw)  # the columns that fall inside x
                ow_hi = min(wo, (w - 1 + pw - j) // sw + 1)
                for k in range(nb):
                    plane = x[n0 + k, c]
                    for t in range(t_lo, t_hi):
                        line, base = plane[sh * t + pi - ph], (k * vr + t) * wo
                        if sw == 1:  # a unit-stride copy vectorises (the general loop did not)
                            dst = row[base + ow_lo : base + ow_hi]
                            seg = line[ow_lo + j - pw : ow_hi + j - pw]
                            for v in range(ow_hi - ow_lo):
                                dst[v] = seg[v]
                        else:
                            for ow in range(ow_lo, ow_hi):
                                row[base + ow] = line[sw * ow + j - pw]


@kernel("conv", fastmath=FMA_REASSOC)
def total(a: np.ndarray) -> float:
    """The sum of a 1-D array in its own dtype, in vector lanes (a plain loop adds serially)."""
    s = a.dtype.type(0)
    for i in range(a.shape[0]):
        s += a[i]
    return s


@kernel("conv")
def accumulate_rows(
    src: np.ndarray, offs: np.ndarray, wm: np.ndarray, r0: int, n_taps: int, n_q: int,
    acc: np.ndarray,
) -> int:  # fmt: skip
    """Zero ``acc`` and sum the first n_taps taps of up to 8 rows from r0; return how many
    rows it did."""
    rows = min(8, wm.shape[0] - r0)
    acc[:rows, :n_q] = 0
    if rows == 8:
        tap_rows8(src, offs, wm, r0, n_taps, n_q, acc)
    else:  # fewer than 8 output rows left: one at a time, 8 taps per pass
        for r in range(rows):
            tap_row1(src, offs, wm, r0 + r, n_taps, n_q, acc[r])
    return rows


@kernel("conv", parallel=True)
def conv2d_forward_kernel(
    x: np.ndarray,
    wm: np.ndarray,
    b: np.ndarray,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    ph: int,
    pw: int,
    pitch: int,
    vp: int,
    stack: int,
    splits: int,
    y: np.ndarray,
) -> None:
    """y[n, o] = b[o] + sum_t wm[o, t] * tap t of image n; (stack, block of rows) per task."""
    n_img, n_ch, h = x.shape[0], x.shape[1], x.shape[2]
    n_out, n_taps = wm.shape
    ho, wo = y.shape[2], y.shape[3]
    n_stacks = (n_img + stack - 1) // stack
    n_blocks = (n_out + 7) // 8
    for task in prange(n_stacks * splits):  # splits > 1 only when stacks are few
        n0, part = task // splits * stack, task % splits
        nb = min(stack, n_img - n0)
        offs, src_len, n_q, step, out_pitch = stack_layout(
            n_ch, h, kh, kw, sh, sw, ph, pw, ho, wo, pitch, vp, nb, n_taps
        )
        src = np.empty(src_len, dtype=x.dtype)
        fill_source(x, n0, nb, kh, kw, sh, sw, ph, pw, pitch, vp, src)
        acc = aligned_rows(8, n_q, x)
        for blk in range(part, n_blocks, splits):
            r0 = blk * 8
            rows = accumulate_rows(src, offs, wm, r0, n_taps, n_q, acc)
            for r in range(rows):  # drop the junk positions and add the bias on the way out
                for k in range(nb):
                    from_grid(acc[r, k * step :], out_pitch, b[r0 + r], y[n0 + k, r0 + r])


@kernel("conv")
def _unfill_rows(
    acc: np.ndarray, r0: int, rows: int, kw: int, sh: int, sw: int, ph: int, pw: int, wo: int,
    vr: int, n0: int, nb: int, gx: np.ndarray,
) -> None:  # fmt: skip
    """Add rows r0.. of a phase-shifted source's gradient (row (pi, c, j), as fill_phases lays
    it out) back to the pixels of gx[n0 : n0 + nb] they were read from; padding is dropped."""
    n_ch, h, w = gx.shape[1], gx.shape[2], gx.shape[3]
    for r in range(rows):
        pi, cj = divmod(r0 + r, n_ch * kw)
        c, j = divmod(cj, kw)
        t_lo = max(0, -((pi - ph) // sh))
        t_hi = min(vr, (h - 1 + ph - pi) // sh + 1)
        ow_lo = max(0, (pw - j + sw - 1) // sw)
        ow_hi = min(wo, (w - 1 + pw - j) // sw + 1)
        for k in range(nb):
            plane = gx[n0 + k, c]
            for t in range(t_lo, t_hi):
                line, base = plane[sh * t + pi - ph], (k * vr + t) * wo
                for ow in range(ow_lo, ow_hi):
                    line[sw * ow + j - pw] += acc[r, base + ow]


@kernel("conv", parallel=True)
def conv2d_backward_kernel(
    gy: np.ndarray,
    x: np.ndarray,
    wgx: np.ndarray,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    ph: int,
    pw: int,
    pitch: int,
    vp: int,
    pb: int,
    lead: int,
    stack: int,
    splits: int,
    need_input: bool,
    need_weight: bool,
    need_bias: bool,
    gx: np.ndarray,
    gw_parts: np.ndarray,
    gb_parts: np.ndarray,
) -> None:
    """Per chunk of stacks: gx of each image, and the chunk's partial sums of gw and gb.

    One buffer per stack holds gy on a grid (rows ``lead`` zeros in, zero elsewhere) and
    serves both gradients.

    - Stride 1: gy padded by (kh-1-ph, kw-1-pw), images ``vp`` rows apart, rows ``pb``
      wide, for the input gradient with the flipped kernel ``wgx`` (C, O*kh*kw). The weight
      gradient reads the same buffer when ``pb`` equals the source's pitch (padding at most
      kernel - 1), else a copy of gy on the source's grid.
    - Other strides: gy on the forward's output grid (rows wo wide, images ``vp`` rows
      apart) after a margin of ((kh-1)//sh)*wo zeros, for the gradient of the phase-shifted
      source: row (pi, c, j) at q sums the taps (a, o), gy[o] at q - a*wo, with ``wgx``
      (min(sh, kh)*C*kw, ceil(kh/sh)*O) = w[o, c, sh*a + pi, j] (the adjoint of the
      forward); each row is then added back to the pixels it was read from. The weight
      gradient reads the same buffer.

    ``gw_parts`` (chunks, O4, T4) is padded to multiples of 4 rows and taps; there is one
    chunk per ``gb_parts`` row. With fewer stacks than threads, each stack's channel blocks
    are split ``splits`` ways.
    """
    n_img, n_out, ho, wo = gy.shape
    n_ch, h, w = x.shape[1], x.shape[2], x.shape[3]
    n_chunks = gb_parts.shape[0]
    o4, t4 = gw_parts.shape[1], gw_parts.shape[2]
    stride1 = sh == 1 and sw == 1
    n_pix = ho * wo
    top, left = (kh - 1 - ph, kw - 1 - pw) if stride1 else (0, 0)
    # the weight gradient reads gy on the forward's output grid: from the input gradient's
    # buffer where that is the same grid (always for strides other than 1), else a copy (g1)
    shared = not stride1 or (pb == pitch and top >= 0 and left >= 0)
    if stride1:  # rows of the gy buffer, long enough for a full stack
        g_stride = round_up(lead + ((stack - 1) * vp + h + kh - 1) * pb + max(left, 0) + LANES)
        g_base, step_x = lead + top * pb + left if shared else 0, vp * pb
        offs_gx = np.empty(n_out * kh * kw, np.int64)
        for o in range(n_out):
            for i in range(kh):
                for j in range(kw):
                    offs_gx[(o * kh + i) * kw + j] = o * g_stride + lead + i * pb + j
    else:
        a_n = (kh - 1) // sh + 1  # kernel row groups; their taps read gy a * wo back
        g_base = round_up((a_n - 1) * wo)
        src_row = round_up(((stack - 1) * vp + ho + a_n - 1) * wo)  # as in stack_layout
        g_stride, step_x = round_up(g_base + src_row + LANES), vp * wo
        offs_gx = np.empty(a_n * n_out, np.int64)
        for a in range(a_n):
            for o in range(n_out):
                offs_gx[a * n_out + o] = o * g_stride + g_base - a * wo
    g1_len = ((stack - 1) * vp + ho) * pitch + LANES  # gy on the source's grid, if not shared
    n_stacks = (n_img + stack - 1) // stack
    for task in prange(n_chunks * splits):
        chunk, part = task // splits, task % splits
        gbuf = aligned_rows(o4, g_stride, x)
        flat = gbuf.reshape(gbuf.size)
        g1 = aligned_rows(o4 if need_weight and not shared else 0, g1_len, x)
        acc = aligned_rows(8, g_stride, x)
        zero = x.dtype.type(0)
        for s in range(chunk * n_stacks // n_chunks, (chunk + 1) * n_stacks // n_chunks):
            n0 = s * stack
            nb = min(stack, n_img - n0)
            if need_bias and part == 0:
                for k in range(nb):
                    planes = gy[n0 + k].reshape(n_out, n_pix)
                    for o in range(n_out):
                        gb_parts[chunk, o] += total(planes[o])
            if not (need_weight or need_input):
                continue
            gbuf[:] = 0
            if stride1:
                for k in range(nb):
                    place(gy[n0 + k], pb, k * vp + top, left, gbuf, lead)
                n_qx = round_up(((nb - 1) * vp + h - 1) * pb + w)
            else:
                for k in range(nb):
                    place(gy[n0 + k], wo, k * vp, 0, gbuf, g_base)
                n_qx = round_up(((nb - 1) * vp + ho + (kh - 1) // sh) * wo)
            if need_weight:  # this part's blocks of 4 output channels
                offs, src_len, n_q, _, _ = stack_layout(
                    n_ch, h, kh, kw, sh, sw, ph, pw, ho, wo, pitch, vp, nb, t4
                )
                src = np.empty(src_len, dtype=x.dtype)
                fill_source(x, n0, nb, kh, kw, sh, sw, ph, pw, pitch, vp, src)
                g, g_row, start = flat, g_stride, g_base
                if not shared:
                    g1[:] = 0
                    for k in range(nb):
                        place(gy[n0 + k], pitch, k * vp, 0, g1, 0)
                    g, g_row, start = g1.reshape(g1.size), g1.shape[1], 0
                for o0 in range(4 * part, o4, 4 * splits):
                    for t0 in range(0, t4, 4):
                        tap_dot4x4(g, start, g_row, o0, src, offs, t0, n_q, gw_parts[chunk])
            if need_input and (stride1 or part == 0):
                # stride 1: rows are input channels, split over the parts; other strides add
                # several rows into one channel, so one part does all of them
                step = 8 * splits if stride1 else 8
                if not stride1:
                    for k in range(nb):
                        gx[n0 + k] = 0
                n_taps = wgx.shape[1]
                for r0 in range(8 * part, wgx.shape[0], step):
                    if not stride1:  # phase pi's rows take the taps of its row groups only
                        n_taps = n_out * ((kh - 1 - r0 // (n_ch * kw)) // sh + 1)
                    rows = accumulate_rows(flat, offs_gx, wgx, r0, n_taps, n_qx, acc)
                    if stride1:
                        for k in range(nb):
                            for r in range(rows):
                                from_grid(acc[r, k * step_x :], pb, zero, gx[n0 + k, r0 + r])
                    else:
                        _unfill_rows(acc, r0, rows, kw, sh, sw, ph, pw, wo, vp, n0, nb, gx)

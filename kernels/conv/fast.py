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
- any other stride: the input split into its 2-D phases (polyphase). Write kernel row i as
  sh*a + pi and column j as sw*b + pj (pi < sh, pj < sw); plane (pi, pj, c) holds
  xpad[k, c, sh*t + pi, sw*s + pj] at (k * vr + t) * pitch + s, rows ``pitch`` = wo + (kw-1)//sw
  wide, so output (k, oh, ow) sits at q = (k * vr + oh) * pitch + ow and tap (c, i, j) is
  plane (pi, pj, c) read at q + a * pitch + b: again one contiguous slice per tap. The planes
  hold each input pixel once (im2col writes it kh * kw times, a layout of shifted phase rows
  kw * min(sh, kh) times). Images are ``vr`` rows apart, sharing padding rows where
  ``phase_layout`` finds them zero for every phase; the columns and rows between valid
  outputs are computed and dropped.

Stacking small images makes the tap loops long enough to run at full speed (a pass over 64
positions ran at 90 GFLOP/s here, over 512-1024 at ~200). The input gradient is the same
sum over a grid of the upstream gradient: for stride 1, gy zero-padded by k - 1 - p with the
flipped kernel; otherwise the forward's adjoint: the gradient of each plane (the taps of gy
that read it, shifted back by a * pitch + b), written back to the pixels the plane holds. The weight
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

from chaingrad.kernels.conv.taps import (
    FMA_REASSOC,
    TILE,
    tap_dot4x6,
    tap_row1,
    tap_tile8,
)
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
    wo: int, pitch: int, vp: int, stack: int, nb: int, n_offs: int,
) -> tuple[np.ndarray, int, int, int, int]:  # fmt: skip
    """For the first nb images of a source laid out for ``stack`` images: (tap offsets, zero
    padded to n_offs; source length; positions per tap pass; distance between the images'
    outputs; output row pitch)."""
    offs = np.zeros(n_offs, np.int64)  # extra taps read offset 0; their sums are dropped
    if sh == 1 and sw == 1:
        hs = (stack - 1) * vp + h + 2 * ph
        for c in range(n_ch):
            for i in range(kh):
                for j in range(kw):
                    offs[(c * kh + i) * kw + j] = (c * hs + i) * pitch + j
        n_q = round_up(((nb - 1) * vp + ho - 1) * pitch + wo)
        # the last row's right padding reaches pw past the grid, then n_q's rounding
        return offs, n_ch * hs * pitch + pw + LANES, n_q, vp * pitch, pitch
    # other strides: the planes of the input's phases (fill_planes); ``vp`` is phase_layout's vr
    n_pi, n_pj = min(sh, kh), min(sw, kw)
    n_q = round_up(((nb - 1) * vp + ho) * pitch)
    plane_len = plane_length(stack, vp, ho, kh, kw, sh, sw, pitch)
    for c in range(n_ch):
        for i in range(kh):
            a, pi = divmod(i, sh)
            for j in range(kw):
                b, pj = divmod(j, sw)
                plane = (pi * n_pj + pj) * n_ch + c
                offs[(c * kh + i) * kw + j] = plane * plane_len + a * pitch + b
    return offs, n_pi * n_pj * n_ch * plane_len + LANES, n_q, vp * pitch, pitch


@kernel("conv")
def plane_length(
    stack: int, vr: int, ho: int, kh: int, kw: int, sh: int, sw: int, pitch: int
) -> int:  # fmt: skip
    """Floats per phase plane of a stack: its grid positions plus the farthest tap's shift."""
    n_q = round_up(((stack - 1) * vr + ho) * pitch)
    return round_up(n_q + (kh - 1) // sh * pitch + (kw - 1) // sw)


@kernel("conv")
def fill_source(
    x: np.ndarray, n0: int, nb: int, stack: int, kh: int, kw: int, sh: int, sw: int,
    ph: int, pw: int, pitch: int, vp: int, src: np.ndarray,
) -> None:  # fmt: skip
    """Images n0 .. n0 + nb - 1 of x into ``src``, laid out for ``stack`` images as their
    stride calls for.

    Writes the pixels only, always to the same places: zero ``src`` once and it serves every
    stack. A partial stack would leave the last full one's images past it: zero ``src``
    before one.
    """
    if sh == 1 and sw == 1:  # the padded grid
        hs = (stack - 1) * vp + x.shape[2] + 2 * ph
        grid = src[: x.shape[1] * hs * pitch].reshape(x.shape[1], hs * pitch)
        for k in range(nb):
            place(x[n0 + k], pitch, k * vp + ph, pw, grid, 0)
        return
    ho = (x.shape[2] + 2 * ph - kh) // sh + 1
    plane_len = plane_length(stack, vp, ho, kh, kw, sh, sw, pitch)
    fill_planes(x, n0, nb, kh, kw, sh, sw, ph, pw, pitch, vp, plane_len, src)


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
def phase_columns(pj: int, sw: int, pw: int, w: int, pitch: int) -> tuple[int, int, int]:
    """(v0, s0, n_s): the columns v0, v0 + sw, ... of x that column phase pj holds, from plane
    column s0 on, n_s of them (those past the plane's pitch are never read)."""
    v0 = (pj - pw) % sw  # the first column v with (v + pw) % sw == pj
    s0 = (v0 + pw) // sw
    return v0, s0, max(0, min((w - 1 - v0) // sw + 1, pitch - s0))


@kernel("conv")
def fill_planes(
    x: np.ndarray, n0: int, nb: int, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int,
    pitch: int, vr: int, plane_len: int, src: np.ndarray,
) -> None:  # fmt: skip
    """Plane (pi*n_pj + pj)*C + c of src at (k*vr + t)*pitch + s = xpad[n0+k, c, sh*t+pi, sw*s+pj].

    Each pixel of x is read once, its row split over the column phases. Writes the values
    inside x only: zero ``src`` first. Rows and columns of phases no tap reads (a kernel
    smaller than the stride, pixels past the last window) are skipped.
    """
    n_ch, h, w = x.shape[1], x.shape[2], x.shape[3]
    n_pi, n_pj = min(sh, kh), min(sw, kw)
    # phase by phase, so that the loops over images, channels and rows hold no division (by a
    # runtime stride each costs tens of cycles): with a division per input row this took 2.90
    # ms against 0.61 for a 1x1 kernel with stride 2 on (64, 64, 28, 28), 7.32 against 4.17
    # for 3x3 on (32, 64, 56, 56)
    for pi in range(n_pi):
        t_lo = max(0, -((pi - ph) // sh))  # the plane rows that fall inside x
        t_hi = min(vr, (h - 1 + ph - pi) // sh + 1)
        if sw == 2 and n_pj == 2:
            fill_column_pairs(x, n0, nb, pi, sh, ph, pw, pitch, vr, plane_len, t_lo, t_hi, src)
            continue
        for pj in range(n_pj):
            v0, s0, n_s = phase_columns(pj, sw, pw, w, pitch)
            for k in range(nb):
                for c in range(n_ch):
                    img = x[n0 + k, c]
                    start = ((pi * n_pj + pj) * n_ch + c) * plane_len + k * vr * pitch + s0
                    for t in range(t_lo, t_hi):
                        line, dst = img[sh * t + pi - ph], src[start + t * pitch :]
                        if sw == 2:  # a 1-wide kernel (wider ones: fill_column_pairs); a
                            # constant stride took 1.12 against 1.40 ms for 3x3 on 28x28
                            for s in range(n_s):
                                dst[s] = line[v0 + 2 * s]
                        else:
                            for s in range(n_s):
                                dst[s] = line[v0 + sw * s]


@kernel("conv")
def fill_column_pairs(
    x: np.ndarray, n0: int, nb: int, pi: int, sh: int, ph: int, pw: int, pitch: int, vr: int,
    plane_len: int, t_lo: int, t_hi: int, src: np.ndarray,
) -> None:  # fmt: skip
    """``fill_planes`` for row phase pi and a column stride of 2: both column phases from one
    pass over each row of x, its even columns to one plane and its odd ones to the other.

    One phase at a time read every other value of a row twice over; the pair of loads is
    LLVM's interleaved access. The 64 images of (64, 32, 28, 28) for a 3x3 kernel, stride 2,
    padding 1, one thread: 0.98 -> 0.65 ms.
    """
    n_ch, w = x.shape[1], x.shape[3]
    pe, po = pw % 2, (1 + pw) % 2  # the column phases of x's even and odd columns
    _, se, n_e = phase_columns(pe, 2, pw, w, pitch)
    _, so, n_o = phase_columns(po, 2, pw, w, pitch)
    m = min(n_e, n_o)
    for k in range(nb):
        for c in range(n_ch):
            img = x[n0 + k, c]
            base_e = ((pi * 2 + pe) * n_ch + c) * plane_len + k * vr * pitch + se
            base_o = ((pi * 2 + po) * n_ch + c) * plane_len + k * vr * pitch + so
            for t in range(t_lo, t_hi):
                line = img[sh * t + pi - ph]
                de = src[base_e + t * pitch : base_e + t * pitch + n_e]
                do = src[base_o + t * pitch : base_o + t * pitch + n_o]
                for s in range(m):
                    de[s] = line[2 * s]
                    do[s] = line[2 * s + 1]
                for s in range(m, n_e):  # an odd width: one more even column
                    de[s] = line[2 * s]
                for s in range(m, n_o):  # a plane whose pitch holds fewer even columns
                    do[s] = line[2 * s + 1]


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
    """acc[r, :n_q] = the sum of the first n_taps taps of row r0 + r, for up to 8 rows;
    return how many rows it did."""
    rows = min(8, wm.shape[0] - r0)
    if rows < 8 or n_q < TILE:  # rows left over, or too few positions for a tile: one row at
        acc[:rows, :n_q] = 0  # a time, 8 taps per pass
        for r in range(rows):
            tap_row1(src, offs, wm, r0 + r, n_taps, n_q, acc[r])
        return rows
    # tiles of TILE positions summed in registers. The last tile ends at n_q, overlapping the
    # one before: it writes the same sums, bit for bit, where they overlap (the same FMAs in
    # the same order), and costs less than a loop over the rest (0.25 of 4.2 ms here)
    for q0 in range(0, n_q - TILE, TILE):
        tap_tile8(src, offs, wm, r0, n_taps, q0, acc)
    tap_tile8(src, offs, wm, r0, n_taps, n_q - TILE, acc)
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
    chunks: int,
    splits: int,
    y: np.ndarray,
) -> None:
    """y[n, o] = b[o] + sum_t wm[o, t] * tap t of image n; (chunk of stacks, block of rows)
    per task, each task's buffers allocated once for all its stacks."""
    n_img, n_ch, h = x.shape[0], x.shape[1], x.shape[2]
    n_out, n_taps = wm.shape
    ho, wo = y.shape[2], y.shape[3]
    n_stacks = (n_img + stack - 1) // stack
    n_blocks = (n_out + 7) // 8
    for task in prange(chunks * splits):  # splits > 1 only when stacks are few
        chunk, part = task // splits, task % splits
        _, src_len, n_q, _, _ = stack_layout(
            n_ch, h, kh, kw, sh, sw, ph, pw, ho, wo, pitch, vp, stack, stack, n_taps
        )
        src = np.zeros(src_len, dtype=x.dtype)  # zeroed once: the fills write pixels only
        acc = aligned_rows(8, n_q, x)
        for s in range(chunk * n_stacks // chunks, (chunk + 1) * n_stacks // chunks):
            n0 = s * stack
            nb = min(stack, n_img - n0)
            offs, _, n_q, step, out_pitch = stack_layout(
                n_ch, h, kh, kw, sh, sw, ph, pw, ho, wo, pitch, vp, stack, nb, n_taps
            )
            if nb < stack:  # the last, partial stack: clear the full one's images past it
                src[:] = 0
            fill_source(x, n0, nb, stack, kh, kw, sh, sw, ph, pw, pitch, vp, src)
            for blk in range(part, n_blocks, splits):
                r0 = blk * 8
                rows = accumulate_rows(src, offs, wm, r0, n_taps, n_q, acc)
                for r in range(rows):  # drop the junk positions, add the bias on the way out
                    for k in range(nb):
                        from_grid(acc[r, k * step :], out_pitch, b[r0 + r], y[n0 + k, r0 + r])


@kernel("conv")
def unfill_planes(
    acc: np.ndarray, c0: int, rows: int, pi: int, pj: int, sh: int, sw: int, ph: int, pw: int,
    pitch: int, vr: int, n0: int, nb: int, gx: np.ndarray,
) -> None:  # fmt: skip
    """gx[n0 + k, c0 + r] at the pixels plane (pi, pj) holds = acc[r] at their positions in
    it (fill_planes' layout read backwards); every pixel lies in one plane only."""
    h, w = gx.shape[2], gx.shape[3]
    v0, s0, n_s = phase_columns(pj, sw, pw, w, pitch)
    u0 = (pi - ph) % sh  # the first row u with (u + ph) % sh == pi
    for r in range(rows):
        grad = acc[r]
        for k in range(nb):
            img, t = gx[n0 + k, c0 + r], (u0 + ph) // sh
            for u in range(u0, h, sh):  # the rows of phase pi: plane rows t, t + 1, ...
                if t >= vr:
                    break
                line, src = img[u], grad[(k * vr + t) * pitch + s0 :]
                if sw == 2:  # a constant stride (as in fill_planes)
                    for s in range(n_s):
                        line[v0 + 2 * s] = src[s]
                else:
                    for s in range(n_s):
                        line[v0 + sw * s] = src[s]
                t += 1


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
    - Other strides: gy on the forward's output grid (rows ``pitch`` wide, images ``vp`` rows
      apart) after a margin of zeros, for the gradient of each phase plane (pi, pj): at q it
      sums the taps (a, b, o) that read the plane, gy[o] at q - a*pitch - b, with the
      weights ``wgx[phase, c, (a*bn + b)*O + o]`` = w[o, c, sh*a + pi, sw*b + pj] (the
      adjoint of the forward; bn: the plane's column groups); the planes' gradients are then
      written back to their pixels. The weight gradient reads the same buffer.

    ``wgx`` is (phases, C, taps): one phase for stride 1.
    ``gw_parts`` (chunks, O4, T6) is padded to multiples of 4 rows and 6 taps; there is one
    chunk per ``gb_parts`` row. With fewer stacks than threads, each stack's channel blocks
    are split ``splits`` ways.
    """
    n_img, n_out, ho, wo = gy.shape
    n_ch, h, w = x.shape[1], x.shape[2], x.shape[3]
    n_chunks = gb_parts.shape[0]
    o4, t6 = gw_parts.shape[1], gw_parts.shape[2]
    stride1 = sh == 1 and sw == 1
    n_pix = ho * wo
    top, left = (kh - 1 - ph, kw - 1 - pw) if stride1 else (0, 0)
    # the weight gradient reads gy on the forward's output grid: from the input gradient's
    # buffer where that is the same grid (always for strides other than 1), else a copy (g1)
    shared = not stride1 or (pb == pitch and top >= 0 and left >= 0)
    if stride1:  # rows of the gy buffer, long enough for a full stack
        g_stride = round_up(lead + ((stack - 1) * vp + h + kh - 1) * pb + max(left, 0) + LANES)
        g_base, step_x = lead + top * pb + left if shared else 0, vp * pb
    else:
        # the taps of plane (pi, pj): (a, b, o) for kernel rows sh*a + pi, columns sw*b + pj;
        # they read gy back a * pitch + b, so gy starts a margin in
        a_n, b_n = (kh - 1) // sh + 1, (kw - 1) // sw + 1
        g_base = round_up((a_n - 1) * pitch + b_n - 1)
        src_row = round_up(((stack - 1) * vp + ho + a_n - 1) * pitch)  # as in stack_layout
        g_stride, step_x = round_up(g_base + src_row + LANES), 0  # step_x: stride 1 only
    n_phases = wgx.shape[0]
    n_pj = 1 if stride1 else min(sw, kw)
    offs_gx = np.zeros((n_phases, wgx.shape[2]), np.int64)
    taps_gx = np.empty(n_phases, np.int64)
    if stride1:
        taps_gx[0] = n_out * kh * kw
        for o in range(n_out):
            for i in range(kh):
                for j in range(kw):
                    offs_gx[0, (o * kh + i) * kw + j] = o * g_stride + lead + i * pb + j
    else:
        for phase in range(n_phases):
            pi, pj = divmod(phase, n_pj)
            an, bn = (kh - 1 - pi) // sh + 1, (kw - 1 - pj) // sw + 1
            taps_gx[phase] = an * bn * n_out
            for a in range(an):
                for b in range(bn):
                    for o in range(n_out):
                        at = (a * bn + b) * n_out + o
                        offs_gx[phase, at] = o * g_stride + g_base - a * pitch - b
    # each pixel in some plane (else zero gx first): no kernel smaller than the stride, no row
    # or column of x past what the planes hold
    covered = stride1 or (
        kh >= sh and kw >= sw and (h - 1 + ph) // sh < vp and (w - 1 + pw) // sw < pitch
    )
    g1_len = ((stack - 1) * vp + ho) * pitch + LANES  # gy on the source's grid, if not shared
    n_stacks = (n_img + stack - 1) // stack
    for task in prange(n_chunks * splits):
        chunk, part = task // splits, task % splits
        gbuf = aligned_rows(o4, g_stride, x)
        gbuf[:] = 0  # once: every full stack writes gy to the same places, the rest stays 0
        flat = gbuf.reshape(gbuf.size)
        g1 = aligned_rows(o4 if need_weight and not shared else 0, g1_len, x)
        g1[:] = 0  # as gbuf
        acc = aligned_rows(8, g_stride, x)
        zero = x.dtype.type(0)
        src_len = stack_layout(
            n_ch, h, kh, kw, sh, sw, ph, pw, ho, wo, pitch, vp, stack, stack, t6
        )[1]
        src = np.zeros(src_len if need_weight else 0, dtype=x.dtype)  # as in the forward
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
            if nb < stack:  # the last, partial stack: clear the full one's images past it
                gbuf[:] = 0
            if stride1:
                for k in range(nb):
                    place(gy[n0 + k], pb, k * vp + top, left, gbuf, lead)
                n_qx = round_up(((nb - 1) * vp + h - 1) * pb + w)
            else:
                for k in range(nb):
                    place(gy[n0 + k], pitch, k * vp, 0, gbuf, g_base)
                n_qx = round_up(((nb - 1) * vp + ho + (kh - 1) // sh) * pitch)
            if need_weight:  # this part's blocks of 4 output channels
                offs, _, n_q, _, _ = stack_layout(
                    n_ch, h, kh, kw, sh, sw, ph, pw, ho, wo, pitch, vp, stack, nb, t6
                )
                if nb < stack:  # as in the forward
                    src[:] = 0
                fill_source(x, n0, nb, stack, kh, kw, sh, sw, ph, pw, pitch, vp, src)
                g, g_row, start = flat, g_stride, g_base
                if not shared:
                    if nb < stack:
                        g1[:] = 0
                    for k in range(nb):
                        place(gy[n0 + k], pitch, k * vp, 0, g1, 0)
                    g, g_row, start = g1.reshape(g1.size), g1.shape[1], 0
                for o0 in range(4 * part, o4, 4 * splits):
                    for t0 in range(0, t6, 6):
                        tap_dot4x6(g, start, g_row, o0, src, offs, t0, n_q, gw_parts[chunk])
            if need_input:  # this part's blocks of 8 input channels, every phase of each
                for c0 in range(8 * part, n_ch, 8 * splits):
                    if not covered:
                        for k in range(nb):
                            gx[n0 + k, c0 : c0 + 8] = 0
                    for phase in range(n_phases):
                        rows = accumulate_rows(
                            flat, offs_gx[phase], wgx[phase], c0, taps_gx[phase], n_qx, acc
                        )
                        if stride1:
                            for k in range(nb):
                                for r in range(rows):
                                    from_grid(acc[r, k * step_x :], pb, zero, gx[n0 + k, c0 + r])
                        else:
                            pi, pj = divmod(phase, n_pj)
                            unfill_planes(
                                acc, c0, rows, pi, pj, sh, sw, ph, pw, pitch, vp, n0, nb, gx
                            )

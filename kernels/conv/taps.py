"""The inner loops every convolution kernel is built from: sums of shifted slices ("taps").

A convolution of one image is, on a flat buffer ``src``, a weighted sum of shifted slices:
``acc[r, q] = sum over t of wm[r, t] * src[offs[t] + q]`` — the tap offset ``offs[t]`` says
where input channel c, kernel row i and kernel column j start. The forward pass and the input
gradient are this sum (``tap_tile8``: 8 rows × 48 positions summed over every tap in
registers; ``tap_row1`` for the rows left over); the weight gradient is its adjoint, a dot
product of each output row with each shifted slice (``tap_dot4x6``).

``gather_rows8`` is the same sum turned around for small images (``direct.py``): the source
rows are the rows of a 2-D array (weights, or the upstream gradient per pixel) and the scalars
are gathered by index, ``a[rb[r] + sb[s]]`` (a pixel's window, read where it lies).

The loops keep the contiguous axis q innermost and fuse several taps or output rows per
pass, so that every load feeds several FMAs. Their callers are in ``fast.py``.
"""

from __future__ import annotations

import numpy as np

from chaingrad.kernels.runtime import kernel
from chaingrad.kernels.scratch import scratch

# "contract" lets LLVM fuse a * b + c into one FMA; nothing else about the arithmetic changes.
FMA = {"contract"}
# For the dot products also "reassoc", so the sum over q can run in vector lanes (the order of
# the additions changes, as it does in any BLAS).
FMA_REASSOC = {"contract", "reassoc"}
# positions per tile of ``tap_tile8``: 8 rows of 3 vectors of 16 float32 are 24 of the 32 vector
# registers of AVX-512, the rest hold the slice and the weights
TILE = 48
TILE_SUMS = 8 * TILE  # the scratch array: a module-level int, so numba sees a constant


@kernel("conv", fastmath=FMA)
def tap_tile8(
    src: np.ndarray,
    offs: np.ndarray,
    wm: np.ndarray,
    r0: int,
    n_taps: int,
    q0: int,
    acc: np.ndarray,
) -> None:
    """acc[r, q0 + l] = sum_{t < n_taps} wm[r0 + r, t] * src[offs[t] + q0 + l] for r < 8 and
    l < TILE: every tap added in registers, the sums stored once.

    The loop it replaced (8 rows × 4 taps a pass over whole rows) loaded and stored its
    accumulators every 4 taps: rows of a heap array, which LLVM must assume may overlap
    ``src``. Here they are a ``scratch`` array on the stack, which LLVM keeps in 24 vector
    registers across the whole loop over taps: per tap, 3 slice loads and 8 weight broadcasts
    feed 24 FMAs and nothing is stored. Measured on the 2-core Sapphire Rapids, one thread,
    16 -> 48 channels on a 28x28 grid (144 taps, 864 positions): 145 GFLOP/s against 85 for
    that loop; tiles of 8 x 32 ran at 122, 6 x 64 at 148, 4 x 96 at 144, 12 x 32 at 97
    (spills). 8 rows keep the channel counts people use free of a remainder. Reads
    src[offs[t] + q0 : offs[t] + q0 + TILE]: the caller keeps that inside ``src``.
    """
    sums = scratch(acc, TILE_SUMS)
    for i in range(TILE_SUMS):
        sums[i] = 0
    for t in range(n_taps):
        s = src[offs[t] + q0 : offs[t] + q0 + TILE]
        u0, u1, u2, u3 = wm[r0, t], wm[r0 + 1, t], wm[r0 + 2, t], wm[r0 + 3, t]
        u4, u5, u6, u7 = wm[r0 + 4, t], wm[r0 + 5, t], wm[r0 + 6, t], wm[r0 + 7, t]
        for q in range(TILE):  # one tap into all 8 rows: sums[r * TILE + q] += w[r, t] * x[q]
            x = s[q]
            sums[q] += u0 * x
            sums[TILE + q] += u1 * x
            sums[2 * TILE + q] += u2 * x
            sums[3 * TILE + q] += u3 * x
            sums[4 * TILE + q] += u4 * x
            sums[5 * TILE + q] += u5 * x
            sums[6 * TILE + q] += u6 * x
            sums[7 * TILE + q] += u7 * x
    for r in range(8):
        out = acc[r, q0 : q0 + TILE]
        for q in range(TILE):
            out[q] = sums[r * TILE + q]


@kernel("conv", fastmath=FMA)
def tap_row1(
    src: np.ndarray,
    offs: np.ndarray,
    wm: np.ndarray,
    r: int,
    n_taps: int,
    n_q: int,
    acc: np.ndarray,
) -> None:
    """acc[q] += sum_{t < n_taps} wm[r, t] * src[offs[t] + q] for one row (few output rows)."""
    w = wm[r]
    t8 = n_taps - n_taps % 8
    for t in range(0, t8, 8):  # eight taps per pass: one load and store of acc per 8 FMAs
        s0 = src[offs[t] : offs[t] + n_q]
        s1 = src[offs[t + 1] : offs[t + 1] + n_q]
        s2 = src[offs[t + 2] : offs[t + 2] + n_q]
        s3 = src[offs[t + 3] : offs[t + 3] + n_q]
        s4 = src[offs[t + 4] : offs[t + 4] + n_q]
        s5 = src[offs[t + 5] : offs[t + 5] + n_q]
        s6 = src[offs[t + 6] : offs[t + 6] + n_q]
        s7 = src[offs[t + 7] : offs[t + 7] + n_q]
        u0, u1, u2, u3 = w[t], w[t + 1], w[t + 2], w[t + 3]
        u4, u5, u6, u7 = w[t + 4], w[t + 5], w[t + 6], w[t + 7]
        for q in range(n_q):
            acc[q] = (
                acc[q]
                + u0 * s0[q]
                + u1 * s1[q]
                + u2 * s2[q]
                + u3 * s3[q]
                + u4 * s4[q]
                + u5 * s5[q]
                + u6 * s6[q]
                + u7 * s7[q]
            )
    for t in range(t8, n_taps):
        s0 = src[offs[t] : offs[t] + n_q]
        u0 = w[t]
        for q in range(n_q):
            acc[q] += u0 * s0[q]


@kernel("conv", fastmath=FMA_REASSOC)
def tap_dot4x6(
    g: np.ndarray,
    start: int,
    row: int,
    o0: int,
    src: np.ndarray,
    offs: np.ndarray,
    t0: int,
    n_q: int,
    out: np.ndarray,
) -> None:
    """out[o0 + i, t0 + j] += sum_q G[o0 + i, q] * src[offs[t0 + j] + q] for i < 4, j < 6.

    G is stored flat in ``g``: row o starts at ``start + o * row``. 24 sums in vector registers
    (reduced in vector lanes: ``reassoc``), 10 loads feed 24 FMAs. One thread, 16 -> 32
    channels on a 28x28 grid (144 taps, 848 positions): 133 GFLOP/s against 109 for the 4 x 4
    blocks it replaced; 6 x 4 ran at 128, 3 x 8 at 98, 4 x 8 at 81 (spills).
    """
    b0 = start + o0 * row
    g0 = g[b0 : b0 + n_q]
    g1 = g[b0 + row : b0 + row + n_q]
    g2 = g[b0 + 2 * row : b0 + 2 * row + n_q]
    g3 = g[b0 + 3 * row : b0 + 3 * row + n_q]
    s0 = src[offs[t0] : offs[t0] + n_q]
    s1 = src[offs[t0 + 1] : offs[t0 + 1] + n_q]
    s2 = src[offs[t0 + 2] : offs[t0 + 2] + n_q]
    s3 = src[offs[t0 + 3] : offs[t0 + 3] + n_q]
    s4 = src[offs[t0 + 4] : offs[t0 + 4] + n_q]
    s5 = src[offs[t0 + 5] : offs[t0 + 5] + n_q]
    zero = g.dtype.type(0)  # accumulate in the arrays' dtype
    c00 = c01 = c02 = c03 = c04 = c05 = zero
    c10 = c11 = c12 = c13 = c14 = c15 = zero
    c20 = c21 = c22 = c23 = c24 = c25 = zero
    c30 = c31 = c32 = c33 = c34 = c35 = zero
    for q in range(n_q):  # 24 independent reductions: 10 loads feed 24 FMAs
        y0, y1, y2, y3 = g0[q], g1[q], g2[q], g3[q]
        x0, x1, x2, x3, x4, x5 = s0[q], s1[q], s2[q], s3[q], s4[q], s5[q]
        c00 += y0 * x0
        c01 += y0 * x1
        c02 += y0 * x2
        c03 += y0 * x3
        c04 += y0 * x4
        c05 += y0 * x5
        c10 += y1 * x0
        c11 += y1 * x1
        c12 += y1 * x2
        c13 += y1 * x3
        c14 += y1 * x4
        c15 += y1 * x5
        c20 += y2 * x0
        c21 += y2 * x1
        c22 += y2 * x2
        c23 += y2 * x3
        c24 += y2 * x4
        c25 += y2 * x5
        c30 += y3 * x0
        c31 += y3 * x1
        c32 += y3 * x2
        c33 += y3 * x3
        c34 += y3 * x4
        c35 += y3 * x5
    out[o0 + 0, t0 + 0] += c00
    out[o0 + 0, t0 + 1] += c01
    out[o0 + 0, t0 + 2] += c02
    out[o0 + 0, t0 + 3] += c03
    out[o0 + 0, t0 + 4] += c04
    out[o0 + 0, t0 + 5] += c05
    out[o0 + 1, t0 + 0] += c10
    out[o0 + 1, t0 + 1] += c11
    out[o0 + 1, t0 + 2] += c12
    out[o0 + 1, t0 + 3] += c13
    out[o0 + 1, t0 + 4] += c14
    out[o0 + 1, t0 + 5] += c15
    out[o0 + 2, t0 + 0] += c20
    out[o0 + 2, t0 + 1] += c21
    out[o0 + 2, t0 + 2] += c22
    out[o0 + 2, t0 + 3] += c23
    out[o0 + 2, t0 + 4] += c24
    out[o0 + 2, t0 + 5] += c25
    out[o0 + 3, t0 + 0] += c30
    out[o0 + 3, t0 + 1] += c31
    out[o0 + 3, t0 + 2] += c32
    out[o0 + 3, t0 + 3] += c33
    out[o0 + 3, t0 + 4] += c34
    out[o0 + 3, t0 + 5] += c35


@kernel("conv", fastmath=FMA)
def gather_rows8(
    a: np.ndarray,
    rb: np.ndarray,
    sb: np.ndarray,
    n_s: int,
    rows: np.ndarray,
    n_q: int,
    acc: np.ndarray,
) -> None:
    """acc[r, q] += sum_{s < n_s} a[rb[r] + sb[s]] * rows[s, q] for r < 8 and q < n_q.

    8 rows × 4 source rows a pass, the accumulators in memory; the source rows are a 2-D array's
    (not shifted slices of one buffer) and the scalars are gathered by index. On the direct
    forward of a (64, 32, 6, 6) input (q: 64 output channels) this ran in 0.48 ms where
    gathering the windows first and calling a tap loop took 0.77 (0.16 of it the gather) and
    slices of a flat source 0.87: with so short a q loop, each pass's set-up counts.
    """
    a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
    a4, a5, a6, a7 = acc[4], acc[5], acc[6], acc[7]
    b0, b1, b2, b3 = rb[0], rb[1], rb[2], rb[3]
    b4, b5, b6, b7 = rb[4], rb[5], rb[6], rb[7]
    s4 = n_s - n_s % 4
    for s in range(0, s4, 4):  # four source rows per pass: 4 row loads feed 32 FMAs
        v0, v1, v2, v3 = rows[s], rows[s + 1], rows[s + 2], rows[s + 3]
        f0, f1, f2, f3 = sb[s], sb[s + 1], sb[s + 2], sb[s + 3]
        u00, u01, u02, u03 = a[b0 + f0], a[b0 + f1], a[b0 + f2], a[b0 + f3]
        u10, u11, u12, u13 = a[b1 + f0], a[b1 + f1], a[b1 + f2], a[b1 + f3]
        u20, u21, u22, u23 = a[b2 + f0], a[b2 + f1], a[b2 + f2], a[b2 + f3]
        u30, u31, u32, u33 = a[b3 + f0], a[b3 + f1], a[b3 + f2], a[b3 + f3]
        u40, u41, u42, u43 = a[b4 + f0], a[b4 + f1], a[b4 + f2], a[b4 + f3]
        u50, u51, u52, u53 = a[b5 + f0], a[b5 + f1], a[b5 + f2], a[b5 + f3]
        u60, u61, u62, u63 = a[b6 + f0], a[b6 + f1], a[b6 + f2], a[b6 + f3]
        u70, u71, u72, u73 = a[b7 + f0], a[b7 + f1], a[b7 + f2], a[b7 + f3]
        for q in range(n_q):
            x0, x1, x2, x3 = v0[q], v1[q], v2[q], v3[q]
            a0[q] = a0[q] + u00 * x0 + u01 * x1 + u02 * x2 + u03 * x3
            a1[q] = a1[q] + u10 * x0 + u11 * x1 + u12 * x2 + u13 * x3
            a2[q] = a2[q] + u20 * x0 + u21 * x1 + u22 * x2 + u23 * x3
            a3[q] = a3[q] + u30 * x0 + u31 * x1 + u32 * x2 + u33 * x3
            a4[q] = a4[q] + u40 * x0 + u41 * x1 + u42 * x2 + u43 * x3
            a5[q] = a5[q] + u50 * x0 + u51 * x1 + u52 * x2 + u53 * x3
            a6[q] = a6[q] + u60 * x0 + u61 * x1 + u62 * x2 + u63 * x3
            a7[q] = a7[q] + u70 * x0 + u71 * x1 + u72 * x2 + u73 * x3
    for s in range(s4, n_s):  # the last n_s % 4 rows, one at a time
        v0, f0 = rows[s], sb[s]
        u0, u1, u2, u3 = a[b0 + f0], a[b1 + f0], a[b2 + f0], a[b3 + f0]
        u4, u5, u6, u7 = a[b4 + f0], a[b5 + f0], a[b6 + f0], a[b7 + f0]
        for q in range(n_q):
            x0 = v0[q]
            a0[q] += u0 * x0
            a1[q] += u1 * x0
            a2[q] += u2 * x0
            a3[q] += u3 * x0
            a4[q] += u4 * x0
            a5[q] += u5 * x0
            a6[q] += u6 * x0
            a7[q] += u7 * x0

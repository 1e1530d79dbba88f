"""Stride-1 5×5 convolutions by Winograd's minimal filtering F(2×2, 5×5) (Lavin & Gray 2015,
"Fast Algorithms for Convolutional Neural Networks").

A 1-D correlation of m = 2 outputs with an r = 5 tap filter g over α = m + r - 1 = 6 inputs d is
``y = Aᵀ [(G g) ⊙ (Bᵀ d)]``: 6 multiplies where the direct sum takes 10. In 2-D, per 6×6 input
tile d (tiles 2 apart, overlapping by r - 1 = 4, zero padding included) and 5×5 filter g::

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A                      (a 2×2 output tile)

and summed over input channels the ⊙ becomes, for each of the α² = 36 points (ξ, ν), one matrix
product over the channels: M[ξ,ν] = V[ξ,ν] @ U[ξ,ν] with V (tiles × C) = Bᵀ d B and U (C × O) =
G g Gᵀ. That is 36 multiplies per 2×2 outputs and channel pair against the direct 100 (2.8×
fewer), and they run in BLAS (NumPy's stacked ``matmul``). The backward pass is the adjoint of
each step: dM = A dY Aᵀ per output tile, the weight gradient dU[ξ,ν] = V[ξ,ν]ᵀ @ dM[ξ,ν] then
dg = Gᵀ dU G, the input gradient dV[ξ,ν] = dM[ξ,ν] @ U[ξ,ν]ᵀ then B dV Bᵀ added back over the
(overlapping) tiles and the padding dropped. V is recomputed from x in the backward.

The matrices come from Cook–Toom / Lagrange interpolation at the points 0, ±1, 2, -1/2 and ∞
(``POINTS``: more accurate in float32 than the usual ±2), derived in exact rational arithmetic
by ``cook_toom`` (wincnn's construction, github.com/andravin/wincnn, fractions in G), then
rounded once to float64; G g Gᵀ is computed in float64. The tile transforms are two numba
kernels: ``tiles_in`` (tiles of an NCHW image, transformed from both sides, out as α² planes of
(tiles × channels)) and ``tiles_out`` (its adjoint: transform back, add the overlapping tiles,
crop, out as NCHW), their inner loops over (tiles of a row × channels), contiguous. The images
are processed in chunks of about ``CHUNK_TILES`` tiles, so a chunk's V and M stay in cache and
OpenBLAS uses its unthreaded small-matrix path; the threads are lanes of images (Python threads,
BLAS set to one thread for the call: no hand-over between numba's and OpenBLAS's thread pools).
Each lane is one compiled call (``forward_lane``, ``backward_lane``) that runs its chunks'
transforms and calls NumPy's ``cblas_?gemm`` by address for the 36 products, without the GIL:
32 -> 64 channels on 14x14 at batch 64, two threads, forward 5.3 -> 4.1 ms and backward 10.4 ->
8.3 against the same loop in Python between calls (kept where no such gemm is found).

``op.py`` takes this path where ``applies`` says so: stride 1, 5×5, C·O / (C + O) at least
``MIN_BALANCE``, ``MIN_PIXELS`` outputs and ``MIN_WORK`` direct multiply-adds (the A/B is by
those constants). The tile kernels are written for α = 6 (six rows in, six or two out).
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np

from chaingrad.kernels.blas import gemm_address, single_threaded
from chaingrad.kernels.cblas import call_gemm
from chaingrad.kernels.conv.taps import FMA
from chaingrad.kernels.runtime import kernel, run_lanes

M, R = 2, 5  # F(m×m, r×r): outputs per tile side, filter size
ALPHA = M + R - 1  # input tile side
# The finite interpolation points (the last one is ∞). 0, ±1, ±2 gave float32 errors (max over
# the output / max |float64 reference|, the benchmark's shape) of 2.9e-6 (y), 3.7e-6 (gx) and
# 7.1e-6 (gw) against the tap loops' 1.1e-6, 1.8e-6, 1.5e-7; swapping -2 for its reciprocal
# -1/2 (a point and its reciprocal balance the matrices' magnitudes) brought them to 1.4e-6,
# 1.6e-6, 2.8e-6 (the dense one-pass transforms cost the same for either).
POINTS = (0, 1, -1, 2, Fraction(-1, 2))
CHUNK_TILES = 128  # tiles per chunk of images (see _chunk)
# Where it pays (A/B against the tap loops in one process, single-thread CPU, fwd + bwd, forced
# onto this path): the products grow with C·O per tile and the transforms with C + O, so the
# rule asks for C·O / (C + O) >= MIN_BALANCE; the weight transforms and the calls cost the same
# for any batch, so it asks for MIN_PIXELS outputs (N·Ho·Wo) and MIN_WORK direct multiply-adds.
# Taken: 32 -> 64 on 14x14 at batch 64 (the benchmark's conv2d-5x5) 0.47-0.52x; 16 -> 32 0.68x
# (14x14) and 0.71x (28x28); 32 -> 16 0.73x; 16 -> 16 (balance 8) 0.89x at batch 64, 0.93x at
# batch 40 (50M multiply-adds); 12 -> 24 0.87x; 32 -> 32 on 28x28 at batch 8 0.83x. Left to the
# tap loops: 8 -> 32 (balance 6.4) 1.01x; 16 -> 16 on 28x28 at batch 8 (40M) 1.26x; 32 -> 64 on
# 14x14 at batch 8 (1568 outputs) 1.04x; 64 -> 64 at batch 4 on 14x14 1.98x, at batch 2 on 28x28
# 1.38x. Conservative: 32 -> 64 on 7x7 at batch 16-32 (784-1568 outputs) measured 0.51-0.82x.
# float64 the same: 0.48x on the benchmark's shape, 0.88x for 16 -> 16 at batch 40-64.
# Measured again once the tap loops summed in registers (tap_tile8) and each lane ran as one
# compiled call, 2-core Sapphire Rapids, two threads, fwd + bwd, Winograd's time / the tap
# loops': balance 8 lost (16 -> 16 on 28x28 at batch 64 1.30x, 12 -> 24 on 14x14 1.04x), 10.7
# broke even (16 -> 32 0.95x, 32 -> 16 1.06x on 14x14), 12 lost (24 -> 24 1.06x), 16 won at
# batch 64 on 14x14 (0.76x) and 32 on 28x28 (0.97x) but lost with 80M multiply-adds (batch 16
# on 14x14, 1.12x) and at batch 8 on 28x28 (1.12x), 21.3 won (32 -> 64: 0.63x at batch 64,
# 0.93x at batch 16). Hence balance 14 and 100M multiply-adds.
MIN_BALANCE = 14
MIN_PIXELS = 2048
MIN_WORK = 100_000_000


def _poly_times_root(coeffs: list[Fraction], a: Fraction) -> list[Fraction]:
    """The coefficients (lowest power first) of p(x) * (x - a) for p's ``coeffs``."""
    out = [Fraction(0)] * (len(coeffs) + 1)
    for k, c in enumerate(coeffs):
        out[k + 1] += c
        out[k] -= a * c
    return out


def cook_toom(
    m: int, r: int, points: tuple[int | Fraction, ...]
) -> tuple[list[list[Fraction]], list[list[Fraction]], list[list[Fraction]]]:
    """(Aᵀ, G, Bᵀ) of F(m, r), exact, for the m + r - 2 finite ``points`` and ∞.

    The linear convolution s = g * h (h of length m) is evaluated at each point a_j and at ∞
    (the product of the leading coefficients) and interpolated back: s(x) = sum_j g(a_j) h(a_j)
    L_j(x) / f_j + g_(r-1) h_(m-1) P(x), with L_j = prod_(l != j) (x - a_l), f_j = L_j(a_j) and
    P = prod_l (x - a_l). The correlation y_i = sum_k g_k d_(i+k) is that map transposed in h,
    so Aᵀ[i, j] = a_j^i, G[j, k] = a_j^k / f_j and row j of Bᵀ holds L_j's coefficients; the
    point ∞ adds the last column of Aᵀ, the last row of G (e_(m-1), e_(r-1)) and P as the last
    row of Bᵀ.
    """
    alpha = m + r - 1
    if len(points) != alpha - 1 or len(set(points)) != alpha - 1:
        raise ValueError(f"cook_toom: F({m}, {r}) needs {alpha - 1} distinct points, got {points}")
    a = [Fraction(p) for p in points]
    at = [[a[j] ** i for j in range(alpha - 1)] + [Fraction(int(i == m - 1))] for i in range(m)]
    g, bt = [], []
    for j in range(alpha - 1):
        lj, fj = [Fraction(1)], Fraction(1)
        for lo in range(alpha - 1):
            if lo != j:
                lj = _poly_times_root(lj, a[lo])
                fj *= a[j] - a[lo]
        g.append([a[j] ** k / fj for k in range(r)])
        bt.append([*lj, Fraction(0)])  # degree alpha - 2: the x^(alpha-1) coefficient is 0
    p = [Fraction(1)]
    for aj in a:
        p = _poly_times_root(p, aj)
    g.append([Fraction(int(k == r - 1)) for k in range(r)])
    bt.append(p)
    return at, g, bt


def _float64(rows: list[list[Fraction]]) -> np.ndarray:
    """Exact fractions rounded once to float64."""
    return np.array([[float(v) for v in row] for row in rows], dtype=np.float64)


AT, G, BT = (_float64(mat) for mat in cook_toom(M, R, POINTS))


def applies(stride: tuple[int, int], kh: int, kw: int, n_in: int, n_out: int, pixels: int) -> bool:
    """Whether a conv2d takes this path: stride 1, a 5×5 kernel, n_in·n_out / (n_in + n_out) at
    least MIN_BALANCE, ``pixels`` (N × Ho × Wo) at least MIN_PIXELS and MIN_WORK direct
    multiply-adds (the crossovers measured above)."""
    if stride != (1, 1) or kh != R or kw != R:
        return False
    balanced = n_in * n_out >= MIN_BALANCE * (n_in + n_out)
    return balanced and pixels >= MIN_PIXELS and pixels * n_in * n_out * R * R >= MIN_WORK


@kernel("conv", fastmath=FMA)
def combine6(
    dst: np.ndarray, d_at: np.ndarray, src: np.ndarray, s_at: np.ndarray, m: np.ndarray, n: int
) -> None:
    """dst[d_at[b] + e] = sum_(j < 6) m[b, j] src[s_at[j] + e] for b < 6, e < n, in one pass.

    Six rows in, six out, each loaded or stored once per element with the 36 weights held in
    registers (five times faster here than a pass per output row). Smaller matrices come
    padded with zeros (``_padded``): their extra inputs are read with weight 0, their extra
    outputs land in rows the caller ignores.
    """
    x0, x1, x2 = src[s_at[0] : s_at[0] + n], src[s_at[1] : s_at[1] + n], src[s_at[2] : s_at[2] + n]
    x3, x4, x5 = src[s_at[3] : s_at[3] + n], src[s_at[4] : s_at[4] + n], src[s_at[5] : s_at[5] + n]
    o0, o1, o2 = dst[d_at[0] : d_at[0] + n], dst[d_at[1] : d_at[1] + n], dst[d_at[2] : d_at[2] + n]
    o3, o4, o5 = dst[d_at[3] : d_at[3] + n], dst[d_at[4] : d_at[4] + n], dst[d_at[5] : d_at[5] + n]
    m00, m01, m02, m03, m04, m05 = m[0, 0], m[0, 1], m[0, 2], m[0, 3], m[0, 4], m[0, 5]
    m10, m11, m12, m13, m14, m15 = m[1, 0], m[1, 1], m[1, 2], m[1, 3], m[1, 4], m[1, 5]
    m20, m21, m22, m23, m24, m25 = m[2, 0], m[2, 1], m[2, 2], m[2, 3], m[2, 4], m[2, 5]
    m30, m31, m32, m33, m34, m35 = m[3, 0], m[3, 1], m[3, 2], m[3, 3], m[3, 4], m[3, 5]
    m40, m41, m42, m43, m44, m45 = m[4, 0], m[4, 1], m[4, 2], m[4, 3], m[4, 4], m[4, 5]
    m50, m51, m52, m53, m54, m55 = m[5, 0], m[5, 1], m[5, 2], m[5, 3], m[5, 4], m[5, 5]
    for e in range(n):
        v0, v1, v2, v3, v4, v5 = x0[e], x1[e], x2[e], x3[e], x4[e], x5[e]
        o0[e] = m00 * v0 + m01 * v1 + m02 * v2 + m03 * v3 + m04 * v4 + m05 * v5
        o1[e] = m10 * v0 + m11 * v1 + m12 * v2 + m13 * v3 + m14 * v4 + m15 * v5
        o2[e] = m20 * v0 + m21 * v1 + m22 * v2 + m23 * v3 + m24 * v4 + m25 * v5
        o3[e] = m30 * v0 + m31 * v1 + m32 * v2 + m33 * v3 + m34 * v4 + m35 * v5
        o4[e] = m40 * v0 + m41 * v1 + m42 * v2 + m43 * v3 + m44 * v4 + m45 * v5
        o5[e] = m50 * v0 + m51 * v1 + m52 * v2 + m53 * v3 + m54 * v4 + m55 * v5


@kernel("conv", fastmath=FMA)
def combine2(
    dst: np.ndarray, d_at: np.ndarray, src: np.ndarray, s_at: np.ndarray, m: np.ndarray, n: int
) -> None:
    """``combine6`` for the first two rows of m only (Aᵀ: two outputs of six, no junk rows)."""
    x0, x1, x2 = src[s_at[0] : s_at[0] + n], src[s_at[1] : s_at[1] + n], src[s_at[2] : s_at[2] + n]
    x3, x4, x5 = src[s_at[3] : s_at[3] + n], src[s_at[4] : s_at[4] + n], src[s_at[5] : s_at[5] + n]
    o0, o1 = dst[d_at[0] : d_at[0] + n], dst[d_at[1] : d_at[1] + n]
    m00, m01, m02, m03, m04, m05 = m[0, 0], m[0, 1], m[0, 2], m[0, 3], m[0, 4], m[0, 5]
    m10, m11, m12, m13, m14, m15 = m[1, 0], m[1, 1], m[1, 2], m[1, 3], m[1, 4], m[1, 5]
    for e in range(n):
        v0, v1, v2, v3, v4, v5 = x0[e], x1[e], x2[e], x3[e], x4[e], x5[e]
        o0[e] = m00 * v0 + m01 * v1 + m02 * v2 + m03 * v3 + m04 * v4 + m05 * v5
        o1[e] = m10 * v0 + m11 * v1 + m12 * v2 + m13 * v3 + m14 * v4 + m15 * v5


@kernel("conv")
def _column_offsets(left: int, w: int, s: int, cols: int, n_k: int) -> np.ndarray:
    """Where image column left + v starts in a channels-last row split by phase, v < w."""
    at = np.empty(w, np.int64)
    for v in range(w):
        col = left + v
        at[v] = ((col % s) * cols + col // s) * n_k
    return at


@kernel("conv", nogil=True, fastmath=FMA)  # lanes run it on several threads
def tiles_in(
    x: np.ndarray, top: int, left: int, m: np.ndarray, q: int, s: int, nty: int, ntx: int,
    out: np.ndarray,
) -> None:  # fmt: skip
    """out[a*6 + b, t, k] = sum_ij mat[a, i] xpad[n, k, s*ty + i, s*tx + j] mat[b, j].

    x (N, K, H, W); xpad is x placed at (top, left) on zeros; ``mat`` (6, q) comes padded to
    6 × 6 as ``m``; tile t = (n * nty + ty) * ntx + tx is the q×q window at (s*ty, s*tx). Each
    image is first copied channels-last into ``img``, its columns split by phase (column
    s*u + f at [f, u]), so that a row of tiles is transformed down its columns in one pass over
    whole image rows, then along its rows: window column j of every tile in the row is phase
    j % s from j // s on, so each row a of the first pass is one pass over (tx, k).
    """
    n_img, n_k, h, w = x.shape
    rows, cols = s * (nty - 1) + q, (s * (ntx - 1) + q + s - 1) // s  # cols per phase
    width = s * cols * n_k
    run = ntx * n_k  # one row of tiles in ``out``
    plane = out.shape[1] * n_k
    flat = out.reshape(out.size)
    img = np.empty(rows * width, dtype=out.dtype)
    half = np.empty(6 * width, dtype=out.dtype)  # mat @ window, down the columns
    col_at = _column_offsets(left, min(w, s * cols - left), s, cols, n_k)
    j_used = np.minimum(np.arange(6), q - 1) * (np.arange(6) < q)  # padded inputs read row 0
    row_at = j_used * width  # the window's rows in img (+ the tile row's first)
    col_of = ((j_used % s) * cols + j_used // s) * n_k  # the window's columns in half's rows
    half_at = np.arange(6) * width
    out_at = np.arange(6) * plane
    for n in range(n_img):
        img[:] = 0
        for k in range(n_k):
            for u in range(min(h, rows - top)):
                line, dst = x[n, k, u], img[(top + u) * width + k :]
                for v in range(col_at.shape[0]):
                    dst[col_at[v]] = line[v]
        for ty in range(nty):
            combine6(half, half_at, img, row_at + s * ty * width, m, width)
            t0 = (n * nty + ty) * run
            for a in range(6):
                combine6(flat, out_at + a * 6 * plane + t0, half, col_of + a * width, m, run)


@kernel("conv", nogil=True, fastmath=FMA)  # lanes run it on several threads
def tiles_out(
    src: np.ndarray, m: np.ndarray, q: int, s: int, nty: int, ntx: int, top: int, left: int,
    bias: np.ndarray, y: np.ndarray,
) -> None:  # fmt: skip
    """y[n, k] = bias[k] + the window at (top, left) of img[n, k], where the tiles add up:
    img[n, k, s*ty + i, s*tx + j] += sum_ab mat[i, a] src[a*6 + b, t, k] mat[j, b].

    The adjoint of ``tiles_in`` (with mat there = matᵀ here, then cropped): src (36, T, K),
    ``mat`` (q, 6) padded to 6 × 6 as ``m``, y (N, K, H, W). ``img`` is one image,
    channels-last and split by column phase as there; overlapping tiles add up. Down the
    columns of a row of tiles first (one pass per b over (tx, k)), then along its rows, the
    q window columns added into the image rows at their shifts.
    """
    n_img, n_k, h, w = y.shape
    rows, cols = s * (nty - 1) + q, (s * (ntx - 1) + q + s - 1) // s
    width = s * cols * n_k
    run = ntx * n_k
    plane = src.shape[1] * n_k
    flat = src.reshape(src.size)
    img = np.empty(rows * width, dtype=y.dtype)
    down = np.empty(36 * run, dtype=y.dtype)  # [i, b]: mat @ tile, down the columns
    along = np.empty(6 * run, dtype=y.dtype)  # [j]: one row i of (mat @ tile) @ matᵀ
    col_at = _column_offsets(left, w, s, cols, n_k)
    six = np.arange(6)
    for n in range(n_img):
        img[:] = 0
        for ty in range(nty):
            t0 = (n * nty + ty) * run
            for b in range(6):
                d_at, s_at = (six * 6 + b) * run, six * 6 * plane + b * plane + t0
                if q == 2:  # Aᵀ: two rows out
                    combine2(down, d_at, flat, s_at, m, run)
                else:
                    combine6(down, d_at, flat, s_at, m, run)
            for i in range(q):
                if q == 2:
                    combine2(along, six * run, down, (i * 6 + six) * run, m, run)
                else:
                    combine6(along, six * run, down, (i * 6 + six) * run, m, run)
                row = img[(s * ty + i) * width : (s * ty + i + 1) * width]
                for j in range(q):
                    seg = row[((j % s) * cols + j // s) * n_k :]
                    part = along[j * run : (j + 1) * run]
                    for e in range(run):
                        seg[e] += part[e]
        for k in range(n_k):
            for u in range(h):
                line, srow, bk = y[n, k, u], img[(top + u) * width + k :], bias[k]
                for v in range(w):
                    line[v] = srow[col_at[v]] + bk


@kernel("conv", nogil=True)  # lanes run it on several threads
def forward_lane(
    gemm: int, x: np.ndarray, u: np.ndarray, bt: np.ndarray, q_bt: int, at: np.ndarray,
    q_at: int, ph: int, pw: int, nty: int, ntx: int, bias: np.ndarray, step: int, n0: int,
    n1: int, v_buf: np.ndarray, m_buf: np.ndarray, y: np.ndarray,
) -> None:  # fmt: skip
    """Images n0 .. n1 - 1 of y = conv2d(x, w) + bias, ``step`` images at a time: V = Bᵀ d B,
    M[ξν] = V[ξν] @ U[ξν] (cblas_?gemm at ``gemm``), Y = Aᵀ M A + bias.

    ``conv2d_forward``'s chunk loop without Python between the steps: no interpreter, no GIL
    and no allocations per chunk, so two lanes run side by side (the Python loop measured 1.6x
    on two threads against 1.9x for the tap loops)."""
    c, o = x.shape[1], u.shape[2]
    zero = x.dtype.type(0)
    origin = np.int64(0)  # not a literal 0: that would compile tiles_out a second time
    for s in range(n0, n1, step):
        e = min(s + step, n1)
        k = (e - s) * nty * ntx
        v = v_buf[: ALPHA * ALPHA * k * c].reshape((ALPHA * ALPHA, k, c))
        mm = m_buf[: ALPHA * ALPHA * k * o].reshape((ALPHA * ALPHA, k, o))
        tiles_in(x[s:e], ph, pw, bt, q_bt, M, nty, ntx, v)  # V = Bᵀ d B, with padding
        for p in range(ALPHA * ALPHA):  # M[ξν] = V[ξν] @ U[ξν]: (T × C) @ (C × O)
            call_gemm(
                gemm, False, False, k, o, c, v[p].ctypes.data, c, u[p].ctypes.data, o, zero,
                mm[p].ctypes.data, o,
            )  # fmt: skip
        tiles_out(mm, at, q_at, M, nty, ntx, origin, origin, bias, y[s:e])  # Y = Aᵀ M A, + b


@kernel("conv", nogil=True)  # lanes run it on several threads
def backward_lane(
    gemm: int, gy: np.ndarray, x: np.ndarray, ut: np.ndarray, a: np.ndarray, q_a: int,
    bt: np.ndarray, q_bt: int, b: np.ndarray, q_b: int, ph: int, pw: int, nty: int, ntx: int,
    step: int, n0: int, n1: int, need_input: bool, need_weight: bool, dm_buf: np.ndarray,
    v_buf: np.ndarray, du: np.ndarray, gx: np.ndarray,
) -> None:  # fmt: skip
    """``conv2d_backward``'s chunk loop over images n0 .. n1 - 1 (as ``forward_lane``): dM = A dY
    Aᵀ; dU[ξν] += V[ξν]ᵀ @ dM[ξν] into ``du`` (need_weight); dV[ξν] = dM[ξν] @ Uᵀ[ξν] (``ut``)
    and gx = B dV Bᵀ over the tiles, cropped (need_input). Arrays not needed may be empty."""
    c, o = x.shape[1], gy.shape[1]
    zero, one = x.dtype.type(0), x.dtype.type(1)
    origin = np.int64(0)  # not a literal 0: that would compile tiles_in a second time
    no_bias = np.zeros(c, dtype=x.dtype)
    for s in range(n0, n1, step):
        e = min(s + step, n1)
        k = (e - s) * nty * ntx
        dm = dm_buf[: ALPHA * ALPHA * k * o].reshape((ALPHA * ALPHA, k, o))
        v = v_buf[: ALPHA * ALPHA * k * c].reshape((ALPHA * ALPHA, k, c))  # V, then dV
        tiles_in(gy[s:e], origin, origin, a, q_a, M, nty, ntx, dm)  # gy is 0 past ho, wo
        if need_weight:  # dU[ξν] += V[ξν]ᵀ @ dM[ξν]: (C × T) @ (T × O), summed over chunks
            tiles_in(x[s:e], ph, pw, bt, q_bt, M, nty, ntx, v)
            for p in range(ALPHA * ALPHA):
                call_gemm(
                    gemm, True, False, c, o, k, v[p].ctypes.data, c, dm[p].ctypes.data, o, one,
                    du[p].ctypes.data, o,
                )  # fmt: skip
        if need_input:  # dV[ξν] = dM[ξν] @ Uᵀ[ξν]: (T × O) @ (O × C), then B dV Bᵀ
            for p in range(ALPHA * ALPHA):
                call_gemm(
                    gemm, False, False, k, c, o, dm[p].ctypes.data, o, ut[p].ctypes.data, c,
                    zero, v[p].ctypes.data, c,
                )  # fmt: skip
            tiles_out(v, b, q_b, M, nty, ntx, ph, pw, no_bias, gx[s:e])  # crops the padding


def _padded(mat: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``mat`` (at most 6 × 6) in the top-left corner of a 6 × 6 of zeros, in ``dtype``."""
    out = np.zeros((6, 6), dtype)
    out[: mat.shape[0], : mat.shape[1]] = mat
    return out


def _tiles(ho: int, wo: int) -> tuple[int, int]:
    """Tile rows and columns covering an ho × wo output (the last ones may be partial)."""
    return -(-ho // M), -(-wo // M)


def _weights(w: np.ndarray) -> np.ndarray:
    """U[ξν, c, o] = (G w[o, c] Gᵀ)[ξ, ν], computed in float64, in w's dtype: two products."""
    o, c = w.shape[:2]
    gw = (G @ w.astype(np.float64).transpose(2, 0, 1, 3).reshape(R, -1)).reshape(ALPHA, o, c, R)
    u = (gw.reshape(-1, R) @ G.T).reshape(ALPHA, o, c, ALPHA)  # [ξ, o, c, ν]
    return np.ascontiguousarray(u.transpose(0, 3, 2, 1).reshape(ALPHA * ALPHA, c, o), w.dtype)


def _weights_grad(du: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """dg[o, c] = Gᵀ dU[:, :, c, o] G for dU (α², C, O) in float64 (the adjoint of _weights)."""
    c, o = du.shape[1:]
    gd = (G.T @ du.reshape(ALPHA, -1)).reshape(R, ALPHA, c, o)  # [i, ν, c, o]
    gg = gd.transpose(0, 2, 3, 1).reshape(-1, ALPHA) @ G  # [(i, c, o), j]
    return np.ascontiguousarray(gg.reshape(R, c, o, R).transpose(2, 1, 0, 3), dtype)


@functools.cache
def _matrices(dtype: np.dtype) -> dict[str, tuple[np.ndarray, int]]:
    """Bᵀ, Aᵀ, A and B for the tile kernels: each padded to 6 × 6 in ``dtype``, and its
    columns (tiles_in's window side) or rows (tiles_out's)."""
    return {
        "BT": (_padded(BT, dtype), BT.shape[1]),
        "A": (_padded(AT.T, dtype), AT.shape[0]),
        "AT": (_padded(AT, dtype), AT.shape[0]),
        "B": (_padded(BT.T, dtype), BT.shape[0]),
    }


def _chunk(n: int, tiles: int) -> int:
    """Images per chunk: about CHUNK_TILES tiles, so that a chunk's V and M stay in cache."""
    return max(1, min(n, CHUNK_TILES // tiles))


def _view(buf: np.ndarray, tiles: int, width: int) -> np.ndarray:
    """The first α² × tiles × width entries of ``buf`` as a C-contiguous (α², tiles, width)."""
    return buf[: ALPHA * ALPHA * tiles * width].reshape(ALPHA * ALPHA, tiles, width)


def _lanes(n: int, threads: int) -> list[slice]:
    """The images of each lane: ``threads`` contiguous runs of (almost) equal length.

    Each lane runs its chunks (transform, products, transform back) on its own thread with
    ``run_lanes``: the tile kernels release the GIL and BLAS runs single-threaded inside the
    call, so numba's and OpenBLAS's thread pools never hand over to each other.
    """
    count = max(1, min(threads, n))
    return [slice(i * n // count, (i + 1) * n // count) for i in range(count)]


# BLAS on one thread for the call: the lanes are the threads, no OpenBLAS workers left spinning
@single_threaded()
def conv2d_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, padding: tuple[int, int], threads: int
) -> np.ndarray:
    """y = conv2d(x, w) + b, stride 1, for canonical x (N, C, H, W), w (O, C, 5, 5), b (O,)."""
    n, c, h, wd = x.shape
    o = w.shape[0]
    ph, pw = padding
    ho, wo = h + 2 * ph - R + 1, wd + 2 * pw - R + 1
    nty, ntx = _tiles(ho, wo)
    mats = _matrices(np.dtype(x.dtype))
    u = _weights(w)
    y = np.empty((n, o, ho, wo), dtype=x.dtype)
    step = _chunk(n, nty * ntx)
    gemm = gemm_address(x.dtype)

    def lane(images: slice) -> None:
        v_buf = np.empty(ALPHA * ALPHA * step * nty * ntx * c, dtype=x.dtype)
        m_buf = np.empty(ALPHA * ALPHA * step * nty * ntx * o, dtype=x.dtype)
        if gemm:  # the whole lane in one compiled call
            forward_lane(
                gemm, x, u, *mats["BT"], *mats["AT"], ph, pw, nty, ntx, b, step, images.start,
                images.stop, v_buf, m_buf, y,
            )  # fmt: skip
            return
        for n0 in range(images.start, images.stop, step):  # V and M stay in cache
            n1 = min(n0 + step, images.stop)
            v, mm = _view(v_buf, (n1 - n0) * nty * ntx, c), _view(m_buf, (n1 - n0) * nty * ntx, o)
            tiles_in(x[n0:n1], ph, pw, *mats["BT"], M, nty, ntx, v)  # V = Bᵀ d B, with padding
            np.matmul(v, u, out=mm)  # M[ξν] = V[ξν] @ U[ξν]: (T × C) @ (C × O)
            tiles_out(mm, *mats["AT"], M, nty, ntx, 0, 0, b, y[n0:n1])  # Y = Aᵀ M A, + b

    run_lanes(lane, _lanes(n, threads))  # the lanes run on threads of their own
    return y


@single_threaded()  # as conv2d_forward
def conv2d_backward(
    gy: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    padding: tuple[int, int],
    need_input: bool,
    need_weight: bool,
    need_bias: bool,
    threads: int,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(gx, gw, gb) of a stride-1 5×5 conv2d: the forward's steps transposed, in reverse."""
    n, c = x.shape[:2]
    o, ho, wo = gy.shape[1:]
    ph, pw = padding
    nty, ntx = _tiles(ho, wo)
    mats = _matrices(np.dtype(x.dtype))
    gx = gw = None
    gb = gy.sum(axis=(0, 2, 3)) if need_bias else None
    if not (need_input or need_weight):
        return gx, gw, gb
    step = _chunk(n, nty * ntx)
    ut = _weights(w).transpose(0, 2, 1).copy() if need_input else None
    gx = np.empty(x.shape, dtype=x.dtype) if need_input else None
    zero = np.zeros(c, dtype=x.dtype)
    lanes = _lanes(n, threads)
    du_parts = np.zeros((len(lanes), ALPHA * ALPHA, c, o), dtype=x.dtype)

    gemm = gemm_address(x.dtype)

    def lane(images: slice) -> None:
        width = step * nty * ntx
        dm_buf = np.empty(ALPHA * ALPHA * width * o, dtype=x.dtype)
        v_buf = np.empty(ALPHA * ALPHA * width * c, dtype=x.dtype)  # V, then dV
        du = du_parts[lanes.index(images)]
        if gemm:  # the whole lane in one compiled call
            backward_lane(
                gemm, gy, x, np.empty((0, 0, 0), x.dtype) if ut is None else ut,
                *mats["A"], *mats["BT"], *mats["B"], ph, pw, nty, ntx, step, images.start,
                images.stop, need_input, need_weight, dm_buf, v_buf, du,
                np.empty((0, *x.shape[1:]), x.dtype) if gx is None else gx,
            )  # fmt: skip
            return
        part = np.empty_like(du)
        for n0 in range(images.start, images.stop, step):
            n1 = min(n0 + step, images.stop)
            k = (n1 - n0) * nty * ntx
            dm, v = _view(dm_buf, k, o), _view(v_buf, k, c)
            # dM = A dY Aᵀ per output tile: the adjoint of Y = Aᵀ M A (gy is 0 past ho, wo)
            tiles_in(gy[n0:n1], 0, 0, *mats["A"], M, nty, ntx, dm)
            if need_weight:  # dU[ξν] = V[ξν]ᵀ @ dM[ξν], summed over the chunks
                tiles_in(x[n0:n1], ph, pw, *mats["BT"], M, nty, ntx, v)
                du += np.matmul(v.transpose(0, 2, 1), dm, out=part)
            if need_input:  # dV[ξν] = dM[ξν] @ U[ξν]ᵀ, then B dV Bᵀ added back over the tiles
                np.matmul(dm, ut, out=v)
                tiles_out(v, *mats["B"], M, nty, ntx, ph, pw, zero, gx[n0:n1])  # crops the pad

    run_lanes(lane, lanes)
    if need_weight:  # dg = Gᵀ dU G
        gw = _weights_grad(du_parts.sum(axis=0, dtype=np.float64), x.dtype)
    return gx, gw, gb

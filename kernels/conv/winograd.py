"""Stride-1 5×5 convolutions by Winograd's minimal filtering F(2×2, 5×5) (Lavin & Gray 2015).

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
(overlapping) tiles and the padding dropped.

The matrices come from Cook–Toom / Lagrange interpolation at the points 0, ±1, ±2 and ∞, derived
in exact rational arithmetic by ``cook_toom`` (the construction of wincnn, github.com/andravin/
wincnn, with the fractions in G), then rounded once to float64. The tile transforms are two
numba kernels, ``tiles_in`` (gather tiles of a channels-last image, transform each from both
sides) and ``tiles_out`` (transform back and add into a channels-last image); their inner loops
run over the channels, contiguous. ``op.py`` takes this path where ``applies`` says so.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from chaingrad.kernels.conv.taps import FMA
from chaingrad.kernels.recurrent.threads import blas_single_threaded, run_lanes
from chaingrad.kernels.runtime import kernel

M, R = 2, 5  # F(m×m, r×r): outputs per tile side, filter size
ALPHA = M + R - 1  # input tile side
POINTS = (0, 1, -1, 2, -2)  # the finite interpolation points; the last one is ∞
CHUNK_TILES = 128  # tiles per chunk of images (see _chunk)


def _poly_times_root(coeffs: list[Fraction], a: Fraction) -> list[Fraction]:
    """The coefficients (lowest power first) of p(x) * (x - a) for p's ``coeffs``."""
    out = [Fraction(0)] * (len(coeffs) + 1)
    for k, c in enumerate(coeffs):
        out[k + 1] += c
        out[k] -= a * c
    return out


def cook_toom(
    m: int, r: int, points: tuple[int, ...]
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
    return np.array([[float(v) for v in row] for row in rows], dtype=np.float64)


AT, G, BT = (_float64(mat) for mat in cook_toom(M, R, POINTS))


def applies(stride: tuple[int, int], kh: int, kw: int, n_in: int, n_out: int) -> bool:
    """Whether a conv2d takes this path: stride 1, a 5×5 kernel (see ``op.py`` for the A/B)."""
    return stride == (1, 1) and kh == R and kw == R and n_in * n_out >= 64


@kernel("conv", nogil=True, fastmath=FMA)  # lanes run it on several threads
def tiles_in(src: np.ndarray, left: np.ndarray, nty: int, ntx: int, out: np.ndarray) -> None:
    """out[a*p + b, t, k] = sum_ij left[a, i] img[n, s*ty + i, s*tx + j, k] left[b, j].

    ``src`` (N, rows, s, cols/s, K) is the channels-last image ``img`` with its columns split
    by phase (column s*u + f at [f, u]); ``left`` (p, q); tile t = (n * nty + ty) * ntx + tx
    is the q×q window at (s*ty, s*tx). A row of tiles is transformed down its columns in one
    pass over whole image rows, then along its rows: window column j of every tile in the row
    is phase j % s from j // s on, so each (a, b, j) is one contiguous run over (tx, k).
    Zero entries of ``left`` are skipped.
    """
    n_img, rows, s, cols, n_k = src.shape
    p, q = left.shape
    run = ntx * n_k  # one row of tiles in ``out``
    flat = out.reshape(p * p, out.shape[1] * n_k)
    for n in range(n_img):
        img = src[n].reshape(rows, s * cols * n_k)
        half = np.empty((p, s * cols * n_k), dtype=src.dtype)  # left @ window, down columns
        for ty in range(nty):
            for a in range(p):
                h = half[a]
                h[:] = 0
                for i in range(q):
                    c = left[a, i]
                    if c != 0:
                        row = img[s * ty + i]
                        for e in range(h.shape[0]):
                            h[e] += c * row[e]
            t0 = (n * nty + ty) * run
            for a in range(p):
                for b in range(p):
                    o = flat[a * p + b, t0 : t0 + run]
                    o[:] = 0
                    for j in range(q):
                        c = left[b, j]
                        if c != 0:
                            start = ((j % s) * cols + j // s) * n_k
                            h = half[a, start : start + run]
                            for e in range(run):
                                o[e] += c * h[e]


@kernel("conv", nogil=True, fastmath=FMA)  # lanes run it on several threads
def tiles_out(src: np.ndarray, right: np.ndarray, nty: int, ntx: int, dst: np.ndarray) -> None:
    """img[n, s*ty + i, s*tx + j, k] += sum_ab right[i, a] src[a*p + b, t, k] right[j, b].

    The adjoint of ``tiles_in`` with left = rightᵀ: src (p², T, K), right (q, p), ``dst``
    (N, rows, s, cols/s, K) the channels-last image ``img`` split by column phase, as there;
    overlapping tiles add up. Along the rows first (one contiguous run over (tx, k) per
    (a, j, b)), then down the columns in passes over whole image rows.
    """
    n_img, rows, s, cols, n_k = dst.shape
    q, p = right.shape
    run = ntx * n_k
    flat = src.reshape(p * p, src.shape[1] * n_k)
    for n in range(n_img):
        img = dst[n].reshape(rows, s * cols * n_k)
        half = np.empty((p, s * cols * n_k), dtype=dst.dtype)  # tile @ rightᵀ, along rows
        for ty in range(nty):
            half[:] = 0
            t0 = (n * nty + ty) * run
            for a in range(p):
                for j in range(q):
                    start = ((j % s) * cols + j // s) * n_k
                    h = half[a, start : start + run]
                    for b in range(p):
                        c = right[j, b]
                        if c != 0:
                            m = flat[a * p + b, t0 : t0 + run]
                            for e in range(run):
                                h[e] += c * m[e]
            for i in range(q):
                row = img[s * ty + i]
                for a in range(p):
                    c = right[i, a]
                    if c != 0:
                        h = half[a]
                        for e in range(row.shape[0]):
                            row[e] += c * h[e]


def _tiles(ho: int, wo: int) -> tuple[int, int]:
    """Tile rows and columns covering an ho × wo output (the last ones may be partial)."""
    return -(-ho // M), -(-wo // M)


def _split(x: np.ndarray, rows: int, cols: int, top: int, left: int) -> np.ndarray:
    """x (N, C, H, W) placed at (top, left) in a zeroed channels-last (N, rows, cols, C) image,
    stored split by column phase as the tile kernels read it: (N, rows, M, cols / M, C)."""
    n, c, h, w = x.shape
    out = np.zeros((n, rows, M, cols // M, c), dtype=x.dtype)
    for f in range(M):  # image column M*u + f holds x column M*u + f - left
        first = (f - left) % M
        count = len(range(first, w, M))
        u0 = (left + first) // M
        out[:, top : top + h, f, u0 : u0 + count] = x[:, :, :, first::M].transpose(0, 2, 3, 1)
    return out


def _merge(img: np.ndarray, top: int, left: int, out: np.ndarray) -> None:
    """out (N, C, H, W) = the window at (top, left) of ``_split``'s layout (the inverse)."""
    w = out.shape[3]
    for f in range(M):
        first = (f - left) % M
        count = len(range(first, w, M))
        u0 = (left + first) // M
        part = img[:, top : top + out.shape[2], f, u0 : u0 + count]
        out[:, :, :, first::M] = part.transpose(0, 3, 1, 2)


def _weights(w: np.ndarray) -> np.ndarray:
    """U[ξν, c, o] = (G w[o, c] Gᵀ)[ξ, ν], computed in float64, in w's dtype."""
    u = np.einsum("ai,ocij,bj->abco", G, w.astype(np.float64), G, optimize=True)
    return np.ascontiguousarray(u.reshape(ALPHA * ALPHA, w.shape[1], w.shape[0]), dtype=w.dtype)


def _matrices(dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(Bᵀ, Aᵀ, A, B) in ``dtype``, C-contiguous: the tile kernels' left/right matrices."""
    return tuple(np.ascontiguousarray(m, dtype=dtype) for m in (BT, AT, AT.T, BT.T))


def _chunk(n: int, tiles: int) -> int:
    """Images per chunk: about CHUNK_TILES tiles, so that a chunk's V and M stay in cache."""
    return max(1, min(n, CHUNK_TILES // tiles))


def _view(buf: np.ndarray, tiles: int, width: int) -> np.ndarray:
    """The first α² × tiles × width entries of ``buf`` as a C-contiguous (α², tiles, width)."""
    return buf[: ALPHA * ALPHA * tiles * width].reshape(ALPHA * ALPHA, tiles, width)


def _lanes(n: int, threads: int) -> list[slice]:
    """The images of each lane: ``threads`` contiguous runs of (almost) equal length."""
    count = max(1, min(threads, n))
    return [slice(i * n // count, (i + 1) * n // count) for i in range(count)]


def _run(fn, n: int, threads: int) -> None:
    """fn(images) for each lane, on ``threads`` threads, each lane's BLAS single-threaded."""
    with blas_single_threaded():
        run_lanes(fn, _lanes(n, threads))


def conv2d_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, padding: tuple[int, int], threads: int
) -> np.ndarray:
    """y = conv2d(x, w) + b, stride 1, for canonical x (N, C, H, W), w (O, C, 5, 5), b (O,)."""
    n, c, h, wd = x.shape
    o = w.shape[0]
    ph, pw = padding
    ho, wo = h + 2 * ph - R + 1, wd + 2 * pw - R + 1
    nty, ntx = _tiles(ho, wo)
    bt, at, _, _ = _matrices(x.dtype)
    u = _weights(w)
    xp = _split(x, M * nty + R - 1, M * ntx + R - 1, ph, pw)
    yt = np.zeros((n, M * nty, M, ntx, o), dtype=x.dtype)
    step = _chunk(n, nty * ntx)

    def lane(images: slice) -> None:
        v_buf = np.empty(ALPHA * ALPHA * step * nty * ntx * c, dtype=x.dtype)
        m_buf = np.empty(ALPHA * ALPHA * step * nty * ntx * o, dtype=x.dtype)
        for n0 in range(images.start, images.stop, step):  # V and M stay in cache
            n1 = min(n0 + step, images.stop)
            v, mm = _view(v_buf, (n1 - n0) * nty * ntx, c), _view(m_buf, (n1 - n0) * nty * ntx, o)
            tiles_in(xp[n0:n1], bt, nty, ntx, v)  # V = Bᵀ d B, zero padding included
            np.matmul(v, u, out=mm)  # M[ξν] = V[ξν] @ U[ξν]: (T × C) @ (C × O)
            tiles_out(mm, at, nty, ntx, yt[n0:n1])  # Y = Aᵀ M A

    _run(lane, n, threads)
    y = np.empty((n, o, ho, wo), dtype=x.dtype)
    _merge(yt, 0, 0, y)  # cropped to ho × wo
    y += b[:, None, None]
    return y


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
    bt, _, a, b = _matrices(x.dtype)
    gx = gw = None
    gb = gy.sum(axis=(0, 2, 3)) if need_bias else None
    if not (need_input or need_weight):
        return gx, gw, gb
    step = _chunk(n, nty * ntx)
    gys = _split(gy, M * nty, M * ntx, 0, 0)
    xp = _split(x, M * nty + R - 1, M * ntx + R - 1, ph, pw) if need_weight else None
    ut = _weights(w).transpose(0, 2, 1).copy() if need_input else None
    gxp = np.zeros((n, M * nty + R - 1, M, (M * ntx + R - 1) // M, c), dtype=x.dtype)
    lanes = _lanes(n, threads)
    du_parts = np.zeros((len(lanes), ALPHA * ALPHA, c, o), dtype=x.dtype)

    def lane(images: slice) -> None:
        width = step * nty * ntx
        dm_buf = np.empty(ALPHA * ALPHA * width * o, dtype=x.dtype)
        v_buf = np.empty(ALPHA * ALPHA * width * c, dtype=x.dtype)  # V, then dV
        du = du_parts[lanes.index(images)]
        part = np.empty_like(du)
        for n0 in range(images.start, images.stop, step):
            n1 = min(n0 + step, images.stop)
            k = (n1 - n0) * nty * ntx
            dm, v = _view(dm_buf, k, o), _view(v_buf, k, c)
            # dM = A dY Aᵀ per output tile: the adjoint of Y = Aᵀ M A (gy is 0 past ho, wo)
            tiles_in(gys[n0:n1], a, nty, ntx, dm)
            if need_weight:  # dU[ξν] = V[ξν]ᵀ @ dM[ξν], summed over the chunks
                tiles_in(xp[n0:n1], bt, nty, ntx, v)
                du += np.matmul(v.transpose(0, 2, 1), dm, out=part)
            if need_input:  # dV[ξν] = dM[ξν] @ U[ξν]ᵀ, then B dV Bᵀ added back over the tiles
                np.matmul(dm, ut, out=v)
                tiles_out(v, b, nty, ntx, gxp[n0:n1])

    with blas_single_threaded():
        run_lanes(lane, lanes)
    if need_weight:  # dg = Gᵀ dU G
        du64 = du_parts.sum(axis=0, dtype=np.float64).reshape(ALPHA, ALPHA, c, o)
        gw = np.einsum("ai,abco,bj->ocij", G, du64, G, optimize=True).astype(x.dtype)
    if need_input:
        gx = np.empty(x.shape, dtype=x.dtype)
        _merge(gxp, ph, pw, gx)  # the padding's gradient is dropped
    return gx, gw, gb

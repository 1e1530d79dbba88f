"""Direct convolution for small images: each output pixel's window read where it lies, the
output channels in vector lanes.

The tap loops (``fast.py``) compute every position of a grid of stacked images and drop the
ones that are not outputs: on a 6×6 input with a 3×3 kernel and no padding, 36 positions per
image of which 16 are outputs (2.25× the work). Here nothing is computed twice. Output pixel p
of the forward is the dot product of its window with each output channel's weights:

    y[p, o] = sum over taps t = (c, i, j) of x[p's window, t] * wt[t, o]      (wt = Wᵀ)

``taps.gather_rows8`` runs it for eight pixels at a time with the *weights* as its source rows
and the windows' values, read in place, as its scalars: the vector axis is o, so every load of
a weight row feeds eight pixels (the layout oneDNN uses on CPUs, without its reorders). The two
gradients are the same loop:

- input: the forward's adjoint. Per eight output pixels, d window[p, t] = sum_o gy[p, o] *
  W[o, t] (the scalars are gy, the source rows W's, the vector axis the taps), and each
  window's gradient is added back onto the pixels it was read from;
- weight: gw[t, o] = sum_p window[p, t] * gy[p, o], eight taps at a time (the scalars are the
  taps' values per pixel, the source rows gy per pixel: gy transposed to (N·Ho·Wo, O) once).

Padding is a zero-padded copy of x (and the input gradient is cropped from a padded buffer),
strides only change where a window starts. Which convolutions come here is ``applies``: small
outputs, where the grid's dropped positions are many. The drivers trust their arguments:
``op.py`` validates and lays out first.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from chaingrad.kernels.conv.taps import gather_rows8
from chaingrad.kernels.runtime import kernel, run_parallel

ROWS = 8  # gather_rows8's accumulator rows: pixels (forward, input gradient) or taps (weight)
# Offsets are unsigned, so that numba indexes with them as they are: a signed index is first
# checked for wrapping around from the end, and with 32 gathered scalars per pass of a short
# loop those checks cost (the forward of the tutorial CNN's 32->64 conv: 507 -> 440 us).
INDEX = np.uint64
# The weight gradient sums over the pixels in chunks of this many floats of gy (256 KiB of
# float32, in L2 while all the blocks of taps read it): one pass over all of gy per block of
# taps fell out of cache at large batches.
CHUNK_FLOATS = 65536


@kernel("conv")
def window_offsets(n_ch: int, h: int, w: int, kh: int, kw: int) -> np.ndarray:
    """offs[(c*kh + i)*kw + j] = where tap (c, i, j) lies from a window's corner in an image."""
    offs = np.empty(n_ch * kh * kw, INDEX)
    for c in range(n_ch):
        for i in range(kh):
            for j in range(kw):
                offs[(c * kh + i) * kw + j] = (c * h + i) * w + j
    return offs


@kernel("conv")
def window_corners(
    n_ch: int, h: int, w: int, sh: int, sw: int, ho: int, wo: int, m: int
) -> np.ndarray:  # fmt: skip
    """corner[p] = the flat index in x of output pixel p's window (p < m, flat over images)."""
    corner = np.empty(m, INDEX)
    for r in range(m):
        k, rem = divmod(r, ho * wo)
        oh, ow = divmod(rem, wo)
        corner[r] = k * n_ch * h * w + oh * sh * w + ow * sw
    return corner


@kernel("conv")
def block_rows(p0: int, m: int, corner: np.ndarray, rb: np.ndarray) -> None:
    """rb[r] = corner[p0 + r] for r < m; a short block repeats its last (dropped later)."""
    for r in range(ROWS):
        rb[r] = corner[p0 + min(r, m - 1)]


@kernel("conv")
def forward_blocks(
    xf: np.ndarray, offs: np.ndarray, corner: np.ndarray, wt: np.ndarray, b: np.ndarray,
    blk0: int, blk1: int, y3: np.ndarray,
) -> None:  # fmt: skip
    """Output pixels blk0*8 .. blk1*8 - 1 (flat over the batch) of y3 (N, O, Ho*Wo)."""
    n_taps, n_out = wt.shape
    n_pix = corner.shape[0]
    plane = y3.shape[2]
    rb = np.empty(ROWS, INDEX)
    acc = np.empty((ROWS, n_out), wt.dtype)
    for blk in range(blk0, blk1):
        p0 = blk * ROWS
        m = min(ROWS, n_pix - p0)
        block_rows(p0, m, corner, rb)  # eight pixels' windows: x[corner + offs[t]]
        acc[:] = 0
        gather_rows8(xf, rb, offs, n_taps, wt, n_out, acc)
        for r in range(m):
            k, rem = divmod(p0 + r, plane)
            for o in range(n_out):
                y3[k, o, rem] = acc[r, o] + b[o]


@kernel("conv", parallel=True)
def direct_forward_kernel(
    xf: np.ndarray, offs: np.ndarray, corner: np.ndarray, wt: np.ndarray, b: np.ndarray,
    splits: int, y3: np.ndarray,
) -> None:  # fmt: skip
    """y3[n, o, p] = b[o] + sum_t xf[corner[p'] + offs[t]] * wt[t, o] (p' = n * Ho*Wo + p),
    the output pixels split ``splits`` ways."""
    n_blocks = -(-corner.shape[0] // ROWS)
    # each task's work in a plain kernel: numba compiles a parallel loop's body slowly
    for part in prange(splits):
        lo, hi = part * n_blocks // splits, (part + 1) * n_blocks // splits
        forward_blocks(xf, offs, corner, wt, b, lo, hi, y3)


@kernel("conv")
def input_grad_image(
    g: np.ndarray, chans: np.ndarray, wm: np.ndarray, offs: np.ndarray, corner: np.ndarray,
    plane: np.ndarray,
) -> None:  # fmt: skip
    """plane = one image's input gradient (flat, padded) for its gy (flat, O × Ho·Wo): per
    eight output pixels, their windows' gradient gy[:, p] @ W added back where they were read."""
    n_out, n_taps = wm.shape
    n_pix = corner.shape[0]
    plane[:] = 0
    rb = np.empty(ROWS, INDEX)
    acc = np.empty((ROWS, n_taps), wm.dtype)
    for p0 in range(0, n_pix, ROWS):
        m = min(ROWS, n_pix - p0)
        for r in range(ROWS):  # gy[o, p] = g[p + chans[o]]
            rb[r] = p0 + min(r, m - 1)
        acc[:] = 0
        gather_rows8(g, rb, chans, n_out, wm, n_taps, acc)  # d window = gy[:, p] @ W
        for r in range(m):
            base, a = corner[p0 + r], acc[r]
            for t in range(n_taps):
                plane[base + offs[t]] += a[t]


@kernel("conv", parallel=True)
def direct_input_grad_kernel(
    g2: np.ndarray, chans: np.ndarray, wm: np.ndarray, offs: np.ndarray, corner: np.ndarray,
    planes: np.ndarray,
) -> None:  # fmt: skip
    """planes[k] = image k's input gradient for its gy g2[k]; images over the threads."""
    for k in prange(g2.shape[0]):
        input_grad_image(g2[k], chans, wm, offs, corner, planes[k])


@kernel("conv")
def weight_grad_blocks(
    xf: np.ndarray, offs: np.ndarray, corner: np.ndarray, gyt: np.ndarray, blk0: int,
    blk1: int, gwt: np.ndarray,
) -> None:  # fmt: skip
    """Rows blk0*8 .. blk1*8 - 1 of gwt: sum_p window(p)[t] * gyt[p, o] over every pixel,
    in chunks of pixels whose gy stays in cache while every block of taps reads it."""
    n_taps, n_out = gwt.shape
    n_pix = corner.shape[0]
    chunk = max(ROWS, CHUNK_FLOATS // n_out)
    rb = np.empty(ROWS, INDEX)
    acc = np.empty((ROWS, n_out), gwt.dtype)
    gwt[blk0 * ROWS : min(blk1 * ROWS, n_taps)] = 0
    for s0 in range(0, n_pix, chunk):
        s1 = min(n_pix, s0 + chunk)
        for blk in range(blk0, blk1):
            t0 = blk * ROWS
            m = min(ROWS, n_taps - t0)
            block_rows(t0, m, offs, rb)  # eight taps; the sum runs over the pixels' corners
            acc[:] = 0
            gather_rows8(xf, rb, corner[s0:s1], s1 - s0, gyt[s0:s1], n_out, acc)
            for r in range(m):
                for o in range(n_out):
                    gwt[t0 + r, o] += acc[r, o]


@kernel("conv", parallel=True)
def direct_weight_grad_kernel(
    xf: np.ndarray, offs: np.ndarray, corner: np.ndarray, gyt: np.ndarray, splits: int,
    gwt: np.ndarray,
) -> None:  # fmt: skip
    """gwt[t, o] = sum_p xf[corner[p] + offs[t]] * gyt[p, o]; blocks of 8 taps split
    ``splits`` ways."""
    n_blocks = -(-gwt.shape[0] // ROWS)
    for part in prange(splits):
        lo, hi = part * n_blocks // splits, (part + 1) * n_blocks // splits
        weight_grad_blocks(xf, offs, corner, gyt, lo, hi, gwt)


def _padded(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """x zero-padded by (ph, pw) on each side of its last two axes (x itself if no padding)."""
    ph, pw = padding
    if not (ph or pw):
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    xp[:, :, ph : ph + h, pw : pw + w] = x
    return xp


def _windows(
    xp_shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
    out_hw: tuple[int, int], images: int,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(offs, corner): each tap's place in a window, and each output pixel's window corner in
    the first ``images`` images of a padded input of shape ``xp_shape``."""
    _, c, h, w = xp_shape
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, out_hw
    offs = window_offsets(c, h, w, kh, kw)
    return offs, window_corners(c, h, w, sh, sw, ho, wo, images * ho * wo)


def conv2d_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: tuple[int, int],
    padding: tuple[int, int], out_hw: tuple[int, int], threads: int,
) -> np.ndarray:  # fmt: skip
    """y = conv2d(x, w) + b for canonical x (N, C, H, W), w (O, C, kh, kw), b (O,)."""
    n, o = x.shape[0], w.shape[0]
    xp = _padded(x, padding)
    offs, corner = _windows(xp.shape, w.shape[2:], stride, out_hw, n)
    wt = np.ascontiguousarray(w.reshape(o, -1).T)  # (taps, O): the forward's source rows
    y = np.empty((n, o, *out_hw), dtype=x.dtype)
    y3 = y.reshape(n, o, -1)
    run_parallel(
        direct_forward_kernel, xp.reshape(-1), offs, corner, wt, b, threads, y3, threads=threads
    )
    return y


def conv2d_backward(
    gy: np.ndarray, x: np.ndarray, w: np.ndarray, stride: tuple[int, int],
    padding: tuple[int, int], need_input: bool, need_weight: bool, need_bias: bool,
    threads: int,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:  # fmt: skip
    """(gx, gw, gb) of conv2d for the upstream gy (N, O, Ho, Wo); None where not needed."""
    n, c, h, wd = x.shape
    o = w.shape[0]
    ho, wo = gy.shape[2:]
    ph, pw = padding
    gx = gw = gb = None
    if need_weight or need_bias:  # gy per pixel, channels along the row
        gyt = np.ascontiguousarray(gy.reshape(n, o, ho * wo).transpose(0, 2, 1)).reshape(-1, o)
    if need_bias:  # sums as products with ones (BLAS): gy.sum(axis=(0, 2, 3)) took 80 us
        gb = np.ones(n * ho * wo, x.dtype) @ gyt  # at (64, 64, 4, 4), this 3 us (+23 for gyt)
    if need_input:
        gxp = np.empty((n, c, h + 2 * ph, wd + 2 * pw), dtype=x.dtype)
        offs, corner = _windows(gxp.shape, w.shape[2:], stride, (ho, wo), 1)  # one image's
        chans = (np.arange(o) * (ho * wo)).astype(INDEX)  # where channel o's gy starts
        run_parallel(
            direct_input_grad_kernel, gy.reshape(n, -1), chans, w.reshape(o, -1), offs, corner,
            gxp.reshape(n, -1), threads=threads,
        )  # fmt: skip
        gx = gxp if not (ph or pw) else np.ascontiguousarray(gxp[:, :, ph : ph + h, pw : pw + wd])
    if need_weight:
        xp = _padded(x, padding)
        offs, corner = _windows(xp.shape, w.shape[2:], stride, (ho, wo), n)
        gwt = np.empty((offs.shape[0], o), dtype=x.dtype)
        run_parallel(
            direct_weight_grad_kernel, xp.reshape(-1), offs, corner, gyt, threads, gwt,
            threads=threads,
        )  # fmt: skip
        gw = np.ascontiguousarray(gwt.T).reshape(w.shape)
    return gx, gw, gb


def applies(
    n_ch: int, n_out: int, kernel: tuple[int, int], stride: tuple[int, int],
    out_hw: tuple[int, int], grid_hw: tuple[int, int],
) -> bool:  # fmt: skip
    """Whether a conv2d runs here rather than on the tap loops' grid of ``grid_hw`` positions
    per image (a measured rule; 32+ output channels, the forward's vector axis, and 64+ taps):

    - the grid computes at least 2× the outputs; or
    - with 64+ output channels and 256+ taps, at least 1.5× the outputs, or (strides other than
      1, whose source the tap loops also copy by phases) at most 8×8 outputs.

    Measured (in-process A/B, fwd + bwd, one thread, batch 64 unless said; direct / tap loops):
    32→64 on 6×6 0.60-0.62 (2.25×), 32→32 0.80, 16→64 0.65, 8→64 0.79, batch 1 0.67; 64→64 on
    5×5 0.56 (2.8×); 128→128 on 4×4 pad 1 0.78 (1.56×), 64→64 1.00; 32→64 on 10×10 0.92
    (1.56×); stride 2: 32→64 on 9×9 0.72, 64→128 on 14×14 pad 1 0.88. Left on the tap loops:
    16→32 on 4×4 pad 1 1.13-1.21 (1.56×, the CLI's CNN), 8→32 on 10×10 1.39 (1.56×), 1→32 on
    8×8 1.14 (9 taps), 32→64 on 8×8 pad 1 1.18 (1.27×), 16→32 on 7×7 pad 1 1.15, 64→64 on
    14×14 1.09-1.27, 16→32 on 28×28 1.9 (a grid with little to drop), stride 2 on 28×28 0.97.
    """
    (ho, wo), (gh, gw) = out_hw, grid_hw
    n_taps = n_ch * kernel[0] * kernel[1]
    if n_out < 32 or n_taps < 64:
        return False
    if gh * gw >= 2 * ho * wo:
        return True
    big = n_out >= 64 and n_taps >= 256
    return big and (gh * gw >= 1.5 * ho * wo or (stride != (1, 1) and ho * wo <= 64))

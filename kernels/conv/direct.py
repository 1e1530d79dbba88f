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


@kernel("conv")
def window_offsets(n_ch: int, h: int, w: int, kh: int, kw: int) -> np.ndarray:
    """offs[(c*kh + i)*kw + j] = where tap (c, i, j) lies from a window's corner in an image."""
    offs = np.empty(n_ch * kh * kw, np.int64)
    for c in range(n_ch):
        for i in range(kh):
            for j in range(kw):
                offs[(c * kh + i) * kw + j] = (c * h + i) * w + j
    return offs


@kernel("conv")
def window_corners(
    n_ch: int, h: int, w: int, sh: int, sw: int, ho: int, wo: int, p0: int, m: int
) -> np.ndarray:  # fmt: skip
    """corner[r] = the flat index in x of output pixel p0 + r's window (r < m)."""
    corner = np.empty(m, np.int64)
    for r in range(m):
        k, rem = divmod(p0 + r, ho * wo)
        oh, ow = divmod(rem, wo)
        corner[r] = k * n_ch * h * w + oh * sh * w + ow * sw
    return corner


@kernel("conv")
def block_rows(p0: int, m: int, corner: np.ndarray, rb: np.ndarray) -> None:
    """rb[r] = corner[p0 + r] for r < m; a short block repeats its last (dropped later)."""
    for r in range(ROWS):
        rb[r] = corner[p0 + min(r, m - 1)]


@kernel("conv", parallel=True)
def direct_forward_kernel(
    xp: np.ndarray, wt: np.ndarray, b: np.ndarray, kh: int, kw: int, sh: int, sw: int,
    splits: int, y: np.ndarray,
) -> None:  # fmt: skip
    """y[n, o] = b[o] + sum_t window(n, oh, ow)[t] * wt[t, o] for xp already zero-padded."""
    n_img, n_ch, h, w = xp.shape
    n_taps, n_out = wt.shape
    ho, wo = y.shape[2], y.shape[3]
    n_pix = n_img * ho * wo
    xf = xp.reshape(xp.size)
    offs = window_offsets(n_ch, h, w, kh, kw)
    corner = window_corners(n_ch, h, w, sh, sw, ho, wo, 0, n_pix)
    y3 = y.reshape(n_img, n_out, ho * wo)
    n_blocks = -(-n_pix // ROWS)
    for part in prange(splits):
        rb = np.empty(ROWS, np.int64)
        acc = np.empty((ROWS, n_out), xp.dtype)
        for blk in range(part * n_blocks // splits, (part + 1) * n_blocks // splits):
            p0 = blk * ROWS
            m = min(ROWS, n_pix - p0)
            block_rows(p0, m, corner, rb)  # eight pixels' windows: x[corner + offs[t]]
            acc[:] = 0
            gather_rows8(xf, rb, offs, n_taps, wt, n_out, acc)
            for r in range(m):
                k, rem = divmod(p0 + r, ho * wo)
                for o in range(n_out):
                    y3[k, o, rem] = acc[r, o] + b[o]


@kernel("conv", parallel=True)
def direct_input_grad_kernel(
    gy: np.ndarray, wm: np.ndarray, kh: int, kw: int, sh: int, sw: int, gxp: np.ndarray
) -> None:  # fmt: skip
    """gxp = the forward's adjoint on the padded input: each window's gradient gy @ W added
    back onto the pixels it was read from. Images are split over the threads."""
    n_img, n_out, ho, wo = gy.shape
    n_ch, h, w = gxp.shape[1], gxp.shape[2], gxp.shape[3]
    n_taps = wm.shape[1]
    n_pix = ho * wo
    gf = gy.reshape(gy.size)
    offs = window_offsets(n_ch, h, w, kh, kw)
    corner = window_corners(n_ch, h, w, sh, sw, ho, wo, 0, n_pix)  # within one image
    chans = np.arange(n_out) * n_pix  # gy[k, o, p] = gf[k * O * P + p + chans[o]]
    pixels = np.arange(n_pix)
    n_blocks = -(-n_pix // ROWS)
    for k in prange(n_img):
        plane = gxp[k].reshape(n_ch * h * w)
        plane[:] = 0
        rb = np.empty(ROWS, np.int64)
        acc = np.empty((ROWS, n_taps), gy.dtype)
        for blk in range(n_blocks):
            p0 = blk * ROWS
            m = min(ROWS, n_pix - p0)
            block_rows(p0, m, pixels, rb)
            rb += k * n_out * n_pix
            acc[:] = 0
            gather_rows8(gf, rb, chans, n_out, wm, n_taps, acc)  # d window = gy[p, :] @ W
            for r in range(m):  # the window's gradient back onto its pixels
                base, a = corner[p0 + r], acc[r]
                for t in range(n_taps):
                    plane[base + offs[t]] += a[t]


@kernel("conv", parallel=True)
def direct_weight_grad_kernel(
    xp: np.ndarray, gyt: np.ndarray, kh: int, kw: int, sh: int, sw: int, ho: int, wo: int,
    gwt: np.ndarray,
) -> None:  # fmt: skip
    """gwt[t, o] = sum_p window(p)[t] * gyt[p, o]; blocks of eight taps over the threads."""
    n_ch, h, w = xp.shape[1], xp.shape[2], xp.shape[3]
    n_pix, n_out = gyt.shape
    n_taps = gwt.shape[0]
    xf = xp.reshape(xp.size)
    offs = window_offsets(n_ch, h, w, kh, kw)
    corner = window_corners(n_ch, h, w, sh, sw, ho, wo, 0, n_pix)
    for blk in prange(-(-n_taps // ROWS)):
        t0 = blk * ROWS
        m = min(ROWS, n_taps - t0)
        rb = np.empty(ROWS, np.int64)
        block_rows(t0, m, offs, rb)  # eight taps; the sum runs over the pixels' corners
        acc = np.zeros((ROWS, n_out), xp.dtype)
        gather_rows8(xf, rb, corner, n_pix, gyt, n_out, acc)
        gwt[t0 : t0 + m] = acc[:m]


def _padded(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """x zero-padded by (ph, pw) on each side of its last two axes (x itself if no padding)."""
    ph, pw = padding
    if not (ph or pw):
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    xp[:, :, ph : ph + h, pw : pw + w] = x
    return xp


def conv2d_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: tuple[int, int],
    padding: tuple[int, int], out_hw: tuple[int, int], threads: int,
) -> np.ndarray:  # fmt: skip
    """y = conv2d(x, w) + b for canonical x (N, C, H, W), w (O, C, kh, kw), b (O,)."""
    n, o, (kh, kw) = x.shape[0], w.shape[0], w.shape[2:]
    wt = np.ascontiguousarray(w.reshape(o, -1).T)  # (taps, O): the forward's source rows
    y = np.empty((n, o, *out_hw), dtype=x.dtype)
    run_parallel(
        direct_forward_kernel, _padded(x, padding), wt, b, kh, kw, *stride, threads, y,
        threads=threads,
    )  # fmt: skip
    return y


def conv2d_backward(
    gy: np.ndarray, x: np.ndarray, w: np.ndarray, stride: tuple[int, int],
    padding: tuple[int, int], need_input: bool, need_weight: bool, need_bias: bool,
    threads: int,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:  # fmt: skip
    """(gx, gw, gb) of conv2d for the upstream gy (N, O, Ho, Wo); None where not needed."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = gy.shape[2:]
    (ph, pw) = padding
    gx = gw = None
    gb = gy.sum(axis=(0, 2, 3)) if need_bias else None
    if need_input:
        gxp = np.empty((n, c, h + 2 * ph, wd + 2 * pw), dtype=x.dtype)
        run_parallel(
            direct_input_grad_kernel, gy, w.reshape(o, -1), kh, kw, *stride, gxp,
            threads=threads,
        )  # fmt: skip
        gx = gxp if not (ph or pw) else np.ascontiguousarray(gxp[:, :, ph : ph + h, pw : pw + wd])
    if need_weight:
        # gy per pixel, channels along the row: the weight gradient's source rows
        gyt = np.ascontiguousarray(gy.reshape(n, o, ho * wo).transpose(0, 2, 1)).reshape(-1, o)
        gwt = np.empty((c * kh * kw, o), dtype=x.dtype)
        run_parallel(
            direct_weight_grad_kernel, _padded(x, padding), gyt, kh, kw, *stride, ho, wo, gwt,
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

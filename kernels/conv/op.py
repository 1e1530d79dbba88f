"""Convolution (cross-correlation, like PyTorch): conv2d over NCHW and conv1d over NCL.

Forward, input gradient, weight and bias gradients, stride and zero padding, float32/float64.
The oracle is ``reference.py``. With numba, three paths:

- stride-1 5×5 convolutions with enough channels (C·O / (C + O) >= 14), outputs (N·Ho·Wo >=
  2048) and work (100M multiply-adds) go to Winograd F(2×2, 5×5) (``winograd.py``). Why: 25
  taps are many multiplies; Winograd does 2.8× fewer, in BLAS, plus transforms. A/B in one
  process, two threads, fwd + bwd, against the register-tiled tap loops: 32 -> 64 channels on
  14×14 at batch 64 (the benchmark's conv2d-5x5) 0.63×, 32 -> 32 0.76×; with fewer channels
  (16 -> 16: 1.30×, 24 -> 24: 1.06×) or less work (32 -> 32 at batch 16: 1.12×; fixed costs) it
  lost: those stay on the tap loops (winograd.py lists the measurements).
- small images, where the tap loops' grid would compute 2× the outputs or more, go to the
  direct kernels (``direct.py``; the rule and its measurements in ``direct.applies``): the
  tutorial CNN's 32 -> 64 conv on 6×6 fwd + bwd in 0.60-0.67× the tap loops' time.
- the rest to the tap loops (``fast.py``).
"""

from __future__ import annotations

import numpy as np

from chaingrad.kernels.checks import (
    as_array,
    canonical,
    float_dtype,
)
from chaingrad.kernels.conv import direct, numpy_path, winograd
from chaingrad.kernels.conv.checks import check_conv1d, check_conv2d, need_flags
from chaingrad.kernels.conv.fast import (
    LANES,
    conv2d_backward_kernel,
    conv2d_forward_kernel,
    phase_layout,
)
from chaingrad.kernels.runtime import run_parallel, threads_for, use_numba


def _grid_pitch(w: int, kw: int, pw: int) -> int:
    """Row pitch of a stride-1 grid: rows share their pw zeros unless pw > kw - 1."""
    return w + pw if pw <= kw - 1 else w + 2 * pw


def _layout(
    n: int, h: int, w: int, kh: int, kw: int, stride: tuple[int, int],
    padding: tuple[int, int], ho: int, wo: int, itemsize: int, threads: int,
) -> tuple[int, int, int]:  # fmt: skip
    """(pitch, vp, stack): the grid's row pitch, image-to-image rows, and images per stack.

    Other strides lay the source out in phase planes (``fast.fill_planes``): rows
    wo + (kw - 1) // sw wide, images ``phase_layout``'s vr rows apart.
    """
    (sh, sw), (ph, pw) = stride, padding
    if sh == 1 and sw == 1:
        pitch = _grid_pitch(w, kw, pw)
        if ph > kh - 1:  # images cannot share padding rows: one image per stack
            return pitch, h + 2 * ph, 1
        vp, per_image = h + ph, (h + ph) * pitch
    else:
        vp = phase_layout(h, kh, sh, ph, ho)[0]
        pitch = wo + (kw - 1) // sw
        per_image = vp * pitch
    # stack small images until a tap pass covers ~1024 float32 positions (8 accumulator
    # rows of 32 KiB stay in L1), keeping at least one stack per thread
    stack = min(max(1, 4096 // itemsize // per_image), -(-n // threads))
    return pitch, vp, max(1, stack)


def _balanced(n: int, stack: int, threads: int) -> int:
    """``stack`` lowered so that the stacks number a multiple of ``threads`` and hold (almost)
    equally many images: 64 images in stacks of 28 made 28 + 28 + 8, and one of two threads
    did 84 of 128 half-stacks (the tutorial CNN's 32→64 conv forward: 795 -> 600 us on 2
    threads, unchanged on one)."""
    n_stacks = -(-n // stack)
    n_stacks = -(-n_stacks // threads) * threads
    return max(1, -(-n // n_stacks))


def _forward(
    fn: str,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    stride: object,
    padding: object,
) -> np.ndarray:
    x, w = as_array(x), as_array(w)
    (sh, sw), (ph, pw), (ho, wo) = check_conv2d(fn, x, w, stride, padding)
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    if b is not None:
        b = as_array(b)
        if b.shape != (o,):
            raise ValueError(f"{fn}: b must have shape ({o},) for w {w.shape}, got {b.shape}")
    dtype = float_dtype(fn, x, w) if b is None else float_dtype(fn, x, w, b)
    if 0 in (n, o, x.shape[1]):  # an empty batch, no output or no input channels: y is the bias
        y = np.zeros((n, o, ho, wo), dtype=dtype)
        return y if b is None else y + np.asarray(b, dtype)[:, None, None]
    x, wm = canonical(x, dtype), canonical(w, dtype).reshape(o, -1)
    if not use_numba("conv"):  # the kernels compile in the background: im2col meanwhile
        w, b = canonical(w, dtype), canonical(b, dtype)
        return numpy_path.conv2d_forward(x, w, b, (sh, sw), (ph, pw))
    b = np.zeros(o, dtype) if b is None else canonical(b, dtype)
    threads = threads_for(n * o * ho * wo * x.shape[1] * kh * kw)  # multiply-adds
    if winograd.applies((sh, sw), kh, kw, x.shape[1], o, n * ho * wo):
        return winograd.conv2d_forward(x, canonical(w, dtype), b, (ph, pw), threads)
    pitch, vp, stack = _layout(
        n, h, wd, kh, kw, (sh, sw), (ph, pw), ho, wo, dtype.itemsize, threads
    )
    if direct.applies(x.shape[1], o, (kh, kw), (sh, sw), (ho, wo), (vp, pitch)):  # small images
        w = canonical(w, dtype)
        return direct.conv2d_forward(x, w, b, (sh, sw), (ph, pw), (ho, wo), threads)
    stack = _balanced(n, stack, threads)
    # few stacks: also split each stack's output channels (in blocks of 8) over the threads
    n_stacks = -(-n // stack)
    splits = 1 if n_stacks >= 2 * threads else max(1, min(-(-o // 8), -(-2 * threads // n_stacks)))
    # tasks: a chunk of stacks per thread, or (few stacks) one stack per chunk, split
    chunks = threads if splits == 1 else n_stacks
    y = np.empty((n, o, ho, wo), dtype=dtype)
    run_parallel(
        conv2d_forward_kernel, x, wm, b, kh, kw, sh, sw, ph, pw, pitch, vp, stack, chunks,
        splits, y, threads=threads,
    )  # fmt: skip
    return y


def _plane_weights(w: np.ndarray, sh: int, sw: int) -> np.ndarray:
    """wgx[(pi, pj), c, (a * bn + b) * O + o] = w[o, c, sh*a + pi, sw*b + pj]: per phase plane,
    the weights of the taps that read it (bn of its column groups), zero past them."""
    o, c, kh, kw = w.shape
    n_pi, n_pj = min(sh, kh), min(sw, kw)
    a_n, b_n = (kh - 1) // sh + 1, (kw - 1) // sw + 1
    wgx = np.zeros((n_pi * n_pj, c, a_n * b_n * o), w.dtype)
    for pi in range(n_pi):
        for pj in range(n_pj):
            taps = w[:, :, pi::sh, pj::sw]  # (O, C, an, bn)
            an, bn = taps.shape[2], taps.shape[3]
            wgx[pi * n_pj + pj, :, : an * bn * o] = taps.transpose(1, 2, 3, 0).reshape(c, -1)
    return wgx


def _backward(
    fn: str,
    gy: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    stride: object,
    padding: object,
    need_input: bool,
    need_weight: bool,
    need_bias: bool,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    gy, x, w = as_array(gy), as_array(x), as_array(w)
    (sh, sw), (ph, pw), (ho, wo) = check_conv2d(fn, x, w, stride, padding)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    if gy.shape != (n, o, ho, wo):
        raise ValueError(
            f"{fn}: gy must have the output shape {(n, o, ho, wo)} for x {x.shape} and "
            f"w {w.shape}, got {gy.shape}"
        )
    dtype = float_dtype(fn, gy, x, w)
    need_input, need_weight, need_bias = need_flags(fn, need_input, need_weight, need_bias)
    if 0 in (n, o, c):  # nothing flows through an empty batch or channel axis
        return (
            np.zeros(x.shape, dtype) if need_input else None,
            np.zeros(w.shape, dtype) if need_weight else None,
            np.asarray(gy, dtype).sum(axis=(0, 2, 3)) if need_bias else None,
        )
    gy, x, w = canonical(gy, dtype), canonical(x, dtype), canonical(w, dtype)
    if not use_numba("conv"):  # the kernels compile in the background: im2col meanwhile
        flags = (need_input, need_weight, need_bias)
        return numpy_path.conv2d_backward(gy, x, w, (sh, sw), (ph, pw), *flags)
    # multiply-adds of the input and the weight gradient
    threads = threads_for(n * o * ho * wo * c * kh * kw * (int(need_input) + int(need_weight)))
    if winograd.applies((sh, sw), kh, kw, c, o, n * ho * wo):
        flags = (need_input, need_weight, need_bias)
        return winograd.conv2d_backward(gy, x, w, (ph, pw), *flags, threads)
    pitch, vp, stack = _layout(
        n, h, wd, kh, kw, (sh, sw), (ph, pw), ho, wo, dtype.itemsize, threads
    )
    if c >= 16 and (sh, sw) == (1, 1) and stack <= 4:
        # images of 14x14 and up: stacks 4x the forward's. The weight gradient's dot products
        # end each pass with 16 horizontal sums, and the input gradient's accumulators still
        # stream from L2. In-process A/B of the backward, 3x3, batch 32, two threads (one):
        # 16->16 on 28x28 -4 % (-3.5 %), 64->64 -8 % (-4.5 %), 32->32 on 14x14 -14 % (-1.5 %),
        # 16->32 at batch 64 -8 % (-5 %); 8->8 on 56x56 +7 % (+4.5 %), hence 16+ channels.
        # Smaller images stack enough already, and more would raise the memory a step peaks
        # at (the CLI's CNN at batch 256: 1.68x its activations, against 1.5 allowed)
        stack = min(4 * stack, -(-n // threads))  # still one stack per thread at least
    if direct.applies(c, o, (kh, kw), (sh, sw), (ho, wo), (vp, pitch)):  # as the forward
        flags = (need_input, need_weight, need_bias)
        return direct.conv2d_backward(gy, x, w, (sh, sw), (ph, pw), *flags, threads)
    stack = _balanced(n, stack, threads)
    lead, pb = 0, wo
    if sh == 1 and sw == 1:  # input grad: correlate the padded gy with the flipped kernel
        # gy padded by kw-1-pw a side: rows share it as in the source (same pitch), unless
        # the padding is wider than the kernel (then gy is cropped instead)
        left = kw - 1 - pw
        pb = wd + pw if left >= 0 else wd + kw - 1
        # the weight gradient reads gy from (kh-1-ph, kw-1-pw) on: start the grid `lead`
        # zeros in so that those reads are 64-byte aligned
        lead = -((kh - 1 - ph) * pb + left) % LANES
        wgx = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)).reshape(1, c, -1)
    else:  # input grad: each phase plane's, from the taps that read it (fast.py)
        wgx = _plane_weights(w, sh, sw)
    n_stacks = -(-n // stack)
    chunks = max(1, min(n_stacks, threads))  # one chunk of stacks per thread
    splits = 1 if n_stacks >= threads else -(-threads // n_stacks)
    n_taps = c * kh * kw
    o4, t6 = -(-o // 4) * 4, -(-n_taps // 6) * 6  # the weight-gradient blocks are 4 x 6
    gx = np.empty((n, c, h, wd) if need_input else (0, 0, 0, 0), dtype=dtype)
    gw_parts = np.zeros((chunks, o4, t6), dtype=dtype)
    gb_parts = np.zeros((chunks, o), dtype=dtype)
    run_parallel(
        conv2d_backward_kernel,
        gy, x, wgx, kh, kw, sh, sw, ph, pw, pitch, vp, pb, lead, stack, splits,
        need_input, need_weight, need_bias, gx, gw_parts, gb_parts, threads=threads,
    )  # fmt: skip
    return (
        gx if need_input else None,
        gw_parts.sum(axis=0)[:o, :n_taps].reshape(w.shape) if need_weight else None,
        gb_parts.sum(axis=0) if need_bias else None,
    )


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    stride: tuple[int, int],
    padding: tuple[int, int],
) -> np.ndarray:
    """y = conv2d(x, w) + b for x (N, C, H, W), w (O, C, kh, kw), b (O,) or None."""
    return _forward("conv2d_forward", x, w, b, stride, padding)


def conv2d_backward(
    gy: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    stride: tuple[int, int],
    padding: tuple[int, int],
    need_input: bool,
    need_weight: bool,
    need_bias: bool,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(gx, gw, gb) of conv2d for the upstream gy (N, O, Ho, Wo); None where not needed."""
    return _backward(
        "conv2d_backward", gy, x, w, stride, padding, need_input, need_weight, need_bias
    )


def conv1d_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: int, padding: int
) -> np.ndarray:
    """y = conv1d(x, w) + b for x (N, C, L), w (O, C, k), b (O,) or None."""
    fn = "conv1d_forward"
    x, w = as_array(x), as_array(w)
    check_conv1d(fn, x, w, stride, padding)
    # a length-L signal is an image of height 1: the conv2d kernels do the work
    y = _forward(fn, x[:, :, None, :], w[:, :, None, :], b, (1, stride), (0, padding))
    return y[:, :, 0, :]


def conv1d_backward(
    gy: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    stride: int,
    padding: int,
    need_input: bool,
    need_weight: bool,
    need_bias: bool,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(gx, gw, gb) of conv1d for the upstream gy (N, O, Lo); None where not needed."""
    fn = "conv1d_backward"
    gy, x, w = as_array(gy), as_array(x), as_array(w)
    lo = check_conv1d(fn, x, w, stride, padding)
    expected = (x.shape[0], w.shape[0], lo)
    if gy.shape != expected:
        raise ValueError(
            f"{fn}: gy must have the output shape {expected} for x {x.shape} and w {w.shape}, "
            f"got {gy.shape}"
        )
    gx, gw, gb = _backward(
        fn,
        gy[:, :, None, :],
        x[:, :, None, :],
        w[:, :, None, :],
        (1, stride),
        (0, padding),
        need_input,
        need_weight,
        need_bias,
    )
    return (
        None if gx is None else gx[:, :, 0, :],
        None if gw is None else gw[:, :, 0, :],
        gb,
    )

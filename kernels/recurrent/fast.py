"""numba kernels for one time step of the RNN/LSTM/GRU gate arithmetic (no GEMMs).

The drivers in ``op.py`` do the matrix products with BLAS through NumPy; these kernels fuse the
elementwise work between them into one pass over (B, H) with the hidden axis innermost.

- The LSTM's forward step (``lstm_step_forward``) does its nonlinearities here, with ``tanh``
  below: in float32 a rational approximation (Eigen's) that LLVM vectorises, 5 µs over (32, 512)
  against NumPy's SIMD tanh's 6 µs and 167 µs for a scalar ``math.tanh`` loop; float64 calls
  libm. The GRU and the RNN still take NumPy's ``tanh`` between kernels; there a sigmoid gate
  arrives as ``tanh(a / 2)`` (the drivers halve those weight rows) and becomes
  σ(a) = (1 + tanh(a / 2)) / 2.
- Every kernel compiles with ``error_model="numpy"``: numba's default (Python's) checks each
  float division for zero, and that branch kept the tanh loop scalar (55 µs instead of 5 µs).
- Constants are made in the arrays' dtype (``one = h.dtype.type(1)``): a bare ``1.0`` is a
  float64 in numba and would turn float32 loops into scalar float64 code (measured 2× slower).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange, types
from numba.extending import overload

from chaingrad.kernels.cblas import call_gemm
from chaingrad.kernels.runtime import kernel

# Eigen's float32 tanh (also XLA's and onnxruntime's MLAS): an odd rational minimax p(x)/q(x) of
# degrees 13/6 on [-7.9053, 7.9053], beyond which float32 tanh rounds to ±1. Within a few ulp of
# tanh; it vectorises (min, max, FMAs and one division) where a call to libm's tanhf cannot.
_CLAMP = 7.90531110763549805
_ALPHA = (
    -2.76076847742355e-16,
    2.00018790482477e-13,
    -8.60467152213735e-11,
    5.12229709037114e-08,
    1.48572235717979e-05,
    6.37261928875436e-04,
    4.89352455891786e-03,
)
_BETA = (1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03)


def tanh(x: float) -> float:
    """tanh in the kernels: the rational approximation above for float32, libm's for float64."""
    return math.tanh(x)


@overload(tanh, jit_options={"error_model": "numpy"})
def _tanh_overload(x):  # numba picks the body by x's type when it compiles the caller
    if x == types.float32:
        f = np.float32
        lo, hi = f(-_CLAMP), f(_CLAMP)
        a13, a11, a9, a7, a5, a3, a1 = (f(a) for a in _ALPHA)
        b6, b4, b2, b0 = (f(b) for b in _BETA)

        def rational(x):
            x = min(max(x, lo), hi)
            x2 = x * x
            p = ((((((a13 * x2 + a11) * x2 + a9) * x2 + a7) * x2 + a5) * x2 + a3) * x2 + a1) * x
            return p / (((b6 * x2 + b4) * x2 + b2) * x2 + b0)

        return rational
    return lambda x: math.tanh(x)


@kernel("recurrent", error_model="numpy")
def rnn_backward_step(
    g_out: np.ndarray, dh: np.ndarray, h: np.ndarray, relu: bool, da: np.ndarray
) -> None:
    """da = (g_out + dh) ⊙ act'(h), act' read off the output h."""
    rows, n = h.shape
    zero, one = h.dtype.type(0), h.dtype.type(1)
    if relu:
        for b in range(rows):
            for j in range(n):
                # d relu: 1 where the output is positive, else 0
                da[b, j] = g_out[b, j] + dh[b, j] if h[b, j] > zero else zero
    else:
        for b in range(rows):
            for j in range(n):
                hj = h[b, j]
                da[b, j] = (g_out[b, j] + dh[b, j]) * (one - hj * hj)  # d tanh: 1 - h²


@kernel("recurrent", error_model="numpy", nogil=True)  # lanes run it on several threads
def lstm_step_forward(
    mm: np.ndarray,
    gates: np.ndarray,
    bias: np.ndarray,
    scale: np.ndarray,
    c_prev: np.ndarray,
    c: np.ndarray,
    tanh_c: np.ndarray,
    h: np.ndarray,
) -> None:
    """One LSTM step after its GEMM: gates (B, 4H) hold x_t W_ihᵀ and become the activated
    i, f, g, o of a = mm + gates + bias (mm = h_{t-1} W_hhᵀ); c = f ⊙ c_prev + i ⊙ g,
    tanh_c = tanh(c), h = o ⊙ tanh(c).

    scale (4H,) is 0.5 on the sigmoid gates' columns and 1 on g's: with s the column's scale,
    (1 - s) + s·tanh(s·a) is σ(a) = (1 + tanh(a/2)) / 2 where s = 1/2 and tanh(a) where s = 1,
    so one branch-free loop covers the whole gate block. (Three loops, one per gate kind, took
    39 µs a step against 8 µs for this one at B 32, H 128; short loops with few arrays each
    vectorise, where one loop over all seven arrays stayed scalar.)"""
    rows, n = c.shape
    one = c.dtype.type(1)
    for b in range(rows):
        for j in range(4 * n):
            s = scale[j]
            gates[b, j] = (one - s) + s * tanh(s * (mm[b, j] + gates[b, j] + bias[j]))
        for j in range(n):
            c[b, j] = gates[b, n + j] * c_prev[b, j] + gates[b, j] * gates[b, 2 * n + j]
        for j in range(n):
            tanh_c[b, j] = tanh(c[b, j])
        for j in range(n):
            h[b, j] = gates[b, 3 * n + j] * tanh_c[b, j]


@kernel("recurrent", error_model="numpy", nogil=True)
def lstm_cell_forward(
    gates: np.ndarray,
    bias: np.ndarray,
    scale: np.ndarray,
    c_prev: np.ndarray,
    c: np.ndarray,
    tanh_c: np.ndarray,
    h: np.ndarray,
    start: int,
    stop: int,
    u0: int,
    u1: int,
) -> None:
    """lstm_step_forward over the batch rows start:stop and hidden units u0:u1, with the
    recurrent product already added into gates (B, 4H): those units' columns of the four gates
    become the activated i, f, g, o of gates + bias; c, tanh_c and h as there.

    Every loop runs over slices from 0: loops over j in u0:u1 directly stayed scalar (11×
    slower at B 8, H 512)."""
    n = c.shape[1]
    one = c.dtype.type(1)
    for b in range(start, stop):
        for k in range(4):
            lo, hi = k * n + u0, k * n + u1
            a, bk, sk = gates[b, lo:hi], bias[lo:hi], scale[lo:hi]
            for j in range(u1 - u0):
                s = sk[j]
                a[j] = (one - s) + s * tanh(s * (a[j] + bk[j]))
        i, f = gates[b, u0:u1], gates[b, n + u0 : n + u1]
        g, o = gates[b, 2 * n + u0 : 2 * n + u1], gates[b, 3 * n + u0 : 3 * n + u1]
        cp, cb, tc, hb = c_prev[b, u0:u1], c[b, u0:u1], tanh_c[b, u0:u1], h[b, u0:u1]
        for j in range(u1 - u0):
            cb[j] = f[j] * cp[j] + i[j] * g[j]
        for j in range(u1 - u0):
            tc[j] = tanh(cb[j])
        for j in range(u1 - u0):
            hb[j] = o[j] * tc[j]


@kernel("recurrent", error_model="numpy", nogil=True)
def lstm_forward_sweep(
    gemm: int,
    x: np.ndarray,
    w_ih_t: np.ndarray,
    gates: np.ndarray,
    bias: np.ndarray,
    scale: np.ndarray,
    w_hh_t: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    tanh_c: np.ndarray,
    project: bool,
    in_block: int,
    block: int,
    start: int,
    stop: int,
) -> None:
    """Every step of an LSTM forward over the batch rows start:stop in one call: gates[t]
    (T, B, 4H) holds x_t W_ihᵀ (computed here step by step, ``in_block`` rows a BLAS call, when
    ``project``, else already), gets h[t] @ w_hh_t added by BLAS (``gemm``: cblas_?gemm's
    address; ``block`` rows a call, to stay on OpenBLAS's small-matrix path), then
    ``lstm_cell_forward`` writes c, tanh_c, h[t + 1]. Rows never interact, so lanes of rows
    may sweep at once on several threads (the kernel holds no GIL).

    One call instead of a BLAS call and a kernel call per step from Python: ~15 µs of
    dispatch, slicing and argument unboxing a step (B 16, H 128) that the sweep does not pay."""
    steps, width = gates.shape[0], gates.shape[2]
    n, n_in = width // 4, x.shape[2]
    zero, one = gates.dtype.type(0), gates.dtype.type(1)
    w, w_in = w_hh_t.ctypes.data, w_ih_t.ctypes.data
    for t in range(steps):
        if project:
            for r in range(start, stop, in_block):
                m = min(in_block, stop - r)
                call_gemm(
                    gemm, False, False, m, width, n_in, x[t, r:].ctypes.data, n_in, w_in, width,
                    zero, gates[t, r:].ctypes.data, width,
                )  # fmt: skip
        for r in range(start, stop, block):
            m = min(block, stop - r)
            call_gemm(
                gemm, False, False, m, width, n, h[t, r:].ctypes.data, n, w, width, one,
                gates[t, r:].ctypes.data, width,
            )  # fmt: skip
        lstm_cell_forward(
            gates[t], bias, scale, c[t], c[t + 1], tanh_c[t], h[t + 1], start, stop, 0, n
        )


@kernel("recurrent", error_model="numpy", nogil=True)
def lstm_backward_sweep(
    gemm: int,
    g_out: np.ndarray,
    dh: np.ndarray,
    dc: np.ndarray,
    gates: np.ndarray,
    c: np.ndarray,
    tanh_c: np.ndarray,
    w_hh: np.ndarray,
    da: np.ndarray,
    w_ih: np.ndarray,
    gx: np.ndarray,
    project: bool,
    in_block: int,
    block: int,
    start: int,
    stop: int,
) -> None:
    """Every step of an LSTM backward over the batch rows start:stop in one call, last step
    first: ``lstm_cell_backward_rows`` into da[t], then dh = da[t] @ w_hh by BLAS (``block``
    rows a call) and, when ``project``, the input gradient gx[t] = da[t] @ w_ih while da[t] is
    in cache (``in_block`` rows a call). dh and dc (B, H) hold the upstream state gradients on
    entry and dL/dh0, dL/dc0 on return."""
    steps, width = da.shape[0], da.shape[2]
    n, n_in = width // 4, gx.shape[2]
    zero = da.dtype.type(0)
    w, w_in = w_hh.ctypes.data, w_ih.ctypes.data
    for t in range(steps - 1, -1, -1):
        lstm_cell_backward_rows(
            g_out[t], dh, dc, gates[t], c[t], tanh_c[t], da[t], start, stop, 0, n
        )
        for r in range(start, stop, block):
            m = min(block, stop - r)
            call_gemm(
                gemm, False, False, m, n, width, da[t, r:].ctypes.data, width, w, n, zero,
                dh[r:].ctypes.data, n,
            )  # fmt: skip
        if project:
            for r in range(start, stop, in_block):
                m = min(in_block, stop - r)
                call_gemm(
                    gemm, False, False, m, n_in, width, da[t, r:].ctypes.data, width, w_in, n_in,
                    zero, gx[t, r:].ctypes.data, n_in,
                )  # fmt: skip


@kernel("lstm-lanes", error_model="numpy", parallel=True, nogil=True)
def lstm_forward_lanes(
    gemm: int,
    x: np.ndarray,
    w_ih_t: np.ndarray,
    gates: np.ndarray,
    bias: np.ndarray,
    scale: np.ndarray,
    w_hh_t: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    tanh_c: np.ndarray,
    in_blocks: np.ndarray,
    blocks: np.ndarray,
    bounds: np.ndarray,
) -> None:
    """``lstm_forward_sweep`` over every lane of rows at once, on numba's threads: lane k
    sweeps rows bounds[k]:bounds[k + 1], projecting x itself, in_blocks[k] and blocks[k] rows
    a BLAS call. One parallel region instead of Python-thread lanes (``runtime.run_lanes``),
    which paid ~110 µs a call to wake a thread and hand the GIL back (2 lanes of a 300 µs
    nogil loop: 424 µs through run_lanes, 318 µs as a prange on OpenMP's threads)."""
    for k in prange(bounds.shape[0] - 1):
        lstm_forward_sweep(
            gemm, x, w_ih_t, gates, bias, scale, w_hh_t, h, c, tanh_c, True, in_blocks[k],
            blocks[k], bounds[k], bounds[k + 1],
        )  # fmt: skip


@kernel("lstm-lanes", error_model="numpy", parallel=True, nogil=True)
def lstm_backward_lanes(
    gemm: int,
    g_out: np.ndarray,
    dh: np.ndarray,
    dc: np.ndarray,
    gates: np.ndarray,
    c: np.ndarray,
    tanh_c: np.ndarray,
    w_hh: np.ndarray,
    da: np.ndarray,
    w_ih: np.ndarray,
    gx: np.ndarray,
    in_blocks: np.ndarray,
    blocks: np.ndarray,
    bounds: np.ndarray,
    x: np.ndarray,
    h_prev: np.ndarray,
    gw_ih: np.ndarray,
    gw_hh: np.ndarray,
    gb: np.ndarray,
) -> None:
    """``lstm_backward_sweep`` over every lane of rows at once (as ``lstm_forward_lanes``), the
    input gradient gx formed step by step; then, on the same threads, the weight gradients,
    the gate rows split evenly over the lanes (``gate_grads``)."""
    lanes = bounds.shape[0] - 1
    for k in prange(lanes):
        lstm_backward_sweep(
            gemm, g_out, dh, dc, gates, c, tanh_c, w_hh, da, w_ih, gx, True, in_blocks[k],
            blocks[k], bounds[k], bounds[k + 1],
        )  # fmt: skip
    steps, rows, width = da.shape
    total = steps * rows
    d2 = da.reshape(total, width)
    x2, h2 = x.reshape(total, x.shape[2]), h_prev.reshape(total, h_prev.shape[2])
    span = (width + lanes - 1) // lanes
    for k in prange(lanes):
        gate_grads(gemm, d2, x2, h2, gw_ih, gw_hh, gb, k * span, min(k * span + span, width))


@kernel("lstm-columns", error_model="numpy", parallel=True)
def lstm_forward_columns(
    gemm: int,
    x: np.ndarray,
    w_ih: np.ndarray,
    gates: np.ndarray,
    bias: np.ndarray,
    scale: np.ndarray,
    w_hh: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    tanh_c: np.ndarray,
    block: int,
) -> None:
    """Every step of an LSTM forward for a small batch, each step's hidden units split over
    the threads in blocks of ``block``: a block writes its columns of gates[t] as
    x_t @ (its rows of each gate in w_ih)ᵀ + h[t] @ (the same rows of w_hh)ᵀ, two BLAS calls per
    gate (``gemm``; the weights read as stored, no transposed copies), then runs
    ``lstm_cell_forward`` on its units.

    The batch is too small for lanes of rows to pay (``lstm_forward_sweep``), so the threads share
    each step's products instead and meet once a step (the end of the prange), each streaming
    its blocks' rows of the weights. The input projection is made here too, step by step:
    a threaded BLAS call before the sweep leaves OpenBLAS's workers spinning on the cores
    numba's threads need (and numba's workers spin after a parallel region the same way)."""
    steps, rows, width = gates.shape
    n, n_in = width // 4, x.shape[2]
    zero, one = gates.dtype.type(0), gates.dtype.type(1)
    for t in range(steps):
        for k in prange((n + block - 1) // block):
            u0 = k * block
            u1 = min(u0 + block, n)
            for q in range(4):
                col = q * n + u0
                out = gates[t, :, col:].ctypes.data
                call_gemm(
                    gemm, False, True, rows, u1 - u0, n_in, x[t].ctypes.data, n_in,
                    w_ih[col:].ctypes.data, n_in, zero, out, width,
                )  # fmt: skip
                call_gemm(
                    gemm, False, True, rows, u1 - u0, n, h[t].ctypes.data, n,
                    w_hh[col:].ctypes.data, n, one, out, width,
                )  # fmt: skip
            lstm_cell_forward(
                gates[t], bias, scale, c[t], c[t + 1], tanh_c[t], h[t + 1], 0, rows, u0, u1
            )


@kernel("lstm-columns", error_model="numpy", parallel=True)
def lstm_backward_columns(
    gemm: int,
    g_out: np.ndarray,
    dh: np.ndarray,
    dc: np.ndarray,
    gates: np.ndarray,
    c: np.ndarray,
    tanh_c: np.ndarray,
    w_hh: np.ndarray,
    da: np.ndarray,
    block: int,
) -> None:
    """Every step of an LSTM backward for a small batch, last step first, each step's hidden
    units split over the threads in blocks of ``block`` as in ``lstm_forward_columns``: a block
    forms its columns of dh = da[t] @ w_hh (one BLAS call per gate's rows, each small enough
    for OpenBLAS's unpacked kernels), then ``lstm_cell_backward_rows`` on its units for step
    t - 1, so the threads meet once a step. dh and dc (B, H) hold the upstream state gradients
    on entry and dL/dh0, dL/dc0 on return."""
    steps, rows, width = da.shape
    n = width // 4
    zero, one = da.dtype.type(0), da.dtype.type(1)
    for t in range(steps, -1, -1):
        for k in prange((n + block - 1) // block):
            u0 = k * block
            u1 = min(u0 + block, n)
            if t < steps:  # the gradient reaching h_t through step t's gates
                for q in range(4):
                    call_gemm(
                        gemm, False, False, rows, u1 - u0, n, da[t, :, q * n :].ctypes.data, width,
                        w_hh[q * n :, u0:].ctypes.data, n, zero if q == 0 else one,
                        dh[:, u0:].ctypes.data, n,
                    )  # fmt: skip
            if t > 0:
                s = t - 1
                lstm_cell_backward_rows(
                    g_out[s], dh, dc, gates[s], c[s], tanh_c[s], da[s], 0, rows, u0, u1
                )


@kernel("lstm-columns", error_model="numpy", nogil=True)
def gate_grads(
    gemm: int,
    d2: np.ndarray,
    x2: np.ndarray,
    h2: np.ndarray,
    gw_ih: np.ndarray,
    gw_hh: np.ndarray,
    gb: np.ndarray,
    r0: int,
    r1: int,
) -> None:
    """The weight gradients' gate rows r0:r1 over all T·B rows d2 (T·B, 4H) of da:
    gw_ih = d2ᵀ x2, gw_hh = d2ᵀ h2 (BLAS, ``gemm``) and gb = d2's column sums."""
    total, width = d2.shape
    n, n_in = h2.shape[1], x2.shape[1]
    zero = d2.dtype.type(0)
    a = d2[:, r0:].ctypes.data  # d2ᵀ's rows r0:r1 are d2's columns
    call_gemm(
        gemm, True, False, r1 - r0, n_in, total, a, width, x2.ctypes.data, n_in, zero,
        gw_ih[r0:].ctypes.data, n_in,
    )  # fmt: skip
    call_gemm(
        gemm, True, False, r1 - r0, n, total, a, width, h2.ctypes.data, n, zero,
        gw_hh[r0:].ctypes.data, n,
    )  # fmt: skip
    for j in range(r0, r1):
        gb[j] = zero
    for i in range(total):
        di, gbk = d2[i, r0:r1], gb[r0:r1]
        for j in range(r1 - r0):
            gbk[j] += di[j]


@kernel("lstm-columns", error_model="numpy", parallel=True)
def lstm_weight_grads_columns(
    gemm: int,
    da: np.ndarray,
    x: np.ndarray,
    h_prev: np.ndarray,
    w_ih: np.ndarray,
    gw_ih: np.ndarray,
    gw_hh: np.ndarray,
    gb: np.ndarray,
    gx: np.ndarray,
    block: int,
) -> None:
    """After ``lstm_backward_columns``, on the same threads: gw_ih = daᵀ x, gw_hh = daᵀ h_prev
    and gb = the column sums of da over all T·B rows, gate rows in blocks of 4·``block``; then
    gx = da @ w_ih, rows of T·B split as evenly. (A threaded BLAS call here ran at half speed:
    numba's workers still spin on the second core after the sweep.)"""
    steps, rows, width = da.shape
    total, n, n_in = steps * rows, h_prev.shape[2], x.shape[2]
    zero = da.dtype.type(0)
    d2, x2, h2 = da.reshape(total, width), x.reshape(total, n_in), h_prev.reshape(total, n)
    gx2 = gx.reshape(total, n_in)
    span = 4 * block
    parts = (width + span - 1) // span
    for k in prange(parts):
        gate_grads(gemm, d2, x2, h2, gw_ih, gw_hh, gb, k * span, min(k * span + span, width))
    for k in prange(parts):
        s0, s1 = k * total // parts, (k + 1) * total // parts
        call_gemm(
            gemm, False, False, s1 - s0, n_in, width, d2[s0:].ctypes.data, width, w_ih.ctypes.data,
            n_in, zero, gx2[s0:].ctypes.data, n_in,
        )  # fmt: skip


@kernel("recurrent", error_model="numpy", nogil=True)
def lstm_cell_backward(
    g_out: np.ndarray,
    dh: np.ndarray,
    dc: np.ndarray,
    gates: np.ndarray,
    c_prev: np.ndarray,
    tanh_c: np.ndarray,
    da: np.ndarray,
) -> None:
    """One step back: da (B, 4H) = dL/d(pre-activations); dc (B, H) becomes dL/dc_prev in place."""
    rows, n = dc.shape
    lstm_cell_backward_rows(g_out, dh, dc, gates, c_prev, tanh_c, da, 0, rows, 0, n)


@kernel("recurrent", error_model="numpy", nogil=True)
def lstm_cell_backward_rows(
    g_out: np.ndarray,
    dh: np.ndarray,
    dc: np.ndarray,
    gates: np.ndarray,
    c_prev: np.ndarray,
    tanh_c: np.ndarray,
    da: np.ndarray,
    start: int,
    stop: int,
    u0: int,
    u1: int,
) -> None:
    """lstm_cell_backward over the batch rows start:stop and hidden units u0:u1 only.

    Three short loops per row instead of one: with fewer arrays per loop LLVM vectorises them
    (one loop over all seven arrays stayed scalar, 9.1 µs against 4.8 µs at B 32, H 128); the
    loops run over slices from 0, as in ``lstm_cell_forward``."""
    n = dc.shape[1]
    one = dc.dtype.type(1)
    m = u1 - u0
    for b in range(start, stop):
        i, f = gates[b, u0:u1], gates[b, n + u0 : n + u1]
        g, o = gates[b, 2 * n + u0 : 2 * n + u1], gates[b, 3 * n + u0 : 3 * n + u1]
        di, df = da[b, u0:u1], da[b, n + u0 : n + u1]
        dg, do = da[b, 2 * n + u0 : 2 * n + u1], da[b, 3 * n + u0 : 3 * n + u1]
        go, dhb, dcb = g_out[b, u0:u1], dh[b, u0:u1], dc[b, u0:u1]
        tc, cp = tanh_c[b, u0:u1], c_prev[b, u0:u1]
        for j in range(m):
            dhj = go[j] + dhb[j]
            do[j] = dhj * tc[j] * o[j] * (one - o[j])  # h = o ⊙ tanh(c); d σ: σ(1 - σ)
            dcb[j] += dhj * o[j] * (one - tc[j] * tc[j])  # d tanh: 1 - tanh²
        for j in range(m):
            di[j] = dcb[j] * g[j] * i[j] * (one - i[j])  # c = f ⊙ c_prev + i ⊙ g
            dg[j] = dcb[j] * i[j] * (one - g[j] * g[j])
        for j in range(m):
            df[j] = dcb[j] * cp[j] * f[j] * (one - f[j])
            dcb[j] *= f[j]


@kernel("recurrent", error_model="numpy")
def gru_gates_rz(
    mm: np.ndarray, xp: np.ndarray, b_hn: np.ndarray, gates: np.ndarray, hn: np.ndarray
) -> None:
    """Halved pre-activations of r and z into gates[:, :2H]; hn = W_hn h + b_hn."""
    rows, n = hn.shape
    for b in range(rows):
        for j in range(2 * n):
            gates[b, j] = xp[b, j] + mm[b, j]
        for j in range(n):
            hn[b, j] = mm[b, 2 * n + j] + b_hn[j]


@kernel("recurrent", error_model="numpy")
def gru_gate_n(xp: np.ndarray, gates: np.ndarray, hn: np.ndarray) -> None:
    """r, z from tanh(a/2) to σ(a) in place; n's pre-activation W_in x + b_in + r ⊙ hn."""
    rows, n = hn.shape
    half = hn.dtype.type(0.5)
    for b in range(rows):
        for j in range(n):
            r = half + half * gates[b, j]
            gates[b, j] = r
            gates[b, n + j] = half + half * gates[b, n + j]
            gates[b, 2 * n + j] = xp[b, 2 * n + j] + r * hn[b, j]


@kernel("recurrent", error_model="numpy")
def gru_output(gates: np.ndarray, h_prev: np.ndarray, h: np.ndarray) -> None:
    """h = (1 - z) ⊙ n + z ⊙ h_prev."""
    rows, n = h.shape
    for b in range(rows):
        for j in range(n):
            z = gates[b, n + j]
            h[b, j] = gates[b, 2 * n + j] + z * (h_prev[b, j] - gates[b, 2 * n + j])


@kernel("recurrent", error_model="numpy")
def gru_cell_backward(
    g_out: np.ndarray,
    dh_carry: np.ndarray,
    mm: np.ndarray,
    gates: np.ndarray,
    hn: np.ndarray,
    h_prev: np.ndarray,
    dax: np.ndarray,
    dah: np.ndarray,
) -> None:
    """One step back. dh = g_out + dh_carry + mm (mm: the previous step's dah @ W_hh);
    dax, dah (B, 3H): gradients of the input-side and hidden-side pre-activations;
    dh_carry becomes dh ⊙ z, the direct path to h_prev."""
    rows, n = h_prev.shape
    one = h_prev.dtype.type(1)
    for b in range(rows):
        for j in range(n):
            r = gates[b, j]
            z = gates[b, n + j]
            cand = gates[b, 2 * n + j]
            dh = g_out[b, j] + dh_carry[b, j] + mm[b, j]
            dan = dh * (one - z) * (one - cand * cand)  # h = (1-z) n + z h_prev; d tanh: 1 - n²
            dar = dan * hn[b, j] * r * (one - r)  # d σ: σ(1 - σ)
            daz = dh * (h_prev[b, j] - cand) * z * (one - z)
            dax[b, j] = dar
            dax[b, n + j] = daz
            dax[b, 2 * n + j] = dan
            dah[b, j] = dar
            dah[b, n + j] = daz
            dah[b, 2 * n + j] = dan * r  # W_hn h + b_hn reaches n through r
            dh_carry[b, j] = dh * z

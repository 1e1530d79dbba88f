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
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

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


@intrinsic
def _gemm(typingctx, fn, m, n, k, a, lda, b, ldb, beta, c, ldc):
    """c = a @ b + beta·c through cblas_?gemm at address ``fn`` (row-major, no transposes).

    Pointers and the address come in as integers (``arr.ctypes.data``): the address is an
    argument rather than a constant, so the kernels that call it stay cacheable. The BLAS takes
    64-bit integers (NumPy's OpenBLAS is ILP64) and the float type of ``beta``."""
    sig = types.void(fn, m, n, k, a, lda, b, ldb, beta, c, ldc)

    def codegen(context, builder, signature, args):
        args = list(args)
        for i in (1, 2, 3, 5, 7, 10):  # m, n, k and the leading dimensions as 64-bit ints
            args[i] = context.cast(builder, args[i], signature.args[i], types.int64)
        fn, m, n, k, a, lda, b, ldb, beta, c, ldc = args
        flt = context.get_value_type(signature.args[8])
        i32, i64, ptr = ir.IntType(32), ir.IntType(64), flt.as_pointer()
        args_ty = [i32, i32, i32, i64, i64, i64, flt, ptr, i64, ptr, i64, flt, ptr, i64]
        call = builder.inttoptr(fn, ir.FunctionType(ir.VoidType(), args_ty).as_pointer())
        row_major, no_trans = ir.Constant(i32, 101), ir.Constant(i32, 111)  # CBLAS enums
        a, b, c = (builder.inttoptr(p, ptr) for p in (a, b, c))
        one = ir.Constant(flt, 1.0)
        builder.call(
            call, [row_major, no_trans, no_trans, m, n, k, one, a, lda, b, ldb, beta, c, ldc]
        )
        return context.get_dummy_value()

    return sig, codegen


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
) -> None:
    """lstm_step_forward over the batch rows start:stop, with the recurrent product already
    added into gates (B, 4H): gates become the activated i, f, g, o of gates + bias; c, tanh_c
    and h as there."""
    n = c.shape[1]
    one = c.dtype.type(1)
    for b in range(start, stop):
        for j in range(4 * n):
            s = scale[j]
            gates[b, j] = (one - s) + s * tanh(s * (gates[b, j] + bias[j]))
        for j in range(n):
            c[b, j] = gates[b, n + j] * c_prev[b, j] + gates[b, j] * gates[b, 2 * n + j]
        for j in range(n):
            tanh_c[b, j] = tanh(c[b, j])
        for j in range(n):
            h[b, j] = gates[b, 3 * n + j] * tanh_c[b, j]


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
                _gemm(gemm, m, width, n_in, x[t, r:].ctypes.data, n_in, w_in, width, zero,
                      gates[t, r:].ctypes.data, width)  # fmt: skip
        for r in range(start, stop, block):
            m = min(block, stop - r)
            _gemm(gemm, m, width, n, h[t, r:].ctypes.data, n, w, width, one,
                  gates[t, r:].ctypes.data, width)  # fmt: skip
        lstm_cell_forward(gates[t], bias, scale, c[t], c[t + 1], tanh_c[t], h[t + 1], start, stop)


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
        lstm_cell_backward_rows(g_out[t], dh, dc, gates[t], c[t], tanh_c[t], da[t], start, stop)
        for r in range(start, stop, block):
            m = min(block, stop - r)
            _gemm(gemm, m, n, width, da[t, r:].ctypes.data, width, w, n, zero,
                  dh[r:].ctypes.data, n)  # fmt: skip
        if project:
            for r in range(start, stop, in_block):
                m = min(in_block, stop - r)
                _gemm(gemm, m, n_in, width, da[t, r:].ctypes.data, width, w_in, n_in, zero,
                      gx[t, r:].ctypes.data, n_in)  # fmt: skip


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
    lstm_cell_backward_rows(g_out, dh, dc, gates, c_prev, tanh_c, da, 0, dc.shape[0])


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
) -> None:
    """lstm_cell_backward over the batch rows start:stop only.

    Three short loops per row instead of one: with fewer arrays per loop LLVM vectorises them
    (one loop over all seven arrays stayed scalar, 9.1 µs against 4.8 µs at B 32, H 128)."""
    n = dc.shape[1]
    one = dc.dtype.type(1)
    for b in range(start, stop):
        for j in range(n):
            o = gates[b, 3 * n + j]
            tc = tanh_c[b, j]
            dhj = g_out[b, j] + dh[b, j]
            da[b, 3 * n + j] = dhj * tc * o * (one - o)  # h = o ⊙ tanh(c); d σ: σ(1 - σ)
            dc[b, j] += dhj * o * (one - tc * tc)  # d tanh: 1 - tanh²
        for j in range(n):
            i = gates[b, j]
            g = gates[b, 2 * n + j]
            da[b, j] = dc[b, j] * g * i * (one - i)  # c = f ⊙ c_prev + i ⊙ g
            da[b, 2 * n + j] = dc[b, j] * i * (one - g * g)
        for j in range(n):
            f = gates[b, n + j]
            da[b, n + j] = dc[b, j] * c_prev[b, j] * f * (one - f)
            dc[b, j] *= f


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

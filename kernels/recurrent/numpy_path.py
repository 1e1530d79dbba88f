"""One time step's gate arithmetic in vectorised NumPy: what the recurrences run while numba
compiles the fast kernels (``fast.py``) in the background.

The same functions as ``fast.py``, with the same arguments, writing the same arrays in place,
so ``op.py``'s drivers (which do the matrix products with BLAS either way) run unchanged on
either set and the saved record is the same whichever set ran the forward: backward may run on
the other. Each is a few whole-array NumPy operations over (B, H) instead of one fused loop;
NumPy's ``tanh`` stands in for the kernels' float32 rational approximation (they agree to a few
ulp). A sigmoid gate arrives as in the kernels: the drivers halve its pre-activation, and
σ(a) = (1 + tanh(a / 2)) / 2.
"""

from __future__ import annotations

import numpy as np


def rnn_backward_step(
    g_out: np.ndarray, dh: np.ndarray, h: np.ndarray, relu: bool, da: np.ndarray
) -> None:
    """da = (g_out + dh) ⊙ act'(h), act' read off the output h."""
    np.add(g_out, dh, out=da)
    if relu:
        da *= h > 0  # d relu: 1 where the output is positive, else 0
    else:
        da *= 1 - h * h  # d tanh: 1 - h²


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
    """gates (x_t W_ihᵀ in, activated i, f, g, o out), c, tanh_c and h of one LSTM step."""
    gates += mm
    _lstm_activate(gates, bias, scale, c_prev, c, tanh_c, h)


def _lstm_activate(gates, bias, scale, c_prev, c, tanh_c, h) -> None:
    """gates (pre-activations less the bias in, activated i, f, g, o out), c, tanh_c, h."""
    n = c.shape[1]
    gates += bias
    gates *= scale  # s = 1/2 on the sigmoid gates' columns, 1 on g's
    np.tanh(gates, out=gates)
    gates *= scale
    gates += 1 - scale  # (1 - s) + s·tanh(s·a): σ(a) where s = 1/2, tanh(a) where s = 1
    i, f, g, o = gates[:, :n], gates[:, n : 2 * n], gates[:, 2 * n : 3 * n], gates[:, 3 * n :]
    np.multiply(f, c_prev, out=c)
    c += i * g
    np.tanh(c, out=tanh_c)
    np.multiply(o, tanh_c, out=h)


def lstm_cell_backward(
    g_out: np.ndarray,
    dh: np.ndarray,
    dc: np.ndarray,
    gates: np.ndarray,
    c_prev: np.ndarray,
    tanh_c: np.ndarray,
    da: np.ndarray,
) -> None:
    """da (B, 4H) = dL/d(pre-activations) of one step; dc becomes dL/dc_prev in place."""
    n = dc.shape[1]
    i, f, g, o = gates[:, :n], gates[:, n : 2 * n], gates[:, 2 * n : 3 * n], gates[:, 3 * n :]
    dhj = g_out + dh
    da[:, 3 * n :] = dhj * tanh_c * o * (1 - o)  # h = o ⊙ tanh(c); d σ: σ(1 - σ)
    dc += dhj * o * (1 - tanh_c * tanh_c)  # d tanh: 1 - tanh²
    da[:, :n] = dc * g * i * (1 - i)  # c = f ⊙ c_prev + i ⊙ g
    da[:, 2 * n : 3 * n] = dc * i * (1 - g * g)
    da[:, n : 2 * n] = dc * c_prev * f * (1 - f)
    dc *= f


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
    """lstm_step_forward over the rows start:stop, the recurrent product already in gates."""
    r = slice(start, stop)
    _lstm_activate(gates[r], bias, scale, c_prev[r], c[r], tanh_c[r], h[r])


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
    """lstm_cell_backward over the batch rows start:stop only."""
    r = slice(start, stop)
    lstm_cell_backward(g_out[r], dh[r], dc[r], gates[r], c_prev[r], tanh_c[r], da[r])


def _rows_matmul(a: np.ndarray, w: np.ndarray, out: np.ndarray, block: int, accumulate: bool):
    """out (+)= a @ w, ``block`` rows a BLAS call, as the numba sweeps call cblas_?gemm."""
    for r in range(0, a.shape[0], block):
        if accumulate:
            out[r : r + block] += a[r : r + block] @ w
        else:
            np.matmul(a[r : r + block], w, out=out[r : r + block])


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
    """Every step of an LSTM forward over the rows start:stop (``gemm`` unused: NumPy's matmul
    does the products)."""
    r = slice(start, stop)
    for t in range(gates.shape[0]):
        if project:
            _rows_matmul(x[t, r], w_ih_t, gates[t, r], in_block, False)
        _rows_matmul(h[t, r], w_hh_t, gates[t, r], block, True)
        lstm_cell_forward(gates[t], bias, scale, c[t], c[t + 1], tanh_c[t], h[t + 1], start, stop)


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
    """Every step of an LSTM backward over the rows start:stop, last first (``gemm`` unused)."""
    r = slice(start, stop)
    for t in range(da.shape[0] - 1, -1, -1):
        lstm_cell_backward_rows(g_out[t], dh, dc, gates[t], c[t], tanh_c[t], da[t], start, stop)
        _rows_matmul(da[t, r], w_hh, dh[r], block, False)
        if project:
            _rows_matmul(da[t, r], w_ih, gx[t, r], in_block, False)


def gru_gates_rz(
    mm: np.ndarray, xp: np.ndarray, b_hn: np.ndarray, gates: np.ndarray, hn: np.ndarray
) -> None:
    """Halved pre-activations of r and z into gates[:, :2H]; hn = W_hn h + b_hn."""
    n = hn.shape[1]
    np.add(xp[:, : 2 * n], mm[:, : 2 * n], out=gates[:, : 2 * n])
    np.add(mm[:, 2 * n :], b_hn, out=hn)


def gru_gate_n(xp: np.ndarray, gates: np.ndarray, hn: np.ndarray) -> None:
    """r, z from tanh(a/2) to σ(a) in place; n's pre-activation W_in x + b_in + r ⊙ hn."""
    n = hn.shape[1]
    rz = gates[:, : 2 * n]
    rz += 1
    rz *= gates.dtype.type(0.5)
    np.multiply(gates[:, :n], hn, out=gates[:, 2 * n :])
    gates[:, 2 * n :] += xp[:, 2 * n :]


def gru_output(gates: np.ndarray, h_prev: np.ndarray, h: np.ndarray) -> None:
    """h = (1 - z) ⊙ n + z ⊙ h_prev."""
    n = h.shape[1]
    z, cand = gates[:, n : 2 * n], gates[:, 2 * n :]
    np.subtract(h_prev, cand, out=h)
    h *= z
    h += cand


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
    """One step back: dax, dah (B, 3H) and dh_carry = dh ⊙ z (dh = g_out + dh_carry + mm)."""
    n = h_prev.shape[1]
    r, z, cand = gates[:, :n], gates[:, n : 2 * n], gates[:, 2 * n :]
    dh = g_out + dh_carry + mm
    dan = dh * (1 - z) * (1 - cand * cand)  # h = (1-z) n + z h_prev; d tanh: 1 - n²
    dar = dan * hn * r * (1 - r)  # d σ: σ(1 - σ)
    daz = dh * (h_prev - cand) * z * (1 - z)
    dax[:, :n] = dar
    dax[:, n : 2 * n] = daz
    dax[:, 2 * n :] = dan
    dah[:, :n] = dar
    dah[:, n : 2 * n] = daz
    dah[:, 2 * n :] = dan * r  # W_hn h + b_hn reaches n through r
    np.multiply(dh, z, out=dh_carry)

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
    n = c.shape[1]
    gates += mm
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

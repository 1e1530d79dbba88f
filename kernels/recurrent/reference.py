"""Slow, obvious NumPy recurrences, one time step at a time: the oracle for ``op.py``.

Same signatures as the kernels with a ``_reference`` suffix. Layout is time-major: x (T, B, I),
states (B, H); weights and gate order exactly as PyTorch (LSTM [i, f, g, o], GRU [r, z, n]).
``saved`` here is a dict: ``steps``, one tuple per time step, and ``bias``, which of b_ih, b_hh
were given (a missing bias gets a None gradient, as in the kernels); only these references read it.
As in the kernels, a None initial state or upstream gradient means zeros.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # σ(a) = exp(-log(1 + exp(-a))), written with logaddexp so no exp overflows
    return np.exp(-np.logaddexp(0.0, -a)).astype(a.dtype)


def _act(a: np.ndarray, nonlinearity: str) -> np.ndarray:
    if nonlinearity == "tanh":
        return np.tanh(a)
    if nonlinearity == "relu":
        return np.maximum(a, 0.0)
    raise ValueError(f"rnn_forward_reference: unknown nonlinearity {nonlinearity!r}")


def _affine(v: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """v @ wᵀ (+ b)."""
    return v @ w.T if b is None else v @ w.T + b


def _zeros_if_none(g: np.ndarray | None, shape: tuple, dtype: np.dtype) -> np.ndarray:
    return np.zeros(shape, dtype=dtype) if g is None else g


def _state_shape(x: np.ndarray, w_hh: np.ndarray) -> tuple[int, int]:
    return x.shape[1], w_hh.shape[1]


def _bias_grads(saved: dict, gb_ih: np.ndarray, gb_hh: np.ndarray) -> tuple:
    """The bias gradients, None for a bias the forward did not have."""
    has_ih, has_hh = saved["bias"]
    return (gb_ih if has_ih else None), (gb_hh if has_hh else None)


def rnn_forward_reference(
    x: np.ndarray,
    h0: np.ndarray | None,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
    nonlinearity: str = "tanh",
) -> tuple[np.ndarray, dict]:
    """Elman RNN, h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh), step by step."""
    h = _zeros_if_none(h0, _state_shape(x, w_hh), x.dtype)
    outs, saved = [], []
    for t in range(x.shape[0]):
        h_prev = h
        h = _act(_affine(x[t], w_ih, b_ih) + _affine(h_prev, w_hh, b_hh), nonlinearity)
        saved.append((h_prev, h))
        outs.append(h)
    return np.stack(outs), {"steps": saved, "bias": (b_ih is not None, b_hh is not None)}


def rnn_backward_reference(
    g_out: np.ndarray | None,
    g_hn: np.ndarray | None,
    x: np.ndarray,
    h0: np.ndarray | None,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    saved: dict,
    nonlinearity: str = "tanh",
) -> tuple:
    """Backprop through time for rnn_forward_reference."""
    gx = np.zeros_like(x)
    gw_ih, gw_hh = np.zeros_like(w_ih), np.zeros_like(w_hh)
    gb = np.zeros(w_ih.shape[0], dtype=x.dtype)
    dh_next = _zeros_if_none(
        g_hn, _state_shape(x, w_hh), x.dtype
    )  # gradient reaching h_t from step t + 1
    for t in reversed(range(x.shape[0])):
        h_prev, h = saved["steps"][t]
        dh = dh_next if g_out is None else g_out[t] + dh_next
        if nonlinearity == "tanh":
            da = dh * (1.0 - h * h)  # d tanh: 1 - h²
        else:
            da = dh * (h > 0)  # d relu: 1 where the output is positive, else 0
        gx[t] = da @ w_ih
        gw_ih += da.T @ x[t]
        gw_hh += da.T @ h_prev
        gb += da.sum(axis=0)
        dh_next = da @ w_hh
    return gx, dh_next, gw_ih, gw_hh, *_bias_grads(saved, gb, gb.copy())


def lstm_forward_reference(
    x: np.ndarray,
    h0: np.ndarray | None,
    c0: np.ndarray | None,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """LSTM with PyTorch's gates [i, f, g, o], step by step."""
    n = w_hh.shape[1]
    h = _zeros_if_none(h0, _state_shape(x, w_hh), x.dtype)
    c = _zeros_if_none(c0, _state_shape(x, w_hh), x.dtype)
    outs, saved = [], []
    for t in range(x.shape[0]):
        a = _affine(x[t], w_ih, b_ih) + _affine(h, w_hh, b_hh)
        i = _sigmoid(a[:, :n])
        f = _sigmoid(a[:, n : 2 * n])
        g = np.tanh(a[:, 2 * n : 3 * n])
        o = _sigmoid(a[:, 3 * n :])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        saved.append((h, c, i, f, g, o, c_new))
        h, c = h_new, c_new
        outs.append(h)
    return np.stack(outs), c, {"steps": saved, "bias": (b_ih is not None, b_hh is not None)}


def lstm_backward_reference(
    g_out: np.ndarray | None,
    g_hn: np.ndarray | None,
    g_cn: np.ndarray | None,
    x: np.ndarray,
    h0: np.ndarray | None,
    c0: np.ndarray | None,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    saved: dict,
) -> tuple:
    """Backprop through time for lstm_forward_reference."""
    gx = np.zeros_like(x)
    gw_ih, gw_hh = np.zeros_like(w_ih), np.zeros_like(w_hh)
    gb = np.zeros(w_ih.shape[0], dtype=x.dtype)
    dh_next = _zeros_if_none(g_hn, _state_shape(x, w_hh), x.dtype)
    dc_next = _zeros_if_none(g_cn, _state_shape(x, w_hh), x.dtype)
    for t in reversed(range(x.shape[0])):
        h_prev, c_prev, i, f, g, o, c = saved["steps"][t]
        dh = dh_next if g_out is None else g_out[t] + dh_next
        tanh_c = np.tanh(c)
        do = dh * tanh_c
        dc = dc_next + dh * o * (1.0 - tanh_c * tanh_c)  # d tanh(c): 1 - tanh²(c)
        di, df, dg = dc * g, dc * c_prev, dc * i
        da = np.concatenate(
            [
                di * i * (1.0 - i),  # d σ: σ(1 - σ)
                df * f * (1.0 - f),
                dg * (1.0 - g * g),  # d tanh: 1 - g²
                do * o * (1.0 - o),
            ],
            axis=1,
        )
        gx[t] = da @ w_ih
        gw_ih += da.T @ x[t]
        gw_hh += da.T @ h_prev
        gb += da.sum(axis=0)
        dh_next = da @ w_hh
        dc_next = dc * f
    return gx, dh_next, dc_next, gw_ih, gw_hh, *_bias_grads(saved, gb, gb.copy())


def gru_forward_reference(
    x: np.ndarray,
    h0: np.ndarray | None,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
) -> tuple[np.ndarray, dict]:
    """GRU in PyTorch's form (gates [r, z, n], n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)))."""
    n = w_hh.shape[1]
    h = _zeros_if_none(h0, _state_shape(x, w_hh), x.dtype)
    outs, saved = [], []
    for t in range(x.shape[0]):
        ax = _affine(x[t], w_ih, b_ih)
        ah = _affine(h, w_hh, b_hh)
        r = _sigmoid(ax[:, :n] + ah[:, :n])
        z = _sigmoid(ax[:, n : 2 * n] + ah[:, n : 2 * n])
        hn = ah[:, 2 * n :]  # W_hn h + b_hn, which r gates
        cand = np.tanh(ax[:, 2 * n :] + r * hn)
        h_new = (1.0 - z) * cand + z * h
        saved.append((h, r, z, cand, hn))
        h = h_new
        outs.append(h)
    return np.stack(outs), {"steps": saved, "bias": (b_ih is not None, b_hh is not None)}


def gru_backward_reference(
    g_out: np.ndarray | None,
    g_hn: np.ndarray | None,
    x: np.ndarray,
    h0: np.ndarray | None,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    saved: dict,
) -> tuple:
    """Backprop through time for gru_forward_reference."""
    gx = np.zeros_like(x)
    gw_ih, gw_hh = np.zeros_like(w_ih), np.zeros_like(w_hh)
    gb_ih = np.zeros(w_ih.shape[0], dtype=x.dtype)
    gb_hh = np.zeros(w_hh.shape[0], dtype=x.dtype)
    dh_next = _zeros_if_none(g_hn, _state_shape(x, w_hh), x.dtype)
    for t in reversed(range(x.shape[0])):
        h_prev, r, z, cand, hn = saved["steps"][t]
        dh = dh_next if g_out is None else g_out[t] + dh_next
        dcand = dh * (1.0 - z)
        dz = dh * (h_prev - cand)
        dan = dcand * (1.0 - cand * cand)  # d tanh: 1 - n²
        dr = dan * hn
        dar = dr * r * (1.0 - r)  # d σ: σ(1 - σ)
        daz = dz * z * (1.0 - z)
        dax = np.concatenate([dar, daz, dan], axis=1)  # input side: W_in x + b_in enters n directly
        dah = np.concatenate(
            [dar, daz, dan * r], axis=1
        )  # hidden side: W_hn h + b_hn is gated by r
        gx[t] = dax @ w_ih
        gw_ih += dax.T @ x[t]
        gw_hh += dah.T @ h_prev
        gb_ih += dax.sum(axis=0)
        gb_hh += dah.sum(axis=0)
        dh_next = dh * z + dah @ w_hh
    return gx, dh_next, gw_ih, gw_hh, *_bias_grads(saved, gb_ih, gb_hh)

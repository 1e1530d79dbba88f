"""Recurrences over whole sequences as engine ops: one graph node per layer and direction.

The loops live in ``kernels/recurrent.py``. The forward records what backprop through time
needs (every hidden state, cell state and gate activation, in preallocated (T, B, ·) arrays);
the backward runs BPTT once for the whole sequence.

An op has one output array, so a recurrence returns a *packed* node: the outputs of every step
(T, B, H), followed for an LSTM by the final cell state. The tensors handed to the user are
slices of it (``out``, ``h_n = out[-1]``, ``c_n``), so every gradient that reaches any of them
arrives at the one BPTT call.
"""

from __future__ import annotations

import numpy as np

from autograd.tensor import Tensor, recording
from kernels import recurrent as kernels


def _present(*tensors: Tensor | None) -> tuple[Tensor, ...]:
    return tuple(t for t in tensors if t is not None)


def _data(t: Tensor | None) -> np.ndarray | None:
    return None if t is None else t.data


def _grads_for(
    parents: tuple[Tensor, ...], candidates: list[tuple[Tensor | None, np.ndarray | None]]
) -> list:
    """The gradients of the inputs that are parents, in the parents' order."""
    by_id = {id(t): g for t, g in candidates if t is not None}
    return [by_id[id(p)] if p.requires_grad else None for p in parents]


def _renamed(error: Exception, kernel: str, op: str) -> Exception:
    return type(error)(str(error).replace(f"{kernel}:", f"{op}:"))


def rnn(
    x: Tensor,
    h0: Tensor | None,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
    nonlinearity: str = "tanh",
) -> tuple[Tensor, Tensor]:
    """Elman RNN over x (T, B, I): (out (T, B, H), h_n (B, H))."""
    try:
        out, saved = kernels.rnn_forward(
            x.data, _data(h0), w_ih.data, w_hh.data, _data(b_ih), _data(b_hh), nonlinearity
        )
    except (ValueError, TypeError) as error:
        raise _renamed(error, "rnn_forward", "rnn") from None
    parents = _present(x, h0, w_ih, w_hh, b_ih, b_hh)
    if not recording(*parents):
        return Tensor._constant(out), Tensor._constant(out[-1])
    xs, h0s, wih, whh = x.data, _data(h0), w_ih.data, w_hh.data

    def backward(g: np.ndarray) -> list:
        gx, gh0, gwih, gwhh, gbih, gbhh = kernels.rnn_backward(
            g, None, xs, h0s, wih, whh, saved, nonlinearity
        )
        return _grads_for(
            parents, [(x, gx), (h0, gh0), (w_ih, gwih), (w_hh, gwhh), (b_ih, gbih), (b_hh, gbhh)]
        )

    node = Tensor._node(out, parents, backward, "rnn")
    return node, node[-1]


def gru(
    x: Tensor,
    h0: Tensor | None,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
) -> tuple[Tensor, Tensor]:
    """GRU over x (T, B, I), gates [r, z, n] as PyTorch: (out (T, B, H), h_n (B, H))."""
    try:
        out, saved = kernels.gru_forward(
            x.data, _data(h0), w_ih.data, w_hh.data, _data(b_ih), _data(b_hh)
        )
    except (ValueError, TypeError) as error:
        raise _renamed(error, "gru_forward", "gru") from None
    parents = _present(x, h0, w_ih, w_hh, b_ih, b_hh)
    if not recording(*parents):
        return Tensor._constant(out), Tensor._constant(out[-1])
    xs, h0s, wih, whh = x.data, _data(h0), w_ih.data, w_hh.data

    def backward(g: np.ndarray) -> list:
        gx, gh0, gwih, gwhh, gbih, gbhh = kernels.gru_backward(g, None, xs, h0s, wih, whh, saved)
        return _grads_for(
            parents, [(x, gx), (h0, gh0), (w_ih, gwih), (w_hh, gwhh), (b_ih, gbih), (b_hh, gbhh)]
        )

    node = Tensor._node(out, parents, backward, "gru")
    return node, node[-1]


def lstm(
    x: Tensor,
    h0: Tensor | None,
    c0: Tensor | None,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
) -> tuple[Tensor, Tensor, Tensor]:
    """LSTM over x (T, B, I), gates [i, f, g, o] as PyTorch: (out (T, B, H), h_n, c_n)."""
    try:
        out, c_n, saved = kernels.lstm_forward(
            x.data, _data(h0), _data(c0), w_ih.data, w_hh.data, _data(b_ih), _data(b_hh)
        )
    except (ValueError, TypeError) as error:
        raise _renamed(error, "lstm_forward", "lstm") from None
    steps = out.shape[0]
    parents = _present(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    if not recording(*parents):
        return Tensor._constant(out), Tensor._constant(out[-1]), Tensor._constant(c_n)
    packed = np.concatenate([out, c_n[None]])  # steps' outputs, then the final cell state
    xs, h0s, c0s, wih, whh = x.data, _data(h0), _data(c0), w_ih.data, w_hh.data

    def backward(g: np.ndarray) -> list:
        gx, gh0, gc0, gwih, gwhh, gbih, gbhh = kernels.lstm_backward(
            g[:steps], None, g[steps], xs, h0s, c0s, wih, whh, saved
        )
        return _grads_for(
            parents,
            [(x, gx), (h0, gh0), (c0, gc0), (w_ih, gwih), (w_hh, gwhh), (b_ih, gbih), (b_hh, gbhh)],
        )

    node = Tensor._node(packed, parents, backward, "lstm")
    return node[:steps], node[steps - 1], node[steps]

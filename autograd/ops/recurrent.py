"""Recurrences over whole sequences as engine ops: one graph node per layer and direction.

The loops live in ``kernels/recurrent/`` (``op.py``, its NumPy reference beside it). The
forward records what backprop through time needs (every hidden state, cell state and gate
activation, in preallocated (T, B, ·) arrays); the backward runs BPTT once for the whole
sequence.

An op has one output array, so a recurrence returns a *packed* node: the outputs of every step
(T, B, H), followed for an LSTM by the final cell state. The tensors handed to the user are
slices of it (``out``, ``h_n = out[-1]``, ``c_n``), so every gradient that reaches any of them
arrives at the one BPTT call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chaingrad.autograd.grad_mode import is_grad_enabled
from chaingrad.autograd.ops.record import OUT, record
from chaingrad.autograd.tensor import Tensor
from chaingrad.kernels.recurrent import (
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    packed_outputs,
    rnn_backward,
    rnn_forward,
)


def _present(*tensors: Tensor | None) -> tuple[Tensor, ...]:
    return tuple(t for t in tensors if t is not None)


def _data(t: Tensor | None) -> np.ndarray | None:
    return None if t is None else t._data


def _grads_for(
    parents: tuple[Tensor, ...], candidates: list[tuple[Tensor | None, np.ndarray | None]]
) -> list:
    """The gradients of the inputs that are parents, in the parents' order."""
    by_id = {id(t): g for t, g in candidates if t is not None}
    return [by_id[id(p)] if p.requires_grad else None for p in parents]


def _renamed(error: Exception, kernel: str, op: str) -> Exception:
    return type(error)(str(error).replace(f"{kernel}:", f"{op}:"))


def _one_state(
    op: str,
    forward: Any,
    backward_kernel: Any,
    x: Tensor,
    h0: Tensor | None,
    weights: tuple[Tensor, Tensor, Tensor | None, Tensor | None],
    options: tuple[Any, ...] = (),
) -> tuple[Tensor, Tensor]:
    """A recurrence with one state (RNN, GRU): one node for the whole sequence."""
    w_ih, w_hh, b_ih, b_hh = weights
    try:
        out, saved = forward(
            x._data, _data(h0), w_ih._data, w_hh._data, _data(b_ih), _data(b_hh), *options
        )
    except (ValueError, TypeError) as error:
        raise _renamed(error, f"{op}_forward", op) from None
    parents = _present(x, h0, *weights)
    xs, h0s, wih, whh = x._data, _data(h0), w_ih._data, w_hh._data

    def backward(g: np.ndarray) -> list:
        # backprop through time over the whole sequence, from the states saved in the forward
        gx, gh0, gwih, gwhh, gbih, gbhh = backward_kernel(
            g, None, xs, h0s, wih, whh, saved, *options
        )
        return _grads_for(
            parents, [(x, gx), (h0, gh0), (w_ih, gwih), (w_hh, gwhh), (b_ih, gbih), (b_hh, gbhh)]
        )

    # fresh: BPTT returns arrays of its own for every gradient (kernels/recurrent/op.py), so the
    # engine may adopt them instead of copying (a (4H, H) weight gradient: ~30 µs at H 128)
    node = record(op, out, parents, backward, saved=_present(x, h0, w_ih, w_hh), fresh=True)
    return node, node[-1]


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
    weights = (w_ih, w_hh, b_ih, b_hh)
    return _one_state("rnn", rnn_forward, rnn_backward, x, h0, weights, (nonlinearity,))


def gru(
    x: Tensor,
    h0: Tensor | None,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
) -> tuple[Tensor, Tensor]:
    """GRU over x (T, B, I), gates [r, z, n] as PyTorch: (out (T, B, H), h_n (B, H))."""
    return _one_state("gru", gru_forward, gru_backward, x, h0, (w_ih, w_hh, b_ih, b_hh))


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
        out, c_n, saved = lstm_forward(
            x._data, _data(h0), _data(c0), w_ih._data, w_hh._data, _data(b_ih), _data(b_hh)
        )
    except (ValueError, TypeError) as error:
        raise _renamed(error, "lstm_forward", "lstm") from None
    steps = out.shape[0]
    parents = _present(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    if not any(p.requires_grad for p in parents) or not is_grad_enabled():
        # nothing is recorded: the outputs need not be packed into one array
        return (
            record("lstm", out, parents, None),
            record("lstm", out[-1], parents, None),
            record("lstm", c_n, parents, None),
        )
    # steps' outputs, then the final cell state: a view of the kernel's buffer, no copy; it
    # shares memory with the record backward reads (saved.h[1:] is out), hence OUT in saved
    packed = packed_outputs(out, c_n)
    xs, h0s, c0s, wih, whh = x._data, _data(h0), _data(c0), w_ih._data, w_hh._data

    def backward(g: np.ndarray) -> list:
        gx, gh0, gc0, gwih, gwhh, gbih, gbhh = lstm_backward(
            g[:steps], None, g[steps], xs, h0s, c0s, wih, whh, saved
        )
        return _grads_for(
            parents,
            [(x, gx), (h0, gh0), (c0, gc0), (w_ih, gwih), (w_hh, gwhh), (b_ih, gbih), (b_hh, gbhh)],
        )

    saved_tensors = (*_present(x, h0, c0, w_ih, w_hh), OUT)
    node = record("lstm", packed, parents, backward, saved=saved_tensors, fresh=True)  # as above
    return node[:steps], node[steps - 1], node[steps]

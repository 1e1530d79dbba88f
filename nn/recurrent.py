"""Recurrent layers and cells with PyTorch's names, shapes, gate order and initialisation.

``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` run each layer and direction as one engine op over the
whole sequence (the loop is a numba kernel); the reverse direction reads the sequence backwards.
Parameters are named ``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0`` (and
``..._reverse``), so a PyTorch state dict loads as it is. Every weight and bias starts
U(±1/√hidden_size), as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chaingrad.autograd import Tensor, concatenate, stack
from chaingrad.autograd import functional as ops
from chaingrad.nn import functional as F
from chaingrad.nn import init
from chaingrad.nn.module import Module, Parameter

GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def _uniform(shape: tuple[int, ...], hidden_size: int) -> Parameter:
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0  # torch's rule for cells
    return Parameter(init.generator().uniform(-bound, bound, shape).astype(np.float32))


class _RecurrentBase(Module):
    """Shared by RNN, LSTM and GRU: parameters per layer and direction, the layer loop."""

    mode = "RNN"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if hidden_size < 1:  # PyTorch's check; U(±1/√0) would divide by zero
            raise ValueError(f"{name}: hidden_size must be greater than zero, got {hidden_size}")
        if num_layers < 1:
            raise ValueError(f"{name}: num_layers must be at least 1, got {num_layers}")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be in [0, 1], got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.nonlinearity, self.bias = nonlinearity, bias
        self.batch_first, self.dropout, self.bidirectional = batch_first, dropout, bidirectional
        self.generator = None  # dropout between layers draws from the default stream
        gates = GATES[self.mode] * hidden_size
        directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                setattr(self, f"weight_ih{suffix}", _uniform((gates, layer_input), hidden_size))
                setattr(self, f"weight_hh{suffix}", _uniform((gates, hidden_size), hidden_size))
                if bias:
                    setattr(self, f"bias_ih{suffix}", _uniform((gates,), hidden_size))
                    setattr(self, f"bias_hh{suffix}", _uniform((gates,), hidden_size))

    def _weights(self, layer: int, direction: int) -> tuple[Any, ...]:
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        return tuple(
            getattr(self, f"{kind}{suffix}", None)
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        )

    def _check_input(self, x: Tensor) -> tuple[Tensor, bool]:
        """The input as time-major (T, B, I), and whether it came unbatched."""
        name = type(self).__name__
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            layout = "(B, T, {0})" if self.batch_first else "(T, B, {0})"
            raise ValueError(
                f"{name}: expected input of shape {layout.format(self.input_size)} or "
                f"(T, {self.input_size}) unbatched, got {x.shape}"
            )
        if x.ndim == 2:
            return x.unsqueeze(1), True
        return (x.transpose(0, 1) if self.batch_first else x), False

    def _check_state(self, state: Any, batch: int, unbatched: bool, label: str) -> Tensor | None:
        if state is None:
            return None
        state = state if isinstance(state, Tensor) else Tensor(state)
        layers = self.num_layers * (2 if self.bidirectional else 1)
        expected = (layers, self.hidden_size) if unbatched else (layers, batch, self.hidden_size)
        if state.shape != expected:
            raise ValueError(
                f"{type(self).__name__}: {label} must have shape {expected}, got {state.shape}"
            )
        return state.unsqueeze(1) if unbatched else state

    def _run(self, x: Any, h0: Any, c0: Any) -> tuple[Tensor, Tensor, Tensor | None]:
        x = x if isinstance(x, Tensor) else Tensor(x)
        seq, unbatched = self._check_input(x)
        batch = seq.shape[1]
        h0 = self._check_state(h0, batch, unbatched, "h0")
        c0 = self._check_state(c0, batch, unbatched, "c0")
        directions = 2 if self.bidirectional else 1
        finals_h: list[Tensor] = []
        finals_c: list[Tensor] = []
        layer_input = seq
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                inputs = (
                    layer_input if direction == 0 else layer_input[::-1]
                )  # reverse reads backwards
                h = None if h0 is None else h0[index]
                c = None if c0 is None else c0[index]
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
                if self.mode == "LSTM":
                    out, h_n, c_n = ops.lstm(inputs, h, c, w_ih, w_hh, b_ih, b_hh)
                    finals_c.append(c_n)
                elif self.mode == "GRU":
                    out, h_n = ops.gru(inputs, h, w_ih, w_hh, b_ih, b_hh)
                else:
                    out, h_n = ops.rnn(inputs, h, w_ih, w_hh, b_ih, b_hh, self.nonlinearity)
                outputs.append(out if direction == 0 else out[::-1])
                finals_h.append(h_n)
            layer_input = outputs[0] if directions == 1 else concatenate(outputs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True, seed=self.generator)
        output = layer_input
        h_n = stack(finals_h)
        c_n = stack(finals_c) if finals_c else None
        if unbatched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, h_n, c_n

    def extra_repr(self) -> str:
        options = [f"{self.input_size}, {self.hidden_size}"]
        if self.num_layers != 1:
            options.append(f"num_layers={self.num_layers}")
        if self.mode == "RNN" and self.nonlinearity != "tanh":
            options.append(f"nonlinearity={self.nonlinearity!r}")
        for flag in ("batch_first", "bidirectional"):
            if getattr(self, flag):
                options.append(f"{flag}=True")
        if not self.bias:
            options.append("bias=False")
        if self.dropout:
            options.append(f"dropout={self.dropout}")
        return ", ".join(options)


class RNN(_RecurrentBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu)."""

    mode = "RNN"

    def forward(self, x: Any, h0: Any = None) -> tuple[Tensor, Tensor]:
        """(output (T, B, D·H), h_n (L·D, B, H)); shapes as PyTorch."""
        output, h_n, _ = self._run(x, h0, None)
        return output, h_n


class _GatedBase(_RecurrentBase):
    """GRU and LSTM take PyTorch's arguments without ``nonlinearity``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        super().__init__(
            input_size, hidden_size, num_layers, "tanh", bias, batch_first, dropout, bidirectional
        )


class GRU(_GatedBase):
    """GRU, gates r, z, n with n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), as PyTorch."""

    mode = "GRU"

    def forward(self, x: Any, h0: Any = None) -> tuple[Tensor, Tensor]:
        """(output (T, B, D·H), h_n (L·D, B, H)); shapes as PyTorch."""
        output, h_n, _ = self._run(x, h0, None)
        return output, h_n


class LSTM(_GatedBase):
    """LSTM, gates i, f, g, o: c_t = f ⊙ c_{t-1} + i ⊙ g, h_t = o ⊙ tanh(c_t)."""

    mode = "LSTM"

    def forward(
        self, x: Any, hx: tuple[Any, Any] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """(output, (h_n, c_n)); ``hx`` is (h0, c0), each (L·D, B, H); shapes as PyTorch."""
        h0, c0 = (None, None) if hx is None else hx
        output, h_n, c_n = self._run(x, h0, c0)
        return output, (h_n, c_n)  # type: ignore[return-value]


class _CellBase(Module):
    """One time step; runs the sequence op on a sequence of length 1."""

    mode = "RNN"

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"
    ) -> None:
        super().__init__()
        if nonlinearity not in ("tanh", "relu"):
            name = type(self).__name__
            raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.input_size, self.hidden_size, self.nonlinearity = input_size, hidden_size, nonlinearity
        gates = GATES[self.mode] * hidden_size
        self.weight_ih = _uniform((gates, input_size), hidden_size)
        self.weight_hh = _uniform((gates, hidden_size), hidden_size)
        self.bias_ih = _uniform((gates,), hidden_size) if bias else None
        self.bias_hh = _uniform((gates,), hidden_size) if bias else None

    def _step_input(self, x: Any) -> tuple[Tensor, bool]:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: expected input of shape (B, {self.input_size}) or "
                f"({self.input_size},), got {x.shape}"
            )
        unbatched = x.ndim == 1
        return (x.unsqueeze(0) if unbatched else x).unsqueeze(0), unbatched  # (1, B, I)

    def _state(self, state: Any, batch: int, unbatched: bool) -> Tensor | None:
        if state is None:
            return None
        state = state if isinstance(state, Tensor) else Tensor(state)
        expected = (self.hidden_size,) if unbatched else (batch, self.hidden_size)
        if state.shape != expected:
            raise ValueError(
                f"{type(self).__name__}: the state must have shape {expected}, got {state.shape}"
            )
        return state.unsqueeze(0) if unbatched else state

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class RNNCell(_CellBase):
    """One Elman step: h' = tanh(W_ih x + b_ih + W_hh h + b_hh)."""

    mode = "RNN"

    def forward(self, x: Any, hx: Any = None) -> Tensor:
        """The next hidden state (B, H)."""
        seq, unbatched = self._step_input(x)
        h = self._state(hx, seq.shape[1], unbatched)
        _, h_n = ops.rnn(
            seq, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity
        )
        return h_n.squeeze(0) if unbatched else h_n


class GRUCell(_CellBase):
    """One GRU step (PyTorch's form)."""

    mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias)

    def forward(self, x: Any, hx: Any = None) -> Tensor:
        """The next hidden state (B, H)."""
        seq, unbatched = self._step_input(x)
        h = self._state(hx, seq.shape[1], unbatched)
        _, h_n = ops.gru(seq, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h_n.squeeze(0) if unbatched else h_n


class LSTMCell(_CellBase):
    """One LSTM step; ``hx`` is (h, c)."""

    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias)

    def forward(self, x: Any, hx: tuple[Any, Any] | None = None) -> tuple[Tensor, Tensor]:
        """The next (h, c), each (B, H)."""
        seq, unbatched = self._step_input(x)
        h0, c0 = (None, None) if hx is None else hx
        h = self._state(h0, seq.shape[1], unbatched)
        c = self._state(c0, seq.shape[1], unbatched)
        _, h_n, c_n = ops.lstm(
            seq, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh
        )
        return (h_n.squeeze(0), c_n.squeeze(0)) if unbatched else (h_n, c_n)

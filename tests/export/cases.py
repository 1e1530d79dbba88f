"""The layer kinds export covers: (id, model factory, input factory), shared by the tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import chaingrad as cg
import chaingrad.nn as nn


def _bn(cls: type, n: int) -> nn.Module:
    """A batch-norm layer with non-trivial running statistics and affine parameters."""
    layer = cls(n)
    rng = np.random.default_rng(1)
    layer.running_mean = rng.standard_normal(n).astype(np.float32)
    layer.running_var = rng.uniform(0.5, 2.0, n).astype(np.float32)
    with cg.no_grad():
        layer.weight.copy_(cg.tensor(rng.uniform(0.5, 1.5, n).astype(np.float32)))
        layer.bias.copy_(cg.tensor(rng.standard_normal(n).astype(np.float32)))
    return layer


def floats(*shape: int) -> Callable[[np.random.Generator], Any]:
    return lambda rng: rng.standard_normal(shape).astype(np.float32)


def ints(high: int, *shape: int) -> Callable[[np.random.Generator], Any]:
    return lambda rng: rng.integers(0, high, shape)


class Custom(nn.Module):
    """A user module: layers plus chaingrad ops between them (what to_torch must trace)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.block = nn.Sequential(nn.Linear(12, 8), nn.Tanh())
        self.head = nn.Linear(8, 4)
        self.scale = nn.Parameter(np.full(4, 0.5, np.float32))

    def forward(self, x: Any) -> Any:
        h = self.conv(x).relu()
        h = h.mean(axis=(2, 3), keepdims=False)  # (N, 3)
        h = cg.cat([h, h * 2.0, h - 1.0, -h], dim=1)  # (N, 12)
        z = self.block(h)
        y = self.head(z + z.sigmoid()) * self.scale
        return y.transpose(0, 1).permute(1, 0).log_softmax(-1)


class Recurrent(nn.Module):
    """Embedding → LSTM (2 layers, bidirectional) → Linear, as a character model."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(11, 5)
        self.lstm = nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(12, 11)

    def forward(self, idx: Any) -> Any:
        out, (h, c) = self.lstm(self.embed(idx))
        return self.head(out).permute(0, 2, 1), h, c


CASES: list[tuple[str, Callable[[], nn.Module], Callable[[np.random.Generator], Any]]] = [
    ("linear", lambda: nn.Linear(4, 3), floats(5, 4)),
    ("linear-3d", lambda: nn.Linear(4, 3, bias=False), floats(2, 5, 4)),
    ("conv1d", lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1), floats(2, 2, 9)),
    ("conv2d", lambda: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0)), floats(2, 2, 7, 6)),
    ("maxpool2d", lambda: nn.MaxPool2d(3, stride=2, padding=1), floats(2, 3, 7, 7)),
    ("avgpool2d", lambda: nn.AvgPool2d(2, padding=1), floats(2, 3, 5, 5)),
    ("adaptiveavgpool2d-1", lambda: nn.AdaptiveAvgPool2d(1), floats(2, 3, 5, 4)),
    ("adaptiveavgpool2d-2", lambda: nn.AdaptiveAvgPool2d(2), floats(2, 3, 4, 6)),
    ("batchnorm1d", lambda: _bn(nn.BatchNorm1d, 4), floats(5, 4)),
    ("batchnorm1d-3d", lambda: _bn(nn.BatchNorm1d, 4), floats(5, 4, 3)),
    ("batchnorm2d", lambda: _bn(nn.BatchNorm2d, 3), floats(2, 3, 4, 4)),
    ("layernorm", lambda: nn.LayerNorm(4), floats(3, 2, 4)),
    ("layernorm-2d", lambda: nn.LayerNorm((2, 4)), floats(3, 2, 4)),
    ("dropout", lambda: nn.Dropout(0.3), floats(3, 4)),
    ("embedding", lambda: nn.Embedding(10, 4), ints(10, 3, 5)),
    ("flatten", lambda: nn.Flatten(), floats(2, 3, 4, 2)),
    ("flatten-1-2", lambda: nn.Flatten(1, 2), floats(2, 3, 4, 2)),
    ("relu", lambda: nn.ReLU(), floats(3, 4)),
    ("leakyrelu", lambda: nn.LeakyReLU(0.2), floats(3, 4)),
    ("tanh", lambda: nn.Tanh(), floats(3, 4)),
    ("sigmoid", lambda: nn.Sigmoid(), floats(3, 4)),
    ("elu", lambda: nn.ELU(0.5), floats(3, 4)),
    ("selu", lambda: nn.SELU(), floats(3, 4)),
    ("softmax", lambda: nn.Softmax(1), floats(3, 4, 2)),
    ("logsoftmax", lambda: nn.LogSoftmax(-1), floats(3, 4)),
    ("rnn", lambda: nn.RNN(4, 5, num_layers=2, nonlinearity="relu"), floats(6, 3, 4)),
    ("lstm", lambda: nn.LSTM(4, 5, bidirectional=True), floats(6, 3, 4)),
    ("gru", lambda: nn.GRU(4, 5, num_layers=2, batch_first=True), floats(3, 6, 4)),
    ("rnncell", lambda: nn.RNNCell(4, 5), floats(3, 4)),
    ("lstmcell", lambda: nn.LSTMCell(4, 5), floats(3, 4)),
    ("grucell", lambda: nn.GRUCell(4, 5), floats(3, 4)),
    ("residual", lambda: nn.Residual(nn.Sequential(nn.Linear(4, 4), nn.Tanh())), floats(3, 4)),
    (
        "sequential-cnn",
        lambda: nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            _bn(nn.BatchNorm2d, 4),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(16, 3),
        ),
        floats(2, 1, 4, 4),
    ),
    ("mlp", lambda: nn.MLP([4, 8, 3]), floats(5, 4)),
    ("custom", Custom, floats(2, 2, 2, 2)),
    ("custom-recurrent", Recurrent, ints(11, 2, 7)),
]


def flat(out: Any) -> list[Any]:
    """A model's output (a tensor or nested tuples of them) as a flat list."""
    if isinstance(out, tuple | list):
        return [leaf for item in out for leaf in flat(item)]
    return [out]

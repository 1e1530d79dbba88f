"""The engine's ops as plain functions: the public surface that ``chaingrad.nn`` builds on.

``chaingrad.nn`` (and any code outside the engine) imports ops from here or from
``chaingrad.autograd``, never from ``chaingrad.autograd.ops.*``: those modules are the engine's
inside and may change shape. Every function here records a graph node (when gradients are on)
whose local gradient is documented where the op is defined.

Not PyTorch's ``torch.autograd.functional`` (jacobian, hessian, ...), which chaingrad does not
have: this is the engine side of ``torch.nn.functional``.
"""

from __future__ import annotations

from typing import Any

from chaingrad.autograd.ops.conv import _pair, avg_pool2d, conv1d, conv2d, max_pool2d
from chaingrad.autograd.ops.elementwise import (
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    log_sigmoid,
    relu,
    selu,
    sigmoid,
    silu,
    softplus,
    tanh,
)
from chaingrad.autograd.ops.linalg import linear
from chaingrad.autograd.ops.losses import (
    REDUCTIONS,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    nll_loss,
)
from chaingrad.autograd.ops.normalization import batch_norm
from chaingrad.autograd.ops.recurrent import gru, lstm, rnn
from chaingrad.autograd.ops.shapes import pad as pad_width
from chaingrad.autograd.ops.softmax import log_softmax, softmax
from chaingrad.autograd.tensor import as_tensor

__all__ = [
    "REDUCTIONS",
    "as_tensor",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "cross_entropy",
    "elu",
    "gelu",
    "gru",
    "hardtanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "lstm",
    "max_pool2d",
    "nll_loss",
    "pad_width",
    "pair",
    "relu",
    "rnn",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]


def pair(value: Any, name: str = "value", op: str = "pair") -> tuple[int, int]:
    """An int or a pair of ints as a pair of ints; anything else is a TypeError naming ``op``.

    As PyTorch's ``_pair`` for ``kernel_size``/``stride``/``padding``, but it refuses bools,
    floats and sequences of other lengths instead of passing them on.
    """
    return _pair(value, name, op)

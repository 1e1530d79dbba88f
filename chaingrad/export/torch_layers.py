"""Layer-by-layer translation between chaingrad and ``torch.nn`` (torch imported lazily).

Both libraries use the same parameter names, shapes and gate orders, so a layer translates as
"build the twin with the same hyper-parameters, then copy the state dict". ``Residual`` has no
torch twin: ``TorchResidual`` (in ``torch_modules``) plays that part.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import chaingrad.nn as nn
from chaingrad.autograd import no_grad

# chaingrad class -> function(layer, torch) -> torch module (weights are copied afterwards)
_TO_TORCH: dict[type, Callable[[Any, Any], Any]] = {
    nn.Linear: lambda m, t: t.nn.Linear(m.in_features, m.out_features, bias=m.bias is not None),
    nn.Conv2d: lambda m, t: t.nn.Conv2d(
        m.in_channels,
        m.out_channels,
        m.kernel_size,
        stride=m.stride,
        padding=m.padding,
        groups=m.groups,
        bias=m.bias is not None,
    ),
    nn.Conv1d: lambda m, t: t.nn.Conv1d(
        m.in_channels,
        m.out_channels,
        m.kernel_size,
        stride=m.stride,
        padding=m.padding,
        bias=m.bias is not None,
    ),
    nn.MaxPool2d: lambda m, t: t.nn.MaxPool2d(m.kernel_size, m.stride, m.padding),
    nn.AvgPool2d: lambda m, t: t.nn.AvgPool2d(m.kernel_size, m.stride, m.padding),
    nn.AdaptiveAvgPool2d: lambda m, t: t.nn.AdaptiveAvgPool2d(m.output_size),
    nn.BatchNorm1d: lambda m, t: t.nn.BatchNorm1d(m.num_features, m.eps, m.momentum),
    nn.BatchNorm2d: lambda m, t: t.nn.BatchNorm2d(m.num_features, m.eps, m.momentum),
    nn.LayerNorm: lambda m, t: t.nn.LayerNorm(
        m.normalized_shape,
        m.eps,
        elementwise_affine=m.elementwise_affine,
        bias=m.bias is not None,
    ),
    nn.Dropout: lambda m, t: t.nn.Dropout(m.p),
    nn.Embedding: lambda m, t: t.nn.Embedding(m.num_embeddings, m.embedding_dim),
    nn.Flatten: lambda m, t: t.nn.Flatten(m.start_axis, m.end_axis),
    nn.ReLU: lambda m, t: t.nn.ReLU(),
    nn.LeakyReLU: lambda m, t: t.nn.LeakyReLU(m.slope),
    nn.Tanh: lambda m, t: t.nn.Tanh(),
    nn.Sigmoid: lambda m, t: t.nn.Sigmoid(),
    nn.ELU: lambda m, t: t.nn.ELU(m.alpha),
    nn.SELU: lambda m, t: t.nn.SELU(),
    nn.GELU: lambda m, t: t.nn.GELU(approximate=m.approximate),
    nn.Softmax: lambda m, t: t.nn.Softmax(m.axis),
    nn.LogSoftmax: lambda m, t: t.nn.LogSoftmax(m.axis),
    nn.Identity: lambda m, t: t.nn.Identity(),
}


def _recurrent(kind: str) -> Callable[[Any, Any], Any]:
    def build(m: Any, t: Any) -> Any:
        kwargs: dict[str, Any] = {
            "num_layers": m.num_layers,
            "bias": m.bias,
            "batch_first": m.batch_first,
            "dropout": m.dropout,
            "bidirectional": m.bidirectional,
        }
        if kind == "RNN":
            kwargs["nonlinearity"] = m.nonlinearity
        return getattr(t.nn, kind)(m.input_size, m.hidden_size, **kwargs)

    return build


def _cell(kind: str) -> Callable[[Any, Any], Any]:
    def build(m: Any, t: Any) -> Any:
        kwargs: dict[str, Any] = {"bias": m.bias_ih is not None}
        if kind == "RNNCell":
            kwargs["nonlinearity"] = m.nonlinearity
        return getattr(t.nn, kind)(m.input_size, m.hidden_size, **kwargs)

    return build


for _kind in ("RNN", "LSTM", "GRU"):
    _TO_TORCH[getattr(nn, _kind)] = _recurrent(_kind)
for _kind in ("RNNCell", "LSTMCell", "GRUCell"):
    _TO_TORCH[getattr(nn, _kind)] = _cell(_kind)

LAYERS: tuple[type, ...] = tuple(_TO_TORCH)  # the atomic layers export knows


def is_layer(module: Any) -> bool:
    """True when ``module`` is one of the layers that translate one to one (exact class)."""
    return type(module) in _TO_TORCH


def layer_to_torch(module: Any, torch: Any) -> Any:
    """The torch twin of one chaingrad layer, weights and training flag copied."""
    twin = _TO_TORCH[type(module)](module, torch)
    copy_into_torch(module, twin, torch)
    return twin


def copy_into_torch(module: Any, twin: Any, torch: Any) -> None:
    """Copy a chaingrad state dict into a torch module with the same names (strict)."""
    state = {k: torch.from_numpy(np.array(v)) for k, v in module.state_dict().items()}
    twin.load_state_dict(state, strict=True)
    twin.train(module.training)


# torch class name -> function(torch module) -> chaingrad module (weights copied afterwards)
def _from_torch_table() -> dict[str, Callable[[Any], Any]]:
    def rnn(kind: str) -> Callable[[Any], Any]:
        def build(m: Any) -> Any:
            kwargs: dict[str, Any] = {
                "num_layers": m.num_layers,
                "bias": m.bias,
                "batch_first": m.batch_first,
                "dropout": m.dropout,
                "bidirectional": m.bidirectional,
            }
            if kind == "RNN":
                kwargs["nonlinearity"] = m.nonlinearity
            return getattr(nn, kind)(m.input_size, m.hidden_size, **kwargs)

        return build

    def cell(kind: str) -> Callable[[Any], Any]:
        def build(m: Any) -> Any:
            kwargs: dict[str, Any] = {"bias": m.bias}
            if kind == "RNNCell":
                kwargs["nonlinearity"] = m.nonlinearity
            return getattr(nn, kind)(m.input_size, m.hidden_size, **kwargs)

        return build

    table: dict[str, Callable[[Any], Any]] = {
        "Linear": lambda m: nn.Linear(m.in_features, m.out_features, bias=m.bias is not None),
        "Conv2d": lambda m: nn.Conv2d(
            m.in_channels,
            m.out_channels,
            m.kernel_size,
            m.stride,
            _padding(m),
            bias=m.bias is not None,
            groups=m.groups,
        ),
        "Conv1d": lambda m: nn.Conv1d(
            m.in_channels,
            m.out_channels,
            m.kernel_size[0],
            m.stride[0],
            _padding(m)[0],
            bias=m.bias is not None,
        ),
        "MaxPool2d": lambda m: nn.MaxPool2d(m.kernel_size, m.stride, m.padding),
        "AvgPool2d": lambda m: nn.AvgPool2d(m.kernel_size, m.stride, m.padding),
        "AdaptiveAvgPool2d": lambda m: nn.AdaptiveAvgPool2d(m.output_size),
        "BatchNorm1d": lambda m: nn.BatchNorm1d(m.num_features, m.eps, m.momentum),
        "BatchNorm2d": lambda m: nn.BatchNorm2d(m.num_features, m.eps, m.momentum),
        "LayerNorm": lambda m: nn.LayerNorm(
            tuple(m.normalized_shape),
            m.eps,
            elementwise_affine=m.elementwise_affine,
            bias=m.bias is not None,
        ),
        "Dropout": lambda m: nn.Dropout(m.p),
        "Embedding": lambda m: nn.Embedding(m.num_embeddings, m.embedding_dim),
        "Flatten": lambda m: nn.Flatten(m.start_dim, m.end_dim),
        "ReLU": lambda m: nn.ReLU(),
        "LeakyReLU": lambda m: nn.LeakyReLU(m.negative_slope),
        "Tanh": lambda m: nn.Tanh(),
        "Sigmoid": lambda m: nn.Sigmoid(),
        "ELU": lambda m: nn.ELU(m.alpha),
        "SELU": lambda m: nn.SELU(),
        "GELU": lambda m: nn.GELU(m.approximate),
        "Softmax": lambda m: nn.Softmax(m.dim),
        "LogSoftmax": lambda m: nn.LogSoftmax(m.dim),
        "Identity": lambda m: nn.Identity(),
    }
    for kind in ("RNN", "LSTM", "GRU"):
        table[kind] = rnn(kind)
    for kind in ("RNNCell", "LSTMCell", "GRUCell"):
        table[kind] = cell(kind)
    return table


def _padding(m: Any) -> Any:
    if isinstance(m.padding, str) or m.padding_mode != "zeros" or any(d != 1 for d in m.dilation):
        raise ValueError(
            f"from_torch: {type(m).__name__} with padding={m.padding!r}, "
            f"padding_mode={m.padding_mode!r}, dilation={m.dilation} has no chaingrad twin "
            "(only zero padding given as numbers, dilation 1)"
        )
    if m.groups != 1 and type(m).__name__ != "Conv2d":  # chaingrad groups only 2-D convs
        raise ValueError(f"from_torch: {type(m).__name__} with groups={m.groups} is not supported")
    return m.padding


def layer_from_torch(module: Any) -> Any | None:
    """The chaingrad twin of one torch layer (weights copied), or None if it has none."""
    if type(module).__module__.split(".")[0] != "torch":
        return None
    build = _from_torch_table().get(type(module).__name__)
    if build is None:
        return None
    twin = build(module)
    copy_from_torch(module, twin)
    return twin


def copy_from_torch(module: Any, twin: Any) -> None:
    """Copy a torch state dict into a chaingrad module with the same names (strict)."""
    state = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
    with no_grad():
        twin.load_state_dict(state, strict=True)
    twin.train(module.training)

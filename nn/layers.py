"""Layers with parameters or state: Linear, MLP, Flatten, Dropout, Embedding, Residual."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from chaingrad.autograd import Tensor
from chaingrad.nn import functional as F
from chaingrad.nn import init
from chaingrad.nn.activations import activation as make_activation
from chaingrad.nn.containers import Sequential
from chaingrad.nn.module import Module, Parameter


class Linear(Module):
    """y = x Wᵀ + b over the last axis; W is (out, in), both initialised U(±1/√in) as PyTorch."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(init.default_uniform((out_features, in_features), in_features))
        self.bias = Parameter(init.default_uniform((out_features,), in_features)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """Apply the affine map."""
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"


class MLP(Sequential):
    """Linear layers of the given sizes with an activation between them: ``MLP([2, 16, 16, 1])``.

    Layers are numbered as in a Sequential ("0.weight", "2.weight", ... with the activations in
    between); ``output_activation`` (default none) follows the last layer.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | type[Module] | Module | None = "relu",
        output_activation: str | type[Module] | Module | None = None,
    ) -> None:
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs an input and an output size, got {list(sizes)}")
        make_activation(activation)  # a bad name fails here even without hidden layers
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            layers.append(Linear(n_in, n_out))
            last = i == len(sizes) - 2
            spec = output_activation if last else activation
            if spec is not None:
                layers.append(make_activation(spec))
        super().__init__(*layers)


class Flatten(Module):
    """Merge axes ``start_dim``..``end_dim`` (default: all but the batch axis); ``start_axis``
    and ``end_axis`` are the NumPy-style aliases."""

    def __init__(
        self,
        start_dim: int = 1,
        end_dim: int = -1,
        *,
        start_axis: int | None = None,
        end_axis: int | None = None,
    ) -> None:
        super().__init__()
        self.start_axis = start_dim if start_axis is None else start_axis
        self.end_axis = end_dim if end_axis is None else end_axis

    @property
    def start_dim(self) -> int:
        """PyTorch's name for ``start_axis``."""
        return self.start_axis

    @property
    def end_dim(self) -> int:
        """PyTorch's name for ``end_axis``."""
        return self.end_axis

    def forward(self, x: Tensor) -> Tensor:
        """Flatten x."""
        return x.flatten(self.start_axis, self.end_axis)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_axis}, end_dim={self.end_axis}"


class Dropout(Module):
    """Inverted dropout; the identity in evaluation mode. Masks come from the default stream
    (``chaingrad.manual_seed``), or from the layer's own stream when given ``seed``."""

    def __init__(self, p: float = 0.5, inplace: bool = False, seed: int | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        # inplace=True is accepted and the result returned as a new tensor (the input is
        # left unchanged): inside a model the returned value is what flows on, as in PyTorch
        self.inplace = inplace
        self.p = p
        self.generator = None if seed is None else np.random.default_rng(seed)

    def forward(self, x: Tensor) -> Tensor:
        """Drop and rescale in training; pass through in evaluation."""
        return F.dropout(x, self.p, self.training, seed=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Embedding(Module):
    """A lookup table: integer indices → rows of ``weight`` (num_embeddings, dim), init N(0, 1)."""

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        weight = init.generator().standard_normal((num_embeddings, embedding_dim))
        self.weight = Parameter(weight.astype(np.float32))

    def forward(self, indices: Any) -> Tensor:
        """Look up the rows."""
        return F.embedding(indices, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class Residual(Module):
    """x + module(x): the shortcut connection that lets gradients bypass a block."""

    def __init__(self, module: Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: Tensor) -> Tensor:
        """Add the block's output to its input."""
        return x + self.module(x)

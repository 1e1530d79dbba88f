"""Adaptive pooling, channel dropout and ``Unflatten``: the shape-level layers of CNN tutorials."""

from __future__ import annotations

from typing import Any

import numpy as np

from chaingrad.autograd import Tensor
from chaingrad.nn import functional as F
from chaingrad.nn.module import Module


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size`` (int, pair, None keeps a size); (1, 1) is global
    average pooling."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        """Pool."""
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed ``output_size`` over PyTorch's adaptive windows."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        if return_indices:
            raise ValueError("AdaptiveMaxPool2d: return_indices=True is not supported")
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        """Pool."""
        return F.adaptive_max_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Dropout2d(Module):
    """Zero whole channels with probability p (scaling the rest by 1/(1-p)) in training; the
    identity in evaluation. Masks come from the default stream (``chaingrad.manual_seed``)."""

    def __init__(self, p: float = 0.5, inplace: bool = False, seed: int | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout2d: p must be in [0, 1], got {p}")
        # inplace=True is accepted and the result returned as a new tensor (the input is
        # left unchanged): inside a model the returned value is what flows on, as in PyTorch
        self.inplace = inplace
        self.p = p
        self.generator = None if seed is None else np.random.default_rng(seed)

    def forward(self, x: Tensor) -> Tensor:
        """Drop channels in training; pass through in evaluation."""
        return F.dropout2d(x, self.p, self.training, seed=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (one entry may be -1), undoing ``Flatten``."""

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(int(s) for s in unflattened_size)

    def forward(self, x: Tensor) -> Tensor:
        """Reshape x."""
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"Unflatten: dim {self.dim} is out of range for shape {x.shape}")
        ax = self.dim % x.ndim
        known = int(np.prod([s for s in self.unflattened_size if s != -1]))
        size = x.shape[ax]
        if (-1 not in self.unflattened_size and known != size) or (known and size % known):
            raise ValueError(
                f"Unflatten: axis {self.dim} of size {size} cannot become {self.unflattened_size}"
            )
        return x.reshape(*x.shape[:ax], *self.unflattened_size, *x.shape[ax + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"

"""Batch normalisation layers with running statistics, as PyTorch's."""

from __future__ import annotations

import numpy as np

from chaingrad.autograd import Tensor
from chaingrad.nn import functional as F
from chaingrad.nn.module import Module, Parameter


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d; subclasses say which input ranks they take."""

    ranks: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.weight = Parameter(np.ones(num_features, np.float32))
        self.bias = Parameter(np.zeros(num_features, np.float32))
        self.register_buffer("running_mean", np.zeros(num_features, np.float32))
        self.register_buffer("running_var", np.ones(num_features, np.float32))
        self.register_buffer("num_batches_tracked", np.array(0, np.int64))

    def forward(self, x: Tensor) -> Tensor:
        """Normalise with batch statistics in training, running statistics in evaluation."""
        if x.ndim not in self.ranks or x.shape[1] != self.num_features:
            expected = " or ".join(f"{r}-D" for r in self.ranks)
            raise ValueError(
                f"{type(self).__name__}: expected {expected} input with {self.num_features} "
                f"channels on axis 1, got shape {x.shape}"
            )
        if self.training:
            self.num_batches_tracked = self.num_batches_tracked + 1
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=self.training,
            momentum=self.momentum,
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input, per channel C."""

    ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input, per channel C."""

    ranks = (4,)


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` axes of each sample; ``weight`` (ones)
    and ``bias`` (zeros) have that shape, as PyTorch's."""

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = (
            Parameter(np.ones(self.normalized_shape, np.float32)) if elementwise_affine else None
        )
        self.bias = (
            Parameter(np.zeros(self.normalized_shape, np.float32))
            if elementwise_affine and bias
            else None
        )

    def forward(self, x: Tensor) -> Tensor:
        """Normalise x."""
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class GroupNorm(Module):
    """Normalise (N, C, ...) input over groups of channels; per-channel ``weight`` and ``bias``."""

    def __init__(
        self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True
    ) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels {num_channels} is not divisible by num_groups "
                f"{num_groups}"
            )
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        self.weight = Parameter(np.ones(num_channels, np.float32)) if affine else None
        self.bias = Parameter(np.zeros(num_channels, np.float32)) if affine else None

    def forward(self, x: Tensor) -> Tensor:
        """Normalise x."""
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(
                f"GroupNorm: expected {self.num_channels} channels on axis 1, got shape {x.shape}"
            )
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"

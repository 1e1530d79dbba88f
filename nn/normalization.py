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

"""Losses as modules; each calls its ``nn.functional`` form with the stored reduction."""

from __future__ import annotations

from typing import Any

from chaingrad.autograd import Tensor
from chaingrad.nn import functional as F
from chaingrad.nn.module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """Compute the loss."""
        return F.mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits against integer class targets."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """Compute the loss."""
        return F.cross_entropy(input, target, reduction=self.reduction)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities against integer class targets."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """Compute the loss."""
        return F.nll_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """Compute the loss."""
        return F.binary_cross_entropy(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(logits), computed stably."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """Compute the loss."""
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """Compute the loss."""
        return F.l1_loss(input, target, reduction=self.reduction)

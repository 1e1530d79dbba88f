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


class _ClassLoss(_Loss):
    """A loss over integer class targets: PyTorch's ``weight`` and ``ignore_index`` too."""

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        ignore_index: int = -100,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        if size_average is not None or reduce is not None:
            raise TypeError(
                f"{type(self).__name__}: size_average= and reduce= are deprecated in PyTorch "
                "and not supported; use reduction="
            )
        super().__init__(reduction)
        self.weight = weight
        self.ignore_index = ignore_index


class CrossEntropyLoss(_ClassLoss):
    """Softmax cross-entropy of logits against integer class targets (``weight``,
    ``ignore_index`` as PyTorch's; ``label_smoothing`` other than 0 is refused)."""

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        ignore_index: int = -100,
        reduce: Any = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """Compute the loss."""
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_ClassLoss):
    """Negative log-likelihood of log-probabilities against integer class targets."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """Compute the loss."""
        return F.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


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


class SmoothL1Loss(_Loss):
    """0.5·d²/beta where |d| < beta, else |d| - 0.5·beta."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """Compute the loss."""
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """0.5·d² where |d| < delta, else delta·(|d| - 0.5·delta)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """Compute the loss."""
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """KL divergence of log-probability inputs from targets ("batchmean" is the true KL)."""

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """Compute the loss."""
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

"""Activation functions as modules (parameter-free), for ``Sequential`` and ``MLP``."""

from __future__ import annotations

from typing import Any

from chaingrad.autograd import Tensor
from chaingrad.nn import functional as F
from chaingrad.nn.module import Module


class ReLU(Module):
    """max(0, x)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        F._no_inplace("ReLU", inplace)

    def forward(self, x: Tensor) -> Tensor:
        """Apply ReLU."""
        return F.relu(x)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope·x (``slope=`` is accepted too)."""

    def __init__(
        self, negative_slope: float = 0.01, inplace: bool = False, *, slope: float | None = None
    ) -> None:
        super().__init__()
        F._no_inplace("LeakyReLU", inplace)
        self.slope = negative_slope if slope is None else slope

    @property
    def negative_slope(self) -> float:
        """PyTorch's name for ``slope``."""
        return self.slope

    def forward(self, x: Tensor) -> Tensor:
        """Apply leaky ReLU."""
        return F.leaky_relu(x, self.slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.slope}"


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply tanh."""
        return F.tanh(x)


class Sigmoid(Module):
    """Logistic sigmoid."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply the sigmoid."""
        return F.sigmoid(x)


class ELU(Module):
    """x where x > 0, else alpha·(eˣ - 1)."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        """Apply ELU."""
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SELU(Module):
    """Scaled ELU (self-normalising)."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply SELU."""
        return F.selu(x)


class Softmax(Module):
    """Softmax along ``axis``."""

    def __init__(self, dim: int | None = None, *, axis: int | None = None) -> None:
        super().__init__()
        if dim is not None and axis is not None:
            raise TypeError("Softmax: pass dim= or axis=, not both")
        # PyTorch guesses an axis when none is given; chaingrad uses the last one
        self.axis = dim if dim is not None else (-1 if axis is None else axis)

    @property
    def dim(self) -> int:
        """PyTorch's name for ``axis``."""
        return self.axis

    def forward(self, x: Tensor) -> Tensor:
        """Apply softmax."""
        return F.softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"dim={self.axis}"


class LogSoftmax(Module):
    """Log-softmax along ``axis``."""

    def __init__(self, dim: int | None = None, *, axis: int | None = None) -> None:
        super().__init__()
        if dim is not None and axis is not None:
            raise TypeError("LogSoftmax: pass dim= or axis=, not both")
        # PyTorch guesses an axis when none is given; chaingrad uses the last one
        self.axis = dim if dim is not None else (-1 if axis is None else axis)

    @property
    def dim(self) -> int:
        """PyTorch's name for ``axis``."""
        return self.axis

    def forward(self, x: Tensor) -> Tensor:
        """Apply log-softmax."""
        return F.log_softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"dim={self.axis}"


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored, as PyTorch)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        """Return x."""
        return x


ACTIVATIONS: dict[str, type[Module]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "elu": ELU,
    "selu": SELU,
    "softmax": Softmax,
    "log_softmax": LogSoftmax,
    "identity": Identity,
}


def activation(spec: str | type[Module] | Module | None) -> Module:
    """An activation module from a name ("relu", ...), a Module class or instance, or None."""
    if spec is None:
        return Identity()
    if isinstance(spec, Module):
        return spec
    if isinstance(spec, type) and issubclass(spec, Module):
        return spec()
    if isinstance(spec, str) and spec.lower() in ACTIVATIONS:
        return ACTIVATIONS[spec.lower()]()
    raise ValueError(f"unknown activation {spec!r}; choose from {sorted(ACTIVATIONS)} or a Module")

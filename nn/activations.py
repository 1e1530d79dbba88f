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
        # inplace=True is accepted and the result returned as a new tensor (the input is
        # left unchanged): inside a model the returned value is what flows on, as in PyTorch
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        """Apply ReLU."""
        return F.relu(x)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope·x (``slope=`` is accepted too)."""

    def __init__(
        self, negative_slope: float = 0.01, inplace: bool = False, *, slope: float | None = None
    ) -> None:
        super().__init__()
        # inplace=True is accepted and the result returned as a new tensor (the input is
        # left unchanged): inside a model the returned value is what flows on, as in PyTorch
        self.inplace = inplace
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


class GELU(Module):
    """x·Φ(x); ``approximate="tanh"`` for the tanh approximation."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        """Apply GELU."""
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x·σ(x) (swish)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        # inplace=True is accepted and the result returned as a new tensor (the input is
        # left unchanged): inside a model the returned value is what flows on, as in PyTorch
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        """Apply SiLU."""
        return F.silu(x)


class Softplus(Module):
    """log(1 + e^(βx))/β, the identity where βx > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Tensor) -> Tensor:
        """Apply softplus."""
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """Clamp to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        # inplace=True is accepted and the result returned as a new tensor (the input is
        # left unchanged): inside a model the returned value is what flows on, as in PyTorch
        self.inplace = inplace
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val = {min_val} is larger than max_val = {max_val}")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x: Tensor) -> Tensor:
        """Apply hardtanh."""
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class LogSigmoid(Module):
    """log σ(x)."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply log-sigmoid."""
        return F.logsigmoid(x)


class Softmin(Module):
    """softmax(-x) along ``dim`` (the last axis when None, where PyTorch guesses)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, x: Tensor) -> Tensor:
        """Apply softmin."""
        return F.softmin(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GLU(Module):
    """Gated linear unit: a·σ(b) for the halves a, b of the input along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        """Apply GLU."""
        return F.glu(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


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
    "gelu": GELU,
    "silu": SiLU,
    "softplus": Softplus,
    "hardtanh": Hardtanh,
    "log_sigmoid": LogSigmoid,
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

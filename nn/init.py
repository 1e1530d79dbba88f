"""Weight initialisation, as ``torch.nn.init``: fill a tensor in place and return it.

Every function takes ``seed=`` (an int, a NumPy ``Generator`` or a chaingrad ``Generator``) and
PyTorch's ``generator=``; without either it draws from chaingrad's default stream
(``chaingrad.autograd.random``), which ``chaingrad.manual_seed`` resets, so whole models
initialise reproducibly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chaingrad.autograd import Tensor
from chaingrad.autograd import random as _random
from chaingrad.autograd.random import Generator

Seed = int | np.random.Generator | Generator | None


def manual_seed(seed: int) -> Generator:
    """Seed every random draw the library makes (the same as ``chaingrad.manual_seed``)."""
    return _random.manual_seed(seed)


def generator(seed: Seed = None, generator: Seed = None) -> np.random.Generator:
    """The NumPy Generator to draw from: the one given (NumPy's or chaingrad's), a new one from
    an int, else the default stream."""
    if seed is not None and generator is not None:
        raise TypeError("nn.init: pass seed= or generator=, not both")
    return _random.rng(seed if seed is not None else generator)


_generator = generator  # the fill functions below take a parameter named ``generator``


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table)."""
    gains = {
        "linear": 1.0,
        "identity": 1.0,
        "sigmoid": 1.0,
        "conv1d": 1.0,
        "conv2d": 1.0,
        "tanh": 5.0 / 3.0,
        "relu": math.sqrt(2.0),
        "selu": 3.0 / 4.0,
    }
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity not in gains:
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")
    return gains[nonlinearity]


def fans(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out): inputs and outputs per unit, times the receptive field for convs."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"fans: need a tensor with at least 2 axes, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fill(tensor: Tensor, values: Any) -> Tensor:
    # write through numpy(): it shares memory with the tensor and records nothing
    target = tensor.numpy()
    target[...] = np.asarray(values).astype(target.dtype, copy=False)
    return tensor


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, seed: Seed = None, generator: Seed = None
) -> Tensor:
    """Fill with U(a, b)."""
    return _fill(tensor, _generator(seed, generator).uniform(a, b, tensor.shape))


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, seed: Seed = None, generator: Seed = None
) -> Tensor:
    """Fill with N(mean, std²)."""
    return _fill(tensor, _generator(seed, generator).normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(tensor, 1)


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, seed: Seed = None, generator: Seed = None
) -> Tensor:
    """Glorot: U(±gain·√(6 / (fan_in + fan_out))), keeping activation variance across layers."""
    fan_in, fan_out = fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, seed, generator)


def xavier_normal_(
    tensor: Tensor, gain: float = 1.0, seed: Seed = None, generator: Seed = None
) -> Tensor:
    """Glorot: N(0, gain²·2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), seed, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    # He et al.: std = gain / √fan, i.e. √(2 / fan_in) for ReLU (not 2/√fan_in as the notes print)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "relu",
    seed: Seed = None,
    generator: Seed = None,
) -> Tensor:
    """He: U(±√3·std) with std = gain / √fan (√(2 / fan_in) for ReLU)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, seed, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "relu",
    seed: Seed = None,
    generator: Seed = None,
) -> Tensor:
    """He: N(0, std²) with std = gain / √fan (√(2 / fan_in) for ReLU)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), seed, generator)


def default_uniform(shape: tuple[int, ...], fan_in: int, dtype: Any = np.float32) -> np.ndarray:
    """PyTorch's default layer init: U(±1/√fan_in), from the default generator."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return _random.rng().uniform(-bound, bound, shape).astype(dtype)

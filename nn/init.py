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


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    seed: Seed = None,
    generator: Seed = None,
) -> Tensor:
    """Fill with N(mean, std²) truncated to [a, b] (absolute bounds, as PyTorch), by redrawing
    the values that fall outside."""
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    if std <= 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")
    rng = _generator(seed, generator)
    values = rng.normal(mean, std, tensor.shape)
    outside = (values < a) | (values > b)
    for _ in range(1000):  # each round keeps most of the rest unless [a, b] is far in a tail
        if not outside.any():
            break
        values[outside] = rng.normal(mean, std, int(outside.sum()))
        outside = (values < a) | (values > b)
    else:
        raise ValueError(
            f"trunc_normal_: [a, b] = [{a}, {b}] is too far into the tails of N({mean}, {std}²)"
        )
    return _fill(tensor, values)


def orthogonal_(
    tensor: Tensor, gain: float = 1.0, seed: Seed = None, generator: Seed = None
) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain``: the Q of a Gaussian matrix's QR, with
    the trailing axes flattened as PyTorch does (rows = size of axis 0)."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: need a tensor with at least 2 axes, got {tensor.shape}")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _generator(seed, generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))  # makes the decomposition unique, so Q is uniformly distributed
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal of a rectangular matrix too)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: need a 2-D tensor, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D conv weight so the convolution is the identity on the first
    min(out, in) channels of each group (a 1 at the kernel centre)."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: need a 3-, 4- or 5-D tensor, got shape {tensor.shape}")
    out_channels = tensor.shape[0]
    if out_channels % groups:
        raise ValueError(f"dirac_: dim 0 of {tensor.shape} is not divisible by groups {groups}")
    per_group = out_channels // groups
    values = np.zeros(tensor.shape)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            values[(g * per_group + d, d, *centre)] = 1.0
    return _fill(tensor, values)

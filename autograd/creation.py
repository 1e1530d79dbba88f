"""Tensor factories: zeros, ones, randn, arange, and ``tensor``."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from chaingrad.autograd.tensor import DEFAULT_DTYPE, Tensor


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept zeros(2, 3) and zeros((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str = "") -> Tensor:
    """Make a Tensor (the same as ``Tensor(...)``, PyTorch's spelling)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def zeros(*shape: Any, dtype: Any = DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros; ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return Tensor(np.zeros(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape: Any, dtype: Any = DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    """A tensor of ones; ``ones(2, 3)`` or ``ones((2, 3))``."""
    return Tensor(np.ones(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def randn(
    *shape: Any,
    seed: int | np.random.Generator | None = None,
    dtype: Any = DEFAULT_DTYPE,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal samples; pass ``seed`` (an int or a Generator) to reproduce them."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    data = rng.standard_normal(_shape(shape)).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop): int64 for int arguments, else float32 (as PyTorch)."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        integral = all(isinstance(v, numbers.Integral) for v in (start, stop, step))
        dtype = np.int64 if integral else DEFAULT_DTYPE
    return Tensor(np.arange(start, stop, step, dtype=dtype))

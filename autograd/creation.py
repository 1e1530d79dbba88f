"""Tensor factories with ``torch``'s names, arguments and default dtypes.

Sizes are given as PyTorch allows: ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros([2, 3])``.
Floating factories default to float32 (``get_default_dtype()``); integer ones (``arange`` with
int arguments, ``randint``, ``full`` with an int) to int64, as PyTorch. Random factories draw from
``chaingrad.autograd.random``: the default stream (``manual_seed``) or the ``generator=`` given.
The streams are NumPy's, so the numbers differ from PyTorch's for the same seed.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from chaingrad.autograd import dtypes
from chaingrad.autograd.devices import device as cpu_device
from chaingrad.autograd.random import rng
from chaingrad.autograd.tensor import DEFAULT_DTYPE, Tensor

__all__ = [
    "arange",
    "as_tensor",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "get_default_dtype",
    "linspace",
    "multinomial",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "tensor",
    "torch_array",
    "zeros",
    "zeros_like",
]


def _cpu_only(factory: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Take PyTorch's ``device=``, ``layout=`` and ``pin_memory=`` keywords: the CPU is the one
    device (``device="cuda"`` raises a clear error), the rest has no meaning here."""

    size_param = inspect.signature(factory).parameters.get("size")
    takes_size = size_param is not None and size_param.kind != inspect.Parameter.VAR_POSITIONAL

    @functools.wraps(factory)
    def with_device(
        *args: Any, device: Any = None, layout: Any = None, pin_memory: bool = False, **kw: Any
    ) -> Tensor:
        if device is not None:
            cpu_device(device)  # raises for anything but the CPU
        if "size" in kw and not takes_size:  # torch.randn(size=(2, 3)), torch.zeros(size=...)
            args = (kw.pop("size"), *args)
        return factory(*args, **kw)

    return with_device


def get_default_dtype() -> np.dtype:
    """The dtype of floating tensors made from Python floats (float32, as PyTorch)."""
    return DEFAULT_DTYPE


def _dtype(dtype: Any, default: Any = None) -> np.dtype:
    """A ``dtype=`` argument as a NumPy dtype; None means ``default`` (else the default float)."""
    if dtype is None:
        return DEFAULT_DTYPE if default is None else dtypes.as_dtype(default)
    return dtypes.as_dtype(dtype)


def _size(op: str, size: tuple[Any, ...]) -> tuple[int, ...]:
    """PyTorch's size arguments: ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f()``."""
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    out = []
    for n in size:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"{op}: sizes must be ints, got {n!r} in {size}")
        if n < 0:
            raise ValueError(f"{op}: sizes must be non-negative, got {tuple(size)}")
        out.append(int(n))
    return tuple(out)


def _make(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad=requires_grad)


def torch_array(data: Any, dtype: Any = None) -> np.ndarray:
    """``data`` as an ndarray with PyTorch's inference: ndarrays and Tensors keep their dtype;
    Python floats become float32, ints int64, bools bool (``torch.tensor``'s rules)."""
    if isinstance(data, Tensor):
        array = data.numpy()
    elif isinstance(data, np.ndarray | np.generic):
        array = np.asarray(data)
    else:
        if isinstance(data, str | bytes) or data is None:
            raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__}")
        array = np.asarray(data)
        if array.dtype == object or array.dtype.kind in "USV":
            raise TypeError(
                f"tensor: data must be numbers (got {type(data).__name__} holding "
                f"{array.dtype} values, ragged or not numeric)"
            )
        if array.dtype.kind == "f":
            array = array.astype(DEFAULT_DTYPE)
        elif array.dtype.kind in "iu":
            array = array.astype(np.int64)
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(dtype), copy=False)
    return array


@_cpu_only
def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, name: str = "") -> Tensor:
    """A new tensor holding a copy of ``data``, as ``torch.tensor`` (int lists become int64)."""
    return Tensor(np.array(torch_array(data, dtype)), requires_grad=requires_grad, name=name)


@_cpu_only
def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """``data`` as a Tensor, sharing memory with an ndarray when no conversion is needed."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtypes.as_dtype(dtype)):
        return data
    return Tensor(torch_array(data, dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor sharing memory with ``array`` (``torch.from_numpy``)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an np.ndarray, got {type(array).__name__}")
    return Tensor(array)


@_cpu_only
def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros; ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _make(np.zeros(_size("zeros", size), dtype=_dtype(dtype)), requires_grad)


@_cpu_only
def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones; ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _make(np.ones(_size("ones", size), dtype=_dtype(dtype)), requires_grad)


@_cpu_only
def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor as ``torch.empty``; chaingrad fills it with zeros (deterministic)."""
    return _make(np.zeros(_size("empty", size), dtype=_dtype(dtype)), requires_grad)


def _fill_dtype(value: Any) -> np.dtype:
    """PyTorch's dtype for ``full``'s fill value: bool, int64 for ints, else the default float."""
    if isinstance(value, bool | np.bool_):
        return dtypes.bool
    if isinstance(value, numbers.Integral):
        return dtypes.int64
    if isinstance(value, np.generic):
        return value.dtype
    return DEFAULT_DTYPE


@_cpu_only
def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (int64 for an int, as PyTorch)."""
    shape = _size("full", (size,) if isinstance(size, numbers.Integral) else tuple(size))
    dt = _dtype(dtype, _fill_dtype(fill_value))
    return _make(np.full(shape, fill_value, dtype=dt), requires_grad)


@_cpu_only
def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix (m defaults to n)."""
    return _make(np.eye(n, n if m is None else m, dtype=_dtype(dtype)), requires_grad)


@_cpu_only
def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Evenly spaced values in [start, end): int64 for int arguments, else float32 (as PyTorch)."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    integral = all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in (start, end, step)
    )
    dt = _dtype(dtype, dtypes.int64 if integral else None)
    # count as PyTorch does, ⌈(end - start) / step⌉, computed in float64
    count = builtins.max(0, int(np.ceil((float(end) - float(start)) / float(step))))
    if integral:
        values = int(start) + np.arange(count, dtype=np.int64) * int(step)
    else:
        values = float(start) + np.arange(count, dtype=np.float64) * float(step)
    return _make(values.astype(dt), requires_grad)


@_cpu_only
def linspace(
    start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive (float32 by default)."""
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    return _make(np.linspace(start, end, steps).astype(_dtype(dtype)), requires_grad)


def _float_dtype(op: str, dtype: Any) -> np.dtype:
    dt = _dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{op}: random floats need a floating dtype, got {dt}")
    return dt


@_cpu_only
def rand(
    *size: Any, generator: Any = None, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Uniform samples in [0, 1)."""
    dt = _float_dtype("rand", dtype)
    return _make(rng(generator).random(_size("rand", size)).astype(dt), requires_grad)


@_cpu_only
def randn(
    *size: Any,
    generator: Any = None,
    dtype: Any = None,
    requires_grad: bool = False,
    seed: int | np.random.Generator | None = None,
) -> Tensor:
    """Standard normal samples; ``generator=`` (PyTorch) or ``seed=`` (an int or NumPy Generator)
    reproduce them, otherwise the default stream (``manual_seed``) draws."""
    if generator is not None and seed is not None:
        raise TypeError("randn: pass generator= or seed=, not both")
    dt = _float_dtype("randn", dtype)
    draw = rng(seed if seed is not None else generator).standard_normal(_size("randn", size))
    return _make(draw.astype(dt, copy=False), requires_grad)


@_cpu_only
def randperm(
    n: int, *, generator: Any = None, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """A random permutation of 0..n-1 (int64 unless ``dtype`` says otherwise)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    dt = np.dtype(np.int64) if dtype is None else dtypes.as_dtype(dtype)
    return _make(rng(generator).permutation(int(n)).astype(dt), requires_grad)


@_cpu_only
def randint(
    *args: Any,
    size: Any = None,
    generator: Any = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Random int64s in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is not None:
        args = (*args, size)
    if len(args) == 2:
        low, high, shape = 0, args[0], args[1]
    elif len(args) == 3:
        low, high, shape = args
    else:
        raise TypeError(
            f"randint: expected (high, size) or (low, high, size), got {len(args)} arguments"
        )
    shape = _size("randint", (shape,) if isinstance(shape, numbers.Integral) else tuple(shape))
    if not int(low) < int(high):
        raise ValueError(f"randint: low must be below high, got low={low}, high={high}")
    draw = rng(generator).integers(int(low), int(high), shape)
    return _make(draw.astype(_dtype(dtype, dtypes.int64)), requires_grad)


@_cpu_only
def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Any = None,
    generator: Any = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of N(mean, std²): numbers with ``size``, or tensors that broadcast (as PyTorch)."""
    m = mean.numpy() if isinstance(mean, Tensor) else np.asarray(mean)
    s = std.numpy() if isinstance(std, Tensor) else np.asarray(std)
    if size is None:
        if m.ndim == 0 and s.ndim == 0:
            raise TypeError("normal: with a number for mean and std, give size=")
        shape = np.broadcast_shapes(m.shape, s.shape)
    else:
        shape = _size("normal", (size,) if isinstance(size, numbers.Integral) else tuple(size))
    if np.any(s < 0):
        raise ValueError(f"normal: std must be non-negative, got {s.min()}")
    default = next((a.dtype for a in (m, s) if a.dtype.kind == "f" and a.ndim), None)
    dt = _dtype(dtype, default)
    draw = m + s * rng(generator).standard_normal(shape)
    return _make(draw.astype(dt), requires_grad)


@_cpu_only
def multinomial(
    input: Tensor,  # noqa: A002 - PyTorch's name
    num_samples: int,
    replacement: bool = False,
    generator: Any = None,
) -> Tensor:
    """Indices drawn from each row's (unnormalised) weights; int64, shape (rows?, num_samples)."""
    weights = np.asarray(input.numpy() if isinstance(input, Tensor) else input, dtype=np.float64)
    if weights.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-D or 2-D, got shape {weights.shape}")
    rows = weights.reshape(-1, weights.shape[-1])
    if np.any(rows < 0) or not np.all(np.isfinite(rows)):
        raise ValueError("multinomial: weights must be finite and non-negative")
    stream = rng(generator)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for r, row in enumerate(rows):
        total = row.sum()
        if total <= 0:
            raise ValueError(f"multinomial: row {r} has no positive weight")
        if not replacement and num_samples > np.count_nonzero(row):
            raise ValueError(
                f"multinomial: cannot draw {num_samples} samples without replacement from "
                f"{np.count_nonzero(row)} categories with nonzero weight (row {r})"
            )
        out[r] = stream.choice(row.size, size=num_samples, replace=replacement, p=row / total)
    return Tensor(out if weights.ndim == 2 else out[0])


def _like(input: Any) -> np.ndarray:  # noqa: A002
    return input.numpy() if isinstance(input, Tensor) else np.asarray(input)


@_cpu_only
def zeros_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Zeros of ``input``'s shape and dtype."""
    a = _like(input)
    return _make(np.zeros(a.shape, dtype=_dtype(dtype, a.dtype)), requires_grad)


@_cpu_only
def ones_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Ones of ``input``'s shape and dtype."""
    a = _like(input)
    return _make(np.ones(a.shape, dtype=_dtype(dtype, a.dtype)), requires_grad)


@_cpu_only
def empty_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """An "uninitialised" tensor of ``input``'s shape and dtype (zeros in chaingrad)."""
    return zeros_like(input, dtype, requires_grad)


@_cpu_only
def full_like(
    input: Any,  # noqa: A002
    fill_value: Any,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``fill_value`` in ``input``'s shape and dtype."""
    a = _like(input)
    return _make(np.full(a.shape, fill_value, dtype=_dtype(dtype, a.dtype)), requires_grad)


@_cpu_only
def rand_like(
    input: Any,  # noqa: A002
    dtype: Any = None,
    requires_grad: bool = False,
    generator: Any = None,
) -> Tensor:
    """Uniform [0, 1) samples of ``input``'s shape and (floating) dtype."""
    a = _like(input)
    return rand(
        a.shape, generator=generator, dtype=_dtype(dtype, a.dtype), requires_grad=requires_grad
    )


@_cpu_only
def randn_like(
    input: Any,  # noqa: A002
    dtype: Any = None,
    requires_grad: bool = False,
    generator: Any = None,
) -> Tensor:
    """Standard normal samples of ``input``'s shape and (floating) dtype."""
    a = _like(input)
    return randn(
        a.shape, generator=generator, dtype=_dtype(dtype, a.dtype), requires_grad=requires_grad
    )

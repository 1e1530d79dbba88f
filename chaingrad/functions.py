"""``torch``'s module-level functions: ``chaingrad.sum(x, dim=1)``, ``chaingrad.cat([a, b])``, ...

Each takes PyTorch's argument names (``input``, ``dim``, ``keepdim``) and also NumPy's
(``axis``, ``keepdims``), and calls the Tensor method or op that does the work. Inputs that are
not Tensors (numbers, lists, ndarrays) are wrapped first, as PyTorch does with Python numbers.
"""

from __future__ import annotations

import builtins
import functools
import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from chaingrad.autograd import grad_mode
from chaingrad.autograd.ops import elementwise, linalg, shapes
from chaingrad.autograd.tensor import Tensor, as_tensor

__all__ = [
    "argmax",
    "cat",
    "clamp",
    "clip",
    "concatenate",
    "flatten",
    "is_tensor",
    "log_softmax",
    "matmul",
    "max",
    "mean",
    "min",
    "mm",
    "numel",
    "permute",
    "reshape",
    "set_grad_enabled",
    "softmax",
    "squeeze",
    "stack",
    "sum",
    "transpose",
    "unsqueeze",
    "where",
]

_MISSING: Any = object()


def _dim(op: str, dim: Any, axis: Any, default: Any = None) -> Any:
    """One axis argument from PyTorch's ``dim`` or NumPy's ``axis`` (not both)."""
    if dim is not _MISSING and axis is not _MISSING:
        raise TypeError(f"{op}: pass dim= or axis=, not both")
    if dim is not _MISSING:
        return dim
    return default if axis is _MISSING else axis


def _keep(op: str, keepdim: Any, keepdims: Any) -> bool:
    """One flag from PyTorch's ``keepdim`` or NumPy's ``keepdims`` (not both)."""
    if keepdim is not None and keepdims is not None:
        raise TypeError(f"{op}: pass keepdim= or keepdims=, not both")
    return bool(keepdim if keepdim is not None else keepdims)


def _tensor(x: Any) -> Tensor:
    return as_tensor(x)


def write_out(out: Any, result: Any) -> Any:
    """PyTorch's ``out=``: the result written into ``out`` (resized if its shape differs), which
    is returned; refused when the result needs a gradient, as PyTorch refuses."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"out=: expected a Tensor, got {type(out).__name__}")
    if result.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError(
            "out=: the result requires grad, and functions with out= do not record a graph "
            "(as in PyTorch); drop out= or run under chaingrad.no_grad()"
        )
    if out.shape != result.shape or out.dtype != result.dtype:
        out.data = result.detach()
    else:
        out.copy_(result.detach())
    return out


def _accepts_out(function: Any) -> Any:
    """Give ``function`` PyTorch's ``out=`` keyword (see ``write_out``)."""

    @functools.wraps(function)
    def with_out(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        return write_out(out, function(*args, **kwargs))

    return with_out


class set_grad_enabled(grad_mode._GradMode):  # noqa: N801 - PyTorch's name
    """Switch graph recording on or off: ``set_grad_enabled(False)`` as a call, a ``with`` block
    (restoring the previous mode on exit) or a decorator, as ``torch.set_grad_enabled``."""

    def __init__(self, mode: bool) -> None:
        self._enabled = bool(mode)
        self._previous = grad_mode.is_grad_enabled()
        grad_mode.set_grad_enabled(self._enabled)  # a plain call takes effect at once

    def __enter__(self) -> None:
        grad_mode.set_grad_enabled(self._enabled)  # _previous was taken at construction

    def __call__(self, fn: Any) -> Any:
        """Use as a decorator: run ``fn`` with this grad mode (the mode set by construction is
        undone first, as PyTorch does)."""
        grad_mode.set_grad_enabled(self._previous)
        enabled = self._enabled

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(enabled):
                return fn(*args, **kwargs)

        return wrapper


def is_tensor(obj: Any) -> bool:
    """True when ``obj`` is a chaingrad Tensor (or Parameter)."""
    return isinstance(obj, Tensor)


def numel(input: Any) -> int:  # noqa: A002
    """The number of elements of a tensor."""
    return math.prod(_tensor(input).shape)


def sum(  # noqa: A001
    input: Any,  # noqa: A002
    dim: Any = _MISSING,
    keepdim: bool | None = None,
    *,
    axis: Any = _MISSING,
    keepdims: bool | None = None,
) -> Tensor:
    """Sum over ``dim`` (all elements by default)."""
    return _tensor(input).sum(_dim("sum", dim, axis), _keep("sum", keepdim, keepdims))


def mean(
    input: Any,  # noqa: A002
    dim: Any = _MISSING,
    keepdim: bool | None = None,
    *,
    axis: Any = _MISSING,
    keepdims: bool | None = None,
) -> Tensor:
    """Mean over ``dim`` (all elements by default)."""
    return _tensor(input).mean(_dim("mean", dim, axis), _keep("mean", keepdim, keepdims))


def max(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A001,A002
    """``max(t)`` the largest element; ``max(t, other_tensor)`` the elementwise maximum;
    otherwise ``t.max(...)`` with the same arguments (so ``max(t, dim)`` follows Tensor.max)."""
    if len(args) == 1 and not kwargs and isinstance(args[0], Tensor):
        return elementwise.maximum(input, args[0])
    return _tensor(input).max(*args, **kwargs)


def min(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A001,A002
    """``min(t)`` the smallest element; ``min(t, other_tensor)`` the elementwise minimum;
    otherwise ``t.min(...)`` with the same arguments."""
    if len(args) == 1 and not kwargs and isinstance(args[0], Tensor):
        return elementwise.minimum(input, args[0])
    return _tensor(input).min(*args, **kwargs)


def argmax(
    input: Any,  # noqa: A002
    dim: Any = _MISSING,
    keepdim: bool | None = None,
    *,
    axis: Any = _MISSING,
    keepdims: bool | None = None,
) -> Tensor:
    """Index of the largest element along ``dim`` (of the flattened tensor when dim is None);
    int64, not differentiable."""
    axis = _dim("argmax", dim, axis)
    out = _tensor(input).argmax(axis)
    if _keep("argmax", keepdim, keepdims) and axis is not None:
        out = out.unsqueeze(axis)
    return out


@_accepts_out
def clamp(
    input: Any,  # noqa: A002
    min: float | None = None,  # noqa: A002
    max: float | None = None,  # noqa: A002
) -> Tensor:
    """Clamp every element to [min, max] (either bound may be None)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return elementwise.clip(_tensor(input), min, max)


clip = clamp


def softmax(
    input: Any,  # noqa: A002
    dim: Any = _MISSING,
    dtype: Any = None,
    *,
    axis: Any = _MISSING,
) -> Tensor:
    """exp(x) / Σ exp(x) along ``dim`` (default -1), stable for large logits."""
    x = _tensor(input) if dtype is None else _tensor(input).to(dtype)
    return x.softmax(_dim("softmax", dim, axis, -1))


def log_softmax(
    input: Any,  # noqa: A002
    dim: Any = _MISSING,
    dtype: Any = None,
    *,
    axis: Any = _MISSING,
) -> Tensor:
    """x - logsumexp(x) along ``dim`` (default -1), stable for large logits."""
    x = _tensor(input) if dtype is None else _tensor(input).to(dtype)
    return x.log_softmax(_dim("log_softmax", dim, axis, -1))


@_accepts_out
def matmul(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Matrix product with NumPy/PyTorch broadcasting of batch axes."""
    return linalg.matmul(input, other)


@_accepts_out
def mm(input: Any, mat2: Any) -> Tensor:  # noqa: A002
    """Product of two matrices (2-D only, as ``torch.mm``)."""
    a, b = _tensor(input), _tensor(mat2)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: expects two matrices, got shapes {a.shape} and {b.shape}")
    return linalg.matmul(a, b)


def reshape(input: Any, shape: Any) -> Tensor:  # noqa: A002
    """The same elements in a new shape (one entry may be -1)."""
    return _tensor(input).reshape(shape)


def flatten(
    input: Any,  # noqa: A002
    start_dim: int = 0,
    end_dim: int = -1,
    *,
    start_axis: Any = _MISSING,
    end_axis: Any = _MISSING,
) -> Tensor:
    """Merge axes start_dim..end_dim into one."""
    start = start_dim if start_axis is _MISSING else start_axis
    end = end_dim if end_axis is _MISSING else end_axis
    return _tensor(input).flatten(start, end)


def transpose(input: Any, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """Swap two axes."""
    return _tensor(input).transpose(dim0, dim1)


def permute(input: Any, dims: Sequence[int]) -> Tensor:  # noqa: A002
    """Reorder the axes as ``dims``."""
    return _tensor(input).permute(*dims)


def squeeze(input: Any, dim: Any = _MISSING, *, axis: Any = _MISSING) -> Tensor:  # noqa: A002
    """Drop size-1 axes (only ``dim`` when given)."""
    return _tensor(input).squeeze(_dim("squeeze", dim, axis))


def unsqueeze(input: Any, dim: Any = _MISSING, *, axis: Any = _MISSING) -> Tensor:  # noqa: A002
    """Insert a size-1 axis at ``dim``."""
    dim = _dim("unsqueeze", dim, axis)
    if dim is None:
        raise TypeError("unsqueeze: missing the dim argument")
    return _tensor(input).unsqueeze(dim)


@_accepts_out
def cat(tensors: Sequence[Any], dim: Any = _MISSING, *, axis: Any = _MISSING) -> Tensor:
    """Join tensors along an existing axis ``dim`` (default 0); also called ``concatenate``."""
    return shapes.concatenate(tensors, _dim("cat", dim, axis, 0))


concatenate = cat


@_accepts_out
def stack(tensors: Sequence[Any], dim: Any = _MISSING, *, axis: Any = _MISSING) -> Tensor:
    """Join same-shaped tensors along a new axis ``dim`` (default 0)."""
    return shapes.stack(tensors, _dim("stack", dim, axis, 0))


@_accepts_out
def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input`` where ``condition`` holds, else ``other`` (broadcasting)."""
    if isinstance(condition, Tensor):
        condition = condition.numpy()
    return elementwise.where(np.asarray(condition), input, other)


# ---------------------------------------------------------------------------- method functions
# torch.<name>(input, *args) is input.<name>(*args) for these: one implementation, the method's
# (which takes PyTorch's and NumPy's argument spellings), and the method's docstring.
_METHOD_FUNCTIONS = (
    "exp log sqrt abs tanh sigmoid relu maximum minimum "
    "add sub mul div pow neg square reciprocal rsqrt sin cos tan log2 log10 exp2 log1p expm1 "
    "sign floor ceil round trunc isnan isinf isfinite logical_and logical_or logical_not prod "
    "argmin amax amin std var "
    "logsumexp cumsum cumprod all any norm sort argsort topk flip roll split chunk unbind narrow "
    "tril triu movedim t gather index_select masked_fill bmm dot outer allclose equal"
).split()


def _method_function(name: str) -> Any:
    def function(input: Any, *args: Any, out: Any = None, **kwargs: Any) -> Any:  # noqa: A002
        return write_out(out, getattr(_tensor(input), name)(*args, **kwargs))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = getattr(Tensor, name).__doc__
    return function


for _name in _METHOD_FUNCTIONS:
    globals()[_name] = _method_function(_name)
__all__ += _METHOD_FUNCTIONS


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as ``torch.einsum`` (operands as arguments or one list)."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    return linalg.einsum(equation, *operands)


def set_num_threads(n: int) -> None:
    """Threads for chaingrad's numba kernels (at most NUMBA_NUM_THREADS); NumPy's BLAS keeps its
    own count (set OPENBLAS_NUM_THREADS before starting Python to change that)."""
    import numba

    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: needs a positive int, got {n!r}")
    numba.set_num_threads(builtins.min(n, numba.config.NUMBA_NUM_THREADS))


def get_num_threads() -> int:
    """The number of threads chaingrad's numba kernels use."""
    import numba

    return numba.get_num_threads()


__all__ += ["einsum", "get_num_threads", "set_num_threads"]


# ------------------------------------------------------------------- printing, counting, grids


def set_printoptions(
    precision: int | None = None,
    threshold: int | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """How ``print(tensor)`` formats numbers, as ``torch.set_printoptions`` (the layout stays
    NumPy's: these are passed to ``np.array2string``; ``profile`` is "default", "short", "full")."""
    from chaingrad.autograd.tensor import PRINT_OPTIONS

    profiles = {
        "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
        "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
        "full": {"precision": 4, "threshold": sys.maxsize, "edgeitems": 3, "linewidth": 80},
    }
    if profile is not None:
        if profile not in profiles:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(profiles)}")
        PRINT_OPTIONS.clear()
        PRINT_OPTIONS.update(profiles[profile])
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems}
    given["max_line_width"] = linewidth
    PRINT_OPTIONS.update({k: v for k, v in given.items() if v is not None})
    if "linewidth" in PRINT_OPTIONS:
        PRINT_OPTIONS["max_line_width"] = PRINT_OPTIONS.pop("linewidth")
    if sci_mode is not None:
        PRINT_OPTIONS["suppress_small"] = not sci_mode


def _integers(op: str, input: Any) -> np.ndarray:  # noqa: A002
    """The 1-D array of non-negative ints that ``bincount`` counts, or a one-line error."""
    a = np.asarray(_tensor(input).numpy())
    if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{op}: needs a 1-D tensor of integers, got shape {a.shape} {a.dtype}")
    if a.size and a.min() < 0:
        raise ValueError(f"{op}: the values must be non-negative, got {int(a.min())}")
    return a


def unique(
    input: Any,  # noqa: A002
    sorted: bool = True,  # noqa: A002
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements, sorted (as PyTorch on the CPU, whatever ``sorted`` says), with the
    inverse indices and counts when asked; flattened (``dim`` other than None is not supported)."""
    if dim is not None:
        raise NotImplementedError(f"unique: dim={dim} is not supported; use dim=None")
    t = _tensor(input)
    values, inverse, counts = np.unique(t.numpy(), return_inverse=True, return_counts=True)
    out = [Tensor(values)]
    if return_inverse:
        out.append(Tensor(inverse.reshape(t.shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """How often each value 0..max occurs in a 1-D int tensor (int64), or the sum of ``weights``
    per value (in the weights' dtype, as PyTorch)."""
    a = _integers("bincount", input)
    if weights is None:
        return Tensor(np.bincount(a, minlength=minlength).astype(np.int64))
    w = np.asarray(_tensor(weights).numpy())
    if w.shape != a.shape:
        raise ValueError(f"bincount: weights {w.shape} must have the input's shape {a.shape}")
    return Tensor(np.bincount(a, weights=w, minlength=minlength).astype(w.dtype))


def histc(input: Any, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Histogram of ``bins`` equal bins over [min, max] (the data's range when min == max);
    elements outside are ignored, the last bin includes max; the input's dtype, as PyTorch."""
    a = np.asarray(_tensor(input).numpy())
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1  # PyTorch widens an empty range the same way
    if lo > hi:
        raise ValueError(f"histc: max {hi} must not be below min {lo}")
    counts, _ = np.histogram(a.reshape(-1), bins=bins, range=(lo, hi))
    return Tensor(counts.astype(a.dtype if np.issubdtype(a.dtype, np.floating) else np.float32))


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors, differentiable (each grid is an expanded view); the
    default ``indexing`` is "ij" as PyTorch's (NumPy's default is "xy")."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    ts = [_tensor(t) for t in tensors]
    for t in ts:
        if t.ndim > 1:
            raise ValueError(f"meshgrid: expects 0-D or 1-D tensors, got shape {tuple(t.shape)}")
    ts = [t.reshape(-1) for t in ts]
    axes = list(range(len(ts)))
    if indexing == "xy" and len(ts) >= 2:
        axes[0], axes[1] = 1, 0  # the first tensor varies along columns
    sizes = [0] * len(ts)
    for t, axis in zip(ts, axes):
        sizes[axis] = t.shape[0]
    grids = []
    for t, axis in zip(ts, axes):
        shape = [1] * len(ts)
        shape[axis] = -1
        grids.append(t.reshape(*shape).expand(*sizes))
    return tuple(grids)


__all__ += ["bincount", "histc", "meshgrid", "set_printoptions", "unique"]

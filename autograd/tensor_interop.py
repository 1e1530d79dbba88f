"""How a Tensor meets NumPy and Python: the array protocols, its shape and dtype, conversions.

NumPy reaches a tensor through ``__array__``, ``__array_ufunc__`` (``ndarray + t`` is the Tensor
op, so it records) and ``__array_function__``; Python through ``len``, iteration, ``bool``,
``float``, ``int``, ``__index__`` and f-strings. ``shape``, ``dtype``, ``size()``, ``numpy()`` and
``item()`` describe it; ``to``, ``float()``, ``cpu()`` and ``clone()`` convert it. ``Tensor``
inherits these from ``TensorInterop``; the op modules import ``Tensor``, so ``tensor.py`` binds
them here (``bind()``) once ``Tensor`` exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from chaingrad.autograd.devices import CPU, CPU_ONLY, device
from chaingrad.autograd.dtypes import as_dtype
from chaingrad.autograd.ops.axes import normalize_axis

if TYPE_CHECKING:
    from chaingrad.autograd.ops import elementwise, linalg
    from chaingrad.autograd.tensor import Tensor

_DEVICE_NAMES = frozenset({"cpu", "cuda", "mps", "xpu", "meta"})
_UFUNC_OPS: dict[str, Any] = {}  # filled by bind(): ufunc name -> the Tensor op


class Size(tuple):
    """A shape, as ``torch.Size``: a tuple of ints (``t.size()``) with ``numel()``."""

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n


class TensorInterop:
    """The methods below; mixed into ``Tensor``."""

    __slots__ = ()

    # ------------------------------------------------------------------ NumPy's array protocols
    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is None and not copy:
            return self._data
        return np.array(self._data, dtype=dtype, copy=True if copy else None)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy interop: ``ndarray + Tensor`` (and -, *, /, **, @, comparisons) is the Tensor op,
        so it records; any other ufunc (``np.isfinite(t)``, ``np.abs(t.grad)``) is computed on
        the arrays and returns an ndarray, as NumPy does for a torch tensor."""
        op = _UFUNC_OPS.get(ufunc.__name__) if method == "__call__" and not kwargs else None
        if op is not None and len(inputs) == 2:
            return op(*inputs)
        arrays = tuple(x._data if isinstance(x, Tensor) else x for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(x._data if isinstance(x, Tensor) else x for x in kwargs["out"])
        return getattr(ufunc, method)(*arrays, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """NumPy interop: ``np.sum(t)``, ``np.concatenate([t, u])``, ``np.allclose(t, a)`` work on
        the arrays and return what NumPy returns (ndarrays), as for array-likes."""
        return func(*_arrays_in(args), **_arrays_in(kwargs))

    # ------------------------------------------------------------------ array-like
    @property
    def shape(self) -> tuple[int, ...]:
        """The data's shape (a tuple; ``size()`` gives it as a ``Size``)."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The data's dtype (a NumPy dtype: ``chaingrad.float32 == np.float32``)."""
        return self._data.dtype

    @property
    def device(self) -> device:
        """Always ``device("cpu")``."""
        return CPU

    @property
    def is_cuda(self) -> bool:
        """Always False."""
        return False

    def size(self, dim: int | None = None) -> Any:
        """The shape as a ``Size`` (a tuple), or the length of axis ``dim`` (PyTorch's method;
        NumPy's element count is ``numel()``)."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[normalize_axis(dim, self._data.ndim, "size")]

    def numel(self) -> int:
        """The number of elements."""
        return self._data.size

    def dim(self) -> int:
        """The number of axes (``ndim``)."""
        return self._data.ndim

    def numpy(self) -> np.ndarray:
        """The ndarray itself (shares memory, also when the tensor requires grad)."""
        return self._data

    def tolist(self) -> Any:
        """The data as nested Python lists (a number for a 0-d tensor)."""
        return self._data.tolist()

    def item(self) -> Any:
        """The value of a single-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item: needs a single-element tensor, got shape {self._data.shape}")
        return self._data.item()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(len(self._data)):
            yield self[i]

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor of shape {self._data.shape} is ambiguous; "
                "use .any() or .all() on .numpy(), or reduce it first"
            )
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        # only 0-d: NumPy would otherwise read a 1-element index array as a scalar index
        if self._data.dtype.kind not in "iu" or self._data.ndim != 0:
            raise TypeError(
                "only 0-d integer tensors can be used as an index, got "
                f"{self._data.dtype} of shape {self._data.shape}"
            )
        return int(self._data.item())

    def __format__(self, spec: str) -> str:
        if spec and self._data.size == 1:
            return format(self._data.item(), spec)  # f"{loss:.4f}" works, as in PyTorch
        return format(repr(self), spec)

    # ------------------------------------------------------------------ dtype and device
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to("cpu")``, ``to(device, dtype)``, ``to(other)`` (its dtype) or
        ``to(dtype=..., device=...)``; returns ``self`` when nothing changes, as PyTorch."""
        dtype = kwargs.pop("dtype", None)
        target = kwargs.pop("device", None)
        copy = bool(kwargs.pop("copy", False))
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to: unexpected keyword argument(s) {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg._data.dtype
            elif isinstance(arg, device) or (
                isinstance(arg, str) and arg.split(":", 1)[0] in _DEVICE_NAMES
            ):
                target = arg
            else:
                dtype = arg
        if target is not None:
            device(target)  # raises "chaingrad runs on the CPU only" for anything but the CPU
        if dtype is None:
            return self.clone() if copy else self
        dtype = as_dtype(dtype)
        if dtype == self._data.dtype and not copy:
            return self
        return elementwise.cast(self, dtype)

    def cpu(self) -> Tensor:
        """This tensor (it is already on the CPU)."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Always an error: chaingrad runs on the CPU only."""
        raise RuntimeError(f"cuda: {CPU_ONLY}")

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor in ``other``'s dtype."""
        return self.to(other._data.dtype)

    def float(self) -> Tensor:
        """As float32."""
        return self.to(np.float32)

    def double(self) -> Tensor:
        """As float64."""
        return self.to(np.float64)

    def half(self) -> Tensor:
        """As float16."""
        return self.to(np.float16)

    def long(self) -> Tensor:
        """As int64 (outside the graph: integers carry no gradient)."""
        return self.to(np.int64)

    def int(self) -> Tensor:
        """As int32 (outside the graph)."""
        return self.to(np.int32)

    def bool(self) -> Tensor:
        """As bool (outside the graph)."""
        return self.to(np.bool_)

    def clone(self) -> Tensor:
        """A copy with its own memory; differentiable (the gradient passes through unchanged)."""
        return elementwise.clone(self)

    def contiguous(self) -> Tensor:
        """This tensor when its memory is C-contiguous, else a contiguous differentiable copy."""
        return self if self._data.flags.c_contiguous else elementwise.clone(self)


def _ufunc_ops() -> dict[str, Any]:
    return {
        "add": elementwise.add,
        "subtract": elementwise.sub,
        "multiply": elementwise.mul,
        "true_divide": elementwise.div,
        "divide": elementwise.div,
        "power": elementwise.pow,
        "matmul": linalg.matmul,
        "maximum": elementwise.maximum,
        "minimum": elementwise.minimum,
        "less": lambda a, b: elementwise.compare(np.less, a, b),
        "less_equal": lambda a, b: elementwise.compare(np.less_equal, a, b),
        "greater": lambda a, b: elementwise.compare(np.greater, a, b),
        "greater_equal": lambda a, b: elementwise.compare(np.greater_equal, a, b),
        "equal": lambda a, b: elementwise.compare(np.equal, a, b),
        "not_equal": lambda a, b: elementwise.compare(np.not_equal, a, b),
    }


def _arrays_in(obj: Any) -> Any:
    """``obj`` with every Tensor inside (nested lists, tuples and dicts) replaced by its array."""
    if isinstance(obj, Tensor):
        return obj._data
    if isinstance(obj, list | tuple):
        return type(obj)(_arrays_in(x) for x in obj)
    if isinstance(obj, dict):
        return {k: _arrays_in(v) for k, v in obj.items()}
    return obj


def bind() -> None:
    """Import what these methods call; ``tensor.py`` runs this once ``Tensor`` exists (the op
    modules import ``Tensor``, so they cannot be imported while this module loads)."""
    global Tensor, elementwise, linalg
    from chaingrad.autograd.ops import elementwise, linalg
    from chaingrad.autograd.tensor import Tensor

    _UFUNC_OPS.update(_ufunc_ops())

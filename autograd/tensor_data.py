"""The array a Tensor holds, read from Python data as ``torch.tensor`` reads it (dtypes).

Python floats (and lists of them) become float32 (``DEFAULT_DTYPE``), ints int64, bools bool; an
ndarray keeps its dtype; a Python number mixed with a tensor follows the tensor's dtype
(``as_tensor``). ``Tensor`` is looked up here by ``bind()``, which ``tensor.py`` runs once it is
defined (this module is imported by it first).
"""

from __future__ import annotations

import builtins
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from chaingrad.autograd.dtypes import as_dtype

if TYPE_CHECKING:
    from chaingrad.autograd.tensor import Tensor

DEFAULT_DTYPE = np.dtype(np.float32)


def _python_dtype(array: np.ndarray) -> np.dtype:
    """The dtype PyTorch gives Python data: float32 for floats, int64 for ints, bool for bools."""
    kind = array.dtype.kind
    if kind == "f":
        return DEFAULT_DTYPE
    if kind in "iu":
        return np.dtype(np.int64)
    if kind == "b":
        return np.dtype(bool)
    raise TypeError(f"Tensor: data must be numeric (got {array.dtype} data)")


def _unwrap(data: Any) -> tuple[Any, bool]:
    """Lists/tuples with Tensors inside, as arrays; and whether any Tensor or ndarray was seen."""
    if isinstance(data, Tensor):
        return data._data, True
    if isinstance(data, np.ndarray | np.generic):
        return data, True
    if isinstance(data, list | tuple):
        seen = False
        items = []
        for item in data:
            value, inner = _unwrap(item)
            items.append(value)
            seen = seen or inner
        return items, seen
    return data, False


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """The ndarray a Tensor holds, as ``torch.tensor`` reads data: Python floats (and lists of
    them) become float32, ints int64, bools bool; an ndarray keeps its dtype."""
    if dtype is not None:
        dtype = as_dtype(dtype)
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, np.ndarray | np.generic):
        array = np.asarray(data if dtype is None else data.astype(dtype, copy=False))
    else:
        if isinstance(data, str | bytes) or (
            not isinstance(data, list | tuple | numbers.Number) and not hasattr(data, "__array__")
        ):
            raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__}")
        data, has_arrays = _unwrap(data)
        try:
            array = np.asarray(data, dtype=dtype)
        except ValueError:
            raise TypeError(
                "Tensor: data must be a rectangular nest of numbers (got ragged data)"
            ) from None
        if dtype is None and array.dtype != object and not has_arrays:
            array = array.astype(_python_dtype(array), copy=False)
        elif dtype is None and array.dtype.kind == "f" and not has_arrays:
            array = array.astype(DEFAULT_DTYPE)
    if array.dtype == object:
        raise TypeError("Tensor: data must be numeric (got ragged or object data)")
    return array


def as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """Any operand (Tensor, number, array, list) as a Tensor; a Python number follows ``like``.

    float32 * 2.0 stays float32 and int32 + 1 stays int32; otherwise Python ints become int64
    and floats the default float32.
    """
    if isinstance(x, Tensor):
        return x
    if not isinstance(x, numbers.Number) or isinstance(x, np.generic):
        return Tensor._constant(as_array(x))
    kind = like._data.dtype.kind if like is not None else ""
    if isinstance(x, builtins.bool):
        dtype = np.dtype(bool)
    elif kind == "f" or (kind in "iu" and kind and isinstance(x, builtins.int)):
        dtype = like._data.dtype  # type: ignore[union-attr]
    elif isinstance(x, builtins.int):
        dtype = np.dtype(np.int64)
    else:
        dtype = DEFAULT_DTYPE
    return Tensor._constant(np.asarray(x, dtype=dtype))


def bind() -> None:
    """Import what these methods call; ``tensor.py`` runs this once ``Tensor`` exists (the op
    modules import ``Tensor``, so they cannot be imported while this module loads)."""
    global Tensor
    from chaingrad.autograd.tensor import Tensor

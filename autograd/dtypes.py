"""dtypes as PyTorch names them: ``chaingrad.float32``, ``chaingrad.long``, ...

They are NumPy dtypes (a NumPy user's ``np.float32`` and a PyTorch user's ``chaingrad.float32``
mean the same thing, and ``t.dtype == chaingrad.float32`` holds), so every ``dtype=`` argument
also takes NumPy dtypes and strings. ``as_dtype`` is the one place that reads such an argument.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int16 = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)  # noqa: A001 - PyTorch's name (torch.bool)

# PyTorch's aliases
float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16

DEFAULT_FLOAT = float32

# Python's own types as PyTorch reads them: float means float64 ("double"), int int64
_PYTHON_TYPES = {builtins.float: float64, builtins.int: int64, builtins.bool: bool}


def as_dtype(dtype: Any) -> np.dtype:
    """A ``dtype=`` argument (chaingrad/NumPy dtype, string, or Python type) as a NumPy dtype."""
    if isinstance(dtype, np.dtype):
        return dtype
    if dtype in _PYTHON_TYPES:
        return _PYTHON_TYPES[dtype]
    if isinstance(dtype, str) and dtype.startswith("torch."):
        dtype = dtype.removeprefix("torch.")
    if isinstance(dtype, str) and dtype in _NAMES:
        return _NAMES[dtype]
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype: {dtype!r} is not a dtype (try chaingrad.float32)") from None
    if result.kind not in "fiub":
        raise TypeError(f"dtype: chaingrad tensors hold numbers or bools, not {result}")
    return result


_NAMES = {
    "float": float32,
    "double": float64,
    "half": float16,
    "long": int64,
    "int": int32,
    "short": int16,
    "bool": bool,
}

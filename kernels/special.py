"""Special functions the ops need and NumPy lacks: ``erf`` (the exact GELU), beside its reference.

``erf`` is a numba loop over ``math.erf`` (NumPy has no erf and SciPy is not a dependency);
``erf_reference`` is the same function through ``np.vectorize``, slow and obvious, for the tests.
"""

from __future__ import annotations

import math

import numpy as np

from chaingrad.kernels.runtime import kernel


@kernel("special")
def _erf_flat(x: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled by numba
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = math.erf(x[i])
    return out


def erf(x: np.ndarray) -> np.ndarray:
    """The error function elementwise, for a float32 or float64 array of any shape."""
    array = np.asarray(x)
    if array.dtype not in (np.float32, np.float64):
        raise TypeError(f"erf: needs a float32 or float64 array, got {array.dtype}")
    flat = np.ascontiguousarray(array).reshape(-1)
    return _erf_flat(flat).reshape(array.shape)


def erf_reference(x: np.ndarray) -> np.ndarray:
    """``math.erf`` applied element by element: the oracle for ``erf``."""
    array = np.asarray(x)
    return np.vectorize(math.erf, otypes=[array.dtype])(array)

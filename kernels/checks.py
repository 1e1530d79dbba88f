"""Argument checks and the canonical array layout shared by the kernel wrappers.

Every jitted kernel sees C-contiguous float32 or float64 arrays only, so each kernel compiles
once per dtype; these helpers bring user input to that form or fail with a message that names
the calling function and the offending shapes.
"""

from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def float_dtype(fn: str, *arrays: np.ndarray | None) -> np.dtype:
    """The one float dtype a call runs in: NumPy's promotion, at least float32 (None skipped)."""
    given = [np.asarray(a).dtype for a in arrays if a is not None]
    dtype = np.result_type(*given, np.float32)
    if dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{fn}: expected float32 or float64 arrays, got {', '.join(map(str, given))}"
        )
    return dtype


def canonical(a: np.ndarray | None, dtype: np.dtype) -> np.ndarray | None:
    """``a`` as a C-contiguous array of ``dtype`` (no copy when it already is one); None stays."""
    return None if a is None else np.ascontiguousarray(a, dtype=dtype)


# rows of a matrix per block of ``transposed``'s copy
TRANSPOSE_BLOCK = 64


def transposed(a: np.ndarray) -> np.ndarray:
    """The matrix ``a.T`` C-contiguous, copied TRANSPOSE_BLOCK rows of ``a`` at a time.

    NumPy's ``np.ascontiguousarray(a.T)`` walks the whole of ``a`` for every output row once
    ``a`` outgrows the cache; block by block the rows being read stay in it. float32, one
    thread: (512, 128) 65 -> 21 µs, (1024, 256) 297 -> 137 µs, (2048, 512) 7.1 -> 0.8 ms (the
    LSTM's W_hh at 128, 256 and 512 hidden units); blocks of 16, 32 and 128 rows measured
    slower. Matrices of at most one block are copied whole; where ``a.T`` is C-contiguous
    already it is returned as it is (as ``np.ascontiguousarray`` does)."""
    if a.shape[0] <= TRANSPOSE_BLOCK or a.T.flags.c_contiguous:
        return np.ascontiguousarray(a.T)
    out = np.empty(a.shape[::-1], dtype=a.dtype)
    for i in range(0, a.shape[0], TRANSPOSE_BLOCK):
        out[:, i : i + TRANSPOSE_BLOCK] = a[i : i + TRANSPOSE_BLOCK].T
    return out


def check_rank(fn: str, name: str, a: np.ndarray, ndim: int, layout: str) -> None:
    """Raise a ValueError naming ``fn`` when ``a`` is not ``ndim``-dimensional."""
    if a.ndim != ndim:
        raise ValueError(f"{fn}: {name} must be {ndim}-D {layout}, got shape {a.shape}")


def int_pair(fn: str, name: str, value: int | tuple[int, int], minimum: int) -> tuple[int, int]:
    """An int or a pair of ints as a pair, each at least ``minimum``."""
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int | np.integer) for v in pair):
        raise TypeError(f"{fn}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def check_int(fn: str, name: str, value: int, minimum: int) -> int:
    """An int of at least ``minimum`` (conv1d's stride and padding)."""
    if not isinstance(value, int | np.integer):
        raise TypeError(f"{fn}: {name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value!r}")
    return int(value)


def as_array(a: object) -> np.ndarray:
    """``a`` as an ndarray without copying one that already is."""
    return a if isinstance(a, np.ndarray) else np.asarray(a)

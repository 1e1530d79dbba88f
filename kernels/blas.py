"""NumPy's BLAS from the kernels' side: its thread count, its ``cblas_?gemm``, and ``matmul``.

NumPy's wheels bundle OpenBLAS with its own pool of threads. After a threaded product its
idle workers keep spinning (~0.1 s) before they sleep, and on a machine with as many cores as
threads a spinning worker takes a core from whatever runs next in parallel: chaingrad's numba
kernels (convolution, pooling) or recurrent lanes. A product followed by such a kernel then
gains a little from its second thread and the kernel loses far more. So ``matmul`` runs the
products that gain little (``SMALL_PRODUCT``) on one BLAS thread while chaingrad's own threads
are busy (``runtime.threads_busy``: a parallel kernel or lanes ran within the last
``runtime.BUSY_SECONDS``); a model of products only (an MLP) keeps OpenBLAS's threads.

Measured on the 2-core development machine (settled, interleaved blocks in one process, two
runs): the char-LSTM step (LSTM lanes, a 1024×128×65 head) 10.2 / 12.3 ms without this rule,
6.8 / 7.1 ms with it (PyTorch 7.2 / 7.6). Every product on one BLAS thread instead would cost
the MLP step (784-128-10, batch 128, no kernels) 0.75 -> 0.98 ms: hence "while the kernels run".

Where NumPy's BLAS is not OpenBLAS (conda's MKL, Accelerate), none of this applies: the thread
count cannot be set, ``matmul`` is ``np.matmul`` and ``gemm_address`` is 0.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numba
import numpy as np

from chaingrad.kernels.runtime import threads_busy

# OpenBLAS threads a GEMM only above 65,536 × 4 multiply-adds (interface/gemm.c): smaller
# products never wake its workers, so they need no care.
OPENBLAS_THREADED = 65_536 * 4
# Products up to this many multiply-adds run on one BLAS thread while chaingrad's threads are
# busy: single-threaded they take at most ~0.7 ms here, so the second thread saves <= ~0.35 ms,
# against ~half of every parallel kernel that runs in the next 0.1 s (3.4 ms in the char-LSTM
# step). Larger products (a VGG-sized classifier) keep both.
SMALL_PRODUCT = 32_000_000

_lock = threading.Lock()
_UNSET = object()
_blas: object = _UNSET
_gemm: dict[np.dtype, int] | None = None
_held = 0  # how many single_threaded blocks are open (several threads may hold one)
_restore = 0


def _numpy_openblas() -> Iterator[ctypes.CDLL]:
    """The OpenBLAS libraries bundled with NumPy's wheel (already loaded by NumPy), if any."""
    root = os.path.dirname(os.path.dirname(np.__file__))
    for lib in sorted(glob.glob(os.path.join(root, "numpy.libs", "*openblas*"))):
        try:
            yield ctypes.CDLL(lib)
        except OSError:
            continue


def _find_blas() -> tuple[Callable[[int], None], Callable[[], int]] | None:
    """(set, get) of the thread count of the OpenBLAS bundled with NumPy, or None."""
    for dll in _numpy_openblas():
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                setter = getattr(dll, f"{prefix}_set_num_threads{suffix}", None)
                getter = getattr(dll, f"{prefix}_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    setter.argtypes, setter.restype = [ctypes.c_int], None
                    getter.argtypes, getter.restype = [], ctypes.c_int
                    return setter, getter
    return None


def _find_gemm() -> dict[np.dtype, int]:
    """Addresses of cblas_sgemm and cblas_dgemm with 64-bit integers in NumPy's OpenBLAS."""
    for dll in _numpy_openblas():
        for prefix in ("scipy_cblas_", "cblas_"):
            found = {}
            for dtype, letter in ((np.dtype(np.float32), "s"), (np.dtype(np.float64), "d")):
                fn = getattr(dll, f"{prefix}{letter}gemm64_", None)
                if fn is not None:
                    found[dtype] = ctypes.cast(fn, ctypes.c_void_p).value or 0
            if len(found) == 2 and all(found.values()):
                return found
    return {}


def blas_control() -> tuple[Callable[[int], None], Callable[[], int]] | None:
    """(set, get) of NumPy's OpenBLAS thread count, or None where NumPy's BLAS is another."""
    global _blas
    if _blas is _UNSET:
        _blas = _find_blas()
    return _blas  # type: ignore[return-value]


def gemm_address(dtype: np.dtype) -> int:
    """The address of NumPy's OpenBLAS ``cblas_?gemm`` (ILP64) for ``dtype``, 0 where there is
    none (another BLAS, or a 32-bit-integer OpenBLAS) and under ``NUMBA_DISABLE_JIT`` (the
    sweeps call BLAS through an intrinsic, which only compiled code can): the fused sweeps then
    do not run."""
    global _gemm
    if numba.config.DISABLE_JIT:
        return 0
    if _gemm is None:
        _gemm = _find_gemm()
    return _gemm.get(np.dtype(dtype), 0)


@contextmanager
def single_threaded() -> Iterator[None]:
    """NumPy's OpenBLAS on one thread inside the block (no-op where it cannot be set).

    The count is process-wide: the first block to open saves it, the last to close restores it,
    so overlapping blocks on several threads never leave BLAS single-threaded."""
    global _held, _restore
    control = blas_control()
    if control is None:
        yield
        return
    setter, getter = control
    with _lock:
        if _held == 0:
            _restore = getter()
            setter(1)
        _held += 1
    try:
        yield
    finally:
        with _lock:
            _held -= 1
            if _held == 0:
                setter(_restore)


def _multiply_adds(x: np.ndarray, y: np.ndarray) -> int:
    """Multiply-adds of x @ y with numpy.matmul's shapes (1-D operands count as one row/column)."""
    rows = x.shape[-2] if x.ndim >= 2 else 1
    cols = y.shape[-1] if y.ndim >= 2 else 1
    batch = 1
    if x.ndim > 2 or y.ndim > 2:
        batch = int(np.prod(np.broadcast_shapes(x.shape[:-2], y.shape[:-2])))
    return batch * rows * x.shape[-1] * cols


def matmul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """np.matmul(x, y), on one BLAS thread if it is small and chaingrad's threads are busy."""
    if not threads_busy() or x.ndim == 0 or y.ndim == 0:
        return np.matmul(x, y)
    try:
        work = _multiply_adds(x, y)
    except ValueError:  # batch axes that do not broadcast: np.matmul says so
        return np.matmul(x, y)
    if work <= OPENBLAS_THREADED or work > SMALL_PRODUCT:
        return np.matmul(x, y)
    with single_threaded():
        return np.matmul(x, y)

"""Lanes: the batch rows of a recurrence split over threads, each lane with single-threaded BLAS.

The rows of a batch never interact in a recurrence, so each lane sweeps all T steps over its
own rows with no synchronisation per step; only the weight gradients, which sum over every
row, wait for all lanes. Inside a lane every product is small enough for OpenBLAS's unthreaded
small-matrix kernels (``op._row_blocks``), so the lanes and OpenBLAS's own threads never
compete for the cores.

NumPy's BLAS is told to use one thread for the duration (``blas_single_threaded``) through
the ``openblas_set_num_threads`` of the OpenBLAS that NumPy bundles; where that library or
symbol is not found (another BLAS), there are no lanes and the sweep runs as one. The number
of lanes follows numba's thread count (``NUMBA_NUM_THREADS``), never more than the batch
allows at ``MIN_LANE_ROWS`` rows a lane. The fused LSTM sweeps (one nogil numba call per lane,
BLAS called from inside, ``gemm_address``) always run in lanes (``sweep_lanes``); the per-step
lanes of the other path are off unless ``CHAINGRAD_LSTM_LANES=1`` (``ENABLED``): with a Python
call per step on each thread they measured slower in wall time on two threads.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numba
import numpy as np

MIN_LANE_ROWS = 8  # a lane of fewer rows spends more on its calls than it saves
# Off by default: on the 2-core development machine (2 threads, wall time, lanes on/off
# interleaved in one process) the char-LSTM step took 13.4 ms with lanes against 9.9 ms
# without, the LSTM T50 B32 64->128 fwd+bwd 15.3 against 14.6 ms, although lanes won in
# single-thread CPU time (0.89-0.92x). CHAINGRAD_LSTM_LANES=1 turns them on to measure again.
ENABLED = os.environ.get("CHAINGRAD_LSTM_LANES", "") == "1"

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_UNSET = object()
_blas: object = _UNSET


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


_gemm: dict[np.dtype, int] | None = None


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


def _blas_control() -> tuple[Callable[[int], None], Callable[[], int]] | None:
    global _blas
    if _blas is _UNSET:
        _blas = _find_blas()
    return _blas  # type: ignore[return-value]


def lanes(batch: int) -> list[slice]:
    """The batch rows each lane sweeps: one lane (all rows) unless threads and rows allow more."""
    count = min(numba.get_num_threads(), batch // MIN_LANE_ROWS)
    if not ENABLED or count < 2 or _blas_control() is None:
        return [slice(0, batch)]
    size = -(-batch // count)
    return [slice(i, min(i + size, batch)) for i in range(0, batch, size)]


# Lanes of the fused LSTM sweeps (``fast.lstm_forward_sweep``): one numba call per lane and
# sequence, holding no GIL, so lanes never wait on each other or on Python between steps. On by
# default; CHAINGRAD_LSTM_FUSED_LANES=0 runs the fused sweeps in one lane (to measure again: in
# a whole training step an OpenBLAS worker left spinning by a threaded GEMM elsewhere, e.g. the
# head's, shares the second core with the second lane; see the LSTM op's docstring).
FUSED_LANES = os.environ.get("CHAINGRAD_LSTM_FUSED_LANES", "1") != "0"


def sweep_lanes(batch: int) -> list[slice]:
    """The batch rows of each lane of a fused sweep: as many lanes as numba has threads and the
    batch has ``MIN_LANE_ROWS`` rows for, one lane (all rows) otherwise."""
    count = min(numba.get_num_threads(), batch // MIN_LANE_ROWS)
    if not FUSED_LANES or count < 2:
        return [slice(0, batch)]
    size = -(-batch // count)
    return [slice(i, min(i + size, batch)) for i in range(0, batch, size)]


_held = 0  # how many blas_single_threaded blocks are open (several threads may run LSTMs)
_restore = 0


@contextmanager
def blas_single_threaded() -> Iterator[None]:
    """NumPy's OpenBLAS on one thread inside the block (no-op where it cannot be set).

    The count is process-wide: the first block to open saves it, the last to close restores it,
    so overlapping blocks on several threads never leave BLAS single-threaded."""
    global _held, _restore
    control = _blas_control()
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


def run_lanes(fn: Callable[[slice], None], rows: list[slice]) -> None:
    """fn(rows) for every lane: the first on this thread, the others on pool threads."""
    global _pool, _pool_size
    if len(rows) == 1:
        fn(rows[0])
        return
    with _lock:
        if _pool is None or _pool_size < len(rows) - 1:
            # more lanes than before: a larger pool replaces it (the old one's idle workers
            # exit once it is collected; shutting it down could race a caller still using it)
            _pool = ThreadPoolExecutor(len(rows) - 1, thread_name_prefix="chaingrad-lane")
            _pool_size = len(rows) - 1
        pool = _pool
    futures = [pool.submit(fn, r) for r in rows[1:]]
    try:
        fn(rows[0])
    finally:
        for f in futures:
            f.result()  # re-raises a lane's error here

"""How the kernels compile and run: numba's cache where one is writable, a notice while a first
run compiles, and a lock around parallel kernels when numba's threading layer is ``workqueue``.

- ``kernel(group, **options)`` is ``numba.njit(cache=True, **options)``, except that where numba
  finds no writable cache location (``NUMBA_CACHE_DIR``, the package's ``__pycache__``, the user's
  cache folder: a read-only install run by a user with no home) the kernel compiles without a
  cache, and the log says so once.
- While a group of kernels compiles (an empty cache), the log says so once per group:
  ``chaingrad: compiling conv kernels, first run only, ~30 s``. Warm starts load the cache and
  say nothing. Quiet it with ``CHAINGRAD_QUIET_COMPILE=1`` or by raising the level of the
  ``chaingrad.kernels`` logger (both messages are WARNINGs, so they show without any logging
  set up, as one stderr line each).
- numba's ``workqueue`` threading layer (numba's fallback when neither TBB nor OpenMP is
  available) aborts the process when two threads launch parallel kernels at once.
  ``run_parallel`` serialises the calls until the layer is known, and for good if it is
  ``workqueue``. The thread count is numba's (``NUMBA_NUM_THREADS``, lowered at run time by
  ``chaingrad.set_num_threads``).
- Small calls run on one thread (``threads_for(work)``, like PyTorch's grain size): below
  ``GRAIN`` inner operations a parallel region costs more to start and join than it saves, and
  on a busy machine far more: every region waits for all its threads to be scheduled, which
  measured 20-40 ms per call at load 15 on 2 cores against 0.03 ms on one thread.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import numba
from numba.core import event

log = logging.getLogger("chaingrad.kernels")

QUIET_ENV = "CHAINGRAD_QUIET_COMPILE"

# Cold-cache compile time of each group's float32 kernels, measured on the 2-core development
# machine under load (conv 36 s, pooling 8 s, recurrences 5 s); float64 compiles as much again.
COMPILE_SECONDS = {"conv": 30, "pool": 8, "recurrent": 5, "special": 1}

_group_of: dict[Callable, str] = {}  # py_func -> its group, for the compile notice
_announced: set[str] = set()
_state_lock = threading.Lock()
_uncached: list[str] = []  # the kernels compiled without a cache (the warning says so once)


def caching_enabled() -> bool:
    """Whether the kernels compile to numba's on-disk cache (False: no writable location)."""
    return not _uncached


def kernel(group: str, **options: Any) -> Callable[[Callable], Callable]:
    """numba.njit(cache=True, **options); uncached, said once, where no cache is writable."""
    if group not in COMPILE_SECONDS:
        raise ValueError(f"kernel: unknown group {group!r}; one of {sorted(COMPILE_SECONDS)}")

    def decorate(fn: Callable) -> Callable:
        try:
            dispatcher = numba.njit(cache=True, **options)(fn)
        except RuntimeError as err:
            if "no locator available" not in str(err):
                raise
            _warn_uncached(fn.__name__)
            dispatcher = numba.njit(**options)(fn)
        _group_of[fn] = group
        return dispatcher

    return decorate


def _warn_uncached(name: str) -> None:
    with _state_lock:
        first = not _uncached
        _uncached.append(name)
    if first:
        log.warning(
            "chaingrad: no writable cache folder for numba (NUMBA_CACHE_DIR, the package "
            "folder, the user cache folder): kernels compile on every start; set "
            "NUMBA_CACHE_DIR to a writable folder to keep them"
        )


class _CompileNotice(event.Listener):
    """Says, once per group, that chaingrad's kernels compile (numba signals cache misses only)."""

    def on_start(self, ev: event.Event) -> None:
        dispatcher = (ev.data or {}).get("dispatcher")
        group = _group_of.get(getattr(dispatcher, "py_func", None))
        if group is None:
            return  # some other library's numba function
        _timing.depth = getattr(_timing, "depth", 0) + 1
        if _timing.depth == 1:  # a kernel's compile may compile the kernels it calls: time once
            _timing.start = time.perf_counter()
        with _state_lock:
            if group in _announced:
                return
            _announced.add(group)
        if os.environ.get(QUIET_ENV, "") not in ("", "0"):
            return
        when = "first run only" if caching_enabled() else "on every start (no writable cache)"
        log.warning(
            "chaingrad: compiling %s kernels, %s, ~%d s", group, when, COMPILE_SECONDS[group]
        )

    def on_end(self, ev: event.Event) -> None:
        dispatcher = (ev.data or {}).get("dispatcher")
        if _group_of.get(getattr(dispatcher, "py_func", None)) is None:
            return
        _timing.depth = getattr(_timing, "depth", 1) - 1
        if _timing.depth == 0:
            global _compile_seconds
            with _state_lock:
                _compile_seconds += time.perf_counter() - _timing.start


_timing = threading.local()  # per thread: the nesting depth and start of the compile under way
_compile_seconds = 0.0  # compile time spent in this process


@atexit.register
def _report_compile_time() -> None:
    """At exit, one line with the seconds the kernels took to compile in this run (if any)."""
    if _compile_seconds > 0 and os.environ.get(QUIET_ENV, "") in ("", "0"):
        later = "later runs load them from the cache" if caching_enabled() else "no cache"
        log.warning("chaingrad: the kernels compiled in %.1f s (%s)", _compile_seconds, later)


event.register("numba:compile", _CompileNotice())

_parallel_lock = threading.Lock()
_layer_safe = bool(numba.config.DISABLE_JIT)  # plain Python: no threading layer at all


def threading_layer() -> str | None:
    """numba's threading layer, or None before the first parallel kernel has run."""
    try:
        return numba.threading_layer()
    except ValueError:
        return None


# Inner operations (multiply-adds, window elements) below which a kernel runs on one thread:
# ~50-100 us of work on one core of the development machine, several parallel-region start-ups
GRAIN = 250_000


def threads_for(work: int) -> int:
    """The threads a kernel call of ``work`` inner operations runs on: 1 if small, else numba's."""
    threads = numba.get_num_threads()
    return 1 if work < GRAIN else threads


def run_parallel(fn: Callable, *args: Any, threads: int | None = None) -> Any:
    """fn(*args) for a parallel=True kernel on ``threads`` threads (None: numba's count).

    One call at a time unless the threading layer is TBB or OpenMP (workqueue aborts on two).
    """
    global _layer_safe
    if threads is not None and threads < numba.get_num_threads():
        before = numba.get_num_threads()
        _set_threads(threads)  # thread-local in numba: other threads' kernels are unaffected
        try:
            return run_parallel(fn, *args)
        finally:
            _set_threads(before)
    if _layer_safe:
        return fn(*args)
    with _parallel_lock:  # the layer is workqueue, or not started yet (this call may start it)
        result = fn(*args)
        _layer_safe = threading_layer() in ("tbb", "omp")
    return result


def _public_set_threads(n: int) -> None:
    numba.set_num_threads(n)


# numba.set_num_threads checks its argument and the pool on every call (~8 us here); the
# ctypes entry point it ends in takes ~1 us. Use it where this numba has it (the pool is up:
# get_num_threads above started it), else the public function.
try:
    from numba.np.ufunc.parallel import _set_num_threads as _set_threads
except ImportError:  # a numba without it
    _set_threads = _public_set_threads

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
- A first run does not wait for the compiler (``CHAINGRAD_COMPILE=background``, the default).
  Each op asks ``use_numba(group)`` before it runs its kernels. The first time, that checks for
  the group's marker file in numba's cache folder (keyed by the group's kernel sources, the
  numba and Python versions and the CPU): present, the cache is warm and the numba kernels run
  (they load in milliseconds). Absent, it starts one background process,
  ``python -m chaingrad.kernels.warm GROUP`` (at a lower priority), which compiles the
  group's float32 kernels into the same cache by calling the public ops on tiny inputs and
  then writes the marker; until it has finished (polled on every call, never waited for) the
  op runs its vectorised NumPy path (``<group>/numpy_path.py``), and from then on the numba
  kernels, loaded from the cache. float64 (and any other signature the warm-up does not
  cover) compiles inline on its first use after the switch. A marker that lied (a float32
  kernel of the group compiled in this process after all) is deleted, so the next run warms
  up again. ``CHAINGRAD_COMPILE=inline`` compiles in the process on first use, as before;
  so does every run where numba has no writable cache folder.
- On CPUs with AVX-512 the kernels compile with 512-bit vectors (``prefer_wide_vectors``):
  LLVM's tuning for Intel's AVX-512 cores prefers 256-bit ones, which halves what each
  instruction of the tap loops does. ``CHAINGRAD_WIDE_VECTORS=0``, or a ``NUMBA_CPU_NAME`` or
  ``NUMBA_CPU_FEATURES`` of your own, leaves numba's choice alone.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import inspect
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba
from numba.core import event

log = logging.getLogger("chaingrad.kernels")

QUIET_ENV = "CHAINGRAD_QUIET_COMPILE"
WIDE_VECTORS_ENV = "CHAINGRAD_WIDE_VECTORS"  # "0": leave numba's vector width to LLVM
COMPILE_ENV = "CHAINGRAD_COMPILE"  # "background" (the default) or "inline"
COMPILE_MODES = ("background", "inline")
# the groups with another path to run meanwhile, and what that path is
MEANWHILE = {
    "conv": "NumPy kernels",
    "pool": "NumPy kernels",
    "recurrent": "NumPy kernels",
    "lstm-columns": "the LSTM's one-thread sweeps",
    "lstm-lanes": "the LSTM's lanes on Python threads",
}
BACKGROUND_GROUPS = tuple(MEANWHILE)

# Cold-cache compile time of each group's float32 kernels, measured on the 2-core development
# machine under load (conv 36 s, pooling 8 s, recurrences 5 s); float64 compiles as much again.
# Issue 16, CPU seconds of everything the background warm-up compiles (kernels/warm.py), quiet
# machine: conv 21, pool 11 (seven signatures; a CNN's first run uses three or four of them),
# recurrent 3 (the fused LSTM sweeps), lstm-columns 8 (three parallel kernels: compiled only
# once a small-batch LSTM asks for them), lstm-lanes 4 (the fused sweeps' lanes as two parallel
# kernels: once lanes run). The inline notice quotes the first figures, in wall s.
COMPILE_SECONDS = {
    "conv": 30,
    "pool": 8,
    "recurrent": 5,
    "lstm-columns": 8,
    "lstm-lanes": 5,
    "special": 1,
}

# Compiled helpers with no kernel of their own (intrinsics, overloads): their code is inlined into
# the kernels that use them, so every group's cache key covers them (numba's own cache checks a
# kernel's file only)
SHARED_SOURCES = tuple(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    for name in ("cblas.py", "scratch.py")
)

_group_of: dict[Callable, str] = {}  # py_func -> its group, for the compile notice
_dispatchers: dict[Callable, Any] = {}  # py_func -> its numba dispatcher (for the cache folder)
_announced: set[str] = set()
_state_lock = threading.Lock()
_uncached: list[str] = []  # the kernels compiled without a cache (the warning says so once)


def prefer_wide_vectors() -> str | None:
    """Ask numba for 512-bit vectors on an AVX-512 CPU; the features string set, or None.

    LLVM tunes Intel's AVX-512 cores (Skylake-SP to Sapphire Rapids: ``prefer-256-bit``) to
    vectorise loops 256 bits wide, AMD's Zen 4 and 5 512 wide. The tap loops were tuned on a
    Zen 4: a pass of the tap loop of the time (8 rows × 4 taps) was 12 vector loads, 8 stores
    and 32 FMAs, bound by the FMAs, so at 256 bits each FMA did half the work. Measured on a
    2-core Sapphire Rapids (Xeon, numba 0.68 / LLVM 22), separate processes, medians of 7: that
    loop alone 89 -> 119 GFLOP/s on one thread; conv2d 16->32 on 28x28 at batch 64, two
    threads, forward 3.8 -> 3.0-3.2 ms and weight gradient 3.4-3.6 -> 3.1, 64->64 forward
    11.6-12.3 -> 9.4-9.6; the input gradient unchanged. On Zen 4 the setting is what LLVM does
    already.

    The features are numba's own (the host's) plus ``-prefer-256-bit``, set before numba's CPU
    target is first built (the first kernel this module decorates), so that the code, numba's
    cache key and ``warm_key`` agree; it is process-wide, so numba code of your own compiled
    afterwards gets the wider vectors too (same results: the width changes no rounding unless
    fastmath reassociates). Left alone where numba already compiled something in this process,
    where the user set ``NUMBA_CPU_NAME``/``NUMBA_CPU_FEATURES``, under ``NUMBA_ENABLE_AVX=0``
    and with ``CHAINGRAD_WIDE_VECTORS=0``.
    """
    global _wide_features
    if os.environ.get(WIDE_VECTORS_ENV, "1").strip() == "0" or not numba.config.ENABLE_AVX:
        return None
    if numba.config.CPU_NAME is not None or numba.config.CPU_FEATURES is not None:
        return None
    from numba.core.registry import cpu_target

    if "_toplevel_target_context" in vars(cpu_target):  # numba's codegen exists: too late
        return None
    import llvmlite.binding as ll

    try:
        features = ll.get_host_cpu_features()
    except RuntimeError:
        return None
    if not features.get("avx512f", False):
        return None
    _wide_features = f"{features.flatten()},-prefer-256-bit"
    numba.config.CPU_FEATURES = _wide_features
    return _wide_features


_wide_features: str | None = None
prefer_wide_vectors()


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
        _dispatchers[fn] = dispatcher
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
            if group in _trusted and _covered_by_warm_up((ev.data or {}).get("args", ())):
                _distrust(group)
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
    if os.environ.get(QUIET_ENV, "") not in ("", "0"):
        return
    if _compile_seconds > 0:
        later = "later runs load them from the cache" if caching_enabled() else "no cache"
        log.warning("chaingrad: the kernels compiled in %.1f s (%s)", _compile_seconds, later)
    running = [g for g, w in _warm_ups.items() if w.proc is not None and w.proc.poll() is None]
    if running:
        log.warning(
            "chaingrad: the %s kernels are still compiling in the background; "
            "the next run uses them",
            " and ".join(running),
        )


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
# PyTorch's grain size. On a quiet machine the tutorial CNN step measured 3.50 ms with every call
# parallel, 3.55 ms with this grain and 3.76 ms with 250,000 (toggling the thread count is
# not free either); on a busy one each parallel call below it would cost 20-40 ms.
GRAIN = 32_768


def threads_for(work: int) -> int:
    """The threads a kernel call of ``work`` inner operations runs on: 1 if small, else numba's."""
    threads = numba.get_num_threads()
    return 1 if work < GRAIN else threads


# How long after chaingrad's own threads last ran in parallel (a parallel kernel, recurrent
# lanes) they count as busy: a training loop runs them every step, milliseconds apart.
BUSY_SECONDS = 0.25
_busy_until = 0.0


def note_parallel() -> None:
    """Record that chaingrad's own threads are running in parallel now (see ``threads_busy``)."""
    global _busy_until
    _busy_until = time.monotonic() + BUSY_SECONDS


def threads_busy() -> bool:
    """Whether chaingrad's own threads ran in parallel within the last ``BUSY_SECONDS``."""
    return time.monotonic() < _busy_until


def run_parallel(fn: Callable, *args: Any, threads: int | None = None) -> Any:
    """fn(*args) for a parallel=True kernel on ``threads`` threads (None: numba's count).

    One call at a time unless the threading layer is TBB or OpenMP (workqueue aborts on two).
    """
    before = numba.get_num_threads()
    if threads is not None and threads < before:
        if threads > 1:
            note_parallel()
        _set_threads(threads)  # thread-local in numba: other threads' kernels are unaffected
        try:
            return _run(fn, *args)
        finally:
            _set_threads(before)
    if before > 1:
        note_parallel()
    return _run(fn, *args)


def _run(fn: Callable, *args: Any) -> Any:
    """fn(*args), serialised while the threading layer may be workqueue."""
    global _layer_safe
    if _layer_safe:
        return fn(*args)
    with _parallel_lock:  # the layer is workqueue, or not started yet (this call may start it)
        result = fn(*args)
        _layer_safe = threading_layer() in ("tbb", "omp")
    return result


_lane_lock = threading.Lock()
_lane_pool: ThreadPoolExecutor | None = None
_lane_pool_size = 0


def run_lanes(fn: Callable[[slice], None], rows: list[slice]) -> None:
    """fn(rows) for every lane: the first on this thread, the others on pool threads.

    Lanes are Python threads running nogil numba kernels (recurrent sweeps, Winograd tiles)
    over their own rows; while they run, chaingrad's threads count as busy (``note_parallel``).
    """
    global _lane_pool, _lane_pool_size
    if len(rows) == 1:
        fn(rows[0])
        return
    note_parallel()  # products nearby keep off the cores the lanes run on (kernels.blas)
    with _lane_lock:
        if _lane_pool is None or _lane_pool_size < len(rows) - 1:
            # more lanes than before: a larger pool replaces it (the old one's idle workers
            # exit once it is collected; shutting it down could race a caller still using it)
            _lane_pool = ThreadPoolExecutor(len(rows) - 1, thread_name_prefix="chaingrad-lane")
            _lane_pool_size = len(rows) - 1
        pool = _lane_pool
    futures = [pool.submit(fn, r) for r in rows[1:]]
    try:
        fn(rows[0])
    finally:
        for f in futures:
            f.result()  # re-raises a lane's error here


def _public_set_threads(n: int) -> None:
    numba.set_num_threads(n)


# numba.set_num_threads checks its argument and the pool on every call (~8 us here); the
# ctypes entry point it ends in takes ~1 us. Use it where this numba has it (the pool is up:
# get_num_threads above started it), else the public function.
try:
    from numba.np.ufunc.parallel import _set_num_threads as _set_threads
except ImportError:  # a numba without it
    _set_threads = _public_set_threads


# --- compiling in the background ------------------------------------------------------------

WARM_MARKER = "chaingrad-warm-{group}-{key}.ok"  # in the group's numba cache folder
# beside it: the sources' key the group's cache entries were last emptied for (fresh_cache)
SOURCES_FILE = "chaingrad-sources-{group}.key"
_LOCK_STALE_SECONDS = (
    900  # untouched this long: left by a warm-up that died (they touch it each minute)
)


class _WarmUp:
    """How one group's kernels get compiled in this process; ``ready`` once they may run."""

    def __init__(self) -> None:
        self.ready = False
        self.forced = False  # held on the NumPy path by ``numpy_path_only`` (tests, benchmarks)
        self.proc: subprocess.Popen | None = None  # our background compile, if we started it
        self.marker = ""  # the marker file that says the group's float32 kernels are cached
        self.lock = ""  # exists while some process's background compile is under way


_warm_ups: dict[str, _WarmUp] = {}
_trusted: set[str] = set()  # groups whose marker this process trusted (checked on compiles)
_warm_lock = threading.Lock()


def compile_mode() -> str:
    """``CHAINGRAD_COMPILE``: "background" (default) or "inline"; ValueError for anything else."""
    mode = os.environ.get(COMPILE_ENV, "").strip().lower() or "background"
    if mode not in COMPILE_MODES:
        raise ValueError(f"{COMPILE_ENV} must be one of {COMPILE_MODES}, got {mode!r}")
    return mode


def use_numba(group: str) -> bool:
    """Whether ``group``'s ops run their numba kernels now (else their NumPy path); never waits.

    True with a warm cache, in inline mode, with no writable cache and once the background
    compile this starts on first call (or another process's) has finished."""
    state = _warm_ups.get(group)
    if state is not None and state.ready:
        return True  # the usual case: one dict lookup
    with _warm_lock:
        state = _warm_ups.get(group)
        if state is None:
            state = _warm_ups[group] = _decide(group)
        elif not state.ready:
            _poll(group, state)
        return state.ready


def _decide(group: str) -> _WarmUp:
    """The first call of a group in this process: warm cache, inline, or start a warm-up."""
    state = _WarmUp()
    state.ready = True
    fresh_cache(group)  # before anything of the group compiles or loads in this process
    if group not in BACKGROUND_GROUPS or numba.config.DISABLE_JIT or compile_mode() == "inline":
        return state
    folder = cache_folder(group)
    if folder is None:  # nowhere to keep the kernels: a background compile would be lost
        return state
    state.marker = os.path.join(folder, WARM_MARKER.format(group=group, key=warm_key(group)))
    state.lock = state.marker[: -len(".ok")] + ".lock"
    if os.path.exists(state.marker):
        _trusted.add(group)  # verified: a float32 compile of the group drops the marker
        return state
    state.ready = False
    if not _take_lock(state.lock):  # another process is compiling this group: wait for it
        return state
    try:
        state.proc = _start_warm_up(group, state.lock)
    except OSError as err:
        _release(state.lock)
        log.warning("chaingrad: could not start the background compile (%s); compiling here", err)
        state.ready = True
        return state
    with _state_lock:
        first = group not in _announced
        _announced.add(group)
    if first and os.environ.get(QUIET_ENV, "") in ("", "0"):
        log.warning(
            "chaingrad: compiling %s kernels in the background, first run only; %s meanwhile",
            group,
            MEANWHILE[group],
        )
    return state


def _poll(group: str, state: _WarmUp) -> None:
    """Switch to the numba kernels once the background compile has finished (never waits)."""
    if state.forced:
        return
    if state.proc is None:  # another process compiles: done when its marker appears
        if os.path.exists(state.marker):
            state.ready = True
        elif not os.path.exists(state.lock):  # it ended without a marker: compile here
            state.ready = True
        return
    code = state.proc.poll()
    if code is None:
        return
    state.ready = True
    if code != 0 or not os.path.exists(state.marker):
        log.warning(
            "chaingrad: the background compile of the %s kernels failed (exit %s, log in %s); "
            "compiling here",
            group,
            code,
            _log_path(state.lock),
        )
    else:
        _trusted.add(group)


@contextlib.contextmanager
def numpy_path_only(*groups: str) -> Iterator[None]:
    """Within the block, ``groups``' ops run their NumPy paths (the tests' way to check them)."""
    unknown = set(groups) - set(BACKGROUND_GROUPS)
    if unknown:
        raise ValueError(f"numpy_path_only: no NumPy path for {sorted(unknown)}")
    with _warm_lock:
        saved = {g: _warm_ups.get(g) for g in groups}
        for g in groups:
            held = _warm_ups[g] = _WarmUp()
            held.forced = True
    try:
        yield
    finally:
        with _warm_lock:
            for g, state in saved.items():
                if state is None:
                    _warm_ups.pop(g, None)
                else:
                    _warm_ups[g] = state


def wait_for_background(timeout: float | None = None) -> bool:
    """Block until this process's background compiles have ended (for tests and benchmarks)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    for state in list(_warm_ups.values()):
        if state.proc is None:
            continue
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            state.proc.wait(left)
        except subprocess.TimeoutExpired:
            return False
    return True


def background_pids() -> list[int]:
    """The process ids of the background compiles this process started (running or not)."""
    return [s.proc.pid for s in _warm_ups.values() if s.proc is not None]


def cache_folder(group: str) -> str | None:
    """The folder numba caches ``group``'s kernels in, or None where they compile uncached."""
    if not caching_enabled():
        return None
    for fn, g in list(_group_of.items()):
        if g == group:
            cache = getattr(_dispatchers.get(fn), "_cache", None)
            path = getattr(cache, "_cache_path", None)
            if path:
                return str(path)
    return None


def warm_key(group: str) -> str:
    """A hash of what numba's cached kernels depend on: the group's sources, versions, CPU."""
    import llvmlite.binding as ll

    digest = hashlib.sha256()
    files = {inspect.getsourcefile(fn) or "" for fn, g in _group_of.items() if g == group}
    files = sorted(files | set(SHARED_SOURCES))  # the compiled helpers kernels inline
    for path in files:
        with open(path, "rb") as f:
            digest.update(f.read())
    cpu = numba.config.CPU_NAME or ll.get_host_cpu_name()
    # the features the codegen was built with: ours even if a NUMBA_* variable set later made
    # numba re-read its configuration (which drops CPU_FEATURES set in code)
    features = _wide_features or numba.config.CPU_FEATURES or ""
    digest.update(f"{numba.__version__} {sys.version} {cpu} {features}".encode())
    return digest.hexdigest()[:16]


def flush_cache(group: str) -> int:
    """Empty numba's cache index of each of ``group``'s kernels; return how many were emptied.

    numba checks a cached kernel against its own source file only: a kernel that calls one
    from another file (conv's tap loops live in ``taps.py``, their callers in ``fast.py``)
    keeps loading the old callee's machine code after that file changes. ``fresh_cache``
    empties the group's entries once its sources (all of them, as in ``warm_key``) change.
    """
    emptied = 0
    for fn, g in list(_group_of.items()):
        cache = getattr(_dispatchers.get(fn), "_cache", None)
        if g == group and cache is not None:
            cache.flush()
            emptied += 1
    return emptied


def fresh_cache(group: str) -> bool:
    """Empty ``group``'s cache entries (``flush_cache``) when its sources differ from those they
    were last emptied for; True if it did.

    ``SOURCES_FILE`` beside the cache holds that key, so a background warm-up, a later run or
    ``CHAINGRAD_COMPILE=inline`` do not empty again, and a checkout switched to other sources
    and back empties both times. Where the file is missing (a cache older than it) a warm
    marker for the current sources vouches for the entries.
    """
    folder = None if numba.config.DISABLE_JIT else cache_folder(group)
    if folder is None:
        return False
    key = warm_key(group)
    path = os.path.join(folder, SOURCES_FILE.format(group=group))
    try:
        with open(path) as f:
            last: str | None = f.read(64).strip()  # a key is 16 hex digits: read no more
    except OSError:
        last = None
    if last == key:
        return False
    marker = os.path.join(folder, WARM_MARKER.format(group=group, key=key))
    stale = last is not None or not os.path.exists(marker)
    if stale:
        flush_cache(group)
    with contextlib.suppress(OSError):  # a folder numba writes but we cannot: again next time
        _write_flag(path, key)
    return stale


def marker_path(group: str) -> str | None:
    """Where ``group``'s marker for its current sources lives (None: no cache folder)."""
    folder = cache_folder(group)
    if folder is None:
        return None
    return os.path.join(folder, WARM_MARKER.format(group=group, key=warm_key(group)))


def write_marker(group: str) -> str:
    """Record that ``group``'s float32 kernels are in the cache (the warm-up's last step)."""
    path = marker_path(group)
    if path is None:
        raise RuntimeError(f"write_marker: the {group} kernels have no cache folder")
    _write_flag(path, numba.__version__)
    return path


def _write_flag(path: str, text: str) -> None:
    """Write a marker's (or the sources file's) one line whole or not at all: a temporary
    beside it, renamed over.

    (``autograd.files.atomic_write`` does this for the package's other files; the kernels
    layer does not import the engine.)"""
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(tmp, "w") as f:
            f.write(f"{text}\n")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.remove(tmp)  # left only if the write or the rename failed


def _covered_by_warm_up(arg_types: object) -> bool:
    """Whether a compile's argument types are a float32 signature (what the warm-up compiles)."""
    try:
        return any(getattr(t, "dtype", None) == numba.float32 for t in arg_types)
    except TypeError:
        return False


def _distrust(group: str) -> None:
    """A kernel compiled although the marker said the cache was warm: delete the marker."""
    _trusted.discard(group)
    state = _warm_ups.get(group)
    if state is not None and state.marker:
        try:
            os.remove(state.marker)
        except OSError:
            pass
        log.info("chaingrad: the %s kernels were not all cached; marker removed", group)


def _take_lock(path: str) -> bool:
    """Create the warm-up lock file; False if another live warm-up holds it."""
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                if time.time() - os.path.getmtime(path) < _LOCK_STALE_SECONDS:
                    return False
                os.remove(path)  # left by a warm-up that died: take it over
            except OSError:
                return False
            continue
        except OSError:
            return False
        os.close(fd)
        return True
    return False


def _release(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _log_path(lock: str) -> str:
    return lock[: -len(".lock")] + ".log"


def _start_warm_up(group: str, lock: str) -> subprocess.Popen:
    """Start ``python -m chaingrad.kernels.warm GROUP`` detached, its output to a log file."""
    env = {**os.environ, COMPILE_ENV: "inline", QUIET_ENV: "1"}
    # the same vector width as this process's code (numba-first here means 256 bits there
    # too): else its marker's key would never be this process's
    env[WIDE_VECTORS_ENV] = "1" if _wide_features else "0"
    with open(_log_path(lock), "w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "chaingrad.kernels.warm", group, "--lock", lock],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            **_detached(),
        )


def _detached() -> dict[str, Any]:
    """Popen options that keep the warm-up out of the terminal's Ctrl-C but in our session.

    Its own process group: Ctrl-C goes to the terminal's foreground group only. Not its own
    session: Linux's autogroup scheduler shares the CPU equally between sessions, whatever
    their niceness, so a compile in a new session took half the cores from the run that
    started it (a first `chaingrad train cnn` trained 7x slower beside it).
    """
    if os.name != "posix":
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
    if sys.version_info >= (3, 11):
        return {"process_group": 0}
    return {"preexec_fn": os.setpgrp}  # Python 3.10 has no process_group

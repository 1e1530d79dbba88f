"""A kernel calling one from another file: numba's cache checks the caller's own file only, so
after the callee's file changes the caller loads stale machine code until the group's cache
entries are emptied (``runtime.flush_cache``, run by ``runtime.fresh_cache`` once per version
of the group's sources: at the group's first use in a process and in the warm-up)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CALLEE = """
from chaingrad.kernels.runtime import kernel

@kernel("special")
def callee(v):
    return v + {step}
"""

CALLER = """
from chaingrad.kernels.runtime import kernel
from callee import callee

@kernel("special")
def caller(v):
    return callee(v) * 2
"""

RUN = """
import sys
sys.path.insert(0, {folder!r})
from chaingrad.kernels import runtime
import caller
if {flush}:
    print("emptied", runtime.flush_cache("special"))
print("result", caller.caller(1))
"""


def _run(folder: Path, cache: Path, flush: bool) -> int:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", RUN.format(folder=str(folder), flush=flush)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return int(out.stdout.split("result")[-1])


def _write_callee(folder: Path, step: int, stamp: float) -> None:
    path = folder / "callee.py"
    path.write_text(CALLEE.format(step=step))
    os.utime(path, (stamp, stamp))  # a new modification time, as an edit or upgrade gives


def test_the_warm_ups_flush_recompiles_a_caller_whose_callee_changed(tmp_path):
    folder, cache = tmp_path / "src", tmp_path / "cache"
    folder.mkdir()
    (folder / "caller.py").write_text(CALLER)
    _write_callee(folder, 1, 1_000_000_000)
    assert _run(folder, cache, flush=False) == 4  # compiled and cached: (1 + 1) * 2
    _write_callee(folder, 2, 1_000_000_100)
    assert _run(folder, cache, flush=False) == 4  # numba's limitation: the stale callee
    assert _run(folder, cache, flush=True) == 6  # emptied, recompiled: (1 + 2) * 2
    assert _run(folder, cache, flush=False) == 6  # and cached afresh


def test_fresh_cache_empties_whenever_the_sources_differ_from_the_last_emptied(
    monkeypatch, tmp_path
):
    """New sources: flush and record their key; the same again: not; switched to other
    sources and back: flush both times; an older cache with a warm marker: trusted."""
    from chaingrad.kernels import runtime

    flushed: list[str] = []
    key = ["k1"]
    monkeypatch.setattr(runtime, "flush_cache", flushed.append)
    monkeypatch.setattr(runtime, "cache_folder", lambda group: str(tmp_path))
    monkeypatch.setattr(runtime, "warm_key", lambda group: key[0])
    record = tmp_path / "chaingrad-sources-pool.key"
    (tmp_path / "chaingrad-warm-pool-k1.ok").write_text("")  # warmed before the record existed
    assert not runtime.fresh_cache("pool") and flushed == []  # the marker vouches
    assert record.read_text().strip() == "k1"
    assert not runtime.fresh_cache("pool")  # the same sources: nothing to do
    key[0] = "k2"  # the sources changed
    assert runtime.fresh_cache("pool") and flushed == ["pool"]
    assert record.read_text().strip() == "k2"
    key[0] = "k1"  # and back (a checkout switched): k1's old entries may hold k2's callees
    assert runtime.fresh_cache("pool") and flushed == ["pool", "pool"]
    record.unlink()
    key[0] = "k3"  # no record, no marker: a new cache
    assert runtime.fresh_cache("pool") and flushed == ["pool"] * 3


def test_first_use_and_the_warm_up_both_ask_for_a_fresh_cache(monkeypatch):
    """Every mode passes through it: a group's first use in a process, and the warm-up."""
    from chaingrad.kernels import runtime, warm

    asked: list[str] = []
    monkeypatch.setattr(runtime, "fresh_cache", asked.append)
    monkeypatch.setenv(runtime.COMPILE_ENV, "inline")
    runtime._decide("special")
    monkeypatch.setitem(warm.WARM_UPS, "pool", lambda: None)  # nothing to compile here
    monkeypatch.setattr(runtime, "write_marker", lambda group: "marker")
    warm.warm("pool")
    assert asked == ["special", "pool"]


def test_every_group_key_covers_the_shared_compiled_helpers(tmp_path, monkeypatch):
    """An intrinsic or overload is inlined into the kernels that use it (``scratch``,
    ``call_gemm``): changing its file changes every group's key, so their caches are emptied."""
    from chaingrad.kernels import runtime

    assert {Path(p).name for p in runtime.SHARED_SOURCES} == {"cblas.py", "scratch.py"}
    assert all(Path(p).is_file() for p in runtime.SHARED_SOURCES)
    helper = tmp_path / "helper.py"
    helper.write_text("A = 1\n")
    monkeypatch.setattr(runtime, "SHARED_SOURCES", (str(helper),))
    before = {group: runtime.warm_key(group) for group in ("conv", "pool", "recurrent")}
    helper.write_text("A = 2\n")
    after = {group: runtime.warm_key(group) for group in before}
    assert all(before[group] != after[group] for group in before)

"""A kernel calling one from another file: numba's cache checks the caller's own file only, so
after the callee's file changes the caller loads stale machine code until the warm-up empties
the group's cache entries (``runtime.flush_cache``, run by ``kernels/warm.py`` when the group's
sources changed)."""

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


def test_warm_empties_the_group_only_when_its_sources_changed(monkeypatch, tmp_path):
    """No marker for the current sources: flush first; a marker present: keep the cache."""
    from chaingrad.kernels import runtime, warm

    flushed: list[str] = []
    monkeypatch.setenv(runtime.COMPILE_ENV, "inline")
    monkeypatch.setattr(runtime, "flush_cache", flushed.append)
    monkeypatch.setitem(warm.WARM_UPS, "pool", lambda: None)  # nothing to compile here
    monkeypatch.setattr(runtime, "write_marker", lambda group: "marker")
    marker = tmp_path / "chaingrad-warm-pool-key.ok"
    monkeypatch.setattr(runtime, "marker_path", lambda group: str(marker))
    warm.warm("pool")
    assert flushed == ["pool"]
    marker.write_text("")
    warm.warm("pool")
    assert flushed == ["pool"]  # not again

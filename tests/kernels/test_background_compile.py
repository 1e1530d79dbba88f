"""A first run does not wait for the compiler (issue 16): with a cold numba cache the ops run
their NumPy paths while one background process per group compiles the numba kernels into the
cache, then switch; a warm cache starts no process. Each case runs in a fresh interpreter with
its own NUMBA_CACHE_DIR (the suite itself compiles inline: see conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.kernels.test_runtime import _installed_copy

ROOT = Path(__file__).resolve().parents[2]

# a few conv steps until the background compile has finished, then one more on numba
CONV_STEPS = """
import time
import numpy as np
from chaingrad.kernels import conv, runtime
from chaingrad.kernels.conv import fast
rng = np.random.default_rng(0)
x = rng.standard_normal((4, 3, 8, 8)).astype(np.float32)
w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
first = conv.conv2d_forward(x, w, None, 1, 1)
print("first call on numba:", runtime.use_numba("conv"))
print("background processes:", len(runtime.background_pids()))
deadline = time.monotonic() + 240
steps = 0
while not runtime.use_numba("conv") and time.monotonic() < deadline:
    y = conv.conv2d_forward(x, w, None, 1, 1)
    conv.conv2d_backward(y, x, w, 1, 1, True, True, True)
    steps += 1
    time.sleep(0.2)
print("switched:", runtime.use_numba("conv"), "after steps:", steps > 0)
again = conv.conv2d_forward(x, w, None, 1, 1)
conv.conv2d_backward(again, x, w, 1, 1, True, True, True)
print("numba kernel ran:", len(fast.conv2d_forward_kernel.signatures) == 1)
print("compiled here: %.1f s" % runtime._compile_seconds)
print("same result:", bool(np.allclose(first, again, rtol=1e-4, atol=1e-4)))
"""


def _env(cache: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "CHAINGRAD_"))}
    return {**env, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT), **extra}


def _run(code: str, env: dict, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, timeout=400
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out


@pytest.mark.slow
def test_a_cold_cache_compiles_in_the_background_then_switches_and_a_warm_one_starts_nothing(
    tmp_path,
):
    cold = _run(CONV_STEPS, _env(tmp_path))
    lines = cold.stdout.splitlines()
    assert lines[:2] == ["first call on numba: False", "background processes: 1"], cold.stdout
    assert lines[2] == "switched: True after steps: True", cold.stdout
    assert lines[3:] == ["numba kernel ran: True", "compiled here: 0.0 s", "same result: True"]
    notice = "chaingrad: compiling conv kernels in the background, first run only; NumPy kernels"
    assert cold.stderr.count(notice) == 1, cold.stderr
    markers = list(tmp_path.rglob("chaingrad-warm-conv-*.ok"))
    assert len(markers) == 1 and not list(tmp_path.rglob("*.lock"))

    warm = _run(CONV_STEPS, _env(tmp_path))  # the same cache: numba from the first call on
    assert warm.stdout.splitlines()[:3] == [
        "first call on numba: True",
        "background processes: 0",
        "switched: True after steps: False",
    ]
    assert "compiled here: 0.0 s" in warm.stdout
    assert "compiling" not in warm.stderr


PLAN = """
import numpy as np
from chaingrad.kernels import pool, runtime
x = np.ones((1, 1, 4, 4), np.float32)
print(runtime.use_numba("pool"), len(runtime.background_pids()))
"""


def test_inline_mode_starts_no_background_process(tmp_path):
    inline = _run(PLAN, _env(tmp_path, CHAINGRAD_COMPILE="inline"))
    assert inline.stdout.split() == ["True", "0"]


def test_no_writable_cache_compiles_inline(tmp_path):
    """Every numba cache locator fails (files where it wants folders): a background compile
    would be lost with its process, so the op compiles in the run, as before."""
    site = _installed_copy(tmp_path)
    for blocker in (
        tmp_path / "cache-file",
        site / "chaingrad" / "kernels" / "pool" / "__pycache__",
    ):
        blocker.write_text("a file where numba wants a folder")
    home = tmp_path / "home-file"
    home.write_text("not a folder")
    env = {**_env(tmp_path / "cache-file"), "HOME": str(home), "PYTHONPATH": str(site)}
    env = {k: v for k, v in env.items() if not k.startswith("XDG_")}
    out = _run(PLAN + "print(pool.avg_pool2d_forward(x, 2, None, 0).sum())", env, tmp_path)
    assert out.stdout.split() == ["True", "0", "4.0"]
    assert "in the background" not in out.stderr


def test_an_unknown_compile_mode_is_one_clear_error(tmp_path):
    code = PLAN + "\n"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(tmp_path, CHAINGRAD_COMPILE="later"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    assert "CHAINGRAD_COMPILE must be one of ('background', 'inline'), got 'later'" in out.stderr


# a marker that says "warm" over an empty cache: the run trusts it, compiles inline, drops it
LYING_MARKER = """
import os
import numpy as np
from chaingrad.kernels import pool, runtime
folder = runtime.cache_folder("pool")
os.makedirs(folder, exist_ok=True)
name = runtime.WARM_MARKER.format(group="pool", key=runtime.warm_key("pool"))
marker = os.path.join(folder, name)
open(marker, "w").close()
y = pool.avg_pool2d_forward(np.ones((1, 1, 4, 4), np.float32), 2, None, 0)
print(float(y.sum()), len(runtime.background_pids()), os.path.exists(marker))
"""


def test_a_marker_that_lied_is_dropped(tmp_path):
    out = _run(LYING_MARKER, _env(tmp_path, CHAINGRAD_QUIET_COMPILE="1"))
    assert out.stdout.split() == ["4.0", "0", "False"]


@pytest.mark.skipif(os.name != "posix", reason="sessions and process groups are POSIX")
def test_warm_up_stays_in_our_session_but_out_of_ctrl_c():
    """The warm-up gets its own process group (Ctrl-C spares it) in our session: Linux's
    autogroup scheduler splits the CPU evenly between sessions, so a compile in a new session
    took half the cores from the run that started it, whatever its priority."""
    from chaingrad.kernels import runtime

    probe = "import os; print(os.getsid(0), os.getpgid(0))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True,
        **runtime._detached(),
    ).stdout.split()  # fmt: skip
    session, group = int(out[0]), int(out[1])
    assert session == os.getsid(0)
    assert group != os.getpgid(0)


def test_warm_up_lowers_its_own_priority():
    """At idle priority (SCHED_IDLE on Linux, else niceness 19) the compile only takes CPU the
    run leaves over; checked in a child so the test process keeps its priority."""
    probe = (
        "import os\n"
        "from chaingrad.kernels.warm import lower_priority\n"
        "how = lower_priority()\n"
        "idle = hasattr(os, 'SCHED_IDLE') and os.sched_getscheduler(0) == os.SCHED_IDLE\n"
        "nice = os.nice(0) if hasattr(os, 'nice') else None\n"
        "print(how, idle, nice)\n"
    )
    how, idle, nice = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    if sys.platform.startswith("linux"):
        assert (how, idle) == ("idle", "True")
    elif how == "nice 19":
        assert nice == "19"


def test_warm_up_keeps_its_lock_fresh(tmp_path):
    """A long compile at idle priority touches its lock so runtime never takes it for stale."""
    import time

    from chaingrad.kernels.warm import keep_fresh

    lock = tmp_path / "group.lock"
    lock.write_text("")
    os.utime(lock, (0, 0))
    keep_fresh(str(lock), every=0.05)
    deadline = time.monotonic() + 10
    while lock.stat().st_mtime == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lock.stat().st_mtime > 0


# a char-LSTM-like layer (two lanes of 8 rows on two threads) through the public layer, after
# the recurrent and lstm-lanes warm-ups filled a fresh cache: nothing may compile in this process
LSTM_LANES_STEP = """
import numpy as np
import chaingrad as cg
from chaingrad import nn
from chaingrad.kernels import runtime
from chaingrad.kernels.recurrent import op
cg.set_num_threads(2)
layer = nn.LSTM(32, 128)
x = cg.Tensor(np.random.default_rng(0).standard_normal((6, 16, 32)).astype(np.float32),
              requires_grad=True)
out, _ = layer(x)
out.sum().backward()
print("lanes in one call:", op._parallel_lanes(), runtime.threading_layer())
print("compiled here: %.1f s" % runtime._compile_seconds)
"""


@pytest.mark.slow
def test_the_lstm_lanes_warm_up_covers_what_a_layer_runs(tmp_path):
    import numba

    from chaingrad.kernels import blas

    if numba.config.NUMBA_NUM_THREADS < 2 or not blas.gemm_address(np.float32):
        pytest.skip("one thread, or no ILP64 cblas_?gemm: no lanes here")
    env = _env(tmp_path)
    warm = [sys.executable, "-m", "chaingrad.kernels.warm", "recurrent", "lstm-lanes"]
    warm += ["--priority", "normal"]
    done = subprocess.run(warm, env=env, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    run = _run(LSTM_LANES_STEP, env)
    layer = run.stdout.splitlines()[0]
    if layer.endswith("workqueue"):
        pytest.skip("numba's workqueue layer: the lanes stay on Python threads")
    assert run.stdout.splitlines() == [f"lanes in one call: True {layer.split()[-1]}",
                                       "compiled here: 0.0 s"], run.stdout  # fmt: skip
    assert "compiling" not in run.stderr, run.stderr

"""How the kernels compile and run (issue 13): with no writable cache, with a cold cache, with
numba's workqueue threading layer, and with NUMBA_DISABLE_JIT. Each case runs in a fresh
process, since numba reads these settings once, at import."""

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numba
import numpy as np
import pytest

from chaingrad.kernels import runtime
from chaingrad.kernels.conv import conv2d_backward, conv2d_forward

ROOT = Path(__file__).resolve().parents[2]
NO_CACHE = "no writable cache folder for numba"

# import the whole library (the failure was at import) and run one small kernel
USE_KERNELS = """
import numpy as np
import chaingrad.nn
import chaingrad.kernels as k
from chaingrad.kernels import pool, runtime
print(k.__file__)
print(pool.avg_pool2d_forward(np.arange(16.0).reshape(1, 1, 4, 4), 2, None, 0).ravel())
print("cached" if runtime.caching_enabled() else "uncached")
"""


def _run(
    code: str, env: dict, cwd: Path, user: list[str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (as ``user``, a setpriv prefix, if given)."""
    cmd = [*(user or []), sys.executable, "-c", code]
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def _installed_copy(into: Path) -> Path:
    """The package laid out as a non-editable install does: site/chaingrad/{autograd,nn,kernels}."""
    site = into / "site"
    shutil.copytree(
        ROOT / "chaingrad", site / "chaingrad", ignore=shutil.ignore_patterns("__pycache__")
    )
    for sub in ("autograd", "nn", "kernels"):
        shutil.copytree(
            ROOT / sub, site / "chaingrad" / sub, ignore=shutil.ignore_patterns("__pycache__")
        )
    return site


def _chmod_tree(path: Path, writable: bool) -> None:
    for p in [path, *path.rglob("*")]:
        mode = p.stat().st_mode
        write = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
        p.chmod(mode | stat.S_IWUSR if writable else mode & ~write)


def _nobody() -> list[str] | None:
    """A setpriv prefix that runs a command as the user nobody, if this machine allows it."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return None
    try:
        import pwd

        entry = pwd.getpwnam("nobody")
    except (ImportError, KeyError):
        return None
    prefix = ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import numba"], capture_output=True)
    return prefix if probe.returncode == 0 else None


@pytest.fixture
def scratch():
    """A temporary folder any user can read (pytest's tmp_path is private to its user)."""
    path = Path(tempfile.mkdtemp(prefix="chaingrad-ro-"))
    path.chmod(0o755)
    yield path
    _chmod_tree(path, writable=True)
    shutil.rmtree(path)


def _clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "XDG_"))}
    env.pop("PYTHONPATH", None)
    env.pop(runtime.QUIET_ENV, None)
    return {**env, **extra}


def _assert_ran_uncached(out: subprocess.CompletedProcess, site: Path) -> None:
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(str(site)), "the copy, not the checkout, must be imported"
    assert lines[1] == "[ 2.5  4.5 10.5 12.5]"
    assert lines[2] == "uncached"
    assert out.stderr.count(NO_CACHE) == 1, out.stderr  # said once, not once per kernel
    assert "chaingrad: compiling pool kernels, on every start" in out.stderr


def test_a_read_only_install_imports_and_runs(scratch):
    """Real permissions: package and NUMBA_CACHE_DIR read-only, no home, as a non-root user.

    As root, permissions are not enforced, so this runs as ``nobody`` through setpriv; where
    that is impossible the next test's simulation covers the same code path."""
    user = None if os.geteuid() != 0 else _nobody()
    if os.geteuid() == 0 and user is None:
        pytest.skip("running as root and no way to run as the user nobody here")
    site = _installed_copy(scratch)
    (scratch / "cache").mkdir()
    _chmod_tree(site, writable=False)
    _chmod_tree(scratch / "cache", writable=False)
    env = _clean_env(
        HOME=str(scratch / "no-home"), NUMBA_CACHE_DIR=str(scratch / "cache"), PYTHONPATH=str(site)
    )
    _assert_ran_uncached(_run(USE_KERNELS, env, scratch, user), site)


def test_no_cache_location_simulated_with_files_in_the_way(scratch):
    """Every numba cache locator fails even for root: NUMBA_CACHE_DIR, the kernels' __pycache__
    and the home folder are files, not folders."""
    site = _installed_copy(scratch)
    for blocker in (scratch / "cache-file", site / "chaingrad" / "kernels" / "__pycache__"):
        blocker.write_text("a file where numba wants a folder")
    home = scratch / "home-file"
    home.write_text("not a folder")
    env = _clean_env(
        HOME=str(home), NUMBA_CACHE_DIR=str(scratch / "cache-file"), PYTHONPATH=str(site)
    )
    _assert_ran_uncached(_run(USE_KERNELS, env, scratch), site)


AVG_POOL = (
    "import numpy as np; from chaingrad.kernels.pool import avg_pool2d_forward as f; "
    "print(f(np.ones((1, 1, 4, 4), np.float32), 2, None, 0).sum())"
)


def test_the_compile_notice_shows_on_a_cold_cache_only(scratch):
    cache = scratch / "cache"
    env = _clean_env(NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    cold = _run(AVG_POOL, env, ROOT)
    assert cold.returncode == 0, cold.stderr
    notice = (
        f"chaingrad: compiling pool kernels, first run only, ~{runtime.COMPILE_SECONDS['pool']} s"
    )
    assert cold.stderr.count(notice) == 1, cold.stderr
    assert NO_CACHE not in cold.stderr
    warm = _run(AVG_POOL, env, ROOT)  # the same cache, now filled: no compiling, no notice
    assert warm.returncode == 0, warm.stderr
    assert "compiling" not in warm.stderr
    assert warm.stdout == cold.stdout


def test_the_compile_notice_can_be_quietened(scratch):
    env = _clean_env(NUMBA_CACHE_DIR=str(scratch / "cache"), PYTHONPATH=str(ROOT))
    env[runtime.QUIET_ENV] = "1"
    quiet = _run(AVG_POOL, env, ROOT)
    assert quiet.returncode == 0, quiet.stderr
    assert "compiling" not in quiet.stderr
    assert quiet.stdout.strip() == "4.0"


def _conv_case(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((6, 5, 14, 14)).astype(np.float32)
    w = rng.standard_normal((7, 5, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((6, 7, 14, 14)).astype(np.float32)
    return x, w, gy


def _conv_both(x, w, gy):
    y = conv2d_forward(x, w, None, 1, 1)
    return (y, *conv2d_backward(gy, x, w, 1, 1, True, True, True))


def test_two_threads_running_conv_match_the_sequential_results():
    cases = [_conv_case(seed) for seed in range(2)]
    want = [_conv_both(*case) for case in cases]
    got: list = [None, None]
    errors: list = []

    def work(i: int) -> None:
        try:
            for _ in range(5):
                got[i] = _conv_both(*cases[i])
        except Exception as err:  # reported below, not lost in the thread
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for g, w in zip(got, want):
        for a, b in zip(g, w):
            np.testing.assert_array_equal(a, b)


WORKQUEUE = """
import threading, numba, numpy as np
import tests.kernels.test_runtime as t
cases = [t._conv_case(seed) for seed in range(2)]
want = [t._conv_both(*case) for case in cases]
assert numba.threading_layer() == "workqueue", numba.threading_layer()
bad = []
def work(i):
    for _ in range(10):
        got = t._conv_both(*cases[i])
        bad.extend(k for k, (a, b) in enumerate(zip(got, want[i])) if not np.array_equal(a, b))
threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
[th.start() for th in threads]
[th.join() for th in threads]
print("mismatches", len(bad))
"""


def test_the_workqueue_layer_does_not_abort_with_two_threads():
    # without the lock in runtime.run_parallel numba aborts here: "Concurrent access has been
    # detected", SIGABRT (checked by hand by setting runtime._layer_safe = True first)
    env = _clean_env(NUMBA_THREADING_LAYER="workqueue", PYTHONPATH=str(ROOT))
    out = _run(WORKQUEUE, env, ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "mismatches 0"


def test_other_numba_functions_compile_without_a_notice(caplog):
    import numba

    @numba.njit
    def not_ours(a):
        return a + 1

    with caplog.at_level("WARNING", logger="chaingrad.kernels"):
        assert not_ours(41) == 42
    assert not caplog.records


def test_a_kernel_names_a_known_group():
    with pytest.raises(ValueError, match=r"kernel: unknown group 'convolution'"):
        runtime.kernel("convolution")


def test_a_cold_run_says_how_long_the_kernels_took_to_compile(tmp_path):
    code = (
        "import chaingrad as cg, chaingrad.nn.functional as F\n"
        "F.max_pool2d(cg.randn(1, 1, 4, 4), 2)\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    env.pop("CHAINGRAD_QUIET_COMPILE", None)
    cold = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert re.search(r"chaingrad: the kernels compiled in \d+\.\d s", cold.stderr), cold.stderr
    warm = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "compiled in" not in warm.stderr  # a warm cache compiles nothing and says nothing


def test_small_calls_run_on_one_thread_and_restore_the_count():
    """Below GRAIN a kernel runs single-threaded; the caller's thread count comes back after."""
    from chaingrad.kernels import runtime

    seen = []

    def record(*args):
        seen.append(numba.get_num_threads())
        return args

    before = numba.get_num_threads()
    assert runtime.threads_for(runtime.GRAIN - 1) == 1
    assert runtime.threads_for(runtime.GRAIN) == before
    assert runtime.run_parallel(record, 1, 2, threads=1) == (1, 2)
    assert seen == [1] and numba.get_num_threads() == before
    with pytest.raises(ZeroDivisionError):
        runtime.run_parallel(lambda: 1 / 0, threads=1)
    assert numba.get_num_threads() == before  # restored after an error too


def test_small_and_large_calls_agree():
    """The same conv and pool results whichever side of GRAIN a call falls (chunking differs)."""
    from chaingrad.kernels import runtime
    from chaingrad.kernels.conv import conv2d_backward, conv2d_forward
    from chaingrad.kernels.pool import max_pool2d_backward, max_pool2d_forward

    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 3, 9, 9)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    results = []
    for grain in (0, 10**12):  # everything parallel, then everything on one thread
        old, runtime.GRAIN = runtime.GRAIN, grain
        try:
            y = conv2d_forward(x, w, b, (1, 1), (1, 1))
            gy = np.ones_like(y)
            gx, gw, gb = conv2d_backward(gy, x, w, (1, 1), (1, 1), True, True, True)
            p, arg = max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
            gp = max_pool2d_backward(np.ones_like(p), arg, x.shape)
        finally:
            runtime.GRAIN = old
        results.append((y, gx, gw, gb, p, gp))
    for a, c in zip(*results, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-5)

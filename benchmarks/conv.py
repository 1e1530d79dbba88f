"""Conv and pooling kernels against PyTorch on the CPU, side by side in one process.

Workloads (float32, 2 threads each side): conv2d forward + backward (input and weight
gradients) with many channels, with one channel, 16 -> 16 channels, stride 2 and 5x5,
max_pool2d 2x2 forward + backward, and the compile cost of the first conv2d forward +
backward in a fresh process (with a per-kernel compile-time table, empty numba cache). Results are
checked against PyTorch before anything is timed; a wrong result is reported, not timed.
NumPy's 2048 x 2048 sgemm is printed as the machine's practical GFLOP/s limit.

Run: ``python -m benchmarks.conv`` (``--quick`` for fewer repetitions and no cold compile).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.harness import Comparison, Timing, compare, set_threads, table

set_threads()  # before NumPy loads, so OpenBLAS sees the thread count too

import numpy as np  # noqa: E402

from chaingrad.kernels.conv import conv2d_backward, conv2d_forward  # noqa: E402
from chaingrad.kernels.pool import max_pool2d_backward, max_pool2d_forward  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
# A spread (max - min) wider than this fraction of the median means the machine was busy:
# the comparison is run again, up to ATTEMPTS times, and the steadiest attempt is kept.
WIDE_SPREAD = 0.5
ATTEMPTS = 3

COMPILE_TARGET = 0.5  # seconds over the steady-state time, warm cache


def sgemm_gflops(size: int = 2048, repeats: int = 5) -> float:
    """NumPy float32 matmul GFLOP/s (median): what BLAS reaches on this machine."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    time.sleep(0.3)  # OpenBLAS's idle workers spin ~0.1 s after a call: let them sleep first
    return 2 * size**3 / float(np.median(times)) / 1e9


def _spread(c: Comparison) -> float:
    sides = [c.ours] + ([c.anchor] if c.anchor is not None else [])
    return max((t.high - t.low) / t.median for t in sides)


def _steady_compare(
    name: str, ours: Callable[[], object], anchor: Callable[[], object], repeats: int, inner: int
) -> Comparison:
    """``compare`` with PyTorch, repeated while the min-max spread is wide; keep the steadiest."""
    best, attempt = None, 0
    while attempt < ATTEMPTS:
        attempt += 1
        c = compare(name, ours, anchor, "torch", repeats=repeats, warmup=2, inner=inner)
        if best is None or _spread(c) < _spread(best):
            best = c
        if _spread(c) <= WIDE_SPREAD:
            break
    if attempt > 1:
        best.note = f"machine busy: {attempt} attempts, the steadiest kept; "
    return best


def _max_error(ours: list[np.ndarray], theirs: list[np.ndarray]) -> float:
    """Largest error relative to each array's scale."""
    return max(float(np.abs(a - b).max() / max(1.0, np.abs(b).max())) for a, b in zip(ours, theirs))


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ",".join(str(s) for s in shape) + ")"


def _wrong(name: str, error: float) -> Comparison:
    return Comparison(
        name, Timing([float("nan")]), None, "torch", f"WRONG RESULT: error {error:.2e}, not timed"
    )


def conv2d_comparison(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    padding: int,
    repeats: int = 15,
    step: int = 1,
) -> Comparison:
    """conv2d forward + backward (input and weight gradients, no bias) against PyTorch."""
    import torch
    from torch.nn import functional

    name = f"conv2d fwd+bwd x{_shape(x_shape)} w{_shape(w_shape)} pad {padding}"
    if step != 1:
        name += f" stride {step}"
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = rng.standard_normal(w_shape, dtype=np.float32) / np.float32(np.sqrt(np.prod(w_shape[1:])))
    stride, pad = (step, step), (padding, padding)
    gy = rng.standard_normal(conv2d_forward(x, w, None, stride, pad).shape, dtype=np.float32)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tgy = torch.tensor(gy)

    def ours() -> tuple:
        y = conv2d_forward(x, w, None, stride, pad)
        return (y, *conv2d_backward(gy, x, w, stride, pad, True, True, False)[:2])

    def theirs() -> tuple:
        tx.grad = tw.grad = None
        ty = functional.conv2d(tx, tw, stride=step, padding=padding)
        ty.backward(tgy)
        return ty, tx.grad, tw.grad

    error = _max_error(list(ours()), [t.detach().numpy() for t in theirs()])
    if error > 1e-4:
        return _wrong(name, error)
    flops = 3 * 2 * gy.size * np.prod(w_shape[1:])  # forward, input grad, weight grad
    c = _steady_compare(name, ours, theirs, repeats, inner=1 if flops > 3e8 else 10)
    c.note += (
        f"{flops / c.ours.median / 1e9:.0f} GFLOP/s vs torch "
        f"{flops / c.anchor.median / 1e9:.0f} GFLOP/s (max rel. error {error:.1e})"
    )
    return c


def conv2d_many_channels(repeats: int = 15) -> Comparison:
    """x (64, 16, 28, 28), w (32, 16, 3, 3), padding 1."""
    return conv2d_comparison((64, 16, 28, 28), (32, 16, 3, 3), 1, repeats)


def conv2d_few_channels(repeats: int = 15) -> Comparison:
    """x (64, 1, 28, 28), w (8, 1, 5, 5), no padding."""
    return conv2d_comparison((64, 1, 28, 28), (8, 1, 5, 5), 0, repeats)


def conv2d_sixteen_channels(repeats: int = 15) -> Comparison:
    """x (32, 16, 28, 28), w (16, 16, 3, 3), padding 1: small work, fixed costs show."""
    return conv2d_comparison((32, 16, 28, 28), (16, 16, 3, 3), 1, repeats)


def conv2d_stride2(repeats: int = 15) -> Comparison:
    """x (64, 32, 28, 28), w (64, 32, 3, 3), stride 2, padding 1 (a downsampling layer)."""
    return conv2d_comparison((64, 32, 28, 28), (64, 32, 3, 3), 1, repeats, step=2)


def conv2d_5x5(repeats: int = 15) -> Comparison:
    """x (64, 32, 14, 14), w (64, 32, 5, 5), padding 2: a large kernel, 800 taps per output."""
    return conv2d_comparison((64, 32, 14, 14), (64, 32, 5, 5), 2, repeats)


def max_pool2d_2x2(repeats: int = 15) -> Comparison:
    """max_pool2d 2x2 (stride 2) forward + backward on (64, 32, 28, 28) against PyTorch."""
    import torch
    from torch.nn import functional

    name = "max_pool2d 2x2 fwd+bwd x(64,32,28,28)"
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 32, 28, 28), dtype=np.float32)
    gy = rng.standard_normal((64, 32, 14, 14), dtype=np.float32)
    tx, tgy = torch.tensor(x, requires_grad=True), torch.tensor(gy)

    def ours() -> tuple:
        y, arg = max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
        return y, max_pool2d_backward(gy, arg, x.shape)

    def theirs() -> tuple:
        tx.grad = None
        ty = functional.max_pool2d(tx, 2)
        ty.backward(tgy)
        return ty, tx.grad

    error = _max_error(list(ours()), [t.detach().numpy() for t in theirs()])
    if error > 0:
        return _wrong(name, error)
    c = _steady_compare(name, ours, theirs, repeats, inner=5)
    c.note += f"{x.nbytes / 2**20:.1f} MiB in, exact match with torch"
    return c


_PROBE = """
import time
t0 = time.perf_counter()
import numpy as np
from chaingrad.kernels.conv import conv2d_backward, conv2d_forward
t1 = time.perf_counter()
rng = np.random.default_rng(0)
x = rng.standard_normal((64, 16, 28, 28), dtype=np.float32)
w = rng.standard_normal((32, 16, 3, 3), dtype=np.float32)
def step():
    y = conv2d_forward(x, w, None, (1, 1), (1, 1))
    conv2d_backward(y, x, w, (1, 1), (1, 1), True, True, False)
t2 = time.perf_counter()
step()
t3 = time.perf_counter()
steady = []
for _ in range(7):
    s = time.perf_counter()
    step()
    steady.append(time.perf_counter() - s)
print(t1 - t0, t3 - t2, sorted(steady)[3])
"""


def _probe(env: dict[str, str]) -> tuple[float, float, float]:
    """(import seconds, first call seconds, steady call seconds) in a fresh interpreter."""
    # inline: these measure what the compiler costs (a first run's background compile aside)
    env = {**os.environ, **env, "PYTHONPATH": str(REPO), "CHAINGRAD_COMPILE": "inline"}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    imp, first, steady = (float(v) for v in out.stdout.split())
    return imp, first, steady


_COMPILE_PROBE = """
import sys, time
import numpy as np
from benchmarks.compile_timer import install
from chaingrad.kernels.conv import conv2d_backward, conv2d_forward
seconds = install().seconds
x_shape, w_shape, stride, pad = eval(sys.argv[1])
rng = np.random.default_rng(0)
x = rng.standard_normal(x_shape, dtype=np.float32)
w = rng.standard_normal(w_shape, dtype=np.float32)
start = time.perf_counter()
y = conv2d_forward(x, w, None, stride, pad)
conv2d_backward(y, x, w, stride, pad, True, True, True)
print(time.perf_counter() - start)
for name, times in seconds.items():
    print(name, len(times), sum(times))
"""

# a first conv2d of stride 1 and one of stride 2 (its phase planes): both run the tap loops, so
# each compiles the same kernels, once per signature (each case into an empty cache)
COMPILE_CASES = {
    "stride 1 (x(8,3,16,16) w(4,3,3,3) p1)": ((8, 3, 16, 16), (4, 3, 3, 3), (1, 1), (1, 1)),
    "stride 2 (x(8,32,16,16) w(16,32,3,3) s2 p1)": (
        (8, 32, 16, 16),
        (16, 32, 3, 3),
        (2, 2),
        (1, 1),
    ),
}


def compile_table() -> str:
    """Each kernel's compile time (s, callees included) for each path's first conv2d forward +
    backward, in a fresh process with an empty NUMBA_CACHE_DIR."""
    lines = []
    for label, case in COMPILE_CASES.items():
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "PYTHONPATH": str(REPO), "NUMBA_CACHE_DIR": cache}
            env["CHAINGRAD_QUIET_COMPILE"] = "1"
            env["CHAINGRAD_COMPILE"] = "inline"  # time the compiler, not the NumPy path
            out = subprocess.run(
                [sys.executable, "-c", _COMPILE_PROBE, repr(case)],
                cwd=REPO, env=env, capture_output=True, text=True, check=True,
            ).stdout.split("\n")  # fmt: skip
        lines.append(f"{label}: first fwd+bwd {float(out[0]):.2f} s, cold cache")
        kernels = [line.split() for line in out[1:] if line.strip()]
        for name, count, total in sorted(kernels, key=lambda k: -float(k[2])):
            lines.append(f"    {name:26} {float(total):6.2f} s  ({count} signature(s))")
    return "\n".join(lines)


def compile_cost(cold: bool = True, repeats: int = 3) -> Comparison:
    """First conv2d forward + backward in a fresh process, over the steady state (warm cache)."""
    _probe({})  # make sure the cache is warm
    extra = []
    for _ in range(repeats):
        imp, first, steady = _probe({})
        extra.append(first - steady)
    note = f"import {imp:.2f} s; steady {steady * 1e3:.1f} ms"
    if cold:
        with tempfile.TemporaryDirectory() as cache:
            _, first_c, steady_c = _probe({"NUMBA_CACHE_DIR": cache})
        note += f"; cold cache (empty NUMBA_CACHE_DIR): {first_c - steady_c:.2f} s over steady"
    return Comparison(
        "conv2d first fwd+bwd, warm cache (s over steady)", Timing(extra), None, "", note
    )


def main(argv: list[str] | None = None) -> int:
    """Print the table, the GFLOP/s limit and which targets are met."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.conv", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, no cold compile")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 1
    import numba

    repeats = 5 if args.quick else 21
    load_before = os.getloadavg()[0]
    targets = [  # each workload with the ratio to PyTorch it must stay under
        (conv2d_many_channels(repeats), 0.85),
        (conv2d_few_channels(repeats), 1.5),
        (conv2d_sixteen_channels(repeats), 2.4),
        (conv2d_stride2(repeats), 1.0),
        (conv2d_5x5(repeats), 1.0),
        (max_pool2d_2x2(repeats), 1.5),
    ]
    compiled = compile_cost(cold=not args.quick)
    results = [c for c, _ in targets] + [compiled]
    limit = sgemm_gflops()
    print(
        f"threads: numba {numba.get_num_threads()} ({numba.threading_layer()}), "
        f"torch {torch.get_num_threads()}; NumPy sgemm 2048²: {limit:.0f} GFLOP/s"
    )
    print(table(results))
    print(
        f"load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after: well "
        "above 0 means other jobs shared the cores, and both sides' times suffer"
    )
    for c, target in targets:
        status = "met" if c.ratio is not None and c.ratio <= target else "MISSED"
        ratio = "n/a" if c.ratio is None else f"{c.ratio:.2f}"
        print(f"{c.name}: ratio {ratio}, target <= {target} -> {status}")
    over = compiled.ours.median
    status = "met" if over <= COMPILE_TARGET else "MISSED"
    print(f"compile, warm cache: {over:.2f} s over steady, target <= {COMPILE_TARGET} -> {status}")
    if not args.quick:
        print("compile time per kernel (callees included in their callers' times):")
        print(compile_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The recurrence kernels against PyTorch: forward + backward of ``output.sum()`` over a sequence.

Kernel level: kernels.recurrent's forward and backward on NumPy arrays against torch.nn.LSTM,
GRU and RNN (tanh), one layer, with the same weights and initial states, both computing every
gradient (input, initial states, weights, biases), float32, the same thread count. Results are
checked against PyTorch before anything is timed. Run: ``python -m benchmarks.recurrent``
(``--quick`` for fewer repetitions and no cold-cache compile timing).

The sides alternate as in ``harness.compare``, but each timed block starts after a pause and
an untimed call of its own side: both libraries' worker threads busy-wait after a call (NumPy's
OpenBLAS for about 0.1 s, 0.1 s of CPU measured; PyTorch's OpenMP pool about 12 ms), so timing
one side straight after the other measured the other's spinning threads on this 2-core machine
(torch's LSTM 236 ms right after ours against 5 ms alone; ours 17 ms right after torch's
against 8 ms alone). A third side times only the BLAS calls our kernels make (same shapes),
which shows how much of the gap is NumPy's GEMMs rather than the kernels' own work.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks.harness import Comparison, Timing, set_threads, settled_times, table

SIZES = {"steps": 50, "batch": 32, "input": 64, "hidden": 128}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


@dataclass
class Problem:
    """One layer's float32 weights, input and initial states (PyTorch's default init)."""

    cell: str
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    weights: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def make_problem(cell: str, seed: int = 0, **sizes: int) -> Problem:
    """Random input and states, weights U(±1/√hidden) as PyTorch initialises them."""
    s = {**SIZES, **sizes}
    rng = np.random.default_rng(seed)
    g, n = GATES[cell] * s["hidden"], s["hidden"]
    bound = 1.0 / np.sqrt(n)

    def u(*shape: int) -> np.ndarray:
        return rng.uniform(-bound, bound, size=shape).astype(np.float32)

    x = rng.standard_normal((s["steps"], s["batch"], s["input"])).astype(np.float32)
    h0 = rng.standard_normal((s["batch"], n)).astype(np.float32)
    c0 = rng.standard_normal((s["batch"], n)).astype(np.float32)
    return Problem(cell, x, h0, c0, (u(g, s["input"]), u(g, n), u(g), u(g)))


def ours(p: Problem) -> Callable[[], tuple]:
    """chaingrad's kernels: forward, then backward with g_out = ones (the gradient of out.sum())."""
    from chaingrad.kernels import recurrent as k

    w_ih, w_hh, b_ih, b_hh = p.weights

    def run() -> tuple:
        if p.cell == "lstm":
            out, c_n, saved = k.lstm_forward(p.x, p.h0, p.c0, w_ih, w_hh, b_ih, b_hh)
            g = np.ones_like(out)
            return (out, c_n, *k.lstm_backward(g, None, None, p.x, p.h0, p.c0, w_ih, w_hh, saved))
        if p.cell == "gru":
            out, saved = k.gru_forward(p.x, p.h0, w_ih, w_hh, b_ih, b_hh)
            return (out, *k.gru_backward(np.ones_like(out), None, p.x, p.h0, w_ih, w_hh, saved))
        out, saved = k.rnn_forward(p.x, p.h0, w_ih, w_hh, b_ih, b_hh)
        return (out, *k.rnn_backward(np.ones_like(out), None, p.x, p.h0, w_ih, w_hh, saved))

    return run


def theirs(p: Problem) -> Callable[[], tuple]:
    """torch.nn.LSTM/GRU/RNN with the same weights: forward, ``out.sum().backward()``."""
    import torch

    layer = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[p.cell]
    module = layer(p.x.shape[2], p.h0.shape[1])
    with torch.no_grad():
        for param, value in zip(module.parameters(), p.weights):
            param.copy_(torch.from_numpy(value))
    x = torch.from_numpy(p.x).requires_grad_()
    h0 = torch.from_numpy(p.h0[None]).requires_grad_()
    c0 = torch.from_numpy(p.c0[None]).requires_grad_()

    def run() -> tuple:
        module.zero_grad(set_to_none=True)
        x.grad = h0.grad = c0.grad = None
        if p.cell == "lstm":
            out, (_, c_n) = module(x, (h0, c0))
            out.sum().backward()
            grads = (x.grad, h0.grad[0], c0.grad[0])
            return (out, c_n[0], *grads, *(q.grad for q in module.parameters()))
        out, _ = module(x, h0)
        out.sum().backward()
        return (out, x.grad, h0.grad[0], *(q.grad for q in module.parameters()))

    return run


def check_agreement(p: Problem, rtol: float = 1e-3, atol: float = 1e-4) -> None:
    """Our outputs, states and every gradient must match PyTorch's before anything is timed."""
    mine = ours(p)()
    yours = theirs(p)()
    for k, (a, b) in enumerate(zip(mine, yours)):
        b = b.detach().numpy()
        scale = max(1.0, float(np.abs(b).max()))
        if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=atol * scale):
            err = np.abs(a - b).max() if a.shape == b.shape else f"shape {a.shape} vs {b.shape}"
            raise AssertionError(f"{p.cell}: result {k} differs from PyTorch (max |Δ| {err})")


def gemms_only(p: Problem) -> Callable[[], None]:
    """Just the BLAS calls our forward + backward make, at the same shapes: the floor that
    NumPy's BLAS sets, whatever the gate arithmetic costs."""
    w_ih, w_hh = p.weights[:2]
    steps, batch, n_in = p.x.shape
    x2 = p.x.reshape(steps * batch, n_in)
    h = np.zeros((steps + 1, batch, w_hh.shape[1]), dtype=np.float32)
    da = np.full((steps, batch, w_hh.shape[0]), 0.01, dtype=np.float32)
    mm = np.empty((batch, w_hh.shape[0]), dtype=np.float32)
    dh = np.empty((batch, w_hh.shape[1]), dtype=np.float32)

    def run() -> None:
        x2 @ w_ih.T
        for t in range(steps):
            np.matmul(h[t], w_hh.T, out=mm)
        for t in range(steps):
            np.matmul(da[t], w_hh, out=dh)
        da2 = da.reshape(steps * batch, -1)
        da2 @ w_ih, da2.T @ x2, da2.T @ h[:-1].reshape(steps * batch, -1)

    return run


def fwd_bwd(cell: str, repeats: int = 15) -> Comparison:
    """Time one layer's forward + backward of out.sum() against PyTorch's (T 50, B 32, 64 → 128)."""
    s = SIZES
    name = f"{cell.upper()} fwd+bwd T{s['steps']} B{s['batch']} {s['input']}→{s['hidden']}"
    p = make_problem(cell)
    try:
        import torch  # noqa: F401
    except ImportError:
        mine, floor = settled_times([ours(p), gemms_only(p)], repeats)
        return Comparison(name, mine, None, "torch (not installed)", _floor_note(floor))
    check_agreement(p)
    mine, anchor, floor = settled_times([ours(p), theirs(p), gemms_only(p)], repeats)
    return Comparison(name, mine, anchor, "torch", _floor_note(floor, anchor))


def _floor_note(floor: Timing, anchor: Timing | None = None) -> str:
    ratio = "" if anchor is None else f" = {floor.median / anchor.median:.2f}× torch"
    return f"our BLAS calls alone take {floor.median * 1e3:.2f} ms{ratio}"


def lstm(repeats: int = 15) -> Comparison:
    """LSTM forward + backward against torch.nn.LSTM (target ≤ 1.5×)."""
    return fwd_bwd("lstm", repeats)


def gru(repeats: int = 15) -> Comparison:
    """GRU forward + backward against torch.nn.GRU (target ≤ 1.5×)."""
    return fwd_bwd("gru", repeats)


def rnn(repeats: int = 15) -> Comparison:
    """Elman RNN (tanh) forward + backward against torch.nn.RNN (target ≤ 1.5×)."""
    return fwd_bwd("rnn", repeats)


_FIRST_CALL = """
import json, time
from benchmarks.recurrent import make_problem, ours
t0 = time.perf_counter()
import chaingrad.kernels.recurrent  # numpy is loaded already: this is numba and the kernels
imported = time.perf_counter() - t0
times = {}
for cell in ("lstm", "gru", "rnn"):
    p = make_problem(cell, steps=2, batch=2, input=3, hidden=4)
    start = time.perf_counter()
    ours(p)()
    times[cell] = time.perf_counter() - start
print(json.dumps({"import chaingrad.kernels.recurrent": imported, **times}))
"""


def first_call_seconds(cache_dir: str) -> dict[str, float]:
    """Seconds for the import and each cell's first forward + backward in a fresh process."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir, "CHAINGRAD_COMPILE": "inline"}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_CALL], env=env, cwd=root, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout)


def compile_times() -> str:
    """First-call times with a cold numba cache (compiles) and then a warm one (loads the cache)."""
    lines = []
    with tempfile.TemporaryDirectory() as cache:
        for label in ("cold cache", "warm cache"):
            t = first_call_seconds(cache)
            parts = ", ".join(f"{k} {v:.2f} s" for k, v in t.items())
            lines.append(f"first call in a fresh process, {label}: {parts}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the recurrence benchmarks' table (and compile times unless --quick)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 repetitions, no compile timing")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    set_threads()
    repeats = 5 if args.quick else args.repeats
    results = [lstm(repeats), gru(repeats), rnn(repeats)]
    blas_core = os.environ.get("OPENBLAS_CORETYPE", "auto-detected")
    print(f"float32, {os.cpu_count()} cores, NumPy's OpenBLAS core: {blas_core}; medians over")
    print("interleaved repetitions, each after a pause and an untimed call of its own side")
    if blas_core == "Haswell":
        print("(OPENBLAS_CORETYPE=Haswell: NumPy's GEMMs use AVX2 kernels even on an AVX-512 CPU)")
    print(table(results))
    if not args.quick:
        print(compile_times())


if __name__ == "__main__":
    main()

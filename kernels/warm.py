"""Compile a group's float32 kernels into numba's cache: ``python -m chaingrad.kernels.warm GROUP``.

``runtime.use_numba`` starts this in the background on a first run (a cold cache); it may also
be run by hand (``python -m chaingrad.kernels.warm conv pool recurrent``) to fill the cache
ahead, e.g. when building an image. It calls each group's public ops on tiny float32 inputs
that take every path real use takes (stride 1 and 2, padding wider than the kernel, every
need_* flag, compact and plain argmax, uint8/int32/int64 indices, relu and tanh, ...), so the
kernels compile for exactly the signatures the ops ask for later, then writes the group's
marker file next to numba's cache. The environment (``NUMBA_CACHE_DIR`` and the rest) is the
caller's, so the cache lands where the caller's numba looks for it.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

import numpy as np

F32 = np.float32


def _rand(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(F32)


def warm_conv() -> None:
    """conv2d and conv1d forward and backward: stride 1 and 2, padding, every need_* flag."""
    from chaingrad.kernels import conv
    from chaingrad.kernels.conv import winograd

    rng = np.random.default_rng(0)
    x, w, b = _rand(rng, 2, 3, 6, 6), _rand(rng, 4, 3, 3, 3), _rand(rng, 4)
    flags = [(True, True, True), (True, False, False), (False, True, True), (False, False, True)]
    for stride, padding in [(1, 1), (1, 0), (2, 1), (1, 3), ((1, 2), (0, 1))]:
        y = conv.conv2d_forward(x, w, b, stride, padding)
        conv.conv2d_forward(x, w, None, stride, padding)
        for need in flags:
            conv.conv2d_backward(y, x, w, stride, padding, *need)
    x1, w1 = _rand(rng, 2, 3, 9), _rand(rng, 4, 3, 3)
    for stride, padding in [(1, 1), (2, 0)]:
        y1 = conv.conv1d_forward(x1, w1, b, stride, padding)
        conv.conv1d_backward(y1, x1, w1, stride, padding, True, True, True)
    # small images with 32+ output channels and 64+ taps go to the direct kernels
    # (direct.applies): 16 -> 32 channels on 4x4, no padding
    xd, wd = _rand(rng, 2, 16, 4, 4), _rand(rng, 32, 16, 3, 3)
    yd = conv.conv2d_forward(xd, wd, None, 1, 0)
    for need in flags:
        conv.conv2d_backward(yd, xd, wd, 1, 0, *need)
    # 5x5 stride 1 with many channels goes to Winograd (winograd.applies): its tile kernels,
    # called directly, as the op's size rule skips tiny inputs
    x5, w5 = _rand(rng, 2, 3, 7, 7), _rand(rng, 4, 3, 5, 5)
    y5 = winograd.conv2d_forward(x5, w5, b, (2, 2), 1)
    winograd.conv2d_backward(y5, x5, w5, (2, 2), True, True, True, 1)


def warm_pool() -> None:
    """Max pooling (2x2 and general, compact and plain, narrow and wide windows) and average."""
    from chaingrad.kernels import pool

    rng = np.random.default_rng(0)
    x = _rand(rng, 2, 3, 8, 8)
    shape = x.shape
    for kernel, stride, padding in [(2, None, 0), (3, 2, 1), (2, 1, 0)]:
        for forward, backward in [
            (pool.max_pool2d_forward, None),
            (pool.max_pool2d_forward_compact, pool.max_pool2d_backward_compact),
        ]:
            y, arg = forward(x, kernel, stride, padding)
            if backward is None:
                pool.max_pool2d_backward(y, arg, shape)
            else:
                backward(y, arg, shape, kernel, stride, padding)
        y = pool.avg_pool2d_forward(x, kernel, stride, padding)
        pool.avg_pool2d_backward(y, shape, kernel, stride, padding)
    wide = _rand(rng, 1, 2, 16, 16)  # a 16 x 16 window: int32 flat indices in the compact form
    y, arg = pool.max_pool2d_forward_compact(wide, 16, None, 0)
    pool.max_pool2d_backward_compact(y, arg, wide.shape, 16, None, 0)


def warm_recurrent() -> None:
    """RNN (tanh and relu), LSTM and GRU forward and backward, with and without biases."""
    from chaingrad.kernels import recurrent as rec

    rng = np.random.default_rng(0)
    steps, batch, n_in, hidden = 3, 2, 4, 5
    x, h0, c0 = _rand(rng, steps, batch, n_in), _rand(rng, batch, hidden), _rand(rng, batch, hidden)
    g = _rand(rng, steps, batch, hidden)
    for gates in (1, 4, 3):
        w_ih, w_hh = _rand(rng, gates * hidden, n_in), _rand(rng, gates * hidden, hidden)
        b = _rand(rng, gates * hidden)
        for b_ih, b_hh in [(b, b), (None, None)]:
            if gates == 1:
                for act in ("tanh", "relu"):
                    _, saved = rec.rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, act)
                    rec.rnn_backward(g, h0, x, h0, w_ih, w_hh, saved, act)
            elif gates == 4:
                _, _, saved = rec.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
                rec.lstm_backward(g, h0, c0, x, h0, c0, w_ih, w_hh, saved)
            else:
                _, saved = rec.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
                rec.gru_backward(g, h0, x, h0, w_ih, w_hh, saved)


def warm_lstm_columns() -> None:
    """The LSTM column sweeps (``recurrent.fast.lstm_forward_columns`` and its backward and
    weight gradients), called directly: the op takes them only on two or more threads."""
    from chaingrad.kernels import blas
    from chaingrad.kernels.recurrent import fast

    gemm = blas.gemm_address(F32)
    if not gemm:  # no cblas_?gemm to call: the column sweeps never run here
        return
    rng = np.random.default_rng(0)
    steps, batch, n_in, hidden = 2, 1, 3, 8
    x, w_ih = _rand(rng, steps, batch, n_in), _rand(rng, 4 * hidden, n_in)
    w_hh, bias = _rand(rng, 4 * hidden, hidden), _rand(rng, 4 * hidden)
    scale = np.full(4 * hidden, 0.5, F32)
    gates, da = _rand(rng, steps, batch, 4 * hidden), _rand(rng, steps, batch, 4 * hidden)
    h, c = _rand(rng, steps + 1, batch, hidden), _rand(rng, steps + 1, batch, hidden)
    tanh_c, g_out = _rand(rng, steps, batch, hidden), _rand(rng, steps, batch, hidden)
    fast.lstm_forward_columns(gemm, x, w_ih, gates, bias, scale, w_hh, h, c, tanh_c, 4)
    dh, dc = _rand(rng, batch, hidden), _rand(rng, batch, hidden)
    fast.lstm_backward_columns(gemm, g_out, dh, dc, gates, c, tanh_c, w_hh, da, 4)
    gw_ih, gw_hh, gb = np.empty_like(w_ih), np.empty_like(w_hh), np.empty_like(bias)
    fast.lstm_weight_grads_columns(gemm, da, x, h[:-1], w_ih, gw_ih, gw_hh, gb, np.empty_like(x), 4)


def warm_lstm_lanes() -> None:
    """The LSTM's lanes as parallel kernels (``recurrent.fast.lstm_forward_lanes`` and
    ``lstm_backward_lanes``), through the ops: a batch of two lanes, on two threads or more."""
    from chaingrad.kernels import recurrent as rec
    from chaingrad.kernels.recurrent import threads

    batch = 2 * threads.MIN_LANE_ROWS
    if len(threads.sweep_lanes(batch)) < 2:  # one thread: the lanes never run here
        return
    rng = np.random.default_rng(0)
    steps, n_in, hidden = 2, 3, 8
    x, g = _rand(rng, steps, batch, n_in), _rand(rng, steps, batch, hidden)
    h0, c0 = _rand(rng, batch, hidden), _rand(rng, batch, hidden)
    w_ih, w_hh = _rand(rng, 4 * hidden, n_in), _rand(rng, 4 * hidden, hidden)
    b = _rand(rng, 4 * hidden)
    _, _, saved = rec.lstm_forward(x, h0, c0, w_ih, w_hh, b, b)
    rec.lstm_backward(g, h0, c0, x, h0, c0, w_ih, w_hh, saved)


WARM_UPS = {
    "conv": warm_conv,
    "pool": warm_pool,
    "recurrent": warm_recurrent,
    "lstm-columns": warm_lstm_columns,
    "lstm-lanes": warm_lstm_lanes,
}


def warm(group: str) -> str:
    """Compile ``group``'s float32 kernels into numba's cache; return the marker file written."""
    from chaingrad.kernels import runtime

    if runtime.compile_mode() != "inline":
        raise RuntimeError(
            f"warm: run with {runtime.COMPILE_ENV}=inline (the ops would not compile)"
        )
    runtime.fresh_cache(group)  # new sources: no stale callee code from numba's cache
    WARM_UPS[group]()
    return runtime.write_marker(group)


def lower_priority() -> str:
    """Run this process at the lowest CPU priority the system offers; return which one.

    Linux's SCHED_IDLE runs it only when a core would otherwise idle; elsewhere niceness 19.
    A run training on both cores slowed ~7x beside a compile at niceness 10 in its own
    session (its threads wait for each other at every parallel region); at idle priority
    the compile takes the gaps (Python's single-threaded stretches) instead.
    """
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return "idle"
        except OSError:
            pass
    if hasattr(os, "nice"):
        try:
            os.nice(19)
            return "nice 19"
        except OSError:
            pass
    return "normal"


def keep_fresh(lock: str, every: float = 60.0) -> threading.Thread:
    """Touch ``lock`` every ``every`` seconds while this process lives.

    At idle priority a compile beside a busy run can take longer than the age at which
    runtime calls a lock stale (left by a warm-up that died); the heartbeat keeps it live.
    """

    def touch() -> None:
        while True:
            time.sleep(every)
            try:
                os.utime(lock)
            except OSError:
                return

    thread = threading.Thread(target=touch, name="chaingrad-warm-heartbeat", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    """Warm the groups named on the command line, at a lower priority; remove ``--lock`` after."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="+", choices=sorted(WARM_UPS))
    parser.add_argument("--lock", help="a lock file to remove when done (runtime's)")
    parser.add_argument(
        "--priority",
        choices=("idle", "normal"),
        default="idle",
        help="idle (default): compile only on CPU time the run that started us leaves over",
    )
    args = parser.parse_args(argv)
    os.environ["CHAINGRAD_COMPILE"] = "inline"  # this process compiles: it is the warm-up
    if args.lock:
        keep_fresh(args.lock)
    try:
        if args.priority == "idle":
            lower_priority()
        for group in args.groups:
            start, cpu = time.perf_counter(), time.process_time()
            marker = warm(group)
            print(
                f"{group}: compiled in {time.perf_counter() - start:.1f} s wall, "
                f"{time.process_time() - cpu:.1f} s CPU; marker {marker}",
                flush=True,
            )
    finally:
        if args.lock:
            try:
                os.remove(args.lock)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Elman RNN, LSTM and GRU over a whole time-major sequence: forward, and backward through time.

One layer, one direction, PyTorch's parameter layout and gate order (LSTM [i, f, g, o], GRU
[r, z, n]). Each forward does the input projections of all steps as one GEMM, then per step one
BLAS GEMM ``h @ W_hhᵀ`` (with W_hhᵀ made contiguous once) and numba kernels for the elementwise
work (``fast.py``): for the LSTM one fused kernel adds the bias, applies every gate's
nonlinearity and updates c and h. Backward sweeps the steps in reverse with one GEMM
``da @ W_hh`` per step, then forms the input and weight gradients as one GEMM each over all steps.
Where NumPy's BLAS is an ILP64 OpenBLAS (NumPy 2's wheels) and W_hh is at most 2 MiB
(``FUSED_MAX_WEIGHT_BYTES``: larger ones measured faster per step), the LSTM runs all its
steps in one numba call each way (``fast.lstm_forward_sweep``, ``fast.lstm_backward_sweep``)
that calls ``cblas_?gemm`` itself (``kernels.blas.gemm_address``) and adds each step's product
straight into the gate block: no Python, slicing or kernel dispatch per step. Single-thread CPU
time, interleaved in one process against the per-step sweep: T 64, B 16, 32 → 128 (the char-LSTM's
layer) 0.86× (8.9 → 7.7 ms); T 50, B 32, 64 → 128 0.97×. The fused sweeps run in lanes of
batch rows (``threads.sweep_lanes``) whenever numba has two threads and the batch 16 rows: the
lanes hold no GIL and never meet per step, so they scale where the per-step lanes below (a
Python call per step on each thread, fighting over the GIL) did not; the whole op then runs
with BLAS on one thread, so no OpenBLAS worker spins on the core a lane needs. Two threads,
wall time, interleaved with pauses (``benchmarks.harness.settled_times``) on the loaded shared
machine, fastest and 10th percentile of 30: T 50, B 32, 64 → 128 lanes 6.0 / 6.4 ms, one lane
8.5 / 9.4, PyTorch 6.9 / 7.3; T 64, B 16, 32 → 128 lanes 4.4 / 6.7, one lane 5.5 / 9.7,
PyTorch 4.4 / 16.9. In the whole char-LSTM training step the lanes won the median (15.7 against
21.9 ms, loaded machine) but not the fastest runs (9.6 against 8.7 ms): there a threaded GEMM
elsewhere in the step (the head's) left an OpenBLAS worker spinning on the second lane's core.
Since the lanes mark chaingrad's threads busy and small products then keep to one BLAS thread
(``kernels.blas.matmul``), the step measured 6.84-7.13 ms against 10.2-12.3 ms without that
rule (``CHAINGRAD_LSTM_FUSED_LANES=0`` turns the lanes off to measure again). While numba compiles,
``numpy_path``'s twins of the sweeps run (one lane); with another BLAS the per-step sweep below
runs.
Where numba's threading layer is OpenMP or TBB, the lanes run as one parallel numba call each
way (``fast.lstm_forward_lanes``, ``fast.lstm_backward_lanes``; the backward forms the weight
gradients in the same call, their gate rows split over the same threads). Python-thread lanes
(``runtime.run_lanes``) paid ~110 µs a call on the 2-vCPU development VM to wake a thread and
hand the GIL back, three calls a training step. Two threads, T 50, input 64, fwd + bwd,
interleaved in one process against the Python-thread lanes, as ratios to PyTorch: H 64 B 16
1.12 → 0.80, H 128 B 16 1.05 → 0.87, H 128 B 32 1.13 → 1.01, H 256 B 32 1.44 → 1.38, H 512
B 128 1.19 → 1.17; the char-LSTM training step 0.97–1.00 → 0.88–0.91. They are a compile group
of their own (``lstm-lanes``, ~4 CPU s), compiled in the background the first time lanes run,
the Python-thread lanes meanwhile. Under numba's ``workqueue`` layer (no OpenMP or TBB), whose
threads sleep between regions (two lanes of a 300 µs loop: 806 µs), the Python-thread lanes
stay.
A batch too small for two lanes of rows (under 16 rows on two threads) with at least
``MIN_COLUMN_HIDDEN`` hidden units, or lanes thinner than ``THIN_LANE_ROWS`` rows with
``WIDE_HIDDEN`` units or more (B 16 on two threads, from H 256), takes the column sweeps
instead (``fast.lstm_forward_columns``, ``fast.lstm_backward_columns``,
``fast.lstm_weight_grads_columns``): each step's hidden units are split over numba's threads in
blocks of ~``COLUMN_BLOCK``, each block making its own small BLAS calls for its rows of W_ih
and W_hh (read as stored: no transposed copy, which cost 3.5 ms a call at H 512) and running
the cell on its units; the threads meet once a step. The input projection before the sweep
and the weight gradients after it run on the same numba threads too: a threaded BLAS call
next to a parallel region ran at half speed (numba's OpenMP workers still spin on the second
core after it; with OMP_WAIT_POLICY=passive the GEMMs kept their speed but the per-step
barriers slowed the sweep 1.5×). Two threads, T 50,
64 → H, fwd + bwd, medians, interleaved with the version before (settled_times): B 8, H 512
0.64× (1.61 → 1.03× PyTorch); B 8, H 256 0.73×; B 1, H 512 0.72×; B 4, H 384 0.53×; B 15,
H 512 0.63×; B 8, H 128 0.94×; B 1, H 128 0.91×; at H 64 it lost (1.05–1.29×), hence the
128-unit floor. Its kernels are their own compile group (``lstm-columns``, ~9 CPU s, three
parallel kernels): they compile in the background the first time a run asks for them, the
row sweeps running meanwhile.
Work arrays come from a per-thread pool (``buffers.py``) that hands out an array again once
nothing holds it, so a training loop stops faulting fresh pages in on every call.

Without the fused sweeps, with ``CHAINGRAD_LSTM_LANES=1``, the LSTM sweeps its batch in lanes
(``threads.py``) step by step from Python: with numba's threads and at least 8 rows a
lane, each lane runs every step over its own rows on its own thread with NumPy's BLAS held to
one thread, projecting its inputs and forming its input gradient step by step; the lanes meet
only before the weight gradients, whose gate rows they then share. Within a lane (and in the
one-lane sweep) a step's product is cut into row blocks that fit OpenBLAS's small-matrix path
(``_row_blocks``). Single-thread CPU time, interleaved with PyTorch on one thread
(``NUMBA_NUM_THREADS=1``, ``torch.set_num_threads(1)``, BLAS at one thread,
``time.process_time``; lanes and blocks against the version before them): T 50, B 32, 64 → 128
0.92× before (1.07 → 0.99× PyTorch); T 64, B 16, 32 → 128 0.89× (1.10 → 0.98×). On the loaded
shared machine, two threads, wall time, the lanes took 89 ms where the one-sweep version took
1.5 s and PyTorch 1.8 s: with more runnable threads than cores, OpenBLAS's and PyTorch's
per-call thread barriers wait on preempted workers at every step, where lanes never wait on each
other until the end.

Where the time of an LSTM forward + backward went before the lanes (T 50, B 32, 64 → 128,
float32, CPU time of one thread, ``time.thread_time`` around each call, on the shared (loaded)
2-core machine, where CPU time is steadier than wall time; PyTorch with one thread: 13.1–13.4
ms):

==================================  ==========  ==========
part                                before      after
==================================  ==========  ==========
input projection (one GEMM)         3.2 ms      1.2 ms
50 step GEMMs h @ W_hhᵀ             4.0 ms      3.0 ms
forward elementwise (6 calls/step)  2.4 ms      0.5 ms
50 step GEMMs da @ W_hh             2.8 ms      2.9 ms
backward cell kernel                2.8 ms      0.6 ms
weight/input gradient GEMMs         5.9 ms      5.2 ms
page faults (sys time, getrusage)   2,170/call  0
whole call (median)                 16.6–17.4   14.3–14.7
==================================  ==========  ==========

"Before" paid for a transposed-view W_hhᵀ (1.5× slower step GEMMs), a bias pass and a scaled
weight copy in the input projection, the first-touch page faults of ~9 MB of fresh arrays a
call, and three gate loops that LLVM left scalar. The GEMMs are now ~12 of ~15 ms; PyTorch's own
GEMMs at these shapes measured the same as NumPy's (gw_hh 2.7 ms both), so what remains is
the backward's big GEMMs and its per-step cold reads of the saved gates.

``saved`` (a NamedTuple per cell, below) is what backward needs; ``saved.h[1:]`` is the very array
returned as ``out``, so the caller must not write into ``out`` before calling backward.
None is accepted for the biases (their gradients are then None), for the initial states and for
every upstream gradient (g_out, g_hn, g_cn), each meaning zeros.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import NamedTuple

import numba
import numpy as np

from chaingrad.kernels import blas
from chaingrad.kernels.checks import transposed
from chaingrad.kernels.recurrent import buffers, fast, numpy_path, threads
from chaingrad.kernels.recurrent.checks import (
    canonical,
    check_layer,
    check_saved,
    expect_shape,
    float_dtype,
)
from chaingrad.kernels.runtime import run_lanes, run_parallel, threading_layer, use_numba


class RNNSaved(NamedTuple):
    """rnn_forward's record: h (T + 1, B, H) with h[0] = h0 and h[1:] = out; which biases exist."""

    h: np.ndarray
    has_bias: tuple[bool, bool]


class LSTMSaved(NamedTuple):
    """lstm_forward's record for BPTT.

    h, c (T + 1, B, H): hidden and cell states, h[0] = h0, c[0] = c0, h[1:] = out;
    tanh_c (T, B, H): tanh(c_t); gates (T, B, 4H): the activated gates i, f, g, o.
    """

    h: np.ndarray
    c: np.ndarray
    tanh_c: np.ndarray
    gates: np.ndarray
    has_bias: tuple[bool, bool]


class GRUSaved(NamedTuple):
    """gru_forward's record for BPTT.

    h (T + 1, B, H): h[0] = h0, h[1:] = out; gates (T, B, 3H): the activated r, z, n;
    hn (T, B, H): W_hn h_{t-1} + b_hn, the part of n's pre-activation that r gates.
    """

    h: np.ndarray
    gates: np.ndarray
    hn: np.ndarray
    has_bias: tuple[bool, bool]


# OpenBLAS's SkylakeX sgemm/dgemm run a product with M·N·K ≤ 100³ through its "small matrix"
# kernels: no packing of the operands and never threaded. A step's (B, H) @ (H, 4H) at H 128
# measured 41–43 µs on one thread as blocks of 8 or 12 rows against 55 µs as one packed call
# (B 32; blocks of 11 or 15 rows: 45–49 µs, so blocks are multiples of 4 rows), and at B 16
# two blocks of 8 against one packed call: the char-LSTM layer 18 % faster in CPU time.
SMALL_GEMM = 100**3
MIN_BLOCK = 8  # thinner blocks measured no faster than one packed call


def _row_blocks(rows: int, k: int, n: int) -> list[slice]:
    """Row blocks of a (rows, k) @ (k, n) product that each fit OpenBLAS's small-matrix path:
    even sizes, multiples of 4 rows; one block when the whole fits or blocks would be thin."""
    per = SMALL_GEMM // (k * n)
    widest = per - per % 4
    if rows <= per or widest < MIN_BLOCK:
        return [slice(0, rows)]
    count = -(-rows // widest)
    size = -(-rows // count)
    size += -size % 4  # still <= widest, which is a multiple of 4
    return [slice(i, min(i + size, rows)) for i in range(0, rows, size)]


def _blocked_matmul(a: np.ndarray, w: np.ndarray, out: np.ndarray, blocks: list[slice]) -> None:
    """out = a @ w, one BLAS call per row block."""
    if len(blocks) == 1:
        np.matmul(a, w, out=out)
        return
    for rows in blocks:
        np.matmul(a[rows], w, out=out[rows])


def _cell_kernels():
    """The step kernels: numba's (``fast``), or their NumPy twins while numba compiles them."""
    return fast if use_numba("recurrent") else numpy_path


def _gate_scale(dtype: np.dtype, hidden: int, per_gate: tuple[float, ...]) -> np.ndarray:
    """Per-row factors of the stacked weights: 0.5 for a sigmoid gate (σ via tanh(a/2)), else 1."""
    return np.repeat(np.asarray(per_gate, dtype=dtype), hidden)


def _input_projection(x, w_ih, bias, scale):
    """(x_t W_ihᵀ + bias) ⊙ scale for all steps as one GEMM: (T·B, I) @ (I, G) -> (T, B, G)."""
    steps, batch, n_in = x.shape
    xp = buffers.empty((steps, batch, w_ih.shape[0]), x.dtype)
    w = w_ih if scale is None else w_ih * scale[:, None]
    np.matmul(x.reshape(steps * batch, n_in), w.T, out=xp.reshape(steps * batch, w_ih.shape[0]))
    if bias is not None:
        xp += bias if scale is None else bias * scale
    return xp


def _sum_biases(*biases):
    """The sum of the biases that are given (both enter every pre-activation the same way)."""
    given = [b for b in biases if b is not None]
    return None if not given else sum(given[1:], given[0])


def _bias_grads(has_bias, gb_ih, gb_hh):
    return (gb_ih if has_bias[0] else None), (gb_hh if has_bias[1] else None)


def _seq_grad(g, shape, dtype):
    """The upstream gradient of ``out`` in canonical form, zeros when it is None."""
    return np.zeros(shape, dtype=dtype) if g is None else canonical(g, dtype)


def _state_grad(g, shape, dtype):
    """A writable copy of an upstream state gradient, zeros when it is None (staggered: see
    ``buffers``)."""
    a = buffers.staggered(shape, dtype)
    a[...] = 0 if g is None else g
    return a


def _weight_grads(dax, dah, x, h_prev, w_ih):
    """gx, gw_ih, gw_hh, gb_ih, gb_hh as one GEMM (or column sum) each over all T·B rows."""
    steps, batch, gates = dax.shape
    dax2 = dax.reshape(steps * batch, gates)
    dah2 = dah.reshape(steps * batch, gates)
    gx = buffers.empty(x.shape, dax.dtype)
    np.matmul(dax2, w_ih, out=gx.reshape(steps * batch, x.shape[2]))
    gw_ih = dax2.T @ x.reshape(steps * batch, x.shape[2])
    gw_hh = dah2.T @ h_prev.reshape(steps * batch, h_prev.shape[2])
    ones = np.ones(steps * batch, dtype=dax.dtype)  # column sums as a GEMV: 2× np.sum(axis=0)
    gb_ih = ones @ dax2
    gb_hh = gb_ih.copy() if dah is dax else ones @ dah2
    return gx, gw_ih, gw_hh, gb_ih, gb_hh


def _lane_weight_grads(da, x, h_prev, count):
    """gw_ih, gw_hh, gb over all T·B rows, the gate rows split into ``count`` lanes."""
    steps, batch, gates = da.shape
    da2 = da.reshape(steps * batch, gates)
    x2 = x.reshape(steps * batch, x.shape[2])
    h2 = h_prev.reshape(steps * batch, h_prev.shape[2])
    gw_ih = np.empty((gates, x.shape[2]), dtype=da.dtype)
    gw_hh = np.empty((gates, h_prev.shape[2]), dtype=da.dtype)
    gb = np.empty(gates, dtype=da.dtype)
    ones = np.ones(steps * batch, dtype=da.dtype)
    size = -(-gates // count)

    def part(cols: slice) -> None:
        block = da2[:, cols].T  # a strided view: BLAS reads it transposed, no copy
        np.matmul(block, x2, out=gw_ih[cols])
        np.matmul(block, h2, out=gw_hh[cols])
        np.matmul(ones, da2[:, cols], out=gb[cols])

    run_lanes(part, [slice(i, min(i + size, gates)) for i in range(0, gates, size)])
    return gw_ih, gw_hh, gb


# The fused sweeps measured faster than the per-step path up to H = 256 (W_hh 1 MiB in float32)
# and slower from H = 512 (4 MiB: 1.2-1.9x at batches 1-32, interleaved in one process; a
# one-row product through cblas_?gemm misses NumPy's threaded gemv, lanes each stream W_hh);
# H = 384 (2.3 MiB) was mixed. Larger weights take the per-step path.
FUSED_MAX_WEIGHT_BYTES = 2 << 20


def _fused_gemm(dtype: np.dtype, w_hh: np.ndarray) -> int:
    """cblas_?gemm's address for a fused sweep, or 0: no such BLAS, or W_hh too large to pay."""
    if w_hh.nbytes > FUSED_MAX_WEIGHT_BYTES:  # w_hh is already in dtype (canonical)
        return 0
    return blas.gemm_address(dtype)


def _fused_lanes(cell, batch: int) -> list[slice]:
    """The lanes of a fused sweep: threads.sweep_lanes with numba's kernels; one lane on the
    NumPy path (its sweep calls back into Python every step and would hold the GIL)."""
    return threads.sweep_lanes(batch) if cell is fast else [slice(0, batch)]


def _parallel_lanes() -> bool:
    """Whether the fused sweeps' lanes run as one parallel numba call (``fast.lstm_*_lanes``)
    rather than on Python threads: their kernels compiled, and numba's threading layer not
    ``workqueue`` (whose threads sleep between regions: 2 lanes of a 300 µs loop took 806 µs
    there, 318 µs on OpenMP's, 424 µs on Python threads). Unknown until a first parallel
    kernel has run: the first call tries."""
    return use_numba("lstm-lanes") and threading_layer() in (None, "omp", "tbb")


def _lane_plan(
    rows: list[slice], inner: tuple[int, int], recurrent: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per lane, the rows of each input-side and each recurrent BLAS call (``_block`` of the
    (k, n) products ``inner`` and ``recurrent``), and the lanes' row bounds, as the arrays
    ``fast.lstm_*_lanes`` take."""
    counts = [r.stop - r.start for r in rows]
    in_blocks = np.array([_block(m, *inner) for m in counts], dtype=np.int64)
    blocks = np.array([_block(m, *recurrent) for m in counts], dtype=np.int64)
    bounds = np.array([r.start for r in rows] + [rows[-1].stop], dtype=np.int64)
    return in_blocks, blocks, bounds


def _block(rows: int, k: int, n: int) -> int:
    """The rows of each BLAS call a fused sweep makes for a (rows, k) @ (k, n) product."""
    return max(_row_blocks(rows, k, n)[0].stop, 1)


# A batch too small for lanes of rows (``threads.sweep_lanes``: fewer than 16 rows on two
# threads) ran every step on one thread: T 50, B 8, 64 -> 512 at 1.6-1.9x PyTorch, B 8 -> 256
# 1.4-1.6x. The column sweeps split each step's hidden units over the threads instead
# (``fast.lstm_forward_columns``): blocks of about COLUMN_BLOCK units (64: 32 and 256 measured
# slower at H 512, B 8), from MIN_COLUMN_HIDDEN units (the module docstring has the A/B).
# Lanes of fewer than THIN_LANE_ROWS rows take them too from WIDE_HIDDEN units: forced column
# sweeps against lanes of rows, T 50, fwd + bwd: B 16 (lanes of 8) H 256 0.73-0.74x, H 512
# 0.59-0.65x, but H 128 1.23x; lanes of 10 rows or more mixed or worse (B 20 H 256 0.89x then
# 1.12x; B 24 H 256 0.79x, H 384 1.22x, H 512 1.01x; B 32 H 256 1.04x, H 512 1.08x).
COLUMN_BLOCK = 64
MIN_COLUMN_HIDDEN = 128
THIN_LANE_ROWS = 9
WIDE_HIDDEN = 256


def _column_block(cell, dtype: np.dtype, batch: int, hidden: int) -> int:
    """Hidden units per block of a column sweep, or 0 where the sweep does not run: numba's
    kernels on two or more threads, cblas_?gemm found, one lane of rows and MIN_COLUMN_HIDDEN
    units (or lanes under THIN_LANE_ROWS rows and WIDE_HIDDEN units), the lstm-columns kernels
    compiled (the first ask starts their background compile). Blocks are multiples of 8 units,
    about as many on every thread."""
    count = numba.get_num_threads()
    if cell is not fast or count < 2 or hidden < MIN_COLUMN_HIDDEN:
        return 0
    lanes = min(count, batch // threads.MIN_LANE_ROWS)  # as threads.sweep_lanes makes them
    thin = hidden >= WIDE_HIDDEN and -(-batch // max(lanes, 1)) < THIN_LANE_ROWS
    if lanes > 1 and not thin:
        return 0
    if not blas.gemm_address(dtype):
        return 0
    if not use_numba("lstm-columns"):  # compiling in the background: the row sweeps meanwhile
        return 0
    blocks = count * max(1, round(hidden / (count * COLUMN_BLOCK)))
    size = -(-hidden // blocks)
    return size + -size % 8


def _check_backward(fn, saved, cls, gates, g_out, states, x, w_ih, w_hh):
    """Check backward's arguments and the forward's record against each other.

    Return (T, B, H), the dtype and the record with every array C-contiguous.
    """
    if not isinstance(saved, cls):
        raise TypeError(
            f"{fn}: saved must be the {cls.__name__} from the forward, got {type(saved)}"
        )
    h = saved.h
    if not isinstance(h, np.ndarray) or h.ndim != 3 or h.shape[0] < 2:
        raise ValueError(
            f"{fn}: saved.h must be a (T + 1, B, H) array with T >= 1, got {np.shape(h)}"
        )
    steps, batch, hidden = h.shape[0] - 1, h.shape[1], h.shape[2]
    check_layer(fn, gates, x, w_ih, w_hh, None, None)
    expect_shape(fn, "x", x, (steps, batch, "input_size"))
    expect_shape(fn, "w_hh", w_hh, (gates * hidden, hidden))
    expect_shape(fn, "g_out", g_out, (steps, batch, hidden))
    for name, a in states.items():
        expect_shape(fn, name, a, (batch, hidden))
    float_dtype(fn, g_out, x, w_ih, w_hh, *states.values())  # refuses complex, object, str
    # the shapes the forward over this x and w_hh recorded, field by field
    seq, steps_bh = (steps + 1, batch, hidden), (steps, batch, hidden)
    shapes = {
        RNNSaved: {"h": seq},
        LSTMSaved: {"h": seq, "c": seq, "tanh_c": steps_bh, "gates": (steps, batch, 4 * hidden)},
        GRUSaved: {"h": seq, "gates": (steps, batch, 3 * hidden), "hn": steps_bh},
    }[cls]
    dtype = check_saved(fn, saved, shapes)
    # never trust strides: the step kernels get C-contiguous rows (no copy when already so)
    saved = saved._replace(**{name: canonical(getattr(saved, name), dtype) for name in shapes})
    return steps, batch, hidden, dtype, saved


def rnn_forward(
    x: np.ndarray,
    h0: np.ndarray | None,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
    nonlinearity: str = "tanh",
) -> tuple[np.ndarray, RNNSaved]:
    """Elman RNN h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh) over x (T, B, I)."""
    fn = "rnn_forward"
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{fn}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    steps, batch, _, hidden = check_layer(fn, 1, x, w_ih, w_hh, b_ih, b_hh)
    expect_shape(fn, "h0", h0, (batch, hidden))
    dtype = float_dtype(fn, x, h0, w_ih, w_hh, b_ih, b_hh)
    x, h0, w_ih, w_hh, b_ih, b_hh = (canonical(a, dtype) for a in (x, h0, w_ih, w_hh, b_ih, b_hh))
    xp = _input_projection(x, w_ih, _sum_biases(b_ih, b_hh), None)
    h = buffers.empty((steps + 1, batch, hidden), dtype)
    h[0] = 0.0 if h0 is None else h0
    w_hh_t = transposed(w_hh)
    for t in range(steps):
        np.matmul(h[t], w_hh_t, out=h[t + 1])
        np.add(h[t + 1], xp[t], out=h[t + 1])
        if nonlinearity == "tanh":
            np.tanh(h[t + 1], out=h[t + 1])
        else:
            np.maximum(h[t + 1], 0.0, out=h[t + 1])
    return h[1:], RNNSaved(h, (b_ih is not None, b_hh is not None))


def rnn_backward(
    g_out: np.ndarray | None,
    g_hn: np.ndarray | None,
    x: np.ndarray,
    h0: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    saved: RNNSaved,
    nonlinearity: str = "tanh",
) -> tuple:
    """Backprop through time for rnn_forward: (gx, gh0, gw_ih, gw_hh, gb_ih, gb_hh)."""
    fn = "rnn_backward"
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{fn}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    states = {"g_hn": g_hn, "h0": h0}
    steps, batch, hidden, dtype, saved = _check_backward(
        fn, saved, RNNSaved, 1, g_out, states, x, w_ih, w_hh
    )
    x, w_ih, w_hh = (canonical(a, dtype) for a in (x, w_ih, w_hh))
    g_out = _seq_grad(g_out, (steps, batch, hidden), dtype)
    dh = _state_grad(g_hn, (batch, hidden), dtype)
    da = buffers.empty((steps, batch, hidden), dtype)
    relu = nonlinearity == "relu"
    cell = _cell_kernels()  # chosen once per call: one set for every step
    for t in range(steps - 1, -1, -1):
        cell.rnn_backward_step(g_out[t], dh, saved.h[t + 1], relu, da[t])
        np.matmul(da[t], w_hh, out=dh)
    gx, gw_ih, gw_hh, gb_ih, gb_hh = _weight_grads(da, da, x, saved.h[:-1], w_ih)
    return gx, dh, gw_ih, gw_hh, *_bias_grads(saved.has_bias, gb_ih, gb_hh)


def _lstm_outputs(h_ext, c, saved):
    """out = h_ext[1:T + 1] and c_n (a copy of c[T]) in h_ext[T + 1]: adjacent in memory."""
    steps = c.shape[0] - 1
    h_ext[steps + 1] = c[steps]
    return h_ext[1 : steps + 1], h_ext[steps + 1], saved


def packed_outputs(out: np.ndarray, c_n: np.ndarray) -> np.ndarray:
    """out (T, B, H) and c_n (B, H) as one (T + 1, B, H) array, c_n last: a view where c_n
    directly follows out in memory (as lstm_forward returns them), else a copy."""
    steps = out.shape[0]
    if (
        out.flags.c_contiguous
        and c_n.flags.c_contiguous
        and c_n.dtype == out.dtype
        and c_n.shape == out.shape[1:]
        and c_n.ctypes.data == out.ctypes.data + out.nbytes
    ):  # one array's memory, checked: a view over both (it keeps out, and so the buffer, alive)
        return np.lib.stride_tricks.as_strided(
            out, (steps + 1, *out.shape[1:]), out.strides, writeable=True
        )
    return np.concatenate([out, c_n[None]])


def lstm_forward(
    x: np.ndarray,
    h0: np.ndarray | None,
    c0: np.ndarray | None,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, LSTMSaved]:
    """LSTM over x (T, B, I) with gates [i, f, g, o]: (out (T, B, H), c_n (B, H), saved).

    c_n directly follows out in one buffer, so ``packed_outputs`` joins them without a copy."""
    fn = "lstm_forward"
    steps, batch, _, hidden = check_layer(fn, 4, x, w_ih, w_hh, b_ih, b_hh)
    expect_shape(fn, "h0", h0, (batch, hidden))
    expect_shape(fn, "c0", c0, (batch, hidden))
    dtype = float_dtype(fn, x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = (
        canonical(a, dtype) for a in (x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    )
    cell = _cell_kernels()  # chosen once per call: one set for every step
    block = _column_block(cell, dtype, batch, hidden)
    gemm = _fused_gemm(dtype, w_hh)
    rows = _fused_lanes(cell, batch) if gemm else threads.lanes(batch)
    w_ih_t = w_ih  # read only by lanes (below); any C-contiguous matrix keeps one signature
    if block:  # lstm_forward_columns projects step by step
        gates = buffers.empty((steps, batch, 4 * hidden), dtype)
    elif len(rows) == 1:  # x_t W_ihᵀ for all steps as one GEMM; the step kernel adds the rest
        gates = _input_projection(x, w_ih, None, None)
    else:  # each lane projects its own rows step by step (small, unthreaded GEMMs)
        gates = buffers.empty((steps, batch, 4 * hidden), dtype)
        w_ih_t = transposed(w_ih)
    bias = _sum_biases(b_ih, b_hh)
    bias = np.zeros(4 * hidden, dtype=dtype) if bias is None else bias
    scale = _gate_scale(dtype, hidden, (0.5, 0.5, 1.0, 0.5))
    # one row more than h needs: c_n goes there, right after out (see lstm_forward's docstring)
    h_ext = buffers.empty((steps + 2, batch, hidden), dtype)
    h = h_ext[: steps + 1]
    c = buffers.empty((steps + 1, batch, hidden), dtype)
    tanh_c = buffers.empty((steps, batch, hidden), dtype)
    h[0] = 0.0 if h0 is None else h0
    c[0] = 0.0 if c0 is None else c0
    saved = LSTMSaved(h, c, tanh_c, gates, (b_ih is not None, b_hh is not None))
    if block:  # a small batch: each step's hidden units split over the threads
        address = blas.gemm_address(dtype)
        with blas.single_threaded():
            run_parallel(
                fast.lstm_forward_columns, address, x, w_ih, gates, bias, scale, w_hh, h, c,
                tanh_c, block,
            )  # fmt: skip
        return _lstm_outputs(h_ext, c, saved)
    w_hh_t = transposed(w_hh)  # a transposed view made each step's GEMM 1.5× slower
    if gemm:  # every step in one numba call per lane, BLAS called from inside it
        project = len(rows) > 1
        if project and _parallel_lanes():  # the lanes as one parallel region on numba's threads
            plan = _lane_plan(rows, (x.shape[2], 4 * hidden), (hidden, 4 * hidden))
            with blas.single_threaded():
                run_parallel(
                    fast.lstm_forward_lanes, gemm, x, w_ih_t, gates, bias, scale, w_hh_t, h, c,
                    tanh_c, *plan, threads=len(rows),
                )  # fmt: skip
            return _lstm_outputs(h_ext, c, saved)

        def fused(r: slice) -> None:
            count, n_in = r.stop - r.start, x.shape[2]
            cell.lstm_forward_sweep(
                gemm, x, w_ih_t, gates, bias, scale, w_hh_t, h, c, tanh_c, project,
                _block(count, n_in, 4 * hidden), _block(count, hidden, 4 * hidden),
                r.start, r.stop,
            )  # fmt: skip

        with blas.single_threaded() if project else nullcontext():
            run_lanes(fused, rows)
        return _lstm_outputs(h_ext, c, saved)
    mm = buffers.empty((batch, 4 * hidden), dtype)

    def sweep(r: slice) -> None:  # every step over the batch rows r
        blocks = _row_blocks(r.stop - r.start, hidden, 4 * hidden)
        in_blocks = _row_blocks(r.stop - r.start, x.shape[2], 4 * hidden)
        mm_r = mm[r]
        for t in range(steps):
            if len(rows) > 1:
                _blocked_matmul(x[t, r], w_ih_t, gates[t, r], in_blocks)
            _blocked_matmul(h[t, r], w_hh_t, mm_r, blocks)
            cell.lstm_step_forward(
                mm_r, gates[t, r], bias, scale, c[t, r], c[t + 1, r], tanh_c[t, r], h[t + 1, r]
            )

    with blas.single_threaded() if len(rows) > 1 else nullcontext():
        run_lanes(sweep, rows)
    return _lstm_outputs(h_ext, c, saved)


def lstm_backward(
    g_out: np.ndarray | None,
    g_hn: np.ndarray | None,
    g_cn: np.ndarray | None,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    saved: LSTMSaved,
) -> tuple:
    """Backprop through time for lstm_forward: (gx, gh0, gc0, gw_ih, gw_hh, gb_ih, gb_hh)."""
    fn = "lstm_backward"
    states = {"g_hn": g_hn, "g_cn": g_cn, "h0": h0, "c0": c0}
    steps, batch, hidden, dtype, saved = _check_backward(
        fn, saved, LSTMSaved, 4, g_out, states, x, w_ih, w_hh
    )
    x, w_ih, w_hh = (canonical(a, dtype) for a in (x, w_ih, w_hh))
    g_out = _seq_grad(g_out, (steps, batch, hidden), dtype)
    dh = _state_grad(g_hn, (batch, hidden), dtype)
    dc = _state_grad(g_cn, (batch, hidden), dtype)
    da = buffers.empty((steps, batch, 4 * hidden), dtype)
    cell = _cell_kernels()  # chosen once per call: one set for every step
    block = _column_block(cell, dtype, batch, hidden)
    if block:  # a small batch: each step's hidden units split over the threads
        address = blas.gemm_address(dtype)
        with blas.single_threaded():
            run_parallel(
                fast.lstm_backward_columns, address, g_out, dh, dc, saved.gates, saved.c,
                saved.tanh_c, w_hh, da, block,
            )  # fmt: skip
            gx = buffers.empty(x.shape, dtype)
            gw_ih, gw_hh = np.empty(w_ih.shape, dtype), np.empty(w_hh.shape, dtype)
            gb = np.empty(4 * hidden, dtype)
            run_parallel(
                fast.lstm_weight_grads_columns, address, da, x, saved.h[:-1], w_ih, gw_ih,
                gw_hh, gb, gx, block,
            )  # fmt: skip
        return gx, dh, dc, gw_ih, gw_hh, *_bias_grads(saved.has_bias, gb, gb.copy())
    gemm = _fused_gemm(dtype, w_hh)
    if gemm:  # every step in one numba call per lane, BLAS called from inside it
        rows = _fused_lanes(cell, batch)
        project = len(rows) > 1  # lanes form the input gradient step by step
        gx = buffers.empty(x.shape, dtype) if project else x  # x: not written

        def fused(r: slice) -> None:
            count, n_in = r.stop - r.start, x.shape[2]
            cell.lstm_backward_sweep(
                gemm, g_out, dh, dc, saved.gates, saved.c, saved.tanh_c, w_hh, da, w_ih, gx,
                project, _block(count, 4 * hidden, n_in), _block(count, 4 * hidden, hidden),
                r.start, r.stop,
            )  # fmt: skip

        if not project:
            fused(rows[0])
            gx, gw_ih, gw_hh, gb_ih, gb_hh = _weight_grads(da, da, x, saved.h[:-1], w_ih)
            return gx, dh, dc, gw_ih, gw_hh, *_bias_grads(saved.has_bias, gb_ih, gb_hh)
        if _parallel_lanes():  # the lanes and the weight gradients in one parallel call
            plan = _lane_plan(rows, (4 * hidden, x.shape[2]), (4 * hidden, hidden))
            gw_ih, gw_hh = np.empty(w_ih.shape, dtype), np.empty(w_hh.shape, dtype)
            gb = np.empty(4 * hidden, dtype)
            with blas.single_threaded():
                run_parallel(
                    fast.lstm_backward_lanes, gemm, g_out, dh, dc, saved.gates, saved.c,
                    saved.tanh_c, w_hh, da, w_ih, gx, *plan, x, saved.h[:-1], gw_ih, gw_hh, gb,
                    threads=len(rows),
                )  # fmt: skip
            return gx, dh, dc, gw_ih, gw_hh, *_bias_grads(saved.has_bias, gb, gb.copy())
        with blas.single_threaded():
            run_lanes(fused, rows)
            gw_ih, gw_hh, gb_ih = _lane_weight_grads(da, x, saved.h[:-1], len(rows))
        return gx, dh, dc, gw_ih, gw_hh, *_bias_grads(saved.has_bias, gb_ih, gb_ih.copy())
    rows = threads.lanes(batch)
    if len(rows) > 1:
        gx = buffers.empty(x.shape, dtype)

    def sweep(r: slice) -> None:  # every step back over the batch rows r
        blocks = _row_blocks(r.stop - r.start, 4 * hidden, hidden)
        in_blocks = _row_blocks(r.stop - r.start, 4 * hidden, x.shape[2])
        dh_r, dc_r = dh[r], dc[r]
        for t in range(steps - 1, -1, -1):
            da_r = da[t, r]
            cell.lstm_cell_backward(
                g_out[t, r], dh_r, dc_r, saved.gates[t, r], saved.c[t, r], saved.tanh_c[t, r], da_r
            )
            _blocked_matmul(da_r, w_hh, dh_r, blocks)
            if len(rows) > 1:  # the input gradient of this step while da is in cache
                _blocked_matmul(da_r, w_ih, gx[t, r], in_blocks)

    if len(rows) == 1:
        sweep(rows[0])
        gx, gw_ih, gw_hh, gb_ih, gb_hh = _weight_grads(da, da, x, saved.h[:-1], w_ih)
    else:
        with blas.single_threaded():
            run_lanes(sweep, rows)
            gw_ih, gw_hh, gb_ih = _lane_weight_grads(da, x, saved.h[:-1], len(rows))
        gb_hh = gb_ih.copy()
    return gx, dh, dc, gw_ih, gw_hh, *_bias_grads(saved.has_bias, gb_ih, gb_hh)


def gru_forward(
    x: np.ndarray,
    h0: np.ndarray | None,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
) -> tuple[np.ndarray, GRUSaved]:
    """GRU over x (T, B, I) in PyTorch's form, gates [r, z, n]: (out (T, B, H), saved)."""
    fn = "gru_forward"
    steps, batch, _, hidden = check_layer(fn, 3, x, w_ih, w_hh, b_ih, b_hh)
    expect_shape(fn, "h0", h0, (batch, hidden))
    dtype = float_dtype(fn, x, h0, w_ih, w_hh, b_ih, b_hh)
    x, h0, w_ih, w_hh, b_ih, b_hh = (canonical(a, dtype) for a in (x, h0, w_ih, w_hh, b_ih, b_hh))
    scale = _gate_scale(dtype, hidden, (0.5, 0.5, 1.0))
    # b_hh's r and z parts add to the input side; its n part (b_hn) sits inside r ⊙ (...)
    b_hn = np.zeros(hidden, dtype=dtype)
    bias = b_ih
    if b_hh is not None:
        b_hn = b_hh[2 * hidden :]
        b_hrz = np.concatenate([b_hh[: 2 * hidden], np.zeros(hidden, dtype=dtype)])
        bias = _sum_biases(b_ih, b_hrz)
    xp = _input_projection(x, w_ih, bias, scale)
    w_hh_t = transposed(w_hh * scale[:, None])
    h = buffers.empty((steps + 1, batch, hidden), dtype)
    h[0] = 0.0 if h0 is None else h0
    gates = buffers.empty((steps, batch, 3 * hidden), dtype)
    hn = buffers.empty((steps, batch, hidden), dtype)
    mm = buffers.empty((batch, 3 * hidden), dtype)
    cell = _cell_kernels()  # chosen once per call: one set for every step
    for t in range(steps):
        np.matmul(h[t], w_hh_t, out=mm)
        cell.gru_gates_rz(mm, xp[t], b_hn, gates[t], hn[t])
        rz = gates[t, :, : 2 * hidden]
        np.tanh(rz, out=rz)
        cell.gru_gate_n(xp[t], gates[t], hn[t])
        cand = gates[t, :, 2 * hidden :]
        np.tanh(cand, out=cand)
        cell.gru_output(gates[t], h[t], h[t + 1])
    return h[1:], GRUSaved(h, gates, hn, (b_ih is not None, b_hh is not None))


def gru_backward(
    g_out: np.ndarray | None,
    g_hn: np.ndarray | None,
    x: np.ndarray,
    h0: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    saved: GRUSaved,
) -> tuple:
    """Backprop through time for gru_forward: (gx, gh0, gw_ih, gw_hh, gb_ih, gb_hh)."""
    fn = "gru_backward"
    states = {"g_hn": g_hn, "h0": h0}
    steps, batch, hidden, dtype, saved = _check_backward(
        fn, saved, GRUSaved, 3, g_out, states, x, w_ih, w_hh
    )
    x, w_ih, w_hh = (canonical(a, dtype) for a in (x, w_ih, w_hh))
    g_out = _seq_grad(g_out, (steps, batch, hidden), dtype)
    dh_carry = _state_grad(g_hn, (batch, hidden), dtype)
    mm = np.zeros((batch, hidden), dtype=dtype)
    dax = buffers.empty((steps, batch, 3 * hidden), dtype)
    dah = buffers.empty((steps, batch, 3 * hidden), dtype)
    cell = _cell_kernels()  # chosen once per call: one set for every step
    for t in range(steps - 1, -1, -1):
        cell.gru_cell_backward(
            g_out[t], dh_carry, mm, saved.gates[t], saved.hn[t], saved.h[t], dax[t], dah[t]
        )
        np.matmul(dah[t], w_hh, out=mm)
    gx, gw_ih, gw_hh, gb_ih, gb_hh = _weight_grads(dax, dah, x, saved.h[:-1], w_ih)
    return gx, dh_carry + mm, gw_ih, gw_hh, *_bias_grads(saved.has_bias, gb_ih, gb_hh)

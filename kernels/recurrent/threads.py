"""Lanes: the batch rows of a recurrence split over threads, each with single-threaded BLAS.

The lanes run through ``kernels.runtime.run_lanes``.

The rows of a batch never interact in a recurrence, so each lane sweeps all T steps over its
own rows with no synchronisation per step; only the weight gradients, which sum over every
row, wait for all lanes. Inside a lane every product is small enough for OpenBLAS's unthreaded
small-matrix kernels (``op._row_blocks``), so the lanes and OpenBLAS's own threads never
compete for the cores.

NumPy's BLAS is told to use one thread for the duration (``kernels.blas.single_threaded``)
through the ``openblas_set_num_threads`` of the OpenBLAS that NumPy bundles; where that library
or symbol is not found (another BLAS), there are no lanes and the sweep runs as one. The number
of lanes follows numba's thread count (``NUMBA_NUM_THREADS``), never more than the batch
allows at ``MIN_LANE_ROWS`` rows a lane. The fused LSTM sweeps (one nogil numba call per lane,
BLAS called from inside, ``kernels.blas.gemm_address``) always run in lanes (``sweep_lanes``):
all lanes in one parallel numba call where numba's threading layer allows (``op.py``), else on
Python threads;
the per-step lanes of the other path are off unless ``CHAINGRAD_LSTM_LANES=1`` (``ENABLED``):
with a Python call per step on each thread they measured slower in wall time on two threads.
Running lanes marks chaingrad's threads busy (``runtime.note_parallel``), so that products
nearby keep to one BLAS thread (``kernels.blas.matmul``).
"""

from __future__ import annotations

import os

import numba

from chaingrad.kernels.blas import blas_control

MIN_LANE_ROWS = 8  # a lane of fewer rows spends more on its calls than it saves
# Off by default: on the 2-core development machine (2 threads, wall time, lanes on/off
# interleaved in one process) the char-LSTM step took 13.4 ms with lanes against 9.9 ms
# without, the LSTM T50 B32 64->128 fwd+bwd 15.3 against 14.6 ms, although lanes won in
# single-thread CPU time (0.89-0.92x). CHAINGRAD_LSTM_LANES=1 turns them on to measure again.
ENABLED = os.environ.get("CHAINGRAD_LSTM_LANES", "") == "1"


def lanes(batch: int) -> list[slice]:
    """The batch rows each lane sweeps: one lane (all rows) unless threads and rows allow more."""
    count = min(numba.get_num_threads(), batch // MIN_LANE_ROWS)
    if not ENABLED or count < 2 or blas_control() is None:
        return [slice(0, batch)]
    size = -(-batch // count)
    return [slice(i, min(i + size, batch)) for i in range(0, batch, size)]


# Lanes of the fused LSTM sweeps (``fast.lstm_forward_sweep``): one numba call per lane and
# sequence, holding no GIL, so lanes never wait on each other or on Python between steps. On by
# default; CHAINGRAD_LSTM_FUSED_LANES=0 runs the fused sweeps in one lane (to measure again: in
# a whole training step an OpenBLAS worker left spinning by a threaded GEMM elsewhere, e.g. the
# head's, would share the second core with the second lane, were it not for kernels.blas.matmul;
# see the LSTM op's docstring).
FUSED_LANES = os.environ.get("CHAINGRAD_LSTM_FUSED_LANES", "1") != "0"


def sweep_lanes(batch: int) -> list[slice]:
    """The batch rows of each lane of a fused sweep: as many lanes as numba has threads and the
    batch has ``MIN_LANE_ROWS`` rows for, one lane (all rows) otherwise."""
    count = min(numba.get_num_threads(), batch // MIN_LANE_ROWS)
    if not FUSED_LANES or count < 2:
        return [slice(0, batch)]
    size = -(-batch // count)
    return [slice(i, min(i + size, batch)) for i in range(0, batch, size)]

"""Peak memory of a training step against what backprop must keep (python -m benchmarks.memory).

The peak is measured with tracemalloc (NumPy reports its array allocations to it) from the
start of the forward pass to the end of the backward pass, with parameters and the input
batch already allocated. What backprop must keep is every activation recorded in the graph:
each op's output that a later backward reads, and for a recurrence the per-step states and
gates its BPTT kernel saves. A ratio near 1–2 means no avoidable copies; much more means some.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from benchmarks.models import CharLSTM
from chaingrad.autograd import Tensor
from chaingrad.autograd.engine import topological_order
from chaingrad.nn.app.recipes import build_image_model


@dataclass
class MemoryReport:
    """Peak bytes of one step and the bytes of the activations backprop keeps."""

    name: str
    peak: int
    activations: int

    @property
    def ratio(self) -> float:
        """Peak over activations."""
        return self.peak / self.activations

    def line(self) -> str:
        """One line for the report."""
        return (
            f"{self.name:44} peak {self.peak / 2**20:8.2f} MiB   activations "
            f"{self.activations / 2**20:8.2f} MiB   ratio {self.ratio:5.2f}"
        )


def _buffer(a: np.ndarray) -> np.ndarray:
    """The array that owns ``a``'s memory (``a`` itself unless it is a view)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _graph_activations(loss: Tensor) -> int:
    """Bytes of every op output in the graph, each buffer once: a view (reshape, flatten, a
    slice) of an output or of a leaf adds nothing; the leaves are parameters and data, not
    counted. The ops' own saved state (argmax, masks) is not an activation either."""
    nodes = topological_order(loss)
    seen = {id(_buffer(node._data)) for node in nodes if not node._parents}
    total = 0
    for node in nodes:
        owner = _buffer(node._data)
        if node._parents and id(owner) not in seen:
            seen.add(id(owner))
            total += owner.nbytes
    return total


def _measure(
    name: str, step: Callable[[], Tensor], extra: Callable[[], int] = lambda: 0
) -> MemoryReport:
    step().backward()  # warm up: compile kernels and let lazy buffers exist once
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        loss = step()
        activations = _graph_activations(loss) + extra()
        loss.backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return MemoryReport(name, peak - base, activations)


def lenet_memory(batch: int = 256) -> MemoryReport:
    """One forward and backward of the CLI's CNN on a batch of 8×8 images."""
    nn.manual_seed(0)
    model = build_image_model("cnn", (1, 8, 8), 10)
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((batch, 1, 8, 8)).astype(np.float32))
    y = rng.integers(0, 10, batch)
    return _measure(f"LeNet step, batch {batch} of 1×8×8", lambda: F.cross_entropy(model(x), y))


def lstm_memory(steps: int = 64, batch: int = 16) -> MemoryReport:
    """One forward and backward of the character LSTM (T=64, B=16, H=128)."""
    nn.manual_seed(0)
    model = CharLSTM()
    rng = np.random.default_rng(0)
    x = Tensor(rng.integers(0, 65, (steps, batch)))
    y = rng.integers(0, 65, steps * batch)
    hidden, itemsize = 128, 4
    # the LSTM kernel's saved record: h and c (T+1, B, H), tanh(c) (T, B, H), gates (T, B, 4H)
    saved = ((steps + 1) * 2 + steps + 4 * steps) * batch * hidden * itemsize
    return _measure(
        f"char-LSTM step, T={steps} B={batch} H={hidden}",
        lambda: F.cross_entropy(model(x), y),
        lambda: saved,
    )


def main() -> None:
    """Print both measurements."""
    for report in (lenet_memory(), lstm_memory()):
        print(report.line())


if __name__ == "__main__":
    main()

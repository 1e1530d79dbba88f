"""The one place that decides whether an op's result joins the graph.

An op computes its forward result and states its local gradient; ``record`` decides, once for
every op, whether a node is kept: only when grad mode is on (per thread) and some input
requires grad. Otherwise the result is a plain tensor outside any graph and the op's backward
closure is never kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from chaingrad.autograd.tensor import Tensor, recording

Backward = Callable[[np.ndarray], Sequence["np.ndarray | None"]]


def record(op: str, out: np.ndarray, parents: tuple[Tensor, ...], backward: Backward) -> Tensor:
    """``out`` as a graph node of ``op`` whose ``backward(g)`` gives one grad per parent.

    When nothing is recorded (no_grad, or no parent requires grad) ``out`` comes back as a
    constant tensor. A NumPy scalar becomes a 0-d array, so every tensor holds an ndarray.
    """
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if recording(*parents):
        return Tensor._node(out, parents, backward, op)
    return Tensor._constant(out)

"""benchmarks.memory: what it counts as activations, and the LeNet step's compact saved state."""

import numpy as np
import pytest

import chaingrad.nn.functional as F
from benchmarks.memory import _graph_activations, lenet_memory
from chaingrad.autograd import Tensor


def test_a_view_of_an_output_or_of_a_leaf_is_not_counted_again():
    x = Tensor(np.ones((4, 8), np.float32), requires_grad=True)
    y = x * 2.0  # 128 bytes of its own
    z = y.reshape(8, 4)  # a view of y: nothing new
    leaf_view = x.reshape(32)  # a view of the leaf: not an activation at all
    loss = (z.sum() + leaf_view.sum()) * 1.0
    # y, then the three scalars: z.sum(), leaf_view.sum(), their sum and the product
    assert _graph_activations(loss) == 128 + 4 * 4


def test_lenet_step_keeps_no_int64_argmax_and_no_relu_masks():
    report = lenet_memory(batch=256)  # the workload (batch 64 measures 1.55x)
    # before the compact argmax and the output-based ReLU backward this step peaked at 1.87x,
    # before the engine's owned gradient buffers 1.63x (now 1.41x); issue 16 asks <= 1.5x
    assert 1.0 < report.ratio <= 1.5, report.line()


def test_max_pool2d_keeps_one_byte_per_output_and_relu_reads_its_output():
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)), requires_grad=True)
    y = F.max_pool2d(x, 3, 2, 1)
    cells = [c.cell_contents for c in y._backward.__closure__]
    assert [a.dtype for a in cells if isinstance(a, np.ndarray)] == [np.uint8]
    r = F.relu(x)
    r.add_(1.0)  # relu's backward reads its output: an in-place change to it is caught
    with pytest.raises(RuntimeError, match="relu was modified by an in-place operation"):
        r.sum().backward()

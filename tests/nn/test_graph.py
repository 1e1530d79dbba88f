"""One training step's graph, collapsed by module."""

import numpy as np

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor
from chaingrad.nn.graph import step_graph


def test_each_top_level_module_becomes_one_box(tmp_path):
    model = nn.Sequential(
        nn.Linear(6, 5),
        nn.ReLU(),
        nn.Residual(nn.Sequential(nn.Linear(5, 5), nn.Tanh())),
        nn.Linear(5, 3),
    )
    x = Tensor(np.ones((4, 6), np.float32))
    drawing = step_graph(
        model, F.cross_entropy, x, np.array([0, 1, 2, 0]), path=str(tmp_path / "g.svg")
    )
    source = drawing.source
    for label in (
        "0: Linear\\n(4, 5)\\n35 parameters",
        "1: ReLU",
        "2: Residual\\n(4, 5)\\n30 parameters",
        "3: Linear\\n(4, 3)",
    ):
        assert label in source
    assert "matmul" not in source and "linear\\n" not in source  # ops are inside the boxes
    assert "input\\n(4, 6)" in source and "cross_entropy" in source
    assert source.count("box3d") == 4  # one box per module
    assert all(p.grad is None for p in model.parameters())  # the drawing step leaves no grads
    assert (tmp_path / "g.svg").read_text().rstrip().endswith("</svg>")

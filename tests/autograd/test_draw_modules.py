"""loss.draw(model=m, depth=k): a tensor graph grouped by the module that produced each node."""

import itertools
import re

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd.draw_modules import HEAT, group_by_module, heat_colour


class Net(nn.Module):
    """encoder (Linear, Tanh, Linear) and a head; one op of its own between them."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8))
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.encoder(x) * 2.0)


def _loss(model, batch=5):
    cg.manual_seed(0)
    x = cg.randn(batch, 4)
    return F.cross_entropy(model(x), np.arange(batch) % 3)


def _clusters(source):
    """{cluster label: the DOT text inside that cluster}."""
    found = {}
    for match in re.finditer(r"subgraph (cluster_\d+) \{", source):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(source[i], 0)
            i += 1
        body = source[match.end() : i - 1]
        label = re.search(r'label="([^"]*)"', body.split("\n\t\t", 2)[1]).group(1)
        found[label.split("\\n")[0]] = body
    return found


def test_depth_one_gives_one_box_per_child():
    model = Net()
    source = _loss(model).draw(model=model).source
    assert "encoder: Sequential\\n(5, 8)\\n112 parameters" in source
    assert "head: Linear\\n(5, 3)\\n27 parameters" in source
    assert source.count("box3d") == 2 and "cluster" not in source
    assert "tanh\\n" not in source and "matmul" not in source  # ops are inside the boxes
    assert ".weight" not in source  # and so are the parameters
    assert ">mul<BR/>(5, 8)<" in source  # the model's own op stays a node
    assert "const\\n(5, 4)" in source  # the input too
    assert re.search(r"cross_entropy\\nloss \d\.\d+", source)  # the loss box shows its value
    assert "heat" not in source and "lightyellow" in source  # no gradients yet: no heat


def test_depth_two_draws_the_grandchildren_inside_a_cluster_per_child():
    model = Net()
    loss = _loss(model)
    loss.backward()
    source = loss.draw(model=model, depth=2).source
    clusters = _clusters(source)
    assert list(clusters) == ["encoder: Sequential"]
    inside = clusters["encoder: Sequential"]
    for box in (
        "encoder.0: Linear\\n(5, 8)\\n40 parameters\\n‖grad‖",
        "encoder.1: Tanh\\n(5, 8)\\n0 parameters",
        "encoder.2: Linear\\n(5, 8)\\n72 parameters\\n‖grad‖",
    ):
        assert box in inside
    assert "head: Linear" in source and "head: Linear" not in inside
    assert source.count("box3d") == 4


def test_a_cell_unrolled_over_fifty_steps_is_one_box():
    class Unrolled(nn.Module):
        def __init__(self, cell):
            super().__init__()
            self.cell = cell
            self.out = nn.Linear(6, 2)

        def forward(self, xs):
            state = None
            for t in range(xs.shape[0]):
                state = self.cell(xs[t], state)
            h = state[0] if isinstance(state, tuple) else state
            return self.out(h)

    for cell in (nn.RNNCell(3, 6), nn.LSTMCell(3, 6)):
        model = Unrolled(cell)
        loss = model(cg.randn(50, 2, 3)).sum()
        loss.backward()
        grouping = group_by_module(loss, model)
        assert grouping.calls == {"cell": 50, "out": 1}
        source = loss.draw(model=model).source
        name = type(cell).__name__
        assert f"cell: {name} × 50 steps\\n(2, 6)" in source
        assert source.count("box3d") == 2


def test_heat_colours_follow_the_gradient_norms():
    layers = [nn.Linear(4, 4) for _ in range(4)]
    for scale, layer in zip((1e-3, 1e-1, 10.0, 1.0), layers):
        layer.weight.data = layer.weight.numpy() * scale
    model = nn.Sequential(*layers)
    loss = (model(cg.randn(3, 4)) ** 2).sum()
    loss.backward()
    grouping = group_by_module(loss, model)
    norms = {name: grouping.norms[name] for name in "0123"}
    fills = {name: grouping.style[grouping.labels[name]]["fillcolor"] for name in "0123"}
    red = {name: int(fill[1:3], 16) for name, fill in fills.items()}
    blue = {name: int(fill[5:7], 16) for name, fill in fills.items()}
    by_norm = sorted(norms, key=norms.get)
    for cooler, hotter in itertools.pairwise(by_norm):  # redder, less blue with a larger norm
        assert red[cooler] <= red[hotter] and blue[cooler] >= blue[hotter], (fills, norms)
    coldest, hottest = by_norm[0], by_norm[-1]
    assert fills[coldest] == heat_colour(0.0) == "#" + "".join(f"{c:02x}" for c in HEAT[0])
    assert fills[hottest] == heat_colour(1.0) == "#" + "".join(f"{c:02x}" for c in HEAT[-1])
    legend = [label for label in grouping.style if label.startswith("heat:")]
    assert len(legend) == 1
    low, high = f"{norms[coldest]:.3g}", f"{norms[hottest]:.3g}"
    assert f"log scale, {low} (blue) … {high} (red)" in legend[0]
    assert legend[0] in loss.draw(model=model).source


def test_token_ids_get_an_input_box():
    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10, 4)
            self.head = nn.Linear(4, 3)

        def forward(self, ids):
            return self.head(self.embed(ids))

    model = Tagger()
    ids = cg.tensor(np.arange(12).reshape(3, 4) % 10)
    loss = model(ids).sum()
    source = loss.draw(model=model).source
    assert "input: token ids\\n(3, 4) int64" in source
    names = dict(re.findall(r'\t(g\d+) \[label="([^"]*)"', source))
    box = {label.split("\\n")[0]: name for name, label in names.items()}
    assert f"{box['input: token ids']} -> {box['embed: Embedding']}" in source


def test_wrong_depth_or_model_is_a_clear_error():
    model = Net()
    loss = _loss(model)
    with pytest.raises(ValueError, match="draw: depth must be a whole number >= 1, got 0"):
        loss.draw(model=model, depth=0)
    with pytest.raises(TypeError, match="draw: model must be a module"):
        loss.draw(model="encoder")

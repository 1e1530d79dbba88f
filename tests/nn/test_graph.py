"""One training step's graph, collapsed by module."""

import re

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


def test_the_step_shows_the_loss_value_heat_and_the_input():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    x = np.random.default_rng(0).normal(size=(5, 3, 4)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1])
    expected = F.cross_entropy(model(Tensor(x)), y).item()
    source = step_graph(model, F.cross_entropy, x, y).source
    assert f"cross_entropy\\nloss {expected:.4g}" in source  # the value, not "()"
    # the Flatten of data is a constant: the input gets a box of its own, into the Flatten
    assert "input\\n(5, 3, 4)" in source and "0: Flatten\\n(5, 12)" in source
    assert "1: Linear\\n(5, 3)\\n39 parameters\\n‖grad‖" in source and "heat:" in source
    assert all(p.grad is None for p in model.parameters())


def test_a_text_model_step_has_a_token_id_box_and_can_go_one_level_deeper():
    from chaingrad.nn.app.text_models import CharModel

    model = CharModel("lstm", 12, embedding=4, hidden=6)
    ids = np.random.default_rng(0).integers(0, 12, (3, 9))
    drawing = step_graph(model, F.cross_entropy, Tensor(ids[:, :-1]), Tensor(ids[:, 1:]))
    source = drawing.source
    assert "input: token ids\\n(3, 8) int64" in source
    assert "embed: Embedding\\n(3, 8, 4)\\n48 parameters" in source
    assert "rnn: LSTM\\n(3, 8, 6)\\n288 parameters" in source
    assert "permute" in source  # the model's own op between head and loss stays visible
    nested = nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.ReLU()), nn.Linear(2, 1))
    deeper = step_graph(
        nested,
        F.mse_loss,
        Tensor(np.ones((4, 2), np.float32)),
        np.zeros((4, 1), np.float32),
        depth=2,
    ).source
    assert "subgraph cluster" in deeper and "0.0: Linear\\n(4, 2)\\n6 parameters" in deeper


def test_the_cli_draws_the_step_on_the_training_batch_size(tmp_path, capsys):
    from chaingrad.nn.app.cli import main

    out = tmp_path / "mlp"
    assert main(["train", "mlp", "--epochs", "1", "--batch-size", "8", "--out", str(out)]) == 0
    svg = (out / "graph.svg").read_text()
    assert ">(8, 1, 8, 8)<" in svg and ">(8, 64)<" in svg and ">(16, 64)<" not in svg
    assert re.search(r">loss \d\.\d+<", svg) and ">8,320 parameters<" in svg
    text = tmp_path / "lstm"
    args = ["train", "lstm", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "8"]
    assert main([*args, "--out", str(text)]) == 0
    svg = (text / "graph.svg").read_text()
    assert ">input: token ids<" in svg and ">(8, 64) int64<" in svg
    assert re.search(r">loss \d\.\d+<", svg)

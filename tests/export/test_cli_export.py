"""``chaingrad export``: a CNN trained by ``chaingrad train`` keeps its test accuracy in ONNX."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

from chaingrad.nn.app.cli import main
from chaingrad.nn.app.recipes import predict_images
from chaingrad.nn.data import datasets

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cnn")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["train", "cnn", "--epochs", "2", "--out", str(out)]) == 0
    accuracy = re.search(r"test accuracy (\d\.\d+)", printed.getvalue()).group(1)
    (out / "accuracy.txt").write_text(accuracy)
    return out / "model.npz"


def test_onnx_export_keeps_the_test_accuracy(cnn_run, capsys) -> None:
    capsys.readouterr()
    assert main(["export", str(cnn_run), "--to", "onnx"]) == 0
    path = cnn_run.with_suffix(".onnx")
    assert f"wrote {path}" in capsys.readouterr().out
    # the held-out 20 % that chaingrad train evaluated on (same split, seed 0)
    x, y = datasets.digits()
    _, x_test, _, y_test = datasets.train_test_split(x, y, test_size=0.2, seed=0, stratify=y)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    onnx_scores = session.run(None, {"input0": x_test})[0]  # raw images: standardised inside
    scores = predict_images(str(cnn_run), x_test)
    np.testing.assert_allclose(onnx_scores, scores, rtol=1e-5, atol=1e-5)
    accuracy = (onnx_scores.argmax(1) == y_test).mean()
    assert accuracy == (scores.argmax(1) == y_test).mean()
    # the accuracy chaingrad train printed (4 decimals) is the one onnxruntime reaches
    assert f"{accuracy:.4f}" == (cnn_run.parent / "accuracy.txt").read_text()
    assert accuracy > 0.8


def test_torch_export_writes_a_state_dict(cnn_run, tmp_path) -> None:
    target = tmp_path / "cnn.pt"
    assert main(["export", str(cnn_run), "--to", "torch", "--out", str(target)]) == 0
    state = torch.load(target, weights_only=True)
    assert sorted(state) == sorted(name for name in np.load(cnn_run).files if "." in name)
    assert tuple(state["0.weight"].shape) == (16, 1, 3, 3)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--to", "onnx"], 1, "no model file at"),
        (["--to", "tf"], 2, "invalid choice: 'tf'"),
    ],
)
def test_errors_are_one_line(tmp_path, capsys, args, code, message) -> None:
    assert main_exit(["export", str(tmp_path / "missing.npz"), *args]) == code
    err = capsys.readouterr().err
    assert re.search(message, err) and err.count("\n") == 1


def test_missing_output_folder(cnn_run, tmp_path, capsys) -> None:
    target = tmp_path / "nope" / "m.onnx"
    assert main(["export", str(cnn_run), "--to", "onnx", "--out", str(target)]) == 1
    assert "does not exist" in capsys.readouterr().err


def main_exit(argv: list[str]) -> int:
    """main's return value, or the SystemExit code argparse raises."""
    try:
        return main(argv)
    except SystemExit as stop:
        return int(stop.code)

"""The chaingrad command line."""

import subprocess
import sys

import numpy as np

from chaingrad.nn.app.cli import main


def test_demo_prints_the_example_and_writes_the_graph(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "ŷ  = σ(s2)       = 0.6250" in out
    assert "E  = ½(y - ŷ)²   = 0.0703" in out
    assert "∂E/∂Θ2           = (-0.0698, -0.0809, -0.0142)" in out
    assert "agrees with the engine" in out
    svg = (tmp_path / "graph.svg").read_text()
    assert "Θ2[1]" in svg and "sigmoid" in svg


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "chaingrad", *args], capture_output=True, text=True, check=False
    )


def test_help_lists_every_command():
    result = _run("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout


def test_bad_arguments_give_one_line_and_exit_status_2():
    result = _run("bogus")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "invalid choice: 'bogus'" in result.stderr
    assert "Traceback" not in result.stderr


def test_train_mlp_writes_the_model_curves_and_graph(tmp_path, capsys):
    from chaingrad.nn.app.recipes import predict_images
    from chaingrad.nn.data.datasets import digits

    out = tmp_path / "mlp"
    assert main(["train", "mlp", "--epochs", "3", "--out", str(out), "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert (
        "chaingrad train mlp: the 8×8 digits (1,797 images), 1,437 to train and 360 to test, "
        "3 epochs" in printed
    )
    assert "test accuracy 0.9" in printed or "test accuracy 0.8" in printed
    for name in ("model.npz", "curves.png", "graph.svg"):
        assert (out / name).stat().st_size > 0
    assert "0: Flatten" in (out / "graph.svg").read_text()
    images, labels = digits()
    accuracy = (predict_images(str(out / "model.npz"), images).argmax(axis=1) == labels).mean()
    assert accuracy > 0.8  # the saved file rebuilds a working classifier


def _write_idx(path, array, code):
    import struct

    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    path.write_bytes(header + array.astype(array.dtype.newbyteorder(">")).tobytes())


def test_train_on_idx_files_finds_the_labels_beside_the_images(tmp_path, capsys):
    import numpy as np

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (60, 6, 6)).astype(np.uint8)
    labels = (images.mean(axis=(1, 2)) > 127).astype(np.uint8)
    _write_idx(tmp_path / "train-images-idx3-ubyte", images, 0x08)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", labels, 0x08)
    args = [
        "train",
        "mlp",
        "--epochs",
        "1",
        "--data",
        str(tmp_path / "train-images-idx3-ubyte"),
        "--out",
        str(tmp_path / "run"),
    ]
    assert main(args) == 0
    assert "train-images-idx3-ubyte (60 images)" in capsys.readouterr().out


def test_missing_or_corrupt_files_are_one_line_and_exit_status_1(tmp_path):
    result = _run("train", "mlp", "--data", str(tmp_path / "nope-images-idx3-ubyte"))
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "no such file" in result.stderr  # the missing file, not a request for labels
    images = tmp_path / "lonely-images-idx3-ubyte"
    images.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    result = _run("train", "mlp", "--data", str(images))
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "give the matching IDX label file with --labels" in result.stderr
    bad = tmp_path / "bad-images-idx3-ubyte"
    bad.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    result = _run("train", "mlp", "--data", str(bad), "--labels", str(bad))
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert str(bad) in result.stderr and "Traceback" not in result.stderr


def test_train_argument_errors_exit_2():
    for args in (
        ("train", "mlp", "--epochs", "0"),
        ("train", "transformer"),
        ("train", "mlp", "--lr", "-1"),
    ):
        result = _run(*args)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, args


def test_bench_passes_its_arguments_through():
    result = _run("bench", "--only", "nonexistent")
    assert result.returncode == 2 and "no workload matches ['nonexistent']" in result.stderr
    assert _run("demo", "--bogus").returncode == 2


def test_train_a_text_model_and_sample_from_it(tmp_path, capsys):
    out = tmp_path / "gru"
    assert main(["train", "gru", "--epochs", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "train gru: zen (856 characters, 45 distinct), 1 epoch of 50 batches" in printed
    for name in ("model.npz", "curves.png", "graph.svg", "sample.txt"):
        assert (out / name).stat().st_size > 0
    assert (out / "sample.txt").read_text().startswith("The Zen of")
    assert (
        main(
            [
                "sample",
                "--model",
                str(out / "model.npz"),
                "--prompt",
                "Beautiful",
                "--length",
                "20",
                "--seed",
                "0",
            ]
        )
        == 0
    )
    sampled = capsys.readouterr().out.rstrip("\n")
    assert sampled.startswith("Beautiful") and len(sampled) == len("Beautiful") + 20


def test_train_on_a_text_file(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("abcabcabcabc " * 20)
    assert (
        main(["train", "rnn", "--epochs", "1", "--data", str(corpus), "--out", str(tmp_path / "r")])
        == 0
    )
    assert "corpus.txt" in capsys.readouterr().out


def test_sample_errors_are_one_line_and_exit_status_1(tmp_path):
    result = _run("sample", "--model", str(tmp_path / "missing.npz"), "--prompt", "a")
    assert (
        result.returncode == 1 and result.stderr.count("\n") == 1 and "missing.npz" in result.stderr
    )
    from chaingrad.nn.app.recipes import TrainConfig, train

    train(TrainConfig("rnn", epochs=1, out=str(tmp_path / "r"), progress=False))
    result = _run("sample", "--model", str(tmp_path / "r" / "model.npz"), "--prompt", "日本")
    assert result.returncode == 1 and "characters the model never saw" in result.stderr
    result = _run("train", "lstm", "--data", str(tmp_path / "nope.txt"))
    assert (
        result.returncode == 1 and "nope.txt" in result.stderr and "Traceback" not in result.stderr
    )


def test_train_with_a_seed_is_reproducible(tmp_path, capsys):
    # --seed reaches every random draw (init, dropout masks, shuffling): the same model twice
    for run in ("a", "b"):
        assert (
            main(["train", "mlp", "--epochs", "1", "--seed", "3", "--out", str(tmp_path / run)])
            == 0
        )
    capsys.readouterr()
    first, second = (np.load(tmp_path / run / "model.npz") for run in ("a", "b"))
    assert first.files == second.files
    for key in first.files:
        np.testing.assert_array_equal(first[key], second[key])


def test_train_leaves_the_compile_mode_to_the_user(monkeypatch, tmp_path):
    """`chaingrad train` does not set CHAINGRAD_COMPILE: background by default, the user's wins."""
    import os

    from chaingrad.nn.app import recipes
    from chaingrad.nn.app.runs import TrainResult

    seen = []

    def fake_train(config):
        seen.append(os.environ.get("CHAINGRAD_COMPILE"))
        return TrainResult(lines=["trained"], metrics={}, files=[])

    monkeypatch.setattr(recipes, "train", fake_train)
    for preset in [None, "inline", "background"]:
        if preset is None:
            monkeypatch.delenv("CHAINGRAD_COMPILE", raising=False)
        else:
            monkeypatch.setenv("CHAINGRAD_COMPILE", preset)
        assert main(["train", "cnn", "--out", str(tmp_path)]) == 0
        assert seen[-1] == preset

"""Issue 13's command-line items: every user error is one line, nothing is lost on the way out."""

import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from chaingrad.nn.app.cli import main


def _run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "chaingrad", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    "args, expected",
    [
        (["train", "mlp", "--lr", "inf"], "--lr: must be a finite positive number, got inf"),
        (["train", "mlp", "--lr", "nan"], "--lr: must be a finite positive number, got nan"),
        (["train", "mlp", "--lr", "-1"], "--lr: must be a finite positive number, got -1"),
        (["train", "mlp", "--seed", "-1"], "--seed: must be an integer from 0"),
        (["train", "mlp", "--epochs", "2.5"], "--epochs: must be a whole number, got 2.5"),
        (["sample", "--model", "m", "--prompt", "a", "--temperature", "nan"], "--temperature"),
        (["sample", "--model", "m", "--prompt", "a", "--temperature", "-1"], "at least 0, got -1"),
        (["sample", "--model", "m", "--prompt", "a", "--seed", "-1"], "--seed: must be"),
    ],
)
def test_absurd_arguments_are_refused_at_parse_time(args, expected, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert expected in _one_line(capsys.readouterr().err)


def _garbage_zip(tmp_path):
    path = tmp_path / "garbage.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("weight.npy", b"\x93NUMPY garbage that is not an array header")
    return path


def _idx(path, array):
    import struct

    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    path.write_bytes(header + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes())


@pytest.fixture
def text_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("text")
    assert main(["train", "rnn", "--epochs", "1", "--out", str(out)]) == 0
    return out / "model.npz"


def _hidden_as(text_model, tmp_path, value):
    """The text model with its metadata's hidden size replaced by ``value``."""
    import json

    import chaingrad.nn as nn

    metadata = nn.load_metadata(text_model)
    metadata["hidden"] = value
    path = tmp_path / f"hidden-{type(value).__name__}.npz"
    with np.load(text_model) as saved:
        arrays = {k: saved[k] for k in saved.files}
    key = "__metadata__"  # chaingrad's format: the metadata as JSON in uint8 bytes
    arrays[key] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    return path


def test_user_errors_are_one_line_and_exit_status_1(tmp_path, text_model, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    unreadable = tmp_path / "unreadable.npz"
    unreadable.write_bytes(text_model.read_bytes())
    unreadable.chmod(0)
    rare = np.zeros((10, 6, 6), np.uint8)
    labels = np.array([0] * 9 + [1], np.uint8)  # one example of class 1: no stratified split
    _idx(tmp_path / "rare-images-idx3-ubyte", rare)
    _idx(tmp_path / "rare-labels-idx1-ubyte", labels)
    tiny = np.zeros((20, 1, 1), np.uint8)
    _idx(tmp_path / "tiny-images-idx3-ubyte", tiny)
    _idx(tmp_path / "tiny-labels-idx1-ubyte", (np.arange(20) % 2).astype(np.uint8))
    cases = [
        (["sample", "--model", str(tmp_path), "--prompt", "a"], "directory"),
        (["train", "mlp", "--out", str(afile)], "is a file, not a folder"),
        (["train", "mlp", "--out", str(afile / "sub")], "cannot write there"),
        (
            [
                "train",
                "mlp",
                "--data",
                str(tmp_path / "rare-images-idx3-ubyte"),
                "--out",
                str(tmp_path / "r"),
            ],
            "cannot hold out a test set",
        ),
        (
            [
                "train",
                "cnn",
                "--data",
                str(tmp_path / "tiny-images-idx3-ubyte"),
                "--out",
                str(tmp_path / "t"),
            ],
            "cnn: images must be at least 4×4 pixels",
        ),
        (["sample", "--model", str(_garbage_zip(tmp_path)), "--prompt", "a"], ""),
    ]
    if os.geteuid() != 0:  # root reads and writes anything
        cases.append((["sample", "--model", str(unreadable), "--prompt", "a"], "ermission"))
        readonly = tmp_path / "readonly"
        readonly.mkdir()
        readonly.chmod(0o500)
        cases.append((["train", "mlp", "--out", str(readonly / "x")], "cannot write there"))
    for value in ("8", 8.5):
        cases.append(
            (
                [
                    "sample",
                    "--model",
                    str(_hidden_as(text_model, tmp_path, value)),
                    "--prompt",
                    "B",
                ],
                "",
            )
        )
    for args, expected in cases:
        code = main(args)
        err = capsys.readouterr().err
        assert code == 1, (args, err)
        line = _one_line(err)
        assert line.startswith(f"chaingrad {args[0]}: error: ") and expected in line, line


def test_out_is_checked_before_any_epoch(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    start = time.perf_counter()
    assert main(["train", "mlp", "--epochs", "40", "--out", str(afile)]) == 1
    assert time.perf_counter() - start < 2  # no training happened
    assert "epoch" not in capsys.readouterr().err


def test_a_nan_loss_exits_1_in_one_line_and_keeps_the_last_finite_model(tmp_path):
    out = tmp_path / "nan"
    # SGD at 1e30 overflows in the first epoch: nothing finite to keep
    result = _run("train", "mlp", "--lr", "1e30", "--optimizer", "sgd", "--out", str(out))
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert "the training loss became" in line and "nothing written" in line
    assert not (out / "model.npz").exists()


def test_fit_nan_after_an_epoch_writes_that_epochs_model(tmp_path, monkeypatch, capsys):
    import chaingrad.nn as nn
    import chaingrad.nn.functional as F

    real = F.cross_entropy
    calls = [0]

    def blows_up(out, y, *args, **kwargs):
        calls[0] += 1
        value = real(out, y, *args, **kwargs)
        return value * float("nan") if calls[0] == 50 else value  # 45 batches per epoch

    monkeypatch.setattr(F, "cross_entropy", blows_up)
    out = tmp_path / "m"
    assert main(["train", "mlp", "--epochs", "5", "--out", str(out)]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "became nan in epoch 2" in line and "kept epoch 1" in line
    state = nn.load(str(out / "model.npz"))
    assert all(np.isfinite(v).all() for v in state.values())
    assert (out / "curves.png").stat().st_size > 0


def test_ctrl_c_exits_130_in_one_line_keeping_the_finished_epochs(tmp_path):
    out = tmp_path / "rnn"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chaingrad",
            "train",
            "rnn",
            "--epochs",
            "500",
            "--progress",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    seen = b""
    deadline = time.monotonic() + 240
    while b"epoch 2/500" not in seen:  # the bar of epoch 2: epoch 1 has finished
        chunk = os.read(process.stderr.fileno(), 4096)
        assert chunk and time.monotonic() < deadline, seen[-500:]
        seen += chunk
    process.send_signal(signal.SIGINT)
    rest = process.communicate(timeout=120)[1]
    assert process.returncode == 130
    final = rest.decode().replace("\r", "\n").strip().splitlines()[-1]
    assert final.startswith("chaingrad train: stopped: interrupted after")
    assert "Traceback" not in rest.decode()
    for name in ("model.npz", "curves.png", "graph.svg"):
        assert (out / name).stat().st_size > 0

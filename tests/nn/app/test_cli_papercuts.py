"""The first hour with the CLI: each papercut a new user met, fixed and kept fixed."""

import subprocess
import sys
from pathlib import Path

import pytest

import chaingrad
from chaingrad.nn.app.cli import main
from chaingrad.nn.app.runs import DEFAULTS, OPTIMIZER_LR, TrainConfig

ROOT = Path(__file__).resolve().parents[3]


def _run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "chaingrad", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def test_version_prints_the_version():
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"chaingrad {chaingrad.__version__}"


def test_bare_chaingrad_prints_the_help_and_exits_0():
    result = _run()
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("usage: chaingrad")
    for command in ("train", "predict", "sample", "demo", "export", "bench"):
        assert command in result.stdout


@pytest.mark.parametrize("value", ["2.5", "1e-3"])
def test_a_fractional_epoch_count_must_be_a_whole_number(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "mlp", "--epochs", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"--epochs: must be a whole number, got {value}" in err
    assert "invalid" not in err and "_positive_int" not in err


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--epochs", "two"], "--epochs: must be a positive whole number, got two"),
        (["--lr", "fast"], "--lr: must be a number, got fast"),
        (["--seed", "x"], "--seed: must be a whole number, got x"),
    ],
)
def test_non_numbers_are_named_in_words(args, expected, capsys):
    with pytest.raises(SystemExit):
        main(["train", "mlp", *args])
    err = capsys.readouterr().err
    assert expected in err and "invalid" not in err and err.count("\n") == 1


def test_one_epoch_is_singular(tmp_path, capsys):
    assert main(["train", "mlp", "--epochs", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert " 1 epoch in " in out and "1 epochs" not in out


def test_an_optimizer_starts_from_its_own_learning_rate():
    assert TrainConfig("mlp").lr == DEFAULTS["mlp"]["lr"]  # the model's default optimizer
    assert TrainConfig("mlp", optimizer="adam").lr == DEFAULTS["mlp"]["lr"]
    assert TrainConfig("mlp", optimizer="sgd").lr == OPTIMIZER_LR["sgd"]
    assert TrainConfig("cnn", optimizer="sgd").lr != DEFAULTS["cnn"]["lr"]
    assert TrainConfig("mlp", optimizer="sgd", lr=0.3).lr == 0.3  # --lr wins
    assert TrainConfig("mlp", optimizer="adamw").lr == DEFAULTS["mlp"]["lr"]


def test_sgd_learns_the_digits_in_three_epochs(tmp_path, capsys):
    argv = ["train", "mlp", "--optimizer", "sgd", "--epochs", "3", "--out", str(tmp_path)]
    assert main(argv) == 0
    accuracy = float(capsys.readouterr().out.split("test accuracy ")[1].split()[0])
    assert accuracy > 0.85  # with Adam's 0.002 it stayed near 0.43


@pytest.mark.parametrize("command", ["train mlp", "predict --model m.npz"])
def test_labels_without_data_is_an_error(command, capsys):
    assert main([*command.split(), "--labels", "labels-idx1-ubyte"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--labels needs --data" in err


def test_a_missing_data_file_is_named(tmp_path):
    missing = tmp_path / "nonexistent" / "train-images-idx3-ubyte"
    result = _run("train", "mlp", "--data", str(missing))
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert f"--data {missing}: no such file" in result.stderr
    assert "--labels" not in result.stderr
    images = tmp_path / "images-idx3-ubyte"
    images.write_bytes(b"\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00")
    result = _run("train", "mlp", "--data", str(images), "--labels", str(tmp_path / "nope"))
    assert (
        result.returncode == 1 and "--labels" in result.stderr and "no such file" in result.stderr
    )


def test_bench_help_is_chaingrads_own():
    result = _run("bench", "--help", cwd=ROOT)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: chaingrad bench ")
    assert "python -m benchmarks" not in result.stdout and "`" not in result.stdout
    lines = result.stdout.splitlines()
    indent = " " * len("usage: chaingrad bench ")  # the usage's second line aligns under it
    assert lines[1].startswith(indent + "[")
    top = _run("--help")
    assert "`" not in top.stdout and "python -m benchmarks" not in top.stdout


def test_the_demo_cites_nothing_a_user_does_not_have(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for word in ("lecture", "(004)", "slide", "notes"):
        assert word not in out
    assert "agrees with the engine" in out
    assert "lecture" not in _run("--help").stdout


def test_the_curves_say_test_and_have_a_title(tmp_path, monkeypatch):
    from chaingrad.nn.app import runs

    figures = []
    real = runs.plot_history

    def keep(*args, **kwargs):
        figures.append(real(*args, **kwargs))
        return figures[-1]

    monkeypatch.setattr(runs, "plot_history", keep)
    assert main(["train", "mlp", "--epochs", "2", "--out", str(tmp_path)]) == 0
    (figure,) = figures
    assert figure.get_suptitle() == "chaingrad train mlp (2 epochs)"
    for axes in figure.axes:
        labels = [text.get_text() for text in axes.get_legend().get_texts()]
        assert labels == ["train", "test"]
        assert axes.get_title()


def test_library_curves_still_say_validation():
    from chaingrad.nn.train import History

    history = History()
    history.append(loss=1.0, val_loss=1.1)
    history.append(loss=0.5, val_loss=0.7)
    figure = history.plot()
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == [
        "train",
        "validation",
    ]
    assert figure.get_suptitle() == "training curves (2 epochs)"

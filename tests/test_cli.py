"""The chaingrad command line."""

import subprocess
import sys

from nn.cli import main


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
        [sys.executable, "-m", "nn.cli", *args], capture_output=True, text=True, check=False
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

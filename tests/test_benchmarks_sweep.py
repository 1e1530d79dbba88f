"""benchmarks.sweep: the quick grid produces its table and its plot (no timing asserted)."""

import builtins
from pathlib import Path

import pytest

from benchmarks import sweep


def test_quick_sweep_prints_the_table_and_writes_the_plot(tmp_path, capsys):
    pytest.importorskip("torch")
    png = tmp_path / "scaling.png"
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{sweep.START_MARKER}\nold\n{sweep.END_MARKER}\noutro\n")
    assert sweep.main(["--quick", "--plot", str(png), "--readme", str(readme)]) == 0
    out = capsys.readouterr().out
    for point in ("conv2d 8->8 14x14 b32", "LSTM T50 B1 64->64", "MLP 784-64-10 step b128"):
        assert point in out
    assert "ratio" in out and f"plot: {png}" in out
    assert png.read_bytes().startswith(b"\x89PNG")
    text = readme.read_text()
    assert "old" not in text and "| conv2d 8->8 14x14 b32 |" in text and text.endswith("outro\n")


def test_without_torch_the_sweep_says_so_and_skips(monkeypatch, capsys, tmp_path):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    assert sweep.main(["--quick", "--plot", str(tmp_path / "p.png")]) == 0
    assert "skipped, PyTorch is not installed" in capsys.readouterr().out
    assert not Path(tmp_path / "p.png").exists()


def test_the_readme_needs_its_sweep_markers():
    with pytest.raises(ValueError, match="no <!-- sweep:start -->"):
        sweep.replace_between_markers("no markers here", "| t |")

"""The README's Python examples run as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _have(*modules: str) -> bool:
    """True when every module is installed (the export example needs the optional extras)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in modules)


def test_readme_python_examples_run(tmp_path, monkeypatch, capsys):
    blocks = [
        block
        for block in re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
        if "torch_model" not in block  # the interchange lines need a torch model of yours
        and ("chaingrad.export" not in block or _have("torch", "onnx", "onnxruntime"))
    ]
    assert blocks, "the README has no python example"
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})
    out = capsys.readouterr().out
    assert "-1.500 1.000" in out
    assert "(4, 16) (16,)" in out
    assert "['0.weight', '0.bias']" in out and "Total parameters: 2,410" in out
    assert (tmp_path / "model.npz").exists()
    assert "test accuracy 0.9" in out
    assert (tmp_path / "curves.png").exists() and (tmp_path / "flow.png").exists()
    assert (tmp_path / "graph.svg").read_text().rstrip().endswith("</svg>")
    assert (tmp_path / "mlp.svg").read_text().rstrip().endswith("</svg>")

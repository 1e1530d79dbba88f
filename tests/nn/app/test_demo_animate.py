"""``chaingrad demo --animate [PATH]``: the lecture network's backward replay as .html or .gif."""

from __future__ import annotations

import pytest

from chaingrad.nn.app.cli import main
from chaingrad.nn.app.demo import two_layer_example


@pytest.mark.parametrize("path", ["replay.png", "replay", "replay.html.txt"])
def test_a_bad_suffix_is_one_line_and_writes_nothing(tmp_path, capsys, path):
    assert main(["demo", "--out", str(tmp_path), "--animate", str(tmp_path / path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("chaingrad demo: error: --animate writes .html or .gif")
    assert list(tmp_path.iterdir()) == []


def test_animate_alone_writes_the_html_beside_the_graph(tmp_path, capsys):
    assert main(["demo", "--animate", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    written = tmp_path / "demo_replay.html"
    steps = len(two_layer_example().loss.backward_replay())
    assert f"backward pass replayed in {steps} steps, written to {written}" in out
    assert "graph written to" in out  # the usual report is still there
    assert 'class="chaingrad-replay"' in written.read_text(encoding="utf-8")


def test_animate_to_a_gif_path(tmp_path, capsys):
    target = tmp_path / "sub" / "replay.gif"
    assert main(["demo", "--out", str(tmp_path / "run"), "--animate", str(target)]) == 0
    assert target.read_bytes().startswith(b"GIF89a")
    assert f"written to {target}" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["replay.html", "replay.gif"])
def test_the_real_replay_is_written(tmp_path, capsys, name):
    steps = len(two_layer_example().loss.backward_replay())
    target = tmp_path / name
    assert main(["demo", "--out", str(tmp_path), "--animate", str(target)]) == 0
    assert f"replayed in {steps} steps, written to {target}" in capsys.readouterr().out
    data = target.read_bytes()
    if name.endswith(".gif"):
        assert data.startswith(b"GIF89a")
    else:
        assert b'class="chaingrad-replay"' in data and data.count(b"<svg") >= 1

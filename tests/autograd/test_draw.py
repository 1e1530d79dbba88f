"""Drawing graphs: DOT content, SVG rendering, files, the renderer's absence."""

import html
import re
import time

import pytest

from chaingrad.autograd import Value, draw_render
from chaingrad.autograd.draw import GraphDrawing, RendererNotFoundError


@pytest.fixture
def small_graph():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    e = a * b
    e.label = "e"
    loss = e + Value(10.0, "c")
    loss.label = "L"
    loss.backward()
    return loss


def test_svg_shows_labels_data_grads_and_local_gradients(small_graph):
    drawing = small_graph.draw()
    assert isinstance(drawing, GraphDrawing)
    svg = drawing.svg
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    texts = [html.unescape(t) for t in re.findall(r">([^<]+)</text>", svg)]
    for expected in ["a", "b", "e", "L", "data 2", "data -3", "grad -3", "grad 2", "*", "+"]:
        assert expected in texts
    # the cells the edges into '*' enter carry the local gradients ∂e/∂a = b and ∂e/∂b = a
    assert "× -3" in texts and "× 2" in texts
    assert drawing._repr_svg_() == svg


def test_dot_source_has_one_table_per_value_and_edges_into_input_ports(small_graph):
    source = small_graph.draw().source
    assert "rankdir=LR" in source  # a small graph stays left to right
    assert '<TD WIDTH="18">a</TD><TD WIDTH="49">data 2</TD><TD WIDTH="54">grad -3</TD>' in source
    # each input enters its own cell of the op's node: the cell that holds its local gradient
    assert "v0 -> v2:i0:w" in source and "v1 -> v2:i1:w" in source
    assert '<TD PORT="i0"' in source and "× -3</FONT>" in source and "× 2</FONT>" in source


def test_draw_writes_svg_png_and_dot_files(small_graph, tmp_path):
    small_graph.draw(path=str(tmp_path / "g.svg"))
    assert (tmp_path / "g.svg").read_text().rstrip().endswith("</svg>")
    small_graph.draw(path=str(tmp_path / "g"), format="png")
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    small_graph.draw(path=str(tmp_path / "g.dot"))
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_record_characters_in_labels_are_escaped():
    v = Value(1.0, "x|{y}")
    assert "x|{y}" in v.draw().source and "a&lt;b&amp;" in Value(1.0, "a<b&").draw().source
    assert "</svg>" in v.draw().svg


def test_an_unknown_format_is_a_clear_error(small_graph):
    with pytest.raises(ValueError, match="draw: format must be one of"):
        small_graph.draw(format="gif")


def test_missing_renderer_is_a_clear_error_but_source_still_works(small_graph, monkeypatch):
    monkeypatch.setattr(draw_render.shutil, "which", lambda name: None)
    monkeypatch.setattr(draw_render.sys, "executable", "/nonexistent/python")
    drawing = small_graph.draw()
    assert drawing.source.startswith("digraph")
    with pytest.raises(RendererNotFoundError, match="pip install graphviz-pure"):
        _ = drawing.svg


def test_a_2000_node_graph_draws_in_well_under_30_seconds():
    x = Value(0.3, "x")
    y = x
    for i in range(1000):  # 1000 ops + 1000 constants + x: 2001 Values
        y = (y * 0.9).tanh() if i % 2 else y + 0.1
    y.backward()
    start = time.perf_counter()
    svg = y.draw().svg
    assert "</svg>" in svg
    assert time.perf_counter() - start < 15.0


def test_tensor_graph_shows_ops_shapes_names_and_grad_norms(tmp_path):
    import numpy as np

    from chaingrad.autograd import Tensor

    x = Tensor(np.ones((4, 3)), name="x")
    w = Tensor(np.full((3, 2), 0.5), requires_grad=True, name="W")
    loss = (x @ w).relu().sum()
    loss.backward()
    drawing = loss.draw(path=str(tmp_path / "t.svg"))
    source = drawing.source
    assert "matmul<BR/>(4, 2) float64" in source and "relu<BR/>(4, 2) float64" in source
    assert "W\\n(3, 2) float64\\n‖grad‖ 9.798" in source  # each entry of ∂loss/∂W is 4
    assert "x\\n(4, 3) float64" in source and "lightblue" in source
    texts = [html.unescape(t) for t in re.findall(r">([^<]+)</text>", drawing.svg)]
    assert "matmul" in texts and "W" in texts and "‖grad‖ 9.798" in texts
    assert (tmp_path / "t.svg").exists()


def test_draw_writes_its_file_atomically(tmp_path, monkeypatch):
    import chaingrad.autograd.files as files

    target = tmp_path / "graph.svg"
    target.write_text("previous")
    a = Value(2.0, "a")
    out = a * a

    def broken_render(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_render)
    with pytest.raises(OSError, match="disk full"):
        out.draw(path=target)
    assert target.read_text() == "previous"  # the old file survives a failed write
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]  # no temporary left behind

"""Drawing names and time order: named results in their op boxes, an unrolled loop in sequence."""

import html
import re

import numpy as np
import pytest

import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor, Value, stack


def _unrolled_rnn(steps: int, named: bool = True) -> Tensor:
    """The notes' RNN unrolled with Tensor ops (one-hot inputs x1.., hidden states h1..)."""
    rng = np.random.default_rng(0)
    w_xh = Tensor(rng.normal(size=(3, 4)), requires_grad=True, name="W_xh")
    w_hh = Tensor(rng.normal(size=(3, 3)), requires_grad=True, name="W_hh")
    w_hy = Tensor(rng.normal(size=(4, 3)), requires_grad=True, name="W_hy")
    h = Tensor(np.zeros(3), name="h0")
    scores = []
    for t in range(steps):
        x = Tensor(np.eye(4)[t % 4], name=f"x{t + 1}")
        h = (w_xh @ x + w_hh @ h).tanh()
        if named:
            h.name = f"h{t + 1}"
        h.retain_grad()
        scores.append(w_hy @ h)
    loss = F.cross_entropy(stack(scores), np.arange(steps) % 4, reduction="sum")
    loss.backward()
    return loss


def _nodes(svg: str) -> dict[str, tuple[list[str], tuple[float, float]]]:
    """DOT node name -> (its text lines, the centre of its outline) in a rendered SVG."""
    found = {}
    for match in re.finditer(
        r'<g id="node\d+" class="node">\s*<title>([^<]*)</title>(.*?)</g>', svg, re.S
    ):
        body = match.group(2)
        texts = [html.unescape(t) for t in re.findall(r">([^<]+)</text>", body)]
        points = re.search(r'points="([^"]+)"', body)
        assert points is not None, body
        xy = [tuple(map(float, p.split(","))) for p in points.group(1).split()]
        centre = (sum(x for x, _ in xy) / len(xy), sum(y for _, y in xy) / len(xy))
        found[html.unescape(match.group(1))] = (texts, centre)
    return found


def _op_cells(source: str) -> list[str]:
    """The body cell (title, shape, grad) of every op box, as its DOT text."""
    return re.findall(r'<TD[^>]* BGCOLOR="#fff8e1"[^>]*>(.*?)</TD>', source)


def _op_titles(source: str) -> list[str]:
    """The first line of every op box: the op, or "name = op" for a named result."""
    return [cell.split("<BR/>")[0] for cell in _op_cells(source)]


# ---------------------------------------------------------------------------- names


def test_a_name_set_after_the_op_heads_its_op_box_in_dot_and_svg():
    x = Tensor(np.ones(3), requires_grad=True, name="x")
    h = (x * 2.0).tanh()
    h.name = "h2"  # named after the op, as a PyTorch user would
    h.sum().backward()
    drawing = h.sum().draw()
    assert sorted(_op_titles(drawing.source)) == ["h2 = tanh", "mul", "sum"]
    assert "h2 = tanh<BR/>(3,) float64" in _op_cells(drawing.source)
    texts = [html.unescape(t) for t in re.findall(r">([^<]+)</text>", drawing.svg)]
    assert "h2 = tanh" in texts and "mul" in texts  # the unnamed op keeps its plain title


def test_the_name_survives_retain_grad_and_an_in_place_op_names_the_new_value():
    x = Tensor(np.ones(3), requires_grad=True, name="x")
    h = x.tanh()
    h.name = "h"
    h.retain_grad()
    assert h.name == "h"
    h.add_(1.0)  # recorded in the graph: the object now stands for the sum
    source = h.sum().draw().source
    assert h.name == "h" and h.op == "add"
    assert sorted(_op_titles(source)) == ["h = add", "sum", "tanh"]
    h.sum().backward()
    assert h.grad is not None  # retain_grad still holds on the renamed node


def test_a_long_name_is_cut_with_the_op_to_max_label():
    x = Tensor(np.ones(2), requires_grad=True)
    y = x.exp()
    y.name = "a_rather_long_name_for_a_hidden_state"
    source = y.sum().draw(max_label=20).source
    assert "a_rather_long_name_…<BR/>(2,)" in source


def test_a_value_label_set_after_the_op_is_in_its_op_box():
    a = Value(0.5, "a")
    h = (a * 2.0).tanh()
    h.label = "h2"
    h.backward()
    source = h.draw().source
    tables = re.findall(r"<TABLE.*?</TABLE>", source)
    box = [t for t in tables if ">tanh<" in t]
    assert len(box) == 1 and ">h2<" in box[0] and "data 0.7616" in box[0]
    texts = [html.unescape(t) for t in re.findall(r">([^<]+)</text>", h.draw().svg)]
    assert "h2" in texts


def test_unnamed_op_boxes_show_the_op_alone_and_the_replay_titles_use_the_name():
    loss = _unrolled_rnn(2, named=False)
    source = loss.draw().source
    assert " = tanh" not in source and " = add" not in source
    cells = [c for c in _op_cells(source) if c.startswith("tanh")]
    assert len(cells) == 2
    assert all(re.fullmatch(r"tanh<BR/>\(3,\) float64<BR/>‖grad‖ [\d.]+", c) for c in cells)
    named = _unrolled_rnn(2)
    titles = named.backward_replay().titles
    assert any(t.split(": ")[1].startswith("h2 gets grad") for t in titles[1:])


# ---------------------------------------------------------------------------- time order


@pytest.mark.parametrize(("steps", "rankdir"), [(4, None), (4, "LR"), (8, "TB")])
def test_an_unrolled_rnn_is_drawn_in_time_order(steps, rankdir):
    loss = _unrolled_rnn(steps)
    drawing = loss.draw(rankdir=rankdir)
    axis = 0 if "rankdir=LR" in drawing.source else 1  # the main axis: x for LR, y for TB
    nodes = _nodes(drawing.svg)

    def along(first_line: str) -> float:
        (centre,) = [c for texts, c in nodes.values() if first_line in texts]
        return centre[axis]

    xs = [along(f"x{t + 1}") for t in range(steps)]
    hs = [along(f"h{t + 1} = tanh") for t in range(steps)]
    assert xs == sorted(xs) and len(set(xs)) == steps, xs  # each input at its own step, in order
    assert hs == sorted(hs) and len(set(hs)) == steps, hs
    for x, h in zip(xs, hs):
        assert x < h  # x_t comes before the hidden state it feeds
    # the scores stacked into the loss arrive in time order across the other axis
    (stacked,) = re.findall(r"\t(t\d+) \[label=<.*>stack<BR/>", drawing.source)
    tails = dict(
        (int(k), tail) for tail, k in re.findall(rf"\t(t\d+) -> {stacked}:i(\d+)", drawing.source)
    )
    across = [nodes[tails[k]][1][1 - axis] for k in range(steps)]
    assert across == sorted(across), across


def test_edges_from_values_used_once_are_weighted_and_shared_weights_are_not():
    source = _unrolled_rnn(3).draw().source
    assert "ordering=in" in source
    edges = re.findall(r"\t(t\d+) -> (\S+)( \[weight=\"2\"\])?$", source, re.M)
    tails = [tail for tail, _, _ in edges]
    for tail, _, weight in edges:
        assert bool(weight) == (tails.count(tail) == 1), (tail, weight)


def test_value_graphs_keep_dot_s_own_ordering():
    a = Value(1.0, "a")
    loss = (a * a + a).tanh()
    loss.backward()
    source = loss.draw().source
    assert "ordering" not in source
    assert re.search(r'-> v\d+:i0:w \[weight="2"\]', source)  # the product, used once

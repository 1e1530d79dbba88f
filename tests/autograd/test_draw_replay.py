"""Replaying the backward pass: the engine's own order, final gradients, untouched ``.grad``."""

import re

import numpy as np
import pytest

from chaingrad.autograd import Tensor, Value, engine
from chaingrad.autograd.draw_replay import record_backward


def _value_graph():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    e = a * b
    e.label = "e"
    d = e + a  # a is used twice: its gradient is a sum
    d.label = "d"
    loss = d.tanh()
    loss.label = "L"
    return a, b, loss


def _tensor_graph():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(4, 3)), name="x")
    w = Tensor(rng.normal(size=(3, 2)), requires_grad=True, name="W")
    b = Tensor(rng.normal(size=(2,)), requires_grad=True, name="b")
    loss = ((x @ w + b).tanh() * w.sum()).sum()
    return w, b, loss


def test_value_replay_follows_the_engines_reverse_topological_order():
    _a, _b, loss = _value_graph()
    replay = loss.backward_replay()
    recording = record_backward(loss, 1.0)
    order = list(reversed(engine.topological_order(loss)))
    assert [s.node for s in recording.steps] == order  # every Value gets a gradient
    assert len(replay) == len(order)
    # the caption of each frame names the node the engine processes at that step
    for k, node in enumerate(order, start=1):
        assert replay.titles[k].startswith(f"step {k} of {len(order)}: {node.label or node._op}")


def test_the_last_frame_shows_the_gradients_of_a_real_backward_and_grads_stay_untouched():
    a, b, loss = _value_graph()
    replay = loss.backward_replay()
    assert (a.grad, b.grad, loss.grad) == (0.0, 0.0, 0.0)  # a replay does not accumulate
    last = replay[len(replay)].source
    assert replay[-1] is replay[len(replay)]
    loss.backward()
    after = loss.draw().source
    shown = [g.replace(" (upstream)", "") for g in re.findall(r">grad ([^<]+)<", last)]
    assert shown == re.findall(r">grad ([^<]+)<", after)  # node by node, the same gradients
    assert f"grad {a.grad:.4g}" in last and f"grad {b.grad:.4g}" in last
    grads = (a.grad, b.grad)
    _ = loss.backward_replay()[3]
    assert (a.grad, b.grad) == grads  # replaying after backward changes nothing either


def test_step_zero_shows_no_gradients_and_a_middle_step_highlights_its_node():
    _a, _b, loss = _value_graph()
    first = loss.draw(step=0).source
    grads = re.findall(r">grad ([^<]+)<", first)
    assert grads and set(grads) == {"?"}
    order = list(reversed(engine.topological_order(loss)))
    frame = loss.draw(step=2).source  # the second node ('d', the add) is being processed
    assert order[1] is loss._parents[0]
    current = re.search(r'v\d+ \[label=<<TABLE BORDER="2"[^\n]*', frame).group(0)
    upstream = f"{1 - np.tanh(-4.0) ** 2:.4g}"  # dL/dd = 1 - tanh(d)², d = a*b + a = -4
    assert ">d<" in current and f"grad {upstream} (upstream)" in current
    # its local gradients and the products it hands on (× 1 → upstream, for both inputs)
    assert current.count(f"× 1 → {upstream}") == 2
    assert frame.count('color="#d84315"') == 2  # the two edges it hands gradients along


def test_step_out_of_range_is_a_one_line_error():
    _, _, loss = _value_graph()
    message = r"step must be an int from 0 to 5 \(the backward pass has 5 steps\), got 7"
    with pytest.raises(ValueError, match=message):
        loss.draw(step=7)
    with pytest.raises(IndexError, match="step 9 out of range: 0 to 5"):
        loss.backward_replay()[9]


def test_tensor_replay_order_final_gradients_and_rules_on_edges():
    w, b, loss = _tensor_graph()
    recording = record_backward(loss, np.ones(()))
    expected = [
        n for n in reversed(engine.topological_order(loss)) if n.requires_grad
    ]  # the engine skips nodes no gradient reaches
    assert [s.node for s in recording.steps] == expected
    replay = loss.backward_replay()
    assert len(replay) == len(expected) and w.grad is None and b.grad is None
    last = replay[-1].source
    loss.backward()
    w_norm = f"‖{float(np.linalg.norm(w.grad.numpy())):.4g}‖"
    b_norm = f"‖{float(np.linalg.norm(b.grad.numpy())):.4g}‖"
    assert f"grad {w_norm}" in last and f"grad {b_norm}" in last
    # each edge into matmul enters a cell with matmul's rule for that input
    assert "g Bᵀ" in last and "Aᵀ g" in last
    frame = loss.draw(step=1).source
    assert "(upstream)" in frame and "grad ?" in frame


def test_tensor_edges_show_the_inputs_gradient_shape_and_norm_after_backward():
    w, _b, loss = _tensor_graph()
    before = loss.draw().source
    assert "(3, 2) ‖" not in before
    loss.backward()
    after = loss.draw().source
    assert f"(3, 2) ‖{float(np.linalg.norm(w.grad.numpy())):.4g}‖" in after


def test_replay_saves_html_and_gif_and_shows_in_jupyter(tmp_path):
    _, _, loss = _value_graph()
    replay = loss.backward_replay()
    html = replay._repr_html_()
    assert 'class="chaingrad-replay"' in html and replay.titles[-1].split(":")[0] in html
    assert len(replay.titles) == len(replay) + 1  # frames 0 (no gradients) to len(replay)
    page = replay.save(tmp_path / "replay.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "</svg>" in page
    gif = replay.save(tmp_path / "replay.gif").read_bytes()
    assert gif[:6] in (b"GIF87a", b"GIF89a")
    with pytest.raises(ValueError, match=r"save writes \.html or \.gif"):
        replay.save(tmp_path / "replay.mp4")


def test_a_replay_of_a_tensor_without_a_scalar_output_is_a_clear_error():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"one-element output; this one has shape \(2, 2\)"):
        (x * 2.0).backward_replay()


def test_an_op_with_an_input_that_has_no_rule_and_no_gradient_still_renders(monkeypatch):
    import chaingrad.autograd.draw as draw

    monkeypatch.setattr(draw, "local_rule", lambda op, index, arity: "")  # an op without rules
    x = Tensor(np.ones((4, 3)))  # needs no grad and has no rule: its cell is empty
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    loss = (x @ w).sum()
    loss.backward()
    drawing = loss.draw()
    assert "</svg>" in drawing.svg and ":i0:w" in drawing.source

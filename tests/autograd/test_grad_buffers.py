"""The engine's gradient buffers: reusing an owned upstream gradient changes no bit of any result.

Every model here is run twice on the same seeds: once as the engine runs (backwards write into
upstream gradients they own, branches add into owned buffers, leaves adopt them) and once with
``engine.reuse_buffers = False`` (every step allocates, as a copy-everything engine does). The
gradients must be identical bit for bit, and no array a user, a retained grad or the replay's
observer holds may ever be written into.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor, engine, gradcheck
from chaingrad.autograd.draw_replay import record_backward
from chaingrad.nn.app.recipes import build_image_model


@contextmanager
def copying():
    """Run backward as a copy-everything engine would: no gradient is ever owned."""
    engine.reuse_buffers = False
    try:
        yield
    finally:
        engine.reuse_buffers = True


def _grads(tensors: list[Tensor]) -> list[bytes | None]:
    """Every gradient as raw bytes (so -0.0 and NaN payloads count), None where there is none."""
    return [None if t.grad is None else t.grad.numpy().tobytes() for t in tensors]


def _both_ways(run: Callable[[], list[Tensor]]) -> tuple[list[bytes | None], list[bytes | None]]:
    """``run()`` builds a fresh graph, calls backward and returns the tensors to compare."""
    reused = _grads(run())
    with copying():
        copied = _grads(run())
    assert any(g is not None for g in copied)
    return reused, copied


def test_lenet_gradients_are_bit_identical_to_a_copying_backward():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((32, 1, 8, 8)).astype(np.float32))
    y = rng.integers(0, 10, 32)

    def run() -> list[Tensor]:
        nn.manual_seed(0)
        model = build_image_model("cnn", (1, 8, 8), 10)
        F.cross_entropy(model(x), y).backward()
        return list(model.parameters())

    reused, copied = _both_ways(run)
    assert reused == copied


def test_shared_weights_branches_and_residuals_are_bit_identical():
    rng = np.random.default_rng(1)
    data = rng.standard_normal((16, 8)).astype(np.float32)

    def run() -> list[Tensor]:
        nn.manual_seed(1)
        lin, out = nn.Linear(8, 8), nn.Linear(8, 3)
        x = Tensor(data, requires_grad=True)
        y = x + x  # one array for both inputs of add
        h = F.relu(lin(y))
        h = h + F.relu(lin(h))  # the same weights twice, and a residual branch
        s = (h * h).tanh() - h.sigmoid()  # h three times, sub's negated gradient
        z = s * x.sum(1, keepdims=True) + (x * x).mean()  # broadcasting in both directions
        logits = out(z.reshape(16, 2, 4).transpose(1, 2).reshape(16, 8))
        F.cross_entropy(logits, np.arange(16) % 3).backward()
        return [x, lin.weight, lin.bias, out.weight, out.bias]

    reused, copied = _both_ways(run)
    assert reused == copied


def test_lstm_gradients_are_bit_identical():
    rng = np.random.default_rng(2)
    tokens = rng.integers(0, 20, (12, 4))
    target = rng.integers(0, 20, 48)

    def run() -> list[Tensor]:
        nn.manual_seed(2)
        embed, lstm, head = nn.Embedding(20, 6), nn.LSTM(6, 16), nn.Linear(16, 20)
        out, (h, c) = lstm(embed(Tensor(tokens)))
        loss = F.cross_entropy(head(out).reshape(48, 20), target) + (h * c).sum()
        loss.backward()
        return [*embed.parameters(), *lstm.parameters(), *head.parameters()]

    reused, copied = _both_ways(run)
    assert reused == copied


def test_retained_intermediates_are_never_written_into():
    rng = np.random.default_rng(3)
    data = rng.standard_normal((5, 7))

    def run() -> list[Tensor]:
        x = Tensor(data, requires_grad=True)
        a = x * 3.0
        r = F.relu(a)  # relu would mask its upstream in place if it owned it
        v = r.reshape(35)  # a view of v's retained grad goes on to relu: not relu's to mask
        t = v.tanh()
        for u in (a, r, v, t):
            u.retain_grad()
        (t * 2.0).sum().backward()
        return [x, a, r, v, t]

    reused, copied = _both_ways(run)
    assert reused == copied
    tensors = run()
    grads = [u.grad.numpy() for u in tensors]
    assert np.all(grads[2] != 0) and np.all(grads[3] != 0)  # r and v: never masked by relu
    assert not any(np.shares_memory(p, q) for i, p in enumerate(grads) for q in grads[i + 1 :])


def test_recorded_in_place_ops_keep_their_promises():
    rng = np.random.default_rng(7)
    data = rng.standard_normal((4, 5))

    def run() -> list[Tensor]:
        x = Tensor(data, requires_grad=True)
        h = x * 2.0 - 1.0
        used = h.tanh()  # uses h before the change
        h *= 3.0  # recorded: h now stands for the product, its old value for the sub's output
        h[0] = 0.5
        (h.sigmoid() * used).sum().backward()
        return [x]

    reused, copied = _both_ways(run)
    assert reused == copied


def test_a_retained_grad_and_a_leaf_grad_never_share_an_array():
    # add passes its upstream through: before ownership the retained y.grad and x.grad were
    # the same array, and a second backward added into it twice (x.grad 6 instead of 4)
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x + 0.0
    y.retain_grad()
    w = y * 2.0
    w.backward(np.ones(2))
    assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
    w.backward(np.ones(2))
    assert x.grad.tolist() == [4.0, 4.0] and y.grad.tolist() == [4.0, 4.0]


def test_add_gives_each_input_its_own_array():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).backward(np.full(3, 2.0))
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.numpy()[:] = 0  # a user writing into one grad leaves the other alone
    assert b.grad.tolist() == [2.0, 2.0, 2.0]


def test_backward_twice_on_one_graph_accumulates_exactly_twice():
    rng = np.random.default_rng(4)
    data = rng.standard_normal((6, 4)).astype(np.float32)

    def run() -> list[Tensor]:
        nn.manual_seed(4)
        model = nn.MLP([4, 8, 8, 2])
        x = Tensor(data, requires_grad=True)
        hidden = model(x)
        hidden.retain_grad()
        loss = (hidden * hidden).sum() + F.relu(x).sum()
        loss.backward(retain_graph=True)
        once = [p.grad.numpy().copy() for p in model.parameters()]
        held = [p.grad for p in model.parameters()]  # a user holding p.grad sees the sum
        loss.backward(retain_graph=True)
        for g, h, p in zip(once, held, model.parameters()):
            assert h is p.grad
            np.testing.assert_array_equal(p.grad.numpy(), g + g)
        return [x, hidden, *model.parameters()]

    reused, copied = _both_ways(run)
    assert reused == copied


def test_a_user_given_output_gradient_is_not_written_into():
    x = Tensor(np.linspace(-1, 1, 6), requires_grad=True)
    seed = np.full(6, 3.0)
    F.relu(x).backward(seed)  # relu masks its upstream in place only when the engine owns it
    assert seed.tolist() == [3.0] * 6
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 3.0, 3.0, 3.0]


def test_replay_sees_the_gradients_of_backward_and_none_is_overwritten_later():
    rng = np.random.default_rng(5)
    data = rng.standard_normal((8, 1, 8, 8)).astype(np.float32)
    nn.manual_seed(5)
    model = build_image_model("cnn", (1, 8, 8), 10)
    x = Tensor(data, requires_grad=True)
    h = model[0](x)
    r = F.relu(h)
    loss = F.cross_entropy(nn.Sequential(*list(model)[2:])(r), np.arange(8))
    steps = record_backward(loss, np.ones_like(loss.numpy())).steps
    shown = {id(s.node): s.grad.copy() for s in steps}
    parent_grads = [[None if g is None else np.copy(g) for g in s.parent_grads] for s in steps]
    for t in (h, r):
        t.retain_grad()
    loss.backward()  # reuses buffers: must not touch anything the observer was handed
    for s, before in zip(steps, parent_grads):
        assert s.grad.tobytes() == shown[id(s.node)].tobytes(), s.node.op
        for g, b in zip(s.parent_grads, before):
            assert (g is None) == (b is None) and (g is None or g.tobytes() == b.tobytes())
    # and the replay showed the gradients backward stored, bit for bit
    assert shown[id(r)].tobytes() == r.grad.numpy().tobytes()
    assert shown[id(h)].tobytes() == h.grad.numpy().tobytes()
    assert shown[id(x)].tobytes() == x.grad.numpy().tobytes()


def test_mixed_dtypes_are_not_computed_in_a_narrower_buffer():
    # float32 upstream times a float64 local gradient must round once, in float64, as before
    rng = np.random.default_rng(6)
    a32, b64 = rng.standard_normal(50).astype(np.float32), rng.standard_normal(50)

    def run() -> list[Tensor]:
        a = Tensor(a32, requires_grad=True)
        b = Tensor(b64, requires_grad=True)
        ((a * 1.5).exp() * b).tanh().sum().backward()
        return [a, b]

    reused, copied = _both_ways(run)
    assert reused == copied


def test_relu_masks_an_owned_upstream_in_place_and_the_leaf_adopts_it():
    x = Tensor(np.linspace(-1, 1, 8), requires_grad=True)
    r = F.relu(x * 2.0)
    inner, seen = r._backward, {}

    def spy(g, owned):  # relu's own backward, watched
        seen["upstream"], seen["owned"] = g, owned
        seen["grad"] = inner(g, owned)[0]
        return (seen["grad"],)

    r._backward, r._promise = spy, (spy, True)  # the promise relu made, kept for the spy
    (r * 3.0).sum().backward()  # mul's backward allocates r's upstream: the engine owns it
    assert seen["owned"] and seen["grad"] is seen["upstream"]  # masked in place, no new array
    # handed on to x * 2.0 (in place again) and adopted by the leaf: one buffer all the way
    assert x.grad.numpy() is seen["upstream"]
    assert x.grad.tolist() == [0.0] * 4 + [6.0] * 4


def test_lenet_step_at_batch_256_peaks_within_one_and_a_half_times_its_activations():
    from benchmarks.memory import lenet_memory

    report = lenet_memory(batch=256)
    assert 1.0 < report.ratio <= 1.5, report.line()


fast = settings(max_examples=15, deadline=None)
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@fast
@given(shape=shapes, seed=st.integers(0, 2**16), axis=st.integers(-1, 0))
def test_reusing_ops_pass_gradcheck_on_random_shapes(shape, seed, axis):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.uniform(0.2, 1.0, shape) * rng.choice([-1, 1], shape), requires_grad=True)
    b = Tensor(rng.standard_normal(shape[axis:] if axis else (1,) * len(shape)), requires_grad=True)

    def f(x, b):
        h = F.relu(x * b) + (x - b).tanh()  # owned upstreams reach relu, mul, sub, tanh
        h = h.sigmoid() * h.reshape(-1).reshape(shape)
        return (h.unsqueeze(0).transpose(0, -1) * 2.0).sum(axis)

    assert gradcheck(f, (x, b))

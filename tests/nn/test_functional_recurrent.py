"""F.rnn, F.lstm and F.gru: one recurrent layer as a function, gradchecked and against PyTorch."""

import numpy as np
import pytest

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import gradcheck
from tests.helpers import leaf

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
SHAPES = [(1, 1, 1, 1), (4, 2, 3, 5), (3, 1, 2, 2)]  # (T, B, I, H), size-1 axes included


def _arguments(kind, steps, batch, inputs, hidden, seed):
    gates = GATES[kind] * hidden
    x = leaf((steps, batch, inputs), seed, 0.5)
    h0 = leaf((batch, hidden), seed + 1, 0.5)
    weights = [
        leaf(s, seed + 2 + i, 0.5)
        for i, s in enumerate([(gates, inputs), (gates, hidden), (gates,), (gates,)])
    ]
    return x, h0, weights


@pytest.mark.parametrize("shape", SHAPES)
def test_rnn_and_gru_gradcheck(shape):
    for seed, (kind, fn) in enumerate([("rnn", F.rnn), ("gru", F.gru)]):
        x, h0, w = _arguments(kind, *shape, seed=10 * seed)
        assert gradcheck(lambda *a, fn=fn: fn(*a)[0], x, h0, *w)
        assert gradcheck(lambda *a, fn=fn: fn(*a)[1], x, h0, *w)


@pytest.mark.parametrize("shape", SHAPES)
def test_lstm_gradchecks_through_output_and_both_states(shape):
    x, h0, w = _arguments("lstm", *shape, seed=3)
    c0 = leaf(h0.shape, 99, 0.5)
    out = lambda x, h, c, *w: F.lstm(x, (h, c), *w)  # noqa: E731
    assert gradcheck(lambda *a: out(*a)[0], x, h0, c0, *w)
    assert gradcheck(lambda *a: out(*a)[1][0], x, h0, c0, *w)
    assert gradcheck(lambda *a: out(*a)[1][1], x, h0, c0, *w)


def test_rnn_refuses_an_unknown_nonlinearity():
    x, h0, w = _arguments("rnn", 2, 1, 2, 2, seed=0)
    with pytest.raises(ValueError, match="rnn: nonlinearity must be 'tanh' or 'relu', got 'gelu'"):
        F.rnn(x, h0, *w, nonlinearity="gelu")


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_the_functions_match_the_pytorch_layers(kind):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    layer = getattr(torch.nn, kind)(3, 4).double()
    x = np.random.default_rng(1).standard_normal((5, 2, 3))
    expected, _ = layer(torch.tensor(x))
    weights = [
        nn.Parameter(getattr(layer, n).detach().numpy())
        for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    ]
    fn = {"RNN": F.rnn, "LSTM": F.lstm, "GRU": F.gru}[kind]
    out, _ = fn(nn.Parameter(x), None, *weights)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_lstm_outputs_are_views_of_one_buffer():
    x, h0, w = _arguments("lstm", 3, 2, 2, 4, seed=5)
    c0 = leaf(h0.shape, 98, 0.5)
    out, (h_n, c_n) = F.lstm(x, (h0, c0), *w)
    # out and c_n are slices of one node over the kernel's buffer: no packing copy
    o, c = out.numpy(), c_n.numpy()
    assert c.ctypes.data == o.ctypes.data + o.nbytes
    np.testing.assert_array_equal(h_n.numpy(), o[-1])

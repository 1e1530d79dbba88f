"""Recurrent ops and layers: gradchecks, shapes, errors, and the lecture's "hello" model."""

import numpy as np
import pytest

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor, gradcheck
from chaingrad.autograd.ops import recurrent as ops
from chaingrad.nn import optim
from chaingrad.nn.data.datasets import text


def _leaf(shape, seed=0, scale=0.5):
    return Tensor(scale * np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_op_gradchecks(nonlinearity):
    x, h0 = _leaf((4, 2, 3), 1), _leaf((2, 5), 2)
    w_ih, w_hh, b_ih, b_hh = _leaf((5, 3), 3), _leaf((5, 5), 4), _leaf((5,), 5), _leaf((5,), 6)
    assert gradcheck(lambda *a: ops.rnn(*a, nonlinearity)[0], x, h0, w_ih, w_hh, b_ih, b_hh)
    assert gradcheck(lambda *a: ops.rnn(*a, nonlinearity)[1], x, h0, w_ih, w_hh, b_ih, b_hh)


def test_gru_op_gradchecks():
    x, h0 = _leaf((4, 2, 3), 1), _leaf((2, 5), 2)
    w_ih, w_hh, b_ih, b_hh = _leaf((15, 3), 3), _leaf((15, 5), 4), _leaf((15,), 5), _leaf((15,), 6)
    assert gradcheck(lambda *a: ops.gru(*a)[0], x, h0, w_ih, w_hh, b_ih, b_hh)
    assert gradcheck(
        lambda x, w_ih, w_hh: ops.gru(x, None, w_ih, w_hh, None, None)[1], x, w_ih, w_hh
    )


def test_lstm_op_gradchecks_through_every_output():
    x, h0, c0 = _leaf((4, 2, 3), 1), _leaf((2, 5), 2), _leaf((2, 5), 7)
    w_ih, w_hh, b_ih, b_hh = _leaf((20, 3), 3), _leaf((20, 5), 4), _leaf((20,), 5), _leaf((20,), 6)

    def all_outputs(*a):
        out, h_n, c_n = ops.lstm(*a)
        return out.sum(axis=0) * 0.5 + h_n * h_n + c_n.tanh()

    assert gradcheck(all_outputs, x, h0, c0, w_ih, w_hh, b_ih, b_hh)


def test_layers_have_pytorchs_names_shapes_and_init():
    lstm = nn.LSTM(3, 8, num_layers=2, bidirectional=True)
    names = [n for n, _ in lstm.named_parameters()]
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert names[4:8] == [n + "_reverse" for n in names[:4]] and names[8] == "weight_ih_l1"
    assert lstm.weight_ih_l0.shape == (32, 3) and lstm.weight_ih_l1.shape == (32, 16)
    assert max(np.abs(p.numpy()).max() for p in lstm.parameters()) <= 1 / np.sqrt(8)
    assert nn.GRU(3, 8).weight_hh_l0.shape == (24, 8)
    # without biases there are no bias parameters at all, as in PyTorch
    no_bias = nn.RNN(3, 8, bias=False)
    assert [n for n, _ in no_bias.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    assert (
        repr(nn.RNN(3, 8, nonlinearity="relu", batch_first=True))
        == "RNN(3, 8, nonlinearity='relu', batch_first=True)"
    )


def test_output_shapes_unbatched_input_and_initial_states():
    gru = nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    out, h_n = gru(Tensor(np.zeros((5, 7, 3), np.float32)))
    assert out.shape == (5, 7, 8) and h_n.shape == (4, 5, 4)
    lstm = nn.LSTM(3, 4)
    out, (h_n, c_n) = lstm(Tensor(np.zeros((7, 3), np.float32)))  # unbatched (T, I)
    assert out.shape == (7, 4) and h_n.shape == (1, 4) and c_n.shape == (1, 4)
    h0 = Tensor(np.ones((1, 2, 4), np.float32), requires_grad=True)
    out, (h_n, _) = lstm(
        Tensor(np.zeros((6, 2, 3), np.float32)), (h0, Tensor(np.zeros((1, 2, 4), np.float32)))
    )
    h_n.sum().backward()
    assert h0.grad.shape == (1, 2, 4) and np.abs(h0.grad).sum() > 0


def test_dropout_between_layers_only_in_training():
    rnn = nn.RNN(3, 16, num_layers=2, dropout=0.5)
    x = Tensor(np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32))
    a, _ = rnn(x)
    b, _ = rnn(x)
    assert not np.allclose(a.numpy(), b.numpy())  # different dropout masks between the layers
    rnn.eval()
    np.testing.assert_array_equal(rnn(x)[0].numpy(), rnn(x)[0].numpy())


def test_cells_take_one_step():
    cell = nn.LSTMCell(3, 4)
    h, c = cell(Tensor(np.ones((2, 3), np.float32)))
    assert h.shape == c.shape == (2, 4)
    h2, c2 = cell(Tensor(np.ones((2, 3), np.float32)), (h, c))
    (h2.sum() + c2.sum()).backward()
    assert cell.weight_hh.grad is not None and cell.weight_hh.grad.shape == (16, 4)
    assert nn.GRUCell(3, 4)(Tensor(np.ones(3, np.float32))).shape == (4,)
    assert nn.RNNCell(3, 4, nonlinearity="relu")(Tensor(np.ones((5, 3), np.float32))).shape == (
        5,
        4,
    )
    assert [n for n, _ in nn.GRUCell(3, 4).named_parameters()] == [
        "weight_ih",
        "weight_hh",
        "bias_ih",
        "bias_hh",
    ]


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: nn.LSTM(3, 4)(Tensor(np.zeros((5, 2, 6), np.float32))),
            r"LSTM: expected input of shape \(T, B, 3\)",
        ),
        (
            lambda: nn.GRU(3, 4, batch_first=True)(Tensor(np.zeros(3, np.float32))),
            r"\(B, T, 3\) or \(T, 3\) unbatched, got \(3,\)",
        ),
        (
            lambda: nn.RNN(3, 4)(
                Tensor(np.zeros((5, 2, 3), np.float32)), Tensor(np.zeros((2, 2, 4), np.float32))
            ),
            r"RNN: h0 must have shape \(1, 2, 4\), got \(2, 2, 4\)",
        ),
        (
            lambda: nn.LSTMCell(3, 4)(Tensor(np.zeros((2, 5), np.float32))),
            r"LSTMCell: expected input of shape \(B, 3\)",
        ),
        (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), "nonlinearity must be 'tanh' or 'relu'"),
    ],
)
def test_wrong_shapes_name_the_expected_and_actual(call, message):
    with pytest.raises(ValueError, match=message):
        call()


class CharRNN(nn.Module):
    """The lecture's character model: one-hot input, an Elman RNN, scores for the next letter."""

    def __init__(self, vocab, hidden):
        super().__init__()
        self.vocab = vocab
        self.rnn = nn.RNN(vocab, hidden)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, indices, h0=None):
        one_hot = np.eye(self.vocab, dtype=np.float32)[indices][:, None]  # (T, 1, V)
        out, h_n = self.rnn(Tensor(one_hot), h0)
        return self.head(out[:, 0]), h_n


def test_the_hello_model_learns_hell_to_ello():
    data = text("hello")
    assert data.vocab == ("h", "e", "l", "o")
    nn.manual_seed(0)
    model = CharRNN(len(data.vocab), 8)
    inputs, targets = data.encode("hell"), data.encode("ello")
    opt = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(200):
        scores, _ = model(inputs)
        loss = F.cross_entropy(scores, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1
    letter, h, decoded = data.encode("h"), None, ""  # greedy decoding, one letter at a time
    for _ in range(4):
        scores, h = model(letter, h)
        letter = scores.numpy().argmax(axis=1)
        decoded += data.decode(letter)
    assert decoded == "ello"

"""Issue 13's engine items: values that were silently wrong and errors that were not one line."""

import numpy as np
import pytest

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad import Tensor
from chaingrad.autograd import gradcheck


@pytest.mark.parametrize("ddof", [3, 4, 7])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_var_and_std_with_ddof_at_least_n_are_inf_as_numpy(ddof):
    data = np.array([1.0, 2.0, 3.0])
    assert Tensor(data).var(ddof=ddof).item() == np.inf == np.var(data, ddof=ddof)
    assert Tensor(data).std(ddof=ddof).item() == np.inf
    assert np.isnan(Tensor([2.0, 2.0, 2.0]).var(ddof=ddof).item())  # 0 / 0


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_var_ddof_at_least_n_matches_torch_on_rows():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).normal(size=(4, 2))
    ours = Tensor(data).var(dim=1, correction=2).numpy()
    np.testing.assert_array_equal(ours, torch.tensor(data).var(dim=1, correction=2).numpy())


@pytest.mark.parametrize(
    "shape, axis, ddof", [((5,), None, 1), ((3, 4), -1, 2), ((2, 1, 4), (0, 2), 3), ((4, 3), 0, 0)]
)
def test_var_gradcheck_with_ddof_below_n(rng, shape, axis, ddof):
    x = Tensor(rng.normal(size=shape), requires_grad=True)
    assert gradcheck(lambda t: t.var(axis, ddof=ddof), (x,))


def test_binary_cross_entropy_refuses_targets_outside_0_1_as_torch():
    p = Tensor([0.5, 0.2])
    for bad in ([2.0, 0.0], [0.0, -0.5], [np.nan, 1.0]):
        with pytest.raises(ValueError, match="target should be between 0 and 1"):
            F.binary_cross_entropy(p, Tensor(bad))
    assert F.binary_cross_entropy(p, Tensor([1.0, 0.25])).item() > 0  # soft targets are fine


def test_integer_to_a_negative_integer_power_is_a_clear_error():
    with pytest.raises(ValueError, match="integers to negative integer powers are not allowed"):
        Tensor([1, 2]) ** -1
    with pytest.raises(ValueError, match="integers to negative integer powers"):
        Tensor([1, 2]) ** Tensor([2, -1])
    assert (Tensor([1, 2]) ** 2).tolist() == [1, 4]
    assert (Tensor([1.0, 2.0]) ** -1).tolist() == [1.0, 0.5]


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
@pytest.mark.parametrize("shape, dim", [((2, 0), -1), ((0, 3), 1), ((0, 3), 0), ((3, 0, 2), 1)])
def test_softmax_of_an_empty_tensor_is_empty_as_torch(fn, shape, dim):
    x = Tensor(np.zeros(shape, np.float32), requires_grad=True)
    y = fn(x, dim)
    assert y.shape == shape
    y.sum().backward()
    assert x.grad.shape == shape


def test_recurrent_layers_need_a_hidden_unit_as_torch():
    for layer in (nn.RNN, nn.LSTM, nn.GRU):
        with pytest.raises(ValueError, match="hidden_size must be greater than zero, got 0"):
            layer(4, 0)
    assert nn.RNNCell(4, 0).weight_ih.shape == (0, 4)  # torch builds cells with 0 units


@pytest.mark.parametrize("layer, x", [(nn.Conv2d, (1, 3, 5, 5)), (nn.Conv1d, (1, 3, 5))])
def test_zero_output_channels_are_refused_in_one_line_as_torch(layer, x):
    with pytest.raises(ValueError, match=r"has 0 output channels") as error:
        layer(3, 0, 3)(Tensor(np.zeros(x, np.float32)))
    assert "\n" not in str(error.value)


def _empty(*shape):
    return Tensor(np.zeros(shape, np.float32), requires_grad=True)


def _dropout_train():
    return nn.Dropout(0.5).train()


EMPTY_CASES = {
    "linear": (lambda: nn.Linear(3, 4), (0, 3), (0, 4)),
    "linear_3d": (lambda: nn.Linear(3, 4), (2, 0, 3), (2, 0, 4)),
    "batchnorm1d_eval": (lambda: nn.BatchNorm1d(3).eval(), (0, 3), (0, 3)),
    "batchnorm2d_eval": (lambda: nn.BatchNorm2d(3).eval(), (0, 3, 4, 4), (0, 3, 4, 4)),
    "dropout": (_dropout_train, (0, 3), (0, 3)),
    "rnn": (lambda: nn.RNN(3, 4, batch_first=True), (0, 5, 3), (0, 5, 4)),
    "lstm": (lambda: nn.LSTM(3, 4, num_layers=2), (5, 0, 3), (5, 0, 4)),
    "gru_bidirectional": (lambda: nn.GRU(3, 4, bidirectional=True), (5, 0, 3), (5, 0, 8)),
    "rnn_cell": (lambda: nn.RNNCell(3, 4), (0, 3), (0, 4)),
    "lstm_cell": (lambda: nn.LSTMCell(3, 4), (0, 3), (0, 4)),
    "gru_cell": (lambda: nn.GRUCell(3, 4), (0, 3), (0, 4)),
    "conv2d": (lambda: nn.Conv2d(3, 2, 3, padding=1), (0, 3, 4, 4), (0, 2, 4, 4)),
}


@pytest.mark.parametrize("name", sorted(EMPTY_CASES))
def test_an_empty_batch_goes_forward_and_backward_through_every_layer(name):
    make, shape, expected = EMPTY_CASES[name]
    layer = make()
    x = _empty(*shape)
    out = layer(x)
    out = out[0] if isinstance(out, tuple) else out
    assert out.shape == expected
    out.sum().backward()
    assert x.grad.shape == shape
    for p in layer.parameters():
        assert p.grad is None or not np.any(p.grad.numpy())  # nothing to learn from no data


def test_embedding_of_no_indices_is_empty():
    assert nn.Embedding(5, 3)(Tensor(np.zeros((0, 4), np.int64))).shape == (0, 4, 3)


LOSSES = {
    "mse": (F.mse_loss, np.zeros((0, 3), np.float32)),
    "bce": (F.binary_cross_entropy, np.zeros((0, 3), np.float32)),
    "bce_logits": (F.binary_cross_entropy_with_logits, np.zeros((0, 3), np.float32)),
    "cross_entropy": (F.cross_entropy, np.zeros((0,), np.int64)),
    "nll": (F.nll_loss, np.zeros((0,), np.int64)),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_losses_of_an_empty_batch_as_torch(name):
    fn, target = LOSSES[name]
    assert fn(_empty(0, 3), Tensor(target), reduction="none").shape == target.shape
    assert fn(_empty(0, 3), Tensor(target), reduction="sum").item() == 0.0
    assert np.isnan(fn(_empty(0, 3), Tensor(target), reduction="mean").item())  # torch: nan


def test_predict_on_zero_rows_has_the_models_output_shape():
    from chaingrad.nn.train import predict

    out = predict(nn.Sequential(nn.Linear(3, 2)), np.zeros((0, 3), np.float32))
    assert out.shape == (0, 2)

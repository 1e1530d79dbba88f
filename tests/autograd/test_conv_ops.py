"""Convolution and pooling ops: gradchecks in float64, errors, and their layers."""

import numpy as np
import pytest

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor, gradcheck
from chaingrad.nn import optim
from tests.helpers import leaf as _leaf

CONV2D_CASES = [
    # x shape, w shape, stride, padding
    ((1, 1, 5, 5), (1, 1, 3, 3), 1, 0),
    ((2, 3, 6, 5), (4, 3, 3, 2), 1, 1),
    ((2, 2, 7, 7), (3, 2, 3, 3), 2, 1),
    ((1, 2, 8, 6), (2, 2, 2, 3), (3, 2), (0, 1)),
    ((3, 1, 4, 4), (2, 1, 4, 4), 1, 0),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV2D_CASES)
def test_conv2d_gradchecks(x_shape, w_shape, stride, padding):
    x, w, b = _leaf(x_shape, 1), _leaf(w_shape, 2), _leaf(w_shape[:1], 3)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding), x, w, b)
    assert gradcheck(lambda x, w: F.conv2d(x, w, stride=stride, padding=padding), x, w)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (3, 2)])
def test_conv1d_gradchecks(stride, padding):
    x, w, b = _leaf((2, 3, 9), 1), _leaf((4, 3, 3), 2), _leaf((4,), 3)
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride, padding), x, w, b)


@pytest.mark.parametrize(
    "kernel, stride, padding", [(2, None, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 0))]
)
def test_pooling_gradchecks(kernel, stride, padding):
    x = _leaf((2, 3, 7, 6), 4)  # continuous values: no ties, so max pooling is differentiable here
    assert gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding), x)
    assert gradcheck(lambda t: F.avg_pool2d(t, kernel, stride, padding), x)


def test_max_pool_routes_the_gradient_to_the_maximum():
    x = Tensor(np.array([[[[1.0, 5.0], [3.0, 2.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [[[[0.0, 1.0], [0.0, 0.0]]]])
    x.zero_grad()
    F.avg_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((1, 1, 2, 2), 0.25))


def test_output_sizes_and_parameter_counts():
    layer = nn.Conv2d(3, 10, 5, padding=2)  # ten 5×5 filters on a 32×32×3 input, stride 1, pad 2
    assert layer(Tensor(np.zeros((1, 3, 32, 32), np.float32))).shape == (1, 10, 32, 32)
    assert sum(p.numel() for p in layer.parameters()) == 760  # 10 · (5·5·3 + 1)
    out = nn.Conv2d(1, 2, 3, stride=2)(Tensor(np.zeros((1, 1, 7, 9), np.float32)))
    assert out.shape == (1, 2, 3, 4)  # (h + 2p - k)/s + 1
    assert nn.MaxPool2d(2)(Tensor(np.zeros((1, 1, 7, 7), np.float32))).shape == (1, 1, 3, 3)
    assert nn.Conv1d(2, 4, 3, padding=1)(Tensor(np.zeros((5, 2, 10), np.float32))).shape == (
        5,
        4,
        10,
    )


def test_errors_name_the_op_and_the_sizes():
    x = Tensor(np.zeros((1, 3, 4, 4), np.float32))
    with pytest.raises(
        ValueError, match=r"conv2d: .*4 channels|conv2d: x has 3 channels but w expects 4"
    ):
        F.conv2d(x, Tensor(np.zeros((2, 4, 3, 3), np.float32)))
    with pytest.raises(ValueError, match="conv2d: "):
        F.conv2d(x, Tensor(np.zeros((2, 3, 7, 7), np.float32)))  # kernel larger than the input
    with pytest.raises(TypeError, match="stride must be an int or a pair of ints"):
        F.conv2d(x, Tensor(np.zeros((2, 3, 3, 3), np.float32)), stride=1.5)
    with pytest.raises(ValueError, match="max_pool2d: "):
        F.max_pool2d(x, 5)


def test_layer_repr_and_init_bounds():
    layer = nn.Conv2d(4, 8, 3, padding=1, bias=False)
    assert (
        repr(layer) == "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)"
    )
    assert np.abs(layer.weight.numpy()).max() <= 1 / np.sqrt(4 * 9)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_a_lenet_style_cnn_trains_on_random_8x8_data():
    nn.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 8, 8)).astype(np.float32)
    y = (x[:, 0, :4].sum(axis=(1, 2)) > x[:, 0, 4:].sum(axis=(1, 2))).astype(
        np.int64
    )  # a learnable rule
    model = nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 12, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(12 * 2 * 2, 2),
    )  # fmt: skip
    opt = optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(60):
        loss = F.cross_entropy(model(Tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    assert (model(Tensor(x)).numpy().argmax(axis=1) == y).mean() > 0.95

"""Layers: initialisation, behaviour, gradchecks, dropout statistics, errors."""

import numpy as np
import pytest

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor, gradcheck
from tests.helpers import leaf as _leaf


def test_linear_default_init_is_uniform_within_one_over_root_fan_in():
    nn.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert p.dtype == np.float32 and np.abs(p.numpy()).max() <= bound
        assert np.abs(p.numpy()).max() > 0.95 * bound  # it fills the range
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)


def test_manual_seed_makes_models_reproducible():
    nn.manual_seed(3)
    a = nn.MLP([4, 8, 2])
    nn.manual_seed(3)
    b = nn.MLP([4, 8, 2])
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_linear_applies_to_the_last_axis_of_any_rank_and_gradchecks():
    layer = nn.Linear(3, 2).double()
    assert layer(Tensor(np.ones((4, 5, 3)))).shape == (4, 5, 2)
    w, b = (
        Tensor(layer.weight.numpy(), requires_grad=True),
        Tensor(layer.bias.numpy(), requires_grad=True),
    )
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), _leaf((2, 4, 3)), w, b)
    assert gradcheck(lambda x, w: F.linear(x, w), _leaf((3,)), w)
    with pytest.raises(
        ValueError, match=r"linear: input of shape \(4, 5\) does not end in in_features = 3"
    ):
        layer(Tensor(np.ones((4, 5))))


def test_mlp_builds_linear_layers_with_activations_between():
    model = nn.MLP([2, 16, 16, 1], activation="tanh", output_activation="sigmoid")
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Sigmoid"]
    assert [n for n, _ in model.named_parameters()][:2] == ["0.weight", "0.bias"]
    out = model(Tensor(np.zeros((5, 2), np.float32)))
    assert out.shape == (5, 1) and (out.numpy() > 0).all() and (out.numpy() < 1).all()
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.MLP([2, 2], activation="swish")


@pytest.mark.parametrize(
    "module, fn",
    [
        (nn.ReLU(), lambda x: np.maximum(x, 0)),
        (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
        (nn.Tanh(), np.tanh),
        (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
        (nn.ELU(0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
        (nn.Softmax(axis=0), lambda x: np.exp(x) / np.exp(x).sum(axis=0)),
        (nn.LogSoftmax(), lambda x: x - np.log(np.exp(x).sum(axis=-1, keepdims=True))),
    ],
)
def test_activation_modules(module, fn):
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(module(Tensor(x)).numpy(), fn(x), rtol=1e-12)


def test_flatten_keeps_the_batch_axis():
    assert nn.Flatten()(Tensor(np.ones((2, 3, 4, 5)))).shape == (2, 60)
    assert nn.Flatten(0)(Tensor(np.ones((2, 3)))).shape == (6,)


def test_dropout_statistics_mask_routing_and_eval_identity():
    layer = nn.Dropout(0.3, seed=0)
    x = Tensor(np.ones((200, 500)), requires_grad=True)
    out = layer(x)
    kept = out.numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.01  # kept fraction ≈ 1 - p
    assert abs(out.numpy().mean() - 1.0) < 0.02  # inverted dropout preserves the mean
    np.testing.assert_allclose(out.numpy()[kept], 1 / 0.7)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.7)  # the gradient flows through the mask only
    layer.eval()
    assert layer(x) is x
    assert not (nn.Dropout(0.5, seed=1)(x).numpy() == nn.Dropout(0.5, seed=2)(x).numpy()).all()
    np.testing.assert_array_equal(
        nn.Dropout(0.5, seed=1)(x).numpy(), nn.Dropout(0.5, seed=1)(x).numpy()
    )
    assert (F.dropout(x, 1.0).numpy() == 0).all() and F.dropout(x, 0.0) is x
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)


def test_embedding_lookup_accumulates_repeated_indices_and_checks_range():
    emb = nn.Embedding(5, 3)
    idx = np.array([[1, 1], [4, 1]])
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad[:, 0], [0, 3, 0, 0, 1])
    with pytest.raises(IndexError, match="embedding: index 5 is out of range for 5 embeddings"):
        emb(np.array([0, 5]))
    with pytest.raises(TypeError, match="indices must be integers"):
        emb(np.array([0.0]))
    assert emb(Tensor(np.array([2]))).shape == (1, 3)


def test_residual_adds_the_shortcut():
    block = nn.Residual(nn.Linear(3, 3))
    x = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    np.testing.assert_allclose(block(x).numpy(), 1 + block.module(x).numpy())
    block(x).sum().backward()
    # the shortcut passes the gradient straight through: 1 + Σ_j W_ji
    np.testing.assert_allclose(x.grad[0], 1 + block.module.weight.numpy().sum(axis=0), rtol=1e-6)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5)])
def test_batch_norm_gradchecks_in_training_and_evaluation(shape):
    weight, bias = _leaf((3,), 1), _leaf((3,), 2)
    x = _leaf(shape, 3)

    def train(x, w, b):
        return F.batch_norm(x, np.zeros(3), np.ones(3), w, b, training=True)

    def evaluate(x, w, b):
        return F.batch_norm(x, np.full(3, 0.2), np.full(3, 1.5), w, b, training=False)

    assert gradcheck(train, x, weight, bias)
    assert gradcheck(evaluate, x, weight, bias)


def test_batch_norm_layer_statistics_and_errors():
    layer = nn.BatchNorm2d(3)
    x = Tensor(np.random.default_rng(0).normal(2.0, 3.0, (8, 3, 4, 4)).astype(np.float32))
    out = layer(x)
    np.testing.assert_allclose(out.numpy().mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.numpy().var(axis=(0, 2, 3)), 1, atol=1e-3)
    n = 8 * 16
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.numpy().mean(axis=(0, 2, 3)), rtol=1e-5)
    unbiased = x.numpy().var(axis=(0, 2, 3)) * n / (n - 1)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * unbiased, rtol=1e-5)
    assert int(layer.num_batches_tracked) == 1
    layer.eval()
    evaluated = layer(x).numpy()
    expected = (x.numpy() - layer.running_mean[:, None, None]) / np.sqrt(
        layer.running_var[:, None, None] + 1e-5
    )
    np.testing.assert_allclose(evaluated, expected, rtol=1e-5)
    with pytest.raises(
        ValueError,
        match=r"BatchNorm2d: expected 4-D input with 3 channels on axis 1, "
        r"got shape \(8, 2, 4, 4\)",
    ):
        layer(Tensor(np.ones((8, 2, 4, 4), np.float32)))
    with pytest.raises(ValueError, match="more than one value per channel"):
        nn.BatchNorm1d(3)(Tensor(np.ones((1, 3), np.float32)))

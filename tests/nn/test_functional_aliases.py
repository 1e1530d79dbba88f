"""nn's PyTorch spellings: dim=/axis=, negative_slope=/slope=, start_dim=, losses' arguments,
one_hot, l1_loss, and modules called with ndarrays or lists."""

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import gradcheck


def _leaf(*shape, seed=0):
    return cg.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_dim_and_axis_spellings_agree():
    x = _leaf(3, 4)
    for ours, ref in [
        (F.softmax(x, dim=0), F.softmax(x, axis=0)),
        (F.log_softmax(x, dim=1), F.log_softmax(x, axis=1)),
        (nn.Softmax(dim=0)(x), nn.Softmax(axis=0)(x)),
        (nn.LogSoftmax(dim=1)(x), nn.LogSoftmax(axis=1)(x)),
        (F.leaky_relu(x, negative_slope=0.2), F.leaky_relu(x, slope=0.2)),
        (nn.LeakyReLU(negative_slope=0.2)(x), nn.LeakyReLU(slope=0.2)(x)),
    ]:
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert nn.Softmax(dim=1).dim == 1 and nn.LeakyReLU(0.3).negative_slope == 0.3
    y = cg.ones(2, 3, 4, 5)
    assert nn.Flatten(start_dim=2)(y).shape == (2, 3, 20)
    assert nn.Flatten(start_axis=0, end_axis=1)(y).shape == (6, 4, 5)
    assert nn.Flatten(1, 2).start_dim == 1
    with pytest.raises(TypeError, match="dim= or axis="):
        F.softmax(x, dim=0, axis=1)


@pytest.mark.parametrize(
    ("fn", "shape"),
    [
        (lambda x: F.softmax(x, dim=-1), (2, 1, 3)),
        (lambda x: F.log_softmax(x, dim=0), (3, 2)),
        (lambda x: F.l1_loss(x, np.full(x.shape, 0.3), reduction="sum"), (4, 3)),
        (
            lambda x: F.cross_entropy(x, np.array([0, 2, 1]), weight=np.array([1.0, 2.0, 0.5])),
            (3, 3),
        ),
        (lambda x: F.cross_entropy(x, np.array([0, -100, 1]), reduction="mean"), (3, 3)),
        (
            lambda x: F.nll_loss(x, np.array([[1, 0], [2, 2]]), weight=np.array([1.0, 3.0, 0.5])),
            (2, 3, 2),
        ),
        (
            lambda x: F.binary_cross_entropy_with_logits(x, np.ones((2, 3)), weight=np.arange(3.0)),
            (2, 3),
        ),
    ],
)
def test_functional_forms_gradcheck(fn, shape):
    x = _leaf(*shape)
    if "l1_loss" in fn.__code__.co_names:  # keep away from the kink at x = t
        x = cg.tensor(np.linspace(-1, 1, 12).reshape(shape) + 0.05, requires_grad=True)
    assert gradcheck(fn, (x,))


def test_losses_match_torch_with_torchs_argument_names():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4))
    y = np.array([0, 3, 1, -100, 3])
    w = rng.uniform(0.5, 2.0, 4)
    ours = F.cross_entropy(cg.tensor(x), y, weight=w, reduction="mean")
    theirs = tf.cross_entropy(torch.tensor(x), torch.tensor(y), weight=torch.tensor(w))
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-10)
    ours = F.nll_loss(cg.tensor(x), y, ignore_index=-100, reduction="sum")
    theirs = tf.nll_loss(torch.tensor(x), torch.tensor(y), reduction="sum")
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-10)
    t = rng.uniform(0, 1, (5, 4))
    p = rng.uniform(0.05, 0.95, (5, 4))
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_allclose(
            F.l1_loss(cg.tensor(x), t, reduction=reduction).numpy(),
            tf.l1_loss(torch.tensor(x), torch.tensor(t), reduction=reduction).numpy(),
        )
        np.testing.assert_allclose(
            F.binary_cross_entropy(cg.tensor(p), t, weight=w, reduction=reduction).numpy(),
            tf.binary_cross_entropy(
                torch.tensor(p), torch.tensor(t), weight=torch.tensor(w), reduction=reduction
            ).numpy(),
            rtol=1e-10,
        )
    np.testing.assert_allclose(nn.L1Loss()(cg.tensor(x), t).item(), np.abs(x - t).mean())
    one = F.one_hot(cg.tensor([0, 2, 1]), num_classes=4)
    np.testing.assert_array_equal(one.numpy(), tf.one_hot(torch.tensor([0, 2, 1]), 4).numpy())
    assert one.dtype == np.int64 and F.one_hot(cg.tensor([[1], [3]])).shape == (2, 1, 4)


def test_old_positional_reduction_still_works():
    x, y = _leaf(3, 4), np.array([0, 1, 3])
    np.testing.assert_allclose(
        F.cross_entropy(x, y, "sum").item(), F.cross_entropy(x, y, reduction="sum").item()
    )


def test_dropout_follows_manual_seed_and_torchs_signature():
    x = cg.ones(200)
    cg.manual_seed(5)
    a = F.dropout(x, p=0.5, training=True).numpy()
    cg.manual_seed(5)
    b = F.dropout(x, 0.5, True).numpy()
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) == {0.0, 2.0}
    np.testing.assert_array_equal(F.dropout(x, p=0.5, training=False).numpy(), x.numpy())
    g = cg.Generator().manual_seed(1)
    c = F.dropout(x, 0.5, generator=g).numpy()
    np.testing.assert_array_equal(
        c, F.dropout(x, 0.5, generator=cg.Generator().manual_seed(1)).numpy()
    )


def test_modules_wrap_ndarrays_and_lists():
    cg.manual_seed(0)
    linear = nn.Linear(3, 2)
    ref = linear(cg.tensor([[1.0, 2.0, 3.0]])).numpy()
    np.testing.assert_array_equal(linear([[1.0, 2.0, 3.0]]).numpy(), ref)
    np.testing.assert_allclose(linear(np.array([[1.0, 2.0, 3.0]], np.float32)).numpy(), ref)
    conv = nn.Conv2d(1, 2, 3)
    assert conv(np.zeros((1, 1, 5, 5), np.float32)).shape == (1, 2, 3, 3)
    lstm = nn.LSTM(3, 4, batch_first=True)
    out, (h, c) = lstm(np.zeros((2, 5, 3), np.float32))
    assert out.shape == (2, 5, 4) and h.shape == (1, 2, 4)
    out2, _ = lstm(np.zeros((2, 5, 3), np.float32), (h, c))  # a state tuple is left alone
    assert out2.shape == (2, 5, 4)
    emb = nn.Embedding(10, 4)
    assert emb([[1, 2], [3, 9]]).shape == (2, 2, 4)
    with pytest.raises(TypeError, match=r"Conv2d: argument 0 is a memoryview, not a Tensor"):
        conv(memoryview(b"abc"))
    with pytest.raises(TypeError, match=r"Linear: argument 0 is a list of str"):
        linear(["a", "b"])

"""Losses: gradchecks, stability, errors (PyTorch comparisons are in test_parity.py)."""

import numpy as np
import pytest

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor, gradcheck

REDUCTIONS = ["mean", "sum", "none"]


def _leaf(shape, seed=0, low=None):
    data = np.random.default_rng(seed).standard_normal(shape)
    if low is not None:
        data = low + (1 - 2 * low) / (1 + np.exp(-data))  # inside (low, 1 - low)
    return Tensor(data, requires_grad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2), (2, 3, 2, 2)])
def test_cross_entropy_and_nll_gradcheck(shape, reduction):
    target = np.random.default_rng(1).integers(0, shape[1], (shape[0], *shape[2:]))
    assert gradcheck(lambda x: F.cross_entropy(x, target, reduction), _leaf(shape))
    assert gradcheck(lambda x: F.nll_loss(x.log_softmax(axis=1), target, reduction), _leaf(shape))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_losses_and_mse_gradcheck(reduction):
    target = (np.random.default_rng(2).random((4, 3)) > 0.5).astype(np.float64)
    assert gradcheck(
        lambda p: F.binary_cross_entropy(p, target, reduction), _leaf((4, 3), low=0.05)
    )
    assert gradcheck(
        lambda x: F.binary_cross_entropy_with_logits(x, target, reduction), _leaf((4, 3))
    )
    assert gradcheck(lambda x, t: F.mse_loss(x, t, reduction), _leaf((4, 3)), _leaf((4, 3), 5))


def test_cross_entropy_local_gradient_is_softmax_minus_one_hot():
    logits = Tensor(np.array([[2.0, 1.0, 0.1]]), requires_grad=True)
    F.cross_entropy(logits, np.array([0]), reduction="sum").backward()
    y_hat = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum()
    np.testing.assert_allclose(logits.grad, y_hat - np.array([[1.0, 0.0, 0.0]]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_2d_path_matches_the_nd_path_bit_for_bit(dtype, reduction):
    # (N, C) logits take their own indexing path; (N, C, 1) the general one: same bits
    rng = np.random.default_rng(3)
    data = (rng.standard_normal((7, 5)) * 4).astype(dtype)
    target = rng.integers(0, 5, 7).astype(np.uint8)  # any integer dtype indexes
    flat, deep = Tensor(data, requires_grad=True), Tensor(data[:, :, None], requires_grad=True)
    a = F.cross_entropy(flat, target, reduction=reduction)
    b = F.cross_entropy(deep, target[:, None], reduction=reduction)
    a.sum().backward()
    b.sum().backward()
    assert a.dtype == dtype and flat.grad.dtype == dtype
    np.testing.assert_array_equal(a.numpy(), b.numpy().reshape(a.shape))
    np.testing.assert_array_equal(flat.grad, deep.grad[:, :, 0])


def _cross_entropy_reference(x, target):
    """Per-row logsumexp(x) - x[t] and softmax - one-hot, row by row in float64."""
    x = x.astype(np.float64)
    loss, local = np.empty(len(x)), np.empty_like(x)
    for i, (row, t) in enumerate(zip(x, target)):
        e = np.exp(row - row.max())
        loss[i] = np.log(e.sum()) - (row[t] - row.max())
        local[i] = e / e.sum()
        local[i, t] -= 1
    return loss, local


# (rows, classes) and the logits' scale: one class, one row, a large vocabulary, ±1e4 logits
@pytest.mark.parametrize(
    ("shape", "scale"), [((1024, 65), 1.0), ((5, 1), 3.0), ((1, 7), 1.0), ((3, 5000), 4.0),
                         ((8, 3), 1e4), ((17, 10), 30.0)], ids=str)  # fmt: skip
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_cross_entropy_per_row_matches_a_row_by_row_reference(shape, scale, dtype):
    rng = np.random.default_rng(shape[0])
    x = Tensor((rng.standard_normal(shape) * scale).astype(dtype), requires_grad=True)
    target = rng.integers(0, shape[1], shape[0])
    loss = F.cross_entropy(x, target, reduction="none")
    loss.sum().backward()
    want_loss, want_local = _cross_entropy_reference(x.numpy(), target)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(loss.numpy(), want_loss, rtol=tol, atol=tol * max(1.0, scale))
    np.testing.assert_allclose(x.grad, want_local, rtol=tol, atol=tol)


def test_cross_entropy_shifts_a_row_far_below_the_others_on_its_own():
    # shifted by the largest logit of all, row 1's exponentials would all underflow to 0
    x = np.array([[0.0, 1.0, 2.0], [-300.0, -301.0, -299.0]], np.float32)
    logits = Tensor(x, requires_grad=True)
    loss = F.cross_entropy(logits, np.array([2, 0]), reduction="none")
    loss.sum().backward()
    want_loss, want_local = _cross_entropy_reference(x, [2, 0])
    np.testing.assert_allclose(loss.numpy(), want_loss, rtol=1e-6)
    np.testing.assert_allclose(logits.grad, want_local, atol=1e-6)


def test_cross_entropy_a_non_finite_logit_spoils_its_own_row_only():
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    x[1, 2], x[3, 0] = np.nan, np.inf
    loss = F.cross_entropy(Tensor(x), np.array([0, 1, 2, 3]), reduction="none").numpy()
    assert np.isnan(loss[[1, 3]]).all()
    np.testing.assert_allclose(loss[[0, 2]], _cross_entropy_reference(x[[0, 2]], [0, 2])[0],
                               rtol=1e-6)  # fmt: skip


def test_losses_are_finite_for_huge_logits_and_saturated_probabilities():
    logits = Tensor(np.array([[1e4, -1e4], [-1e4, 1e4]], np.float32), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([1, 1]))
    loss.backward()
    assert np.isfinite(loss.numpy()) and np.isfinite(logits.grad).all()
    np.testing.assert_allclose(loss.item(), 1e4)
    x = Tensor(np.array([1e4, -1e4, 50.0], np.float32), requires_grad=True)
    bce = F.binary_cross_entropy_with_logits(x, np.array([0.0, 1.0, 1.0], np.float32))
    bce.backward()
    assert np.isfinite(bce.numpy()) and np.isfinite(x.grad).all()
    # float32 sigmoid saturates to exactly 1.0: PyTorch's clamps keep BCE finite
    p = Tensor(np.array([1.0, 0.0, 0.5], np.float32), requires_grad=True)
    loss = F.binary_cross_entropy(p, np.array([0.0, 1.0, 1.0], np.float32))
    loss.backward()
    assert np.isfinite(loss.numpy()) and np.isfinite(p.grad).all()
    np.testing.assert_allclose(loss.item(), (100 + 100 + np.log(2)) / 3, rtol=1e-6)


def test_loss_errors_name_the_problem():
    x = Tensor(np.zeros((4, 3)), requires_grad=True)
    with pytest.raises(IndexError, match="cross_entropy: target 3 is out of range for 3 classes"):
        F.cross_entropy(x, np.array([0, 1, 2, 3]))
    with pytest.raises(IndexError, match="target -1 is out of range"):
        F.nll_loss(x, np.array([0, -1, 2, 2]))
    with pytest.raises(TypeError, match="target must hold integer class indices, got float64"):
        F.cross_entropy(x, np.zeros(4))
    with pytest.raises(
        ValueError, match=r"target of shape \(3,\) does not fit input \(4, 3\) \(expected \(4,\)\)"
    ):
        F.cross_entropy(x, np.zeros(3, np.int64))
    with pytest.raises(
        ValueError, match=r"mse_loss: target of shape \(4,\) differs from input of shape \(4, 1\)"
    ):
        F.mse_loss(Tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(x, np.zeros(4, np.int64), reduction="avg")
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        F.binary_cross_entropy(Tensor([1.5]), np.array([1.0]))


def test_loss_modules_call_their_functions():
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)))
    t = np.array([0, 2, 1, 1])
    assert nn.CrossEntropyLoss()(x, t).item() == F.cross_entropy(x, t).item()
    assert nn.NLLLoss(reduction="sum")(x, t).item() == F.nll_loss(x, t, "sum").item()
    assert nn.MSELoss(reduction="none")(x, x).shape == (4, 3)
    assert "reduction='mean'" in repr(nn.BCELoss())
    assert nn.BCEWithLogitsLoss()(x, np.zeros((4, 3))).item() > 0

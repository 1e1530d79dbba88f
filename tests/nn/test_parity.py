"""Weights move between chaingrad and PyTorch, and both compute the same (skipped without torch)."""

import numpy as np
import pytest

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor

torch = pytest.importorskip("torch")

TOLERANCE = {np.float64: {"rtol": 1e-10, "atol": 1e-12}, np.float32: {"rtol": 2e-5, "atol": 2e-6}}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def _pair(dtype):
    ours = nn.Sequential(
        nn.Linear(6, 8),
        nn.Tanh(),
        nn.BatchNorm1d(8),
        nn.LeakyReLU(0.1),
        nn.Linear(8, 5),
        nn.ELU(),
        nn.Linear(5, 3),
    ).to(dtype)
    theirs = torch.nn.Sequential(
        torch.nn.Linear(6, 8),
        torch.nn.Tanh(),
        torch.nn.BatchNorm1d(8),
        torch.nn.LeakyReLU(0.1),
        torch.nn.Linear(8, 5),
        torch.nn.ELU(),
        torch.nn.Linear(5, 3),
    ).to(TORCH_DTYPE[dtype])
    return ours, theirs


def _compare_step(ours, theirs, x, target, dtype):
    out = ours(Tensor(x))
    expected = theirs(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), **TOLERANCE[dtype])
    F.cross_entropy(out, target).backward()
    torch.nn.functional.cross_entropy(expected, torch.tensor(target)).backward()
    their_grads = {name: p.grad.numpy() for name, p in theirs.named_parameters()}
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, their_grads[name], err_msg=name, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pytorch_weights_load_into_chaingrad(dtype):
    ours, theirs = _pair(dtype)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    for _ in range(3):  # batch norm in training: running statistics evolve identically
        x = rng.standard_normal((10, 6)).astype(dtype)
        target = rng.integers(0, 3, 10)
        _compare_step(ours, theirs, x, target, dtype)
        ours.zero_grad()
        theirs.zero_grad()
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(
            ours.state_dict()[name], value.numpy(), err_msg=name, **TOLERANCE[dtype]
        )
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((4, 6)).astype(dtype)
    _compare_step(ours, theirs, x, rng.integers(0, 3, 4), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_chaingrad_weights_load_into_pytorch(dtype):
    ours, theirs = _pair(dtype)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((7, 6)).astype(dtype)
    _compare_step(ours, theirs, x, np.arange(7) % 3, dtype)


def test_embedding_dropout_free_model_and_mlp_names_match_pytorch():
    ours = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.MLP([12, 5, 2]))
    theirs = torch.nn.Sequential(
        torch.nn.Embedding(10, 4),
        torch.nn.Flatten(),
        torch.nn.Sequential(torch.nn.Linear(12, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2)),
    ).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.double().load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    idx = np.array([[1, 2, 2], [9, 0, 1]])
    np.testing.assert_allclose(
        ours(idx).numpy(), theirs(torch.tensor(idx)).detach().numpy(), rtol=1e-12
    )


def test_batch_norm_2d_over_several_steps_in_float32():
    ours, theirs = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    rng = np.random.default_rng(2)
    for _ in range(4):
        x = rng.normal(1.0, 2.0, (4, 3, 5, 5)).astype(np.float32)
        xt = Tensor(x, requires_grad=True)
        tt = torch.tensor(x, requires_grad=True)
        out = ours(xt)
        (out * out).sum().backward()
        (theirs(tt) ** 2).sum().backward()
        np.testing.assert_allclose(xt.grad, tt.grad.numpy(), rtol=1e-4, atol=1e-4)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=1e-5, err_msg=name)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-4)


LOSSES = [
    ("mse", F.mse_loss, torch.nn.functional.mse_loss, "regression"),
    ("cross_entropy", F.cross_entropy, torch.nn.functional.cross_entropy, "classes"),
    ("nll", F.nll_loss, torch.nn.functional.nll_loss, "log_probs"),
    ("bce", F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy, "probs"),
    (
        "bce_logits",
        F.binary_cross_entropy_with_logits,
        torch.nn.functional.binary_cross_entropy_with_logits,
        "binary",
    ),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, ours_fn, torch_fn, kind", LOSSES, ids=[loss[0] for loss in LOSSES])
def test_losses_match_pytorch(name, ours_fn, torch_fn, kind, reduction, dtype):
    rng = np.random.default_rng(3)
    shape = (6, 4, 3) if kind in ("classes", "log_probs") else (6, 4)
    x = rng.standard_normal(shape).astype(dtype)
    if kind == "log_probs":
        x = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    if kind == "probs":
        x = (1 / (1 + np.exp(-x))).astype(dtype)
    if kind in ("classes", "log_probs"):
        target = rng.integers(0, 4, (6, 3))
        torch_target = torch.tensor(target)
    else:
        target = (
            (rng.random(shape) > 0.5).astype(dtype)
            if kind != "regression"
            else rng.standard_normal(shape).astype(dtype)
        )
        torch_target = torch.tensor(target)
    ours_in, theirs_in = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = ours_fn(ours_in, target, reduction=reduction)
    expected = torch_fn(theirs_in, torch_target, reduction=reduction)
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), **tol)
    upstream = rng.standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours_in.grad, theirs_in.grad.numpy(), **tol)


def test_bce_at_saturated_probabilities_matches_pytorch():
    p = np.array([0.0, 1.0, 1.0, 0.0, 0.3], np.float32)
    t = np.array([0.0, 1.0, 0.0, 1.0, 1.0], np.float32)
    ours_in, theirs_in = Tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
    out = F.binary_cross_entropy(ours_in, t)
    expected = torch.nn.functional.binary_cross_entropy(theirs_in, torch.tensor(t))
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-6)
    out.backward()
    expected.backward()
    np.testing.assert_allclose(ours_in.grad, theirs_in.grad.numpy(), rtol=1e-6)

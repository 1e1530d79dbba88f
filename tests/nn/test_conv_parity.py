"""Conv and pooling layers against PyTorch: weights both ways, outputs and gradients."""

import numpy as np
import pytest

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 2e-5)])
def test_a_small_cnn_matches_pytorch_both_ways(dtype, tol):
    ours = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, (2, 3), stride=(1, 2), padding=(1, 0)), nn.Tanh(),
        nn.AvgPool2d(2, stride=1, padding=1), nn.Flatten(), nn.Linear(6 * 6 * 2, 3),
    ).to(dtype)  # fmt: skip
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, (2, 3), stride=(1, 2), padding=(1, 0)), torch.nn.Tanh(),
        torch.nn.AvgPool2d(2, stride=1, padding=1), torch.nn.Flatten(),
        torch.nn.Linear(6 * 6 * 2, 3),
    ).to(torch.float64 if dtype == np.float64 else torch.float32)  # fmt: skip
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 2, 8, 8)).astype(dtype)
    xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(xo), theirs(xt)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=tol, atol=tol)
    F.cross_entropy(out, np.array([0, 2, 1])).backward()
    torch.nn.functional.cross_entropy(expected, torch.tensor([0, 2, 1])).backward()
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=tol, atol=tol)
    grads = {n: p.grad.numpy() for n, p in theirs.named_parameters()}
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, grads[name], rtol=tol, atol=tol, err_msg=name)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})


def test_conv1d_matches_pytorch():
    ours, theirs = (
        nn.Conv1d(3, 5, 4, stride=2, padding=1).double(),
        torch.nn.Conv1d(3, 5, 4, stride=2, padding=1).double(),
    )
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 3, 11))
    xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ours(xo) ** 2).sum().backward()
    (theirs(xt) ** 2).sum().backward()
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10)

"""RNN/LSTM/GRU against PyTorch: outputs, final states and every gradient (skip without torch)."""

import numpy as np
import pytest

import chaingrad.nn as nn
from chaingrad.autograd import Tensor

torch = pytest.importorskip("torch")

PAIRS = {
    "RNN": (nn.RNN, torch.nn.RNN),
    "LSTM": (nn.LSTM, torch.nn.LSTM),
    "GRU": (nn.GRU, torch.nn.GRU),
}
TOL = {np.float64: 1e-9, np.float32: 2e-4}


def _states(kind, rng, shape, dtype, with_states):
    if not with_states:
        return None, None
    arrays = [rng.standard_normal(shape).astype(dtype) for _ in range(2 if kind == "LSTM" else 1)]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    if kind == "LSTM":
        return tuple(ours), tuple(theirs)
    return ours[0], theirs[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", list(PAIRS))
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_states", [False, True])
def test_two_layer_bidirectional_matches_pytorch(kind, batch_first, with_states, dtype):
    ours_cls, torch_cls = PAIRS[kind]
    extra = {"nonlinearity": "relu"} if kind == "RNN" and with_states else {}
    ours = ours_cls(3, 5, num_layers=2, bidirectional=True, batch_first=batch_first, **extra).to(
        dtype
    )
    theirs = torch_cls(3, 5, num_layers=2, bidirectional=True, batch_first=batch_first, **extra)
    theirs = theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 6, 3) if batch_first else (6, 2, 3)).astype(dtype)
    xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    s_ours, s_theirs = _states(kind, rng, (4, 2, 5), dtype, with_states)
    out, final = ours(xo, s_ours)
    expected, expected_final = theirs(xt, s_theirs)
    finals = final if kind == "LSTM" else (final,)
    expected_finals = expected_final if kind == "LSTM" else (expected_final,)
    tol = TOL[dtype]
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=tol, atol=tol)
    weights = rng.standard_normal(out.shape).astype(dtype)
    loss = (out * weights).sum()
    expected_loss = (expected * torch.tensor(weights)).sum()
    for i, (f, e) in enumerate(zip(finals, expected_finals)):
        np.testing.assert_allclose(f.numpy(), e.detach().numpy(), rtol=tol, atol=tol)
        loss = loss + (f * f).sum() * (i + 1)
        expected_loss = expected_loss + (e * e).sum() * (i + 1)
    loss.backward()
    expected_loss.backward()
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=tol, atol=tol)
    if with_states:
        for mine, reference in zip(
            s_ours if kind == "LSTM" else (s_ours,), s_theirs if kind == "LSTM" else (s_theirs,)
        ):
            np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=tol, atol=tol)
    grads = {n: p.grad.numpy() for n, p in theirs.named_parameters()}
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, grads[name], rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("kind", list(PAIRS))
def test_cells_match_pytorch(kind):
    ours = getattr(nn, f"{kind}Cell")(3, 4).double()
    theirs = getattr(torch.nn, f"{kind}Cell")(3, 4).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((5, 3))
    out, expected = ours(Tensor(x)), theirs(torch.tensor(x))
    if kind == "LSTM":
        out, expected = out[1], expected[1]
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10)

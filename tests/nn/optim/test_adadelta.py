"""optim.Adadelta: torch's trajectory, its state dict, and its argument checks."""

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
import chaingrad.optim as optim

CONFIGS = [{}, {"lr": 0.5, "rho": 0.8}, {"lr": 2.0, "eps": 1e-4, "weight_decay": 0.1}]


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), ()]
    return [
        (rng.standard_normal(s), rng.standard_normal(s), rng.uniform(0.5, 3, s)) for s in shapes
    ]


def _loss(params, problem, lib):
    total = 0.0
    for p, (_, target, curve) in zip(params, problem):
        total = total + ((p - lib.tensor(target)) ** 2 * lib.tensor(curve)).sum()
    return total


@pytest.mark.parametrize("options", CONFIGS)
def test_adadelta_follows_torch(options):
    torch = pytest.importorskip("torch")
    problem = _problem()
    ours = [nn.Parameter(np.array(start, dtype=np.float64)) for start, _, _ in problem]
    theirs = [torch.tensor(start, requires_grad=True) for start, _, _ in problem]
    opt_ours = optim.Adadelta(ours, **options)
    opt_theirs = torch.optim.Adadelta(theirs, **options)
    for _ in range(25):
        opt_ours.zero_grad()
        _loss(ours, problem, cg).backward()
        opt_ours.step()
        opt_theirs.zero_grad()
        _loss(theirs, problem, torch).backward()
        opt_theirs.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    state = opt_ours.state_dict()["state"][0]
    expected = opt_theirs.state_dict()["state"][0]
    assert state["step"] == int(expected["step"])
    np.testing.assert_allclose(state["acc_delta"], expected["acc_delta"].numpy(), rtol=1e-10)


def test_adadelta_one_step_by_hand():
    p = nn.Parameter(np.array([1.0]))
    opt = optim.Adadelta([p], lr=1.0, rho=0.9, eps=1e-6)
    (p * 0.5).sum().backward()  # g = 0.5
    opt.step()
    v = 0.1 * 0.25
    delta = np.sqrt(1e-6) / np.sqrt(v + 1e-6) * 0.5
    np.testing.assert_allclose(p.numpy(), [1.0 - delta], rtol=1e-12)


def test_adadelta_rejects_bad_options():
    p = nn.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="Adadelta: invalid rho"):
        optim.Adadelta([p], rho=1.5)
    with pytest.raises(ValueError, match="Adadelta: invalid lr"):
        optim.Adadelta([p], lr=-1.0)


def test_nn_utils_clip_grad_accepts_a_single_tensor_or_an_iterable():
    p = nn.Parameter(np.array([3.0, 4.0]))
    (p * cg.tensor([1.0, 1.0], dtype=cg.float64)).sum().backward()
    assert nn.utils.clip_grad_norm_(p, max_norm=1.0) == pytest.approx(np.sqrt(2.0))
    np.testing.assert_allclose(np.asarray(p.grad), [1 / np.sqrt(2)] * 2, rtol=1e-5)
    nn.utils.clip_grad_value_([p], 0.5)
    np.testing.assert_allclose(np.asarray(p.grad), [0.5, 0.5])
    assert nn.utils.clip_grad_norm_ is optim.clip_grad_norm_


def test_parameters_to_vector_round_trips():
    model = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (8,)
    nn.utils.vector_to_parameters(cg.zeros(8), model.parameters())
    assert not np.any(model.weight.numpy()) and not np.any(model.bias.numpy())
    with pytest.raises(ValueError, match="the vector has 3 elements, the parameters 8"):
        nn.utils.vector_to_parameters(cg.zeros(3), model.parameters())

"""Gaps closed by running new tutorial programs: gradchecks for the differentiable additions and
parity with torch for the rest (meshgrid, pad_sequence, distributions, counting, schedulers)."""

from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
from chaingrad.autograd import gradcheck
from chaingrad.distributions import Categorical, Normal
from chaingrad.nn.utils.rnn import pad_sequence

rng = np.random.default_rng(0)


def _t(*shape: int) -> cg.Tensor:
    return cg.tensor(rng.standard_normal(shape), requires_grad=True)  # float64


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_gradcheck(indexing: str) -> None:
    a, b, c = _t(3), _t(1), _t(4)
    assert gradcheck(
        lambda a, b, c: sum(
            g.sum() * (i + 1) for i, g in enumerate(cg.meshgrid(a, b, c, indexing=indexing))
        ),
        (a, b, c),
    )


@pytest.mark.parametrize("batch_first", [True, False])
def test_pad_sequence_gradcheck(batch_first: bool) -> None:
    a, b = _t(3, 2), _t(1, 2)
    w = cg.tensor(rng.standard_normal((2, 3, 2) if batch_first else (3, 2, 2)))
    assert gradcheck(lambda a, b: (pad_sequence([a, b], batch_first) * w).sum(), (a, b))


def test_pad_sequence_error_names_the_shapes() -> None:
    with pytest.raises(ValueError, match=r"pad_sequence: .*\(3, 2\).*\(1, 4\)"):
        pad_sequence([cg.zeros(3, 2), cg.zeros(1, 4)])


def test_categorical_log_prob_and_entropy_gradcheck() -> None:
    logits = _t(2, 4)
    value = cg.tensor([[3, 0], [1, 1], [2, 0]])  # (sample, batch): broadcast with batch (2,)
    assert gradcheck(lambda lg: Categorical(logits=lg).log_prob(value).sum(), (logits,))
    assert gradcheck(lambda lg: Categorical(logits=lg).entropy().sum(), (logits,))
    probs = cg.tensor(rng.random((2, 4)) + 0.1, requires_grad=True)
    assert gradcheck(lambda p: Categorical(probs=p).log_prob(value).sum(), (probs,))


def test_normal_gradcheck() -> None:
    loc, scale = _t(3), cg.tensor(rng.random(3) + 0.5, requires_grad=True)
    x = cg.tensor(rng.standard_normal((2, 3)))
    assert gradcheck(lambda m, s: Normal(m, s).log_prob(x).sum(), (loc, scale))
    assert gradcheck(lambda m, s: Normal(m, s).entropy().sum(), (loc, scale))


def test_categorical_samples_follow_probs() -> None:
    cg.manual_seed(0)
    d = Categorical(probs=cg.tensor([0.1, 0.6, 0.3]))
    s = d.sample((20000,))
    assert s.dtype == cg.int64 and s.shape == (20000,)
    np.testing.assert_allclose(
        np.bincount(s.numpy(), minlength=3) / 20000, [0.1, 0.6, 0.3], atol=0.02
    )


def test_distributions_match_torch() -> None:
    torch = pytest.importorskip("torch")
    logits = rng.standard_normal((3, 5))
    v = np.array([4, 0, 2])
    ours, theirs = (
        Categorical(logits=cg.tensor(logits)),
        torch.distributions.Categorical(logits=torch.tensor(logits)),
    )
    np.testing.assert_allclose(
        ours.log_prob(cg.tensor(v)).numpy(), theirs.log_prob(torch.tensor(v))
    )
    np.testing.assert_allclose(ours.entropy().numpy(), theirs.entropy())
    loc, scale, x = rng.standard_normal(4), rng.random(4) + 0.2, rng.standard_normal(4)
    n, tn = (
        Normal(cg.tensor(loc), cg.tensor(scale)),
        torch.distributions.Normal(torch.tensor(loc), torch.tensor(scale)),
    )
    np.testing.assert_allclose(n.log_prob(cg.tensor(x)).numpy(), tn.log_prob(torch.tensor(x)))
    np.testing.assert_allclose(n.entropy().numpy(), tn.entropy())


def test_counting_and_grids_match_torch() -> None:
    torch = pytest.importorskip("torch")
    ints = rng.integers(0, 6, 30)
    w = rng.random(30).astype(np.float32)
    np.testing.assert_array_equal(
        cg.bincount(cg.tensor(ints), minlength=8).numpy(),
        torch.bincount(torch.tensor(ints), minlength=8),
    )
    np.testing.assert_allclose(
        cg.bincount(cg.tensor(ints), weights=cg.tensor(w)).numpy(),
        torch.bincount(torch.tensor(ints), weights=torch.tensor(w)),
        rtol=1e-6,
    )
    x = rng.standard_normal(50).astype(np.float32)
    np.testing.assert_array_equal(
        cg.histc(cg.tensor(x), bins=7).numpy(), torch.histc(torch.tensor(x), bins=7)
    )
    np.testing.assert_array_equal(
        cg.histc(cg.tensor(x), bins=5, min=-1, max=1).numpy(),
        torch.histc(torch.tensor(x), bins=5, min=-1, max=1),
    )
    vals, inv, cnt = cg.unique(
        cg.tensor(ints.reshape(5, 6)), return_inverse=True, return_counts=True
    )
    tv, ti, tc = torch.unique(
        torch.tensor(ints.reshape(5, 6)), return_inverse=True, return_counts=True
    )
    for a, b in ((vals, tv), (inv, ti), (cnt, tc)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for indexing in ("ij", "xy"):
        ours = cg.meshgrid(cg.arange(3.0), cg.arange(2.0), cg.arange(4.0), indexing=indexing)
        theirs = torch.meshgrid(
            torch.arange(3.0), torch.arange(2.0), torch.arange(4.0), indexing=indexing
        )
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_errors_are_one_line() -> None:
    with pytest.raises(ValueError, match="bincount: needs a 1-D tensor of integers"):
        cg.bincount(cg.tensor([0.5, 1.0]))
    with pytest.raises(ValueError, match="Categorical: pass exactly one of"):
        Categorical()
    with pytest.raises(ValueError, match="OneCycleLR: pass total_steps"):
        cg.optim.lr_scheduler.OneCycleLR(cg.optim.SGD([nn.Parameter(cg.zeros(1))], lr=0.1), 1.0)


def test_size_keyword_randperm_backends_and_printoptions() -> None:
    assert cg.randn(size=(2, 3)).shape == (2, 3) and cg.zeros(size=(4,)).shape == (4,)
    assert sorted(cg.randperm(6).tolist()) == list(range(6))
    cg.backends.cudnn.deterministic = True
    assert cg.backends.cudnn.is_available() is False and cg.backends.mps.is_available() is False
    try:
        cg.set_printoptions(precision=2)
        assert repr(cg.tensor([1.23456])) == "tensor([1.23])"
    finally:
        cg.set_printoptions(profile="default")
    assert repr(cg.tensor([1.23456])) == "tensor([1.2346])"


def test_cross_entropy_module_ignore_index_and_weight_match_torch() -> None:
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((6, 4)).astype(np.float32)
    y = np.array([0, 1, 3, 0, 2, 0])
    w = np.array([1.0, 2.0, 0.5, 1.0], dtype=np.float32)
    ours = nn.CrossEntropyLoss(cg.tensor(w), ignore_index=0)(cg.tensor(x), cg.tensor(y))
    theirs = torch.nn.CrossEntropyLoss(torch.tensor(w), ignore_index=0)(
        torch.tensor(x), torch.tensor(y)
    )
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-5)


@pytest.mark.parametrize("cycle_opt", ["sgd", "adam"])
def test_onecycle_sets_momentum_like_torch(cycle_opt: str) -> None:
    torch = pytest.importorskip("torch")
    p, tp = nn.Parameter(cg.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    if cycle_opt == "sgd":
        o, to = cg.optim.SGD([p], lr=0.1, momentum=0.9), torch.optim.SGD([tp], lr=0.1, momentum=0.9)
    else:
        o, to = cg.optim.Adam([p], lr=0.1), torch.optim.Adam([tp], lr=0.1)
    s = cg.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=10, three_phase=True)
    ts = torch.optim.lr_scheduler.OneCycleLR(to, max_lr=1.0, total_steps=10, three_phase=True)
    key = "momentum" if cycle_opt == "sgd" else "betas"
    for _ in range(10):
        assert s.get_last_lr() == ts.get_last_lr()
        assert o.param_groups[0][key] == pytest.approx(to.param_groups[0][key])
        o.step()
        to.step()
        s.step()
        ts.step()


def test_relu_inplace_module_returns_the_result() -> None:
    x = cg.tensor([-1.0, 2.0])
    assert nn.ReLU(inplace=True)(x).tolist() == [0.0, 2.0]
    assert nn.Sequential(nn.Linear(2, 2), nn.ReLU(True))(cg.ones(1, 2)).shape == (1, 2)

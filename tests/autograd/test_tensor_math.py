"""The PyTorch-named long tail: Tensor methods over the ops, chaingrad.<op> functions, out=,
device=, %, // and bitwise operators, backward's keywords, NumPy functions on tensors."""

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
from chaingrad.autograd import gradcheck


def f64(*shape, seed=0, requires_grad=True):
    data = np.random.default_rng(seed).normal(size=shape)
    return cg.tensor(data, dtype=cg.float64, requires_grad=requires_grad)


def test_methods_take_dim_and_axis_and_reach_the_ops():
    x = f64(3, 4)
    values, indices = x.topk(2, dim=1)
    assert values.shape == (3, 2) and indices.dtype == cg.int64
    assert x.sort(axis=0, descending=True).values[0].tolist() == x.numpy().max(0).tolist()
    np.testing.assert_allclose(x.cumsum(dim=1).numpy(), np.cumsum(x.numpy(), 1))
    np.testing.assert_allclose(x.prod(dim=0, keepdim=True).numpy(), x.numpy().prod(0)[None])
    assert x.argmin(dim=1, keepdim=True).shape == (3, 1)
    assert [t.shape for t in x.chunk(2, dim=1)] == [(3, 2), (3, 2)]
    assert [t.shape for t in x.split(1, dim=0)] == [(1, 4)] * 3
    assert x.t().shape == (4, 3) and x.narrow(1, 1, 2).shape == (3, 2)
    assert len(x.unbind(1)) == 4 and x.unbind(1)[0].shape == (3,)
    with pytest.raises(TypeError, match="dim= or axis=, not both"):
        x.cumsum(dim=0, axis=0)


def test_method_gradients():
    for fn in (
        lambda t: t.topk(2, dim=1).values,
        lambda t: t.sort(dim=0).values,
        lambda t: t.cumsum(dim=1),
        lambda t: t.gather(1, cg.tensor([[0], [2], [1]])),
        lambda t: t.masked_fill(t > 0.5, 0.0),
        lambda t: t.sin() * t.cos() + t.square(),
        lambda t: t.narrow(0, 1, 2).t(),
        lambda t: t.add(t, alpha=2).mul(3).div(2).pow(2).neg(),
    ):
        assert gradcheck(fn, (f64(3, 4),))


def test_chaingrad_functions_are_the_methods():
    x = f64(3, 4, requires_grad=False)
    assert cg.topk(x, 2, dim=1).indices.tolist() == x.topk(2, dim=1).indices.tolist()
    np.testing.assert_array_equal(cg.sin(x).numpy(), np.sin(x.numpy()))
    assert cg.allclose(cg.cumsum(x, dim=0), x.cumsum(0))
    assert cg.sin.__doc__ == cg.Tensor.sin.__doc__


def test_out_writes_into_the_given_tensor_and_refuses_a_graph():
    a = cg.ones(2, 3)
    out = cg.empty(2, 2)
    result = cg.matmul(a, a.T, out=out)
    assert result is out and out.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    resized = cg.zeros(1)
    cg.mul(a, 2, out=resized)  # PyTorch resizes out to the result's shape
    assert resized.shape == (2, 3)
    with pytest.raises(RuntimeError, match="out=: the result requires grad"):
        cg.add(f64(2), 1, out=cg.zeros(2))


def test_factories_take_device_and_only_the_cpu():
    assert cg.zeros(2, device="cpu").device == cg.device("cpu")
    assert cg.linspace(0, 1, 3, device=cg.device("cpu"), dtype=cg.float64).dtype == cg.float64
    with pytest.raises(RuntimeError, match="CPU only"):
        cg.randn(2, device="cuda")


def test_remainder_floor_divide_and_masks():
    a = cg.arange(7)
    assert (a % 3).tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert (a // 3).tolist() == [0, 0, 0, 1, 1, 1, 2]
    assert (-7 % cg.tensor(3)).item() == 2  # the divisor's sign, as Python and PyTorch
    mask = (a > 1) & ~(a > 4) | (a == 6)
    assert mask.tolist() == [False, False, True, True, True, False, True]
    assert gradcheck(lambda x, y: x % y, (f64(5) * 4, f64(5, seed=1).abs() + 1.0))
    with pytest.raises(TypeError, match="and: needs bool or integer tensors"):
        cg.ones(2) & cg.ones(2)


def test_backward_takes_pytorch_keywords():
    x = f64(3)
    y = x * 2
    y.backward(gradient=cg.ones(3), retain_graph=True)
    y.backward(cg.ones(3))  # the graph is kept: a second call works and accumulates
    assert x.grad.tolist() == [4.0, 4.0, 4.0]
    with pytest.raises(NotImplementedError, match="higher-order"):
        y.backward(cg.ones(3), create_graph=True)


def test_numpy_functions_compute_on_the_arrays():
    t = cg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert np.sum(t) == 10.0 and np.all(t > 0)
    assert isinstance(np.concatenate([t, t]), np.ndarray)
    np.testing.assert_allclose(np.mean(t, axis=0), [2.0, 3.0])


def test_buffers_are_tensors_and_modules_go_to_the_cpu():
    bn = nn.BatchNorm1d(3)
    assert isinstance(bn.running_mean, cg.Tensor) and not bn.running_mean.requires_grad
    bn(cg.randn(8, 3))
    assert bn.running_mean.norm().item() > 0  # updated in place by the forward pass
    assert isinstance(bn.state_dict()["running_mean"], np.ndarray)
    model = nn.Sequential(nn.Linear(2, 2), bn.__class__(2))
    assert model.to("cpu") is model and model.cpu() is model
    model.to(cg.float64)
    assert model[1].running_var.dtype == cg.float64 and model[0].weight.dtype == cg.float64
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to("cuda")


def test_type_new_and_misc():
    x = cg.ones(2, 2)
    assert x.type() == "chaingrad.FloatTensor" and x.type(cg.float64).dtype == cg.float64
    assert x.new_zeros(3).dtype == cg.float32 and x.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert x.nelement() == 4 and x.element_size() == 4
    assert cg.get_num_threads() >= 1


def test_grad_fn_walks_like_pytorchs():
    w = f64(3)
    x = cg.tensor([1.0, 2.0, 3.0], dtype=cg.float64)
    loss = ((w * x).sum() - 1.0) ** 2
    assert loss.grad_fn.name() == "PowBackward"
    (sub, _), (exponent, _) = loss.grad_fn.next_functions
    assert sub.name() == "SubBackward" and exponent is None
    (total, _), _ = sub.next_functions
    ((mul, _),) = total.next_functions
    (leaf, _), (constant, _) = mul.next_functions
    assert leaf.name() == "AccumulateGrad" and leaf.variable is w and constant is None
    assert w.grad_fn is None and repr(loss.grad_fn) == "<PowBackward object>"

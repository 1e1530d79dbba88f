"""The Tensor core as PyTorch has it: .data/.grad Tensors, 0-d storage, dtypes, methods,
in-place ops and the version counter (issue 12)."""

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.autograd import dtypes, gradcheck, no_grad
from chaingrad.autograd.devices import cuda, device
from chaingrad.autograd.tensor import Tensor


def _leaf(*shape, seed=0):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# ---------------------------------------------------------------------------- data and grad
def test_data_is_a_tensor_sharing_memory_that_records_nothing():
    p = _leaf(3)
    d = p.data
    assert isinstance(d, Tensor) and not d.requires_grad
    assert np.shares_memory(d.numpy(), p.numpy())
    p.data = Tensor(np.zeros((2, 2)))  # new storage, new shape, as PyTorch allows
    assert p.shape == (2, 2) and p.requires_grad


def test_grad_is_a_tensor_that_accumulates_in_place():
    p = _leaf(3)
    (p * 2).sum().backward()
    held = p.grad
    assert isinstance(held, Tensor) and held.dtype == p.dtype and held.shape == p.shape
    (p * 2).sum().backward()
    assert p.grad is held
    np.testing.assert_allclose(held.numpy(), [4.0, 4.0, 4.0])
    p.grad.zero_()
    np.testing.assert_allclose(p.grad.numpy(), 0.0)
    p.grad.data.zero_()
    p.grad = None
    assert p.grad is None
    with pytest.raises(ValueError, match=r"grad: assigned grad has shape \(2,\)"):
        p.grad = np.ones(2)


def test_numpy_and_asarray_give_the_array_itself_even_with_grad():
    p = _leaf(2)
    assert p.numpy() is np.asarray(p)
    loss = (p * p).sum()
    assert type(np.asarray(loss)) is np.ndarray and np.asarray(loss).shape == ()


# ---------------------------------------------------------------------------- 0-d storage
OPS = {
    "add": lambda t: t + 1.0,
    "radd": lambda t: 2.0 * t,
    "sub": lambda t: t - 1.0,
    "div": lambda t: t / 2.0,
    "pow": lambda t: t**2,
    "neg": lambda t: -t,
    "exp": lambda t: t.exp(),
    "log": lambda t: t.abs().log(),
    "sqrt": lambda t: t.abs().sqrt(),
    "tanh": lambda t: t.tanh(),
    "sigmoid": lambda t: t.sigmoid(),
    "relu": lambda t: t.relu(),
    "leaky_relu": lambda t: t.leaky_relu(),
    "elu": lambda t: t.elu(),
    "selu": lambda t: t.selu(),
    "clip": lambda t: t.clip(-0.1, 0.1),
    "maximum": lambda t: t.maximum(0.0),
    "sum": lambda t: t.sum(),
    "mean": lambda t: t.mean(),
    "var": lambda t: t.var(),
    "max": lambda t: t.max(),
    "min": lambda t: t.min(),
    "argmax": lambda t: t.argmax(),
    "logsumexp": lambda t: t.logsumexp(),
    "reshape": lambda t: t.reshape(-1),
    "compare": lambda t: t > 0,
    "clone": lambda t: t.clone(),
    "to": lambda t: t.double(),
    "index": lambda t: t[...],
}


@pytest.mark.parametrize("shape", [(), (2, 3)])
@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("grad", [False, True])
def test_every_result_holds_an_ndarray(name, shape, grad):
    t = Tensor(np.full(shape, 0.5), requires_grad=grad)
    out = OPS[name](t)
    assert type(out.numpy()) is np.ndarray
    np.asarray(out * 2)


# ---------------------------------------------------------------------------- construction
def test_construction_follows_torch_tensor():
    assert cg.tensor(1.5).dtype == dtypes.float32 == np.float32
    assert cg.tensor([1, 2]).dtype == np.int64
    assert cg.tensor([True]).dtype == np.bool_
    assert cg.tensor([1, 2.0]).dtype == np.float32
    assert cg.tensor(np.arange(3, dtype=np.int16)).dtype == np.int16
    assert cg.tensor([Tensor(1.0), Tensor(2.0)]).shape == (2,)
    assert cg.tensor([1, 2], dtype="float64").dtype == np.float64
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        cg.tensor([1, 2], requires_grad=True)


def test_arithmetic_dtypes():
    f = cg.tensor([1.0, 2.0])
    assert (f * 2).dtype == np.float32 and (f + 0.5).dtype == np.float32
    assert (cg.tensor([1, 2]) * 0.5).dtype == np.float32
    assert (f + Tensor(np.ones(2))).dtype == np.float64


# ---------------------------------------------------------------------------- methods
def test_dim_and_axis_aliases():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(x.sum(dim=1, keepdim=True).numpy(), [[3.0], [12.0]])
    np.testing.assert_allclose(x.sum(axis=1, keepdims=True).numpy(), [[3.0], [12.0]])
    assert x.flatten(start_dim=0).shape == (6,) and x.flatten(start_axis=0).shape == (6,)
    assert x.unsqueeze(dim=0).shape == (1, 2, 3) and x.squeeze(axis=0).shape == (2, 3)
    assert x.softmax(dim=0).shape == (2, 3)
    with pytest.raises(TypeError, match="give dim= or axis=, not both"):
        x.sum(dim=0, axis=0)


def test_var_defaults():
    x = Tensor(np.array([1.0, 2.0, 3.0, 4.0]))
    assert x.var().item() == pytest.approx(1.25)  # the contract's ddof=0
    assert x.var(dim=0).item() == pytest.approx(5 / 3)  # a PyTorch keyword: correction=1
    assert x.var(unbiased=False).item() == pytest.approx(1.25)
    assert x.var(correction=0).item() == pytest.approx(1.25)
    assert x.std(dim=0).item() == pytest.approx(np.sqrt(5 / 3))


def test_max_forms():
    x = Tensor(np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 0.0]]), requires_grad=True)
    values, indices = x.max(1)
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    _, pred = x.max(dim=1)
    np.testing.assert_array_equal(pred.numpy(), [1, 0])
    values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])  # to the index only
    x.grad = None
    x.max(axis=1).sum().backward()  # NumPy spelling: values, ties share
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1, 0, 0]])
    assert x.max().item() == 7.0
    np.testing.assert_allclose(x.max(Tensor(np.full((2, 3), 3.0))).numpy()[0], [3, 5, 5])
    assert gradcheck(lambda t: t.max(0).values, _leaf(4, 3))
    assert gradcheck(lambda t: t.min(-1, keepdim=True).values, _leaf(2, 5))


def test_max_dim_matches_torch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(3).standard_normal((4, 5))
    ours, theirs = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    v, i = ours.max(1)
    tv, ti = theirs.max(1)
    np.testing.assert_allclose(v.numpy(), tv.detach().numpy())
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    (v * Tensor(np.arange(4.0))).sum().backward()
    (tv * torch.arange(4.0, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


def test_small_methods():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.size() == (2, 3) and x.size(-1) == 3 and x.numel() == 6 and x.dim() == 2
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert x.view(3, -1).shape == (3, 2) and x.view((6,)).shape == (6,)
    assert x.view_as(Tensor(np.zeros((3, 2)))).shape == (3, 2)
    assert Tensor(np.ones(3)).expand_as(x).shape == (2, 3)
    assert gradcheck(lambda t: t.expand(4, -1) * 2, _leaf(1, 3))
    assert x.float().dtype == np.float32 and x.long().dtype == np.int64
    assert x.to("cpu") is x and x.cpu() is x and x.device == device("cpu")
    assert x.to(dtypes.float32).dtype == np.float32 and x.type_as(Tensor([1])).dtype == np.int64
    with pytest.raises(RuntimeError, match="chaingrad runs on the CPU only"):
        x.to("cuda")
    assert not cuda.is_available() and cuda.device_count() == 0
    assert x.eq(x).numpy().all() and not x.ne(x).numpy().any()
    assert x.mT.shape == (3, 2)
    assert [0, 1, 2][Tensor(np.array(1))] == 1
    assert int(Tensor(3)) == 3 and float(Tensor(2.5)) == 2.5
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert gradcheck(lambda t: t.clone() * 2, _leaf(2, 3))
    c = x.clone()
    assert not np.shares_memory(c.numpy(), x.numpy())


# ---------------------------------------------------------------------------- in-place
def test_sgd_step_under_no_grad_updates_the_parameter_object():
    p = _leaf(3)
    before = p.numpy().copy()
    (p * p).sum().backward()
    same = p
    with no_grad():
        p -= 0.1 * p.grad
    assert p is same and p.requires_grad and p.is_leaf
    np.testing.assert_allclose(p.numpy(), before - 0.1 * 2 * before)


def test_in_place_on_a_leaf_that_requires_grad_needs_no_grad():
    p = _leaf(3)
    with pytest.raises(
        RuntimeError, match="a leaf tensor that requires grad is used in an in-place"
    ):
        p.add_(1)
    with pytest.raises(RuntimeError, match="in-place"):
        p[0] = 1.0
    with no_grad():
        p.add_(1).mul_(2).clamp_(max=100.0).zero_()
    np.testing.assert_allclose(p.numpy(), 0.0)


def test_in_place_on_plain_tensors_changes_memory():
    t = Tensor(np.zeros(3))
    alias = t.numpy()
    t += 1
    t[1] = 5.0
    t.fill_(t.numpy() * 2)
    np.testing.assert_allclose(alias, [2.0, 10.0, 2.0])
    t.normal_(generator=cg.autograd.random.Generator().manual_seed(0))
    t.uniform_(0, 1)
    assert ((alias >= 0) & (alias < 1)).all()
    with pytest.raises(TypeError, match="add_"):
        Tensor([1, 2]).add_(0.5)


def test_setitem_in_a_graph_is_recorded():
    def build(x, y):
        z = x * 1.0
        z[0] = y * 3
        return z

    assert gradcheck(build, _leaf(3, 2), _leaf(2, seed=1))
    x = Tensor(np.zeros(3))
    y = _leaf(1)
    x[1:2] = y  # a constant tensor becomes part of the graph
    x.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [1.0])


def test_recorded_in_place_matches_torch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(5).standard_normal(4)
    a, ta = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    w, tw = (
        Tensor(data[::-1].copy(), requires_grad=True),
        torch.tensor(data[::-1].copy(), requires_grad=True),
    )
    h = a * 2
    h.mul_(w)
    h += 1
    (h * h).sum().backward()
    th = ta * 2
    th.mul_(tw)
    th += 1
    (th * th).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


def test_a_change_after_use_makes_backward_refuse():
    x = _leaf(3)
    y = x.exp()
    with no_grad():
        y.add_(1)
    with pytest.raises(
        RuntimeError, match="modified by an in-place operation after it was used by exp"
    ):
        y.sum().backward()
    w = _leaf(3, seed=2)
    loss = (x * w).sum()
    with no_grad():
        w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()
    z = x + 1
    with no_grad():
        z.add_(1)  # add saves nothing: backward stays correct
    z.sum().backward()


def test_in_place_on_a_used_tensor_keeps_earlier_uses_on_the_old_value():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).normal(size=(4, 3))

    def run(lib, leaf):
        x = leaf(data)
        h = x * 2
        before = h.sum()  # uses h's value before the change
        h.add_(x)  # recorded: h is now 3x
        rows = h[[0, 2]]  # an advanced-indexing copy, changed in place and written back
        rows -= 1
        h[[0, 2]] = rows
        after = (h * h).sum()
        (before + after).backward()
        return x.grad

    ours = run(None, lambda d: Tensor(d, requires_grad=True))
    theirs = run(torch, lambda d: torch.tensor(d, requires_grad=True))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_a_tensor_used_by_many_graphs_keeps_only_its_live_uses():
    # a weight is used once per training step: the graphs that are gone leave nothing behind
    w = Tensor(np.ones(3), requires_grad=True)
    for _ in range(1000):
        (w * 2).sum().backward()
    assert len(w._consumers) <= 2
    # uses still alive survive the pruning: an in-place change after 37 live uses keeps
    # every one of them on the old value
    h = w * 1.0
    uses = [h * float(k) for k in range(37)]
    assert sum(r() is not None for r in h._consumers) == 37
    h.add_(w)
    w.grad = None
    sum(u.sum() for u in uses).backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full(3, sum(range(37))))


def test_in_place_on_a_used_tensor_whose_array_was_saved_is_refused_at_backward():
    x = _leaf(3)
    h = x * 2
    loss = (h * h).sum()  # mul keeps h's array for its backward
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_backward_grad_argument_forms():
    x = _leaf(2, 3)
    (x * 1).backward(Tensor(np.ones((2, 3))))
    (x * 1).backward(np.ones(3))
    (x * 1).backward(1.0)
    np.testing.assert_allclose(x.grad.numpy(), 3.0)
    assert Tensor(np.ones(2)).is_leaf and not (x * 2).is_leaf

"""The ops PyTorch lessons use: gradchecks in float64 on random shapes, then parity with torch."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaingrad.autograd import Tensor, gradcheck, no_grad
from chaingrad.autograd.ops import elementwise as E
from chaingrad.autograd.ops import indexing as I
from chaingrad.autograd.ops import linalg as L
from chaingrad.autograd.ops import reductions as R
from chaingrad.autograd.ops import shapes as S
from tests.autograd.tensor_strategies import axes_for, leaf, nonscalar_shapes, seeds, shapes

fast = settings(max_examples=12, deadline=None)

UNARY = {
    "sin": (E.sin, {}),
    "cos": (E.cos, {}),
    "log1p": (E.log1p, {"low": 0.0}),
    "expm1": (E.expm1, {}),
    "square": (E.square, {}),
    "reciprocal": (E.reciprocal, {"away_from_zero": True}),
    "rsqrt": (E.rsqrt, {"low": 0.2}),
    "softplus": (E.softplus, {}),
    "softplus beta 2 threshold 1": (lambda x: E.softplus(x, beta=2.0, threshold=1.0), {}),
    "gelu": (E.gelu, {}),
    "gelu tanh": (lambda x: E.gelu(x, approximate="tanh"), {}),
    "silu": (E.silu, {}),
    "hardtanh": (lambda x: E.hardtanh(x, -0.7, 0.9), {}),
    "log_sigmoid": (E.log_sigmoid, {}),
}


@pytest.mark.parametrize("name", list(UNARY))
@fast
@given(shape=shapes, seed=seeds)
def test_unary_gradients(name, shape, seed):
    fn, data = UNARY[name]
    assert gradcheck(fn, leaf(shape, seed, **data))


@pytest.mark.parametrize("op", [E.sign, E.floor, E.ceil, E.round, E.trunc])
def test_piecewise_constant_ops_have_zero_gradient_like_torch(op):
    x = Tensor(np.array([-1.5, -0.5, 0.0, 0.5, 1.5, 2.5]), requires_grad=True)
    y = op(x)
    assert np.array_equal(y.numpy(), getattr(np, op.__name__)(x.numpy()))
    y.backward(np.ones(6))
    assert np.array_equal(x.grad, np.zeros(6))


def test_predicates_are_bool_tensors_outside_the_graph():
    x = Tensor(np.array([0.0, np.nan, np.inf, -np.inf, 2.0]), requires_grad=True)
    for op, expect in [
        (E.isnan, [0, 1, 0, 0, 0]),
        (E.isinf, [0, 0, 1, 1, 0]),
        (E.isfinite, [1, 0, 0, 0, 1]),
        (E.logical_not, [1, 0, 0, 0, 0]),
    ]:
        out = op(x)
        assert out.dtype == bool and not out.requires_grad
        assert out.numpy().tolist() == [bool(v) for v in expect]
    both = E.logical_and(np.array([[1, 0, 1]]), np.array([[1], [0]]))
    assert both.numpy().tolist() == [[True, False, True], [False, False, False]]
    assert E.logical_or([0.0, 0.0, 2.0], [0.0, 1.0, 0.0]).numpy().tolist() == [False, True, True]
    with pytest.raises(ValueError, match=r"logical_and: shapes \(2,\) and \(3,\)"):
        E.logical_and(np.ones(2), np.ones(3))


def test_float32_stays_float32():
    x = Tensor(np.linspace(-3, 3, 7, dtype=np.float32), requires_grad=True)
    for op in [E.sin, E.gelu, E.silu, E.softplus, E.log_sigmoid, E.rsqrt, E.hardtanh]:
        assert op(x).dtype == np.float32, op.__name__
    assert E.reciprocal(np.array([1, 2, 4])).dtype == np.float32


def test_softplus_and_log_sigmoid_are_stable_for_large_inputs():
    x = Tensor(np.array([-1e4, -50.0, 0.0, 50.0, 1e4]), requires_grad=True)
    assert np.allclose(E.softplus(x).numpy(), [0.0, math.exp(-50), math.log(2), 50.0, 1e4])
    ls = E.log_sigmoid(x)
    assert np.allclose(ls.numpy(), [-1e4, -50.0, -math.log(2), -math.exp(-50), 0.0])
    ls.backward(np.ones(5))
    assert np.all(np.isfinite(x.grad))
    with pytest.raises(ValueError, match="gelu: approximate"):
        E.gelu(x, approximate="fast")


# ---------------------------------------------------------------------------- reductions
@fast
@given(data=st.data(), shape=shapes, seed=seeds)
def test_reduction_gradients(data, shape, seed):
    axis = data.draw(axes_for(len(shape)))
    keepdims = data.draw(st.booleans())
    x = leaf(shape, seed)
    assert gradcheck(lambda t: R.prod(t, axis, keepdims), x)
    assert gradcheck(lambda t: R.std(t, axis, keepdims), x)
    assert gradcheck(lambda t: R.amax(t, axis, keepdims), x)
    assert gradcheck(lambda t: R.amin(t, axis, keepdims), x)
    away = leaf(shape, seed, away_from_zero=True)
    for p in (1, 2, 3.5, math.inf, -math.inf):
        assert gradcheck(lambda t, p=p: R.norm(t, p, axis, keepdims), away)


@fast
@given(data=st.data(), shape=nonscalar_shapes, seed=seeds)
def test_along_axis_gradients(data, shape, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdims = data.draw(st.booleans())
    x = leaf(shape, seed)
    assert gradcheck(lambda t: R.max_along(t, axis, keepdims)[0], x)
    assert gradcheck(lambda t: R.min_along(t, axis, keepdims)[0], x)
    assert gradcheck(lambda t: R.cumsum(t, axis), x)
    assert gradcheck(lambda t: R.cumprod(t, axis), x)
    _, index = R.max_along(x, axis, keepdims)
    assert index.dtype == np.int64 and not index.requires_grad
    assert np.array_equal(index.numpy(), np.argmax(x.numpy(), axis=axis, keepdims=keepdims))


@pytest.mark.parametrize(
    "data",
    [[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 3.0, 4.0], [0.0, 5.0, 0.0, 0.0], [1.5, -2.0, 3.0, 0.5]],
)
def test_prod_and_cumprod_gradients_with_zeros(data):
    x = Tensor(np.array(data), requires_grad=True)
    R.prod(x).backward()
    others = [math.prod(data[:i] + data[i + 1 :]) for i in range(4)]
    assert np.allclose(x.grad, others)  # ∂/∂xᵢ Π x = the product of the others, zeros or not
    two = Tensor(np.array([data, data[::-1]]), requires_grad=True)
    assert gradcheck(lambda t: R.prod(t, axis=1), two)
    assert gradcheck(lambda t: R.cumprod(t, 0), Tensor(np.array(data), requires_grad=True))
    assert gradcheck(
        lambda t: R.cumprod(t, -1), Tensor(np.array([data, data[::-1]]), requires_grad=True)
    )


def test_argmin_argmax_keepdims_all_any():
    x = np.array([[3.0, 1.0, 1.0], [0.0, 5.0, 5.0]])
    assert R.argmin(x).item() == 3
    assert R.argmin(x, axis=1).numpy().tolist() == [1, 0]
    assert R.argmin(x, axis=-1, keepdims=True).shape == (2, 1)
    assert R.argmin(x, keepdims=True).shape == (1, 1)
    assert R.argmax_keepdims(x, 1, keepdims=True).numpy().tolist() == [[0], [1]]
    assert R.argmin(x).dtype == np.int64
    assert R.all(x).item() is False and R.any(x).item() is True
    assert R.all(x, axis=0).numpy().tolist() == [False, True, True]
    assert R.any(np.zeros((2, 3)), axis=-1, keepdims=True).shape == (2, 1)
    with pytest.raises(ValueError, match=r"argmin: cannot take the argmin of an empty"):
        R.argmin(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="argmin: axis 2 is out of range"):
        R.argmin(x, 2)


def test_norm_gradient_is_zero_at_the_zero_vector():
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    R.norm(x, axis=1).backward(np.ones(2))
    assert np.array_equal(x.grad, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="norm: p must be"):
        R.norm(x, p=0.5)
    assert R.norm(np.array([3.0, 4.0]), "fro").item() == 5.0


def test_std_ddof_and_cumsum_needs_an_axis():
    x = leaf((3, 4), 0)
    assert gradcheck(lambda t: R.std(t, 0, ddof=1), x)
    with pytest.raises(TypeError, match="cumsum: give the axis"):
        R.cumsum(x, None)
    with pytest.raises(ValueError, match=r"max: cannot reduce an empty tensor of shape \(2, 0\)"):
        R.max_along(np.zeros((2, 0)), 1)


# ---------------------------------------------------------------------------- shapes
@fast
@given(data=st.data(), shape=nonscalar_shapes, seed=seeds)
def test_shape_gradients(data, shape, seed):
    x = leaf(shape, seed)
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1))
    # expand: stretch every size-1 axis to 3, add a leading axis, keep the others with -1
    sizes = (2, *[3 if n == 1 else -1 for n in shape])
    assert S.expand(x, *sizes).shape == (2, *[3 if n == 1 else n for n in shape])
    assert gradcheck(lambda t: S.expand(t, *sizes), x)
    reps = tuple(data.draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim + 1)))
    assert gradcheck(lambda t: S.repeat(t, *reps), x)
    assert gradcheck(lambda t: S.flip(t, axis), x)
    assert gradcheck(lambda t: S.flip(t, tuple(range(ndim))), x)
    assert gradcheck(lambda t: S.roll(t, 2, axis), x)
    assert gradcheck(lambda t: S.roll(t, -1), x)
    assert gradcheck(lambda t: S.movedim(t, axis, 0), x)
    size = data.draw(st.integers(1, 3))
    pieces = S.split(x, size, axis)
    assert sum(p.shape[axis] for p in pieces) == shape[axis]
    assert gradcheck(
        lambda t: S.concatenate([p * (i + 1) for i, p in enumerate(S.split(t, size, axis))], axis),
        x,
    )
    assert gradcheck(lambda t: S.chunk(t, 2, axis)[-1], x)
    if ndim >= 2:
        diagonal = data.draw(st.integers(-2, 2))
        assert gradcheck(lambda t: S.tril(t, diagonal), x)
        assert gradcheck(lambda t: S.triu(t, diagonal), x)


def test_shape_errors_name_the_op_and_shapes():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"expand: shape \(2, 3\) cannot be expanded to \(4, 3\)"):
        S.expand(x, 4, 3)
    with pytest.raises(ValueError, match=r"expand: shape \(2, 3\) cannot be expanded to \(-1,"):
        S.expand(x, -1, 2, 3)
    with pytest.raises(ValueError, match=r"repeat: 1 repeat counts \(2,\)"):
        S.repeat(x, 2)
    with pytest.raises(ValueError, match=r"split: sizes \[1, 1\] do not add up to 3"):
        S.split(x, [1, 1], 1)
    with pytest.raises(ValueError, match=r"tril: needs a tensor with at least 2 axes"):
        S.tril(np.zeros(3))
    with pytest.raises(ValueError, match="roll: shifts"):
        S.roll(x, (1, 2), 0)


# ---------------------------------------------------------------------------- indexing
@fast
@given(data=st.data(), shape=nonscalar_shapes, seed=seeds)
def test_indexing_gradients(data, shape, seed):
    x = leaf(shape, seed)
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1))
    rng = np.random.default_rng(seed)
    n = shape[axis]
    # gather: an index no larger than x off the axis, repeats allowed (the gradient adds up)
    index_shape = tuple(
        rng.integers(1, 4) if d == axis % ndim else rng.integers(1, s + 1)
        for d, s in enumerate(shape)
    )
    index = rng.integers(0, n, size=index_shape)
    out = I.gather(x, axis, index)
    assert out.shape == index_shape
    assert gradcheck(lambda t: I.gather(t, axis, index), x)
    rows = rng.integers(0, n, size=5)
    assert gradcheck(lambda t: I.index_select(t, axis, rows), x)
    along = np.argsort(x.numpy(), axis=axis)[..., ::-1] if axis % ndim == ndim - 1 else None
    if along is not None:
        assert gradcheck(lambda t: I.take_along_axis(t, along, axis), x)
    mask = rng.random(shape[-1:]) < 0.5  # broadcast over the leading axes
    assert gradcheck(lambda t: I.masked_fill(t, mask, -3.0), x)
    value = Tensor(np.array(0.25), requires_grad=True)
    assert gradcheck(lambda t, v: I.masked_fill(t, mask, v), x, value)


def test_gather_and_index_select_add_repeated_gradients():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = I.gather(x, 1, np.array([[0, 0], [2, 1]]))
    assert out.numpy().tolist() == [[0.0, 0.0], [5.0, 4.0]]
    out.backward(np.ones((2, 2)))
    assert x.grad.tolist() == [[2.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    x.grad = None
    I.index_select(x, -1, [2, 2, 0]).backward(np.ones((2, 3)))
    assert x.grad.tolist() == [[1.0, 0.0, 2.0], [1.0, 0.0, 2.0]]
    with pytest.raises(IndexError, match="gather: index 3 is out of range for axis 1 of size 3"):
        I.gather(x, 1, np.array([[3]]))
    with pytest.raises(ValueError, match=r"gather: index has 1 axes and the input 2"):
        I.gather(x, 1, np.array([0]))
    with pytest.raises(TypeError, match="index_select: the index must hold integers"):
        I.index_select(x, 0, np.array([0.0]))
    with pytest.raises(ValueError, match=r"masked_fill: mask of shape \(2,\) cannot be broadcast"):
        I.masked_fill(x, np.array([True, False]), 0.0)


def test_masked_fill_makes_attention_masks():
    scores = Tensor(np.ones((3, 3), dtype=np.float32), requires_grad=True)
    causal = S.triu(np.ones((3, 3)), 1) == 1
    masked = I.masked_fill(scores, causal, -np.inf)
    assert masked.dtype == np.float32
    assert np.array_equal(np.isinf(masked.numpy()), np.triu(np.ones((3, 3)), 1) == 1)
    masked.backward(np.ones((3, 3), dtype=np.float32))
    assert scores.grad.tolist() == np.tril(np.ones((3, 3))).tolist()


# ---------------------------------------------------------------------------- linalg
def test_linalg_gradients_and_checks():
    a, b = leaf((3,), 1), leaf((4,), 2)
    assert gradcheck(L.outer, a, b)
    assert gradcheck(L.dot, a, leaf((3,), 3))
    assert gradcheck(L.mm, leaf((2, 3), 4), leaf((3, 5), 5))
    assert gradcheck(L.bmm, leaf((2, 1, 3), 6), leaf((2, 3, 4), 7))
    with pytest.raises(ValueError, match=r"dot: needs two 1-D tensors of one length"):
        L.dot(a, b)
    with pytest.raises(ValueError, match=r"outer: needs two 1-D tensors, got shapes \(3, 1\)"):
        L.outer(np.zeros((3, 1)), b)
    with pytest.raises(ValueError, match=r"mm: \(2, 3\) @ \(2, 3\): inner dimensions 3 and 2"):
        L.mm(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="bmm: batch sizes 2 and 3 differ"):
        L.bmm(np.zeros((2, 1, 3)), np.zeros((3, 3, 1)))
    with pytest.raises(ValueError, match="mm: needs two 2-D tensors"):
        L.mm(np.zeros(3), np.zeros((3, 2)))


def test_no_grad_records_nothing():
    x = leaf((2, 3), 0)
    with no_grad():
        for out in [R.prod(x), S.repeat(x, 2, 1), I.gather(x, 0, np.zeros((1, 3), int)), E.gelu(x)]:
            assert not out.requires_grad and out.is_leaf


@pytest.mark.parametrize(
    "spec, shapes",
    [
        ("bij,bjk->bik", [(2, 3, 4), (2, 4, 1)]),
        ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),
        ("i,j->ij", [(3,), (4,)]),
        ("ij->", [(3, 4)]),
        ("ij,jk", [(2, 3), (3, 4)]),
        ("ij,k->i", [(2, 3), (4,)]),  # j and k are summed in one operand only
        ("ij->ji", [(3, 1)]),
    ],
)
def test_einsum_gradients(spec, shapes):
    inputs = [leaf(s, i) for i, s in enumerate(shapes)]
    assert np.allclose(
        L.einsum(spec, *inputs).numpy(), np.einsum(spec, *[t.numpy() for t in inputs])
    )
    assert gradcheck(lambda *ts: L.einsum(spec, *ts), *inputs)


def test_einsum_errors():
    with pytest.raises(ValueError, match=r"einsum: term 'ii' does not fit"):
        L.einsum("ii->i", np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"einsum: 'j' has sizes 3 and 2"):
        L.einsum("ij,jk->ik", np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"einsum: '\.\.\.' is not supported"):
        L.einsum("...ij->...ji", np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"einsum: output 'iz' must name"):
        L.einsum("ij->iz", np.zeros((2, 2)))

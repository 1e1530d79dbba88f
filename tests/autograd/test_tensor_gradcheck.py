"""Every differentiable Tensor op against central differences in float64, on random shapes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaingrad.autograd import Tensor, concatenate, gradcheck, stack, where
from tests.autograd.tensor_strategies import (
    axes_for,
    broadcast_pairs,
    leaf,
    nonscalar_shapes,
    seeds,
    shapes,
)

fast = settings(max_examples=12, deadline=None)

UNARY = {
    "neg": (lambda x: -x, {}),
    "exp": (lambda x: x.exp(), {}),
    "log": (lambda x: x.log(), {"low": 0.2}),
    "sqrt": (lambda x: x.sqrt(), {"low": 0.2}),
    "abs": (lambda x: x.abs(), {"away_from_zero": True}),
    "tanh": (lambda x: x.tanh(), {}),
    "sigmoid": (lambda x: x.sigmoid(), {}),
    "relu": (lambda x: x.relu(), {"away_from_zero": True}),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), {"away_from_zero": True}),
    "elu": (lambda x: x.elu(0.7), {"away_from_zero": True}),
    "selu": (lambda x: x.selu(), {"away_from_zero": True}),
    "clip": (lambda x: x.clip(-0.25, 0.25), {"away_from_zero": True}),
    "clip lo only": (lambda x: x.clip(lo=0.0), {"away_from_zero": True}),
    "square": (lambda x: x**2, {}),
    "cube": (lambda x: x**3, {}),
    "power 1.5": (lambda x: x**1.5, {"low": 0.2}),
    "reciprocal": (lambda x: 1.0 / x, {"away_from_zero": True}),
    "rpow": (lambda x: 2.0**x, {}),
    "number ops": (lambda x: 3.0 - (2.0 * x + 1.0) / 4.0, {}),
    "softmax": (lambda x: x.softmax(), {}),
    "log_softmax": (lambda x: x.log_softmax(), {}),
    "T": (lambda x: x.T, {}),
    "flatten": (lambda x: x.flatten(), {}),
    "squeeze": (lambda x: x.squeeze(), {}),
    "unsqueeze -1": (lambda x: x.unsqueeze(-1), {}),
    "unsqueeze 0": (lambda x: x.unsqueeze(0), {}),
    "to float32 and back": (lambda x: (x.to(np.float32) * 2).to(np.float64), {}),
}


@pytest.mark.parametrize("name", list(UNARY))
@fast
@given(shape=shapes, seed=seeds)
def test_unary_ops(name, shape, seed):
    fn, data = UNARY[name]
    if name in ("softmax", "log_softmax") and len(shape) == 0:
        shape = (3,)
    if name == "to float32 and back":  # float32 steps need a coarser tolerance
        assert gradcheck(fn, leaf(shape, seed, **data), eps=1e-3, atol=1e-3, rtol=1e-2)
        return
    assert gradcheck(fn, leaf(shape, seed, **data))


BINARY = {
    "add": (lambda a, b: a + b, {}, {}),
    "sub": (lambda a, b: a - b, {}, {}),
    "mul": (lambda a, b: a * b, {}, {}),
    "div": (lambda a, b: a / b, {}, {"away_from_zero": True}),
    "pow": (lambda a, b: a**b, {"low": 0.3}, {}),
    "maximum": (lambda a, b: a.maximum(b), {}, {}),
    "minimum": (lambda a, b: a.minimum(b), {}, {}),
    "where": (lambda a, b: where(a.numpy() > 0, a, b), {}, {}),
    "composite": (lambda a, b: (a * b).tanh() + a.sigmoid() * b - a / (1.0 + b * b), {}, {}),
}


@pytest.mark.parametrize("name", list(BINARY))
@fast
@given(shapes_pair=broadcast_pairs, seed=seeds)
def test_binary_ops_with_broadcasting(name, shapes_pair, seed):
    fn, data_a, data_b = BINARY[name]
    shape_a, shape_b = shapes_pair.input_shapes
    a = leaf(shape_a, seed, **data_a)
    b = leaf(shape_b, seed + 1, **data_b)
    assert gradcheck(fn, a, b)


@fast
@given(shapes_pair=broadcast_pairs, seed=seeds)
def test_binary_ops_where_only_one_input_requires_grad(shapes_pair, seed):
    shape_a, shape_b = shapes_pair.input_shapes
    constant = Tensor(np.random.default_rng(seed).standard_normal(shape_b))
    assert gradcheck(lambda a: a * constant + constant / (1 + a * a), leaf(shape_a, seed))
    assert gradcheck(lambda b: constant - b**2, leaf(shape_a, seed))


REDUCTIONS = {
    "sum": lambda x, axis, keep: x.sum(axis=axis, keepdims=keep),
    "mean": lambda x, axis, keep: x.mean(axis=axis, keepdims=keep),
    "var": lambda x, axis, keep: x.var(axis=axis, keepdims=keep),
    "max": lambda x, axis, keep: x.max(axis=axis, keepdims=keep),
    "min": lambda x, axis, keep: x.min(axis=axis, keepdims=keep),
    "logsumexp": lambda x, axis, keep: x.logsumexp(axis=axis, keepdims=keep),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
@fast
@given(data=st.data(), shape=shapes, seed=seeds, keepdims=st.booleans())
def test_reductions_over_any_axes(name, data, shape, seed, keepdims):
    axis = data.draw(axes_for(len(shape)))
    fn = REDUCTIONS[name]
    assert gradcheck(lambda x: fn(x, axis, keepdims), leaf(shape, seed))


@fast
@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_unbiased_variance(shape, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    if shape[axis] < 2:
        shape = (*shape[: axis % len(shape)], 3, *shape[axis % len(shape) + 1 :])
    assert gradcheck(lambda x: x.var(axis=axis, ddof=1), leaf(shape, seed))


@pytest.mark.parametrize("fn_name", ["softmax", "log_softmax"])
@fast
@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_softmax_family_along_any_axis(fn_name, shape, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    assert gradcheck(lambda x: getattr(x, fn_name)(axis=axis), leaf(shape, seed))


MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 2)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((5, 1, 2, 3), (4, 3, 2)),
    ((3,), (4, 3, 2)),
    ((4, 2, 3), (3,)),
    ((3, 1), (1, 4)),  # an outer product (done as a broadcast multiply)
    ((2, 3, 1), (1, 4)),
    ((2, 3, 2, 3), (3, 4)),  # batch axes folded into rows: one product
    ((0, 2, 3), (3, 4)),
    ((2, 2, 0), (0, 4)),
]


@pytest.mark.parametrize("shape_a, shape_b", MATMUL_SHAPES)
def test_matmul_like_numpy_matmul(shape_a, shape_b):
    a, b = leaf(shape_a, 1), leaf(shape_b, 2)
    assert (a @ b).shape == np.matmul(a.numpy(), b.numpy()).shape
    assert gradcheck(lambda a, b: a @ b, a, b)
    np.testing.assert_allclose((a @ b).numpy(), np.matmul(a.numpy(), b.numpy()), rtol=1e-12)


def test_matmul_and_linear_fold_strided_batches_into_rows():
    """(B, n, k) @ (k, m) runs as one (B·n, k) product, also for a transposed (strided) input."""
    from chaingrad.nn.functional import linear

    a, w, bias = leaf((3, 4, 5), 3), leaf((2, 5), 4), leaf((2,), 5)
    expected = np.matmul(a.numpy().transpose(1, 0, 2), w.numpy().T) + bias.numpy()
    np.testing.assert_allclose(linear(a.transpose(0, 1), w, bias).numpy(), expected, rtol=1e-12)
    assert gradcheck(lambda a, w, bias: linear(a.transpose(0, 1), w, bias), a, w, bias)
    assert gradcheck(lambda a, w: a.transpose(0, 1) @ w.T, a, w)


@fast
@given(shape=nonscalar_shapes, seed=seeds, data=st.data())
def test_shape_ops(shape, seed, data):
    ndim = len(shape)
    x = leaf(shape, seed)
    order = data.draw(st.permutations(range(ndim)))
    a0, a1 = data.draw(st.integers(-ndim, ndim - 1)), data.draw(st.integers(-ndim, ndim - 1))
    assert gradcheck(lambda t: t.permute(*order), x)
    assert gradcheck(lambda t: t.transpose(a0, a1), x)
    assert gradcheck(lambda t: t.reshape(-1), x)
    assert gradcheck(lambda t: t.reshape((x.numel(), 1)), x)
    assert gradcheck(lambda t: t.flatten(start_axis=a0 if a0 % ndim <= a1 % ndim else a1), x)
    assert gradcheck(lambda t: t.squeeze(a0), x)
    widths = data.draw(
        st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=ndim, max_size=ndim)
    )
    assert gradcheck(lambda t: t.pad(tuple(widths)), x)


@fast
@given(shape=nonscalar_shapes, seed=seeds, data=st.data(), count=st.integers(1, 3))
def test_concatenate_and_stack(shape, seed, data, count):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=count, max_size=count))
    pieces = []
    for i, size in enumerate(sizes):
        piece_shape = list(shape)
        piece_shape[axis] = size
        pieces.append(leaf(tuple(piece_shape), seed + i))
    assert gradcheck(lambda *ts: concatenate(ts, axis=axis), *pieces)
    same = [leaf(shape, seed + i) for i in range(count)]
    new_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    assert gradcheck(lambda *ts: stack(ts, axis=new_axis), *same)


INDICES = {
    "int": lambda s: 1,
    "negative int": lambda s: -1,
    "slice": lambda s: slice(1, None),
    "step slice": lambda s: slice(None, None, 2),
    "none and ellipsis": lambda s: (None, Ellipsis, 0),
    "repeated integer array": lambda s: np.array([0, 2, 0, 0]),
    "integer list": lambda s: [2, 1, 2],
    "two integer arrays": lambda s: (np.array([0, 1, 0]), np.array([2, 2, 2])),
    "array and slice": lambda s: (slice(None), np.array([1, 1])),
    "boolean mask": lambda s: np.random.default_rng(0).random(s) > 0.4,
    "integer tensor": lambda s: Tensor(np.array([1, 0, 1])),
}


@pytest.mark.parametrize("name", list(INDICES))
def test_indexing_scatters_gradients_back(name):
    shape = (3, 4, 2)
    index = INDICES[name](shape)
    assert gradcheck(lambda t: t[index], leaf(shape, 7))


def test_where_with_numbers():
    x = leaf((3, 4), 3)
    assert gradcheck(lambda t: where(t.numpy() > 0, t, 0.0), x)
    assert gradcheck(lambda t: where(t.numpy() > 0, 1.0, t * t), x)

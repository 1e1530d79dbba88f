"""sort, argsort and topk: values, indices and gradients, against NumPy, gradcheck and torch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaingrad.autograd import Tensor, gradcheck
from chaingrad.autograd.ops.sorting import argsort, sort, topk
from tests.autograd.tensor_strategies import leaf, nonscalar_shapes, seeds

fast = settings(max_examples=15, deadline=None)


@fast
@given(data=st.data(), shape=nonscalar_shapes, seed=seeds)
def test_sort_and_topk_gradients(data, shape, seed):
    x = leaf(shape, seed)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    descending = data.draw(st.booleans())
    k = data.draw(st.integers(0, shape[axis]))
    values, index = sort(x, axis, descending)
    assert np.array_equal(values.numpy(), np.take_along_axis(x.numpy(), index.numpy(), axis))
    assert np.all(np.diff(values.numpy(), axis=axis) * (-1 if descending else 1) >= 0)
    assert np.array_equal(argsort(x, axis, descending).numpy(), index.numpy())
    assert gradcheck(lambda t: sort(t, axis, descending)[0], x)
    assert gradcheck(lambda t: topk(t, k, axis, largest=descending)[0], x)
    top, top_index = topk(x, k, axis, largest=descending)
    assert top.shape[axis] == k and top_index.dtype == np.int64
    assert np.array_equal(top.numpy(), np.take(values.numpy(), np.arange(k), axis=axis))


def test_ties_keep_the_original_order_in_both_directions():
    x = np.array([2.0, 1.0, 2.0, 1.0, 2.0])
    assert sort(x)[1].numpy().tolist() == [1, 3, 0, 2, 4]
    assert sort(x, descending=True)[1].numpy().tolist() == [0, 2, 4, 1, 3]
    assert topk(x, 2)[1].numpy().tolist() == [0, 2]
    assert topk(x, 2, largest=False)[1].numpy().tolist() == [1, 3]


def test_the_gradient_goes_back_to_the_source_positions():
    x = Tensor(np.array([[3.0, 1.0, 2.0]]), requires_grad=True)
    values, _ = topk(x, 2)
    values.backward(np.array([[10.0, 20.0]]))
    assert x.grad.tolist() == [[10.0, 0.0, 20.0]]


def test_zero_dimensional_and_bad_arguments():
    x = Tensor(np.array(3.0), requires_grad=True)
    values, index = sort(x)
    assert values.shape == () and index.item() == 0
    assert topk(x, 1)[0].item() == 3.0
    with pytest.raises(ValueError, match=r"topk: k = 4 is not in \[0, 3\]"):
        topk(np.zeros(3), 4)
    with pytest.raises(ValueError, match="sort: axis 1 is out of range"):
        sort(np.zeros(3), 1)


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("shape, axis", [((5,), 0), ((3, 7), -1), ((4, 3, 2), 1), ((2, 1, 6), -3)])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_torch(shape, axis, descending):
    rng = np.random.default_rng(7)
    data = rng.integers(0, 3, size=shape).astype(np.float64)  # many ties
    data.flat[0] = np.nan
    upstream = rng.standard_normal(shape)
    x = Tensor(data, requires_grad=True)
    values, index = sort(x, axis, descending)
    values.backward(upstream)
    t = torch.tensor(data, requires_grad=True)
    t_values, t_index = torch.sort(t, dim=axis, descending=descending, stable=True)
    t_values.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(values.numpy(), t_values.detach().numpy())
    np.testing.assert_array_equal(index.numpy(), t_index.numpy())
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
    np.testing.assert_array_equal(
        argsort(data, axis, descending).numpy(),
        torch.argsort(torch.tensor(data), dim=axis, descending=descending, stable=True).numpy(),
    )


@pytest.mark.parametrize("k, axis, largest", [(1, -1, True), (3, 1, False), (2, 0, True)])
def test_topk_matches_torch_on_distinct_values(k, axis, largest):
    rng = np.random.default_rng(3)
    data = rng.permutation(60).reshape(3, 4, 5).astype(np.float64)
    x = Tensor(data, requires_grad=True)
    values, index = topk(x, k, axis, largest)
    upstream = rng.standard_normal(values.shape)
    values.backward(upstream)
    t = torch.tensor(data, requires_grad=True)
    t_values, t_index = torch.topk(t, k, dim=axis, largest=largest)
    t_values.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(values.numpy(), t_values.detach().numpy())
    np.testing.assert_array_equal(index.numpy(), t_index.numpy())
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


def test_topk_values_match_torch_with_ties():
    # torch.topk orders tied elements by its own heap (indices differ); the values agree
    data = np.array([1.0] + [2.0] * 20 + [3.0, 2.0, 2.0])
    values, _ = topk(data, 5)
    np.testing.assert_array_equal(values.numpy(), torch.topk(torch.tensor(data), 5).values.numpy())

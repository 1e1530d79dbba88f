"""Tensor behaviour: construction and dtypes, backward semantics, grad modes, errors, memory."""

import gc
import tracemalloc

import numpy as np
import pytest

from chaingrad.autograd import (
    GradcheckError,
    Tensor,
    arange,
    concatenate,
    enable_grad,
    gradcheck,
    no_grad,
    ones,
    randn,
    stack,
    tensor,
    where,
    zeros,
)

# ---------------------------------------------------------------------------- construction


def test_python_data_follows_torch_tensor():
    assert Tensor([1, 2, 3]).dtype == np.int64  # Python ints: int64, as torch.tensor
    assert Tensor([1, 2.5]).dtype == np.float32  # mixed: the default float
    assert Tensor([True, False]).dtype == np.bool_
    assert Tensor(2.5).dtype == np.float32
    assert Tensor([[1.0, 2.0]]).shape == (1, 2)


def test_float_arrays_keep_their_dtype_and_share_memory():
    data = np.zeros(3)
    t = Tensor(data)
    assert t.dtype == np.float64
    assert np.shares_memory(t.numpy(), data)
    assert Tensor(np.zeros(3, np.float32)).dtype == np.float32


def test_integer_data_stays_integer_and_cannot_require_grad():
    assert Tensor(np.arange(3)).dtype == np.int64
    with pytest.raises(TypeError, match="only floating-point tensors can require grad, got int64"):
        Tensor(np.arange(3), requires_grad=True)


def test_dtype_argument_and_bad_data():
    assert Tensor([1, 2], dtype=np.int32).dtype == np.int32
    with pytest.raises(TypeError, match="cannot make a tensor from str"):
        Tensor("abc")
    with pytest.raises(TypeError, match="ragged or object"):
        Tensor(np.array([1, "a"], dtype=object))


def test_float32_ops_with_numbers_stay_float32():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = ((x * 2.5 + 1) / 3.0 - 0.5) ** 2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_float32_with_float64_promotes_and_grads_keep_their_dtype():
    a = Tensor(np.ones(2, np.float32), requires_grad=True)
    b = Tensor(np.ones(2, np.float64), requires_grad=True)
    out = a * b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_integers_meeting_floats_take_the_float_dtype_as_pytorch():
    assert (Tensor(np.arange(3)) * 0.5).dtype == np.float32
    assert (arange(3) * 0.5).dtype == np.float32
    assert (Tensor(np.arange(3, dtype=np.int32)) + 1).dtype == np.int32


def test_factories():
    assert zeros(2, 3).shape == (2, 3) and zeros((2, 3)).dtype == np.float32
    assert ones((4,)).numpy().sum() == 4
    np.testing.assert_array_equal(randn(3, seed=1).numpy(), randn(3, seed=1).numpy())
    assert randn(2, 2).dtype == np.float32
    assert arange(5).dtype == np.int64 and arange(0.0, 1.0, 0.25).dtype == np.float32
    np.testing.assert_array_equal(arange(2, 5).numpy(), [2, 3, 4])
    assert tensor([1.0], requires_grad=True).requires_grad
    assert zeros(3, requires_grad=True).requires_grad


def test_attributes_and_conversions():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="w")
    assert (t.shape, t.ndim, t.numel(), t.dtype) == ((2, 3), 2, 6, np.float64)
    assert t.is_leaf and not (t * 2).is_leaf
    assert len(t) == 2
    assert np.asarray(t) is t.numpy()
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert t.numpy() is t.numpy()
    assert Tensor([3.0]).item() == 3.0
    assert float(Tensor(2.0)) == 2.0
    assert [row.shape for row in t] == [(3,), (3,)]
    with pytest.raises(
        ValueError, match=r"item: needs a single-element tensor, got shape \(2, 3\)"
    ):
        t.item()
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(Tensor(1.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))


def test_repr():
    assert repr(Tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert (
        repr(Tensor([1.0], requires_grad=True, name="b"))
        == "tensor([1.], requires_grad=True, name='b')"
    )
    assert repr(Tensor(np.array([1, 2]))) == "tensor([1, 2])"  # int64 is PyTorch's default int
    assert repr(Tensor(np.array([1, 2], np.int32))) == "tensor([1, 2], dtype=chaingrad.int32)"
    assert "grad_fn=<MulBackward>" in repr(Tensor([1.0], requires_grad=True) * 2)


def test_ndarray_on_the_left_defers_to_the_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    out = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_comparisons_are_boolean_and_outside_the_graph():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2, 2 > x):
        assert result.dtype == bool and not result.requires_grad
    np.testing.assert_array_equal((x >= 2).numpy(), [False, True, True])
    assert {x: 1}[x] == 1  # tensors still hash by identity


# ---------------------------------------------------------------------------- backward


def test_backward_of_a_scalar_and_accumulation_across_calls():
    x = Tensor([1.0, -2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, -4.0])
    loss.backward()
    np.testing.assert_array_equal(x.grad, [4.0, -8.0])
    x.zero_grad()
    assert x.grad is None


def test_backward_of_a_non_scalar_needs_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match=r"the output has shape \(2,\); pass grad="):
        y.backward()
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 30.0])
    y.backward(Tensor([1.0, 1.0]))
    y.backward(2.0)  # a number broadcasts to the output
    np.testing.assert_array_equal(x.grad, [3.0 + 3 + 6, 30.0 + 3 + 6])
    with pytest.raises(
        ValueError, match=r"grad of shape \(3,\) cannot be broadcast to the output's shape \(2,\)"
    ):
        y.backward(np.ones(3))


def test_backward_without_a_graph_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_gradients_have_exactly_their_inputs_shapes():
    a = Tensor(np.ones((3, 1, 4)), requires_grad=True)
    b = Tensor(np.ones((5, 1)), requires_grad=True)
    c = Tensor(np.ones(()), requires_grad=True)
    ((a + b) * c).sum().backward()
    assert (a.grad.shape, b.grad.shape, c.grad.shape) == ((3, 1, 4), (5, 1), ())
    assert b.grad[0, 0] == 12 and a.grad[0, 0, 0] == 5 and c.grad == 2 * 60  # a + b is 2 everywhere


def test_leaf_gradients_never_share_an_array():
    a = Tensor(np.zeros(3), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    (a + b).sum().backward()
    a.grad += 1.0  # modifying one gradient in place must not change the other
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])
    x = Tensor(np.ones(3), requires_grad=True)
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_leaf_gradients_are_writable_even_after_a_broadcasting_reduction():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x.sum().backward()
    x.grad *= 0.5
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 0.5))


def test_retain_grad_keeps_an_inner_gradient_and_inner_grads_are_released_otherwise():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    y = h * h
    y.sum().backward()
    np.testing.assert_array_equal(h.grad, 2 * h.numpy())
    assert y.grad is None


def test_detach_cuts_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    (x * d).sum().backward()
    np.testing.assert_array_equal(x.grad, d.numpy())


def test_an_input_that_does_not_require_grad_gets_none():
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    (x @ c).backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_a_100000_op_chain_backpropagates():
    x = Tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_inner_gradients_are_released_during_backward():
    """Peak memory of backward over a long chain stays near a few arrays, not the chain's length."""
    n_ops, size = 200, 20_000  # each array is 160 kB; the chain holds 200 of them
    x = Tensor(np.ones(size), requires_grad=True)
    y = x
    for _ in range(n_ops):
        y = y * 1.0001
    loss = y.sum()
    gc.collect()
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    loss.backward()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    array_bytes = size * 8
    assert peak - before < 10 * array_bytes, (
        f"backward held {(peak - before) / array_bytes:.0f} arrays"
    )
    assert x.grad is not None


# ---------------------------------------------------------------------------- grad modes


def test_no_grad_builds_no_graph_and_enable_grad_restores_it():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2
        with enable_grad():
            z = x * 2
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and z._parents == (x, z._parents[1])


# ---------------------------------------------------------------------------- values


def test_softmax_family_is_finite_for_huge_logits():
    logits = Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]]), requires_grad=True)
    for out in (logits.softmax(), logits.log_softmax(), logits.logsumexp(axis=-1)):
        assert np.isfinite(out.numpy()).all()
    np.testing.assert_allclose(logits.softmax().numpy()[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(logits.logsumexp(axis=1).numpy(), [1e4, -1e4 + np.log(3)])
    logits.log_softmax().sum().backward()
    assert np.isfinite(logits.grad).all()
    assert np.isfinite(Tensor(np.array([-1e4, 1e4], np.float32)).sigmoid().numpy()).all()


def test_ties_share_gradients_like_pytorch():
    x = Tensor([3.0, 1.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.0, 0.5])
    a, b = Tensor([2.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    a.maximum(b).backward()
    assert (a.grad[0], b.grad[0]) == (0.5, 0.5)
    r = Tensor([0.0, -1.0, 2.0], requires_grad=True)
    r.relu().sum().backward()
    np.testing.assert_array_equal(r.grad, [0.0, 0.0, 1.0])


def test_reductions_and_shape_ops_values():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.sum(axis=(0, -1)).shape == (3,)
    assert x.mean(axis=-1, keepdims=True).shape == (2, 3, 1)
    np.testing.assert_allclose(x.var(axis=1, ddof=1).numpy(), np.var(x.numpy(), axis=1, ddof=1))
    assert x.argmax().item() == 23 and x.argmax(axis=-1).dtype == np.int64
    assert x.permute(2, 0, 1).shape == (4, 2, 3) and x.T.shape == (4, 3, 2)
    assert x.transpose(0, -1).shape == (4, 3, 2)
    assert x.reshape(6, -1).shape == (6, 4) and x.flatten(1).shape == (2, 12)
    assert x.unsqueeze(-1).shape == (2, 3, 4, 1) and Tensor(np.ones((1, 3, 1))).squeeze().shape == (
        3,
    )
    assert x.squeeze(0).shape == (2, 3, 4)  # a named axis of size 2 stays, as in PyTorch
    assert x.pad(((0, 0), (1, 1), (0, 2))).shape == (2, 5, 6)
    assert concatenate([x, x], axis=-1).shape == (2, 3, 8) and stack([x, x], axis=1).shape == (
        2,
        2,
        3,
        4,
    )
    assert where(x > 5, x, 0.0).numpy().sum() == x.numpy()[x.numpy() > 5].sum()


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "make, error, message",
    [
        (
            lambda: Tensor(np.ones((3, 4))) + Tensor(np.ones(5)),
            ValueError,
            r"add: shapes \(3, 4\) and \(5,\) cannot be broadcast",
        ),
        (
            lambda: Tensor(np.ones((3, 4))) * np.ones((2, 4)),
            ValueError,
            r"mul: shapes \(3, 4\) and \(2, 4\)",
        ),
        (
            lambda: Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2))),
            ValueError,
            r"matmul: \(3, 4\) @ \(5, 2\): inner dimensions 4 and 5 differ",
        ),
        (
            lambda: Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 4, 2))),
            ValueError,
            r"matmul: \(2, 3, 4\) @ \(5, 4, 2\): batch dimensions",
        ),
        (
            lambda: Tensor(np.ones((3, 4))).reshape(5, 2),
            ValueError,
            r"reshape: cannot reshape a tensor of shape \(3, 4\) \(12 elements\) into \(5, 2\)",
        ),
        (
            lambda: Tensor(np.ones((3, 4)))[3],
            IndexError,
            r"index: index 3 is out of bounds for axis 0 with size 3 "
            r"\(indexing a tensor of shape \(3, 4\)\)",
        ),
        (lambda: Tensor(np.ones(3))[np.array([0.5])], IndexError, "must be integer or boolean"),
        (
            lambda: Tensor(np.ones((3, 4))).sum(axis=2),
            ValueError,
            "sum: axis 2 is out of range for a tensor with 2 axes",
        ),
        (
            lambda: Tensor(np.ones((3, 4))).permute(0, 0),
            ValueError,
            r"permute: \(0, 0\) is not an ordering",
        ),
        (
            lambda: concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))]),
            ValueError,
            r"concatenate: tensor 1 has shape \(2, 4\)",
        ),
        (
            lambda: stack([Tensor(np.ones(2)), Tensor(np.ones(3))]),
            ValueError,
            r"stack: tensor 1 has shape \(3,\)",
        ),
        (lambda: Tensor(np.ones(0)).max(), ValueError, "max: cannot reduce an empty tensor"),
        (lambda: where(Tensor([1.0]), 1.0, 2.0), TypeError, "where: the condition must be boolean"),
        (lambda: Tensor(np.ones(3)).clip(2, 1), ValueError, "clip: lo = 2 is larger than hi = 1"),
        (lambda: Tensor(np.ones(3)).pad(((1, 2), (3, 4))), ValueError, "pad: pad_width"),
    ],
)
def test_mistakes_get_errors_that_name_the_op_and_shapes(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_gradcheck_names_the_input_and_worst_element():
    def wrong(x):
        out = x * 2
        out._backward = lambda g: (g * 3,)  # sabotage: the true local gradient is 2
        return out

    x = Tensor(np.ones((2, 2)), requires_grad=True, name="w")
    with pytest.raises(
        GradcheckError,
        match=r"input 0 'w' \(shape \(2, 2\)\) disagrees at element \(\d, \d\): engine",
    ):
        gradcheck(wrong, x)


def test_gradcheck_needs_something_to_check():
    with pytest.raises(TypeError, match="no input tensor has requires_grad=True"):
        gradcheck(lambda x: x * 2, Tensor([1.0]))


@pytest.mark.parametrize("index_shape", [(7,), (3, 4), (0,)])
def test_row_gathers_scatter_their_gradient_like_add_at(index_shape):
    rng = np.random.default_rng(0)
    table = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    rows = rng.integers(-5, 5, index_shape)  # repeats and negative indices
    upstream = rng.standard_normal((*index_shape, 3))
    table[rows].backward(upstream)
    expected = np.zeros((5, 3))
    np.add.at(expected, rows, upstream)
    np.testing.assert_allclose(table.grad, expected, rtol=1e-12, atol=1e-12)

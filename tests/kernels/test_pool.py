"""max_pool2d / avg_pool2d kernels against the NumPy reference and PyTorch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaingrad.kernels.pool import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)
from chaingrad.kernels.pool.reference import (
    avg_pool2d_backward_reference,
    avg_pool2d_forward_reference,
    max_pool2d_backward_reference,
    max_pool2d_forward_reference,
)

# (x shape, kernel, stride (None = kernel), padding): batch 1, one channel, non-square,
# strides 1 (overlapping windows), 2 and 3, the largest padding allowed, kernel = input
POOL_CASES = [
    ((1, 1, 5, 5), (2, 2), None, (0, 0)),
    ((2, 3, 7, 9), (3, 2), (2, 1), (1, 1)),
    ((2, 2, 8, 7), (3, 3), (3, 3), (1, 1)),
    ((1, 2, 6, 6), (6, 6), None, (0, 0)),
    ((3, 2, 9, 8), (3, 3), (1, 1), (1, 1)),
    ((2, 1, 5, 7), (4, 2), (2, 3), (2, 1)),
    ((64, 3, 28, 28), (2, 2), (2, 2), (0, 0)),
]
POOL_IDS = [f"x{x}-k{k}-s{s}-p{p}" for x, k, s, p in POOL_CASES]


def assert_close(actual, expected, dtype):
    assert actual.dtype == dtype
    assert actual.shape == expected.shape
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("x_shape", "kernel", "stride", "padding"), POOL_CASES, ids=POOL_IDS)
def test_max_pool2d_matches_reference(x_shape, kernel, stride, padding, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    y, arg = max_pool2d_forward(x, kernel, stride, padding)
    y_ref, arg_ref = max_pool2d_forward_reference(x, kernel, stride or kernel, padding)
    np.testing.assert_array_equal(y, y_ref)  # a maximum is an exact copy of an input
    np.testing.assert_array_equal(arg, arg_ref)
    assert y.dtype == dtype and arg.dtype == np.int64
    gy = rng.standard_normal(y.shape).astype(dtype)
    gx = max_pool2d_backward(gy, arg, x_shape)
    assert_close(gx, max_pool2d_backward_reference(gy, arg_ref, x_shape), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("x_shape", "kernel", "stride", "padding"), POOL_CASES, ids=POOL_IDS)
def test_avg_pool2d_matches_reference(x_shape, kernel, stride, padding, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape).astype(dtype)
    y = avg_pool2d_forward(x, kernel, stride, padding)
    assert_close(y, avg_pool2d_forward_reference(x, kernel, stride or kernel, padding), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    gx = avg_pool2d_backward(gy, x_shape, kernel, stride, padding)
    ref = avg_pool2d_backward_reference(gy, x_shape, kernel, stride or kernel, padding)
    assert_close(gx, ref, dtype)


def test_max_pool2d_ties_go_to_the_first_maximum_and_overlaps_accumulate():
    x = np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, 3.0], [-np.inf, -np.inf, 2.0]]]])
    y, arg = max_pool2d_forward(x, (2, 2), (1, 1), (0, 0))
    np.testing.assert_array_equal(y[0, 0], [[3.0, 3.0], [3.0, 3.0]])
    # windows scanned row by row: the first 3 of each window wins
    np.testing.assert_array_equal(arg[0, 0], [[1, 1], [3, 5]])
    gx = max_pool2d_backward(np.ones_like(y), arg, x.shape)
    np.testing.assert_array_equal(gx[0, 0], [[0, 2, 0], [1, 0, 1], [0, 0, 0]])


def test_max_pool2d_window_of_minus_infinities_points_at_its_first_input():
    x = np.full((1, 1, 4, 4), -np.inf)
    y, arg = max_pool2d_forward(x, (2, 2), (2, 2), (1, 1))
    assert np.all(y == -np.inf)
    # with padding 1 the windows start at rows/columns -1, 1, 3: first inside element
    np.testing.assert_array_equal(arg[0, 0], [[0, 1, 3], [4, 5, 7], [12, 13, 15]])


def test_max_pool2d_propagates_nan_like_pytorch():
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    y, arg = max_pool2d_forward(x, (2, 2), None, (0, 0))
    assert np.isnan(y[0, 0, 0, 0]) and arg[0, 0, 0, 0] == 1
    assert y[0, 0, 1, 1] == 15.0


@st.composite
def pool_configs(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    h = draw(st.integers(max(1, kh - 2 * ph), 9))
    w = draw(st.integers(max(1, kw - 2 * pw), 9))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 4)), h, w)
    return shape, (kh, kw), stride, (ph, pw), draw(st.integers(0, 2**16))


@settings(max_examples=40, deadline=None)
@given(pool_configs())
def test_pools_on_random_shapes_match_reference(config):
    shape, kernel, stride, padding, seed = config
    rng = np.random.default_rng(seed)
    # few distinct values, so that ties are common
    x = rng.integers(-3, 4, size=shape).astype(np.float64)
    y, arg = max_pool2d_forward(x, kernel, stride, padding)
    y_ref, arg_ref = max_pool2d_forward_reference(x, kernel, stride or kernel, padding)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(arg, arg_ref)
    gy = rng.standard_normal(y.shape)
    gx_ref = max_pool2d_backward_reference(gy, arg_ref, shape)
    assert_close(max_pool2d_backward(gy, arg, shape), gx_ref, np.float64)
    ya = avg_pool2d_forward(x, kernel, stride, padding)
    ya_ref = avg_pool2d_forward_reference(x, kernel, stride or kernel, padding)
    assert_close(ya, ya_ref, np.float64)
    ga_ref = avg_pool2d_backward_reference(gy, shape, kernel, stride or kernel, padding)
    assert_close(avg_pool2d_backward(gy, shape, kernel, stride, padding), ga_ref, np.float64)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: max_pool2d_forward(np.zeros((1, 1, 4, 4)), (2, 2), None, (2, 1)),
            ValueError,
            r"max_pool2d_forward: padding \(2, 1\) must be at most half the kernel \(2, 2\)",
        ),
        (
            lambda: avg_pool2d_forward(np.zeros((1, 1, 4, 4)), (3, 3), None, (2, 0)),
            ValueError,
            r"avg_pool2d_forward: padding \(2, 0\) must be at most half the kernel \(3, 3\)",
        ),
        (
            lambda: max_pool2d_forward(np.zeros((1, 1, 2, 5)), (3, 3), None, (0, 0)),
            ValueError,
            r"max_pool2d_forward: x \(1, 1, 2, 5\), kernel \(3, 3\): .*kernel size 3 is larger",
        ),
        (
            lambda: max_pool2d_forward(np.zeros((4, 4)), (2, 2), None, (0, 0)),
            ValueError,
            r"max_pool2d_forward: x must be 4-D \(N, C, H, W\), got shape \(4, 4\)",
        ),
        (
            lambda: max_pool2d_backward(
                np.zeros((1, 2, 2, 2)), np.zeros((1, 2, 2, 2), np.int64), (1, 3, 4, 4)
            ),
            ValueError,
            r"max_pool2d_backward: gy \(1, 2, 2, 2\) and argmax \(1, 2, 2, 2\) must match",
        ),
        (
            lambda: max_pool2d_backward(
                np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2)), (1, 1, 4, 4)
            ),
            TypeError,
            r"max_pool2d_backward: argmax must hold integer indices",
        ),
        (
            lambda: avg_pool2d_backward(np.zeros((1, 1, 3, 2)), (1, 1, 4, 4), 2, None, 0),
            ValueError,
            r"avg_pool2d_backward: gy must have the output shape \(1, 1, 2, 2\)",
        ),
        (
            lambda: avg_pool2d_forward(np.zeros((1, 1, 4, 4)), (2, 0), None, 0),
            ValueError,
            r"avg_pool2d_forward: kernel must be >= 1",
        ),
    ],
)
def test_bad_input_names_the_function_and_the_shapes(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- PyTorch parity -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("x_shape", "kernel", "stride", "padding"), POOL_CASES, ids=POOL_IDS)
def test_pools_match_pytorch(x_shape, kernel, stride, padding, dtype):
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = np.random.default_rng(2)
    x = rng.standard_normal(x_shape).astype(dtype)
    tstride = stride or kernel
    tx = torch.tensor(x, requires_grad=True)
    ty, targ = functional.max_pool2d(tx, kernel, tstride, padding, return_indices=True)
    y, arg = max_pool2d_forward(x, kernel, stride, padding)
    np.testing.assert_array_equal(y, ty.detach().numpy())
    np.testing.assert_array_equal(arg, targ.numpy())  # same flat index within the plane
    gy = rng.standard_normal(y.shape).astype(dtype)
    ty.backward(torch.tensor(gy))
    assert_close(max_pool2d_backward(gy, arg, x_shape), tx.grad.numpy(), dtype)

    tx.grad = None
    ta = functional.avg_pool2d(tx, kernel, tstride, padding)  # count_include_pad=True
    assert_close(avg_pool2d_forward(x, kernel, stride, padding), ta.detach().numpy(), dtype)
    ta.backward(torch.tensor(gy))
    gx = avg_pool2d_backward(gy, x_shape, kernel, stride, padding)
    assert_close(gx, tx.grad.numpy(), dtype)

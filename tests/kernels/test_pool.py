"""max_pool2d / avg_pool2d kernels against the NumPy reference and PyTorch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaingrad.kernels.pool import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    compact_argmax_dtype,
    max_pool2d_backward,
    max_pool2d_backward_compact,
    max_pool2d_forward,
    max_pool2d_forward_compact,
)
from chaingrad.kernels.pool.reference import (
    avg_pool2d_backward_reference,
    avg_pool2d_forward_reference,
    max_pool2d_backward_offsets_reference,
    max_pool2d_backward_reference,
    max_pool2d_forward_reference,
    window_offsets_reference,
)

# (x shape, kernel, stride (None = kernel), padding): batch 1, one channel, non-square,
# strides 1 (overlapping windows), 2 and 3, the largest padding allowed, kernel = input
POOL_CASES = [
    ((1, 1, 5, 5), (2, 2), None, (0, 0)),
    ((2, 3, 7, 9), (3, 2), (2, 1), (1, 1)),
    ((2, 2, 6, 5), (2, 2), (1, 1), (1, 1)),  # 2-wide windows (shift and mask) overlapping
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


# --- compact argmax: uint8 window offsets, int32 flat indices past 255 elements --------------

# (x shape, kernel, stride, padding): the unrolled 2x2 path, padding (offsets count the padded
# window), overlaps, size-1 dims, 15x17 = 255 elements (the largest uint8 window) and 16x16 =
# 256 elements (just past it: the wide path), plus a 1x1 window; 2-wide windows take a
# shift and a mask in backward, every other width a division
COMPACT_CASES = [
    ((2, 3, 8, 8), (2, 2), None, (0, 0)),
    ((1, 1, 7, 5), (2, 2), None, (0, 0)),
    ((2, 3, 7, 9), (3, 2), (2, 1), (1, 1)),
    ((3, 2, 9, 8), (3, 3), (1, 1), (1, 1)),
    ((2, 1, 5, 7), (4, 2), (2, 3), (2, 1)),
    ((1, 1, 1, 1), (1, 1), None, (0, 0)),
    ((2, 2, 17, 19), (15, 17), (2, 1), (7, 8)),
    ((1, 2, 18, 20), (16, 16), (1, 3), (8, 0)),
]
COMPACT_IDS = [f"x{x}-k{k}-s{s}-p{p}" for x, k, s, p in COMPACT_CASES]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("x_shape", "kernel", "stride", "padding"), COMPACT_CASES, ids=COMPACT_IDS)
def test_compact_max_pool2d_matches_reference(x_shape, kernel, stride, padding, dtype):
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 4, size=x_shape).astype(dtype)  # ties are common
    steps = stride or kernel
    y, where = max_pool2d_forward_compact(x, kernel, stride, padding)
    y_ref, flat_ref = max_pool2d_forward_reference(x, kernel, steps, padding)
    np.testing.assert_array_equal(y, y_ref)
    gy = rng.standard_normal(y.shape).astype(dtype)
    gx = max_pool2d_backward_compact(gy, where, x_shape, kernel, stride, padding)
    assert_close(gx, max_pool2d_backward_reference(gy, flat_ref, x_shape), dtype)
    if kernel[0] * kernel[1] <= 255:
        assert where.dtype == np.uint8
        offsets_ref = window_offsets_reference(flat_ref, x_shape, kernel, steps, padding)
        np.testing.assert_array_equal(where, offsets_ref)
        ref = max_pool2d_backward_offsets_reference(gy, where, x_shape, kernel, steps, padding)
        assert_close(gx, ref, dtype)
    else:  # the wide path: flat plane indices, in four bytes instead of eight
        assert where.dtype == np.int32
        np.testing.assert_array_equal(where, flat_ref)


def test_compact_argmax_dtype_is_the_smallest_that_holds_the_index():
    assert compact_argmax_dtype((2, 2), 64) == np.uint8
    assert compact_argmax_dtype((15, 17), 10**6) == np.uint8  # 255 elements
    assert compact_argmax_dtype((16, 16), 10**6) == np.int32  # 256 elements
    assert compact_argmax_dtype((16, 16), 2**31) == np.int64  # a plane past int32's range


def test_compact_max_pool2d_propagates_nan_and_handles_an_empty_batch():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 2, 3] = np.nan
    y, where = max_pool2d_forward_compact(x, (2, 2), None, (0, 0))
    assert np.isnan(y[0, 0, 1, 1]) and where[0, 0, 1, 1] == 1 and where[0, 0, 0, 0] == 3
    y, where = max_pool2d_forward_compact(np.zeros((0, 3, 4, 4)), (2, 2), None, (0, 0))
    assert y.shape == where.shape == (0, 3, 2, 2)
    gx = max_pool2d_backward_compact(y, where, (0, 3, 4, 4), (2, 2), None, (0, 0))
    assert gx.shape == (0, 3, 4, 4)


def _compact_case():
    x = np.random.default_rng(4).standard_normal((1, 2, 4, 4))
    y, where = max_pool2d_forward_compact(x, (3, 3), (2, 2), (1, 1))
    return x, y, where


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (lambda w: w.astype(np.int64), TypeError, r"a 3 x 3 window keeps uint8 offsets, got int64"),
        (lambda w: np.full_like(w, 9), ValueError, r"window offsets must lie in \[0, 9\) .* got 9"),
        (lambda w: np.zeros_like(w), ValueError, r"6 window offsets point into the padding"),
        (lambda w: w[:, :1], ValueError, r"must both have the output shape \(1, 2, 2, 2\)"),
    ],
    ids=["dtype", "offset past the window", "offset in the padding", "shape"],
)
def test_compact_backward_refuses_offsets_it_cannot_trust(bad, error, match):
    x, y, where = _compact_case()
    with pytest.raises(error, match=rf"max_pool2d_backward_compact: .*{match}"):
        max_pool2d_backward_compact(y, bad(where), x.shape, (3, 3), (2, 2), (1, 1))


def test_compact_backward_of_a_wide_window_wants_its_int32_indices():
    x = np.random.default_rng(5).standard_normal((1, 1, 16, 16))
    y, where = max_pool2d_forward_compact(x, (16, 16), None, (0, 0))
    with pytest.raises(TypeError, match="a 16 x 16 window keeps int32 flat indices, got uint8"):
        max_pool2d_backward_compact(y, where.astype(np.uint8), x.shape, (16, 16), None, (0, 0))
    with pytest.raises(ValueError, match=r"argmax must be flat indices in \[0, 256\)"):
        max_pool2d_backward_compact(y, where + 256, x.shape, (16, 16), None, (0, 0))

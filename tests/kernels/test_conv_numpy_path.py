"""The conv NumPy path's two im2col fills (tap by tap for small column arrays, one copy of the
windows for large ones) and its padding-free col2im, against the loop-by-loop reference."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

from chaingrad.kernels.conv import numpy_path
from chaingrad.kernels.conv.checks import conv_output_size
from chaingrad.kernels.conv.reference import conv2d_backward_reference, conv2d_forward_reference

# (x shape, w shape, stride, padding): the CNN recipe's convs, batch 1, strides that do not
# divide, padding as wide as the kernel (taps that read nothing but padding), no padding
CASES = [
    ((4, 1, 8, 8), (3, 1, 3, 3), (1, 1), (1, 1)),
    ((3, 4, 4, 4), (5, 4, 3, 3), (1, 1), (1, 1)),
    ((1, 2, 7, 9), (3, 2, 3, 2), (2, 3), (1, 0)),
    ((2, 3, 5, 6), (2, 3, 2, 3), (1, 2), (2, 3)),
    ((2, 2, 6, 5), (3, 2, 5, 3), (3, 1), (0, 0)),
    ((2, 1, 1, 9), (2, 1, 1, 4), (1, 2), (0, 2)),  # a conv1d as the ops lay it out
]
IDS = [f"x{x}-w{w}-s{s}-p{p}" for x, w, s, p in CASES]


@pytest.mark.parametrize("tap_copy_max", [0, 1 << 30], ids=["window-copy", "tap-by-tap"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CASES, ids=IDS)
def test_numpy_conv_matches_reference(x_shape, w_shape, stride, padding, dtype, tap_copy_max):
    rng = np.random.default_rng(11)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    with mock.patch.object(numpy_path, "TAP_COPY_MAX", tap_copy_max):
        y = numpy_path.conv2d_forward(x, w, b, stride, padding)
        gy = rng.standard_normal(y.shape).astype(dtype)
        grads = numpy_path.conv2d_backward(gy, x, w, stride, padding, True, True, True)
        only_input = numpy_path.conv2d_backward(gy, x, w, stride, padding, True, False, False)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, conv2d_forward_reference(x, w, b, stride, padding), tol, tol)
    want = conv2d_backward_reference(gy, x, w, stride, padding, True, True, True)
    for got, ref in zip(grads, want):
        assert got.dtype == dtype and got.shape == ref.shape
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol * max(1.0, np.abs(ref).max()))
    assert only_input[1] is None and only_input[2] is None
    np.testing.assert_array_equal(only_input[0], grads[0])


SPANS = [
    (n_in, k, s, p)
    for n_in in (1, 4, 7)
    for k in (1, 3, 5)
    for s in (1, 2, 3)
    for p in (0, 1, 2, 5)
    if n_in + 2 * p >= k  # the kernel fits the padded input
]


@pytest.mark.parametrize(("n_in", "k", "s", "p"), SPANS)
def test_span_lists_exactly_the_reads_inside_the_input(n_in, k, s, p):
    n_out = conv_output_size(n_in, k, s, p)
    for i in range(k):
        inside = [o for o in range(n_out) if 0 <= o * s + i - p < n_in]
        span = numpy_path._span(i, s, p, n_in, n_out)
        if not inside:
            assert span is None
            continue
        outs, ins = span
        assert list(range(n_out))[outs] == inside
        assert list(range(n_in))[ins] == [o * s + i - p for o in inside]


def test_the_tap_fill_does_not_pad_x_and_large_columns_copy_the_windows():
    x = np.ones((2, 3, 5, 5), np.float32)
    with mock.patch.object(np, "pad", side_effect=AssertionError("np.pad")):
        small = numpy_path.columns(x, 3, 3, (1, 1), (1, 1), (5, 5))
        with mock.patch.object(numpy_path, "TAP_COPY_MAX", 0):
            large = numpy_path.columns(x, 3, 3, (1, 1), (1, 1), (5, 5))
    np.testing.assert_array_equal(small, large)
    # the corner pixel's tap (0, 0) of channel 0 reads padding: zero; the centre tap reads x
    assert small[0, 0, 0] == 0.0 and small[0, 4, 0] == 1.0

"""The max-pool NumPy path's fast cases (the cell scan of small windows, the scatter backward of
windows that do not overlap) against the loop-by-loop reference, on shapes that take them
and shapes that just miss them."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

from chaingrad.kernels import pool, runtime
from chaingrad.kernels.pool import numpy_path
from chaingrad.kernels.pool.reference import (
    max_pool2d_backward_reference,
    max_pool2d_forward_reference,
    window_offsets_reference,
)

# (x shape, kernel, stride, padding, scans the cells, scatters the gradient)
CASES = [
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), True, True),  # the CNN recipe's pools
    ((1, 1, 7, 9), (2, 2), (2, 2), (0, 0), True, True),  # odd sizes: the last row/column unread
    ((3, 2, 9, 6), (3, 3), (3, 3), (0, 0), True, True),
    ((2, 2, 8, 9), (2, 3), (2, 3), (0, 0), True, True),  # non-square windows
    ((2, 2, 8, 8), (2, 2), (3, 3), (0, 0), True, True),  # stride > kernel: gaps between windows
    ((2, 2, 8, 8), (4, 4), (4, 4), (0, 0), True, True),  # 16 cells: the largest scanned window
    ((2, 2, 7, 8), (3, 3), (1, 1), (0, 0), True, False),  # overlapping: bincount backward
    ((2, 2, 7, 8), (2, 2), (2, 1), (0, 0), True, False),  # overlapping along one axis only
    ((2, 2, 8, 8), (2, 2), (2, 2), (1, 1), True, False),  # padded: scanned, bincount backward
    ((2, 2, 8, 9), (2, 2), (2, 2), (0, 1), True, False),
    ((2, 3, 7, 6), (3, 3), (2, 2), (1, 1), True, False),
    ((2, 2, 10, 10), (5, 5), (5, 5), (0, 0), False, True),  # 25 cells: argmax, then scatter
    ((2, 2, 9, 8), (5, 4), (2, 3), (2, 1), False, False),  # 20 cells, padded: the general path
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0), True, True),
]
IDS = [f"x{x}-k{k}-s{s}-p{p}" for x, k, s, p, *_ in CASES]


def _input(shape, dtype, seed):
    """Few distinct values (ties everywhere) with NaNs, -inf and zeros of both signs."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=shape).astype(dtype)
    flat = x.reshape(-1)
    picks = rng.permutation(flat.size)
    k = max(1, flat.size // 12)
    flat[picks[:k]] = np.nan
    flat[picks[k : 2 * k]] = -np.inf
    flat[picks[2 * k : 3 * k]] = -0.0
    return x


@pytest.mark.parametrize("special", [False, True], ids=["finite", "nan-inf-signed-zero"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("shape", "kernel", "stride", "padding", "scans", "scatters"), CASES, ids=IDS
)
def test_numpy_max_pool_matches_reference(
    shape, kernel, stride, padding, scans, scatters, dtype, special
):
    rng = np.random.default_rng(7)
    x = _input(shape, dtype, 8) if special else rng.integers(-3, 4, size=shape).astype(dtype)
    if shape[1] > 1:
        x[0, 1] = -np.inf  # a plane of nothing but -inf
    y_ref, flat_ref = max_pool2d_forward_reference(x, kernel, stride, padding)
    offsets_ref = window_offsets_reference(flat_ref, shape, kernel, stride, padding)
    gy = rng.standard_normal(y_ref.shape).astype(dtype)
    gx_ref = max_pool2d_backward_reference(gy, flat_ref, shape)
    scan = mock.patch.object(numpy_path, "_scan_cells", wraps=numpy_path._scan_cells)
    with runtime.numpy_path_only("pool"), scan as spy:
        y, where = pool.max_pool2d_forward_compact(x, kernel, stride, padding)
        y_flat, flat = pool.max_pool2d_forward(x, kernel, stride, padding)
        gx = pool.max_pool2d_backward_compact(gy, where, shape, kernel, stride, padding)
    assert spy.call_count == (2 if scans else 0)
    assert y.dtype == y_flat.dtype == dtype and where.dtype == np.uint8
    for got in (y, y_flat):  # bit for bit: the same NaN, the same sign of a zero
        np.testing.assert_array_equal(got, y_ref)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(y_ref))
    np.testing.assert_array_equal(where, offsets_ref)
    np.testing.assert_array_equal(flat, flat_ref)
    if scatters:  # one gradient per input: copied, not summed
        np.testing.assert_array_equal(gx, gx_ref)
    else:
        np.testing.assert_allclose(gx, gx_ref, rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_the_scatter_backward_takes_windows_that_do_not_overlap_only():
    gy = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    where = np.array([[[[3, 0], [1, 2]]]], np.uint8)
    gx = np.full((1, 1, 5, 5), np.nan)  # np.empty's garbage: every element must be written
    with mock.patch.object(np, "bincount", side_effect=AssertionError("bincount")):
        assert numpy_path.max_pool2d_backward_offsets(gy, where, (2, 2), (2, 2), (0, 0), gx) == 0
    want = np.zeros((5, 5))
    want[1, 1], want[0, 2], want[2, 1], want[3, 2] = 1.0, 2.0, 3.0, 4.0
    np.testing.assert_array_equal(gx[0, 0], want)
    with mock.patch.object(np, "bincount", wraps=np.bincount) as spy:  # overlapping: summed
        numpy_path.max_pool2d_backward_offsets(gy, where, (2, 2), (1, 1), (0, 0), gx[:, :, :3, :3])
    assert spy.call_count == 1


def test_a_window_of_negative_and_positive_zeros_keeps_the_first():
    x = np.array([[[[-0.0, 0.0, 0.0, -0.0], [0.0, 0.0, -0.0, -0.0]]]], np.float32)
    with runtime.numpy_path_only("pool"):
        y, where = pool.max_pool2d_forward_compact(x, (2, 2), None, (0, 0))
    np.testing.assert_array_equal(np.signbit(y[0, 0, 0]), [True, False])
    np.testing.assert_array_equal(where[0, 0, 0], [0, 0])


def test_nan_in_the_first_cell_and_later_cells_the_last_nan_wins():
    x = np.zeros((1, 1, 2, 6), np.float64)
    x[0, 0, 0, 0] = np.nan  # window 0: only the first cell
    x[0, 0, 0, 2], x[0, 0, 1, 2] = np.nan, np.nan  # window 1: two NaNs, the second wins
    x[0, 0, 0, 5], x[0, 0, 1, 4] = 5.0, np.nan  # window 2: a NaN after a larger number
    with runtime.numpy_path_only("pool"):
        y, where = pool.max_pool2d_forward_compact(x, (2, 2), None, (0, 0))
    assert np.isnan(y).all()
    np.testing.assert_array_equal(where[0, 0, 0], [0, 2, 2])

"""The vectorised NumPy paths (``kernels/<group>/numpy_path.py``), which the ops run while numba
compiles in the background: the kernel tests' shape classes against the references, run again
with the ops held on the NumPy path, and either path's forward with the other's backward."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

from chaingrad.kernels import conv, pool, runtime
from chaingrad.kernels import recurrent as rec
from chaingrad.kernels.conv import numpy_path as conv_numpy
from chaingrad.kernels.pool import numpy_path as pool_numpy
from chaingrad.kernels.recurrent import numpy_path as rec_numpy

# The kernel tests themselves, collected again in this module: the fixture below runs each of
# them on the NumPy paths (every shape class: awkward sizes, stride and padding, float32 and
# float64, size-1 dimensions, empty batches, ties, NaN and -inf windows, PyTorch parity).
from tests.kernels.test_conv import (  # noqa: F401
    test_conv1d_matches_pytorch,
    test_conv1d_matches_reference,
    test_conv2d_backward_returns_only_what_is_needed,
    test_conv2d_matches_pytorch,
    test_conv2d_matches_reference,
    test_conv2d_random_shapes_match_reference,
    test_dtypes_follow_numpy_promotion_and_views_are_accepted,
    test_lecture_vertical_edge_kernel_on_the_first_channel,
)
from tests.kernels.test_pool import (  # noqa: F401
    test_avg_pool2d_matches_reference,
    test_compact_backward_refuses_offsets_it_cannot_trust,
    test_compact_max_pool2d_matches_reference,
    test_compact_max_pool2d_propagates_nan_and_handles_an_empty_batch,
    test_max_pool2d_matches_reference,
    test_max_pool2d_propagates_nan_like_pytorch,
    test_max_pool2d_ties_go_to_the_first_maximum_and_overlaps_accumulate,
    test_max_pool2d_window_of_minus_infinities_points_at_its_first_input,
    test_pools_match_pytorch,
    test_pools_on_random_shapes_match_reference,
)
from tests.kernels.test_recurrent import (  # noqa: F401
    CELLS,
    make_case,
    run,
    test_forward_records_what_the_docs_say,
    test_kernel_matches_pytorch_float32,
    test_kernel_matches_pytorch_float64,
    test_kernel_matches_reference,
    test_none_initial_states_and_upstream_gradients_mean_zeros,
    test_one_bias_missing,
)
from tests.kernels.test_validation import (  # noqa: F401
    test_conv1d_on_an_empty_batch,
    test_conv2d_on_an_empty_batch,
    test_conv_with_no_input_channels_is_the_bias,
    test_pooling_on_an_empty_batch,
    test_recurrences_on_an_empty_batch,
)

GROUPS = ("conv", "pool", "recurrent")


@pytest.fixture(autouse=True, scope="module")
def _numpy_paths():
    """Every test in this module runs the ops' NumPy paths (module scope: hypothesis allows it)."""
    with runtime.numpy_path_only(*GROUPS):
        yield


def test_the_ops_take_the_numpy_path_here():
    assert not any(runtime.use_numba(g) for g in GROUPS)
    x = np.ones((1, 1, 4, 4), np.float32)
    with mock.patch.object(conv_numpy, "conv2d_forward", wraps=conv_numpy.conv2d_forward) as spy:
        conv.conv2d_forward(x, np.ones((1, 1, 3, 3), np.float32), None, 1, 1)
    assert spy.call_count == 1
    with mock.patch.object(pool_numpy, "max_pool2d_forward", wraps=pool_numpy.max_pool2d_forward):
        pool.max_pool2d_forward_compact(x, 2, None, 0)
        assert pool_numpy.max_pool2d_forward.call_count == 1


def test_numpy_path_only_restores_the_previous_choice():
    with runtime.numpy_path_only("pool"):
        assert not runtime.use_numba("pool")
    assert not runtime.use_numba("pool")  # still inside this module's own hold
    with pytest.raises(ValueError, match=r"numpy_path_only: no NumPy path for \['special'\]"):
        with runtime.numpy_path_only("special"):
            pass


def _numba(fn, *args):
    """fn(*args) on the numba kernels: this module's hold on the NumPy paths lifted meanwhile."""
    held = {g: runtime._warm_ups.pop(g) for g in GROUPS}
    try:
        assert all(runtime.use_numba(g) for g in GROUPS)  # the suite compiles inline
        return fn(*args)
    finally:
        runtime._warm_ups.update(held)


CROSS_CONV = [
    ((2, 3, 7, 9), (4, 3, 3, 2), (1, 1), (1, 0)),
    ((3, 5, 13, 11), (7, 5, 5, 3), (2, 1), (2, 1)),
    ((2, 2, 4, 4), (3, 2, 2, 2), (1, 1), (3, 2)),
    ((1, 1, 1, 1), (1, 1, 1, 1), (1, 1), (0, 0)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CROSS_CONV)
def test_conv_paths_agree_with_each_other(x_shape, w_shape, stride, padding, dtype):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    y_np = conv.conv2d_forward(x, w, b, stride, padding)
    y_nb = _numba(conv.conv2d_forward, x, w, b, stride, padding)
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(y_np, y_nb, rtol=tol, atol=tol)
    args = (y_nb, x, w, stride, padding, True, True, True)
    for a, b_ in zip(conv.conv2d_backward(*args), _numba(conv.conv2d_backward, *args)):
        assert a.dtype == b_.dtype == dtype and a.shape == b_.shape
        np.testing.assert_allclose(a, b_, rtol=tol, atol=tol * max(1.0, np.abs(b_).max()))


POOL_WINDOWS = [((2, 2), None, (0, 0)), ((3, 3), (1, 1), (1, 1)), ((3, 2), (2, 1), (1, 1))]


@pytest.mark.parametrize(("kernel", "stride", "padding"), POOL_WINDOWS)
def test_max_pool_argmax_from_either_path_serves_the_other_backward(kernel, stride, padding):
    rng = np.random.default_rng(2)
    x = rng.integers(-2, 3, size=(2, 3, 7, 8)).astype(np.float32)  # many ties
    x[0, 0, 1, 1:3] = np.nan  # two NaNs in a window: the last one wins, as the kernels scan
    x[1, 2, :3, :3] = -np.inf  # windows of nothing but -inf (and padding)
    window = (kernel, stride, padding)
    for forward in (pool.max_pool2d_forward_compact, pool.max_pool2d_forward):
        y_np, arg_np = forward(x, *window)
        y_nb, arg_nb = _numba(forward, x, *window)
        np.testing.assert_array_equal(y_np, y_nb)
        np.testing.assert_array_equal(arg_np, arg_nb)
        assert arg_np.dtype == arg_nb.dtype
    gy = rng.standard_normal(y_np.shape).astype(np.float32)
    back = pool.max_pool2d_backward_compact
    _, where = _numba(pool.max_pool2d_forward_compact, x, *window)
    gx_np = back(gy, where, x.shape, *window)  # numba forward, NumPy backward
    gx_nb = _numba(back, gy, where, x.shape, *window)
    np.testing.assert_allclose(gx_np, gx_nb, rtol=1e-6, atol=1e-6)
    _, flat = pool.max_pool2d_forward(x, *window)  # NumPy forward, numba backward
    np.testing.assert_allclose(
        _numba(pool.max_pool2d_backward, gy, flat, x.shape),
        pool.max_pool2d_backward(gy, flat, x.shape),
        rtol=1e-6,
        atol=1e-6,
    )


@pytest.mark.parametrize(("kernel", "stride", "padding"), POOL_WINDOWS)
def test_avg_pool_paths_agree(kernel, stride, padding):
    x = np.random.default_rng(3).standard_normal((2, 3, 7, 8)).astype(np.float32)
    window = (kernel, stride, padding)
    y = pool.avg_pool2d_forward(x, *window)
    np.testing.assert_allclose(y, _numba(pool.avg_pool2d_forward, x, *window), rtol=1e-6)
    args = (y, x.shape, *window)
    gx = pool.avg_pool2d_backward(*args)
    np.testing.assert_allclose(gx, _numba(pool.avg_pool2d_backward, *args), atol=1e-6)


def test_offsets_into_the_padding_are_counted_not_followed():
    gy = np.ones((1, 1, 2, 2), np.float32)
    where = np.zeros((1, 1, 2, 2), np.uint8)  # offset 0 of a 3x3 window padded by 1: padding
    gx = np.empty((1, 1, 4, 4), np.float32)
    outside = pool_numpy.max_pool2d_backward_offsets(gy, where, (3, 3), (2, 2), (1, 1), gx)
    # the window corners (ih, iw) = (2 oh - 1, 2 ow - 1): only (1, 1) lies inside the plane
    assert outside == 3
    assert gx[0, 0, 1, 1] == 1.0 and gx.sum() == 1.0


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("forward_by", ["numpy", "numba"])
def test_recurrent_forward_by_one_path_backward_by_the_other(cell, forward_by):
    case = make_case(cell, (6, 3, 4, 5), np.float32)
    x, h0, c0, w_ih, w_hh = (case[k] for k in ("x", "h0", "c0", "w_ih", "w_hh"))
    b_ih, b_hh, g_out, g_hn = case["b_ih"], case["b_hh"], case["g_out"], case["g_hn"]
    act = cell.split("_")[1] if cell.startswith("rnn") else None

    def forward():
        if cell == "lstm":
            out, _, saved = rec.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
        elif cell == "gru":
            out, saved = rec.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
        else:
            out, saved = rec.rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, act)
        return out.copy(), saved

    def backward(saved):
        if cell == "lstm":
            return rec.lstm_backward(g_out, g_hn, case["g_cn"], x, h0, c0, w_ih, w_hh, saved)
        if cell == "gru":
            return rec.gru_backward(g_out, g_hn, x, h0, w_ih, w_hh, saved)
        return rec.rnn_backward(g_out, g_hn, x, h0, w_ih, w_hh, saved, act)

    if forward_by == "numba":
        out, saved = _numba(forward)
        grads = backward(saved)
    else:
        out, saved = forward()
        grads = _numba(backward, saved)
    wide = {k: None if a is None else a.astype(np.float64) for k, a in case.items()}
    want = run(cell, wide, reference=True)
    np.testing.assert_allclose(out, want[0], rtol=1e-4, atol=1e-5)
    for got, expected in zip(grads, [g for g in want[3:] if g is not None]):
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * scale)


def test_every_step_kernel_has_a_numpy_twin():
    """numpy_path.py has each numba step kernel op.py calls, under the same name (the
    lstm-columns group's sweeps have none: until they compile, the row sweeps run instead)."""
    from chaingrad.kernels.recurrent import fast

    kernels = {
        n
        for n, f in vars(fast).items()
        if hasattr(f, "py_func") and runtime._group_of.get(f.py_func) == "recurrent"
    }
    assert kernels and all(callable(getattr(rec_numpy, n, None)) for n in kernels)

"""The recurrences' pool of work arrays: an array is handed out again only once nothing holds it
(or any view of it), and new arrays are staggered modulo 4 KiB."""

from __future__ import annotations

import numpy as np
import pytest

from chaingrad.kernels import recurrent as k
from chaingrad.kernels.recurrent import buffers


@pytest.fixture(autouse=True)
def empty_pool():
    buffers._local.pool = []
    yield
    buffers._local.pool = []


def test_a_held_array_or_any_view_of_it_is_never_handed_out_again():
    a = buffers.empty((3, 4), np.float32)
    b = buffers.empty((3, 4), np.float32)
    assert not np.shares_memory(a, b)
    view = a[1:]
    view_of_view = b[::2].T
    del a, b
    c = buffers.empty((3, 4), np.float32)
    assert not np.shares_memory(c, view) and not np.shares_memory(c, view_of_view)


def test_a_freed_array_is_reused_with_its_shape_and_dtype():
    a = buffers.empty((5, 6), np.float64)
    address = a.ctypes.data
    del a
    again = buffers.empty((5, 6), np.float64)
    assert again.ctypes.data == address
    assert again.shape == (5, 6) and again.dtype == np.float64 and again.flags.c_contiguous
    other = buffers.empty((6, 5), np.float32)  # other size: a new array
    assert other.ctypes.data != address


def test_new_arrays_start_at_different_offsets_in_a_page():
    arrays = [buffers.empty((8, 64), np.float32) for _ in range(6)]
    offsets = {a.ctypes.data % buffers.PAGE for a in arrays}
    assert len(offsets) == 6
    assert all(o % 64 == 0 for o in offsets)  # cache-line aligned


def test_the_pool_keeps_a_bounded_number_of_arrays():
    for _ in range(buffers.MAX_ARRAYS + 5):
        buffers.empty((2, 2), np.float32)  # each freed at once, so the same one is reused
    held = [buffers.empty((2, 2), np.float32) for _ in range(buffers.MAX_ARRAYS + 5)]
    assert len(buffers._pool()) == buffers.MAX_ARRAYS
    assert len({a.ctypes.data for a in held}) == len(held)


def test_a_saved_record_survives_later_forwards_of_the_same_shape():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    w_ih = rng.uniform(-0.5, 0.5, (20, 3)).astype(np.float32)
    w_hh = rng.uniform(-0.5, 0.5, (20, 5)).astype(np.float32)
    out, c_n, saved = k.lstm_forward(x, None, None, w_ih, w_hh, None, None)
    kept = out.copy(), saved.gates.copy(), saved.c.copy(), c_n.copy()
    for _ in range(3):  # same shapes, other data: must not land in the first call's arrays
        k.lstm_forward(-x, None, None, w_ih, w_hh, None, None)
    np.testing.assert_array_equal(out, kept[0])
    np.testing.assert_array_equal(saved.gates, kept[1])
    np.testing.assert_array_equal(saved.c, kept[2])
    np.testing.assert_array_equal(c_n, kept[3])
    grads = k.lstm_backward(np.ones_like(out), None, None, x, None, None, w_ih, w_hh, saved)
    again = k.lstm_backward(np.ones_like(out), None, None, x, None, None, w_ih, w_hh, saved)
    for g, h in zip(grads, again):
        np.testing.assert_array_equal(g, h)  # returned gradients are not overwritten either

"""kernels.blas: NumPy's OpenBLAS thread count, and products that yield the cores to the kernels."""

from __future__ import annotations

import numpy as np
import pytest

from chaingrad.kernels import blas, runtime

SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 1, 3, 4), (5, 4, 2)),  # batch axes broadcast
    ((500, 700), (700, 80)),  # above OpenBLAS's threading threshold, below SMALL_PRODUCT
]


@pytest.fixture
def busy(monkeypatch):
    """chaingrad's threads count as busy for the whole test."""
    monkeypatch.setattr(runtime, "_busy_until", float("inf"))


@pytest.fixture
def held(monkeypatch):
    """Records each product run inside blas.single_threaded (and the BLAS count there)."""
    entered = []
    real = blas.single_threaded

    def spy():
        entered.append(True)
        return real()

    monkeypatch.setattr(blas, "single_threaded", spy)
    return entered


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("is_busy", [False, True])
def test_matmul_is_numpys_product(shapes, is_busy, monkeypatch):
    if is_busy:
        monkeypatch.setattr(runtime, "_busy_until", float("inf"))
    rng = np.random.default_rng(0)
    x, y = (rng.standard_normal(s) for s in shapes)
    # one BLAS thread or two sum in different orders: equal to rounding, not bit for bit
    np.testing.assert_allclose(blas.matmul(x, y), np.matmul(x, y), rtol=1e-12, atol=1e-12)


def test_mismatched_batch_axes_raise_numpys_error(busy):
    with pytest.raises(ValueError):
        blas.matmul(np.ones((2, 3, 4)), np.ones((3, 4, 5)))


def test_small_products_keep_to_one_blas_thread_while_the_kernels_run(busy, held):
    control = blas.blas_control()
    before = None if control is None else control[1]()
    mid = np.ones((500, 700), np.float32), np.ones((700, 80), np.float32)
    assert blas.OPENBLAS_THREADED < 500 * 700 * 80 <= blas.SMALL_PRODUCT
    blas.matmul(*mid)
    assert held == [True]
    if control is not None:
        assert control[1]() == before  # restored after the product
    # below OpenBLAS's own threshold nothing wakes its workers; above SMALL_PRODUCT both pay
    blas.matmul(np.ones((60, 70)), np.ones((70, 8)))
    blas.matmul(np.ones((1000, 1000)), np.ones((1000, 40)))
    assert held == [True]


def test_products_use_every_blas_thread_when_the_kernels_are_idle(monkeypatch, held):
    monkeypatch.setattr(runtime, "_busy_until", 0.0)
    blas.matmul(np.ones((500, 700)), np.ones((700, 80)))
    assert held == []


def test_parallel_kernels_and_lanes_mark_the_threads_busy(monkeypatch):
    numba = pytest.importorskip("numba")
    if numba.get_num_threads() < 2:
        pytest.skip("numba has one thread: nothing runs in parallel")
    monkeypatch.setattr(runtime, "_busy_until", 0.0)
    runtime.run_parallel(lambda: None, threads=1)  # one thread: not parallel
    runtime.run_lanes(lambda rows: None, [slice(0, 8)])  # one lane: not parallel
    assert not runtime.threads_busy()
    runtime.run_parallel(lambda: None, threads=2)
    assert runtime.threads_busy()
    monkeypatch.setattr(runtime, "_busy_until", 0.0)
    runtime.run_lanes(lambda rows: None, [slice(0, 8), slice(8, 16)])
    assert runtime.threads_busy()


def test_the_busy_mark_expires(monkeypatch):
    from types import SimpleNamespace

    clock = [100.0]
    monkeypatch.setattr(runtime, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    runtime.note_parallel()
    assert runtime.threads_busy()
    clock[0] += runtime.BUSY_SECONDS + 0.01
    assert not runtime.threads_busy()


def test_linear_and_matmul_go_through_the_rule(busy, held):
    from chaingrad import Tensor, nn

    x = Tensor(np.ones((500, 700), np.float32), requires_grad=True)
    layer = nn.Linear(700, 80)
    layer(x).sum().backward()  # forward x Wᵀ, backward g W and gᵀ x: all mid-sized
    assert len(held) == 3
    held.clear()
    (x @ Tensor(np.ones((700, 80), np.float32))).sum().backward()
    assert len(held) == 2  # the forward and x's gradient (the constant needs none)

"""Winograd F(2×2, 5×5) convolutions (kernels/conv/winograd.py) against the NumPy reference."""

from fractions import Fraction

import numpy as np
import pytest

from chaingrad.kernels.conv import conv2d_backward, conv2d_forward, winograd
from chaingrad.kernels.conv.reference import (
    conv2d_backward_reference,
    conv2d_forward_reference,
)

from .test_conv import assert_close, assert_need_flags, random_conv, spy_on_paths


def correlate(g: list, d: list, m: int) -> list:
    """y_i = sum_k g_k d_(i+k), i < m: the 1-D correlation F(m, r) computes."""
    return [sum(gk * d[i + k] for k, gk in enumerate(g)) for i in range(m)]


def winograd_1d(at: list, g_mat: list, bt: list, g: list, d: list) -> list:
    """Aᵀ [(G g) ⊙ (Bᵀ d)] in the matrices' own number type."""
    gg = [sum(row[k] * g[k] for k in range(len(g))) for row in g_mat]
    bd = [sum(row[k] * d[k] for k in range(len(d))) for row in bt]
    return [sum(row[j] * gg[j] * bd[j] for j in range(len(gg))) for row in at]


@pytest.mark.parametrize(
    ("m", "r", "points"),
    [(2, 5, winograd.POINTS), (2, 3, (0, 1, -1)), (4, 3, (0, 1, -1, 2, -2)), (3, 2, (0, 1, -1))],
)
def test_cook_toom_is_exact_in_fractions(m, r, points):
    at, g_mat, bt = winograd.cook_toom(m, r, points)
    alpha = m + r - 1
    assert (len(at), len(at[0]), len(g_mat), len(g_mat[0]), len(bt)) == (m, alpha, alpha, r, alpha)
    rng = np.random.default_rng(m * 10 + r)
    for _ in range(20):
        g = [
            Fraction(int(v), int(q)) for v, q in zip(rng.integers(-9, 10, r), rng.integers(1, 7, r))
        ]
        d = [Fraction(int(v)) for v in rng.integers(-50, 51, alpha)]
        assert winograd_1d(at, g_mat, bt, g, d) == correlate(g, d, m)


def test_float64_matrices_reproduce_the_correlation():
    assert (
        winograd.AT.shape == (2, 6) and winograd.G.shape == (6, 5) and winograd.BT.shape == (6, 6)
    )
    rng = np.random.default_rng(0)
    for _ in range(50):
        g, d = rng.standard_normal(5), rng.standard_normal(6)
        y = winograd.AT @ ((winograd.G @ g) * (winograd.BT @ d))
        direct = np.array(correlate(list(g), list(d), 2))
        np.testing.assert_allclose(y, direct, rtol=0, atol=1e-14)
    # integer data: every product and sum is exact but G's sixths, so within a few ulps
    g, d = np.arange(1.0, 6.0), np.arange(-3.0, 3.0)
    np.testing.assert_allclose(
        winograd.AT @ ((winograd.G @ g) * (winograd.BT @ d)), correlate(list(g), list(d), 2)
    )


def test_cook_toom_rejects_repeated_or_missing_points():
    with pytest.raises(ValueError, match=r"cook_toom: F\(2, 5\) needs 5 distinct points"):
        winograd.cook_toom(2, 5, (0, 1, -1, 2, 2))
    with pytest.raises(ValueError, match=r"cook_toom: F\(2, 3\) needs 3 distinct points"):
        winograd.cook_toom(2, 3, (0, 1))


def test_weight_transform_and_its_adjoint():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((7, 3, 5, 5))
    u = winograd._weights(w)
    expected = np.einsum("ai,ocij,bj->abco", winograd.G, w, winograd.G).reshape(36, 3, 7)
    np.testing.assert_allclose(u, expected, rtol=0, atol=1e-13)
    du = rng.standard_normal((36, 3, 7))
    # <U(w), dU> = <w, Uᵀ(dU)>: _weights_grad is the adjoint of _weights
    np.testing.assert_allclose(
        np.vdot(u, du), np.vdot(w, winograd._weights_grad(du, np.float64)), rtol=1e-12
    )


# (x shape, w shape, padding): images 1×1, 5×5, 7×9 and 13×14 (partial last tiles), padding
# 0, 1, 2 and wider than the kernel, batch 1 and 3, channels 1, 3, 17
DIRECT_CASES = [
    ((1, 1, 1, 1), (1, 1, 5, 5), (2, 2)),
    ((3, 3, 5, 5), (17, 3, 5, 5), (0, 0)),
    ((1, 17, 5, 5), (3, 17, 5, 5), (1, 1)),
    ((3, 3, 7, 9), (17, 3, 5, 5), (2, 1)),
    ((1, 17, 13, 14), (1, 17, 5, 5), (0, 2)),
    ((3, 1, 13, 14), (3, 1, 5, 5), (1, 0)),
    ((3, 3, 7, 9), (3, 3, 5, 5), (6, 5)),
]
DIRECT_IDS = [f"x{x}-w{w}-p{p}" for x, w, p in DIRECT_CASES]


@pytest.fixture(params=["compiled lanes", "python lanes"])
def lanes(request, monkeypatch):
    """Each lane's chunks in one compiled call (BLAS by address), or in Python between calls
    (where NumPy's BLAS is not an OpenBLAS whose cblas_?gemm can be found)."""
    if request.param == "python lanes":
        monkeypatch.setattr(winograd, "gemm_address", lambda dtype: 0)
    return request.param


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("x_shape", "w_shape", "padding"), DIRECT_CASES, ids=DIRECT_IDS)
@pytest.mark.parametrize("threads", [1, 2])
def test_winograd_matches_reference(x_shape, w_shape, padding, dtype, threads, lanes):
    rng = np.random.default_rng(sum(x_shape) + sum(w_shape))
    x, w, b = random_conv(rng, x_shape, w_shape, dtype)
    y = winograd.conv2d_forward(x, w, b, padding, threads)
    assert_close(y, conv2d_forward_reference(x, w, b, (1, 1), padding), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    got = winograd.conv2d_backward(gy, x, w, padding, True, True, True, threads)
    want = conv2d_backward_reference(gy, x, w, (1, 1), padding, True, True, True)
    for g, r in zip(got, want):
        assert_close(g, r, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_need_flags(dtype, lanes):
    rng = np.random.default_rng(5)
    x, w, _ = random_conv(rng, (3, 4, 9, 7), (6, 4, 5, 5), dtype)
    gy = rng.standard_normal((3, 6, 9, 7)).astype(dtype)
    want = conv2d_backward_reference(gy, x, w, (1, 1), (2, 2), True, True, True)

    def backward(*flags):
        return winograd.conv2d_backward(gy, x, w, (2, 2), *flags, 2)

    assert_need_flags(backward, want, dtype)


@pytest.fixture
def always_winograd(monkeypatch):
    """The op takes the Winograd path for every shape that qualifies (no size threshold) and
    records the calls it made to it."""
    monkeypatch.setattr(winograd, "MIN_BALANCE", 0)
    monkeypatch.setattr(winograd, "MIN_PIXELS", 0)
    monkeypatch.setattr(winograd, "MIN_WORK", 0)
    return spy_on_paths(monkeypatch, winograd)


# through the public op: shapes that take the path, and shapes that just miss it
OP_CASES = [
    ((3, 3, 7, 9), (17, 3, 5, 5), 1, (2, 1), True),
    ((1, 17, 13, 14), (3, 17, 5, 5), 1, (0, 2), True),
    ((3, 3, 13, 14), (4, 3, 5, 5), 2, (2, 2), False),  # stride 2
    ((3, 3, 13, 14), (4, 3, 5, 5), (1, 2), (2, 2), False),  # stride 2 along one axis
    ((3, 3, 7, 9), (4, 3, 5, 3), 1, (2, 1), False),  # 5 × 3 kernel
    ((3, 3, 7, 9), (4, 3, 3, 3), 1, (1, 1), False),  # 3 × 3 kernel
]
OP_IDS = [f"x{x}-w{w}-s{s}-p{p}" for x, w, s, p, _ in OP_CASES]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding", "takes"), OP_CASES, ids=OP_IDS)
def test_op_dispatch(always_winograd, x_shape, w_shape, stride, padding, takes, dtype):
    rng = np.random.default_rng(7)
    x, w, b = random_conv(rng, x_shape, w_shape, dtype)
    s2 = (stride, stride) if isinstance(stride, int) else stride
    y = conv2d_forward(x, w, b, stride, padding)
    assert_close(y, conv2d_forward_reference(x, w, b, s2, padding), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    got = conv2d_backward(gy, x, w, stride, padding, True, True, True)
    for g, r in zip(got, conv2d_backward_reference(gy, x, w, s2, padding, True, True, True)):
        assert_close(g, r, dtype)
    assert always_winograd == (["conv2d_forward", "conv2d_backward"] if takes else [])


def test_rule():
    """Stride 1 and 5 × 5 only, with enough channels, outputs and work (measured crossovers)."""
    big = 64 * 14 * 14  # the benchmark's conv2d-5x5: 64 images, 14 × 14 outputs, 32 -> 64
    assert winograd.applies((1, 1), 5, 5, 32, 64, big)
    assert not winograd.applies((2, 2), 5, 5, 32, 64, big)
    assert not winograd.applies((1, 2), 5, 5, 32, 64, big)
    assert not winograd.applies((1, 1), 5, 3, 32, 64, big)
    assert not winograd.applies((1, 1), 3, 3, 32, 64, big)
    assert winograd.applies((1, 1), 5, 5, 32, 32, big)  # 32 * 32 / 64 = 16
    assert not winograd.applies((1, 1), 5, 5, 24, 24, 4 * big)  # 24 * 24 / 48 = 12 < 14
    assert not winograd.applies((1, 1), 5, 5, 16, 16, 4 * big)  # 8
    assert not winograd.applies((1, 1), 5, 5, 64, 64, 4 * 14 * 14)  # few outputs
    assert not winograd.applies((1, 1), 5, 5, 32, 32, 16 * 14 * 14)  # 80M multiply-adds


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_shape_the_rule_picks(dtype):
    """At a size the op sends to Winograd unforced, float32 rounding stays inside the
    tolerances of the other conv tests (weights scaled as a layer's init)."""
    x_shape, w_shape, padding = (16, 32, 14, 14), (64, 32, 5, 5), (2, 2)
    assert winograd.applies((1, 1), 5, 5, 32, 64, 16 * 14 * 14)
    rng = np.random.default_rng(11)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = (rng.standard_normal(w_shape) / np.sqrt(32 * 25)).astype(dtype)
    b = rng.standard_normal(64).astype(dtype)
    y = conv2d_forward(x, w, b, 1, padding)
    assert_close(y, conv2d_forward_reference(x, w, b, (1, 1), padding), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    got = conv2d_backward(gy, x, w, 1, padding, True, True, True)
    for g, r in zip(got, conv2d_backward_reference(gy, x, w, (1, 1), padding, True, True, True)):
        assert_close(g, r, dtype)

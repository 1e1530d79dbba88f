"""Direct convolutions for small images (kernels/conv/direct.py) against the NumPy reference."""

import numpy as np
import pytest

from chaingrad.kernels.conv import conv2d_backward, conv2d_forward, direct
from chaingrad.kernels.conv.reference import (
    conv2d_backward_reference,
    conv2d_forward_reference,
)

from .test_conv import assert_close, assert_need_flags, random_conv, spy_on_paths

# (x shape, w shape, stride, padding): pixel counts and tap counts that are not multiples of 8
# or 4 (short last blocks), 1×1 images and kernels, strides 1-3 and unequal, padding 0-3 and
# unequal, padding wider than the kernel, non-square kernels, O and C of 1, 3, 17, 33; more
# pixels than one chunk of the weight gradient's sum (direct.CHUNK_FLOATS)
CASES = [
    ((1, 1, 1, 1), (1, 1, 1, 1), (1, 1), (0, 0)),
    ((3, 5, 6, 7), (7, 5, 3, 3), (1, 1), (0, 0)),
    ((2, 3, 5, 5), (33, 3, 3, 3), (2, 2), (1, 1)),
    ((4, 2, 9, 6), (9, 2, 2, 2), (3, 3), (2, 2)),
    ((2, 17, 4, 11), (19, 17, 3, 3), (1, 1), (2, 2)),
    ((1, 3, 7, 5), (17, 3, 3, 2), (1, 2), (0, 1)),
    ((3, 4, 3, 3), (5, 4, 3, 3), (1, 1), (3, 2)),
    ((5, 1, 8, 8), (3, 1, 5, 5), (2, 1), (2, 0)),
    ((1, 33, 2, 3), (1, 33, 1, 1), (1, 1), (0, 0)),
    ((9, 3, 20, 20), (64, 3, 3, 3), (1, 1), (1, 1)),  # 3600 pixels: the weight sum's chunks
]
IDS = [f"x{x}-w{w}-s{s}-p{p}" for x, w, s, p in CASES]


def out_hw(x_shape, w_shape, stride, padding):
    """(Ho, Wo) of a conv2d."""
    return tuple(
        (x_shape[2 + a] + 2 * padding[a] - w_shape[2 + a]) // stride[a] + 1 for a in (0, 1)
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CASES, ids=IDS)
@pytest.mark.parametrize("threads", [1, 2])
def test_direct_matches_reference(x_shape, w_shape, stride, padding, dtype, threads):
    rng = np.random.default_rng(sum(x_shape) + sum(w_shape))
    x, w, b = random_conv(rng, x_shape, w_shape, dtype)
    hw = out_hw(x_shape, w_shape, stride, padding)
    y = direct.conv2d_forward(x, w, b, stride, padding, hw, threads)
    assert_close(y, conv2d_forward_reference(x, w, b, stride, padding), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    got = direct.conv2d_backward(gy, x, w, stride, padding, True, True, True, threads)
    want = conv2d_backward_reference(gy, x, w, stride, padding, True, True, True)
    for g, r in zip(got, want):
        assert_close(g, r, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_need_flags(dtype):
    rng = np.random.default_rng(5)
    x, w, _ = random_conv(rng, (3, 4, 7, 6), (6, 4, 3, 3), dtype)
    gy = rng.standard_normal((3, 6, 7, 6)).astype(dtype)
    want = conv2d_backward_reference(gy, x, w, (1, 1), (1, 1), True, True, True)

    def backward(*flags):
        return direct.conv2d_backward(gy, x, w, (1, 1), (1, 1), *flags, 2)

    assert_need_flags(backward, want, dtype)


@pytest.fixture
def direct_calls(monkeypatch):
    """Records the op's calls to the direct path."""
    return spy_on_paths(monkeypatch, direct)


# through the public op, unforced: shapes that take the path and shapes that just miss it
OP_CASES = [
    ((5, 32, 6, 6), (64, 32, 3, 3), 1, 0, True),  # the tutorial CNN's second conv
    ((3, 8, 6, 6), (32, 8, 3, 3), 1, 0, True),  # 72 taps, 32 outputs
    ((2, 64, 4, 4), (64, 64, 3, 3), 1, 1, True),  # 5×5 grid for 4×4 (1.56×), 576 taps
    ((2, 16, 4, 4), (32, 16, 3, 3), 1, 1, False),  # the same with 144 taps (the CLI's CNN)
    ((3, 32, 9, 9), (64, 32, 3, 3), 2, 0, True),  # stride 2, 4×4 outputs
    ((3, 32, 9, 9), (33, 32, 3, 3), 2, 0, False),  # the same with 33 output channels
    ((3, 32, 6, 6), (31, 32, 3, 3), 1, 0, False),  # 31 output channels
    ((3, 7, 6, 6), (64, 7, 3, 3), 1, 0, False),  # 63 taps
    ((3, 1, 8, 8), (32, 1, 3, 3), 1, 0, False),  # one input channel: 9 taps
    ((2, 32, 8, 8), (64, 32, 3, 3), 1, 1, False),  # 9×9 grid for 8×8 outputs (1.27×)
    ((2, 32, 20, 20), (64, 32, 3, 3), 2, 1, False),  # stride 2, 10×10 outputs
]
OP_IDS = [f"x{x}-w{w}-s{s}-p{p}" for x, w, s, p, _ in OP_CASES]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding", "takes"), OP_CASES, ids=OP_IDS)
def test_op_dispatch(direct_calls, x_shape, w_shape, stride, padding, takes, dtype):
    rng = np.random.default_rng(7)
    x, w, b = random_conv(rng, x_shape, w_shape, dtype)
    w /= np.sqrt(np.prod(w_shape[1:])).astype(dtype)  # a layer's scale: float32 sums stay small
    s2, p2 = (stride, stride), (padding, padding)
    y = conv2d_forward(x, w, b, stride, padding)
    assert_close(y, conv2d_forward_reference(x, w, b, s2, p2), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    got = conv2d_backward(gy, x, w, stride, padding, True, True, True)
    for g, r in zip(got, conv2d_backward_reference(gy, x, w, s2, p2, True, True, True)):
        assert_close(g, r, dtype)
    assert direct_calls == (["conv2d_forward", "conv2d_backward"] if takes else [])


def test_rule():
    """32+ output channels and 64+ taps; a grid of 2× the outputs, or with 64+ channels and
    256+ taps 1.5× (or a strided output of at most 8×8)."""
    k3, s1, s2 = (3, 3), (1, 1), (2, 2)
    assert direct.applies(32, 64, k3, s1, (4, 4), (6, 6))  # 2.25×
    assert direct.applies(8, 32, k3, s1, (4, 4), (8, 4))  # exactly 2×, 72 taps
    assert not direct.applies(8, 32, k3, s1, (4, 4), (7, 4))  # 1.75×
    assert not direct.applies(16, 31, k3, s1, (4, 4), (6, 6))
    assert not direct.applies(7, 64, k3, s1, (4, 4), (6, 6))  # 63 taps
    assert not direct.applies(16, 32, k3, s1, (4, 4), (5, 5))  # 1.56×, 144 taps
    assert direct.applies(32, 64, k3, s1, (4, 4), (6, 4))  # 1.5× with 288 taps, 64 channels
    assert not direct.applies(32, 63, k3, s1, (4, 4), (6, 4))
    assert not direct.applies(28, 64, k3, s1, (4, 4), (6, 4))  # 252 taps
    assert direct.applies(32, 64, k3, s2, (8, 8), (8, 8))  # strided, 64 outputs
    assert not direct.applies(32, 64, k3, s2, (8, 9), (8, 9))
    assert not direct.applies(32, 64, k3, (1, 2), (9, 8), (9, 8))
    assert not direct.applies(32, 64, k3, s1, (8, 8), (8, 8))  # stride 1: the grid decides


def test_gather_rows8_sums_every_row_and_remainder():
    """acc[r, q] += sum_s a[rb[r] + sb[s]] * rows[s, q], for n_s with and without a remainder."""
    from chaingrad.kernels.conv.taps import gather_rows8

    rng = np.random.default_rng(3)
    a = rng.standard_normal(200)
    rb = rng.integers(0, 100, 8)
    for n_s in (0, 1, 4, 7, 13):
        sb = rng.integers(0, 100, n_s)
        rows = rng.standard_normal((n_s, 5))
        acc = rng.standard_normal((8, 5))
        want = acc + a[rb[:, None] + sb[None, :]] @ rows
        gather_rows8(a, rb, sb, n_s, rows, 5, acc)
        np.testing.assert_allclose(acc, want, rtol=1e-12, atol=1e-12)

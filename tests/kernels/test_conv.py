"""conv2d / conv1d kernels against the NumPy reference, PyTorch and the lecture notes."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chaingrad.kernels.conv import (
    conv1d_backward,
    conv1d_forward,
    conv2d_backward,
    conv2d_forward,
    conv_output_size,
)
from chaingrad.kernels.conv.fast import phase_layout
from chaingrad.kernels.conv.op import _balanced
from chaingrad.kernels.conv.reference import (
    conv1d_backward_reference,
    conv1d_forward_reference,
    conv2d_backward_reference,
    conv2d_forward_reference,
    conv_output_size_reference,
)

# (x shape, w shape, stride, padding): batch 1, one channel, non-square, strides 2 and 3,
# padding wider than the kernel or equal to kernel - 1, kernel = input, row counts that are
# not multiples of 8, batches of small images that are stacked (the last stack partial)
CONV2D_CASES = [
    ((1, 1, 5, 5), (1, 1, 3, 3), (1, 1), (0, 0)),
    ((2, 3, 7, 9), (4, 3, 3, 2), (1, 1), (1, 0)),
    ((2, 3, 8, 7), (5, 3, 3, 3), (2, 2), (1, 1)),
    ((3, 2, 10, 11), (3, 2, 2, 3), (3, 2), (0, 2)),
    ((2, 4, 5, 6), (3, 4, 5, 6), (1, 1), (0, 0)),
    ((2, 2, 4, 4), (3, 2, 2, 2), (1, 1), (3, 2)),
    ((2, 9, 6, 6), (10, 9, 3, 3), (1, 1), (1, 1)),
    ((3, 5, 13, 11), (7, 5, 5, 3), (2, 1), (2, 1)),
    ((2, 6, 5, 4), (9, 6, 1, 1), (1, 1), (0, 0)),
    ((1, 3, 6, 6), (20, 3, 3, 3), (1, 1), (1, 1)),
    ((1, 2, 9, 8), (17, 2, 4, 2), (1, 3), (2, 0)),
    ((5, 1, 8, 8), (8, 1, 5, 5), (1, 1), (0, 0)),
    ((2, 3, 7, 6), (4, 3, 3, 3), (1, 1), (2, 2)),
    ((2, 4, 9, 10), (6, 4, 5, 5), (1, 1), (2, 1)),
    ((7, 3, 5, 6), (5, 3, 3, 3), (1, 1), (1, 1)),
    ((9, 2, 6, 7), (4, 2, 3, 3), (2, 2), (1, 1)),
    # strides by phases: images sharing padding rows (5x5 s2 p2), a kernel narrower than the
    # stride (1x1 s2), a kernel wider than the stride with padding wider than the kernel row
    # group (4x4 s3 p3), and stacks of several images with a partial last stack
    ((6, 3, 14, 14), (5, 3, 5, 5), (2, 2), (2, 2)),
    ((3, 2, 15, 15), (3, 2, 5, 5), (2, 2), (1, 1)),  # just misses sharing: images apart
    ((3, 2, 9, 9), (2, 2, 1, 1), (2, 2), (0, 0)),
    ((3, 2, 9, 9), (2, 2, 4, 4), (3, 3), (3, 3)),
    ((11, 3, 12, 10), (9, 3, 3, 3), (2, 2), (1, 1)),
]
CONV2D_IDS = [f"x{x}-w{w}-s{s}-p{p}" for x, w, s, p in CONV2D_CASES]

CONV1D_CASES = [
    ((1, 1, 7), (1, 1, 3), 1, 0),
    ((2, 3, 11), (5, 3, 4), 1, 2),
    ((3, 4, 16), (9, 4, 3), 2, 1),
    ((2, 2, 9), (3, 2, 9), 3, 0),
    ((1, 5, 10), (12, 5, 1), 1, 0),
]


def spy_on_paths(monkeypatch, module):
    """Record the calls the op makes to a path module's conv2d_forward / conv2d_backward."""
    calls = []
    for name in ("conv2d_forward", "conv2d_backward"):
        real = getattr(module, name)

        def spy(*args, _real=real, _name=name):
            calls.append(_name)
            return _real(*args)

        monkeypatch.setattr(module, name, spy)
    return calls


NEED_FLAG_SETS = [(True, False, False), (False, True, False), (False, False, True),
                  (False, True, True), (True, False, True), (False, False, False)]  # fmt: skip


def assert_need_flags(backward, want, dtype):
    """backward(*flags) gives the wanted gradients where asked for and None elsewhere."""
    for flags in NEED_FLAG_SETS:
        for g, r, need in zip(backward(*flags), want, flags):
            if need:
                assert_close(g, r, dtype)
            else:
                assert g is None


def assert_close(actual, expected, dtype):
    """float64: tight; float32: rtol 1e-4 with an absolute floor at the output's scale."""
    assert actual.dtype == dtype
    assert actual.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    rtol, atol = (1e-10, 1e-12 * scale) if dtype == np.float64 else (1e-4, 1e-5 * scale)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def random_conv(rng, x_shape, w_shape, dtype):
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    return x, w, b


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CONV2D_CASES, ids=CONV2D_IDS)
def test_conv2d_matches_reference(x_shape, w_shape, stride, padding, dtype):
    rng = np.random.default_rng(0)
    x, w, b = random_conv(rng, x_shape, w_shape, dtype)
    for bias in (b, None):
        y = conv2d_forward(x, w, bias, stride, padding)
        assert_close(y, conv2d_forward_reference(x, w, bias, stride, padding), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    got = conv2d_backward(gy, x, w, stride, padding, True, True, True)
    want = conv2d_backward_reference(gy, x, w, stride, padding, True, True, True)
    for g, r in zip(got, want):
        assert_close(g, r, dtype)


@pytest.mark.parametrize(
    ("h", "kh", "sh", "ph", "expected"),
    [
        (14, 5, 2, 2, (8, 9)),  # the next image's top padding covers the rows read past it
        (15, 5, 2, 1, (9, 9)),  # just misses: one padding row, phase 1 reads a data row
        (14, 5, 1, 2, (16, 18)),
        (28, 3, 2, 1, (15, 15)),  # no row is read past the image
        (4, 2, 1, 3, (10, 10)),  # outputs would run into the next image: apart
    ],
)
def test_phase_layout_shares_padding_rows_only_where_they_are_zero(h, kh, sh, ph, expected):
    ho = conv_output_size(h, kh, sh, ph)
    vr, rows = phase_layout(h, kh, sh, ph, ho)
    assert (vr, rows) == expected
    # every row an output reads past vr is, for every phase, the next image's top padding
    for a in range(kh // sh + 1):
        for pi in range(min(sh, kh)):
            if a * sh + pi < kh:
                for t in range(vr, ho - 1 + a + 1):
                    assert sh * (t - vr) + pi < ph


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CONV1D_CASES)
def test_conv1d_matches_reference(x_shape, w_shape, stride, padding, dtype):
    rng = np.random.default_rng(1)
    x, w, b = random_conv(rng, x_shape, w_shape, dtype)
    for bias in (b, None):
        y = conv1d_forward(x, w, bias, stride, padding)
        assert_close(y, conv1d_forward_reference(x, w, bias, stride, padding), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    got = conv1d_backward(gy, x, w, stride, padding, True, True, True)
    want = conv1d_backward_reference(gy, x, w, stride, padding, True, True, True)
    for g, r in zip(got, want):
        assert_close(g, r, dtype)


@pytest.mark.parametrize("need", [(True, False, False), (False, True, False), (False, False, True)])
@pytest.mark.parametrize("stride", [(1, 1), (2, 1)])
def test_conv2d_backward_returns_only_what_is_needed(need, stride):
    rng = np.random.default_rng(2)
    x, w, _ = random_conv(rng, (2, 3, 6, 5), (4, 3, 3, 3), np.float64)
    gy = rng.standard_normal(conv2d_forward(x, w, None, stride, (1, 1)).shape)
    got = conv2d_backward(gy, x, w, stride, (1, 1), *need)
    want = conv2d_backward_reference(gy, x, w, stride, (1, 1), True, True, True)
    for flag, g, r in zip(need, got, want):
        if flag:
            assert_close(g, r, np.float64)
        else:
            assert g is None


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "stride", "padding"),
    [
        ((2, 3, 9, 9), (2, 3, 1, 1), (2, 2), (0, 0)),  # a kernel smaller than the stride
        ((3, 2, 9, 9), (4, 2, 2, 2), (4, 4), (0, 0)),  # the last row and column unread
        ((3, 4, 12, 9), (5, 4, 3, 2), (4, 3), (3, 0)),  # rows between windows unread
        ((5, 9, 10, 10), (6, 9, 3, 3), (2, 2), (1, 1)),  # every pixel read: all assigned
    ],
)
def test_conv2d_input_gradient_is_zero_where_no_tap_reads(
    monkeypatch, x_shape, w_shape, stride, padding
):
    """Pixels that no output window covers get a zero gradient, never what their memory held:
    every new float array starts as NaN here."""
    real_empty = np.empty

    def poisoned(*args, **kwargs):
        out = real_empty(*args, **kwargs)
        if out.dtype.kind == "f":
            out.fill(np.nan)
        return out

    rng = np.random.default_rng(9)
    x, w, _ = random_conv(rng, x_shape, w_shape, np.float64)
    gy = rng.standard_normal(conv2d_forward(x, w, None, stride, padding).shape)
    monkeypatch.setattr(np, "empty", poisoned)
    gx = conv2d_backward(gy, x, w, stride, padding, True, False, False)[0]
    monkeypatch.undo()
    want = conv2d_backward_reference(gy, x, w, stride, padding, True, False, False)[0]
    assert_close(gx, want, np.float64)


@st.composite
def conv_configs(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    h = draw(st.integers(max(1, kh - 2 * ph), 9))
    w = draw(st.integers(max(1, kw - 2 * pw), 9))
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 11))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return (n, c, h, w), (o, c, kh, kw), stride, (ph, pw), draw(st.integers(0, 2**16))


@settings(max_examples=40, deadline=None)
@given(conv_configs())
def test_conv2d_random_shapes_match_reference(config):
    x_shape, w_shape, stride, padding, seed = config
    rng = np.random.default_rng(seed)
    x, w, b = random_conv(rng, x_shape, w_shape, np.float64)
    y = conv2d_forward(x, w, b, stride, padding)
    assert_close(y, conv2d_forward_reference(x, w, b, stride, padding), np.float64)
    gy = rng.standard_normal(y.shape)
    got = conv2d_backward(gy, x, w, stride, padding, True, True, True)
    want = conv2d_backward_reference(gy, x, w, stride, padding, True, True, True)
    for g, r in zip(got, want):
        assert_close(g, r, np.float64)


def test_lecture_vertical_edge_kernel_on_the_first_channel():
    # seeds/000: X1 and the vertical-edge kernel W11 (-1 0 1 on each row), no padding, stride 1
    x1 = np.array(
        [
            [9, 9, 3, 3, 4],
            [9, 3, 3, 4, 5],
            [9, 3, 3, 5, 5],
            [9, 3, 3, 4, 5],
            [9, 9, 3, 3, 4],
        ],
        dtype=np.float64,
    )
    w11 = np.array([[-1, 0, 1]] * 3, dtype=np.float64)
    y = conv2d_forward(x1[None, None], w11[None, None], None, (1, 1), (0, 0))
    expected = [[-18, -3, 5], [-18, 4, 6], [-18, -3, 5]]
    np.testing.assert_array_equal(y[0, 0], expected)


def test_output_size_of_ten_5x5_filters_with_padding_2_keeps_32x32():
    x = np.zeros((1, 3, 32, 32), np.float32)
    w = np.zeros((10, 3, 5, 5), np.float32)
    assert conv2d_forward(x, w, np.zeros(10, np.float32), (1, 1), (2, 2)).shape == (1, 10, 32, 32)
    assert conv_output_size(32, 5, 1, 2) == 32
    assert conv_output_size(28, 2, 2, 0) == 14
    assert conv_output_size(7, 3, 2, 1) == 4
    for args in [(32, 5, 1, 2), (28, 2, 2, 0), (7, 3, 2, 1), (9, 4, 3, 2), (1, 1, 1, 0)]:
        assert conv_output_size(*args) == conv_output_size_reference(*args)


def test_conv_output_size_rejects_a_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match=r"kernel size 7 .* padded input size 6"):
        conv_output_size(4, 7, 1, 1)
    with pytest.raises(ValueError, match=r"conv_output_size: need .* got kernel 3, stride 0"):
        conv_output_size(4, 3, 0, 1)


def test_dtypes_follow_numpy_promotion_and_views_are_accepted():
    rng = np.random.default_rng(3)
    x32, w32, b32 = random_conv(rng, (2, 3, 6, 5), (4, 3, 3, 3), np.float32)
    assert conv2d_forward(x32, w32, b32, (1, 1), (1, 1)).dtype == np.float32
    y = conv2d_forward(x32, w32.astype(np.float64), b32, (1, 1), (1, 1))
    assert y.dtype == np.float64
    # a non-contiguous view (here transposed twice) gives the same result as its copy
    xt = np.ascontiguousarray(x32.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
    assert not xt.flags.c_contiguous
    np.testing.assert_array_equal(
        conv2d_forward(xt, w32, b32, (1, 1), (1, 1)),
        conv2d_forward(x32, w32, b32, (1, 1), (1, 1)),
    )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: conv2d_forward(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 5, 5)), None, 1, 0),
            r"conv2d_forward: x \(1, 1, 3, 3\), w \(1, 1, 5, 5\).*kernel size 5 is larger",
        ),
        (
            lambda: conv2d_forward(np.zeros((1, 3, 3)), np.zeros((1, 1, 2, 2)), None, 1, 0),
            r"conv2d_forward: x must be 4-D \(N, C, H, W\), got shape \(1, 3, 3\)",
        ),
        (
            lambda: conv2d_forward(np.zeros((1, 2, 5, 5)), np.zeros((4, 3, 3, 3)), None, 1, 0),
            r"conv2d_forward: x has 2 channels but w expects 3 "
            r"\(x \(1, 2, 5, 5\), w \(4, 3, 3, 3\)\)",
        ),
        (
            lambda: conv2d_forward(
                np.zeros((1, 2, 5, 5)), np.zeros((4, 2, 3, 3)), np.zeros(3), 1, 0
            ),
            r"conv2d_forward: b must have shape \(4,\)",
        ),
        (
            lambda: conv2d_backward(
                np.zeros((1, 4, 2, 2)),
                np.zeros((1, 2, 5, 5)),
                np.zeros((4, 2, 3, 3)),
                1,
                0,
                True,
                True,
                True,
            ),
            r"conv2d_backward: gy must have the output shape \(1, 4, 3, 3\)",
        ),
        (
            lambda: conv2d_forward(np.zeros((1, 2, 5, 5)), np.zeros((4, 2, 3, 3)), None, 0, 0),
            r"conv2d_forward: stride must be >= 1",
        ),
        (
            lambda: conv1d_forward(np.zeros((2, 3, 4)), np.zeros((1, 2, 3)), None, 1, 0),
            r"conv1d_forward: x has 3 channels but w expects 2",
        ),
        (
            lambda: conv1d_forward(np.zeros((2, 3, 4)), np.zeros((1, 3, 9)), None, 1, 1),
            r"conv1d_forward: x \(2, 3, 4\), w \(1, 3, 9\).*kernel size 9 is larger",
        ),
        (
            lambda: conv1d_backward(
                np.zeros((2, 1, 2)),
                np.zeros((2, 3, 4, 1)),
                np.zeros((1, 3, 3)),
                1,
                0,
                True,
                True,
                True,
            ),
            r"conv1d_backward: x must be 3-D \(N, C, L\), got shape \(2, 3, 4, 1\)",
        ),
    ],
)
def test_bad_input_names_the_function_and_the_shapes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_non_float_data_is_a_type_error():
    with pytest.raises(TypeError, match="conv2d_forward: expected float32 or float64"):
        conv2d_forward(np.zeros((1, 1, 3, 3), complex), np.zeros((1, 1, 2, 2)), None, 1, 0)


# --- PyTorch parity: values and, through torch autograd, the three gradients ---------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CONV2D_CASES, ids=CONV2D_IDS)
def test_conv2d_matches_pytorch(x_shape, w_shape, stride, padding, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, w, b = random_conv(rng, x_shape, w_shape, dtype)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=padding)
    y = conv2d_forward(x, w, b, stride, padding)
    assert_close(y, ty.detach().numpy(), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    ty.backward(torch.tensor(gy))
    got = conv2d_backward(gy, x, w, stride, padding, True, True, True)
    for g, t in zip(got, (tx, tw, tb)):
        assert_close(g, t.grad.numpy(), dtype)


@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CONV1D_CASES)
def test_conv1d_matches_pytorch(x_shape, w_shape, stride, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, w, b = random_conv(rng, x_shape, w_shape, np.float64)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv1d(tx, tw, tb, stride=stride, padding=padding)
    y = conv1d_forward(x, w, b, stride, padding)
    assert_close(y, ty.detach().numpy(), np.float64)
    gy = rng.standard_normal(y.shape)
    ty.backward(torch.tensor(gy))
    got = conv1d_backward(gy, x, w, stride, padding, True, True, True)
    for g, t in zip(got, (tx, tw, tb)):
        assert_close(g, t.grad.numpy(), np.float64)


# --- thread counts: images and channel blocks are divided over the threads --------------

THREAD_CASES = [  # batches smaller and larger than the thread count, stride 1 and strided
    ((1, 3, 7, 6), (20, 3, 3, 3), (1, 1), (1, 1)),
    ((3, 2, 8, 9), (9, 2, 3, 2), (2, 1), (1, 0)),
    ((5, 4, 6, 6), (6, 4, 2, 2), (1, 1), (0, 1)),
    # above the grain (parallel), float64 stacks of at most 14 images: 64 images in 5 stacks,
    # which _balanced makes 6 (2 or 3 threads) of 11 (the last 9)
    ((64, 4, 6, 6), (8, 4, 3, 3), (1, 1), (0, 0)),
    # strided: one image (the input gradient's channel blocks, 8 and a partial 4, split over
    # the threads), two images, and a partial last stack with pixels no tap reads
    ((1, 20, 14, 14), (24, 20, 3, 3), (2, 2), (1, 1)),
    ((2, 20, 14, 14), (24, 20, 3, 3), (2, 2), (1, 1)),
    ((9, 11, 9, 9), (5, 11, 2, 2), (4, 3), (0, 1)),
    # stride 1 with 16+ channels and at most 4 images a forward stack (float64): the
    # backward stacks 4x as many (op._backward), the last stack partial
    ((9, 16, 12, 11), (12, 16, 3, 3), (1, 1), (1, 1)),
    ((7, 17, 16, 9), (9, 17, 2, 3), (1, 1), (0, 2)),
]


@pytest.mark.parametrize(
    ("n", "stack", "threads", "want"),
    [
        (64, 28, 2, 16),
        (64, 14, 2, 11),
        (64, 14, 3, 11),
        (64, 32, 2, 32),
        (5, 1, 4, 1),
        (7, 7, 1, 7),
    ],
)
def test_balanced_stacks_number_a_multiple_of_the_threads(n, stack, threads, want):
    got = _balanced(n, stack, threads)
    assert got == want
    assert got <= stack
    n_stacks = -(-n // got)
    assert n_stacks % threads == 0 or got == 1  # one image per stack cannot split further


def _check_thread_cases():
    rng = np.random.default_rng(6)
    for x_shape, w_shape, stride, padding in THREAD_CASES:
        x, w, b = random_conv(rng, x_shape, w_shape, np.float64)
        y = conv2d_forward(x, w, b, stride, padding)
        assert_close(y, conv2d_forward_reference(x, w, b, stride, padding), np.float64)
        gy = rng.standard_normal(y.shape)
        got = conv2d_backward(gy, x, w, stride, padding, True, True, True)
        want = conv2d_backward_reference(gy, x, w, stride, padding, True, True, True)
        for g, r in zip(got, want):
            assert_close(g, r, np.float64)


def test_results_do_not_depend_on_the_thread_count():
    numba = pytest.importorskip("numba")
    before = numba.get_num_threads()
    try:
        for threads in range(1, numba.config.NUMBA_NUM_THREADS + 1):
            numba.set_num_threads(threads)  # within NUMBA_NUM_THREADS, restored below
            _check_thread_cases()
    finally:
        numba.set_num_threads(before)


def test_three_threads_in_a_fresh_process():
    # more threads than this machine may have cores: uneven splits of images and channels
    code = "import tests.kernels.test_conv as t; t._check_thread_cases(); print('ok')"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "NUMBA_NUM_THREADS": "3", "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("n_q", [16, 32, 48, 64, 96, 112, 848])
@pytest.mark.parametrize("rows", [8, 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_accumulate_rows_tiles_match_the_sums_of_taps(n_q, rows, dtype):
    """accumulate_rows overwrites acc with the taps' sums: 8 rows in register tiles of TILE
    positions (fewer than TILE, a multiple of it, a last tile overlapping the one before), fewer
    rows one at a time; positions past n_q are left alone."""
    from chaingrad.kernels.conv.fast import accumulate_rows
    from chaingrad.kernels.conv.taps import TILE

    assert TILE == 48  # the parameters straddle it
    rng = np.random.default_rng(n_q * 7 + rows)
    n_taps = 13
    src = rng.standard_normal(n_q + 60).astype(dtype)
    offs = rng.integers(0, 60, n_taps)
    wm = rng.standard_normal((3 + rows, n_taps)).astype(dtype)
    acc = rng.standard_normal((8, n_q + 16)).astype(dtype)  # stale values: overwritten
    past = acc[:, n_q:].copy()
    shifted = np.stack([src[o : o + n_q] for o in offs]).astype(np.float64)
    want = wm[3:].astype(np.float64) @ shifted
    assert accumulate_rows(src, offs, wm, 3, n_taps, n_q, acc) == rows
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(acc[:rows, :n_q], want, rtol=tol, atol=tol)
    np.testing.assert_array_equal(acc[:, n_q:], past)


@pytest.mark.parametrize("n_q", [1, 16, 77])
def test_tap_dot4x6_adds_the_dot_products_of_rows_and_taps(n_q):
    """out[o0 + i, t0 + j] += sum_q G[o0 + i, q] src[offs[t0 + j] + q]; G's rows ``row`` apart
    from ``start`` in a flat buffer; the rest of out untouched."""
    from chaingrad.kernels.conv.taps import tap_dot4x6

    taps = 6
    rng = np.random.default_rng(n_q + taps)
    row, start, o0, t0 = n_q + 5, 3, 2, 1
    g = rng.standard_normal(start + (o0 + 4) * row + 5)
    src = rng.standard_normal(n_q + 40)
    offs = rng.integers(0, 40, t0 + taps + 2)
    out = rng.standard_normal((o0 + 6, t0 + taps + 3))
    rows = np.stack([g[start + o * row : start + o * row + n_q] for o in range(o0, o0 + 4)])
    shifted = np.stack([src[offs[t] : offs[t] + n_q] for t in range(t0, t0 + taps)])
    want = out.copy()
    want[o0 : o0 + 4, t0 : t0 + taps] += rows @ shifted.T
    tap_dot4x6(g, start, row, o0, src, offs, t0, n_q, out)
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)


def _phase_planes_expected(x, kh, kw, sh, sw, ph, pw, pitch, vr, plane_len):
    """The phase planes as the tap loops read them, built pixel by pixel (fill_planes' contract)."""
    n, c, h, w = x.shape
    n_pi, n_pj = min(sh, kh), min(sw, kw)
    src = np.zeros(n_pi * n_pj * c * plane_len, x.dtype)
    for pi in range(n_pi):
        for pj in range(n_pj):
            for ch in range(c):
                for k in range(n):
                    for t in range(vr):
                        for s in range(pitch):
                            u, v = sh * t + pi - ph, sw * s + pj - pw
                            if 0 <= u < h and 0 <= v < w:
                                at = ((pi * n_pj + pj) * c + ch) * plane_len + (k * vr + t) * pitch
                                src[at + s] = x[k, ch, u, v]
    return src


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    sh=st.integers(1, 3),
    sw=st.integers(2, 3),
    ph=st.integers(0, 2),
    pw=st.integers(0, 2),
    n=st.integers(1, 3),
)
def test_fill_planes_puts_every_pixel_in_its_phase_plane(h, w, kh, kw, sh, sw, ph, pw, n):
    # stride 2 columns take a pass that splits each row into both column phases at once
    from chaingrad.kernels.conv.fast import fill_planes, plane_length

    assume(h + 2 * ph >= kh and w + 2 * pw >= kw)  # a kernel that fits the padded image
    ho, wo = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    pitch = wo + (kw - 1) // sw
    vr = phase_layout(h, kh, sh, ph, ho)[0]
    plane_len = plane_length(n, vr, ho, kh, kw, sh, sw, pitch)
    x = np.random.default_rng(h * 100 + w).standard_normal((n, 2, h, w)).astype(np.float32)
    src = np.zeros(min(sh, kh) * min(sw, kw) * 2 * plane_len, np.float32)
    fill_planes(x, 0, n, kh, kw, sh, sw, ph, pw, pitch, vr, plane_len, src)
    expected = _phase_planes_expected(x, kh, kw, sh, sw, ph, pw, pitch, vr, plane_len)
    np.testing.assert_array_equal(src, expected)

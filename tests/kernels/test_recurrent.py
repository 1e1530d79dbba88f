"""Recurrence kernels against the step-by-step references, the references against finite
differences, and both against PyTorch where it is installed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from chaingrad.kernels import blas, runtime
from chaingrad.kernels import recurrent as k
from chaingrad.kernels.recurrent import op as recurrent_op
from chaingrad.kernels.recurrent import reference as ref
from chaingrad.kernels.recurrent import threads

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}
CELLS = tuple(GATES)
# (T, B, I, H): one step, batch 1, input 1, hidden 1, and a long sequence
SHAPES = [(1, 1, 1, 1), (1, 3, 2, 4), (5, 1, 3, 2), (4, 2, 1, 5), (3, 4, 6, 1), (200, 2, 3, 4)]


def make_case(cell, shape, dtype=np.float64, bias=True, final_grads=True, seed=0):
    """Random inputs, states, weights (scaled as PyTorch's init) and upstream gradients."""
    steps, batch, n_in, hidden = shape
    rng = np.random.default_rng(seed)
    rows = GATES[cell] * hidden
    bound = 1.0 / np.sqrt(hidden)

    def normal(*s):
        return rng.standard_normal(s).astype(dtype)

    def uniform(*s):
        return rng.uniform(-bound, bound, s).astype(dtype)

    return {
        "x": normal(steps, batch, n_in),
        "h0": normal(batch, hidden),
        "c0": normal(batch, hidden),
        "w_ih": uniform(rows, n_in),
        "w_hh": uniform(rows, hidden),
        "b_ih": uniform(rows) if bias else None,
        "b_hh": uniform(rows) if bias else None,
        "g_out": normal(steps, batch, hidden),
        "g_hn": normal(batch, hidden) if final_grads else None,
        "g_cn": normal(batch, hidden) if final_grads else None,
    }


def run(cell, c, reference=False):
    """Forward then backward; returns (out, h_n, c_n or None, gx, gh0, gc0 or None, gw_ih, gw_hh,
    gb_ih, gb_hh) whichever implementation is asked for."""
    sfx = "_reference" if reference else ""
    mod = ref if reference else k
    x, h0, c0, w_ih, w_hh = c["x"], c["h0"], c["c0"], c["w_ih"], c["w_hh"]
    if cell == "lstm":
        fwd = getattr(mod, f"lstm_forward{sfx}")
        out, c_n, saved = fwd(x, h0, c0, w_ih, w_hh, c["b_ih"], c["b_hh"])
        bwd = getattr(mod, f"lstm_backward{sfx}")
        grads = bwd(c["g_out"], c["g_hn"], c["g_cn"], x, h0, c0, w_ih, w_hh, saved)
        return (out, out[-1], c_n, *grads)
    if cell == "gru":
        out, saved = getattr(mod, f"gru_forward{sfx}")(x, h0, w_ih, w_hh, c["b_ih"], c["b_hh"])
        gx, gh0, *rest = getattr(mod, f"gru_backward{sfx}")(
            c["g_out"], c["g_hn"], x, h0, w_ih, w_hh, saved
        )
    else:
        act = cell.split("_")[1]
        out, saved = getattr(mod, f"rnn_forward{sfx}")(x, h0, w_ih, w_hh, c["b_ih"], c["b_hh"], act)
        gx, gh0, *rest = getattr(mod, f"rnn_backward{sfx}")(
            c["g_out"], c["g_hn"], x, h0, w_ih, w_hh, saved, act
        )
    return (out, out[-1], None, gx, gh0, None, *rest)


NAMES = ("out", "h_n", "c_n", "gx", "gh0", "gc0", "gw_ih", "gw_hh", "gb_ih", "gb_hh")


def assert_results_close(got, want, rtol, atol, dtype=None):
    for name, a, b in zip(NAMES, got, want):
        if b is None:
            assert a is None, f"{name} should be None"
            continue
        assert a is not None, f"{name} is None"
        assert a.shape == b.shape, f"{name}: shape {a.shape} vs {b.shape}"
        if dtype is not None:
            assert a.dtype == dtype, f"{name}: dtype {a.dtype}, expected {dtype}"
        scale = max(1.0, float(np.abs(b).max()))
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol * scale, err_msg=name)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}-B{}-I{}-H{}".format(*s))
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("final_grads", [True, False], ids=["g_final", "no_g_final"])
def test_kernel_matches_reference(shape, cell, dtype, bias, final_grads):
    case = make_case(cell, shape, dtype, bias, final_grads)
    got = run(cell, case)
    # the oracle runs in float64 on the very same (possibly float32) numbers
    wide = {name: None if a is None else a.astype(np.float64) for name, a in case.items()}
    want = run(cell, wide, reference=True)
    tol = (1e-4, 1e-5) if dtype == np.float32 else (1e-10, 1e-12)
    assert_results_close(got, want, *tol, dtype=np.dtype(dtype))


def numerical_grads(cell, c, eps=1e-6):
    """Central differences of L = Σ g_out ⊙ out + Σ g_hn ⊙ h_n (+ Σ g_cn ⊙ c_n)."""

    def loss():
        out, h_n, c_n, *_ = run(cell, {**c, "g_hn": None, "g_cn": None}, reference=True)
        total = np.sum(c["g_out"] * out) + np.sum(c["g_hn"] * h_n)
        return total + (np.sum(c["g_cn"] * c_n) if c_n is not None else 0.0)

    grads = {}
    for name in ("x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh"):
        a = c[name]
        if a is None:
            continue
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            keep = a[idx]
            a[idx] = keep + eps
            up = loss()
            a[idx] = keep - eps
            down = loss()
            a[idx] = keep
            g[idx] = (up - down) / (2 * eps)
        grads[name] = g
    return grads


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_reference_gradients_match_finite_differences(cell, bias):
    case = make_case(cell, (3, 2, 3, 2), np.float64, bias, final_grads=True, seed=1)
    numeric = numerical_grads(cell, case)
    _, _, _, gx, gh0, gc0, gw_ih, gw_hh, gb_ih, gb_hh = run(cell, case, reference=True)
    analytic = {"x": gx, "h0": gh0, "w_ih": gw_ih, "w_hh": gw_hh, "b_ih": gb_ih, "b_hh": gb_hh}
    if cell == "lstm":
        analytic["c0"] = gc0
    else:
        assert gc0 is None
        numeric.pop("c0")
    if not bias:
        assert gb_ih is None and gb_hh is None
        analytic.pop("b_ih"), analytic.pop("b_hh")
    assert analytic.keys() == numeric.keys()
    for name, g in analytic.items():
        np.testing.assert_allclose(g, numeric[name], rtol=1e-6, atol=1e-8, err_msg=name)


def torch_results(cell, c):
    """The same layer in PyTorch: outputs, final states and every gradient, as NumPy arrays."""
    torch = pytest.importorskip("torch")
    n_in = c["x"].shape[2]
    hidden = c["h0"].shape[1]
    bias = c["b_ih"] is not None
    if cell == "lstm":
        layer = torch.nn.LSTM(n_in, hidden, bias=bias)
    elif cell == "gru":
        layer = torch.nn.GRU(n_in, hidden, bias=bias)
    else:
        layer = torch.nn.RNN(n_in, hidden, nonlinearity=cell.split("_")[1], bias=bias)
    layer = layer.to(torch.from_numpy(c["x"]).dtype)
    names = ("w_ih", "w_hh", "b_ih", "b_hh") if bias else ("w_ih", "w_hh")
    with torch.no_grad():
        for param, name in zip(layer.parameters(), names):
            param.copy_(torch.from_numpy(c[name]))
    x = torch.from_numpy(c["x"]).requires_grad_()
    h0 = torch.from_numpy(c["h0"][None]).requires_grad_()
    c0 = torch.from_numpy(c["c0"][None]).requires_grad_()
    if cell == "lstm":
        out, (h_n, c_n) = layer(x, (h0, c0))
    else:
        (out, h_n), c_n = layer(x, h0), None
    loss = (out * torch.from_numpy(c["g_out"])).sum()
    if c["g_hn"] is not None:
        loss = loss + (h_n * torch.from_numpy(c["g_hn"][None])).sum()
    if c_n is not None and c["g_cn"] is not None:
        loss = loss + (c_n * torch.from_numpy(c["g_cn"][None])).sum()
    loss.backward()
    params = [p.grad.numpy() for p in layer.parameters()] + ([] if bias else [None, None])

    def np_(t):
        return None if t is None else t.detach().numpy()

    return (
        np_(out),
        np_(h_n)[0],
        None if c_n is None else np_(c_n)[0],
        x.grad.numpy(),
        h0.grad.numpy()[0],
        None if c_n is None else c0.grad.numpy()[0],
        *params,
    )


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("final_grads", [True, False], ids=["g_final", "no_g_final"])
def test_kernel_matches_pytorch_float64(cell, bias, final_grads):
    case = make_case(cell, (7, 3, 5, 4), np.float64, bias, final_grads, seed=2)
    assert_results_close(run(cell, case), torch_results(cell, case), 1e-10, 1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_kernel_matches_pytorch_float32(cell):
    case = make_case(cell, (50, 8, 16, 32), np.float32, seed=3)
    assert_results_close(run(cell, case), torch_results(cell, case), 1e-4, 1e-5)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("missing", ["b_ih", "b_hh"])
def test_one_bias_missing(cell, missing):
    case = dict(make_case(cell, (3, 2, 4, 3)), **{missing: None})
    got, want = run(cell, case), run(cell, case, reference=True)
    assert_results_close(got, want, 1e-10, 1e-12)
    assert got[NAMES.index(f"g{missing}")] is None


@pytest.mark.parametrize("cell", CELLS)
def test_none_initial_states_and_upstream_gradients_mean_zeros(cell):
    case = make_case(cell, (4, 3, 2, 5), final_grads=False)
    zeros = dict(case, h0=np.zeros_like(case["h0"]), c0=np.zeros_like(case["c0"]))
    want = run(cell, zeros)
    nones = dict(case, h0=None, c0=None)
    assert_results_close(run(cell, nones), want, 1e-12, 1e-14)
    assert_results_close(run(cell, nones, reference=True), want, 1e-12, 1e-14)
    only_final = dict(zeros, g_out=None, g_hn=case["g_out"][0], g_cn=case["g_out"][1])
    want = run(cell, dict(only_final, g_out=np.zeros_like(case["g_out"])))
    assert_results_close(run(cell, only_final), want, 1e-12, 1e-14)
    assert_results_close(run(cell, only_final, reference=True), want, 1e-12, 1e-14)


def test_forward_records_what_the_docs_say():
    c = make_case("lstm", (4, 2, 3, 5))
    out, c_n, saved = k.lstm_forward(c["x"], c["h0"], c["c0"], c["w_ih"], c["w_hh"], None, None)
    assert np.shares_memory(out, saved.h) and np.array_equal(saved.h[1:], out)
    np.testing.assert_array_equal(saved.h[0], c["h0"])
    np.testing.assert_array_equal(saved.c[0], c["c0"])
    np.testing.assert_array_equal(saved.c[-1], c_n)
    np.testing.assert_allclose(saved.tanh_c, np.tanh(saved.c[1:]), rtol=1e-14)
    assert saved.gates.shape == (4, 2, 20)
    assert all(a.flags.c_contiguous for a in (out, c_n, saved.h, saved.c, saved.gates))
    g = make_case("gru", (4, 2, 3, 5))
    out, saved = k.gru_forward(g["x"], g["h0"], g["w_ih"], g["w_hh"], g["b_ih"], g["b_hh"])
    hn = saved.h[:-1] @ g["w_hh"][10:].T + g["b_hh"][10:]
    np.testing.assert_allclose(saved.hn, hn, rtol=1e-12)
    assert saved.gates.shape == (4, 2, 15)


def test_inputs_are_not_modified_and_any_layout_is_accepted():
    c = make_case("lstm", (6, 3, 4, 5), final_grads=True)
    before = {name: a.copy() for name, a in c.items()}
    want = run("lstm", c)
    assert all(np.array_equal(c[n], before[n]) for n in c)
    # Fortran order, a strided view and float32 weights (promoted to the input's float64)
    odd = dict(c)
    odd["x"] = np.asfortranarray(c["x"])
    odd["w_hh"] = np.asfortranarray(c["w_hh"])
    odd["g_out"] = np.repeat(c["g_out"], 2, axis=1)[:, ::2]
    got = run("lstm", odd)
    assert_results_close(got, want, 1e-12, 1e-14, dtype=np.dtype(np.float64))
    mixed = dict(c, w_ih=c["w_ih"].astype(np.float32))
    assert run("lstm", mixed)[0].dtype == np.float64


def test_mixed_float32_stays_float32():
    c = make_case("gru", (3, 2, 2, 3), np.float32)
    assert all(a is None or a.dtype == np.float32 for a in run("gru", c))


def _lstm_args(**overrides):
    c = make_case("lstm", (5, 2, 3, 4))
    args = {n: c[n] for n in ("x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh")}
    return {**args, **overrides}


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        ({"x": np.zeros((5, 3))}, r"lstm_forward: x must have shape \(T, B, 3\), got \(5, 3\)"),
        (
            {"x": np.zeros((5, 2, 4))},
            r"lstm_forward: x must have shape \(T, B, 3\), got \(5, 2, 4\)",
        ),
        ({"h0": np.zeros((2, 5))}, r"lstm_forward: h0 must have shape \(2, 4\), got \(2, 5\)"),
        ({"c0": np.zeros((3, 4))}, r"lstm_forward: c0 must have shape \(2, 4\), got \(3, 4\)"),
        ({"h0": np.zeros((1, 2, 4))}, r"h0 must have shape \(2, 4\), got \(1, 2, 4\)"),
        ({"w_hh": np.zeros((16, 5))}, r"w_hh must have shape \(20, 5\), got \(16, 5\)"),
        ({"w_ih": np.zeros((12, 3))}, r"w_ih must have shape \(16, input_size\), got \(12, 3\)"),
        ({"b_ih": np.zeros(15)}, r"b_ih must have shape \(16,\), got \(15,\)"),
        ({"x": np.zeros((0, 2, 3))}, r"lstm_forward: need at least one time step"),
    ],
)
def test_lstm_forward_shape_errors_name_function_and_shapes(override, pattern):
    args = _lstm_args(**override)
    with pytest.raises(ValueError, match=pattern):
        k.lstm_forward(*args.values())


def test_shape_errors_of_the_other_functions():
    c = make_case("gru", (5, 2, 3, 4))
    with pytest.raises(ValueError, match=r"gru_forward: x must have shape \(T, B, 3\)"):
        k.gru_forward(c["x"][..., :2], c["h0"], c["w_ih"], c["w_hh"], None, None)
    out, saved = k.gru_forward(c["x"], c["h0"], c["w_ih"], c["w_hh"], None, None)
    with pytest.raises(ValueError, match=r"gru_backward: g_out must have shape \(5, 2, 4\)"):
        k.gru_backward(out[:-1], None, c["x"], c["h0"], c["w_ih"], c["w_hh"], saved)
    with pytest.raises(ValueError, match=r"gru_backward: g_hn must have shape \(2, 4\)"):
        k.gru_backward(out, out, c["x"], c["h0"], c["w_ih"], c["w_hh"], saved)
    with pytest.raises(TypeError, match=r"gru_backward: saved must be the GRUSaved"):
        k.gru_backward(out, None, c["x"], c["h0"], c["w_ih"], c["w_hh"], (out,))
    r = make_case("rnn_tanh", (5, 2, 3, 4))
    with pytest.raises(ValueError, match=r"rnn_forward: w_hh must have shape \(4, 4\)"):
        k.rnn_forward(r["x"], r["h0"], r["w_ih"], r["w_hh"][:3], None, None)
    with pytest.raises(ValueError, match=r"rnn_forward: nonlinearity must be 'tanh' or 'relu'"):
        k.rnn_forward(r["x"], r["h0"], r["w_ih"], r["w_hh"], None, None, "sigmoid")
    out, saved = k.rnn_forward(r["x"], r["h0"], r["w_ih"], r["w_hh"], None, None)
    with pytest.raises(ValueError, match=r"rnn_backward: x must have shape \(5, 2, input_size\)"):
        k.rnn_backward(out, None, r["x"][:4], r["h0"], r["w_ih"], r["w_hh"], saved)
    with pytest.raises(TypeError, match=r"rnn_forward: expected float32 or float64"):
        k.rnn_forward(r["x"].astype(complex), r["h0"], r["w_ih"], r["w_hh"], None, None)


def test_kernel_tanh_is_within_a_few_ulp_and_keeps_nan_and_infinities():
    numba = pytest.importorskip("numba")
    from chaingrad.kernels.recurrent.fast import tanh

    @numba.njit(error_model="numpy")
    def apply(a, out):
        for i in range(a.size):
            out[i] = tanh(a[i])

    tiny = 10.0 ** -np.arange(1, 38)
    x32 = np.concatenate([np.linspace(-12, 12, 200_001), tiny, -tiny, [0.0]]).astype(np.float32)
    got = np.empty_like(x32)
    apply(x32, got)
    want = np.tanh(x32.astype(np.float64))
    # within 5e-7 relative (float32 ulp: 6e-8 near 1); absolutely near float32 subnormals
    np.testing.assert_allclose(got, want, rtol=5e-7, atol=1e-40)
    assert np.array_equal(np.sign(got), np.sign(want))
    special = np.array([np.nan, np.inf, -np.inf], dtype=np.float32)
    apply(special, got[:3])
    assert np.isnan(got[0]) and got[1] == 1.0 and got[2] == -1.0
    x64 = np.linspace(-30, 30, 10_001)
    out64 = np.empty_like(x64)
    apply(x64, out64)
    np.testing.assert_allclose(out64, np.tanh(x64), rtol=1e-15, atol=1e-300)  # libm's, exactly


@pytest.mark.parametrize("hidden", [1, 15, 16, 17, 128], ids=lambda h: f"H{h}")
def test_lstm_float32_steps_agree_with_float64_at_vector_widths(hidden):
    # H = 16 fills AVX-512 lanes exactly; 15 and 17 leave a scalar remainder; 1 is all remainder
    case = make_case("lstm", (7, 3, 5, hidden), np.float32, seed=hidden)
    got = run("lstm", case)
    wide = {name: None if a is None else a.astype(np.float64) for name, a in case.items()}
    assert_results_close(got, run("lstm", wide, reference=True), 1e-4, 1e-5, np.dtype(np.float32))


# ---- lanes (batch rows on several threads) and row-blocked step products (issue 16) ----


@pytest.fixture
def lanes_on(monkeypatch):
    """Lanes are off by default (slower in wall time here); these tests turn them on."""
    monkeypatch.setattr(threads, "ENABLED", True)


# B 16 and 33 at H 128 take two lanes with 2 threads (B 33: lanes of 17 and 16 rows, blocked
# 12 + 5 and 8 + 8); B 15 just misses a second lane; H 7 keeps every product in one block.
LANE_SHAPES = [(3, 16, 5, 128), (4, 33, 3, 128), (3, 15, 5, 7), (2, 40, 31, 9)]


@pytest.mark.parametrize("shape", LANE_SHAPES, ids=lambda s: "T{}-B{}-I{}-H{}".format(*s))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("lanes", [1, 2], ids=["1thread", "2threads"])
def test_lstm_lanes_and_blocks_match_reference(shape, dtype, lanes, lanes_on):
    numba = pytest.importorskip("numba")
    if lanes > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("numba has fewer threads")
    before = numba.get_num_threads()
    numba.set_num_threads(lanes)
    try:
        expected = 1 if blas.blas_control() is None else min(lanes, shape[1] // 8)
        assert len(threads.lanes(shape[1])) == max(1, expected)
        case = make_case("lstm", shape, dtype, seed=shape[1])
        got = run("lstm", case)
    finally:
        numba.set_num_threads(before)
    wide = {name: None if a is None else a.astype(np.float64) for name, a in case.items()}
    tol = (1e-4, 1e-5) if dtype == np.float32 else (1e-10, 1e-12)
    assert_results_close(got, run("lstm", wide, reference=True), *tol, np.dtype(dtype))


@pytest.mark.parametrize("rows", [1, 7, 8, 15, 16, 17, 32, 33, 64, 128])
@pytest.mark.parametrize(("k", "n"), [(128, 512), (512, 128), (64, 512), (7, 28), (256, 1024)])
def test_row_blocks_cover_the_rows_and_fit_the_small_path(rows, k, n):
    blocks = recurrent_op._row_blocks(rows, k, n)
    assert blocks[0].start == 0 and blocks[-1].stop == rows
    assert all(a.stop == b.start for a, b in itertools.pairwise(blocks))
    per = recurrent_op.SMALL_GEMM // (k * n)
    if len(blocks) == 1:  # already small, or blocks would be thinner than MIN_BLOCK
        assert rows <= per or per - per % 4 < recurrent_op.MIN_BLOCK
    else:
        sizes = [b.stop - b.start for b in blocks]
        assert all(s * k * n <= recurrent_op.SMALL_GEMM for s in sizes)
        assert all(s % 4 == 0 and s == sizes[0] for s in sizes[:-1]) and 0 < sizes[-1] <= sizes[0]
        assert len(blocks) == -(-rows // (per - per % 4))  # as few calls as the limit allows


def test_lanes_split_the_batch_and_blas_threads_are_restored(lanes_on):
    numba = pytest.importorskip("numba")
    if blas.blas_control() is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS whose thread count can be set")
    _, getter = blas.blas_control()
    before = getter()
    with blas.single_threaded():
        assert getter() == 1
    assert getter() == before
    # overlapping blocks (two threads running LSTMs): the last to close restores the count
    outer, inner = blas.single_threaded(), blas.single_threaded()
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)
    assert getter() == 1
    inner.__exit__(None, None, None)
    assert getter() == before
    for batch in (1, 7, 15, 16, 33, 128):
        rows = threads.lanes(batch)
        assert rows[0].start == 0 and rows[-1].stop == batch
        assert len(rows) == max(1, min(numba.get_num_threads(), batch // threads.MIN_LANE_ROWS))
        assert all(r.stop - r.start >= threads.MIN_LANE_ROWS for r in rows) or len(rows) == 1


def test_a_lane_error_reaches_the_caller():
    def fail(rows):
        if rows.start > 0:
            raise ValueError("lane failed")

    with pytest.raises(ValueError, match="lane failed"):
        runtime.run_lanes(fail, [slice(0, 8), slice(8, 16)])


def test_lstms_on_two_threads_at_once_agree_with_one_at_a_time(lanes_on):
    from concurrent.futures import ThreadPoolExecutor

    cases = [make_case("lstm", (6, 24, 5, 128), np.float32, seed=s) for s in (1, 2)]
    want = [run("lstm", c) for c in cases]
    control = blas.blas_control()
    before = None if control is None else control[1]()
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda c: run("lstm", c), cases * 3))
    for g, w in zip(got, want * 3):
        assert_results_close(g, w, 1e-6, 1e-7)
    if control is not None:
        assert control[1]() == before  # BLAS's thread count is back


def test_lanes_are_off_by_default(monkeypatch):
    """Without CHAINGRAD_LSTM_LANES=1 an LSTM sweeps all its rows as one lane."""
    monkeypatch.setattr(threads, "ENABLED", False)
    assert threads.lanes(64) == [slice(0, 64)]


# ---- fused sweeps: every LSTM step in one numba call that calls BLAS itself (issue 16) ----


@pytest.fixture(params=["fused-1thread", "fused-2threads", "fused-2python-threads", "per_step"])
def sweep_path(request, monkeypatch):
    """Run a test on the fused sweep (BLAS called from numba) in one lane, in lanes of rows on
    two threads (one parallel kernel, ``fast.lstm_*_lanes``, or Python threads, as while that
    kernel compiles or under numba's workqueue layer), and on the per-step sweep."""
    numba = pytest.importorskip("numba")
    lanes = 1 if request.param in ("fused-1thread", "per_step") else 2
    if request.param != "per_step" and not blas.gemm_address(np.float32):
        pytest.skip("NumPy's BLAS has no ILP64 cblas_?gemm: the fused sweep never runs")
    if lanes > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("numba has fewer threads")
    if request.param == "per_step":
        monkeypatch.setattr(blas, "_gemm", {})
    if request.param == "fused-2python-threads":
        monkeypatch.setattr(recurrent_op, "_parallel_lanes", lambda: False)
    before = numba.get_num_threads()
    numba.set_num_threads(lanes)
    yield lanes
    numba.set_num_threads(before)


# at H 128 a step product (k·n = 128·512) stays one call up to 15 rows and is cut into blocks of
# at most 12 rows beyond: B 15 just fits, B 16 just misses (8 + 8), B 17 and 33 leave a short
# last block (12 + 5, 12 + 12 + 9); H 3 keeps every product whole; T 1 and B 1 are the edges.
# On two threads B 15 and 7 stay one lane (8 rows a lane at least), B 16 just makes two
# (8 + 8), B 17 and 33 split unevenly (9 + 8, 17 + 16: blocks 12 + 5 and 12 + 4 at H 128).
SWEEP_SHAPES = [(3, 16, 5, 128), (2, 15, 3, 128), (2, 17, 3, 128), (2, 33, 4, 128), (7, 7, 2, 3),
                (4, 40, 31, 9), (1, 1, 1, 1)]  # fmt: skip


@pytest.mark.parametrize("shape", SWEEP_SHAPES, ids=lambda s: "T{}-B{}-I{}-H{}".format(*s))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_lstm_sweeps_match_reference(shape, dtype, sweep_path):
    if sweep_path == 2 and threads.FUSED_LANES:
        assert len(threads.sweep_lanes(shape[1])) == (2 if shape[1] >= 16 else 1)
    case = make_case("lstm", shape, dtype, seed=shape[1])
    got = run("lstm", case)
    wide = {name: None if a is None else a.astype(np.float64) for name, a in case.items()}
    tol = (1e-4, 1e-5) if dtype == np.float32 else (1e-10, 1e-12)
    assert_results_close(got, run("lstm", wide, reference=True), *tol, np.dtype(dtype))


def test_the_fused_sweeps_run_where_blas_allows(monkeypatch):
    from chaingrad.kernels.recurrent import fast

    if not blas.gemm_address(np.float64) or not runtime.use_numba("recurrent"):
        pytest.skip("no ILP64 cblas_?gemm in NumPy's BLAS, or numba not in use")
    calls = []
    for name in ("lstm_forward_sweep", "lstm_backward_sweep"):
        kernel = getattr(fast, name)
        monkeypatch.setattr(fast, name, lambda *a, _k=kernel, _n=name: calls.append(_n) or _k(*a))
    run("lstm", make_case("lstm", (2, 3, 2, 4)))
    assert calls == ["lstm_forward_sweep", "lstm_backward_sweep"]


@pytest.mark.parametrize("parallel", [True, False], ids=["numba-threads", "python-threads"])
def test_lstm_lanes_run_as_one_parallel_kernel_where_the_layer_allows(parallel, monkeypatch):
    import numba

    from chaingrad.kernels.recurrent import fast

    if numba.config.NUMBA_NUM_THREADS < 2 or not blas.gemm_address(np.float32):
        pytest.skip("one thread, or no ILP64 cblas_?gemm: no lanes here")
    if not runtime.use_numba("recurrent"):
        pytest.skip("the recurrent kernels are compiling in the background")
    if parallel and (
        not runtime.use_numba("lstm-lanes") or runtime.threading_layer() == "workqueue"
    ):
        pytest.skip("the lane kernels are not in use here (compiling, or numba's workqueue)")
    monkeypatch.setattr(recurrent_op, "_parallel_lanes", lambda: parallel)
    calls = []
    names = ("lstm_forward_lanes", "lstm_backward_lanes", "lstm_forward_sweep",
             "lstm_backward_sweep")  # fmt: skip
    for name in names:
        kernel = getattr(fast, name)
        monkeypatch.setattr(fast, name, lambda *a, _k=kernel, _n=name: calls.append(_n) or _k(*a))
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        case = make_case("lstm", (3, 24, 5, 16), np.float32, seed=4)  # lanes of 12 rows
        got = run("lstm", case)
    finally:
        numba.set_num_threads(before)
    if parallel:
        assert calls == ["lstm_forward_lanes", "lstm_backward_lanes"]
    else:  # one sweep call per lane and direction
        assert sorted(calls) == ["lstm_backward_sweep"] * 2 + ["lstm_forward_sweep"] * 2
    wide = {name: None if a is None else a.astype(np.float64) for name, a in case.items()}
    assert_results_close(got, run("lstm", wide, reference=True), 1e-4, 1e-5, np.dtype(np.float32))


# ---- column sweeps: a small batch's hidden units split over the threads (issue 16) ----


@pytest.fixture
def two_threads():
    """numba on two threads with cblas_?gemm found: where small batches take the column sweeps."""
    numba = pytest.importorskip("numba")
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has one thread: the column sweeps never run")
    if not blas.gemm_address(np.float32) or not runtime.use_numba("lstm-columns"):
        pytest.skip("no ILP64 cblas_?gemm in NumPy's BLAS, or numba not in use")
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    yield
    numba.set_num_threads(before)


# H 130, 129 and 200 leave a short last block (72 + 58, 72 + 57, 3 × 56 + 32); B 1 and 15 are
# the batches that still make one lane of rows, B 16 at H 264 two thin lanes; T 1 the shortest
COLUMN_SHAPES = [(3, 1, 5, 128), (2, 15, 3, 130), (4, 8, 7, 200), (2, 3, 1, 256), (1, 2, 4, 129),
                 (2, 16, 3, 264)]  # fmt: skip


@pytest.mark.parametrize("shape", COLUMN_SHAPES, ids=lambda s: "T{}-B{}-I{}-H{}".format(*s))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_lstm_column_sweeps_match_reference(shape, dtype, bias, two_threads, monkeypatch):
    from chaingrad.kernels.recurrent import fast

    calls = []
    for name in ("lstm_forward_columns", "lstm_backward_columns", "lstm_weight_grads_columns"):
        kernel = getattr(fast, name)
        monkeypatch.setattr(fast, name, lambda *a, _k=kernel, _n=name: calls.append(_n) or _k(*a))
    case = make_case("lstm", shape, dtype, bias=bias, final_grads=shape[1] != 3, seed=shape[3])
    got = run("lstm", case)
    assert calls == ["lstm_forward_columns", "lstm_backward_columns", "lstm_weight_grads_columns"]
    wide = {name: None if a is None else a.astype(np.float64) for name, a in case.items()}
    tol = (1e-4, 1e-5) if dtype == np.float32 else (1e-10, 1e-12)
    assert_results_close(got, run("lstm", wide, reference=True), *tol, np.dtype(dtype))


@pytest.mark.parametrize("hidden", [128, 129, 130, 200, 256, 384, 512, 1000, 1030])
def test_column_blocks_are_multiples_of_8_and_cover_the_units(hidden, two_threads):
    from chaingrad.kernels.recurrent import fast

    f32 = np.dtype(np.float32)
    size = recurrent_op._column_block(fast, f32, 8, hidden)
    blocks = -(-hidden // size)
    assert size % 8 == 0 and blocks >= 2 and (blocks - 1) * size < hidden
    # about COLUMN_BLOCK units a block, the blocks shared evenly (within one) by the threads
    assert abs(size - recurrent_op.COLUMN_BLOCK) <= recurrent_op.COLUMN_BLOCK // 2 + 8
    assert blocks % 2 == 0 or hidden % size


def test_the_column_sweeps_run_for_one_lane_or_thin_lanes_and_enough_units(two_threads):
    import numba

    from chaingrad.kernels.recurrent import fast, numpy_path

    f32 = np.dtype(np.float32)
    assert recurrent_op._column_block(fast, f32, 15, 128)
    assert not recurrent_op._column_block(fast, f32, 15, recurrent_op.MIN_COLUMN_HIDDEN - 1)
    assert not recurrent_op._column_block(fast, f32, 16, 255)  # two lanes of 8 rows instead
    assert recurrent_op._column_block(fast, f32, 16, 256)  # lanes that thin: columns from 256
    assert not recurrent_op._column_block(fast, f32, 17, 512)  # lanes of 9 rows
    assert not recurrent_op._column_block(numpy_path, f32, 8, 512)  # numba still compiling
    numba.set_num_threads(1)
    assert not recurrent_op._column_block(fast, f32, 8, 512)


def test_column_sweeps_on_two_threads_at_once_agree_with_one_at_a_time(two_threads):
    """Two Python threads running small-batch LSTMs at once (each a parallel region of its
    own, BLAS held to one thread by both): same results, BLAS's thread count restored."""
    from concurrent.futures import ThreadPoolExecutor

    import numba

    cases = [make_case("lstm", (5, 4, 3, 136), np.float32, seed=s) for s in (1, 2)]
    want = [run("lstm", c) for c in cases]
    control = blas.blas_control()
    before = None if control is None else control[1]()

    def on_two_threads(case):
        numba.set_num_threads(2)  # per thread in numba: the pool's threads start at the default
        return run("lstm", case)

    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(on_two_threads, cases * 3))
    for g, w in zip(got, want * 3):
        assert_results_close(g, w, 1e-6, 1e-7)
    if control is not None:
        assert control[1]() == before


def test_lstm_out_and_c_n_are_adjacent_and_packed_without_a_copy():
    case = make_case("lstm", (4, 3, 2, 5), np.float32)
    out, c_n, saved = k.lstm_forward(
        case["x"], case["h0"], case["c0"], case["w_ih"], case["w_hh"], None, None
    )
    packed = k.packed_outputs(out, c_n)
    assert packed.shape == (5, 3, 5) and np.shares_memory(packed, out)
    np.testing.assert_array_equal(packed[:4], out)
    np.testing.assert_array_equal(packed[4], saved.c[-1])
    # arrays that are not adjacent are joined by a copy
    apart = k.packed_outputs(out.copy(), c_n.copy())
    assert not np.shares_memory(apart, out)
    np.testing.assert_array_equal(apart, packed)


def test_large_recurrent_weights_take_the_per_step_path():
    """The fused sweeps measured slower once W_hh outgrew ~2 MiB (H = 512 in float32)."""
    small = np.zeros((4 * 256, 256), np.float32)  # 1 MiB
    large = np.zeros((4 * 512, 512), np.float32)  # 4 MiB
    f32 = np.dtype(np.float32)
    assert recurrent_op._fused_gemm(f32, small) == blas.gemm_address(f32)
    assert recurrent_op._fused_gemm(f32, large) == 0
    assert recurrent_op._fused_gemm(np.dtype(np.float64), np.zeros((4 * 384, 384))) == 0

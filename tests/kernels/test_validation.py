"""Public kernels validate before they touch memory (issue 13, items 4 and 8).

The hostile cases run in a subprocess, so that a segfault (argmax 10**10 used to crash the
interpreter) fails a test instead of killing pytest; the same cases run with NUMBA_DISABLE_JIT=1,
which must raise the same errors and compute the same results.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chaingrad.kernels import conv, pool
from chaingrad.kernels import recurrent as rec

ROOT = Path(__file__).resolve().parents[2]


def _pool_case():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 4))
    y, arg = pool.max_pool2d_forward(x, 2, None, 0)
    return x, y, arg


def _with(arg: np.ndarray, value: int, dtype=np.int64) -> np.ndarray:
    bad = arg.astype(dtype)
    bad[1, 2, 1, 0] = value  # one index, deep inside the array
    return bad


def _lstm_case(batch: int = 2):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, batch, 4))
    w_ih, w_hh = rng.standard_normal((20, 4)), rng.standard_normal((20, 5))
    out, _, saved = rec.lstm_forward(x, None, None, w_ih, w_hh, None, None)
    return out, x, w_ih, w_hh, saved


def _gru_case():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, 4))
    w_ih, w_hh = rng.standard_normal((15, 4)), rng.standard_normal((15, 5))
    out, saved = rec.gru_forward(x, None, w_ih, w_hh, None, None)
    return out, x, w_ih, w_hh, saved


def _rnn_case():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 2, 4))
    w_ih, w_hh = rng.standard_normal((5, 4)), rng.standard_normal((5, 5))
    out, saved = rec.rnn_forward(x, None, w_ih, w_hh, None, None)
    return out, x, w_ih, w_hh, saved


def _lstm_back(saved, batch: int = 2):
    out, x, w_ih, w_hh, _ = _lstm_case(batch)
    return rec.lstm_backward(out, None, None, x, None, None, w_ih, w_hh, saved)


def hostile_cases() -> dict:
    """name -> (a call that must raise, the exception type, a fragment of its message)."""
    x, y, arg = _pool_case()
    mp_back = pool.max_pool2d_backward
    xs = np.ones((2, 3, 6, 6))
    w = np.ones((4, 3, 3, 3))
    gy = np.ones((2, 4, 6, 6))
    _, lx, li, lh, ls = _lstm_case()
    gout, gx_, gi, gh, gs = _gru_case()
    rout, rx, ri, rh, rs = _rnn_case()
    plane = "argmax must be flat indices in [0, 16)"
    return {
        # max_pool2d_backward: argmax outside the 4 x 4 plane, in every direction
        "argmax 10**10": (lambda: mp_back(y, _with(arg, 10**10), x.shape), ValueError, plane),
        "argmax 16": (lambda: mp_back(y, _with(arg, 16), x.shape), ValueError, plane),
        "argmax 100000": (lambda: mp_back(y, _with(arg, 100000), x.shape), ValueError, plane),
        "argmax -100": (lambda: mp_back(y, _with(arg, -100), x.shape), ValueError, plane),
        "argmax -1": (lambda: mp_back(y, _with(arg, -1), x.shape), ValueError, plane),
        "argmax uint64 2**63+5": (
            lambda: mp_back(y, _with(arg, 2**63 + 5, np.uint64), x.shape),
            ValueError,
            plane,
        ),
        "argmax int8 -3": (lambda: mp_back(y, _with(arg, -3, np.int8), x.shape), ValueError, plane),
        "argmax float": (lambda: mp_back(y, arg.astype(float), x.shape), TypeError, "integer"),
        "argmax shape": (lambda: mp_back(y, arg[:, :2], x.shape), ValueError, "must match"),
        "gy channels vs x_shape": (lambda: mp_back(y, arg, (2, 4, 4, 4)), ValueError, "(N, C)"),
        "x_shape smaller plane": (
            lambda: mp_back(y, arg, (2, 3, 2, 2)),
            ValueError,
            "in [0, 4)",
        ),
        "x_shape negative": (lambda: mp_back(y, arg, (2, 3, -4, 4)), ValueError, "H, W >= 1"),
        "x_shape float": (lambda: mp_back(y, arg, (2, 3, 4.5, 4)), ValueError, "four ints"),
        "x_shape 3-D": (lambda: mp_back(y, arg, (2, 3, 16)), ValueError, "four ints"),
        "x_shape None": (lambda: mp_back(y, arg, None), ValueError, "four ints"),
        # pooling forward and average backward
        "max pool empty plane": (
            lambda: pool.max_pool2d_forward(np.ones((1, 1, 0, 4)), 2, None, 1),
            ValueError,
            "empty plane",
        ),
        "max pool kernel 0": (
            lambda: pool.max_pool2d_forward(x, 0, None, 0),
            ValueError,
            "kernel must be >= 1",
        ),
        "max pool stride 0": (
            lambda: pool.max_pool2d_forward(x, 2, 0, 0),
            ValueError,
            "stride must be >= 1",
        ),
        "max pool padding > kernel / 2": (
            lambda: pool.max_pool2d_forward(x, 2, None, 2),
            ValueError,
            "at most half the kernel",
        ),
        "avg pool backward gy shape": (
            lambda: pool.avg_pool2d_backward(np.ones((2, 3, 3, 2)), x.shape, 2, None, 0),
            ValueError,
            "gy must have the output shape (2, 3, 2, 2)",
        ),
        "avg pool backward x_shape": (
            lambda: pool.avg_pool2d_backward(y, (2, -3, 4, 4), 2, None, 0),
            ValueError,
            "N, C >= 0",
        ),
        # convolution
        "conv empty image": (
            lambda: conv.conv2d_forward(np.ones((2, 3, 0, 6)), w, None, 1, 1),
            ValueError,
            "empty image",
        ),
        "conv channels": (
            lambda: conv.conv2d_forward(xs, np.ones((4, 2, 3, 3)), None, 1, 1),
            ValueError,
            "x has 3 channels but w expects 2",
        ),
        "conv bias shape": (
            lambda: conv.conv2d_forward(xs, w, np.ones(3), 1, 1),
            ValueError,
            "b must have shape (4,)",
        ),
        "conv stride 0": (lambda: conv.conv2d_forward(xs, w, None, 0, 1), ValueError, "stride"),
        "conv padding -1": (lambda: conv.conv2d_forward(xs, w, None, 1, -1), ValueError, "padding"),
        "conv kernel too big": (
            lambda: conv.conv2d_forward(xs, np.ones((4, 3, 9, 9)), None, 1, 0),
            ValueError,
            "larger than the padded input",
        ),
        "conv complex": (
            lambda: conv.conv2d_forward(xs.astype(complex), w, None, 1, 1),
            TypeError,
            "float32 or float64",
        ),
        "conv backward gy shape": (
            lambda: conv.conv2d_backward(gy[:, :3], xs, w, 1, 1, True, True, True),
            ValueError,
            "gy must have the output shape (2, 4, 6, 6)",
        ),
        "conv backward flags": (
            lambda: conv.conv2d_backward(gy, xs, w, 1, 1, 1, True, True),
            TypeError,
            "must be bools",
        ),
        "conv1d backward gy shape": (
            lambda: conv.conv1d_backward(
                np.ones((2, 4, 5)), xs[:, :, 0], w[:, :, 0], 1, 1, True, True, True
            ),
            ValueError,
            "gy must have the output shape (2, 4, 6)",
        ),
        # recurrences: hand-made or mismatched saved records
        "lstm gates (T, B, H)": (
            lambda: _lstm_back(ls._replace(gates=ls.gates[..., :5].copy())),
            ValueError,
            "saved.gates must have shape (3, 2, 20), got (3, 2, 5)",
        ),
        "lstm c too short": (
            lambda: _lstm_back(ls._replace(c=ls.c[:2])),
            ValueError,
            "saved.c must have shape (4, 2, 5)",
        ),
        "lstm tanh_c dtype": (
            lambda: _lstm_back(ls._replace(tanh_c=ls.tanh_c.astype(np.float32))),
            TypeError,
            "saved.tanh_c is float32 but saved.h is float64",
        ),
        "lstm gates int": (
            lambda: _lstm_back(ls._replace(gates=ls.gates.astype(np.int64))),
            TypeError,
            "saved.gates must be a float32 or float64 array",
        ),
        "lstm gates list": (
            lambda: _lstm_back(ls._replace(gates=ls.gates.tolist())),
            TypeError,
            "saved.gates must be a float32 or float64 array, got list",
        ),
        "lstm has_bias": (
            lambda: _lstm_back(ls._replace(has_bias=(1, 0))),
            TypeError,
            "has_bias must be a pair of bools",
        ),
        "lstm batch of another forward": (
            lambda: _lstm_back(_lstm_case(batch=3)[4]),
            ValueError,
            "x must have shape (3, 3, input_size)",
        ),
        "lstm saved a tuple": (lambda: _lstm_back(tuple(ls)), TypeError, "LSTMSaved"),
        "lstm saved.h 2-D": (
            lambda: _lstm_back(ls._replace(h=ls.h[0])),
            ValueError,
            "saved.h must be a (T + 1, B, H) array",
        ),
        "gru hn shape": (
            lambda: rec.gru_backward(gout, None, gx_, None, gi, gh, gs._replace(hn=gs.hn[:, :1])),
            ValueError,
            "saved.hn must have shape (3, 2, 5)",
        ),
        "gru gates shape": (
            lambda: rec.gru_backward(
                gout, None, gx_, None, gi, gh, gs._replace(gates=gs.gates[..., :10])
            ),
            ValueError,
            "saved.gates must have shape (3, 2, 15)",
        ),
        "rnn h batch": (
            lambda: rec.rnn_backward(rout, None, rx, None, ri, rh, rs._replace(h=rs.h[:, :1])),
            ValueError,
            "x must have shape (3, 1, input_size)",
        ),
        "lstm no time steps": (
            lambda: rec.lstm_forward(lx[:0], None, None, li, lh, None, None),
            ValueError,
            "at least one time step",
        ),
        "rnn complex x in backward": (
            lambda: rec.rnn_backward(rout, None, rx.astype(complex), None, ri, rh, rs),
            TypeError,
            "float32 or float64",
        ),
    }


def run_hostile_cases() -> None:
    """Print one JSON line per case: its name, the exception raised (or none) and its message."""
    for name, (call, _, _) in hostile_cases().items():
        try:
            call()
            result = {"name": name, "type": None, "message": ""}
        except Exception as err:
            result = {"name": name, "type": type(err).__name__, "message": str(err)}
        print(json.dumps(result), flush=True)


def jit_cases() -> dict[str, np.ndarray]:
    """A few kernels' results on fixed float64 inputs, to compare with NUMBA_DISABLE_JIT runs."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    results = {}
    for stride, padding in (((1, 1), (1, 0)), ((2, 1), (0, 1))):
        y = conv.conv2d_forward(x, w, b, stride, padding)
        gx, gw, gb = conv.conv2d_backward(
            np.cos(y), x, w, stride, padding, need_input=True, need_weight=True, need_bias=True
        )
        for name, a in {"y": y, "gx": gx, "gw": gw, "gb": gb}.items():
            results[f"conv{stride}_{name}"] = a
    y, arg = pool.max_pool2d_forward(x, 3, 2, 1)
    results |= {"max_y": y, "max_arg": arg, "max_gx": pool.max_pool2d_backward(y, arg, x.shape)}
    y = pool.avg_pool2d_forward(x, 2, 1, 1)
    results |= {"avg_y": y, "avg_gx": pool.avg_pool2d_backward(y, x.shape, 2, 1, 1)}
    out, lx, li, lh, saved = _lstm_case()
    grads = rec.lstm_backward(np.sin(out), None, None, lx, None, None, li, lh, saved)
    results |= {"lstm_out": out, **{f"lstm_g{i}": g for i, g in enumerate(grads[:5])}}
    out, gx_, gi, gh, saved = _gru_case()
    grads = rec.gru_backward(np.sin(out), None, gx_, None, gi, gh, saved)
    results |= {"gru_out": out, **{f"gru_g{i}": g for i, g in enumerate(grads[:4])}}
    return results


def _subprocess(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    full = {**clean, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=600,
    )


HOSTILE = "import tests.kernels.test_validation as t; t.run_hostile_cases()"


def _hostile_results(**env: str) -> dict:
    out = _subprocess(HOSTILE, **env)
    # a segfault or abort shows as a negative return code (the signal) and ends the output early
    assert out.returncode == 0, f"crashed with {out.returncode}: {out.stderr[-2000:]}"
    return {r["name"]: r for r in map(json.loads, out.stdout.splitlines())}


@pytest.fixture(scope="module")
def hostile_jit() -> dict:
    return _hostile_results()


@pytest.mark.parametrize("name", list(hostile_cases()))
def test_hostile_input_gets_one_clear_error(hostile_jit, name):
    _, expected, fragment = hostile_cases()[name]
    got = hostile_jit[name]
    assert got["type"] == expected.__name__, got
    assert fragment in got["message"], got
    assert "\n" not in got["message"]
    kernel = got["message"].split(":")[0]  # every message starts with the kernel's name
    assert kernel.endswith(("_forward", "_backward")), got


def test_disable_jit_raises_the_same_errors_and_computes_the_same(hostile_jit, tmp_path):
    assert _hostile_results(NUMBA_DISABLE_JIT="1") == hostile_jit
    path = tmp_path / "nojit.npz"
    code = (
        "import numpy as np, tests.kernels.test_validation as t; "
        f"np.savez({str(path)!r}, **t.jit_cases())"
    )
    out = _subprocess(code, NUMBA_DISABLE_JIT="1")
    assert out.returncode == 0, out.stderr[-2000:]
    interpreted, compiled = np.load(path), jit_cases()
    assert sorted(interpreted.files) == sorted(compiled)
    for name, a in compiled.items():
        b = interpreted[name]
        assert a.dtype == b.dtype and a.shape == b.shape, name
        if name.startswith(("max", "avg")):  # no fastmath: the same operations in the same order
            np.testing.assert_array_equal(a, b, err_msg=name)
        else:  # the tap loops contract to FMAs and reassociate sums when compiled
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=name)


# empty batches and empty channel axes (issue 13, item 8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_on_an_empty_batch(dtype):
    x, w, b = np.ones((0, 3, 5, 5), dtype), np.ones((4, 3, 3, 3), dtype), np.ones(4, dtype)
    y = conv.conv2d_forward(x, w, b, 1, 1)
    assert y.shape == (0, 4, 5, 5) and y.dtype == dtype
    gx, gw, gb = conv.conv2d_backward(y, x, w, 1, 1, True, True, True)
    assert gx.shape == (0, 3, 5, 5) and gx.dtype == dtype
    np.testing.assert_array_equal(gw, np.zeros((4, 3, 3, 3)))
    np.testing.assert_array_equal(gb, np.zeros(4))
    gx, gw, gb = conv.conv2d_backward(y, x, w, 1, 1, False, True, False)
    assert gx is None and gb is None and gw.shape == w.shape
    with pytest.raises(ValueError, match=r"gy must have the output shape \(0, 4, 2, 2\)"):
        conv.conv2d_backward(y, x, w, 2, 0, True, True, True)  # empty, yet still checked


def test_conv2d_empty_batch_matches_torch():
    torch = pytest.importorskip("torch")
    x, w = np.ones((0, 3, 6, 5)), np.ones((4, 3, 3, 2))
    want = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), stride=(2, 1))
    assert conv.conv2d_forward(x, w, None, (2, 1), 0).shape == tuple(want.shape)


def test_conv1d_on_an_empty_batch():
    x, w = np.ones((0, 3, 7)), np.ones((5, 3, 3))
    y = conv.conv1d_forward(x, w, None, 2, 1)
    assert y.shape == (0, 5, 4)
    gx, gw, gb = conv.conv1d_backward(y, x, w, 2, 1, True, True, True)
    assert gx.shape == x.shape and gw.shape == w.shape and gb.shape == (5,)
    assert not gw.any() and not gb.any()


def test_conv_with_no_output_channels_is_empty():
    # PyTorch refuses a weight with 0 output channels; the kernel returns the empty result
    x, w = np.ones((2, 3, 5, 5)), np.ones((0, 3, 3, 3))
    y = conv.conv2d_forward(x, w, np.ones(0), 1, 0)
    assert y.shape == (2, 0, 3, 3)
    gx, gw, gb = conv.conv2d_backward(y, x, w, 1, 0, True, True, True)
    np.testing.assert_array_equal(gx, np.zeros(x.shape))  # nothing flows back
    assert gw.shape == (0, 3, 3, 3) and gb.shape == (0,)


def test_conv_with_no_input_channels_is_the_bias():
    # an empty sum: y = b; the weight and input gradients are empty, the bias's is sum(gy)
    x, w, b = np.ones((2, 0, 5, 5)), np.ones((4, 0, 3, 3)), np.arange(4.0)
    y = conv.conv2d_forward(x, w, b, 1, 1)
    np.testing.assert_array_equal(y, np.broadcast_to(b[:, None, None], (2, 4, 5, 5)))
    gx, gw, gb = conv.conv2d_backward(np.ones_like(y), x, w, 1, 1, True, True, True)
    assert gx.shape == x.shape and gw.shape == w.shape
    np.testing.assert_array_equal(gb, np.full(4, 50.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooling_on_an_empty_batch(dtype):
    x = np.ones((0, 3, 6, 6), dtype)
    y, arg = pool.max_pool2d_forward(x, 3, 2, 1)
    assert y.shape == arg.shape == (0, 3, 3, 3) and y.dtype == dtype
    gx = pool.max_pool2d_backward(y, arg, x.shape)
    assert gx.shape == x.shape and gx.dtype == dtype
    y = pool.avg_pool2d_forward(x, 2, None, 0)
    assert y.shape == (0, 3, 3, 3)
    assert pool.avg_pool2d_backward(y, x.shape, 2, None, 0).shape == x.shape


def test_pooling_empty_batch_matches_torch():
    torch = pytest.importorskip("torch")
    t = torch.ones((0, 2, 7, 5))
    want = torch.nn.functional.max_pool2d(t, 3, 2, 1)
    assert pool.max_pool2d_forward(t.numpy(), 3, 2, 1)[0].shape == tuple(want.shape)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_recurrences_on_an_empty_batch(cell):
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    rng = np.random.default_rng(0)
    x = np.ones((4, 0, 3))
    w_ih, w_hh = rng.standard_normal((gates * 5, 3)), rng.standard_normal((gates * 5, 5))
    b = rng.standard_normal(gates * 5)
    if cell == "lstm":
        out, cn, saved = rec.lstm_forward(x, None, None, w_ih, w_hh, b, b)
        assert cn.shape == (0, 5)
        grads = rec.lstm_backward(out, None, None, x, None, None, w_ih, w_hh, saved)
        grads = grads[:2] + grads[3:]  # gc0 is (0, 5) like gh0
    else:
        forward = rec.rnn_forward if cell == "rnn" else rec.gru_forward
        backward = rec.rnn_backward if cell == "rnn" else rec.gru_backward
        out, saved = forward(x, None, w_ih, w_hh, b, b)
        grads = backward(out, None, x, None, w_ih, w_hh, saved)
    assert out.shape == (4, 0, 5)
    gx, gh0, gw_ih, gw_hh, gb_ih, gb_hh = grads
    assert gx.shape == x.shape and gh0.shape == (0, 5)
    for g, like in ((gw_ih, w_ih), (gw_hh, w_hh), (gb_ih, b), (gb_hh, b)):
        np.testing.assert_array_equal(g, np.zeros_like(like))  # no rows: no gradient


def test_lstm_empty_batch_matches_torch():
    torch = pytest.importorskip("torch")
    lstm = torch.nn.LSTM(3, 5)
    want = lstm(torch.ones((4, 0, 3)))[0]
    w_ih, w_hh = lstm.weight_ih_l0.detach().numpy(), lstm.weight_hh_l0.detach().numpy()
    out, _, _ = rec.lstm_forward(np.ones((4, 0, 3), np.float32), None, None, w_ih, w_hh, None, None)
    assert out.shape == tuple(want.shape)


def test_a_strided_saved_record_gives_the_same_gradients():
    # the backward copies each saved array to C order: strides are never trusted
    out, x, w_ih, w_hh, saved = _lstm_case()
    want = rec.lstm_backward(np.sin(out), None, None, x, None, None, w_ih, w_hh, saved)
    fortran = saved._replace(
        **{f: np.asfortranarray(getattr(saved, f)) for f in ("h", "c", "tanh_c", "gates")}
    )
    got = rec.lstm_backward(np.sin(out), None, None, x, None, None, w_ih, w_hh, fortran)
    for a, b in zip(got, want):
        if a is None:
            assert b is None
        else:
            np.testing.assert_array_equal(a, b)

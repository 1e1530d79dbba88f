"""The new ops against PyTorch: values, indices and gradients in float64 (skip without torch)."""

import math

import numpy as np
import pytest

from chaingrad.autograd import Tensor
from chaingrad.autograd.ops import elementwise as E
from chaingrad.autograd.ops import indexing as I
from chaingrad.autograd.ops import linalg as L
from chaingrad.autograd.ops import reductions as R
from chaingrad.autograd.ops import shapes as S

torch = pytest.importorskip("torch")
F = torch.nn.functional

ZEROS = np.array([[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 3.0, 1.0], [1.5, -2.0, 0.5, 3.0]])
TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 1.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
WIDE = np.array([-30.0, -3.0, -0.5, 0.0, 0.4, 2.0, 30.0])
INDEX = np.array([[0, 3, 3], [1, 1, 0], [2, 0, 1]])
MASK = np.array([True, False, True, False])


def arrays(*shapes, kind="normal", seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        data = rng.standard_normal(shape)
        if kind == "positive":
            data = 0.2 + np.abs(data)
        out.append(data)
    return out


# name: (ours, torch's, inputs as float64 arrays that require grad)
CASES = {
    "sin": (E.sin, torch.sin, arrays((3, 4))),
    "cos": (E.cos, torch.cos, arrays((3, 4))),
    "log1p": (E.log1p, torch.log1p, arrays((3, 4), kind="positive")),
    "expm1": (E.expm1, torch.expm1, arrays((3, 4))),
    "square": (E.square, torch.square, arrays((3, 4))),
    "reciprocal": (E.reciprocal, torch.reciprocal, arrays((3, 4), kind="positive")),
    "rsqrt": (E.rsqrt, torch.rsqrt, arrays((3, 4), kind="positive")),
    "softplus": (
        lambda x: E.softplus(x, 2.0, 1.0),
        lambda x: F.softplus(x, beta=2.0, threshold=1.0),
        [WIDE],
    ),
    "softplus default": (E.softplus, F.softplus, [WIDE]),
    "gelu": (E.gelu, F.gelu, [WIDE]),
    "gelu tanh": (
        lambda x: E.gelu(x, "tanh"),
        lambda x: F.gelu(x, approximate="tanh"),
        [WIDE],
    ),
    "silu": (E.silu, F.silu, [WIDE]),
    "hardtanh": (
        lambda x: E.hardtanh(x, -0.5, 0.4),
        lambda x: F.hardtanh(x, -0.5, 0.4),
        [WIDE],
    ),
    "log_sigmoid": (E.log_sigmoid, F.logsigmoid, [WIDE]),
    "floor": (E.floor, torch.floor, [WIDE * 0.3]),
    "ceil": (E.ceil, torch.ceil, [WIDE * 0.3]),
    "round": (E.round, torch.round, [np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.4])]),
    "trunc": (E.trunc, torch.trunc, [WIDE * 0.3]),
    "sign": (E.sign, torch.sign, [WIDE]),
    "prod with zeros": (lambda x: R.prod(x, 1), lambda x: torch.prod(x, 1), [ZEROS]),
    "prod all": (R.prod, torch.prod, [ZEROS[2:]]),
    "prod keepdims": (
        lambda x: R.prod(x, -2, True),
        lambda x: torch.prod(x, -2, True),
        [ZEROS],
    ),
    "std ddof 1": (
        lambda x: R.std(x, (0, 2), ddof=1),
        lambda x: torch.std(x, (0, 2), correction=1),
        arrays((3, 4, 2)),
    ),
    "std": (lambda x: R.std(x, -1), lambda x: torch.std(x, -1, correction=0), arrays((3, 4))),
    "amax ties": (lambda x: R.amax(x, 1), lambda x: torch.amax(x, 1), [TIES]),
    "amin ties": (lambda x: R.amin(x, (0, 1)), lambda x: torch.amin(x, (0, 1)), [TIES]),
    "max_along ties": (lambda x: R.max_along(x, 1), lambda x: torch.max(x, 1), [TIES]),
    "min_along ties": (
        lambda x: R.min_along(x, 0, True),
        lambda x: torch.min(x, 0, keepdim=True),
        [TIES],
    ),
    "argmin": (lambda x: R.argmin(x, 1), lambda x: torch.argmin(x, 1), [TIES]),
    "argmin flat": (R.argmin, torch.argmin, [TIES]),
    "argmax keepdims": (
        lambda x: R.argmax_keepdims(x, 0, True),
        lambda x: torch.argmax(x, 0, keepdim=True),
        [TIES],
    ),
    "cumsum": (lambda x: R.cumsum(x, -1), lambda x: torch.cumsum(x, -1), arrays((3, 4))),
    "cumprod with zeros": (lambda x: R.cumprod(x, 1), lambda x: torch.cumprod(x, 1), [ZEROS]),
    "cumprod axis 0": (lambda x: R.cumprod(x, 0), lambda x: torch.cumprod(x, 0), [ZEROS]),
    "all": (lambda x: R.all(x, 1), lambda x: torch.all(x, 1), [ZEROS]),
    "any": (lambda x: R.any(x, 0, True), lambda x: torch.any(x, 0, True), [TIES]),
    "norm": (lambda x: R.norm(x, axis=1), lambda x: torch.linalg.vector_norm(x, dim=1), [TIES]),
    "norm 1": (lambda x: R.norm(x, 1), lambda x: torch.linalg.vector_norm(x, 1), [ZEROS]),
    "norm 3": (
        lambda x: R.norm(x, 3, 1, True),
        lambda x: torch.linalg.vector_norm(x, 3, 1, True),
        [ZEROS],
    ),
    "norm inf": (
        lambda x: R.norm(x, math.inf, 1),
        lambda x: torch.linalg.vector_norm(x, math.inf, 1),
        [TIES],
    ),
    "expand": (lambda x: S.expand(x, 2, 3, -1), lambda x: x.expand(2, 3, -1), arrays((3, 1))),
    "repeat": (lambda x: S.repeat(x, 2, 1, 3), lambda x: x.repeat(2, 1, 3), arrays((3, 2))),
    "flip": (lambda x: S.flip(x, (0, -1)), lambda x: torch.flip(x, (0, -1)), arrays((2, 3, 4))),
    "roll": (
        lambda x: S.roll(x, (1, -2), (0, 2)),
        lambda x: torch.roll(x, (1, -2), (0, 2)),
        arrays((2, 3, 4)),
    ),
    "roll flat": (lambda x: S.roll(x, 5), lambda x: torch.roll(x, 5), arrays((2, 3))),
    "split": (lambda x: S.split(x, 2, 1), lambda x: torch.split(x, 2, 1), arrays((2, 5))),
    "split sizes": (
        lambda x: S.split(x, [1, 3, 1], -1),
        lambda x: torch.split(x, [1, 3, 1], -1),
        arrays((2, 5)),
    ),
    "chunk": (lambda x: S.chunk(x, 3, 0), lambda x: torch.chunk(x, 3, 0), arrays((7, 2))),
    "chunk fewer": (lambda x: S.chunk(x, 4, 0), lambda x: torch.chunk(x, 4, 0), arrays((6, 2))),
    "tril": (lambda x: S.tril(x, -1), lambda x: torch.tril(x, -1), arrays((2, 4, 3))),
    "triu": (lambda x: S.triu(x, 1), lambda x: torch.triu(x, 1), arrays((3, 4))),
    "movedim": (
        lambda x: S.movedim(x, (0, 1), (-1, 0)),
        lambda x: torch.movedim(x, (0, 1), (-1, 0)),
        arrays((2, 3, 4)),
    ),
    "gather": (
        lambda x: I.gather(x, 1, INDEX),
        lambda x: torch.gather(x, 1, torch.tensor(INDEX)),
        arrays((3, 4)),
    ),
    "gather axis 0": (
        lambda x: I.gather(x, 0, INDEX[:, :2] % 3),
        lambda x: torch.gather(x, 0, torch.tensor(INDEX[:, :2] % 3)),
        arrays((3, 4)),
    ),
    "take_along_axis": (
        lambda x: I.take_along_axis(x, INDEX, 1),
        lambda x: torch.take_along_dim(x, torch.tensor(INDEX), 1),
        arrays((3, 4)),
    ),
    "index_select": (
        lambda x: I.index_select(x, -1, [3, 0, 3]),
        lambda x: torch.index_select(x, -1, torch.tensor([3, 0, 3])),
        arrays((2, 4)),
    ),
    "masked_fill": (
        lambda x: I.masked_fill(x, MASK, -1.5),
        lambda x: x.masked_fill(torch.tensor(MASK), -1.5),
        arrays((3, 4)),
    ),
    "masked_fill tensor value": (
        lambda x, v: I.masked_fill(x, MASK, v),
        lambda x, v: x.masked_fill(torch.tensor(MASK), v),
        [*arrays((3, 4)), np.array(0.5)],
    ),
    "outer": (L.outer, torch.outer, arrays((3,), (4,))),
    "dot": (L.dot, torch.dot, arrays((4,), (4,))),
    "mm": (L.mm, torch.mm, arrays((2, 3), (3, 4))),
    "bmm": (L.bmm, torch.bmm, arrays((2, 2, 3), (2, 3, 4))),
    "einsum attention": (
        lambda q, k: L.einsum("bqd,bkd->bqk", q, k),
        lambda q, k: torch.einsum("bqd,bkd->bqk", q, k),
        arrays((2, 3, 4), (2, 5, 4)),
    ),
}


def _outputs(result):
    return list(result) if isinstance(result, tuple | list) else [result]


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    ours, theirs, data = CASES[name]
    xs = [Tensor(d.copy(), requires_grad=True) for d in data]
    ts = [torch.tensor(d, requires_grad=True) for d in data]
    got, expected = _outputs(ours(*xs)), _outputs(theirs(*ts))
    assert len(got) == len(expected)
    rng = np.random.default_rng(1)
    for out, ref in zip(got, expected):
        assert out.shape == tuple(ref.shape), name
        assert out.dtype == ref.detach().numpy().dtype, name
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
        if ref.requires_grad:
            upstream = rng.standard_normal(ref.shape)
            out.backward(upstream)
            ref.backward(torch.tensor(upstream))
    for x, t in zip(xs, ts):
        if t.grad is None:
            assert x.grad is None or not np.any(x.grad), name
        else:
            np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_in_float32_matches_torch(approximate):
    data = np.linspace(-8, 8, 1001, dtype=np.float32)
    x = Tensor(data, requires_grad=True)
    out = E.gelu(x, approximate)
    out.backward(np.ones_like(data))
    t = torch.tensor(data, requires_grad=True)
    ref = F.gelu(t, approximate=approximate)
    ref.sum().backward()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-5, atol=2e-6)  # tanh saturates

"""Values and gradients against PyTorch, op by op, in float64 and float32 (skip without torch)."""

import numpy as np
import pytest

from chaingrad.autograd import Tensor, concatenate, stack, where

torch = pytest.importorskip("torch")

# name: (our function, torch function, input shapes, input kind)
# kinds: "normal" values, "positive" (log, sqrt, pow base), "nonzero" (division)
CASES = {
    "add broadcast": (lambda a, b: a + b, lambda a, b: a + b, [(3, 1, 4), (5, 1)], "normal"),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, [(3, 4), (4,)], "normal"),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, [(2, 3), (2, 1)], "normal"),
    "div": (lambda a, b: a / b, lambda a, b: a / b, [(2, 3), (3,)], "nonzero"),
    "pow tensor": (lambda a, b: a**b, lambda a, b: a**b, [(2, 3), (2, 3)], "positive"),
    "pow number": (lambda a: a**3, lambda a: a**3, [(4,)], "normal"),
    "rpow": (lambda a: 2.0**a, lambda a: 2.0**a, [(4,)], "normal"),
    "matmul 2d": (lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4, 5)], "normal"),
    "matmul batched": (lambda a, b: a @ b, lambda a, b: a @ b, [(2, 1, 3, 4), (5, 4, 2)], "normal"),
    "matmul vector": (lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (2, 4, 3)], "normal"),
    "exp": (lambda a: a.exp(), torch.exp, [(3, 4)], "normal"),
    "log": (lambda a: a.log(), torch.log, [(3, 4)], "positive"),
    "sqrt": (lambda a: a.sqrt(), torch.sqrt, [(3, 4)], "positive"),
    "abs": (lambda a: a.abs(), torch.abs, [(3, 4)], "nonzero"),
    "tanh": (lambda a: a.tanh(), torch.tanh, [(3, 4)], "normal"),
    "sigmoid": (lambda a: a.sigmoid(), torch.sigmoid, [(3, 4)], "normal"),
    "relu": (lambda a: a.relu(), torch.relu, [(3, 4)], "nonzero"),
    "leaky_relu": (
        lambda a: a.leaky_relu(0.2),
        lambda a: torch.nn.functional.leaky_relu(a, 0.2),
        [(3, 4)],
        "nonzero",
    ),
    "elu": (lambda a: a.elu(0.5), lambda a: torch.nn.functional.elu(a, 0.5), [(3, 4)], "nonzero"),
    "selu": (lambda a: a.selu(), torch.nn.functional.selu, [(3, 4)], "nonzero"),
    "clip": (lambda a: a.clip(-0.5, 0.5), lambda a: a.clamp(-0.5, 0.5), [(3, 4)], "normal"),
    "maximum": (lambda a, b: a.maximum(b), torch.maximum, [(3, 4), (4,)], "normal"),
    "minimum": (lambda a, b: a.minimum(b), torch.minimum, [(3, 4), (3, 1)], "normal"),
    "sum axes": (
        lambda a: a.sum(axis=(0, -1)),
        lambda a: a.sum(dim=(0, -1)),
        [(2, 3, 4)],
        "normal",
    ),
    "mean keepdims": (
        lambda a: a.mean(axis=1, keepdims=True),
        lambda a: a.mean(dim=1, keepdim=True),
        [(2, 3, 4)],
        "normal",
    ),
    "var ddof 1": (
        lambda a: a.var(axis=-1, ddof=1),
        lambda a: a.var(dim=-1, correction=1),
        [(3, 5)],
        "normal",
    ),
    "var biased": (lambda a: a.var(), lambda a: a.var(correction=0), [(3, 5)], "normal"),
    "max axis": (lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [(3, 5)], "normal"),
    "min all": (lambda a: a.min(), lambda a: a.amin(), [(3, 5)], "normal"),
    "logsumexp": (
        lambda a: a.logsumexp(axis=-1),
        lambda a: a.logsumexp(dim=-1),
        [(3, 5)],
        "normal",
    ),
    "softmax": (lambda a: a.softmax(axis=0), lambda a: a.softmax(dim=0), [(3, 5)], "normal"),
    "log_softmax": (lambda a: a.log_softmax(), lambda a: a.log_softmax(dim=-1), [(3, 5)], "normal"),
    "reshape": (lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), [(2, 3, 4)], "normal"),
    "permute": (lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), [(2, 3, 4)], "normal"),
    "transpose": (lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2), [(2, 3, 4)], "normal"),
    "flatten": (lambda a: a.flatten(1), lambda a: a.flatten(1), [(2, 3, 4)], "normal"),
    "squeeze unsqueeze": (
        lambda a: a.squeeze(1).unsqueeze(0),
        lambda a: a.squeeze(1).unsqueeze(0),
        [(2, 1, 4)],
        "normal",
    ),
    "index repeated": (
        lambda a: a[np.array([0, 2, 0]), 1:],
        lambda a: a[torch.tensor([0, 2, 0]), 1:],
        [(3, 4)],
        "normal",
    ),
    "index mask": (lambda a: a[a.numpy() > 0], lambda a: a[a > 0], [(3, 4)], "normal"),
    "pad": (
        lambda a: a.pad(((1, 0), (2, 1))),
        lambda a: torch.nn.functional.pad(a, (2, 1, 1, 0)),
        [(3, 4)],
        "normal",
    ),
    "concatenate": (
        lambda a, b: concatenate([a, b], axis=1),
        lambda a, b: torch.cat([a, b], dim=1),
        [(2, 3), (2, 2)],
        "normal",
    ),
    "stack": (
        lambda a, b: stack([a, b], axis=-1),
        lambda a, b: torch.stack([a, b], dim=-1),
        [(2, 3), (2, 3)],
        "normal",
    ),
    "where": (
        lambda a, b: where(a.numpy() > 0, a, b),
        lambda a, b: torch.where(a > 0, a, b),
        [(3, 4), (4,)],
        "normal",
    ),
}


def _inputs(shapes, kind, seed, dtype):
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        data = rng.standard_normal(shape)
        if kind == "positive":
            data = 0.3 + np.abs(data)
        elif kind == "nonzero":
            data = np.where(data >= 0, data + 0.3, data - 0.3)
        arrays.append(data.astype(dtype))
    return arrays


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_pytorch(name, dtype):
    ours_fn, torch_fn, shapes, kind = CASES[name]
    arrays = _inputs(shapes, kind, seed=len(name), dtype=dtype)
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = ours_fn(*ours), torch_fn(*theirs)
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-5, "atol": 1e-6}
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), **tol)
    upstream = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for i, (mine, reference) in enumerate(zip(ours, theirs)):
        assert mine.grad.dtype == dtype, f"input {i}"
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), err_msg=f"input {i}", **tol)

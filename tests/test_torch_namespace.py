"""`import chaingrad` shaped like `import torch`: names, factories, dim/keepdim functions."""

import subprocess
import sys

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.autograd import gradcheck


def test_import_is_light():
    code = (
        "import sys, chaingrad, chaingrad.optim, chaingrad.utils.data; "
        "print(sorted(m for m in ('matplotlib', 'tqdm', 'graphviz', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_torch_paths_import_the_same_objects():
    import chaingrad.autograd.grad_mode
    import chaingrad.datasets
    import chaingrad.optim as optim
    import chaingrad.utils.data
    from chaingrad.optim.lr_scheduler import StepLR
    from chaingrad.utils.data import DataLoader

    assert optim.SGD is cg.nn.optim.SGD and optim.Adadelta is cg.nn.optim.Adadelta
    assert StepLR is cg.nn.optim.lr_scheduler.StepLR
    assert DataLoader is cg.nn.data.DataLoader is chaingrad.utils.data.DataLoader
    assert chaingrad.datasets is cg.nn.data.datasets
    assert cg.autograd.gradcheck is gradcheck is cg.gradcheck
    assert cg.float is cg.float32 and cg.long is cg.int64 and cg.double is cg.float64
    assert cg.get_default_dtype() == cg.float32
    assert isinstance(cg.__version__, str)


@pytest.mark.parametrize(
    ("make", "dtype", "shape"),
    [
        (lambda: cg.zeros(2, 3), np.float32, (2, 3)),
        (lambda: cg.ones((2, 3)), np.float32, (2, 3)),
        (lambda: cg.empty([4]), np.float32, (4,)),
        (lambda: cg.full((2,), 3), np.int64, (2,)),
        (lambda: cg.full((2,), 3.0), np.float32, (2,)),
        (lambda: cg.full((2,), True), np.bool_, (2,)),
        (lambda: cg.eye(3), np.float32, (3, 3)),
        (lambda: cg.arange(5), np.int64, (5,)),
        (lambda: cg.arange(0.0, 1.0, 0.1), np.float32, (10,)),
        (lambda: cg.linspace(0, 1, 5), np.float32, (5,)),
        (lambda: cg.rand(2, 3), np.float32, (2, 3)),
        (lambda: cg.randn(2, 3, dtype=cg.float64), np.float64, (2, 3)),
        (lambda: cg.randint(0, 10, (3,)), np.int64, (3,)),
        (lambda: cg.randint(10, (3, 2)), np.int64, (3, 2)),
        (lambda: cg.normal(0.0, 1.0, size=(4,)), np.float32, (4,)),
        (lambda: cg.zeros_like(cg.ones(2, dtype=cg.int32)), np.int32, (2,)),
        (lambda: cg.full_like(cg.ones(2), 7), np.float32, (2,)),
        (lambda: cg.randn_like(cg.ones(3, 1)), np.float32, (3, 1)),
        (lambda: cg.tensor([1, 2]), np.int64, (2,)),
        (lambda: cg.tensor([1.0, 2]), np.float32, (2,)),
    ],
)
def test_factories_have_torchs_default_dtypes(make, dtype, shape):
    t = make()
    assert t.dtype == dtype and t.shape == shape


def test_factories_match_torch_values_and_dtypes():
    torch = pytest.importorskip("torch")
    for ours, theirs in [
        (cg.arange(0.0, 1.0, 0.1), torch.arange(0.0, 1.0, 0.1)),
        (cg.arange(2, 11, 3), torch.arange(2, 11, 3)),
        (cg.linspace(-1, 1, 7), torch.linspace(-1, 1, 7)),
        (cg.eye(2, 3), torch.eye(2, 3)),
        (cg.full((2,), 3), torch.full((2,), 3)),
    ]:
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)


def test_manual_seed_and_generators_reproduce_draws():
    cg.manual_seed(3)
    first = (cg.rand(3).numpy(), cg.randn(2).numpy(), cg.randint(5, (4,)).numpy())
    cg.manual_seed(3)
    second = (cg.rand(3).numpy(), cg.randn(2).numpy(), cg.randint(5, (4,)).numpy())
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert cg.initial_seed() == 3
    g = cg.Generator().manual_seed(7)
    a = cg.randn(5, generator=g).numpy()
    np.testing.assert_array_equal(a, cg.randn(5, generator=cg.Generator().manual_seed(7)).numpy())
    np.testing.assert_array_equal(cg.randn(3, seed=1).numpy(), cg.randn(3, seed=1).numpy())


def test_multinomial_respects_zero_weights_and_replacement():
    w = cg.tensor([[0.0, 1.0, 0.0, 3.0], [1.0, 0.0, 2.0, 0.0]])
    draws = cg.multinomial(w, 2, generator=cg.Generator().manual_seed(0))
    assert draws.dtype == np.int64 and draws.shape == (2, 2)
    assert sorted(draws.numpy()[0].tolist()) == [1, 3]
    assert set(cg.multinomial(w[1], 9, replacement=True).numpy().tolist()) <= {0, 2}
    with pytest.raises(ValueError, match="without replacement"):
        cg.multinomial(w, 3)


def test_factory_errors_are_one_clear_line():
    with pytest.raises(TypeError, match=r"zeros: sizes must be ints"):
        cg.zeros(2.5)
    with pytest.raises(ValueError, match="randint: low must be below high"):
        cg.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="randn: random floats need a floating dtype"):
        cg.randn(2, dtype=cg.int64)


def _leaf(*shape, seed=0):
    data = np.random.default_rng(seed).standard_normal(shape)
    return cg.tensor(data, requires_grad=True)


@pytest.mark.parametrize(
    ("fn", "shape"),
    [
        (lambda x: cg.sum(x, dim=1, keepdim=True), (3, 4)),
        (lambda x: cg.sum(x, axis=-1), (2, 1, 3)),
        (lambda x: cg.mean(x, dim=(0, 2)), (2, 3, 4)),
        (lambda x: cg.softmax(x, dim=0), (3, 4)),
        (lambda x: cg.log_softmax(x, dim=-1), (2, 5)),
        (lambda x: cg.flatten(x, start_dim=1), (2, 3, 4)),
        (lambda x: cg.transpose(x, 0, -1), (2, 3)),
        (lambda x: cg.squeeze(cg.unsqueeze(x, dim=1), dim=1), (3, 2)),
        (lambda x: cg.clamp(x, min=-0.5, max=0.5), (4, 3)),
        (lambda x: cg.exp(cg.tanh(cg.sigmoid(x))), (3,)),
        (lambda x: cg.sqrt(cg.abs(x) + 1.0) * cg.log(cg.abs(x) + 1.0), (3, 2)),
        (lambda x: cg.maximum(x, cg.zeros(1, dtype=cg.float64)), (2, 3)),
        (lambda x: cg.matmul(x, x.T), (3, 2)),
        (lambda x: cg.cat([x, x * 2], dim=1), (2, 3)),
        (lambda x: cg.stack([x, x], dim=-1), (2, 3)),
        (lambda x: cg.where(x.numpy() > 0, x, x * 3), (4, 1)),
        (lambda x: cg.reshape(x, (-1,)), (2, 3)),
    ],
)
def test_functions_gradcheck(fn, shape):
    x = _leaf(*shape)
    if fn.__code__.co_consts and "clamp" in str(fn.__code__.co_names):
        x = cg.tensor(np.linspace(-1.0, 1.0, 12).reshape(shape) + 0.01, requires_grad=True)
    assert gradcheck(fn, (x,))


def test_functions_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    t = torch.tensor(x)
    c = cg.tensor(x)
    for ours, theirs in [
        (cg.sum(c, dim=1, keepdim=True), torch.sum(t, dim=1, keepdim=True)),
        (cg.mean(c, 0), torch.mean(t, 0)),
        (cg.softmax(c, dim=1), torch.softmax(t, dim=1)),
        (cg.argmax(c, dim=1, keepdim=True), torch.argmax(t, dim=1, keepdim=True)),
        (cg.argmax(c), torch.argmax(t)),
        (cg.max(c), torch.max(t)),
        (cg.min(c, cg.zeros(4)), torch.min(t, torch.zeros(4))),
        (cg.clamp(c, min=0), torch.clamp(t, min=0)),
    ]:
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)
    assert cg.numel(c) == torch.numel(t) and cg.is_tensor(c) and not cg.is_tensor(x)


def test_set_grad_enabled_as_function_context_and_decorator():
    x = cg.ones(2, requires_grad=True)
    with cg.set_grad_enabled(False):
        assert not cg.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert cg.is_grad_enabled()
    cg.set_grad_enabled(False)
    try:
        assert not cg.is_grad_enabled()
    finally:
        cg.set_grad_enabled(True)

    @cg.set_grad_enabled(False)
    def f():
        return cg.is_grad_enabled()

    assert cg.is_grad_enabled() and f() is False and cg.is_grad_enabled()


def test_gradcheck_takes_a_tuple_separate_inputs_or_one_tensor():
    a, b = _leaf(2, 3), _leaf(3, seed=1)
    assert cg.gradcheck(lambda x, y: x * y, (a, b))
    assert cg.gradcheck(lambda x, y: x * y, a, b)
    assert cg.gradcheck(lambda x: x.tanh(), a)
    assert cg.gradcheck(lambda p, q: p * q + p, cg.Value(1.5), cg.Value(-2.0))
    assert cg.gradcheck(lambda p, q: p * q, (cg.Value(1.5), cg.Value(-2.0)))
    with pytest.raises(cg.GradcheckError, match="input 0"):
        cg.gradcheck(lambda x: cg.Tensor(x.numpy() * 2) + x, (a,))

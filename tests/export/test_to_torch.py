"""to_torch / from_torch: every layer kind round-trips with equal outputs and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
from chaingrad.export import ExportError, from_torch, to_torch
from tests.export.cases import CASES, Custom, flat

torch = pytest.importorskip("torch")


def _chaingrad_run(model: nn.Module, x: np.ndarray, weights: list[np.ndarray] | None):
    inp = cg.tensor(x) if x.dtype.kind == "i" else cg.tensor(x, requires_grad=True)
    outs = flat(model(inp))
    return inp, outs


@pytest.mark.parametrize(("name", "make", "data"), CASES, ids=[c[0] for c in CASES])
def test_round_trip_outputs_and_gradients(name, make, data) -> None:
    rng = np.random.default_rng(0)
    cg.manual_seed(0)
    model = make().eval()
    x = data(rng)
    twin = to_torch(model, cg.tensor(x))
    assert not twin.training
    assert set(twin.state_dict()) == set(model.state_dict())

    inp = cg.tensor(x) if x.dtype.kind == "i" else cg.tensor(x, requires_grad=True)
    outs = flat(model(inp))
    tin = torch.from_numpy(x) if x.dtype.kind == "i" else torch.from_numpy(x).requires_grad_()
    touts = flat(twin(tin))
    assert len(outs) == len(touts)
    weights = [rng.standard_normal(o.shape).astype(np.float32) for o in outs]
    for o, t in zip(outs, touts):
        np.testing.assert_allclose(t.detach().numpy(), o.numpy(), rtol=1e-5, atol=1e-5)

    # gradients: of the same random projection of every output, for weights and input
    sum(((o * w).sum() for o, w in zip(outs, weights)), cg.tensor(0.0)).backward()
    sum((t * torch.from_numpy(w)).sum() for t, w in zip(touts, weights)).backward()
    grads = dict(twin.named_parameters())
    for pname, p in model.named_parameters():
        np.testing.assert_allclose(
            grads[pname].grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=pname
        )
    if x.dtype.kind == "f":
        np.testing.assert_allclose(tin.grad.numpy(), inp.grad.numpy(), rtol=1e-4, atol=1e-5)

    back = from_torch(twin)
    assert isinstance(model, type(back))  # an MLP comes back as the Sequential it is
    x2 = data(np.random.default_rng(5))
    for a, b in zip(flat(back(cg.tensor(x2))), flat(model(cg.tensor(x2)))):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-6)


def test_traced_module_takes_another_batch_size() -> None:
    model = Custom().eval()
    twin = to_torch(model, cg.randn(2, 2, 2, 2))
    x = np.random.default_rng(3).standard_normal((7, 2, 2, 2)).astype(np.float32)
    expected = model(cg.tensor(x)).numpy()
    np.testing.assert_allclose(twin(torch.from_numpy(x)).detach().numpy(), expected, atol=1e-5)


def test_from_torch_builds_chaingrad_layers_from_plain_torch() -> None:
    torch.manual_seed(0)
    tm = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8, 2)
    ).eval()
    model = from_torch(tm)
    assert [type(m).__name__ for m in model] == ["Conv2d", "ReLU", "Flatten", "Linear"]
    x = np.random.default_rng(0).standard_normal((3, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(
        model(cg.tensor(x)).numpy(), tm(torch.from_numpy(x)).detach().numpy(), atol=1e-6
    )


def test_from_torch_into_an_existing_model() -> None:
    model = Custom()
    twin = to_torch(model, cg.randn(1, 2, 2, 2))
    with torch.no_grad():
        twin.head.weight.add_(1.0)
    target = Custom()
    assert from_torch(twin, model=target) is target
    np.testing.assert_allclose(target.head.weight.numpy(), twin.head.weight.detach().numpy())


def test_training_mode_is_kept_and_batch_norm_trains_alike() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).train()
    twin = to_torch(model)
    assert twin.training
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    out = model(cg.tensor(x)).numpy()
    np.testing.assert_allclose(twin(torch.from_numpy(x)).detach().numpy(), out, atol=1e-5)
    np.testing.assert_allclose(twin[1].running_var.numpy(), model[1].running_var.numpy(), rtol=1e-5)


def test_custom_module_without_example_input_is_refused() -> None:
    with pytest.raises(ExportError, match=r"Custom.*example_input"):
        to_torch(Custom())


def test_unsupported_op_is_named() -> None:
    class Indexing(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return self.fc(x)[:, 0]

    with pytest.raises(ExportError, match="op 'index'"):
        to_torch(Indexing(), cg.randn(2, 3))


def test_unknown_torch_module_is_named() -> None:
    with pytest.raises(ExportError, match="Bilinear has no chaingrad twin"):
        from_torch(torch.nn.Sequential(torch.nn.Bilinear(2, 2, 2)))


def test_not_a_module() -> None:
    with pytest.raises(TypeError, match=r"to_torch: expected a chaingrad nn\.Module, got int"):
        to_torch(3)


def test_a_module_without_a_twin_is_named() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.SiLU())
    with pytest.raises(ExportError, match=r"Sequential contains 1 \(SiLU\)"):
        to_torch(model)
    # traced instead, the op it records has no translation yet, and the error says which
    with pytest.raises(ExportError, match="op 'silu'"):
        to_torch(model, cg.randn(3, 2))

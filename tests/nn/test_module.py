"""Module mechanics: registration order, names, modes, state dicts, errors, repr."""

import numpy as np
import pytest

import chaingrad.nn as nn
from chaingrad.autograd import Tensor


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Linear(3, 4)
        self.scale = nn.Parameter(np.ones(4, np.float32))
        self.register_buffer("steps", np.zeros(1))
        self.act = nn.ReLU()
        self.head = nn.Linear(4, 2, bias=False)

    def forward(self, x):
        return self.head(self.act(self.conv1(x)) * self.scale)


def test_parameters_and_buffers_are_found_in_pytorchs_order_with_dotted_names():
    model = nn.Sequential(Block(), nn.Linear(2, 1))
    names = [name for name, _ in model.named_parameters()]
    # as PyTorch: a module's own parameters in definition order, then its submodules'
    assert names == [
        "0.scale",
        "0.conv1.weight",
        "0.conv1.bias",
        "0.head.weight",
        "1.weight",
        "1.bias",
    ]
    assert [name for name, _ in model.named_buffers()] == ["0.steps"]
    # state dicts also put a module's buffers after its own parameters, before submodules
    assert list(model.state_dict()) == [*names[:1], "0.steps", *names[1:]]
    assert model[0].conv1.weight.name == "0.conv1.weight"  # parameters carry their names
    assert [type(m).__name__ for m in model.modules()] == [
        "Sequential",
        "Block",
        "Linear",
        "ReLU",
        "Linear",
        "Linear",
    ]
    assert len(list(model.children())) == 2


def test_a_shared_parameter_is_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2


def test_train_eval_and_zero_grad_reach_every_module():
    model = nn.Sequential(Block(), nn.Dropout())
    assert model.eval() is model and not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model(Tensor(np.ones((2, 3), np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_to_changes_dtype_in_place_and_keeps_parameter_objects():
    model = Block()
    weight = model.conv1.weight
    model.double()
    assert model.conv1.weight is weight and weight.dtype == np.float64
    assert model(Tensor(np.ones((1, 3)))).dtype == np.float64
    assert model.float().conv1.weight.dtype == np.float32
    with pytest.raises(TypeError, match="float parameters"):
        model.to(np.int32)


def test_state_dict_is_a_snapshot_and_load_copies_values_in_keeping_dtype():
    model = Block()
    state = model.state_dict()
    model.conv1.weight.data += 1.0
    assert not np.array_equal(state["conv1.weight"], model.conv1.weight.numpy())
    weight = model.conv1.weight
    model.load_state_dict({k: v.astype(np.float64) for k, v in state.items()})
    assert model.conv1.weight is weight  # same Parameter: optimizers still hold it
    assert weight.dtype == np.float32
    np.testing.assert_array_equal(weight.numpy(), state["conv1.weight"])


def test_load_state_dict_errors_name_the_keys_and_shapes():
    model = Block()
    state = model.state_dict()
    with pytest.raises(KeyError, match=r"missing keys \['scale'\], unexpected keys \['extra'\]"):
        model.load_state_dict(
            {**{k: v for k, v in state.items() if k != "scale"}, "extra": np.ones(1)}
        )
    result = model.load_state_dict({"scale": np.full(4, 2.0), "extra": np.ones(1)}, strict=False)
    assert result.unexpected_keys == ["extra"] and "conv1.weight" in result.missing_keys
    np.testing.assert_array_equal(model.scale.numpy(), np.full(4, 2.0))
    bad = dict(state, **{"conv1.weight": np.ones((3, 4))})
    with pytest.raises(
        ValueError,
        match=r"'conv1.weight' has shape \(3, 4\) in the state dict but \(4, 3\) in the model",
    ):
        model.load_state_dict(bad)


def test_assignment_rules():
    class Forgetful(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first in Forgetful"):
        Forgetful()
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign ndarray to parameter 'weight'"):
        layer.weight = np.ones((2, 2))
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    del layer.weight
    assert list(layer.parameters()) == []


def test_sequential_and_module_list():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and len(seq[:2]) == 2
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(IndexError, match="index 5 is out of range for 3 modules"):
        seq[5]
    with pytest.raises(TypeError, match="int is not a Module"):
        seq.append(3)
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 4 and [n for n, _ in layers.named_parameters()][-1] == "3.bias"
    with pytest.raises(TypeError, match="not callable"):
        layers(Tensor([1.0]))


def test_repr_is_a_readable_tree():
    text = repr(nn.Sequential(nn.Linear(2, 3), nn.Residual(nn.Tanh())))
    assert text == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Residual(\n"
        "    (module): Tanh()\n"
        "  )\n"
        ")"
    )


def test_parameter_is_a_float_tensor_that_requires_grad():
    p = nn.Parameter([1.0, 2.0])
    assert p.requires_grad and p.dtype == np.float32 and isinstance(p, Tensor)
    assert repr(p).startswith("Parameter([1., 2.]")
    assert (p * 2)._op == "mul"

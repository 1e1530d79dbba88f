"""The layer modules, containers, Module methods and initialisers tutorials use beyond the
basics; parity with torch on copied weights where there are weights (skipped without torch)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import chaingrad
import chaingrad.nn as nn
from chaingrad.autograd import Tensor, gradcheck

RNG = np.random.default_rng(1)


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda n: n.LayerNorm(6), lambda n: n.LayerNorm(6)),
        (lambda n: n.LayerNorm((3, 6), bias=False), lambda n: n.LayerNorm((3, 6), bias=False)),
        (
            lambda n: n.LayerNorm(6, elementwise_affine=False),
            lambda n: n.LayerNorm(6, elementwise_affine=False),
        ),
        (lambda n: n.GroupNorm(2, 4), lambda n: n.GroupNorm(2, 4)),
        (lambda n: n.GELU(approximate="tanh"), lambda n: n.GELU(approximate="tanh")),
        (lambda n: n.SiLU(), lambda n: n.SiLU()),
        (lambda n: n.Softplus(2.0, 5.0), lambda n: n.Softplus(2.0, 5.0)),
        (lambda n: n.Hardtanh(-2.0, 2.0), lambda n: n.Hardtanh(-2.0, 2.0)),
        (lambda n: n.LogSigmoid(), lambda n: n.LogSigmoid()),
        (lambda n: n.Softmin(dim=1), lambda n: n.Softmin(dim=1)),
        (lambda n: n.GLU(dim=-1), lambda n: n.GLU(dim=-1)),
        (lambda n: n.AdaptiveAvgPool2d((2, None)), lambda n: n.AdaptiveAvgPool2d((2, None))),
        (lambda n: n.AdaptiveMaxPool2d(2), lambda n: n.AdaptiveMaxPool2d(2)),
        (lambda n: n.Unflatten(1, (2, -1)), lambda n: n.Unflatten(1, (2, -1))),
    ],
)
def test_module_matches_torch(ours, theirs):
    torch = _torch()
    mine, ref = ours(nn).double(), theirs(torch.nn).double()
    assert [k for k, _ in mine.named_parameters()] == [k for k, _ in ref.named_parameters()]
    with torch.no_grad():
        for p in ref.parameters():
            p.normal_()
    mine.load_state_dict(ref.state_dict())
    x = RNG.standard_normal((2, 4, 3, 6))
    out, expected = mine(Tensor(x)), ref(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-10)
    assert gradcheck(lambda t: mine(t), Tensor(x, requires_grad=True))
    assert repr(mine).split("(")[0] == type(ref).__name__


@pytest.mark.parametrize(
    ("ours", "theirs", "kwargs"),
    [
        (nn.SmoothL1Loss, "SmoothL1Loss", {"beta": 0.5}),
        (nn.HuberLoss, "HuberLoss", {"delta": 0.5, "reduction": "sum"}),
        (nn.KLDivLoss, "KLDivLoss", {"reduction": "batchmean", "log_target": True}),
    ],
)
def test_loss_modules(ours, theirs, kwargs):
    torch = _torch()
    x, t = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    got = ours(**kwargs)(Tensor(x), Tensor(t)).item()
    assert got == pytest.approx(
        getattr(torch.nn, theirs)(**kwargs)(torch.tensor(x), torch.tensor(t)).item(), rel=1e-10
    )


def test_dropout2d_module_follows_manual_seed_and_mode():
    layer = nn.Dropout2d(0.25)
    x = Tensor(np.ones((4, 8, 2, 2), np.float32))
    chaingrad.manual_seed(0)
    a = layer(x).numpy()
    chaingrad.manual_seed(0)
    np.testing.assert_array_equal(a, layer(x).numpy())
    assert set(np.unique(a)) <= {0.0, np.float32(1 / 0.75)}
    assert layer.eval()(x) is x
    with pytest.raises(ValueError, match="Dropout2d: p must be in"):
        nn.Dropout2d(1.5)


def test_unflatten_refuses_a_size_that_does_not_split():
    with pytest.raises(ValueError, match=r"Unflatten: axis 1 of size 6 cannot become \(4, -1\)"):
        nn.Unflatten(1, (4, -1))(Tensor(np.zeros((2, 6))))


# ---------------------------------------------------------------------------- containers
def test_sequential_from_ordered_dict_names_the_state_dict_like_torch():
    torch = _torch()
    spec = [("fc1", (4, 3)), ("act", None), ("fc2", (3, 2))]

    def build(lib):
        return lib.nn.Sequential(
            OrderedDict(
                (name, lib.nn.Linear(*args) if args else lib.nn.ReLU()) for name, args in spec
            )
        )

    ours, theirs = build(chaingrad), build(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    x = RNG.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(
        ours(Tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-6
    )
    head = ours[1:]
    assert isinstance(head, nn.Sequential) and list(head.state_dict()) == ["fc2.weight", "fc2.bias"]
    assert len(ours.append(nn.Tanh())) == 4 and isinstance(ours[-1], nn.Tanh)


def test_module_dict():
    d = nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.ReLU()})
    d["c"] = nn.Linear(3, 1)
    assert list(d) == d.keys() == ["a", "b", "c"] and len(d) == 3 and "b" in d
    parent = nn.Sequential()
    parent.heads = d
    assert [k for k, _ in parent.named_parameters()] == [
        "heads.a.weight",
        "heads.a.bias",
        "heads.c.weight",
        "heads.c.bias",
    ]
    assert isinstance(d.pop("b"), nn.ReLU) and d.keys() == ["a", "c"]
    with pytest.raises(KeyError, match=r"ModuleDict: no module 'z'; keys are \['a', 'c'\]"):
        d["z"]


def test_parameter_list_and_dict_register_with_the_parent():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([nn.Parameter(np.ones(2)), Tensor(np.zeros(3))])
            self.named = nn.ParameterDict({"scale": nn.Parameter(np.ones(1))})

        def forward(self, x):
            return sum(w.sum() for w in self.ws) * self.named["scale"] * x

    net = Net()
    assert [k for k, _ in net.named_parameters()] == ["ws.0", "ws.1", "named.scale"]
    assert isinstance(net.ws[1], nn.Parameter) and net.ws[1].requires_grad
    net.ws.append(nn.Parameter(np.ones(4)))
    assert len(net.ws) == 3 and len(list(net.parameters())) == 4
    net(Tensor(np.array(2.0))).backward()
    assert net.named["scale"].grad.item() == pytest.approx(12.0)
    with pytest.raises(TypeError, match="ParameterList: expected a Parameter or a Tensor"):
        net.ws.append("w")
    with pytest.raises(KeyError, match="ParameterDict: no parameter 'x'"):
        net.named["x"]


# ---------------------------------------------------------------------------- Module methods
def test_apply_visits_children_first_then_self():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)
            nn.init.zeros_(m.bias)

    model.apply(init_weights)
    assert (model[0].weight.numpy() == 0.5).all() and (model[1][1].bias.numpy() == 0).all()


def test_register_parameter_add_module_get_submodule():
    m = nn.Module()
    m.register_parameter("w", nn.Parameter(np.ones(2)))
    m.register_parameter("b", None)
    m.add_module("inner", nn.Sequential(nn.Linear(2, 2)))
    m.register_module("act", nn.ReLU())
    assert [k for k, _ in m.named_parameters()] == ["w", "inner.0.weight", "inner.0.bias"]
    assert m.b is None and m.get_submodule("inner.0") is m.inner[0]
    assert m.get_submodule("") is m
    with pytest.raises(AttributeError, match=r"get_submodule: Module.inner has no submodule 'x'"):
        m.get_submodule("inner.x")
    with pytest.raises(TypeError, match="register_parameter: 'v' must be a Parameter"):
        m.register_parameter("v", Tensor(np.ones(1)))
    with pytest.raises(KeyError, match="add_module: name must be"):
        m.add_module("a.b", nn.ReLU())
    with pytest.raises(AttributeError, match="Module' object has no attribute 'missing'"):
        m.missing  # noqa: B018


def test_requires_grad_and_half():
    model = nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3))
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())
    assert all(p.dtype == np.float16 for p in model.half().parameters())


# ---------------------------------------------------------------------------- init
def test_trunc_normal_stays_inside_and_follows_the_seed():
    w = Tensor(np.zeros((200, 50)))
    chaingrad.manual_seed(0)
    nn.init.trunc_normal_(w, mean=0.5, std=1.0, a=-0.5, b=1.0)
    first = w.numpy().copy()
    assert first.min() >= -0.5 and first.max() <= 1.0 and first.std() > 0.2
    chaingrad.manual_seed(0)
    np.testing.assert_array_equal(nn.init.trunc_normal_(w, 0.5, 1.0, -0.5, 1.0).numpy(), first)
    with pytest.raises(ValueError, match="trunc_normal_: need a < b"):
        nn.init.trunc_normal_(w, a=1.0, b=0.0)


@pytest.mark.parametrize("shape", [(4, 4), (3, 7), (6, 2), (4, 2, 3, 3)])
def test_orthogonal(shape):
    w = nn.init.orthogonal_(Tensor(np.zeros(shape)), gain=2.0, seed=1).numpy().reshape(shape[0], -1)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-10)


def test_eye_and_dirac():
    torch = _torch()
    np.testing.assert_array_equal(nn.init.eye_(Tensor(np.zeros((2, 3)))).numpy(), np.eye(2, 3))
    for shape, groups in [((4, 2, 3, 3), 1), ((6, 3, 3), 2), ((2, 2, 1, 3, 3), 1)]:
        ours = nn.init.dirac_(Tensor(np.zeros(shape)), groups).numpy()
        theirs = torch.nn.init.dirac_(torch.zeros(shape, dtype=torch.float64), groups).numpy()
        np.testing.assert_array_equal(ours, theirs)


# ---------------------------------------------------------------------------- attention
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "bool", "float", "causal"])
def test_multihead_attention_matches_torch(batch_first, masks):
    torch = _torch()
    ref = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    ours = nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict(ref.state_dict())
    q, kv = RNG.standard_normal((4, 3, 8)), RNG.standard_normal((5, 3, 8))
    if batch_first:
        q, kv = q.transpose(1, 0, 2).copy(), kv.transpose(1, 0, 2).copy()
    ours_kw, ref_kw = {}, {}
    if masks == "bool":
        pad = np.zeros((3, 5), bool)
        pad[1, 3:] = True
        attn = np.zeros((4, 5), bool)
        attn[0, 1] = True
        ours_kw = {"key_padding_mask": pad, "attn_mask": attn}
        ref_kw = {"key_padding_mask": torch.tensor(pad), "attn_mask": torch.tensor(attn)}
    elif masks == "float":
        attn = RNG.standard_normal((6, 4, 5))
        ours_kw, ref_kw = {"attn_mask": attn}, {"attn_mask": torch.tensor(attn)}
    elif masks == "causal":
        q = kv
        causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
        ours_kw, ref_kw = {"attn_mask": causal.numpy()}, {"attn_mask": causal}
    out, weights = ours(Tensor(q), Tensor(kv), Tensor(kv), **ours_kw, average_attn_weights=False)
    t_q, t_kv = torch.tensor(q, requires_grad=True), torch.tensor(kv)
    expected, t_weights = ref(t_q, t_kv, t_kv, **ref_kw, average_attn_weights=False)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(weights.numpy(), t_weights.detach().numpy(), atol=1e-10)
    # gradients of the parameters agree too
    out.sum().backward()
    expected.sum().backward()
    for (name, p), (_, r) in zip(ours.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), r.grad.numpy(), atol=1e-9, err_msg=name)


def test_multihead_attention_unbatched_and_gradcheck():
    mha = nn.MultiheadAttention(4, 2).double()
    x = Tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    out, weights = mha(x, x, x)
    assert out.shape == (3, 4) and weights.shape == (3, 3)
    assert mha(x, x, x, need_weights=False)[1] is None
    assert gradcheck(lambda t: mha(t, t, t)[0], x)
    with pytest.raises(ValueError, match="MultiheadAttention: embed_dim 5 is not divisible"):
        nn.MultiheadAttention(5, 2)

"""The functional forms tutorials use beyond the basics: gradcheck in float64, and values and
gradients against PyTorch on the same inputs (skipped without torch)."""

from __future__ import annotations

import numpy as np
import pytest

import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor, gradcheck

RNG = np.random.default_rng(0)


def _t(x: np.ndarray) -> Tensor:
    return Tensor(np.array(x, np.float64), requires_grad=True)


def _same_as_torch(ours, theirs, *arrays, atol=1e-10):
    """Values and input gradients (of Σ v·out for a random v) agree with torch's."""
    torch = pytest.importorskip("torch")
    mine = [_t(a) for a in arrays]
    ref = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, expected = ours(*mine), theirs(*ref)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=atol, rtol=1e-7)
    v = RNG.standard_normal(expected.shape)
    (out * Tensor(v)).sum().backward()
    (expected * torch.tensor(v)).sum().backward()
    for m, r in zip(mine, ref):
        np.testing.assert_allclose(m.grad.numpy(), r.grad.numpy(), atol=atol, rtol=1e-7)


def _check(ours, *arrays):
    assert gradcheck(ours, *[_t(a) for a in arrays])


# ---------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize(
    ("shape", "normalized"), [((4, 6), (6,)), ((2, 3, 5), (3, 5)), ((3, 1, 4), 4), ((5,), (5,))]
)
def test_layer_norm(shape, normalized):
    import_torch = pytest.importorskip("torch")
    tf = import_torch.nn.functional
    ns = (normalized,) if isinstance(normalized, int) else normalized
    x, w, b = RNG.standard_normal(shape), RNG.standard_normal(ns), RNG.standard_normal(ns)
    _check(lambda x, w, b: F.layer_norm(x, normalized, w, b), x, w, b)
    _same_as_torch(
        lambda x, w, b: F.layer_norm(x, normalized, w, b),
        lambda x, w, b: tf.layer_norm(x, ns, w, b),
        x,
        w,
        b,
    )
    _same_as_torch(lambda x: F.layer_norm(x, ns), lambda x: tf.layer_norm(x, ns), x)


def test_layer_norm_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape \(4,\).*\(2, 3\)"):
        F.layer_norm(Tensor(np.zeros((2, 3))), 4)
    with pytest.raises(ValueError, match="layer_norm: weight of shape"):
        F.layer_norm(Tensor(np.zeros((2, 3))), 3, Tensor(np.ones(2)))


@pytest.mark.parametrize(("shape", "groups"), [((2, 6, 3, 2), 3), ((3, 4, 5), 2), ((2, 4), 4)])
def test_group_norm(shape, groups):
    tf = pytest.importorskip("torch").nn.functional
    x, w, b = (RNG.standard_normal(s) for s in (shape, shape[1], shape[1]))
    _check(lambda x, w, b: F.group_norm(x, groups, w, b), x, w, b)
    _same_as_torch(
        lambda x, w, b: F.group_norm(x, groups, w, b),
        lambda x, w, b: tf.group_norm(x, groups, w, b),
        x,
        w,
        b,
    )
    with pytest.raises(ValueError, match="group_norm"):
        F.group_norm(Tensor(np.zeros((2, 5, 3))), 2)


# ---------------------------------------------------------------------------- activations
ACTIVATIONS = [
    ("gelu", lambda f: lambda x: f.gelu(x)),
    ("gelu_tanh", lambda f: lambda x: f.gelu(x, approximate="tanh")),
    ("silu", lambda f: lambda x: f.silu(x)),
    ("softplus", lambda f: lambda x: f.softplus(x, beta=2.0, threshold=3.0)),
    ("hardtanh", lambda f: lambda x: f.hardtanh(x, -0.5, 0.7)),
    ("logsigmoid", lambda f: lambda x: f.logsigmoid(x)),
    ("softmin", lambda f: lambda x: f.softmin(x, dim=1)),
    ("softmin_neg", lambda f: lambda x: f.softmin(x, dim=-1)),
    ("glu", lambda f: lambda x: f.glu(x, dim=1)),
    ("glu_last", lambda f: lambda x: f.glu(x)),
]


@pytest.mark.parametrize(("name", "make"), ACTIVATIONS, ids=[n for n, _ in ACTIVATIONS])
def test_activation(name, make):
    tf = pytest.importorskip("torch").nn.functional
    x = RNG.standard_normal((3, 4, 2)) * 2
    x[np.abs(np.abs(x) - 0.5) < 1e-3] += 0.01  # keep clear of hardtanh's kinks for the check
    x[np.abs(x - 0.7) < 1e-3] += 0.01
    _check(make(F), x)
    _same_as_torch(make(F), make(tf), x)


def test_glu_refuses_an_odd_axis():
    with pytest.raises(ValueError, match=r"glu: dimension 1 of input \(2, 3\) has odd size 3"):
        F.glu(Tensor(np.zeros((2, 3))), 1)


# ---------------------------------------------------------------------------- pooling, dropout
@pytest.mark.parametrize(
    ("shape", "size"),
    [((2, 3, 7, 5), (3, 2)), ((2, 3, 6, 6), 1), ((1, 2, 5, 7), (None, 3)), ((2, 5, 4), (4, 6))],
)
@pytest.mark.parametrize("op", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
def test_adaptive_pools(shape, size, op):
    tf = pytest.importorskip("torch").nn.functional
    x = RNG.standard_normal(shape)
    _check(lambda x: getattr(F, op)(x, size), x)
    _same_as_torch(lambda x: getattr(F, op)(x, size), lambda x: getattr(tf, op)(x, size), x)


def test_global_average_pool_is_the_spatial_mean():
    x = RNG.standard_normal((2, 3, 4, 5))
    out = F.adaptive_avg_pool2d(Tensor(x), (1, 1))
    assert out.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(out.numpy(), x.mean((2, 3), keepdims=True))
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: output_size"):
        F.adaptive_avg_pool2d(Tensor(x), (0, 2))


def test_dropout2d_drops_whole_channels_and_follows_manual_seed():
    import chaingrad

    x = Tensor(np.ones((8, 16, 3, 3)), requires_grad=True)
    chaingrad.manual_seed(3)
    out = F.dropout2d(x, 0.5)
    chaingrad.manual_seed(3)
    again = F.dropout2d(x, 0.5)
    np.testing.assert_array_equal(out.numpy(), again.numpy())
    per_channel = out.numpy().reshape(8, 16, 9)
    assert set(np.unique(per_channel)) == {0.0, 2.0}
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # a channel is all kept or dropped
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.numpy())  # gradient is the scaled mask
    assert F.dropout2d(x, 0.5, training=False) is x


# ---------------------------------------------------------------------------- pad
@pytest.mark.parametrize(
    ("pad", "mode", "value"),
    [
        ((1, 2), "constant", 0.0),
        ((1, 2, 0, 3), "constant", 1.5),
        ((2, -1, 1, 0), "constant", -2.0),
        ((2, 1, 1, 2), "reflect", None),
        ((3, 1, 2, 2), "replicate", None),
        ((2, 3, 1, 1), "circular", None),
        ((1, 1, 1, 1, 1, 1), "constant", 0.0),
    ],
)
def test_pad_matches_torch(pad, mode, value):
    tf = pytest.importorskip("torch").nn.functional
    x = RNG.standard_normal((2, 3, 4, 5))
    kwargs = {"mode": mode} if value is None else {"mode": mode, "value": value}
    _check(lambda x: F.pad(x, pad, **kwargs), x)
    _same_as_torch(lambda x: F.pad(x, pad, **kwargs), lambda x: tf.pad(x, pad, **kwargs), x)


def test_pad_errors_are_one_line():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"pad: \(1, 2, 3\) is not pairs"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="pad: reflect padding"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="pad: mode must be"):
        F.pad(x, (1, 1), mode="mirror")


# ---------------------------------------------------------------------------- similarity
@pytest.mark.parametrize(("p", "dim"), [(2.0, 1), (1.0, -1), (3.0, 0)])
def test_normalize(p, dim):
    tf = pytest.importorskip("torch").nn.functional
    x = RNG.standard_normal((3, 4, 2))
    _check(lambda x: F.normalize(x, p, dim), x)
    _same_as_torch(lambda x: F.normalize(x, p, dim), lambda x: tf.normalize(x, p, dim), x)


@pytest.mark.parametrize(("a", "b", "dim"), [((4, 5), (4, 5), 1), ((3, 1, 6), (2, 6), -1)])
def test_cosine_similarity(a, b, dim):
    tf = pytest.importorskip("torch").nn.functional
    x1, x2 = RNG.standard_normal(a), RNG.standard_normal(b)
    _check(lambda x1, x2: F.cosine_similarity(x1, x2, dim), x1, x2)
    _same_as_torch(
        lambda x1, x2: F.cosine_similarity(x1, x2, dim),
        lambda x1, x2: tf.cosine_similarity(x1, x2, dim),
        x1,
        x2,
    )
    with pytest.raises(ValueError, match=r"cosine_similarity: shapes \(2, 3\) and \(4,\)"):
        F.cosine_similarity(Tensor(np.ones((2, 3))), Tensor(np.ones(4)))


# ---------------------------------------------------------------------------- losses
ROBUST = {
    "smooth_l1": lambda f, r: lambda x, t: f.smooth_l1_loss(x, t, reduction=r),
    "smooth_l1_beta": lambda f, r: lambda x, t: f.smooth_l1_loss(x, t, reduction=r, beta=0.5),
    "smooth_l1_beta0": lambda f, r: lambda x, t: f.smooth_l1_loss(x, t, reduction=r, beta=0.0),
    "huber": lambda f, r: lambda x, t: f.huber_loss(x, t, reduction=r),
    "huber_delta": lambda f, r: lambda x, t: f.huber_loss(x, t, reduction=r, delta=0.3),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", sorted(ROBUST))
def test_robust_regression_losses(name, reduction):
    tf = pytest.importorskip("torch").nn.functional
    x, t = RNG.standard_normal((4, 3)) * 2, RNG.standard_normal((4, 3))
    make = ROBUST[name]
    _check(make(F, reduction), x, t)
    _same_as_torch(make(F, reduction), make(tf, reduction), x, t)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    tf = pytest.importorskip("torch").nn.functional
    logits = RNG.standard_normal((4, 5))
    x = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    p = RNG.dirichlet(np.ones(5), 4)
    p[0, 2] = 0.0  # a zero-probability target contributes 0, not NaN
    t = np.log(p + 1e-3) if log_target else p

    def make(f):
        return lambda x, t: f.kl_div(x, t, reduction=reduction, log_target=log_target)

    if log_target:
        _check(make(F), x, t)
        _same_as_torch(make(F), make(tf), x, t)
    else:
        # the target's gradient at a zero probability is -inf (torch says NaN): hold it fixed
        torch = pytest.importorskip("torch")
        _check(lambda x: make(F)(x, Tensor(t)), x)
        _same_as_torch(lambda x: make(F)(x, Tensor(t)), lambda x: make(tf)(x, torch.tensor(t)), x)


# ---------------------------------------------------------------------------- attention
@pytest.mark.parametrize(
    "mask", ["none", "causal", "bool", "float", "scale"], ids=lambda m: f"mask={m}"
)
def test_scaled_dot_product_attention(mask):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    q, k, v = RNG.standard_normal((2, 3, 4, 5)), RNG.standard_normal((2, 3, 6, 5)), None
    v = RNG.standard_normal((2, 3, 6, 7))
    kwargs: dict = {}
    bool_mask = RNG.random((4, 6)) > 0.3
    bool_mask[:, 0] = True  # no row entirely masked (that is NaN in torch as here)
    if mask == "causal":
        q = RNG.standard_normal((2, 3, 6, 5))
        kwargs = {"is_causal": True}
    elif mask == "scale":
        kwargs = {"scale": 0.3}
    ours_mask = theirs_mask = None
    if mask == "bool":
        ours_mask, theirs_mask = bool_mask, torch.tensor(bool_mask)
    elif mask == "float":
        m = RNG.standard_normal((4, 6))
        ours_mask, theirs_mask = m, torch.tensor(m)
    _check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, ours_mask, **kwargs), q, k, v)
    _same_as_torch(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, ours_mask, **kwargs),
        lambda q, k, v: tf.scaled_dot_product_attention(q, k, v, theirs_mask, **kwargs),
        q,
        k,
        v,
    )


def test_attention_shapes_are_checked():
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: query \(2, 3\)"):
        F.scaled_dot_product_attention(
            Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4))), Tensor(np.ones((2, 4)))
        )


def test_everything_is_exported():
    for name in (
        "layer_norm group_norm gelu silu softplus hardtanh logsigmoid softmin glu "
        "adaptive_avg_pool2d adaptive_max_pool2d dropout2d pad normalize cosine_similarity "
        "smooth_l1_loss huber_loss kl_div scaled_dot_product_attention"
    ).split():
        assert name in F.__all__ and callable(getattr(F, name))

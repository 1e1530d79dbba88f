"""nn.optim: update rules by hand and against torch.optim, groups, state dicts, clipping, errors.

The PyTorch comparisons skip cleanly without torch; everything else runs without it.
"""

import copy
import math

import numpy as np
import pytest

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor
from chaingrad.nn import optim

# (class name, options) covering every option of every optimizer
CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.9}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
]
CONFIG_IDS = [
    f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CONFIGS
]
SHAPES = [(3, 4), (4,), (), (2, 2)]  # the last parameter never gets a gradient
TOLERANCE = {np.float64: {"rtol": 1e-10, "atol": 1e-12}, np.float32: {"rtol": 1e-5, "atol": 1e-6}}


def _problem(dtype, seed=0):
    """Start values, targets, curvatures and per-step noise of a noisy separable quadratic."""
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    target = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    curvature = [rng.uniform(0.5, 3.0, s).astype(dtype) for s in SHAPES]
    # noise of varying scale, so second moments rise and fall (exercises amsgrad's max)
    noise = [
        [(rng.standard_normal(s) * rng.choice([0.1, 1.0, 3.0])).astype(dtype) for s in SHAPES]
        for _ in range(40)
    ]
    return start, target, curvature, noise


def _grads(values, problem, k):
    """The quadratic's gradients at ``values`` for step k, packed as views of ONE read-only buffer.

    Sharing and read-only-ness check that no optimizer writes into a gradient.
    """
    _, target, curvature, noise = problem
    parts = [c * (v - t) + n for v, t, c, n in zip(values, target, curvature, noise[k])][:-1]
    buffer = np.concatenate([part.reshape(-1) for part in parts])
    buffer.flags.writeable = False
    grads, offset = [], 0
    for part in parts:
        grads.append(buffer[offset : offset + part.size].reshape(part.shape))
        offset += part.size
    return grads


def _groups(params, options):
    """Two groups: the first overrides lr (half the default), the second holds the gradless one."""
    lr = options.get("lr", 0.01)
    return [{"params": params[:2], "lr": lr / 2}, {"params": params[2:]}]


def _ours(name, options, values):
    params = [nn.Parameter(v.copy()) for v in values]
    return params, getattr(optim, name)(_groups(params, options), **options)


def _run(opt, params, problem, steps, start_step=0):
    for k in range(start_step, start_step + steps):
        opt.zero_grad()
        for p, g in zip(params, _grads([p.numpy() for p in params], problem, k)):
            p.grad = g
        opt.step()


# ---------------------------------------------------------------------------- hand-computed
def _scalar(value=1.0):
    return nn.Parameter(np.array([value], dtype=np.float64))


def _two_steps(opt, p, g1=0.5, g2=0.2):
    """Two steps with gradients g1 then g2; returns θ after each."""
    out = []
    for g in (g1, g2):
        p.grad = np.array([g])
        opt.step()
        out.append(p.numpy()[0])
    return out


def test_sgd_by_hand():
    p = _scalar()
    # θ ← θ − γg
    assert _two_steps(optim.SGD([p], lr=0.1), p) == pytest.approx([1 - 0.1 * 0.5, 0.95 - 0.1 * 0.2])


def test_sgd_momentum_and_weight_decay_by_hand():
    p = _scalar()
    theta1, theta2 = _two_steps(optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1), p)
    g1 = 0.5 + 0.1 * 1.0  # g + λθ
    b1 = g1  # the first buffer is the gradient itself
    assert theta1 == pytest.approx(1.0 - 0.1 * b1)
    g2 = 0.2 + 0.1 * theta1
    b2 = 0.9 * b1 + g2
    assert theta2 == pytest.approx(theta1 - 0.1 * b2, rel=1e-14)


def test_sgd_dampening_by_hand():
    p = _scalar()
    theta1, theta2 = _two_steps(optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5), p)
    b1 = 0.5  # not dampened: the buffer starts as the gradient
    assert theta1 == pytest.approx(1.0 - 0.1 * b1)
    b2 = 0.9 * b1 + (1 - 0.5) * 0.2
    assert theta2 == pytest.approx(theta1 - 0.1 * b2, rel=1e-14)


def test_sgd_nesterov_by_hand():
    p = _scalar()
    theta1, theta2 = _two_steps(optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True), p)
    b1 = 0.5
    assert theta1 == pytest.approx(1.0 - 0.1 * (0.5 + 0.9 * b1))  # g + μb
    b2 = 0.9 * b1 + 0.2
    assert theta2 == pytest.approx(theta1 - 0.1 * (0.2 + 0.9 * b2), rel=1e-14)


def test_adagrad_by_hand():
    p = _scalar()
    theta1, theta2 = _two_steps(optim.Adagrad([p], lr=0.1, lr_decay=0.5), p)
    s1 = 0.5**2
    assert theta1 == pytest.approx(1.0 - 0.1 * 0.5 / (math.sqrt(s1) + 1e-10))
    s2 = s1 + 0.2**2
    clr2 = 0.1 / (1 + 1 * 0.5)  # γ / (1 + (t − 1)η) at t = 2
    assert theta2 == pytest.approx(theta1 - clr2 * 0.2 / (math.sqrt(s2) + 1e-10), rel=1e-14)


def test_adagrad_initial_accumulator_by_hand():
    p = _scalar()
    opt = optim.Adagrad([p], lr=0.1, initial_accumulator_value=1.0, weight_decay=0.5)
    theta1, _ = _two_steps(opt, p)
    g1 = 0.5 + 0.5 * 1.0
    assert theta1 == pytest.approx(1.0 - 0.1 * g1 / (math.sqrt(1.0 + g1**2) + 1e-10))
    assert opt.state[p]["sum"][0] == pytest.approx(1.0 + g1**2 + (0.2 + 0.5 * theta1) ** 2)


def test_rmsprop_by_hand():
    p = _scalar()
    theta1, theta2 = _two_steps(optim.RMSprop([p], lr=0.01, alpha=0.9), p)
    v1 = 0.1 * 0.5**2
    assert theta1 == pytest.approx(1.0 - 0.01 * 0.5 / (math.sqrt(v1) + 1e-8))
    v2 = 0.9 * v1 + 0.1 * 0.2**2
    assert theta2 == pytest.approx(theta1 - 0.01 * 0.2 / (math.sqrt(v2) + 1e-8), rel=1e-14)


def test_rmsprop_centered_momentum_by_hand():
    p = _scalar()
    opt = optim.RMSprop([p], lr=0.01, alpha=0.9, momentum=0.5, centered=True)
    theta1, theta2 = _two_steps(opt, p)
    v1, m1 = 0.1 * 0.5**2, 0.1 * 0.5
    b1 = 0.5 / (math.sqrt(v1 - m1**2) + 1e-8)
    assert theta1 == pytest.approx(1.0 - 0.01 * b1)
    v2, m2 = 0.9 * v1 + 0.1 * 0.2**2, 0.9 * m1 + 0.1 * 0.2
    b2 = 0.5 * b1 + 0.2 / (math.sqrt(v2 - m2**2) + 1e-8)
    assert theta2 == pytest.approx(theta1 - 0.01 * b2, rel=1e-12)


def test_adam_by_hand_first_step_moves_by_lr():
    p = _scalar()
    theta1, theta2 = _two_steps(optim.Adam([p], lr=0.01), p)
    # t = 1: m̂ = g, v̂ = g², so the step is γ·g/(|g| + ε), almost exactly γ
    assert theta1 == pytest.approx(1.0 - 0.01 * 0.5 / (0.5 + 1e-8), rel=1e-15)
    m2 = 0.9 * (0.1 * 0.5) + 0.1 * 0.2
    v2 = 0.999 * (0.001 * 0.25) + 0.001 * 0.04
    m_hat, v_hat = m2 / (1 - 0.9**2), v2 / (1 - 0.999**2)
    assert theta2 == pytest.approx(theta1 - 0.01 * m_hat / (math.sqrt(v_hat) + 1e-8), rel=1e-14)


def test_adam_amsgrad_uses_the_largest_second_moment_by_hand():
    p = _scalar()
    theta1, theta2 = _two_steps(optim.Adam([p], lr=0.01, betas=(0.5, 0.5), amsgrad=True), p, 2, 0.0)
    assert theta1 == pytest.approx(1.0 - 0.01 * 2 / (2 + 1e-8))
    m2, v2 = 0.5 * (0.5 * 2), 0.5 * (0.5 * 4)  # g = 0: the moments just decay
    v_max = max(0.5 * 4, v2)  # v₁ = 2 is larger than v₂ = 1
    step = 0.01 / (1 - 0.5**2) * m2 / (math.sqrt(v_max) / math.sqrt(1 - 0.5**2) + 1e-8)
    assert theta2 == pytest.approx(theta1 - step, rel=1e-14)


def test_adam_l2_and_adamw_decoupled_decay_by_hand():
    p, q = _scalar(), _scalar()
    (adam1, _) = _two_steps(optim.Adam([p], lr=0.01, weight_decay=0.5), p)
    (adamw1, _) = _two_steps(optim.AdamW([q], lr=0.01, weight_decay=0.5), q)
    g = 0.5 + 0.5 * 1.0  # Adam: the decay goes through the moments, and cancels in m̂/√v̂
    assert adam1 == pytest.approx(1.0 - 0.01 * g / (g + 1e-8))
    shrunk = 1.0 * (1 - 0.01 * 0.5)  # AdamW: θ(1 − γλ), then the plain Adam step
    assert adamw1 == pytest.approx(shrunk - 0.01 * 0.5 / (0.5 + 1e-8), rel=1e-15)


# ---------------------------------------------------------------------------- behaviour
@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=CONFIG_IDS)
def test_updates_in_place_keep_dtype_and_never_touch_grads(name, options):
    problem = _problem(np.float32)
    params, opt = _ours(name, options, problem[0])
    arrays = [p.numpy() for p in params]
    _run(opt, params, problem, 5)  # grads are read-only views of one buffer: a write would raise
    for p, array in zip(params, arrays):
        assert p.numpy() is array and p.numpy().dtype == np.float32
    assert not np.array_equal(params[0].numpy(), problem[0][0])
    np.testing.assert_array_equal(params[-1].numpy(), problem[0][-1])  # no gradient: untouched
    for state in opt.state.values():
        for key, value in state.items():
            assert (key == "step" and isinstance(value, int)) or value.dtype == np.float32


@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=CONFIG_IDS)
def test_state_dict_round_trip_continues_the_identical_trajectory(name, options):
    problem = _problem(np.float64, seed=3)
    params, opt = _ours(name, options, problem[0])
    _run(opt, params, problem, 7)
    saved = opt.state_dict()
    frozen = copy.deepcopy(saved)
    resumed_params, resumed = _ours(name, options, [p.numpy() for p in params])
    _run(opt, params, problem, 6, start_step=7)
    for key, state in saved["state"].items():  # the saved state is a copy, not a live view
        for name_, value in state.items():
            np.testing.assert_array_equal(value, frozen["state"][key][name_])
    resumed.load_state_dict(saved)
    _run(resumed, resumed_params, problem, 6, start_step=7)
    for p, q in zip(params, resumed_params):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_state_dict_layout_is_pytorchs():
    a, b, c = (nn.Parameter(np.ones(2)) for _ in range(3))
    opt = optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1, momentum=0.9)
    a.grad = c.grad = np.ones(2)
    opt.step()
    state = opt.state_dict()
    assert list(state["state"]) == [0, 2]  # b had no gradient, so no state
    assert set(state["state"][0]) == {"momentum_buffer"}
    assert [g["params"] for g in state["param_groups"]] == [[0, 1], [2]]
    assert [g["lr"] for g in state["param_groups"]] == [0.1, 0.5]
    assert state["param_groups"][0]["momentum"] == 0.9


def test_load_state_dict_casts_to_the_parameters_dtype_and_keeps_hyperparameters():
    p = nn.Parameter(np.ones(3))
    opt = optim.Adam([p], lr=0.05)
    p.grad = np.array([1.0, -2.0, 3.0])
    opt.step()
    q = nn.Parameter(np.ones(3, dtype=np.float32))
    other = optim.Adam([q], lr=1.0)
    other.load_state_dict(opt.state_dict())
    assert other.param_groups[0]["lr"] == 0.05 and other.param_groups[0]["params"] == [q]
    assert other.state[q]["exp_avg"].dtype == np.float32 and other.state[q]["step"] == 1


def test_load_state_dict_rejects_a_different_layout():
    p, q = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))
    saved = optim.SGD([p, q], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="state dict has 1 parameter groups, this optimizer 2"):
        optim.SGD([{"params": [p]}, {"params": [q]}], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="group 0 has 2 parameters in the state dict, 1 here"):
        optim.SGD([p], lr=0.1).load_state_dict(saved)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.ones(2)
    opt.step()
    with pytest.raises(ValueError, match="shape"):
        optim.SGD([q], lr=0.1, momentum=0.9).load_state_dict(opt.state_dict())


def test_skips_params_without_grad_or_frozen():
    a, b, c = (nn.Parameter(np.ones(2)) for _ in range(3))
    c.requires_grad = False
    opt = optim.Adam([a, b, c], lr=0.1)
    a.grad = c.grad = np.ones(2)
    opt.step()
    assert a.numpy()[0] == pytest.approx(0.9)
    np.testing.assert_array_equal(b.numpy(), 1.0)
    np.testing.assert_array_equal(c.numpy(), 1.0)
    assert list(opt.state) == [a]


def test_param_groups_have_their_own_options_and_defaults():
    a, b, c = (nn.Parameter(np.zeros(1)) for _ in range(3))
    opt = optim.SGD([{"params": [a]}, {"params": (b,), "lr": 1.0, "momentum": 0.5}], lr=0.1)
    opt.add_param_group({"params": c, "nesterov": False})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0, 0.1]
    assert [g["momentum"] for g in opt.param_groups] == [0.0, 0.5, 0.0]
    assert opt.param_groups[2]["params"] == [c]
    for p in (a, b, c):
        p.grad = np.ones(1)
    opt.step()
    assert [p.numpy()[0] for p in (a, b, c)] == pytest.approx([-0.1, -1.0, -0.1])


def test_params_may_be_a_generator_and_module_parameters():
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert opt.param_groups[0]["params"] == list(model.parameters())


def test_zero_grad():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([a, b], lr=0.1)
    shared = np.ones(4)
    a.grad, b.grad = shared[:2], shared[2:]
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad, 0.0)
    np.testing.assert_array_equal(shared, 1.0)  # new arrays, the shared one is left alone
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_step_calls_the_closure_and_returns_its_loss():
    p = nn.Parameter(np.array([2.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (Tensor(p.numpy()) * 0 + p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0 and p.numpy()[0] == pytest.approx(2.0 - 0.25 * 4.0)


def test_float64_gradient_on_a_float32_parameter_updates_in_float32():
    p = nn.Parameter(np.ones(2, dtype=np.float32))
    opt = optim.Adam([p], lr=np.float64(0.1))  # a NumPy float64 lr must not promote either
    p.grad = np.ones(2, dtype=np.float64)
    opt.step()
    assert p.numpy().dtype == np.float32 and opt.state[p]["exp_avg"].dtype == np.float32


def test_adagrad_starts_its_accumulators_at_construction_as_pytorch():
    p = nn.Parameter(np.ones(2))
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert opt.state[p]["step"] == 0
    np.testing.assert_array_equal(opt.state[p]["sum"], 0.25)
    q = nn.Parameter(np.ones(1))
    opt.add_param_group({"params": [q], "initial_accumulator_value": 2.0})
    np.testing.assert_array_equal(opt.state[q]["sum"], 2.0)


def test_repr_lists_the_groups():
    text = repr(optim.RMSprop([nn.Parameter(np.ones(1))], momentum=0.9))
    assert text.startswith("RMSprop (") and "Parameter Group 0" in text and "momentum: 0.9" in text


def test_a_training_loop_converges():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    model = nn.Linear(3, 1).double()
    opt = optim.Adam(model.parameters(), lr=0.1)
    for _ in range(200):
        opt.zero_grad()
        F.mse_loss(model(Tensor(x)), Tensor(y)).backward()
        opt.step()
    np.testing.assert_allclose(model.weight.numpy(), [[1.0, -2.0, 0.5]], atol=1e-3)
    np.testing.assert_allclose(model.bias.numpy(), [0.3], atol=1e-3)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_negative_or_nan_lr_is_rejected(name):
    p = nn.Parameter(np.ones(1))
    for lr in (-0.1, math.nan):
        with pytest.raises(ValueError, match=f"{name}: invalid lr"):
            getattr(optim, name)([p], lr=lr)
    with pytest.raises(TypeError, match="lr must be a real number"):
        getattr(optim, name)([p], lr="0.1")


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("SGD", {"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum > 0"),
        ("SGD", {"lr": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1}, "zero damp"),
        ("SGD", {"lr": 0.1, "momentum": -0.9}, "invalid momentum"),
        ("SGD", {"lr": 0.1, "dampening": 1.5}, r"invalid dampening 1.5 \(must be in \[0, 1\]\)"),
        ("SGD", {"lr": 0.1, "weight_decay": -1}, "invalid weight_decay"),
        ("Adagrad", {"lr_decay": -1}, "invalid lr_decay"),
        ("Adagrad", {"initial_accumulator_value": -1}, "invalid initial_accumulator_value"),
        ("Adagrad", {"eps": -1e-10}, "invalid eps"),
        ("RMSprop", {"alpha": 1.5}, "invalid alpha"),
        ("RMSprop", {"momentum": -0.1}, "invalid momentum"),
        ("Adam", {"betas": (1.0, 0.999)}, r"invalid beta at index 0 1.0 \(must be in \[0, 1\)\)"),
        ("Adam", {"betas": (0.9, -0.1)}, "invalid beta at index 1"),
        ("AdamW", {"betas": (0.9,)}, "betas must be a pair"),
        ("AdamW", {"weight_decay": -0.01}, "invalid weight_decay"),
    ],
)
def test_invalid_hyperparameters_are_rejected(name, options, message):
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([nn.Parameter(np.ones(1))], **options)


def test_invalid_group_options_are_rejected_per_group():
    a, b = nn.Parameter(np.ones(1)), nn.Parameter(np.ones(1))
    with pytest.raises(ValueError, match="invalid lr -1"):
        optim.SGD([{"params": [a]}, {"params": [b], "lr": -1}], lr=0.1)
    opt = optim.Adam([a])
    with pytest.raises(ValueError, match="invalid beta"):
        opt.add_param_group({"params": [b], "betas": (0.9, 1.0)})


def test_bad_params_are_rejected():
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Parameter; wrap it in a list"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        optim.SGD({p}, lr=0.1)
    with pytest.raises(TypeError, match=r"\(Parameters\), but one of the params is ndarray"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="same parameter twice"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="'params' entry"):
        optim.SGD([{"lr": 0.1}], lr=0.1)


def test_a_gradient_of_the_wrong_shape_is_an_error():
    p = nn.Parameter(np.ones(3))
    with pytest.raises(ValueError, match=r"grad: assigned grad has shape \(4,\), the tensor"):
        p.grad = np.ones(4)  # refused where it is assigned, as PyTorch


# ---------------------------------------------------------------------------- clipping
def _grad_dtype(g):
    """The dtype a parameter needs to hold ``g`` as its grad: g's own float dtype, else float64."""
    array = np.asarray(g if g is not None else 0.0)
    return array.dtype if array.dtype.kind == "f" and array.dtype != np.float16 else np.float64


def _with_grads(*grads):
    params = []
    for g in grads:
        # .grad has its parameter's dtype (as PyTorch), so the parameter takes the grad's dtype
        p = nn.Parameter(np.zeros(np.shape(g), dtype=_grad_dtype(g)))
        p.grad = None if g is None else np.asarray(g)
        params.append(p)
    return params


def test_clip_grad_norm_by_hand():
    a, b, c = _with_grads([3.0, 4.0], [[12.0]], None)
    total = optim.clip_grad_norm_([a, b, c], max_norm=6.5)
    assert total == pytest.approx(13.0)  # √(3² + 4² + 12²), the norm of the norms (5, 12)
    scale = 6.5 / (13.0 + 1e-6)
    np.testing.assert_allclose(a.grad, [3.0 * scale, 4.0 * scale], rtol=1e-15)
    np.testing.assert_allclose(b.grad, [[12.0 * scale]], rtol=1e-15)
    assert c.grad is None


def test_clip_grad_norm_leaves_small_gradients_alone():
    a, b = _with_grads([0.3, 0.4], [1.2])
    before = a.grad
    assert optim.clip_grad_norm_(iter([a, b]), max_norm=2.0) == pytest.approx(1.3)
    assert a.grad is before


def test_clip_grad_norm_other_norms_by_hand():
    a, b = _with_grads([3.0, -4.0], [-12.0, 1.0])
    assert optim.clip_grad_norm_([a, b], 100.0, norm_type=math.inf) == 12.0
    assert optim.clip_grad_norm_([a, b], 100.0, norm_type="inf") == 12.0
    assert optim.clip_grad_norm_([a, b], 100.0, norm_type=1) == pytest.approx(20.0)
    total = optim.clip_grad_norm_([a, b], 6.0, norm_type=math.inf)
    np.testing.assert_allclose(b.grad, np.array([-12.0, 1.0]) * 6.0 / (12.0 + 1e-6))
    assert total == 12.0


def test_clip_grad_norm_never_scales_shared_gradients_twice():
    shared = np.array([3.0, 4.0, 0.0, 0.0])
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    a.grad, b.grad = shared[:2], shared[1:3]  # overlapping views
    optim.clip_grad_norm_([a, b], 1.0)
    np.testing.assert_array_equal(shared, [3.0, 4.0, 0.0, 0.0])
    total = math.sqrt(9 + 16 + 16)
    np.testing.assert_allclose(a.grad, np.array([3.0, 4.0]) / (total + 1e-6))
    np.testing.assert_allclose(b.grad, np.array([4.0, 0.0]) / (total + 1e-6))


def test_clip_grad_norm_edge_cases():
    (p,) = _with_grads([3.0, 4.0])
    assert optim.clip_grad_norm_(p, 1.0) == pytest.approx(5.0)  # a single Tensor is accepted
    assert optim.clip_grad_norm_(_with_grads(None), 1.0) == 0.0
    q = nn.Parameter(np.zeros(2, dtype=np.float32))
    q.grad = np.array([30.0, 40.0], dtype=np.float32)
    optim.clip_grad_norm_([q], 5.0)
    assert q.grad.dtype == np.float32
    np.testing.assert_allclose(q.grad, [3.0, 4.0], rtol=1e-6)
    with pytest.raises(ValueError, match="max_norm must be >= 0"):
        optim.clip_grad_norm_([q], -1.0)
    q.grad = np.array([np.inf, 1.0])
    with pytest.raises(RuntimeError, match=r"total norm of order 2\.0 of the gradients is inf"):
        optim.clip_grad_norm_([q], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_by_hand():
    a, b = _with_grads([3.0, -0.5], [-2.0])
    shared = a.grad
    optim.clip_grad_value_([a, b], 1.0)
    np.testing.assert_array_equal(a.grad, [1.0, -0.5])
    np.testing.assert_array_equal(b.grad, [-1.0])
    np.testing.assert_array_equal(shared, [3.0, -0.5])
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        optim.clip_grad_value_([a], -1.0)


# ---------------------------------------------------------------------------- vs PyTorch
TORCH_DTYPE_NAMES = {np.float64: "float64", np.float32: "float32"}


def _torch_optimizer(torch, name, options, values):
    params = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    return params, getattr(torch.optim, name)(_groups(params, options), **options)


def _run_torch(torch, opt, params, problem, steps):
    for k in range(steps):
        opt.zero_grad()
        grads = _grads([p.detach().numpy() for p in params], problem, k)
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g.copy())
        opt.step()


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=CONFIG_IDS)
def test_trajectory_matches_torch(name, options, dtype):
    torch = pytest.importorskip("torch")
    problem = _problem(dtype, seed=1)
    params, opt = _ours(name, options, problem[0])
    theirs, their_opt = _torch_optimizer(torch, name, options, problem[0])
    _run(opt, params, problem, 20)
    _run_torch(torch, their_opt, theirs, problem, 20)
    for i, (p, q) in enumerate(zip(params, theirs)):
        np.testing.assert_allclose(
            p.numpy(), q.detach().numpy(), err_msg=f"p{i}", **TOLERANCE[dtype]
        )
    # the same state, under the same names
    ours_state, their_state = opt.state_dict()["state"], their_opt.state_dict()["state"]
    assert ours_state.keys() == their_state.keys()
    for index, state in their_state.items():
        assert ours_state[index].keys() == state.keys()
        for key, value in state.items():
            ours_value = ours_state[index][key]
            np.testing.assert_allclose(ours_value, np.asarray(value), **TOLERANCE[dtype])


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_training_an_mlp_with_each_engines_autograd_matches_torch(name):
    torch = pytest.importorskip("torch")
    ours = nn.MLP([4, 8, 3]).double()
    theirs = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    ).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    options = {"SGD": {"lr": 0.1, "momentum": 0.9, "nesterov": True}, "Adam": {"lr": 0.01}}[name]
    opt = getattr(optim, name)(ours.parameters(), **options)
    their_opt = getattr(torch.optim, name)(theirs.parameters(), **options)
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((16, 4)), rng.integers(0, 3, 16)
    for _ in range(20):
        opt.zero_grad()
        F.cross_entropy(ours(Tensor(x)), y).backward()
        opt.step()
        their_opt.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        their_opt.step()
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-9, err_msg=key)


def test_a_torch_optimizer_state_dict_loads_and_continues_identically():
    torch = pytest.importorskip("torch")
    problem = _problem(np.float64, seed=5)
    options = {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}
    theirs, their_opt = _torch_optimizer(torch, "Adam", options, problem[0])
    _run_torch(torch, their_opt, theirs, problem, 10)
    params, opt = _ours("Adam", options, [p.detach().numpy() for p in theirs])
    opt.load_state_dict(their_opt.state_dict())
    assert opt.state[params[0]]["step"] == 10
    _run(opt, params, problem, 10, start_step=10)
    for k in range(10, 20):
        their_opt.zero_grad()
        for p, g in zip(theirs, _grads([p.detach().numpy() for p in theirs], problem, k)):
            p.grad = torch.tensor(g.copy())
        their_opt.step()
    for p, q in zip(params, theirs):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7 if math.isinf(norm_type) else int(norm_type * 10))
    grads = [rng.standard_normal(s).astype(dtype) for s in [(3, 4), (5,), ()]]
    params = _with_grads(*grads)
    for p, g in zip(params, grads):
        p.grad = g.copy()
    theirs = [torch.zeros(g.shape, dtype=getattr(torch, TORCH_DTYPE_NAMES[dtype])) for g in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch.tensor(g.copy())
    total = optim.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    their_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total == pytest.approx(float(their_total), rel=TOLERANCE[dtype]["rtol"])
    for p, t in zip(params, theirs):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad, t.grad.numpy(), **TOLERANCE[dtype])


def test_clip_grad_norm_of_nonfinite_gradients_matches_torch():
    torch = pytest.importorskip("torch")
    for bad in (np.inf, np.nan):
        grads = [np.array([bad, 1.0]), np.array([2.0])]
        params = _with_grads(*grads)
        theirs = [torch.zeros(2, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)]
        for t, g in zip(theirs, grads):
            t.grad = torch.tensor(g)
        total = optim.clip_grad_norm_(params, 1.0)
        their_total = float(torch.nn.utils.clip_grad_norm_(theirs, 1.0))
        assert total == their_total or (math.isnan(total) and math.isnan(their_total))
        for p, t in zip(params, theirs):
            np.testing.assert_array_equal(p.grad, t.grad.numpy())

"""nn.optim.lr_scheduler: the lecture's decay formulas, PyTorch's sequences, plateaus, state dicts.

The PyTorch comparisons skip cleanly without torch; everything else runs without it.
"""

import math

import numpy as np
import pytest

import chaingrad.nn as nn
from chaingrad.autograd import Tensor
from chaingrad.nn import optim
from chaingrad.nn.optim import lr_scheduler as sched

BASE_LRS = [0.1, 0.03]
STEPS = 40

# (name, positional args, keyword args) for the schedulers PyTorch also has
TORCH_CONFIGS = [
    ("StepLR", (3,), {}),
    ("StepLR", (5,), {"gamma": 0.5}),
    ("ExponentialLR", (0.9,), {}),
    ("LinearLR", (), {}),
    ("LinearLR", (), {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 10}),
    ("LinearLR", (0.5, 0.8, 7), {}),
    ("CosineAnnealingLR", (10,), {}),
    ("CosineAnnealingLR", (7,), {"eta_min": 0.01}),
    ("LambdaLR", (lambda t: 1 / (1 + 0.1 * t),), {}),
    ("LambdaLR", ([lambda t: 0.95**t, lambda t: 1 / math.sqrt(t + 1)],), {}),
]
TORCH_IDS = [f"{name}{args}{kw}" for name, args, kw in TORCH_CONFIGS]


def _optimizer(lrs=BASE_LRS):
    return optim.SGD([{"params": [nn.Parameter(np.ones(1))], "lr": lr} for lr in lrs], lr=1.0)


def _lrs(scheduler, steps=STEPS):
    """get_last_lr() at t = 0, 1, …, steps, one list per group."""
    out = [scheduler.get_last_lr()]
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr())
    return np.array(out).T


# ---------------------------------------------------------------------------- the lecture
T = np.arange(STEPS + 1)


def test_exponential_decay():
    k = 0.2
    lrs = _lrs(sched.ExponentialLR(_optimizer(), gamma=math.exp(-k)))
    for base, got in zip(BASE_LRS, lrs):
        np.testing.assert_allclose(got, base * np.exp(-k * T), rtol=1e-13)  # α₀e^(−kt)


def test_linear_decay():
    total = 25
    lrs = _lrs(sched.LinearLR(_optimizer(), start_factor=1.0, end_factor=0.0, total_iters=total))
    for base, got in zip(BASE_LRS, lrs):
        expected = base * np.maximum(1 - T / total, 0.0)  # α₀(1 − t/T), then 0
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-17)


def test_cosine_decay():
    total = 30
    lrs = _lrs(sched.CosineAnnealingLR(_optimizer(), T_max=total), steps=total)
    for base, got in zip(BASE_LRS, lrs):
        expected = 0.5 * base * (1 + np.cos(np.pi * T[: total + 1] / total))  # ½α₀(1 + cos(πt/T))
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-17)


def test_inverse_sqrt_decay():
    lrs = _lrs(sched.InverseSqrtLR(_optimizer()))
    for base, got in zip(BASE_LRS, lrs):
        np.testing.assert_allclose(got, base / np.sqrt(T + 1), rtol=1e-15)  # α₀/√t, t from 1


def test_one_over_t_decay():
    k = 0.5
    lrs = _lrs(sched.LambdaLR(_optimizer(), lambda t: 1 / (1 + k * t)))
    for base, got in zip(BASE_LRS, lrs):
        np.testing.assert_allclose(got, base / (1 + k * T), rtol=1e-15)  # α₀/(1 + kt)


def test_step_decay():
    lrs = _lrs(sched.StepLR(_optimizer(), step_size=4, gamma=0.5))
    for base, got in zip(BASE_LRS, lrs):
        np.testing.assert_allclose(got, base * 0.5 ** (T // 4), rtol=1e-15)


# ---------------------------------------------------------------------------- by hand
def test_inverse_sqrt_warmup_by_hand():
    got = _lrs(sched.InverseSqrtLR(_optimizer([1.0]), warmup=4), steps=7)[0]
    expected = [
        0.25,
        0.5,
        0.75,
        1.0,
        math.sqrt(4 / 5),
        math.sqrt(4 / 6),
        math.sqrt(4 / 7),
        math.sqrt(4 / 8),
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_linear_warmup_by_hand_with_the_defaults():
    got = _lrs(sched.LinearLR(_optimizer([0.3])), steps=7)[0]
    expected = [0.3 * (1 / 3 + (2 / 3) * min(t, 5) / 5) for t in range(8)]  # 0.1 → 0.3 in 5 steps
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_cosine_continues_past_t_max_and_respects_eta_min():
    got = _lrs(sched.CosineAnnealingLR(_optimizer([1.0]), T_max=4, eta_min=0.2), steps=12)[0]
    t = np.arange(13)
    np.testing.assert_allclose(got, 0.2 + 0.4 * (1 + np.cos(np.pi * t / 4)), rtol=1e-13)
    assert got[4] == 0.2 and got[8] == pytest.approx(1.0)


def test_chainable_schedulers_compose():
    opt = _optimizer([1.0])
    first = sched.ExponentialLR(opt, gamma=0.5)
    second = sched.StepLR(opt, step_size=2, gamma=0.1)
    got = []
    for _ in range(4):
        first.step()
        second.step()
        got.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(got, [0.5, 0.025, 0.0125, 0.000625], rtol=1e-14)
    assert second.get_last_lr() == [opt.param_groups[0]["lr"]]


def test_a_closed_form_overrides_a_hand_edit_and_a_chainable_form_builds_on_it():
    opt = _optimizer([1.0])
    chainable = sched.ExponentialLR(opt, gamma=0.5)
    opt.param_groups[0]["lr"] = 10.0
    chainable.step()
    assert chainable.get_last_lr() == [5.0]
    opt = _optimizer([1.0])
    closed = sched.LambdaLR(opt, fn=lambda t: 0.5**t)  # the API's keyword
    opt.param_groups[0]["lr"] = 10.0
    closed.step()
    assert closed.get_last_lr() == [0.5]


def test_base_lrs_and_initial_lr_follow_pytorch():
    opt = _optimizer()
    scheduler = sched.StepLR(opt, 1, gamma=0.5)
    scheduler.step()
    later = sched.ExponentialLR(opt, 0.9)  # a second scheduler starts from "initial_lr"
    assert later.base_lrs == BASE_LRS and [g["initial_lr"] for g in opt.param_groups] == BASE_LRS
    assert later.last_epoch == 0 and later.get_last_lr() == [0.05, 0.015]


@pytest.mark.parametrize(
    "make",
    [
        lambda o: sched.StepLR(o, 3, 0.5),
        lambda o: sched.ExponentialLR(o, 0.9),
        lambda o: sched.LinearLR(o, 0.25, 1.0, 10),
        lambda o: sched.CosineAnnealingLR(o, 9, 0.001),
        lambda o: sched.LambdaLR(o, lambda t: 1 / (1 + t)),
        lambda o: sched.InverseSqrtLR(o, warmup=5),
    ],
    ids=["step", "exponential", "linear", "cosine", "lambda", "inverse_sqrt"],
)
def test_state_dict_round_trip_resumes_the_schedule(make):
    opt = _optimizer()
    scheduler = make(opt)
    _lrs(scheduler, steps=12)
    saved_opt, saved = opt.state_dict(), scheduler.state_dict()
    expected = _lrs(scheduler, steps=20)
    fresh_opt = _optimizer([5.0, 5.0])
    resumed = make(fresh_opt)
    fresh_opt.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    assert resumed.last_epoch == 12
    np.testing.assert_array_equal(_lrs(resumed, steps=20), expected)


def test_lambda_state_dict_keeps_a_callable_objects_attributes():
    class Decay:
        def __init__(self, k):
            self.k = k

        def __call__(self, t):
            return 1 / (1 + self.k * t)

    scheduler = sched.LambdaLR(_optimizer([1.0]), Decay(0.5))
    saved = scheduler.state_dict()
    assert saved["lr_lambdas"] == [{"k": 0.5}]
    other = sched.LambdaLR(_optimizer([1.0]), Decay(9.0))
    other.load_state_dict(saved)
    other.step()
    assert other.get_last_lr() == [1 / 1.5]
    assert sched.LambdaLR(_optimizer([1.0]), lambda t: 1.0).state_dict()["lr_lambdas"] == [None]


# ---------------------------------------------------------------------------- plateaus
def _plateau_lrs(metrics, lrs=(1.0,), **options):
    scheduler = sched.ReduceLROnPlateau(_optimizer(list(lrs)), **options)
    out = []
    for metric in metrics:
        scheduler.step(metric)
        out.append(scheduler.get_last_lr())
    return scheduler, np.array(out).T


def test_plateau_patience():
    # best 1.0 at epoch 1; epochs 2, 3, 4 are bad: the third bad one exceeds patience 2
    _, (lrs,) = _plateau_lrs([1.0, 1.0, 2.0, 1.5, 1.0, 1.0, 1.0, 1.0], patience=2, factor=0.5)
    np.testing.assert_array_equal(lrs, [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])


def test_plateau_improvement_resets_the_count_and_threshold_decides_what_improves():
    metrics = [1.0, 0.99995, 0.5, 0.5, 0.5]  # 0.99995 is within the relative threshold 1e-4
    _, (lrs,) = _plateau_lrs(metrics, patience=0, factor=0.5)
    np.testing.assert_array_equal(lrs, [1, 0.5, 0.5, 0.25, 0.125])  # bad: epochs 2, 4, 5
    _, (lrs,) = _plateau_lrs(metrics, patience=0, factor=0.5, threshold=0.0)
    np.testing.assert_array_equal(lrs, [1, 1, 1, 0.5, 0.25])  # any decrease improves
    _, (lrs,) = _plateau_lrs(metrics, patience=1, factor=0.5, threshold=0.6, threshold_mode="abs")
    np.testing.assert_array_equal(lrs, [1, 1, 0.5, 0.5, 0.25])  # below best − 0.6: never
    _, (lrs,) = _plateau_lrs([1.0, 1.1, 1.0, 1.0], patience=0, factor=0.5, mode="max")
    np.testing.assert_array_equal(lrs, [1, 1, 0.5, 0.25])


def test_plateau_cooldown_ignores_bad_epochs():
    scheduler, (lrs,) = _plateau_lrs([1.0] + [2.0] * 8, patience=0, cooldown=2, factor=0.5)
    # with patience 0 every bad epoch cuts, except in the two cooldown epochs after each cut:
    # cuts at epochs 2, 5 and 8
    np.testing.assert_array_equal(lrs, [1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125])
    assert scheduler.last_epoch == 9 and scheduler.best == 1.0


def test_plateau_min_lr_and_eps():
    _, lrs = _plateau_lrs([1.0] + [2.0] * 5, lrs=(1.0, 0.1), patience=0, min_lr=[0.3, 0.0])
    np.testing.assert_allclose(lrs[0], [1, 0.3, 0.3, 0.3, 0.3, 0.3])
    np.testing.assert_allclose(lrs[1], [0.1, 0.01, 1e-3, 1e-4, 1e-5, 1e-6], rtol=1e-12)
    _, (lrs,) = _plateau_lrs([1.0, 2.0], lrs=(1e-8,), patience=0, eps=1e-8)
    np.testing.assert_array_equal(lrs, [1e-8, 1e-8])  # a change smaller than eps is skipped


def test_plateau_takes_tensors_and_arrays_and_round_trips():
    scheduler, _ = _plateau_lrs([Tensor(1.0), np.array([2.0])], patience=0, factor=0.5)
    assert scheduler.get_last_lr() == [0.5]
    with pytest.raises(ValueError, match=r"single number, got shape \(2,\)"):
        scheduler.step(np.ones(2))
    saved = scheduler.state_dict()
    other = sched.ReduceLROnPlateau(scheduler.optimizer, patience=5)
    other.load_state_dict(saved)
    assert other.patience == 0 and other.best == 1.0 and other.last_epoch == 2


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda o: sched.StepLR(o, 0), ValueError, "step_size must be a positive integer"),
        (lambda o: sched.StepLR(o, 2.5), ValueError, "step_size must be a positive integer"),
        (lambda o: sched.ExponentialLR(o, 0.0), ValueError, "gamma must be > 0"),
        (lambda o: sched.LinearLR(o, start_factor=0.0), ValueError, r"in \(0, 1\]"),
        (lambda o: sched.LinearLR(o, end_factor=1.5), ValueError, r"in \[0, 1\]"),
        (lambda o: sched.LinearLR(o, total_iters=0), ValueError, "total_iters"),
        (lambda o: sched.CosineAnnealingLR(o, 0), ValueError, "T_max"),
        (lambda o: sched.CosineAnnealingLR(o, 5, eta_min=-1), ValueError, "eta_min"),
        (lambda o: sched.InverseSqrtLR(o, warmup=0), ValueError, "warmup"),
        (lambda o: sched.LambdaLR(o), TypeError, "once, as lr_lambda or as fn"),
        (lambda o: sched.LambdaLR(o, abs, fn=abs), TypeError, "once"),
        (lambda o: sched.LambdaLR(o, 0.5), TypeError, "must be callable"),
        (lambda o: sched.LambdaLR(o, [abs]), ValueError, "expected 2 functions, got 1"),
        (lambda o: sched.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor"),
        (lambda o: sched.ReduceLROnPlateau(o, mode="up"), ValueError, "mode must be"),
        (lambda o: sched.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold_mode"),
        (lambda o: sched.ReduceLROnPlateau(o, patience=-1), ValueError, "patience"),
        (lambda o: sched.ReduceLROnPlateau(o, min_lr=[0.0]), ValueError, "expected 2 min_lrs"),
        (lambda o: sched.StepLR([o], 2), TypeError, "expected an optimizer, got list"),
        (lambda o: sched.ReduceLROnPlateau(None), TypeError, "expected an optimizer"),
    ],
)
def test_invalid_arguments_are_rejected(make, error, message):
    with pytest.raises(error, match=message):
        make(_optimizer())


def test_a_group_added_after_the_scheduler_is_an_error():
    opt = _optimizer()
    scheduler = sched.ExponentialLR(opt, 0.9)
    opt.add_param_group({"params": [nn.Parameter(np.ones(1))]})
    with pytest.raises(ValueError, match="3 parameter groups, the scheduler was built for 2"):
        scheduler.step()


# ---------------------------------------------------------------------------- vs PyTorch
def _torch_optimizer(torch, lrs=BASE_LRS):
    return torch.optim.SGD(
        [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    )


@pytest.mark.parametrize(("name", "args", "kwargs"), TORCH_CONFIGS, ids=TORCH_IDS)
def test_sequence_equals_torch_bit_for_bit(name, args, kwargs):
    torch = pytest.importorskip("torch")
    ours = getattr(sched, name)(_optimizer(), *args, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(_torch_optimizer(torch), *args, **kwargs)
    np.testing.assert_array_equal(_lrs(ours), _lrs(theirs))
    assert ours.last_epoch == theirs.last_epoch == STEPS


def test_chained_schedulers_and_hand_edits_equal_torch():
    torch = pytest.importorskip("torch")

    def run(module, opt):
        warmup = module.LinearLR(opt, 0.1, 1.0, 5)
        cosine = module.CosineAnnealingLR(opt, 12, eta_min=1e-4)
        out = []
        for t in range(30):
            opt.step()
            warmup.step()
            cosine.step()
            if t == 17:
                opt.param_groups[1]["lr"] *= 3  # a hand edit the chainable forms build on
            out.append([g["lr"] for g in opt.param_groups])
        return out

    assert run(sched, _optimizer()) == run(torch.optim.lr_scheduler, _torch_optimizer(torch))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"patience": 2, "factor": 0.5},
        {"patience": 1, "cooldown": 2, "factor": 0.3, "min_lr": [0.01, 0.02]},
        {"mode": "max", "patience": 0, "threshold": 0.05, "threshold_mode": "abs"},
        {"mode": "max", "patience": 1, "threshold": 0.1, "min_lr": 0.005, "eps": 1e-3},
        {"patience": 0, "threshold_mode": "abs", "threshold": 0.01, "cooldown": 1},
    ],
    ids=str,
)
def test_plateau_equals_torch(options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(options))
    # a loss that falls, then plateaus with noise, then falls again
    metrics = np.concatenate([np.linspace(2, 1, 10), 1 + 0.05 * rng.standard_normal(30)])
    metrics[30:] -= np.linspace(0, 0.5, 10)
    ours = sched.ReduceLROnPlateau(_optimizer(), **options)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(_torch_optimizer(torch), **options)
    for metric in metrics:
        ours.step(metric)
        theirs.step(metric)
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert (ours.num_bad_epochs, ours.cooldown_counter, ours.best) == (
            theirs.num_bad_epochs,
            theirs.cooldown_counter,
            theirs.best,
        )

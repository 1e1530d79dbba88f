"""Learning-rate schedulers: change each parameter group's ``"lr"`` as training goes on.

Call ``scheduler.step()`` once per epoch (or once per batch, if the schedule counts batches),
after ``optimizer.step()``::

    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
    for epoch in range(100):
        train_one_epoch(model, opt)
        scheduler.step()

Building a scheduler sets t = ``last_epoch`` = 0 and the lr for t = 0; each ``step()`` adds one.
``get_last_lr()`` is the list of the groups' current lrs. ``base_lrs`` are the lrs the optimizer
had when the first scheduler was attached (kept in each group as ``"initial_lr"``, as PyTorch).

The lecture's decay schedules (α₀ is the optimizer's lr, t = ``last_epoch``):

==================  =====================  =================================================
lecture             formula                chaingrad
==================  =====================  =================================================
step decay          α₀·γ^⌊t/s⌋             ``StepLR(opt, step_size=s, gamma=γ)``
exponential decay   α₀·e^(−kt)             ``ExponentialLR(opt, gamma=math.exp(-k))``
linear decay        α₀·(1 − t/T)           ``LinearLR(opt, start_factor=1.0, end_factor=0.0,
                                           total_iters=T)`` (then stays at 0 after T)
cosine decay        ½α₀·(1 + cos(πt/T))    ``CosineAnnealingLR(opt, T_max=T)`` (eta_min = 0)
inverse-sqrt decay  α₀/√t                  ``InverseSqrtLR(opt)`` (warmup=1): α₀/√(t + 1), the
                                           lecture's t counted from 1, so t = 0 is α₀
1/t decay           α₀/(1 + kt)            ``LambdaLR(opt, lambda t: 1 / (1 + k * t))``
reduce on plateau   cut when progress      ``ReduceLROnPlateau(opt)``, ``step(val_loss)``
                    stalls
==================  =====================  =================================================

Chainable and closed forms. Like PyTorch, ``StepLR``, ``ExponentialLR``, ``LinearLR`` and
``CosineAnnealingLR`` compute the next lr from the group's *current* lr (the chainable form:
``lr ← lr·γ``) rather than from α₀ and t (the closed form ``α₀·γᵗ``). The two agree in exact
arithmetic. In floating point the chainable value differs from the closed form in the last bits
(ExponentialLR with γ = 0.9: 2 ulps after 30 steps, 4 after 100; CosineAnnealingLR: a relative
1e-15 over 100 steps), and, which matters more, the chainable form composes with anything else that
changes ``group["lr"]`` (a second scheduler, a hand edit) where a closed form would overwrite it.
chaingrad follows PyTorch's chainable recurrences operation for operation, so ``get_last_lr()``
equals ``torch.optim.lr_scheduler``'s after every step, bit for bit. ``LambdaLR`` and
``InverseSqrtLR`` are closed forms, ``base_lr·factor(t)``, as PyTorch's ``LambdaLR`` is.
``CosineAnnealingLR`` continues the cosine past ``T_max`` (the lr rises again, period 2·T_max),
as PyTorch's does: stop stepping it, or make T_max the whole run.
"""

from __future__ import annotations

import copy
import math
import numbers
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from chaingrad.nn.optim.optimizer import Optimizer


def _check_optimizer(owner: str, optimizer: Any) -> None:
    """TypeError unless ``optimizer`` is one of nn.optim's optimizers."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: expected an optimizer, got {type(optimizer).__name__}")


def _positive_int(owner: str, name: str, value: Any) -> int:
    """``value`` as an int ≥ 1, or a ValueError naming the scheduler and the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _real_in(owner: str, name: str, value: Any, ok: Callable[[float], bool], rule: str) -> float:
    """``value`` as a float satisfying ``ok``, or a ValueError stating ``rule``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not ok(float(value)):
        raise ValueError(f"{owner}: {name} must be {rule}, got {value!r}")
    return float(value)


class LRScheduler:
    """Base class of the epoch-indexed schedulers: each ``step()`` sets every group's lr."""

    def __init__(self, optimizer: Optimizer) -> None:
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self._step_count = 0
        self._initial = True  # the constructor's step to t = 0 (chainable forms keep the lr)
        self.step()
        self._initial = False

    def get_lr(self) -> list[float]:
        """The lr of each group for epoch ``last_epoch`` (each scheduler defines it)."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def step(self) -> None:
        """Advance to the next epoch (``last_epoch += 1``) and set each group's lr for it."""
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise ValueError(
                f"{type(self).__name__}: the optimizer has {len(groups)} parameter groups, the "
                f"scheduler was built for {len(self.base_lrs)}; build a new scheduler"
            )
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]

    def get_last_lr(self) -> list[float]:
        """The lr of each parameter group, as set by the last ``step()``."""
        return list(self._last_lr)

    def _current_lrs(self) -> list[float]:
        """Each group's lr as it is now (what a chainable form starts from)."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (save the optimizer's own state dict beside it)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``: the schedule continues where it was saved."""
        self.__dict__.update(copy.deepcopy(state_dict))


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs: lr = base_lr·γ^⌊t/step_size⌋."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _positive_int("StepLR", "step_size", step_size)
        self.gamma = _real_in("StepLR", "gamma", gamma, lambda g: g > 0, "> 0")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """Chainable: lr·γ at every non-zero multiple of step_size, otherwise unchanged."""
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: lr = base_lr·γᵗ (α₀e^(−kt) is γ = e^(−k))."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _real_in("ExponentialLR", "gamma", gamma, lambda g: g > 0, "> 0")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """Chainable: lr ← lr·γ."""
        if self._initial:
            return self._current_lrs()
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class LinearLR(LRScheduler):
    """Scale the lr linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` epochs.

    lr = base_lr·(s + (e − s)·min(t, T)/T) with s, e, T = start_factor, end_factor, total_iters;
    after T epochs the lr stays at base_lr·e. A warm-up with the defaults; the lecture's linear
    decay α₀(1 − t/T) with ``start_factor=1.0, end_factor=0.0, total_iters=T``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.start_factor = _real_in(
            "LinearLR", "start_factor", start_factor, lambda f: 0 < f <= 1, "in (0, 1]"
        )
        self.end_factor = _real_in(
            "LinearLR", "end_factor", end_factor, lambda f: 0 <= f <= 1, "in [0, 1]"
        )
        self.total_iters = _positive_int("LinearLR", "total_iters", total_iters)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """Chainable: lr·start_factor at t = 0, then the ratio of successive factors."""
        start, end, total, t = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
        if t == 0:
            return [group["lr"] * start for group in self.optimizer.param_groups]
        if self._initial or t > total:
            return self._current_lrs()
        # factor(t)/factor(t − 1) = 1 + (e − s)/(T·s + (t − 1)(e − s))
        ratio = 1.0 + (end - start) / (total * start + (t - 1) * (end - start))
        return [group["lr"] * ratio for group in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    """Anneal the lr along a half cosine: lr = η_min + ½(base_lr − η_min)(1 + cos(πt/T_max)).

    The lecture's cosine decay ½α₀(1 + cos(πt/T)) is ``eta_min=0``. Past ``T_max`` the cosine
    goes on (the lr climbs back to base_lr at 2·T_max), as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        self.T_max = _positive_int("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = _real_in("CosineAnnealingLR", "eta_min", eta_min, lambda e: e >= 0, ">= 0")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """Chainable: the ratio of successive cosine factors, as PyTorch computes it."""
        t, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._initial:
            return self._current_lrs()
        if (t - 1 - period) % (2 * period) == 0:  # leaving the trough, where the ratio is 0/0
            return [
                group["lr"] + (base_lr - eta_min) * (1 - math.cos(math.pi / period)) / 2
                for base_lr, group in zip(self.base_lrs, groups)
            ]
        # (lr − η_min) ← (lr − η_min)·(1 + cos(πt/T)) / (1 + cos(π(t − 1)/T))
        return [
            (1 + math.cos(math.pi * t / period))
            / (1 + math.cos(math.pi * (t - 1) / period))
            * (group["lr"] - eta_min)
            + eta_min
            for group in groups
        ]


class LambdaLR(LRScheduler):
    """Set lr = base_lr·lr_lambda(t), for any function of the epoch (one per group, or one for all).

    The lecture's 1/t decay α₀/(1 + kt) is ``LambdaLR(opt, lambda t: 1 / (1 + k * t))``. The API
    calls the function ``fn``; both ``lr_lambda=`` and ``fn=`` are accepted.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]] | None = None,
        *,
        fn: Callable[[int], float] | Sequence[Callable[[int], float]] | None = None,
    ) -> None:
        _check_optimizer("LambdaLR", optimizer)
        if (lr_lambda is None) == (fn is None):
            raise TypeError("LambdaLR: pass the schedule function once, as lr_lambda or as fn")
        function = lr_lambda if lr_lambda is not None else fn
        n_groups = len(optimizer.param_groups)
        if isinstance(function, (list, tuple)):
            if len(function) != n_groups:
                raise ValueError(f"LambdaLR: expected {n_groups} functions, got {len(function)}")
            self.lr_lambdas = list(function)
        else:
            self.lr_lambdas = [function] * n_groups
        for f in self.lr_lambdas:
            if not callable(f):
                raise TypeError(f"LambdaLR: the schedule must be callable, got {f!r}")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """Closed form: base_lr·lr_lambda(last_epoch)."""
        return [base_lr * f(self.last_epoch) for f, base_lr in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """As the base class; a callable object's attributes are saved, a plain function is not."""
        state = {
            k: copy.deepcopy(v)
            for k, v in self.__dict__.items()
            if k not in ("optimizer", "lr_lambdas")
        }
        state["lr_lambdas"] = [
            None if isinstance(f, types.FunctionType) else copy.deepcopy(f.__dict__)
            for f in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``; the functions stay those given to the constructor."""
        state = copy.deepcopy(state_dict)
        saved_lambdas = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for f, attributes in zip(self.lr_lambdas, saved_lambdas):
            if attributes is not None:
                f.__dict__.update(attributes)


class InverseSqrtLR(LRScheduler):
    """Linear warm-up for ``warmup`` epochs, then inverse-square-root decay (not in PyTorch).

    With n = t + 1 (the epoch counted from 1) and w = ``warmup``::

        lr = base_lr · min(n / w, √(w / n))

    The lr climbs base_lr/w, 2·base_lr/w, …, reaches base_lr at t = w − 1, then decays as
    base_lr·√(w/n) (the "Noam" schedule of the Transformer paper, up to scale). With the default
    ``warmup=1`` there is no warm-up and lr = base_lr/√(t + 1): the lecture's inverse-sqrt decay
    α₀/√t with its t counted from 1, so that t = 0 does not divide by zero.
    """

    def __init__(self, optimizer: Optimizer, warmup: int = 1) -> None:
        self.warmup = _positive_int("InverseSqrtLR", "warmup", warmup)
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        """The multiplier of base_lr at epoch t: min((t + 1)/w, √(w/(t + 1)))."""
        n = epoch + 1
        return min(n / self.warmup, math.sqrt(self.warmup / n))

    def get_lr(self) -> list[float]:
        """Closed form: base_lr·factor(last_epoch)."""
        factor = self.factor(self.last_epoch)
        return [base_lr * factor for base_lr in self.base_lrs]


class ReduceLROnPlateau:
    """Multiply the lr by ``factor`` when a metric has stopped improving for ``patience`` epochs.

    Exactly PyTorch's rules: ``step(metrics)`` compares the metric with the best so far; it is an
    improvement when below best·(1 − threshold) (``mode="min"``, ``threshold_mode="rel"``; above
    best·(1 + threshold) for "max"; best ∓ threshold for "abs"). After more than ``patience``
    epochs in a row without improvement, each group's lr becomes max(lr·factor, min_lr) (unless
    that changes it by less than ``eps``), and the next ``cooldown`` epochs count no bad epochs.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        owner = "ReduceLROnPlateau"
        _check_optimizer(owner, optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"{owner}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{owner}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        self.optimizer = optimizer
        self.mode = mode
        self.threshold_mode = threshold_mode
        self.factor = _real_in(owner, "factor", factor, lambda f: 0 <= f < 1, "in [0, 1)")
        self.threshold = _real_in(owner, "threshold", threshold, lambda x: x >= 0, ">= 0")
        self.eps = _real_in(owner, "eps", eps, lambda x: x >= 0, ">= 0")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"{owner}: {name} must be an integer >= 0, got {value!r}")
        self.patience = int(patience)
        self.cooldown = int(cooldown)
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n_groups:
                raise ValueError(f"{owner}: expected {n_groups} min_lrs, got {len(min_lr)}")
            self.default_min_lr: float | None = None
            self.min_lrs = [_real_in(owner, "min_lr", m, lambda x: x >= 0, ">= 0") for m in min_lr]
        else:
            self.default_min_lr = _real_in(owner, "min_lr", min_lr, lambda x: x >= 0, ">= 0")
            self.min_lrs = [self.default_min_lr] * n_groups
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self.best = self.mode_worse
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    @property
    def in_cooldown(self) -> bool:
        """True during the ``cooldown`` epochs after a reduction."""
        return self.cooldown_counter > 0

    def is_better(self, current: float, best: float) -> bool:
        """Whether ``current`` improves on ``best`` by more than the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return current < best * (1.0 - self.threshold)
        if self.mode == "min":
            return current < best - self.threshold
        if self.threshold_mode == "rel":
            return current > best * (self.threshold + 1.0)
        return current > best + self.threshold

    def step(self, metrics: Any) -> None:
        """Record this epoch's metric (a number or a one-element Tensor/array); maybe cut the lr."""
        value = np.asarray(metrics)
        if value.size != 1:
            raise ValueError(
                f"ReduceLROnPlateau.step: the metric must be a single number, got shape "
                f"{value.shape}"
            )
        current = float(value.reshape(()))
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise ValueError(
                    f"ReduceLROnPlateau: the optimizer has {len(groups)} parameter groups, "
                    f"min_lr was given for {len(self.min_lrs)}; set .min_lrs to match"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def get_last_lr(self) -> list[float]:
        """The lr of each parameter group after the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer: best, counters, settings."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``."""
        self.__dict__.update(copy.deepcopy(state_dict))


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each epoch in ``milestones`` (a milestone listed twice
    multiplies twice): lr = base_lr·γ^(number of milestones ≤ t)."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1) -> None:
        counts: dict[int, int] = {}
        for m in milestones:
            m = _positive_int("MultiStepLR", "each milestone", m)
            counts[m] = counts.get(m, 0) + 1
        self.milestones = counts
        self.gamma = _real_in("MultiStepLR", "gamma", gamma, lambda g: g > 0, "> 0")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """Chainable: lr·γ^k at a milestone listed k times, otherwise unchanged (as PyTorch)."""
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing from base_lr to ``eta_min`` over T_i epochs, then a restart; each period
    is ``T_mult`` times the last (SGDR): lr = η_min + ½(base_lr − η_min)(1 + cos(π·T_cur/T_i)).

    ``step()`` counts epochs; ``step(epoch)`` takes a fractional epoch (``epoch + i / iters``
    inside the batch loop), as PyTorch's.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,  # noqa: N803
        T_mult: int = 1,  # noqa: N803
        eta_min: float = 0.0,
    ) -> None:
        self.T_0 = _positive_int("CosineAnnealingWarmRestarts", "T_0", T_0)
        self.T_i = self.T_0
        self.T_mult = _positive_int("CosineAnnealingWarmRestarts", "T_mult", T_mult)
        self.eta_min = _real_in(
            "CosineAnnealingWarmRestarts", "eta_min", eta_min, lambda e: e >= 0, ">= 0"
        )
        self.T_cur: float = -1
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """Closed form in T_cur, the epochs since the last restart."""
        cosine = 1 + math.cos(math.pi * self.T_cur / self.T_i)
        return [self.eta_min + (b - self.eta_min) * cosine / 2 for b in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or jump to the (possibly fractional) ``epoch``."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        elif epoch < 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: epoch must be >= 0, got {epoch}")
        elif epoch >= self.T_0:
            if self.T_mult == 1:
                self.T_cur = epoch % self.T_0
            else:
                # the restart n with T_0·(T_mult^n − 1)/(T_mult − 1) ≤ epoch (a geometric sum)
                n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                self.T_i = self.T_0 * self.T_mult**n
        else:
            self.T_i = self.T_0
            self.T_cur = epoch
        self._step_count += 1
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


def _per_group(owner: str, name: str, value: Any, groups: list[dict[str, Any]]) -> list[float]:
    """One value per parameter group: a number for all, or a list with one per group."""
    if isinstance(value, list | tuple):
        if len(value) != len(groups):
            raise ValueError(f"{owner}: {name} has {len(value)} values for {len(groups)} groups")
        return [float(v) for v in value]
    return [float(value)] * len(groups)


class OneCycleLR(LRScheduler):
    """The 1cycle policy, stepped once per batch: the lr rises from max_lr/div_factor to
    ``max_lr`` over the first ``pct_start`` of ``total_steps`` (or epochs·steps_per_epoch), then
    anneals to initial_lr/final_div_factor; momentum (SGD's ``momentum`` or Adam's beta1) cycles
    the other way between ``max_momentum`` and ``base_momentum``, as PyTorch's."""

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        owner = "OneCycleLR"
        _check_optimizer(owner, optimizer)
        if total_steps is not None:
            self.total_steps = _positive_int(owner, "total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = _positive_int(owner, "epochs", epochs) * _positive_int(
                owner, "steps_per_epoch", steps_per_epoch
            )
        else:
            raise ValueError(f"{owner}: pass total_steps, or epochs and steps_per_epoch")
        pct = _real_in(owner, "pct_start", pct_start, lambda p: 0 <= p <= 1, "in [0, 1]")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{owner}: anneal_strategy must be 'cos' or 'linear'")
        self.anneal_strategy = anneal_strategy
        total = self.total_steps
        # (end step, lr from, lr to, momentum from, momentum to) for each phase
        if three_phase:
            self._phases = [
                (pct * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (2 * pct * total - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                (total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._phases = [
                (pct * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        groups = optimizer.param_groups
        for group, top in zip(groups, _per_group(owner, "max_lr", max_lr, groups)):
            group["initial_lr"] = top / div_factor
            group["max_lr"] = top
            group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"{owner}: cycle_momentum=True needs an optimizer with momentum or betas "
                    f"({type(optimizer).__name__} has neither); pass cycle_momentum=False"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            highs = _per_group(owner, "max_momentum", max_momentum, groups)
            lows = _per_group(owner, "base_momentum", base_momentum, groups)
            for group, high, low in zip(groups, highs, lows):
                if self.use_beta1:
                    group["betas"] = (high, *group["betas"][1:])
                else:
                    group["momentum"] = high
                group["max_momentum"] = high
                group["base_momentum"] = low
        super().__init__(optimizer)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        """From ``start`` to ``end`` as ``pct`` goes 0 → 1, along a half cosine or a line."""
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        """Closed form in the step number; also sets each group's momentum (or beta1)."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: stepped {step} times, more than total_steps={self.total_steps}"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, (end_step, lr0, lr1, m0, m1) in enumerate(self._phases):
                if step <= end_step or i == len(self._phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    lr = self._anneal(group[lr0], group[lr1], pct)
                    momentum = (
                        self._anneal(group[m0], group[m1], pct) if self.cycle_momentum else None
                    )
                    break
                start_step = end_step
            lrs.append(lr)
            if momentum is not None:
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return lrs

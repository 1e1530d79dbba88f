"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from chaingrad.nn.optim.optimizer import Optimizer, ParamsT, check_nonnegative


class Adagrad(Optimizer):
    """Adagrad, exactly as ``torch.optim.Adagrad``.

    With learning rate γ, learning-rate decay η, weight decay λ and step t = 1, 2, …::

        g ← ∇θ + λθ                      (L2 weight decay, if λ ≠ 0)
        γₜ ← γ / (1 + (t − 1)·η)
        s ← s + g²                       (s starts at initial_accumulator_value)
        θ ← θ − γₜ · g / (√s + ε)

    This is the lecture's ``grad_sq += g*g; w -= lr*g/sqrt(grad_sq)`` with ε added outside the
    square root, so a coordinate that has seen no gradient yet does not divide by zero.
    ``lr_decay`` and ``initial_accumulator_value`` are keyword-only (the API's positional order is
    ``lr, eps, weight_decay``).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 0.01,
        eps: float = 1e-10,
        weight_decay: float = 0.0,
        *,
        lr_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
        }
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group; its accumulators start at once (PyTorch's ``state_dict``)."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(p.numpy(), self.state.setdefault(p, {}), group)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(
            self, group, "lr", "lr_decay", "eps", "weight_decay", "initial_accumulator_value"
        )

    @staticmethod
    def _init_state(param: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, lr_decay = float(group["lr"]), float(group["lr_decay"])
        eps, weight_decay = float(group["eps"]), float(group["weight_decay"])
        self._init_state(param, state, group)

        state["step"] += 1
        step = state["step"]
        if weight_decay != 0:
            grad = grad + weight_decay * param  # g ← g + λθ
        clr = lr / (1 + (step - 1) * lr_decay)  # γₜ ← γ / (1 + (t − 1)η)
        accumulator = state["sum"]
        accumulator += grad * grad  # s ← s + g²
        std = np.sqrt(accumulator) + eps
        param -= clr * (grad / std)  # θ ← θ − γₜ g / (√s + ε)

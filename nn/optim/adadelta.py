"""Adadelta: step sizes from the ratio of running RMS of updates to running RMS of gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from chaingrad.nn.optim.optimizer import Optimizer, ParamsT, check_nonnegative, check_unit_interval


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012), exactly as ``torch.optim.Adadelta``.

    With learning rate γ, decay ρ, weight decay λ (v and u start at 0)::

        g ← ∇θ + λθ                          (L2 weight decay, if λ ≠ 0)
        v ← ρ·v + (1 − ρ)·g²                 (running mean of squared gradients)
        Δ ← √(u + ε) / √(v + ε) · g          (the update, in θ's units)
        u ← ρ·u + (1 − ρ)·Δ²                 (running mean of squared updates)
        θ ← θ − γ·Δ

    ε sits inside both roots; γ = 1.0 is the paper's (learning-rate-free) method.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(self, group, "lr", "eps", "weight_decay")
        check_unit_interval(self, "rho", group["rho"], include_one=True)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            state["acc_delta"] = np.zeros_like(param)

        state["step"] += 1
        if weight_decay != 0:
            grad = grad + weight_decay * param  # g ← g + λθ
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho  # v ← ρv + (1 − ρ)g²
        square_avg += (1 - rho) * (grad * grad)
        std = np.sqrt(square_avg + eps)
        delta = np.sqrt(acc_delta + eps) / std * grad  # Δ ← √(u + ε)/√(v + ε)·g
        acc_delta *= rho  # u ← ρu + (1 − ρ)Δ²
        acc_delta += (1 - rho) * (delta * delta)
        param -= lr * delta  # θ ← θ − γΔ

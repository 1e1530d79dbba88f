"""Stochastic gradient descent, with momentum, Nesterov momentum, dampening and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from chaingrad.nn.optim.optimizer import Optimizer, ParamsT, check_nonnegative, check_unit_interval


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum, as ``torch.optim.SGD``.

    With learning rate γ, momentum μ, dampening τ and weight decay λ, each step is::

        g ← ∇θ + λθ                      (L2 weight decay, if λ ≠ 0)
        b ← g                            on the first step (the buffer starts as the gradient)
        b ← μ·b + (1 − τ)·g              on later steps
        g ← g + μ·b  if nesterov  else  g ← b          (if μ ≠ 0)
        θ ← θ − γ·g

    The lecture's momentum ``v ← βv + ∇J; w ← w − α·v`` is ``SGD(params, α, momentum=β)``.
    Goodfellow's form ``v ← αv − εg; θ ← θ + v`` is the same trajectory with v = −ε·b.
    ``dampening`` is keyword-only: the positional order after ``lr`` is the project's API
    (momentum, nesterov, weight_decay), which differs from PyTorch's.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        *,
        dampening: float = 0.0,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(self, group, "lr", "momentum", "weight_decay")
        check_unit_interval(self, "dampening", group["dampening"], include_one=True)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum > 0 and zero dampening, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, momentum = float(group["lr"]), float(group["momentum"])
        weight_decay, dampening = float(group["weight_decay"]), float(group["dampening"])

        if weight_decay != 0:
            grad = grad + weight_decay * param  # g ← g + λθ
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                # b₁ ← g₁; np.array, as a 0-d g + λθ is a NumPy scalar (not updatable in place)
                buf = state["momentum_buffer"] = np.array(grad)
            else:
                buf *= momentum  # b ← μb + (1 − τ)g
                buf += (1 - dampening) * grad
            if group["nesterov"]:
                grad = grad + momentum * buf  # look ahead: g ← g + μb
            else:
                grad = buf  # g ← b
        param -= lr * grad  # θ ← θ − γg

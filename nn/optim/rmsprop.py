"""RMSprop: gradients divided by a running root-mean-square, optionally centred, with momentum."""

from __future__ import annotations

from typing import Any

import numpy as np

from chaingrad.nn.optim.optimizer import Optimizer, ParamsT, check_nonnegative, check_unit_interval


class RMSprop(Optimizer):
    """RMSprop, exactly as ``torch.optim.RMSprop``.

    With learning rate γ, smoothing α, momentum μ and weight decay λ, each step is::

        g ← ∇θ + λθ                      (L2 weight decay, if λ ≠ 0)
        v ← α·v + (1 − α)·g²             (running mean of squared gradients, v₀ = 0)
        centered:  ḡ ← α·ḡ + (1 − α)·g;  d ← √(v − ḡ²) + ε
        otherwise: d ← √v + ε
        μ > 0:     b ← μ·b + g / d;  θ ← θ − γ·b
        otherwise: θ ← θ − γ·g / d

    The lecture's ``grad_sq = beta*grad_sq + (1-beta)*g*g; w -= lr*g/sqrt(grad_sq)`` with
    β = α and ε added outside the root. The positional order is the API's (…, eps, momentum,
    weight_decay: PyTorch has weight_decay before momentum); ``centered`` is keyword-only.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        *,
        centered: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(self, group, "lr", "eps", "momentum", "weight_decay")
        check_unit_interval(self, "alpha", group["alpha"], include_one=True)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        momentum, weight_decay = float(group["momentum"]), float(group["weight_decay"])
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)

        state["step"] += 1
        if weight_decay != 0:
            grad = grad + weight_decay * param  # g ← g + λθ
        square_avg = state["square_avg"]
        square_avg *= alpha  # v ← αv + (1 − α)g²
        square_avg += (1 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state.setdefault("grad_avg", np.zeros_like(param))
            grad_avg *= alpha  # ḡ ← αḡ + (1 − α)g
            grad_avg += (1 - alpha) * grad
            avg = np.sqrt(square_avg - grad_avg * grad_avg)  # √(v − ḡ²): a variance estimate
        else:
            avg = np.sqrt(square_avg)
        avg += eps
        if momentum > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(param))
            buf *= momentum  # b ← μb + g/d
            buf += grad / avg
            param -= lr * buf  # θ ← θ − γb
        else:
            param -= lr * (grad / avg)  # θ ← θ − γ g/d

"""Adam and AdamW: momentum and RMSprop combined, with bias correction from the first step."""

from __future__ import annotations

from typing import Any

import numpy as np

from chaingrad.nn.optim.optimizer import Optimizer, ParamsT, check_nonnegative, check_unit_interval


class Adam(Optimizer):
    """Adam (and AMSGrad), exactly as ``torch.optim.Adam``.

    With learning rate γ, betas (β₁, β₂), weight decay λ and step t = 1, 2, …::

        g ← ∇θ + λθ                      (L2 weight decay, if λ ≠ 0; AdamW decays θ instead)
        m ← β₁·m + (1 − β₁)·g            (first moment, momentum; m₀ = 0)
        v ← β₂·v + (1 − β₂)·g²           (second moment, RMSprop; v₀ = 0)
        amsgrad: v̂ ← max(v̂, v), used in place of v below
        θ ← θ − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    i.e. θ ← θ − γ·m̂/(√v̂ + ε) with the bias-corrected m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ): the
    lecture's pseudo-code with its ``i + 1`` being t. On the first step m̂ = g and v̂ = g², so
    every coordinate moves by almost exactly γ against the sign of its gradient.
    ``decoupled_weight_decay=True`` turns Adam into AdamW (PyTorch has the same switch).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_nonnegative(self, group, "lr", "eps", "weight_decay")
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair, got {betas!r}")
        for i, beta in enumerate(betas):
            check_unit_interval(self, "beta", beta, include_one=False, where=f" at index {i}")
        group["betas"] = tuple(betas)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)

        state["step"] += 1
        step = state["step"]
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * weight_decay  # AdamW: θ ← θ(1 − γλ), outside the moments
            else:
                grad = grad + weight_decay * param  # Adam: g ← g + λθ, through the moments
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1  # m ← β₁m + (1 − β₁)g
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2  # v ← β₂v + (1 − β₂)g²
        exp_avg_sq += (1 - beta2) * (grad * grad)

        bias_correction1 = 1 - beta1**step  # 1 − β₁ᵗ
        bias_correction2 = 1 - beta2**step  # 1 − β₂ᵗ
        step_size = lr / bias_correction1
        if group["amsgrad"]:
            max_sq = state.setdefault("max_exp_avg_sq", np.zeros_like(param))
            np.maximum(max_sq, exp_avg_sq, out=max_sq)  # v̂ ← max(v̂, v)
            denom = np.sqrt(max_sq) / bias_correction2**0.5 + eps
        else:
            denom = np.sqrt(exp_avg_sq) / bias_correction2**0.5 + eps
        param -= step_size * (exp_avg / denom)  # θ ← θ − γ/(1 − β₁ᵗ) · m/(√v/√(1 − β₂ᵗ) + ε)


class AdamW(Adam):
    """AdamW, exactly as ``torch.optim.AdamW``: Adam with decoupled weight decay.

    Before the Adam step (which then sees the plain gradient)::

        θ ← θ·(1 − γλ)

    so the decay shrinks every weight by the same factor instead of being rescaled by the
    adaptive denominator, as an L2 term in the gradient is (Loshchilov & Hutter, 2019).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)

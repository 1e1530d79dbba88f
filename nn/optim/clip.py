"""Gradient clipping: rescale all gradients by their total norm, or clamp each element.

Both replace ``p.grad`` with a new array instead of scaling it in place: two parameters' grads
may share memory (views of one buffer), and an in-place scale would hit the shared part twice.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from chaingrad.autograd import Tensor


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    """The parameters (a single Tensor or an iterable) whose ``.grad`` is set."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def _vector_norm(x: np.ndarray, norm_type: float) -> np.floating:
    """The p-norm of ``x`` seen as one vector, in ``x``'s dtype (0 for an empty array)."""
    if x.size == 0:
        return x.dtype.type(0)
    return x.dtype.type(np.linalg.norm(x.reshape(-1), ord=norm_type))


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Rescale the gradients so their total norm is at most ``max_norm``; returns the norm before.

    As ``torch.nn.utils.clip_grad_norm_``: the total norm is the ``norm_type``-norm of the vector
    of per-parameter norms (the norm of all gradients concatenated; ``float("inf")`` gives the
    largest absolute entry), computed in the gradients' dtype. Every gradient is multiplied by
    ``max_norm / (total + 1e-6)`` when that coefficient is below 1 (the 1e-6 keeps the division
    finite for zero gradients). Parameters without a gradient are ignored.
    """
    norm_type = float(norm_type)
    max_norm = float(max_norm)
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm!r}")
    params = _with_grads(parameters)
    if not params:
        return 0.0
    grads = [np.asarray(p.grad) for p in params]
    norms = [_vector_norm(g, norm_type) for g in grads]
    total = _vector_norm(np.stack(norms), norm_type)  # ‖(‖g₁‖, ‖g₂‖, …)‖ = ‖concat(g)‖
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{float(total)}, so they cannot be clipped (error_if_nonfinite=True)"
        )
    coefficient = max_norm / (total + 1e-6)  # in the gradients' dtype, as PyTorch
    if not coefficient >= 1:  # also when NaN: PyTorch then spreads the NaN to every gradient
        with np.errstate(invalid="ignore"):  # inf·0 = NaN is the intended result
            for p, g in zip(params, grads):
                p.grad = g * coefficient.astype(g.dtype)  # a new array, never in place
    return float(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] (``torch``'s clip_grad_value_)."""
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value!r}")
    for p in _with_grads(parameters):
        p.grad = np.clip(p.grad.numpy(), -clip_value, clip_value)  # a new array, never in place

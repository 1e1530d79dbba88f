"""``chaingrad.nn.utils``, as ``torch.nn.utils``: gradient clipping and parameter vectors."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from chaingrad.autograd import Tensor
from chaingrad.nn.optim.clip import clip_grad_norm_, clip_grad_value_
from chaingrad.nn.utils import rnn

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameters_to_vector",
    "rnn",
    "vector_to_parameters",
]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one 1-D tensor (a copy, not differentiable)."""
    arrays = [p.numpy().reshape(-1) for p in parameters]
    if not arrays:
        raise ValueError("parameters_to_vector: got no parameters")
    return Tensor(np.concatenate(arrays))


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place."""
    flat = vec.numpy() if isinstance(vec, Tensor) else np.asarray(vec)
    if flat.ndim != 1:
        raise ValueError(f"vector_to_parameters: expected a 1-D vector, got shape {flat.shape}")
    params = list(parameters)
    needed = sum(p.numpy().size for p in params)
    if flat.size != needed:
        raise ValueError(
            f"vector_to_parameters: the vector has {flat.size} elements, the parameters {needed}"
        )
    start = 0
    for p in params:
        target = p.numpy()
        target[...] = flat[start : start + target.size].reshape(target.shape)
        start += target.size

"""chaingrad's engine: ``Value`` and ``Tensor``, one backward pass, grad modes, gradcheck, drawing.

Higher-order gradients are not supported: every op records its local gradients as numbers
(arrays) in the forward pass, so a gradient is not itself differentiable (PyTorch's
``once_differentiable`` case).
"""

from chaingrad.autograd import grad_mode
from chaingrad.autograd.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    linspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from chaingrad.autograd.devices import cuda, device
from chaingrad.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from chaingrad.autograd.gradcheck import GradcheckError, gradcheck
from chaingrad.autograd.ops.elementwise import where
from chaingrad.autograd.ops.shapes import concatenate, stack
from chaingrad.autograd.random import Generator, initial_seed, manual_seed, seed
from chaingrad.autograd.tensor import Tensor
from chaingrad.autograd.value import Value

__all__ = [
    "Generator",
    "GradcheckError",
    "Tensor",
    "Value",
    "arange",
    "as_tensor",
    "concatenate",
    "cuda",
    "device",
    "empty",
    "empty_like",
    "enable_grad",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "get_default_dtype",
    "grad_mode",
    "gradcheck",
    "initial_seed",
    "is_grad_enabled",
    "linspace",
    "manual_seed",
    "multinomial",
    "no_grad",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "seed",
    "stack",
    "tensor",
    "where",
    "zeros",
    "zeros_like",
]

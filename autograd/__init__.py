"""chaingrad's engine: ``Value`` and ``Tensor``, one backward pass, grad modes, gradcheck, drawing.

Higher-order gradients are not supported: every op records its local gradients as numbers
(arrays) in the forward pass, so a gradient is not itself differentiable (PyTorch's
``once_differentiable`` case).
"""

from chaingrad.autograd.creation import arange, ones, randn, tensor, zeros
from chaingrad.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from chaingrad.autograd.gradcheck import GradcheckError, gradcheck
from chaingrad.autograd.ops.elementwise import where
from chaingrad.autograd.ops.shapes import concatenate, stack
from chaingrad.autograd.tensor import Tensor
from chaingrad.autograd.value import Value

__all__ = [
    "GradcheckError",
    "Tensor",
    "Value",
    "arange",
    "concatenate",
    "enable_grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "ones",
    "randn",
    "stack",
    "tensor",
    "where",
    "zeros",
]

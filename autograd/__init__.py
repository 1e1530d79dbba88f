"""chaingrad's engine: the scalar ``Value``, the backward pass, grad modes and graph drawing.

Higher-order gradients are not supported: every op records its local gradients as numbers
(arrays) in the forward pass, so a gradient is not itself differentiable (PyTorch's
``once_differentiable`` case).
"""

from autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from autograd.gradcheck import GradcheckError, gradcheck
from autograd.value import Value

__all__ = [
    "GradcheckError",
    "Value",
    "enable_grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
]

"""2-D max and average pooling over NCHW arrays, forward and backward.

- ``op.py``: the public functions below: validate (``checks.py``), then run the kernel.
- ``checks.py``: their argument checks (shapes, window, stride, padding).
- ``fast.py``: the parallel numba loops.
- ``reference.py``: the same math as slow, obvious NumPy loops (``*_reference``): read it first.
"""

from chaingrad.kernels.pool.op import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    compact_argmax_dtype,
    max_pool2d_backward,
    max_pool2d_backward_compact,
    max_pool2d_forward,
    max_pool2d_forward_compact,
)

__all__ = [
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "compact_argmax_dtype",
    "max_pool2d_backward",
    "max_pool2d_backward_compact",
    "max_pool2d_forward",
    "max_pool2d_forward_compact",
]

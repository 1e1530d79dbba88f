"""Convolution (cross-correlation, as PyTorch): conv2d over NCHW, conv1d over NCL.

- ``op.py``: the public functions below: validate (``checks.py``), lay out, run the kernel.
- ``checks.py``: their argument checks (ranks, channels, sizes, stride, padding).
- ``fast.py``: the parallel numba drivers; ``taps.py``: the inner loops they are built from.
- ``reference.py``: the same math as slow, obvious NumPy loops (``*_reference``): read it first.
"""

from chaingrad.kernels.conv.checks import conv_output_size
from chaingrad.kernels.conv.op import (
    conv1d_backward,
    conv1d_forward,
    conv2d_backward,
    conv2d_forward,
)

__all__ = [
    "conv1d_backward",
    "conv1d_forward",
    "conv2d_backward",
    "conv2d_forward",
    "conv_output_size",
]

"""Convolution (cross-correlation, as PyTorch): conv2d over NCHW, conv1d over NCL.

- ``op.py``: the public functions below: validate (``checks.py``), lay out, run the kernel.
- ``checks.py``: their argument checks (ranks, channels, sizes, stride, padding).
- ``fast.py``: the parallel numba drivers; ``taps.py``: the inner loops they are built from.
- ``direct.py``: small images (where the tap loops' grid would compute 2× the outputs or
  more): each output pixel's window read in place, the output channels in vector lanes.
- ``winograd.py``: stride-1 5×5 convolutions with many channels by Winograd's F(2×2, 5×5):
  tile transforms in numba, the products in BLAS (2.8× fewer multiplies than the tap loops).
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

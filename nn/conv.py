"""Convolution and pooling layers (NCHW / NCL), with PyTorch's names, shapes and init."""

from __future__ import annotations

from typing import Any

from chaingrad.autograd import Tensor
from chaingrad.autograd import functional as ops
from chaingrad.nn import init
from chaingrad.nn.module import Module, Parameter


class Conv2d(Module):
    """2-D convolution: ``weight`` (out, in, kh, kw), ``bias`` (out,), init U(±1/√(in·kh·kw))."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = ops.pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = ops.pair(stride, "stride", "Conv2d")
        self.padding = ops.pair(padding, "padding", "Conv2d")
        fan_in = in_channels * self.kernel_size[0] * self.kernel_size[1]
        self.weight = Parameter(
            init.default_uniform((out_channels, in_channels, *self.kernel_size), fan_in)
        )
        self.bias = Parameter(init.default_uniform((out_channels,), fan_in)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """Convolve."""
        return ops.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        bias = "" if self.bias is not None else ", bias=False"
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}{bias}"
        )


class Conv1d(Module):
    """1-D convolution: ``weight`` (out, in, k), ``bias`` (out,), init U(±1/√(in·k))."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        fan_in = in_channels * kernel_size
        self.weight = Parameter(
            init.default_uniform((out_channels, in_channels, kernel_size), fan_in)
        )
        self.bias = Parameter(init.default_uniform((out_channels,), fan_in)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """Convolve."""
        return ops.conv1d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        bias = "" if self.bias is not None else ", bias=False"
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}{bias}"
        )


class MaxPool2d(Module):
    """Max pooling over kernel_size windows; stride defaults to kernel_size."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Tensor) -> Tensor:
        """Pool."""
        return ops.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        stride = self.kernel_size if self.stride is None else self.stride
        return f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Average pooling over kernel_size windows (zero padding counted); stride = kernel_size."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Tensor) -> Tensor:
        """Pool."""
        return ops.avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        stride = self.kernel_size if self.stride is None else self.stride
        return f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}"

"""Convolution and pooling layers (NCHW / NCL), with PyTorch's names, shapes and init."""

from __future__ import annotations

from typing import Any

from chaingrad.autograd import Tensor
from chaingrad.autograd import functional as ops
from chaingrad.nn import init
from chaingrad.nn.module import Module, Parameter


class Conv2d(Module):
    """2-D convolution: ``weight`` (out, in/groups, kh, kw), ``bias`` (out,), init
    U(±1/√(in/groups·kh·kw)); ``groups`` as PyTorch (keyword; ``groups=in`` is depthwise)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        bias: bool = True,
        *,
        groups: int = 1,
    ) -> None:
        super().__init__()
        if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
            raise ValueError(f"Conv2d: groups must be a positive int, got {groups!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv2d: in_channels {in_channels} and out_channels {out_channels} must both "
                f"be divisible by groups={groups}"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ops.pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = ops.pair(stride, "stride", "Conv2d")
        self.padding = ops.pair(padding, "padding", "Conv2d")
        # each output channel sees in/groups input channels: that is its fan-in (as PyTorch)
        fan_in = in_channels // groups * self.kernel_size[0] * self.kernel_size[1]
        self.weight = Parameter(
            init.default_uniform((out_channels, in_channels // groups, *self.kernel_size), fan_in)
        )
        self.bias = Parameter(init.default_uniform((out_channels,), fan_in)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """Convolve (one kernel call per group when groups > 1)."""
        return ops.conv2d(x, self.weight, self.bias, self.stride, self.padding, groups=self.groups)

    def extra_repr(self) -> str:
        groups = "" if self.groups == 1 else f", groups={self.groups}"
        bias = "" if self.bias is not None else ", bias=False"
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}{groups}{bias}"
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

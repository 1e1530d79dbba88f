"""Argument checks of the convolution ops: ranks, channels, sizes, stride and padding."""

from __future__ import annotations

import numpy as np

from chaingrad.kernels.checks import check_int, check_rank, int_pair


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """(size + 2 * padding - kernel) // stride + 1; ValueError if the kernel does not fit."""
    if kernel < 1 or stride < 1 or padding < 0:
        raise ValueError(
            f"conv_output_size: need kernel >= 1, stride >= 1, padding >= 0; got kernel "
            f"{kernel}, stride {stride}, padding {padding}"
        )
    if size + 2 * padding < kernel:
        raise ValueError(
            f"conv_output_size: kernel size {kernel} is larger than the padded input size "
            f"{size + 2 * padding} (input {size} + 2 * padding {padding})"
        )
    return (size + 2 * padding - kernel) // stride + 1


def check_conv2d(
    fn: str, x: np.ndarray, w: np.ndarray, stride: object, padding: object
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Validate ranks, channels and sizes; return (stride, padding, output size)."""
    check_rank(fn, "x", x, 4, "(N, C, H, W)")
    check_rank(fn, "w", w, 4, "(O, C, kh, kw)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"{fn}: x has {x.shape[1]} channels but w expects {w.shape[1]} "
            f"(x {x.shape}, w {w.shape})"
        )
    if min(x.shape[2:]) < 1:
        raise ValueError(
            f"{fn}: x {x.shape} has an empty image; only N and C may be 0 (as in PyTorch)"
        )
    sh, sw = int_pair(fn, "stride", stride, 1)
    ph, pw = int_pair(fn, "padding", padding, 0)
    try:
        ho = conv_output_size(x.shape[2], w.shape[2], sh, ph)
        wo = conv_output_size(x.shape[3], w.shape[3], sw, pw)
    except ValueError as err:
        raise ValueError(f"{fn}: x {x.shape}, w {w.shape}, padding {(ph, pw)}: {err}") from None
    return (sh, sw), (ph, pw), (ho, wo)


def need_flags(fn: str, *flags: object) -> tuple[bool, ...]:
    """need_input, need_weight, need_bias as bools (each must be a bool or a 0/1 NumPy bool)."""
    if not all(isinstance(f, bool | np.bool_) for f in flags):
        raise TypeError(f"{fn}: need_input, need_weight, need_bias must be bools, got {flags}")
    return tuple(bool(f) for f in flags)


def check_conv1d(fn: str, x: np.ndarray, w: np.ndarray, stride: object, padding: object) -> int:
    """Validate conv1d arguments with 1-D messages; return the output length."""
    check_rank(fn, "x", x, 3, "(N, C, L)")
    check_rank(fn, "w", w, 3, "(O, C, k)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"{fn}: x has {x.shape[1]} channels but w expects {w.shape[1]} "
            f"(x {x.shape}, w {w.shape})"
        )
    s, p = check_int(fn, "stride", stride, 1), check_int(fn, "padding", padding, 0)
    try:
        return conv_output_size(x.shape[2], w.shape[2], s, p)
    except ValueError as err:
        raise ValueError(f"{fn}: x {x.shape}, w {w.shape}, padding {p}: {err}") from None

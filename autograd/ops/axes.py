"""Axis arguments as NumPy and PyTorch users write them: an int, a tuple, None, negatives."""

from __future__ import annotations

import numbers
from typing import Any


def normalize_axis(axis: Any, ndim: int, op: str) -> int:
    """One axis as a non-negative int, with a clear error when it is out of range."""
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor with {ndim} axes")
    return int(axis) % ndim


def normalize_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """An int, a tuple or None (all axes) as a sorted tuple of distinct non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, tuple | list):
        axes = tuple(normalize_axis(a, ndim, op) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{op}: axis {tuple(axis)} names an axis twice")
        return tuple(sorted(axes))
    if ndim == 0 and axis in (0, -1):
        return ()  # reducing a 0-d tensor over its only "axis" is the identity, as in NumPy
    return (normalize_axis(axis, ndim, op),)


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` kept as size 1 (what keepdims=True gives)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))

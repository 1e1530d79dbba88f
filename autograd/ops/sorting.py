"""Sorting: ``sort``, ``argsort`` and ``topk`` with PyTorch's (values, indices) results.

Values are differentiable: each output element is one input element, so the gradient is
scattered back to the source positions the indices name. Indices are int64 tensors outside the
graph. The order is NumPy's stable sort for both directions (descending keeps equal elements
in their original order, like torch.sort(stable=True)); NaN sorts as the largest value, as in
PyTorch.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from chaingrad.autograd.ops.axes import normalize_axes, normalize_axis
from chaingrad.autograd.ops.record import EVERYTHING, record
from chaingrad.autograd.tensor import Tensor, as_tensor


def _sort_axis(a: np.ndarray, axis: Any, op: str) -> int | None:
    """The axis to sort along; None for a 0-d tensor (a single element is already sorted)."""
    if a.ndim == 0:
        normalize_axes(axis, 0, op)  # only 0 and -1 name the one "axis" of a 0-d tensor
        return None
    return normalize_axis(axis, a.ndim, op)


def _order(a: np.ndarray, ax: int, descending: bool) -> np.ndarray:
    """int64 indices that sort ``a`` along ``ax``, stable in both directions."""
    if not descending:
        return np.argsort(a, axis=ax, kind="stable")
    # a stable ascending sort of the reversed axis, read backwards, puts equal elements in
    # their original order and NaN (largest) first, as torch.sort(descending=True)
    n = a.shape[ax]
    backwards = np.argsort(np.flip(a, ax), axis=ax, kind="stable")
    return (n - 1) - np.flip(backwards, ax)


def _gathered(x: Tensor, index: np.ndarray, ax: int, op: str) -> Tensor:
    """``x``'s elements at ``index`` along ``ax``; the gradient goes back to those positions."""
    a = x.numpy()
    values = np.take_along_axis(a, index, axis=ax)
    shape = a.shape

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        # each output element is one input element: scatter the gradient back (no position
        # is named twice, so assignment is enough)
        full = np.zeros(shape, dtype=g.dtype)
        np.put_along_axis(full, index, g, axis=ax)
        return (full,)

    return record(op, values, (x,), backward, saved=EVERYTHING)


def _indices(index: np.ndarray, op: str) -> Tensor:
    return record(op, index.astype(np.int64, copy=False), (), lambda g: ())


def sort(
    x: Any, axis: int = -1, descending: bool = False, stable: bool = False
) -> tuple[Tensor, Tensor]:
    """(values, indices) sorted along ``axis``, as torch.sort (always stable here)."""
    x = as_tensor(x)
    a = x.numpy()
    ax = _sort_axis(a, axis, "sort")
    if ax is None:
        zero = np.zeros((), dtype=np.int64)
        return record("sort", a.copy(), (x,), lambda g: (g,), saved=EVERYTHING), _indices(
            zero, "sort"
        )
    index = _order(a, ax, descending)
    return _gathered(x, index, ax, "sort"), _indices(index, "sort")


def argsort(x: Any, axis: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """int64 indices that sort ``x`` along ``axis``, as torch.argsort (always stable here)."""
    a = as_tensor(x).numpy()
    ax = _sort_axis(a, axis, "argsort")
    if ax is None:
        return _indices(np.zeros((), dtype=np.int64), "argsort")
    return _indices(_order(a, ax, descending), "argsort")


def topk(
    x: Any,
    k: int,
    axis: int = -1,
    largest: bool = True,
    sorted: bool = True,  # noqa: A002
) -> tuple[Tensor, Tensor]:
    """(values, indices) of the ``k`` largest (or smallest) along ``axis``, as torch.topk.

    The result is always sorted (``sorted=False`` lets PyTorch return any order; this returns
    the sorted one). Among equal elements the earlier index comes first.
    """
    x = as_tensor(x)
    a = x.numpy()
    ax = _sort_axis(a, axis, "topk")
    size = 1 if ax is None else a.shape[ax]
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 0 <= k <= size:
        raise ValueError(
            f"topk: k = {k!r} is not in [0, {size}] (the size of axis {axis} of shape {a.shape})"
        )
    if ax is None:  # a 0-d tensor: torch returns its one element for k = 0 and k = 1
        zero = np.zeros((), dtype=np.int64)
        return record("topk", a.copy(), (x,), lambda g: (g,), saved=EVERYTHING), _indices(
            zero, "topk"
        )
    index = np.take(_order(a, ax, largest), np.arange(k), axis=ax)
    return _gathered(x, index, ax, "topk"), _indices(index, "topk")

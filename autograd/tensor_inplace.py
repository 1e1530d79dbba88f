"""In-place Tensor ops as PyTorch has them: ``add_``, ``+=``, ``t[i] = v``, ``fill_``, ...

Under no_grad (or with no input requiring grad) they write into the memory. Inside a graph the
value before the change becomes a tensor of its own, the ops that already used this tensor are
moved onto it (the consumer bookkeeping below), and the tensor object becomes the op's output.
Tensors sharing memory share a version counter (``_Version``), bumped by every in-place change,
so a node that saved an array refuses its backward after a change. ``Tensor`` inherits these
from ``TensorInPlace``; the op modules import ``Tensor``, so ``tensor.py`` binds them here
(``bind()``) once ``Tensor`` exists.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from chaingrad.autograd import grad_mode, random

if TYPE_CHECKING:
    from chaingrad.autograd.ops import elementwise, indexing
    from chaingrad.autograd.tensor import Tensor

_VIEW_OPS = frozenset({"index", "reshape", "transpose", "permute", "expand"})


class _Version:
    """A counter of in-place changes, shared by every tensor that shares one storage."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class TensorInPlace:
    """The methods below; mixed into ``Tensor``."""

    __slots__ = ()

    # ------------------------------------------------------------------ in-place ops
    def _in_place(
        self,
        op: str,
        others: tuple[Any, ...],
        compute: Callable[[Tensor], Tensor],
        direct: Callable[[], None],
    ) -> Tensor:
        """Change this tensor in place, as PyTorch does, and return it.

        ``direct()`` writes into the memory (nothing recorded); ``compute(base)`` is the same
        change as an out-of-place op on ``base`` (recorded when a graph is being built).
        """
        enabled = grad_mode._state.enabled
        if not enabled or not (
            self.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others)
        ):
            try:
                direct()
            except (TypeError, ValueError) as error:
                raise (TypeError if isinstance(error, TypeError) else ValueError)(
                    f"{op}: cannot write the result into a tensor of shape {self._data.shape} "
                    f"and dtype {self._data.dtype} ({error})"
                ) from None
            self._version.value += 1
            return self
        if self.requires_grad and not self._parents:
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad is used in an in-place operation; "
                "wrap it in `with chaingrad.no_grad():`"
            )
        if self._op in _VIEW_OPS and self._parents and self._version is self._parents[0]._version:
            raise RuntimeError(
                f"{op}: this tensor is a view made by {self._op} inside a graph; in-place "
                "changes to it are not recorded on the tensor it views (clone() it first)"
            )
        # the value before the change becomes a tensor of its own: the graph so far ends there
        base = Tensor.__new__(Tensor)
        base._init(self._data.copy(), self.requires_grad, self._parents, self._backward, self._op)
        base._saved, base._retain, base._scope = self._saved, self._retain, self._scope
        base._promise = self._promise  # the backward moves, and what its op promised with it
        # the ops that already used this tensor used its value before the change: from now on
        # their inputs are ``base`` (an op that kept the array itself sees the version change
        # and refuses its backward, as PyTorch's version counter does)
        for consumer in self._live_consumers():
            consumer._parents = tuple(base if q is self else q for q in consumer._parents)
        self._consumers = None
        _take_over_uses(base._parents, self, base)  # base is now the node its inputs feed
        result = compute(base)
        if result._data.shape != self._data.shape:
            raise ValueError(
                f"{op}: the result has shape {result._data.shape}, which does not fit the "
                f"tensor's shape {self._data.shape}"
            )
        if not np.can_cast(result._data.dtype, self._data.dtype, "same_kind"):
            raise TypeError(
                f"{op}: the result type {result._data.dtype} cannot be written into a tensor "
                f"of dtype {self._data.dtype}"
            )
        np.copyto(self._data, result._data, casting="same_kind")
        self._version.value += 1
        # this object now stands for the op's output (its saved arrays are its own)
        self.requires_grad = result.requires_grad
        self._parents, self._backward, self._op = result._parents, result._backward, result._op
        self._promise = result._promise
        self._scope = result._scope
        self._saved = tuple(s for s in result._saved if s[0] is not result._version)
        _take_over_uses(self._parents, result, self)
        return self

    def _live_consumers(self) -> list[Tensor]:
        """The graph nodes still alive that were computed from this tensor."""
        found = [ref() for ref in self._consumers or ()]
        return [c for c in found if c is not None]

    def _operand(self, other: Any) -> np.ndarray:
        return other._data if isinstance(other, Tensor) else np.asarray(other)

    def _arith_(self, op: str, fn: Any, ufunc: Any, other: Any, alpha: Any = 1) -> Tensor:
        if alpha != 1:
            other = elementwise.mul(other, alpha) if isinstance(other, Tensor) else other * alpha

        def direct() -> None:
            ufunc(self._data, self._operand(other), out=self._data, casting="same_kind")

        if not grad_mode._state.enabled or not (
            self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)
        ):  # the optimizer-step case (`p -= lr * p.grad` under no_grad), kept short
            try:
                direct()
            except (TypeError, ValueError) as error:
                raise (TypeError if isinstance(error, TypeError) else ValueError)(
                    f"{op}: cannot write the result into a tensor of shape {self._data.shape} "
                    f"and dtype {self._data.dtype} ({error})"
                ) from None
            self._version.value += 1
            return self
        return self._in_place(op, (other,), lambda base: fn(base, other), direct)

    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        """self += alpha * other, in place."""
        return self._arith_("add_", elementwise.add, np.add, other, alpha)

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        """self -= alpha * other, in place."""
        return self._arith_("sub_", elementwise.sub, np.subtract, other, alpha)

    def mul_(self, other: Any) -> Tensor:
        """self *= other, in place."""
        return self._arith_("mul_", elementwise.mul, np.multiply, other)

    def div_(self, other: Any) -> Tensor:
        """self /= other, in place (true division)."""
        return self._arith_("div_", elementwise.div, np.true_divide, other)

    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """Limit values to [min, max] in place."""
        if min is None and max is None:
            raise ValueError("clamp_: give at least one of min and max")

        def direct() -> None:
            np.clip(self._data, min, max, out=self._data)

        return self._in_place("clamp_", (), lambda base: elementwise.clip(base, min, max), direct)

    clip_ = clamp_

    def __setitem__(self, index: Any, value: Any) -> None:
        def direct() -> None:
            self._data[indexing.canonical_index(index)] = self._operand(value)

        self._in_place(
            "setitem", (value,), lambda base: indexing.setitem(base, index, value), direct
        )

    def _fill_with(self, op: str, value: Any) -> Tensor:
        def direct() -> None:
            np.copyto(self._data, self._operand(value), casting="unsafe")

        return self._in_place(
            op, (value,), lambda base: indexing.setitem(base, Ellipsis, value), direct
        )

    def copy_(self, src: Any) -> Tensor:
        """Copy ``src`` (broadcast, cast to this dtype) into this tensor; differentiable."""
        return self._fill_with("copy_", src)

    def fill_(self, value: Any) -> Tensor:
        """Set every element to ``value``, in place."""
        return self._fill_with("fill_", value)

    def zero_(self) -> Tensor:
        """Set every element to 0, in place."""
        return self._fill_with("zero_", 0)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with normal samples drawn from ``generator`` (default: the global stream)."""
        draw = random.rng(generator).normal(mean, std, self._data.shape)
        return self._fill_with("normal_", draw.astype(self._data.dtype, copy=False))

    def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with uniform samples from [from_, to) drawn from ``generator``."""
        draw = random.rng(generator).uniform(from_, to, self._data.shape)
        return self._fill_with("uniform_", draw.astype(self._data.dtype, copy=False))


def _take_over_uses(parents: tuple[Tensor, ...], old: Tensor, new: Tensor) -> None:
    """In each parent's list of consumers, ``new`` replaces ``old`` (an in-place op moved a node
    from one tensor object to another)."""
    for q in parents:
        if q._consumers:
            q._consumers = [weakref.ref(new) if r() is old else r for r in q._consumers]


def bind() -> None:
    """Import what these methods call; ``tensor.py`` runs this once ``Tensor`` exists (the op
    modules import ``Tensor``, so they cannot be imported while this module loads)."""
    global Tensor, elementwise, indexing
    from chaingrad.autograd.ops import elementwise, indexing
    from chaingrad.autograd.tensor import Tensor

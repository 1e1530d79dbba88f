"""Tensor reductions with PyTorch's and NumPy's spellings: sum, mean, var, std, max, min, ...

Each resolves ``dim``/``axis`` and ``keepdim``/``keepdims`` (and ``var``'s ddof/correction
defaults) and calls an op in ``autograd/ops/`` (``reductions``, ``softmax``). ``Tensor`` inherits
them from ``TensorReductions``; the op modules import ``Tensor``, so ``tensor.py`` binds them here
(``bind()``) once ``Tensor`` exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from chaingrad.autograd.arguments import UNSET, alias, given

if TYPE_CHECKING:
    from chaingrad.autograd.ops import elementwise, reductions, softmax
    from chaingrad.autograd.tensor import Tensor

_UNSET = UNSET  # "argument not given", where None is a meaningful value
_alias, _given = alias, given


def _reduce(op: str, fn: Any, x: Any, dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> Any:
    """``fn(x, axis, keepdims)`` with either spelling of each: PyTorch's or NumPy's."""
    return fn(
        x,
        _alias(op, ("dim", "axis"), (dim, axis), None),
        _alias(op, ("keepdim", "keepdims"), (keepdim, keepdims), False),
    )


class TensorReductions:
    """The methods below; mixed into ``Tensor``."""

    __slots__ = ()

    # ------------------------------------------------------------------ reductions
    def sum(
        self,
        dim: Any = _UNSET,
        keepdim: Any = _UNSET,
        *,
        axis: Any = _UNSET,
        keepdims: Any = _UNSET,
    ) -> Tensor:
        """Sum over ``dim``/``axis`` (an int, a tuple, or None for all)."""
        return _reduce("sum", reductions.sum, self, dim, keepdim, axis, keepdims)

    def mean(
        self,
        dim: Any = _UNSET,
        keepdim: Any = _UNSET,
        *,
        axis: Any = _UNSET,
        keepdims: Any = _UNSET,
    ) -> Tensor:
        """Mean over ``dim``/``axis``."""
        return _reduce("mean", reductions.mean, self, dim, keepdim, axis, keepdims)

    def var(
        self,
        axis_: Any = _UNSET,
        keepdims_: Any = _UNSET,
        ddof_: Any = _UNSET,
        /,
        *,
        dim: Any = _UNSET,
        axis: Any = _UNSET,
        keepdim: Any = _UNSET,
        keepdims: Any = _UNSET,
        ddof: Any = _UNSET,
        unbiased: Any = _UNSET,
        correction: Any = _UNSET,
    ) -> Tensor:
        """Variance over ``dim``/``axis``: Σ(x - mean)² / (n - ddof).

        The default is NumPy's ddof=0 (the contract's), but a call that uses a PyTorch-only
        keyword (``dim=``, ``keepdim=``, ``unbiased=``, ``correction=``) gets PyTorch's default
        correction=1; ``unbiased=True/False`` means correction 1/0.
        """
        return reductions.var(self, *self._var_args("var", locals()))

    def std(
        self,
        axis_: Any = _UNSET,
        keepdims_: Any = _UNSET,
        ddof_: Any = _UNSET,
        /,
        *,
        dim: Any = _UNSET,
        axis: Any = _UNSET,
        keepdim: Any = _UNSET,
        keepdims: Any = _UNSET,
        ddof: Any = _UNSET,
        unbiased: Any = _UNSET,
        correction: Any = _UNSET,
    ) -> Tensor:
        """Standard deviation, √var, with ``var``'s arguments and defaults (see ``var``)."""
        return elementwise.sqrt(reductions.var(self, *self._var_args("std", locals())))

    @staticmethod
    def _var_args(op: str, args: dict[str, Any]) -> tuple[Any, bool, int]:
        torch_style = _given(args["dim"], args["keepdim"], args["unbiased"], args["correction"])
        axes = _alias(op, ("dim", "axis"), (args["dim"], args["axis"]), _UNSET)
        axes = _alias(op, ("the positional axis", "dim/axis"), (args["axis_"], axes), None)
        keep = _alias(op, ("keepdim", "keepdims"), (args["keepdim"], args["keepdims"]), _UNSET)
        keep = _alias(op, ("the positional keepdims", "keepdim"), (args["keepdims_"], keep), False)
        if _given(args["unbiased"]) and _given(args["correction"]):
            raise TypeError(f"{op}: give unbiased= or correction=, not both")
        if _given(args["unbiased"]):
            args["correction"] = 1 if args["unbiased"] else 0
        ddof = _alias(op, ("ddof", "correction"), (args["ddof"], args["correction"]), _UNSET)
        ddof = _alias(op, ("the positional ddof", "ddof"), (args["ddof_"], ddof), _UNSET)
        if ddof is _UNSET:
            ddof = 1 if torch_style else 0
        return axes, bool(keep), ddof

    def max(
        self,
        dim: Any = _UNSET,
        keepdim: Any = _UNSET,
        *,
        axis: Any = _UNSET,
        keepdims: Any = _UNSET,
    ) -> Any:
        """PyTorch's ``max``: ``max()`` reduces everything; ``max(dim)`` returns
        ``(values, indices)`` with the gradient going to the returned index; ``max(other)`` is
        ``maximum``. NumPy's spelling ``max(axis=...)`` returns the values, tied maxima sharing
        the gradient evenly."""
        return self._extreme(
            "max",
            reductions.max,
            reductions.max_along,
            elementwise.maximum,
            dim,
            keepdim,
            axis,
            keepdims,
        )

    def min(
        self,
        dim: Any = _UNSET,
        keepdim: Any = _UNSET,
        *,
        axis: Any = _UNSET,
        keepdims: Any = _UNSET,
    ) -> Any:
        """PyTorch's ``min``: as ``max`` (``min(dim)`` gives ``(values, indices)``)."""
        return self._extreme(
            "min",
            reductions.min,
            reductions.min_along,
            elementwise.minimum,
            dim,
            keepdim,
            axis,
            keepdims,
        )

    def _extreme(
        self,
        op: str,
        whole: Any,
        along: Any,
        pairwise: Any,
        dim: Any,
        keepdim: Any,
        axis: Any,
        keepdims: Any,
    ) -> Any:
        if isinstance(dim, Tensor) or isinstance(dim, np.ndarray):
            return pairwise(self, dim)
        keep = _alias(op, ("keepdim", "keepdims"), (keepdim, keepdims), False)
        if dim is not _UNSET:
            if axis is not _UNSET:
                raise TypeError(f"{op}: give dim= or axis=, not both (they are aliases)")
            if dim is None:
                return whole(self, None, keep)
            return along(self, dim, keep)
        return whole(self, None if axis is _UNSET else axis, keep)

    def amax(
        self,
        dim: Any = _UNSET,
        keepdim: Any = _UNSET,
        *,
        axis: Any = _UNSET,
        keepdims: Any = _UNSET,
    ) -> Tensor:
        """Maximum over ``dim`` (values only); tied maxima share the gradient evenly."""
        return _reduce("amax", reductions.max, self, dim, keepdim, axis, keepdims)

    def amin(
        self,
        dim: Any = _UNSET,
        keepdim: Any = _UNSET,
        *,
        axis: Any = _UNSET,
        keepdims: Any = _UNSET,
    ) -> Tensor:
        """Minimum over ``dim`` (values only); tied minima share the gradient evenly."""
        return _reduce("amin", reductions.min, self, dim, keepdim, axis, keepdims)

    def argmax(
        self,
        dim: Any = _UNSET,
        keepdim: Any = _UNSET,
        *,
        axis: Any = _UNSET,
        keepdims: Any = _UNSET,
    ) -> Tensor:
        """Index of the maximum (of the flattened tensor when no dim); not differentiable."""
        return _reduce("argmax", reductions.argmax, self, dim, keepdim, axis, keepdims)

    def logsumexp(
        self,
        dim: Any = _UNSET,
        keepdim: Any = _UNSET,
        *,
        axis: Any = _UNSET,
        keepdims: Any = _UNSET,
    ) -> Tensor:
        """log Σ exp(x) over ``dim``/``axis``, stable for large inputs."""
        return _reduce("logsumexp", softmax.logsumexp, self, dim, keepdim, axis, keepdims)

    def softmax(self, dim: Any = _UNSET, *, axis: Any = _UNSET) -> Tensor:
        """exp(x) / Σ exp(x) along ``dim``/``axis`` (default -1), stable for large inputs."""
        return softmax.softmax(self, _alias("softmax", ("dim", "axis"), (dim, axis), -1))

    def log_softmax(self, dim: Any = _UNSET, *, axis: Any = _UNSET) -> Tensor:
        """x - logsumexp(x) along ``dim``/``axis`` (default -1), stable for large inputs."""
        return softmax.log_softmax(self, _alias("log_softmax", ("dim", "axis"), (dim, axis), -1))


def bind() -> None:
    """Import what these methods call; ``tensor.py`` runs this once ``Tensor`` exists (the op
    modules import ``Tensor``, so they cannot be imported while this module loads)."""
    global Tensor, elementwise, reductions, softmax
    from chaingrad.autograd.ops import elementwise, reductions, softmax
    from chaingrad.autograd.tensor import Tensor

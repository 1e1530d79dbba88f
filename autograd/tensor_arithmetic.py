"""Tensor operators and elementwise functions: + - * / ** @, comparisons, exp, relu, clip, ...

Each is one call to an op in ``autograd/ops/`` (``elementwise``, ``linalg``), so these stay the
engine's fastest path. ``Tensor`` inherits them from ``TensorArithmetic``; the op modules import
``Tensor``, so ``tensor.py`` binds them here (``bind()``) once ``Tensor`` exists.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from chaingrad.autograd.arguments import UNSET, alias

if TYPE_CHECKING:
    from chaingrad.autograd.ops import elementwise, linalg
    from chaingrad.autograd.tensor import Tensor

_UNSET = UNSET  # "argument not given", where None is a meaningful value
_alias = alias


class TensorArithmetic:
    """The methods below; mixed into ``Tensor``."""

    __slots__ = ()

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Any) -> Tensor:
        return elementwise.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return elementwise.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return elementwise.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return elementwise.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return elementwise.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return elementwise.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return elementwise.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return elementwise.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return elementwise.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return elementwise.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return linalg.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return linalg.matmul(other, self)

    def __neg__(self) -> Tensor:
        return elementwise.neg(self)

    def __lt__(self, other: Any) -> Tensor:
        return elementwise.compare(np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return elementwise.compare(np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return elementwise.compare(np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return elementwise.compare(np.greater_equal, self, other)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        if not _operand_like(other):
            return NotImplemented  # let the other side decide (pytest.approx, say)
        return elementwise.compare(np.equal, self, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        if not _operand_like(other):
            return NotImplemented
        return elementwise.compare(np.not_equal, self, other)

    __hash__ = object.__hash__  # == is elementwise, identity still hashes

    def eq(self, other: Any) -> Tensor:
        """self == other elementwise (a bool tensor, not differentiable)."""
        return elementwise.compare(np.equal, self, other)

    def ne(self, other: Any) -> Tensor:
        """self != other elementwise."""
        return elementwise.compare(np.not_equal, self, other)

    def lt(self, other: Any) -> Tensor:
        """self < other elementwise."""
        return elementwise.compare(np.less, self, other)

    def le(self, other: Any) -> Tensor:
        """self <= other elementwise."""
        return elementwise.compare(np.less_equal, self, other)

    def gt(self, other: Any) -> Tensor:
        """self > other elementwise."""
        return elementwise.compare(np.greater, self, other)

    def ge(self, other: Any) -> Tensor:
        """self >= other elementwise."""
        return elementwise.compare(np.greater_equal, self, other)

    # ------------------------------------------------------------------ elementwise
    def exp(self) -> Tensor:
        """e**x elementwise."""
        return elementwise.exp(self)

    def log(self) -> Tensor:
        """Natural logarithm elementwise."""
        return elementwise.log(self)

    def sqrt(self) -> Tensor:
        """Square root elementwise."""
        return elementwise.sqrt(self)

    def abs(self) -> Tensor:
        """|x| elementwise (gradient sign(x), 0 at 0)."""
        return elementwise.abs(self)

    def tanh(self) -> Tensor:
        """Hyperbolic tangent elementwise."""
        return elementwise.tanh(self)

    def sigmoid(self) -> Tensor:
        """Logistic sigmoid elementwise."""
        return elementwise.sigmoid(self)

    def relu(self) -> Tensor:
        """max(0, x) elementwise (relu'(0) = 0)."""
        return elementwise.relu(self)

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        """x where x > 0, else slope·x."""
        return elementwise.leaky_relu(self, slope)

    def elu(self, alpha: float = 1.0) -> Tensor:
        """x where x > 0, else alpha·(eˣ - 1)."""
        return elementwise.elu(self, alpha)

    def selu(self) -> Tensor:
        """Scaled ELU with the self-normalising constants."""
        return elementwise.selu(self)

    def clip(
        self,
        min: Any = _UNSET,  # noqa: A002
        max: Any = _UNSET,  # noqa: A002
        *,
        lo: Any = _UNSET,
        hi: Any = _UNSET,
    ) -> Tensor:
        """Limit values to [min, max] (also spelled lo=, hi=); the gradient passes where
        min <= x <= max."""
        return elementwise.clip(
            self,
            _alias("clip", ("min", "lo"), (min, lo), None),
            _alias("clip", ("max", "hi"), (max, hi), None),
        )

    clamp = clip

    def maximum(self, other: Any) -> Tensor:
        """Elementwise maximum; a tie splits the gradient 0.5/0.5."""
        return elementwise.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        """Elementwise minimum; a tie splits the gradient 0.5/0.5."""
        return elementwise.minimum(self, other)


def _operand_like(x: Any) -> bool:
    return isinstance(x, Tensor | numbers.Number | np.ndarray | np.generic | list | tuple)


def bind() -> None:
    """Import what these methods call; ``tensor.py`` runs this once ``Tensor`` exists (the op
    modules import ``Tensor``, so they cannot be imported while this module loads)."""
    global Tensor, elementwise, linalg
    from chaingrad.autograd.ops import elementwise, linalg
    from chaingrad.autograd.tensor import Tensor

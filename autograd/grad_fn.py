"""PyTorch's view of a graph node, for code that walks ``loss.grad_fn.next_functions``.

chaingrad keeps the graph on the tensors themselves (``t.op``, ``t.parents``); ``t.grad_fn`` wraps
that in the objects PyTorch programs print and walk: a ``GradFn`` per recorded op
(``name()`` such as ``"MulBackward"``, ``next_functions``) and an ``AccumulateGrad`` per leaf that
requires grad (``variable`` is the leaf).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaingrad.autograd.tensor import Tensor


def grad_fn_of(tensor: Tensor) -> GradFn | None:
    """The node that made ``tensor`` in the graph, or None for a leaf (as ``torch``)."""
    return GradFn(tensor) if tensor.parents else None


class GradFn:
    """One recorded op: ``name()`` and the nodes its gradient flows on to."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self._tensor = tensor

    def name(self) -> str:
        """PyTorch-style name of the backward node: ``"mul"`` → ``"MulBackward"``."""
        camel = "".join(part.capitalize() for part in self._tensor.op.split("_"))
        return f"{camel}Backward"

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """One ``(node, 0)`` per input: its GradFn, an AccumulateGrad for a leaf that requires
        grad, or None for an input that needs no gradient."""
        return tuple((_node_of(p), 0) for p in self._tensor.parents)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GradFn) and other._tensor is self._tensor

    def __hash__(self) -> int:
        return id(self._tensor)

    def __repr__(self) -> str:
        return f"<{self.name()} object>"


class AccumulateGrad:
    """A leaf that requires grad: backward adds its gradient into ``variable.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        """``"AccumulateGrad"``, as PyTorch."""
        return "AccumulateGrad"

    next_functions: tuple[tuple[Any, int], ...] = ()

    def __repr__(self) -> str:
        return "<AccumulateGrad object>"


def _node_of(t: Tensor) -> GradFn | AccumulateGrad | None:
    if t.parents:
        return GradFn(t)
    return AccumulateGrad(t) if t.requires_grad else None

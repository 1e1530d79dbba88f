"""Tensor shape methods and indexing: reshape/view, expand, flatten, transpose, permute, ``t[i]``.

Each resolves PyTorch's and NumPy's spellings and calls an op in ``autograd/ops/`` (``shapes``,
``indexing``). ``Tensor`` inherits them from ``TensorShapes``; the op modules import ``Tensor``,
so ``tensor.py`` binds them here (``bind()``) once ``Tensor`` exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chaingrad.autograd.arguments import UNSET, alias

if TYPE_CHECKING:
    from chaingrad.autograd.ops import indexing, shapes
    from chaingrad.autograd.tensor import Tensor

_UNSET = UNSET  # "argument not given", where None is a meaningful value
_alias = alias


class TensorShapes:
    """The methods below; mixed into ``Tensor``."""

    __slots__ = ()

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape (a tuple or ints; one may be -1)."""
        return shapes.reshape(self, *shape)

    def view(self, *shape: Any) -> Tensor:
        """``reshape`` (PyTorch's name): a view when NumPy can make one, else a copy."""
        return shapes.reshape(self, *shape)

    def view_as(self, other: Tensor) -> Tensor:
        """This tensor reshaped to ``other``'s shape."""
        return shapes.reshape(self, *other._data.shape)

    reshape_as = view_as

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to ``sizes`` (-1 keeps an axis); the gradient is summed back."""
        return shapes.expand(self, *sizes)

    def expand_as(self, other: Tensor) -> Tensor:
        """Broadcast to ``other``'s shape."""
        return shapes.expand(self, *other._data.shape)

    def flatten(
        self,
        start_dim: Any = _UNSET,
        end_dim: Any = _UNSET,
        *,
        start_axis: Any = _UNSET,
        end_axis: Any = _UNSET,
    ) -> Tensor:
        """Merge axes start_dim..end_dim (NumPy spelling: start_axis..end_axis) into one."""
        return shapes.flatten(
            self,
            _alias("flatten", ("start_dim", "start_axis"), (start_dim, start_axis), 0),
            _alias("flatten", ("end_dim", "end_axis"), (end_dim, end_axis), -1),
        )

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two axes."""
        return shapes.transpose(self, dim0, dim1)

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the axes (a tuple or ints)."""
        return shapes.permute(self, *dims)

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's and PyTorch's name
        """All axes reversed (the matrix transpose for 2-D)."""
        return shapes.permute(self, *reversed(range(self._data.ndim)))

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """The last two axes swapped (a batch of matrix transposes)."""
        if self._data.ndim < 2:
            raise ValueError(f"mT: needs at least 2 axes, got shape {self._data.shape}")
        return shapes.transpose(self, -2, -1)

    def squeeze(self, dim: Any = _UNSET, *, axis: Any = _UNSET) -> Tensor:
        """Drop size-1 axes (all, or those named; a named axis of another size is kept)."""
        return shapes.squeeze(self, _alias("squeeze", ("dim", "axis"), (dim, axis), None))

    def unsqueeze(self, dim: Any = _UNSET, *, axis: Any = _UNSET) -> Tensor:
        """Insert a size-1 axis at ``dim``/``axis``."""
        position = _alias("unsqueeze", ("dim", "axis"), (dim, axis), _UNSET)
        if position is _UNSET:
            raise TypeError("unsqueeze: missing the dim to insert")
        return shapes.unsqueeze(self, position)

    def pad(self, pad_width: Any) -> Tensor:
        """Zero-pad: ((before, after), ...) per axis, as ``numpy.pad``."""
        return shapes.pad(self, pad_width)

    def __getitem__(self, index: Any) -> Tensor:
        return indexing.getitem(self, index)


def bind() -> None:
    """Import what these methods call; ``tensor.py`` runs this once ``Tensor`` exists (the op
    modules import ``Tensor``, so they cannot be imported while this module loads)."""
    global indexing, shapes
    from chaingrad.autograd.ops import indexing, shapes

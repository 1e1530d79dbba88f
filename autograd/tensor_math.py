"""More Tensor methods with PyTorch's names: the long tail lessons use (sorting, cumulative sums,
gathering, trigonometry, named arithmetic, ``new_*`` factories).

``Tensor`` inherits them from ``TensorMath``; like every Tensor method each is thin: it resolves
PyTorch's spellings (``dim``/``axis``, ``keepdim``/``keepdims``, ``dims``) and calls an op in
``autograd/ops/``. The op modules import ``Tensor``, so this module looks them up when a method
first runs (``ops.sorting`` below) rather than at import time.
"""

from __future__ import annotations

import importlib
import math
from collections import namedtuple
from typing import TYPE_CHECKING, Any

import numpy as np

from chaingrad.autograd.arguments import UNSET, alias

if TYPE_CHECKING:
    from chaingrad.autograd.tensor import Tensor

SortResult = namedtuple("SortResult", ["values", "indices"])  # what sort() and topk() return


class _OpModules:
    """``ops.<name>`` is ``chaingrad.autograd.ops.<name>``, imported on first use."""

    def __getattr__(self, name: str) -> Any:
        module = importlib.import_module(f"chaingrad.autograd.ops.{name}")
        setattr(self, name, module)
        return module


ops = _OpModules()


def _dim(op: str, dim: Any, axis: Any, default: Any = None) -> Any:
    return alias(op, ("dim", "axis"), (dim, axis), default)


def _keep(op: str, keepdim: Any, keepdims: Any) -> bool:
    return bool(alias(op, ("keepdim", "keepdims"), (keepdim, keepdims), False))


class TensorMath:
    """The methods below; mixed into ``Tensor``."""

    __slots__ = ()

    # ------------------------------------------------------------------ reductions
    def prod(
        self, dim: Any = UNSET, keepdim: Any = UNSET, *, axis: Any = UNSET, keepdims: Any = UNSET
    ) -> Tensor:
        """Product over ``dim`` (all elements by default); exact gradients with zeros present."""
        return ops.reductions.prod(self, _dim("prod", dim, axis), _keep("prod", keepdim, keepdims))

    def argmin(
        self, dim: Any = UNSET, keepdim: Any = UNSET, *, axis: Any = UNSET, keepdims: Any = UNSET
    ) -> Tensor:
        """Index of the smallest element along ``dim`` (flat when None); not differentiable."""
        return ops.reductions.argmin(
            self, _dim("argmin", dim, axis), _keep("argmin", keepdim, keepdims)
        )

    def cumsum(self, dim: Any = UNSET, *, axis: Any = UNSET) -> Tensor:
        """Running sum along ``dim`` (required, as in PyTorch)."""
        return ops.reductions.cumsum(self, _dim("cumsum", dim, axis, UNSET))

    def cumprod(self, dim: Any = UNSET, *, axis: Any = UNSET) -> Tensor:
        """Running product along ``dim`` (required, as in PyTorch)."""
        return ops.reductions.cumprod(self, _dim("cumprod", dim, axis, UNSET))

    def all(
        self, dim: Any = UNSET, keepdim: Any = UNSET, *, axis: Any = UNSET, keepdims: Any = UNSET
    ) -> Tensor:
        """True where every element along ``dim`` is nonzero (a bool tensor)."""
        return ops.reductions.all(self, _dim("all", dim, axis), _keep("all", keepdim, keepdims))

    def any(
        self, dim: Any = UNSET, keepdim: Any = UNSET, *, axis: Any = UNSET, keepdims: Any = UNSET
    ) -> Tensor:
        """True where some element along ``dim`` is nonzero (a bool tensor)."""
        return ops.reductions.any(self, _dim("any", dim, axis), _keep("any", keepdim, keepdims))

    def norm(
        self,
        p: Any = 2,
        dim: Any = UNSET,
        keepdim: Any = UNSET,
        *,
        axis: Any = UNSET,
        keepdims: Any = UNSET,
    ) -> Tensor:
        """The p-norm over ``dim`` (all elements by default; p a number ≥ 1, inf or "fro")."""
        return ops.reductions.norm(
            self, p, _dim("norm", dim, axis), _keep("norm", keepdim, keepdims)
        )

    # ------------------------------------------------------------------ sorting
    def sort(
        self, dim: Any = UNSET, descending: bool = False, stable: bool = False, *, axis: Any = UNSET
    ) -> SortResult:
        """``(values, indices)`` sorted along ``dim`` (default -1); ties keep their order."""
        values, indices = ops.sorting.sort(self, _dim("sort", dim, axis, -1), descending, stable)
        return SortResult(values, indices)

    def argsort(
        self, dim: Any = UNSET, descending: bool = False, stable: bool = False, *, axis: Any = UNSET
    ) -> Tensor:
        """The indices that sort along ``dim`` (default -1)."""
        return ops.sorting.argsort(self, _dim("argsort", dim, axis, -1), descending, stable)

    def topk(
        self,
        k: int,
        dim: Any = UNSET,
        largest: bool = True,
        sorted: bool = True,  # noqa: A002 - PyTorch's name
        *,
        axis: Any = UNSET,
    ) -> SortResult:
        """``(values, indices)`` of the k largest (or smallest) elements along ``dim``."""
        values, indices = ops.sorting.topk(self, k, _dim("topk", dim, axis, -1), largest, sorted)
        return SortResult(values, indices)

    # ------------------------------------------------------------------ shapes
    def repeat(self, *sizes: Any) -> Tensor:
        """Tile the tensor ``sizes`` times per axis (PyTorch's ``repeat``, NumPy's ``tile``)."""
        return ops.shapes.repeat(self, *sizes)

    def flip(self, *dims: Any) -> Tensor:
        """Reverse the order of elements along ``dims``."""
        return ops.shapes.flip(self, dims[0] if len(dims) == 1 else dims)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """Shift elements cyclically by ``shifts`` along ``dims`` (flattened when None)."""
        return ops.shapes.roll(self, shifts, dims)

    def split(self, split_size_or_sections: Any, dim: Any = UNSET, *, axis: Any = UNSET) -> Any:
        """Pieces of ``split_size`` along ``dim`` (or of the sizes listed); a tuple."""
        return ops.shapes.split(self, split_size_or_sections, _dim("split", dim, axis, 0))

    def chunk(self, chunks: int, dim: Any = UNSET, *, axis: Any = UNSET) -> Any:
        """``chunks`` nearly equal pieces along ``dim``; a tuple."""
        return ops.shapes.chunk(self, chunks, _dim("chunk", dim, axis, 0))

    def unbind(self, dim: Any = UNSET, *, axis: Any = UNSET) -> tuple[Tensor, ...]:
        """The slices along ``dim`` (default 0), that axis removed; a tuple."""
        ax = _dim("unbind", dim, axis, 0)
        ax = ops.axes.normalize_axis(ax, self.ndim, "unbind")
        return tuple(self[(slice(None),) * ax + (i,)] for i in range(self.shape[ax]))

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """``length`` elements from ``start`` along ``dim`` (a view, as PyTorch's)."""
        ax = ops.axes.normalize_axis(dim, self.ndim, "narrow")
        size = self.shape[ax]
        begin = start + size if start < 0 else start
        if not 0 <= begin <= size or length < 0 or begin + length > size:
            raise IndexError(
                f"narrow: start {start} and length {length} do not fit axis {dim} of size {size}"
            )
        return self[(slice(None),) * ax + (slice(begin, begin + length),)]

    def tril(self, diagonal: int = 0) -> Tensor:
        """Zero the elements above the ``diagonal``-th diagonal (the last two axes)."""
        return ops.shapes.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        """Zero the elements below the ``diagonal``-th diagonal (the last two axes)."""
        return ops.shapes.triu(self, diagonal)

    def movedim(self, source: Any, destination: Any) -> Tensor:
        """Move axes ``source`` to positions ``destination``."""
        return ops.shapes.movedim(self, source, destination)

    def t(self) -> Tensor:
        """The transpose of a matrix (a 0-d or 1-D tensor is returned as it is, as PyTorch)."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with at most 2 axes, got shape {self.shape}")
        return self if self.ndim < 2 else self.transpose(0, 1)

    # ------------------------------------------------------------------ gathering
    def gather(self, dim: int, index: Any) -> Tensor:
        """``out[i][j] = self[i][index[i][j]]`` along ``dim`` (torch.gather)."""
        return ops.indexing.gather(self, dim, index)

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The entries at ``index`` (1-D integers) along ``dim``."""
        return ops.indexing.index_select(self, dim, index)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """A copy with ``value`` where ``mask`` (bool, broadcastable) is True."""
        return ops.indexing.masked_fill(self, mask, value)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """``masked_fill`` in place (the rules of every in-place op apply)."""
        where = np.broadcast_to(np.asarray(mask), self.shape)

        def direct() -> None:
            np.copyto(self._data, np.asarray(value, dtype=self._data.dtype), where=where)

        def compute(base: Tensor) -> Tensor:
            return ops.indexing.masked_fill(base, mask, value)

        return self._in_place("masked_fill_", (value,), compute, direct)

    # ------------------------------------------------------------------ elementwise
    def sin(self) -> Tensor:
        """Sine elementwise."""
        return ops.elementwise.sin(self)

    def cos(self) -> Tensor:
        """Cosine elementwise."""
        return ops.elementwise.cos(self)

    def log2(self) -> Tensor:
        """Base-2 logarithm elementwise (ln x / ln 2)."""
        return self.log() * (1.0 / math.log(2.0))

    def log10(self) -> Tensor:
        """Base-10 logarithm elementwise (ln x / ln 10)."""
        return self.log() * (1.0 / math.log(10.0))

    def exp2(self) -> Tensor:
        """2ˣ elementwise."""
        return 2.0**self

    def tan(self) -> Tensor:
        """Tangent elementwise (sin / cos)."""
        return self.sin() / self.cos()

    def log1p(self) -> Tensor:
        """log(1 + x), accurate for small x."""
        return ops.elementwise.log1p(self)

    def expm1(self) -> Tensor:
        """eˣ - 1, accurate for small x."""
        return ops.elementwise.expm1(self)

    def square(self) -> Tensor:
        """x² elementwise."""
        return ops.elementwise.square(self)

    def reciprocal(self) -> Tensor:
        """1/x elementwise."""
        return ops.elementwise.reciprocal(self)

    def rsqrt(self) -> Tensor:
        """1/√x elementwise."""
        return ops.elementwise.rsqrt(self)

    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of each element (zero gradient, as PyTorch)."""
        return ops.elementwise.sign(self)

    def floor(self) -> Tensor:
        """Round down (zero gradient, as PyTorch)."""
        return ops.elementwise.floor(self)

    def ceil(self) -> Tensor:
        """Round up (zero gradient, as PyTorch)."""
        return ops.elementwise.ceil(self)

    def round(self, decimals: int = 0) -> Tensor:
        """Round half to even, as PyTorch and NumPy (zero gradient)."""
        return ops.elementwise.round(self, decimals)

    def trunc(self) -> Tensor:
        """Round toward zero (zero gradient, as PyTorch)."""
        return ops.elementwise.trunc(self)

    def isnan(self) -> Tensor:
        """True where an element is NaN."""
        return ops.elementwise.isnan(self)

    def isinf(self) -> Tensor:
        """True where an element is ±inf."""
        return ops.elementwise.isinf(self)

    def isfinite(self) -> Tensor:
        """True where an element is neither NaN nor ±inf."""
        return ops.elementwise.isfinite(self)

    def logical_and(self, other: Any) -> Tensor:
        """Elementwise AND of the truth values."""
        return ops.elementwise.logical_and(self, other)

    def logical_or(self, other: Any) -> Tensor:
        """Elementwise OR of the truth values."""
        return ops.elementwise.logical_or(self, other)

    def logical_not(self) -> Tensor:
        """Elementwise NOT of the truth values."""
        return ops.elementwise.logical_not(self)

    # ------------------------------------------------------------------ named arithmetic
    def add(self, other: Any, alpha: Any = 1) -> Tensor:
        """self + alpha·other."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, alpha: Any = 1) -> Tensor:
        """self - alpha·other."""
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Tensor:
        """self · other, elementwise with broadcasting."""
        return self * other

    def div(self, other: Any) -> Tensor:
        """self / other, true division with broadcasting."""
        return self / other

    def pow(self, exponent: Any) -> Tensor:
        """self ** exponent."""
        return self**exponent

    def neg(self) -> Tensor:
        """-self."""
        return -self

    def matmul(self, other: Any) -> Tensor:
        """self @ other."""
        return self @ other

    def mm(self, mat2: Any) -> Tensor:
        """The matrix product of two 2-D tensors."""
        return ops.linalg.mm(self, mat2)

    def bmm(self, mat2: Any) -> Tensor:
        """The batched matrix product of (B, n, k) and (B, k, m) tensors."""
        return ops.linalg.bmm(self, mat2)

    def dot(self, other: Any) -> Tensor:
        """The inner product of two 1-D tensors."""
        return ops.linalg.dot(self, other)

    def outer(self, other: Any) -> Tensor:
        """The outer product of two 1-D tensors."""
        return ops.linalg.outer(self, other)

    def allclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
        """True when every element is within atol + rtol·|other| of ``other``."""
        return bool(np.allclose(np.asarray(self), np.asarray(other), rtol=rtol, atol=atol))

    def equal(self, other: Any) -> bool:
        """True when ``other`` has the same shape and elements."""
        return bool(np.array_equal(np.asarray(self), np.asarray(other)))

    # ------------------------------------------------------------------ %, // and bitwise operators
    def __mod__(self, other: Any) -> Tensor:
        return remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return remainder(other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return floor_divide(other, self)

    def __and__(self, other: Any) -> Tensor:
        return _bitwise("and", np.bitwise_and, self, other)

    __rand__ = __and__

    def __or__(self, other: Any) -> Tensor:
        return _bitwise("or", np.bitwise_or, self, other)

    __ror__ = __or__

    def __xor__(self, other: Any) -> Tensor:
        return _bitwise("xor", np.bitwise_xor, self, other)

    __rxor__ = __xor__

    def __invert__(self) -> Tensor:
        if self.dtype.kind not in "biu":
            raise TypeError(f"~: needs a bool or integer tensor, got {self.dtype}")
        return ops.record.record("invert", np.invert(self.numpy()), (), None)

    # ------------------------------------------------------------------ PyTorch odds and ends
    def nelement(self) -> int:
        """The number of elements (PyTorch's older name for ``numel``)."""
        return self.numel()

    def element_size(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    def type(self, dtype: Any = None) -> Any:
        """With a dtype: a copy in it (as ``to``); without: the type's name, as PyTorch's."""
        if dtype is None:
            names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}
            names |= {"int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte"}
            return f"chaingrad.{names.get(self.dtype.name, 'Bool')}Tensor"
        return self.to(dtype)

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """A new tensor from ``data``, with this tensor's dtype unless told."""
        from chaingrad.autograd.creation import tensor

        return tensor(
            data, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad
        )

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """Zeros of ``size``, with this tensor's dtype unless told."""
        return self._new(np.zeros, size, dtype, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """Ones of ``size``, with this tensor's dtype unless told."""
        return self._new(np.ones, size, dtype, requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """A tensor of ``size`` (zeros here), with this tensor's dtype unless told."""
        return self._new(np.zeros, size, dtype, requires_grad)

    def new_full(
        self, size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """``fill_value`` everywhere in ``size``, with this tensor's dtype unless told."""
        out = self._new(np.zeros, (size,), dtype, requires_grad)
        out.numpy().fill(fill_value)
        return out

    def _new(self, make: Any, size: tuple[Any, ...], dtype: Any, requires_grad: bool) -> Tensor:
        from chaingrad.autograd.dtypes import as_dtype
        from chaingrad.autograd.tensor import Tensor

        if len(size) == 1 and isinstance(size[0], tuple | list):
            size = tuple(size[0])
        kind = self.dtype if dtype is None else as_dtype(dtype)
        return Tensor(make(tuple(int(n) for n in size), dtype=kind), requires_grad=requires_grad)


def remainder(a: Any, b: Any) -> Tensor:
    """a % b with the divisor's sign (Python's and PyTorch's ``%``); ∂/∂a = 1, ∂/∂b = -⌊a/b⌋."""
    a, b, x, y = ops.elementwise.pair(a, b)
    try:
        out = np.remainder(x, y)
    except ValueError:
        raise ValueError(f"remainder: shapes {a.shape} and {b.shape} cannot be broadcast") from None
    # a % b = a - b⌊a/b⌋, and ⌊a/b⌋ is flat almost everywhere
    return ops.record.record(
        "remainder", out, (a, b), lambda g: (g, -g * np.floor_divide(x, y)), (a, b)
    )


def floor_divide(a: Any, b: Any) -> Tensor:
    """⌊a / b⌋ (PyTorch's ``//``); piecewise constant, so outside the graph."""
    a, b, x, y = ops.elementwise.pair(a, b)
    try:
        out = np.floor_divide(x, y)
    except ValueError:
        raise ValueError(
            f"floor_divide: shapes {a.shape} and {b.shape} cannot be broadcast"
        ) from None
    return ops.record.record("floor_divide", out, (), None)


def _bitwise(name: str, fn: Any, a: Any, b: Any) -> Tensor:
    """&, | and ^ on bool or integer tensors (masks): outside the graph."""
    a, b, x, y = ops.elementwise.pair(a, b)
    if x.dtype.kind not in "biu" or y.dtype.kind not in "biu":
        raise TypeError(f"{name}: needs bool or integer tensors, got {x.dtype} and {y.dtype}")
    try:
        return ops.record.record(name, fn(x, y), (), None)
    except ValueError:
        raise ValueError(f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast") from None

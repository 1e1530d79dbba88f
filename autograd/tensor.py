"""The NumPy-backed ``Tensor``: data, grad, and the graph node an op recorded.

A Tensor is thin: its methods call the ops in ``autograd/ops/``. Each op computes its result and
states its local gradient; ``ops/record.py`` decides whether a node is kept. The backward pass is
the same driver as ``Value``'s (``autograd.engine``); broadcasting is undone in one place,
``Tensor._vjp``, so every gradient has exactly its input's shape and dtype.

As in PyTorch, ``t.data`` and ``t.grad`` are Tensors: ``.data`` shares memory and records
nothing, ``.grad`` has ``t``'s shape and dtype. Inside the engine the ndarray lives in ``_data``
(no wrapper objects in the ops). ``t.numpy()`` and ``np.asarray(t)`` give that ndarray itself.

In-place ops (``add_``, ``+=``, ``t[i] = v``, ...) follow PyTorch: on a leaf that requires grad
only under ``no_grad``; on a tensor inside a graph they are recorded (the tensor becomes the
op's output) or refused with a clear error. Tensors sharing memory (``.data``, ``detach()``,
views) share a version counter; a node that saved an array for its backward checks the counter
when backward reaches it, so an in-place change after the use is an error, never a wrong grad.

dtypes as ``torch.tensor``: Python floats become float32 (the default), ints int64, bools bool;
an ndarray keeps its dtype; integer and bool data cannot require grad; float32 with float64
promotes as NumPy does. Higher-order gradients are not supported: local gradients are arrays.
"""

from __future__ import annotations

import builtins
import numbers
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from chaingrad.autograd import engine, grad_mode
from chaingrad.autograd.arguments import UNSET, alias, given
from chaingrad.autograd.devices import CPU, CPU_ONLY, device
from chaingrad.autograd.dtypes import as_dtype
from chaingrad.autograd.tensor_math import TensorMath

DEFAULT_DTYPE = np.dtype(np.float32)

Backward = Callable[[np.ndarray], Sequence["np.ndarray | None"]]

_UNSET = UNSET  # "argument not given", where None is a meaningful value
_alias, _given = alias, given
_VIEW_OPS = frozenset({"index", "reshape", "transpose", "permute", "expand"})


class _Version:
    """A counter of in-place changes, shared by every tensor that shares one storage."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class Size(tuple):
    """A shape, as ``torch.Size``: a tuple of ints (``t.size()``) with ``numel()``."""

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n


class Tensor(TensorMath):
    """An n-dimensional array that records the ops applied to it, for reverse-mode autodiff."""

    __slots__ = (
        "_data",
        "_grad",
        "_grad_owned",
        "requires_grad",
        "name",
        "_parents",
        "_backward",
        "_op",
        "_retain",
        "_version",
        "_saved",
        "_consumers",
        "__weakref__",
    )

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy interop: ``ndarray + Tensor`` (and -, *, /, **, @, comparisons) is the Tensor op,
        so it records; any other ufunc (``np.isfinite(t)``, ``np.abs(t.grad)``) is computed on
        the arrays and returns an ndarray, as NumPy does for a torch tensor."""
        op = _UFUNC_OPS.get(ufunc.__name__) if method == "__call__" and not kwargs else None
        if op is not None and len(inputs) == 2:
            return op(*inputs)
        arrays = tuple(x._data if isinstance(x, Tensor) else x for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(x._data if isinstance(x, Tensor) else x for x in kwargs["out"])
        return getattr(ufunc, method)(*arrays, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """NumPy interop: ``np.sum(t)``, ``np.concatenate([t, u])``, ``np.allclose(t, a)`` work on
        the arrays and return what NumPy returns (ndarrays), as for array-likes."""
        return func(*_arrays_in(args), **_arrays_in(kwargs))

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str = "",
    ) -> None:
        array = as_array(data, dtype)
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(
                f"Tensor: only floating-point tensors can require grad, got {array.dtype} "
                "data (pass dtype=chaingrad.float32, or use float values)"
            )
        self._init(array, bool(requires_grad), (), None, "")
        self.name = name

    # ------------------------------------------------------------------ construction helpers
    def _init(
        self,
        data: np.ndarray,
        requires_grad: bool,
        parents: tuple[Tensor, ...],
        backward: Backward | None,
        op: str,
    ) -> None:
        self._data = data
        self._grad: Tensor | None = None
        self._grad_owned = False
        self.requires_grad = requires_grad
        self.name = ""
        self._parents = parents
        self._backward = backward
        self._op = op
        self._retain = False
        self._version = _Version()
        self._saved: tuple[tuple[_Version, int, str], ...] = ()
        self._consumers: list[weakref.ref[Tensor]] | None = None  # nodes made from this one

    @classmethod
    def _node(
        cls, data: np.ndarray, parents: tuple[Tensor, ...], backward: Backward, op: str
    ) -> Tensor:
        """An op's output that is part of the graph: ``backward(g)`` gives one grad per parent."""
        out = cls.__new__(cls)
        out._init(data, True, parents, backward, op)
        return out

    @classmethod
    def _constant(cls, data: Any) -> Tensor:
        """An op's output when no graph is recorded (no_grad, or no input requires grad)."""
        if type(data) is not np.ndarray:
            data = np.asarray(data)  # a NumPy scalar becomes a 0-d array: a Tensor holds arrays
        out = cls.__new__(cls)
        out._init(data, False, (), None, "")
        return out

    def _alias_of(self) -> Tensor:
        """A tensor on the same storage and version counter, outside any graph."""
        out = Tensor._constant(self._data)
        out._version = self._version
        return out

    # ------------------------------------------------------------------ node protocol (engine)
    def _vjp(self, upstream: np.ndarray) -> list[np.ndarray | None]:
        """Chain rule at this node, then undo broadcasting: each grad gets its parent's shape."""
        for counter, expected, what in self._saved:
            if counter.value != expected:
                raise RuntimeError(
                    f"backward: {what} of {self._op} was modified by an in-place operation "
                    f"after it was used by {self._op} (it is at version "
                    f"{counter.value}, {self._op} saved version {expected}); use an out-of-place "
                    "op or clone() it first"
                )
        grads = list(self._backward(upstream))  # type: ignore[misc]
        for i, (parent, grad) in enumerate(zip(self._parents, grads)):
            if grad is None or not parent.requires_grad:
                grads[i] = None
                continue
            if type(grad) is not np.ndarray:
                grad = np.asarray(grad)
            shape = parent._data.shape
            if grad.shape != shape:
                grad = unbroadcast(grad, shape)
            if grad.dtype != parent._data.dtype:
                grad = grad.astype(parent._data.dtype)
            # two parents must never share one gradient array (a + a, or add's g for both)
            for earlier in grads[:i]:
                if earlier is grad:
                    grad = grad.copy()
                    break
            grads[i] = grad
        return grads

    def _accumulate(self, grad: np.ndarray) -> None:
        if not self.requires_grad:
            return
        if type(grad) is not np.ndarray:
            grad = np.asarray(grad)
        if grad.dtype != self._data.dtype:
            grad = grad.astype(self._data.dtype)
        current = self._grad
        if current is None:
            # own the array: it may be a read-only broadcast view or an upstream buffer
            if not (grad.flags.writeable and grad.base is None):
                grad = grad.copy()
            self._grad = Tensor._constant(grad)
            self._grad_owned = True
        elif self._grad_owned and current._data.flags.writeable:
            # leaf grads accumulate across backward calls, in place: a held p.grad sees it
            np.add(current._data, grad, out=current._data)
            current._version.value += 1
        else:  # a user-assigned grad is never written into (it may be their array)
            self._grad = Tensor._constant(current._data + grad)
            self._grad_owned = True

    def _keep(self, grad: np.ndarray) -> None:
        if self._retain:  # retained inner grads accumulate like leaf grads, as in PyTorch
            self._accumulate(grad)

    # ------------------------------------------------------------------ data and grad
    @property
    def data(self) -> Tensor:
        """The same storage as a Tensor that records nothing (``requires_grad=False``)."""
        return self._alias_of()

    @data.setter
    def data(self, value: Any) -> None:
        # PyTorch's escape hatch: the tensor takes new storage (any shape), nothing recorded
        array = value._data if isinstance(value, Tensor) else as_array(value)
        if array is self._data:
            return  # `p.data -= ...` assigns the same storage back
        if self.requires_grad and array.dtype.kind != "f":
            raise TypeError(
                f"data: a tensor that requires grad needs float data, got {array.dtype}"
            )
        self._data = array

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient: None, or a Tensor of this tensor's shape and dtype."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is None:
            self._grad = None
            return
        if isinstance(value, Tensor):
            if value._data.dtype != self._data.dtype:
                raise TypeError(
                    f"grad: assigned grad has dtype {value._data.dtype}, the tensor "
                    f"{self._data.dtype}"
                )
            grad = value
        else:
            grad = Tensor._constant(np.asarray(value).astype(self._data.dtype, copy=False))
        if grad._data.shape != self._data.shape:
            raise ValueError(
                f"grad: assigned grad has shape {grad._data.shape}, the tensor {self._data.shape}"
            )
        self._grad = grad
        self._grad_owned = False  # the caller may hold it: accumulate out of place

    # ------------------------------------------------------------------ autograd API
    def backward(
        self,
        grad: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
        *,
        gradient: Any = None,
    ) -> None:
        """Backpropagate from this tensor; ``grad`` defaults to 1 for a single-element tensor.

        ``grad`` (PyTorch: ``gradient``) may be a Tensor, an ndarray or a number broadcastable
        to this tensor's shape. The graph is never freed, so ``retain_graph`` is accepted and
        changes nothing; ``create_graph=True`` (higher-order gradients) and ``inputs=`` are not
        supported and say so.
        """
        if gradient is not None:
            if grad is not None:
                raise TypeError("backward: give grad or gradient=, not both (they are aliases)")
            grad = gradient
        if create_graph:
            raise NotImplementedError(
                "backward: create_graph=True asks for higher-order gradients, which chaingrad "
                "does not support (local gradients are recorded as arrays, not graphs)"
            )
        if inputs is not None:
            raise NotImplementedError(
                "backward: inputs= is not supported; every leaf that requires grad gets its grad"
            )
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad, so it has no graph (was it made "
                "under no_grad, or from tensors without requires_grad=True?)"
            )
        if grad is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward: the output has shape {self._data.shape}; pass grad= (an array "
                    "broadcastable to that shape) or reduce it to a scalar first, e.g. .sum()"
                )
            seed = np.ones_like(self._data)
        else:
            given = grad._data if isinstance(grad, Tensor) else np.asarray(grad)
            try:
                seed = np.array(np.broadcast_to(given, self._data.shape), dtype=self._data.dtype)
            except ValueError:
                raise ValueError(
                    f"backward: grad of shape {given.shape} cannot be broadcast to the "
                    f"output's shape {self._data.shape}"
                ) from None
        engine.backward(self, seed)

    def detach(self) -> Tensor:
        """The same data as a new leaf outside the graph (shares memory and version counter)."""
        return self._alias_of()

    def detach_(self) -> Tensor:
        """Make this tensor a leaf outside the graph, in place; returns it."""
        self._parents = ()
        self._backward = None
        self._op = ""
        self._saved = ()
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only, float dtypes only); returns the tensor."""
        requires_grad = bool(requires_grad)
        if self._parents and not requires_grad:
            raise RuntimeError(
                "requires_grad_: only a leaf can stop requiring grad; use detach() for this "
                f"output of {self._op}"
            )
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad_: only floating-point tensors can require grad, not "
                f"{self._data.dtype}"
            )
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep this inner tensor's gradient in ``.grad`` during backward (leaves always do)."""
        self._retain = True

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``.grad = None``)."""
        self._grad = None

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The tensors this one was computed from in the recorded graph (empty for a leaf)."""
        return self._parents

    @property
    def op(self) -> str:
        """The name of the op that made this tensor in the recorded graph ("" for a leaf)."""
        return self._op

    @property
    def is_leaf(self) -> bool:
        """True when no op made this tensor inside a recorded graph (PyTorch: every tensor that
        does not require grad is a leaf)."""
        return not self.requires_grad or not self._parents

    @property
    def grad_fn(self) -> Any:
        """The graph node that made this tensor, as PyTorch shows it (``name()``,
        ``next_functions``), or None for a leaf."""
        from chaingrad.autograd.grad_fn import grad_fn_of

        return grad_fn_of(self)

    def draw(self, path: str | None = None, format: str = "svg") -> Any:  # noqa: A002
        """Draw the graph: op nodes with output shapes, named leaves, grad norms after backward."""
        from chaingrad.autograd.draw import draw_tensor_graph

        return draw_tensor_graph(self, path=path, format=format)

    # ------------------------------------------------------------------ array-like
    @property
    def shape(self) -> tuple[int, ...]:
        """The data's shape (a tuple; ``size()`` gives it as a ``Size``)."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The data's dtype (a NumPy dtype: ``chaingrad.float32 == np.float32``)."""
        return self._data.dtype

    @property
    def device(self) -> device:
        """Always ``device("cpu")``."""
        return CPU

    @property
    def is_cuda(self) -> bool:
        """Always False."""
        return False

    def size(self, dim: int | None = None) -> Any:
        """The shape as a ``Size`` (a tuple), or the length of axis ``dim`` (PyTorch's method;
        NumPy's element count is ``numel()``)."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[normalize_axis(dim, self._data.ndim, "size")]

    def numel(self) -> int:
        """The number of elements."""
        return self._data.size

    def dim(self) -> int:
        """The number of axes (``ndim``)."""
        return self._data.ndim

    def numpy(self) -> np.ndarray:
        """The ndarray itself (shares memory, also when the tensor requires grad)."""
        return self._data

    def tolist(self) -> Any:
        """The data as nested Python lists (a number for a 0-d tensor)."""
        return self._data.tolist()

    def item(self) -> Any:
        """The value of a single-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item: needs a single-element tensor, got shape {self._data.shape}")
        return self._data.item()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is None and not copy:
            return self._data
        return np.array(self._data, dtype=dtype, copy=True if copy else None)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(len(self._data)):
            yield self[i]

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor of shape {self._data.shape} is ambiguous; "
                "use .any() or .all() on .numpy(), or reduce it first"
            )
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        # only 0-d: NumPy would otherwise read a 1-element index array as a scalar index
        if self._data.dtype.kind not in "iu" or self._data.ndim != 0:
            raise TypeError(
                "only 0-d integer tensors can be used as an index, got "
                f"{self._data.dtype} of shape {self._data.shape}"
            )
        return int(self._data.item())

    def __format__(self, spec: str) -> str:
        if spec and self._data.size == 1:
            return format(self._data.item(), spec)  # f"{loss:.4f}" works, as in PyTorch
        return format(repr(self), spec)

    __hash__ = object.__hash__  # == is elementwise, identity still hashes

    def __repr__(self) -> str:
        data = self._data
        body = np.array2string(data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if data.dtype not in (DEFAULT_DTYPE, np.dtype(np.int64), np.dtype(bool)):
            extras.append(f"dtype=chaingrad.{data.dtype}")
        if data.size == 0:
            extras.append(f"size={tuple(data.shape)}")
        if self._op:
            extras.append(f"grad_fn=<{self._op}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    # ------------------------------------------------------------------ dtype and device
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to("cpu")``, ``to(device, dtype)``, ``to(other)`` (its dtype) or
        ``to(dtype=..., device=...)``; returns ``self`` when nothing changes, as PyTorch."""
        dtype = kwargs.pop("dtype", None)
        target = kwargs.pop("device", None)
        copy = bool(kwargs.pop("copy", False))
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to: unexpected keyword argument(s) {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg._data.dtype
            elif isinstance(arg, device) or (
                isinstance(arg, str) and arg.split(":", 1)[0] in _DEVICE_NAMES
            ):
                target = arg
            else:
                dtype = arg
        if target is not None:
            device(target)  # raises "chaingrad runs on the CPU only" for anything but the CPU
        if dtype is None:
            return self.clone() if copy else self
        dtype = as_dtype(dtype)
        if dtype == self._data.dtype and not copy:
            return self
        return elementwise.cast(self, dtype)

    def cpu(self) -> Tensor:
        """This tensor (it is already on the CPU)."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Always an error: chaingrad runs on the CPU only."""
        raise RuntimeError(f"cuda: {CPU_ONLY}")

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor in ``other``'s dtype."""
        return self.to(other._data.dtype)

    def float(self) -> Tensor:
        """As float32."""
        return self.to(np.float32)

    def double(self) -> Tensor:
        """As float64."""
        return self.to(np.float64)

    def half(self) -> Tensor:
        """As float16."""
        return self.to(np.float16)

    def long(self) -> Tensor:
        """As int64 (outside the graph: integers carry no gradient)."""
        return self.to(np.int64)

    def int(self) -> Tensor:
        """As int32 (outside the graph)."""
        return self.to(np.int32)

    def bool(self) -> Tensor:
        """As bool (outside the graph)."""
        return self.to(np.bool_)

    def clone(self) -> Tensor:
        """A copy with its own memory; differentiable (the gradient passes through unchanged)."""
        return elementwise.clone(self)

    def contiguous(self) -> Tensor:
        """This tensor when its memory is C-contiguous, else a contiguous differentiable copy."""
        return self if self._data.flags.c_contiguous else elementwise.clone(self)

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
        return reductions.sum(
            self,
            _alias("sum", ("dim", "axis"), (dim, axis), None),
            _alias("sum", ("keepdim", "keepdims"), (keepdim, keepdims), False),
        )

    def mean(
        self,
        dim: Any = _UNSET,
        keepdim: Any = _UNSET,
        *,
        axis: Any = _UNSET,
        keepdims: Any = _UNSET,
    ) -> Tensor:
        """Mean over ``dim``/``axis``."""
        return reductions.mean(
            self,
            _alias("mean", ("dim", "axis"), (dim, axis), None),
            _alias("mean", ("keepdim", "keepdims"), (keepdim, keepdims), False),
        )

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
        return reductions.max(
            self,
            _alias("amax", ("dim", "axis"), (dim, axis), None),
            _alias("amax", ("keepdim", "keepdims"), (keepdim, keepdims), False),
        )

    def amin(
        self,
        dim: Any = _UNSET,
        keepdim: Any = _UNSET,
        *,
        axis: Any = _UNSET,
        keepdims: Any = _UNSET,
    ) -> Tensor:
        """Minimum over ``dim`` (values only); tied minima share the gradient evenly."""
        return reductions.min(
            self,
            _alias("amin", ("dim", "axis"), (dim, axis), None),
            _alias("amin", ("keepdim", "keepdims"), (keepdim, keepdims), False),
        )

    def argmax(
        self,
        dim: Any = _UNSET,
        keepdim: Any = _UNSET,
        *,
        axis: Any = _UNSET,
        keepdims: Any = _UNSET,
    ) -> Tensor:
        """Index of the maximum (of the flattened tensor when no dim); not differentiable."""
        return reductions.argmax(
            self,
            _alias("argmax", ("dim", "axis"), (dim, axis), None),
            _alias("argmax", ("keepdim", "keepdims"), (keepdim, keepdims), False),
        )

    def logsumexp(
        self,
        dim: Any = _UNSET,
        keepdim: Any = _UNSET,
        *,
        axis: Any = _UNSET,
        keepdims: Any = _UNSET,
    ) -> Tensor:
        """log Σ exp(x) over ``dim``/``axis``, stable for large inputs."""
        return softmax.logsumexp(
            self,
            _alias("logsumexp", ("dim", "axis"), (dim, axis), None),
            _alias("logsumexp", ("keepdim", "keepdims"), (keepdim, keepdims), False),
        )

    def softmax(self, dim: Any = _UNSET, *, axis: Any = _UNSET) -> Tensor:
        """exp(x) / Σ exp(x) along ``dim``/``axis`` (default -1), stable for large inputs."""
        return softmax.softmax(self, _alias("softmax", ("dim", "axis"), (dim, axis), -1))

    def log_softmax(self, dim: Any = _UNSET, *, axis: Any = _UNSET) -> Tensor:
        """x - logsumexp(x) along ``dim``/``axis`` (default -1), stable for large inputs."""
        return softmax.log_softmax(self, _alias("log_softmax", ("dim", "axis"), (dim, axis), -1))

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
        base._saved, base._retain = self._saved, self._retain
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


def _ufunc_ops() -> dict[str, Any]:
    return {
        "add": elementwise.add,
        "subtract": elementwise.sub,
        "multiply": elementwise.mul,
        "true_divide": elementwise.div,
        "divide": elementwise.div,
        "power": elementwise.pow,
        "matmul": linalg.matmul,
        "maximum": elementwise.maximum,
        "minimum": elementwise.minimum,
        "less": lambda a, b: elementwise.compare(np.less, a, b),
        "less_equal": lambda a, b: elementwise.compare(np.less_equal, a, b),
        "greater": lambda a, b: elementwise.compare(np.greater, a, b),
        "greater_equal": lambda a, b: elementwise.compare(np.greater_equal, a, b),
        "equal": lambda a, b: elementwise.compare(np.equal, a, b),
        "not_equal": lambda a, b: elementwise.compare(np.not_equal, a, b),
    }


def _take_over_uses(parents: tuple[Tensor, ...], old: Tensor, new: Tensor) -> None:
    """In each parent's list of consumers, ``new`` replaces ``old`` (an in-place op moved a node
    from one tensor object to another)."""
    for q in parents:
        if q._consumers:
            q._consumers = [weakref.ref(new) if r() is old else r for r in q._consumers]


def _arrays_in(obj: Any) -> Any:
    """``obj`` with every Tensor inside (nested lists, tuples and dicts) replaced by its array."""
    if isinstance(obj, Tensor):
        return obj._data
    if isinstance(obj, list | tuple):
        return type(obj)(_arrays_in(x) for x in obj)
    if isinstance(obj, dict):
        return {k: _arrays_in(v) for k, v in obj.items()}
    return obj


def _operand_like(x: Any) -> bool:
    return isinstance(x, Tensor | numbers.Number | np.ndarray | np.generic | list | tuple)


_DEVICE_NAMES = frozenset({"cpu", "cuda", "mps", "xpu", "meta"})


def _python_dtype(array: np.ndarray) -> np.dtype:
    """The dtype PyTorch gives Python data: float32 for floats, int64 for ints, bool for bools."""
    kind = array.dtype.kind
    if kind == "f":
        return DEFAULT_DTYPE
    if kind in "iu":
        return np.dtype(np.int64)
    if kind == "b":
        return np.dtype(bool)
    raise TypeError(f"Tensor: data must be numeric (got {array.dtype} data)")


def _unwrap(data: Any) -> tuple[Any, bool]:
    """Lists/tuples with Tensors inside, as arrays; and whether any Tensor or ndarray was seen."""
    if isinstance(data, Tensor):
        return data._data, True
    if isinstance(data, np.ndarray | np.generic):
        return data, True
    if isinstance(data, list | tuple):
        seen = False
        items = []
        for item in data:
            value, inner = _unwrap(item)
            items.append(value)
            seen = seen or inner
        return items, seen
    return data, False


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """The ndarray a Tensor holds, as ``torch.tensor`` reads data: Python floats (and lists of
    them) become float32, ints int64, bools bool; an ndarray keeps its dtype."""
    if dtype is not None:
        dtype = as_dtype(dtype)
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, np.ndarray | np.generic):
        array = np.asarray(data if dtype is None else data.astype(dtype, copy=False))
    else:
        if isinstance(data, str | bytes) or (
            not isinstance(data, list | tuple | numbers.Number) and not hasattr(data, "__array__")
        ):
            raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__}")
        data, has_arrays = _unwrap(data)
        try:
            array = np.asarray(data, dtype=dtype)
        except ValueError:
            raise TypeError(
                "Tensor: data must be a rectangular nest of numbers (got ragged data)"
            ) from None
        if dtype is None and array.dtype != object and not has_arrays:
            array = array.astype(_python_dtype(array), copy=False)
        elif dtype is None and array.dtype.kind == "f" and not has_arrays:
            array = array.astype(DEFAULT_DTYPE)
    if array.dtype == object:
        raise TypeError("Tensor: data must be numeric (got ragged or object data)")
    return array


def as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """Any operand (Tensor, number, array, list) as a Tensor; a Python number follows ``like``.

    float32 * 2.0 stays float32 and int32 + 1 stays int32; otherwise Python ints become int64
    and floats the default float32.
    """
    if isinstance(x, Tensor):
        return x
    if not isinstance(x, numbers.Number) or isinstance(x, np.generic):
        return Tensor._constant(as_array(x))
    kind = like._data.dtype.kind if like is not None else ""
    if isinstance(x, builtins.bool):
        dtype = np.dtype(bool)
    elif kind == "f" or (kind in "iu" and kind and isinstance(x, builtins.int)):
        dtype = like._data.dtype  # type: ignore[union-attr]
    elif isinstance(x, builtins.int):
        dtype = np.dtype(np.int64)
    else:
        dtype = DEFAULT_DTYPE
    return Tensor._constant(np.asarray(x, dtype=dtype))


def recording(*tensors: Tensor) -> bool:
    """True when an op on these inputs must record a graph node (used by ``ops/record.py``)."""
    if not grad_mode._state.enabled:
        return False
    for t in tensors:
        if t.requires_grad:
            return True
    return False


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a gradient back to ``shape``: undo NumPy broadcasting (added and stretched axes)."""
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise RuntimeError(f"internal: a gradient of shape {grad.shape} does not fit {shape}")
    return grad


# the ops import Tensor from this module, so they are imported after it is defined
from chaingrad.autograd import random  # noqa: E402
from chaingrad.autograd.ops import elementwise, indexing, linalg, reductions, shapes, softmax  # noqa: E402
from chaingrad.autograd.ops.axes import normalize_axis  # noqa: E402

_UFUNC_OPS = _ufunc_ops()

"""The NumPy-backed ``Tensor``: data, grad, and the graph node an op recorded.

A Tensor is thin: its methods call the ops in ``autograd/ops/``. Each op computes its result and,
when a graph is being recorded, the node-local gradient its backward needs (``tanh`` keeps
1 - y², ``matmul`` its operands, ``softmax`` y). The backward pass is the same driver as
``Value``'s (``autograd.engine``); broadcasting is undone in one place, ``Tensor._vjp``, so every
gradient has exactly its input's shape and dtype.

dtypes: Python lists and numbers become float32 (the default); an ndarray keeps its dtype;
integer and bool data cannot require grad; float32 with float64 promotes as NumPy does.
Higher-order gradients are not supported: local gradients are arrays, not graphs.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from chaingrad.autograd import engine, grad_mode

DEFAULT_DTYPE = np.dtype(np.float32)

Backward = Callable[[np.ndarray], Sequence["np.ndarray | None"]]


class Tensor:
    """An n-dimensional array that records the ops applied to it, for reverse-mode autodiff."""

    __slots__ = ("data", "grad", "requires_grad", "name", "_parents", "_backward", "_op", "_retain")
    __array_ufunc__ = None  # `ndarray + Tensor` defers to Tensor.__radd__ instead of looping

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str = "",
    ) -> None:
        self.data = as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"Tensor: only floating-point tensors can require grad, got {self.data.dtype} "
                "data (pass dtype=np.float32, or use float values)"
            )
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._parents: tuple[Tensor, ...] = ()
        self._backward: Backward | None = None
        self._op = ""
        self._retain = False

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def _node(
        cls, data: np.ndarray, parents: tuple[Tensor, ...], backward: Backward, op: str
    ) -> Tensor:
        """An op's output that is part of the graph: ``backward(g)`` gives one grad per parent."""
        out = cls.__new__(cls)
        out.data = data
        out.grad = None
        out.requires_grad = True
        out.name = ""
        out._parents = parents
        out._backward = backward
        out._op = op
        out._retain = False
        return out

    @classmethod
    def _constant(cls, data: np.ndarray) -> Tensor:
        """An op's output when no graph is recorded (no_grad, or no input requires grad)."""
        out = cls.__new__(cls)
        out.data = data
        out.grad = None
        out.requires_grad = False
        out.name = ""
        out._parents = ()
        out._backward = None
        out._op = ""
        out._retain = False
        return out

    # ------------------------------------------------------------------ node protocol (engine)
    def _vjp(self, upstream: np.ndarray) -> list[np.ndarray | None]:
        """Chain rule at this node, then undo broadcasting: each grad gets its parent's shape."""
        grads = list(self._backward(upstream))  # type: ignore[misc]
        for i, (parent, grad) in enumerate(zip(self._parents, grads)):
            if grad is None or not parent.requires_grad:
                grads[i] = None
                continue
            if grad.shape != parent.data.shape:
                grad = unbroadcast(grad, parent.data.shape)
            if grad.dtype != parent.data.dtype:
                grad = grad.astype(parent.data.dtype)
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
        if self.grad is None:
            # own the array: it may be a read-only broadcast view or an upstream buffer
            self.grad = grad if grad.flags.writeable and grad.base is None else grad.copy()
        else:
            self.grad = self.grad + grad  # leaf grads accumulate across backward calls

    def _keep(self, grad: np.ndarray) -> None:
        if self._retain:  # retained inner grads accumulate like leaf grads, as in PyTorch
            self.grad = grad.copy() if self.grad is None else self.grad + grad

    # ------------------------------------------------------------------ autograd API
    def backward(self, grad: Any = None) -> None:
        """Backpropagate from this tensor; ``grad`` defaults to 1 for a single-element tensor."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad, so it has no graph (was it made "
                "under no_grad, or from tensors without requires_grad=True?)"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: the output has shape {self.data.shape}; pass grad= (an array "
                    "broadcastable to that shape) or reduce it to a scalar first, e.g. .sum()"
                )
            seed = np.ones_like(self.data)
        else:
            given = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
            try:
                seed = np.array(np.broadcast_to(given, self.data.shape), dtype=self.data.dtype)
            except ValueError:
                raise ValueError(
                    f"backward: grad of shape {given.shape} cannot be broadcast to the "
                    f"output's shape {self.data.shape}"
                ) from None
        engine.backward(self, seed)

    def detach(self) -> Tensor:
        """The same data as a new leaf outside the graph (shares memory, no grad)."""
        return Tensor._constant(self.data)

    def retain_grad(self) -> None:
        """Keep this inner tensor's gradient in ``.grad`` during backward (leaves always do)."""
        self._retain = True

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``.grad = None``)."""
        self.grad = None

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
        """True when no op made this tensor inside a recorded graph."""
        return not self._parents

    def draw(self, path: str | None = None, format: str = "svg") -> Any:  # noqa: A002
        """Draw the graph: op nodes with output shapes, named leaves, grad norms after backward."""
        from chaingrad.autograd.draw import draw_tensor_graph

        return draw_tensor_graph(self, path=path, format=format)

    # ------------------------------------------------------------------ array-like
    @property
    def shape(self) -> tuple[int, ...]:
        """The data's shape."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The data's NumPy dtype."""
        return self.data.dtype

    @property
    def size(self) -> int:
        """The number of elements."""
        return self.data.size

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shares memory)."""
        return self.data

    def item(self) -> Any:
        """The value of a single-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: needs a single-element tensor, got shape {self.data.shape}")
        return self.data.item()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is None and not copy:
            return self.data
        return np.array(self.data, dtype=dtype, copy=True if copy else None)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.data.shape} is ambiguous; "
                "use .any() on .numpy() or reduce it first"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    __hash__ = object.__hash__  # == is elementwise, identity still hashes

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", precision=4)
        extras = []
        if self.data.dtype != DEFAULT_DTYPE:
            extras.append(f"dtype={self.data.dtype}")
        if self._op:
            extras.append(f"op={self._op}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

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

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return elementwise.compare(np.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return elementwise.compare(np.not_equal, self, other)

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

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        """Limit values to [lo, hi]; the gradient passes where lo <= x <= hi."""
        return elementwise.clip(self, lo, hi)

    def maximum(self, other: Any) -> Tensor:
        """Elementwise maximum; a tie splits the gradient 0.5/0.5."""
        return elementwise.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        """Elementwise minimum; a tie splits the gradient 0.5/0.5."""
        return elementwise.minimum(self, other)

    def to(self, dtype: Any) -> Tensor:
        """A copy in another float dtype (the gradient is cast back)."""
        return elementwise.cast(self, dtype)

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (an int, a tuple, or None for all)."""
        return reductions.sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``."""
        return reductions.mean(self, axis, keepdims)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Variance over ``axis`` with ``ddof`` delta degrees of freedom (0: biased)."""
        return reductions.var(self, axis, keepdims, ddof)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; tied elements share the gradient evenly."""
        return reductions.max(self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Minimum over ``axis``; tied elements share the gradient evenly."""
        return reductions.min(self, axis, keepdims)

    def argmax(self, axis: int | None = None) -> Tensor:
        """Index of the maximum (flat when ``axis`` is None); not differentiable."""
        return reductions.argmax(self, axis)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """log Σ exp(x) over ``axis``, stable for large inputs."""
        return softmax.logsumexp(self, axis, keepdims)

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / Σ exp(x) along ``axis``, stable for large inputs."""
        return softmax.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - logsumexp(x) along ``axis``, stable for large inputs."""
        return softmax.log_softmax(self, axis)

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape (a tuple or ints; one may be -1)."""
        return shapes.reshape(self, *shape)

    def flatten(self, start_axis: int = 0, end_axis: int = -1) -> Tensor:
        """Merge axes start_axis..end_axis into one."""
        return shapes.flatten(self, start_axis, end_axis)

    def transpose(self, axis0: int, axis1: int) -> Tensor:
        """Swap two axes."""
        return shapes.transpose(self, axis0, axis1)

    def permute(self, *axes: Any) -> Tensor:
        """Reorder the axes (a tuple or ints)."""
        return shapes.permute(self, *axes)

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's and PyTorch's name
        """All axes reversed (the matrix transpose for 2-D)."""
        return shapes.permute(self, *reversed(range(self.data.ndim)))

    def squeeze(self, axis: Any = None) -> Tensor:
        """Drop size-1 axes (all, or those named; a named axis of another size is kept)."""
        return shapes.squeeze(self, axis)

    def unsqueeze(self, axis: int) -> Tensor:
        """Insert a size-1 axis at ``axis``."""
        return shapes.unsqueeze(self, axis)

    def pad(self, pad_width: Any) -> Tensor:
        """Zero-pad: ((before, after), ...) per axis, as ``numpy.pad``."""
        return shapes.pad(self, pad_width)

    def __getitem__(self, index: Any) -> Tensor:
        return indexing.getitem(self, index)


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """The ndarray a Tensor holds: lists and Python numbers become float32 unless told."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray | np.generic):
        array = data if dtype is None else data.astype(dtype, copy=False)
        array = np.asarray(array)
    else:
        if isinstance(data, str | bytes) or (
            not isinstance(data, list | tuple | numbers.Number) and not hasattr(data, "__array__")
        ):
            raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__}")
        array = np.asarray(data, dtype=DEFAULT_DTYPE if dtype is None else dtype)
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
    kind = like.data.dtype.kind if like is not None else ""
    if isinstance(x, bool):
        dtype = np.dtype(bool)
    elif kind == "f" or (kind in "iu" and kind and isinstance(x, int)):
        dtype = like.data.dtype  # type: ignore[union-attr]
    elif isinstance(x, int):
        dtype = np.dtype(np.int64)
    else:
        dtype = DEFAULT_DTYPE
    return Tensor._constant(np.asarray(x, dtype=dtype))


def recording(*tensors: Tensor) -> bool:
    """True when an op on these inputs must record a graph node."""
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
from chaingrad.autograd.ops import elementwise, indexing, linalg, reductions, shapes, softmax  # noqa: E402

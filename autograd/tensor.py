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

This module is the class itself: storage, construction, the node protocol the engine calls,
``.data``/``.grad``, ``backward`` and the graph properties. Its methods live by kind in mixins:
``tensor_interop`` (NumPy's and Python's protocols, shape, dtype/device conversions),
``tensor_arithmetic``, ``tensor_reductions``, ``tensor_shapes``, ``tensor_inplace`` and
``tensor_math`` (the long tail); ``tensor_data`` reads Python data into arrays (the dtypes).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from chaingrad.autograd import (
    engine,
    grad_mode,
    scopes,
    tensor_arithmetic,
    tensor_data,
    tensor_inplace,
    tensor_interop,
    tensor_reductions,
    tensor_shapes,
)
from chaingrad.autograd.scopes import Scope
from chaingrad.autograd.tensor_arithmetic import TensorArithmetic
from chaingrad.autograd.tensor_data import DEFAULT_DTYPE, as_array, as_tensor
from chaingrad.autograd.tensor_inplace import TensorInPlace, _Version
from chaingrad.autograd.tensor_interop import Size, TensorInterop
from chaingrad.autograd.tensor_math import TensorMath
from chaingrad.autograd.tensor_reductions import TensorReductions
from chaingrad.autograd.tensor_shapes import TensorShapes

Backward = Callable[..., Sequence["np.ndarray | None"]]  # (g), or (g, owned) under a promise

__all__ = ["DEFAULT_DTYPE", "Size", "Tensor", "as_array", "as_tensor", "recording", "unbroadcast"]


class Tensor(
    TensorInterop,
    TensorArithmetic,
    TensorReductions,
    TensorShapes,
    TensorInPlace,
    TensorMath,
):
    """An n-dimensional array that records the ops applied to it, for reverse-mode autodiff."""

    __slots__ = (
        "_data",
        "_grad",
        "_grad_owned",
        "requires_grad",
        "name",
        "_parents",
        "_backward",
        "_promise",
        "_op",
        "_retain",
        "_version",
        "_saved",
        "_consumers",
        "_scope",
        "__weakref__",
    )

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
        # (backward, reuse) when the op promised that this backward returns new arrays or
        # views of its upstream, and with reuse takes (upstream, owned): see ops/record.py
        self._promise: tuple[Backward, bool] | None = None
        self._op = op
        self._retain = False
        self._version = _Version()
        self._saved: tuple[tuple[_Version, int, str], ...] = ()
        self._consumers: list[weakref.ref[Tensor]] | None = None  # nodes made from this one
        # the module call in progress (autograd.scopes): draw(model=...) groups nodes by it
        self._scope: Scope | None = scopes._state.top

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
    def _vjp(
        self, upstream: np.ndarray, owned: bool = False
    ) -> tuple[list[np.ndarray | None], list[bool]]:
        """Chain rule at this node, then undo broadcasting: each grad gets its parent's shape.

        ``owned``: nothing but the engine refers to ``upstream``, so an op that promised it can
        (``reuse``) may write its result there. Returns the grads and, for each, whether the
        engine owns it: an array the op allocated for this parent alone (its promise), or a
        view of ``upstream`` when that was owned; a copy made here (a cast, undone
        broadcasting, a second parent given the same array) is always owned. A promise holds
        only for the backward it was made with (not for one swapped in later).
        """
        for counter, expected, what in self._saved:
            if counter.value != expected:
                raise RuntimeError(
                    f"backward: {what} of {self._op} was modified by an in-place operation "
                    f"after it was used by {self._op} (it is at version "
                    f"{counter.value}, {self._op} saved version {expected}); use an out-of-place "
                    "op or clone() it first"
                )
        promise = self._promise
        promised = promise is not None and promise[0] is self._backward
        if promised and promise[1]:  # type: ignore[index]
            grads = list(self._backward(upstream, owned))  # type: ignore[call-arg,misc]
        else:
            grads = list(self._backward(upstream))  # type: ignore[misc]
        mine = [False] * len(grads)
        passed_on = False  # upstream (or a view of it) already went to a parent
        for i, (parent, grad) in enumerate(zip(self._parents, grads)):
            if grad is None or not parent.requires_grad:
                grads[i] = None
                continue
            # the op's own new array, or upstream (or a view of it) when that was the engine's
            # and goes to this one parent only (may_share_memory errs towards "shares")
            fresh = promised
            if fresh and np.may_share_memory(grad, upstream):
                fresh, passed_on = owned and not passed_on, True
            if type(grad) is not np.ndarray:
                grad, fresh = np.asarray(grad), False
            shape = parent._data.shape
            if grad.shape != shape:
                grad, fresh = unbroadcast(grad, shape), True  # a sum: a new array
            if grad.dtype != parent._data.dtype:
                grad, fresh = grad.astype(parent._data.dtype), True
            # two parents must never share one gradient array (a + a, or add's g for both)
            for earlier in grads[:i]:
                if earlier is grad:
                    grad, fresh = grad.copy(), True
                    break
            grads[i] = grad
            mine[i] = fresh and type(grad) is np.ndarray and grad.flags.writeable
        return grads, mine

    def _accumulate(self, grad: np.ndarray, owned: bool = False) -> None:
        if not self.requires_grad:
            return
        if type(grad) is not np.ndarray:
            grad, owned = np.asarray(grad), False
        if grad.dtype != self._data.dtype:
            grad, owned = grad.astype(self._data.dtype), True
        current = self._grad
        if current is None:
            # adopt the array only when the engine owns it and it is a whole buffer; anything
            # else (a broadcast view, an upstream buffer another node holds) is copied
            if not (owned and grad.base is None and grad.flags.writeable):
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

    def _keep(self, grad: np.ndarray, owned: bool = False) -> bool:
        """Keep an inner node's gradient if ``retain_grad()`` asked; True if the array is
        now this node's ``.grad`` (the engine must not write into it any more)."""
        if not self._retain:
            return False
        before = self._grad
        self._accumulate(grad, owned)  # retained inner grads accumulate like leaf grads
        return before is None and self._grad is not None and self._grad._data is grad

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
        engine.backward(self, seed, owned=True)  # seed is a new array made here

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

    def draw(
        self,
        path: str | os.PathLike[str] | None = None,
        format: str | None = None,  # noqa: A002
        *,
        rankdir: str | None = None,
        size: Any = None,
        max_label: int | None = 40,
        step: int | None = None,
        model: Any = None,
        depth: int = 1,
    ) -> Any:
        """Draw the graph: op nodes with output shapes, named leaves, grad norms after backward.

        Each edge into an op carries the op's local-gradient rule for that input. The format is
        ``format``, else the path's suffix (.svg .png .pdf .dot), else SVG; ``rankdir`` "LR" or
        "TB" (default by the graph's shape), ``size`` a bound in inches, ``max_label``
        characters per label line, ``step=k`` the graph after the first k backward steps;
        ``model``: group the nodes by the module of ``model`` that produced them, nested
        ``depth`` levels (``autograd.draw_modules``), heat-coloured by gradient norm.
        Name a computed tensor after the op (``h = (W @ x).tanh(); h.name = "h1"``) and its op
        box reads "h1 = tanh"; an unrolled loop is laid out step by step in time order.
        """
        from chaingrad.autograd.draw import draw_tensor_graph

        options: dict[str, Any] = {}
        if model is not None:
            from chaingrad.autograd.draw_modules import group_by_module

            options = group_by_module(self, model, depth).arguments()
        return draw_tensor_graph(
            self,
            path,
            format,
            rankdir=rankdir,
            size=size,
            max_label=max_label,
            step=step,
            **options,
        )

    def backward_replay(self, **options: Any) -> Any:
        """The backward pass as frames: ``len()`` steps, ``[k]`` is ``draw(step=k)``.

        For a one-element output (seed 1, as ``backward()``). Shows as an animation in Jupyter;
        ``.save("x.html")`` or ``.save("x.gif")``. No ``.grad`` changes (a recorder, not a pass).
        """
        from chaingrad.autograd.draw import replay_tensor_graph

        return replay_tensor_graph(self, **options)

    def __repr__(self) -> str:
        data = self._data
        body = np.array2string(data, separator=", ", prefix="tensor(", **PRINT_OPTIONS)
        extras = []
        if data.dtype not in (DEFAULT_DTYPE, np.dtype(np.int64), np.dtype(bool)):
            extras.append(f"dtype=chaingrad.{data.dtype}")
        if data.size == 0:
            extras.append(f"size={tuple(data.shape)}")
        if self._op:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")  # as PyTorch prints it
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"


# What ``repr`` passes to np.array2string; ``chaingrad.set_printoptions`` changes it.
PRINT_OPTIONS: dict[str, Any] = {"precision": 4}


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


# the helpers and mixins call the ops, which import Tensor from this module: bind them now
for _module in (tensor_data, tensor_interop, tensor_arithmetic, tensor_reductions, tensor_shapes):
    _module.bind()
tensor_inplace.bind()

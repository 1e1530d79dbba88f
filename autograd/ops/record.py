"""The one place that decides whether an op's result joins the graph.

An op computes its forward result and states its local gradient; ``record`` decides, once for
every op, whether a node is kept: only when grad mode is on (per thread) and some input
requires grad. Otherwise the result is a plain tensor outside any graph and the op's backward
closure is never kept. ``record_elementwise`` does the same for ops whose backward multiplies
the upstream gradient by one local-gradient array per input: those arrays are given as
callables and computed only when a node is recorded.

An op also names the tensors whose arrays its backward reads (``saved``; ``OUT`` is the op's
own output). The node remembers their version counters, so an in-place change to one of them
before backward makes that backward raise instead of returning a wrong gradient.

Two promises let the engine spend less memory (see ``engine``'s ownership): ``fresh``, the
backward returns, for each parent, an array it allocated for that parent alone or its
upstream gradient (or a view of it), never an array kept elsewhere, so the engine may own the
result; ``reuse``, the backward is called as ``backward(g, owned)`` and, when ``owned``, may
compute its result in ``g`` itself (the last thing it does with ``g``); ``owned`` defaults to
False, so code that calls a node's backward with ``g`` alone gets the copying behaviour.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from chaingrad.autograd.tensor import Tensor, recording

Backward = Callable[..., Sequence["np.ndarray | None"]]  # (g) or, with reuse, (g, owned)
OUT: Any = object()  # in ``saved``: the op's own output
EVERYTHING: tuple[Any, ...] = (object(),)  # ``saved``: every input and the output (conservative)
ONE: Any = 1.0  # the identity local gradient (add, cast): the upstream gradient passes unchanged
Local = Callable[[], Any] | float | None  # None: that input needs no gradient


def record(
    op: str,
    out: Any,
    parents: tuple[Tensor, ...],
    backward: Backward | None,
    saved: tuple[Any, ...] = (),
    view: bool = False,
    fresh: bool = False,
    reuse: bool = False,
) -> Tensor:
    """``out`` as a graph node of ``op`` whose ``backward(g)`` gives one grad per parent.

    When nothing is recorded (no_grad, or no parent requires grad) ``out`` comes back as a
    constant tensor. A NumPy scalar becomes a 0-d array, so every tensor holds an ndarray.
    ``view``: the result may share memory with ``parents[0]``; if it does, they share a
    version counter (an in-place change to one is a change to the other). ``fresh`` and
    ``reuse`` (which implies ``fresh``) are the promises of the module docstring.
    """
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if backward is None or not recording(*parents):
        result = Tensor._constant(out)
    else:
        result = Tensor._node(out, parents, backward, op)
        if fresh or reuse:
            result._promise = (backward, reuse)
        ref = weakref.ref(result)
        for p in parents:  # an in-place change to p later must not reach this node's input
            consumers = p._consumers
            if consumers is None:
                p._consumers = [ref]
            else:
                consumers.append(ref)
                if len(consumers) & (len(consumers) - 1) == 0:  # at 2, 4, 8, ...: prune
                    _prune(p)
        if saved is EVERYTHING:
            saved = (*parents, OUT)
        if saved:
            result._saved = tuple(_snapshot(result, parents, t) for t in saved)
    if view and np.may_share_memory(out, parents[0]._data):
        result._version = parents[0]._version
    return result


def _prune(p: Tensor) -> None:
    """Drop the references to consumers that are gone: a weight used once per training step
    would otherwise keep one dead reference per step, forever. Run at every power of two, the
    pruning costs O(1) per recorded use however long the list grows."""
    p._consumers = [r for r in p._consumers or () if r() is not None]


def _snapshot(result: Tensor, parents: tuple[Tensor, ...], t: Any) -> tuple[Any, int, str]:
    if t is OUT:
        return (result._version, result._version.value, "the output")
    for i, p in enumerate(parents):
        if p is t:
            return (t._version, t._version.value, f"input {i}")
    return (t._version, t._version.value, "a saved tensor")


def record_elementwise(
    op: str, out: Any, parents: tuple[Tensor, ...], local: tuple[Local, ...]
) -> Tensor:
    """A node whose backward multiplies the upstream gradient by each input's local gradient.

    ``local`` has one entry per parent: ``ONE`` (pass the gradient through), a number, or a
    callable returning the local-gradient array; callables run only when a node is recorded
    and only for inputs that require grad.
    """
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if not recording(*parents):
        return Tensor._constant(out)
    factors: list[Any] = []
    saved: list[Any] = []
    for p, d in zip(parents, local):
        if d is None or not p.requires_grad:
            factors.append(None)
            continue
        if callable(d):
            d = d()
            # a local gradient that *is* an input's or the output's array is read in backward
            if d is out:
                saved.append(OUT)
            else:
                saved.extend(q for q in parents if d is q._data)
        factors.append(d)

    # g may be written into for the last input that needs a gradient, unless g itself was
    # already passed through to an earlier one (sub: g and -g)
    last = max((i for i, d in enumerate(factors) if d is not None), default=-1)
    passed = any(d is ONE for d in factors[:last])

    def backward(g: np.ndarray, owned: bool = False) -> list[np.ndarray | None]:
        grads: list[np.ndarray | None] = []
        for i, d in enumerate(factors):
            if d is None:
                grads.append(None)
            elif d is ONE:  # add's local gradient: pass the upstream gradient through
                grads.append(g)
            elif owned and i == last and not passed and _fits(g, d):
                grads.append(np.multiply(g, d, out=g))  # g's last use: the same product, in g
            else:
                grads.append(g * d)
        return grads

    return record(op, out, parents, backward, tuple(saved), reuse=True)


def _fits(g: np.ndarray, d: Any) -> bool:
    """True when ``g * d`` has ``g``'s shape and dtype, so it can be computed in ``g``."""
    return np.result_type(g, d) == g.dtype and np.broadcast_shapes(g.shape, np.shape(d)) == g.shape

"""The backward pass that Value and Tensor share: one algorithm, two data types.

Every node of a graph was made by an op in the forward pass, and at that moment the op
recorded the node's *local gradients* (how the node's output moves with each input). The
backward pass walks the graph from the output back to the leaves; at every node it multiplies
the upstream gradient by the local gradients and hands the products to the node's parents,
adding them up where a value was used more than once (a branch).

The node protocol, which ``Value`` and ``Tensor`` both implement:

``_parents``
    tuple of the nodes this node was computed from; empty for a leaf.
``_vjp(upstream, owned)``
    the vector-Jacobian step: ``(grads, owned_grads)``, one gradient per parent (``None``
    where a parent needs none) computed from the upstream gradient and the local gradients
    recorded in the forward pass, and for each whether the driver owns it (see below).
``_accumulate(grad, owned)``
    a leaf adds ``grad`` to its ``.grad``: leaf gradients accumulate across backward calls.
``_keep(grad, owned) -> bool``
    an inner node is handed its complete gradient; ``Value`` shows it as ``.grad`` (the
    picture a student draws), ``Tensor`` keeps it only when ``retain_grad()`` was asked for.
    True when the node now holds the array itself (so the driver no longer owns it).

The walk is iterative (no recursion limit: a chain of a million nodes is fine), and an inner
node's upstream gradient is dropped as soon as it has been passed on, so a long chain holds
only the gradients that are still in flight.

Ownership, so that a backward may write into its upstream gradient instead of allocating:
the driver *owns* a gradient array in flight when nothing but the driver refers to it (the
seed, or an array an op's backward allocated for this one parent) and nobody watches the
walk. Only then may a node's backward compute its input gradient in that buffer (ReLU masks
it in place), a leaf adopt it as its ``.grad`` without a copy, or a branch add the second
gradient into the first (``np.add(a, b, out=a)``). An array handed to a leaf's ``.grad``, a
retained gradient, an array passed to two parents, or anything an op cannot vouch for is not
owned, and is never written into. Ownership is never guessed from reference counts: it is a
flag the driver carries with each gradient, so every in-place write is provably the array's
last use, and the values are bit for bit those of the copying walk (the same float
operations on the same operands, only the destination differs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np


class Node(Protocol):
    """What the backward driver needs from a graph node (see the module docstring)."""

    _parents: tuple[Any, ...]

    def _vjp(self, upstream: Any, owned: bool) -> tuple[Any, Any]: ...

    def _accumulate(self, grad: Any, owned: bool) -> None: ...

    def _keep(self, grad: Any, owned: bool) -> bool: ...


Observer = Callable[[Any, Any, Any], None]  # (node, its gradient, its parents' gradients)

# False: no gradient is ever owned, so every walk allocates as a copy-everything engine would
# (the reference the buffer tests compare against, bit for bit, and a before/after switch)
reuse_buffers = True


def topological_order(root: Node) -> list[Node]:
    """Return every node reachable from ``root``, each after all of its parents.

    An explicit-stack depth-first search: each stack entry is a node and an iterator over its
    parents, so the walk never recurses and visits every node once.
    """
    order: list[Node] = []
    visited = {id(root)}
    stack = [(root, iter(root._parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if id(parent) not in visited:
                visited.add(id(parent))
                stack.append((parent, iter(parent._parents)))
                break
        else:  # every parent is placed: the node can follow them
            stack.pop()
            order.append(node)
    return order


def backward(root: Node, seed: Any, observe: Observer | None = None, owned: bool = False) -> None:
    """Propagate ``seed`` (the gradient of the final result w.r.t. ``root``) to every node.

    Nodes are taken in reverse topological order, so when a node is reached every consumer
    has already added its share and the node's gradient is complete. ``owned``: the caller
    made ``seed`` for this call and keeps no reference to it.

    ``observe`` (for the drawing's replay) is called once per step, ``observe(node, grad,
    parent_grads)``, *instead of* storing gradients in the nodes: the same walk runs and
    nothing in the graph changes (``parent_grads`` is ``()`` for a leaf). The observer may
    keep every array it is shown, so while it watches no gradient is owned and none is ever
    written into.
    """
    order = topological_order(root)
    pending = {id(root): seed}  # gradients in flight, keyed by node identity
    reuse = observe is None and reuse_buffers
    mine = {id(root)} if owned and reuse else set()  # keys of the gradients the driver owns
    for node in reversed(order):
        key = id(node)
        grad = pending.pop(key, None)  # released once passed on
        if grad is None:  # no path from the root carries a gradient here
            continue
        grad_owned = key in mine
        mine.discard(key)
        parents = node._parents
        if observe is not None:
            parent_grads = node._vjp(grad, False)[0] if parents else ()
            observe(node, grad, parent_grads)
            parents_owned: Any = (False,) * len(parent_grads)
        elif not parents:
            node._accumulate(grad, grad_owned)
            continue
        else:
            if node._keep(grad, grad_owned):
                grad_owned = False  # the node holds the array now (a retained grad)
            parent_grads, parents_owned = node._vjp(grad, grad_owned)
        del grad  # not referred to past this point: a buffer the node did not reuse can go
        for parent, parent_grad, parent_owned in zip(parents, parent_grads, parents_owned):
            if parent_grad is None:
                continue
            parent_owned = parent_owned and reuse
            key = id(parent)
            earlier = pending.get(key)
            if earlier is None:
                pending[key] = parent_grad
                if parent_owned:
                    mine.add(key)
            else:  # a branch: the parent feeds several consumers, their gradients add up
                pending[key] = _add(earlier, key in mine, parent_grad, parent_owned)
                if reuse and isinstance(pending[key], np.ndarray):
                    mine.add(key)  # written into an owned buffer, or a new array
        del parent_grads, parents_owned  # nothing of this step outlives it but ``pending``


def _add(earlier: Any, earlier_owned: bool, grad: Any, grad_owned: bool) -> Any:
    """``earlier + grad``, written into whichever of the two the driver owns (IEEE addition
    is commutative, so either order gives the same bits); a new array when neither is."""
    if type(earlier) is np.ndarray and type(grad) is np.ndarray:
        if earlier_owned and _fits(earlier, grad):
            return np.add(earlier, grad, out=earlier)
        if grad_owned and _fits(grad, earlier):
            return np.add(grad, earlier, out=grad)
    return earlier + grad


def _fits(out: np.ndarray, other: np.ndarray) -> bool:
    """True when ``out + other`` has ``out``'s shape and dtype (so it may be written there)."""
    return out.shape == other.shape and out.dtype == other.dtype

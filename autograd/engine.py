"""The backward pass that Value and Tensor share: one algorithm, two data types.

Every node of a graph was made by an op in the forward pass, and at that moment the op
recorded the node's *local gradients* (how the node's output moves with each input). The
backward pass walks the graph from the output back to the leaves; at every node it multiplies
the upstream gradient by the local gradients and hands the products to the node's parents,
adding them up where a value was used more than once (a branch).

The node protocol, which ``Value`` and ``Tensor`` both implement:

``_parents``
    tuple of the nodes this node was computed from; empty for a leaf.
``_vjp(upstream)``
    the vector-Jacobian step: one gradient per parent (``None`` where a parent needs none),
    computed from the upstream gradient and the local gradients recorded in the forward pass.
``_accumulate(grad)``
    a leaf adds ``grad`` to its ``.grad``: leaf gradients accumulate across backward calls.
``_keep(grad)``
    an inner node is handed its complete gradient; ``Value`` shows it as ``.grad`` (the
    picture a student draws), ``Tensor`` keeps it only when ``retain_grad()`` was asked for.

The walk is iterative (no recursion limit: a chain of a million nodes is fine), and an inner
node's upstream gradient is dropped as soon as it has been passed on, so a long chain holds
only the gradients that are still in flight.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Node(Protocol):
    """What the backward driver needs from a graph node (see the module docstring)."""

    _parents: tuple[Any, ...]

    def _vjp(self, upstream: Any) -> Any: ...

    def _accumulate(self, grad: Any) -> None: ...

    def _keep(self, grad: Any) -> None: ...


Observer = Callable[[Any, Any, Any], None]  # (node, its gradient, its parents' gradients)


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


def backward(root: Node, seed: Any, observe: Observer | None = None) -> None:
    """Propagate ``seed`` (the gradient of the final result w.r.t. ``root``) to every node.

    Nodes are taken in reverse topological order, so when a node is reached every consumer
    has already added its share and the node's gradient is complete.

    ``observe`` (for the drawing's replay) is called once per step, ``observe(node, grad,
    parent_grads)``, *instead of* storing gradients in the nodes: the same walk runs and
    nothing in the graph changes (``parent_grads`` is ``()`` for a leaf).
    """
    order = topological_order(root)
    pending = {id(root): seed}  # gradients in flight, keyed by node identity
    for node in reversed(order):
        grad = pending.pop(id(node), None)  # released once passed on
        if grad is None:  # no path from the root carries a gradient here
            continue
        parents = node._parents
        if not parents:
            if observe is None:
                node._accumulate(grad)
            else:
                observe(node, grad, ())
            continue
        if observe is None:
            node._keep(grad)
        parent_grads = node._vjp(grad)
        if observe is not None:
            observe(node, grad, parent_grads)
        for parent, parent_grad in zip(parents, parent_grads):
            if parent_grad is None:
                continue
            key = id(parent)
            earlier = pending.get(key)
            # a branch: the parent feeds several consumers, their gradients add up
            pending[key] = parent_grad if earlier is None else earlier + parent_grad

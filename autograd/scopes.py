"""Which module call is in progress: a per-thread stack that graph nodes are stamped with.

``nn.Module.__call__`` pushes a ``Scope`` before ``forward`` runs and pops it afterwards (in a
``finally``, so an exception leaves the stack as it found it); every new tensor is stamped
with the innermost scope when it is made (``Tensor._init``: graph nodes and the constants an
op returns alike, so a module whose result is a constant, a Flatten of the data, is seen too).
Drawing a graph by module (``draw_modules``) then reads the stamps: no hooks, and it works
after any ordinary forward pass.

The stack is a linked list (each scope points at the one it was pushed on), so a node's stamp
is its whole chain of module calls, innermost first. The engine knows nothing of ``nn``: a
scope holds its module as an opaque object. Like grad mode, the stack is per thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any


class Scope:
    """One call of a module in progress: the module, the call's positional arguments, and the
    call it happens inside (``None`` at the top)."""

    __slots__ = ("args", "module", "parent")

    def __init__(self, module: Any, args: tuple[Any, ...], parent: Scope | None) -> None:
        self.module = module
        self.args = args
        self.parent = parent

    def chain(self) -> Iterator[Scope]:
        """This scope and the calls around it, innermost first."""
        scope: Scope | None = self
        while scope is not None:
            yield scope
            scope = scope.parent

    def __repr__(self) -> str:
        path = " < ".join(type(s.module).__name__ for s in self.chain())
        return f"Scope({path})"


class _ThreadState(threading.local):
    """Each thread starts outside every module call; one thread's calls never stamp another's."""

    top: Scope | None = None


_state = _ThreadState()


def current() -> Scope | None:
    """The innermost module call in progress in this thread, or None outside every module."""
    return _state.top


def push(module: Any, args: tuple[Any, ...] = ()) -> Scope:
    """Enter a call of ``module``; return its scope (give it back to ``pop``)."""
    scope = Scope(module, args, _state.top)
    _state.top = scope
    return scope


def pop(scope: Scope) -> None:
    """Leave ``scope`` (and any scope left open inside it): the stack is as before ``push``."""
    _state.top = scope.parent

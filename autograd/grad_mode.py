"""Grad mode: a per-thread switch that decides whether ops record a graph (as in PyTorch)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])


class _ThreadState(threading.local):
    """Each thread starts with grad mode on; one thread's ``no_grad`` leaves the others alone."""

    enabled = True


_state = _ThreadState()


def is_grad_enabled() -> bool:
    """Return True when ops in this thread record the graph that backward needs."""
    return _state.enabled


def set_grad_enabled(mode: bool) -> None:
    """Switch recording on or off for this thread (``torch.set_grad_enabled``'s function form)."""
    _state.enabled = bool(mode)


class _GradMode:
    """Context manager (and decorator) that sets grad mode and restores it on exit."""

    _enabled: bool

    def __enter__(self) -> None:
        self._previous = _state.enabled
        _state.enabled = self._enabled

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._previous

    def __call__(self, fn: _F) -> _F:
        """Use as a decorator: run ``fn`` under this grad mode."""

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """``with no_grad():`` ops build no graph (inference, parameter updates)."""

    _enabled = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """``with enable_grad():`` re-enables graph recording inside ``no_grad``."""

    _enabled = True

"""Grad mode: a module-level switch that decides whether ops record a graph."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

_grad_enabled = True


def is_grad_enabled() -> bool:
    """Return True when ops record the graph that backward needs."""
    return _grad_enabled


class _GradMode:
    """Context manager (and decorator) that sets grad mode and restores it on exit."""

    _enabled: bool

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = self._enabled

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

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

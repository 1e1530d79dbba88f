"""Seconds numba spends compiling each function, from numba's compile events.

Compiles nest (a kernel's first call compiles its callees inside its own compile), and many
numba internals share a name (``impl``), so each start is matched with its own end on a stack:
matched by name, a nested compile of the same name took the outer one's start and left a
timestamp where a duration belonged (a table once read ``impl 209396.22 s``).
"""

from __future__ import annotations

import time
from typing import Any

from numba.core import event


class CompileTimer(event.Listener):
    """Per function name, the seconds of each of its compiles (callees included)."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}
        self._open: list[tuple[str, float]] = []

    def on_start(self, ev: Any) -> None:
        """A compile began: remember which function and when."""
        self._open.append((ev.data["dispatcher"].py_func.__name__, time.perf_counter()))

    def on_end(self, ev: Any) -> None:
        """The innermost open compile ended: record its duration."""
        name, start = self._open.pop()
        self.seconds.setdefault(name, []).append(time.perf_counter() - start)


def install() -> CompileTimer:
    """A timer listening to every numba compile from now on."""
    timer = CompileTimer()
    event.register("numba:compile", timer)
    return timer

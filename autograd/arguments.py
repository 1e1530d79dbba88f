"""Arguments spelled the PyTorch way or the NumPy way: ``dim``/``axis``, ``keepdim``/``keepdims``.

Methods take both spellings with ``UNSET`` defaults; ``alias`` picks the one given (a clear
error when both are) and falls back to the default.
"""

from __future__ import annotations

from typing import Any

UNSET: Any = object()  # "argument not given", where None is a meaningful value


def alias(op: str, names: tuple[str, str], values: tuple[Any, Any], default: Any) -> Any:
    """One argument spelled the PyTorch way or the NumPy way (``dim``/``axis``), never both."""
    first, second = values
    if first is not UNSET and second is not UNSET:
        raise TypeError(f"{op}: give {names[0]}= or {names[1]}=, not both (they are aliases)")
    if first is not UNSET:
        return first
    if second is not UNSET:
        return second
    return default


def given(*values: Any) -> bool:
    """True when any of ``values`` was passed (is not ``UNSET``)."""
    return any(v is not UNSET for v in values)

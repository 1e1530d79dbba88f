"""Exercises that answer back: ``check(name, yours, reference)`` for the course notebooks.

``check`` says whether a student's answer matches the reference and, when it does not, where the
first wrong element is. An exercise stub raises ``NotImplementedError``; pass a function (or a
lambda) as ``yours`` and ``check`` reports "not written yet" instead of stopping the notebook.
With the environment variable ``CHAINGRAD_STRICT_CHECKS=1`` (set by the tests that run the worked
solutions) a wrong or unwritten answer raises ``AssertionError`` instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["check"]


def _as_array(x: Any) -> np.ndarray:
    """A float ndarray from a number, list, ndarray, chaingrad Tensor or Value."""
    if hasattr(x, "numpy") and callable(x.numpy):
        x = x.numpy()
    elif hasattr(x, "data") and isinstance(getattr(x, "data", None), float | int):
        x = x.data  # a Value
    return np.asarray(x, dtype=np.float64)


def _position(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]" if index else "(the scalar)"


def _verdict(yours: np.ndarray, reference: np.ndarray, atol: float, rtol: float) -> str | None:
    """None when ``yours`` matches ``reference``; else one line saying what differs and where."""
    if yours.shape != reference.shape:
        return f"shape {yours.shape}, but the answer has shape {reference.shape}"
    bad = ~np.isclose(yours, reference, atol=atol, rtol=rtol, equal_nan=True)
    if not bad.any():
        return None
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    return (
        f"{int(bad.sum())} of {bad.size} elements differ; the first at {_position(first)}: "
        f"yours {yours[first]:.6g}, expected {reference[first]:.6g}"
    )


def check(
    name: str,
    yours: Any | Callable[[], Any],
    reference: Any,
    *,
    atol: float = 1e-6,
    rtol: float = 1e-5,
) -> bool:
    """Print whether ``yours`` equals ``reference`` (within atol/rtol) and return True if so.

    ``yours`` may be a number, list, ndarray, Tensor, Value, or a callable returning one; a
    callable that raises ``NotImplementedError`` counts as "not written yet".
    """
    strict = os.environ.get("CHAINGRAD_STRICT_CHECKS") == "1"
    if callable(yours) and not hasattr(yours, "shape"):
        try:
            yours = yours()
        except NotImplementedError:
            message = f"… {name}: not written yet (the stub raises NotImplementedError)"
            if strict:
                raise AssertionError(message) from None
            print(message)
            return False
    problem = _verdict(_as_array(yours), _as_array(reference), atol, rtol)
    if problem is None:
        print(f"✓ {name}: correct")
        return True
    message = f"✗ {name}: {problem}"
    if strict:
        raise AssertionError(message)
    print(message)
    return False

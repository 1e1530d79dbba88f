"""Exercises that answer back: ``check(name, yours, reference)`` for the course notebooks.

``check`` says whether a student's answer matches the reference and, when it does not, where the
first wrong element is. An exercise stub raises ``NotImplementedError``; pass a function (or a
lambda) as ``yours`` and ``check`` reports "not written yet" instead of stopping the notebook.
With the environment variable ``CHAINGRAD_STRICT_CHECKS=1`` (set by the tests that run the worked
solutions) a wrong or unwritten answer raises ``AssertionError`` instead.

``run_notebook(path)`` runs a notebook's code cells quietly in the current Jupyter kernel: a
solution notebook starts with it, so it holds only the solved exercises and their checks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["check", "run_notebook"]

STRICT = "CHAINGRAD_STRICT_CHECKS"
NOTEBOOKS_DIR = "CHAINGRAD_NOTEBOOKS"  # where run_notebook looks when a relative path is missing


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


def _is_scalar(x: Any) -> bool:
    """A plain number or a Value (which holds one)."""
    is_value = isinstance(getattr(x, "data", None), float | int) and not hasattr(x, "shape")
    return isinstance(x, int | float | np.number) or is_value


def _parts(reference: Any) -> list[tuple[str, Any]] | None:
    """The named parts of a reference compared one by one: a dict's items, or a tuple whose
    items are not all numbers (arrays of different shapes, say); None for one array."""
    if isinstance(reference, dict):
        return [(repr(key), value) for key, value in reference.items()]
    if isinstance(reference, tuple) and not all(_is_scalar(x) for x in reference):
        return [(f"item {i}", value) for i, value in enumerate(reference)]
    return None


def _compare(yours: Any, reference: Any, atol: float, rtol: float) -> str | None:
    """None when ``yours`` matches ``reference``; else one line saying what differs and where."""
    parts = _parts(reference)
    if parts is not None:
        if isinstance(reference, dict):
            if not isinstance(yours, dict):
                return f"yours is a {type(yours).__name__}, but the answer is a dict"
            missing = [key for key in reference if key not in yours]
            if missing:
                return f"yours has no entry {missing[0]!r} (expected keys {list(reference)})"
            mine = [yours[key] for key in reference]
        else:
            if not isinstance(yours, tuple | list) or len(yours) != len(reference):
                length = f" of {len(yours)}" if isinstance(yours, tuple | list) else ""
                return (
                    f"yours is a {type(yours).__name__}{length}, but the answer has "
                    f"{len(reference)} items"
                )
            mine = list(yours)
        for (name, expected), answer in zip(parts, mine):
            problem = _compare(answer, expected, atol, rtol)
            if problem is not None:
                return f"{name}: {problem}"
        return None
    if yours is None:
        return "yours is None (a missing return?)"
    try:
        mine_array = _as_array(yours)
    except (TypeError, ValueError):
        return f"yours is a {type(yours).__name__}, not a number or an array"
    return _verdict(mine_array, _as_array(reference), atol, rtol)


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
    callable that raises ``NotImplementedError`` counts as "not written yet". A reference that is
    a dict, or a tuple of arrays, is compared part by part and the first wrong part named.
    """
    strict = os.environ.get(STRICT) == "1"
    if callable(yours) and not hasattr(yours, "shape"):
        try:
            yours = yours()
        except NotImplementedError:
            message = f"… {name}: not written yet (the stub raises NotImplementedError)"
            if strict:
                raise AssertionError(message) from None
            print(message)
            return False
    problem = _compare(yours, reference, atol, rtol)
    if problem is None:
        print(f"✓ {name}: correct")
        return True
    message = f"✗ {name}: {problem}"
    if strict:
        raise AssertionError(message)
    print(message)
    return False


def _find_notebook(path: str | os.PathLike[str]) -> Path:
    """``path`` as given, else its file name in the folder ``$CHAINGRAD_NOTEBOOKS`` names."""
    found = Path(path)
    if not found.exists() and os.environ.get(NOTEBOOKS_DIR):
        found = Path(os.environ[NOTEBOOKS_DIR]) / found.name
    if not found.exists():
        raise FileNotFoundError(f"run_notebook: no notebook at {str(path)!r}")
    return found


def run_notebook(path: str | os.PathLike[str]) -> None:
    """Run the code cells of the notebook at ``path`` in this Jupyter kernel, hiding their output.

    Everything the notebook defines lands in the kernel's namespace, as with IPython's
    ``%run notebook.ipynb``, but nothing it prints or plots is shown, and its checks of unwritten
    stubs do not count as failures (strict checking is paused while it runs).
    """
    from IPython import get_ipython
    from IPython.utils.capture import capture_output

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("run_notebook: call it from a Jupyter notebook or IPython")
    found = _find_notebook(path)
    cells = json.loads(found.read_text(encoding="utf-8"))["cells"]
    strict = os.environ.pop(STRICT, None)
    try:
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            with capture_output(display=True):
                result = shell.run_cell(source, silent=True)
                _close_figures()
            if not result.success:
                error = result.error_in_exec or result.error_before_exec
                raise RuntimeError(
                    f"run_notebook: {found.name}, cell {index} failed: {type(error).__name__}: "
                    f"{error}"
                )
    finally:
        if strict is not None:
            os.environ[STRICT] = strict


def _close_figures() -> None:
    """Close the figures a hidden cell left open, so the calling cell does not show them."""
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")

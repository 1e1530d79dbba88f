"""Shape checks and the canonical layout for the recurrence kernels' Python wrappers.

The jitted step kernels see C-contiguous float32 or float64 arrays only (one compile per dtype);
these helpers bring the caller's arrays to that form or raise an error that names the function and
the expected and actual shapes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from chaingrad.kernels.checks import FLOAT_DTYPES, canonical, float_dtype

__all__ = ["canonical", "check_layer", "check_saved", "expect_shape", "float_dtype"]


def _show(shape: tuple) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def expect_shape(fn: str, name: str, a: np.ndarray | None, shape: tuple) -> None:
    """Raise a ValueError unless ``a`` has ``shape``; a str entry (``"T"``) matches any size."""
    if a is None:
        return
    actual = np.shape(a)
    ok = len(actual) == len(shape) and all(
        isinstance(want, str) or want == got for want, got in zip(shape, actual)
    )
    if not ok:
        raise ValueError(f"{fn}: {name} must have shape {_show(shape)}, got {_show(actual)}")


def check_layer(
    fn: str,
    gates: int,
    x: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
) -> tuple[int, int, int, int]:
    """Check x (T, B, I) against PyTorch's weight shapes; return (T, B, I, H)."""
    expect_shape(fn, "w_hh", w_hh, (f"{gates} * hidden_size", "hidden_size"))
    hidden = np.shape(w_hh)[1]
    expect_shape(fn, "w_hh", w_hh, (gates * hidden, hidden))
    expect_shape(fn, "w_ih", w_ih, (gates * hidden, "input_size"))
    n_in = np.shape(w_ih)[1]
    expect_shape(fn, "x", x, ("T", "B", n_in))
    steps, batch = np.shape(x)[:2]
    if steps < 1 or hidden < 1:  # a batch of 0 gives empty results, as in PyTorch
        raise ValueError(
            f"{fn}: need at least one time step and hidden unit (as PyTorch), "
            f"got x {_show(np.shape(x))} and hidden_size {hidden}"
        )
    expect_shape(fn, "b_ih", b_ih, (gates * hidden,))
    expect_shape(fn, "b_hh", b_hh, (gates * hidden,))
    return steps, batch, n_in, hidden


def check_saved(fn: str, saved: NamedTuple, shapes: dict[str, tuple]) -> np.dtype:
    """Check a forward's record field by field against ``shapes``; return its dtype.

    Every array must be a float32/float64 ndarray of exactly its shape, all of one dtype, and
    ``has_bias`` a pair of bools: the step kernels index these arrays without bounds checks.
    """
    dtype = None
    for name, shape in shapes.items():
        a = getattr(saved, name)
        if not isinstance(a, np.ndarray) or a.dtype not in FLOAT_DTYPES:
            kind = a.dtype if isinstance(a, np.ndarray) else type(a).__name__
            raise TypeError(f"{fn}: saved.{name} must be a float32 or float64 array, got {kind}")
        expect_shape(fn, f"saved.{name}", a, shape)
        if dtype is not None and a.dtype != dtype:
            raise TypeError(f"{fn}: saved.{name} is {a.dtype} but saved.h is {dtype}")
        dtype = a.dtype
    flags = saved.has_bias
    if not (
        isinstance(flags, tuple) and len(flags) == 2 and all(isinstance(f, bool) for f in flags)
    ):
        raise TypeError(f"{fn}: saved.has_bias must be a pair of bools, got {flags!r}")
    return dtype

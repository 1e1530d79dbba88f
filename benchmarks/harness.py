"""Timing side by side: interleaved repetitions, medians, min/max and the ratio to an anchor."""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

THREADS = 2


def set_threads(n: int = THREADS) -> None:
    """Give chaingrad (numba, BLAS) and PyTorch the same number of threads."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(n))
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass


@dataclass
class Timing:
    """Seconds per call of one side over the repetitions."""

    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def low(self) -> float:
        return min(self.times)

    @property
    def high(self) -> float:
        return max(self.times)


@dataclass
class Comparison:
    """One workload timed for chaingrad and its anchor."""

    name: str
    ours: Timing
    anchor: Timing | None
    anchor_name: str
    note: str = ""
    flops: float | None = None  # floating-point operations per call, for compute-bound work
    target: float | None = None  # the largest ratio the issues accept
    error: str = ""  # a result that disagreed with the anchor: reported, never timed

    @property
    def gflops(self) -> float | None:
        """chaingrad's GFLOP/s at its median time."""
        return (
            None
            if self.flops is None or not self.ours.times
            else self.flops / self.ours.median / 1e9
        )

    @property
    def met(self) -> bool | None:
        """Whether the ratio is within the target (None without both)."""
        ratio = self.ratio
        return None if ratio is None or self.target is None else ratio <= self.target

    @property
    def ratio(self) -> float | None:
        """chaingrad's median over the anchor's: below 1 means chaingrad is faster."""
        return None if self.anchor is None else self.ours.median / self.anchor.median


SETTLE = 0.15  # seconds: NumPy's BLAS threads spin ~0.1 s after a call, PyTorch's pool ~12 ms


def settled_times(
    fns: list[Callable[[], object]], repeats: int = 7, inner: int = 1, settle: float = SETTLE
) -> list[Timing]:
    """Time ``fns`` in rotation (A B, B A, ... for two): each block a garbage collection, a
    pause, one untimed call, then ``inner`` timed calls.

    On a 2-core machine one library's idle worker threads keep spinning after its call and
    slow whatever runs next; the pause lets them sleep, and the untimed call wakes this side's
    own threads and warms its caches, so each side is timed on its own terms. The collection
    comes first: run between the untimed and the timed calls (as it did until 2026-12-07) it
    let the threads fall asleep again and walked every Python object through the caches, and
    it cost PyTorch's conv2d more than ours (the many-channel row read 0.94x that way, 1.06-1.24x
    this way and 1.04-1.08x in back-to-back loops).
    """
    timings = [Timing() for _ in fns]
    for rep in range(repeats):
        for k in range(len(fns)):
            i = (rep + k) % len(fns)
            gc.collect()  # earlier blocks' garbage is not these timed calls' cost
            time.sleep(settle)
            fns[i]()
            start = time.perf_counter()
            for _ in range(inner):
                fns[i]()
            timings[i].times.append((time.perf_counter() - start) / inner)
    return timings


def compare(
    name: str,
    ours: Callable[[], object],
    anchor: Callable[[], object] | None,
    anchor_name: str,
    repeats: int = 7,
    warmup: int = 1,
    inner: int = 1,
    note: str = "",
    settle: float = SETTLE,
) -> Comparison:
    """Time ``ours`` and ``anchor`` in interleaved, settled blocks after ``warmup`` calls each."""
    fns = [ours] if anchor is None else [ours, anchor]
    for _ in range(warmup):
        for fn in fns:
            fn()
    timings = settled_times(fns, repeats, inner, settle)
    return Comparison(
        name, timings[0], timings[1] if anchor is not None else None, anchor_name, note
    )


def _seconds(t: float) -> str:
    if t >= 1.0:
        return f"{t:.3f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.2f} ms"
    return f"{t * 1e6:.1f} µs"


def table(results: list[Comparison]) -> str:
    """A plain-text table: medians with min–max, and the ratio chaingrad / anchor."""
    header = f"{'workload':44} {'chaingrad (min–max)':30} {'anchor (min–max)':36} {'ratio':>6}"
    lines = [header, "-" * len(header)]
    for r in results:
        ours = f"{_seconds(r.ours.median)} ({_seconds(r.ours.low)}–{_seconds(r.ours.high)})"
        if r.anchor is None:
            theirs, ratio = f"{r.anchor_name}: n/a", "—"
        else:
            theirs = (
                f"{r.anchor_name} {_seconds(r.anchor.median)} "
                f"({_seconds(r.anchor.low)}–{_seconds(r.anchor.high)})"
            )
            ratio = f"{r.ratio:.2f}"
        lines.append(f"{r.name:44} {ours:30} {theirs:36} {ratio:>6}")
        if r.note:
            lines.append(f"    {r.note}")
    return "\n".join(lines)

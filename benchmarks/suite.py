"""The whole benchmark suite: a registry of workloads, the run, and its reports.

Every workload runs chaingrad and its anchor (PyTorch or micrograd) side by side in this
process with the same thread count, interleaved, and checks they agree before timing.
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import platform
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.harness import THREADS, Comparison, Timing, set_threads


@dataclass
class Workload:
    """A named benchmark: ``run(quick)`` returns a Comparison; ``target`` is the accepted ratio."""

    name: str
    module: str
    function: str
    target: float | None
    kwargs: dict[str, Any]
    quick_kwargs: dict[str, Any]

    def run(self, quick: bool) -> Comparison:
        """Import and call the workload's function, recording its target."""
        fn = getattr(importlib.import_module(self.module), self.function)
        result = fn(**(self.quick_kwargs if quick else self.kwargs))
        result.target = self.target
        return result


def _w(
    name: str,
    module: str,
    function: str,
    target: float | None,
    quick: dict | None = None,
    **kwargs: Any,
) -> Workload:
    return Workload(name, module, function, target, kwargs, {**kwargs, **(quick or {})})


WORKLOADS: list[Workload] = [
    _w("scalar-mlp", "benchmarks.scalar", "mlp_step", 0.5, {"repeats": 3}),
    _w("scalar-chain", "benchmarks.scalar", "chain_backward", None, {"n": 200_000, "repeats": 1}),
    _w("small-ops", "benchmarks.tensor_ops", "small_op_overhead", 3.0, {"repeats": 3}),
    _w("mlp-128", "benchmarks.tensor_ops", "mlp_step", 1.3, {"repeats": 7}, batch=128),
    _w("mlp-1", "benchmarks.tensor_ops", "mlp_step", 3.0, {"repeats": 7}, batch=1),
    _w("conv2d-many-channels", "benchmarks.conv", "conv2d_many_channels", 0.85, {"repeats": 5}),
    _w("conv2d-few-channels", "benchmarks.conv", "conv2d_few_channels", 1.5, {"repeats": 5}),
    _w("conv2d-16-channels", "benchmarks.conv", "conv2d_sixteen_channels", 2.4, {"repeats": 5}),
    _w("conv2d-stride2", "benchmarks.conv", "conv2d_stride2", 1.0, {"repeats": 5}),
    _w("conv2d-5x5", "benchmarks.conv", "conv2d_5x5", 1.0, {"repeats": 5}),
    _w("max-pool", "benchmarks.conv", "max_pool2d_2x2", 1.5, {"repeats": 5}),
    _w(
        "conv-compile",
        "benchmarks.conv",
        "compile_cost",
        None,
        {"repeats": 1, "cold": False},
        cold=True,
    ),
    _w("lstm", "benchmarks.recurrent", "lstm", 1.0, {"repeats": 5}),
    _w("gru", "benchmarks.recurrent", "gru", 0.8, {"repeats": 5}),
    _w("rnn", "benchmarks.recurrent", "rnn", 0.7, {"repeats": 5}),
    _w("lenet-step", "benchmarks.models", "lenet_step", None, {"repeats": 7}),
    _w("tutorial-cnn-step", "benchmarks.models", "tutorial_cnn_step", 1.0, {"repeats": 7}),
    _w("char-lstm-step", "benchmarks.models", "char_lstm_step", 1.0, {"repeats": 5}),
    _w("cnn-epoch", "benchmarks.models", "cnn_epoch", 1.5, {"repeats": 3}),
    _w("cold-start-warm", "benchmarks.models", "cold_start", None, {"repeats": 2}, cache="warm"),
    _w("cold-start-cold", "benchmarks.models", "cold_start", None, {"repeats": 1}, cache="cold"),
    _w(
        "cold-start-until-numba",
        "benchmarks.models",
        "cold_start",
        None,
        {"repeats": 1},
        cache="cold",
        until="numba",
    ),
    _w("scaling-sweep", "benchmarks.sweep", "worst_point", None, {"tiny": True}),
]


def sgemm_gflops(n: int = 2048, repeats: int = 5) -> float:
    """NumPy's float32 n×n matrix product in GFLOP/s: this machine's practical compute limit."""
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for name in ("numba", "torch", "micrograd"):
        try:
            module = importlib.import_module(name)
            versions[name] = getattr(module, "__version__", "installed")
        except ImportError:
            versions[name] = "not installed"
    return versions


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _failed(workload: Workload, message: str) -> Comparison:
    """A result row for a workload that could not be timed."""
    return Comparison(workload.name, Timing(), None, "", error=message, target=workload.target)


def run(
    only: list[str] | None = None, quick: bool = False, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Run the selected workloads; returns the machine description and every result."""
    set_threads()
    chosen = [w for w in WORKLOADS if not only or any(w.name.startswith(o) for o in only)]
    if only and not chosen:
        raise ValueError(f"no workload matches {only}; choose from {[w.name for w in WORKLOADS]}")
    results: list[Comparison] = []
    for workload in chosen:
        log(f"running {workload.name} ...")
        try:
            results.append(workload.run(quick))
        except AssertionError as error:  # disagreement with the anchor: report, do not time
            lines = str(error).strip().splitlines()
            results.append(
                _failed(workload, f"wrong result: {lines[0] if lines else 'results differ'}")
            )
        except Exception as error:  # one broken workload must not hide the rest
            results.append(_failed(workload, f"failed: {error!r}"))
            log(traceback.format_exc())
    return {
        "date": datetime.date.today().isoformat(),
        "machine": f"{_cpu()}, {os.cpu_count()} cores, {platform.system()}",
        "threads": THREADS,
        "versions": _versions(),
        "sgemm_gflops": sgemm_gflops(repeats=3 if quick else 5),
        "quick": quick,
        "results": results,
    }


def _fmt_seconds(t: float) -> str:
    if t >= 1.0:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.2f} ms"
    return f"{t * 1e6:.1f} µs"


def rows(report: dict[str, Any]) -> list[dict[str, str]]:
    """One row of strings per result, shared by the text and markdown tables."""
    out = []
    for r in report["results"]:
        if r.error:
            out.append(
                {
                    "workload": r.name,
                    "chaingrad": "—",
                    "anchor": "—",
                    "ratio": "—",
                    "target": _target(r),
                    "GFLOP/s": "",
                    "status": r.error,
                }
            )
            continue
        spread = f"{_fmt_seconds(r.ours.low)}–{_fmt_seconds(r.ours.high)}"
        ours = f"{_fmt_seconds(r.ours.median)} ({spread})"
        anchor = (
            f"{r.anchor_name} {_fmt_seconds(r.anchor.median)}"
            if r.anchor
            else f"{r.anchor_name or 'none'}"
        )
        met = r.met
        status = "" if met is None else ("met" if met else "missed")
        if r.note:
            status = f"{status}; {r.note}" if status else r.note
        out.append(
            {
                "workload": r.name,
                "chaingrad": ours,
                "anchor": anchor,
                "ratio": f"{r.ratio:.2f}" if r.ratio is not None else "—",
                "target": _target(r),
                "GFLOP/s": f"{r.gflops:.1f}" if r.gflops is not None else "",
                "status": status,
            }
        )
    return out


def _target(r: Comparison) -> str:
    return f"≤ {r.target:g}" if r.target is not None else ""


def _header(report: dict[str, Any]) -> list[str]:
    versions = ", ".join(f"{k} {v}" for k, v in report["versions"].items())
    return [
        f"{report['date']} · {report['machine']} · {report['threads']} threads each · {versions}",
        f"NumPy float32 2048² matmul: {report['sgemm_gflops']:.0f} GFLOP/s "
        "(the machine's practical limit)",
    ]


def text_table(report: dict[str, Any]) -> str:
    """The report as aligned plain text."""
    table = rows(report)
    columns = list(table[0]) if table else []
    widths = {c: max(len(c), *(len(row[c]) for row in table)) for c in columns}
    lines = [*_header(report), "", "  ".join(c.ljust(widths[c]) for c in columns)]
    lines.append("  ".join("-" * widths[c] for c in columns))
    lines += ["  ".join(row[c].ljust(widths[c]) for c in columns) for row in table]
    lines.append("ratio = chaingrad's median / the anchor's (below 1: chaingrad is faster)")
    return "\n".join(lines)


def markdown_table(report: dict[str, Any]) -> str:
    """The report as a Markdown table with the machine and versions above it."""
    table = rows(report)
    columns = list(table[0]) if table else []
    lines = [f"_{line}_  " for line in _header(report)] + [""]
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "|".join("---" for _ in columns) + "|")
    lines += ["| " + " | ".join(row[c] for c in columns) + " |" for row in table]
    lines += ["", "Ratio = chaingrad's median time / the anchor's; below 1 chaingrad is faster."]
    return "\n".join(lines)


def to_json(report: dict[str, Any]) -> str:
    """The report as JSON, with every repetition's time."""

    def result(r: Comparison) -> dict[str, Any]:
        return {
            "name": r.name,
            "anchor": r.anchor_name,
            "ours_seconds": r.ours.times,
            "anchor_seconds": r.anchor.times if r.anchor else None,
            "ratio": r.ratio,
            "target": r.target,
            "met": r.met,
            "gflops": r.gflops,
            "note": r.note,
            "error": r.error,
        }

    return json.dumps({**report, "results": [result(r) for r in report["results"]]}, indent=2)


START_MARKER = "<!-- benchmarks:start -->"
END_MARKER = "<!-- benchmarks:end -->"


def replace_between_markers(text: str, table: str) -> str:
    """``text`` with whatever stands between the benchmark markers replaced by ``table``."""
    if START_MARKER not in text or END_MARKER not in text:
        raise ValueError(f"the README has no {START_MARKER} ... {END_MARKER} section to replace")
    head, rest = text.split(START_MARKER, 1)
    _, tail = rest.split(END_MARKER, 1)
    return f"{head}{START_MARKER}\n{table}\n{END_MARKER}{tail}"

"""Scaling sweep: chaingrad / PyTorch as the work grows (``python -m benchmarks.sweep``).

Three families, each point timed side by side in this process with 2 threads each, in
interleaved settled blocks (``harness.compare``), median of a few repeats:

- conv2d forward + backward (3x3, padding 1, batch 32, C -> C channels) over channels and
  image size;
- LSTM forward + backward (T=50, input 64) over hidden size and batch;
- an MLP SGD step (784 -> width -> 10, batch 128) over width.

It prints a table of ratios, plots ratio against work (FLOPs per call, log axis; a line at
1.0) per family, and with ``--readme`` replaces the table between the sweep markers of a
README. A regression at any size shows as a point above its neighbours. ``--quick`` runs a
tiny grid (for tests and a first look). Only ratios mean anything on a shared machine.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import THREADS, Comparison, compare, set_threads

set_threads()  # before NumPy loads, so OpenBLAS sees the thread count too

import numpy as np  # noqa: E402

PLOT = Path(__file__).resolve().parent / "results" / "scaling.png"
START_MARKER = "<!-- sweep:start -->"
END_MARKER = "<!-- sweep:end -->"


@dataclass
class Grid:
    """The sizes each family sweeps, and how many interleaved repeats each point gets."""

    conv_channels: tuple[int, ...]
    conv_sizes: tuple[int, ...]
    lstm_hidden: tuple[int, ...]
    lstm_batch: tuple[int, ...]
    mlp_widths: tuple[int, ...]
    repeats: int
    settle: float | None = None  # None: the harness's default pause


FULL = Grid((8, 16, 32, 64, 128), (14, 28, 56), (64, 128, 256, 512), (1, 8, 32, 128),
            (64, 128, 256, 512, 1024, 2048), repeats=3)  # fmt: skip
QUICK = Grid((8,), (14,), (64,), (1,), (64,), repeats=2)


@dataclass
class Point:
    """One size of one family: its work, the label of its series, and the timing."""

    family: str
    series: str
    flops: float
    result: Comparison


def _check(name: str, mine: list[np.ndarray], theirs: list, rtol: float = 1e-3) -> None:
    """Results must agree with PyTorch before a point is timed."""
    for k, (a, b) in enumerate(zip(mine, theirs)):
        b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
        a = np.asarray(a)
        scale = max(1.0, float(np.abs(b).max()))
        if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=1e-4 * scale):
            raise AssertionError(f"{name}: result {k} differs from PyTorch")


def _time(
    name: str, ours: Callable[[], object], theirs: Callable[[], object], grid: Grid, work: float
) -> Comparison:
    # few calls per block for small work, so that one block is not a single timer tick
    inner = 1 if work > 2e8 else 10 if work > 5e6 else 50
    kwargs = {} if grid.settle is None else {"settle": grid.settle}
    return compare(name, ours, theirs, "torch", grid.repeats, warmup=1, inner=inner, **kwargs)


def conv_point(channels: int, size: int, grid: Grid, batch: int = 32) -> Point:
    """conv2d 3x3 padding 1, C -> C channels on size x size images, forward + backward."""
    import torch

    import chaingrad.nn.functional as F
    from chaingrad.autograd import Tensor

    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, channels, size, size), dtype=np.float32)
    w = rng.standard_normal((channels, channels, 3, 3), dtype=np.float32) / np.float32(
        np.sqrt(channels * 9)
    )
    gy = rng.standard_normal((batch, channels, size, size), dtype=np.float32)
    cx, cw = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tgy = torch.tensor(gy)

    def ours() -> tuple:
        cx.grad = cw.grad = None
        y = F.conv2d(cx, cw, padding=1)
        y.backward(gy)
        return y.numpy(), cx.grad.numpy(), cw.grad.numpy()

    def theirs() -> tuple:
        tx.grad = tw.grad = None
        y = torch.nn.functional.conv2d(tx, tw, padding=1)
        y.backward(tgy)
        return y, tx.grad, tw.grad

    name = f"conv2d {channels}->{channels} {size}x{size} b{batch}"
    _check(name, list(ours()), list(theirs()))
    flops = 3 * 2 * gy.size * channels * 9  # forward, input gradient, weight gradient
    return Point("conv2d", f"{size}x{size}", flops, _time(name, ours, theirs, grid, flops))


def lstm_point(hidden: int, batch: int, grid: Grid, steps: int = 50, inputs: int = 64) -> Point:
    """LSTM forward + backward over T steps (the kernels, as benchmarks.recurrent times them)."""
    from benchmarks.recurrent import check_agreement, make_problem, ours, theirs

    p = make_problem("lstm", steps=steps, batch=batch, input=inputs, hidden=hidden)
    check_agreement(p)
    # per step: the gate products x W_ih^T and h W_hh^T; backward costs twice the forward
    flops = 3 * 2 * steps * batch * (inputs + hidden) * 4 * hidden
    name = f"LSTM T{steps} B{batch} {inputs}->{hidden}"
    return Point("LSTM", f"H={hidden}", flops, _time(name, ours(p), theirs(p), grid, flops))


def mlp_point(width: int, grid: Grid, batch: int = 128) -> Point:
    """One SGD step of 784 -> width -> 10 (ReLU, log-softmax loss), as benchmarks.tensor_ops."""
    from benchmarks.tensor_ops import _our_mlp_step, _torch_mlp_step

    rng = np.random.default_rng(0)
    bound1, bound2 = 1 / np.sqrt(784), 1 / np.sqrt(width)
    problem = {
        "x": rng.random((batch, 784), dtype=np.float32),
        "y": rng.integers(0, 10, batch),
        "w1": rng.uniform(-bound1, bound1, (784, width)).astype(np.float32),
        "b1": np.zeros(width, np.float32),
        "w2": rng.uniform(-bound2, bound2, (width, 10)).astype(np.float32),
        "b2": np.zeros(10, np.float32),
    }
    ours, _ = _our_mlp_step(problem)
    theirs, _ = _torch_mlp_step(problem)
    name = f"MLP 784-{width}-10 step b{batch}"
    _check(name, [ours()], [theirs()])
    flops = 3 * 2 * batch * (784 * width + width * 10)
    return Point("MLP", f"b{batch}", flops, _time(name, ours, theirs, grid, flops))


def run(grid: Grid, log: Callable[[str], None] = print) -> list[Point]:
    """Every point of the grid, family by family."""
    set_threads()
    jobs: list[tuple[str, Callable[[], Point]]] = []
    for size in grid.conv_sizes:
        for ch in grid.conv_channels:
            job = lambda c=ch, s=size: conv_point(c, s, grid)  # noqa: E731
            jobs.append((f"conv2d {ch}->{ch} {size}x{size}", job))
    for hidden in grid.lstm_hidden:
        for batch in grid.lstm_batch:
            job = lambda h=hidden, b=batch: lstm_point(h, b, grid)  # noqa: E731
            jobs.append((f"LSTM H={hidden} B={batch}", job))
    for width in grid.mlp_widths:
        jobs.append((f"MLP width {width}", lambda w=width: mlp_point(w, grid)))
    points = []
    for k, (label, job) in enumerate(jobs, 1):
        log(f"[{k}/{len(jobs)}] {label} ...")
        points.append(job())
    return points


def _fmt(t: float) -> str:
    return f"{t * 1e3:.2f} ms" if t >= 1e-3 else f"{t * 1e6:.0f} µs"


def table_rows(points: list[Point]) -> list[tuple[str, str, str, str, str]]:
    """(point, GFLOP per call, chaingrad, torch, ratio) as strings."""
    return [
        (
            p.result.name,
            f"{p.flops / 1e9:.3g}",
            _fmt(p.result.ours.median),
            _fmt(p.result.anchor.median),
            f"{p.result.ratio:.2f}",
        )
        for p in points
    ]


HEADER = ("point", "GFLOP/call", "chaingrad", "torch", "ratio")


def text_table(points: list[Point]) -> str:
    """The sweep as aligned plain text."""
    rows = [HEADER, *table_rows(points)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("ratio = chaingrad's median / torch's (below 1: chaingrad is faster)")
    return "\n".join(lines)


def markdown_table(points: list[Point], command: str) -> str:
    """The sweep as a Markdown table, with how it was made."""
    lines = [
        f"_`{command}` · {THREADS} threads each · median of interleaved repeats_  ",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    lines += ["| " + " | ".join(r) + " |" for r in table_rows(points)]
    return "\n".join(lines)


def plot(points: list[Point], path: Path, title: str = "") -> Path:
    """Ratio against FLOPs per call, one panel per family, one line per series; PNG at 100 dpi."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families = list(dict.fromkeys(p.family for p in points))
    fig, axes = plt.subplots(1, len(families), figsize=(5 * len(families), 4), squeeze=False)
    for ax, family in zip(axes[0], families):
        mine = [p for p in points if p.family == family]
        for series in dict.fromkeys(p.series for p in mine):
            line = sorted((p.flops, p.result.ratio) for p in mine if p.series == series)
            ax.plot(*zip(*line), marker="o", label=series)
        ax.axhline(1.0, color="black", linewidth=1, linestyle="--")
        ax.set_xscale("log")
        ax.set_xlabel("FLOPs per call")
        ax.set_ylabel("chaingrad / PyTorch time")
        ax.set_title(family)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def replace_between_markers(text: str, table: str) -> str:
    """``text`` with whatever stands between the sweep markers replaced by ``table``."""
    if START_MARKER not in text or END_MARKER not in text:
        raise ValueError(f"the README has no {START_MARKER} ... {END_MARKER} section to replace")
    head, rest = text.split(START_MARKER, 1)
    _, tail = rest.split(END_MARKER, 1)
    return f"{head}{START_MARKER}\n{table}\n{END_MARKER}{tail}"


def worst_point(tiny: bool = False) -> Comparison:
    """The suite's row: run the sweep and report its point with the largest ratio."""
    try:
        import torch  # noqa: F401
    except ImportError:
        from benchmarks.harness import Timing

        return Comparison("scaling sweep", Timing(), None, "", error="torch is not installed")
    points = run(QUICK if tiny else FULL, log=lambda line: None)
    worst = max(points, key=lambda p: p.result.ratio)
    result = worst.result
    result.name = f"scaling sweep, worst: {result.name}"
    result.note = f"worst of {len(points)} points (python -m benchmarks.sweep for all)"
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the sweep, print its table, save the plot (and the README table if asked)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tiny grid, two repeats")
    parser.add_argument("--plot", metavar="PATH", default=str(PLOT), help=f"default {PLOT}")
    parser.add_argument(
        "--readme", metavar="PATH", help="replace the table between this README's sweep markers"
    )
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("benchmarks.sweep: skipped, PyTorch is not installed (pip install torch)")
        return 0
    points = run(QUICK if args.quick else FULL, log=lambda line: print(line, file=sys.stderr))
    print(text_table(points))
    command = "python -m benchmarks.sweep" + (" --quick" if args.quick else "")
    print(f"plot: {plot(points, Path(args.plot), command)}")
    if args.readme:
        readme = Path(args.readme)
        table = markdown_table(points, command)
        readme.write_text(replace_between_markers(readme.read_text(), table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

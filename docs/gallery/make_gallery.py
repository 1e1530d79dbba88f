"""Build the graph gallery: every picture as SVG and PNG, with a README giving its draw time.

Run from a checkout with chaingrad installed (``pip install -e .``)::

    python docs/gallery/make_gallery.py              # all pictures into docs/gallery/
    python docs/gallery/make_gallery.py --out /tmp/g --only lecture lenet --timeout 60

Each picture is drawn in a child process of its own, so a layout that runs past ``--timeout``
seconds is stopped (with the renderer it started) and reported in the README instead of
hanging the build. The draw time is the time of the ``draw(path=...svg)`` call alone: building
the graph and running backward are not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import inspect
import io
import itertools
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PAGE_WIDTH = 900  # px: the width the README promises the pictures are readable at
DEFAULT_TIMEOUT = 120.0  # s per picture, layout and both renders (the target is under 5 s)


@dataclass(frozen=True)
class Picture:
    """One gallery entry: a file stem, a title, what it shows, and the graph it draws."""

    name: str
    title: str
    about: str
    build: Callable[[], tuple[Any, dict[str, Any]]]  # -> (root to draw, wanted draw options)


def lecture_network() -> tuple[Any, dict[str, Any]]:
    """The two-layer sigmoid network of ``chaingrad demo`` (Values), after backward."""
    from chaingrad.nn.app.demo import two_layer_example

    return two_layer_example().loss, {"rankdir": "TB"}


def _classifier_step(model: Any, x: Any, classes: int) -> Any:
    """Forward a batch through ``model``, cross-entropy against fixed labels, backward."""
    import chaingrad
    import chaingrad.nn.functional as F

    x.name = "input"
    labels = chaingrad.tensor([i % classes for i in range(x.shape[0])])
    loss = F.cross_entropy(model(x), labels)
    loss.backward()
    return loss


def tensor_mlp() -> tuple[Any, dict[str, Any]]:
    """A tensor MLP 64 → 32 → 16 → 10 on a batch of 8 digits-sized inputs."""
    import chaingrad
    import chaingrad.nn as nn

    chaingrad.manual_seed(0)
    model = nn.MLP([64, 32, 16, 10])
    return _classifier_step(model, chaingrad.randn(8, 64), 10), {"model": model, "depth": 1}


def lenet() -> tuple[Any, dict[str, Any]]:
    """LeNet-5 on a batch of 4 images 1×28×28."""
    import chaingrad
    import chaingrad.nn as nn

    chaingrad.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )
    x = chaingrad.randn(4, 1, 28, 28)
    return _classifier_step(model, x, 10), {"model": model, "depth": 1}


def lstm() -> tuple[Any, dict[str, Any]]:
    """A 2-layer LSTM (8 → 16) over 20 time steps, its last hidden state read out by Linear."""
    import chaingrad
    import chaingrad.nn as nn
    import chaingrad.nn.functional as F

    class Regressor(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(8, 16, num_layers=2)
            self.head = nn.Linear(16, 1)

        def forward(self, x: Any) -> Any:
            out, _ = self.lstm(x)
            return self.head(out[-1])

    chaingrad.manual_seed(0)
    model = Regressor()
    x = chaingrad.randn(20, 4, 8)  # (time, batch, features)
    x.name = "input"
    loss = F.mse_loss(model(x), chaingrad.zeros(4, 1))
    loss.backward()
    return loss, {"model": model, "depth": 1}


def resnet_block() -> tuple[Any, dict[str, Any]]:
    """A ResNet basic block: conv-BN-ReLU-conv-BN plus the identity, then ReLU; 8 channels."""
    import chaingrad
    import chaingrad.nn as nn
    import chaingrad.nn.functional as F

    class BasicBlock(nn.Module):
        def __init__(self, channels: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
            self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)

        def forward(self, x: Any) -> Any:
            y = F.relu(self.bn1(self.conv1(x)))
            return F.relu(self.bn2(self.conv2(y)) + x)

    chaingrad.manual_seed(0)
    block = BasicBlock(8)
    x = chaingrad.randn(2, 8, 8, 8)
    x.name = "input"
    loss = block(x).mean()
    loss.backward()
    return loss, {"model": block, "depth": 1}


def scalar_graph() -> tuple[Any, dict[str, Any]]:
    """About 2,000 Values: a scalar MLP 4 → 12 → 12 → 1 (tanh), its squared error on 4 points."""
    import random

    from chaingrad.autograd import Value

    rng = random.Random(0)
    sizes = [4, 12, 12, 1]
    layers = [
        [
            (
                [Value(rng.uniform(-1, 1), f"w{k}.{j}.{i}") for i in range(n_in)],
                Value(0.0, f"b{k}.{j}"),
            )
            for j in range(n_out)
        ]
        for k, (n_in, n_out) in enumerate(itertools.pairwise(sizes))
    ]
    loss = Value(0.0, "0")
    for p in range(4):
        h = [Value(rng.uniform(-1, 1), f"x{p}.{i}") for i in range(sizes[0])]
        for layer in layers:
            h = [sum((w * v for w, v in zip(ws, h)), b).tanh() for ws, b in layer]
        loss = loss + (h[0] - rng.uniform(-1, 1)) ** 2
    loss.label = "loss"
    loss.backward()
    return loss, {}


def reused_input() -> tuple[Any, dict[str, Any]]:
    """One input x reused 1,250 times: Σ wᵢ·x, the graph that took 322 s to lay out (issue 14)."""
    from chaingrad.autograd import Value

    x = Value(0.5, "x")
    total = x * Value(0.001, "w0")
    for i in range(1, 1250):
        total = total + x * Value(0.001 * (i + 1), f"w{i}")
    total.label = "Σ wᵢx"
    total.backward()
    return total, {}


PICTURES = (
    Picture(
        "lecture",
        "The lecture network",
        "`chaingrad demo`'s two-layer sigmoid network, in Values.",
        lecture_network,
    ),
    Picture(
        "mlp",
        "A tensor MLP",
        "64 → 32 → 16 → 10 with ReLU, cross-entropy on a batch of 8.",
        tensor_mlp,
    ),
    Picture(
        "lenet", "LeNet-5", "Two conv/pool stages and three linear layers on 1×28×28 images.", lenet
    ),
    Picture(
        "lstm",
        "A 2-layer LSTM over 20 steps",
        "LSTM 8 → 16, two layers, 20 time steps, a linear read-out.",
        lstm,
    ),
    Picture(
        "resnet_block",
        "A ResNet-style block",
        "conv-BN-ReLU-conv-BN plus the identity, then ReLU.",
        resnet_block,
    ),
    Picture(
        "scalar_2000",
        "A 2,000-node scalar graph",
        "A scalar MLP 4 → 12 → 12 → 1 evaluated on 4 points, in Values.",
        scalar_graph,
    ),
    Picture(
        "reused_input",
        "One input reused 1,250 times",
        "Σ wᵢ·x over 1,250 terms: a single leaf with 1,250 consumers.",
        reused_input,
    ),
)


@dataclass
class Drawn:
    """What drawing one picture measured (``error`` set, times None, when it was not drawn)."""

    name: str
    title: str
    about: str
    nodes: int | None = None
    svg_seconds: float | None = None
    png_seconds: float | None = None
    width_pt: float | None = None
    height_pt: float | None = None
    text_px: float | None = None  # the smallest text's height when shown PAGE_WIDTH px wide
    options: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None


def supported(method: Callable[..., Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The draw options ``method`` accepts (today's ``draw`` has none of rankdir/model/depth)."""
    parameters = inspect.signature(method).parameters
    return {key: value for key, value in wanted.items() if key in parameters}


def _size_pt(text: str) -> float:
    number = float(re.match(r"[\d.]+", text).group())
    return number * 0.75 if text.endswith("px") else number  # 1 px = 0.75 pt


def svg_geometry(svg: str) -> tuple[float, float, float, float]:
    """(width pt, height pt, viewBox width, smallest font size) of a Graphviz SVG."""
    root = re.search(r"<svg\b[^>]*>", svg).group()
    width = _size_pt(re.search(r'\bwidth="([^"]+)"', root).group(1))
    height = _size_pt(re.search(r'\bheight="([^"]+)"', root).group(1))
    box = re.search(r'viewBox="([^"]+)"', root)
    box_width = float(box.group(1).split()[2]) if box else width
    sizes = [float(s) for s in re.findall(r'<text\b[^>]*font-size="([\d.]+)"[^>]*>\s*[^<\s]', svg)]
    return width, height, box_width, min(sizes, default=14.0)  # SVG's default font size


def text_px_at(svg: str, page_width: float = PAGE_WIDTH) -> float:
    """The smallest text's height in px when the SVG is shown at most ``page_width`` px wide."""
    width_pt, _, box_width, font = svg_geometry(svg)
    shown = min(width_pt * 4 / 3, page_width)  # CSS px; max-width:100% only ever shrinks
    return font * shown / box_width


def draw_one(picture: Picture, out: Path, built: Callable[[], None] = lambda: None) -> Drawn:
    """Build the picture's graph, call ``built()``, then draw it as SVG and PNG into ``out``."""
    import warnings

    from chaingrad.autograd.engine import topological_order

    root, wanted = picture.build()
    options = supported(root.draw, wanted)
    result = Drawn(picture.name, picture.title, picture.about, options=tuple(sorted(options)))
    result.nodes = len(topological_order(root))
    svg_path, png_path = out / f"{picture.name}.svg", out / f"{picture.name}.png"
    built()
    printed = io.StringIO()  # a note the draw prints (a collapsed graph, say) goes in the README
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(printed):
        warnings.simplefilter("always")
        start = time.perf_counter()
        root.draw(path=str(svg_path), **options)
        result.svg_seconds = time.perf_counter() - start
        start = time.perf_counter()
        root.draw(path=str(png_path), format="png", **options)
        result.png_seconds = time.perf_counter() - start
    notes = [str(w.message) for w in caught] + printed.getvalue().splitlines()
    result.notes = tuple(" ".join(note.split()) for note in notes if note.strip())
    svg = svg_path.read_text(encoding="utf-8")
    result.width_pt, result.height_pt, _, _ = svg_geometry(svg)
    result.text_px = text_px_at(svg)
    return result


BUILT = b"built\n"  # the child's first line: the graph is built, drawing starts (timer starts)
BUILD_TIMEOUT = 600.0  # s to build a graph: a cold run compiles the numba kernels first


def _wait_until_built(child: subprocess.Popen[bytes]) -> bool:
    """Read the child's ``BUILT`` line byte by byte (no buffering that communicate() would miss)."""
    deadline = time.monotonic() + BUILD_TIMEOUT
    seen = b""
    while not seen.endswith(b"\n"):
        ready, _, _ = select.select([child.stdout], [], [], max(0.0, deadline - time.monotonic()))
        byte = os.read(child.stdout.fileno(), 1) if ready else b""
        if not byte:  # timed out, or the child ended before drawing
            return False
        seen += byte
    return seen == BUILT


def _announce_built() -> None:
    sys.stdout.buffer.write(BUILT)
    sys.stdout.buffer.flush()


def _run_child(picture: Picture, out: Path, timeout: float) -> Drawn:
    """Draw one picture in a child process; a draw past ``timeout`` s is stopped."""
    command = [sys.executable, str(Path(__file__).resolve()), "--one", picture.name]
    command += ["--out", str(out)]
    # a session of its own: on timeout the whole group (the child and the layout program it
    # started) is stopped, not just the Python process
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    failed = Drawn(picture.name, picture.title, picture.about)
    try:
        if not _wait_until_built(child) and child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            failed.error = f"graph not built within {BUILD_TIMEOUT:g} s"
            return failed
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        failed.error = f"not drawn within {timeout:g} s"
        return failed
    errors = stderr.decode(errors="replace").strip().splitlines()
    if child.returncode != 0:
        failed.error = "failed: " + (errors or [f"exit status {child.returncode}"])[-1]
        return failed
    fields = json.loads(stdout.decode().strip().splitlines()[-1])
    fields["options"] = tuple(fields["options"])
    fields["notes"] = tuple(fields["notes"])
    return Drawn(**fields)


def build_gallery(
    out: Path = HERE, names: Sequence[str] | None = None, timeout: float = DEFAULT_TIMEOUT
) -> list[Drawn]:
    """Draw the pictures (all, or ``names``) into ``out``; write README.md and index.html there."""
    chosen = [p for p in PICTURES if names is None or p.name in names]
    unknown = set(names or ()) - {p.name for p in PICTURES}
    if unknown:
        raise ValueError(f"make_gallery: no picture named {', '.join(sorted(unknown))}")
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for picture in chosen:
        result = _run_child(picture, out, timeout)
        print(f"{picture.name:>14}: {_time_text(result)}", flush=True)
        results.append(result)
    (out / "README.md").write_text(readme(results), encoding="utf-8")
    (out / "index.html").write_text(index_html(results), encoding="utf-8")
    return results


def _time_text(result: Drawn) -> str:
    if result.error:
        return result.error
    return f"{result.nodes:,} nodes, drawn in {result.svg_seconds:.2f} s"


def _summary_row(result: Drawn) -> str:
    if result.error:
        return f"| [{result.title}](#{result.name}) | {result.error} | | | |"
    return (
        f"| [{result.title}](#{result.name}) | {result.nodes:,} | {result.svg_seconds:.2f} s "
        f"| {result.width_pt:,.0f} × {result.height_pt:,.0f} pt | {result.text_px:.1f} px |"
    )


def readme(results: Sequence[Drawn]) -> str:
    """The gallery page in Markdown: a table of draw times, then each picture."""
    lines = [
        "# Graph gallery",
        "",
        "Graphs drawn by chaingrad's `draw()`, each after its backward pass. Regenerate them from",
        "a checkout with `python docs/gallery/make_gallery.py` (it rewrites this page, every",
        '`*.svg` and `*.png` here, and `index.html`). The draw time is one `draw(path="….svg")`',
        "call: layout and rendering, not building the graph. Text size is that of the smallest",
        f"label when the picture is shown {PAGE_WIDTH} px wide (scaled down, never up).",
        "",
        "| picture | nodes | draw time | size | smallest text at 900 px |",
        "|---|---:|---:|---:|---:|",
        *[_summary_row(r) for r in results],
        "",
    ]
    for result in results:
        lines += [f'<a id="{result.name}"></a>', f"## {result.title}", "", result.about, ""]
        if result.error:
            lines += [f"Not drawn: {result.error}.", ""]
            continue
        lines += [
            f"{_time_text(result)} (PNG {result.png_seconds:.2f} s)"
            + (f"; draw options: {', '.join(result.options)}" if result.options else "")
            + ".",
            "",
            *[f"> {note}" for note in result.notes],
            f"[![{result.title}]({result.name}.png)]({result.name}.svg)",
            "",
        ]
    return "\n".join(lines)


def index_html(results: Sequence[Drawn]) -> str:
    """The same page as HTML (the SVG pictures at most the page wide), for a browser."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>chaingrad graph gallery</title>',
        "<style>body{font-family:sans-serif;margin:8px}img{max-width:100%;height:auto}</style>",
        "</head><body><h1>Graph gallery</h1>",
    ]
    for result in results:
        parts.append(f'<section id="{result.name}"><h2>{html.escape(result.title)}</h2>')
        parts.append(f"<p>{html.escape(result.about)} {html.escape(_time_text(result))}.</p>")
        parts += [f"<p><em>{html.escape(note)}</em></p>" for note in result.notes]
        if not result.error:
            alt = html.escape(result.title, quote=True)
            parts.append(f'<img src="{result.name}.svg" alt="{alt}">')
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build the gallery, or (``--one``, used internally) draw one picture."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write (default: here)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="draw only these pictures")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds allowed per picture"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        picture = {p.name: p for p in PICTURES}[args.one]
        result = draw_one(picture, args.out, built=_announce_built)
        print(json.dumps(result.__dict__))
        return 0
    try:
        build_gallery(args.out, args.only, args.timeout)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"wrote {args.out / 'README.md'} and {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

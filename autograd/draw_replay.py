"""Replaying the backward pass: the engine's own steps, recorded, and drawn one frame per step.

A replay runs ``engine.backward`` itself (the same loop, in the same order) with an observer in
place of storing: at each step the engine hands over the node, its complete upstream gradient
and the products it passes to the node's parents. Nothing in the graph changes: ``.grad`` of
every leaf and node is exactly what it was before (a replay is a picture of a backward pass,
not one), so a replay can be drawn before or after ``backward()`` and as often as wanted.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaingrad.autograd import engine
from chaingrad.autograd.files import write_bytes, write_text


@dataclass
class Step:
    """One step of the backward pass: ``node`` got ``grad`` and handed ``parent_grads`` on."""

    node: Any
    grad: Any
    parent_grads: tuple[Any, ...]


@dataclass
class Recording:
    """Every step of one backward pass, in the engine's order, and what each node received."""

    steps: list[Step]
    index: dict[int, int] = field(default_factory=dict)  # id(node) -> its step number, from 1

    def __post_init__(self) -> None:
        self.index = {id(s.node): k for k, s in enumerate(self.steps, start=1)}

    def state(self, step: int) -> dict[int, Any]:
        """Gradients known after ``step`` steps: each processed node's complete gradient."""
        return {id(s.node): s.grad for s in self.steps[:step]}

    def partial(self, step: int) -> dict[int, Any]:
        """Gradient sums in flight after ``step`` steps, for nodes not yet processed."""
        done = {id(s.node) for s in self.steps[:step]}
        sums: dict[int, Any] = {}
        for s in self.steps[:step]:
            for parent, g in zip(s.node._parents, s.parent_grads):
                if g is None or id(parent) in done:
                    continue
                key = id(parent)
                sums[key] = g if key not in sums else sums[key] + g
        return sums


def record_backward(root: Any, seed: Any) -> Recording:
    """Run the engine's backward pass from ``root`` with ``seed``, recording instead of storing."""
    steps: list[Step] = []

    def observe(node: Any, grad: Any, parent_grads: Any) -> None:
        steps.append(Step(node, grad, tuple(parent_grads)))

    engine.backward(root, seed, observe=observe)
    return Recording(steps)


def check_step(step: int, recording: Recording) -> None:
    """A one-line error unless ``0 <= step <= len(recording.steps)``."""
    n = len(recording.steps)
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= n:
        raise ValueError(
            f"draw: step must be an int from 0 to {n} (the backward pass has {n} steps), "
            f"got {step!r}"
        )


class BackwardReplay:
    """The backward pass as frames: ``len()`` steps, ``[k]`` the drawing after ``k`` of them.

    Indices run from 0 (before the first step: no gradients) to ``len(replay)`` (after the last:
    the drawing ``backward()`` gives), so there are ``len(replay) + 1`` pictures; ``[-1]`` is
    the last. Shows as an animation with a slider in Jupyter (the last frame is the static
    fallback where scripts do not run, e.g. on GitHub); ``save("x.html")`` or ``save("x.gif")``.
    Frames are drawn when first asked for and kept.
    """

    def __init__(self, draw_step: Callable[[int], Any], steps: int, titles: list[str]) -> None:
        self._draw_step = draw_step
        self._steps = steps
        self._titles = titles
        self._frames: dict[int, Any] = {}

    def __len__(self) -> int:
        return self._steps

    def __getitem__(self, step: int) -> Any:
        if isinstance(step, bool) or not isinstance(step, int):
            raise TypeError(f"backward_replay: index with an int step, got {type(step).__name__}")
        if step < 0:
            step += self._steps + 1
        if not 0 <= step <= self._steps:
            raise IndexError(
                f"backward_replay: step {step} out of range: 0 to {self._steps} "
                f"({self._steps} steps)"
            )
        if step not in self._frames:
            self._frames[step] = self._draw_step(step)
        return self._frames[step]

    def __iter__(self) -> Iterator[Any]:
        return (self[k] for k in range(self._steps + 1))

    @property
    def titles(self) -> list[str]:
        """One caption per picture: what the step did."""
        return list(self._titles)

    def _repr_html_(self) -> str:
        return self.html()

    def html(self) -> str:
        """The animation: SVG frames, a slider, a caption; the last frame without scripts."""
        from chaingrad.autograd.animation import html_slider

        return html_slider([frame.svg for frame in self], self._titles)

    def save(self, path: str | os.PathLike[str], seconds_per_frame: float = 1.0) -> Path:
        """Write the replay as ``.html`` (a page with the slider) or ``.gif`` (PNG frames)."""
        from chaingrad.autograd.animation import gif

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".html", ".gif"):
            raise ValueError(
                "backward_replay: save writes .html or .gif, got the suffix "
                f"{suffix!r} of {str(path)!r}"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".gif":
            write_bytes(path, gif([frame.png for frame in self], seconds_per_frame))
        else:
            page = (
                '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
                f"<title>{html.escape(self._titles[-1])}</title></head>"
                f"<body>{self.html()}</body></html>\n"
            )
            write_text(path, page)
        return path

    def __repr__(self) -> str:
        return f"BackwardReplay({self._steps} steps; [k] draws step k, .save(path) as .html/.gif)"

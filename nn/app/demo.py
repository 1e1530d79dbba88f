"""A two-layer sigmoid network worked by hand, forward and backward with Values.

x = (1.0, -0.5), y = 1, hidden h1 = σ(Θ1ᵀ x), output ŷ = σ(Θ2ᵀ h1), loss E = ½(y - ŷ)².
The engine's gradients are checked against the chain rule written out by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chaingrad.autograd import Value
from chaingrad.autograd.files import write_text

X = (1.0, -0.5)
Y = 1.0
THETA1 = ((1.2, 2.1, -1.5), (-0.3, -0.7, 0.3))  # 2 inputs × 3 hidden units
THETA2 = (-0.2, 0.5, 1.3)


@dataclass
class TwoLayerExample:
    """Every Value of the worked example, after the backward pass."""

    x: list[Value]
    theta1: list[list[Value]]
    theta2: list[Value]
    s1: list[Value]
    h1: list[Value]
    s2: Value
    y_hat: Value
    loss: Value


def two_layer_example() -> TwoLayerExample:
    """Build the example's graph with Values and run backward from the loss."""
    x = [Value(v, f"x{i + 1}") for i, v in enumerate(X)]
    theta1 = [
        [Value(w, f"Θ1[{i + 1},{j + 1}]") for j, w in enumerate(row)]
        for i, row in enumerate(THETA1)
    ]
    theta2 = [Value(w, f"Θ2[{j + 1}]") for j, w in enumerate(THETA2)]
    s1 = []
    for j in range(3):
        s = x[0] * theta1[0][j] + x[1] * theta1[1][j]
        s.label = f"s1[{j + 1}]"
        s1.append(s)
    h1 = []
    for j, s in enumerate(s1):
        h = s.sigmoid()
        h.label = f"h1[{j + 1}]"
        h1.append(h)
    s2 = h1[0] * theta2[0] + h1[1] * theta2[1] + h1[2] * theta2[2]
    s2.label = "s2"
    y_hat = s2.sigmoid()
    y_hat.label = "ŷ"
    loss = 0.5 * (Y - y_hat) ** 2
    loss.label = "E"
    loss.backward()
    return TwoLayerExample(x, theta1, theta2, s1, h1, s2, y_hat, loss)


def hand_gradient_theta2(example: TwoLayerExample) -> list[float]:
    """The chain rule written out, ∂E/∂Θ2 = (ŷ - y)·σ'(s2)·h1, from the forward values."""
    y_hat = example.y_hat.data
    slope = y_hat * (1.0 - y_hat)  # σ'(s2) = σ(s2)(1 - σ(s2))
    return [(y_hat - Y) * slope * h.data for h in example.h1]


def _vector(values: list[float], digits: int = 4) -> str:
    return "(" + ", ".join(f"{v:.{digits}f}" for v in values) + ")"


def write_replay(path: str | Path) -> tuple[Path, int]:
    """Write the example's backward pass step by step to ``path`` (.html or .gif by suffix).

    Returns the path written and the number of steps.
    """
    path = Path(path)
    if path.suffix.lower() not in (".html", ".gif"):
        raise ValueError(f"a backward replay is written as .html or .gif, got {str(path)!r}")
    if not hasattr(Value, "backward_replay"):
        raise ValueError(
            "the backward replay needs Value.backward_replay(), which this chaingrad lacks"
        )
    replay = two_layer_example().loss.backward_replay()
    path.parent.mkdir(parents=True, exist_ok=True)
    replay.save(path)
    return path, len(replay)


def run_demo(out: str | Path = "runs/demo", animate: str | Path | None = None) -> str:
    """Run the example, write its graph to ``out/graph.svg`` and return the printed report.

    With ``animate``, also write the backward replay there (.html with a slider, or .gif).
    """
    replay = write_replay(animate) if animate is not None else None
    ex = two_layer_example()
    grad2 = [t.grad for t in ex.theta2]
    by_hand = hand_gradient_theta2(ex)
    agree = all(abs(a - b) < 1e-12 for a, b in zip(grad2, by_hand))
    updated = [t.data - 1.0 * t.grad for t in ex.theta2]
    path = Path(out) / "graph.svg"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, ex.loss.draw().svg)  # atomic: a kill mid-write keeps the previous graph
    lines = [
        "A two-layer sigmoid network worked by hand, x = (1.0, -0.5), y = 1",
        "  Θ1 = [[1.2, 2.1, -1.5], [-0.3, -0.7, 0.3]]",
        "  Θ2 = (-0.2, 0.5, 1.3)",
        "forward",
        f"  s1 = Θ1ᵀx        = {_vector([s.data for s in ex.s1], 2)}",
        f"  h1 = σ(s1)       = {_vector([h.data for h in ex.h1])}",
        f"  s2 = Θ2ᵀh1       = {ex.s2.data:.4f}",
        f"  ŷ  = σ(s2)       = {ex.y_hat.data:.4f}",
        f"  E  = ½(y - ŷ)²   = {ex.loss.data:.4f}",
        "backward (engine)",
        f"  ∂E/∂ŷ            = {ex.y_hat.grad:.4f}",
        f"  ∂E/∂Θ2           = {_vector(grad2)}",
        f"  ∂E/∂Θ1           = [{_vector([t.grad for t in ex.theta1[0]])},",
        f"                      {_vector([t.grad for t in ex.theta1[1]])}]",
        "check by hand",
        f"  (ŷ - y)σ'(s2)h1  = {_vector(by_hand)}  "
        + ("agrees with the engine" if agree else "DISAGREES with the engine"),
        f"one SGD step, γ = 1: Θ2 → {_vector(updated, 3)}",
        f"graph written to {path}",
    ]
    if replay is not None:
        lines.append(f"backward pass replayed in {replay[1]} steps, written to {replay[0]}")
    return "\n".join(lines)

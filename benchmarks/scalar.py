"""The scalar engine against micrograd: one training step of MLP(2, 16, 16, 1), and a long chain.

The step is micrograd's own demo: forward over 100 two-moons points, max-margin loss with L2,
backward, SGD update; both engines start from the same weights and must agree on the loss and
the gradients before they are timed. Run: ``python -m benchmarks.scalar``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks.harness import Comparison, Timing, compare, set_threads, table
from chaingrad.autograd import Value
from chaingrad.nn.data.datasets import moons

SIZES = (2, 16, 16, 1)
ALPHA = 1e-4  # L2 strength, as in micrograd's demo
LR = 0.05


class ScalarMLP:
    """micrograd's MLP built from any Value class: neuron = relu(b + Σ wᵢxᵢ), last layer linear."""

    def __init__(self, value_cls: type, weights: list[list[list[float]]]) -> None:
        # weights[layer][neuron] = [w_1, ..., w_n, b]
        self.layers = [
            [([value_cls(w) for w in neuron[:-1]], value_cls(neuron[-1])) for neuron in layer]
            for layer in weights
        ]

    def __call__(self, x: list[Any]) -> Any:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            out = []
            for w, b in layer:
                act = sum((wi * xi for wi, xi in zip(w, x)), b)
                out.append(act.relu() if i != last else act)
            x = out
        return x[0]

    def parameters(self) -> list[Any]:
        return [p for layer in self.layers for w, b in layer for p in [*w, b]]


def random_weights(seed: int = 1337) -> list[list[list[float]]]:
    """Uniform(-1, 1) weights and zero biases, as micrograd initialises them."""
    rng = random.Random(seed)
    return [
        [[rng.uniform(-1, 1) for _ in range(n_in)] + [0.0] for _ in range(n_out)]
        for n_in, n_out in itertools.pairwise(SIZES)
    ]


def training_step(value_cls: type, model: ScalarMLP, xs: list[list[float]], ys: list[int]) -> Any:
    """One step of micrograd's demo: forward, max-margin loss + L2, backward, SGD update."""
    inputs = [[value_cls(v) for v in row] for row in xs]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * score).relu() for yi, score in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    for p in model.parameters():
        p.grad = 0.0
    total.backward()
    for p in model.parameters():
        p.data -= LR * p.grad
    return total


def _problem(n: int = 100) -> tuple[list[list[float]], list[int]]:
    x, y = moons(n, noise=0.1, seed=0)
    return x.astype(float).tolist(), [1 if label else -1 for label in y]


def _agree(ours: ScalarMLP, theirs: ScalarMLP, xs: list[list[float]], ys: list[int]) -> None:
    """Both engines must compute the same loss and gradients before either is timed."""
    from micrograd.engine import Value as MicroValue

    loss_ours = training_step(Value, ours, xs, ys).data
    loss_theirs = training_step(MicroValue, theirs, xs, ys).data
    grads_ours = [p.grad for p in ours.parameters()]
    grads_theirs = [p.grad for p in theirs.parameters()]
    if not math.isclose(loss_ours, loss_theirs, rel_tol=1e-9) or any(
        not math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-12)
        for a, b in zip(grads_ours, grads_theirs)
    ):
        raise AssertionError(f"scalar MLP step: loss {loss_ours} vs micrograd {loss_theirs}")


def mlp_step(repeats: int = 7) -> Comparison:
    """Time one MLP training step of chaingrad's Value against micrograd's."""
    xs, ys = _problem()
    ours = ScalarMLP(Value, random_weights())
    try:
        from micrograd.engine import Value as MicroValue
    except ImportError:
        return compare(
            "scalar MLP(2,16,16,1) step, 100 points",
            lambda: training_step(Value, ours, xs, ys),
            None,
            "micrograd (not installed)",
            repeats=repeats,
        )
    theirs = ScalarMLP(MicroValue, random_weights())
    _agree(ours, theirs, xs, ys)
    return compare(
        "scalar MLP(2,16,16,1) step, 100 points",
        lambda: training_step(Value, ours, xs, ys),
        lambda: training_step(MicroValue, theirs, xs, ys),
        "micrograd",
        repeats=repeats,
    )


def _chain(value_cls: type, n: int) -> tuple[Any, Any]:
    x = value_cls(1.0)
    y = x
    for _ in range(n):
        y = y + 1.0
    return x, y


def _time_backward(build: Callable[[], tuple[Any, Any]], repeats: int) -> tuple[Timing, str]:
    timing = Timing()
    for _ in range(repeats):
        x, y = build()
        start = time.perf_counter()
        try:
            y.backward()
        except RecursionError:
            return timing, "RecursionError (recursive topological sort)"
        timing.times.append(time.perf_counter() - start)
        if x.grad != 1.0:
            raise AssertionError(f"chain backward gave grad {x.grad}, expected 1.0")
    return timing, ""


def chain_backward(n: int = 1_000_000, repeats: int = 3) -> Comparison:
    """Backward over an n-node chain: chaingrad as is; micrograd at its default recursion limit."""
    name = f"backward of a {n:,}-node chain"
    ours, _ = _time_backward(lambda: _chain(Value, n), repeats)
    try:
        from micrograd.engine import Value as MicroValue
    except ImportError:
        return Comparison(name, ours, None, "micrograd (not installed)")
    theirs, failure = _time_backward(lambda: _chain(MicroValue, n), repeats)
    if failure:
        return Comparison(name, ours, None, "micrograd", note=f"micrograd fails: {failure}")
    return Comparison(name, ours, theirs, "micrograd")


def main(argv: list[str] | None = None) -> None:
    """Print the scalar benchmarks' table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    set_threads()
    results = [mlp_step(args.repeats), chain_backward()]
    print(f"Python {sys.version.split()[0]}; medians over interleaved repetitions")
    print(table(results))


if __name__ == "__main__":
    main()

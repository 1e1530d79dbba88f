"""The Tensor engine against PyTorch (CPU, same threads): per-op overhead and an MLP step.

- ``(a * b + c).sum().backward()`` on (10, 10) float32 tensors, per iteration (target ≤ 3×);
- an MLP step from raw Tensor ops: x (B, 784) @ W1 + b1 → relu → @ W2 + b2 (10) → log_softmax
  → mean negative log-likelihood → backward → SGD update, float32, B = 128 (target ≤ 1.3×) and
  B = 1 (target ≤ 3×); the hidden layer has 128 units.
Run: ``python -m benchmarks.tensor_ops``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

from benchmarks.harness import Comparison, compare, set_threads, table
from chaingrad.autograd import Tensor

HIDDEN = 128
LR = 0.01


def small_op_overhead(iterations: int = 1000, repeats: int = 7) -> Comparison:
    """1,000 iterations of (a * b + c).sum().backward() on (10, 10) float32 tensors."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((10, 10)).astype(np.float32) for _ in range(3)]
    a, b, c = (Tensor(x.copy(), requires_grad=True) for x in arrays)
    name = f"{iterations} × (a*b+c).sum().backward(), 10×10"

    def ours() -> None:
        for _ in range(iterations):
            (a * b + c).sum().backward()

    try:
        import torch
    except ImportError:
        return compare(name, ours, None, "torch (not installed)", repeats=repeats)
    ta, tb, tc = (torch.tensor(x, requires_grad=True) for x in arrays)

    def theirs() -> None:
        for _ in range(iterations):
            (ta * tb + tc).sum().backward()

    (a * b + c).sum().backward()
    (ta * tb + tc).sum().backward()
    for mine, reference in zip((a, b, c), (ta, tb, tc)):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-6, err_msg=name)
    return compare(name, ours, theirs, "torch", repeats=repeats)


def _mlp_problem(batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    bound1, bound2 = 1 / np.sqrt(784), 1 / np.sqrt(HIDDEN)
    return {
        "x": rng.random((batch, 784), dtype=np.float32),
        "y": rng.integers(0, 10, batch),
        "w1": rng.uniform(-bound1, bound1, (784, HIDDEN)).astype(np.float32),
        "b1": np.zeros(HIDDEN, np.float32),
        "w2": rng.uniform(-bound2, bound2, (HIDDEN, 10)).astype(np.float32),
        "b2": np.zeros(10, np.float32),
    }


def _our_mlp_step(problem: dict[str, np.ndarray]) -> tuple[Callable[[], float], list[Tensor]]:
    x = Tensor(problem["x"])
    y = problem["y"]
    rows = np.arange(len(y))
    params = [Tensor(problem[k].copy(), requires_grad=True) for k in ("w1", "b1", "w2", "b2")]
    w1, b1, w2, b2 = params

    def step() -> float:
        logp = ((x @ w1 + b1).relu() @ w2 + b2).log_softmax(axis=-1)
        loss = -logp[rows, y].mean()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
            p.grad = None
        return loss.item()

    return step, params


def _torch_mlp_step(problem: dict[str, np.ndarray]) -> tuple[Callable[[], float], list]:
    import torch

    x = torch.from_numpy(problem["x"])
    y = torch.from_numpy(problem["y"])
    rows = torch.arange(len(y))
    params = [torch.tensor(problem[k], requires_grad=True) for k in ("w1", "b1", "w2", "b2")]
    w1, b1, w2, b2 = params

    def step() -> float:
        logp = ((x @ w1 + b1).relu() @ w2 + b2).log_softmax(dim=-1)
        loss = -logp[rows, y].mean()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss.item()

    return step, params


def mlp_step(batch: int, repeats: int = 21, inner: int = 20) -> Comparison:
    """One SGD step of the raw-op MLP at the given batch size, against the same ops in torch."""
    problem = _mlp_problem(batch)
    ours, our_params = _our_mlp_step(problem)
    name = f"MLP 784-{HIDDEN}-10 step, batch {batch}"
    try:
        theirs, their_params = _torch_mlp_step(problem)
    except ImportError:
        return compare(name, ours, None, "torch (not installed)", repeats=repeats, inner=inner)
    for _ in range(3):  # the same trajectory: three steps agree in loss and parameters
        loss_ours, loss_theirs = ours(), theirs()
        np.testing.assert_allclose(loss_ours, loss_theirs, rtol=1e-4, err_msg=name)
    for mine, reference in zip(our_params, their_params):
        np.testing.assert_allclose(mine.data, reference.detach().numpy(), rtol=1e-4, atol=1e-5)
    return compare(name, ours, theirs, "torch", repeats=repeats, inner=inner)


def main(argv: list[str] | None = None) -> None:
    """Print the tensor benchmarks' table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args(argv)
    set_threads()
    results = [
        small_op_overhead(repeats=max(3, args.repeats // 3)),
        mlp_step(128, repeats=args.repeats),
        mlp_step(1, repeats=args.repeats, inner=200),
    ]
    print(table(results))


if __name__ == "__main__":
    main()

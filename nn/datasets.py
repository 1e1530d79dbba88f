"""Data sets as NumPy arrays: generated toy problems (and, with the training issue, real data)."""

from __future__ import annotations

import numpy as np


def _generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def moons(
    n: int = 100, noise: float = 0.1, seed: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (like scikit-learn's ``make_moons``).

    Returns ``x`` (n, 2) float32 and integer labels ``y`` (n,) in {0, 1}: the upper moon is
    class 0, the lower one class 1. ``noise`` is the standard deviation of Gaussian jitter.
    """
    if n < 2:
        raise ValueError(f"moons: need n >= 2 points, got {n}")
    rng = _generator(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    x = np.concatenate([upper, lower]) + rng.normal(0.0, noise, size=(n, 2))
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order]

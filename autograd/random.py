"""Random numbers: one default generator that ``manual_seed`` resets, and PyTorch's ``Generator``.

Every random draw the library makes (factories, layer initialisation, dropout masks, data
shuffling, ``random_split``) comes from ``default_generator()`` unless a ``generator=`` is given,
so ``chaingrad.manual_seed(0)`` makes a whole program reproducible. The streams are NumPy's
(PCG64), not PyTorch's: the same seed gives other numbers than in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Generator:
    """A random stream, as ``torch.Generator``: ``Generator().manual_seed(42)``."""

    def __init__(self, device: Any = "cpu") -> None:
        self._seed: int | None = None
        self.rng = np.random.default_rng()

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns the generator (PyTorch's chaining idiom)."""
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy and return the new seed."""
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self.rng = np.random.default_rng(self._seed)
        return self._seed

    def initial_seed(self) -> int | None:
        """The seed given last (None when never seeded)."""
        return self._seed


_default = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed every random draw the library makes (``torch.manual_seed``); returns the generator."""
    return _default.manual_seed(seed)


def seed() -> int:
    """Reseed the default stream from fresh entropy and return the seed (``torch.seed``)."""
    return _default.seed()


def initial_seed() -> int | None:
    """The seed the default stream was last seeded with (``torch.initial_seed``)."""
    return _default.initial_seed()


def default_generator() -> Generator:
    """The generator that draws when no ``generator=`` is given."""
    return _default


def rng(generator: Any = None) -> np.random.Generator:
    """The NumPy Generator to draw from: a chaingrad ``Generator``, a NumPy one, an int seed, or
    None for the default stream."""
    if generator is None:
        return _default.rng
    if isinstance(generator, Generator):
        return generator.rng
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, int | np.integer) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(
        f"generator: expected a chaingrad.Generator, a NumPy Generator or an int seed, "
        f"got {type(generator).__name__}"
    )

"""Helpers that several test files share (import them: ``from tests.helpers import leaf``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chaingrad.autograd import Tensor

REPO_ROOT = Path(__file__).resolve().parent.parent


def leaf(shape: tuple[int, ...], seed: int = 0, scale: float = 1.0) -> Tensor:
    """A float64 leaf of standard-normal values (times ``scale``) that requires grad."""
    return Tensor(scale * np.random.default_rng(seed).standard_normal(shape), requires_grad=True)

"""Fixtures shared by the whole suite; plain helpers live in ``tests/helpers.py``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.helpers import REPO_ROOT


@pytest.fixture
def rng() -> np.random.Generator:
    """A NumPy generator with a fixed seed: each test gets the same numbers on every run."""
    return np.random.default_rng(0)


@pytest.fixture
def repo_root() -> Path:
    """The checkout's root folder (where pyproject.toml is)."""
    return REPO_ROOT

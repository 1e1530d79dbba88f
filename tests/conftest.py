"""Fixtures shared by the whole suite; plain helpers live in ``tests/helpers.py``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import REPO_ROOT

# The suite compiles its kernels in its own process, as before issue 16: a background compile
# (the default for users) would race with the tests that time or count compiles and leave
# processes running after the session. tests/kernels/test_background_compile.py sets
# CHAINGRAD_COMPILE=background in the subprocesses it starts.
os.environ["CHAINGRAD_COMPILE"] = "inline"


@pytest.fixture
def rng() -> np.random.Generator:
    """A NumPy generator with a fixed seed: each test gets the same numbers on every run."""
    return np.random.default_rng(0)


@pytest.fixture
def repo_root() -> Path:
    """The checkout's root folder (where pyproject.toml is)."""
    return REPO_ROOT

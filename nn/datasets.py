"""Alias of ``nn.data.datasets`` (the contract's path), for code that imports ``nn.datasets``."""

from chaingrad.nn.data.datasets import *  # noqa: F403
from chaingrad.nn.data.datasets import __all__  # noqa: F401

"""``chaingrad.utils``, as ``torch.utils``: data loading lives in ``chaingrad.utils.data``."""

from chaingrad.utils import data

__all__ = ["data"]

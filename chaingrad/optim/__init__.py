"""``chaingrad.optim``, as ``torch.optim``: the very classes of ``chaingrad.nn.optim``.

import chaingrad.optim as optim
from chaingrad.optim.lr_scheduler import StepLR
"""

import sys

from chaingrad.nn.optim import *  # noqa: F403
from chaingrad.nn.optim import __all__ as _optim_all
from chaingrad.nn.optim import lr_scheduler

# one module object under both names, so `import chaingrad.optim.lr_scheduler` finds the same
# classes (isinstance checks and schedulers' registries agree across the two spellings)
sys.modules[f"{__name__}.lr_scheduler"] = lr_scheduler

__all__ = [*_optim_all]

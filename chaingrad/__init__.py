"""chaingrad: a reverse-mode autograd engine you can learn backprop from, shaped like ``torch``.

import chaingrad as cg
import chaingrad.nn as nn
import chaingrad.nn.functional as F
"""

from chaingrad.autograd import *  # noqa: F403
from chaingrad.autograd import __all__ as _autograd_all

__version__ = "0.1.0"
__all__ = [*_autograd_all]

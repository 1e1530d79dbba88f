"""chaingrad: a reverse-mode autograd engine you can learn backprop from, shaped like ``torch``.

    import chaingrad as cg              # where a tutorial says `import torch`
    import chaingrad.nn as nn
    import chaingrad.nn.functional as F
    import chaingrad.optim as optim
    from chaingrad.utils.data import DataLoader, TensorDataset

Importing stays light: NumPy and numba only (no matplotlib, tqdm, graphviz or torch until a
function that needs them is called).
"""

# ruff: noqa: F401 - this module re-exports; __all__ is assembled at the end
import sys

from chaingrad import autograd
from chaingrad.autograd import *  # noqa: F403 - Tensor, Value, factories, grad modes, gradcheck
from chaingrad.autograd import __all__ as _engine
from chaingrad.autograd.dtypes import (
    bool,  # noqa: A004 - torch.bool
    double,
    float,  # noqa: A004 - torch.float
    float16,
    float32,
    float64,
    half,
    int,  # noqa: A004 - torch.int
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from chaingrad.autograd.tensor import Size
from chaingrad.functions import *  # noqa: F403 - torch-style functions: cat, sum, topk, sin, ...
from chaingrad.functions import __all__ as _functions
from chaingrad.serialization import load, save

from chaingrad import backends, distributions, nn, optim, utils  # isort: skip - after the engine
from chaingrad.nn.data import datasets  # isort: skip
from chaingrad.models import load_model  # isort: skip - builds on nn

# `import chaingrad.datasets` works too (it is chaingrad.nn.data.datasets)
sys.modules[f"{__name__}.datasets"] = datasets

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``chaingrad.export`` is imported on first use (it imports torch/onnx lazily in turn)."""
    if name == "export":
        import importlib

        return importlib.import_module("chaingrad.export")
    raise AttributeError(f"module 'chaingrad' has no attribute {name!r}")


_DTYPES = [
    "bool",
    "double",
    "float",
    "float16",
    "float32",
    "float64",
    "half",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "long",
    "short",
    "uint8",
]
_MODULES = ["autograd", "backends", "datasets", "distributions", "nn", "optim", "utils"]
__all__ = sorted(
    {
        *_engine,
        *_functions,
        *_DTYPES,
        *_MODULES,
        "Size",
        "load",
        "load_model",
        "save",
        "__version__",
    }
)

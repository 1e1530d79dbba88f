"""chaingrad: a reverse-mode autograd engine you can learn backprop from, shaped like ``torch``.

    import chaingrad as cg              # where a tutorial says `import torch`
    import chaingrad.nn as nn
    import chaingrad.nn.functional as F
    import chaingrad.optim as optim
    from chaingrad.utils.data import DataLoader, TensorDataset

Importing stays light: NumPy and numba only (no matplotlib, tqdm, graphviz or torch until a
function that needs them is called).
"""

import sys

from chaingrad import autograd
from chaingrad.autograd.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    linspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
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
from chaingrad.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from chaingrad.autograd.gradcheck import GradcheckError, gradcheck
from chaingrad.autograd.random import Generator, initial_seed, manual_seed, seed
from chaingrad.autograd.tensor import Tensor
from chaingrad.autograd.value import Value
from chaingrad.functions import *  # noqa: F403 - the method functions (sin, topk, ...)
from chaingrad.functions import __all__ as _functions
from chaingrad.functions import (
    abs,  # noqa: A004
    argmax,
    cat,
    clamp,
    clip,
    concatenate,
    exp,
    flatten,
    is_tensor,
    log,
    log_softmax,
    matmul,
    max,  # noqa: A004
    maximum,
    mean,
    min,  # noqa: A004
    minimum,
    mm,
    numel,
    permute,
    relu,
    reshape,
    set_grad_enabled,
    sigmoid,
    softmax,
    sqrt,
    squeeze,
    stack,
    sum,  # noqa: A004
    tanh,
    transpose,
    unsqueeze,
    where,
)
from chaingrad.serialization import load, save

from chaingrad.autograd.devices import cuda, device  # isort: skip
from chaingrad.autograd.tensor import Size  # isort: skip

from chaingrad import nn, optim, utils  # isort: skip - after the engine they build on
from chaingrad.nn.data import datasets  # isort: skip

# `import chaingrad.datasets` works too (it is chaingrad.nn.data.datasets)
sys.modules[f"{__name__}.datasets"] = datasets

__version__ = "0.1.0"

__all__ = [
    "Generator",
    "GradcheckError",
    "Tensor",
    "Value",
    "__version__",
    "abs",
    "arange",
    "argmax",
    "as_tensor",
    "autograd",
    "bool",
    "cat",
    "clamp",
    "clip",
    "concatenate",
    "datasets",
    "double",
    "empty",
    "empty_like",
    "enable_grad",
    "exp",
    "eye",
    "flatten",
    "float",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "get_default_dtype",
    "gradcheck",
    "half",
    "initial_seed",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_grad_enabled",
    "is_tensor",
    "linspace",
    "load",
    "log",
    "log_softmax",
    "long",
    "manual_seed",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mm",
    "multinomial",
    "nn",
    "no_grad",
    "normal",
    "numel",
    "ones",
    "ones_like",
    "optim",
    "permute",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "relu",
    "reshape",
    "save",
    "seed",
    "set_grad_enabled",
    "short",
    "sigmoid",
    "softmax",
    "sqrt",
    "squeeze",
    "stack",
    "sum",
    "tanh",
    "tensor",
    "transpose",
    "uint8",
    "unsqueeze",
    "utils",
    "where",
    "zeros",
    "zeros_like",
]
__all__ += [n for n in _functions if n not in __all__] + ["Size", "cuda", "device"]

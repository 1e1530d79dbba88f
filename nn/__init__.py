"""Neural networks on chaingrad's engine: modules, layers, losses, initialisation, model files.

import chaingrad.nn as nn
import chaingrad.nn.functional as F
model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
loss = F.cross_entropy(model(x), y)
"""

from chaingrad.nn import data, functional, init, optim, utils
from chaingrad.nn.activations import (
    ELU,
    GELU,
    GLU,
    SELU,
    Hardtanh,
    Identity,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Tanh,
)
from chaingrad.nn.attention import MultiheadAttention
from chaingrad.nn.containers import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from chaingrad.nn.conv import AvgPool2d, Conv1d, Conv2d, MaxPool2d
from chaingrad.nn.init import manual_seed
from chaingrad.nn.layers import MLP, Dropout, Embedding, Flatten, Linear, Residual
from chaingrad.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from chaingrad.nn.module import Module, Parameter
from chaingrad.nn.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from chaingrad.nn.pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, Dropout2d, Unflatten
from chaingrad.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from chaingrad.nn.serialization import load, load_metadata
from chaingrad.nn.summary import summary

__all__ = [
    "ELU",
    "GELU",
    "GLU",
    "GRU",
    "LSTM",
    "MLP",
    "RNN",
    "SELU",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Dropout2d",
    "Embedding",
    "Flatten",
    "GRUCell",
    "GroupNorm",
    "Hardtanh",
    "HuberLoss",
    "Identity",
    "KLDivLoss",
    "L1Loss",
    "LSTMCell",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSigmoid",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "NLLLoss",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "RNNCell",
    "ReLU",
    "Residual",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softmin",
    "Softplus",
    "Tanh",
    "Unflatten",
    "data",
    "functional",
    "init",
    "load",
    "load_metadata",
    "manual_seed",
    "optim",
    "summary",
    "utils",
]

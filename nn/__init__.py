"""Neural networks on chaingrad's engine: modules, layers, losses, initialisation, model files.

import chaingrad.nn as nn
import chaingrad.nn.functional as F
model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
loss = F.cross_entropy(model(x), y)
"""

from chaingrad.nn import data, functional, init, optim, utils
from chaingrad.nn.activations import (
    ELU,
    SELU,
    Identity,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from chaingrad.nn.containers import ModuleList, Sequential
from chaingrad.nn.conv import AvgPool2d, Conv1d, Conv2d, MaxPool2d
from chaingrad.nn.init import manual_seed
from chaingrad.nn.layers import MLP, Dropout, Embedding, Flatten, Linear, Residual
from chaingrad.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from chaingrad.nn.module import Module, Parameter
from chaingrad.nn.normalization import BatchNorm1d, BatchNorm2d
from chaingrad.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from chaingrad.nn.serialization import load, load_metadata
from chaingrad.nn.summary import summary

__all__ = [
    "ELU",
    "GRU",
    "LSTM",
    "MLP",
    "RNN",
    "SELU",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRUCell",
    "Identity",
    "L1Loss",
    "LSTMCell",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "RNNCell",
    "ReLU",
    "Residual",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
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

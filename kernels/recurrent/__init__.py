"""Elman RNN, LSTM and GRU over a whole time-major sequence: forward and backward through time.

- ``op.py``: the public functions below: validate (``checks.py``), then the per-step sweep.
- ``checks.py``: their shape and saved-record checks.
- ``fast.py``: the numba kernels of one step's gate arithmetic.
- ``reference.py``: the same math one step at a time in plain NumPy (``*_reference``).
"""

from chaingrad.kernels.recurrent.op import (
    GRUSaved,
    LSTMSaved,
    RNNSaved,
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    packed_outputs,
    rnn_backward,
    rnn_forward,
)

__all__ = [
    "GRUSaved",
    "LSTMSaved",
    "RNNSaved",
    "gru_backward",
    "gru_forward",
    "lstm_backward",
    "lstm_forward",
    "packed_outputs",
    "rnn_backward",
    "rnn_forward",
]

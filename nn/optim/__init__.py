"""Optimizers, gradient clipping and learning-rate schedulers, with ``torch.optim``'s formulas.

    from chaingrad.nn import optim
    opt = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    for epoch in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optim.clip_grad_norm_(model.parameters(), max_norm=1.0)
            opt.step()
        scheduler.step()

Every optimizer updates ``p.data`` in place (same array, same dtype: float32 parameters are
updated in float32), skips parameters whose ``.grad`` is None or whose ``requires_grad`` is off,
never writes into a ``.grad`` array, and takes per-group options as PyTorch does::

    optim.SGD([{"params": model.body.parameters()},
               {"params": model.head.parameters(), "lr": 1e-2}], lr=1e-3, momentum=0.9)

The update rules are PyTorch's operation for operation (SGD's momentum buffer starts as the
first gradient, Adam's bias correction counts from t = 1, AdamW decays the weights outside the
moments), so a run matches ``torch.optim`` to rounding; each class's docstring gives its formula
next to the lecture's pseudo-code. ``state_dict()`` has PyTorch's layout with NumPy arrays.

The lecture's learning-rate decays (exponential, linear, cosine, inverse-sqrt, 1/t) and how to
write each with a scheduler are listed in ``nn.optim.lr_scheduler``'s docstring; in short:
``ExponentialLR(opt, math.exp(-k))``, ``LinearLR(opt, 1.0, 0.0, T)``,
``CosineAnnealingLR(opt, T)``, ``InverseSqrtLR(opt)``, ``LambdaLR(opt, lambda t: 1 / (1 + k*t))``.
"""

from chaingrad.nn.optim import lr_scheduler
from chaingrad.nn.optim.adadelta import Adadelta
from chaingrad.nn.optim.adagrad import Adagrad
from chaingrad.nn.optim.adam import Adam, AdamW
from chaingrad.nn.optim.clip import clip_grad_norm_, clip_grad_value_
from chaingrad.nn.optim.optimizer import Optimizer
from chaingrad.nn.optim.rmsprop import RMSprop
from chaingrad.nn.optim.sgd import SGD

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "clip_grad_norm_",
    "clip_grad_value_",
    "lr_scheduler",
]

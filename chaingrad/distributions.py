"""``chaingrad.distributions``, a small part of ``torch.distributions``: ``Categorical`` and
``Normal`` with ``sample``, ``log_prob`` and ``entropy`` (what policy-gradient and VAE tutorials
use). ``log_prob``, ``entropy`` and ``Normal.rsample`` are built from differentiable tensor ops,
so gradients reach the logits, probs, loc and scale; ``sample`` records no graph, as PyTorch's.
Samples come from chaingrad's stream (``manual_seed``), not PyTorch's: the numbers differ.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chaingrad.autograd import no_grad
from chaingrad.autograd.random import rng
from chaingrad.autograd.tensor import Tensor, as_tensor

__all__ = ["Categorical", "Distribution", "Normal"]


def _shape(sample_shape: Any) -> tuple[int, ...]:
    """``sample_shape`` (an int, a tuple or a Size) as a tuple."""
    if isinstance(sample_shape, int):
        return (sample_shape,)
    return tuple(int(n) for n in sample_shape)


def _float(name: str, x: Any) -> Tensor:
    """``x`` as a floating Tensor (Python numbers become float32), keeping a graph it is in."""
    t = x if isinstance(x, Tensor) else as_tensor(x)
    if not np.issubdtype(t.dtype, np.floating):
        t = t.float()
    return t


class Distribution:
    """Base class: ``batch_shape``, ``sample(sample_shape)``, ``log_prob(value)``, ``entropy()``."""

    batch_shape: tuple[int, ...] = ()

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Draw samples of shape ``sample_shape + batch_shape`` (no graph)."""
        raise NotImplementedError(f"{type(self).__name__} does not define sample()")

    def log_prob(self, value: Any) -> Tensor:
        """The log density (or log mass) of ``value``."""
        raise NotImplementedError(f"{type(self).__name__} does not define log_prob()")

    def entropy(self) -> Tensor:
        """The entropy of each distribution in the batch."""
        raise NotImplementedError(f"{type(self).__name__} does not define entropy()")


class Categorical(Distribution):
    """A distribution over 0..K-1 given ``probs`` (normalised along the last axis) or ``logits``
    (unnormalised log-probabilities), one distribution per leading index, as PyTorch's."""

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: Any = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Categorical: pass exactly one of probs= or logits=")
        if probs is not None:
            p = _float("Categorical", probs)
            if p.ndim < 1:
                raise ValueError("Categorical: probs must have at least one dimension")
            if (p.numpy() < 0).any():
                raise ValueError("Categorical: probs must be non-negative")
            self.probs = p / p.sum(-1, keepdim=True)
            # log of probs clamped to [eps, 1 - eps], as torch's probs_to_logits
            eps = float(np.finfo(p.dtype).eps)
            self.logits = self.probs.clamp(eps, 1 - eps).log()
        else:
            lg = _float("Categorical", logits)
            if lg.ndim < 1:
                raise ValueError("Categorical: logits must have at least one dimension")
            self.logits = lg - lg.logsumexp(-1, keepdim=True)
            self.probs = self.logits.softmax(-1)
        self.batch_shape = tuple(self.probs.shape[:-1])
        self._num_events = int(self.probs.shape[-1])

    @property
    def param_shape(self) -> tuple[int, ...]:
        """The shape of ``probs``: batch_shape + (K,)."""
        return tuple(self.probs.shape)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Indices drawn with the probabilities ``probs``: int64 of shape sample_shape +
        batch_shape (inverse-CDF sampling on chaingrad's stream)."""
        p = np.asarray(self.probs.numpy(), dtype=np.float64)
        shape = _shape(sample_shape) + self.batch_shape
        cdf = np.cumsum(p, axis=-1)
        u = rng().random((*shape, 1)) * cdf[..., -1:]
        index = (np.broadcast_to(cdf, (*shape, self._num_events)) <= u).sum(-1)
        return Tensor(np.minimum(index, self._num_events - 1).astype(np.int64))

    def log_prob(self, value: Any) -> Tensor:
        """log probs[value] (differentiable in the logits/probs); ``value`` broadcasts with
        batch_shape, as PyTorch's."""
        v = value if isinstance(value, Tensor) else as_tensor(value)
        v = v.long()
        shape = np.broadcast_shapes(tuple(v.shape), self.batch_shape)
        if (v.numpy() < 0).any() or (v.numpy() >= self._num_events).any():
            raise ValueError(f"Categorical.log_prob: values must lie in [0, {self._num_events})")
        logits = self.logits.expand(*shape, self._num_events)
        index = Tensor(np.broadcast_to(v.numpy(), shape)[..., None].copy())
        return logits.gather(-1, index).squeeze(-1)

    def entropy(self) -> Tensor:
        """-Σ p log p over the last axis (terms with p = 0 contribute 0)."""
        min_real = float(np.finfo(self.logits.dtype).min)
        return -(self.logits.clamp(min_real, None) * self.probs).sum(-1)

    @property
    def mean(self) -> Tensor:
        """Undefined for a categorical distribution: NaN, as PyTorch."""
        return Tensor(np.full(self.batch_shape, np.nan, dtype=self.probs.dtype))

    def __repr__(self) -> str:
        return f"Categorical(probs: {tuple(self.probs.shape)})"


class Normal(Distribution):
    """A normal distribution with mean ``loc`` and standard deviation ``scale`` (broadcast)."""

    def __init__(self, loc: Any, scale: Any, validate_args: Any = None) -> None:
        self.loc = _float("Normal", loc)
        self.scale = _float("Normal", scale)
        if (self.scale.numpy() <= 0).any():
            raise ValueError("Normal: scale must be positive")
        self.batch_shape = tuple(np.broadcast_shapes(self.loc.shape, self.scale.shape))

    @property
    def mean(self) -> Tensor:
        """The mean, ``loc``."""
        return self.loc.expand(*self.batch_shape)

    @property
    def stddev(self) -> Tensor:
        """The standard deviation, ``scale``."""
        return self.scale.expand(*self.batch_shape)

    @property
    def variance(self) -> Tensor:
        """scale²."""
        return self.stddev**2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """loc + ε·scale with ε ~ N(0, 1): the reparameterised sample, differentiable in loc and
        scale."""
        shape = _shape(sample_shape) + self.batch_shape
        eps = Tensor(
            rng().standard_normal(shape).astype(np.result_type(self.loc.dtype, self.scale.dtype))
        )
        return self.loc + eps * self.scale

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Samples of shape sample_shape + batch_shape, with no graph."""
        with no_grad():
            return self.rsample(sample_shape)

    def log_prob(self, value: Any) -> Tensor:
        """-(x - μ)²/(2σ²) - log σ - ½ log 2π."""
        x = value if isinstance(value, Tensor) else as_tensor(value)
        var = self.scale**2
        return (
            -((x - self.loc) ** 2) / (2 * var) - self.scale.log() - math.log(math.sqrt(2 * math.pi))
        )

    def entropy(self) -> Tensor:
        """½ + ½ log 2π + log σ."""
        return (0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()).expand(*self.batch_shape)

    def __repr__(self) -> str:
        return f"Normal(loc: {tuple(self.loc.shape)}, scale: {tuple(self.scale.shape)})"

"""The scalar engine: a ``Value`` holds one float and the local gradients of the op that made it.

Every op computes its result *and* its local gradients (∂out/∂input) in the forward pass and
stores them next to its parents. ``backward()`` then only multiplies: upstream × local.

    >>> a, b = Value(2.0, "a"), Value(-3.0, "b")
    >>> c = a * b + a          # c._local == (1.0, 1.0) for the add, (-3.0, 2.0) for the mul
    >>> c.backward()
    >>> a.grad, b.grad         # ∂c/∂a = b + 1, ∂c/∂b = a
    (-2.0, 2.0)
"""

from __future__ import annotations

import math
import os
from numbers import Real
from typing import Any

from chaingrad.autograd import engine

Number = float | int


class Value:
    """A scalar node of a computation graph: ``data``, ``grad`` and the local gradients."""

    __slots__ = ("data", "grad", "label", "_parents", "_local", "_op")

    def __init__(self, data: float, label: str = "") -> None:
        if isinstance(data, Value) or not isinstance(data, Real):
            raise TypeError(f"Value: data must be a real number, got {type(data).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._parents: tuple[Value, ...] = ()
        self._local: tuple[float, ...] = ()  # ∂self/∂parent for each parent
        self._op = ""

    # ------------------------------------------------------------------ graph bookkeeping
    def _vjp(self, upstream: float, owned: bool = False) -> tuple[list[float], tuple[bool, ...]]:
        """Chain rule at this node: upstream gradient times each local gradient.

        Floats are immutable, so no gradient is a buffer the engine could own or reuse."""
        return [local * upstream for local in self._local], (False,) * len(self._local)

    def _accumulate(self, grad: float, owned: bool = False) -> None:
        self.grad += grad  # leaf gradients accumulate across backward calls

    def _keep(self, grad: float, owned: bool = False) -> bool:
        self.grad = grad  # inner gradients are recomputed by every backward call
        return False

    def backward(self) -> None:
        """Backpropagate from this value (seed gradient 1.0) to every node it depends on."""
        engine.backward(self, 1.0)

    def zero_grad(self) -> None:
        """Set the gradient of every node in this value's graph to 0.0."""
        for node in engine.topological_order(self):
            node.grad = 0.0

    def draw(
        self,
        path: str | os.PathLike[str] | None = None,
        format: str | None = None,  # noqa: A002
        *,
        rankdir: str | None = None,
        size: Any = None,
        max_label: int | None = 40,
        step: int | None = None,
    ) -> Any:
        """Draw the graph: each node shows label, data and grad; each edge its local gradient.

        The format is ``format``, else the path's suffix (.svg .png .pdf .dot), else SVG;
        ``rankdir`` "LR" or "TB" (default by the graph's shape), ``size`` a bound in inches
        ("w,h", (w, h) or one number), ``max_label`` characters per label line (None: no cut),
        ``step=k`` the graph after the first k steps of the backward pass (``.grad`` untouched).
        """
        from chaingrad.autograd.draw import draw_value_graph

        return draw_value_graph(
            self, path, format, rankdir=rankdir, size=size, max_label=max_label, step=step
        )

    def backward_replay(self, **options: Any) -> Any:
        """The backward pass as frames: ``len()`` steps, ``[k]`` is ``draw(step=k)``.

        Shows as an animation with a slider in Jupyter; ``.save("x.html")`` or ``.save("x.gif")``.
        The replay runs the engine's own loop with a recorder: no ``.grad`` changes.
        ``options`` are ``draw``'s (``rankdir``, ``size``, ``max_label``).
        """
        from chaingrad.autograd.draw import replay_value_graph

        return replay_value_graph(self, **options)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        return _result(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __sub__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        # the subtrahend's gradient is negated
        return _result(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __mul__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        # each factor's local gradient is the other factor: the gradients swap
        return _result(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __truediv__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        if other.data == 0.0:
            raise ZeroDivisionError(f"div: division of {self.data!r} by a Value equal to 0.0")
        quotient = self.data / other.data
        # d(a/b)/da = 1/b,  d(a/b)/db = -a/b² = -(a/b)/b
        return _result(quotient, (self, other), (1.0 / other.data, -quotient / other.data), "/")

    def __pow__(self, exponent: Value | Number) -> Value:
        if isinstance(exponent, Value):
            return _pow_values(self, exponent)
        if not isinstance(exponent, Real):
            return NotImplemented
        b = float(exponent)
        out = _real_power(self.data, b)
        return _result(out, (self,), (_power_slope(self.data, b),), f"**{exponent:g}")

    def __neg__(self) -> Value:
        return _result(-self.data, (self,), (-1.0,), "neg")

    def __radd__(self, other: Number) -> Value:
        return _as_value(other) + self

    def __rsub__(self, other: Number) -> Value:
        return _as_value(other) - self

    def __rmul__(self, other: Number) -> Value:
        return _as_value(other) * self

    def __rtruediv__(self, other: Number) -> Value:
        return _as_value(other) / self

    def __rpow__(self, base: Number) -> Value:
        return _as_value(base) ** self

    # ------------------------------------------------------------------ functions
    def exp(self) -> Value:
        """e**x; its local gradient is the result itself."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp: e**{self.data!r} overflows a float") from None
        return _result(out, (self,), (out,), "exp")

    def log(self) -> Value:
        """Natural logarithm; local gradient 1/x. Defined for x > 0 only."""
        if self.data <= 0.0:
            raise ValueError(f"log: undefined for a non-positive value, got {self.data!r}")
        return _result(math.log(self.data), (self,), (1.0 / self.data,), "log")

    def tanh(self) -> Value:
        """Hyperbolic tangent; local gradient 1 - tanh²."""
        t = math.tanh(self.data)
        return _result(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1/(1+e**-x); local gradient σ(1 - σ)."""
        s = _sigmoid(self.data)
        return _result(s, (self,), (s * (1.0 - s),), "sigmoid")

    def relu(self) -> Value:
        """max(0, x); local gradient 1 where x > 0, else 0 (relu'(0) = 0 as in PyTorch)."""
        positive = self.data > 0.0
        return _result(self.data if positive else 0.0, (self,), (1.0 if positive else 0.0,), "relu")

    def abs(self) -> Value:
        """|x|; local gradient sign(x), 0 at 0 (as PyTorch)."""
        x = self.data
        return _result(abs(x), (self,), (float((x > 0) - (x < 0)),), "abs")

    def max(self, other: Value | Number) -> Value:
        """The larger of two values; the gradient goes to the larger, split 0.5/0.5 on a tie.

        Works as ``a.max(b)`` and ``Value.max(a, b)`` (either side may be a number).
        """
        a, b = _as_value(self), _as_value(other)
        if a.data > b.data:
            local = (1.0, 0.0)
        elif a.data < b.data:
            local = (0.0, 1.0)
        else:  # a tie: like torch.maximum, each input gets half
            local = (0.5, 0.5)
        return _result(max(a.data, b.data), (a, b), local, "max")

    # ------------------------------------------------------------------ conveniences
    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"


def _result(data: float, parents: tuple[Value, ...], local: tuple[float, ...], op: str) -> Value:
    """Make the output node of an op: its data, its parents and its local gradients."""
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._parents = parents
    out._local = local
    out._op = op
    return out


def _as_value(x: Value | Number) -> Value:
    """Wrap a Python number as a constant leaf, so it shows up in the graph like micrograd's."""
    return x if isinstance(x, Value) else Value(x)


def _sigmoid(x: float) -> float:
    """Numerically stable logistic function (never evaluates exp of a large positive number)."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _real_power(a: float, b: float) -> float:
    """a**b as a real number, with a clear error where it is not one."""
    if a == 0.0 and b < 0.0:
        raise ValueError(f"pow: 0.0 to the negative power {b!r} is undefined")
    if a < 0.0 and not b.is_integer():
        raise ValueError(f"pow: a negative base {a!r} to the non-integer power {b!r} is not real")
    try:
        return a**b
    except OverflowError:
        raise OverflowError(f"pow: {a!r}**{b!r} overflows a float") from None


def _power_slope(a: float, b: float) -> float:
    """d/da a**b = b·a**(b-1), with the limits PyTorch uses at a = 0."""
    if b == 0.0:
        return 0.0
    if a == 0.0 and b < 1.0:
        return math.inf  # the slope of a**b at 0 for 0 < b < 1 is unbounded
    return b * a ** (b - 1.0)


def _pow_values(base: Value, exponent: Value) -> Value:
    """a**b with both a Value: d/da = b·a**(b-1), d/db = a**b·ln(a)."""
    a, b = base.data, exponent.data
    out = _real_power(a, b)
    if a > 0.0:
        d_exponent = out * math.log(a)
    elif a == 0.0:
        d_exponent = 0.0  # 0**b is 0 for every b > 0: flat in b (PyTorch's convention)
    else:
        raise ValueError(f"pow: d/db a**b = a**b·ln(a) is undefined for a negative base a = {a!r}")
    return _result(out, (base, exponent), (_power_slope(a, b), d_exponent), "**")

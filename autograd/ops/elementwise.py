"""Elementwise ops: each records its local gradient ∂y/∂x as an array in the forward pass.

The backward step of every op here is the same: upstream gradient × local gradient, per input
(``record_elementwise``); each local gradient is a callable, run only when a node
is recorded. Broadcasting is undone afterwards by ``Tensor._vjp``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from chaingrad.autograd.ops.record import ONE, OUT, record, record_elementwise
from chaingrad.autograd.tensor import Tensor, as_tensor

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def pair(a: Any, b: Any) -> tuple[Tensor, Tensor, np.ndarray, np.ndarray]:
    """Two operands as Tensors plus the arrays to compute with.

    Integers meeting floats become that float dtype (as PyTorch does), so an integer tensor
    times 0.5 is float32, not NumPy's float64.
    """
    a = as_tensor(a, b if isinstance(b, Tensor) else None)
    b = as_tensor(b, a)
    x, y = a._data, b._data
    kx, ky = x.dtype.kind, y.dtype.kind
    if kx != ky:
        if kx == "f" and ky in "iub":
            y = y.astype(x.dtype)
        elif ky == "f" and kx in "iub":
            x = x.astype(y.dtype)
    return a, b, x, y


def _broadcast_error(op: str, a: Tensor, b: Tensor) -> ValueError:
    return ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together")


# ---------------------------------------------------------------------------- arithmetic
def add(a: Any, b: Any) -> Tensor:
    """a + b with broadcasting."""
    a, b, x, y = pair(a, b)
    try:
        out = x + y
    except ValueError:
        raise _broadcast_error("add", a, b) from None
    # the upstream gradient flows to both inputs unchanged
    return record_elementwise("add", out, (a, b), (ONE, ONE))


def sub(a: Any, b: Any) -> Tensor:
    """a - b with broadcasting."""
    a, b, x, y = pair(a, b)
    try:
        out = x - y
    except ValueError:
        raise _broadcast_error("sub", a, b) from None
    # the subtrahend's gradient is negated
    return record_elementwise("sub", out, (a, b), (ONE, -1.0))


def mul(a: Any, b: Any) -> Tensor:
    """a * b with broadcasting."""
    a, b, x, y = pair(a, b)
    try:
        out = x * y
    except ValueError:
        raise _broadcast_error("mul", a, b) from None
    # each factor's local gradient is the other factor
    return record_elementwise("mul", out, (a, b), (lambda: y, lambda: x))


def div(a: Any, b: Any) -> Tensor:
    """a / b with broadcasting (true division)."""
    a, b, x, y = pair(a, b)
    try:
        out = np.true_divide(x, y)
    except ValueError:
        raise _broadcast_error("div", a, b) from None
    # d(a/b)/da = 1/b,  d(a/b)/db = -a/b² = -out/b
    return record_elementwise("div", out, (a, b), (lambda: 1.0 / y, lambda: -out / y))


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 - the operator's name
    """a ** b with broadcasting; either side may be a number.

    Integers to negative integer powers are refused, as PyTorch does for a number exponent
    (NumPy's rule, applied to tensor exponents too; PyTorch would compute 1 // a**-b there).
    """
    a, b, x, y = pair(a, b)
    if x.dtype.kind in "iu" and y.dtype.kind in "iu" and y.size and (y < 0).any():
        raise ValueError(
            f"pow: integers to negative integer powers are not allowed (base {x.dtype} of shape "
            f"{a.shape}, exponent {int(y.min())}); convert the base with .float() first"
        )
    try:
        out = np.power(x, y)
    except ValueError:
        raise _broadcast_error("pow", a, b) from None

    def d_base() -> np.ndarray:
        # d/da a**b = b·a**(b-1); where b == 0 the slope is 0 (a**0 = 1 everywhere)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(y == 0, 0.0, y * np.power(x, y - 1)).astype(out.dtype, copy=False)

    def d_exponent() -> np.ndarray:
        # d/db a**b = a**b·ln(a); 0 where a == 0 (PyTorch's convention), nan for a < 0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x == 0, 0.0, out * np.log(x)).astype(out.dtype, copy=False)

    return record_elementwise("pow", out, (a, b), (d_base, d_exponent))


def neg(a: Tensor) -> Tensor:
    """-a."""
    out = -a._data
    return record_elementwise("neg", out, (a,), (-1.0,))


# ---------------------------------------------------------------------------- functions
def exp(a: Tensor) -> Tensor:
    """e**a elementwise; the local gradient is the result itself."""
    out = np.exp(a._data)
    return record_elementwise("exp", out, (a,), (lambda: out,))


def log(a: Tensor) -> Tensor:
    """Natural logarithm; -inf at 0 and nan below, with NumPy's warning."""
    out = np.log(a._data)
    return record_elementwise("log", out, (a,), (lambda: 1.0 / a._data,))


def sqrt(a: Tensor) -> Tensor:
    """Square root; local gradient 1/(2√a)."""
    out = np.sqrt(a._data)

    def local() -> np.ndarray:
        with np.errstate(divide="ignore"):
            return 0.5 / out

    return record_elementwise("sqrt", out, (a,), (local,))


def abs(a: Tensor) -> Tensor:  # noqa: A001 - NumPy's name
    """|a|; local gradient sign(a), 0 at 0 as PyTorch."""
    out = np.abs(a._data)
    return record_elementwise("abs", out, (a,), (lambda: np.sign(a._data),))


def tanh(a: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    out = np.tanh(a._data)
    return record_elementwise("tanh", out, (a,), (lambda: 1.0 - out * out,))  # d tanh = 1 - y²


def sigmoid(a: Tensor) -> Tensor:
    """Logistic sigmoid 1 / (1 + e**-a); exp overflow for very negative a correctly gives 0."""
    with np.errstate(over="ignore"):
        out = 1.0 / (1.0 + np.exp(-a._data))
    out = out.astype(a._data.dtype, copy=False)
    return record_elementwise("sigmoid", out, (a,), (lambda: out * (1.0 - out),))  # σ(1 - σ)


def relu(a: Tensor) -> Tensor:
    """max(0, a); the local gradient is the mask a > 0 (relu'(0) = 0)."""
    out = np.maximum(a._data, 0)

    def backward(g: np.ndarray, owned: bool = False) -> tuple[np.ndarray]:
        # a > 0 exactly where out > 0, so the mask comes from the output the graph keeps
        # anyway (as PyTorch does), not from a saved one
        if owned:  # masked in g itself: only a one-byte boolean mask is allocated
            return (np.multiply(g, np.greater(out, 0), out=g),)
        # else built in the result's own buffer, as 1.0/0.0 (no boolean temporary either)
        grad = np.greater(out, 0, out=np.empty(g.shape, g.dtype))
        return (np.multiply(grad, g, out=grad),)

    return record("relu", out, (a,), backward, saved=(OUT,), reuse=True)


def leaky_relu(a: Tensor, slope: float = 0.01) -> Tensor:
    """a where a > 0, else slope·a."""
    local = np.where(a._data > 0, 1.0, slope).astype(a._data.dtype, copy=False)
    out = a._data * local
    return record_elementwise("leaky_relu", out, (a,), (lambda: local,))


def elu(a: Tensor, alpha: float = 1.0) -> Tensor:
    """a where a > 0, else alpha·(eᵃ - 1)."""
    positive = a._data > 0
    with np.errstate(over="ignore"):
        negative_part = alpha * np.expm1(np.minimum(a._data, 0.0))
    out = np.where(positive, a._data, negative_part).astype(a._data.dtype, copy=False)
    # for a <= 0: d/da alpha(eᵃ - 1) = alpha·eᵃ = out + alpha
    return record_elementwise(
        "elu",
        out,
        (a,),
        (lambda: np.where(positive, 1.0, negative_part + alpha).astype(out.dtype, copy=False),),
    )


def selu(a: Tensor) -> Tensor:
    """scale·elu(a, alpha) with the self-normalising constants (Klambauer et al. 2017)."""
    positive = a._data > 0
    negative_part = SELU_ALPHA * np.expm1(np.minimum(a._data, 0.0))
    out = (SELU_SCALE * np.where(positive, a._data, negative_part)).astype(
        a._data.dtype, copy=False
    )

    def local() -> np.ndarray:
        slope = SELU_SCALE * np.where(positive, 1.0, negative_part + SELU_ALPHA)
        return slope.astype(out.dtype, copy=False)

    return record_elementwise("selu", out, (a,), (local,))


def clip(a: Tensor, lo: float | None = None, hi: float | None = None) -> Tensor:
    """Limit a to [lo, hi] (either may be None); the gradient passes where lo <= a <= hi."""
    if lo is None and hi is None:
        raise ValueError("clip: give at least one of lo and hi")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"clip: lo = {lo} is larger than hi = {hi}")
    out = np.clip(a._data, lo, hi)

    def inside() -> np.ndarray:
        passes = np.ones(a._data.shape, dtype=bool)
        if lo is not None:
            passes &= a._data >= lo
        if hi is not None:
            passes &= a._data <= hi
        return passes.astype(a._data.dtype)

    return record_elementwise("clip", out, (a,), (inside,))


def _extremum(
    a: Any, b: Any, pick: Callable[..., np.ndarray], wins: Callable[..., np.ndarray], op: str
) -> Tensor:
    a, b, x, y = pair(a, b)
    try:
        out = pick(x, y)
    except ValueError:
        raise _broadcast_error(op, a, b) from None
    # the winner takes the gradient; a tie splits it 0.5/0.5 (torch.maximum's convention)
    return record_elementwise(
        op,
        out,
        (a, b),
        (
            lambda: (wins(x, y) + 0.5 * (x == y)).astype(out.dtype),
            lambda: (wins(y, x) + 0.5 * (x == y)).astype(out.dtype),
        ),
    )


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum with broadcasting."""
    return _extremum(a, b, np.maximum, np.greater, "maximum")


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum with broadcasting."""
    return _extremum(a, b, np.minimum, np.less, "minimum")


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elements of a where condition holds, else of b (all three broadcast together)."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != bool:
        raise TypeError(f"where: the condition must be boolean, got {cond.dtype}")
    a, b, x, y = pair(a, b)
    try:
        out = np.where(cond, x, y)
    except ValueError:
        raise ValueError(
            f"where: shapes {cond.shape} (condition), {a.shape} and {b.shape} cannot be "
            "broadcast together"
        ) from None
    # the gradient goes to a where the condition holds, to b elsewhere
    return record_elementwise(
        "where",
        out,
        (a, b),
        (
            lambda: np.broadcast_to(cond, out.shape).astype(out.dtype),
            lambda: np.broadcast_to(~cond, out.shape).astype(out.dtype),
        ),
    )


def cast(a: Tensor, dtype: Any) -> Tensor:
    """a in another dtype; the gradient is cast back to a's dtype. An integer or bool result
    is outside the graph (as PyTorch's ``x.long()``)."""
    dtype = np.dtype(dtype)
    out = a._data.astype(dtype)
    if dtype.kind != "f":
        return record("to", out, (a,), None)
    return record_elementwise("to", out, (a,), (ONE,))


def clone(a: Tensor) -> Tensor:
    """A copy of a with its own memory; the gradient passes through unchanged."""
    return record_elementwise("clone", np.array(a._data, copy=True), (a,), (ONE,))


def compare(fn: Callable[..., np.ndarray], a: Any, b: Any) -> Tensor:
    """A comparison: a boolean tensor outside the graph (not differentiable)."""
    a, b, x, y = pair(a, b)
    try:
        return record(fn.__name__, fn(x, y), (a, b), None)
    except ValueError:
        raise _broadcast_error(fn.__name__, a, b) from None


# ---------------------------------------------------------------------------- PyTorch lessons
# Appended ops: they read inputs only through ``x.numpy()`` and make every result with
# ``record``, so they do not depend on how a Tensor stores its array.
import math  # noqa: E402

from chaingrad.autograd.ops.record import EVERYTHING  # noqa: E402
from chaingrad.kernels.special import erf as _erf  # noqa: E402

SQRT_HALF = math.sqrt(0.5)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _unary(op: str, a: Any, fn: Callable[[np.ndarray], np.ndarray], local: Any) -> Tensor:
    """``fn`` elementwise; ``local(x, out)`` is ∂out/∂x, computed only when a node is kept."""
    a = as_tensor(a)
    x = a.numpy()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.asarray(fn(x))
    return record(op, out, (a,), lambda g: (g * _local(local, x, out),), saved=EVERYTHING)


def _local(local: Any, x: np.ndarray, out: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return local(x, out)


def sin(a: Any) -> Tensor:
    """sin elementwise (torch.sin / np.sin)."""
    return _unary("sin", a, np.sin, lambda x, out: np.cos(x))


def cos(a: Any) -> Tensor:
    """cos elementwise (torch.cos / np.cos)."""
    return _unary("cos", a, np.cos, lambda x, out: -np.sin(x))


def log1p(a: Any) -> Tensor:
    """log(1 + a), accurate for small a (torch.log1p / np.log1p)."""
    return _unary("log1p", a, np.log1p, lambda x, out: 1.0 / (1.0 + x))


def expm1(a: Any) -> Tensor:
    """eᵃ - 1, accurate for small a (torch.expm1 / np.expm1)."""
    return _unary("expm1", a, np.expm1, lambda x, out: out + 1.0)  # d(eᵃ - 1) = eᵃ = out + 1


def square(a: Any) -> Tensor:
    """a² elementwise (torch.square / np.square)."""
    return _unary("square", a, np.square, lambda x, out: 2.0 * x)


def reciprocal(a: Any) -> Tensor:
    """1/a elementwise (torch.reciprocal); integers become floats, as in PyTorch."""
    a = as_tensor(a)
    if a.numpy().dtype.kind != "f":
        a = as_tensor(a.numpy().astype(np.float32))
    return _unary("reciprocal", a, np.reciprocal, lambda x, out: -out * out)  # d(1/a) = -1/a²


def rsqrt(a: Any) -> Tensor:
    """1/√a elementwise (torch.rsqrt)."""
    # d a^(-1/2) = -½ a^(-3/2) = -½ out³
    return _unary("rsqrt", a, lambda x: 1.0 / np.sqrt(x), lambda x, out: -0.5 * out**3)


def softplus(a: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(βa))/β, linear where βa > threshold (torch.nn.functional.softplus)."""
    a = as_tensor(a)
    x = a.numpy()
    scaled = x * beta
    linear = scaled > threshold
    with np.errstate(over="ignore"):
        # log(1 + eᶻ) = max(z, 0) + log1p(e^-|z|) never overflows
        smooth = (np.maximum(scaled, 0) + np.log1p(np.exp(-np.abs(scaled)))) / beta
    out = np.where(linear, x, smooth).astype(x.dtype, copy=False)
    # d/da log(1 + e^(βa))/β = σ(βa); 1 on the linear part
    return record(
        "softplus",
        out,
        (a,),
        lambda g: (g * np.where(linear, 1.0, _sigmoid(scaled)),),
        saved=EVERYTHING,
    )


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) without overflow warnings (e^-z may overflow to inf, which gives the right 0)."""
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(-z))).astype(z.dtype, copy=False)


def gelu(a: Any, approximate: str = "none") -> Tensor:
    """x·Φ(x) with the exact erf (torch.nn.functional.gelu's default) or approximate="tanh"."""
    a = as_tensor(a)
    x = a.numpy()
    if approximate == "none":
        cdf = 0.5 * (1.0 + _erf(x * SQRT_HALF))
        out = (x * cdf).astype(x.dtype, copy=False)
        # d/dx xΦ(x) = Φ(x) + x·φ(x), φ the standard normal density
        return record(
            "gelu",
            out,
            (a,),
            lambda g: (g * (cdf + x * INV_SQRT_2PI * np.exp(-0.5 * x * x)),),
            saved=EVERYTHING,
        )
    if approximate == "tanh":
        k = math.sqrt(2.0 / math.pi)
        inner = k * (x + 0.044715 * x**3)
        t = np.tanh(inner)
        out = (0.5 * x * (1.0 + t)).astype(x.dtype, copy=False)
        # d/dx ½x(1 + tanh u) = ½(1 + t) + ½x(1 - t²)·u',  u' = k(1 + 3·0.044715x²)
        slope = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3 * 0.044715 * x * x)
        return record("gelu", out, (a,), lambda g: (g * slope,), saved=EVERYTHING)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(a: Any) -> Tensor:
    """x·σ(x), also called swish (torch.nn.functional.silu)."""
    a = as_tensor(a)
    x = a.numpy()
    s = _sigmoid(x)
    # d/dx xσ(x) = σ + xσ(1 - σ)
    return record(
        "silu", x * s, (a,), lambda g: (g * (s * (1.0 + x * (1.0 - s))),), saved=EVERYTHING
    )


def hardtanh(a: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """Clamp to [min_val, max_val]; gradient 1 strictly inside, 0 on and past the edges (torch)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val = {min_val} is larger than max_val = {max_val}")
    a = as_tensor(a)
    x = a.numpy()
    inside = (x > min_val) & (x < max_val)
    out = np.clip(x, min_val, max_val).astype(x.dtype, copy=False)
    return record("hardtanh", out, (a,), lambda g: (g * inside,), saved=EVERYTHING)


def log_sigmoid(a: Any) -> Tensor:
    """log σ(x) = min(x, 0) - log1p(e^-|x|), stable for large |x| (torch's logsigmoid)."""
    a = as_tensor(a)
    x = a.numpy()
    out = (np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))).astype(x.dtype, copy=False)
    # d/dx log σ(x) = 1 - σ(x) = σ(-x)
    return record("log_sigmoid", out, (a,), lambda g: (g * _sigmoid(-x),), saved=EVERYTHING)


def _flat(op: str, a: Any, fn: Callable[[np.ndarray], np.ndarray]) -> Tensor:
    """A piecewise-constant op: torch gives it a zero gradient, and so does this node."""
    a = as_tensor(a)
    out = np.asarray(fn(a.numpy()))
    return record(op, out, (a,), lambda g: (np.zeros_like(g),), saved=EVERYTHING)


def sign(a: Any) -> Tensor:
    """-1, 0 or 1 elementwise in a's dtype (torch.sign); zero gradient, as PyTorch."""
    return _flat("sign", a, np.sign)


def floor(a: Any) -> Tensor:
    """Round down elementwise (torch.floor); zero gradient, as PyTorch."""
    return _flat("floor", a, np.floor)


def ceil(a: Any) -> Tensor:
    """Round up elementwise (torch.ceil); zero gradient, as PyTorch."""
    return _flat("ceil", a, np.ceil)


def round(a: Any, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """Round half to even (torch.round and np.round agree); zero gradient, as PyTorch."""
    return _flat("round", a, lambda x: np.round(x, decimals))


def trunc(a: Any) -> Tensor:
    """Round toward zero elementwise (torch.trunc); zero gradient, as PyTorch."""
    return _flat("trunc", a, np.trunc)


def _predicate(op: str, fn: Callable[..., np.ndarray], *operands: Any) -> Tensor:
    """A bool tensor outside the graph."""
    arrays = [as_tensor(t).numpy() for t in operands]
    try:
        out = np.asarray(fn(*arrays))
    except ValueError:
        shapes = " and ".join(str(x.shape) for x in arrays)
        raise ValueError(f"{op}: shapes {shapes} cannot be broadcast together") from None
    return record(op, out, (), lambda g: ())


def isnan(a: Any) -> Tensor:
    """True where a is NaN (torch.isnan); a bool tensor, no gradient."""
    return _predicate("isnan", np.isnan, a)


def isinf(a: Any) -> Tensor:
    """True where a is ±inf (torch.isinf); a bool tensor, no gradient."""
    return _predicate("isinf", np.isinf, a)


def isfinite(a: Any) -> Tensor:
    """True where a is neither NaN nor ±inf (torch.isfinite); a bool tensor, no gradient."""
    return _predicate("isfinite", np.isfinite, a)


def logical_and(a: Any, b: Any) -> Tensor:
    """Elementwise a AND b, nonzero meaning True (torch.logical_and); bool, no gradient."""
    return _predicate("logical_and", np.logical_and, a, b)


def logical_or(a: Any, b: Any) -> Tensor:
    """Elementwise a OR b, nonzero meaning True (torch.logical_or); bool, no gradient."""
    return _predicate("logical_or", np.logical_or, a, b)


def logical_not(a: Any) -> Tensor:
    """Elementwise NOT a, nonzero meaning True (torch.logical_not); bool, no gradient."""
    return _predicate("logical_not", np.logical_not, a)

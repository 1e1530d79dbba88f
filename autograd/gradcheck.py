"""Numerical gradient checking: the engine's gradients against central differences in float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from chaingrad.autograd.grad_mode import no_grad
from chaingrad.autograd.tensor import Tensor
from chaingrad.autograd.value import Value


class GradcheckError(RuntimeError):
    """The engine's gradient and the numerical one disagree (names the input and element)."""


def gradcheck(
    fn: Callable[..., Any],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check ``fn``'s gradients against central differences; True, or ``GradcheckError``.

    With Tensor inputs, every input with ``requires_grad`` is checked, in float64 (float
    inputs are copied to float64 first). ``fn`` may return a tensor of any shape: it is
    projected on a fixed random vector v, so one backward pass gives vᵀJ, and each input
    element's numerical derivative of v·f is (v·f(x + eps) - v·f(x - eps)) / 2eps.
    With Value inputs, ``fn`` returns a Value and each Value input is checked.
    Other arguments pass through unchanged. An engine gradient must agree with the numerical
    one within ``atol + rtol * |numerical|``; the error names the input, the worst element and
    both values. ``fn`` must be deterministic (no dropout).

    ``inputs`` may be one tuple or list, as PyTorch's ``gradcheck(fn, (x, y))``, or separate
    arguments, ``gradcheck(fn, x, y)``; either way ``fn`` is called as ``fn(x, y)``.
    """
    if len(inputs) == 1 and isinstance(inputs[0], tuple | list):
        inputs = tuple(inputs[0])  # PyTorch's spelling: one tuple of inputs
    if not inputs:
        raise TypeError("gradcheck: no inputs given (pass gradcheck(fn, (x, y)) or fn, x, y)")
    if any(isinstance(x, Tensor) for x in inputs):
        return _tensor_gradcheck(fn, inputs, eps, atol, rtol)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Value)]
    if not checked:
        raise TypeError("gradcheck: no input is a Value, so there is nothing to check")
    analytical = _value_gradients(fn, inputs, checked)
    for i, engine_grad in zip(checked, analytical):
        numerical = _value_central_difference(fn, inputs, i, eps)
        if abs(engine_grad - numerical) > atol + rtol * abs(numerical):
            raise GradcheckError(
                f"gradcheck: gradient w.r.t. input {i} ({_describe(inputs[i])}) disagrees: "
                f"engine {engine_grad!r}, numerical {numerical!r} "
                f"(difference {abs(engine_grad - numerical):.3g} > "
                f"atol {atol} + rtol {rtol}·|numerical|)"
            )
    return True


def _describe(value: Value) -> str:
    return f"Value {value.label!r} = {value.data!r}" if value.label else f"Value {value.data!r}"


def _with_values(inputs: Sequence[Any], data: dict[int, float]) -> list[Any]:
    """Fresh leaf Values (so earlier graphs and grads do not interfere) with some data replaced."""
    return [
        Value(data.get(i, x.data), x.label) if isinstance(x, Value) else x
        for i, x in enumerate(inputs)
    ]


def _scalar_output(fn: Callable[..., Any], args: Sequence[Any]) -> Value:
    out = fn(*args)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: fn must return a Value, got {type(out).__name__}")
    return out


def _value_gradients(
    fn: Callable[..., Any], inputs: Sequence[Any], checked: list[int]
) -> list[float]:
    args = _with_values(inputs, {})
    _scalar_output(fn, args).backward()
    return [args[i].grad for i in checked]


def _value_central_difference(
    fn: Callable[..., Any], inputs: Sequence[Any], i: int, eps: float
) -> float:
    x = inputs[i].data
    plus = _scalar_output(fn, _with_values(inputs, {i: x + eps})).data
    minus = _scalar_output(fn, _with_values(inputs, {i: x - eps})).data
    return (plus - minus) / (2.0 * eps)


def _float64_copy(x: Any) -> Any:
    if isinstance(x, Tensor) and x.dtype.kind == "f":
        return Tensor(x.numpy().astype(np.float64), requires_grad=x.requires_grad, name=x.name)
    return x


def _tensor_gradcheck(
    fn: Callable[..., Any], inputs: Sequence[Any], eps: float, atol: float, rtol: float
) -> bool:
    args = [_float64_copy(x) for x in inputs]  # copies: the caller's data is never perturbed
    checked = [i for i, x in enumerate(args) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise TypeError("gradcheck: no input tensor has requires_grad=True")
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    if out.dtype != np.float64:
        raise TypeError(f"gradcheck: fn returned {out.dtype}; the check needs float64 throughout")
    v = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(v)
    for i in checked:
        x = args[i]
        engine = x.grad.numpy() if x.grad is not None else np.zeros_like(x.numpy())
        numerical = _projected_central_difference(fn, args, x, v, eps)
        excess = np.abs(engine - numerical) - (atol + rtol * np.abs(numerical))
        if excess.size and excess.max() > 0:
            worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
            name = f" {x.name!r}" if x.name else ""
            where = tuple(int(k) for k in worst)
            wrong = int((excess > 0).sum())
            raise GradcheckError(
                f"gradcheck: gradient w.r.t. input {i}{name} (shape {x.shape}) disagrees at "
                f"element {where}: engine {float(engine[worst])!r}, numerical "
                f"{float(numerical[worst])!r} (atol {atol}, rtol {rtol}; {wrong} of "
                f"{excess.size} elements disagree)"
            )
    return True


def _projected_central_difference(
    fn: Callable[..., Any], args: list[Any], x: Tensor, v: np.ndarray, eps: float
) -> np.ndarray:
    """∂(v·f)/∂x by central differences, perturbing one element of ``x`` at a time."""
    data = x.numpy()  # perturbed in place: every call of fn reads the current values
    numerical = np.zeros_like(data)
    with no_grad():
        for idx in np.ndindex(data.shape):
            original = data[idx]
            data[idx] = original + eps
            plus = float((fn(*args).numpy() * v).sum())
            data[idx] = original - eps
            minus = float((fn(*args).numpy() * v).sum())
            data[idx] = original
            numerical[idx] = (plus - minus) / (2.0 * eps)
    return numerical

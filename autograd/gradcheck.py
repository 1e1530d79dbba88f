"""Numerical gradient checking: the engine's gradients against central differences in float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograd.value import Value


class GradcheckError(RuntimeError):
    """The engine's gradient and the numerical one disagree (names the input and element)."""


def gradcheck(
    fn: Callable[..., Any],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check ``fn``'s gradients w.r.t. its Value inputs against central differences.

    ``fn(*inputs)`` must return a Value. Every Value input is checked; other arguments are
    passed through unchanged. Each numerical derivative is (f(x + eps) - f(x - eps)) / 2eps,
    and it must agree with the engine's within ``atol + rtol * |numerical|``.
    Returns True, or raises ``GradcheckError`` naming the input and both values.
    """
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

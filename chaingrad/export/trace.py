"""Trace a chaingrad model's forward into a flat program that torch or ONNX can replay.

The forward runs once on an example input. A global forward hook records every module call;
calls of the layers export knows (``torch_layers.LAYERS``) become one step each, and whatever
the forward computes between them (``x + self.block(x)``, ``h.flatten(1)``, ``a @ b``) is read
back from the graph itself: each result's ``.op`` and ``.parents``. Graph nodes do not keep
their arguments (an axis, a shape), so those are recovered from the recorded arrays and checked
against them (a permutation is the one that reproduces the output, for instance).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chaingrad.autograd import Tensor, enable_grad
from chaingrad.export.torch_layers import is_layer
from chaingrad.nn.module import Module, register_module_forward_hook

UNARY = ("relu", "tanh", "sigmoid", "exp", "log", "neg", "sqrt", "abs")
BINARY = ("add", "sub", "mul", "div", "matmul", "pow")
SUPPORTED_OPS = (*UNARY, *BINARY, "linear", "reshape", "permute", "transpose", "sum", "mean")
SUPPORTED_OPS += ("softmax", "log_softmax", "concatenate", "stack", "leaky_relu")


class ExportError(ValueError):
    """A model (or one op in it) that export cannot translate; the message names it."""


@dataclass
class Step:
    """One instruction: ``out`` = ``kind``/``name`` applied to the values ``inputs``."""

    kind: str  # "input", "param", "const", "layer", "item", "op"
    out: int
    inputs: tuple[int, ...] = ()
    name: str = ""  # parameter or layer dotted name, or the op
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Program:
    """A traced forward: steps in execution order; ``outputs`` mirrors the forward's result."""

    steps: list[Step]
    inputs: list[int]
    outputs: Any  # a value id, or a tuple (nested) of them
    shapes: dict[int, tuple[int, ...]]  # each value's shape in the example run
    dtypes: dict[int, np.dtype]
    layers: dict[str, Module]  # the layers the steps call, by dotted name

    def flat_outputs(self) -> list[int]:
        """The output value ids in order (nested tuples flattened)."""
        return _flatten(self.outputs)


def _flatten(obj: Any) -> list[Any]:
    if isinstance(obj, tuple | list):
        return [leaf for item in obj for leaf in _flatten(item)]
    return [obj]


def _rebuild(obj: Any, leaves: Any) -> Any:
    """``obj``'s nesting with each leaf replaced by the next of ``leaves`` (an iterator)."""
    if isinstance(obj, tuple | list):
        return tuple(_rebuild(item, leaves) for item in obj)
    return next(leaves)


def trace(model: Module, *example_inputs: Any) -> Program:
    """Run ``model`` once (in eval mode) on the example inputs and return its program."""
    if not example_inputs:
        raise ExportError(f"trace: {type(model).__name__} needs an example input to be traced")
    names = {id(m): name for name, m in model.named_modules()}
    params = {id(p): name for name, p in model.named_parameters()}
    buffers = {id(b): name for name, b in model.named_buffers()}
    inputs = []
    for x in example_inputs:
        t = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
        # float inputs require grad so every op that touches them is recorded in the graph
        if np.issubdtype(t.dtype, np.floating):
            t = Tensor(np.array(t.numpy()), requires_grad=True)
        inputs.append(t)
    calls: list[tuple[Module, tuple[Any, ...], Any]] = []

    def record(module: Module, args: tuple[Any, ...], out: Any) -> None:
        if is_layer(module) and id(module) in names:
            calls.append((module, args, out))

    was_training = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with register_module_forward_hook(record), enable_grad():
            result = model(*inputs)
    finally:
        for m, mode in was_training:
            m.training = mode
    builder = _Builder(model, names, params, buffers, inputs, calls)
    outputs = builder.value_tree(result, "the model's output")
    return Program(
        builder.steps, builder.input_ids, outputs, builder.shapes, builder.dtypes, builder.layers
    )


class _Builder:
    def __init__(
        self,
        model: Module,
        names: dict[int, str],
        params: dict[int, str],
        buffers: dict[int, str],
        inputs: list[Tensor],
        calls: list[tuple[Module, tuple[Any, ...], Any]],
    ) -> None:
        self.model, self.names, self.params, self.buffers = model, names, params, buffers
        self.steps: list[Step] = []
        self.shapes: dict[int, tuple[int, ...]] = {}
        self.dtypes: dict[int, np.dtype] = {}
        self.layers: dict[str, Module] = {}
        self.counter = itertools.count()
        self.values: dict[int, int] = {}  # id(tensor) -> value id
        self.keep: list[Any] = [inputs, calls]  # ids stay valid while the objects live
        self.input_ids = [self._new("input", t, name=f"input{i}") for i, t in enumerate(inputs)]
        for t, v in zip(inputs, self.input_ids):
            self.values[id(t)] = v
        # a layer's output (each tensor in it) -> the call; identity calls (eval dropout) skipped
        self.made_by: dict[int, tuple[int, int]] = {}
        for index, (_module, args, out) in enumerate(calls):
            arg_ids = {id(a) for a in _flatten(args)}
            for position, leaf in enumerate(_flatten(out)):
                if isinstance(leaf, Tensor) and id(leaf) not in arg_ids:
                    self.made_by.setdefault(id(leaf), (index, position))
        self.calls = calls
        self.call_values: dict[int, int] = {}

    def _new(self, kind: str, t: Any, inputs: tuple[int, ...] = (), **kw: Any) -> int:
        v = next(self.counter)
        self.steps.append(Step(kind, v, inputs, **kw))
        if t is not None:
            self.shapes[v] = tuple(t.shape)
            self.dtypes[v] = np.dtype(t.dtype)
        return v

    def value_tree(self, obj: Any, what: str) -> Any:
        if isinstance(obj, tuple | list):
            return tuple(self.value_tree(item, what) for item in obj)
        if obj is None:
            return None
        if not isinstance(obj, Tensor):
            raise ExportError(f"trace: {what} contains a {type(obj).__name__}, not a tensor")
        return self.value(obj)

    def value(self, t: Tensor) -> int:
        # iterative post-order walk: a deep chain of glue ops must not hit the recursion limit
        stack = [t]
        while stack:
            top = stack[-1]
            if id(top) in self.values:
                stack.pop()
                continue
            pending = [d for d in self._dependencies(top) if id(d) not in self.values]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            self.values[id(top)] = self._emit(top)
            self.keep.append(top)
        return self.values[id(t)]

    def _dependencies(self, t: Tensor) -> list[Tensor]:
        if id(t) in self.made_by:
            _module, args, _out = self.calls[self.made_by[id(t)][0]]
            return [a for a in _flatten(args) if isinstance(a, Tensor)]
        if id(t) in self.params or id(t) in self.buffers or not t.parents:
            return []
        return list(t.parents)

    def _emit(self, t: Tensor) -> int:
        if id(t) in self.made_by:
            index, position = self.made_by[id(t)]
            if index not in self.call_values:
                module, args, out = self.calls[index]
                name = self.names[id(module)]
                self.layers[name] = module
                arg_values = [
                    None if a is None else self.value_tree(a, f"the input of {name}") for a in args
                ]
                flat = [v for v in _flatten(arg_values) if v is not None]
                single = isinstance(out, Tensor)
                self.call_values[index] = self._new(
                    "layer",
                    out if single else None,
                    tuple(flat),
                    name=name,
                    attrs={"args": arg_values, "single": single},
                )
            call = self.call_values[index]
            if self.calls[index][2] is t:
                return call
            return self._new("item", t, (call,), attrs={"position": position})
        if id(t) in self.params:
            return self._new("param", t, name=self.params[id(t)])
        if id(t) in self.buffers:
            return self._new("param", t, name=self.buffers[id(t)])
        if not t.parents:
            return self._new("const", t, attrs={"data": np.array(t.numpy())})
        op = t.op
        parents = [self.values[id(p)] for p in t.parents]
        if op not in SUPPORTED_OPS:
            raise ExportError(
                f"export: op {op!r} (output shape {tuple(t.shape)}) has no translation; a "
                f"forward may use the exported layers and these ops between them: "
                f"{', '.join(SUPPORTED_OPS)}"
            )
        attrs = _attributes(op, t, list(t.parents))
        return self._new("op", t, tuple(parents), name=op, attrs=attrs)


def _attributes(op: str, t: Tensor, parents: list[Tensor]) -> dict[str, Any]:
    """Recover the op's arguments from its inputs and output, checked on the recorded arrays."""
    y = t.numpy()
    x = parents[0].numpy()
    if op == "reshape":
        return {"shape": tuple(y.shape)}
    if op in ("permute", "transpose"):
        for perm in itertools.permutations(range(x.ndim)):
            if np.transpose(x, perm).shape == y.shape and np.array_equal(
                np.transpose(x, perm), y, equal_nan=True
            ):
                return {"perm": perm}
        raise ExportError(f"export: could not recover the axes of {op} {x.shape} -> {y.shape}")
    if op in ("sum", "mean"):
        reduce = np.sum if op == "sum" else np.mean
        for keepdims in (y.ndim == x.ndim, not y.ndim == x.ndim):
            for r in range(x.ndim + 1):
                for axes in itertools.combinations(range(x.ndim), r):
                    z = reduce(x, axis=axes, keepdims=keepdims)
                    if z.shape == y.shape and np.allclose(z, y, rtol=1e-4, atol=1e-6):
                        return {"axes": axes, "keepdims": keepdims}
        raise ExportError(f"export: could not recover the axes of {op} {x.shape} -> {y.shape}")
    if op in ("softmax", "log_softmax"):
        for axis in range(x.ndim):
            shifted = x - x.max(axis=axis, keepdims=True)
            lse = np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
            z = shifted - lse if op == "log_softmax" else np.exp(shifted - lse)
            if np.allclose(z, y, rtol=1e-4, atol=1e-6):
                return {"axis": axis}
        raise ExportError(f"export: could not recover the axis of {op} on {x.shape}")
    if op == "concatenate":
        for axis in range(y.ndim):
            if np.array_equal(np.concatenate([p.numpy() for p in parents], axis=axis), y):
                return {"axis": axis}
        raise ExportError(f"export: could not recover the axis of concatenate -> {y.shape}")
    if op == "stack":
        for axis in range(y.ndim):
            if np.array_equal(np.stack([p.numpy() for p in parents], axis=axis), y):
                return {"axis": axis}
        raise ExportError(f"export: could not recover the axis of stack -> {y.shape}")
    if op == "leaky_relu":
        negative = x < 0
        slope = float((y[negative] / x[negative]).mean()) if negative.any() else 0.01
        return {"slope": slope}
    return {}


__all__ = ["SUPPORTED_OPS", "ExportError", "Program", "Step", "trace"]

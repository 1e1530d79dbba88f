"""The torch modules export builds that ``torch.nn`` lacks; this file imports torch.

It is imported only by ``to_torch`` (torch is optional), and the classes live at module level
so ``torch.save`` can pickle a converted model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from chaingrad.export.trace import Program, _flatten, _rebuild


class TorchResidual(torch.nn.Module):
    """x + module(x), chaingrad's ``nn.Residual`` as a torch module (same state-dict names)."""

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Add the block's output to its input."""
        return x + self.module(x)


class TracedModule(torch.nn.Module):
    """A chaingrad model whose forward was traced: the layers are torch twins held under the
    same dotted names (so the state dicts match) and ``forward`` replays the traced program."""

    def __init__(self, program: Program, class_name: str) -> None:
        super().__init__()
        self.class_name = class_name
        self.program = program
        for step in program.steps:
            if step.kind == "const":
                # not persistent: constants of the forward are not weights of the model
                self.register_buffer(
                    f"_const{step.out}", torch.from_numpy(step.attrs["data"]), persistent=False
                )

    def forward(self, *inputs: torch.Tensor) -> Any:
        """Replay the traced ops on torch tensors."""
        env: dict[int, Any] = dict(zip(self.program.inputs, inputs))
        for step in self.program.steps:
            if step.kind == "input":
                continue
            if step.kind == "param":
                env[step.out] = self.get_parameter_or_buffer(step.name)
            elif step.kind == "const":
                env[step.out] = getattr(self, f"_const{step.out}")
            elif step.kind == "layer":
                layer = self.get_submodule(step.name)
                args = step.attrs["args"]
                flat = iter([env[v] for v in step.inputs])
                real = [None if a is None else _rebuild(a, flat) for a in args]
                out = layer(*real)
                env[step.out] = out
            elif step.kind == "item":
                env[step.out] = _flatten(env[step.inputs[0]])[step.attrs["position"]]
            else:
                env[step.out] = _replay(step.name, [env[v] for v in step.inputs], step.attrs)
        return _rebuild(self.program.outputs, iter(env[v] for v in self.program.flat_outputs()))

    def get_parameter_or_buffer(self, name: str) -> torch.Tensor:
        """A parameter or buffer by its dotted name."""
        module_name, _, leaf = name.rpartition(".")
        return getattr(self.get_submodule(module_name), leaf)

    def extra_repr(self) -> str:
        return f"traced from chaingrad {self.class_name}, {len(self.program.steps)} steps"


def _replay(op: str, args: list[Any], attrs: dict[str, Any]) -> torch.Tensor:
    """One glue op on torch tensors (the names are chaingrad's graph op names)."""
    x = args[0]
    if op in ("add", "sub", "mul", "div", "pow"):
        return getattr(torch, op)(x, args[1])
    if op == "matmul":
        return torch.matmul(x, args[1])
    if op == "linear":
        return torch.nn.functional.linear(x, args[1], args[2] if len(args) > 2 else None)
    if op == "neg":
        return -x
    if op in ("relu", "tanh", "sigmoid", "exp", "log", "sqrt", "abs"):
        return getattr(torch, op)(x)
    if op == "leaky_relu":
        return torch.nn.functional.leaky_relu(x, attrs["slope"])
    if op == "reshape":
        return x.reshape(_batch_shape(x, attrs["shape"]))
    if op in ("permute", "transpose"):
        return x.permute(*attrs["perm"])
    if op in ("sum", "mean"):
        axes = tuple(attrs["axes"])
        if not axes:
            return x.clone() if not attrs["keepdims"] else x
        return getattr(torch, op)(x, dim=axes, keepdim=attrs["keepdims"])
    if op == "softmax":
        return torch.softmax(x, attrs["axis"])
    if op == "log_softmax":
        return torch.log_softmax(x, attrs["axis"])
    if op == "concatenate":
        return torch.cat(args, attrs["axis"])
    if op == "stack":
        return torch.stack(args, attrs["axis"])
    raise NotImplementedError(op)  # trace refuses every other op first


def _batch_shape(x: torch.Tensor, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The traced target shape with its batch size replaced by x's (the batch axis is dynamic)."""
    if not shape:
        return shape
    rest = int(np.prod(shape[1:]))
    if rest and x.numel() % rest == 0:
        return (x.numel() // rest, *shape[1:])
    return shape

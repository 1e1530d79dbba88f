"""``to_torch`` and ``from_torch``: chaingrad models as ``torch.nn`` modules and back."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

import chaingrad.nn as nn
from chaingrad.export.torch_layers import (
    LAYERS,
    copy_from_torch,
    is_layer,
    layer_from_torch,
    layer_to_torch,
)
from chaingrad.export.trace import ExportError, trace


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "chaingrad.export: PyTorch is not installed (pip install 'chaingrad[export]')"
        ) from None
    return torch


def _structural(module: nn.Module) -> bool:
    """True when the module tree translates without tracing: layers in Sequential/Residual."""
    if is_layer(module):
        return True
    if type(module) in (nn.Sequential, nn.MLP, nn.Residual):
        return all(_structural(child) for child in module.children())
    return False


def _mirror(module: nn.Module, torch: Any) -> Any:
    """The torch twin of ``module``'s tree; modules that are not layers become containers."""
    if is_layer(module):
        return layer_to_torch(module, torch)
    from chaingrad.export.torch_modules import TorchResidual

    if type(module) is nn.Residual:
        residual = TorchResidual(_mirror(module.module, torch))
        residual.training = module.training  # this module only: children keep their own mode
        return residual
    if isinstance(module, nn.Sequential):
        twin = torch.nn.Sequential()
    elif isinstance(module, nn.ModuleList):
        twin = torch.nn.ModuleList()
    else:
        twin = torch.nn.Module()
    _fill(module, twin, torch)
    return twin


def _fill(module: nn.Module, twin: Any, torch: Any) -> None:
    """Give ``twin`` the direct parameters, buffers and (mirrored) children of ``module``."""
    for name, child in module.named_children():
        twin.add_module(name, _mirror(child, torch))
    for name, p in module.named_parameters():
        if "." not in name:
            data = torch.from_numpy(np.array(p.numpy()))
            twin.register_parameter(name, torch.nn.Parameter(data, requires_grad=p.requires_grad))
    for name, b in module.named_buffers():
        if "." not in name:
            twin.register_buffer(name, torch.from_numpy(np.array(b.numpy())))
    twin.training = module.training  # this module only: children keep their own mode


def to_torch(model: nn.Module, example_input: Any = None) -> Any:
    """An equivalent ``torch.nn.Module`` with the same weights and state-dict names.

    Layers, ``Sequential`` and ``Residual`` translate one to one. Any other ``Module`` subclass
    is traced: its forward runs once on ``example_input`` (a tensor, or a tuple of them) and the
    result replays the recorded layers and ops (a ``TracedModule``; ops outside
    ``chaingrad.export.trace.SUPPORTED_OPS`` raise an ``ExportError`` naming the op).
    """
    torch = _torch()
    if not isinstance(model, nn.Module):
        raise TypeError(f"to_torch: expected a chaingrad nn.Module, got {type(model).__name__}")
    if _structural(model):
        return _mirror(model, torch)
    if example_input is None:
        name, other = next(
            (name, m)
            for name, m in model.named_modules()
            if not is_layer(m) and type(m) not in (nn.Sequential, nn.MLP, nn.Residual)
        )
        what = f"contains {name} ({type(other).__name__}), which" if name else "is a Module that"
        raise ExportError(
            f"to_torch: {type(model).__name__} {what} only tracing translates; pass "
            "example_input= so its forward can be traced"
        )
    from chaingrad.export.torch_modules import TracedModule

    inputs = example_input if isinstance(example_input, tuple) else (example_input,)
    program = trace(model, *inputs)
    twin = TracedModule(program, type(model).__name__)
    _fill(model, twin, torch)
    twin.source = _Source(model)
    return twin


class _Source:
    """Keeps the chaingrad model a TracedModule came from, outside torch's module registry."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model


def from_torch(module: Any, model: nn.Module | None = None) -> nn.Module:
    """A chaingrad model with ``module``'s weights.

    With ``model`` given, the torch state dict is loaded into it (any architecture whose names
    match). Otherwise torch layers, ``Sequential`` and the modules ``to_torch`` made translate
    back; any other torch module raises an ``ExportError`` naming its class.
    """
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    if model is not None:
        copy_from_torch(module, model)
        return model
    from chaingrad.export.torch_modules import TorchResidual, TracedModule

    if isinstance(module, TracedModule):
        twin = copy.deepcopy(module.source.model)
        copy_from_torch(module, twin)
        return twin
    if isinstance(module, TorchResidual):
        out: nn.Module = nn.Residual(from_torch(module.module))
    elif type(module) is torch.nn.Sequential:
        out = nn.Sequential(*[from_torch(child) for child in module])
    else:
        twin = layer_from_torch(module)
        if twin is None:
            known = ", ".join(sorted({cls.__name__ for cls in LAYERS}))
            raise ExportError(
                f"from_torch: torch module {type(module).__name__} has no chaingrad twin "
                f"(known: Sequential, {known}); pass model= to load its weights into a "
                "chaingrad model of your own"
            )
        return twin
    out.training = module.training
    return out

"""``Module`` and ``Parameter``: networks as trees of modules that own named parameters.

A module finds its parameters, buffers and submodules by attribute, in the order they were
assigned, so names are stable and match PyTorch's (``"0.weight"``, ``"conv1.bias"``). That is
what makes ``state_dict`` interchangeable with a PyTorch model's.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from chaingrad.autograd import Tensor, device, scopes
from chaingrad.autograd.dtypes import as_dtype
from chaingrad.nn.serialization import save

ForwardHook = Callable[["Module", tuple[Any, ...], Any], Any]


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates; it starts with requires_grad=True.

    Set ``p.requires_grad = False`` to freeze it (transfer learning): ops stop recording
    gradients for it and optimizers skip it.
    """

    __slots__ = ()

    def __init__(self, data: Any, name: str = "") -> None:
        super().__init__(data, requires_grad=True, name=name)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__().removeprefix("tensor")


class LoadResult(NamedTuple):
    """What ``load_state_dict`` could not match (empty lists when everything matched)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class RemovableHandle:
    """What registering a hook returns: ``handle.remove()`` unregisters it (as PyTorch's).

    Also a context manager: ``with module.register_forward_hook(h): ...`` removes it on exit.
    """

    _ids = itertools.count()

    def __init__(self, hooks: dict[int, Any]) -> None:
        self.hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        """Unregister the hook; removing it twice is harmless."""
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


# Hooks that run after every module's forward, before the module's own hooks (PyTorch's order).
_global_forward_hooks: dict[int, ForwardHook] = {}


def register_module_forward_hook(hook: ForwardHook) -> RemovableHandle:
    """Run ``hook(module, args, output)`` after the forward of every module, as PyTorch's.

    ``args`` are the positional inputs; a hook that returns something other than None replaces
    the output. ``nn.summary`` and ``nn.graph`` see each layer's output this way.
    """
    handle = RemovableHandle(_global_forward_hooks)
    _global_forward_hooks[handle.id] = hook
    return handle


class Module:
    """Base class of every layer and network: override ``forward``; call the module itself."""

    training: bool
    # this module's forward hooks; a module that registers one gets a dict of its own
    _forward_hooks: dict[int, ForwardHook] = {}  # noqa: RUF012 - never mutated: read-only default

    def __init__(self) -> None:
        object.__setattr__(self, "_parameter_names", {})  # dicts as ordered sets
        object.__setattr__(self, "_buffer_names", {})
        object.__setattr__(self, "_module_names", {})
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameter_names" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() ran: call super().__init__() "
                f"first in {type(self).__name__}.__init__"
            )
        registries = (self._parameter_names, self._buffer_names, self._module_names)
        if isinstance(value, Parameter):
            self._register(name, self._parameter_names)
            value.name = name
        elif isinstance(value, Module):
            self._register(name, self._module_names)
            for sub_name, parameter in value.named_parameters():
                parameter.name = f"{name}.{sub_name}"  # names follow the module tree
        elif name in self._buffer_names:
            if value is not None:
                value = _as_buffer(value)
        elif name in self._parameter_names and value is not None:
            raise TypeError(
                f"cannot assign {type(value).__name__} to parameter {name!r} "
                "(a Parameter or None is expected)"
            )
        elif value is not None:
            for registry in registries:
                registry.pop(name, None)
        object.__setattr__(self, name, value)

    def _register(self, name: str, registry: dict[str, None]) -> None:
        for other in (self._parameter_names, self._buffer_names, self._module_names):
            if other is not registry:
                other.pop(name, None)
        registry[name] = None

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameter_names, self._buffer_names, self._module_names):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, value: Any) -> None:
        """Keep a tensor (running statistics, say) in ``state_dict`` without training it."""
        self._register(name, self._buffer_names)
        object.__setattr__(self, name, None if value is None else _as_buffer(value))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a Parameter, or None for an absent one) under ``name``."""
        _check_name(self, "register_parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter: {name!r} must be a Parameter or "
                f"None, got {type(param).__name__}"
            )
        if param is None:
            self._register(name, self._parameter_names)
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` (or None) as a submodule called ``name``."""
        _check_name(self, "add_module", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}.add_module: {name!r} must be a Module or None, "
                f"got {type(module).__name__}"
            )
        if module is None:
            self._register(name, self._module_names)
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, module)

    def register_module(self, name: str, module: Module | None) -> None:
        """Alias of ``add_module``."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path ``target`` ("" is this module), as PyTorch's."""
        module: Module = self
        if not target:
            return module
        walked = type(self).__name__
        for part in target.split("."):
            child = module.__dict__.get(part) if part in module._module_names else None
            if child is None:
                raise AttributeError(f"get_submodule: {walked} has no submodule {part!r}")
            module, walked = child, f"{walked}.{part}"
        return module

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first, depth first) and then on this module,
        as PyTorch's (the usual way to run a custom init); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter (freeze with False); returns self."""
        for parameter in self.parameters():
            parameter.requires_grad = requires_grad
        return self

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward``; ndarray and (nested) list arguments are wrapped as Tensors first
        (lists as ``chaingrad.tensor`` reads them: ints int64, floats float32)."""
        args = tuple(_as_input(self, i, x) for i, x in enumerate(args))
        # every graph node made inside forward is stamped with this call (loss.draw(model=...))
        scope = scopes.push(self, args)
        try:
            out = self.forward(*args, **kwargs)
        finally:
            scopes.pop(scope)
        if _global_forward_hooks or self._forward_hooks:  # two falsy checks when nothing hooks
            for hook in (*_global_forward_hooks.values(), *self._forward_hooks.values()):
                result = hook(self, args, out)
                if result is not None:
                    out = result
        return out

    def register_forward_hook(self, hook: ForwardHook) -> RemovableHandle:
        """Run ``hook(self, args, output)`` after each forward; a non-None result replaces output.

        Returns a handle whose ``remove()`` unregisters the hook (PyTorch's contract).
        """
        if "_forward_hooks" not in self.__dict__:
            object.__setattr__(self, "_forward_hooks", {})
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ traversal
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct submodules with their attribute names."""
        for name in self._module_names:
            module = self.__dict__.get(name)
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        """Direct submodules."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every module below it, with dotted names ("" for this one)."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            below = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(below))

    def modules(self) -> Iterator[Module]:
        """This module and every module below it."""
        for _, module in self.named_modules():
            yield module

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs in definition order; a shared parameter comes once."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name in module._parameter_names:
                parameter = module.__dict__.get(name)
                if parameter is None or id(parameter) in seen:
                    continue
                seen.add(id(parameter))
                yield (f"{module_name}.{name}" if module_name else name), parameter

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, in definition order."""
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(dotted name, tensor) pairs of every buffer."""
        for module_name, module in self.named_modules(prefix):
            for name in module._buffer_names:
                buffer = module.__dict__.get(name)
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self) -> Iterator[Tensor]:
        """Every buffer tensor."""
        for _, buffer in self.named_buffers():
            yield buffer

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch statistics) here and below; returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Set evaluation mode (dropout off, running statistics); returns self."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``.grad = None``)."""
        for parameter in self.parameters():
            parameter.grad = None

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Convert parameters and float buffers to a float dtype in place (same Parameter
        objects); a device (``"cpu"``, ``chaingrad.device("cpu")``) is accepted as in PyTorch, and
        the CPU is the only one (``"cuda"`` raises a clear error). Returns the module."""
        dtype = None
        for spec in (*args, *kwargs.values()):
            if isinstance(spec, str | device) and not _is_dtype_name(spec):
                device(spec)  # the CPU, or a clear error
            elif isinstance(spec, Tensor):
                dtype = spec.dtype
            else:
                dtype = as_dtype(spec)
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"to: modules hold float parameters, got dtype {dtype}")
        for parameter in self.parameters():
            parameter.data = parameter.numpy().astype(dtype)
            if parameter.grad is not None:
                parameter.grad = parameter.grad.numpy().astype(dtype)
        for module in self.modules():
            for name in module._buffer_names:
                buffer = module.__dict__.get(name)
                if buffer is not None and buffer.dtype.kind == "f":
                    object.__setattr__(module, name, Tensor(buffer.numpy().astype(dtype)))
        return self

    def cpu(self) -> Module:
        """The module itself: chaingrad runs on the CPU."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """Raises: chaingrad runs on the CPU only (``chaingrad.cuda.is_available()`` is False)."""
        raise RuntimeError("cuda: chaingrad runs on the CPU only")

    def float(self) -> Module:
        """Convert to float32."""
        return self.to(np.float32)

    def double(self) -> Module:
        """Convert to float64."""
        return self.to(np.float64)

    def half(self) -> Module:
        """Convert to float16."""
        return self.to(np.float16)

    # ------------------------------------------------------------------ state
    def _named_state(self) -> Iterator[tuple[str, Module, str, bool]]:
        """(dotted name, owner, attribute, is_parameter) in PyTorch's state-dict order.

        Each module's parameters, then its buffers, then its submodules'; shared entries once.
        """
        seen: set[int] = set()
        for module_name, module in self.named_modules():
            for registry, is_parameter in (
                (module._parameter_names, True),
                (module._buffer_names, False),
            ):
                for name in registry:
                    value = module.__dict__.get(name)
                    if value is None or id(value) in seen:
                        continue
                    seen.add(id(value))
                    yield (
                        (f"{module_name}.{name}" if module_name else name),
                        module,
                        name,
                        is_parameter,
                    )

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters and buffers by dotted name, as copies: a snapshot training won't change."""
        state = {}
        for key, module, name, _ in self._named_state():
            state[key] = module.__dict__[name].numpy().copy()
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> LoadResult:
        """Copy arrays into the parameters and buffers of the same names, keeping their dtypes.

        ``strict``: every key must match (missing and unexpected keys are errors); shapes must
        match in any case. Values may be ndarrays, Tensors, or anything ``np.asarray`` takes
        (a CPU torch tensor, say). Only numbers load: arrays of strings, bytes, objects,
        datetimes or complex numbers are refused with a TypeError naming the key (NumPy would
        parse "1.5" as a float; PyTorch has no such tensors).
        """
        targets = {
            key: (module, name, is_parameter)
            for key, module, name, is_parameter in self._named_state()
        }
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        if strict and (missing or unexpected):
            raise KeyError(
                f"load_state_dict: missing keys {missing}, unexpected keys {unexpected} "
                "(pass strict=False to load what matches)"
            )
        arrays = {}  # every value is checked before any is copied: a refusal loads nothing
        for key, (module, name, _) in targets.items():
            if key not in state:
                continue
            value = state[key]
            array = np.asarray(value.numpy() if isinstance(value, Tensor) else value)
            if array.dtype.kind not in "biuf":  # bool, ints and floats cast safely; no parsing
                raise TypeError(
                    f"load_state_dict: {key!r} is an array of {array.dtype} in the state dict; "
                    "only numeric arrays load into parameters and buffers"
                )
            current_shape = module.__dict__[name].numpy().shape
            if array.shape != current_shape:
                raise ValueError(
                    f"load_state_dict: {key!r} has shape {array.shape} in the state dict but "
                    f"{current_shape} in the model"
                )
            arrays[key] = array
        for key, array in arrays.items():
            module, name, is_parameter = targets[key]
            current = module.__dict__[name]
            if is_parameter:
                current.data = array.astype(current.numpy().dtype, copy=True)
            else:
                object.__setattr__(
                    module, name, Tensor(array.astype(current.numpy().dtype, copy=True))
                )
        return LoadResult(missing, unexpected)

    def save(self, path: str, metadata: dict[str, Any] | None = None) -> None:
        """Write ``state_dict()`` and optional JSON ``metadata`` to an ``.npz`` (no pickle)."""
        save(self, path, metadata)

    # ------------------------------------------------------------------ printing
    def summary(self, input_or_shape: Any, dtype: Any = np.float32) -> Any:
        """``nn.summary(self, input_or_shape)``: the table of layers, output shapes, parameters
        and multiply-adds for an example input (or a shape); Jupyter shows it once."""
        from chaingrad.nn.summary import summary

        return summary(self, input_or_shape, dtype)

    def extra_repr(self) -> str:
        """The arguments shown inside this module's parentheses in ``repr``."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}(" + (self.extra_repr() if self.extra_repr() else "")]
        for name, module in children:
            body = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)


def _check_name(module: Module, op: str, name: Any) -> None:
    """PyTorch's rules for a registered name: a non-empty string without dots."""
    if not isinstance(name, str) or not name or "." in name:
        raise KeyError(
            f"{type(module).__name__}.{op}: name must be a non-empty string without '.', "
            f"got {name!r}"
        )


def _as_buffer(value: Any) -> Tensor:
    """A buffer is a tensor outside any graph (as PyTorch's); arrays and numbers are wrapped."""
    if isinstance(value, Tensor):
        return value.detach()
    return Tensor(np.asarray(value))


def _is_dtype_name(spec: Any) -> bool:
    try:
        as_dtype(spec)
    except TypeError:
        return False
    return isinstance(spec, str)


def _numbers_only(x: Any) -> bool:
    """True for a number or a (nested) list/tuple holding only numbers."""
    if isinstance(x, list | tuple):
        return all(_numbers_only(v) for v in x)
    return isinstance(x, numbers.Number)


def _as_input(module: Module, position: int, x: Any) -> Any:
    """A positional argument of a module call: ndarrays and number lists become Tensors; text
    and raw buffers are refused with one line naming what was given."""
    name = type(module).__name__
    if isinstance(x, np.ndarray | np.generic) or (isinstance(x, list) and _numbers_only(x)):
        import chaingrad.autograd as autograd

        try:
            return autograd.tensor(x)  # torch.tensor's reading: int lists int64, floats float32
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"{name}: cannot use argument {position} as a tensor ({error})"
            ) from None
    if isinstance(x, list):
        kinds = sorted({type(v).__name__ for v in x})
        raise TypeError(
            f"{name}: argument {position} is a list of {', '.join(kinds)}; pass a Tensor "
            "(e.g. chaingrad.stack(list))"
        )
    if isinstance(x, str | bytes | bytearray | memoryview):
        raise TypeError(f"{name}: argument {position} is a {type(x).__name__}, not a Tensor")
    return x


# Callables run after every module call, as record(module, inputs, output): nn.summary and
# nn.graph use them to see what each module produced.
_call_recorders: list[Any] = []

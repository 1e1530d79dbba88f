"""Containers: ``Sequential`` (a pipeline), ``ModuleList``/``ModuleDict`` (modules in a list or a
dict, registered with the parent) and ``ParameterList``/``ParameterDict`` (the same for
parameters), as PyTorch's."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from chaingrad.autograd import Tensor
from chaingrad.nn.module import Module, Parameter


class Sequential(Module):
    """Modules applied in order; indexable, with parameters named "0.weight", "1.bias", ..."""

    def __init__(self, *modules: Module | OrderedDict[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                setattr(self, name, module)
        else:
            for module in modules:
                self.append(module)

    def append(self, module: Module) -> Sequential:
        """Add a module at the end."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: {type(module).__name__} is not a Module")
        setattr(self, str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Add several modules at the end."""
        for module in modules:
            self.append(module)
        return self

    def forward(self, x: Any) -> Any:
        """Apply each module to the previous one's output."""
        for module in self.children():
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        modules = list(self.children())
        if isinstance(index, slice):  # the names come along, as PyTorch's
            return Sequential(OrderedDict(list(self.named_children())[index]))
        try:
            return modules[index]
        except IndexError:
            raise IndexError(
                f"Sequential: index {index} is out of range for {len(modules)} modules"
            ) from None

    def __len__(self) -> int:
        return len(self._module_names)

    def __iter__(self) -> Iterator[Module]:
        return self.children()


class ModuleList(Module):
    """A list of modules whose parameters the parent module sees ("0.weight", ...)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Add a module at the end."""
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: {type(module).__name__} is not a Module")
        setattr(self, str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add several modules at the end."""
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        modules = list(self.children())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        try:
            return modules[index]
        except IndexError:
            raise IndexError(
                f"ModuleList: index {index} is out of range for {len(modules)} modules"
            ) from None

    def __len__(self) -> int:
        return len(self._module_names)

    def __iter__(self) -> Iterator[Module]:
        return self.children()

    def forward(self, *args: Any) -> Any:
        """A ModuleList is a container, not a computation."""
        raise TypeError("ModuleList is not callable: iterate over it in your module's forward")


class ModuleDict(Module):
    """A dict of modules whose parameters the parent sees as "key.weight", in insertion order."""

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __getitem__(self, key: str) -> Module:
        if key not in self._module_names:
            raise KeyError(f"ModuleDict: no module {key!r}; keys are {list(self.keys())}")
        return self.__dict__[key]

    def __delitem__(self, key: str) -> None:
        self[key]  # raises the KeyError naming the keys
        delattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self._module_names

    def __len__(self) -> int:
        return len(self._module_names)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._module_names))

    def keys(self) -> list[str]:
        """The keys, in insertion order."""
        return list(self._module_names)

    def values(self) -> list[Module]:
        """The modules, in insertion order."""
        return [self.__dict__[k] for k in self._module_names]

    def items(self) -> list[tuple[str, Module]]:
        """(key, module) pairs, in insertion order."""
        return [(k, self.__dict__[k]) for k in self._module_names]

    def update(self, modules: Any) -> None:
        """Add (or replace) modules from a mapping or an iterable of (key, module) pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key: str) -> Module:
        """Remove the module at ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every module."""
        for key in self.keys():
            del self[key]

    def forward(self, *args: Any) -> Any:
        """A ModuleDict is a container, not a computation."""
        raise TypeError("ModuleDict is not callable: index it in your module's forward")


def _as_parameter(owner: str, value: Any) -> Parameter:
    """A Parameter as is; a Tensor or array becomes one (PyTorch wraps plain tensors too)."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value.detach().numpy())
    raise TypeError(f"{owner}: expected a Parameter or a Tensor, got {type(value).__name__}")


class ParameterList(Module):
    """A list of parameters registered with the parent module as "0", "1", ..."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def append(self, value: Any) -> ParameterList:
        """Add a parameter at the end (a plain Tensor is wrapped as a Parameter)."""
        setattr(self, str(len(self)), _as_parameter("ParameterList", value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Add several parameters at the end."""
        for value in values:
            self.append(value)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        items = [self.__dict__[k] for k in self._parameter_names]
        if isinstance(index, slice):
            return ParameterList(items[index])
        try:
            return items[index]
        except IndexError:
            raise IndexError(
                f"ParameterList: index {index} is out of range for {len(items)} parameters"
            ) from None

    def __setitem__(self, index: int, value: Any) -> None:
        self[index]  # raises the IndexError naming the length
        setattr(self, str(index % len(self)), _as_parameter("ParameterList", value))

    def __len__(self) -> int:
        return len(self._parameter_names)

    def __iter__(self) -> Iterator[Parameter]:
        return iter([self.__dict__[k] for k in self._parameter_names])

    def extra_repr(self) -> str:
        return "\n".join(
            f"({i}): Parameter containing: {tuple(p.shape)} {p.dtype}" for i, p in enumerate(self)
        )

    def forward(self, *args: Any) -> Any:
        """A ParameterList is a container, not a computation."""
        raise TypeError("ParameterList is not callable: iterate over it in your module's forward")


class ParameterDict(Module):
    """A dict of parameters registered with the parent module under their keys."""

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __setitem__(self, key: str, value: Any) -> None:
        self.register_parameter(key, _as_parameter("ParameterDict", value))

    def __getitem__(self, key: str) -> Parameter:
        if key not in self._parameter_names:
            raise KeyError(f"ParameterDict: no parameter {key!r}; keys are {self.keys()}")
        return self.__dict__[key]

    def __delitem__(self, key: str) -> None:
        self[key]  # raises the KeyError naming the keys
        delattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self._parameter_names

    def __len__(self) -> int:
        return len(self._parameter_names)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._parameter_names))

    def keys(self) -> list[str]:
        """The keys, in insertion order."""
        return list(self._parameter_names)

    def values(self) -> list[Parameter]:
        """The parameters, in insertion order."""
        return [self.__dict__[k] for k in self._parameter_names]

    def items(self) -> list[tuple[str, Parameter]]:
        """(key, parameter) pairs, in insertion order."""
        return [(k, self.__dict__[k]) for k in self._parameter_names]

    def update(self, parameters: Any) -> None:
        """Add (or replace) parameters from a mapping or an iterable of (key, value) pairs."""
        pairs = parameters.items() if hasattr(parameters, "items") else parameters
        for key, value in pairs:
            self[key] = value

    def pop(self, key: str) -> Parameter:
        """Remove the parameter at ``key`` and return it."""
        value = self[key]
        del self[key]
        return value

    def forward(self, *args: Any) -> Any:
        """A ParameterDict is a container, not a computation."""
        raise TypeError("ParameterDict is not callable: index it in your module's forward")

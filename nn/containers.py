"""Containers: ``Sequential`` (a pipeline) and ``ModuleList`` (a list that registers modules)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from chaingrad.nn.module import Module


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

    def forward(self, x: Any) -> Any:
        """Apply each module to the previous one's output."""
        for module in self.children():
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        modules = list(self.children())
        if isinstance(index, slice):
            return Sequential(*modules[index])
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

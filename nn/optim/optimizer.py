"""``Optimizer``: parameter groups, per-parameter state, ``step``/``zero_grad`` and state dicts.

The layout is PyTorch's, so a PyTorch user is at home and ``torch.optim`` can serve as an oracle:

- ``param_groups`` is a list of dicts, each with ``"params"`` (a list of Parameters) and every
  hyperparameter (``"lr"``, ``"momentum"``, …); options a group does not set take the defaults
  given to the constructor. Schedulers change ``group["lr"]`` between steps.
- ``state`` maps a Parameter to its dict of buffers (``"momentum_buffer"``, ``"exp_avg"``, …)
  and step count, created lazily on its first update.
- ``state_dict()`` numbers the parameters 0, 1, 2, … across the groups in order and stores the
  state under those numbers, so it can be loaded into an optimizer built over other Parameter
  objects with the same layout (a resumed run).

Subclasses implement ``_update(param, grad, state, group)``: the update rule of ONE parameter,
in place on its array. The base class finds the parameters to update (those with a gradient
whose ``requires_grad`` is set), casts the gradient to the parameter's dtype and hands it over
read-only, so a rule can never write into a gradient that another parameter might share.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from chaingrad.autograd import Tensor, enable_grad

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class of the optimizers: parameter groups, per-parameter state and state dicts."""

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        name = type(self).__name__
        if isinstance(params, Tensor) or isinstance(params, dict):
            raise TypeError(
                f"{name}: params must be an iterable of Parameters or of dicts (parameter "
                f"groups), got a single {type(params).__name__}; wrap it in a list"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{name}: params must be an ordered collection (a list), not a set: the order "
                "of a set changes between runs, and state dicts rely on the order"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{name} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options; options it omits take the defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict, got {type(param_group)}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: a group's params must be a list, not a set (order matters)")
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name} can only optimize Tensors (Parameters), but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Tensor (the result of an op); "
                    "optimize the leaves, e.g. model.parameters()"
                )
            if p.data.dtype.kind != "f":
                raise TypeError(f"{name}: can only optimize float Tensors, got {p.data.dtype}")
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{name}: a parameter group lists the same parameter twice")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if taken.intersection(ids):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group["params"] = params
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise a clear error for an invalid hyperparameter of ``group`` (subclasses extend)."""
        check_nonnegative(self, group, "lr")

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (``.grad = None``; zeros with set_to_none=False)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = np.zeros_like(p.numpy())  # a new array: grads may be shared views

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update, in place, every parameter that has a gradient; returns ``closure()`` if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None or not p.requires_grad:
                    continue  # frozen, or not used by the loss: no update, no state
                state = self.state.setdefault(p, {})
                self._update(p.numpy(), self._grad_of(p), state, group)
                p._version.value += 1  # in place: a graph that saved p now refuses backward
                if not state:
                    del self.state[p]  # plain SGD keeps no state, as in PyTorch
        return loss

    def _grad_of(self, p: Tensor) -> np.ndarray:
        """``p.grad`` as a read-only array of ``p``'s dtype and shape (updates compute in it)."""
        grad = np.asarray(p.grad)
        if grad.shape != p.data.shape:
            raise ValueError(
                f"{type(self).__name__}: gradient of shape {grad.shape} for a parameter of "
                f"shape {p.data.shape}"
            )
        grad = grad.astype(p.data.dtype, copy=False).view()
        grad.flags.writeable = False  # a view: the caller's array keeps its own flag
        return grad

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """Apply one step of the update rule to ``param`` in place (each optimizer defines it)."""
        raise NotImplementedError(f"{type(self).__name__} does not define _update()")

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [...]}`` as PyTorch lays it out (copies)."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: copy.deepcopy(v) for k, v in s.items()} for p, s in self.state.items()
        }
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()`` with the same group layout; arrays are copied in."""
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state dict has {len(saved_groups)} parameter "
                f"groups, this optimizer {len(self.param_groups)}"
            )
        by_index: dict[int, Tensor] = {}
        groups = []
        for i, (ours, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(ours["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {i} has {len(saved['params'])} "
                    f"parameters in the state dict, {len(ours['params'])} here"
                )
            by_index.update(zip((int(k) for k in saved["params"]), ours["params"]))
            group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            group["params"] = ours["params"]
            for key, default in self.defaults.items():
                group.setdefault(key, default)
            self._check_group(group)
            groups.append(group)
        state: dict[Tensor, dict[str, Any]] = {}
        for key, saved_state in state_dict["state"].items():
            if int(key) not in by_index:
                raise ValueError(f"{name}.load_state_dict: state for unknown parameter {key}")
            p = by_index[int(key)]
            state[p] = {k: _state_value(name, k, v, p) for k, v in saved_state.items()}
        self.param_groups[:] = groups
        self.state = state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join([*lines, ")"])


def _state_value(owner: str, key: str, value: Any, p: Tensor) -> Any:
    """A loaded state entry: the step count as an int, buffers as fresh arrays of p's dtype."""
    if key == "step":
        return int(value)
    if value is None or isinstance(value, (numbers.Number, str)):
        return value
    array = np.array(np.asarray(value), dtype=p.data.dtype)  # a copy; also reads torch tensors
    if array.shape != p.data.shape:
        raise ValueError(
            f"{owner}.load_state_dict: {key!r} has shape {array.shape}, its parameter "
            f"{p.data.shape}"
        )
    return array


def _real(owner: object, name: str, value: Any) -> float:
    """``value`` as a float, or a TypeError naming the optimizer and the option."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{type(owner).__name__}: {name} must be a real number, got {value!r}")
    return float(value)


def check_nonnegative(owner: object, group: dict[str, Any], *names: str) -> None:
    """Raise ValueError unless each named option of ``group`` is a number ≥ 0 (NaN fails)."""
    for name in names:
        value = _real(owner, name, group[name])
        if not value >= 0.0:
            raise ValueError(f"{type(owner).__name__}: invalid {name} {value!r} (must be >= 0)")


def check_unit_interval(
    owner: object, name: str, value: Any, *, include_one: bool, where: str = ""
) -> None:
    """Raise ValueError unless 0 ≤ value < 1 (or ≤ 1 when ``include_one``)."""
    number = _real(owner, name, value)
    ok = 0.0 <= number <= 1.0 if include_one else 0.0 <= number < 1.0
    if not ok:
        interval = "[0, 1]" if include_one else "[0, 1)"
        raise ValueError(
            f"{type(owner).__name__}: invalid {name}{where} {number!r} (must be in {interval})"
        )

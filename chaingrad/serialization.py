"""``chaingrad.save(obj, path)`` / ``chaingrad.load(path)``: PyTorch's names, never pickle.

The file is an ``.npz`` (a zip of ``.npy`` arrays): every tensor or ndarray in ``obj`` is one
array, and the entry ``__structure__`` holds JSON (as UTF-8 bytes) describing how they nest in
dicts, lists and tuples together with numbers, strings, bools and None. So a state dict
(``model.state_dict()``, an optimizer's ``state_dict()``) and nested containers of them
round-trip with their structure and dtypes, and ``model.load_state_dict(chaingrad.load(path))``
works as in tutorials. Reading uses ``allow_pickle=False`` and checks each array's declared size
before reading it; saving writes a temporary file in the same folder and renames it.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from pathlib import Path
from typing import Any

import numpy as np

from chaingrad.autograd.files import atomic_write
from chaingrad.autograd.tensor import Tensor
from chaingrad.nn.serialization import read_npz

__all__ = ["load", "save"]

STRUCTURE_KEY = "__structure__"
FORMAT = "chaingrad.save/1"
_MAX_STRUCTURE_BYTES = 64 << 20  # JSON grows ~10× as Python objects: keep the description modest


def save(obj: Any, f: str | os.PathLike[str]) -> None:
    """Write ``obj`` (tensors, arrays, state dicts, nested dicts/lists/tuples of them and of
    numbers, strings, bools, None) to ``f`` atomically; the path is used exactly as given."""
    arrays: dict[str, np.ndarray] = {}
    structure = {"format": FORMAT, "root": _encode(obj, arrays, "obj")}
    arrays[STRUCTURE_KEY] = np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)
    path = Path(f)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"save: the folder {folder} does not exist")
    with atomic_write(path) as file:  # a crash or kill leaves the previous file intact
        np.savez(file, **arrays)


def _encode(obj: Any, arrays: dict[str, np.ndarray], where: str) -> dict[str, Any]:
    """The JSON node for ``obj``; its arrays go into ``arrays`` under fresh names."""
    if obj is None:
        return {"type": "none"}
    if isinstance(obj, bool):
        return {"type": "bool", "value": obj}
    if isinstance(obj, Tensor | np.ndarray | np.generic):
        array = np.asarray(obj.numpy() if isinstance(obj, Tensor) else obj)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"save: {where} is an array of {array.dtype}; only numbers are saved")
        name = f"a{len(arrays)}"
        arrays[name] = np.ascontiguousarray(array)
        kind = "tensor" if isinstance(obj, Tensor) else "ndarray"
        if isinstance(obj, np.generic):
            kind = "scalar"
        node = {"type": kind, "array": name}
        if isinstance(obj, Tensor):
            node["requires_grad"] = bool(obj.requires_grad)
        return node
    if isinstance(obj, numbers.Integral):
        return {"type": "int", "value": int(obj)}
    if isinstance(obj, numbers.Real):
        value = float(obj)
        # JSON has no inf/nan: store those as their repr
        return {"type": "float", "value": value if math.isfinite(value) else repr(value)}
    if isinstance(obj, str):
        return {"type": "str", "value": obj}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not isinstance(key, str | int | float | bool | type(None)):
                raise TypeError(
                    f"save: {where} has a key of type {type(key).__name__}; keys must be "
                    "str, int, float, bool or None"
                )
            items.append([_encode(key, arrays, where), _encode(value, arrays, f"{where}[{key!r}]")])
        return {"type": "dict", "items": items}
    if isinstance(obj, list | tuple):
        kind = "list" if isinstance(obj, list) else "tuple"
        items = [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
        return {"type": kind, "items": items}
    raise TypeError(
        f"save: cannot save {where} of type {type(obj).__name__} (chaingrad.save holds tensors, "
        "arrays, numbers, strings, bools, None and dicts/lists/tuples of them; never pickles)"
    )


def load(
    f: str | os.PathLike[str],
    map_location: Any = None,
    weights_only: Any = None,
    *,
    max_bytes: int | None = None,
) -> Any:
    """Read what ``save`` wrote; ``map_location``/``weights_only`` are accepted for PyTorch code
    and ignored (everything is on the CPU, and nothing but data is ever loaded).

    Bounded as ``chaingrad.nn.load``: only regular files; headers before data; the arrays'
    declared sizes total at most ``max_bytes`` (default ``$CHAINGRAD_LOAD_LIMIT``, else 1 GiB).
    Errors: ``FileNotFoundError`` for a missing file, ``ValueError`` for anything else.
    """
    arrays = read_npz(f, "load", max_bytes=max_bytes)
    raw = arrays.pop(STRUCTURE_KEY, None)
    if raw is None:
        return arrays  # a plain .npz of arrays (np.savez, Module.save): its arrays by name
    if raw.dtype != np.uint8 or raw.ndim != 1 or raw.size > _MAX_STRUCTURE_BYTES:
        raise ValueError(f"load: {f} has a damaged structure description ({raw.dtype} {raw.shape})")
    try:
        structure = json.loads(raw.tobytes().decode())
        if structure.get("format") != FORMAT:
            raise ValueError(f"unknown format {structure.get('format')!r}")
        return _decode(structure["root"], arrays)
    except (
        UnicodeDecodeError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
    ) as error:
        message = " ".join(str(error).split()) or type(error).__name__
        raise ValueError(f"load: {f} has a damaged structure description ({message})") from None


def _decode(node: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    """The object a JSON node describes (any malformed node raises, and ``load`` reports it)."""
    kind = node["type"]
    if kind == "none":
        return None
    if kind in ("bool", "int", "str"):
        return {"bool": bool, "int": int, "str": str}[kind](node["value"])
    if kind == "float":
        return float(node["value"])
    if kind in ("tensor", "ndarray", "scalar"):
        array = arrays[node["array"]]
        if kind == "scalar":
            return array[()]
        if kind == "ndarray":
            return array
        if array.dtype.kind not in "biuf":
            raise ValueError(f"tensor {node['array']} has dtype {array.dtype}")
        return Tensor(
            array, requires_grad=bool(node.get("requires_grad")) and array.dtype.kind == "f"
        )
    if kind == "dict":
        return {_decode(k, arrays): _decode(v, arrays) for k, v in node["items"]}
    if kind in ("list", "tuple"):
        items = [_decode(v, arrays) for v in node["items"]]
        return items if kind == "list" else tuple(items)
    raise ValueError(f"unknown node type {kind!r}")

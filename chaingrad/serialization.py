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
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from chaingrad.autograd.tensor import Tensor

__all__ = ["load", "save"]

STRUCTURE_KEY = "__structure__"
FORMAT = "chaingrad.save/1"
# deflate expands at most ~1032×: a member that claims more was forged to make us allocate
_MAX_EXPANSION = 1100


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
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.replace(tmp, path)  # atomic: a crash leaves the previous file intact
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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


def load(f: str | os.PathLike[str], map_location: Any = None, weights_only: Any = None) -> Any:
    """Read what ``save`` wrote; ``map_location``/``weights_only`` are accepted for PyTorch code
    and ignored (everything is on the CPU, and nothing but data is ever loaded)."""
    arrays = read_npz(f, "load")
    raw = arrays.pop(STRUCTURE_KEY, None)
    if raw is None:
        return arrays  # a plain .npz of arrays (np.savez, Module.save): its arrays by name
    try:
        structure = json.loads(raw.astype(np.uint8).tobytes().decode())
        if structure.get("format") != FORMAT:
            raise ValueError(f"unknown format {structure.get('format')!r}")
        return _decode(structure["root"], arrays)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"load: {f} has a damaged structure description ({error})") from None


def _decode(node: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
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
        return Tensor(
            array, requires_grad=bool(node.get("requires_grad")) and array.dtype.kind == "f"
        )
    if kind == "dict":
        return {_decode(k, arrays): _decode(v, arrays) for k, v in node["items"]}
    if kind in ("list", "tuple"):
        items = [_decode(v, arrays) for v in node["items"]]
        return items if kind == "list" else tuple(items)
    raise ValueError(f"unknown node type {kind!r}")


def read_npz(f: str | os.PathLike[str], op: str) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, refusing pickles, non-zip files, non-regular files and
    arrays whose declared size the file cannot hold, each with one clear line."""
    path = Path(f)
    if not path.exists():
        raise FileNotFoundError(f"{op}: no file at {path}")
    if not path.is_file():
        raise ValueError(f"{op}: {path} is not a regular file")
    with open(path, "rb") as file:
        head = file.read(4)
    if head[:1] == b"\x80":  # the PROTO opcode that starts every modern pickle
        raise ValueError(
            f"{op}: {path} is a pickle (a torch.save file?), not a chaingrad .npz file; "
            "refusing to unpickle it"
        )
    if head[:2] != b"PK":
        raise ValueError(f"{op}: {path} is not a chaingrad .npz file (not a zip archive)")
    try:
        _check_sizes(path, op)
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise ValueError(
                f"{op}: {path} contains a pickled object; refusing to unpickle it"
            ) from None
        if str(error).startswith(f"{op}:"):
            raise
        raise ValueError(f"{op}: {path} is not a valid .npz file ({error})") from None
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(f"{op}: {path} is not a valid .npz file ({error})") from None


def _check_sizes(path: Path, op: str) -> None:
    """Each member's declared array size must fit the bytes the zip says it holds, and those
    must be plausible for its compressed size: a small file cannot ask for gigabytes."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.compress_type != zipfile.ZIP_STORED and (
                info.file_size > _MAX_EXPANSION * info.compress_size + 4096
            ):
                raise ValueError(f"{op}: {path}: member {info.filename} claims an implausible size")
            if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
                raise ValueError(f"{op}: {path}: member {info.filename} has inconsistent sizes")
            with archive.open(info) as member:
                try:
                    version = np.lib.format.read_magic(member)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(member)
                    else:
                        shape, _, dtype = np.lib.format.read_array_header_2_0(member)
                except ValueError as error:
                    raise ValueError(
                        f"{op}: {path}: member {info.filename} is not an .npy array ({error})"
                    ) from None
            declared = math.prod(shape) * dtype.itemsize
            if declared > info.file_size:
                raise ValueError(
                    f"{op}: {path}: array {info.filename} declares {declared} bytes but the file "
                    f"holds {info.file_size}"
                )

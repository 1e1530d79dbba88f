"""Model files: a state dict in a NumPy ``.npz``, read back without ever unpickling."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any, Protocol

import numpy as np


class Model(Protocol):
    """What a model file is written from and read into; ``nn.Module`` is one.

    A protocol rather than ``nn.Module`` itself: ``nn.module`` imports this file (``Module.save``).
    """

    def state_dict(self) -> dict[str, np.ndarray]: ...

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> Any: ...


METADATA_KEY = "__metadata__"  # JSON text as uint8 bytes: what a program needs to rebuild a model


def save(
    model: Model, path: str | os.PathLike[str], metadata: dict[str, Any] | None = None
) -> Path:
    """Write ``model.state_dict()`` to ``path`` (``.npz`` is added if missing).

    ``metadata``, a JSON-serialisable dict (layer sizes, a vocabulary), is stored beside the
    arrays as UTF-8 bytes: readable with ``load_metadata``, ignored by ``load``.
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = model.state_dict()
    for name, array in state.items():
        if array.dtype == object:
            raise TypeError(f"save: {name!r} is an object array; model files hold numbers only")
    if metadata is not None:
        state[METADATA_KEY] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)
    np.savez(path, **state)
    return path


def load(path: str | os.PathLike[str], model: Model | None = None) -> dict[str, np.ndarray] | Model:
    """Read a model file: the state dict, or ``model`` with it loaded when one is given.

    The file is opened with ``allow_pickle=False``: a file that carries a pickled object is
    refused with an error, never executed.
    """
    state = _read_arrays(path)
    state.pop(METADATA_KEY, None)
    if not state:
        raise ValueError(f"load: {path} holds no arrays")
    if model is None:
        return state
    model.load_state_dict(state)
    return model


def load_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata dict saved with a model (empty when there is none)."""
    raw = _read_arrays(path).get(METADATA_KEY)
    if raw is None:
        return {}
    try:
        return json.loads(raw.astype(np.uint8).tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"load_metadata: the metadata in {path} is not valid JSON ({error})"
        ) from None


def _read_arrays(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every array of an .npz file, refusing pickles and non-npz files with clear errors."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load: no model file at {path}")
    with open(path, "rb") as file:
        head = file.read(4)
    if head[:1] == b"\x80":  # the PROTO opcode that starts every modern pickle
        raise ValueError(
            f"load: {path} is a pickle, not an .npz model file; refusing to unpickle it"
        )
    if head[:2] != b"PK":  # an .npz is a zip archive
        raise ValueError(f"load: {path} is not a valid .npz model file (not a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise ValueError(
                f"load: {path} contains a pickled object; refusing to unpickle it "
                "(chaingrad model files hold plain arrays only)"
            ) from None
        raise ValueError(f"load: {path} is not a valid .npz model file ({error})") from None
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(f"load: {path} is not a valid .npz model file ({error})") from None

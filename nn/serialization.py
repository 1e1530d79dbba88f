"""Model files: a state dict in a NumPy ``.npz``, written atomically, read back within bounds.

Writing (``save``, ``atomic_write``): a temporary file in the destination's folder, flushed and
fsynced, then ``os.replace``d over the destination. A crash or a kill mid-write leaves the
previous file intact; any error removes the temporary file.

Reading (``load``, ``load_metadata``, ``read_npz``) never unpickles and bounds what it reads:

- only a regular file is opened (a FIFO, a directory or a device is refused before ``open``,
  and the opened descriptor is checked again, so a FIFO can never block);
- the zip central directory and every member's ``.npy`` header (shape, dtype) are read before
  any array data, and are refused when inconsistent (a member that claims more bytes than its
  compressed data can expand to, an array larger than its member, encryption, an unknown
  compression method, object or zero-width dtypes);
- the arrays' declared sizes, in total, must stay within a limit: ``max_bytes`` when given, else
  the environment variable ``CHAINGRAD_LOAD_LIMIT`` (bytes), else ``DEFAULT_MAX_BYTES`` (1 GiB);
- with a model, keys, shapes and dtypes are checked against it before any data is read.

Every refusal is one line naming the file and, where there is one, the member. The documented
errors are ``FileNotFoundError`` (no such file), ``KeyError`` (keys do not match the model),
``TypeError`` (an array of a non-numeric dtype for the model) and ``ValueError`` (everything
else: not a regular file, unreadable, not a valid or too large ``.npz``).
"""

from __future__ import annotations

import json
import math
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np

from chaingrad.autograd.files import atomic_write


class Model(Protocol):
    """What a model file is written from and read into; ``nn.Module`` is one.

    A protocol rather than ``nn.Module`` itself: ``nn.module`` imports this file (``Module.save``).
    """

    def state_dict(self) -> dict[str, np.ndarray]: ...

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> Any: ...


METADATA_KEY = "__metadata__"  # JSON text as uint8 bytes: what a program needs to rebuild a model
DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB of array data per file, unless told otherwise
LIMIT_ENV = "CHAINGRAD_LOAD_LIMIT"
METADATA_MAX_BYTES = 4 << 20  # JSON metadata is a few KB; 4 MiB holds any honest vocabulary
# deflate expands at most ~1032×: a member that claims more was forged to make us allocate
MAX_EXPANSION = 1100
_MAX_MEMBERS = 100_000
_MAX_DIMS = 32
_READABLE_KINDS = "biufcSUmM"  # numbers, bools, strings, datetimes; never objects or records


def save(
    model: Model, path: str | os.PathLike[str], metadata: dict[str, Any] | None = None
) -> Path:
    """Write ``model.state_dict()`` to ``path`` atomically (``.npz`` is added if missing).

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
    with atomic_write(path) as file:
        np.savez(file, **state)
    return path


# ------------------------------------------------------------------------------------ reading
def load_limit(max_bytes: int | None = None) -> int:
    """The byte limit for one file's arrays: ``max_bytes``, else ``$CHAINGRAD_LOAD_LIMIT``,
    else ``DEFAULT_MAX_BYTES`` (1 GiB)."""
    if max_bytes is not None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"load: max_bytes must be a non-negative int, got {max_bytes!r}")
        return max_bytes
    text = os.environ.get(LIMIT_ENV)
    if text is None or not text.strip():
        return DEFAULT_MAX_BYTES
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"load: {LIMIT_ENV} must be a non-negative number of bytes, got {text!r}")
    return value


@dataclass(frozen=True)
class ArrayHeader:
    """What a member's ``.npy`` header declares, read before any of its data."""

    name: str  # the array's name (the member's file name without ``.npy``)
    shape: tuple[int, ...]
    dtype: np.dtype
    nbytes: int


Check = Callable[[dict[str, ArrayHeader]], None]


def read_npz(
    path: str | os.PathLike[str],
    op: str = "load",
    *,
    max_bytes: int | None = None,
    names: Mapping[str, Any] | set[str] | None = None,
    check: Check | None = None,
    noun: str = "file",
) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` (only those in ``names`` when given), within the bounds above.

    ``check`` sees every member's declared header before any data is read and may raise.
    ``op`` and ``noun`` shape the messages ("load: no model file at ...").
    """
    limit = load_limit(max_bytes)
    with open_regular(path, op, noun) as file:
        head = file.read(4)
        if head[:1] == b"\x80":  # the PROTO opcode that starts every modern pickle
            raise ValueError(
                f"{op}: {path} is a pickle, not an .npz model file; refusing to unpickle it "
                "(a torch.save file? chaingrad files are .npz archives)"
            )
        if head[:2] != b"PK":
            raise ValueError(f"{op}: {path} is not a valid .npz model file (not a zip archive)")
        size = os.fstat(file.fileno()).st_size
        file.seek(0)
        try:
            archive = zipfile.ZipFile(file)
        except _ZIP_ERRORS as error:
            raise ValueError(f"{op}: {path} is not a valid .npz model file ({error})") from None
        with archive:
            headers = _scan(archive, path, op, size)
            wanted = [h for h in headers.values() if names is None or h.name in names]
            total = sum(h.nbytes for h in wanted)
            if total > limit:
                biggest = max(wanted, key=lambda h: h.nbytes)
                raise ValueError(
                    f"{op}: {path}: its arrays declare {total:,} bytes (member {biggest.name}.npy: "
                    f"{biggest.nbytes:,}), more than the limit of {limit:,} (pass max_bytes= or "
                    f"set {LIMIT_ENV})"
                )
            if check is not None:
                check(headers)
            return {h.name: _read_member(archive, h, path, op) for h in wanted}


_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    OverflowError,
)


def open_regular(path: str | os.PathLike[str], op: str, noun: str = "file") -> IO[bytes]:
    """``path`` opened for binary reading if it is a regular file, else one clear error.

    Checked with ``os.stat`` before ``open`` and ``os.fstat`` after it.

    The descriptor is opened non-blocking, so a file swapped for a FIFO between the two checks
    cannot block either; the flag is cleared once the descriptor is known to be a regular file.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{op}: no {noun} at {path}") from None
    except (OSError, ValueError) as error:
        raise ValueError(f"{op}: cannot read {path} ({_reason(error)})") from None
    _require_regular(info.st_mode, path, op)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"{op}: no {noun} at {path}") from None
    except OSError as error:
        raise ValueError(f"{op}: cannot read {path} ({_reason(error)})") from None
    try:
        _require_regular(os.fstat(descriptor).st_mode, path, op)
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _reason(error: BaseException) -> str:
    return getattr(error, "strerror", None) or str(error)


def _require_regular(mode: int, path: str | os.PathLike[str], op: str) -> None:
    if stat.S_ISREG(mode):
        return
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    kind = next((name for test, name in kinds if test(mode)), "a special file")
    raise ValueError(f"{op}: {path} is not a regular file (it is {kind})")


def _scan(
    archive: zipfile.ZipFile, path: str | os.PathLike[str], op: str, size: int
) -> dict[str, ArrayHeader]:
    """Every member's declared header, checked against the zip directory's sizes."""
    infos = archive.infolist()
    if len(infos) > _MAX_MEMBERS:
        raise ValueError(
            f"{op}: {path} has {len(infos):,} members; refusing more than {_MAX_MEMBERS:,}"
        )
    headers: dict[str, ArrayHeader] = {}
    for info in infos:
        where = f"{op}: {path}: member {info.filename!r}"
        if not info.filename.endswith(".npy"):
            raise ValueError(f"{where} is not an .npy array")
        name = info.filename[: -len(".npy")]
        if name in headers:
            raise ValueError(f"{where} appears twice")
        if info.flag_bits & 0x1:
            raise ValueError(f"{where} is encrypted")
        if info.compress_type == zipfile.ZIP_STORED:
            if info.file_size != info.compress_size:
                raise ValueError(f"{where} has inconsistent sizes (stored, yet sizes differ)")
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            if info.file_size > MAX_EXPANSION * info.compress_size + 4096:
                raise ValueError(
                    f"{where} claims {info.file_size:,} bytes from {info.compress_size:,} "
                    "compressed: more than deflate can expand to (a zip bomb?)"
                )
        else:
            raise ValueError(f"{where} uses compression method {info.compress_type}")
        if info.header_offset + info.compress_size > size:
            raise ValueError(f"{where} lies beyond the end of the file (truncated?)")
        headers[name] = _read_header(archive, info, name, where)
    return headers


def _read_header(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, where: str
) -> ArrayHeader:
    """The member's ``.npy`` header (only the header's bytes are decompressed)."""
    try:
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            elif version in ((2, 0), (3, 0)):
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise ValueError(f"unsupported .npy version {version}")
            header_bytes = member.tell()
    except Exception as error:  # any malformed header, whatever numpy or zipfile raises for it
        raise ValueError(f"{where} is not an .npy array ({_one_line(error)})") from None
    if dtype.hasobject:
        raise ValueError(
            f"{where} contains a pickled object; refusing to unpickle it "
            "(chaingrad model files hold plain arrays only)"
        )
    if dtype.kind not in _READABLE_KINDS or dtype.itemsize == 0:
        raise ValueError(f"{where} has dtype {dtype}; model files hold plain numeric arrays")
    if len(shape) > _MAX_DIMS or any(d < 0 for d in shape):
        raise ValueError(f"{where} declares an impossible shape {shape}")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > info.file_size - header_bytes:
        raise ValueError(
            f"{where} declares {nbytes:,} bytes of {dtype} {shape} but holds "
            f"{max(0, info.file_size - header_bytes):,}"
        )
    return ArrayHeader(name, tuple(shape), dtype, nbytes)


def _read_member(
    archive: zipfile.ZipFile, header: ArrayHeader, path: str | os.PathLike[str], op: str
) -> np.ndarray:
    """One member's array, read after its header passed every check."""
    try:
        with archive.open(f"{header.name}.npy") as member:
            array = np.lib.format.read_array(member, allow_pickle=False)
    except Exception as error:  # damaged data: bad CRC, corrupt deflate stream, short read
        raise ValueError(
            f"{op}: {path}: member {header.name + '.npy'!r} is damaged ({_one_line(error)})"
        ) from None
    if array.shape != header.shape or array.dtype != header.dtype:  # pragma: no cover
        raise ValueError(f"{op}: {path}: member {header.name + '.npy'!r} changed while read")
    return array


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _model_check(model: Model, path: str | os.PathLike[str]) -> Check:
    """A ``check`` for ``read_npz``: the file's keys, shapes and dtypes must fit ``model``."""
    expected = {key: (value.shape, value.dtype) for key, value in model.state_dict().items()}

    def check(headers: dict[str, ArrayHeader]) -> None:
        found = {name: h for name, h in headers.items() if name != METADATA_KEY}
        missing = [k for k in expected if k not in found]
        unexpected = [k for k in found if k not in expected]
        if missing or unexpected:
            raise KeyError(
                f"load: {path} does not fit the model: missing keys {missing}, unexpected keys "
                f"{unexpected}"
            )
        for key, (shape, _) in expected.items():
            header = found[key]
            if header.dtype.kind not in "biuf":
                raise TypeError(
                    f"load: {path}: member {key + '.npy'!r} is an array of {header.dtype}; "
                    "model weights are numbers"
                )
            if header.shape != tuple(shape):
                raise ValueError(
                    f"load: {path}: member {key + '.npy'!r} has shape {header.shape} but the "
                    f"model's {key!r} has {tuple(shape)}"
                )

    return check


def load(
    path: str | os.PathLike[str], model: Model | None = None, *, max_bytes: int | None = None
) -> dict[str, np.ndarray] | Model:
    """Read a model file: the state dict, or ``model`` with it loaded when one is given.

    Nothing is ever unpickled. The arrays' declared sizes must total at most ``max_bytes``
    (default: ``$CHAINGRAD_LOAD_LIMIT``, else 1 GiB); with ``model``, the file's keys, shapes and
    dtypes are checked against it before any array data is read.
    """
    check = _model_check(model, path) if model is not None else None
    state = read_npz(path, "load", max_bytes=max_bytes, check=check, noun="model file")
    state.pop(METADATA_KEY, None)
    if not state:
        raise ValueError(f"load: {path} holds no arrays")
    if model is None:
        return state
    model.load_state_dict(state)
    return model


def load_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata dict saved with a model (empty when there is none); only its bytes are read
    (at most ``METADATA_MAX_BYTES``), never the weights."""
    arrays = read_npz(
        path, "load_metadata", max_bytes=METADATA_MAX_BYTES, names={METADATA_KEY}, noun="model file"
    )
    raw = arrays.get(METADATA_KEY)
    if raw is None:
        return {}
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(
            f"load_metadata: the metadata in {path} is not UTF-8 bytes ({raw.dtype} {raw.shape})"
        )
    try:
        metadata = json.loads(raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ValueError(
            f"load_metadata: the metadata in {path} is not valid JSON ({_one_line(error)})"
        ) from None
    if not isinstance(metadata, dict):
        raise ValueError(
            f"load_metadata: the metadata in {path} is a JSON {type(metadata).__name__}, "
            "not an object"
        )
    return metadata

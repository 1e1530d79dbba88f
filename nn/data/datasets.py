"""Data sets as NumPy arrays: toy generators, the real 8×8 digits, texts and MNIST-format files.

Everything here is plain NumPy (no autograd): images are NCHW float arrays, labels int64.
``digits()`` reads a file shipped inside the package (see ``nn/data_files/README.md``), so nothing
is downloaded at run time.
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import gzip
import importlib.util
import io
import math
import os
import sys
import zlib
from dataclasses import dataclass, field
from importlib import resources
from typing import BinaryIO

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from chaingrad.autograd.random import rng
from chaingrad.nn.serialization import MAX_EXPANSION, load_limit, open_regular

__all__ = [
    "IdxError",
    "TextData",
    "digits",
    "idx",
    "idx_pair",
    "moons",
    "spirals",
    "text",
    "train_test_split",
]

DIGITS_FILE = "data_files/digits.npz"
DIGITS_SHAPE = (1797, 8, 8)


def _generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A NumPy Generator, a new one from an int, else chaingrad's default stream (manual_seed)."""
    return rng(seed)


# --- generated toy problems -------------------------------------------------------------------


def moons(
    n: int = 100, noise: float = 0.1, seed: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (like scikit-learn's ``make_moons``).

    Returns ``x`` (n, 2) float32 and integer labels ``y`` (n,) in {0, 1}: the upper moon is
    class 0, the lower one class 1. ``noise`` is the standard deviation of Gaussian jitter.
    """
    if n < 2:
        raise ValueError(f"moons: need n >= 2 points, got {n}")
    rng = _generator(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    x = np.concatenate([upper, lower]) + rng.normal(0.0, noise, size=(n, 2))
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order]


def spirals(
    n_per_class: int = 100,
    classes: int = 3,
    noise: float = 0.2,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """CS231n's spirals: ``x`` (n_per_class * classes, 2) float32 and ``y`` int64, shuffled."""
    # As in the course notes: arm j has radii linspace(0, 1) and angles linspace(4j, 4(j + 1))
    # plus Gaussian noise of standard deviation `noise` on the angle. Shuffled like moons.
    if n_per_class < 1:
        raise ValueError(f"spirals: need n_per_class >= 1, got {n_per_class}")
    if classes < 1:
        raise ValueError(f"spirals: need classes >= 1, got {classes}")
    if noise < 0:
        raise ValueError(f"spirals: noise is a standard deviation and must be >= 0, got {noise}")
    rng = _generator(seed)
    radius = np.linspace(0.0, 1.0, n_per_class)
    arms = []
    for j in range(classes):
        theta = np.linspace(4.0 * j, 4.0 * (j + 1), n_per_class)
        theta = theta + rng.normal(0.0, noise, size=n_per_class)
        arms.append(np.stack([radius * np.sin(theta), radius * np.cos(theta)], axis=1))
    x = np.concatenate(arms)
    y = np.repeat(np.arange(classes, dtype=np.int64), n_per_class)
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order]


# --- the real 8×8 handwritten digits ----------------------------------------------------------


def digits(flatten: bool = False, dtype: DTypeLike = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """UCI 8×8 digits, offline: images (1797, 1, 8, 8) or (1797, 64) of raw 0–16, labels int64."""
    # Pixels are the raw counts 0-16, not normalised: divide by 16 or standardise on the training
    # split. `dtype` is the images' dtype; labels are the digits 0-9.
    with (
        resources.files("chaingrad.nn").joinpath(DIGITS_FILE).open("rb") as f,
        np.load(f, allow_pickle=False) as archive,
    ):
        images = archive["images"]
        labels = archive["labels"]
    if images.shape != DIGITS_SHAPE or labels.shape != DIGITS_SHAPE[:1]:
        raise RuntimeError(
            f"digits: the shipped {DIGITS_FILE} is damaged: images {images.shape}, "
            f"labels {labels.shape}; reinstall chaingrad"
        )
    shape = (len(images), 64) if flatten else (len(images), 1, 8, 8)
    return images.reshape(shape).astype(dtype), labels.astype(np.int64)


# --- splitting --------------------------------------------------------------------------------


def _test_count(test_size: float | int, n: int) -> int:
    """Number of test samples for ``test_size`` (a fraction or a count) out of ``n``."""
    if isinstance(test_size, (bool, np.bool_)) or not isinstance(
        test_size, (int, float, np.integer, np.floating)
    ):
        raise ValueError(
            "train_test_split: test_size must be a fraction in (0, 1) or a sample count, "
            f"got {test_size!r}"
        )
    if isinstance(test_size, (int, np.integer)):
        if not 1 <= test_size <= n - 1:
            raise ValueError(
                f"train_test_split: test_size={test_size} samples must be between 1 and "
                f"{n - 1} for {n} samples"
            )
        return int(test_size)
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"train_test_split: test_size must be in (0, 1), got {test_size}")
    n_test = math.ceil(test_size * n)
    if n_test >= n:
        raise ValueError(
            f"train_test_split: test_size={test_size} of {n} samples leaves no training samples"
        )
    return n_test


def _stratified_test_indices(
    labels: np.ndarray, n_test: int, rng: np.random.Generator
) -> np.ndarray:
    """Test indices taking from each class its share of ``n_test`` (largest remainders)."""
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    n = len(labels)
    if counts.min() < 2:
        lonely = classes[counts.argmin()].item()
        raise ValueError(
            f"train_test_split: stratify class {lonely!r} has only 1 sample; every class needs "
            "at least 2 to appear in both splits"
        )
    if n_test < len(classes) or n - n_test < len(classes):
        raise ValueError(
            f"train_test_split: a {n - n_test}/{n_test} train/test split cannot hold all "
            f"{len(classes)} stratify classes in both parts"
        )
    exact = counts * n_test / n
    quota = np.floor(exact).astype(np.int64)
    leftover = n_test - int(quota.sum())
    quota[np.argsort(quota - exact, kind="stable")[:leftover]] += 1
    picks = [
        rng.permutation(np.flatnonzero(inverse == k))[:q] for k, q in enumerate(quota.tolist())
    ]
    return np.concatenate(picks)


def train_test_split(
    *arrays: ArrayLike,
    test_size: float | int = 0.2,
    seed: int | np.random.Generator | None = None,
    stratify: ArrayLike | None = None,
) -> list[np.ndarray]:
    """Shuffle and split arrays alike into ``[a_train, a_test, b_train, b_test, ...]``."""
    # test_size is a fraction (the test count rounds up, as in scikit-learn) or a sample count;
    # with stratify=labels each class keeps its share of samples in both parts.
    if not arrays:
        raise ValueError("train_test_split: give at least one array")
    data = [np.asarray(a) for a in arrays]
    for i, a in enumerate(data):
        if a.ndim == 0:
            raise ValueError(f"train_test_split: array {i} is a scalar, not a sequence of samples")
    lengths = [len(a) for a in data]
    if len(set(lengths)) > 1:
        raise ValueError(f"train_test_split: the arrays have different lengths {lengths}")
    n = lengths[0]
    if n < 2:
        raise ValueError(f"train_test_split: need at least 2 samples to split, got {n}")
    n_test = _test_count(test_size, n)
    rng = _generator(seed)
    if stratify is None:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        labels = np.asarray(stratify)
        if labels.shape[:1] != (n,) or labels.ndim != 1:
            raise ValueError(
                f"train_test_split: stratify has shape {labels.shape}, expected ({n},)"
            )
        test = rng.permutation(_stratified_test_indices(labels, n_test, rng))
        in_test = np.zeros(n, dtype=bool)
        in_test[test] = True
        train = rng.permutation(np.flatnonzero(~in_test))
    return [part for a in data for part in (a[train], a[test])]


# --- text -------------------------------------------------------------------------------------

HELLO = "hello"
HELLO_VOCAB = ("h", "e", "l", "o")  # the lecture's one-hot order


def _zen_of_python() -> str:
    """The Zen of Python, decoded from the standard library's ``this`` without printing it."""
    module = sys.modules.get("this")
    if module is not None:
        return codecs.decode(module.s, "rot13")
    spec = importlib.util.find_spec("this")
    source = spec.loader.get_source("this") if spec is not None and spec.loader else None
    if source is None:  # no source to read (a frozen or byte-code-only stdlib): import quietly
        with contextlib.redirect_stdout(io.StringIO()):
            import this  # noqa: F401
        return codecs.decode(sys.modules["this"].s, "rot13")
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["s"]
            and isinstance(node.value, ast.Constant)
        ):
            return codecs.decode(node.value.value, "rot13")
    raise RuntimeError("text: the standard library's `this` module has no Zen string `s`")


BUILTIN_TEXTS = {"hello": lambda: HELLO, "zen": _zen_of_python}


@dataclass(frozen=True)
class TextData:
    """A text, its character vocabulary and its encoding as vocabulary indices."""

    name: str
    text: str
    vocab: tuple[str, ...]
    encoded: np.ndarray = field(init=False, repr=False, compare=False)
    _codes: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        codes = np.array([ord(c) for c in self.vocab], dtype=np.uint32)
        object.__setattr__(self, "_codes", codes)
        object.__setattr__(self, "encoded", self.encode(self.text))

    @property
    def vocab_size(self) -> int:
        """Number of distinct characters."""
        return len(self.vocab)

    def encode(self, s: str) -> np.ndarray:
        """Indices (int64) of the characters of ``s`` in the vocabulary."""
        points = np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        order = np.argsort(self._codes)
        sorted_codes = self._codes[order]
        where = np.minimum(np.searchsorted(sorted_codes, points), len(sorted_codes) - 1)
        missing = np.flatnonzero(sorted_codes[where] != points)
        if missing.size:
            i = int(missing[0])
            raise ValueError(
                f"encode: character {s[i]!r} at position {i} is not in the vocabulary of "
                f"{self.name!r}"
            )
        return order[where].astype(np.int64)

    def decode(self, indices: ArrayLike) -> str:
        """The string whose characters have the vocabulary ``indices`` (a 1-D integer sequence)."""
        ids = np.asarray(indices)
        if ids.size == 0:
            return ""
        if ids.ndim > 1 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(
                f"decode: expected a 1-D sequence of integer indices, got {ids.dtype} "
                f"with shape {ids.shape}"
            )
        ids = ids.reshape(-1)
        bad = np.flatnonzero((ids < 0) | (ids >= len(self.vocab)))
        if bad.size:
            raise ValueError(
                f"decode: index {int(ids[bad[0]])} at position {int(bad[0])} is outside the "
                f"vocabulary of {len(self.vocab)} characters"
            )
        return self._codes[ids].astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")


def text(name_or_path: str | os.PathLike[str]) -> TextData:
    """A built-in text (``"hello"``, ``"zen"``) or a UTF-8 file, with vocabulary and encoding."""
    # A built-in name wins over a file of the same name; "./hello" reads the file.
    if isinstance(name_or_path, str) and name_or_path in BUILTIN_TEXTS:
        content = BUILTIN_TEXTS[name_or_path]()
        vocab = HELLO_VOCAB if name_or_path == "hello" else tuple(sorted(set(content)))
        return TextData(name_or_path, content, vocab)
    path = os.fspath(name_or_path)
    if not os.path.exists(path):
        builtins = ", ".join(repr(k) for k in BUILTIN_TEXTS)
        if isinstance(name_or_path, str) and os.sep not in path and "." not in path:
            raise ValueError(
                f"text: unknown built-in text {path!r} (built-ins: {builtins}), and no file of "
                "that name either"
            )
        raise FileNotFoundError(f"text: no such file: {path} (built-ins: {builtins})")
    try:
        with open(path, encoding="utf-8-sig") as f:
            content = f.read()
    except UnicodeDecodeError as e:
        raise ValueError(f"text: {path} is not UTF-8 text ({e.reason} at byte {e.start})") from e
    if not content:
        raise ValueError(f"text: {path} is empty")
    return TextData(path, content, tuple(sorted(set(content))))


# --- MNIST-format IDX files -------------------------------------------------------------------

IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


class IdxError(ValueError):
    """An IDX file that cannot be read as what its header says; the message names the file."""


IDX_MAX_DIMS = 32  # MNIST uses 1-4; NumPy allows 64


def _read_full(stream: BinaryIO, buffer: memoryview) -> int:
    """Fill ``buffer`` from ``stream``; the number of bytes read (short only at end of stream)."""
    filled = 0
    while filled < len(buffer):
        n = stream.readinto(buffer[filled:])
        if not n:
            break
        filled += n
    return filled


def _count_rest(stream: BinaryIO, cap: int = 1 << 20) -> int:
    """How many bytes remain in ``stream``, counting at most ``cap`` (+1 to say "more")."""
    count = 0
    while count <= cap:
        chunk = stream.read(min(1 << 16, cap + 1 - count))
        if not chunk:
            break
        count += len(chunk)
    return count


def idx(
    path: str | os.PathLike[str],
    *,
    max_bytes: int | None = None,
    allow_nonfinite: bool = False,
) -> np.ndarray:
    """Read an MNIST-format IDX file (optionally gzipped) into a native-endian array.

    Bounded like ``chaingrad.nn.load``: only a regular file is opened; the header's declared
    size must fit ``max_bytes`` (default ``$CHAINGRAD_LOAD_LIMIT``, else 1 GiB) and what the file
    can hold (a gzipped file expands at most ~1100×) before the array is allocated; the stream is
    never decompressed beyond it. Float files holding NaN or inf are refused unless
    ``allow_nonfinite``. Every error is an ``IdxError`` (a ValueError) naming the file, or
    ``FileNotFoundError``.
    """
    path = os.fspath(path)
    try:
        file = open_regular(path, "idx", "IDX file")
    except FileNotFoundError:
        raise
    except ValueError as error:
        raise IdxError(str(error)) from None
    with file:
        limit = load_limit(max_bytes)
        size = os.fstat(file.fileno()).st_size
        compressed = file.read(2) == GZIP_MAGIC
        file.seek(0)
        stream: BinaryIO = gzip.GzipFile(fileobj=file, mode="rb") if compressed else file
        try:
            return _read_idx(stream, path, size, compressed, limit, allow_nonfinite)
        except (EOFError, OSError, zlib.error) as e:
            raise IdxError(f"{path}: damaged gzip data ({e})") from None
        finally:
            stream.close()


def _read_idx(
    stream: BinaryIO, path: str, size: int, compressed: bool, limit: int, allow_nonfinite: bool
) -> np.ndarray:
    """The array of an opened IDX stream; every check happens before the allocation."""
    raw = stream.read(4)
    if len(raw) < 4:
        raise IdxError(f"{path}: truncated: {len(raw)} bytes, shorter than the 4-byte IDX header")
    if raw[0] != 0 or raw[1] != 0:
        raise IdxError(
            f"{path}: not an IDX file: magic number 0x{raw[:4].hex().upper()} "
            "does not start with two zero bytes"
        )
    code, ndim = raw[2], raw[3]
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise IdxError(f"{path}: unknown IDX type code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise IdxError(f"{path}: the IDX header declares zero dimensions")
    if ndim > IDX_MAX_DIMS:
        raise IdxError(
            f"{path}: the IDX header declares {ndim} dimensions; at most {IDX_MAX_DIMS} are read"
        )
    header = 4 + 4 * ndim
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise IdxError(
            f"{path}: truncated: {4 + len(dims)} bytes, shorter than the {header}-byte header "
            f"of a {ndim}-dimensional IDX file"
        )
    shape = tuple(int.from_bytes(dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
    if 0 in shape:
        raise IdxError(f"{path}: the IDX header declares an empty dimension in shape {shape}")
    dtype = IDX_TYPES[code]
    need = math.prod(shape) * dtype.itemsize
    if need > limit:
        raise IdxError(
            f"{path}: shape {shape} of {dtype.name} declares {need:,} bytes, more than the limit "
            f"of {limit:,} (pass max_bytes= or set CHAINGRAD_LOAD_LIMIT)"
        )
    # what the file can hold: its bytes, or ~1100× them once gunzipped (deflate's ceiling)
    most = (MAX_EXPANSION * size + 4096) if compressed else size - header
    if need > most:
        raise IdxError(
            f"{path}: truncated: shape {shape} of {dtype.name} needs {need} data bytes, the "
            f"file has {'at most ' if compressed else ''}{most}"
        )
    data = np.empty(shape, dtype=dtype)
    have = _read_full(stream, memoryview(data.reshape(-1).view(np.uint8)))
    if have < need:
        raise IdxError(
            f"{path}: truncated: shape {shape} of {dtype.name} needs {need} data bytes, "
            f"the file has {have}"
        )
    extra = _count_rest(stream) if compressed else size - header - need
    if extra:
        many = f"more than {extra - 1:,}" if extra > 1 << 20 else f"{extra}"
        raise IdxError(
            f"{path}: {many} trailing extra bytes: shape {shape} of {dtype.name} needs {need} "
            f"data bytes, the file has {need + extra}"
        )
    if dtype.itemsize > 1:  # big-endian on disk: swap in place, then read as native
        data = data.byteswap(inplace=True).view(dtype.newbyteorder("="))
    if dtype.kind == "f" and not allow_nonfinite:
        bad = ~np.isfinite(data)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise IdxError(
                f"{path}: {int(bad.sum()):,} non-finite values (NaN or inf; the first at index "
                f"{first}); pass allow_nonfinite=True to read them anyway"
            )
    return data


def idx_pair(
    images_path: str | os.PathLike[str], labels_path: str | os.PathLike[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Read an IDX images file and its labels file, checking they match; labels become int64."""
    images = idx(images_path)
    labels = idx(labels_path)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise IdxError(
            f"{os.fspath(labels_path)}: labels must be 1-D integers, got {labels.dtype} "
            f"with shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise IdxError(
            f"{os.fspath(images_path)} has {len(images)} images but {os.fspath(labels_path)} "
            f"has {len(labels)} labels"
        )
    return images, labels.astype(np.int64)

"""Files written atomically: a temporary file beside the target, flushed, then renamed over it.

Every file chaingrad writes (model files, ``chaingrad.save``, plots, graph drawings, the CLI's
outputs) goes through ``atomic_write``, so a crash or a kill mid-write leaves the previous file
intact. It lives in the engine, the lowest layer that writes files, so drawings can use it too.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@functools.cache
def _process_umask() -> int:
    """The process umask (read once; mkstemp's 0600 is widened to what ``open`` would give)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; on success it replaces ``path``.

    The data is flushed and fsynced before ``os.replace``, so after a crash or a kill the
    destination holds either its previous content or the complete new one, never a mix. On any
    error (or ``KeyboardInterrupt``) the temporary file is removed and the destination is left
    untouched. ``mode`` is ``"wb"`` or ``"w"`` (UTF-8 text). The folder must exist.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write: mode must be 'wb' or 'w', got {mode!r}")
    path = Path(path)
    folder = path.parent
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, 0o666 & ~_process_umask())  # mkstemp makes 0600; give what a plain open would
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (POSIX folders)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see ``atomic_write``)."""
    with atomic_write(path, "wb") as file:
        file.write(data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (see ``atomic_write``)."""
    with atomic_write(path, "w") as file:
        file.write(text)
    return Path(path)

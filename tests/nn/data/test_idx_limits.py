"""Issue 13: the IDX reader checks declared sizes against the (bounded) stream before allocating,
refuses 255-dimensional headers, non-regular files and NaN images, all as one-line errors."""

from __future__ import annotations

import gzip
import os
import struct
import tracemalloc
import zlib

import numpy as np
import pytest

from chaingrad.nn.data.datasets import IdxError, idx


def _header(code: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def _gzip_of_zeros(header: bytes, megabytes: int) -> bytes:
    """A gzip file: ``header`` then ``megabytes`` MiB of zeros, built without that much memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(header)]
    block = bytes(1 << 20)
    parts += [compressor.compress(block) for _ in range(megabytes)]
    parts.append(compressor.flush())
    return b"".join(parts)


def test_a_gzip_bomb_is_refused_before_allocating(tmp_path):
    # 60,000 images of 4096×4096 bytes declared (1 TB); the stream holds 64 MiB of zeros
    path = tmp_path / "bomb-images-idx3-ubyte.gz"
    path.write_bytes(_gzip_of_zeros(_header(0x08, (60000, 4096, 4096)), 64))
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(IdxError, match=r"declares [\d,]+ bytes, more than the limit") as info:
            idx(path)
        # a limit that allows it: still refused, the gzip cannot expand to the declared size
        with pytest.raises(IdxError, match=r"needs 1006632960000 data bytes, the file has at most"):
            idx(path, max_bytes=2**40)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value).startswith(str(path))
    assert peak < 80 << 20


def test_a_declared_size_beyond_what_the_gzip_can_expand_to_is_truncated(tmp_path):
    path = tmp_path / "claims.gz"
    path.write_bytes(gzip.compress(_header(0x08, (1000, 1000, 500)) + bytes(100)))
    tracemalloc.start()
    try:
        with pytest.raises(IdxError, match=r"truncated: .* needs 500000000 data bytes, the file "):
            idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # refused from the header: nothing near 500 MB was allocated


def test_trailing_gzip_data_is_counted_without_decompressing_it_all(tmp_path):
    path = tmp_path / "tail.gz"
    path.write_bytes(_gzip_of_zeros(_header(0x08, (2, 2)) + bytes(4), 8))
    with pytest.raises(IdxError, match=r"more than 1,048,576 trailing extra bytes"):
        idx(path)


@pytest.mark.parametrize("ndim", [33, 255])
def test_a_header_with_too_many_dimensions_is_one_line(tmp_path, ndim):
    path = tmp_path / "dims.idx"
    path.write_bytes(_header(0x08, (1,) * ndim) + b"\x00")
    with pytest.raises(IdxError, match=f"declares {ndim} dimensions; at most 32 are read"):
        idx(path)


def test_nan_and_inf_images_are_refused_unless_allowed(tmp_path):
    images = np.zeros((3, 2, 2), np.float32)
    images[1, 0, 1] = np.nan
    images[2, 1, 1] = np.inf
    path = tmp_path / "float.idx"
    path.write_bytes(_header(0x0D, images.shape) + images.astype(">f4").tobytes())
    with pytest.raises(IdxError, match=r"2 non-finite values .* first at index \(1, 0, 1\)"):
        idx(path)
    got = idx(path, allow_nonfinite=True)
    assert np.isnan(got[1, 0, 1]) and np.isinf(got[2, 1, 1]) and got.dtype == np.float32


def test_the_size_limit_applies_to_plain_files_too(tmp_path):
    path = tmp_path / "big.idx"
    path.write_bytes(_header(0x0C, (10, 10)) + bytes(400))
    with pytest.raises(IdxError, match="declares 400 bytes, more than the limit of 100"):
        idx(path, max_bytes=100)
    assert idx(path, max_bytes=400).shape == (10, 10)


def test_fifos_directories_and_devices_are_refused(tmp_path):
    fifo = tmp_path / "pipe.idx"
    os.mkfifo(fifo)
    with pytest.raises(IdxError, match=r"is not a regular file \(it is a FIFO"):
        idx(fifo)
    with pytest.raises(IdxError, match=r"is not a regular file \(it is a directory\)"):
        idx(tmp_path)
    with pytest.raises(IdxError, match=r"is not a regular file \(it is a character device\)"):
        idx("/dev/zero")


def test_big_endian_data_is_swapped_in_place(tmp_path):
    values = np.arange(-6, 6, dtype=np.int16).reshape(3, 4)
    path = tmp_path / "i16.idx.gz"
    path.write_bytes(gzip.compress(_header(0x0B, values.shape) + values.astype(">i2").tobytes()))
    got = idx(path)
    assert got.dtype == np.dtype("int16") and got.dtype.isnative
    np.testing.assert_array_equal(got, values)

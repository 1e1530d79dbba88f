"""Issue 13: fuzzing the file readers (``nn.load``, ``chaingrad.load``, ``load_state_dict``, the IDX
reader) with random bytes and mutated valid files.

The contract checked for every example: it ends within a few seconds (a SIGALRM per example),
raises nothing but the documented errors — ``ValueError`` (``IdxError`` is one),
``TypeError``, ``KeyError``, ``FileNotFoundError`` — and allocates no more than a small limit
(``max_bytes`` set to 256 KiB; ``tracemalloc``'s peak stays within a few MiB of it).
"""

from __future__ import annotations

import contextlib
import io
import signal
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chaingrad as cg
import chaingrad.nn as nn
from chaingrad.nn.data.datasets import idx

DOCUMENTED = (ValueError, TypeError, KeyError, FileNotFoundError)
LIMIT = 256 << 10
PEAK = LIMIT * 3 + (4 << 20)  # the array, its copy into the model, and the readers' buffers
SETTINGS = settings(
    max_examples=60,
    deadline=5000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


class HungError(Exception):
    """An example ran past its time: a hang, reported instead of blocking the suite."""


@contextlib.contextmanager
def bounded(seconds: int = 5):
    """Fail the example if it runs longer than ``seconds`` or allocates more than ``PEAK``."""

    def alarm(*_):
        raise HungError(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert peak <= PEAK, f"allocated {peak:,} bytes"


def _model() -> nn.Module:
    nn.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.Linear(5, 3))


def _valid_files() -> dict[str, bytes]:
    """A real nn model file (with metadata), a chaingrad.save file and an IDX file (plain, gz)."""
    import gzip

    model = _model()
    folder = Path(__import__("tempfile").mkdtemp())
    model.save(str(folder / "m.npz"), metadata={"kind": "mlp", "vocab": ["a", "b"]})
    cg.save({"model": model.state_dict(), "step": 3, "lr": [0.1, None]}, folder / "c.pt")
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw_idx = bytes([0, 0, 0x08, 3]) + np.array(images.shape, ">u4").tobytes() + images.tobytes()
    floats = np.linspace(-1, 1, 12, dtype=">f4").reshape(3, 4)
    raw_float = bytes([0, 0, 0x0D, 2]) + np.array((3, 4), ">u4").tobytes() + floats.tobytes()
    return {
        "model": (folder / "m.npz").read_bytes(),
        "saved": (folder / "c.pt").read_bytes(),
        "idx": raw_idx,
        "idx_gz": gzip.compress(raw_idx),
        "idx_float": raw_float,
    }


VALID = _valid_files()


@st.composite
def mutated(draw, names=tuple(VALID)):
    """A valid file with some bytes flipped, a cut, or bytes appended."""
    data = bytearray(VALID[draw(st.sampled_from(names))])
    for _ in range(draw(st.integers(0, 8))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    action = draw(st.sampled_from(["none", "truncate", "extend"]))
    if action == "truncate":
        del data[draw(st.integers(0, len(data))) :]
    elif action == "extend":
        data += draw(st.binary(max_size=64))
    return bytes(data)


FILES = st.one_of(
    st.binary(max_size=512),
    st.builds(lambda b: b"PK\x03\x04" + b, st.binary(max_size=512)),
    mutated(),
)


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "fuzz.bin"
    path.write_bytes(data)
    return path


def _call(function, *args, **kwargs):
    """Run ``function``; a documented error is a pass, anything else fails the example."""
    try:
        return function(*args, **kwargs)
    except DOCUMENTED:
        return None


@SETTINGS
@given(data=FILES)
def test_nn_load_and_load_state_dict(tmp_path, data):
    path = _write(tmp_path, data)
    with bounded():
        state = _call(nn.load, path, max_bytes=LIMIT)
        _call(nn.load, path, model=_model(), max_bytes=LIMIT)
        _call(nn.load_metadata, path)
        if state is not None:
            _call(_model().load_state_dict, state)
            _call(_model().load_state_dict, state, strict=False)


@SETTINGS
@given(data=FILES)
def test_chaingrad_load(tmp_path, data):
    path = _write(tmp_path, data)
    with bounded():
        loaded = _call(cg.load, path, max_bytes=LIMIT)
        if isinstance(loaded, dict) and isinstance(loaded.get("model"), dict):
            _call(_model().load_state_dict, loaded["model"])


@SETTINGS
@given(data=st.one_of(st.binary(max_size=512), mutated(("idx", "idx_gz", "idx_float"))))
def test_the_idx_reader(tmp_path, data):
    path = _write(tmp_path, data)
    with bounded():
        result = _call(idx, path, max_bytes=LIMIT)
    if result is not None:
        assert result.dtype.isnative and result.nbytes <= LIMIT
        if result.dtype.kind == "f":
            assert np.isfinite(result).all()


ODD_DTYPES = st.one_of(
    hnp.scalar_dtypes(),
    hnp.byte_string_dtypes(),
    hnp.unicode_string_dtypes(),
    st.just(np.dtype(object)),
)


@SETTINGS
@given(
    key=st.sampled_from(["0.weight", "1.running_mean", "2.bias", "nope"]),
    value=hnp.arrays(ODD_DTYPES, hnp.array_shapes(max_dims=3, max_side=6)),
)
def test_load_state_dict_with_arrays_of_any_dtype(key, value):
    model = _model()
    state = {**model.state_dict(), key: value}
    before = {k: v.copy() for k, v in model.state_dict().items()}
    with bounded():
        try:
            model.load_state_dict(state)
        except DOCUMENTED:
            for name, array in model.state_dict().items():  # a refusal loads nothing
                np.testing.assert_array_equal(array, before[name])
            return
    assert value.dtype.kind in "biuf"  # only numbers ever load


def test_the_fuzz_harness_reports_a_hang():
    """The per-example timeout is real: a read that blocks is turned into a failure."""
    import time

    with pytest.raises(HungError):
        with bounded(1):
            time.sleep(3)


def test_the_fuzz_harness_reports_an_allocation_beyond_the_limit():
    with pytest.raises(AssertionError, match="allocated"):
        with bounded():
            block = np.ones(PEAK // 8 + 1024)
            del block


def test_the_valid_seeds_are_valid(tmp_path):
    """The mutations start from files the readers accept."""
    assert set(nn.load(_write(tmp_path, VALID["model"]))) == set(_model().state_dict())
    assert cg.load(_write(tmp_path, VALID["saved"]))["step"] == 3
    assert idx(_write(tmp_path, VALID["idx_gz"])).shape == (2, 3, 4)
    assert io.BytesIO(VALID["idx"]).read(3) == b"\x00\x00\x08"

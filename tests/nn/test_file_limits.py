"""Issue 13: files are written atomically and read within bounds (kill mid-save, FIFO, zip bombs,
forged headers, the model checked before data, non-numeric state dicts)."""

from __future__ import annotations

import io
import os
import signal
import struct
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
from chaingrad.autograd.files import atomic_write, write_text
from chaingrad.nn.serialization import DEFAULT_MAX_BYTES, LIMIT_ENV, load_limit, read_npz

LOADERS = {"nn.load": nn.load, "chaingrad.load": cg.load}


def _model(seed: int = 0) -> nn.Module:
    nn.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


# ---------------------------------------------------------------------------- atomic writes
KILL_CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import chaingrad as cg
    import chaingrad.nn as nn

    path, which = sys.argv[1], sys.argv[2]
    nn.manual_seed(1)
    model = nn.Sequential(nn.Linear(512, 512), nn.Linear(512, 512), nn.Linear(512, 512))
    original = np.lib.format.write_array
    calls = []

    def slow_write_array(fp, array, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # two arrays (2 MB) are in the file: stop mid-save until killed
            print("writing", flush=True)
            time.sleep(120)
        return original(fp, array, *args, **kwargs)

    np.lib.format.write_array = slow_write_array
    if which == "nn":
        model.save(path)
    elif which == "chaingrad":
        cg.save(model.state_dict(), path)
    else:  # what nn.save did before issue 13: np.savez straight onto the destination
        np.savez(path, **model.state_dict())
    """
)


def _kill_mid_save(path, which: str) -> list[str]:
    """Run a child that saves a large model over ``path`` and SIGKILL it mid-write."""
    child = subprocess.Popen(
        [sys.executable, "-c", KILL_CHILD, str(path), which],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "writing"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    return sorted(p.name for p in path.parent.iterdir())


@pytest.mark.parametrize("which", ["nn", "chaingrad"])
def test_a_kill_mid_save_leaves_the_previous_file_intact(tmp_path, which):
    path = tmp_path / "model.npz"
    previous = _model()
    if which == "nn":
        previous.save(str(path))
    else:
        cg.save(previous.state_dict(), path)
    before = path.read_bytes()
    names = _kill_mid_save(path, which)
    assert path.read_bytes() == before  # byte for byte the previous file
    loaded = nn.load(path, model=_model(seed=5)) if which == "nn" else cg.load(path)
    state = loaded.state_dict() if which == "nn" else loaded
    for key, value in previous.state_dict().items():
        np.testing.assert_array_equal(np.asarray(state[key]), value)
    # SIGKILL leaves no chance to clean up: the half-written temporary sits beside the file,
    # hidden and never mistaken for it
    assert [n for n in names if n != "model.npz"] and all(
        n.startswith(".model.npz.") and n.endswith(".tmp") for n in names if n != "model.npz"
    )


def test_the_kill_test_detects_a_non_atomic_save(tmp_path):
    """The same kill against a plain ``np.savez`` (the old ``save``) destroys the file."""
    path = tmp_path / "model.npz"
    _model().save(str(path))
    _kill_mid_save(path, "plain")
    with pytest.raises(ValueError):
        nn.load(path)


def test_atomic_write_replaces_on_success_and_cleans_up_on_error(tmp_path):
    path = tmp_path / "out.txt"
    write_text(path, "first")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write(path, "w") as file:
            file.write("half of the second")
            raise RuntimeError("boom")
    assert path.read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    write_text(path, "second")
    assert path.read_text() == "second"
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    with pytest.raises(ValueError, match="mode must be"):
        with atomic_write(path, "a"):
            pass


def test_a_failed_save_keeps_the_previous_model_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "m.npz"
    _model().save(str(path))
    before = path.read_bytes()
    with pytest.raises(TypeError):  # metadata that JSON cannot hold fails before writing
        _model(1).save(str(path), metadata={"bad": object()})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_plots_are_written_atomically(tmp_path):
    pytest.importorskip("matplotlib")
    from chaingrad.nn.train import History

    history = History()
    history.metrics = {"loss": [1.0, 0.5]}
    target = tmp_path / "curves.png"
    target.write_bytes(b"old")
    history.plot(str(target))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]
    history.plot(str(tmp_path / "bare"))  # no suffix: png, as matplotlib names it
    assert (tmp_path / "bare.png").read_bytes()[:4] == b"\x89PNG"


# ---------------------------------------------------------------------------- what load opens
@pytest.mark.parametrize("name", list(LOADERS))
def test_a_fifo_is_refused_without_blocking(tmp_path, name):
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    child = subprocess.run(  # in a child with a timeout: a blocking open would hang the suite
        [
            sys.executable,
            "-c",
            f"import chaingrad as cg, chaingrad.nn as nn\n"
            f"try:\n    {name.replace('chaingrad.', 'cg.')}({str(fifo)!r})\n"
            "except ValueError as e:\n    print(e)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "is not a regular file (it is a FIFO (named pipe))" in child.stdout, child.stderr
    with pytest.raises(ValueError, match="FIFO"):
        LOADERS[name](fifo)
    with pytest.raises(ValueError, match="FIFO"):
        nn.load_metadata(fifo)


@pytest.mark.parametrize("name", list(LOADERS))
def test_directories_and_devices_are_refused_in_one_line(tmp_path, name):
    with pytest.raises(ValueError, match="is not a regular file \\(it is a directory\\)"):
        LOADERS[name](tmp_path)
    with pytest.raises(ValueError, match="is not a regular file \\(it is a character device\\)"):
        LOADERS[name]("/dev/zero")  # would otherwise read zeros forever
    with pytest.raises(FileNotFoundError, match=r"absent\.npz"):
        LOADERS[name](tmp_path / "absent.npz")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_a_value_error(tmp_path):
    path = tmp_path / "m.npz"
    _model().save(str(path))
    path.chmod(0)
    try:
        with pytest.raises(ValueError, match=r"cannot read .*Permission denied"):
            nn.load(path)
    finally:
        path.chmod(0o600)


# ---------------------------------------------------------------------------- zip bombs
def _bomb(path, gigabytes: float, crc: bool = False) -> None:
    """A genuine deflate bomb: one .npy member of zeros ``gigabytes`` long, built in a second.

    Each 16 MiB block of zeros is compressed once with a full flush (which resets the stream, so
    every block compresses to the same bytes) and the result repeated. The CRC is computed only
    when asked (the refusals never get that far).
    """
    block = 16 << 20
    count = max(1, int(gigabytes * 2**30) // block)
    header = _npy(np.zeros(0, np.float32)).replace(b"(0,)", f"({count * block // 4},)".encode())
    header = header[: header.rindex(b"}") + 1]
    header += b" " * ((-len(header) - 1) % 64) + b"\n"
    header = header[:8] + struct.pack("<H", len(header) - 10) + header[10:]
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    data = start + repeat * count + compressor.flush()
    size = len(header) + count * block
    checksum = 0
    if crc:
        checksum = zlib.crc32(header)
        zeros = bytes(block)
        for _ in range(count):
            checksum = zlib.crc32(zeros, checksum)
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("weight.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, b"")  # a placeholder entry; its sizes are patched below
    raw = path.read_bytes()
    local = raw.index(b"PK\x03\x04")
    central = raw.index(b"PK\x01\x02")
    end = raw.index(b"PK\x05\x06")
    name_len = struct.unpack("<H", raw[local + 26 : local + 28])[0]
    local_header = bytearray(raw[local : local + 30 + name_len])
    struct.pack_into("<III", local_header, 14, checksum, len(data), size)
    central_entry = bytearray(raw[central:end])
    struct.pack_into("<III", central_entry, 16, checksum, len(data), size)
    struct.pack_into("<I", central_entry, 42, 0)
    end_record = bytearray(raw[end:])
    struct.pack_into("<I", end_record, 16, len(local_header) + len(data))
    path.write_bytes(bytes(local_header) + data + bytes(central_entry) + bytes(end_record))


@pytest.mark.parametrize("name", list(LOADERS))
def test_a_3_mb_zip_bomb_of_3_gb_is_refused_before_allocating(tmp_path, name):
    path = tmp_path / "bomb.npz"
    _bomb(path, 3.0)
    assert path.stat().st_size < 4 << 20  # small on disk
    with zipfile.ZipFile(path) as archive:  # genuinely a 3 GB member, as zipfile sees it
        assert archive.getinfo("weight.npy").file_size > 3 * 2**30
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"weight\.npy.*more than the limit") as info:
            LOADERS[name](path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, peak
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ValueError, match="more than the limit"):
        nn.load(path, model=nn.Sequential(nn.Linear(4, 2)))


def test_a_small_bomb_within_the_limit_reads_and_a_smaller_limit_refuses_it(tmp_path):
    path = tmp_path / "bomb.npz"
    _bomb(path, 1 / 16, crc=True)  # 64 MiB of zeros in about 70 KB
    with pytest.raises(ValueError, match="more than the limit of 1,048,576"):
        nn.load(path, max_bytes=1 << 20)
    with pytest.raises(ValueError, match="more than the limit"):
        cg.load(path, max_bytes=1 << 20)
    state = nn.load(path)  # honest sizes within the default limit: it reads
    assert state["weight"].shape == (2**24,) and not state["weight"].any()


def test_a_member_claiming_more_than_deflate_can_expand_is_refused(tmp_path):
    path = tmp_path / "forged.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("w.npy", _npy(np.zeros(1000, np.float32)))
    raw = bytearray(path.read_bytes())
    central = raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, 3_200_000_000)  # uncompressed size: 3.2 GB
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"member 'w\.npy' claims 3,200,000,000 bytes.*zip bomb"):
        nn.load(path)


def test_the_limit_comes_from_the_argument_then_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(LIMIT_ENV, raising=False)
    assert load_limit() == DEFAULT_MAX_BYTES == 2**30
    monkeypatch.setenv(LIMIT_ENV, "100")
    assert load_limit() == 100
    assert load_limit(5) == 5
    path = tmp_path / "m.npz"
    _model().save(str(path))
    with pytest.raises(ValueError, match="more than the limit of 100 "):
        nn.load(path)
    assert set(nn.load(path, max_bytes=10_000)) == set(_model().state_dict())
    monkeypatch.setenv(LIMIT_ENV, "lots")
    with pytest.raises(ValueError, match="CHAINGRAD_LOAD_LIMIT must be"):
        nn.load(path)
    with pytest.raises(ValueError, match="max_bytes must be"):
        nn.load(path, max_bytes=-1)


@pytest.mark.parametrize("name", list(LOADERS))
def test_a_forged_npy_header_is_refused_naming_the_member(tmp_path, name):
    forged = _npy(np.zeros(4)).replace(b"(4,), }" + b" " * 9, b"(4000000000,), }")
    path = tmp_path / "big.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.npy", forged)
    with pytest.raises(ValueError, match=r"member 'a\.npy'"):
        LOADERS[name](path, max_bytes=2**40)  # past the limit too: the member cannot hold it


def test_the_model_is_checked_before_any_data_is_read(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    _model().save(str(path))
    reads = []
    original = np.lib.format.read_array
    monkeypatch.setattr(
        np.lib.format, "read_array", lambda *a, **k: reads.append(1) or original(*a, **k)
    )
    unfit = r"m\.npz does not fit the model: missing keys \['3\.weight'"
    with pytest.raises(KeyError, match=unfit):
        nn.load(path, model=nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.ReLU(), nn.Linear(4, 2)))
    with pytest.raises(ValueError, match=r"'0\.weight\.npy' has shape \(4, 3\) but the model"):
        nn.load(path, model=nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2)))
    assert reads == []
    strings = tmp_path / "s.npz"
    state = {k: v.astype(str) for k, v in _model().state_dict().items()}
    np.savez(strings, **state)
    with pytest.raises(TypeError, match=r"member '0\.weight\.npy' is an array of <U"):
        nn.load(strings, model=_model())
    assert reads == []
    nn.load(path, model=_model(3))
    assert len(reads) == 4


def test_load_metadata_reads_only_the_metadata(tmp_path):
    path = tmp_path / "m.npz"
    big = nn.Linear(1200, 1000)  # 4.8 MB of weights, more than the metadata's own limit
    big.save(str(path), metadata={"kind": "mlp"})
    assert nn.load_metadata(path) == {"kind": "mlp"}
    bare = tmp_path / "bare.npz"
    _model().save(str(bare))
    assert nn.load_metadata(bare) == {}
    listed = tmp_path / "list.npz"
    np.savez(listed, __metadata__=np.frombuffer(b"[1, 2]", np.uint8))
    with pytest.raises(ValueError, match="is a JSON list, not an object"):
        nn.load_metadata(listed)
    deep = tmp_path / "deep.npz"
    np.savez(deep, __metadata__=np.frombuffer(b"[" * 100_000, np.uint8))
    with pytest.raises(ValueError, match="not valid JSON"):
        nn.load_metadata(deep)


def test_chaingrad_load_survives_a_deeply_nested_structure(tmp_path):
    path = tmp_path / "deep.npz"
    deep = b'{"format": "chaingrad.save/1", "root": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    np.savez(path, __structure__=np.frombuffer(deep, np.uint8))
    with pytest.raises(ValueError, match="damaged structure description"):
        cg.load(path)


def test_read_npz_reads_only_the_names_asked_for(tmp_path):
    path = tmp_path / "two.npz"
    np.savez(path, small=np.ones(2), big=np.ones(10_000))
    assert set(read_npz(path, names={"small"}, max_bytes=100)) == {"small"}


# ---------------------------------------------------------------------------- load_state_dict
@pytest.mark.parametrize(
    "value",
    [
        np.array([["1.5"] * 3] * 4),
        np.array([[b"1"] * 3] * 4),
        np.full((4, 3), None, dtype=object),
        np.full((4, 3), np.datetime64("2024-01-01")),
        np.full((4, 3), np.timedelta64(1, "s")),
        np.ones((4, 3), dtype=np.complex64),
    ],
    ids=["str", "bytes", "object", "datetime", "timedelta", "complex"],
)
def test_load_state_dict_refuses_non_numeric_arrays_naming_the_key(value):
    model = _model()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    state = dict(before)
    state["2.bias"] = np.zeros(2, np.float32)  # a valid earlier/later key must not load either
    state["0.weight"] = value
    with pytest.raises(TypeError, match=r"load_state_dict: '0\.weight' is an array of"):
        model.load_state_dict(state)
    for key, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[key])  # nothing was loaded


def test_load_state_dict_still_takes_ints_bools_and_torch_tensors():
    torch = pytest.importorskip("torch")
    model = nn.Linear(2, 2)
    model.load_state_dict({"weight": np.eye(2, dtype=np.int64), "bias": np.array([True, False])})
    np.testing.assert_array_equal(model.weight.numpy(), np.eye(2, dtype=np.float32))
    model.load_state_dict({"weight": torch.ones(2, 2), "bias": torch.zeros(2)})
    assert model.weight.numpy().dtype == np.float32 and model.weight.numpy().sum() == 4

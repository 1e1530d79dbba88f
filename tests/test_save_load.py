"""chaingrad.save / chaingrad.load: structures and dtypes round-trip, never pickle, atomic."""

import io
import pickle
import zipfile

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
import chaingrad.optim as optim


def test_nested_structures_round_trip_with_dtypes(tmp_path):
    obj = {
        "t": cg.tensor([1.0, 2.0], requires_grad=True),
        "ints": cg.arange(3),
        "array": np.arange(6, dtype=np.int16).reshape(2, 3),
        "scalar": np.float32(1.5),
        "nested": [1, 2.5, "text", True, None, (cg.zeros(2, dtype=cg.float64), {3: "int key"})],
        "inf": float("inf"),
    }
    path = tmp_path / "obj.pt"
    cg.save(obj, path)
    back = cg.load(path)
    assert set(back) == set(obj)
    assert isinstance(back["t"], cg.Tensor) and back["t"].requires_grad
    assert back["t"].dtype == np.float32 and back["ints"].dtype == np.int64
    assert isinstance(back["array"], np.ndarray) and back["array"].dtype == np.int16
    assert back["scalar"].dtype == np.float32 and back["scalar"] == 1.5
    assert back["nested"][:5] == [1, 2.5, "text", True, None]
    assert isinstance(back["nested"][5], tuple) and back["nested"][5][1] == {3: "int key"}
    assert back["nested"][5][0].dtype == np.float64 and back["inf"] == float("inf")


def test_model_and_optimizer_state_dicts_as_in_tutorials(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(cg.randn(5, 3)).sum().backward()
    opt.step()
    cg.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 3}, tmp_path / "c.pt")
    checkpoint = cg.load(tmp_path / "c.pt")
    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    fresh.load_state_dict(checkpoint["model"])
    for a, b in zip(model.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.5)
    fresh_opt.load_state_dict(checkpoint["opt"])
    assert fresh_opt.param_groups[0]["lr"] == 0.01
    assert fresh_opt.param_groups[0]["betas"] == (0.9, 0.999)
    assert checkpoint["epoch"] == 3

    cg.save(model.state_dict(), tmp_path / "m.pt")
    fresh.load_state_dict(cg.load(tmp_path / "m.pt"))


def test_pickles_and_other_files_are_refused_in_one_line(tmp_path):
    pickled = tmp_path / "p.pt"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="is a pickle") as info:
        cg.load(pickled)
    assert "\n" not in str(info.value)
    text = tmp_path / "t.pt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a zip archive"):
        cg.load(text)
    with pytest.raises(FileNotFoundError, match="no file at"):
        cg.load(tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="not a regular file"):
        cg.load(tmp_path)
    object_npz = tmp_path / "o.npz"
    np.savez(object_npz, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickled object"):
        cg.load(object_npz)


def test_a_forged_array_size_is_refused_before_reading(tmp_path):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(4))
    forged = buffer.getvalue().replace(b"(4,), }" + b" " * 9, b"(4000000000,), }")
    assert forged != buffer.getvalue()  # a 32-byte array that claims 32 GB
    path = tmp_path / "big.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.npy", forged)
    with pytest.raises(ValueError, match="declares"):
        cg.load(path)


def test_unsupported_objects_are_named_and_the_old_file_survives(tmp_path):
    path = tmp_path / "keep.pt"
    cg.save([1, 2], path)
    with pytest.raises(TypeError, match=r"obj\[1\] of type object"):
        cg.save([1, object()], path)
    assert cg.load(path) == [1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["keep.pt"]  # no temporary file left behind

"""Model files: bit-exact round trips, and pickles refused, never executed."""

import pickle

import numpy as np
import pytest

import chaingrad.nn as nn
from chaingrad.autograd import Tensor


def _model():
    nn.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def test_save_and_load_round_trip_bit_exactly(tmp_path):
    model = _model()
    model(
        Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    )  # moves running stats
    model.save(str(tmp_path / "model"))
    assert (tmp_path / "model.npz").exists()
    state = nn.load(tmp_path / "model.npz")
    for name, value in model.state_dict().items():
        assert state[name].dtype == value.dtype
        np.testing.assert_array_equal(state[name], value)
    fresh = nn.load(tmp_path / "model.npz", model=_model_with_other_weights())
    for (name, a), (_, b) in zip(fresh.state_dict().items(), model.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def _model_with_other_weights():
    nn.manual_seed(1)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


class _Payload:
    def __reduce__(self):
        return (exec, ("raise SystemExit('the pickle ran')",))


def test_a_file_carrying_a_pickle_is_refused_not_executed(tmp_path):
    path = tmp_path / "evil.npz"
    evil = np.empty(1, dtype=object)
    evil[0] = _Payload()
    np.savez(path, weight=np.ones(2), evil=evil)
    with pytest.raises(ValueError, match="contains a pickled object; refusing to unpickle it"):
        nn.load(path)
    raw = tmp_path / "raw.npz"  # a bare pickle dressed up as a model file
    raw.write_bytes(pickle.dumps({"weight": np.ones(2)}))
    refused = r"is a pickle, not an \.npz model file; refusing to unpickle it"
    with pytest.raises(ValueError, match=refused):
        nn.load(raw)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file at all")
    with pytest.raises(ValueError, match=r"is not a valid \.npz model file"):
        nn.load(junk)


def test_missing_and_mismatched_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file at"):
        nn.load(tmp_path / "nope.npz")
    np.savez(tmp_path / "other.npz", something=np.ones(3))
    with pytest.raises(KeyError, match="missing keys"):
        nn.load(tmp_path / "other.npz", model=_model())


def test_metadata_travels_with_the_model_and_load_ignores_it(tmp_path):
    model = _model()
    model.save(str(tmp_path / "m.npz"), metadata={"kind": "lstm", "vocab": ["h", "e", "l", "o"]})
    assert nn.load_metadata(tmp_path / "m.npz") == {"kind": "lstm", "vocab": ["h", "e", "l", "o"]}
    assert "__metadata__" not in nn.load(tmp_path / "m.npz")
    nn.load(tmp_path / "m.npz", model=_model_with_other_weights())  # strict load still matches
    model.save(str(tmp_path / "plain.npz"))
    assert nn.load_metadata(tmp_path / "plain.npz") == {}

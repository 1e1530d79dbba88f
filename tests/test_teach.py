"""``chaingrad.teach.check`` tells a student what is right and where the first wrong element is."""

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.teach import check


def test_a_right_answer_passes(capsys):
    assert check("sum", np.array([1.0, 2.0]), [1.0, 2.0 + 1e-9])
    assert "✓ sum: correct" in capsys.readouterr().out


def test_a_wrong_element_is_located(capsys):
    assert not check("grad", np.array([[1.0, 2.0], [3.0, 5.0]]), np.ones((2, 2)) * [[1, 2], [3, 4]])
    out = capsys.readouterr().out
    assert "1 of 4 elements differ" in out and "[1, 1]" in out and "yours 5" in out


def test_a_wrong_shape_is_named(capsys):
    assert not check("w", np.zeros(3), np.zeros((3, 1)))
    assert "shape (3,), but the answer has shape (3, 1)" in capsys.readouterr().out


def test_an_unwritten_stub_is_reported_not_raised(capsys):
    def stub():
        raise NotImplementedError

    assert not check("tanh backward", stub, 1.0)
    assert "not written yet" in capsys.readouterr().out


def test_tensors_and_values_are_compared_by_their_numbers():
    assert check("tensor", cg.tensor([1.0, 2.0]), np.array([1.0, 2.0]))
    assert check("value", cg.Value(3.0), 3.0)


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("CHAINGRAD_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="elements differ"):
        check("x", [1.0], [2.0])
    with pytest.raises(AssertionError, match="not written yet"):
        check("y", lambda: (_ for _ in ()).throw(NotImplementedError()), 1.0)


def test_a_tuple_of_arrays_is_compared_part_by_part(capsys):
    reference = (np.zeros((2, 3)), np.ones(3))
    assert check("matmul backward", (np.zeros((2, 3)), np.ones(3)), reference)
    assert not check("matmul backward", (np.zeros((2, 3)), np.array([1.0, 7.0, 1.0])), reference)
    assert "item 1: 1 of 3 elements differ; the first at [1]" in capsys.readouterr().out
    assert not check("matmul backward", (np.zeros((2, 3)),), reference)
    assert "yours is a tuple of 1, but the answer has 2 items" in capsys.readouterr().out


def test_a_dict_is_compared_by_key(capsys):
    reference = {"W1": np.eye(2), "b1": np.zeros(2)}
    assert check("grads", {"b1": [0.0, 0.0], "W1": np.eye(2)}, reference)
    assert not check("grads", {"W1": np.eye(2)}, reference)
    assert "yours has no entry 'b1'" in capsys.readouterr().out
    assert not check("grads", {"W1": np.eye(2), "b1": [0.0, 1.0]}, reference)
    assert "'b1': 1 of 2 elements differ" in capsys.readouterr().out


def test_a_missing_return_is_named(capsys):
    assert not check("tanh local", lambda: None, 0.5)
    assert "yours is None (a missing return?)" in capsys.readouterr().out
    assert not check("tanh local", lambda: {"slope": 0.5}, 0.5)
    assert "yours is a dict, not a number or an array" in capsys.readouterr().out

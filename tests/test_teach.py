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

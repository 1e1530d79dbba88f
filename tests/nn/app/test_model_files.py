"""Issue 13: a CLI model file's metadata is checked by a bounded schema before a model is built,
and every problem with a model file is one line from the CLI (exit 1), never a traceback."""

from __future__ import annotations

import json
import math
import tracemalloc

import numpy as np
import pytest

import chaingrad.nn as nn
from chaingrad.nn.app.cli import main
from chaingrad.nn.app.model_files import (
    MAX_PARAMETERS,
    ModelFileError,
    image_metadata,
    text_metadata,
)
from chaingrad.nn.app.recipes import build_image_model, predict_images
from chaingrad.nn.app.runs import UsageError
from chaingrad.nn.app.text_models import CharModel

VOCAB = ["a", "b", "c", " "]
TEXT = {"kind": "gru", "vocab": VOCAB, "embedding": 4, "hidden": 6}
IMAGE = {"kind": "mlp", "input_shape": [1, 4, 4], "classes": 3, "mean": [0.5], "std": [2.0]}


def _text_file(tmp_path, metadata=None, name="text.npz"):
    nn.manual_seed(0)
    path = tmp_path / name
    CharModel("gru", len(VOCAB), 4, 6).save(str(path), metadata=metadata or TEXT)
    return path


def _sample(path, capsys):
    code = main(["sample", "--model", str(path), "--prompt", "ab", "--length", "5"])
    captured = capsys.readouterr()
    return code, captured.err


def test_a_valid_text_model_samples(tmp_path, capsys):
    code, err = _sample(_text_file(tmp_path), capsys)
    assert code == 0 and err == ""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hidden": 8000}, r"'hidden' must be an integer in \[1, 4096\], got 8000"),
        ({"hidden": "6"}, r"'hidden' must be an integer in \[1, 4096\], got '6'"),
        ({"hidden": 6.0}, r"'hidden' must be an integer .*got 6\.0"),
        ({"hidden": True}, r"'hidden' must be an integer"),
        ({"hidden": [6]}, r"'hidden' must be an integer .*got \[6\]"),
        ({"embedding": {"size": 4}}, r"'embedding' must be an integer .*got \{'size': 4\}"),
        ({"embedding": None}, r"the metadata has no 'embedding'"),
        ({"embedding": 4096, "hidden": 4096}, r"describes a model of [\d,]+ parameters"),
        ({"vocab": "abc "}, r"'vocab' must be a list of 1 to 65,536 single characters"),
        ({"vocab": [["a"], "b"]}, r"'vocab' must be a list"),
        ({"vocab": ["ab", "c"]}, r"'vocab' must be a list"),
        ({"vocab": []}, r"'vocab' must be a list"),
        ({"vocab": ["a", "a", "b", "c"]}, r"'vocab' repeats a character"),
        ({"kind": ["gru"]}, r"not a text model .*'kind' is \['gru'\]"),
        ({"kind": "mlp"}, r"not a text model"),
    ],
)
def test_bad_text_metadata_is_one_line_before_any_model_is_built(tmp_path, capsys, change, message):
    metadata = {**TEXT, **change}
    metadata = {k: v for k, v in metadata.items() if v is not None}
    path = _text_file(tmp_path, metadata)
    tracemalloc.start()
    try:
        code, err = _sample(path, capsys)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 1, err
    assert err.count("\n") == 1 and "Traceback" not in err and str(path) in err
    import re

    assert re.search(message, err), err
    assert peak < 50 << 20  # no model of the described size was built


def test_metadata_that_is_not_an_object_is_refused(tmp_path, capsys):
    path = tmp_path / "list.npz"
    np.savez(path, __metadata__=np.frombuffer(json.dumps([TEXT]).encode(), np.uint8))
    code, err = _sample(path, capsys)
    assert code == 1 and "is a JSON list, not an object" in err and err.count("\n") == 1


def test_nan_weights_are_refused_in_one_line(tmp_path, capsys):
    nn.manual_seed(0)
    model = CharModel("gru", len(VOCAB), 4, 6)
    model.head.weight.data[0, 0] = np.nan
    path = tmp_path / "nan.npz"
    model.save(str(path), metadata=TEXT)
    code, err = _sample(path, capsys)
    assert code == 1 and "'head.weight' hold NaN or infinite values" in err
    assert err.count("\n") == 1


def test_weights_that_do_not_fit_the_metadata_are_one_line(tmp_path, capsys):
    path = _text_file(tmp_path, {**TEXT, "hidden": 7})  # the arrays are for hidden 6
    code, err = _sample(path, capsys)
    assert code == 1 and "has shape" in err and "but the model's" in err
    assert err.count("\n") == 1


def test_a_directory_or_a_fifo_as_model_is_one_line(tmp_path, capsys):
    import os

    code, err = _sample(tmp_path, capsys)
    assert code == 1 and "is not a regular file (it is a directory)" in err
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    code, err = _sample(fifo, capsys)
    assert code == 1 and "FIFO" in err and err.count("\n") == 1


def test_model_file_errors_are_value_errors_and_usage_errors():
    assert issubclass(ModelFileError, ValueError) and issubclass(ModelFileError, UsageError)
    with pytest.raises(ModelFileError, match="the metadata is a str"):
        text_metadata("gru", "m.npz")


# ---------------------------------------------------------------------------- image models
def _image_file(tmp_path, metadata):
    nn.manual_seed(0)
    path = tmp_path / "image.npz"
    build_image_model("mlp", (1, 4, 4), 3).save(str(path), metadata=metadata)
    return path


def test_a_valid_image_model_predicts(tmp_path):
    scores = predict_images(str(_image_file(tmp_path, IMAGE)), np.zeros((2, 1, 4, 4), np.float32))
    assert scores.shape == (2, 3) and np.isfinite(scores).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"input_shape": [1, 4]}, r"'input_shape' must be \[channels"),
        ({"input_shape": [1, 4.0, 4]}, r"'input_shape' must be"),
        ({"input_shape": [1, 100000, 4]}, r"'input_shape' must be"),
        ({"input_shape": [64, 4096, 4096]}, r"more than 4,194,304 values per image"),
        ({"kind": "cnn", "input_shape": [1, 2, 2]}, r"too small for the cnn"),
        ({"classes": "3"}, r"'classes' must be an integer"),
        ({"classes": 0}, r"'classes' must be an integer in \[1, 100000\]"),
        ({"mean": [math.nan]}, r"'mean' must hold finite numbers, got nan"),
        ({"mean": 0.5}, r"'mean' must be a list of 1 numbers"),
        ({"std": [0.0]}, r"'std' must be positive"),
        ({"std": [[2.0]]}, r"'std' must hold finite numbers"),
        ({"class_names": ["x"]}, r"'class_names' must be 3 strings"),
        ({"classes": 100_000, "input_shape": [64, 256, 256]}, r"parameters, more than"),
    ],
)
def test_bad_image_metadata_is_refused_before_building(tmp_path, change, message):
    path = _image_file(tmp_path, {**IMAGE, **change})
    with pytest.raises(ModelFileError, match=message) as info:
        predict_images(str(path), np.zeros((1, 1, 4, 4), np.float32))
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_the_parameter_bound_covers_the_models_the_cli_trains():
    mnist = image_metadata({**IMAGE, "input_shape": [1, 28, 28], "mean": [0], "std": [1]}, "m")
    assert mnist["input_shape"] == (1, 28, 28)
    model = build_image_model("mlp", (1, 28, 28), 3)
    assert sum(p.numel() for p in model.parameters()) < MAX_PARAMETERS
    text = text_metadata({**TEXT, "embedding": 32, "hidden": 128}, "m")
    model = CharModel(text["kind"], len(VOCAB), 32, 128)
    assert sum(p.numel() for p in model.parameters()) < MAX_PARAMETERS

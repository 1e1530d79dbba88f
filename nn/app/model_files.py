"""The model files ``chaingrad train`` writes and ``chaingrad sample`` or ``predict_images`` read.

A CLI model file is a ``model.npz`` whose JSON metadata says how to rebuild the model. Metadata
comes from a file, so it is untrusted: ``image_metadata`` and ``text_metadata`` check every field's
type and range, and bound the parameter count the model would have, before anything is built
(9 KB of metadata must not make us allocate gigabytes). ``load_weights`` then loads the arrays
(keys, shapes and dtypes are checked against the model before any data is read) and refuses
non-finite weights. Every refusal is a ``ModelFileError``: a ``UsageError`` (the CLI prints it
as one line and exits 1) and a ``ValueError`` (for library callers).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

import chaingrad.nn as nn
from chaingrad.nn.app.runs import IMAGE_MODELS, TEXT_MODELS, UsageError

MAX_PARAMETERS = 1 << 26  # 67M parameters, 256 MiB of float32: far beyond any CLI model
MAX_CHANNELS = 64
MAX_SIDE = 4096
MAX_PIXELS = 1 << 22  # channels × height × width of one input image
MAX_CLASSES = 100_000
MAX_VOCAB = 1 << 16
MAX_WIDTH = 4096  # embedding and hidden sizes
MAX_NAME = 256  # characters in one class name


class ModelFileError(UsageError, ValueError):
    """A model file (or its metadata) that cannot be used: one line naming the file and field."""


def _show(value: Any) -> str:
    """A short repr for messages: metadata values may be huge or nested."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _int(metadata: dict[str, Any], key: str, low: int, high: int, path: str) -> int:
    value = metadata.get(key)
    if value is None:
        raise ModelFileError(f"{path}: the metadata has no {key!r}")
    # bool is an int in Python, and 8.0 would silently build a model: neither is accepted
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ModelFileError(
            f"{path}: metadata {key!r} must be an integer in [{low}, {high}], got {_show(value)}"
        )
    return value


def _numbers(
    metadata: dict[str, Any], key: str, length: int, path: str, positive: bool = False
) -> list[float]:
    value = metadata.get(key)
    if not isinstance(value, list) or len(value) != length:
        raise ModelFileError(
            f"{path}: metadata {key!r} must be a list of {length} numbers, got {_show(value)}"
        )
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float) or not math.isfinite(item):
            raise ModelFileError(
                f"{path}: metadata {key!r} must hold finite numbers, got {_show(item)}"
            )
        if positive and item <= 0:
            raise ModelFileError(f"{path}: metadata {key!r} must be positive, got {_show(item)}")
    return [float(item) for item in value]


def _kind(metadata: Any, kinds: Sequence[str], path: str, what: str) -> str:
    if not isinstance(metadata, dict):
        raise ModelFileError(f"{path}: the metadata is a {type(metadata).__name__}, not an object")
    kind = metadata.get("kind")
    if not isinstance(kind, str) or kind not in kinds:
        raise ModelFileError(
            f"{path}: not {what} written by chaingrad train {'|'.join(kinds)} "
            f"(metadata 'kind' is {_show(kind)})"
        )
    return kind


def _bounded(parameters: int, path: str) -> None:
    if parameters > MAX_PARAMETERS:
        raise ModelFileError(
            f"{path}: the metadata describes a model of {parameters:,} parameters, more than "
            f"the {MAX_PARAMETERS:,} a chaingrad CLI model can have"
        )


def image_metadata(metadata: Any, path: str) -> dict[str, Any]:
    """The checked metadata of an image model: kind, input_shape (C, H, W), classes, mean, std
    (per channel, std > 0) and optional class_names; raises ``ModelFileError``."""
    kind = _kind(metadata, IMAGE_MODELS, path, "an image model")
    shape = metadata.get("input_shape")
    if (
        not isinstance(shape, list)
        or len(shape) != 3
        or any(isinstance(d, bool) or not isinstance(d, int) for d in shape)
        or not 1 <= shape[0] <= MAX_CHANNELS
        or not all(1 <= d <= MAX_SIDE for d in shape[1:])
    ):
        raise ModelFileError(
            f"{path}: metadata 'input_shape' must be [channels ≤ {MAX_CHANNELS}, height, width ≤ "
            f"{MAX_SIDE}] as integers, got {_show(shape)}"
        )
    channels, height, width = shape
    if channels * height * width > MAX_PIXELS:
        raise ModelFileError(
            f"{path}: metadata 'input_shape' {shape} has more than {MAX_PIXELS:,} values per image"
        )
    if kind == "cnn" and min(height, width) < 4:
        raise ModelFileError(
            f"{path}: metadata 'input_shape' {shape} is too small for the cnn (two 2×2 poolings "
            "need images of at least 4×4)"
        )
    classes = _int(metadata, "classes", 1, MAX_CLASSES, path)
    if kind == "mlp":  # Flatten → 128 → 64 → classes, with biases
        parameters = (channels * height * width + 1) * 128 + 129 * 64 + 65 * classes
    else:  # two 3×3 convolutions (16, 32 channels), then one Linear from 32 × H/4 × W/4
        parameters = (channels * 9 + 1) * 16 + (16 * 9 + 1) * 32
        parameters += (32 * (height // 4) * (width // 4) + 1) * classes
    _bounded(parameters, path)
    mean = _numbers(metadata, "mean", channels, path)
    std = _numbers(metadata, "std", channels, path, positive=True)
    names = metadata.get("class_names")
    if names is not None and (
        not isinstance(names, list)
        or len(names) != classes
        or not all(isinstance(n, str) and len(n) <= MAX_NAME for n in names)
    ):
        raise ModelFileError(
            f"{path}: metadata 'class_names' must be {classes} strings of at most {MAX_NAME} "
            f"characters, got {_show(names)}"
        )
    return {
        "kind": kind,
        "input_shape": (channels, height, width),
        "classes": classes,
        "mean": mean,
        "std": std,
        "class_names": names,
    }


def text_metadata(metadata: Any, path: str) -> dict[str, Any]:
    """The checked metadata of a character model: kind, vocab (distinct single characters),
    embedding and hidden sizes; raises ``ModelFileError``."""
    kind = _kind(metadata, TEXT_MODELS, path, "a text model")
    vocab = metadata.get("vocab")
    if (
        not isinstance(vocab, list)
        or not 1 <= len(vocab) <= MAX_VOCAB
        or not all(isinstance(ch, str) and len(ch) == 1 for ch in vocab)
    ):
        raise ModelFileError(
            f"{path}: metadata 'vocab' must be a list of 1 to {MAX_VOCAB:,} single characters, "
            f"got {_show(vocab)}"
        )
    if len(set(vocab)) != len(vocab):
        raise ModelFileError(f"{path}: metadata 'vocab' repeats a character")
    embedding = _int(metadata, "embedding", 1, MAX_WIDTH, path)
    hidden = _int(metadata, "hidden", 1, MAX_WIDTH, path)
    size = len(vocab)
    # embedding, the recurrent layer (at most 4 gates, two biases each), the output layer
    parameters = size * embedding + 4 * hidden * (embedding + hidden + 2) + (hidden + 1) * size
    _bounded(parameters, path)
    return {"kind": kind, "vocab": vocab, "embedding": embedding, "hidden": hidden}


def read_metadata(path: str | os.PathLike[str]) -> Any:
    """The JSON metadata of a model file, with file errors turned into ``ModelFileError``."""
    try:
        return nn.load_metadata(path)
    except (FileNotFoundError, ValueError) as error:
        raise ModelFileError(str(error)) from None


def load_weights(path: str | os.PathLike[str], model: nn.Module) -> nn.Module:
    """Load the file's arrays into ``model`` (checked against it before any data is read) and
    refuse weights that are NaN or infinite; raises ``ModelFileError``."""
    try:
        nn.load(path, model=model)
    except KeyError as error:
        raise ModelFileError(str(error.args[0]) if error.args else repr(error)) from None
    except (FileNotFoundError, ValueError, TypeError) as error:
        raise ModelFileError(str(error)) from None
    for name, array in model.state_dict().items():
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ModelFileError(
                f"{path}: the weights {name!r} hold NaN or infinite values (a diverged run?)"
            )
    return model

"""``chaingrad.load_model(path)``: a trained model back from its file, ready to call.

A model file written by ``chaingrad train`` (mlp, cnn, rnn, lstm, gru) records in its metadata
what rebuilds it: the architecture's kind and sizes, an image model's standardisation
statistics, the class names or the vocabulary. ``load_model`` checks that metadata with the
CLI's validated readers (``nn/app/model_files.py``: types, ranges and the model's size before
anything is built), builds the model, loads the weights (refusing NaN or infinite ones) and
returns it in eval mode. A file that records no architecture (``chaingrad.save(state_dict)``,
``Module.save`` without metadata) is refused in one line saying to load its state dict into an
instance of the model's class, as PyTorch does.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

import chaingrad.nn as nn
from chaingrad.autograd import Tensor

__all__ = ["ImageClassifier", "load_model"]


class ImageClassifier(nn.Module):
    """An image model with the standardisation it was trained with: it takes raw images.

    ``forward`` returns class scores (logits) for images of shape (N, C, H, W); the statistics
    are fixed buffers (not parameters), so the state dict is the inner model's under ``model.``.
    """

    def __init__(
        self,
        model: nn.Module,
        mean: Any,
        std: Any,
        class_names: list[str] | None = None,
        kind: str = "",
    ) -> None:
        super().__init__()
        self.model = model
        self.kind = kind
        self.mean = np.asarray(mean, np.float32).reshape(1, -1, 1, 1)
        self.std = np.asarray(std, np.float32).reshape(1, -1, 1, 1)
        self.class_names = class_names

    def preprocess(self, images: Any) -> np.ndarray:
        """Raw images (N, C, H, W), or (N, H, W) for one channel, standardised as in training."""
        x = np.asarray(images.numpy() if isinstance(images, Tensor) else images, np.float32)
        channels = self.mean.shape[1]
        if x.ndim == 3 and channels == 1:
            x = x[:, None]
        if x.ndim != 4 or x.shape[1] != channels:
            raise ValueError(
                f"{type(self).__name__}: expected images of shape (N, {channels}, H, W), "
                f"got {x.shape}"
            )
        return (x - self.mean) / self.std

    def forward(self, images: Any) -> Tensor:
        """Class scores (N, classes) for raw images."""
        return self.model(Tensor(self.preprocess(images)))

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, classes={self.classes}"

    @property
    def classes(self) -> int:
        """The number of classes the model scores."""
        return len(self.class_names) if self.class_names else int(self._last_linear().out_features)

    def _last_linear(self) -> Any:
        linears = [m for m in self.model.modules() if isinstance(m, nn.Linear)]
        return linears[-1]


def _pixel_max(value: Any, path: str) -> float:
    """The largest raw pixel value in training (files from before it was recorded: 255)."""
    if value is None:
        return 255.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e30:
        raise ValueError(f"load_model: {path}: metadata 'pixel_max' must be a positive number")
    return float(value)


def load_model(path: str | os.PathLike[str]) -> nn.Module:
    """The model a ``chaingrad train`` run wrote, weights loaded, in eval mode, with its
    preprocessing and metadata attached (``class_names`` for images, ``vocab`` for text).

    Errors are one line: ``FileNotFoundError`` for a missing file, ``ValueError`` otherwise
    (a damaged file, metadata out of range, or a file that records no architecture).
    """
    from chaingrad.nn.app.model_files import (
        ModelFileError,
        image_metadata,
        load_weights,
        read_metadata,
        text_metadata,
    )
    from chaingrad.nn.app.runs import IMAGE_MODELS, TEXT_MODELS

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_model: no model file at {path}")
    try:
        raw = read_metadata(path)
    except ModelFileError as error:
        raise ValueError(f"load_model: {error}") from None
    kind = raw.get("kind") if isinstance(raw, dict) else None
    model: nn.Module
    if kind in IMAGE_MODELS:
        from chaingrad.nn.app.recipes import build_image_model

        meta = image_metadata(raw, path)
        inner = build_image_model(meta["kind"], meta["input_shape"], meta["classes"])
        load_weights(path, inner)
        names = meta["class_names"] or [str(i) for i in range(meta["classes"])]
        model = ImageClassifier(inner, meta["mean"], meta["std"], names, meta["kind"])
        model.input_shape = meta["input_shape"]
        model.pixel_max = _pixel_max(raw.get("pixel_max"), path)
    elif kind in TEXT_MODELS:
        from chaingrad.nn.app.text_models import CharModel

        meta = text_metadata(raw, path)
        model = CharModel(meta["kind"], len(meta["vocab"]), meta["embedding"], meta["hidden"])
        load_weights(path, model)
        model.vocab = tuple(meta["vocab"])
    else:
        raise ValueError(
            f"load_model: {path} does not record a model architecture (only files written by "
            f"chaingrad train {'|'.join(IMAGE_MODELS + TEXT_MODELS)} do); build your model and "
            "call model.load_state_dict(chaingrad.load(path))"
        )
    model.metadata = meta
    model.eval()
    return model

"""``chaingrad export``: a model file written by ``chaingrad train`` as ONNX or a torch state dict.

The file's metadata rebuilds the model (``nn/app/recipes.py``, ``nn/app/text_models.py``). An
image model's ONNX graph includes its input standardisation, so it takes raw images as
``predict_images`` does; the torch state dict holds the weights only (the names are the same
in both libraries).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

import chaingrad.nn as nn
from chaingrad.autograd import Tensor
from chaingrad.nn.app.model_files import (
    image_metadata,
    load_weights,
    read_metadata,
    text_metadata,
)
from chaingrad.nn.app.runs import IMAGE_MODELS, UsageError


class Standardized(nn.Module):
    """(x - mean) / std, then the model: an image model with the statistics it was trained on."""

    def __init__(self, model: nn.Module, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        self.model = model
        self.mean = Tensor(np.asarray(mean, np.float32).reshape(1, -1, 1, 1))
        self.std = Tensor(np.asarray(std, np.float32).reshape(1, -1, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        """Standardise the raw images and classify them."""
        return self.model((x - self.mean) / self.std)


def rebuild(path: str | os.PathLike[str]) -> tuple[nn.Module, Any, dict[str, Any]]:
    """The model in a CLI model file (weights loaded, eval mode), an example input, metadata."""
    from chaingrad.nn.app.recipes import build_image_model
    from chaingrad.nn.app.text_models import CharModel

    path = os.fspath(path)
    raw = read_metadata(path)
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if kind in IMAGE_MODELS:
        meta = image_metadata(raw, path)
        inner = build_image_model(meta["kind"], meta["input_shape"], meta["classes"])
        load_weights(path, inner)
        model: nn.Module = Standardized(inner, meta["mean"], meta["std"])
        example: Any = Tensor(np.zeros((2, *meta["input_shape"]), np.float32))
    else:
        meta = text_metadata(raw, path)
        model = CharModel(meta["kind"], len(meta["vocab"]), meta["embedding"], meta["hidden"])
        load_weights(path, model)
        example = Tensor(np.zeros((2, 8), np.int64))
    model.eval()
    return model, example, meta


def export_model_file(
    path: str | os.PathLike[str], to: str, out: str | os.PathLike[str] | None = None
) -> Path:
    """Write the CLI model at ``path`` as ``model.onnx`` or ``model.pt`` (beside it by default)."""
    from chaingrad.export.onnx_export import onnx
    from chaingrad.export.to_torch import to_torch

    if to not in ("onnx", "torch"):
        raise UsageError(f"export: --to must be onnx or torch, got {to!r}")
    target = Path(out) if out else Path(path).with_suffix(".onnx" if to == "onnx" else ".pt")
    if not target.parent.is_dir():
        raise UsageError(f"export: the folder {target.parent} does not exist")
    model, example, _meta = rebuild(path)
    if to == "onnx":
        onnx(model, example, target)
        return target
    import torch

    from chaingrad.autograd.files import atomic_write

    inner = model.model if isinstance(model, Standardized) else model
    state = to_torch(inner, example if inner is model else None).state_dict()
    with atomic_write(target) as handle:
        torch.save(state, handle)
    return target

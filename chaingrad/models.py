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

import math
import os
from typing import Any

import numpy as np

import chaingrad.nn as nn
from chaingrad.autograd import Tensor

__all__ = ["ImageClassifier", "load_model", "module_spec", "save_model"]

# the layers a spec may name, each with the constructor arguments read back from its attributes
_LAYERS: dict[str, tuple[str, ...]] = {
    "Linear": ("in_features", "out_features", "bias"),
    "Conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "bias", "groups"),
    "MaxPool2d": ("kernel_size", "stride", "padding"),
    "AvgPool2d": ("kernel_size", "stride", "padding"),
    "BatchNorm1d": ("num_features", "eps", "momentum"),
    "BatchNorm2d": ("num_features", "eps", "momentum"),
    "Embedding": ("num_embeddings", "embedding_dim"),
    "Dropout": ("p",),
    "Flatten": ("start_dim", "end_dim"),
    "ReLU": (),
    "Tanh": (),
    "Sigmoid": (),
    "GELU": (),
    "SiLU": (),
    "Identity": (),
}
# arguments a spec may leave out (files written before the layer had them), with their defaults
_DEFAULTS: dict[str, dict[str, Any]] = {"Conv2d": {"groups": 1}}
_NOT_SIZES = ("bias", "groups")  # arguments that do not grow a layer's weights
_MAX_SPEC_LAYERS = 10_000
_MAX_SPEC_PARAMETERS = 1 << 28  # 1 GiB of float32: a spec cannot make us allocate more


def _argument(module: Any, name: str) -> Any:
    """A constructor argument as the layer stores it (``bias`` is whether it has one)."""
    if name == "bias":
        return getattr(module, "bias", None) is not None
    value = getattr(module, {"start_dim": "start_axis", "end_dim": "end_axis"}.get(name, name))
    return list(value) if isinstance(value, tuple) else value


def module_spec(model: nn.Module) -> dict[str, Any]:
    """A JSON description that rebuilds ``model`` (a ``Sequential`` of chaingrad's own layers);
    raises ``TypeError`` naming the first layer it cannot describe."""
    kind = type(model).__name__
    if isinstance(model, nn.Sequential) and kind == "Sequential":
        return {"type": "Sequential", "children": [module_spec(m) for m in model]}
    if kind in _LAYERS and getattr(nn, kind, None) is type(model):
        return {"type": kind, "args": {a: _argument(model, a) for a in _LAYERS[kind]}}
    raise TypeError(
        f"module_spec: cannot describe a {kind} (only Sequential and {', '.join(_LAYERS)}); "
        "save its state dict and load it into an instance instead"
    )


def save_model(model: nn.Module, path: str | os.PathLike[str]) -> None:
    """``model.save(path)`` with its architecture recorded, so ``load_model(path)`` rebuilds it."""
    model.save(os.fspath(path), metadata={"module": module_spec(model)})


def _build(spec: Any, path: str, count: list[int], depth: int = 0) -> nn.Module:
    """The module an (untrusted) spec describes: only listed layers, with checked arguments."""
    if not isinstance(spec, dict) or depth > 32:
        raise ValueError(f"load_model: {path}: a damaged module description")
    count[0] += 1
    if count[0] > _MAX_SPEC_LAYERS:
        raise ValueError(f"load_model: {path}: more than {_MAX_SPEC_LAYERS:,} layers")
    kind = spec.get("type")
    if kind == "Sequential" and isinstance(spec.get("children"), list):
        return nn.Sequential(*[_build(child, path, count, depth + 1) for child in spec["children"]])
    args = spec.get("args")
    if isinstance(args, dict) and isinstance(kind, str):
        args = {**_DEFAULTS.get(kind, {}), **args}
    if kind not in _LAYERS or not isinstance(args, dict) or set(args) != set(_LAYERS[kind]):
        raise ValueError(f"load_model: {path}: cannot rebuild a layer described as {kind!r}")
    sizes = []
    for name, value in args.items():
        items = value if isinstance(value, list) else [value]
        if not all(v is None or isinstance(v, int | float) for v in items) or len(items) > 2:
            raise ValueError(f"load_model: {path}: {kind} argument {name}={value!r} is not valid")
        if name not in _NOT_SIZES and all(
            isinstance(v, int) and not isinstance(v, bool) for v in items
        ):
            sizes += [abs(v) for v in items]
    # the layer's weights are at most the product of its sizes: refuse before allocating
    weights = math.prod(max(1, size) for size in sizes)
    count[1] += weights
    if count[1] > _MAX_SPEC_PARAMETERS:
        raise ValueError(f"load_model: {path}: the described model is too large to build")
    try:
        return getattr(nn, kind)(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in args.items()}
        )
    except (TypeError, ValueError) as error:
        raise ValueError(f"load_model: {path}: cannot build {kind} ({error})") from None


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
    elif isinstance(raw, dict) and "module" in raw:
        model = _build(raw["module"], path, [0, 0])
        load_weights(path, model)
        meta = raw
    else:
        raise ValueError(
            f"load_model: {path} does not record a model architecture (files written by "
            f"chaingrad train or chaingrad.models.save_model do); build your model and call "
            "model.load_state_dict(chaingrad.load(path))"
        )
    model.metadata = meta
    model.eval()
    return model

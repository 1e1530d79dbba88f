"""What ``chaingrad train`` does: data, a standard model, an optimizer, ``fit``, and the outputs.

Image models (mlp, cnn) train on the real 8×8 digits by default (or on IDX files a user has);
text models (rnn, lstm, gru) learn the Zen of Python character by character (or a text file).
Every run writes ``model.npz`` (with the metadata needed to rebuild it), ``curves.png`` and
``graph.svg`` (one training step, one box per module) into its output folder.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor, no_grad
from chaingrad.nn.app.model_files import image_metadata, load_weights, read_metadata
from chaingrad.nn.app.runs import (
    IMAGE_MODELS,
    TrainConfig,
    TrainResult,
    UsageError,
    check_out,
    make_optimizer,
    make_scheduler,
    stopped,
    write_outputs,
)
from chaingrad.nn.app.text_models import train_text
from chaingrad.nn.data import DataLoader, Standardize, TensorDataset, datasets
from chaingrad.nn.train import History, NonFiniteLossError, TrainingInterrupted, evaluate, fit


# ---------------------------------------------------------------------------- images
def load_images(config: TrainConfig) -> tuple[np.ndarray, np.ndarray, str]:
    """(images NCHW float32, integer labels, description): the digits, or the user's IDX files."""
    if config.data is None:
        x, y = datasets.digits()
        return x, y, "the 8×8 digits (1,797 images)"
    images_path = Path(config.data)
    if not images_path.is_file():
        raise UsageError(f"--data {images_path}: no such file")
    if config.labels and not Path(config.labels).is_file():
        raise UsageError(f"--labels {config.labels}: no such file")
    labels_path = Path(config.labels) if config.labels else _guess_labels(images_path)
    try:
        images, labels = datasets.idx_pair(images_path, labels_path)
    except (FileNotFoundError, ValueError) as error:
        raise UsageError(str(error)) from None
    if images.ndim == 3:
        images = images[:, None]
    if images.ndim != 4:
        raise UsageError(f"{images_path}: expected images of shape (N, H, W), got {images.shape}")
    return (
        images.astype(np.float32),
        labels.astype(np.int64),
        f"{images_path.name} ({len(images):,} images)",
    )


def _guess_labels(images: Path) -> Path:
    """MNIST's naming: train-images-idx3-ubyte sits beside train-labels-idx1-ubyte."""
    guess = images.with_name(images.name.replace("images-idx3", "labels-idx1"))
    if guess == images or not guess.exists():
        raise UsageError(f"{images}: give the matching IDX label file with --labels")
    return guess


def build_image_model(kind: str, input_shape: tuple[int, ...], classes: int) -> nn.Module:
    """The CLI's standard models: an MLP, or a LeNet-style CNN (two conv-relu-pool blocks)."""
    channels, height, width = input_shape
    if kind == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * height * width, 128),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, 64),
            nn.ReLU(),
            nn.Linear(64, classes),
        )
    features = 32 * (height // 4) * (width // 4)
    return nn.Sequential(
        nn.Conv2d(channels, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(features, classes),
    )


def train_images(config: TrainConfig) -> TrainResult:
    """Train an image classifier, evaluate it on a held-out 20 %, and write the outputs."""
    nn.manual_seed(config.seed)
    x, y, description = load_images(config)
    if config.model == "cnn" and min(x.shape[2:]) < 4:
        raise UsageError(
            f"cnn: images must be at least 4×4 pixels (two 2×2 poolings), got "
            f"{x.shape[2]}×{x.shape[3]}; use mlp for smaller images"
        )
    try:
        x_train, x_test, y_train, y_test = datasets.train_test_split(
            x, y, test_size=0.2, seed=config.seed, stratify=y
        )
    except ValueError as error:
        raise UsageError(f"cannot hold out a test set: {error}") from None
    standardize = Standardize.fit(x_train, axis=(0, 2, 3))  # statistics of the training split only
    x_train, x_test = standardize(x_train), standardize(x_test)
    classes = int(y.max()) + 1
    model = build_image_model(config.model, x_train.shape[1:], classes)
    train_loader = DataLoader(
        TensorDataset(x_train, y_train), config.batch_size, shuffle=True, seed=config.seed
    )
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=256)
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr)
    scheduler = make_scheduler(config.scheduler, optimizer, config.epochs)
    out = Path(config.out)
    metadata = {
        "kind": config.model,
        "input_shape": list(x_train.shape[1:]),
        "classes": classes,
        "mean": standardize.mean.ravel().tolist(),
        "std": standardize.std.ravel().tolist(),
        "class_names": [str(c) for c in range(classes)],
        "pixel_max": float(max(1.0, float(x.max()))),  # a PNG's [0, 1] is scaled to this
    }

    def write(history: History) -> list[Path]:
        # the graph shows one step of training as it runs: a batch of the training batch size
        batch = (Tensor(x_train[: config.batch_size]), Tensor(y_train[: config.batch_size]))
        return write_outputs(model, history, out, metadata, F.cross_entropy, *batch)

    start = time.perf_counter()
    try:
        history = fit(
            model,
            F.cross_entropy,
            optimizer,
            train_loader,
            test_loader,
            config.epochs,
            scheduler,
            progress=config.progress,
        )
    except (NonFiniteLossError, TrainingInterrupted) as stop:
        raise stopped(stop, write) from None
    seconds = time.perf_counter() - start
    test = evaluate(model, test_loader, F.cross_entropy)
    files = write(history)
    lines = [
        f"chaingrad train {config.model}: {description}, {len(x_train):,} to train and "
        f"{len(x_test):,} to test, {_epochs(history.epochs)} in {seconds:.1f} s",
        f"  train loss {history['loss'][-1]:.4f}, test loss {test['loss']:.4f}, "
        f"test accuracy {test['accuracy']:.4f}",
    ]
    metrics = {
        "train_loss": history["loss"][-1],
        "test_loss": test["loss"],
        "test_accuracy": test["accuracy"],
        "seconds": seconds,
    }
    return TrainResult(lines, metrics, files)


def _epochs(count: int) -> str:
    """ "1 epoch", "2 epochs"."""
    return f"{count} epoch" if count == 1 else f"{count} epochs"


def train(config: TrainConfig) -> TrainResult:
    """Run ``chaingrad train`` for the configured model (``--out`` is checked first)."""
    check_out(Path(config.out))
    if config.model in IMAGE_MODELS:
        return train_images(config)
    return train_text(config)


def predict_images(model_path: str, images: np.ndarray) -> np.ndarray:
    """Class scores of a saved image model for raw (unstandardised) images.

    The file's metadata is checked (types, ranges, the model's size) before the model is built,
    and its weights must be finite; any problem is a one-line ``ModelFileError``.
    """
    metadata = image_metadata(read_metadata(model_path), model_path)
    model = build_image_model(metadata["kind"], metadata["input_shape"], metadata["classes"])
    load_weights(model_path, model)
    model.eval()
    mean = np.asarray(metadata["mean"], np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(metadata["std"], np.float32).reshape(1, -1, 1, 1)
    with no_grad():
        return model(Tensor(((images - mean) / std).astype(np.float32))).numpy()


# ---------------------------------------------------------------------------- predict
def _as_images(array: np.ndarray, shape: tuple[int, int, int], name: str) -> np.ndarray:
    """One image or a batch, as (N, C, H, W) for a model taking ``shape`` (C, H, W)."""
    if array.dtype.kind not in "biuf":
        raise UsageError(f"{name}: an array of {array.dtype}, not pixel values")
    channels = shape[0]
    if array.ndim == 2 and channels == 1:
        array = array[None, None]
    elif array.ndim == 3 and tuple(array.shape) == tuple(shape):
        array = array[None]
    elif array.ndim == 3 and channels == 1:
        array = array[:, None]
    if array.ndim != 4 or tuple(array.shape[1:]) != tuple(shape):
        c, h, w = shape
        raise UsageError(
            f"{name}: images of shape {array.shape} do not fit the model, which takes "
            f"{h}×{w} images with {c} channel{'s' if c > 1 else ''}"
        )
    return array.astype(np.float32)


def read_image_file(path: str, shape: tuple[int, int, int], pixel_max: float) -> np.ndarray:
    """The images in a .npy/.npz file (raw pixels) or a PNG (scaled from [0, 1] to
    [0, ``pixel_max``], colour averaged to grey for a one-channel model), as (N, C, H, W)."""
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"{path}: no such file")
    suffix = file.suffix.lower()
    if suffix == ".npy":
        try:
            array = np.load(file, allow_pickle=False)
        except (ValueError, OSError) as error:
            raise UsageError(f"{path}: not a NumPy array file ({error})") from None
        return _as_images(array, shape, path)
    if suffix == ".npz":
        arrays = nn.serialization.read_npz(file, "predict", noun="array file")
        if not arrays:
            raise UsageError(f"{path}: holds no arrays")
        return np.concatenate([_as_images(a, shape, f"{path}:{k}") for k, a in arrays.items()])
    if suffix == ".png":
        import matplotlib.image

        try:
            pixels = np.asarray(matplotlib.image.imread(file), np.float32)
        except (ValueError, OSError, SyntaxError) as error:
            raise UsageError(f"{path}: not a readable PNG ({error})") from None
        if pixels.dtype.kind in "ui":
            pixels = pixels / np.iinfo(pixels.dtype).max
        if pixels.ndim == 3:
            pixels = pixels[..., :3]  # drop alpha
            pixels = pixels.mean(axis=2) if shape[0] == 1 else np.moveaxis(pixels, 2, 0)
        return _as_images(pixels * pixel_max, shape, path)
    raise UsageError(f"{path}: expected a .npy, .npz or .png file")


def predict_files(
    model_path: str,
    images: list[str],
    data: str | None = None,
    labels: str | None = None,
    top: int = 1,
) -> list[str]:
    """``chaingrad predict``: one line per image (class and probability, the ``top`` best), and
    the accuracy when ``labels`` go with ``data``."""
    from chaingrad.models import load_model

    if not Path(model_path).is_file():
        raise UsageError(f"--model {model_path}: no such file")
    model = load_model(model_path)
    if not hasattr(model, "class_names"):
        raise UsageError(f"{model_path}: a text model; use chaingrad sample for it")
    shape = tuple(model.input_shape)
    pixel_max = model.pixel_max
    names: list[str] = []
    batches: list[np.ndarray] = []
    truth = None
    if data is not None:
        if not Path(data).is_file():
            raise UsageError(f"--data {data}: no such file")
        if labels is not None and not Path(labels).is_file():
            raise UsageError(f"--labels {labels}: no such file")
        try:
            x = datasets.idx(data)
            truth = datasets.idx_pair(data, labels)[1] if labels is not None else None
        except (FileNotFoundError, ValueError) as error:
            raise UsageError(str(error)) from None
        batches.append(_as_images(x, shape, data))
        names = [f"{Path(data).name}[{i}]" for i in range(len(x))]
    for path in images:
        batch = read_image_file(path, shape, pixel_max)
        batches.append(batch)
        names += [path] if len(batch) == 1 else [f"{path}[{i}]" for i in range(len(batch))]
    x = np.concatenate(batches)
    with no_grad():
        scores = np.concatenate(
            [model(x[i : i + 256]).numpy() for i in range(0, len(x), 256)]
        ).astype(np.float64)
    probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    k = min(top, probabilities.shape[1])
    best = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    width = max(len(n) for n in names)
    lines = [
        f"{name:<{width}}  " + ", ".join(f"{model.class_names[c]} ({p[c]:.1%})" for c in row)
        for name, row, p in zip(names, best, probabilities)
    ]
    if truth is not None:
        correct = int((best[:, 0] == truth).sum())
        lines.append(f"accuracy {correct / len(truth):.4f} ({correct:,} of {len(truth):,})")
    return lines

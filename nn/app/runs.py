"""What every ``chaingrad train`` recipe shares: the run's config and result, optimizers and
schedules by name, the files a run writes, and the one error a user sees.

``recipes`` (image models) and ``text_models`` (character models) both build on this; neither
imports the other's internals, and ``recipes.train`` picks between them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chaingrad.nn as nn
from chaingrad.autograd import Tensor
from chaingrad.autograd.files import atomic_write, write_text
from chaingrad.nn import optim
from chaingrad.nn.graph import step_graph
from chaingrad.nn.plots import plot_history

IMAGE_MODELS = ("mlp", "cnn")
TEXT_MODELS = ("rnn", "lstm", "gru")
MODELS = IMAGE_MODELS + TEXT_MODELS
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
SCHEDULERS = ("none", "step", "exponential", "cosine", "linear", "inverse_sqrt", "plateau")

DEFAULTS: dict[str, dict[str, Any]] = {
    "mlp": {"epochs": 40, "batch_size": 32, "lr": 2e-3, "optimizer": "adam", "scheduler": "cosine"},
    "cnn": {"epochs": 25, "batch_size": 32, "lr": 3e-3, "optimizer": "adam", "scheduler": "cosine"},
    "rnn": {"epochs": 30, "batch_size": 16, "lr": 3e-3, "optimizer": "adam", "scheduler": "cosine"},
    "lstm": {
        "epochs": 30,
        "batch_size": 16,
        "lr": 3e-3,
        "optimizer": "adam",
        "scheduler": "cosine",
    },
    "gru": {"epochs": 30, "batch_size": 16, "lr": 3e-3, "optimizer": "adam", "scheduler": "cosine"},
}

# an optimizer other than the model's default starts from its own learning rate (unless --lr):
# Adam's 2e-3 is far too small for SGD with momentum
OPTIMIZER_LR: dict[str, float] = {"sgd": 0.05, "rmsprop": 1e-3, "adagrad": 1e-2}


class UsageError(Exception):
    """A problem with what the user asked for (a missing or corrupt file): one line, exit 1."""


class RunStoppedError(Exception):
    """Training stopped before its last epoch (a NaN/inf loss: exit 1; Ctrl-C: exit 130); what
    the finished epochs produced has been written."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def check_out(out: Path) -> None:
    """Refuse an output folder that cannot be written, before any training (creating it)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".chaingrad-write-check-"):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UsageError(f"--out {out}: cannot write there ({reason})") from None


def stopped(stop: Exception, write: Callable[[Any], list[Path]]) -> RunStoppedError:
    """``fit`` stopped on a NaN loss or Ctrl-C: write the finished epochs' outputs with
    ``write(history)`` (when there are any) and say so in one line."""
    history = stop.history  # type: ignore[attr-defined]
    files = write(history) if history.epochs else []
    kept = (
        f"; kept epoch {history.epochs} in " + ", ".join(str(f) for f in files)
        if files
        else "; nothing written (no epoch finished)"
    )
    if isinstance(stop, KeyboardInterrupt):
        finished = f"{history.epochs} finished epoch{'s' if history.epochs != 1 else ''}"
        return RunStoppedError(f"interrupted after {finished}{kept}", 130)
    return RunStoppedError(f"{stop}{kept}", 1)


@dataclass
class TrainConfig:
    """Everything ``chaingrad train`` was told; ``None`` means the model's default."""

    model: str
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str | None = None
    scheduler: str | None = None
    seed: int = 0
    out: str | None = None
    data: str | None = None
    labels: str | None = None
    progress: bool | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        defaults = DEFAULTS[self.model]
        if self.lr is None and self.optimizer not in (None, defaults["optimizer"]):
            self.lr = OPTIMIZER_LR.get(self.optimizer, defaults["lr"])
        for name, value in defaults.items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        self.out = self.out or f"runs/{self.model}"


def make_optimizer(name: str, parameters: Any, lr: float) -> optim.Optimizer:
    """An optimizer by name; "sgd" uses momentum 0.9."""
    if name == "sgd":
        return optim.SGD(parameters, lr=lr, momentum=0.9)
    classes = {
        "adam": optim.Adam,
        "adamw": optim.AdamW,
        "rmsprop": optim.RMSprop,
        "adagrad": optim.Adagrad,
    }
    return classes[name](parameters, lr=lr)


def make_scheduler(name: str, optimizer: optim.Optimizer, epochs: int) -> Any:
    """A learning-rate schedule over ``epochs`` by name (None for "none")."""
    schedules = optim.lr_scheduler
    if name == "none":
        return None
    if name == "step":
        return schedules.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.3)
    if name == "exponential":
        return schedules.ExponentialLR(optimizer, gamma=0.01 ** (1 / max(1, epochs)))
    if name == "cosine":
        return schedules.CosineAnnealingLR(optimizer, T_max=max(1, epochs))
    if name == "linear":
        return schedules.LinearLR(
            optimizer, start_factor=1.0, end_factor=0.01, total_iters=max(1, epochs)
        )
    if name == "inverse_sqrt":
        return schedules.InverseSqrtLR(optimizer, warmup=max(1, epochs // 10))
    return schedules.ReduceLROnPlateau(optimizer, factor=0.3, patience=2)


@dataclass
class TrainResult:
    """What a run measured and wrote."""

    lines: list[str]
    metrics: dict[str, float]
    files: list[Path]


def write_outputs(
    model: nn.Module,
    history: Any,
    out: Path,
    metadata: dict[str, Any],
    loss_fn: Any,
    *batch: Tensor,
) -> list[Path]:
    """Write model.npz (with its metadata), curves.png and graph.svg (one step on ``batch``).

    Each file is written atomically (a temporary file beside it, then a rename): a crash or a
    kill mid-write leaves the previous run's file intact.
    """
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out / "model.npz"), metadata=metadata)
    # the CLI calls its held-out split "test": the plot says so too
    figure = plot_history(history, held_out="test", title=f"chaingrad train {metadata['kind']}")
    with atomic_write(out / "curves.png") as file:
        figure.savefig(file, format="png", dpi=figure.dpi)
    model.train()
    write_text(out / "graph.svg", step_graph(model, loss_fn, *batch).svg)
    return [out / "model.npz", out / "curves.png", out / "graph.svg"]

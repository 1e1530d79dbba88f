"""Training conveniences: ``fit`` with a progress bar, ``History``, gradient-flow monitoring,
``evaluate``, ``predict`` and saliency maps."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from chaingrad.autograd import Tensor, no_grad
from chaingrad.nn.module import Module
from chaingrad.nn.plots import plot_gradient_flow, plot_history

Loss = Callable[[Tensor, Tensor], Tensor]
NAN_POLICIES = ("raise", "stop")


class NonFiniteLossError(FloatingPointError):
    """``fit`` met a NaN/inf training loss; the model holds the last finite weights again.

    ``history`` has the epochs that finished, ``epoch`` and ``batch`` say where it happened.
    """

    def __init__(self, message: str, history: History, epoch: int, batch: int) -> None:
        super().__init__(message)
        self.history, self.epoch, self.batch = history, epoch, batch


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during ``fit``: the model holds the weights of the last finished epoch again and
    ``history`` records the finished epochs (a KeyboardInterrupt, so it still stops a script)."""

    def __init__(self, history: History) -> None:
        super().__init__(f"training interrupted after {history.epochs} finished epochs")
        self.history = history


class History:
    """Per-epoch metrics of a fit: ``history["loss"]``, ``history["val_accuracy"]``, ..."""

    def __init__(self) -> None:
        self.metrics: dict[str, list[float]] = defaultdict(list)
        self.stopped_early = False
        self.best_epoch: int | None = None
        self.stopped_nonfinite: str | None = None  # the message when nan_policy="stop" stopped

    def append(self, **values: float) -> None:
        """Record one epoch's values."""
        for name, value in values.items():
            self.metrics[name].append(float(value))

    def __getitem__(self, name: str) -> list[float]:
        return self.metrics[name]

    def __contains__(self, name: str) -> bool:
        return name in self.metrics

    @property
    def epochs(self) -> int:
        """How many epochs were recorded."""
        return len(self.metrics.get("loss", []))

    def plot(self, path: str | None = None, dpi: int = 100) -> Any:
        """Loss (and accuracy) curves per epoch, saved to ``path`` if given; returns the Figure."""
        return plot_history(self, path, dpi)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.metrics.items() if v)
        return f"History({self.epochs} epochs; {last})"


class GradientFlow:
    """Records each parameter's gradient norm at every step, to see gradients vanish or explode.

    Pass it to ``fit(..., grad_flow=monitor)`` (or call ``monitor.record()`` after backward);
    ``plot()`` draws the norms per layer over the steps, or their mean per layer as bars.
    """

    def __init__(self, model: Module) -> None:
        self.parameters = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        self.norms: dict[str, list[float]] = {name: [] for name, _ in self.parameters}

    def record(self) -> None:
        """Store the current gradient norm of every parameter (nan where there is none)."""
        for name, p in self.parameters:
            norm = float(np.linalg.norm(p.grad)) if p.grad is not None else math.nan
            self.norms[name].append(norm)

    def mean_norms(self, weights_only: bool = True) -> dict[str, float]:
        """The mean gradient norm of each parameter over the recorded steps."""
        return {
            name: float(np.nanmean(values))
            for name, values in self.norms.items()
            if values and (not weights_only or not name.endswith("bias"))
        }

    def plot(self, path: str | None = None, kind: str = "lines", dpi: int = 100) -> Any:
        """``kind="lines"``: norms per step, one line per layer; ``"bars"``: mean per layer."""
        return plot_gradient_flow(self, path, kind, dpi)


def _accuracy(output: Tensor, target: Tensor) -> float | None:
    """Classification accuracy when the output looks like (N, C) scores for integer targets."""
    if output.ndim != 2 or target.dtype.kind not in "iu" or target.shape != output.shape[:1]:
        return None
    return float((output.numpy().argmax(axis=1) == np.asarray(target)).mean())


def evaluate(
    model: Module, loader: Iterable[tuple[Tensor, ...]], loss_fn: Loss | None = None
) -> dict[str, float]:
    """Mean loss (if ``loss_fn``) and accuracy (for classifiers) over a loader, in eval mode."""
    was_training = model.training
    model.eval()
    total_loss = total_correct = 0.0
    count = 0
    accuracy_known = True
    try:
        with no_grad():
            for x, y in loader:
                out = model(x)
                n = len(y)
                if loss_fn is not None:
                    total_loss += loss_fn(out, y).item() * n
                acc = _accuracy(out, y)
                accuracy_known &= acc is not None
                total_correct += (acc or 0.0) * n
                count += n
    finally:
        model.train(was_training)
    result: dict[str, float] = {}
    if loss_fn is not None and count:
        result["loss"] = total_loss / count
    if accuracy_known and count:
        result["accuracy"] = total_correct / count
    return result


def predict(model: Module, x: Any, batch_size: int = 256) -> np.ndarray:
    """The model's outputs for inputs ``x`` (an array or Tensor), in eval mode and batches."""
    data = x.numpy() if isinstance(x, Tensor) else np.asarray(x)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            # 0 rows still go through the model once: the result has the model's output shape
            outputs = [
                model(Tensor(data[i : i + batch_size])).numpy()
                for i in range(0, max(len(data), 1), batch_size)
            ]
    finally:
        model.train(was_training)
    return np.concatenate(outputs)


def saliency(model: Module, x: Any, target: int | np.ndarray) -> np.ndarray:
    """|∂ score[target] / ∂ input|: which input pixels the class score is most sensitive to.

    ``x`` is a batch (N, ...); ``target`` one class for all, or one per example. The gradient
    of the class score w.r.t. the input is backprop taken one step further than training does.
    """
    data = x.numpy() if isinstance(x, Tensor) else np.asarray(x)
    inputs = Tensor(
        data.astype(np.float32 if data.dtype.kind != "f" else data.dtype), requires_grad=True
    )
    was_training = model.training
    model.eval()
    try:
        scores = model(inputs)
        targets = np.broadcast_to(np.asarray(target), (len(data),))
        scores[np.arange(len(data)), targets].sum().backward()
    finally:
        model.train(was_training)
    return np.abs(inputs.grad.numpy())


class _NoProgress:
    """What ``fit`` uses instead of a bar when progress is off: tqdm is not even imported."""

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        """Ignore the metrics a bar would show."""

    def update(self, n: int = 1) -> None:
        """Ignore progress."""


def _progress(total: int, description: str, enabled: bool | None) -> Any:
    if enabled is False:
        return _NoProgress()
    # the plain bar: tqdm.auto would want ipywidgets in Jupyter and warn without them.
    # disable=None lets tqdm decide: a bar on a terminal, quiet when output goes to a file
    from tqdm import tqdm

    return tqdm(
        total=total, desc=description, disable=None if enabled is None else False, leave=True
    )


def fit(
    model: Module,
    loss_fn: Loss,
    optimizer: Any,
    train_loader: Iterable[tuple[Tensor, ...]],
    val_loader: Iterable[tuple[Tensor, ...]] | None = None,
    epochs: int = 1,
    scheduler: Any = None,
    early_stopping: int | None = None,
    monitor: str | None = None,
    restore_best: bool = True,
    grad_flow: GradientFlow | None = None,
    clip_grad_norm: float | None = None,
    progress: bool | None = None,
    nan_policy: str = "raise",
) -> History:
    """Train ``model`` for ``epochs``, one optimizer step per batch; returns the History.

    Each epoch records the mean training loss (and accuracy for classifiers), the validation
    loss and accuracy when ``val_loader`` is given, the learning rate and the time. The
    ``scheduler`` steps once per epoch (``ReduceLROnPlateau`` with the monitored value).
    ``early_stopping=k`` stops after k epochs without improvement of ``monitor`` (default
    "val_loss", or "loss" without validation data; accuracies are maximised, losses
    minimised) and, with ``restore_best``, puts back the best epoch's weights. The progress
    bar shows on a terminal and stays quiet in logs unless ``progress`` says otherwise.

    A NaN/inf training loss puts back the weights of the last finished epoch (the initial ones
    in the first) and, with ``nan_policy="raise"``, raises ``NonFiniteLossError``; with
    ``"stop"`` it returns the History of the finished epochs (``history.stopped_nonfinite``).
    Ctrl-C likewise puts back the last finished epoch's weights and raises
    ``TrainingInterrupted`` (a KeyboardInterrupt carrying the History). ``fit`` itself draws
    no random numbers: give the loader a ``seed``/``generator`` (and Dropout a ``seed``) so
    that runs in several threads do not share a stream. Grad mode is per thread, so fits in
    threads do not disturb each other.
    """
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"fit: nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")
    history = History()
    last_finite = model.state_dict()  # the weights at the end of the last finished epoch
    try:
        _fit_epochs(
            history,
            last_finite,
            model,
            loss_fn,
            optimizer,
            train_loader,
            val_loader,
            epochs,
            scheduler,
            early_stopping,
            monitor,
            restore_best,
            grad_flow,
            clip_grad_norm,
            progress,
            nan_policy,
        )
    except _NonFiniteStepError as stop:
        model.load_state_dict(last_finite)
        message = (
            f"fit: the training loss became {stop.value} in epoch {stop.epoch}, batch "
            f"{stop.batch}; restored the weights of epoch {history.epochs} (lower the learning "
            "rate or clip the gradients)"
        )
        if nan_policy == "raise":
            raise NonFiniteLossError(message, history, stop.epoch, stop.batch) from None
        history.stopped_nonfinite = message
    except KeyboardInterrupt:
        model.load_state_dict(last_finite)
        raise TrainingInterrupted(history) from None
    return history


class _NonFiniteStepError(Exception):
    """Raised inside the epoch loop; ``fit`` turns it into its policy."""

    def __init__(self, value: float, epoch: int, batch: int) -> None:
        self.value, self.epoch, self.batch = value, epoch, batch


def _fit_epochs(
    history: History,
    last_finite: dict[str, np.ndarray],
    model: Module,
    loss_fn: Loss,
    optimizer: Any,
    train_loader: Iterable[tuple[Tensor, ...]],
    val_loader: Iterable[tuple[Tensor, ...]] | None,
    epochs: int,
    scheduler: Any,
    early_stopping: int | None,
    monitor: str | None,
    restore_best: bool,
    grad_flow: GradientFlow | None,
    clip_grad_norm: float | None,
    progress: bool | None,
    nan_policy: str,
) -> None:
    """The epoch loop of ``fit``; ``last_finite`` is updated in place after each epoch."""
    monitor = monitor or ("val_loss" if val_loader is not None else "loss")
    maximise = "accuracy" in monitor
    best_value, best_state, waited = -math.inf if maximise else math.inf, None, 0
    for epoch in range(1, epochs + 1):
        model.train()
        start = time.perf_counter()
        total_loss = total_correct = 0.0
        count = 0
        accuracy_known = True
        batch = 0
        with _progress(len(train_loader), f"epoch {epoch}/{epochs}", progress) as bar:  # type: ignore[arg-type]
            for batch, (x, y) in enumerate(train_loader, 1):
                out = model(x)
                loss = loss_fn(out, y)
                value = loss.item()
                if not math.isfinite(value):  # stop before a non-finite gradient is applied
                    raise _NonFiniteStepError(value, epoch, batch)
                optimizer.zero_grad()
                loss.backward()
                if clip_grad_norm is not None:
                    from chaingrad.nn.optim import clip_grad_norm_

                    clip_grad_norm_(model.parameters(), clip_grad_norm)
                if grad_flow is not None:
                    grad_flow.record()
                optimizer.step()
                n = len(y)
                total_loss += value * n
                acc = _accuracy(out, y)
                accuracy_known &= acc is not None
                total_correct += (acc or 0.0) * n
                count += n
                bar.set_postfix(loss=f"{value:.4f}", refresh=False)
                bar.update()
            values = {"loss": total_loss / max(count, 1)}
            if accuracy_known and count:
                values["accuracy"] = total_correct / count
            if val_loader is not None:
                values.update(
                    {f"val_{k}": v for k, v in evaluate(model, val_loader, loss_fn).items()}
                )
            values["lr"] = optimizer.param_groups[0]["lr"]
            values["seconds"] = time.perf_counter() - start
            bar.set_postfix(
                {k: f"{v:.4g}" for k, v in values.items() if k not in ("lr", "seconds")}
            )
        snapshot = model.state_dict()
        if not all(np.isfinite(a).all() for a in snapshot.values() if a.dtype.kind == "f"):
            # a finite loss whose step made the weights NaN/inf: this epoch is not kept
            raise _NonFiniteStepError(math.nan, epoch, batch)
        history.append(**values)
        last_finite.update(snapshot)
        if scheduler is not None:
            if type(scheduler).__name__ == "ReduceLROnPlateau":
                scheduler.step(values[monitor])
            else:
                scheduler.step()
        current = values.get(monitor)
        if current is None:
            raise KeyError(
                f"fit: monitor {monitor!r} is not among the recorded metrics {sorted(values)}"
            )
        if (current > best_value) if maximise else (current < best_value):
            best_value, waited, history.best_epoch = current, 0, epoch
            best_state = model.state_dict() if early_stopping is not None and restore_best else None
        else:
            waited += 1
            if early_stopping is not None and waited >= early_stopping:
                history.stopped_early = True
                break
    if best_state is not None and history.stopped_early:
        model.load_state_dict(best_state)
        last_finite.update(best_state)

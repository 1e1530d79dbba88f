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

    def close(self) -> None:
        """Nothing to close."""

    def set_postfix_str(self, *args: Any, **kwargs: Any) -> None:
        """Ignore the metrics a bar would show."""

    def update(self, n: int = 1) -> None:
        """Ignore progress."""


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (where stdout is no TTY but a widget shows)."""
    import sys

    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        return "IPKernelApp" in shell.get_ipython().config  # type: ignore[attr-defined]
    except AttributeError:
        return False


def _columns(stream: Any) -> int | None:
    """The width of the terminal ``stream`` writes to, or None when it is no terminal."""
    import os

    try:
        if not stream.isatty():
            return None
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return None


class _Progress:
    """How ``fit`` reports: a tqdm bar per epoch (a widget in Jupyter, text on a terminal) that
    gives way to one Keras-style line of metrics per epoch, or those lines alone in a log.

    ``enabled=None`` shows a bar wherever one can be seen and stays quiet in logs; ``True``
    also prints the epoch lines to a non-terminal stdout; ``False`` prints nothing.
    """

    def __init__(self, enabled: bool | None, epochs: int) -> None:
        import sys

        self.epochs = epochs
        self.mode = "off"
        if enabled is not False:
            columns = _columns(sys.stderr)
            if _in_notebook():
                self.mode = "notebook"
            elif columns:  # a zero-column pseudo-terminal would get one blank line per update
                self.mode, self.columns = "bar", min(columns, 100)
            elif enabled or columns == 0:
                self.mode = "lines"

    def bar(self, epoch: int, total: int | None) -> Any:
        """A bar for one epoch (or a stand-in that ignores updates)."""
        if self.mode == "off" or self.mode == "lines":
            return _NoProgress()
        description = f"epoch {epoch}/{self.epochs}"
        if self.mode == "notebook":
            try:
                from tqdm.auto import tqdm

                return tqdm(total=total, desc=description, leave=False)
            except ImportError:  # no ipywidgets: tqdm.notebook cannot draw; plain text instead
                self.mode = "lines"
                return _NoProgress()
        from tqdm import tqdm

        return tqdm(
            total=total,
            desc=description,
            leave=False,
            ncols=self.columns,
            # the epoch, the bar, the count, the ETA and the running loss fit in 80 columns
            bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
            "[{elapsed}<{remaining}{postfix}]",
        )

    def epoch_end(self, epoch: int, values: dict[str, float]) -> None:
        """One line per epoch: ``epoch 3/10 - loss 0.41 - val_accuracy 0.93 - 2.1 s``."""
        if self.mode == "off":
            return
        parts = [f"epoch {epoch}/{self.epochs}"]
        parts += [f"{k} {v:.4g}" for k, v in values.items() if k not in ("lr", "seconds")]
        parts.append(f"{values['seconds']:.1f} s")
        line = " - ".join(parts)
        width = getattr(self, "columns", None)  # a terminal's; a log keeps one line per epoch
        if width and len(line) > width:  # the validation metrics on a line of their own
            train = [p for p in parts if not p.startswith("val_")]
            val = [p for p in parts if p.startswith("val_")]
            line = " - ".join(train) + "\n    " + " - ".join(val)
        import sys

        # stderr as tqdm (stdout stays the program's output); stdout in a notebook, where
        # stderr is drawn as a warning
        print(line, file=sys.stdout if self.mode == "notebook" else sys.stderr, flush=True)


def _maximise(monitor: str, mode: str, who: str) -> bool:
    """Whether larger values of ``monitor`` are better: accuracies yes, losses no (``"auto"``)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    return mode == "max" or (mode == "auto" and "acc" in monitor)


def _monitored(logs: dict[str, float], monitor: str, who: str) -> float:
    if monitor not in logs:
        raise KeyError(
            f"{who}: monitor {monitor!r} is not among the recorded metrics {sorted(logs)}"
        )
    return logs[monitor]


class Callback:
    """Hooks ``fit`` calls, as in Keras: subclass and override the ones you need.

    ``epoch`` and ``batch`` count from 0 as in Keras (the progress line shows epochs from 1);
    ``logs`` holds the epoch's metrics (``loss``, ``val_accuracy``, ``lr``, ``seconds``, ...) or
    the batch's ``loss`` and ``size``. ``self.model`` is the model being trained; setting
    ``self.model.stop_training = True`` ends training after the current epoch.
    """

    model: Module

    def set_model(self, model: Module) -> None:
        """Called by ``fit`` before training with the model it trains."""
        self.model = model

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        """After the last epoch (also after an early stop or ``nan_policy="stop"``)."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Before an epoch's first batch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """After an epoch and its validation, with its metrics in ``logs``."""

    def on_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """After a batch's optimizer step, with its ``loss`` and ``size`` in ``logs``."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``mode="auto"`` maximises accuracies and minimises the rest. With ``restore_best_weights``
    (the default here; Keras defaults to False) the best epoch's weights are put back when it
    stops early. ``stopped_epoch`` and ``best_epoch`` count from 0, as in Keras.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor, self.patience, self.min_delta = monitor, patience, abs(min_delta)
        self.maximise = _maximise(monitor, mode, "EarlyStopping")
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        """Forget any earlier fit."""
        self.best = -math.inf if self.maximise else math.inf
        self.best_epoch: int | None = None
        self.best_state: dict[str, np.ndarray] | None = None
        self.wait, self.stopped_epoch = 0, None

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Count the epochs without improvement; ask ``fit`` to stop when patience runs out."""
        current = _monitored(logs or {}, self.monitor, "EarlyStopping")
        gain = current - self.best if self.maximise else self.best - current
        if gain > self.min_delta:
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_state = self.model.state_dict()
            return
        self.wait += 1
        if self.wait >= max(self.patience, 1):  # Keras: patience 0 stops at the first miss
            self.stopped_epoch = epoch
            self.model.stop_training = True  # type: ignore[attr-defined]

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        """Put back the best weights if training stopped early."""
        if self.stopped_epoch is not None and self.best_state is not None:
            self.model.load_state_dict(self.best_state)


class ModelCheckpoint(Callback):
    """Save the model to ``path`` after each epoch (the last), or with ``save_best_only`` only
    when ``monitor`` improved (the best); both at once are two callbacks.

    ``path`` may name the epoch and metrics as in Keras: ``"ckpt-{epoch:02d}-{val_loss:.2f}.npz"``
    (``epoch`` from 1 there, as Keras formats it). Each file is written atomically (a crash
    leaves the previous one whole) with metadata ``{"epoch": ..., monitor: ...}``.
    """

    def __init__(
        self,
        path: str,
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
    ) -> None:
        self.path, self.monitor, self.save_best_only = str(path), monitor, save_best_only
        self.maximise = _maximise(monitor, mode, "ModelCheckpoint")
        self.best = -math.inf if self.maximise else math.inf
        self.best_epoch: int | None = None
        self.saved: list[str] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Write the model when it is time (every epoch, or on improvement)."""
        from chaingrad.nn.serialization import save

        logs = dict(logs or {})
        metadata: dict[str, Any] = {"epoch": epoch + 1}
        if self.save_best_only or self.monitor in logs:
            current = _monitored(logs, self.monitor, "ModelCheckpoint")
            metadata[self.monitor] = current
            improved = current > self.best if self.maximise else current < self.best
            if improved:
                self.best, self.best_epoch = current, epoch
            elif self.save_best_only:
                return
        try:
            path = self.path.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"ModelCheckpoint: cannot fill in path {self.path!r} from epoch and "
                f"{sorted(logs)} ({error!r})"
            ) from None
        self.saved.append(str(save(self.model, path, metadata)))


class CSVLogger(Callback):
    """One CSV row per epoch: ``epoch`` (from 0, as Keras) and every metric, in the order fit
    records them (Keras sorts them). The file is rewritten atomically after each epoch, so a
    crash never leaves half a row; ``append=True`` keeps the rows already in the file."""

    def __init__(self, path: str, separator: str = ",", append: bool = False) -> None:
        self.path, self.separator, self.append = str(path), separator, append
        self.lines: list[str] = []

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        """Start the rows afresh, or from the existing file when appending."""
        from pathlib import Path

        existing = Path(self.path)
        self.lines = (
            existing.read_text(encoding="utf-8").splitlines()
            if self.append and existing.is_file()
            else []
        )
        self.header_written = bool(self.lines)

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Add the epoch's row and write the file."""
        from chaingrad.autograd.files import write_text

        logs = logs or {}
        if not self.header_written:
            self.lines.append(self.separator.join(["epoch", *logs]))
            self.header_written = True
        self.lines.append(
            self.separator.join([str(epoch), *(repr(float(v)) for v in logs.values())])
        )
        write_text(self.path, "\n".join(self.lines) + "\n")


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
    callbacks: Iterable[Callback] = (),
    steps_per_epoch: int | None = None,
) -> History:
    """Train ``model`` for ``epochs``, one optimizer step per batch; returns the History.

    Each epoch records the mean training loss (and accuracy for classifiers), the validation
    loss and accuracy when ``val_loader`` is given, the learning rate and the time. The
    ``scheduler`` steps once per epoch (``ReduceLROnPlateau`` with the monitored value).
    ``steps_per_epoch=k`` ends an epoch after k batches (a fresh pass over the loader each
    epoch, so a shuffling loader gives different batches), bounding epochs on big data.

    ``callbacks`` get Keras's hooks (see ``Callback``): ``EarlyStopping``, ``ModelCheckpoint``,
    ``CSVLogger`` or your own. ``early_stopping=k`` is a shortcut for
    ``EarlyStopping(monitor, patience=k, restore_best_weights=restore_best)``; ``monitor``
    defaults to "val_loss", or "loss" without validation data (accuracies are maximised,
    losses minimised) and ``history.best_epoch`` is its best epoch (from 1).

    Progress: by default (``None``) a bar per epoch wherever one can be seen (a text bar on a
    terminal, a widget in Jupyter) followed by one line of metrics per epoch, and nothing when
    stderr is not a terminal (a log); ``progress=True`` prints those lines to a log as well
    (Keras-style, ``epoch 3/10 - loss 0.41 - val_accuracy 0.93 - 2.1 s``); ``False`` prints
    nothing. Like tqdm it writes to stderr, so stdout stays the program's own output.

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
    if steps_per_epoch is not None and steps_per_epoch < 1:
        raise ValueError(f"fit: steps_per_epoch must be a positive integer, got {steps_per_epoch}")
    monitor = monitor or ("val_loss" if val_loader is not None else "loss")
    callbacks = list(callbacks)
    stopper = None
    if early_stopping is not None:
        stopper = EarlyStopping(monitor, patience=early_stopping, restore_best_weights=restore_best)
        callbacks.append(stopper)
    history = History()
    last_finite = model.state_dict()  # the weights at the end of the last finished epoch
    model.stop_training = False  # type: ignore[attr-defined]
    for callback in callbacks:
        callback.set_model(model)
        callback.on_train_begin()
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
            monitor,
            grad_flow,
            clip_grad_norm,
            _Progress(progress, epochs),
            callbacks,
            steps_per_epoch,
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
    history.stopped_early = bool(model.stop_training)  # type: ignore[attr-defined]
    for callback in callbacks:
        callback.on_train_end()
    return history


class _NonFiniteStepError(Exception):
    """Raised inside the epoch loop; ``fit`` turns it into its policy."""

    def __init__(self, value: float, epoch: int, batch: int) -> None:
        self.value, self.epoch, self.batch = value, epoch, batch


def _batches(loader: Iterable[Any], steps: int | None) -> tuple[Iterable[Any], int | None]:
    """The loader's batches for one epoch, at most ``steps`` of them, and how many (if known)."""
    try:
        total: int | None = len(loader)  # type: ignore[arg-type]
    except TypeError:
        total = None
    if steps is None:
        return loader, total
    import itertools

    return itertools.islice(loader, steps), steps if total is None else min(total, steps)


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
    monitor: str,
    grad_flow: GradientFlow | None,
    clip_grad_norm: float | None,
    progress: _Progress,
    callbacks: list[Callback],
    steps_per_epoch: int | None,
) -> None:
    """The epoch loop of ``fit``; ``last_finite`` is updated in place after each epoch."""
    maximise = "accuracy" in monitor
    best_value = -math.inf if maximise else math.inf
    for epoch in range(1, epochs + 1):
        for callback in callbacks:
            callback.on_epoch_begin(epoch - 1)
        model.train()
        start = time.perf_counter()
        total_loss = total_correct = 0.0
        count = 0
        accuracy_known = True
        batch = 0
        batches, total = _batches(train_loader, steps_per_epoch)
        bar = progress.bar(epoch, total)
        try:
            for batch, (x, y) in enumerate(batches, 1):
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
                bar.set_postfix_str(f"loss={value:.4f}", refresh=False)
                bar.update()
                for callback in callbacks:
                    callback.on_batch_end(batch - 1, {"loss": value, "size": n})
        finally:
            bar.close()
        values = {"loss": total_loss / max(count, 1)}
        if accuracy_known and count:
            values["accuracy"] = total_correct / count
        if val_loader is not None:
            values.update({f"val_{k}": v for k, v in evaluate(model, val_loader, loss_fn).items()})
        values["lr"] = optimizer.param_groups[0]["lr"]
        values["seconds"] = time.perf_counter() - start
        snapshot = model.state_dict()
        if not all(np.isfinite(a).all() for a in snapshot.values() if a.dtype.kind == "f"):
            # a finite loss whose step made the weights NaN/inf: this epoch is not kept
            raise _NonFiniteStepError(math.nan, epoch, batch)
        history.append(**values)
        last_finite.update(snapshot)
        progress.epoch_end(epoch, values)
        if scheduler is not None:
            if type(scheduler).__name__ == "ReduceLROnPlateau":
                scheduler.step(_monitored(values, monitor, "fit"))
            else:
                scheduler.step()
        current = _monitored(values, monitor, "fit")
        if (current > best_value) if maximise else (current < best_value):
            best_value, history.best_epoch = current, epoch
        for callback in callbacks:
            callback.on_epoch_end(epoch - 1, dict(values))
        if model.stop_training:  # type: ignore[attr-defined]
            break

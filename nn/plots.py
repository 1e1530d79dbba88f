"""Plots for training: loss/accuracy curves and gradient flow per layer (matplotlib, on demand).

Figures are built with ``matplotlib.figure.Figure`` directly, so nothing here touches pyplot's
global state or needs a display; a returned Figure shows inline in Jupyter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from chaingrad.autograd.files import atomic_write

# What the plots read, as protocols: ``nn.train``'s History and GradientFlow are these, and
# ``nn.train`` imports this file for their ``plot`` methods, so nothing here imports it back.


class History(Protocol):
    """Per-epoch metrics by name (``history["loss"]``), as ``nn.train.History``."""

    stopped_early: bool
    best_epoch: int | None

    @property
    def epochs(self) -> int: ...

    def __getitem__(self, name: str) -> list[float]: ...

    def __contains__(self, name: str) -> bool: ...


class GradientFlow(Protocol):
    """Gradient norms per parameter and step, as ``nn.train.GradientFlow``."""

    norms: dict[str, list[float]]

    def mean_norms(self, weights_only: bool = True) -> dict[str, float]: ...


def _figure(width: float, height: float, dpi: int) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=dpi, layout="constrained")


def _save(figure: Any, path: str | None) -> None:
    """Write the figure atomically (a kill mid-write keeps the previous file); no suffix: png."""
    if path is not None:
        target = Path(path)
        if not target.suffix:
            target = target.with_name(target.name + ".png")  # what matplotlib itself would do
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(target) as file:
            figure.savefig(file, format=target.suffix[1:].lower(), dpi=figure.dpi)


def plot_history(
    history: History,
    path: str | None = None,
    dpi: int = 100,
    held_out: str = "validation",
    title: str | None = None,
) -> Any:
    """Loss curves (train and the ``val_`` metrics, labelled ``held_out``: the CLI says "test")
    and, for classifiers, accuracy curves, under ``title`` (default "training curves")."""
    from matplotlib.ticker import MaxNLocator

    has_accuracy = "accuracy" in history or "val_accuracy" in history
    figure = _figure(10 if has_accuracy else 5.5, 3.8, dpi)
    axes = figure.subplots(1, 2 if has_accuracy else 1, squeeze=False)[0]
    epochs = range(1, history.epochs + 1)
    panels = [("loss", axes[0])] + ([("accuracy", axes[1])] if has_accuracy else [])
    for metric, ax in panels:
        for prefix, style in (("", "-o"), ("val_", "--s")):
            values = history[f"{prefix}{metric}"] if f"{prefix}{metric}" in history else []
            if values:
                ax.plot(
                    list(epochs)[: len(values)],
                    values,
                    style,
                    markersize=3,
                    label=held_out if prefix else "train",
                )
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.25
        ax.set_ylabel(metric)
        ax.set_title(f"{metric} per epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    epochs_text = f"{history.epochs} epoch{'s' if history.epochs != 1 else ''}"
    figure.suptitle(f"{title or 'training curves'} ({epochs_text})")
    if history.best_epoch is not None and history.stopped_early:
        axes[0].axvline(history.best_epoch, color="gray", linestyle=":", label="best epoch")
    _save(figure, path)
    return figure


def plot_gradient_flow(
    flow: GradientFlow, path: str | None = None, kind: str = "lines", dpi: int = 100
) -> Any:
    """Gradient norms per layer: over the steps (``"lines"``) or their means (``"bars"``)."""
    if kind not in ("lines", "bars"):
        raise ValueError(f"plot_gradient_flow: kind must be 'lines' or 'bars', got {kind!r}")
    figure = _figure(8, 4, dpi)
    ax = figure.subplots()
    if kind == "lines":
        for name, values in flow.norms.items():
            if values and not name.endswith("bias"):
                ax.plot(values, label=name, linewidth=1)
        ax.set_xlabel("training step")
        ax.set_ylabel("gradient norm")
        ax.legend(fontsize=7, ncol=2)
    else:
        means = flow.mean_norms()
        ax.bar(range(len(means)), list(means.values()), color="tab:blue")
        ax.set_xticks(range(len(means)), list(means), rotation=45, ha="right", fontsize=8)
        ax.set_ylabel("mean gradient norm")
        ax.set_xlabel("layer (input → output)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")
    ax.set_title("gradient flow")
    _save(figure, path)
    return figure

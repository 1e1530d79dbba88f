"""Plotting helpers of the course notebooks 03–07, so that lesson cells stay short.

The notebooks import this module as ``plotting`` (their first code cell puts this folder on
``sys.path``). Every helper draws with matplotlib only and returns what it drew on; none of them
computes anything a lesson is about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

DPI = 100  # ~100 dpi: sharp enough to read, small enough to keep the notebooks under 5 MB
FONT = 8  # the smallest font size of any legend, tick label or annotation


def setup(figsize: tuple[float, float] = (6, 3.5)) -> None:
    """The course's figure style: PNG at ~100 dpi, legends and tick labels at least 8 pt."""
    plt.rcParams.update(
        {
            "figure.figsize": figsize,
            "figure.dpi": DPI,
            "font.size": 9,
            "axes.titlesize": 9,
            "axes.labelsize": 9,
            "legend.fontsize": FONT,
            "xtick.labelsize": FONT,
            "ytick.labelsize": FONT,
        }
    )


def small(figure: Figure, width: float | None = None, height: float | None = None) -> Figure:
    """A Figure made by chaingrad's plotting helpers, shown at the course's size and resolution."""
    if width is not None and height is not None:
        figure.set_size_inches(width, height)
    figure.set_dpi(DPI)
    return figure


def grouped_bars(
    ax: Axes, groups: Mapping[str, Sequence[float]], categories: Sequence[str], **bar_options
) -> Axes:
    """One bar per (group, category), the groups side by side within each category."""
    width = 0.8 / len(groups)
    offset = (len(groups) - 1) / 2
    for k, (name, values) in enumerate(groups.items()):
        x = np.arange(len(categories)) + (k - offset) * width
        ax.bar(x, values, width, label=name, **bar_options)
    ax.set_xticks(range(len(categories)), categories)
    return ax


def layer_statistics(stats: Mapping[str, Mapping[str, list[np.ndarray]]]) -> Figure:
    """Std (log scale, top row) and mean (bottom row) of the activations, one column per network."""
    networks = list(stats)
    fig, axes = plt.subplots(2, len(networks), figsize=(8, 4.6), sharex=True, sharey="row")
    for column, network in enumerate(networks):
        for scheme, layers in stats[network].items():
            depth = range(1, len(layers) + 1)
            axes[0, column].semilogy(depth, [a.std() for a in layers], "o-", ms=3, label=scheme)
            axes[1, column].plot(depth, [a.mean() for a in layers], "o-", ms=3, label=scheme)
        axes[0, column].set(title=f"{network} network", ylim=(1e-9, 1e3))
        axes[1, column].set(xlabel="layer", ylim=(-0.5, 1.5))
        for ax in axes[:, column]:
            ax.grid(alpha=0.3, which="both")
    axes[0, 0].set_ylabel("std of the activations")
    axes[1, 0].set_ylabel("mean")
    axes[0, -1].legend()
    return fig


def histogram_grid(
    rows: Mapping[str, list[np.ndarray]], columns: Sequence[int], title: str
) -> Figure:
    """Histograms of activations in [-1, 1]: one row per setting, one column per layer index."""
    fig, axes = plt.subplots(len(rows), len(columns), figsize=(8, 4.5), sharex=True)
    for row, (name, layers) in enumerate(rows.items()):
        for col, layer in enumerate(columns):
            a = layers[layer].ravel()
            ax = axes[row, col]
            ax.hist(a, bins=50, range=(-1, 1), color=f"C{row}")
            ax.set_yticks([])
            ax.text(0.02, 0.75, f"μ={a.mean():+.2f}\nσ={a.std():.2g}", transform=ax.transAxes)
            if row == 0:
                ax.set_title(f"layer {layer + 1}")
            if col == 0:
                ax.set_ylabel(name)
    fig.suptitle(title, fontsize=10)
    return fig


def curves(
    ax: Axes,
    series: Mapping[str, Sequence[float]],
    *,
    x: Sequence[float] | None = None,
    style: str = "o-",
    **options,
) -> Axes:
    """One line per named series (epochs numbered from 1 unless ``x`` is given), with a legend."""
    for name, values in series.items():
        xs = range(1, len(values) + 1) if x is None else x
        ax.plot(xs, values, style, markersize=3, label=name, **options)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return ax


def contour_surface(
    ax: Axes, cost: Callable[[np.ndarray], np.ndarray], box: tuple[float, float, float, float]
) -> Axes:
    """Light contour lines of a 2-D cost on log-spaced levels, inside ``box`` (x0, x1, y0, y1)."""
    x0, x1, y0, y1 = box
    gx, gy = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    surface = cost(np.array([gx, gy]))
    levels = np.logspace(-2, np.log10(surface.max()), 15)
    ax.contour(gx, gy, surface, levels=levels, colors="lightgray", linewidths=0.7)
    ax.set(xlim=(x0, x1), ylim=(y0, y1))
    return ax


def optimizer_paths(
    paths: Mapping[str, np.ndarray],
    cost: Callable[[np.ndarray], np.ndarray],
    box: tuple[float, float, float, float],
    minimum: tuple[float, float],
    title: str,
) -> Figure:
    """One panel per optimizer: its path on the cost's contours, the cost it reached as title."""
    fig, axes = plt.subplots(2, 3, figsize=(8, 4.4), sharex=True, sharey=True)
    for k, (ax, (name, points)) in enumerate(zip(axes.ravel(), paths.items())):
        contour_surface(ax, cost, box)
        ax.plot(points[:, 0], points[:, 1], ".-", color=f"C{k}", markersize=2, linewidth=1)
        ax.plot(*minimum, "k*", markersize=9)
        ax.set_title(f"{name}: J = {cost(points[-1]):.2g}")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def decision_regions(
    ax: Axes,
    probability: Callable[[np.ndarray], np.ndarray],
    points: np.ndarray,
    labels: np.ndarray,
    title: str,
) -> Axes:
    """Class-1 probability of a 2-D classifier as filled contours, with the labelled points."""
    grid = np.linspace(-2.0, 3.0, 150, dtype=np.float32)
    gx, gy = np.meshgrid(grid, grid * 0.7 + 0.25)
    p = probability(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(gx.shape)
    ax.contourf(gx, gy, p, levels=20, cmap="RdBu", alpha=0.5)
    for label, colour in ((0, "tab:red"), (1, "tab:blue")):
        chosen = points[labels == label]
        ax.scatter(chosen[:, 0], chosen[:, 1], color=colour, s=9, edgecolors="w", linewidths=0.4)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def annotated_matrix(
    ax: Axes, m: np.ndarray, title: str, fmt: str = "{:g}", grid_every: int | None = None
) -> Axes:
    """A small matrix as an image with its values written in, optionally with window lines."""
    ax.imshow(m, cmap="Blues")
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=FONT)
    if grid_every:
        for k in np.arange(grid_every, m.shape[0], grid_every) - 0.5:
            ax.axhline(k, color="k", lw=0.8)
            ax.axvline(k, color="k", lw=0.8)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def attention_map(
    ax: Axes,
    alpha: np.ndarray,
    cell_labels: Sequence[Sequence[str]],
    row_labels: Sequence[str],
    boxes: Sequence[int] | None = None,
) -> Axes:
    """Attention weights (rows: outputs, columns: input positions) labelled cell by cell."""
    ax.imshow(alpha, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (r, c), text in np.ndenumerate(np.array(cell_labels, dtype=object)):
        colour = "w" if alpha[r, c] > 0.5 else "k"
        ax.text(c, r, text, ha="center", va="center", fontsize=FONT, color=colour)
    for r, c in enumerate([] if boxes is None else boxes):
        ax.add_patch(
            plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="tab:red", linewidth=1.5)
        )
    ax.set_yticks(range(len(row_labels)), row_labels)
    ax.set_xticks(range(alpha.shape[1]), [f"{t + 1}" for t in range(alpha.shape[1])])
    return ax


def gradient_signs(
    grads: Mapping[str, np.ndarray], paths: Mapping[str, Sequence[np.ndarray]], target: np.ndarray
) -> Figure:
    """Per-example gradients of a 2-weight unit (left) and its SGD paths to ``target`` (right)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.4))
    for k, name in enumerate(grads):
        ax1.scatter(*np.asarray(grads[name]).T, s=6, color=f"C{k}", alpha=0.7, label=name)
        path = np.asarray(paths[name])
        ax2.plot(*path.T, ".-", ms=3, lw=1, color=f"C{k}", label=name)
    ax2.plot(*target, "k*", ms=10, label="the weights to learn")
    ax1.set(xlabel="∂L/∂w₁", ylabel="∂L/∂w₂", title="one gradient per example, at w = 0")
    ax2.set(xlabel="w₁", ylabel="w₂", title="SGD from w = 0, one example per step")
    for ax in (ax1, ax2):
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.legend(fontsize=FONT)
    fig.tight_layout()
    return fig


def whitening(
    inputs: Mapping[str, np.ndarray], labels: np.ndarray, losses: Mapping[str, Sequence[float]]
) -> Figure:
    """Scatter plots of the same data preprocessed two ways, and the training loss of each."""
    fig, axes = plt.subplots(1, 3, figsize=(8, 2.8), width_ratios=[1, 1, 1.3])
    for ax, (name, x) in zip(axes, inputs.items()):
        ax.scatter(*x.T, c=labels, s=3, cmap="coolwarm")
        ax.set(title=name, aspect="equal", xlim=(-4, 4), ylim=(-4, 4))
    curves(axes[2], losses, style="-")
    axes[2].set(xlabel="gradient-descent step", ylabel="training loss", yscale="log")
    fig.tight_layout()
    return fig


def split_bar(splits: Mapping[str, int]) -> Figure:
    """One horizontal bar cut into the data set's splits, each labelled with its use and size."""
    fig, ax = plt.subplots(figsize=(8, 1.5))
    left = 0
    for k, (name, n) in enumerate(splits.items()):
        ax.barh(0, n, left=left, color=f"C{k}")
        ax.text(left + n / 2, 0, f"{name}\n{n} images", ha="center", va="center", color="w")
        left += n
    ax.set(xlim=(0, left), yticks=[], xlabel="the 1,797 digits, shuffled (stratified by class)")
    fig.tight_layout()
    return fig

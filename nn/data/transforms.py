"""Image augmentation on NCHW batches, and standardisation fitted on the training split.

Each random transform owns a generator seeded at construction, so a pipeline is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from chaingrad.autograd.random import rng


def _check_images(x: np.ndarray, name: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{name}: expected an NCHW batch (4-D), got shape {x.shape}")


class Compose:
    """Apply transforms one after another."""

    def __init__(self, transforms: Sequence[Callable[[np.ndarray], np.ndarray]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        for transform in self.transforms:
            x = transform(x)
        return x


class RandomHorizontalFlip:
    """Mirror each image left–right with probability ``p``."""

    def __init__(self, p: float = 0.5, seed: int | None = None) -> None:
        self.p = p
        # its own stream with a seed, else the default one (chaingrad.manual_seed)
        self.generator = None if seed is None else np.random.default_rng(seed)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        _check_images(x, "RandomHorizontalFlip")
        flip = rng(self.generator).random(len(x)) < self.p
        out = x.copy()
        out[flip] = x[flip, ..., ::-1]
        return out


class RandomCrop:
    """Zero-pad by ``padding`` then cut a random ``size`` window from each image."""

    def __init__(
        self, size: int | tuple[int, int], padding: int = 0, seed: int | None = None
    ) -> None:
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding = padding
        # its own stream with a seed, else the default one (chaingrad.manual_seed)
        self.generator = None if seed is None else np.random.default_rng(seed)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        _check_images(x, "RandomCrop")
        p = self.padding
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        height, width = self.size
        max_top, max_left = padded.shape[2] - height, padded.shape[3] - width
        if max_top < 0 or max_left < 0:
            raise ValueError(
                f"RandomCrop: a {self.size} crop does not fit padded images of {padded.shape[2:]}"
            )
        tops = rng(self.generator).integers(0, max_top + 1, len(x))
        lefts = rng(self.generator).integers(0, max_left + 1, len(x))
        rows = tops[:, None] + np.arange(height)  # (N, height)
        cols = lefts[:, None] + np.arange(width)  # (N, width)
        n = np.arange(len(x))[:, None, None, None]
        c = np.arange(x.shape[1])[None, :, None, None]
        return padded[n, c, rows[:, None, :, None], cols[:, None, None, :]]


class RandomRotation:
    """Rotate each image about its centre by an angle drawn from [-degrees, degrees].

    Positive angles turn counter-clockwise, as torchvision's ``RandomRotation``.
    Bilinear interpolation; pixels that come from outside the image are ``fill``.
    """

    def __init__(
        self, degrees: float | tuple[float, float], fill: float = 0.0, seed: int | None = None
    ) -> None:
        self.degrees = (-degrees, degrees) if np.isscalar(degrees) else tuple(degrees)
        self.fill = fill
        # its own stream with a seed, else the default one (chaingrad.manual_seed)
        self.generator = None if seed is None else np.random.default_rng(seed)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        _check_images(x, "RandomRotation")
        n, _, height, width = x.shape
        angles = np.deg2rad(rng(self.generator).uniform(*self.degrees, n))
        cy, cx = (height - 1) / 2, (width - 1) / 2
        ys, xs = np.meshgrid(np.arange(height) - cy, np.arange(width) - cx, indexing="ij")
        cos, sin = np.cos(angles)[:, None, None], np.sin(angles)[:, None, None]
        # inverse mapping: where in the source does each output pixel come from (y points down,
        # so this turns the picture counter-clockwise for positive angles, as torchvision)
        src_y = cos * ys + sin * xs + cy
        src_x = -sin * ys + cos * xs + cx
        return _bilinear(x, src_y, src_x, self.fill)


def _bilinear(x: np.ndarray, src_y: np.ndarray, src_x: np.ndarray, fill: float) -> np.ndarray:
    """Sample each image of x (N, C, H, W) at per-image coordinates (N, H, W)."""
    n, _, height, width = x.shape
    y0, x0 = np.floor(src_y).astype(int), np.floor(src_x).astype(int)
    wy, wx = (src_y - y0)[:, None], (src_x - x0)[:, None]
    images = np.arange(n)[:, None, None]
    out = np.zeros(x.shape, dtype=np.result_type(x.dtype, np.float32))
    for dy, dx, weight in (
        (0, 0, (1 - wy) * (1 - wx)),
        (0, 1, (1 - wy) * wx),
        (1, 0, wy * (1 - wx)),
        (1, 1, wy * wx),
    ):
        yy, xx = y0 + dy, x0 + dx
        inside = (yy >= 0) & (yy < height) & (xx >= 0) & (xx < width)
        values = x[images, :, np.clip(yy, 0, height - 1), np.clip(xx, 0, width - 1)]  # (N, H, W, C)
        values = np.where(inside[..., None], values, fill).transpose(0, 3, 1, 2)
        out += weight * values
    return out.astype(x.dtype, copy=False)


class Standardize:
    """Subtract the training mean and divide by the training standard deviation.

    ``Standardize.fit(x_train, axis=(0, 2, 3))`` computes per-channel statistics of NCHW
    images (``axis=0``, the default, gives per-feature statistics of (N, D) data); calling the
    fitted object transforms any split with those same statistics, so test data never leaks in.
    """

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        self.mean = mean
        self.std = std

    @classmethod
    def fit(
        cls, x: np.ndarray, axis: Any = 0, center: bool = True, scale: bool = True
    ) -> Standardize:
        """Statistics of the training split ``x`` over ``axis`` (kept as size-1 axes).

        A feature that never varies in training gets scale 1 (as scikit-learn's scaler), so new
        data is shifted but never divided by zero.
        """
        x = np.asarray(x)
        mean = x.mean(axis=axis, keepdims=True) if center else np.zeros((1,) * x.ndim)
        std = x.std(axis=axis, keepdims=True) if scale else np.ones((1,) * x.ndim)
        std = np.where(std > 0, std, 1.0)
        return cls(mean.astype(x.dtype), std.astype(x.dtype))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((np.asarray(x) - self.mean) / self.std).astype(np.asarray(x).dtype, copy=False)

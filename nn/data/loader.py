"""Datasets and the DataLoader that batches, shuffles (with a seed) and transforms them."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from chaingrad.autograd import Tensor


class Dataset:
    """Anything with ``len(ds)`` and ``ds[i]`` returning a tuple of arrays (one example)."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Examples are matching rows of the given arrays: ``TensorDataset(x, y)``."""

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        self.arrays = [a.numpy() if isinstance(a, Tensor) else np.asarray(a) for a in arrays]
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: arrays have different lengths {lengths}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)


class DataLoader:
    """Mini-batches of a dataset as tuples of Tensors.

    ``shuffle`` draws a new order every epoch from a generator seeded with ``seed``, so two
    loaders with the same seed give the same batches. ``transform`` is applied to the first
    array of each batch (the inputs), e.g. augmentation on an NCHW batch. ``drop_last`` drops
    a final batch smaller than ``batch_size``.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 32,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.transform = transform
        self.generator = np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start : start + self.batch_size]
            arrays = list(self._fetch(indices))
            if self.transform is not None:
                arrays[0] = self.transform(arrays[0])
            yield tuple(Tensor(a) for a in arrays)

    def _fetch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        if isinstance(self.dataset, TensorDataset):  # one fancy index per array, no Python loop
            return tuple(a[indices] for a in self.dataset.arrays)
        examples = [self.dataset[int(i)] for i in indices]
        return tuple(
            np.stack([np.asarray(e[k]) for e in examples]) for k in range(len(examples[0]))
        )

"""Datasets and the DataLoader, as ``torch.utils.data``: batching, shuffling, collation, splits.

Shuffling and ``random_split`` draw from ``chaingrad.autograd.random``: a ``generator=`` if given,
a loader's own stream when it got ``seed=``, else the default stream that ``manual_seed`` resets.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from chaingrad.autograd import Tensor
from chaingrad.autograd.random import rng

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]


class Dataset:
    """A map-style dataset: subclasses define ``__len__`` and ``__getitem__(i)`` (one example,
    typically a tuple such as ``(image, label)``), as ``torch.utils.data.Dataset``."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} does not define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")


def _array(x: Any) -> np.ndarray:
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


class TensorDataset(Dataset):
    """Examples are matching rows of the given tensors or arrays: ``TensorDataset(x, y)``;
    ``ds[i]`` is a tuple of Tensors, as PyTorch."""

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor or array")
        self.arrays = [_array(a) for a in tensors]
        for i, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is a scalar; it needs a first axis")
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: arrays have different lengths {lengths}")

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """The data as Tensors (sharing memory), PyTorch's attribute."""
        return tuple(Tensor(a) for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(Tensor(a[index]) for a in self.arrays)


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list | np.ndarray):
            return [self.dataset[self.indices[int(i)]] for i in index]
        return self.dataset[self.indices[index]]


def random_split(dataset: Any, lengths: Sequence[float], generator: Any = None) -> list[Subset]:
    """Split into non-overlapping random ``Subset``s of the given lengths: counts summing to
    ``len(dataset)``, or fractions summing to 1 (floors, then the remainder one each to the first
    subsets, round-robin, as PyTorch)."""
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:  # fractions (PyTorch's test)
        if any(f < 0 for f in lengths):
            raise ValueError(f"random_split: fractions must be non-negative, got {lengths}")
        counts = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        if any(not isinstance(k, numbers.Integral) or k < 0 for k in lengths):
            raise ValueError(
                f"random_split: lengths must be non-negative counts or fractions summing to 1, "
                f"got {lengths}"
            )
        counts = [int(k) for k in lengths]
    if sum(counts) != n:
        raise ValueError(
            f"random_split: lengths {lengths} sum to {sum(counts)}, but the dataset has {n} "
            "examples"
        )
    order = rng(generator).permutation(n)
    subsets, start = [], 0
    for count in counts:
        subsets.append(Subset(dataset, order[start : start + count].tolist()))
        start += count
    return subsets


def _tensor_from_numbers(batch: Sequence[Any]) -> np.ndarray:
    """Python numbers as PyTorch collates them: bool → bool, int → int64, float → float64."""
    if all(isinstance(x, bool) for x in batch):
        return np.array(batch, dtype=bool)
    if all(isinstance(x, numbers.Integral) for x in batch):
        return np.array(batch, dtype=np.int64)
    return np.array(batch, dtype=np.float64)


def _collate_arrays(batch: Sequence[Any], where: str = "batch") -> Any:
    """``default_collate`` with ndarrays where it will put Tensors (so a transform can run)."""
    first = batch[0]
    if isinstance(first, Tensor | np.ndarray | np.generic):
        arrays = [_array(x) for x in batch]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(
                f"DataLoader: cannot stack {where} of different shapes {sorted(shapes)} "
                "(pass a collate_fn)"
            )
        return np.stack(arrays)
    if isinstance(first, numbers.Number):
        return _tensor_from_numbers(batch)
    if isinstance(first, str | bytes):
        return list(batch)
    if isinstance(first, Mapping):
        return {key: _collate_arrays([d[key] for d in batch], f"{where}[{key!r}]") for key in first}
    if isinstance(first, tuple | list):
        sizes = {len(x) for x in batch}
        if len(sizes) != 1:
            raise ValueError(f"DataLoader: examples in a batch have different lengths {sizes}")
        return [_collate_arrays([x[i] for x in batch], f"{where}[{i}]") for i in range(len(first))]
    raise TypeError(
        f"DataLoader: cannot collate examples of type {type(first).__name__} (default_collate "
        "takes tensors, arrays, numbers, strings, and tuples/lists/dicts of them)"
    )


def _to_tensors(batch: Any) -> Any:
    if isinstance(batch, np.ndarray):
        return Tensor(batch)
    if isinstance(batch, dict):
        return {k: _to_tensors(v) for k, v in batch.items()}
    if isinstance(batch, list) and batch and not isinstance(batch[0], str | bytes):
        return [_to_tensors(v) for v in batch]
    return batch


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of examples into a batch as ``torch.utils.data.default_collate``: tensors and
    arrays are stacked; Python ints become int64, floats float64 and bools bool tensors;
    tuples/lists become lists and dicts dicts of collated fields; strings stay lists."""
    if not batch:
        raise ValueError("default_collate: got an empty batch")
    return _to_tensors(_collate_arrays(batch))


class DataLoader:
    """Mini-batches of a dataset, as ``torch.utils.data.DataLoader``.

    ``shuffle`` draws a new order every epoch: from ``generator`` when given, from the loader's
    own stream when ``seed`` is given (two loaders with one seed give the same batches), else
    from the default stream (``chaingrad.manual_seed``). ``transform`` (a chaingrad extra) is
    applied to the first field of each collated batch as an ndarray, e.g. augmentation on an
    NCHW batch. ``drop_last`` drops a final batch smaller than ``batch_size``. ``collate_fn``
    replaces ``default_collate``.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: Any = None,
        seed: int | None = None,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(f"DataLoader: batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        if generator is not None and seed is not None:
            raise TypeError("DataLoader: pass generator= or seed=, not both")
        if transform is not None and collate_fn is not None:
            raise TypeError("DataLoader: transform= works on the default collation only")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.transform = transform
        self.collate_fn = collate_fn
        self.generator = generator if seed is None else np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = rng(self.generator).permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start : start + self.batch_size]
            if self.collate_fn is not None:
                yield self.collate_fn([self.dataset[int(i)] for i in indices])
                continue
            if isinstance(self.dataset, TensorDataset):  # one fancy index per array
                batch: Any = [a[indices] for a in self.dataset.arrays]
            else:
                batch = _collate_arrays([self.dataset[int(i)] for i in indices])
            if self.transform is not None:
                if not isinstance(batch, list) or not isinstance(batch[0], np.ndarray):
                    raise TypeError(
                        "DataLoader: transform= needs examples that are tuples whose first "
                        "field is an array or tensor"
                    )
                batch[0] = np.asarray(self.transform(batch[0]))
            yield _to_tensors(batch)

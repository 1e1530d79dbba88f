"""Data for training: datasets, the DataLoader, augmentation and standardisation.

``chaingrad.utils.data`` (PyTorch's path) holds the same loader classes.

from chaingrad.nn.data import DataLoader, TensorDataset
from chaingrad.nn.data import datasets
x, y = datasets.digits()
"""

from chaingrad.nn.data import datasets
from chaingrad.nn.data.loader import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)
from chaingrad.nn.data.transforms import (
    Compose,
    RandomCrop,
    RandomHorizontalFlip,
    RandomRotation,
    Standardize,
)

__all__ = [
    "Compose",
    "DataLoader",
    "Dataset",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomRotation",
    "Standardize",
    "Subset",
    "TensorDataset",
    "datasets",
    "default_collate",
    "random_split",
]

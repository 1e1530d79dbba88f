"""Data for training: datasets, the DataLoader, augmentation and standardisation.

from nn.data import DataLoader, TensorDataset
from nn.data import datasets
x, y = datasets.digits()
"""

from nn.data import datasets
from nn.data.loader import DataLoader, Dataset, TensorDataset
from nn.data.transforms import (
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
    "TensorDataset",
    "datasets",
]

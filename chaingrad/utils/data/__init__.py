"""``chaingrad.utils.data``, as ``torch.utils.data`` (the same classes as ``chaingrad.nn.data``).

from chaingrad.utils.data import DataLoader, Dataset, TensorDataset, random_split
"""

from chaingrad.nn.data.loader import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]

"""chaingrad.utils.data: PyTorch-style datasets, default collation, random_split, and
reproducible training under chaingrad.manual_seed."""

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn as nn
import chaingrad.nn.functional as F
import chaingrad.optim as optim
from chaingrad.utils.data import DataLoader, Dataset, Subset, TensorDataset, random_split


class Squares(Dataset):
    """Written as for PyTorch: (tensor, int label)."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        return cg.tensor([float(i), float(i * i)]), i % 3


def test_a_pytorch_style_dataset_works_unchanged():
    loader = DataLoader(Squares(), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[1]) for b in batches] == [4, 4, 2]
    x, y = batches[0]
    assert x.dtype == np.float32 and x.shape == (4, 2)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.numpy(), [0, 1, 2, 0])
    loss = F.cross_entropy(nn.Linear(2, 3)(x), y)  # labels are usable as targets at once
    assert loss.shape == ()


def test_default_collate_follows_torch():
    pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    from chaingrad.utils.data import default_collate

    samples = [
        (np.ones(2, np.int32), 1, 2.5, True, np.float32(1.0), {"k": [1.0, 2]}, "a"),
        (np.zeros(2, np.int32), 2, 3.5, False, np.float32(2.0), {"k": [3.0, 4]}, "b"),
    ]
    ours = default_collate(samples)
    theirs = torch_collate(samples)
    assert isinstance(ours, list) and len(ours) == len(theirs)
    for o, t in zip(ours[:5], theirs[:5]):
        assert str(o.dtype) == str(t.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(o.numpy(), t.numpy())
    assert [str(v.dtype) for v in ours[5]["k"]] == ["float64", "int64"]
    assert ours[6] == ["a", "b"] == list(theirs[6])


def test_tensor_dataset_items_are_tensors():
    ds = TensorDataset(cg.arange(6).reshape(3, 2), np.array([0.5, 1.5, 2.5]))
    x, y = ds[1]
    assert isinstance(x, cg.Tensor) and x.numpy().tolist() == [2, 3] and y.item() == 1.5
    assert len(ds.tensors) == 2


def test_random_split_counts_fractions_and_generator():
    parts = random_split(range(10), [0.33, 0.33, 0.34], generator=cg.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [4, 3, 3]  # torch: floors, then the remainder round-robin
    seen = sorted(i for p in parts for i in (p[k] for k in range(len(p))))
    assert seen == list(range(10))
    again = random_split(range(10), [0.33, 0.33, 0.34], generator=cg.Generator().manual_seed(0))
    assert [p.indices for p in parts] == [p.indices for p in again]
    assert [len(p) for p in random_split(Squares(), [7, 3])] == [7, 3]
    with pytest.raises(ValueError, match="sum to 9, but the dataset has 10"):
        random_split(range(10), [5, 4])
    sub = Subset(Squares(), [4, 1])
    assert sub[0][1] == 1 and len(DataLoader(sub, batch_size=2)) == 1


def test_loader_generator_and_default_stream():
    ds = TensorDataset(np.arange(20))

    def order(**kw):
        return np.concatenate([b[0].numpy() for b in DataLoader(ds, 5, shuffle=True, **kw)])

    np.testing.assert_array_equal(
        order(generator=cg.Generator().manual_seed(1)),
        order(generator=cg.Generator().manual_seed(1)),
    )
    cg.manual_seed(2)
    a = order()
    cg.manual_seed(2)
    np.testing.assert_array_equal(a, order())
    assert len(DataLoader(ds)) == 20  # batch_size=1 by default, as torch


def _train_once():
    cg.manual_seed(0)
    x = cg.randn(64, 4)
    y = cg.randint(0, 3, (64,))
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    opt = optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(2):
        for xb, yb in DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True):
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


def test_manual_seed_makes_training_with_dropout_and_shuffling_reproducible():
    first, second = _train_once(), _train_once()
    assert first == second
    cg.manual_seed(1)
    assert cg.randn(3).numpy().tolist() != _train_once()[:3]

"""'Datasets & DataLoaders': a custom Dataset returning dicts and tuples, collate_fn, drop_last."""

import json

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class SquaresDataset(Dataset):
    def __init__(self, n, transform=None, target_transform=None):
        g = torch.Generator().manual_seed(0)
        self.x = torch.rand(n, 3, generator=g) * 2 - 1
        self.y = (self.x**2).sum(dim=1)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        sample = {"features": self.x[idx], "target": self.y[idx]}
        if self.transform:
            sample["features"] = self.transform(sample["features"])
        if self.target_transform:
            sample["target"] = self.target_transform(sample["target"])
        return sample


class SequenceDataset(Dataset):
    def __init__(self):
        self.items = [(list(range(i % 5 + 1)), i % 2) for i in range(20)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        seq, label = self.items[idx]
        return torch.tensor(seq, dtype=torch.float32), label


def collate_batch(batch):
    lengths = torch.tensor([len(seq) for seq, _ in batch])
    padded = torch.zeros(len(batch), int(lengths.max()))
    for i, (seq, _) in enumerate(batch):
        padded[i, : len(seq)] = seq
    labels = torch.tensor([label for _, label in batch], dtype=torch.int64)
    return padded, lengths, labels


torch.manual_seed(0)
train_data = SquaresDataset(512, transform=lambda x: x * 1.0, target_transform=lambda t: t)
train_dataloader = DataLoader(train_data, batch_size=64, shuffle=True, drop_last=True)
batch = next(iter(train_dataloader))
print(f"Feature batch shape: {batch['features'].size()}")
print(f"Target batch shape: {batch['target'].size()}")
n_batches = len(train_dataloader)

seq_loader = DataLoader(SequenceDataset(), batch_size=6, shuffle=False, collate_fn=collate_batch)
seq_shapes = []
total = 0.0
for i, (padded, lengths, labels) in enumerate(seq_loader):
    seq_shapes.append(list(padded.shape))
    total += padded.sum().item() + lengths.sum().item() + labels.sum().item()

model = nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = nn.MSELoss()
for epoch in range(15):
    for batch_idx, sample in enumerate(train_dataloader):
        pred = model(sample["features"]).squeeze(-1)
        loss = loss_fn(pred, sample["target"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
with torch.no_grad():
    final = loss_fn(model(train_data.x).squeeze(-1), train_data.y).item()
print(f"final mse {final:.5f}")
result = {"loss": final, "n_batches": n_batches, "seq_shapes": seq_shapes, "total": total}
print("RESULT " + json.dumps(result))

"""An MLP with BatchNorm1d and Dropout, trained with Adam and a StepLR schedule on the digits."""

import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))
data = np.load(os.path.join(HERE, "..", "..", "nn", "data_files", "digits.npz"))
X = torch.from_numpy(data["images"].reshape(-1, 64).astype(np.float32))
y = torch.from_numpy(data["labels"])
mean, std = X[:1400].mean(dim=0), X[:1400].std(dim=0) + 1e-3
X = (X - mean) / std
train_loader = DataLoader(TensorDataset(X[:1400], y[:1400]), batch_size=100, shuffle=True)
test_X, test_y = X[1400:], y[1400:]

model = nn.Sequential(
    nn.Linear(64, 128),
    nn.BatchNorm1d(128),
    nn.ReLU(),
    nn.Dropout(p=0.2),
    nn.Linear(128, 64),
    nn.BatchNorm1d(64),
    nn.ReLU(),
    nn.Dropout(p=0.2),
    nn.Linear(64, 10),
)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
scheduler = StepLR(optimizer, step_size=3, gamma=0.5)
epochs, steps = 8, 0
start = time.perf_counter()
for epoch in range(epochs):
    model.train()
    running = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * xb.size(0)
        steps += 1
    scheduler.step()
    print(
        f"epoch {epoch}: lr {scheduler.get_last_lr()[0]:.4f} train loss "
        f"{running / len(train_loader.dataset):.4f}"
    )
seconds_per_step = (time.perf_counter() - start) / steps

model.eval()
with torch.no_grad():
    logits = model(test_X)
    test_loss = F.cross_entropy(logits, test_y).item()
    accuracy = (logits.argmax(dim=1) == test_y).float().mean().item() * 100
running_mean = model[1].running_mean
print(
    f"test loss {test_loss:.4f}, accuracy {accuracy:.1f}%, "
    f"BN running mean norm {running_mean.norm().item():.3f}"
)
result = {"loss": test_loss, "accuracy": accuracy, "seconds_per_step": seconds_per_step}
print("RESULT " + json.dumps(result))

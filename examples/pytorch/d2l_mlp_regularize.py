"""d2l MLP from scratch with torch.relu, weight decay with torch.norm, dropout from scratch,
then the concise version with nn.init.normal_ applied through net.apply."""

import json
import os

import numpy as np
import torch
from torch import nn

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))
data = np.load(os.path.join(HERE, "..", "..", "nn", "data_files", "digits.npz"))
features = torch.tensor(data["images"], dtype=torch.float32).reshape(-1, 64) / 16.0
labels = torch.tensor(data["labels"])
train_X, train_y, test_X, test_y = features[:1400], labels[:1400], features[1400:], labels[1400:]

num_inputs, num_outputs, num_hiddens = 64, 10, 64
W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens, requires_grad=True) * 0.1)
b1 = nn.Parameter(torch.zeros(num_hiddens, requires_grad=True))
W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs, requires_grad=True) * 0.1)
b2 = nn.Parameter(torch.zeros(num_outputs, requires_grad=True))
params = [W1, b1, W2, b2]


def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


def l2_penalty(w):
    return torch.sum(w.pow(2)) / 2


def net(X, training=True):
    X = X.reshape((-1, num_inputs))
    H = relu(X @ W1 + b1)
    if training:
        H = dropout_layer(H, 0.2)
    return H @ W2 + b2


loss = nn.CrossEntropyLoss(reduction="none")
updater = torch.optim.SGD(params, lr=0.3)
lambd = 1e-3
for epoch in range(8):
    for i in range(0, 1400, 50):
        X, y = train_X[i : i + 50], train_y[i : i + 50]
        l = loss(net(X), y) + lambd * l2_penalty(W1)
        updater.zero_grad()
        l.mean().backward()
        updater.step()
print("L2 norm of w:", torch.norm(W1).item())
with torch.no_grad():
    scratch_loss = loss(net(test_X, training=False), test_y).mean().item()


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)
        nn.init.zeros_(m.bias)


concise = nn.Sequential(
    nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10)
)
concise.apply(init_weights)
trainer = torch.optim.SGD(
    [
        {"params": concise[1].weight, "weight_decay": 1e-3},
        {"params": concise[1].bias},
        {"params": concise[4].parameters()},
    ],
    lr=0.3,
)
for epoch in range(10):
    concise.train()
    for i in range(0, 1400, 50):
        X, y = train_X[i : i + 50], train_y[i : i + 50]
        trainer.zero_grad()
        l = loss(concise(X), y)
        l.mean().backward()
        trainer.step()
concise.eval()
with torch.no_grad():
    out = concise(test_X)
    test_loss = loss(out, test_y).mean().item()
    accuracy = (out.argmax(dim=1) == test_y).float().mean().item() * 100
print(scratch_loss, test_loss, accuracy)
result = {"loss": test_loss, "accuracy": accuracy, "scratch": scratch_loss}
print("RESULT " + json.dumps(result))

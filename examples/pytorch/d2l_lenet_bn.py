"""d2l LeNet (Sigmoid, AvgPool2d) with batch normalization written from scratch, on 8×8 digits."""

import json
import os

import numpy as np
import torch
from torch import nn

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))
data = np.load(os.path.join(HERE, "..", "..", "nn", "data_files", "digits.npz"))
images = torch.tensor(data["images"], dtype=torch.float32).unsqueeze(1) / 16.0
labels = torch.tensor(data["labels"])


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims == 2:
            shape = (1, num_features)
        else:
            shape = (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1
        )
        return Y


net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=3, padding=1),
    BatchNorm(6, num_dims=4),
    nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=3),
    BatchNorm(16, num_dims=4),
    nn.Sigmoid(),
    nn.Flatten(),
    nn.Linear(16 * 2 * 2, 60),
    BatchNorm(60, num_dims=2),
    nn.Sigmoid(),
    nn.Linear(60, 10),
)
X = torch.rand(size=(1, 1, 8, 8), dtype=torch.float32)
net.eval()
with torch.no_grad():
    for layer in net:
        X = layer(X)
        print(layer.__class__.__name__, "output shape: \t", X.shape)
net.train()


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


net.apply(init_weights)
optimizer = torch.optim.SGD(net.parameters(), lr=0.9)
loss = nn.CrossEntropyLoss()
for epoch in range(6):
    net.train()
    perm = torch.randperm(1400)
    for i in range(0, 1400, 64):
        idx = perm[i : i + 64]
        optimizer.zero_grad()
        y_hat = net(images[idx])
        l = loss(y_hat, labels[idx])
        l.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {l.item():.3f}")
net.eval()
with torch.no_grad():
    out = net(images[1400:])
    test_loss = loss(out, labels[1400:]).item()
    accuracy = (out.argmax(1) == labels[1400:]).sum().item() / len(out) * 100
gamma = net[1].gamma.reshape((-1,))
print(gamma, net[1].moving_mean.reshape((-1,)))
result = {"loss": test_loss, "accuracy": accuracy}
print("RESULT " + json.dumps(result))

"""d2l 'Softmax Regression Implementation from Scratch', on the 8×8 digits."""

import json
import os

import numpy as np
import torch

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))
data = np.load(os.path.join(HERE, "..", "..", "nn", "data_files", "digits.npz"))
features = torch.tensor(data["images"], dtype=torch.float32).reshape(-1, 64) / 16.0
labels = torch.tensor(data["labels"])

num_inputs, num_outputs = 64, 10
W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)

X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(X.sum(0, keepdim=True), X.sum(1, keepdim=True))


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


X = torch.rand((2, 5))
X_prob = softmax(X)
print(X_prob, X_prob.sum(1))


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


y = torch.tensor([0, 2])
y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
picked = y_hat[[0, 1], y]


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


demo_ce = cross_entropy(y_hat, y)


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


class Accumulator:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def __getitem__(self, idx):
        return self.data[idx]


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i : min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


lr = 0.5
num_epochs = 5
train_X, train_y = features[:1400], labels[:1400]
for epoch in range(num_epochs):
    metric = Accumulator(3)
    for X, y in data_iter(100, train_X, train_y):
        y_hat = net(X)
        l = cross_entropy(y_hat, y)
        l.sum().backward()
        sgd([W, b], lr, X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    print(f"epoch {epoch + 1}, loss {metric[0] / metric[2]:f}, train acc {metric[1] / metric[2]:f}")
with torch.no_grad():
    test_hat = net(features[1400:])
    test_loss = cross_entropy(test_hat, labels[1400:]).mean().item()
    test_acc = accuracy(test_hat, labels[1400:]) / len(test_hat) * 100
result = {
    "loss": test_loss,
    "accuracy": test_acc,
    "picked": picked.tolist(),
    "demo_ce": demo_ce.tolist(),
}
print("RESULT " + json.dumps(result))

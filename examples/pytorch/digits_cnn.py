"""The PyTorch MNIST example's CNN, adapted to the 8×8 digits that ship with chaingrad."""

import json
import os
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

HERE = os.path.dirname(os.path.abspath(__file__))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1, padding=1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(model, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % 10 == 0:
            print(
                f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)}]"
                f"\tLoss: {loss.item():.6f}"
            )


def test(model, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    accuracy = 100.0 * correct / len(test_loader.dataset)
    print(
        f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/"
        f"{len(test_loader.dataset)} ({accuracy:.0f}%)"
    )
    return test_loss, accuracy


def main():
    torch.manual_seed(1)
    torch.set_num_threads(2)
    data = np.load(os.path.join(HERE, "..", "..", "nn", "data_files", "digits.npz"))
    images = data["images"].astype(np.float32) / 16.0
    labels = data["labels"].astype(np.int64)
    x = torch.from_numpy(images).unsqueeze(1)
    x = (x - 0.3) / 0.4
    y = torch.from_numpy(labels)
    train_ds = TensorDataset(x[:1500], y[:1500])
    test_ds = TensorDataset(x[1500:], y[1500:])
    train_loader = DataLoader(train_ds, batch_size=64, shuffle=True)
    test_loader = DataLoader(test_ds, batch_size=1000)

    model = Net()
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    start = time.perf_counter()
    epochs = 3
    for epoch in range(1, epochs + 1):
        train(model, train_loader, optimizer, epoch)
        scheduler.step()
    seconds_per_step = (time.perf_counter() - start) / (epochs * len(train_loader))
    test_loss, accuracy = test(model, test_loader)

    path = os.path.join(tempfile.mkdtemp(), "digits_cnn.pt")
    torch.save(model.state_dict(), path)
    model2 = Net()
    model2.load_state_dict(torch.load(path))
    reloaded_loss, reloaded_accuracy = test(model2, test_loader)
    assert reloaded_accuracy == accuracy, (reloaded_accuracy, accuracy)
    result = {"loss": test_loss, "accuracy": accuracy, "seconds_per_step": seconds_per_step}
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()

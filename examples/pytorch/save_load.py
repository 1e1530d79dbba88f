"""'Save and Load the Model' and the checkpoint recipe: a dict with epoch, model and optimizer."""

import json
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))
data = np.load(os.path.join(HERE, "..", "..", "nn", "data_files", "digits.npz"))
X = torch.from_numpy(data["images"].reshape(-1, 64).astype(np.float32)) / 16.0
y = torch.from_numpy(data["labels"])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def train(model, optimizer, epochs):
    for epoch in range(epochs):
        for i in range(0, 1400, 100):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(X[i : i + 100]), y[i : i + 100])
            loss.backward()
            optimizer.step()
    return loss


model = Net()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
loss = train(model, optimizer, 3)
tmp = tempfile.mkdtemp()
path = os.path.join(tmp, "checkpoint.pt")
torch.save(
    {
        "epoch": 3,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "loss": loss,
    },
    path,
)
torch.save(model.state_dict(), os.path.join(tmp, "model_weights.pth"))

model2 = Net()
optimizer2 = optim.SGD(model2.parameters(), lr=0.1, momentum=0.9)
checkpoint = torch.load(path)
model2.load_state_dict(checkpoint["model_state_dict"])
optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
epoch = checkpoint["epoch"]
saved_loss = checkpoint["loss"]
model2.train()

model3 = Net()
model3.load_state_dict(torch.load(os.path.join(tmp, "model_weights.pth"), weights_only=True))
model3.eval()

# continuing from the checkpoint gives exactly what continuing the original gives
train(model, optimizer, 2)
train(model2, optimizer2, 2)
with torch.no_grad():
    diff = (model(X) - model2(X)).abs().max().item()
    same_as_saved = torch.allclose(model3(X[:5]), model3(X[:5]))
    logits = model2(X[1400:])
    test_loss = nn.functional.cross_entropy(logits, y[1400:]).item()
    accuracy = 100.0 * (logits.argmax(dim=1) == y[1400:]).sum().item() / len(logits)
print(f"epoch {epoch} saved loss {float(saved_loss):.4f} diff {diff}")
result = {
    "loss": test_loss,
    "accuracy": accuracy,
    "diff": diff,
    "epoch": epoch,
    "same": bool(same_as_saved),
}
print("RESULT " + json.dumps(result))

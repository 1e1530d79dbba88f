"""The official 'Build the Neural Network' tutorial, then a short training run on the digits."""

import json
import os

import numpy as np
import torch
from torch import nn

torch.manual_seed(0)
torch.backends.cudnn.deterministic = True
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"Using {device} device")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(8 * 8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
print(model)

X = torch.rand(1, 8, 8, device=device)
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred}")

input_image = torch.rand(3, 8, 8)
print(input_image.size())
flat_image = nn.Flatten()(input_image)
print(flat_image.size())
layer1 = nn.Linear(in_features=8 * 8, out_features=20)
hidden1 = layer1(flat_image)
print(f"Before ReLU: {hidden1}\n\n")
hidden1 = nn.ReLU()(hidden1)
print(f"After ReLU: {hidden1}")
seq_modules = nn.Sequential(nn.Flatten(), layer1, nn.ReLU(), nn.Linear(20, 10))
logits = seq_modules(input_image)
softmax = nn.Softmax(dim=1)
pred_probab = softmax(logits)
row_sums = pred_probab.sum(dim=1)

print(f"Model structure: {model}\n\n")
for name, param in model.named_parameters():
    print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n")
n_params = sum(p.numel() for p in model.parameters())
n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
names = [name for name, _ in model.named_parameters()]

HERE = os.path.dirname(os.path.abspath(__file__))
data = np.load(os.path.join(HERE, "..", "..", "nn", "data_files", "digits.npz"))
images = torch.tensor(data["images"], dtype=torch.float32) / 16.0
labels = torch.tensor(data["labels"])
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(60):
    idx = torch.randint(0, 1400, (64,))
    loss = loss_fn(model(images[idx]), labels[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
model.eval()
with torch.no_grad():
    logits = model(images[1400:])
    test_loss = loss_fn(logits, labels[1400:]).item()
    accuracy = (logits.argmax(1) == labels[1400:]).float().mean().item() * 100
print(f"test loss {test_loss:.4f} accuracy {accuracy:.1f}%")
result = {
    "loss": test_loss,
    "accuracy": accuracy,
    "params": n_params,
    "trainable": n_trainable,
    "names": names,
    "row_sum": row_sums.sum().item(),
}
print("RESULT " + json.dumps(result))

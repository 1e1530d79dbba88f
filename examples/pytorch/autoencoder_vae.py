"""An autoencoder (nn.Sigmoid output, F.binary_cross_entropy) and the PyTorch-examples VAE
(torch.randn_like, torch.exp(0.5*logvar), the KL term) on the 8×8 digits."""

import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))
data = np.load(os.path.join(HERE, "..", "..", "nn", "data_files", "digits.npz"))
images = torch.tensor(data["images"], dtype=torch.float32) / 16.0
train_loader = DataLoader(TensorDataset(images[:1400]), batch_size=100, shuffle=True)
test_x = images[1400:].view(-1, 64)


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, 32), nn.ReLU(True), nn.Linear(32, 8))
        self.decoder = nn.Sequential(
            nn.Linear(8, 32), nn.ReLU(True), nn.Linear(32, 64), nn.Sigmoid()
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


ae = AutoEncoder()
opt = optim.Adam(ae.parameters(), lr=1e-2, weight_decay=1e-5)
for epoch in range(8):
    for (img,) in train_loader:
        img = img.view(img.size(0), -1)
        output = ae(img)
        loss = F.binary_cross_entropy(output, img)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch [{epoch + 1}/8], loss:{loss.item():.4f}")
with torch.no_grad():
    ae_loss = F.binary_cross_entropy(ae(test_x), test_x).item()


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 48)
        self.fc21 = nn.Linear(48, 4)
        self.fc22 = nn.Linear(48, 4)
        self.fc3 = nn.Linear(4, 48)
        self.fc4 = nn.Linear(48, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


model = VAE()
optimizer = optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(1, 11):
    model.train()
    train_loss = 0
    for batch_idx, (data,) in enumerate(train_loader):
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
    print(f"====> Epoch: {epoch} Average loss: {train_loss / len(train_loader.dataset):.4f}")
model.eval()
test_loss = 0
with torch.no_grad():
    recon, mu, logvar = model(test_x)
    test_loss = loss_function(recon, test_x, mu, logvar).item() / len(test_x)
    sample = model.decode(torch.randn(16, 4))
print(f"====> Test set loss: {test_loss:.4f}")
result = {"loss": test_loss, "ae": ae_loss, "sample_shape": list(sample.shape)}
print("RESULT " + json.dumps(result))

"""A GAN on 1-D data: BCEWithLogitsLoss, .detach() and two optimizers (the DCGAN loop, small)."""

import json

import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)
real_label, fake_label = 1.0, 0.0
nz = 4

netG = nn.Sequential(nn.Linear(nz, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
netD = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
criterion = nn.BCEWithLogitsLoss()
optimizerD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))


def real_batch(n):
    return 3.0 + 0.5 * torch.randn(n, 1)


G_losses, D_losses = [], []
for i in range(1500):
    netD.zero_grad()
    real = real_batch(64)
    b_size = real.size(0)
    label = torch.full((b_size,), real_label, dtype=torch.float)
    output = netD(real).view(-1)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = torch.sigmoid(output).mean().item()
    noise = torch.randn(b_size, nz)
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach()).view(-1)
    errD_fake = criterion(output, label)
    errD_fake.backward()
    errD = errD_real + errD_fake
    optimizerD.step()

    netG.zero_grad()
    label.fill_(real_label)
    output = netD(fake).view(-1)
    errG = criterion(output, label)
    errG.backward()
    optimizerG.step()
    G_losses.append(errG.item())
    D_losses.append(errD.item())
    if i % 300 == 0:
        print(f"[{i}] Loss_D: {errD.item():.4f} Loss_G: {errG.item():.4f} D(x): {D_x:.4f}")

with torch.no_grad():
    samples = netG(torch.randn(5000, nz))
mean, std = samples.mean().item(), samples.std().item()
print(f"generated mean {mean:.3f} std {std:.3f}")
result = {"mean": mean, "std": std, "loss": sum(D_losses[-100:]) / 100}
print("RESULT " + json.dumps(result))

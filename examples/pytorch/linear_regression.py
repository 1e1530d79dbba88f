"""Linear regression from scratch: raw tensors, autograd, and a hand-written gradient step."""

import json
import time

import torch

torch.manual_seed(0)

# y = X @ true_w + true_b + noise
true_w = torch.tensor([[2.0], [-3.4], [1.5]])
true_b = 4.2
X = torch.randn(200, 3)
y = X @ true_w + true_b + 0.01 * torch.randn(200, 1)
print(X.shape, y.shape)

w = torch.randn(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1
steps = 100
start = time.perf_counter()
for epoch in range(steps):
    y_hat = X @ w + b
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
    if epoch % 10 == 0:
        print(f"epoch {epoch}, loss {loss.item():.6f}")
seconds_per_step = (time.perf_counter() - start) / steps

print("w:", w.detach().reshape(-1).tolist(), "b:", b.item())
print(
    f"error in w: {(true_w - w).abs().max().item():.4f}, error in b: {abs(true_b - b.item()):.4f}"
)
with torch.no_grad():
    final_loss = ((X @ w + b - y) ** 2).mean().item()
print("RESULT " + json.dumps({"loss": final_loss, "seconds_per_step": seconds_per_step}))

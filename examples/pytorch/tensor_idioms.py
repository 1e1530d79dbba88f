"""Tensor idioms from tutorials and courses: topk, sort, argsort, unique, bincount, histc,
meshgrid, clamp(min=), .T/.mT, squeeze(-1), item() in f-strings, set_printoptions, devices."""

import json

import torch

torch.manual_seed(0)
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
torch.set_printoptions(precision=2)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

x = torch.tensor([[3.0, 1.0, 4.0, 1.0], [5.0, 9.0, 2.0, 6.0]], dtype=torch.float32).to(device)
print(x)
values, indices = torch.topk(x, 2, dim=1)
top_largest = x.topk(k=3, dim=-1, largest=False)
sorted_x, order = torch.sort(x, dim=1, descending=True)
args = torch.argsort(x, dim=0)
flat_sorted = x.flatten().sort().values
labels = torch.tensor([2, 0, 2, 3, 0, 2])
uniq = torch.unique(labels)
uniq2, inverse, counts = torch.unique(labels, sorted=True, return_inverse=True, return_counts=True)
bins = torch.bincount(labels)
bins_len = torch.bincount(labels, minlength=6)
weighted = torch.bincount(labels, weights=torch.tensor([0.5, 1.0, 1.5, 2.0, 2.5, 3.0]))
hist = torch.histc(torch.tensor([1.0, 2.0, 1.0, 4.0, 2.5]), bins=4, min=0, max=4)
xs = torch.linspace(-1, 1, steps=3)
ys = torch.linspace(0, 1, steps=2)
gx, gy = torch.meshgrid(xs, ys, indexing="ij")
gx2, gy2 = torch.meshgrid(xs, ys, indexing="xy")
clamped = torch.clamp(x - 4, min=0)
clamped_max = x.clamp(max=3.0)
a = torch.arange(24.0).reshape(2, 3, 4)
mt = a.mT
t2 = x.T
sq = torch.ones(3, 1).squeeze(-1)
n_true = (x > 2).sum()
print(f"loss {x.mean().item():.3f} count {n_true.item()}")
print(f"{x.sum()}")

w = torch.randn(4, 1, requires_grad=True)
out = (x @ w).squeeze(-1)
loss = torch.clamp(out, min=0).sum() + out.topk(1).values.sum() + x.sort(dim=1)[0][:, -1].sum()
loss.backward()
grad_ok = w.grad.shape == (4, 1)

result = {
    "topk": values.tolist(),
    "topk_idx": indices.tolist(),
    "smallest": top_largest.values.tolist(),
    "sorted": sorted_x.tolist(),
    "order": order.tolist(),
    "argsort": args.tolist(),
    "flat": flat_sorted.tolist(),
    "unique": uniq.tolist(),
    "inverse": inverse.tolist(),
    "counts": counts.tolist(),
    "bincount": bins.tolist(),
    "bincount6": bins_len.tolist(),
    "weighted": weighted.tolist(),
    "histc": hist.tolist(),
    "gx": gx.tolist(),
    "gy2": gy2.tolist(),
    "clamped": clamped.tolist(),
    "clamped_max": clamped_max.tolist(),
    "mt": list(mt.shape),
    "T": t2.tolist(),
    "sq": list(sq.shape),
    "grad_ok": bool(grad_ok),
    "device": str(device),
    "loss": 0.0,
}
print("RESULT " + json.dumps(result))

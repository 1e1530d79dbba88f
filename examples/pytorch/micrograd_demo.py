"""The micrograd README's example, on chaingrad's Value, checked against the same sum in torch.

This program is chaingrad-native: it imports ``chaingrad`` for the scalar engine and ``torch`` for
the reference, so the harness runs it as written only (renaming torch would compare chaingrad with
itself, which it also does: the Tensor half then runs on chaingrad's Tensor).
"""

import json

import torch

from chaingrad import Value

a = Value(-4.0)
b = Value(2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
print(f"{g.data:.4f}")  # the outcome of this forward pass: 24.7041
g.backward()
print(f"{a.grad:.4f}")  # dg/da: 138.8338
print(f"{b.grad:.4f}")  # dg/db: 645.5773

# the same expression with tensors
at = torch.tensor([-4.0], dtype=torch.double, requires_grad=True)
bt = torch.tensor([2.0], dtype=torch.double, requires_grad=True)
ct = at + bt
dt = at * bt + bt**3
ct = ct + ct + 1
ct = ct + 1 + ct + (-at)
dt = dt + dt * 2 + (bt + at).relu()
dt = dt + 3 * dt + (bt - at).relu()
et = ct - dt
ft = et**2
gt = ft / 2.0
gt = gt + 10.0 / ft
gt.backward()
print(f"{gt.item():.4f} {at.grad.item():.4f} {bt.grad.item():.4f}")

assert abs(g.data - gt.item()) < 1e-6
assert abs(a.grad - at.grad.item()) < 1e-6
assert abs(b.grad - bt.grad.item()) < 1e-6
assert (round(g.data, 4), round(a.grad, 4), round(b.grad, 4)) == (24.7041, 138.8338, 645.5773)
print("RESULT " + json.dumps({"loss": g.data, "a_grad": a.grad, "b_grad": b.grad}))

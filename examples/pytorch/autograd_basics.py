"""The 'Automatic differentiation with torch.autograd' tutorial, deterministic numbers checked."""

import json

import torch

torch.manual_seed(0)

x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for z = {z.grad_fn is not None}")
print(f"Gradient function for loss = {loss.grad_fn is not None}")
loss.backward()
print(w.grad.shape, b.grad.shape)
# every row of dL/dw equals dL/db, because x is all ones
assert torch.allclose(w.grad, b.grad.expand(5, 3))

z = torch.matmul(x, w) + b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)
z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)

# deterministic part: gradients of a non-scalar output (Jacobian-vector products)
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
first = inp.grad.sum().item()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
second = inp.grad.sum().item()
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")
third = inp.grad.sum().item()
assert second == 2 * first and third == first, (first, second, third)

a = torch.tensor([2.0, 3.0])
a.requires_grad_()
q = 3 * a**3 - (a * a).sum()
q.backward(gradient=torch.tensor([1.0, 1.0]))
print(a.grad)  # 9 a^2 - 2 * 2a (the sum is in both outputs): [28, 69]
assert a.grad.tolist() == [28.0, 69.0]
print(a.is_leaf, q.is_leaf, q.requires_grad)
print(
    "RESULT "
    + json.dumps({"loss": first, "second": second, "third": third, "a_grad": a.grad.tolist()})
)

"""The 'Tensors' tutorial: creation, attributes, indexing, in-place ops, the NumPy bridge."""

import json

import numpy as np
import torch

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
x_ones = torch.ones_like(x_data)
print(f"Ones Tensor: \n {x_ones} \n")
x_rand = torch.rand_like(x_data, dtype=torch.float)
print(f"Random Tensor shape: {x_rand.shape} \n")

shape = (2, 3)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)
print(f"Ones Tensor: \n {ones_tensor} \n Zeros Tensor: \n {zeros_tensor}")

tensor = torch.rand(3, 4)
print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")
if torch.cuda.is_available():
    tensor = tensor.to("cuda")
tensor = tensor.to("cpu")

tensor = torch.ones(4, 4)
print(f"First row: {tensor[0]}")
print(f"First column: {tensor[:, 0]}")
print(f"Last column: {tensor[..., -1]}")
tensor[:, 1] = 0
print(tensor)
t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1.shape)

y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
assert torch.equal(y1, y2) and torch.equal(y1, y3)
z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)
assert torch.equal(z1, z2) and torch.equal(z1, z3)

agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))
print(f"{tensor} \n")
tensor.add_(5)
print(tensor)

t = torch.ones(5)
n = t.numpy()
t.add_(1)
print(f"t: {t}\nn: {n}")  # the array shares memory with the tensor
assert n.tolist() == [2.0] * 5
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
assert t.tolist() == [2.0] * 5 and t.dtype == torch.float64

x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
y = torch.full((2, 3), 2.0)
stacked = torch.stack([x, y])
print(stacked.shape, x.dtype, x_data.dtype, (x > 2).dtype)
total = (x @ y.T).sum().item() + (x * y).sum().item() + t1.sum().item() + agg_item
print(f"total {total}")
result = {
    "loss": total,
    "shape": list(stacked.shape),
    "int_dtype": str(x_data.dtype).split(".")[-1],
}
print("RESULT " + json.dumps(result))

"""Matrix products: ``matmul`` with numpy.matmul's rules (1-D, 2-D, batched and broadcast)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chaingrad.autograd.ops.record import record
from chaingrad.autograd.tensor import Tensor, as_tensor
from chaingrad.kernels import blas


def _matmul_error(a: Tensor, b: Tensor) -> ValueError:
    if a.ndim == 0 or b.ndim == 0:
        return ValueError(f"matmul: {a.shape} @ {b.shape}: operands must have at least one axis")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        return ValueError(
            f"matmul: {a.shape} @ {b.shape}: inner dimensions {inner_a} and {inner_b} differ"
        )
    return ValueError(f"matmul: {a.shape} @ {b.shape}: batch dimensions cannot be broadcast")


def _product(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """np.matmul, except that a contraction over size 1 is done as the outer product it is, and
    that small products keep to one BLAS thread while the kernels run in parallel (``blas.matmul``).

    NumPy's matmul does not hand (n, 1) @ (1, m) to BLAS: measured here, 103 µs for
    784 × 128 against 22 µs for the broadcast multiply (the weight gradient at batch size 1).
    """
    if x.ndim >= 2 and y.ndim >= 2 and x.shape[-1] == 1 == y.shape[-2]:
        return x * y  # (..., n, 1) * (..., 1, m) broadcasts to (..., n, m)
    if x.ndim > 2 and y.ndim == 2 and x.shape[-1] == y.shape[0]:
        # fold the batch axes into rows: one BLAS product instead of numpy's one per batch
        # element (the char-LSTM's head, (64, 16, 128) @ (128, 65): 180 -> 76 µs here)
        rows = math.prod(x.shape[:-1])
        out = blas.matmul(x.reshape(rows, x.shape[-1]), y)
        return out.reshape(*x.shape[:-1], y.shape[1])
    return blas.matmul(x, y)


def matmul(a: Any, b: Any) -> Tensor:
    """a @ b; the node keeps both operands, which are each other's local gradient."""
    a = as_tensor(a, b if isinstance(b, Tensor) else None)
    b = as_tensor(b, a)
    x, y = a._data, b._data
    try:
        out = _product(x, y)
    except ValueError:
        raise _matmul_error(a, b) from None
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        if x.ndim == 1 and y.ndim == 1:  # a dot product: g is a scalar
            return (g * y if need_a else None), (g * x if need_b else None)
        # view 1-D operands as matrices: a vector on the left is a row, on the right a column
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        g2 = g
        if x.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if y.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        # C = A B  ⇒  ∂L/∂A = G Bᵀ,  ∂L/∂B = Aᵀ G  (batch axes are summed by unbroadcast)
        ga = _product(g2, np.swapaxes(y2, -1, -2)) if need_a else None
        if need_b and x.ndim > 2 and y.ndim == 2:  # one product over all the batch's rows
            rows = math.prod(x.shape[:-1])
            gb = _product(x.reshape(rows, x.shape[-1]).T, g2.reshape(rows, g2.shape[-1]))
        else:
            gb = _product(np.swapaxes(x2, -1, -2), g2) if need_b else None
        if ga is not None and x.ndim == 1:
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if gb is not None and y.ndim == 1:
            gb = gb.reshape(gb.shape[:-1])
        return ga, gb

    # the operands' own arrays are read in backward: an in-place change to either is an error
    return record("matmul", out, (a, b), backward, saved=(a, b), fresh=True)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weightᵀ + bias over the last axis (PyTorch's layout: weight is (out, in))."""
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out, in), got shape {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not end in in_features = {weight.shape[1]} "
            f"(weight {weight.shape})"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias of shape {bias.shape} does not match weight {weight.shape}")
    xs, w = x._data, weight._data
    out = _product(xs, w.T) if xs.ndim >= 2 else blas.matmul(xs, w.T)
    if bias is not None:
        out += bias._data
    parents = (x, weight) if bias is None else (x, weight, bias)
    need_x, need_w = x.requires_grad, weight.requires_grad
    need_b = bias is not None and bias.requires_grad

    def backward(g: np.ndarray) -> list[np.ndarray | None]:
        g2 = g.reshape(-1, g.shape[-1])  # every leading axis is a batch axis
        x2 = xs.reshape(-1, xs.shape[-1])
        grads: list[np.ndarray | None] = [
            _product(g, w) if need_x else None,  # ∂/∂x = g W
            _product(g2.T, x2) if need_w else None,  # ∂/∂W = gᵀ x, summed over the batch
        ]
        if bias is not None:
            # ∂/∂b = Σ g over the batch, as the product 1ᵀ g: NumPy's column sums of short
            # rows measured 4× slower (1,024 × 65)
            grads.append(blas.matmul(np.ones(len(g2), g2.dtype), g2) if need_b else None)
        return grads

    return record("linear", out, parents, backward, saved=(x, weight), fresh=True)


# ---------------------------------------------------------------------------- PyTorch lessons
# Appended ops: they read inputs only through ``x.numpy()`` and make every result with
# ``record``, so they do not depend on how a Tensor stores its array.
from chaingrad.autograd.ops.record import EVERYTHING  # noqa: E402


def outer(a: Any, b: Any) -> Tensor:
    """Outer product of two 1-D tensors: out[i, j] = a[i]·b[j] (torch.outer / np.outer)."""
    a, b = as_tensor(a), as_tensor(b)
    x, y = a.numpy(), b.numpy()
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"outer: needs two 1-D tensors, got shapes {x.shape} and {y.shape}")
    out = np.outer(x, y)
    # ∂L/∂a = G b and ∂L/∂b = Gᵀ a: each row (column) of G weighted by the other vector
    return record("outer", out, (a, b), lambda g: (g @ y, g.T @ x), saved=EVERYTHING)


def dot(a: Any, b: Any) -> Tensor:
    """Inner product of two 1-D tensors of one length (torch.dot; no broadcasting, no 2-D)."""
    a, b = as_tensor(a), as_tensor(b)
    x, y = a.numpy(), b.numpy()
    if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
        raise ValueError(
            f"dot: needs two 1-D tensors of one length, got shapes {x.shape} and {y.shape}"
        )
    return matmul(a, b)


def mm(a: Any, b: Any) -> Tensor:
    """Matrix product of two 2-D tensors (torch.mm; no broadcasting, use matmul for that)."""
    a, b = as_tensor(a), as_tensor(b)
    x, y = a.numpy(), b.numpy()
    if x.ndim != 2 or y.ndim != 2:
        raise ValueError(f"mm: needs two 2-D tensors, got shapes {x.shape} and {y.shape}")
    if x.shape[1] != y.shape[0]:
        raise ValueError(
            f"mm: {x.shape} @ {y.shape}: inner dimensions {x.shape[1]} and {y.shape[0]} differ"
        )
    return matmul(a, b)


def bmm(a: Any, b: Any) -> Tensor:
    """Batched matrix product of (B, n, k) and (B, k, m) tensors (torch.bmm; no broadcasting)."""
    a, b = as_tensor(a), as_tensor(b)
    x, y = a.numpy(), b.numpy()
    if x.ndim != 3 or y.ndim != 3:
        raise ValueError(f"bmm: needs two 3-D tensors, got shapes {x.shape} and {y.shape}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"bmm: batch sizes {x.shape[0]} and {y.shape[0]} differ")
    if x.shape[2] != y.shape[1]:
        raise ValueError(
            f"bmm: {x.shape} @ {y.shape}: inner dimensions {x.shape[2]} and {y.shape[1]} differ"
        )
    return matmul(a, b)


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """np.einsum / torch.einsum for letter subscripts ("bij,bjk->bik", "i,j->ij", "ii->i" not).

    Each operand's letters must be distinct (no diagonals) and ``...`` is not supported; the
    implicit form (no "->") sums repeated letters and orders the rest alphabetically.
    """
    tensors = tuple(as_tensor(t) for t in operands)
    arrays = [t.numpy() for t in tensors]
    spec = subscripts.replace(" ", "")
    if "." in spec:
        raise ValueError(f"einsum: '...' is not supported, got {subscripts!r}")
    inputs, _, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(arrays):
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operands, got {len(arrays)}")
    sizes: dict[str, int] = {}
    for term, a in zip(terms, arrays):
        if (term and not term.isalpha()) or len(set(term)) != len(term) or len(term) != a.ndim:
            raise ValueError(
                f"einsum: term {term!r} does not fit an operand of shape {a.shape} (one distinct "
                "letter per axis)"
            )
        for letter, n in zip(term, a.shape):
            if sizes.setdefault(letter, n) != n:
                raise ValueError(
                    f"einsum: {letter!r} has sizes {sizes[letter]} and {n} in {subscripts!r}"
                )
    if "->" not in spec:
        letters = "".join(terms)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(set(output)) != len(output) or not set(output) <= set(sizes):
        raise ValueError(f"einsum: output {output!r} must name distinct letters of the inputs")
    out = np.asarray(np.einsum(f"{','.join(terms)}->{output}", *arrays, optimize=True))

    def backward(g: np.ndarray) -> list[np.ndarray | None]:
        grads: list[np.ndarray | None] = []
        for i, (term, t) in enumerate(zip(terms, tensors)):
            if not t.requires_grad:
                grads.append(None)
                continue
            # ∂out/∂operand i: contract g with every other operand; a letter of this operand
            # that appears nowhere else was summed over, so its gradient is copied along it
            # (a ones array carries that letter into the contraction)
            others = [(s, a) for j, (s, a) in enumerate(zip(terms, arrays)) if j != i]
            seen = set(output).union(*(set(s) for s, _ in others))
            alone = "".join(c for c in term if c not in seen)
            ones = np.ones([arrays[i].shape[term.index(c)] for c in alone], dtype=g.dtype)
            specs = [output, *(s for s, _ in others), alone]
            grad = np.einsum(
                f"{','.join(specs)}->{term}", g, *(a for _, a in others), ones, optimize=True
            )
            grads.append(grad)
        return grads

    return record("einsum", out, tensors, backward, saved=EVERYTHING)

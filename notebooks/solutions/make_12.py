"""Build ``notebooks/12_pytorch_bridge.ipynb`` and its solution from the cells written here.

    python notebooks/solutions/make_12.py          # writes both notebooks, outputs cleared

The notebook's cells are the lists below; the solution notebook is built from it by ``sync.py``
(the one definition of a solution's layout) with the solved cells of ``SOLVED``. Execute both
afterwards (the notebook from ``notebooks/``, the solution from ``notebooks/solutions/``) and
commit them with their outputs.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
NAME = "12_pytorch_bridge"


def _sync():
    spec = importlib.util.spec_from_file_location("sync", HERE / "sync.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MD, CODE = "markdown", "code"

CELLS: list[tuple[str, str]] = [
    (
        MD,
        r"""# 12 · The PyTorch bridge

chaingrad is shaped like PyTorch: a PyTorch program of the kind in tutorials runs when the word
`torch` is replaced by `chaingrad`. In this notebook you will

1. take the PyTorch **Quickstart** loop (`examples/pytorch/quickstart.py`: a three-layer MLP
   trained on the 8×8 digits with `train_loop`/`test_loop`), see that the rename changes only
   the word, and run it;
2. draw the graph of one training step **collapsed by module** (`loss.draw(model=model,
   depth=1)`, then `depth=2`), coloured by each module's gradient norm, and read the model's
   `summary`: parameters and multiply-adds per layer;
3. draw a small piece of it — one `Linear`, a `tanh` and a loss on 3 samples — with the
   **local-gradient rule on each edge**, and replay its backward pass step by step;
4. run the same program under PyTorch (if it is installed) and compare the losses.

The notes behind it: *Back Propagation on computation graphs* (each node applies its local
gradient to the upstream gradient), *Vectorized backward propagation* and *Tensors* (the Jacobian
of a linear layer is never built: its slices are copies of the rows of $x$) and *Implementation*
($dW^{[1]} = \frac1m dZ^{[1]} X^T$) in the full course notes (001). **Notation:** the notes keep
examples in *columns*, $Z = WX + B$ with $X$ of shape $(n_x, m)$; PyTorch and chaingrad keep them
in *rows*, $z = x W^\top + b$ with $x$ of shape $(m, n_x)$. The same gradient then reads
$dW = dZ^\top x$ here (the $\frac1m$ sits inside $dZ$ when the loss is a mean).

Exercises at the end, with checks that answer back; worked solutions in
`solutions/12_pytorch_bridge.ipynb`.""",
    ),
    (
        CODE,
        r"""%config InlineBackend.figure_format = "png"
import contextlib
import difflib
import importlib.util
import io
import os
from pathlib import Path

import IPython.display as ipd
import matplotlib.pyplot as plt
import numpy as np

import chaingrad as cg
import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.teach import check

QUICK = os.environ.get("CHAINGRAD_QUICK") == "1"  # the test suite sets this to run fast
plt.rcParams.update({"figure.dpi": 100, "legend.fontsize": 9, "font.size": 9})
EXAMPLES = Path(cg.__file__).resolve().parent.parent / "examples" / "pytorch"  # the checkout's
spec = importlib.util.spec_from_file_location("rename", EXAMPLES / "rename.py")
rename = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rename)""",
    ),
    (
        MD,
        r"""## 1. The rename

`rename_torch(source)` (in `examples/pytorch/rename.py`) replaces every Python *name* `torch`
by `chaingrad`, working on tokens: names that merely contain the word (`torchvision`), strings
and comments are left alone. The diff of the Quickstart program shows every line it changes.""",
    ),
    (
        CODE,
        r"""PROGRAM = EXAMPLES / "quickstart.py"
torch_source = PROGRAM.read_text(encoding="utf-8")
chaingrad_source = rename.rename_torch(torch_source)
diff = difflib.unified_diff(
    torch_source.splitlines(), chaingrad_source.splitlines(), "torch", "chaingrad", n=0
)
print("\n".join(line.rstrip() for line in diff))""",
    ),
    (
        MD,
        r"""Every changed line is the old line with the word replaced, and nothing else changes: the
model class, the loops and the optimizer call are PyTorch's own code.""",
    ),
    (
        CODE,
        r"""old_lines, new_lines = torch_source.splitlines(), chaingrad_source.splitlines()
changed = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
assert len(old_lines) == len(new_lines) and changed
assert all(a.replace("torch", "chaingrad") == b for a, b in changed)
print(f"{len(changed)} of {len(old_lines)} lines change, each only by the word")""",
    ),
    (
        MD,
        r"""## 2. Run it

`run_program` executes a source as the program file itself would run (its `__file__` points
at the example, so it finds the digits) and keeps what it defines: the trained `model`, its
`loss_fn`, the data. The program trains 10 epochs; quick mode (the tests) edits one line to
train 2. The first run also compiles chaingrad's kernels (numba), which takes a few seconds.""",
    ),
    (
        CODE,
        r'''EPOCHS = 2 if QUICK else 10


def run_program(source: str) -> tuple[dict, list[str]]:
    """Run a program's source as PROGRAM would run; its namespace and its printed lines."""
    assert "epochs = 10\n" in source  # the one line quick mode edits
    source = source.replace("epochs = 10\n", f"epochs = {EPOCHS}\n")
    namespace = {"__name__": "__main__", "__file__": str(PROGRAM)}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(source, str(PROGRAM), "exec"), namespace)
    return namespace, printed.getvalue().splitlines()


ran, lines = run_program(chaingrad_source)
print("\n".join([*lines[:14], "...", *lines[-5:-1]]))''',
    ),
    (
        MD,
        r"""
It trains: the test accuracy ends above 80 % (above 60 % after quick mode's 2 epochs).""",
    ),
    (
        CODE,
        r"""model, loss_fn = ran["model"], ran["loss_fn"]
images, labels = ran["images"], ran["labels"]
test_loss, accuracy = ran["test_loss"], ran["accuracy"]
assert accuracy > (60 if QUICK else 80), accuracy  # the numbers quoted above
print(f"chaingrad: test loss {test_loss:.3f}, accuracy {accuracy:.1f} %")""",
    ),
    (
        MD,
        r"""## 3. One training step, drawn by module

A step's graph has dozens of ops; drawn op by op it is a wall of boxes. `loss.draw(model=model,
depth=1)` draws one box per **child module** of the model (here `flatten` and the
`linear_relu_stack` Sequential), with its output shape, its parameter count and, after
`backward()`, the norm $\lVert\nabla\rVert$ of its parameters' gradients. We take one batch of 64
training images, compute the loss and backpropagate, exactly as `train_loop` does.""",
    ),
    (
        CODE,
        r"""x_batch, y_batch = images[:64], labels[:64]
model.zero_grad()
loss = loss_fn(model(x_batch), y_batch)
loss.backward()
loss.draw(model=model, depth=1)""",
    ),
    (
        MD,
        r"""
`depth=2` opens the Sequential: each of its layers becomes a box inside a cluster for it.
The **fill colour is the heat scale** of the gradient norms, on a log scale from blue (the
smallest norm in the picture) through pale yellow to red (the largest); the legend gives the range.
A module whose gradient vanishes shows up blue at a glance; a pale yellow box without a norm has
no parameters (the ReLUs, `flatten`). The printed norms below are the numbers behind the
colours: the legend's range runs from the smallest of them to the largest.""",
    ),
    (
        CODE,
        r"""norms = {
    name: float(cg.sqrt((layer.weight.grad**2).sum() + (layer.bias.grad**2).sum()))
    for name, layer in model.named_modules()
    if isinstance(layer, nn.Linear)
}
print({name: round(norm, 3) for name, norm in norms.items()})
assert all(0 < norm < float("inf") for norm in norms.values())  # every Linear has a gradient
loss.draw(model=model, depth=2)""",
    ),
    (
        MD,
        r"""`model.summary(example_input)` runs one forward pass and tabulates every module: output
shape, parameters and **multiply-adds** (the matrix products; a `Linear(n_in, n_out)` costs
$n_\text{in} n_\text{out}$ per sample and has $n_\text{in} n_\text{out} + n_\text{out}$
parameters). For one image: 26,122 parameters and 25,856 multiply-adds.""",
    ),
    (
        CODE,
        r"""table = model.summary(images[:1])
sizes = [(64, 128), (128, 128), (128, 10)]
assert table.total_parameters == sum(i * o + o for i, o in sizes) == 26_122  # quoted above
assert table.mult_adds == sum(i * o for i, o in sizes) == 25_856
table""",
    ),
    (
        MD,
        r"""## 4. A small piece, with the local gradients on its edges

Take one `Linear(4, 2)`, a `tanh` and the mean squared error on 3 samples. Drawn without a model,
each op's box starts with one cell per input holding the **rule** that op applies in the backward
pass, with $g$ the upstream gradient (the notes' $\partial L/\partial f$) and $y$ the op's output:

- `linear` hands $x$ the gradient $g W$, the weight $g^\top x$ and the bias $\sum g$ over the
  batch: in the notes' columns, $dX = W^T dZ$, $dW = dZ X^T$, $dB = \sum dZ$;
- `tanh` hands $g \odot (1 - y^2)$: the notes' local gradient $1 - f^2$, element by element;
- `mse_loss` is a `sub`, a `mul` (the square, $g \odot b$ and $g \odot a$ for its two
  inputs, here the same tensor) and a `mean` ($g/n$ copied to every element).""",
    ),
    (
        CODE,
        r'''def small_piece(seed: int = 0):
    """One Linear(4, 2) + tanh + MSE on 3 samples: (loss, layer, x)."""
    cg.manual_seed(seed)
    layer = nn.Linear(4, 2)
    x = cg.randn(3, 4)
    x.name = "x"
    target = cg.tensor([[1.0, -1.0], [0.0, 0.5], [-0.5, 1.0]])
    return F.mse_loss(cg.tanh(layer(x)), target), layer, x


piece, piece_layer, piece_x = small_piece()
piece.draw()''',
    ),
    (
        MD,
        r"""
`piece.backward_replay()` replays the backward pass in the engine's order: 7 steps, one per
op and one per parameter (the constant input $x$ and the target get none). Each frame marks the
node being processed and, on its input cells, the shape and norm of the product it hands on
(`→`). Drag the slider; `replay[k]` is the picture after $k$ steps, `replay[0]` the graph
before any gradient, `replay[len(replay)]` the graph after `backward()`.""",
    ),
    (
        CODE,
        r"""replay = piece.backward_replay()
assert len(replay) == 7  # the number quoted above
print("\n".join(replay.titles))
replay""",
    ),
    (
        MD,
        r"""## 5. The same program under PyTorch

Only if PyTorch is installed: the original source runs unchanged. Random streams differ
(`manual_seed(0)` gives other numbers in chaingrad), so the two runs reach the same test loss only
within the seed-to-seed spread: we assert they agree within 25 % (40 % after quick mode's 2
epochs).""",
    ),
    (
        CODE,
        r'''def losses_printed(lines: list[str]) -> list[float]:
    """The training losses a Quickstart run printed ("loss: 0.123456  [ 64/1400]")."""
    return [float(line.split()[1]) for line in lines if line.startswith("loss:")]


HAVE_TORCH = importlib.util.find_spec("torch") is not None
if HAVE_TORCH:
    torch_ran, torch_lines = run_program(torch_source)
    ours, theirs = test_loss, torch_ran["test_loss"]
    print(f"test loss: chaingrad {ours:.3f}, torch {theirs:.3f}")
    print(f"accuracy: chaingrad {accuracy:.1f} %, torch {torch_ran['accuracy']:.1f} %")
    assert abs(ours - theirs) <= (0.4 if QUICK else 0.25) * max(ours, theirs)  # quoted above
else:
    ipd.display(ipd.Markdown("**PyTorch is not installed: the comparison is skipped.**"))''',
    ),
    (
        CODE,
        r'''def plot_losses(runs: dict[str, list[str]]) -> None:
    """The training losses each run printed, every 10 batches."""
    _, ax = plt.subplots(figsize=(6, 3))
    for name, printed in runs.items():
        ax.plot(losses_printed(printed), marker="o", markersize=3, label=name)
    ax.set(xlabel="print (every 10 batches)", ylabel="training loss", yscale="log")
    ax.set_title("The Quickstart loop, one program, two engines")
    ax.legend()
    plt.show()


plot_losses({"chaingrad": lines, **({"torch": torch_lines} if HAVE_TORCH else {})})''',
    ),
    (
        MD,
        r"""## Exercises

**1. Shapes on the edges.** In the replay above, each input cell of `linear` shows the shape of
the gradient it hands on. Predict them without running anything: for a `Linear(n_in, n_out)`
applied to a batch of `batch` rows, write `gradient_shapes(batch, n_in, n_out)`, a dict with
the shapes (tuples) of the gradients of the loss with respect to `"x"`, `"weight"`, `"bias"` and
`"z"` (the layer's output). A gradient always has the shape of what it is the gradient of.""",
    ),
    (
        CODE,
        r'''def gradient_shapes(batch: int, n_in: int, n_out: int) -> dict[str, tuple[int, ...]]:
    """Shapes of ∂L/∂x, ∂L/∂weight, ∂L/∂bias and ∂L/∂z for z = Linear(n_in, n_out)(x)."""
    raise NotImplementedError''',
    ),
    (
        CODE,
        r'''def chaingrad_shapes(batch: int, n_in: int, n_out: int) -> dict[str, tuple[int, ...]]:
    """The same shapes, read off chaingrad's gradients after a backward pass."""
    layer = nn.Linear(n_in, n_out)
    x = cg.randn(batch, n_in, requires_grad=True)
    z = layer(x)
    z.retain_grad()
    cg.tanh(z).sum().backward()
    grads = {"x": x.grad, "weight": layer.weight.grad, "bias": layer.bias.grad, "z": z.grad}
    return {name: tuple(g.shape) for name, g in grads.items()}


check("gradient_shapes(3, 4, 2)", lambda: gradient_shapes(3, 4, 2), chaingrad_shapes(3, 4, 2))
check(
    "gradient_shapes(64, 128, 10)",
    lambda: gradient_shapes(64, 128, 10),
    chaingrad_shapes(64, 128, 10),
)''',
    ),
    (
        MD,
        r"""**2. The local-gradient rules of a Linear layer.** $z = x W^\top + b$ with $x$ of shape
$(m, n_\text{in})$ and $W$ of shape $(n_\text{out}, n_\text{in})$. Given the upstream gradient
$g = \partial L/\partial z$, write `linear_backward(x, weight, upstream)` with NumPy: the tuple
$(\partial L/\partial x,\ \partial L/\partial W,\ \partial L/\partial b)$ — the three rules drawn
on the edges of `linear` in section 4. (The notes' $dW = \frac1m dZ X^T$ in columns; in rows,
with the $\frac1m$ already inside $g$, transpose it. Check your shapes against exercise 1.) The
reference is chaingrad's `.grad` after `z.backward(upstream)`.""",
    ),
    (
        CODE,
        r'''def linear_backward(
    x: np.ndarray, weight: np.ndarray, upstream: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(∂L/∂x, ∂L/∂weight, ∂L/∂bias) of z = x @ weight.T + bias, given upstream = ∂L/∂z."""
    raise NotImplementedError''',
    ),
    (
        CODE,
        r'''def chaingrad_linear_grads(x: np.ndarray, weight: np.ndarray, upstream: np.ndarray):
    """chaingrad's (x.grad, weight.grad, bias.grad) for z = F.linear(x, weight, bias)."""
    xt = cg.tensor(x, requires_grad=True)
    wt = cg.tensor(weight, requires_grad=True)
    bt = cg.zeros(weight.shape[0], dtype=cg.float64, requires_grad=True)
    F.linear(xt, wt, bt).backward(cg.tensor(upstream))
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


rng = np.random.default_rng(12)
x_ex, w_ex, g_ex = rng.normal(size=(3, 4)), rng.normal(size=(2, 4)), rng.normal(size=(3, 2))
check(
    "linear_backward",
    lambda: linear_backward(x_ex, w_ex, g_ex),
    chaingrad_linear_grads(x_ex, w_ex, g_ex),
)''',
    ),
    (
        MD,
        r"""**3. Rename by hand.** Here is a short PyTorch snippet (it is in `TORCH_SNIPPET` below):

```python
import torch
import torch.nn.functional as F

x = torch.tensor([[1.0, -2.0, 0.5]], requires_grad=True)
loss = F.cross_entropy(3 * x, torch.tensor([2]))
loss.backward()
```

Write `snippet_in_chaingrad()`: the same code, renamed by hand for chaingrad (imports inside
the function), returning `x.grad` as a NumPy array. The reference runs `rename_torch` on the
snippet.""",
    ),
    (
        CODE,
        r'''def snippet_in_chaingrad() -> np.ndarray:
    """The snippet above run with chaingrad: x.grad as an ndarray."""
    raise NotImplementedError''',
    ),
    (
        CODE,
        r'''TORCH_SNIPPET = """
import torch
import torch.nn.functional as F

x = torch.tensor([[1.0, -2.0, 0.5]], requires_grad=True)
loss = F.cross_entropy(3 * x, torch.tensor([2]))
loss.backward()
"""
renamed_snippet = {}
exec(rename.rename_torch(TORCH_SNIPPET), renamed_snippet)
check("snippet_in_chaingrad", snippet_in_chaingrad, renamed_snippet["x"].grad.numpy())''',
    ),
]

SOLVED: dict[str, str] = {
    "gradient_shapes": r'''
def gradient_shapes(batch: int, n_in: int, n_out: int) -> dict[str, tuple[int, ...]]:
    """Shapes of ∂L/∂x, ∂L/∂weight, ∂L/∂bias and ∂L/∂z for z = Linear(n_in, n_out)(x)."""
    # each gradient has the shape of its tensor: z is (batch, n_out), the weight (n_out, n_in)
    return {
        "x": (batch, n_in),
        "weight": (n_out, n_in),
        "bias": (n_out,),
        "z": (batch, n_out),
    }''',
    "linear_backward": r'''def linear_backward(
    x: np.ndarray, weight: np.ndarray, upstream: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(∂L/∂x, ∂L/∂weight, ∂L/∂bias) of z = x @ weight.T + bias, given upstream = ∂L/∂z."""
    dx = upstream @ weight  # (m, n_out)(n_out, n_in): each row of x gets g · W
    dweight = upstream.T @ x  # (n_out, m)(m, n_in): summed over the batch, the notes' dZ X^T
    dbias = upstream.sum(axis=0)  # the bias was broadcast to every row: sum it back
    return dx, dweight, dbias''',
    "snippet_in_chaingrad": r'''def snippet_in_chaingrad() -> np.ndarray:
    """The snippet above run with chaingrad: x.grad as an ndarray."""
    import chaingrad
    import chaingrad.nn.functional as F

    x = chaingrad.tensor([[1.0, -2.0, 0.5]], requires_grad=True)
    loss = F.cross_entropy(3 * x, chaingrad.tensor([2]))
    loss.backward()
    return x.grad.numpy()''',
}

METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}


def build_notebook() -> nbformat.NotebookNode:
    """The notebook, outputs cleared."""
    cells = [
        nbformat.v4.new_markdown_cell(src.strip())
        if kind == MD
        else nbformat.v4.new_code_cell(src.strip())
        for kind, src in CELLS
    ]
    return nbformat.v4.new_notebook(cells=cells, metadata=METADATA)


def main() -> None:
    """Write the notebook and its solution (sync.py's layout, the solved cells above)."""
    nb = build_notebook()
    nbformat.write(nb, HERE.parent / f"{NAME}.ipynb")
    solution = _sync().build(nb, NAME, {k: v.strip() for k, v in SOLVED.items()})
    nbformat.write(solution, HERE / f"{NAME}.ipynb")
    print("wrote", NAME, "and its solution")


if __name__ == "__main__":
    main()

"""Write the worked solutions of notebooks 03–07: each lesson notebook with its stubs filled in.

An exercise stub is a code cell whose metadata has ``"exercise": <name>``; this script copies
the lesson notebook, replaces every stub by ``SOLUTIONS[<notebook>][<name>]`` and clears the
outputs (run the result to fill them in). It touches only the files of notebooks 03–07:

    python notebooks/solutions/make_solutions.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
LESSONS = HERE.parent

SOLUTIONS: dict[str, dict[str, str]] = {
    "03_training_deep_networks": {
        "fit_standardize": '''
def fit_standardize(x):
    """Per-feature mean and standard deviation of x (n, d); σ = 1 where a feature is constant."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    return mean, np.where(std > 0, std, 1.0)
''',
        "batchnorm_backward_params": '''
def batchnorm_backward_params(x_hat, dout):
    """∂J/∂γ and ∂J/∂β of y = γ x̂ + β, one entry per feature."""
    return (dout * x_hat).sum(axis=0), dout.sum(axis=0)  # γ scales x̂; β adds to every row
''',
        "batchnorm_backward_input": '''
def batchnorm_backward_input(x, gamma, dout, eps=1e-5):
    """∂J/∂x of batch norm in training mode, by the notes' formula."""
    m = len(x)
    sigma = np.sqrt(x.var(axis=0) + eps)  # the biased batch variance, as in the forward pass
    x_hat = (x - x.mean(axis=0)) / sigma
    dgamma, dbeta = batchnorm_backward_params(x_hat, dout)
    # the direct path (m g), minus the paths through the batch mean (dβ) and the std (x̂ dγ)
    return gamma / (m * sigma) * (m * dout - dbeta - x_hat * dgamma)
''',
        "saturated_fraction": '''
def saturated_fraction(z, derivative):
    """The fraction of the entries of z where derivative(z) < 0.01."""
    return np.mean(derivative(z) < 0.01)
''',
    },
    "04_optimisation_regularisation": {
        "momentum_path": '''
def momentum_path(start, lr, beta, steps):
    """The iterates of gradient descent with momentum on the quadratic, start included."""
    w, v = np.array(start, dtype=np.float64), np.zeros(2)
    points = [w.copy()]
    for _ in range(steps):
        dJ_dw = np.array([w[0], 50.0 * w[1]])  # the gradient of ½(w1² + 50 w2²)
        v = beta * v + dJ_dw
        w = w - lr * v
        points.append(w.copy())
    return np.array(points)
''',
        "adam_path": '''
def adam_path(start, lr, steps, beta1=0.9, beta2=0.999, eps=1e-8):
    """The iterates of Adam on the quadratic, start included."""
    w, m, v = np.array(start, dtype=np.float64), np.zeros(2), np.zeros(2)
    points = [w.copy()]
    for t in range(1, steps + 1):
        g = np.array([w[0], 50.0 * w[1]])
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)  # the bias correction
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        points.append(w.copy())
    return np.array(points)
''',
        "ewma": '''
def ewma(x, beta, bias_correction=True):
    """The exponentially weighted moving averages v_1..v_T of x, optionally bias-corrected."""
    v, out = 0.0, []
    for t, x_t in enumerate(x, start=1):
        v = beta * v + (1 - beta) * x_t
        out.append(v / (1 - beta**t) if bias_correction else v)
    return np.array(out)
''',
    },
}


def solve(name: str, solutions: dict[str, str]) -> nbformat.NotebookNode:
    """The lesson notebook ``name`` with every exercise stub replaced by its solution."""
    nb = nbformat.read(LESSONS / f"{name}.ipynb", as_version=4)
    missing = set(solutions)
    for cell in nb.cells:
        exercise = cell.get("metadata", {}).get("exercise")
        if exercise is None:
            continue
        if exercise not in solutions:
            raise KeyError(f"{name}: no solution for the exercise {exercise!r}")
        cell.source = solutions[exercise].strip("\n")
        missing.discard(exercise)
    if missing:
        raise KeyError(f"{name}: solutions for exercises the notebook lacks: {sorted(missing)}")
    first = nb.cells[0]
    title, _, rest = first.source.partition("\n")
    first.source = (
        f"{title} — worked solutions\n\nThe lesson notebook `../{name}.ipynb` with every exercise "
        f"stub replaced by a worked solution; each check cell must print ✓.\n{rest}"
    )
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def main() -> None:
    """Write every solution notebook next to this script."""
    for name, solutions in SOLUTIONS.items():
        nbformat.write(solve(name, solutions), HERE / f"{name}.ipynb")
        print(f"wrote solutions/{name}.ipynb")


if __name__ == "__main__":
    main()

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
        grad = np.array([w[0], 50.0 * w[1]])  # dJ_dw of ½(w1² + 50 w2²)
        v = beta * v + grad
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
    "05_convolution": {
        "conv_output_size": '''
def conv_output_size(h, f, s=1, p=0):
    """The output length of a convolution or pooling along an axis of length h."""
    return (h + 2 * p - f) // s + 1  # an incomplete last window is dropped


def conv_parameters(c_in, n_filters, f):
    """The number of weights and biases of a layer of n_filters f×f filters on c_in channels."""
    return n_filters * (f * f * c_in + 1)
''',
        "conv_backward": '''
def conv_backward(x, w, delta):
    """∂J/∂w and ∂J/∂x of v = x ⋆ w (one channel, stride 1, no padding) for ∂J/∂v = delta."""
    fh, fw = w.shape
    dw, dx = np.zeros_like(w), np.zeros_like(x)
    for i, j in np.ndindex(*delta.shape):  # every output v_ij ...
        window = (slice(i, i + fh), slice(j, j + fw))
        dw += delta[i, j] * x[window]  # ... used the window x[i:i+fh, j:j+fw] with the weights
        dx[window] += delta[i, j] * w  # ... and each pixel of it with weight w_ab
    return dw, dx
''',
    },
    "06_recurrent": {
        "rnn_step": '''
def rnn_step(x_t, h_prev, w_xh, w_hh):
    """The next hidden state of the notes' vanilla RNN (no biases)."""
    return np.tanh(w_xh @ x_t + w_hh @ h_prev)
''',
        "bptt_step": '''
def bptt_step(delta_next, h_next, p_t, y_t, w_hh, w_hy):
    """∂L/∂h_t from ∂L/∂h_{t+1}, the next hidden state, and this step's softmax and target."""
    from_output = w_hy.T @ (p_t - y_t)  # this step's loss, through the scores ŷ_t = W_hy h_t
    # the later steps: back through h_{t+1} = tanh(... + W_hh h_t), tanh' = 1 - h_{t+1}²
    from_future = w_hh.T @ ((1 - h_next**2) * delta_next)
    return from_output + from_future
''',
        "clip_by_total_norm": '''
def clip_by_total_norm(grads, max_norm):
    """The gradients scaled by min(1, max_norm / (total norm + 1e-6))."""
    total = np.sqrt(sum((g**2).sum() for g in grads))  # the norm of all entries together
    scale = min(1.0, max_norm / (total + 1e-6))
    return [g * scale for g in grads]
''',
    },
    "07_attention": {
        "attention_weights": '''
def attention_weights(q, k):
    """α = softmax(k q / √d) for a query q (d,) and keys k (T, d), one key per row."""
    scores = k @ q / np.sqrt(len(q))
    e = np.exp(scores - scores.max())  # subtracting the max changes nothing but avoids overflow
    return e / e.sum()
''',
        "attention_map": '''
def attention_map(q, a):
    """α⟨t,t′⟩ (T_y, T_x) = softmax over t′ of q aᵀ/√d, and the contexts α a (T_y, d)."""
    scores = q @ a.T / np.sqrt(q.shape[1])
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    alpha = e / e.sum(axis=1, keepdims=True)  # one distribution over t′ per output step t
    return alpha, alpha @ a
''',
        "attention_query_grad": '''
def attention_query_grad(q, k, v, grad_c):
    """∂L/∂q of c = softmax(k q / √d) v, for the upstream gradient grad_c = ∂L/∂c."""
    d = len(q)
    scores = k @ q / np.sqrt(d)
    alpha = np.exp(scores - scores.max())
    alpha /= alpha.sum()
    grad_alpha = v @ grad_c  # c = Σ α_t' v_t': each weight's gradient is its value · ∂L/∂c
    grad_scores = alpha * (grad_alpha - alpha @ grad_alpha)  # the softmax's vector-Jacobian product
    return k.T @ grad_scores / np.sqrt(d)  # e = k q / √d
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

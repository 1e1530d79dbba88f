"""The vector-Jacobian rule each op applies in backward, written in the course's notation.

A tensor graph's edge from an input into an op carries the rule that turns the op's upstream
gradient ``g`` into that input's gradient: ``g ⊙ (1 − y²)`` for tanh, ``g Bᵀ`` and ``Aᵀ g`` for
a matrix product. The drawing puts ``local_rule(op, i, n)`` on the edge from input ``i``.

Notation: ``g`` the upstream gradient (∂L/∂y), ``y`` the op's output, ``x`` its input (``a``,
``b`` for two operands, as the ops' docstrings name them), ``⊙`` the elementwise product,
``ᵀ`` a transpose, ``Σ`` a sum, ``σ`` the sigmoid, ``[x > 0]`` a 0/1 mask, ``x̂`` the normalised
input, ``δₜ`` the gradient at a recurrence's gate pre-activations at step t. The losses' ``/ N``
is the mean reduction's (``sum`` and ``none`` drop it). Broadcasting is undone for every op in
one place (``Σ g`` over the broadcast axes), so only ``add``/``sub`` say it.
"""

from __future__ import annotations

# op name -> one rule per input position, in the op's input order (a single rule applies to
# every input: concatenate, stack, einsum take any number). Ops with optional inputs list them
# all; ``_PRESENT`` says which of them a node with fewer inputs has.
RULES: dict[str, tuple[str, ...]] = {
    # --- arithmetic (binary ops broadcast: each input gets Σ g over its broadcast axes)
    "add": ("g, Σ over broadcast axes",),
    "sub": ("g, Σ over broadcast axes", "−g, Σ over broadcast axes"),
    "mul": ("g ⊙ b", "g ⊙ a"),
    "div": ("g / b", "−g ⊙ a / b²"),
    "pow": ("g ⊙ b aᵇ⁻¹", "g ⊙ y ln a"),
    "neg": ("−g",),
    "remainder": ("g", "−g ⊙ ⌊a / b⌋"),
    "maximum": ("g where a > b (½ on ties)", "g where b > a (½ on ties)"),
    "minimum": ("g where a < b (½ on ties)", "g where b < a (½ on ties)"),
    "where": ("g where cond, else 0", "g where not cond, else 0"),
    "clip": ("g where lo ≤ x ≤ hi, else 0",),
    "to": ("g, cast back to x's dtype",),
    "clone": ("g",),
    # --- elementwise functions and activations (y = output)
    "exp": ("g ⊙ y",),
    "log": ("g / x",),
    "sqrt": ("g / (2y)",),
    "abs": ("g ⊙ sign(x)",),
    "tanh": ("g ⊙ (1 − y²)",),
    "sigmoid": ("g ⊙ σ(1 − σ)",),
    "relu": ("g ⊙ [x > 0]",),
    "leaky_relu": ("x > 0: g, else slope · g",),
    "elu": ("x > 0: g, else g ⊙ (y + α)",),
    "selu": ("x > 0: λg, else g ⊙ (y + λα)",),
    "sin": ("g ⊙ cos x",),
    "cos": ("−g ⊙ sin x",),
    "log1p": ("g / (1 + x)",),
    "expm1": ("g ⊙ (y + 1)",),
    "square": ("g ⊙ 2x",),
    "reciprocal": ("−g ⊙ y²",),
    "rsqrt": ("−½ g ⊙ y³",),
    "softplus": ("g ⊙ σ(βx)",),
    "gelu": ("g ⊙ (Φ(x) + x φ(x))",),
    "silu": ("g ⊙ σ(1 + x(1 − σ))",),
    "hardtanh": ("g where lo < x < hi, else 0",),
    "log_sigmoid": ("g ⊙ σ(−x)",),
    "sign": ("0 (piecewise constant)",),
    "floor": ("0 (piecewise constant)",),
    "ceil": ("0 (piecewise constant)",),
    "round": ("0 (piecewise constant)",),
    "trunc": ("0 (piecewise constant)",),
    # --- reductions (x̄ the mean, n the count reduced over)
    "sum": ("g copied over the summed axes",),
    "mean": ("g / n copied over the axes",),
    "var": ("g ⊙ 2(x − x̄) / (n − ddof)",),
    "std": ("g ⊙ (x − x̄) / ((n − ddof) y)",),
    "prod": ("g ⊙ Π of the other xⱼ",),
    "max": ("g routed to the max",),
    "min": ("g routed to the min",),
    "norm": ("g ⊙ sign(x) |x|ᵖ⁻¹ / yᵖ⁻¹",),
    "cumsum": ("reverse cumsum of g",),
    "cumprod": ("Σⱼ≥ᵢ gⱼ yⱼ / xᵢ",),
    # --- softmax family
    "softmax": ("y ⊙ (g − Σ g y)",),
    "log_softmax": ("g − softmax(x) Σ g",),
    "logsumexp": ("g ⊙ softmax(x)",),
    # --- shapes and views
    "reshape": ("g reshaped to x's shape",),
    "permute": ("g, axes permuted back",),
    "transpose": ("gᵀ (the axes swapped back)",),
    "movedim": ("g, axes moved back",),
    "expand": ("Σ g over the expanded axes",),
    "repeat": ("Σ g over the copies",),
    "pad": ("g with the padding cut off",),
    "flip": ("g flipped back",),
    "roll": ("g rolled back",),
    "tril": ("tril(g)",),
    "triu": ("triu(g)",),
    "concatenate": ("g's slice for this input",),
    "stack": ("g's i-th slice on the new axis",),
    "split": ("g into its slice, 0 elsewhere",),
    # --- indexing, gathering, sorting (scatter-add: repeated indices add up)
    "index": ("g scattered back to x[idx]",),
    "setitem": ("g, 0 where overwritten", "g[idx]"),
    "gather": ("scatter-add g at index",),
    "take_along_axis": ("scatter-add g at indices",),
    "index_select": ("scatter-add g at index",),
    "masked_fill": ("g, 0 where mask", "Σ g where mask"),
    "sort": ("g unsorted back to x",),
    "topk": ("g to the k picked, 0 elsewhere",),
    # --- matrix products (linear: y = x Wᵀ + b)
    "matmul": ("g Bᵀ", "Aᵀ g"),
    "linear": ("g W", "gᵀ x (Σ over the batch)", "Σ g over the batch"),
    "outer": ("g b", "gᵀ a"),
    "einsum": ("g contracted with the others",),
    # --- convolution and pooling (cross-correlation, as PyTorch)
    "conv2d": ("full convolution of g\nwith flipped W", "correlate x with g", "Σ g over N, H, W"),
    "conv1d": ("full convolution of g\nwith flipped W", "correlate x with g", "Σ g over N, L"),
    "max_pool2d": ("g to the argmax of each window",),
    "avg_pool2d": ("g / (kh·kw) over each window",),
    # --- normalisation (σ = √(var + eps), γ the weight)
    "batch_norm": ("γ/σ (g − ḡ − x̂ mean(g x̂))", "Σ g ⊙ x̂ over all but C", "Σ g over all but C"),
    # --- losses, fused with their activation (ŷ = softmax, y = targets, / N for mean)
    "cross_entropy": ("g ⊙ (ŷ − y) / N",),
    "nll_loss": ("−g / N at the target class",),
    "binary_cross_entropy": ("g ⊙ (p − y) / (N p(1 − p))",),
    "binary_cross_entropy_with_logits": ("g ⊙ (σ(x) − y) / N",),
    # --- recurrences over a whole sequence (cells are T = 1): backprop through time
    "rnn": (
        "BPTT: δₜ W_ih",
        "BPTT: δ₁ W_hh",
        "BPTT: Σₜ δₜᵀ xₜ",
        "BPTT: Σₜ δₜᵀ hₜ₋₁",
        "BPTT: Σₜ δₜ",
    ),
    "gru": (
        "BPTT: δₜ W_ih",
        "BPTT: δ₁ W_hh + dh₁ ⊙ z₁",
        "BPTT: Σₜ δₜᵀ xₜ",
        "BPTT: Σₜ δₜᵀ hₜ₋₁",
        "BPTT: Σₜ δₜ",
    ),
    "lstm": (
        "BPTT: δₜ W_ih",
        "BPTT: δ₁ W_hh",
        "BPTT: dc₁ ⊙ f₁",
        "BPTT: Σₜ δₜᵀ xₜ",
        "BPTT: Σₜ δₜᵀ hₜ₋₁",
        "BPTT: Σₜ δₜ",
    ),
}

# Ops whose inputs are optional: (op, number of inputs) -> the positions in RULES[op] those
# inputs take. Missing entries mean the inputs are a prefix (conv, linear, batch_norm without
# bias). rnn/gru inputs: x, h0, W_ih, W_hh, b_ih, b_hh (both biases share one rule); lstm: x,
# h0, c0, W_ih, W_hh, b_ih, b_hh. An LSTM with 5 inputs is read as no state with biases (the
# default call); a state with bias=False has 5 too and is labelled the same way.
_PRESENT: dict[tuple[str, int], tuple[int, ...]] = {
    ("rnn", 3): (0, 2, 3),
    ("rnn", 4): (0, 1, 2, 3),
    ("rnn", 5): (0, 2, 3, 4, 4),
    ("rnn", 6): (0, 1, 2, 3, 4, 4),
    ("gru", 3): (0, 2, 3),
    ("gru", 4): (0, 1, 2, 3),
    ("gru", 5): (0, 2, 3, 4, 4),
    ("gru", 6): (0, 1, 2, 3, 4, 4),
    ("lstm", 3): (0, 3, 4),
    ("lstm", 4): (0, 1, 3, 4),
    ("lstm", 5): (0, 3, 4, 5, 5),
    ("lstm", 6): (0, 1, 3, 4, 5, 5),
    ("lstm", 7): (0, 1, 2, 3, 4, 5, 5),
}


def local_rule(op: str, index: int, arity: int) -> str:
    """The rule on the edge from input ``index`` (of ``arity``) into ``op``; "" if unknown."""
    rules = RULES.get(op)
    if not rules or not 0 <= index < max(arity, 1):
        return ""
    position = _PRESENT.get((op, arity))
    if position is not None:
        return rules[position[index]]
    return rules[index] if index < len(rules) else rules[-1]

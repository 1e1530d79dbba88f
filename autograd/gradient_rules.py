"""The vector-Jacobian rule each op applies in backward, written in the course's notation.

A tensor graph's edge from an input into an op carries the rule that turns the op's upstream
gradient ``g`` into that input's gradient: ``× (1 − y²)`` for tanh, ``g Wᵀ`` and ``Xᵀ g`` for a
matrix product. The drawing puts ``local_rule(op, i, n)`` on the edge from input ``i``.
"""

from __future__ import annotations

# op name -> one rule per input position (a single rule applies to every input)
RULES: dict[str, tuple[str, ...]] = {
    "add": ("g",),
    "sub": ("g", "−g"),
    "mul": ("g ⊙ b", "g ⊙ a"),
    "tanh": ("g ⊙ (1 − y²)",),
    "matmul": ("g Bᵀ", "Aᵀ g"),
}


def local_rule(op: str, index: int, arity: int) -> str:
    """The rule on the edge from input ``index`` (of ``arity``) into ``op``; "" if unknown."""
    rules = RULES.get(op)
    if not rules:
        return ""
    return rules[index] if index < len(rules) else rules[-1]

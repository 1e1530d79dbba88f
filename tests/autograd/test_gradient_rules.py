"""Every op the engine records has a vector-Jacobian rule for every input it can have.

Three views of "every op": the op names the sources pass to ``record``/``record_elementwise``/
``Tensor._node`` (read with ``ast``, following the helpers that hand an ``op`` parameter on, so
``_unary("sin", ...)`` counts as recording "sin"); the graphs a corpus of real calls builds
(each node's ``op`` and its real number of inputs, walked in the engine's own order); and the
rules themselves, which must differ per input where the math does.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.autograd import Tensor, engine
from chaingrad.autograd.gradient_rules import _PRESENT, RULES, local_rule
from chaingrad.autograd.ops import conv as C
from chaingrad.autograd.ops import elementwise as E
from chaingrad.autograd.ops import indexing as I
from chaingrad.autograd.ops import linalg as L
from chaingrad.autograd.ops import losses as LS
from chaingrad.autograd.ops import normalization as N
from chaingrad.autograd.ops import recurrent as RC
from chaingrad.autograd.ops import reductions as R
from chaingrad.autograd.ops import shapes as S
from chaingrad.autograd.ops import softmax as SM
from chaingrad.autograd.ops import sorting as SO
from chaingrad.autograd.tensor_math import remainder
from tests.helpers import REPO_ROOT

# ---------------------------------------------------------------------------- the static scan
# the functions that make a graph node, and the position of their op-name argument
RECORDERS = {"_node": 3, "record": 0, "record_elementwise": 0}
FORWARDED = ("op", "name")  # a helper's parameter that carries the op name on


@dataclass(frozen=True)
class Site:
    """One call that may record a node: where it is, whom it calls, what op name it passes."""

    where: str
    caller: ast.FunctionDef | None
    callee: str
    call: ast.Call


def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return call.args[position] if len(call.args) > position else None


def _nothing(node: ast.expr | None) -> bool:
    """A literal ``None`` or ``()``: no backward, or no parents (the result is a constant)."""
    return (isinstance(node, ast.Constant) and node.value is None) or (
        isinstance(node, ast.Tuple) and not node.elts
    )


class _Calls(ast.NodeVisitor):
    """The calls in one module to functions it defines or imports, and to the recorders."""

    def __init__(self, path: Path) -> None:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        self.where = str(path.relative_to(REPO_ROOT))
        self.known = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        self.known |= {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        self.stack: list[ast.FunctionDef] = []
        self.sites: list[Site] = []
        self.visit(tree)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.stack.append(node)
        self.generic_visit(node)
        self.stack.pop()

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        # a method call (self._extreme) is another namespace; only the recorders are reached
        # through an attribute (ops.record.record, Tensor._node)
        name = None
        if isinstance(func, ast.Name) and func.id in self.known:
            name = func.id
        elif isinstance(func, ast.Attribute) and func.attr in RECORDERS:
            name = func.attr
        if name is not None:
            where = f"{self.where}:{node.lineno}"
            self.sites.append(Site(where, self.stack[-1] if self.stack else None, name, node))
        self.generic_visit(node)


@dataclass
class Scan:
    """What the sources record: op name -> the call sites, split by differentiability."""

    differentiable: dict[str, list[str]]
    constant: set[str]  # names only ever given to results outside the graph (argmax, isnan)
    unreadable: list[str]  # differentiable sites whose op name is not a literal
    forwarders: dict[str, tuple[int, bool]]  # helper -> (op-name position, may record a node)


def _scan() -> Scan:
    files = sorted(
        p for d in ("autograd", "nn", "chaingrad") for p in (REPO_ROOT / d).rglob("*.py")
    )
    sites = [site for path in files for site in _Calls(path).sites]
    sinks: dict[str, tuple[int, bool]] = {name: (pos, True) for name, pos in RECORDERS.items()}

    def differentiable(site: Site) -> bool:
        if site.callee == "record":
            parents, backward = (
                _argument(site.call, 2, "parents"),
                _argument(site.call, 3, "backward"),
            )
            return not (_nothing(parents) or _nothing(backward))
        if site.callee == "record_elementwise":
            return not _nothing(_argument(site.call, 2, "parents"))
        return sinks[site.callee][1]

    # a helper that passes its own ``op`` parameter to a recorder is a recorder too
    changed = True
    while changed:
        changed = False
        for site in sites:
            if site.callee not in sinks or site.caller is None:
                continue
            name = _argument(site.call, sinks[site.callee][0], "op")
            params = [a.arg for a in site.caller.args.args]
            helper = site.caller.name
            if not (isinstance(name, ast.Name) and name.id in FORWARDED and name.id in params):
                continue
            if helper in RECORDERS:
                continue
            before = sinks.get(helper)
            after = (params.index(name.id), bool(before and before[1]) or differentiable(site))
            if before != after:
                sinks[helper] = after
                changed = True

    found = Scan({}, set(), [], {k: v for k, v in sinks.items() if k not in RECORDERS})
    for site in sites:
        if site.callee not in sinks:
            continue
        name = _argument(site.call, sinks[site.callee][0], "op")
        if name is None:  # a call with no arguments (a monitor's record())
            continue
        params = [a.arg for a in site.caller.args.args] if site.caller else []
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            if differentiable(site):
                found.differentiable.setdefault(name.value, []).append(site.where)
            else:
                found.constant.add(name.value)
        elif isinstance(name, ast.Name) and name.id in params and site.caller.name in sinks:
            continue  # forwarded: the literal is at the helper's call sites
        elif differentiable(site):
            found.unreadable.append(f"{site.where}: {ast.unparse(name)}")
    found.constant -= set(found.differentiable)
    return found


SCAN = _scan()


def _arities(op: str) -> set[int]:
    """Every number of inputs a node of ``op`` may have, as far as the table knows."""
    counts = set(range(1, len(RULES[op]) + 1)) | {n for (o, n) in _PRESENT if o == op}
    return counts


def test_the_scan_follows_helpers_and_sorts_out_constants():
    # names that reach record only through a helper's op parameter, two or three levels deep
    for name in ("sin", "floor", "conv2d", "cross_entropy", "max", "rnn", "sort", "tril", "split"):
        assert name in SCAN.differentiable, f"the scan missed {name!r}"
    for name in ("add", "matmul", "lstm", "index", "batch_norm", "remainder"):
        assert name in SCAN.differentiable, f"the scan missed {name!r}"
    # results outside the graph (no parents, or no backward) need no rule
    for name in ("argmax", "argsort", "isnan", "logical_and", "floor_divide", "and", "invert"):
        assert name in SCAN.constant, f"{name!r} should be a constant result"
    assert "_unary" in SCAN.forwarders and "_bitwise" in SCAN.forwarders
    assert not SCAN.forwarders["_predicate"][1]  # isnan & co: outside the graph


def test_every_recorded_op_name_is_readable_from_the_source():
    # a differentiable node named by an expression (an f-string, fn.__name__) cannot be checked
    assert not SCAN.unreadable, (
        "these calls record a differentiable node under a computed op name; pass a literal "
        f"(or a helper's `op` parameter) so its rule can be checked: {SCAN.unreadable}"
    )


@pytest.mark.parametrize("op", sorted(SCAN.differentiable))
def test_every_recorded_op_has_a_rule_for_every_input(op):
    where = ", ".join(SCAN.differentiable[op][:3])
    assert op in RULES, f"{op} (recorded at {where}) has no entry in gradient_rules.RULES"
    for arity in sorted(_arities(op)):
        for index in range(arity):
            rule = local_rule(op, index, arity)
            assert rule.strip(), f"{op}: no rule for input {index} of {arity} (at {where})"


def test_the_table_names_only_ops_the_engine_records():
    stale = sorted(set(RULES) - set(SCAN.differentiable))
    assert not stale, f"rules for ops nothing records (renamed?): {stale}"
    assert not set(RULES) & SCAN.constant, "a rule for an op whose result is never in a graph"


def test_literal_inputs_match_the_number_of_rules():
    # record("matmul", out, (a, b), ...): two inputs want two rules (or one for both)
    for path in sorted((REPO_ROOT / "autograd").rglob("*.py")):
        for site in _Calls(path).sites:
            if site.callee not in ("record", "record_elementwise"):
                continue
            name, parents = _argument(site.call, 0, "op"), _argument(site.call, 2, "parents")
            if not (isinstance(name, ast.Constant) and isinstance(parents, ast.Tuple)):
                continue
            count = len(parents.elts)
            if count and name.value in RULES:
                assert len(RULES[name.value]) in (1, count), (
                    f"{name.value} at {site.where} has {count} inputs and "
                    f"{len(RULES[name.value])} rules"
                )


# ---------------------------------------------------------------------------- rules as text
def test_rules_are_short_and_in_the_courses_notation():
    for op, rules in RULES.items():
        assert rules, f"{op}: an empty rule tuple"
        for rule in rules:
            for line in rule.split("\n"):
                assert line.strip(), f"{op}: an empty rule line in {rule!r}"
                assert len(line) <= 30, f"{op}: {line!r} is {len(line)} characters (max 30)"
            assert rule.count("\n") <= 1, f"{op}: {rule!r} has more than two lines"
    assert local_rule("tanh", 0, 1) == "g ⊙ (1 − y²)"
    assert local_rule("sigmoid", 0, 1) == "g ⊙ σ(1 − σ)"
    assert local_rule("softmax", 0, 1) == "y ⊙ (g − Σ g y)"
    assert local_rule("log", 0, 1) == "g / x"
    assert (local_rule("matmul", 0, 2), local_rule("matmul", 1, 2)) == ("g Bᵀ", "Aᵀ g")
    assert "Σ" in local_rule("add", 1, 2) and "broadcast" in local_rule("add", 0, 2)
    assert "flipped" in local_rule("conv2d", 0, 3) and "correlate" in local_rule("conv2d", 1, 3)
    assert "argmax" in local_rule("max_pool2d", 0, 1)
    assert local_rule("rnn", 0, 6).startswith("BPTT")
    assert local_rule("cross_entropy", 0, 1).startswith("g ⊙ (ŷ − y)")


@pytest.mark.parametrize(
    "op, arity",
    [
        ("matmul", 2),
        ("sub", 2),
        ("div", 2),
        ("pow", 2),
        ("mul", 2),
        ("remainder", 2),
        ("maximum", 2),
        ("where", 2),
        ("outer", 2),
        ("setitem", 2),
        ("masked_fill", 2),
        ("linear", 3),
        ("conv2d", 3),
        ("conv1d", 3),
        ("batch_norm", 3),
        ("rnn", 6),
        ("gru", 6),
        ("lstm", 7),
    ],
)
def test_two_input_rules_differ_where_the_math_does(op, arity):
    rules = [local_rule(op, i, arity) for i in range(arity)]
    # the weight and the input of a product never share a rule; biases may share one
    assert rules[0] != rules[1], f"{op}: inputs 0 and 1 share the rule {rules[0]!r}"
    if arity >= 3 and op not in ("rnn", "gru", "lstm"):
        assert len(set(rules)) == arity, f"{op}: rules {rules} repeat"


def test_unknown_ops_and_indices_have_no_rule():
    assert local_rule("no_such_op", 0, 1) == ""
    assert local_rule("tanh", 1, 1) == ""
    assert local_rule("matmul", -1, 2) == ""
    assert local_rule("concatenate", 4, 5) == local_rule("concatenate", 0, 5) != ""


# ---------------------------------------------------------------------------- real graphs
def _leaf(*shape: int, seed: int = 0, positive: bool = False) -> Tensor:
    data = np.random.default_rng(seed).standard_normal(shape)
    if positive:
        data = 0.5 + np.abs(data)
    return Tensor(data, requires_grad=True)


def _labels(n: int, classes: int) -> np.ndarray:
    return np.arange(n) % classes


# name -> a callable that builds a graph from fresh leaves; each returns a tensor or a tuple
CORPUS: dict[str, Callable[[], object]] = {
    "arithmetic": lambda: (
        (_leaf(2, 3) + _leaf(3)) * _leaf(2, 1) - _leaf(1, 3) / _leaf(3, positive=True),
        -(_leaf(2, positive=True) ** _leaf(2)),
        _leaf(2, positive=True) ** 2.0,
        remainder(_leaf(3), _leaf(3, positive=True)),
    ),
    "elementwise": lambda: [
        f(_leaf(2, 3, positive=True))
        for f in (
            *(E.exp, E.log, E.sqrt, E.abs, E.tanh, E.sigmoid, E.relu, E.leaky_relu, E.elu),
            *(E.selu, E.sin, E.cos, E.log1p, E.expm1, E.square, E.reciprocal, E.rsqrt, E.softplus),
            *(E.gelu, E.silu, E.hardtanh, E.log_sigmoid, E.sign, E.floor, E.ceil, E.round, E.trunc),
            *(lambda t: E.clip(t, 0.2, 0.9), E.clone, lambda t: E.cast(t, np.float32)),
        )
    ],
    "two-sided": lambda: (
        E.maximum(_leaf(3), _leaf(2, 1)),
        E.minimum(_leaf(3), _leaf(3)),
        E.where(np.array([True, False, True]), _leaf(3), _leaf(3)),
    ),
    "reductions": lambda: [
        f(_leaf(3, 4, positive=True))
        for f in (
            *(R.sum, R.mean, R.var, R.std, R.prod, R.max, R.min, R.norm),
            *(lambda t: R.max_along(t, 1).values, lambda t: R.min_along(t, 0).values),
            *(lambda t: R.cumsum(t, 1), lambda t: R.cumprod(t, 0)),
        )
    ],
    "softmax family": lambda: (
        SM.softmax(_leaf(2, 3)),
        SM.log_softmax(_leaf(2, 3), 0),
        SM.logsumexp(_leaf(2, 3), 1),
    ),
    "shapes": lambda: (
        [
            f(_leaf(2, 3, 4))
            for f in (
                lambda t: S.reshape(t, 6, 4),
                lambda t: S.permute(t, 2, 0, 1),
                lambda t: S.transpose(t, 0, -1),
                lambda t: S.expand(S.reshape(t, 2, 1, 3, 4), 2, 5, 3, 4),
                lambda t: S.pad(t, ((1, 0), (0, 2), (0, 0))),
                lambda t: S.repeat(t, 2, 1, 1),
                lambda t: S.flip(t, 1),
                lambda t: S.roll(t, 1, 2),
                lambda t: S.tril(t),
                lambda t: S.triu(t, 1),
                lambda t: S.movedim(t, 0, -1),
                lambda t: S.split(t, 2, 2)[0],
            )
        ]
        + [
            S.concatenate([_leaf(2, 3), _leaf(1, 3), _leaf(4, 3)]),
            S.stack([_leaf(3), _leaf(3)], 1),
        ]
    ),
    "indexing": lambda: (
        I.getitem(_leaf(4, 3), (np.array([0, 2, 2]), slice(None))),
        I.setitem(_leaf(4, 3), (1, slice(None)), _leaf(3)),
        I.gather(_leaf(3, 4), 1, np.array([[0, 1], [3, 3], [2, 0]])),
        I.take_along_axis(_leaf(3, 4), np.array([[1], [0], [3]]), 1),
        I.index_select(_leaf(3, 4), 0, np.array([2, 2, 0])),
        I.masked_fill(_leaf(2, 3), np.array([True, False, True]), _leaf()),
        SO.sort(_leaf(3, 4), 1)[0],
        SO.topk(_leaf(3, 4), 2)[0],
    ),
    "linear algebra": lambda: (
        L.matmul(_leaf(2, 3, 4), _leaf(4, 5)),
        L.linear(_leaf(2, 3), _leaf(4, 3), _leaf(4)),
        L.linear(_leaf(2, 3), _leaf(4, 3)),
        L.outer(_leaf(3), _leaf(2)),
        L.einsum("ij,jk,k->i", _leaf(2, 3), _leaf(3, 4), _leaf(4)),
    ),
    "convolution and pooling": lambda: (
        C.conv2d(_leaf(1, 2, 5, 5), _leaf(3, 2, 3, 3), _leaf(3), stride=2, padding=1),
        C.conv1d(_leaf(2, 2, 6), _leaf(3, 2, 3)),
        C.max_pool2d(_leaf(1, 2, 4, 4), 2),
        C.avg_pool2d(_leaf(1, 2, 4, 4), 2),
    ),
    "normalisation": lambda: (
        N.batch_norm(_leaf(4, 3), np.zeros(3), np.ones(3), _leaf(3), _leaf(3), 1e-5, True),
        N.batch_norm(_leaf(4, 3, 2), np.zeros(3), np.ones(3), None, None, 1e-5, False),
    ),
    "losses": lambda: (
        LS.cross_entropy(_leaf(4, 3), _labels(4, 3)),
        LS.nll_loss(SM.log_softmax(_leaf(4, 3)), _labels(4, 3), "sum"),
        LS.binary_cross_entropy(E.sigmoid(_leaf(4)), np.array([0.0, 1.0, 1.0, 0.0])),
        LS.binary_cross_entropy_with_logits(_leaf(4), np.array([0.0, 1.0, 1.0, 0.0]), "none"),
    ),
    "recurrent": lambda: (
        RC.rnn(_leaf(3, 2, 4), None, _leaf(5, 4), _leaf(5, 5), _leaf(5), _leaf(5))[0],
        RC.gru(_leaf(3, 2, 4), _leaf(2, 5), _leaf(15, 4), _leaf(15, 5), None, None)[0],
        RC.lstm(_leaf(3, 2, 4), _leaf(2, 5), _leaf(2, 5), _leaf(20, 4), _leaf(20, 5), None, None),
    ),
    "a network of modules": lambda: _network(),
}


def _network() -> Tensor:
    """LeNet-ish and a text model through nn's layers, the way the course builds them."""
    image = Tensor(np.random.default_rng(1).standard_normal((2, 1, 8, 8)))
    cnn = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1),
        nn.BatchNorm2d(2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.25),
        nn.Linear(32, 3),
    )
    words = nn.Embedding(7, 4)
    lstm, gru = nn.LSTM(4, 5, num_layers=2), nn.GRU(5, 3, bias=False)
    seq, _ = lstm(words(np.array([[1, 2], [3, 3], [6, 0]])))
    out, _ = gru(seq)
    cells = nn.RNNCell(3, 3)(out[-1]) + nn.LSTMCell(3, 3)(out[0])[0] + nn.GRUCell(3, 3)(out[1])
    return F.cross_entropy(cnn(image), np.array([0, 2])) + F.mse_loss(cells, np.zeros((2, 3)))


def _loss(result: object) -> Tensor:
    """One scalar from whatever the case returned (tensors, tuples and lists of them)."""
    tensors: list[Tensor] = []

    def walk(item: object) -> None:
        if isinstance(item, Tensor):
            tensors.append(item)
        elif isinstance(item, tuple | list):
            for part in item:
                walk(part)

    walk(result)
    total = tensors[0].sum()
    for t in tensors[1:]:
        total = total + t.sum()
    return total


def _nodes(result: object) -> Iterator[Tensor]:
    """The non-leaf nodes of the result's graph, in the engine's own order."""
    for node in engine.topological_order(_loss(result)):
        if node.parents:
            yield node


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_every_node_of_a_real_graph_has_a_rule_on_every_edge(case):
    for node in _nodes(CORPUS[case]()):
        arity = len(node.parents)
        for index in range(arity):
            assert local_rule(node.op, index, arity).strip(), (
                f"{case}: {node.op} has no rule for input {index} of {arity}"
            )


def test_the_corpus_reaches_every_op_the_sources_record():
    seen = {node.op for build in CORPUS.values() for node in _nodes(build())}
    missing = sorted(set(SCAN.differentiable) - seen)
    assert not missing, f"ops the corpus never builds (add a case): {missing}"
    unknown = sorted(seen - set(SCAN.differentiable))
    assert not unknown, f"node names the static scan does not see: {unknown}"


# ---------------------------------------------------------------------------- optional inputs
def _rule_of(node: Tensor, tensor: Tensor) -> str:
    """The rule on the edge from ``tensor`` into ``node``."""
    (index,) = [i for i, p in enumerate(node.parents) if p is tensor]
    return local_rule(node.op, index, len(node.parents))


def _packed(out: Tensor) -> Tensor:
    """The recurrence's node behind the sliced output the op hands back."""
    (node,) = [n for n in engine.topological_order(out) if n.op in ("rnn", "gru", "lstm")]
    return node


@pytest.mark.parametrize("op", ["rnn", "gru"])
@pytest.mark.parametrize("state", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_recurrent_edges_follow_the_inputs_present(op, state, bias):
    x, h0 = _leaf(3, 2, 4), _leaf(2, 5) if state else None
    gates = 5 if op == "rnn" else 15
    w_ih, w_hh = _leaf(gates, 4), _leaf(gates, 5)
    b_ih, b_hh = (_leaf(gates), _leaf(gates)) if bias else (None, None)
    node = _packed(getattr(RC, op)(x, h0, w_ih, w_hh, b_ih, b_hh)[0])
    assert "W_ih" in _rule_of(node, x)
    assert "xₜ" in _rule_of(node, w_ih) and "hₜ₋₁" in _rule_of(node, w_hh)
    if state:
        assert "δ₁ W_hh" in _rule_of(node, h0)
    if bias:
        assert _rule_of(node, b_ih) == _rule_of(node, b_hh) == "BPTT: Σₜ δₜ"


@pytest.mark.parametrize("state, bias", [(False, False), (False, True), (True, True)])
def test_lstm_edges_follow_the_inputs_present(state, bias):
    x, w_ih, w_hh = _leaf(3, 2, 4), _leaf(20, 4), _leaf(20, 5)
    h0, c0 = (_leaf(2, 5), _leaf(2, 5)) if state else (None, None)
    b_ih, b_hh = (_leaf(20), _leaf(20)) if bias else (None, None)
    node = _packed(RC.lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh)[0])
    assert "W_ih" in _rule_of(node, x)
    assert "xₜ" in _rule_of(node, w_ih) and "hₜ₋₁" in _rule_of(node, w_hh)
    if state:
        assert "W_hh" in _rule_of(node, h0) and "f₁" in _rule_of(node, c0)
    if bias:
        assert _rule_of(node, b_hh) == "BPTT: Σₜ δₜ"


def test_layer_edges_name_weight_input_and_bias():
    x = _leaf(2, 3, 6, 6)
    conv = nn.Conv2d(3, 4, 3)
    node = conv(x)
    assert "flipped" in _rule_of(node, x)
    assert _rule_of(node, conv.weight) == "correlate x with g"
    assert _rule_of(node, conv.bias) == "Σ g over N, H, W"
    layer = nn.Linear(3, 2, bias=False)
    y = _leaf(5, 3)
    node = layer(y)
    assert (_rule_of(node, y), _rule_of(node, layer.weight)) == ("g W", "gᵀ x (Σ over the batch)")
    norm = nn.BatchNorm1d(3)
    node = norm(y)
    assert "x̂" in _rule_of(node, norm.weight) and _rule_of(node, norm.bias) == "Σ g over all but C"

"""The scalar engine: local gradients, the lecture's rules, backward semantics, errors."""

import math

import pytest

from chaingrad.autograd import GradcheckError, Value, gradcheck
from chaingrad.nn.app.demo import hand_gradient_theta2, two_layer_example

# (name, function of Values, inputs) — each checked against central differences
OPS = [
    ("add", lambda a, b: a + b, (1.5, -2.0)),
    ("sub", lambda a, b: a - b, (1.5, -2.0)),
    ("mul", lambda a, b: a * b, (1.5, -2.0)),
    ("div", lambda a, b: a / b, (1.5, -2.0)),
    ("pow number", lambda a: a**3, (1.3,)),
    ("pow negative number", lambda a: a**-2, (0.7,)),
    ("pow fractional", lambda a: a**0.5, (2.0,)),
    ("pow Value exponent", lambda a, b: a**b, (1.7, 0.6)),
    ("rpow", lambda b: 2.0**b, (0.8,)),
    ("neg", lambda a: -a, (0.4,)),
    ("radd", lambda a: 3 + a, (0.4,)),
    ("rsub", lambda a: 3 - a, (0.4,)),
    ("rmul", lambda a: 3 * a, (0.4,)),
    ("rtruediv", lambda a: 3 / a, (0.4,)),
    ("exp", lambda a: a.exp(), (0.7,)),
    ("log", lambda a: a.log(), (0.7,)),
    ("tanh", lambda a: a.tanh(), (0.7,)),
    ("sigmoid", lambda a: a.sigmoid(), (-0.7,)),
    ("relu positive", lambda a: a.relu(), (0.7,)),
    ("relu negative", lambda a: a.relu(), (-0.7,)),
    ("abs", lambda a: a.abs(), (-0.7,)),
    ("max", lambda a, b: a.max(b), (0.3, -0.2)),
    ("Value.max", lambda a, b: Value.max(a, b), (-0.3, 0.2)),
    ("composite", lambda a, b: (a * b + a.exp() / (1 + b**2)).tanh() * a.sigmoid(), (0.3, -1.2)),
]


@pytest.mark.parametrize("name,fn,data", OPS, ids=[op[0] for op in OPS])
def test_local_gradients_match_central_differences(name, fn, data):
    assert gradcheck(fn, *[Value(x) for x in data])


def _grads(fn, *data):
    values = [Value(x) for x in data]
    out = fn(*values)
    out.backward()
    return out, [v.grad for v in values]


def test_add_distributes_the_upstream_gradient():
    _, grads = _grads(lambda a, b: (a + b) * 3.0, 1.0, 2.0)
    assert grads == [3.0, 3.0]


def test_subtraction_negates_it_for_the_subtrahend():
    _, grads = _grads(lambda a, b: (a - b) * 3.0, 1.0, 2.0)
    assert grads == [3.0, -3.0]


def test_multiplication_swaps_the_operands():
    out, grads = _grads(lambda a, b: a * b, 2.0, -3.0)
    assert out._local == (-3.0, 2.0)
    assert grads == [-3.0, 2.0]


def test_max_routes_the_gradient_to_the_larger_input():
    assert _grads(lambda a, b: a.max(b), 4.0, 1.0)[1] == [1.0, 0.0]
    assert _grads(lambda a, b: Value.max(a, b), 1.0, 4.0)[1] == [0.0, 1.0]


def test_max_splits_a_tie_evenly_like_torch_maximum():
    assert _grads(lambda a, b: a.max(b), 2.0, 2.0)[1] == [0.5, 0.5]


def test_max_accepts_a_number_on_either_side():
    assert Value.max(3.0, Value(1.0)).data == 3.0
    assert Value(1.0).max(-2).data == 1.0


@pytest.mark.parametrize("x", [-2.0, -0.3, 0.0, 0.8, 3.0])
def test_sigmoid_local_gradient_is_f_times_one_minus_f(x):
    out = Value(x).sigmoid()
    f = 1.0 / (1.0 + math.exp(-x))
    assert out.data == pytest.approx(f, rel=1e-15)
    assert out._local[0] == pytest.approx(f * (1.0 - f), rel=1e-15)


@pytest.mark.parametrize("x", [-2.0, 0.0, 0.8])
def test_tanh_local_gradient_is_one_minus_f_squared(x):
    out = Value(x).tanh()
    assert out._local[0] == pytest.approx(1.0 - math.tanh(x) ** 2, rel=1e-15)


def test_sigmoid_is_stable_for_large_inputs():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


def test_relu_and_abs_have_zero_slope_at_zero():
    assert _grads(lambda a: a.relu(), 0.0)[1] == [0.0]
    assert _grads(lambda a: a.abs(), 0.0)[1] == [0.0]


def test_hand_values_of_local_gradients():
    a, b = Value(3.0), Value(2.0)
    assert (a / b)._local == (0.5, -0.75)
    assert (a**b)._local == pytest.approx((2 * 3.0, 9.0 * math.log(3.0)))
    assert (a**2)._local == (6.0,)
    assert a.exp()._local == (math.exp(3.0),)
    assert a.log()._local == (1 / 3.0,)


def test_two_layer_network_of_the_lecture_notes():
    ex = two_layer_example()
    assert [s.data for s in ex.s1] == pytest.approx([1.35, 2.45, -1.65])
    assert ex.y_hat.data == pytest.approx(0.625, abs=5e-4)
    assert ex.loss.data == pytest.approx(0.0703, abs=5e-5)
    grad2 = [t.grad for t in ex.theta2]
    assert grad2 == pytest.approx([-0.070, -0.081, -0.014], abs=5e-4)
    # the engine and the notes' formula (ŷ - y)σ'(s2)h1 computed by hand agree
    assert grad2 == pytest.approx(hand_gradient_theta2(ex), rel=1e-12)
    # one SGD step with γ = 1 gives the errata's corrected Θ2
    updated = [t.data - t.grad for t in ex.theta2]
    assert updated == pytest.approx([-0.130, 0.581, 1.314], abs=5e-4)


def test_a_value_reused_in_a_product_collects_every_branch():
    a = Value(2.0)
    out = a * a * a
    out.backward()
    assert a.grad == pytest.approx(3 * 2.0**2)


def test_a_value_added_to_itself_gets_gradient_two():
    a = Value(5.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_second_backward_doubles_leaf_grads_and_recomputes_inner_grads():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    out = c.tanh()
    out.backward()
    first = (a.grad, b.grad, c.grad, out.grad)
    out.backward()
    assert (a.grad, b.grad) == (2 * first[0], 2 * first[1])
    assert (c.grad, out.grad) == (first[2], first[3])


def test_zero_grad_clears_the_whole_graph():
    a, b = Value(2.0), Value(-3.0)
    c = a * b + a
    c.backward()
    c.zero_grad()
    assert (a.grad, b.grad, c.grad) == (0.0, 0.0, 0.0)


def test_a_million_node_chain_backpropagates_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0
    assert y.data == 1_000_001.0


def test_hand_written_sgd_step_works_on_plain_attributes():
    w = Value(1.0)
    loss = (w * 3.0 - 6.0) ** 2
    loss.backward()
    w.data -= 0.01 * w.grad
    assert w.data == pytest.approx(1.0 + 0.01 * 18.0)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Value(0.0).log(), "log: undefined for a non-positive value, got 0.0"),
        (lambda: Value(-2.0).log(), "log: undefined for a non-positive value, got -2.0"),
        (lambda: Value(0.0) ** -1, "pow: 0.0 to the negative power -1.0 is undefined"),
        (lambda: Value(-8.0) ** (1 / 3), "pow: a negative base -8.0"),
        (lambda: Value(-2.0) ** Value(2.0), "undefined for a negative base a = -2.0"),
        (lambda: 0.0 ** Value(-1.0), "pow: 0.0 to the negative power -1.0"),
    ],
)
def test_domain_errors_name_the_op_and_the_value(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("*", r"\*")):
        make()


def test_division_by_zero_and_overflow_are_clear():
    with pytest.raises(ZeroDivisionError, match=r"div: division of 1\.0 by a Value equal to 0\.0"):
        Value(1.0) / 0
    with pytest.raises(OverflowError, match=r"exp: e\*\*1000\.0 overflows"):
        Value(1000.0).exp()


def test_zero_base_with_value_exponent_has_a_flat_exponent_slope():
    a, b = Value(0.0), Value(2.0)
    (a**b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_value_rejects_non_numbers():
    with pytest.raises(TypeError, match="Value: data must be a real number, got list"):
        Value([1.0])


def test_repr_and_float():
    v = Value(0.5, "w")
    assert repr(v) == "Value(data=0.5, grad=0, label='w')"
    assert float(v) == 0.5


def test_gradcheck_reports_a_wrong_gradient():
    def wrong_square(a):
        out = a * a
        out._local = (1.0, 1.0)  # sabotage the recorded local gradients
        return out

    expected = r"input 0 \(Value 'x' = 3.0\).*engine 2.0, numerical 6"
    with pytest.raises(GradcheckError, match=expected):
        gradcheck(wrong_square, Value(3.0, "x"))
